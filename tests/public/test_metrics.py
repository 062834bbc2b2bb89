"""GET /metrics: Prometheus figures of what the desk did, read from the database."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_account
from workflow.delivery.models import Delivery, DeliveryState
from workflow.messages import drafts, review


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
