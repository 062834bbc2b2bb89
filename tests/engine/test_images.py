"""Images through real worker processes: a worker killed mid-upload still posts once, every
channel gets the image and its alt text without metadata, and a withdrawal removes them everywhere."""
from __future__ import annotations

import pytest

from tests.engine.conftest import (
    add_facebook,
    add_website,
    add_x,
    all_settled,
    approve_message,
    delivery_rows,
    describe,
    wait_for,
)
from tests.media.support import assert_no_metadata, gps_jpeg

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BODY = "Have you seen this bicycle? It was stolen from Market Street on Monday. Call 101."
ALT = "A red bicycle with a wicker basket, leaning on a wall"


def uploaded(rt, people) -> dict:
    from workflow.accounts.models import User
    from workflow.media import service

    with rt.session() as s:
        media = service.upload(s, s.get(User, people[0].id), gps_jpeg(64, 48))
        return {"media": media.id, "alt": ALT}


def test_a_worker_killed_mid_upload_posts_once_and_withdraw_removes_every_image(
        rt, engine_app, people, x_sim, graph_sim, processes):
    from workflow.accounts.models import User
    from workflow.messages import corrections

    x_account = add_x(rt, x_sim, "Force X")
    facebook = add_facebook(rt, graph_sim, "Force Facebook")
    website = add_website(rt)
    image = uploaded(rt, people)
    # Every platform call is slow, so the worker can be killed while an upload is on the wire.
    x_sim.latency.seconds = graph_sim.latency.seconds = 1.5
    first = processes.worker(pool="prefork", concurrency=2)
    message_id = approve_message(rt, people, [x_account, facebook, website], BODY, images=[image])
    wait_for(lambda: x_sim.latency.writes("POST", "/2/media/upload") and graph_sim.latency.writes("POST", "/photos"),
             "an upload to X and to Facebook to be under way", describe=describe(rt, processes))
    first.kill()
    assert x_sim.posts == [] and graph_sim.posts == [], "a post went out before the worker was killed"
    x_sim.latency.seconds = graph_sim.latency.seconds = 0.0
    processes.worker()
    processes.scheduler()
    wait_for(lambda: all_settled(rt, message_id), "every delivery to settle after the kill",
             describe=describe(rt, processes))
    # The killed worker's upload reached X but was never posted: an orphan, harmless.
    assert x_sim.upload_count == 2
    rows = {d.account_id: d for d in delivery_rows(rt, message_id)}
    assert {d.state for d in rows.values()} == {"sent"}, describe(rt, processes)()

    # X: one post, carrying one image with its alt text and no metadata.
    [tweet] = x_sim.posts
    assert tweet["id"] == rows[x_account].remote_id and len(tweet["media_ids"]) == 1
    data, alt = x_sim.upload(tweet["media_ids"][0])
    assert alt == ALT
    assert_no_metadata(data)
    # Facebook: one feed post with one attached photo, alt text set, no metadata.
    [post] = graph_sim.posts
    assert post["id"] == rows[facebook].remote_id and len(post["attached_media"]) == 1
    photo = graph_sim.photo(post["attached_media"][0])
    assert photo["alt_text_custom"] == ALT and not photo["published"]
    assert_no_metadata(photo["data"])
    # Website: the page shows the image with its alt text, and serves it without metadata.
    client = engine_app.test_client()
    page = client.get(f"/news/{rows[website].remote_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'alt="{ALT}"' in html
    src = html.split('class="update-image">', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    served = client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert_no_metadata(served.data)

    with rt.session() as s:
        corrections.withdraw(s, s.get(User, people[1].id), message_id, "found")
    wait_for(lambda: all_settled(rt, message_id) and x_sim.posts == [] and graph_sim.posts == [],
             "the withdrawal to take every post down", describe=describe(rt, processes))
    assert graph_sim.photo(photo["id"])["deleted"] is True
    assert client.get(f"/news/{rows[website].remote_id}").status_code == 410
    assert client.get(src).status_code == 410
