"""The engine's findings: ids, spans and shape, and how checks_for carries them
for a version's body and each channel's own text."""
from __future__ import annotations

import time

import pytest

from tests.conftest import make_account
from workflow.core.config import Settings, SettingsError
from workflow.messages import drafts
from workflow.messages.checks import CODES, RULES, Context, checks_for, has_errors, run, text_findings
from workflow.messages.checks.engine import MAX_CHARS

RISKY = ("Officers arrested Dean Marsh, 30, at 47 Lytham Road on Saturday. "
         "He has previous convictions for burglary.")


def test_every_code_has_a_rule_and_says_whether_it_is_legal_or_privacy():
    assert set(CODES) == set(RULES) == {
        "legal.arrested_named", "legal.prejudicial", "legal.sexual_offence_complainant", "legal.youth",
        "legal.deceased_unconfirmed", "legal.reporting_restriction", "legal.witness",
        "privacy.personal_data", "privacy.suicide"}


def test_findings_point_at_their_words_and_explain_themselves():
    found = run(RISKY)
    assert {f.code for f in found} >= {"legal.arrested_named", "legal.prejudicial", "privacy.personal_data"}
    for f in found:
        assert RISKY[f.start:f.end] and f.severity in ("warning", "serious")
        assert f.found and f.why and f.action
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_ids_are_stable_for_a_text_and_distinct_within_it():
    first, again = run(RISKY), run(RISKY)
    assert [f.id for f in first] == [f.id for f in again]
    assert len({f.id for f in first}) == len(first)
    assert all(f.id.startswith("f-") and len(f.id) == 12 for f in first)


def test_an_edit_elsewhere_moves_the_spans_and_so_the_ids():
    moved = run("UPDATE: " + RISKY)
    assert {f.code for f in moved} == {f.code for f in run(RISKY)}
    assert not {f.id for f in moved} & {f.id for f in run(RISKY)}


def test_the_dict_keeps_message_and_level_for_older_consumers():
    shown = text_findings(RISKY)[0]
    assert set(shown) == {"id", "code", "severity", "level", "start", "end", "message", "found", "why", "action"}
    assert shown["level"] == "warning" and shown["message"]
    assert not has_errors({"all": text_findings(RISKY)})


def test_routine_text_has_no_findings():
    assert run("The A6 is closed at Blackrod after a collision. Please avoid the area.") == []
    assert run("") == [] and run(None) == []


def test_a_huge_text_is_read_only_to_its_bound():
    text = ("Road closed. " * (MAX_CHARS // 13 + 10)) + "Call Karen on 07700 900123."
    assert run(text) == []


def test_context_defaults_to_nothing_known():
    assert Context() == Context(**{name: None for name in Context.__dataclass_fields__})


def test_force_contacts_are_read_and_checked_as_settings():
    settings = Settings.from_mapping({"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "k",
                                      "FORCE_PHONE_NUMBERS": "0161 856 0101, 01204 522466",
                                      "FORCE_EMAIL_DOMAINS": "gmp.police.uk"})
    assert settings.force_phone_numbers == ["0161 856 0101", "01204 522466"]
    assert text_findings("Call 01204 522466 or email bolton@gmp.police.uk.", settings) == []
    assert text_findings("Call 01204 999888.", settings)
    for key, value in (("FORCE_PHONE_NUMBERS", "not a number"), ("FORCE_EMAIL_DOMAINS", "no domain")):
        with pytest.raises(SettingsError, match=f"CRIER_{key}"):
            Settings.from_mapping({"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "k",
                                   key: value})


def test_checks_for_carries_findings_of_the_body_and_of_differing_variants(session, officer, website_account):
    second = make_account(session, "website", "Neighbourhood website", area="North")
    third = make_account(session, "website", "Town website", area="South")
    body = "Officers arrested Dean Marsh in Bacup on Saturday."
    variant = "Call Karen on 07700 900123 if you saw the fire."
    message = drafts.create_draft(session, officer, {
        "body": body, "accounts": [website_account.id, second.id, third.id],
        "variants": {str(second.id): variant, str(third.id): body}})
    checks = checks_for(session, message, message.latest)
    assert [f["code"] for f in checks["all"]] == ["legal.arrested_named"]
    assert body[checks["all"][0]["start"]:checks["all"][0]["end"]] == "Dean Marsh"
    assert [f["code"] for f in checks[str(second.id)] if "." in f["code"]] == ["privacy.personal_data"]
    assert not [f for f in checks[str(website_account.id)] + checks[str(third.id)] if "." in f["code"]]
    assert not has_errors(checks)
    strict = checks_for(session, message, message.latest, Context(charged=True))
    assert strict["all"] == []


@pytest.mark.parametrize("text", [
    "rape " + " ".join(["Abcde"] * 4000),
    "Abcde Fghij was arrested. " * 900,
    "suicide not suspicious " + " ".join(["Abcde"] * 4000),
    "boy aged 14 arrested " + " ".join(["Abcde"] * 4000),
    " ".join(["0123"] * 5000),
])
def test_the_checks_take_bounded_time_on_hostile_text(text):
    started = time.monotonic()
    run(text, Context(sexual_offence=True, child_involved=True, proceedings_active=True))
    assert time.monotonic() - started < 3
