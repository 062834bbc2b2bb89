"""Realistic fake followers for the simulators, from a fixed seed.

Profile locations come in every spelling a real profile has (case, hyphens,
"upon", county and country after the name, postcodes, emoji and flags), mixed
with places outside the demo force (Stoke-on-Trent's North, South and City
Centre neighbourhoods), traps that merely contain a local word, and non-places.
Each follower carries its ``truth``: the area it lives in, or None, so a test
knows the real local share of any population it builds.
"""
from __future__ import annotations

import dataclasses
import random
from typing import Mapping, Sequence

#: Spellings of places in each demo area ("*": the city as a whole, in no one neighbourhood).
LOCAL: dict[str, tuple[str, ...]] = {
    "City Centre": (
        "Hanley", "hanley", "HANLEY", "Hanley, Stoke-on-Trent", "Hanley, Stoke on Trent, UK", "Shelton",
        "Etruria", "Hanley 🏴󠁧󠁢󠁥󠁮󠁧󠁿", "📍Hanley", "Cobridge, Staffs",
        "ST1", "ST1 3DW", "st1 5ab", "Shelton, Stoke-on-Trent, England", "Hanley.", "Birches Head",
        "living in Hanley", "Hanley ❤️", "Etruria, ST4 7QB",
    ),
    "North": (
        "Burslem", "BURSLEM", "Burslem, Stoke-on-Trent", "Tunstall", "Tunstall, Staffs", "Kidsgrove",
        "Smallthorne", "Goldenhill", "Chell", "Chell Heath", "Norton, ST6", "ST6 5AB", "st6", "Packmoor",
        "Burslem - Mother Town 🏺", "Tunstall, Staffordshire, UK", "Kidsgrove 🇬🇧", "Burslem/Tunstall",
        "born and bred in Burslem", "#Burslem", "Tunstall (Stoke)",
    ),
    "South": (
        "Longton", "longton", "Longton, Stoke-on-Trent, UK", "Fenton", "Meir", "Meir Heath", "Trentham",
        "Trentham 🌳", "Blurton", "Normacot", "ST3 1AA", "ST3", "Fenton, England", "LONGTON STOKE ON TRENT",
        "Trentham, Staffordshire", "Meir Park", "Lightwood", "Longton 🇬🇧🏴󠁧󠁢󠁥󠁮󠁧󠁿", "Dresden, Stoke",
    ),
    "*": (
        "Stoke-on-Trent", "Stoke on Trent", "stoke-on-trent", "STOKE ON TRENT", "Stoke",
        "Stoke-On-Trent, England", "Stoke on Trent, UK", "The Potteries", "Stoke-on-Trent 🏺", "StokeOnTrent",
        "Stoke, Staffs", "Stoke-on-Trent, United Kingdom", "Stoke-upon-Trent", "Stoke upon Trent",
    ),
}
FAR = (
    "London", "London, England", "Manchester", "Birmingham, UK", "Leeds", "Derby", "Crewe", "Leek",
    "Stafford", "Newcastle upon Tyne", "Nottingham 🏴󠁧󠁢󠁥󠁮󠁧󠁿", "Cardiff, Wales", "Glasgow", "Dublin, Ireland",
    "New York, NY", "Paris 🇫🇷", "Sydney, Australia", "Liverpool", "M1 1AE", "B4 7DA", "Bristol",
    "Uttoxeter", "Cheadle, Staffs", "Macclesfield",
)
#: Non-local places whose names contain a local word.
TRAPS = (
    "Stoke Newington", "Stoke Newington, London", "Stoke Gifford, Bristol", "Stoke Poges", "Longton, Kansas",
    "Fenton, MI", "Trentham, Victoria, Australia", "Hanley Swan", "Hanley Castle, Worcestershire",
    "Tunstall, Suffolk", "Burslem Road, Leicester", "Meir, Egypt", "Kidsgrove Road, Stafford",
    "Normacot Avenue, Derby", "ST16 2AB", "Stoke Mandeville", "Stokesley", "Longtown, Cumbria",
)
JUNK = (
    "", "", "", "", "Earth", "Worldwide", "she/her", "Your mum's house", "🌍", "here", "☕️ & books",
    "127.0.0.1", "Somewhere over the rainbow", "the internet", "🏳️‍🌈", "ST", "stoke stoke stoke newington",
    "Ask me", "⚽️🏺", "UK", "England", "Staffordshire",
)
#: Where Meta places the far cities that are not in England.
ELSEWHERE = {"Cardiff": "Wales, United Kingdom", "Glasgow": "Scotland, United Kingdom", "Dublin": "Ireland",
             "New York": "New York, United States", "Sydney": "New South Wales, Australia"}
#: The default mix of a population: share of each kind.
DEFAULT_MIX: Mapping[str, float] = {"City Centre": 0.16, "North": 0.14, "South": 0.14, "*": 0.08,
                                    "far": 0.2, "trap": 0.1, "junk": 0.18}
_FIRST = ("potters", "stokie", "oatcake", "valeparkfan", "bottlekiln", "jen", "dave", "mo", "sue", "raj",
          "kiln", "trent", "lizzie", "mark", "ade", "pat", "cobalt", "marl", "saggar", "jasper")


@dataclasses.dataclass(frozen=True)
class FakeFollower:
    """One follower: X's ``id``, ``username`` and ``name``, the profile ``location`` and its truth."""

    id: str
    username: str
    name: str
    location: str
    truth: str | None

    def as_user(self, fields: set[str]) -> dict[str, str]:
        """The follower as X's user object, ``location`` only when asked for and set (as X does)."""
        user = {"id": self.id, "name": self.name, "username": self.username}
        if "location" in fields and self.location:
            user["location"] = self.location
        return user


def make_population(count: int, seed: int = 13, mix: Mapping[str, float] | None = None,
                    first_id: int = 1_100_000_000_000) -> list[FakeFollower]:
    """``count`` followers drawn with ``seed`` from ``mix`` (area names, "far", "trap", "junk")."""
    rng = random.Random(seed)
    weights = dict(mix or DEFAULT_MIX)
    kinds = list(weights)
    people = []
    for n in range(max(0, int(count))):
        kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
        if kind in LOCAL:
            location, truth = rng.choice(LOCAL[kind]), kind
        else:
            location, truth = rng.choice({"far": FAR, "trap": TRAPS}.get(kind, JUNK)), None
        handle = f"{rng.choice(_FIRST)}{rng.randint(1, 9999)}"
        people.append(FakeFollower(str(first_id + n * 37), handle, handle.title(), location, truth))
    return people


def from_locations(locations: Sequence[str], first_id: int = 1_200_000_000_000) -> list[FakeFollower]:
    """Followers with exactly these profile locations (their truth unknown)."""
    return [FakeFollower(str(first_id + n * 41), f"follower{n}", f"Follower {n}", str(loc), None)
            for n, loc in enumerate(locations)]


def true_local_share(people: Sequence[FakeFollower], areas: set[str] | None) -> float:
    """The real local share: followers living in ``areas`` (None: any area of the force) over all."""
    if not people:
        return 0.0
    local = sum(1 for p in people if p.truth is not None and (areas is None or p.truth in areas))
    return local / len(people)


def city_counts(people: Sequence[FakeFollower]) -> dict[str, int]:
    """Followers per city as Meta words them ("Stoke-on-Trent, England, United Kingdom")."""
    counts: dict[str, int] = {}
    for person in people:
        if person.truth is not None:
            city = "Stoke-on-Trent, England, United Kingdom"
        elif person.location in FAR and person.location.split(",")[0].replace(" ", "").isalpha():
            name = person.location.split(",")[0].strip()
            city = f"{name}, {ELSEWHERE.get(name, 'England, United Kingdom')}"
        else:
            continue
        counts[city] = counts.get(city, 0) + 1
    return counts
