"""GET /metrics: Prometheus figures of what the desk did, read from the database."""
from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from tests.conftest import app_config, make_account
from tests.workflow.desk_history import DeskHistory
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.delivery.models import Delivery, DeliveryState
from workflow.messages import drafts, review
from workflow.messages.models import Decision


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_messages_deliveries_and_waits(app, session, officer, supervisor, website_account):
    x = make_account(session, "x", "Force X")
    waiting = drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [x.id]})
    review.submit(session, officer, waiting.id)
    sent = drafts.create_draft(session, officer, {"body": "The A1 is open again.",
                                                  "accounts": [website_account.id, x.id]})
    review.submit(session, officer, sent.id)
    review.approve(session, supervisor, sent.id, 1)
    first = session.query(Delivery).filter_by(account_id=website_account.id).one()
    first.state, first.sent_at, first.attempts = DeliveryState.SENT, first.due_at, 1
    session.commit()

    figures = samples(app.test_client())
    assert figures[("crier_messages", (("status", "awaiting_verification"),))] == 1
    assert figures[("crier_messages", (("status", "approved"),))] == 1
    assert figures[("crier_deliveries", (("channel", "website"), ("state", "sent")))] == 1
    assert figures[("crier_deliveries", (("channel", "x"), ("state", "pending")))] == 1
    assert figures[("crier_posts_sent_total", (("channel", "website"), ("purpose", "publish")))] == 1
    assert figures[("crier_delivery_attempts_total", (("channel", "website"),))] == 1
    assert figures[("crier_verification_waiting", ())] == 1
    assert figures[("crier_verification_oldest_wait_seconds", ())] >= 0
    assert ("crier_verification_seconds_average", (("decision", "approved"),)) in figures
    assert ("crier_publish_seconds_average", (("channel", "website"),)) in figures
    assert figures[("crier_pauses_active", ())] == 0
    assert figures[("crier_audit_events_total", ())] >= 6


def test_metrics_name_no_person_and_no_text(app, session, officer, website_account):
    drafts.create_draft(session, officer, {"body": "Secret words of a draft.", "accounts": [website_account.id]})
    session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "Secret words" not in text and "olivia" not in text


# Histograms, outcomes and queues, exact for a known history ----------------------------------

def buckets(figures, name: str, **labels: str) -> dict[str, float]:
    """A histogram's cumulative buckets by upper bound, for one set of labels."""
    out = {}
    for (sample, sample_labels), value in figures.items():
        found = dict(sample_labels)
        if sample == f"{name}_bucket" and all(found.get(k) == v for k, v in labels.items()):
            out[found["le"]] = value
    return out


@pytest.fixture
def history(runtime, session, officer, supervisor, website_account):
    """Approvals after 45 s, 400 s, 50 min and twice 10 s (one rejection after 100 s); website posts live
    3 s, 1.5 s and 700 s after approval, an X post after 40 s, one X post refused; one routine X
    post and one incident website post still waiting for a worker."""
    x = make_account(session, "x", "Force X")
    desk = DeskHistory(runtime, session, officer, supervisor)
    base = utcnow() - dt.timedelta(days=2)
    t = [base + dt.timedelta(hours=h) for h in range(6)]
    s = dt.timedelta(seconds=1)
    desk.approved([website_account.id, x.id], t[0], t[0] + 45 * s,
                  live={website_account.id: t[0] + 48 * s, x.id: t[0] + 85 * s})
    desk.approved([website_account.id, x.id], t[1], t[1] + 400 * s,
                  live={website_account.id: t[1] + 401.5 * s}, failed={x.id: t[1] + 402 * s})
    desk.approved([website_account.id], t[2], t[2] + 3000 * s, live={website_account.id: t[2] + 3700 * s})
    rejected = drafts.create_draft(session, officer, {"body": "Draft to reject.", "accounts": [x.id]})
    review.submit(session, officer, rejected.id)
    review.reject(session, supervisor, rejected.id, "Not yet")
    session.execute(update(AuditEvent).where(AuditEvent.message_id == rejected.id,
                                             AuditEvent.action == "message.submitted").values(created_at=t[3]))
    session.execute(update(Decision).where(Decision.message_id == rejected.id).values(created_at=t[3] + 100 * s))
    session.commit()
    now = utcnow()
    desk.approved([x.id], now - 70 * s, now - 60 * s)
    desk.approved([website_account.id], now - 70 * s, now - 60 * s, body="The A38 is closed at Junction 4.",
                  incident={"title": "Collision on the A38"})
    return {"x": x.id, "website": website_account.id}


def test_time_to_verify_is_a_histogram_of_approvals(app, history):
    figures = samples(app.test_client())
    assert buckets(figures, "crier_time_to_verify_seconds") == {
        "30.0": 2, "60.0": 3, "120.0": 3, "300.0": 3, "600.0": 4, "900.0": 4, "1800.0": 4, "3600.0": 5,
        "7200.0": 5, "14400.0": 5, "43200.0": 5, "86400.0": 5, "+Inf": 5}
    assert figures[("crier_time_to_verify_seconds_count", ())] == 5
    assert figures[("crier_time_to_verify_seconds_sum", ())] == pytest.approx(45 + 400 + 3000 + 10 + 10)
    # The averages keep their names, and now count rejections from their submission too.
    assert figures[("crier_verification_seconds_average", (("decision", "rejected"),))] == pytest.approx(100)


def test_approval_to_live_is_a_histogram_per_channel(app, history):
    figures = samples(app.test_client())
    assert buckets(figures, "crier_approval_to_live_seconds", channel="website") == {
        "1.0": 0, "2.0": 1, "5.0": 2, "10.0": 2, "30.0": 2, "60.0": 2, "120.0": 2, "300.0": 2, "600.0": 2,
        "1800.0": 3, "3600.0": 3, "+Inf": 3}
    assert figures[("crier_approval_to_live_seconds_sum", (("channel", "website"),))] == pytest.approx(704.5)
    assert buckets(figures, "crier_approval_to_live_seconds", channel="x")["30.0"] == 0
    assert buckets(figures, "crier_approval_to_live_seconds", channel="x")["60.0"] == 1
    assert figures[("crier_approval_to_live_seconds_count", (("channel", "x"),))] == 1
    assert figures[("crier_approval_to_live_seconds_count", (("channel", "facebook"),))] == 0


def test_delivery_outcomes_and_queue_depth(app, history):
    figures = samples(app.test_client())

    def outcome(channel: str, name: str) -> float:
        return figures[("crier_delivery_outcomes_total", (("channel", channel), ("outcome", name)))]

    assert (outcome("website", "sent"), outcome("x", "sent"), outcome("x", "failed")) == (3, 1, 1)
    assert (outcome("website", "failed"), outcome("facebook", "sent"), outcome("x", "retrying")) == (0, 0, 0)

    def depth(queue: str, channel: str) -> float:
        return figures[("crier_queue_depth", (("channel", channel), ("queue", queue)))]

    assert depth("routine", "x") == 1 and depth("incident", "website") == 1
    assert depth("routine", "website") == 0 and depth("incident", "x") == 0
    assert figures[("crier_queue_oldest_due_seconds", (("queue", "routine"),))] >= 60
    # The histograms' families carry the types Prometheus expects.
    text = app.test_client().get("/metrics").get_data(as_text=True)
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert types["crier_time_to_verify_seconds"] == "histogram"
    assert types["crier_approval_to_live_seconds"] == "histogram"
    assert types["crier_delivery_outcomes"] == "counter"
    assert types["crier_queue_depth"] == "gauge"


def test_every_process_reports_the_same_figures(app, history, database_url, tmp_path, monkeypatch):
    """A second app on the same database (another replica) reads the same histograms."""
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "other"))
    other = create_app(app_config(database_url, tmp_path))
    try:
        ours, theirs = samples(app.test_client()), samples(other.test_client())
    finally:
        other.extensions["crier"].engine.dispose()
    histogram_samples = [k for k in ours if k[0].startswith(("crier_time_to_verify", "crier_approval_to_live",
                                                            "crier_delivery_outcomes"))]
    assert histogram_samples and all(ours[k] == theirs[k] for k in histogram_samples)
