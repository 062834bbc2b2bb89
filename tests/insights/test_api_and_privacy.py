"""The insights API's shapes, and data protection: after collections, scans and visits, a dump of
the whole database holds no follower's id, handle, name or raw location, only counts per place."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from channels.simulators.population import from_locations
from tests.api.conftest import conforms
from tests.conftest import make_account
from tests.insights.conftest import add_facebook, add_x, published
from workflow.core.database import utcnow
from workflow.insights import collection, passes
from workflow.insights.gazetteer import DEMO_GAZETTEER
from workflow.insights.matching import place_key
from workflow.insights.models import AudienceCollection

#: Locations no place name contains: if any reaches the database, a raw location was stored.
MARKERS = [
    "Zanzibar Lane 4471, Hanley",
    "flat 9 Quokka Court Burslem",
    "🦜 parrot island 🦜",
    "Snorlax Towers, ST6 9ZZ",
    "my nan's (Longton)",
]


def test_insight_accounts_lists_every_audience_account_with_its_latest_figures(
    runtime, session, api, officer, x_sim, graph_sim, places
):
    x, _ = add_x(session, x_sim, "North X", area="North", followers=1200)
    fb, _ = add_facebook(session, graph_sim, "Force Facebook", followers=400)
    never, _ = add_x(session, x_sim, "South X", area="South")
    ids = (x.id, fb.id, never.id)
    make_account(session, "website", "Force website")
    for account_id in ids[:2]:
        assert collection.collect_audience(runtime, account_id).status == "complete"
    body = conforms(api(officer).get("/insights/accounts"), "GET", "/insights/accounts")
    rows = {row["account"]: row for row in body["accounts"]}
    assert set(rows) == set(ids)  # X and Facebook accounts; never the website
    north = rows[ids[0]]
    assert north["followers"] == 1200 and north["collected_at"]
    assert north["local_share"] == pytest.approx(north["local_followers"] / north["followers_read"], abs=1e-4)
    assert set(north) >= {"account", "followers", "local_followers", "local_share", "collected_at"}
    assert rows[ids[2]] | {} == {
        **rows[ids[2]],
        "followers": None,
        "local_followers": None,
        "local_share": None,
        "collected_at": None,
    }


def test_one_account_s_history_and_places(runtime, session, api, officer, x_sim, places):
    x, _ = add_x(session, x_sim, "Centre X", area="City Centre", followers=900)
    x_id = x.id
    collection.collect_audience(runtime, x_id)
    x_sim.audience.populate(account_user_id(session, x_id), 1100, seed=2)
    collection.collect_audience(runtime, x_id)
    body = conforms(api(officer).get(f"/insights/accounts/{x_id}"), "GET", "/insights/accounts/{account_id}")
    assert [h["followers"] for h in body["history"]] == [900, 1100]
    assert body["followers"] == 1100 and body["collecting"] is None
    assert sum(p["followers"] for p in body["places"]) == body["local_followers"]
    assert {p["place"] for p in body["places"]} <= set(DEMO_GAZETTEER["City Centre"])
    counts = [p["followers"] for p in body["places"]]
    assert counts == sorted(counts, reverse=True)


def account_user_id(session, account_id):
    from workflow.accounts.channel_accounts import account_credentials, get_account

    user_id = account_credentials(session, get_account(session, account_id))["user_id"]
    session.commit()
    return user_id


def test_unknown_accounts_and_messages_are_404_and_a_token_is_needed(runtime, session, api, officer):
    website = make_account(session, "website", "Force website")
    for path in (
        "/insights/accounts/999999",
        f"/insights/accounts/{website.id}",
        "/messages/999999/engagement",
    ):
        response = api(officer).get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    for path in ("/insights/accounts", f"/insights/accounts/{website.id}", "/messages/1/engagement"):
        assert api(None).get(path).status_code == 401


def test_a_database_dump_after_collections_holds_no_follower(
    runtime, session, officer, supervisor, x_sim, graph_sim, places, database_dump, app
):
    x, people = add_x(session, x_sim, "Force X", followers=2600, seed=21)
    north, north_people = add_x(session, x_sim, "North X", area="North", followers=1500, seed=22)
    fb, _ = add_facebook(session, graph_sim, "Force Facebook", followers=700)
    marked = from_locations(MARKERS * 20, first_id=1_300_000_000_000)
    x_sim.audience.set_followers(account_user_id(session, north.id), north_people + marked)
    x_sim.audience.limits["followers"] = (2, 1.0)  # scans stop mid-way and resume: cursors are stored too
    published(runtime, session, officer, supervisor, [x.id, fb.id])
    before = database_dump()
    first = passes.collect(runtime)
    assert first.count("waiting") == 1  # the force's scan stopped mid-way, its cursor stored
    x_sim.audience.limits["followers"] = (15, 900.0)
    _wait_for_the_stored_reset(runtime)
    assert passes.collect(runtime).count("complete") == 1
    assert passes.collect(runtime, fresh=True).count("complete") == 3
    dump = database_dump()
    assert "audience_place_counts" in dump and "Burslem" in dump  # the counts are there
    names = {
        w.lower() for names in DEMO_GAZETTEER.values() for name in names for w in (name, place_key(name))
    }
    leaked = []
    for person in people + north_people + marked:
        for value in (person.id, person.username, person.name):
            if value in dump:
                leaked.append(value)
        location = person.location.strip()
        # A location that is a place's own name (or part of one) is stored as that place; any other
        # must not appear once more than it did before the collections.
        if (
            len(location) >= 6
            and not any(location.lower() in name for name in names)
            and dump.count(location) > before.count(location)
        ):
            leaked.append(location)
    assert leaked == []
    for marker in MARKERS:
        assert marker not in dump and "Zanzibar" not in dump and "Quokka" not in dump


def _wait_for_the_stored_reset(runtime) -> None:
    """Sleep until the waiting scan's stored resume time (X's reset, whole seconds) has passed."""
    with runtime.session() as s:
        resume_at = s.execute(select(func.max(AudienceCollection.resume_at))).scalar_one()
    assert resume_at is not None
    time.sleep(max(0.0, (resume_at - utcnow()).total_seconds()) + 0.2)

