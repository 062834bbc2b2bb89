"""Matching a follower's free-text profile location to the gazetteer's places.

A location is cut into segments at commas, slashes, brackets, spaced dashes,
emoji and flags. A segment names a place only when every word in it is
accounted for: a gazetteer place (hyphens, case, punctuation and "upon"/"on"
made alike; "StokeOnTrent" split at its capitals), a postcode district with or
without its inward code, a country word ("UK", "England"), one of the force's
home counties, or a lead-in ("living in", "born and bred in"). So "Stoke
Newington" never matches Stoke (Newington is unaccounted for), and "Hanley,
Stoke-on-Trent, UK" matches Hanley. A location that names a foreign country,
a US state or a county other than the force's own is never local ("Longton,
Kansas"; "Tunstall, Suffolk"). Exact words, never fuzzy: a near miss is not
counted, so the local share errs low rather than high.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

#: Longest text looked at (X allows 30 characters; anything longer is not a place).
MAX_CHARS = 200
MAX_PHRASE = 6

NEUTRAL = frozenset({"uk", "u k", "gb", "england", "english", "britain", "great britain", "united kingdom",
                     "europe", "eu", "the uk", "blighty"})
FILLER = frozenset({"in", "from", "near", "based", "living", "lives", "live", "born", "and", "bred", "the",
                    "proud", "to", "be", "of", "at", "originally", "currently", "now", "home", "sweet", "my",
                    "hometown", "home town"})
COUNTIES = frozenset({
    "bedfordshire", "beds", "berkshire", "berks", "buckinghamshire", "bucks", "cambridgeshire", "cambs",
    "cheshire", "cornwall", "cumbria", "derbyshire", "derbys", "devon", "dorset", "durham", "county durham",
    "essex", "gloucestershire", "glos", "hampshire", "hants", "herefordshire", "hertfordshire", "herts",
    "kent", "lancashire", "lancs", "leicestershire", "leics", "lincolnshire", "lincs", "merseyside",
    "norfolk", "northamptonshire", "northants", "northumberland", "nottinghamshire", "notts", "oxfordshire",
    "oxon", "rutland", "shropshire", "salop", "somerset", "staffordshire", "staffs", "north staffs",
    "north staffordshire", "suffolk", "surrey", "sussex", "east sussex", "west sussex", "tyne and wear",
    "warwickshire", "warks", "west midlands", "wiltshire", "wilts", "worcestershire", "worcs", "yorkshire",
    "north yorkshire", "south yorkshire", "west yorkshire", "east yorkshire", "yorks", "greater manchester",
    "greater london", "isle of wight", "cumberland", "westmorland", "middlesex", "avon", "cleveland",
})
FOREIGN = frozenset({
    "usa", "us", "u s", "u s a", "united states", "america", "canada", "australia", "new zealand", "nz",
    "ireland", "eire", "scotland", "wales", "northern ireland", "india", "pakistan", "south africa",
    "nigeria", "ghana", "kenya", "egypt", "france", "germany", "spain", "italy", "portugal", "netherlands",
    "holland", "belgium", "poland", "romania", "greece", "turkey", "china", "japan", "brazil", "mexico",
    "jamaica", "dubai", "uae", "singapore", "philippines", "sweden", "norway", "denmark", "finland",
    "switzerland", "austria", "victoria", "nsw", "new south wales", "queensland", "ontario", "texas",
    "kansas", "michigan", "california", "florida", "new york", "ohio", "virginia", "georgia", "tennessee",
    "illinois", "pennsylvania", "carolina", "north carolina", "south carolina", "arizona", "nevada",
    "mi", "ks", "tx", "ny", "nj", "ca", "fl", "ga", "nc", "va", "wa", "az", "nv", "ut", "mn", "wi", "il",
    "ky", "tn", "sc", "ia", "ne", "nm", "ct", "ri", "nh", "vt", "wv", "ak", "ar", "ms", "sd", "wy", "mt",
    "md", "dc",
})
_SEPARATORS = re.compile(r"[,;/|\\()\[\]{}<>+&·•–—\n\t]|\s-+\s|\s-+$|^-+\s")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_POSTCODE = re.compile(r"^([a-z]{1,2}\d[a-z\d]?)(\d[a-z]{2})?$")
_INWARD = re.compile(r"^\d[a-z]{2}$")
_DISTRICT = re.compile(r"^[a-z]{1,2}\d[a-z\d]?$")


def _separator_like(char: str) -> bool:
    """Emoji, flags, symbols and invisible joiners stand between names, never inside them."""
    category = unicodedata.category(char)
    return category[0] in "SC" and char not in "'’" or category == "Mn" and ord(char) > 0x2000


def _fold(text: str) -> str:
    """Accents off, and every emoji, flag or symbol a separator."""
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and ord(char) < 0x2000:
            continue
        out.append("," if _separator_like(char) else char)
    return "".join(out)


def words(text: str) -> list[str]:
    """The words of one segment as the matcher compares them (lower case, "upon" as "on", "saint" as "st")."""
    text = _CAMEL.sub(" ", text).casefold()
    text = re.sub(r"['’`]", "", text)
    text = re.sub(r"[^\w]+|_", " ", text)
    out: list[str] = []
    for word in text.split():
        postcode = _POSTCODE.match(word)
        if postcode and postcode.group(2):
            out += [postcode.group(1), postcode.group(2)]
        elif word == "upon":
            out.append("on")
        elif word == "saint":
            out.append("st")
        else:
            out.append(word)
    return out


def segments(location: str) -> list[list[str]]:
    """A profile location cut into segments of words."""
    text = _fold(str(location or "")[:MAX_CHARS])
    return [w for w in (words(part) for part in _SEPARATORS.split(text)) if w]


def place_key(name: str) -> str:
    """How a gazetteer place is compared: its words joined by single spaces."""
    return " ".join(w for part in segments(name) for w in part)


class Matcher:
    """Places of every area, ready to match locations against one area (or the whole force)."""

    def __init__(self, places: Iterable[tuple[str, str]]):
        self.places: dict[str, dict[str, str]] = {}  # key -> {area: the place's name}
        home: set[str] = set()
        for area, name in places:
            key = place_key(name)
            if not key:
                continue
            if key in COUNTIES:
                home.add(key)  # a home county confirms a place; it is not one itself
                continue
            self.places.setdefault(key, {})[area] = name
        self.home_counties = frozenset(home)
        self.foreign = FOREIGN | (COUNTIES - self.home_counties)

    def match(self, location: str, areas: set[str] | None = None) -> str | None:
        """The place of ``areas`` (None: any area) that ``location`` names, or None if it names none."""
        place = self.match_place(location, areas)
        return place[1] if place else None

    def match_place(self, location: str, areas: set[str] | None = None) -> tuple[str, str] | None:
        """``(area, place)`` of ``areas`` (None: any area) that ``location`` names, or None."""
        found: list[tuple[str, str]] = []
        for segment in segments(location):
            if self._foreign(segment):
                return None
            cover = self._cover(tuple(segment))
            if cover is not None:
                found.extend(cover)
        wanted = [(area, name) for area, name in found if areas is None or area in areas]
        specific = [pair for pair in wanted if pair[0] != "*"]
        if specific:
            return specific[0]
        return wanted[0] if wanted else None

    def _foreign(self, segment: list[str]) -> bool:
        for size in range(1, min(3, len(segment)) + 1):
            for start in range(len(segment) - size + 1):
                if " ".join(segment[start:start + size]) in self.foreign:
                    return True
        return False

    def _cover(self, segment: tuple[str, ...]) -> list[tuple[str, str]] | None:
        """The places a segment names if every word in it is accounted for, else None."""
        return _cover(self, segment)

    def _kind(self, phrase: str) -> str | None:
        if phrase in self.places:
            return "place"
        if phrase in NEUTRAL or phrase in FILLER or phrase in self.home_counties or _INWARD.match(phrase):
            return "word"
        return None


def _cover(matcher: Matcher, segment: tuple[str, ...]) -> list[tuple[str, str]] | None:
    @functools.cache
    def rest(start: int) -> tuple[tuple[str, str], ...] | None:
        if start == len(segment):
            return ()
        for end in range(min(len(segment), start + MAX_PHRASE), start, -1):
            phrase = " ".join(segment[start:end])
            kind = matcher._kind(phrase)
            if kind is None:
                continue
            after = rest(end)
            if after is None:
                continue
            if kind == "place":
                return tuple((area, name) for area, name in matcher.places[phrase].items()) + after
            return after
        return None

    found = rest(0)
    return list(found) if found else None


def is_postcode_district(text: str) -> bool:
    """Whether ``text`` is an outward postcode such as ``ST4``."""
    return bool(_DISTRICT.match(text.strip().casefold()))
