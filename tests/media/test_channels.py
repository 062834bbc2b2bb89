"""Each channel receives the images and their alt texts, in the platforms' request shapes (simulators)."""
from __future__ import annotations

import hashlib

import pytest

from channels.base import ChannelConfig, Image, PermanentError, rendered_post
from channels.x import media as x_media
from tests.channels.conftest import x_channel, x_config, x_credentials, x_sim, x_simulator  # noqa: F401
from tests.channels.graph_fixtures import facebook_channel, facebook_page, graph_server, graph_sim  # noqa: F401
from tests.media.support import assert_no_metadata, gps_jpeg, png
from workflow.media.images import clean_image

LINK = "https://police.example/news/stolen-bike"


def image(data: bytes, alt: str) -> Image:
    clean = clean_image(data, 5 * 1024 * 1024)
    return Image(data=clean.data, content_type=clean.content_type, alt=alt, sha256=clean.sha256,
                 width=clean.width, height=clean.height)


def post_with(kind: str, text: str, *images: Image, link: str | None = LINK):
    return rendered_post(kind, text, link, slug="stolen-bike", images=tuple(images))


def test_x_uploads_each_image_sets_its_alt_text_and_attaches_them(x_channel, x_sim, monkeypatch):
    small = image(gps_jpeg(), "A red bicycle with a basket")
    # Larger than the one-shot limit: initialize, append in chunks, finalize.
    large = image(gps_jpeg(600, 600, noise=True), "The bicycle's frame number")
    monkeypatch.setattr(x_media, "ONE_SHOT_MAX", large.size - 1)
    monkeypatch.setattr(x_media, "CHUNK_BYTES", max(1, large.size // 3))
    result = x_channel.publish(post_with("x", "Have you seen this bicycle?", small, large))
    [posted] = x_sim.posts
    assert posted["id"] == result.remote_id and len(posted["media_ids"]) == 2
    for media_id, sent in zip(posted["media_ids"], (small, large)):
        data, alt = x_sim.upload(media_id)
        assert data == sent.data and alt == sent.alt
        assert_no_metadata(data)


def test_an_x_thread_carries_the_images_on_its_first_part(x_channel, x_sim):
    text = "Appeal. " + " ".join(f"word{i}" for i in range(80))
    result = x_channel.publish(post_with("x", text, image(png(), "A map of the area")))
    assert len(result.part_ids) > 1
    posts = {p["id"]: p for p in x_sim.posts}
    assert len(posts[result.part_ids[0]]["media_ids"]) == 1
    assert all(posts[i]["media_ids"] == [] for i in result.part_ids[1:])


def test_x_refuses_a_bad_upload_with_a_reason_and_posts_nothing(x_channel, x_sim):
    fake = Image(data=b"not an image at all", content_type="image/jpeg", alt="x",
                 sha256=hashlib.sha256(b"x").hexdigest())
    with pytest.raises(PermanentError) as refused:
        x_channel.publish(post_with("x", "Text", fake))
    assert "Unsupported media type" in refused.value.message
    assert x_sim.posts == []


def test_x_simulator_limits_and_refuses_unknown_media(x_channel, x_sim, x_credentials, x_config):
    uploader = x_media.XMediaUploader(x_credentials, x_config)
    too_big = Image(data=b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), content_type="image/jpeg", alt="a",
                    sha256="0" * 64)
    with pytest.raises(PermanentError) as refused:
        uploader.upload_all([too_big])
    assert "at most" in refused.value.message
    with pytest.raises(PermanentError) as refused:
        uploader._chunked(Image(data=b"\xff\xd8\xff" + b"1" * 10, content_type="image/png", alt="a",
                                sha256="0" * 64))
    assert "media_type" in refused.value.message
    uploader.close()
    # A post may only attach media its account uploaded and finalised.
    with pytest.raises(PermanentError) as refused:
        x_channel._create("hello", None, ["1234"])
    assert "media" in refused.value.message.lower()
    assert x_sim.posts == []


def test_facebook_uploads_unpublished_photos_with_alt_text_then_attaches_them(facebook_channel, graph_sim):
    first, second = image(gps_jpeg(), "A red bicycle"), image(png(), "Where it was taken from")
    result = facebook_channel.publish(post_with("facebook", "Have you seen this bicycle?", first, second))
    [posted] = graph_sim.posts
    assert posted["id"] == result.remote_id
    assert len(posted["attached_media"]) == 2 and result.part_ids[1:] == tuple(posted["attached_media"])
    assert LINK in posted["message"]
    for photo_id, sent in zip(posted["attached_media"], (first, second)):
        photo = graph_sim.photo(photo_id)
        assert photo["published"] is False and photo["alt_text_custom"] == sent.alt
        assert photo["data"] == sent.data
        assert_no_metadata(photo["data"])
    # Reconciliation finds the post as it was made (the link in its text).
    assert facebook_channel.find_recent(post_with("facebook", "Have you seen this bicycle?", first, second)
                                        ).remote_id == result.remote_id
    # A withdrawal deletes the post and its photos.
    for part in reversed(result.part_ids):
        facebook_channel.delete(part)
    assert graph_sim.posts == []
    assert all(graph_sim.photo(p)["deleted"] for p in result.part_ids[1:])


def test_graph_simulator_refuses_a_non_image_and_an_unknown_photo(facebook_channel, graph_sim):
    fake = Image(data=b"plain text", content_type="image/gif", alt="a", sha256="0" * 64)
    with pytest.raises(PermanentError) as refused:
        facebook_channel.publish(post_with("facebook", "Text", fake))
    assert "image" in refused.value.message
    assert graph_sim.posts == []
    with pytest.raises(PermanentError) as refused:
        facebook_channel._call("publish", facebook_channel.graph.post, f"{facebook_channel.page_id}/feed",
                               message="x", **{"attached_media[0]": '{"media_fbid": "42"}'})
    assert "media_fbid" in refused.value.message
    assert graph_sim.posts == []


def test_x_upload_host_can_differ_from_the_api_host(x_sim, x_credentials):
    config = ChannelConfig(x_api_url="http://127.0.0.1:9", x_upload_url=x_sim.url, connect_timeout=0.5,
                           read_timeout=2)
    uploader = x_media.XMediaUploader(x_credentials, config)
    [media_id] = uploader.upload_all([image(png(), "A sign")])
    uploader.close()
    assert x_sim.upload(media_id)[1] == "A sign"
