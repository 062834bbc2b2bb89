"""Recurring routine posts: one set of deliveries per occurrence, at 09:00 London
through the clock changes, created once however often or concurrently the
scheduler runs; edits and corrections need verification again."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from tests.features.support import (
    approved,
    at,
    audit_actions,
    deliveries,
    mark_sent,
    set_status,
)
from workflow.delivery.models import Delivery
from workflow.messages import corrections, drafts, queries, review
from workflow.scheduling import late as scheduling_late
from workflow.scheduling import pause, recurrence
from workflow.scheduling.recurrence import plan_due_occurrences
from workflow.scheduling.rules import LONDON

WEEKLY = "FREQ=WEEKLY;BYDAY=MO"


def weekly_series(session, officer, supervisor, accounts, first="2027-03-22T09:00:00"):
    ids = [accounts["x"].id, accounts["website"].id]
    return approved(session, officer, supervisor, ids, at("2027-03-20T12:00:00"), publish_at=first,
                    recurrence=WEEKLY, body="Report non-emergencies online or call 101.")


def local(when: dt.datetime) -> str:
    return when.astimezone(LONDON).strftime("%a %H:%M")


def test_weekly_series_stays_at_0900_london_through_both_clock_changes(session, officer, supervisor, accounts):
    series = weekly_series(session, officer, supervisor, accounts)
    assert series.status == "scheduled"
    first = deliveries(session, series.id)
    assert {d.due_at for d in first} == {at("2027-03-22T09:00:00")}  # GMT
    # The current occurrence has not gone yet: nothing new however late it is.
    assert plan_due_occurrences(session, at("2027-03-29T08:30:00")) == []
    mark_sent(session, first)
    set_status(session, series, "published")

    # Run the scheduler every Monday just before, at and just after 09:00 London, twice each time.
    monday = dt.date(2027, 3, 29)
    planned: list[dt.datetime] = []
    while monday <= dt.date(2027, 11, 8):
        nine = dt.datetime.combine(monday, dt.time(9), LONDON).astimezone(dt.timezone.utc)
        assert plan_due_occurrences(session, nine - dt.timedelta(minutes=1)) == []
        ids = plan_due_occurrences(session, nine)
        assert len(ids) == 2
        assert plan_due_occurrences(session, nine) == []
        assert plan_due_occurrences(session, nine + dt.timedelta(minutes=1)) == []
        rows = [session.get(Delivery, i) for i in ids]
        assert {(d.state, d.purpose, d.version_id, d.due_at) for d in rows} == {
            ("pending", "publish", first[0].version_id, nine)}
        session.refresh(series)
        assert series.status == "publishing"
        planned.append(nine)
        mark_sent(session, rows)
        set_status(session, series, "published")
        monday += dt.timedelta(weeks=1)

    assert {local(t) for t in planned} == {"Mon 09:00"}
    # Spring forward (Sun 28 Mar) and fall back (Sun 31 Oct): UTC moves, London does not.
    assert at("2027-03-29T08:00:00") in planned  # BST
    assert at("2027-10-25T08:00:00") in planned  # BST
    assert at("2027-11-01T09:00:00") in planned  # GMT
    all_rows = deliveries(session, series.id)
    assert len(all_rows) == 2 * (len(planned) + 1)
    assert len({(d.account_id, d.due_at) for d in all_rows}) == len(all_rows)


def test_sunday_occurrences_on_the_days_the_clocks_change(session, officer, supervisor, accounts):
    series = approved(session, officer, supervisor, [accounts["website"].id], at("2027-03-20T12:00:00"),
                      publish_at="2027-03-21T09:00:00", recurrence="FREQ=WEEKLY;BYDAY=SU",
                      body="Sunday safety tip: lock your shed.")
    mark_sent(session, deliveries(session, series.id))
    ids = plan_due_occurrences(session, at("2027-03-28T08:00:00"))  # 09:00 BST, the first day of BST
    assert [session.get(Delivery, i).due_at for i in ids] == [at("2027-03-28T08:00:00")]


def run_concurrently(runtime, now: dt.datetime, workers: int = 4) -> list[list[int]]:
    barrier = threading.Barrier(workers)
    results: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        s = runtime.session()
        try:
            barrier.wait()
            results[slot] = plan_due_occurrences(s, now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


def test_concurrent_schedulers_create_each_occurrence_once(runtime, session, officer, supervisor, accounts):
    series = weekly_series(session, officer, supervisor, accounts)
    mark_sent(session, deliveries(session, series.id))
    results = run_concurrently(runtime, at("2027-03-29T08:00:00"))
    winners = [r for r in results if r]
    assert len(winners) == 1 and len(winners[0]) == 2
    rows = deliveries(session, series.id)
    assert len(rows) == 4
    assert sorted(d.id for d in rows if d.due_at == at("2027-03-29T08:00:00")) == sorted(winners[0])
    planned = [e for e in audit_actions(session, series.id) if e.action == "series.occurrence_planned"]
    assert len(planned) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_racing_scheduler_that_loses_on_the_unique_constraint_creates_nothing(
        runtime, session, officer, supervisor, accounts, monkeypatch):
    """Without the row lock, two planners both find the occurrence due; the
    database refuses the second copy and that planner returns nothing."""
    series = weekly_series(session, officer, supervisor, accounts)
    mark_sent(session, deliveries(session, series.id))
    session.close()
    unlocked = queries.get_message
    monkeypatch.setattr(recurrence, "get_message", lambda s, i, lock=False: unlocked(s, i))
    both_looked = threading.Barrier(2, timeout=20)
    real_between = recurrence.occurrences_between

    def between(*args):
        both_looked.wait()  # both have seen the current occurrence finished
        return real_between(*args)

    monkeypatch.setattr(recurrence, "occurrences_between", between)
    results = run_concurrently(runtime, at("2027-03-29T08:00:00"), workers=2)
    assert sorted(len(r) for r in results) == [0, 2]
    assert len(deliveries(session, series.id, due_at=at("2027-03-29T08:00:00"))) == 2


def test_an_edit_stops_the_series_until_the_new_text_is_verified(session, officer, supervisor, supervisor2,
                                                                accounts):
    series = weekly_series(session, officer, supervisor, accounts)
    old = deliveries(session, series.id)
    drafts.edit_message(session, officer, series.id, {"body": "Report non-emergencies online."})
    assert series.status == "awaiting_verification"
    assert {d.state for d in deliveries(session, series.id)} == {"cancelled"}
    assert all(d.voided_at is not None for d in series.decisions)
    # The old approval is void: the first occurrence does not go out with either text.
    assert plan_due_occurrences(session, at("2027-03-22T09:00:00")) == []
    assert plan_due_occurrences(session, at("2027-03-29T08:00:00")) == []
    review.approve(session, supervisor2, series.id, 2, now=at("2027-03-29T08:30:00"))
    fresh = [d for d in deliveries(session, series.id) if d.state != "cancelled"]
    assert {(d.version.number, d.due_at) for d in fresh} == {(2, at("2027-04-05T08:00:00"))}
    mark_sent(session, fresh)
    ids = plan_due_occurrences(session, at("2027-04-12T08:00:00"))
    assert {session.get(Delivery, i).version.number for i in ids} == {2}
    assert old[0].id not in ids


def test_a_correction_of_a_live_series_is_verified_then_fixes_the_live_post_now(
        session, officer, supervisor, supervisor2, accounts, dispatcher):
    series = weekly_series(session, officer, supervisor, accounts)
    first = deliveries(session, series.id)
    mark_sent(session, first)
    set_status(session, series, "published")
    corrections.correct(session, officer, series.id, "Report non-emergencies online or call 101 (24 hours).",
                        "Added the hours")
    assert series.status == "awaiting_verification"
    assert plan_due_occurrences(session, at("2027-03-29T08:00:00")) == []
    now = at("2027-03-29T08:30:00")
    review.approve(session, supervisor2, series.id, 2, now=now)
    fixes = deliveries(session, series.id, purpose="correct")
    assert sorted((d.parent_id, d.due_at) for d in fixes) == sorted((d.id, now) for d in first)
    assert series.status == "approved"
    assert sorted(dispatcher.ids) == sorted(d.id for d in fixes)
    mark_sent(session, fixes)
    set_status(session, series, "published")
    # The occurrence that fell while the correction waited is not owed: no late post, no decision.
    assert plan_due_occurrences(session, at("2027-03-29T08:35:00")) == []
    assert deliveries(session, series.id, due_at=at("2027-03-29T08:00:00")) == []
    # The next one carries version 2.
    ids = plan_due_occurrences(session, at("2027-04-05T08:00:00"))
    rows = [session.get(Delivery, i) for i in ids]
    assert {(d.version.number, d.purpose, d.due_at) for d in rows} == {(2, "publish", at("2027-04-05T08:00:00"))}


def test_a_missed_occurrence_waits_for_a_decision_instead_of_a_backlog(session, officer, supervisor,
                                                                      supervisor2, accounts, dispatcher):
    series = weekly_series(session, officer, supervisor, accounts)
    mark_sent(session, deliveries(session, series.id))
    set_status(session, series, "published")
    # The scheduler was down for three weeks: only the latest occurrence is planned, and it is late.
    now = at("2027-04-12T10:30:00")
    assert plan_due_occurrences(session, now) == []
    held = deliveries(session, series.id, state="held")
    assert {d.due_at for d in held} == {at("2027-04-12T08:00:00")} and len(held) == 2
    assert all("was missed" in d.last_error for d in held)
    session.refresh(series)
    assert series.status == "held"
    event = [e for e in audit_actions(session, series.id) if e.action == "series.occurrence_planned"][-1]
    assert "2027-03-29T08:00:00+00:00" in event.details and "2027-04-05T08:00:00+00:00" in event.details
    assert plan_due_occurrences(session, now) == []
    scheduling_late.decide_held(session, supervisor2, series.id, publish_now=True, now=at("2027-04-12T10:35:00"))
    assert sorted(dispatcher.ids) == sorted(d.id for d in held)
    mark_sent(session, deliveries(session, series.id, state="pending"))
    assert len(plan_due_occurrences(session, at("2027-04-19T08:00:00"))) == 2


def test_a_pause_holds_new_occurrences(session, officer, supervisor, accounts):
    series = weekly_series(session, officer, supervisor, accounts)
    mark_sent(session, deliveries(session, series.id))
    p = pause.pause_routine(session, supervisor, "Major incident declared")
    assert plan_due_occurrences(session, at("2027-03-29T08:00:00")) == []
    rows = deliveries(session, series.id, due_at=at("2027-03-29T08:00:00"))
    assert len(rows) == 2 and all(d.last_error == pause.pause_mark(p) for d in rows)
    pause.lift_pause(session, supervisor, now=at("2027-03-29T08:20:00"))
    assert {d.state for d in deliveries(session, series.id, due_at=at("2027-03-29T08:00:00"))} == {"pending"}


def test_withdrawn_series_and_finished_series_plan_nothing(session, officer, supervisor, accounts):
    series = weekly_series(session, officer, supervisor, accounts)
    mark_sent(session, deliveries(session, series.id))
    corrections.withdraw(session, officer, series.id, "No longer needed", now=at("2027-03-23T10:00:00"))
    assert plan_due_occurrences(session, at("2027-03-29T08:00:00")) == []
    ended = approved(session, officer, supervisor, [accounts["website"].id], at("2027-03-20T12:00:00"),
                     publish_at="2027-03-22T09:00:00", recurrence=WEEKLY + ";COUNT=1",
                     body="One-off reminder.")
    mark_sent(session, deliveries(session, ended.id))
    assert plan_due_occurrences(session, at("2027-03-29T08:00:00")) == []
    count = session.execute(select(Delivery).where(Delivery.purpose == "publish")).scalars().all()
    assert len(count) == 3
