"""Crier's labelled posts: realistic texts, each with the codes a careful verifier
expects (none for a clean one). The tests and the benchmark measure the checks on
them, and the learnt reading (``learned.py``) learns from them.

They are in ``corpus/`` as YAML lists, one file per batch, in the order they were
written: each batch after the first two was written blind and measured once before
the rules were changed because of it (docs/checks.md has those first figures).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
#: The first corpus: tuned on, except every fourth text.
FIRST = ("corpus_risky.yaml", "corpus_clean.yaml")
#: The blind batches, in the order they were first measured.
BLIND = ("corpus_fresh.yaml", "corpus_final.yaml", "corpus_last.yaml", "corpus_fifth.yaml",
         "corpus_sixth.yaml", "corpus_seventh.yaml", "corpus_eighth.yaml", "corpus_ninth.yaml",
         "corpus_tenth.yaml", "corpus_eleventh.yaml", "corpus_twelfth.yaml", "corpus_thirteenth.yaml",
         "corpus_fourteenth.yaml", "corpus_fifteenth.yaml", "corpus_sixteenth.yaml",
         "corpus_seventeenth.yaml", "corpus_eighteenth.yaml", "corpus_nineteenth.yaml",
         "corpus_twentieth.yaml", "corpus_twentyfirst.yaml", "corpus_twentysecond.yaml", "corpus_pairs.yaml",
         "corpus_twentythird.yaml", "corpus_twentyfourth.yaml", "corpus_twentyfifth.yaml",
         "corpus_twentyeighth.yaml", "corpus_twentyseventh.yaml", "corpus_twentyninth.yaml",
         "corpus_twentysixth.yaml", "corpus_thirtieth.yaml", "corpus_thirtythird.yaml",
         "corpus_thirtyfirst.yaml", "corpus_thirtysecond.yaml", "corpus_thirtyfifth.yaml",
         "corpus_thirtysixth.yaml", "corpus_thirtyfourth.yaml", "corpus_thirtyseventh.yaml",
         "corpus_thirtyninth.yaml", "corpus_thirtyeighth.yaml", "corpus_fortyfirst.yaml",
         "corpus_fortysecond.yaml", "corpus_fortieth.yaml", "corpus_fortythird.yaml",
         "corpus_fortyseventh.yaml", "corpus_fortyfourth.yaml",
         "corpus_fortyninth.yaml", "corpus_fiftieth.yaml",
         "corpus_fortysixth.yaml", "corpus_fortyfifth.yaml",
         "corpus_fortyeighth.yaml", "corpus_fiftyfirst.yaml", "corpus_fiftysecond.yaml")
#: Posts written to teach rather than to measure: plain everyday posts, all clean.
TEACHING = ("corpus_plain.yaml",)
BATCHES = FIRST + BLIND + TEACHING


@dataclass(frozen=True)
class Case:
    """A labelled text: the codes a careful verifier expects (none for a clean text)."""

    text: str
    codes: frozenset[str] = frozenset()
    batch: str = ""


@cache
def batch(name: str) -> tuple[Case, ...]:
    """One batch's cases, in the file's order (none for a batch not shipped)."""
    if not (CORPUS / name).exists():
        return ()
    entries = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8")) or []
    return tuple(Case(entry["text"], frozenset(entry.get("codes") or ()), name) for entry in entries)


def cases(names: tuple[str, ...] = BATCHES) -> list[Case]:
    """Every case of the named batches, batch by batch."""
    return [case for name in names for case in batch(name)]
