"""Precision and recall of the check engine on labelled texts (for the tests,
the benchmark and docs/checks.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from workflow.messages.checks.engine import CODES, codes_in
from workflow.messages.checks.findings import Contacts
from workflow.messages.checks.labelled import Case
from workflow.messages.checks.learned import Reader

__all__ = ["Case", "Report", "Score", "measure"]


@dataclass
class Score:
    """Counts for one code, or for flagged/not flagged overall."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_pos + self.false_neg
        return self.true_pos / expected if expected else 1.0


@dataclass
class Report:
    """Per-code scores, and how many risky texts were flagged and clean texts left quiet."""

    codes: dict[str, Score] = field(default_factory=lambda: {code: Score() for code in CODES})
    risky: int = 0
    risky_flagged: int = 0
    clean: int = 0
    clean_flagged: int = 0
    misses: list[tuple[str, set[str], set[str]]] = field(default_factory=list)

    @property
    def risky_recall(self) -> float:
        return self.risky_flagged / self.risky if self.risky else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0

    def lines(self, title: str) -> list[str]:
        """A plain-text table of the figures."""
        out = [f"{title}: {self.risky_flagged}/{self.risky} risky texts flagged "
               f"({self.risky_recall:.0%}), {self.clean_flagged}/{self.clean} clean texts flagged "
               f"({self.false_alarm_rate:.0%})",
               f"  {'code':36} {'expected':>8} {'found':>6} {'precision':>9} {'recall':>7}"]
        for code, score in self.codes.items():
            out.append(f"  {code:36} {score.true_pos + score.false_neg:8d} {score.true_pos + score.false_pos:6d} "
                       f"{score.precision:9.0%} {score.recall:7.0%}")
        return out


def measure(cases: Iterable[Case], contacts: Contacts | None = None, reader: Reader | bool = True) -> Report:
    """Run the engine over labelled cases and count what it got right and wrong.

    ``reader`` as for :func:`engine.run`: the shipped learnt reading, none, or one fitted on other posts.
    """
    report = Report()
    for case in cases:
        found = codes_in(case.text, contacts=contacts, reader=reader)
        if case.codes:
            report.risky += 1
            report.risky_flagged += bool(found)
        else:
            report.clean += 1
            report.clean_flagged += bool(found)
        for code, score in report.codes.items():
            if code in found and code in case.codes:
                score.true_pos += 1
            elif code in found:
                score.false_pos += 1
            elif code in case.codes:
                score.false_neg += 1
        if found != set(case.codes):
            report.misses.append((case.text, set(case.codes), found))
    return report
