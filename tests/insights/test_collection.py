"""Collecting audiences against the simulators: follower counts, local share against the truth,
X's follower pages within its rate limits (our windows, its remaining count, its 429), resuming
where a scan stopped, and Facebook's followers and Meta's cities where Meta gives them."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from channels.simulators.population import true_local_share
from tests.insights.conftest import add_facebook, add_x
from workflow.accounts.channel_accounts import account_credentials
from workflow.core.runtime import vault_of
from workflow.delivery.ratelimit import SQLiteLimiter, limits_for
from workflow.insights import collection, gazetteer, passes
from workflow.insights.models import AudienceCollection, PlaceCount


def collections_of(session, account_id):
    rows = list(
        session.execute(
            select(AudienceCollection)
            .where(AudienceCollection.account_id == account_id)
            .order_by(AudienceCollection.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    session.commit()  # SQLite: never hold the write lock while the service works
    return rows


def place_counts(session, collection_id) -> dict[str, int]:
    counts = {
        p.place: p.followers
        for p in session.execute(
            select(PlaceCount).where(PlaceCount.collection_id == collection_id)
        ).scalars()
    }
    session.commit()
    return counts


def wait_past(moment) -> None:
    """Sleep until the wall clock is past ``moment`` (a rate-limit window's reset)."""
    while time.time() <= moment.timestamp():
        time.sleep(0.1)


@pytest.mark.parametrize("area", [None, "North", "South"])
def test_an_x_account_s_local_share_is_within_a_few_points_of_the_truth(
    runtime, session, x_sim, places, area
):
    account, people = add_x(session, x_sim, "Audience", area=area, followers=3200, seed=5)
    outcome = collection.collect_audience(runtime, account.id)
    assert outcome.status == "complete" and outcome.pages == 4
    [row] = collections_of(session, account.id)
    assert (row.state, row.followers, row.followers_read, row.pages) == ("complete", 3200, 3200, 4)
    truth = true_local_share(people, {area} if area else None)
    assert abs(row.local_share - truth) <= 0.03
    counts = place_counts(session, row.id)
    assert sum(counts.values()) == row.local_followers
    if area:
        assert set(counts) <= {p.name for p in places_of(session, area)}


def places_of(session, area):
    rows = gazetteer.places(session, area)
    session.commit()
    return rows


def test_a_scan_stops_when_x_says_the_window_is_used_up_and_resumes_after_its_reset(
    runtime, session, x_sim, places
):
    account, people = add_x(session, x_sim, "North X", area="North", followers=4500, seed=8)
    x_sim.audience.limits["followers"] = (2, 3.0)  # 2 pages per 3 seconds, so the test waits seconds
    first = collection.collect_audience(runtime, account.id)
    assert (first.status, first.pages) == ("waiting", 2)
    [row] = collections_of(session, account.id)
    assert (row.state, row.pages, row.followers_read) == ("running", 2, 2000)
    assert row.cursor and row.resume_at is not None
    calls = x_sim.audience.calls["followers"]
    # Before X's reset nothing is asked of X.
    assert collection.collect_audience(runtime, account.id).status == "skipped"
    assert x_sim.audience.calls["followers"] == calls
    wait_past(row.resume_at)
    second = collection.collect_audience(runtime, account.id)
    assert (second.status, second.pages) == ("waiting", 2)
    wait_past(collections_of(session, account.id)[0].resume_at)
    third = collection.collect_audience(runtime, account.id)
    assert (third.status, third.pages) == ("complete", 1)
    [row] = collections_of(session, account.id)
    # Every follower counted exactly once across the three turns.
    assert (row.followers_read, row.pages) == (4500, 5)
    local = sum(1 for p in people if collection_matcher(session).match(p.location, {"North"}))
    assert row.local_followers == local
    assert abs(row.local_share - true_local_share(people, {"North"})) <= 0.03


def collection_matcher(session):
    found = gazetteer.matcher(session)
    session.commit()
    return found


def test_a_429_mid_scan_is_honoured_until_x_s_reset_and_the_scan_resumes_at_the_same_page(
    runtime, session, x_sim, places
):
    account, people = add_x(session, x_sim, "Force X", followers=3000, seed=3)
    x_sim.audience.limits["followers"] = (15, 2.0)
    user_id = account_user_id(session, account)
    # Someone else used the window up: X answers 429 with its reset.
    x_sim.audience.exhaust(user_id)
    first = collection.collect_audience(runtime, account.id)
    assert (first.status, first.pages) == ("waiting", 0)
    [row] = collections_of(session, account.id)
    assert row.resume_at is not None and row.note == "X's follower window is used up"
    wait_past(row.resume_at)
    x_sim.audience.limits["followers"] = (2, 2.0)
    assert collection.collect_audience(runtime, account.id).pages == 2
    x_sim.audience.exhaust(user_id)
    wait_past(collections_of(session, account.id)[0].resume_at)
    x_sim.audience.exhaust(user_id)  # a fresh window, used up again before the scan gets to it
    assert collection.collect_audience(runtime, account.id).status == "waiting"
    wait_past(collections_of(session, account.id)[0].resume_at)
    assert collection.collect_audience(runtime, account.id).status == "complete"
    [row] = collections_of(session, account.id)
    assert (row.followers_read, row.pages) == (3000, 3)
    assert abs(row.local_share - true_local_share(people, None)) <= 0.03


def account_user_id(session, account):
    user_id = account_credentials(session, account)["user_id"]
    session.commit()
    return user_id


def test_our_own_window_stops_a_scan_before_x_has_to(runtime, session, x_sim, places, tmp_path):
    account, _ = add_x(session, x_sim, "South X", area="South", followers=5000, seed=4)
    limiter = SQLiteLimiter(tmp_path / "windows.sqlite3")
    outcome = collection.collect_audience(runtime, account.id, limiter=limiter)
    # X's 15 a window would allow all five pages; the shared window allows as many, and no 429 was needed.
    assert outcome.status == "complete" and x_sim.audience.calls["followers"] == 5
    for _ in range(2):
        assert collection.collect_audience(runtime, account.id, limiter=limiter).status == "complete"
    assert x_sim.audience.calls["followers"] == 15  # three scans took the whole window
    fourth = collection.collect_audience(runtime, account.id, limiter=limiter)
    # Our window is full: the scan waits without asking X, which would have answered 429.
    assert fourth.status == "waiting" and x_sim.audience.calls["followers"] == 15
    assert "window" in fourth.note


def test_a_page_token_x_no_longer_takes_restarts_the_scan_without_counting_twice(
    runtime, session, x_sim, places
):
    account, people = add_x(session, x_sim, "City X", area="City Centre", followers=2500, seed=6)
    x_sim.audience.limits["followers"] = (1, 1.0)
    assert collection.collect_audience(runtime, account.id).pages == 1
    [row] = collections_of(session, account.id)
    row.cursor = "GARBLED"
    session.commit()
    wait_past(row.resume_at)
    x_sim.audience.limits["followers"] = (15, 900.0)
    assert collection.collect_audience(runtime, account.id).status == "complete"
    [row] = collections_of(session, account.id)
    assert row.followers_read == 2500
    assert abs(row.local_share - true_local_share(people, {"City Centre"})) <= 0.03


def test_a_crashed_scan_is_taken_over_once_its_lease_lapses(runtime, session, x_sim, places):
    account, _ = add_x(session, x_sim, "North X", area="North", followers=1500)
    x_sim.audience.limits["followers"] = (1, 1.0)
    collection.collect_audience(runtime, account.id)
    [row] = collections_of(session, account.id)
    wait_past(row.resume_at)
    row.lease_expires_at = row.resume_at.replace(year=row.resume_at.year + 1)  # another worker holds it
    session.commit()
    assert collection.collect_audience(runtime, account.id).status == "skipped"
    row.lease_expires_at = None  # that worker died; its lease lapsed
    session.commit()
    x_sim.audience.limits["followers"] = (15, 900.0)
    assert collection.collect_audience(runtime, account.id).status == "complete"
    assert collections_of(session, account.id)[0].followers_read == 1500


def test_a_new_collection_starts_only_after_the_interval_unless_asked(runtime, session, x_sim, places):
    account, _ = add_x(session, x_sim, "Force X", followers=300)
    assert passes.collect(runtime).count("complete") == 1
    assert passes.collect(runtime).count("complete") == 0  # within CRIER_INSIGHTS_INTERVAL
    assert passes.collect(runtime, fresh=True).count("complete") == 1  # crier insights collect
    assert [c.followers for c in collections_of(session, account.id)] == [300, 300]


def test_refused_credentials_fail_the_collection_and_flag_the_account(runtime, session, x_sim, places):
    account, _ = add_x(session, x_sim, "Broken X", followers=10)
    credentials = {**account_credentials(session, account), "access_token_secret": "wrong"}
    account.credentials_encrypted = vault_of(session).encrypt(credentials)
    session.commit()
    outcome = collection.collect_audience(runtime, account.id)
    assert outcome.status == "failed"
    session.refresh(account)
    assert account.status == "reconnect"
    session.commit()


def test_a_facebook_page_s_followers_and_meta_s_cities(runtime, session, graph_sim, places):
    force, people = add_facebook(session, graph_sim, "Force Facebook", followers=800)
    north, _ = add_facebook(session, graph_sim, "North Facebook", area="North", followers=900)
    assert collection.collect_audience(runtime, force.id).status == "complete"
    [row] = collections_of(session, force.id)
    assert row.followers == 800
    # Meta places followers in cities: the force-wide page's local share is those in Stoke-on-Trent.
    in_city = sum(1 for p in people if p.truth is not None)
    assert row.local_followers == in_city
    assert place_counts(session, row.id) == {"Stoke-on-Trent": in_city}
    assert collection.collect_audience(runtime, north.id).status == "complete"
    [north_row] = collections_of(session, north.id)
    # A city is wider than a neighbourhood: Meta's cities cannot say who lives in North.
    assert (north_row.followers, north_row.local_followers) == (900, 0)


def test_a_page_meta_gives_no_cities_for_has_followers_and_says_why(runtime, session, graph_sim, places):
    small, _ = add_facebook(session, graph_sim, "Small Facebook", area="South", followers=60)
    collection.collect_audience(runtime, small.id)
    [row] = collections_of(session, small.id)
    assert (row.state, row.followers, row.local_followers, row.local_share) == ("complete", 60, None, None)
    assert "100" in row.note
    graph_sim.audience.metric_available = False
    big, _ = add_facebook(session, graph_sim, "Big Facebook", followers=500)
    collection.collect_audience(runtime, big.id)
    [row] = collections_of(session, big.id)
    assert row.followers == 500 and row.local_share is None and "page_follows_city" in row.note


def test_facebook_reads_share_the_page_s_posting_window_and_leave_posting_half(
    runtime, session, graph_sim, places, tmp_path
):
    page, _ = add_facebook(session, graph_sim, "Force Facebook", followers=200)
    limiter = SQLiteLimiter(tmp_path / "windows.sqlite3")
    # CRIER_RATE_LIMIT_FACEBOOK is 60/3600: insight may use 30 of those slots at most.
    for _ in range(30):
        assert collection.collect_audience(runtime, page.id, limiter=limiter).status == "complete"
    refused = collection.collect_audience(runtime, page.id, limiter=limiter)
    assert refused.status == "waiting"
    # Posting still has its other half of the window.
    assert limiter.acquire(limits_for(runtime.settings, "facebook", page.id), 30) == 0
    assert limiter.acquire(limits_for(runtime.settings, "facebook", page.id), 1) > 0


class BrokenLimiter:
    """A windows store that is down."""

    def acquire(self, limits, cost=1):
        raise ConnectionError("the windows' store is down")


def test_a_windows_store_that_is_down_does_not_stop_insight(runtime, session, x_sim, places):
    account, _ = add_x(session, x_sim, "Force X", followers=1200)
    outcome = collection.collect_audience(runtime, account.id, limiter=BrokenLimiter())
    assert outcome.status == "complete" and outcome.pages == 2
