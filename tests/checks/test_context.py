"""The recorded legal context as the checks read it: ticked flags make them stricter or, where
the guidance says so, quieter; an unticked flag never silences a check that reads the text."""
from __future__ import annotations

import pytest

from workflow.messages.checks import CONTEXT_FIELDS, Context, codes_in, run

ARREST = ("Officers investigating a burglary in Tottington have arrested John Smith, 34, on suspicion of "
          "burglary. He remains in custody.")
DEATH = ("A man has died after a collision on the A56 in Bury on Saturday. He has been named as Peter Jones, 52, "
         "from Ramsbottom. His family have been informed.")
PREJUDICE = "The vile thug who attacked a pensioner on Mill Lane will be brought to justice."
ROUTINE = "The A38 northbound is closed between Junctions 4 and 5 for resurfacing tonight."
COMPLAINANT = ("Officers are appealing for information after a woman was attacked on Mill Lane. The 19-year-old "
               "was walking home at the time.")


def rules(text: str, context: Context | None = None) -> set[str]:
    """The codes the rules find (the learnt reading, which reads the context too, has its own tests)."""
    return codes_in(text, context, reader=False)


def test_nothing_ticked_is_the_same_as_nothing_recorded():
    assert Context.recorded({}, {}) == Context()
    assert Context.recorded({name: False for name in CONTEXT_FIELDS}) == Context()
    for text in (ARREST, DEATH, PREJUDICE, ROUTINE, COMPLAINANT):
        assert run(text, Context.recorded({name: False for name in CONTEXT_FIELDS})) == run(text)


def test_a_messages_own_flags_add_to_its_incidents():
    both = Context.recorded({"charged": True}, {"reporting_restriction": True, "charged": False})
    assert both.ticked() == ["charged", "reporting_restriction"]


def test_after_charge_the_defendants_name_is_expected():
    assert rules(ARREST) == {"legal.arrested_named"}
    assert rules(ARREST, Context.recorded({"charged": True})) == set()


def test_an_arrest_or_active_proceedings_turn_the_prejudice_check_on():
    assert "legal.prejudicial" not in rules(PREJUDICE)
    for flag in ("arrest_made", "proceedings_active"):
        assert "legal.prejudicial" in rules(PREJUDICE, Context.recorded({flag: True}))


def test_a_death_needs_the_family_told_and_the_identification_before_naming():
    assert rules(DEATH) == set(), "the text says the family knows"
    strict = run(DEATH, Context.recorded({"death": True}))
    assert [(f.code, f.severity) for f in strict] == [("legal.deceased_unconfirmed", "serious")]
    told = run(DEATH, Context.recorded({"death": True, "family_informed": True}))
    assert [(f.code, f.severity) for f in told] == [("legal.deceased_unconfirmed", "warning")]
    assert run(DEATH, Context.recorded({"death": True, "family_informed": True, "formally_identified": True})) == []


def test_a_sexual_offence_makes_the_complainants_details_serious():
    assert "legal.sexual_offence_complainant" not in rules(COMPLAINANT)
    found = run(COMPLAINANT, Context.recorded({"sexual_offence": True}))
    assert {(f.code, f.severity) for f in found} >= {("legal.sexual_offence_complainant", "serious")}


@pytest.mark.parametrize("text", [ARREST, ROUTINE])
def test_a_reporting_restriction_flags_every_text(text):
    found = run(text, Context.recorded({"reporting_restriction": True}))
    assert ("legal.reporting_restriction", "serious") in {(f.code, f.severity) for f in found}
