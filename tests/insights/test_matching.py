"""Matching profile locations to the gazetteer: a table of real-world spellings, traps and junk,
and the local share of whole fixed-seed populations against their truth."""

from __future__ import annotations

import pytest

from channels.simulators.population import FAR, JUNK, LOCAL, TRAPS, make_population, true_local_share
from workflow.insights.gazetteer import DEMO_GAZETTEER
from workflow.insights.matching import Matcher, place_key, segments

MATCHER = Matcher((area, name) for area, names in DEMO_GAZETTEER.items() for name in names)
ANY = None
NORTH, SOUTH, CENTRE = {"North"}, {"South"}, {"City Centre"}

#: (profile location, areas asked about, the place expected or None)
TABLE = [
    # case, punctuation, whitespace
    ("Hanley", CENTRE, "Hanley"),
    ("hanley", CENTRE, "Hanley"),
    ("HANLEY", CENTRE, "Hanley"),
    ("  Hanley.  ", CENTRE, "Hanley"),
    ("#Burslem", NORTH, "Burslem"),
    ("Joiners Square", CENTRE, "Joiner's Square"),
    ("joiner’s square", CENTRE, "Joiner's Square"),
    ("Hanley\u00a0", CENTRE, "Hanley"),
    # hyphens and on / upon
    ("Stoke-on-Trent", ANY, "Stoke-on-Trent"),
    ("Stoke on Trent", ANY, "Stoke-on-Trent"),
    ("stoke-upon-trent", ANY, "Stoke-on-Trent"),
    ("Stoke Upon Trent", ANY, "Stoke-on-Trent"),
    ("STOKE ON TRENT", ANY, "Stoke-on-Trent"),
    ("StokeOnTrent", ANY, "Stoke-on-Trent"),
    ("Meir-Heath", SOUTH, "Meir Heath"),
    # county and country after the name
    ("Tunstall, Staffs", NORTH, "Tunstall"),
    ("Tunstall, Staffordshire, UK", NORTH, "Tunstall"),
    ("Longton, Stoke-on-Trent, UK", SOUTH, "Longton"),
    ("Fenton, England", SOUTH, "Fenton"),
    ("Kidsgrove, United Kingdom", NORTH, "Kidsgrove"),
    ("Shelton, Stoke-on-Trent, England", CENTRE, "Shelton"),
    ("LONGTON STOKE ON TRENT", SOUTH, "Longton"),
    ("Trentham, North Staffs", SOUTH, "Trentham"),
    ("Burslem U.K.", NORTH, "Burslem"),
    # postcodes in the text
    ("ST6", NORTH, "ST6"),
    ("st6 5ab", NORTH, "ST6"),
    ("ST6 5AB", NORTH, "ST6"),
    ("ST65AB", NORTH, "ST6"),
    ("Norton, ST6", NORTH, "Norton"),
    ("Etruria, ST4 7QB", CENTRE, "Etruria"),
    ("ST1 3DW", CENTRE, "ST1"),
    ("ST3", SOUTH, "ST3"),
    # emoji and flags around names
    ("📍Hanley", CENTRE, "Hanley"),
    ("Hanley 🏴󠁧󠁢󠁥󠁮󠁧󠁿", CENTRE, "Hanley"),
    ("Longton 🇬🇧🏴󠁧󠁢󠁥󠁮󠁧󠁿", SOUTH, "Longton"),
    ("Trentham 🌳", SOUTH, "Trentham"),
    ("❤️Burslem❤️", NORTH, "Burslem"),
    ("Burslem - Mother Town 🏺", NORTH, "Burslem"),
    ("Kidsgrove🇬🇧", NORTH, "Kidsgrove"),
    # lead-ins and lists
    ("living in Hanley", CENTRE, "Hanley"),
    ("born and bred in Burslem", NORTH, "Burslem"),
    ("Burslem/Tunstall", NORTH, "Burslem"),
    ("Tunstall (Stoke)", NORTH, "Tunstall"),
    ("Hanley & Shelton", CENTRE, "Hanley"),
    # the neighbourhood decides
    ("Hanley", NORTH, None),
    ("Burslem", SOUTH, None),
    ("Stoke-on-Trent", NORTH, None),
    ("Hanley, Stoke-on-Trent", ANY, "Hanley"),
    ("Stoke-on-Trent, Hanley", ANY, "Hanley"),
    ("The Potteries", ANY, "The Potteries"),
    # a place whose name merely contains a gazetteer word is not a match
    ("Stoke Newington", ANY, None),
    ("Stoke Newington, London", ANY, None),
    ("Stoke Gifford, Bristol", ANY, None),
    ("Stoke Poges", ANY, None),
    ("Stoke Mandeville", ANY, None),
    ("Stokesley", ANY, None),
    ("Hanley Swan", CENTRE, None),
    ("Hanley Castle, Worcestershire", CENTRE, None),
    ("Burslem Road, Leicester", NORTH, None),
    ("Longtown, Cumbria", SOUTH, None),
    ("Kidsgrove Road, Stafford", NORTH, None),
    # the same name elsewhere
    ("Longton, Kansas", SOUTH, None),
    ("Fenton, MI", SOUTH, None),
    ("Trentham, Victoria, Australia", SOUTH, None),
    ("Tunstall, Suffolk", NORTH, None),
    ("Meir, Egypt", SOUTH, None),
    ("Dresden, Germany", SOUTH, None),
    # postcodes of other places
    ("ST16 2AB", ANY, None),
    ("M1 1AE", ANY, None),
    ("ST", ANY, None),
    # far places and non-places
    ("London", ANY, None),
    ("Newcastle upon Tyne", ANY, None),
    ("Staffordshire", ANY, None),
    ("Staffs", ANY, None),
    ("UK", ANY, None),
    ("England", ANY, None),
    ("", ANY, None),
    ("   ", ANY, None),
    ("🌍", ANY, None),
    ("🏳️‍🌈", ANY, None),
    ("she/her", ANY, None),
    ("Your mum's house", ANY, None),
    ("127.0.0.1", ANY, None),
    ("stoke stoke stoke newington", ANY, None),
    ("Hanley" * 100, ANY, None),
]


@pytest.mark.parametrize("location,areas,expected", TABLE, ids=[repr(row[0])[:40] for row in TABLE])
def test_a_location_names_the_expected_place(location, areas, expected):
    assert MATCHER.match(location, areas) == expected


def test_every_spelling_the_simulator_gives_a_local_follower_is_matched_to_its_area():
    for area, spellings in LOCAL.items():
        wanted = None if area == "*" else {area}
        for spelling in spellings:
            assert MATCHER.match(spelling, wanted) is not None, (area, spelling)


def test_no_trap_far_place_or_junk_is_ever_local():
    for location in TRAPS + FAR + JUNK:
        assert MATCHER.match(location, None) is None, location


def test_a_home_county_confirms_a_place_and_is_never_one():
    assert MATCHER.home_counties >= {"staffordshire", "staffs", "north staffs"}
    assert "staffordshire" not in MATCHER.places
    without = Matcher([("North", "Tunstall")])  # no home county named: every county is elsewhere
    assert without.match("Tunstall, Staffs") is None
    assert without.match("Tunstall") == "Tunstall"


def test_keys_make_spellings_alike():
    assert place_key("Stoke-upon-Trent") == place_key("stoke on trent") == "stoke on trent"
    assert place_key("Joiner's Square") == "joiners square"
    assert segments("Hanley, 🏴󠁧󠁢󠁥󠁮󠁧󠁿 Stoke") == [["hanley"], ["stoke"]]
    assert segments("x" * 10_000) == [["x" * 200]]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("areas", [None, {"North"}, {"South"}, {"City Centre"}])
def test_the_local_share_of_a_population_is_within_two_points_of_the_truth(seed, areas):
    people = make_population(3000, seed)
    found = sum(1 for p in people if MATCHER.match(p.location, areas) is not None)
    assert abs(found / len(people) - true_local_share(people, areas)) <= 0.02


def test_a_mix_of_only_local_spellings_is_all_local_and_of_only_traps_none():
    local = make_population(500, 9, {"North": 1.0})
    assert all(MATCHER.match(p.location, {"North"}) for p in local)
    traps = make_population(500, 9, {"trap": 0.5, "junk": 0.5})
    assert not any(MATCHER.match(p.location) for p in traps)
