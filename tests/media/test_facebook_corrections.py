"""On Facebook a correction edits the text in place, but a change of images replaces the post:
the new post goes up, then the old one and its photos are deleted; a withdrawal then removes the
new one and its photos. Through the delivery engine, in this process, against the Graph simulator."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.channels.graph_fixtures import graph_server, graph_sim  # noqa: F401
from tests.conftest import app_config, make_user
from tests.media.support import gps_jpeg, png
from workflow.accounts.channel_accounts import add_account
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.delivery.send import deliver
from workflow.media import service as media
from workflow.messages import corrections, drafts, review

TEXT = "Have you seen this bicycle? It was stolen from Market Street."


@pytest.fixture
def desk(database_url, tmp_path, monkeypatch, graph_sim):
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "fb-instance"))
    app = create_app(app_config(database_url, tmp_path, FACEBOOK_GRAPH_URL=graph_sim.url))
    runtime = app.extensions["crier"]
    session = runtime.session()
    yield runtime, session
    session.close()
    runtime.engine.dispose()


def run_pending(runtime, session, message_id: int) -> list[Delivery]:
    session.commit()
    ids = session.execute(select(Delivery.id).where(
        Delivery.message_id == message_id, Delivery.state == DeliveryState.PENDING)).scalars().all()
    session.commit()
    for delivery_id in ids:
        outcome = deliver(runtime, delivery_id, owner="test")
        assert outcome.status == "sent", outcome
    session.expire_all()
    return [session.get(Delivery, i) for i in ids]


def test_an_image_change_replaces_the_facebook_post_and_withdraw_removes_its_photos(desk, graph_sim):
    runtime, session = desk
    officer, supervisor = make_user(session, "olivia"), make_user(session, "sam", "supervisor")
    page = add_account(session, "facebook", "Force Facebook", graph_sim.add_page("Force"))
    first = media.upload(session, officer, gps_jpeg())
    message = drafts.create_draft(session, officer, {"body": TEXT, "accounts": [page.id],
                                                     "images": [{"media": first.id, "alt": "A red bicycle"}]})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1)
    [published] = run_pending(runtime, session, message.id)
    [original] = graph_sim.posts
    old_photo = original["attached_media"][0]
    assert published.remote_id == original["id"]

    # A text-only correction edits the post in place.
    corrections.correct(session, officer, message.id, TEXT + " Reward offered.", "reward")
    review.approve(session, supervisor, message.id, 2)
    run_pending(runtime, session, message.id)
    [edited] = graph_sim.posts
    assert edited["id"] == original["id"] and "Reward offered." in edited["message"]
    assert graph_sim.created == 1

    # A new image: the post is replaced, the old post and its photo deleted.
    second = media.upload(session, officer, png(30, 30))
    corrections.correct(session, officer, message.id, TEXT + " Reward offered.", "a better photo",
                        images=[{"media": second.id, "alt": "The bicycle's frame"}])
    review.approve(session, supervisor, message.id, 3)
    [replacement] = run_pending(runtime, session, message.id)
    [new_post] = graph_sim.posts
    assert new_post["id"] != original["id"] and graph_sim.post(original["id"])["deleted"]
    assert graph_sim.photo(old_photo)["deleted"]
    new_photo = graph_sim.photo(new_post["attached_media"][0])
    assert new_photo["alt_text_custom"] == "The bicycle's frame"
    session.expire_all()
    root = session.get(Delivery, published.id)
    assert root.remote_id == new_post["id"] == replacement.remote_id

    corrections.withdraw(session, supervisor, message.id, "recovered")
    [withdrawal] = run_pending(runtime, session, message.id)
    assert withdrawal.purpose == DeliveryPurpose.WITHDRAW
    assert graph_sim.posts == [] and graph_sim.photo(new_photo["id"])["deleted"]
