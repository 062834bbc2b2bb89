"""The engine on the labelled corpus meets the desk's goal: risky posts flagged,
routine posts left quiet. Prints per-code precision and recall (pytest -s)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workflow.messages.checks import CODES
from workflow.messages.checks.measure import measure

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("checks_report", ROOT / "bench" / "checks_report.py")
report_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_module)
SEEN, HELD_OUT = report_module.load()


def test_the_corpus_is_big_enough_and_covers_every_code():
    cases = SEEN + HELD_OUT
    risky = [c for c in cases if c.codes]
    clean = [c for c in cases if not c.codes]
    assert len(cases) >= 700 and len(risky) >= 350 and len(clean) >= 350
    for code in CODES:
        assert sum(code in c.codes for c in risky) >= 20, code
    assert len(HELD_OUT) >= 600
    assert len({c.text for c in cases}) == len(cases), "every text is written once"


@pytest.mark.parametrize("name, cases", [("seen", SEEN), ("held out", HELD_OUT)])
def test_the_goal_is_met(name, cases):
    report = measure(cases, report_module.CONTACTS)
    print("\n" + "\n".join(report.lines(name)))
    # The goal is 29 of 30 risky texts flagged and at most 3 of 30 clean ones; on texts it has been
    # tuned on, the engine must do better than that, so a rule that stops firing shows here.
    assert report.risky_recall >= 0.99, report.misses
    assert report.false_alarm_rate <= 0.03, report.misses
