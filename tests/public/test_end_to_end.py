"""From approval to the public page through the real delivery engine, with the
website account pushing each update to a local CMS receiver."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from channels.simulators.server import ServerThread
from tests.conftest import make_account
from tests.public.support import Receiver
from workflow.delivery import send as delivery
from workflow.delivery.models import Delivery
from workflow.messages import corrections, drafts, review

SECRET = "e2e-secret"


@pytest.fixture
def cms():
    receiver = Receiver()
    server = ServerThread(receiver.app).start()
    receiver.url = f"{server.url}/hook"
    yield receiver
    receiver.release.set()
    server.stop()


def deliver_waiting(runtime, session, message_id: int) -> list[str]:
    """Run every waiting delivery of the message through the engine; each must be sent."""
    session.commit()
    ids = session.execute(select(Delivery.id).where(Delivery.message_id == message_id,
                                                    Delivery.state == "pending")).scalars().all()
    session.commit()  # SQLite: the engine needs the write lock this transaction holds
    outcomes = [delivery.deliver(runtime, i, owner="public-tests") for i in ids]
    assert outcomes and all(o.status == "sent" for o in outcomes), outcomes
    return [o.status for o in outcomes]


def test_publish_correct_withdraw_through_the_engine(client, runtime, session, officer, supervisor, cms):
    account = make_account(session, "website", "Force website",
                           credentials={"webhook_url": cms.url, "webhook_secret": SECRET})
    message = drafts.create_draft(session, officer, {"body": "Cordon in place on Mill Road.",
                                                       "accounts": [account.id],
                                                       "incident": {"title": "Mill Road"}})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1)
    assert client.get(f"/news/{message.slug}").status_code == 404
    deliver_waiting(runtime, session, message.id)

    page = client.get(f"/news/{message.slug}")
    assert page.status_code == 200
    assert "Cordon in place on Mill Road." in page.get_data(as_text=True)
    sent = session.execute(select(Delivery).where(Delivery.message_id == message.id)).scalar_one()
    assert (sent.state, sent.remote_id, sent.url) == (
        "sent", message.slug, f"https://police.example/news/{message.slug}")

    corrections.correct(session, officer, message.id, "Cordon in place on Mill Lane.", "It is Mill Lane.")
    review.approve(session, supervisor, message.id, 2)
    deliver_waiting(runtime, session, message.id)
    text = client.get(f"/news/{message.slug}").get_data(as_text=True)
    assert "Mill Lane." in text and "It is Mill Lane." in text and "Mill Road." not in text

    corrections.withdraw(session, officer, message.id, "Cordon lifted")
    deliver_waiting(runtime, session, message.id)
    assert client.get(f"/news/{message.slug}").status_code == 410

    events = [json.loads(r["body"]) for r in cms.requests]
    assert [(e["event"], e["version"]) for e in events] == [("published", 1), ("corrected", 2), ("withdrawn", None)]
    assert events[1]["change_note"] == "It is Mill Lane."
    for r in cms.requests:
        headers = r["headers"]
        mac = hmac.new(SECRET.encode(), headers["X-Crier-Timestamp"].encode() + b"." + r["body"], hashlib.sha256)
        assert headers["X-Crier-Signature"] == "sha256=" + mac.hexdigest()
