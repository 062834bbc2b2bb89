"""Precision and recall of Crier's legal and privacy checks on the labelled posts.

    .venv/bin/python bench/checks_report.py [--misses]

Three measurements:

- the rules alone, on the texts they were tuned on ("seen": three quarters of the
  first corpus) and on the rest ("held out": every fourth text of the first corpus
  and every blind batch; the rules have since been changed for those batches too,
  so this is no longer an unbiased figure: docs/checks.md has each batch's first);
- the learnt reading, as it would have done on each blind batch when it came: for
  each of the last ``RECENT`` batches, a reading fitted only on the batches written
  before it (and the plain teaching posts), alone and beside the rules as they are now;
- the time per text, rules and shipped reading together.
"""
from __future__ import annotations

import sys
import time

from workflow.messages.checks import Contacts, Context
from workflow.messages.checks.engine import run
from workflow.messages.checks.labelled import BATCHES, BLIND, TEACHING, Case, batch
from workflow.messages.checks.learned import Reader
from workflow.messages.checks.measure import Report, measure
from workflow.messages.checks.text import Post

#: The corpus is measured as a force would run Crier: its own numbers and domain are allowed.
CONTACTS = Contacts(phone_numbers=("0161 856 0101", "07700 900444"),
                    email_domains=("gmp.police.uk",))
#: How many of the latest blind batches the learnt reading is measured on.
RECENT = 6


def load() -> tuple[list[Case], list[Case]]:
    """(seen, held out) cases: every fourth text of the first corpus and every blind batch held out."""
    seen, held_out = [], []
    for name in BATCHES:
        for number, case in enumerate(batch(name)):
            (held_out if number % 4 == 3 or name in BLIND else seen).append(case)
    return seen, held_out


def shipped_blind() -> list[str]:
    """The blind batches shipped, in the order they were written."""
    return [name for name in BLIND if batch(name)]


def learnt_as_it_came(names: list[str], with_rules: bool = True) -> Report:
    """Each named batch read by a reading fitted only on the batches written before it."""
    report = Report()
    for name in names:
        # The teaching posts (all clean, written to teach) are in every reading, as in the shipped one.
        earlier = [case for before in BATCHES[:BATCHES.index(name)] + TEACHING for case in batch(before)]
        reader = Reader(earlier)
        if with_rules:
            one = measure(batch(name), CONTACTS, reader)
        else:
            one = Report()
            # The reading alone: what it would say on each post if no rule had fired (its premises hold).
            for case in batch(name):
                flagged = bool(reader.findings(Post(case.text), Context(), set()))
                if case.codes:
                    one.risky, one.risky_flagged = one.risky + 1, one.risky_flagged + flagged
                else:
                    one.clean, one.clean_flagged = one.clean + 1, one.clean_flagged + flagged
        report.risky += one.risky
        report.risky_flagged += one.risky_flagged
        report.clean += one.clean
        report.clean_flagged += one.clean_flagged
        report.misses += one.misses
        for code, score in one.codes.items():
            total = report.codes[code]
            total.true_pos += score.true_pos
            total.false_pos += score.false_pos
            total.false_neg += score.false_neg
    return report


def main(argv: list[str]) -> int:
    seen, held_out = load()
    for title, cases in (("rules alone, seen", seen), ("rules alone, held out", held_out)):
        report = measure(cases, CONTACTS, reader=False)
        print("\n".join(report.lines(title)), end="\n\n")
        if "--misses" in argv:
            for text, expected, found in report.misses:
                print(f"  - expected {sorted(expected)} found {sorted(found)}: {text}")
            print()
    recent = shipped_blind()[-RECENT:]
    alone = learnt_as_it_came(recent, with_rules=False)
    print(f"learnt reading alone (as it would speak were no rule to fire), each of the last {len(recent)} batches read by a reading fitted on the "
          f"batches before it: {alone.risky_flagged}/{alone.risky} risky flagged, "
          f"{alone.clean_flagged}/{alone.clean} clean flagged\n")
    both = learnt_as_it_came(recent)
    print("\n".join(both.lines("rules + learnt reading, the same way (rules as they are now)")), end="\n\n")
    texts = [case.text for case in seen + held_out]
    run(texts[0], contacts=CONTACTS)  # fit the shipped reading before timing
    timings = []
    for text in texts:
        started = time.perf_counter()
        run(text, contacts=CONTACTS)
        timings.append(time.perf_counter() - started)
    print(f"timing: {len(texts)} texts, mean {1000 * sum(timings) / len(timings):.2f} ms, "
          f"slowest {1000 * max(timings):.2f} ms per text")
    started = time.perf_counter()
    Reader([case for name in BATCHES for case in batch(name)])
    print(f"fitting the learnt reading on {len(texts)} texts: {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
