"""X's text rules: the weighted length and numbered threads.

X counts text with the twitter-text v3 configuration (280 weighted, a URL
counts 23, most CJK characters and emoji count 2, text NFC-normalised first);
the ``twitter-text-parser`` package implements it and every count here comes
from it. A text too long for one post becomes a numbered thread: each part
starts with ``"k/n "`` and the link to the full update ends the last part.
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Sequence

import regex
from twitter_text import parse_tweet
from twitter_text.has_invalid_characters import has_invalid_characters

MAX_WEIGHTED_LENGTH = 280

# A word that closes a sentence: terminal punctuation, then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?\u2026\u203c\u2047-\u2049\u3002\uff01\uff1f]+[\"'\u2019\u201d\u00bb)\]]*$")
_GRAPHEME = regex.compile(r"\X")


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text v3)."""
    return parse_tweet(text).weightedLength


def is_valid(text: str) -> bool:
    """Whether X accepts ``text`` as one post: not empty, within 280, no forbidden characters."""
    return parse_tweet(text).valid


def invalid_characters(text: str) -> list[str]:
    """The characters in ``text`` that X refuses, each once, in order of appearance."""
    found: list[str] = []
    for char in text:
        if char not in found and has_invalid_characters(char):
            found.append(char)
    return found


@functools.lru_cache(maxsize=4096)
def _piece_length(piece: str) -> int:
    return weighted_length(piece)


@dataclass(frozen=True)
class _Atom:
    """A word of the body (or a hard-split piece of one), by its offsets."""

    start: int
    end: int
    ends_sentence: bool


def _atoms(body: str) -> list[_Atom]:
    words = list(re.finditer(r"\S+", body))
    atoms = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        gap = "" if last else body[word.end():words[i + 1].start()]
        ends = last or "\n" in gap or "\r" in gap or bool(_SENTENCE_END.search(word.group()))
        atoms.append(_Atom(word.start(), word.end(), ends))
    return atoms


def _sentences(atoms: Sequence[_Atom]) -> list[list[_Atom]]:
    sentences: list[list[_Atom]] = [[]]
    for atom in atoms:
        sentences[-1].append(atom)
        if atom.ends_sentence:
            sentences.append([])
    return [s for s in sentences if s]


class _Layout:
    """Packs a body into numbered parts for one numbering width.

    ``reserve`` is the widest total of that width ("9", "99"...): every part is
    measured with the prefix ``"k/<reserve> "`` so that the real numbering,
    written once the count is known, never makes a part longer.
    """

    def __init__(self, body: str, link: str | None, limit: int, reserve: str, exact: bool):
        self.body = body
        self.link = link
        self.limit = limit
        self.reserve = reserve
        self.exact = exact

    def text(self, atoms: Sequence[_Atom]) -> str:
        return self.body[atoms[0].start:atoms[-1].end] if atoms else ""

    def render(self, atoms: Sequence[_Atom], number: int, total: str, with_link: bool) -> str:
        pieces = [f"{number}/{total}"]
        if atoms:
            pieces.append(self.text(atoms))
        if with_link and self.link:
            pieces.append(self.link)
        return " ".join(pieces)

    def measure(self, atoms: Sequence[_Atom], number: int, with_link: bool = False) -> int:
        if self.exact:
            return weighted_length(self.render(atoms, number, self.reserve, with_link))
        # Words separated by whitespace are counted independently by twitter-text
        # (URLs and emoji never span whitespace), so a part's length is the sum of
        # its words and gaps; the finished parts are re-measured exactly anyway.
        total = len(f"{number}/{self.reserve}")
        previous: _Atom | None = None
        for atom in atoms:
            gap = self.body[previous.end:atom.start] if previous else " "
            if gap:
                total += _piece_length(gap)
            total += _piece_length(self.body[atom.start:atom.end])
            previous = atom
        if with_link and self.link:
            total += 1 + _piece_length(self.link)
        return total

    def fits(self, atoms: Sequence[_Atom], number: int, with_link: bool = False) -> bool:
        return self.measure(atoms, number, with_link) <= self.limit

    def hard_split(self, atom: _Atom, number: int) -> tuple[_Atom, _Atom]:
        """The longest head of a too-long word that fills part ``number``, and the rest."""
        graphemes = [m.end() for m in _GRAPHEME.finditer(self.body, atom.start, atom.end)]
        # Whole characters (graphemes) where possible; a single grapheme that is
        # itself too long (a pile of combining marks) is cut between code points.
        for bounds in (graphemes, list(range(atom.start + 1, atom.end + 1))):
            cut = self._longest_head(atom.start, bounds[:-1], number)
            if cut is not None:
                return _Atom(atom.start, cut, False), _Atom(cut, atom.end, atom.ends_sentence)
        raise ValueError(f"a limit of {self.limit} leaves no room for text")

    def _longest_head(self, start: int, bounds: Sequence[int], number: int) -> int | None:
        """The furthest of ``bounds`` such that ``body[start:bound]`` fills part ``number``."""
        if not self.exact:
            # Count the word character by character (cheap), then measure the head
            # as a whole; only if that disagrees (a link inside the word counts 23)
            # search with whole measurements.
            room = self.limit - len(f"{number}/{self.reserve} ")
            best, used, previous = None, 0, start
            for bound in bounds:
                used += _piece_length(self.body[previous:bound])
                if used > room:
                    break
                best, previous = bound, bound
            if best is not None and self.fits([_Atom(start, best, False)], number):
                return best
        # Binary search assumes the length grows with the head; each answer is then checked.
        low, high = 0, len(bounds)
        while low < high:
            mid = (low + high + 1) // 2
            if self.fits([_Atom(start, bounds[mid - 1], False)], number):
                low = mid
            else:
                high = mid - 1
        while low > 0 and not self.fits([_Atom(start, bounds[low - 1], False)], number):
            low -= 1
        return bounds[low - 1] if low else None

    def pack(self, atoms: Sequence[_Atom]) -> list[list[_Atom]]:
        parts: list[list[_Atom]] = []
        current: list[_Atom] = []

        def number() -> int:
            return len(parts) + 1

        for sentence in _sentences(atoms):
            if self.fits(current + sentence, number()):
                current += sentence
                continue
            if current and self.fits(sentence, number() + 1):
                parts.append(current)
                current = list(sentence)
                continue
            # The sentence needs more than a part of its own: fill by words.
            words = list(reversed(sentence))
            while words:
                word = words.pop()
                if self.fits(current + [word], number()):
                    current.append(word)
                    continue
                if current:
                    parts.append(current)
                    current = []
                if self.fits([word], number()):
                    current = [word]
                    continue
                head, rest = self.hard_split(word, number())
                parts.append([head])
                words.append(rest)
        self._attach_link(parts, current)
        return parts

    def _attach_link(self, parts: list[list[_Atom]], current: list[_Atom]) -> None:
        """End the last part with the link, moving its tail to a new part if needed."""
        last = len(parts) + 1
        if not self.link or self.fits(current, last, with_link=True):
            parts.append(current)
            return
        # Move the whole last sentence with the link if it fits, else as much of
        # its end as fits; the part before keeps at least one word.
        sentence_starts = [i for i in range(1, len(current)) if current[i - 1].ends_sentence]
        first = sentence_starts[-1] if sentence_starts else 1
        for cut in range(first, len(current)):
            if self.fits(current[cut:], last + 1, with_link=True):
                parts.append(current[:cut])
                parts.append(current[cut:])
                return
        if not self.fits([], last + 1, with_link=True):
            raise ValueError("the link is too long for a post")
        parts.append(current)
        parts.append([])


def split_thread(text: str, link: str | None = None, limit: int = MAX_WEIGHTED_LENGTH) -> list[str]:
    """The posts X will carry for ``text``: one post if it fits with its link, else a numbered thread.

    Parts start with ``"k/n "``, break at sentence ends where possible, and the link ends the last part.
    """
    body = text.strip()
    link = (link or "").strip() or None
    single = " ".join(p for p in (body, link) if p)
    if not single:
        return []
    if weighted_length(single) <= limit:
        return [single]
    if not body:
        raise ValueError("the link is too long for a post")
    atoms = _atoms(body)
    for exact in (False, True):
        posts = _layout(body, atoms, link, limit, exact)
        if all(weighted_length(post) <= limit for post in posts):
            return posts
    raise AssertionError("an exactly measured thread has a part over the limit")  # pragma: no cover


def _layout(body: str, atoms: list[_Atom], link: str | None, limit: int, exact: bool) -> list[str]:
    for digits in itertools.count(1):
        reserve = "9" * digits
        layout = _Layout(body, link, limit, reserve, exact)
        parts = layout.pack(atoms)
        if len(parts) <= int(reserve):
            total = str(len(parts))
            last = len(parts)
            return [layout.render(p, i, total, with_link=(i == last)) for i, p in enumerate(parts, 1)]
    raise AssertionError("unreachable")  # pragma: no cover


def strip_numbering(post: str) -> str:
    """``post`` without a leading ``"k/n "`` thread number."""
    return re.sub(r"^\d+/\d+ ", "", post, count=1)

