"""Precision and recall of Crier's legal and privacy checks on the labelled corpus.

    .venv/bin/python bench/checks_report.py [--misses]

Every fourth text of the first two files, and all of the later batches (FRESH
below: each written after the rules were tuned on the ones before), are held
out and reported on their own; docs/checks.md gives each batch's figures from
before it was used.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from workflow.messages.checks import Contacts
from workflow.messages.checks.engine import run
from workflow.messages.checks.measure import Case, measure

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "checks"
#: Batches written after the rules were tuned: wholly held out.
FRESH = ("corpus_fresh.yaml", "corpus_final.yaml", "corpus_last.yaml", "corpus_fifth.yaml",
         "corpus_sixth.yaml", "corpus_seventh.yaml", "corpus_eighth.yaml",
         "corpus_ninth.yaml", "corpus_tenth.yaml", "corpus_eleventh.yaml",
         "corpus_twelfth.yaml", "corpus_thirteenth.yaml",
         "corpus_fourteenth.yaml", "corpus_fifteenth.yaml",
         "corpus_sixteenth.yaml")
FILES = ("corpus_risky.yaml", "corpus_clean.yaml") + FRESH
#: The corpus is measured as a force would run Crier: its own numbers and domain are allowed.
CONTACTS = Contacts(phone_numbers=("0161 856 0101", "07700 900444"),
                    email_domains=("gmp.police.uk",))


def load() -> tuple[list[Case], list[Case]]:
    """(seen, held out) cases from both halves of the corpus."""
    seen, held_out = [], []
    for name in FILES:
        entries = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
        for number, entry in enumerate(entries):
            case = Case(entry["text"], frozenset(entry.get("codes") or ()))
            (held_out if number % 4 == 3 or name in FRESH else seen).append(case)
    return seen, held_out


def main(argv: list[str]) -> int:
    seen, held_out = load()
    for title, cases in (("seen", seen), ("held out", held_out), ("all", seen + held_out)):
        report = measure(cases, CONTACTS)
        print("\n".join(report.lines(title)), end="\n\n")
        if "--misses" in argv and title == "seen":
            for text, expected, found in report.misses:
                print(f"  - expected {sorted(expected)} found {sorted(found)}: {text}")
            print()
    texts = [case.text for case in seen + held_out]
    timings = []
    for text in texts:
        started = time.perf_counter()
        run(text, contacts=CONTACTS)
        timings.append(time.perf_counter() - started)
    print(f"timing: {len(texts)} texts, mean {1000 * sum(timings) / len(timings):.2f} ms, "
          f"slowest {1000 * max(timings):.2f} ms per text")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
