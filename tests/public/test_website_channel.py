"""The website channel against a real local HTTP receiver standing in for the force CMS."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading

import pytest

from channels.base import (
    ChannelConfig,
    Image,
    OutcomeUnknownError,
    PermanentError,
    PublishResult,
    TransientError,
    channel_class,
    make_channel,
    rendered_post,
)
from channels.simulators.server import ServerThread
from tests.public.support import Receiver

SECRET = "cms-shared-secret"
CONFIG = ChannelConfig(public_base_url="https://police.example/", connect_timeout=0.5, read_timeout=0.5,
                       webhook_allowed_hosts=("127.0.0.1",))
POST = rendered_post("website", "The A1 is closed northbound.", link="https://police.example/news/a1-closed-1a2b3c",
            slug="a1-closed-1a2b3c", title="A1 collision", incident_slug="a1-collision-9f8e7d",
            incident_title="A1 collision", version=1)


@pytest.fixture(scope="module")
def cms():
    receiver = Receiver()
    server = ServerThread(receiver.app).start()
    receiver.url = f"{server.url}/hook"
    yield receiver
    receiver.release.set()
    server.stop()


@pytest.fixture
def receiver(cms):
    cms.requests.clear()
    cms.answers.clear()
    cms.release.clear()
    yield cms
    cms.release.set()


def channel(url: str | None = None, secret: str = SECRET):
    credentials = {"webhook_url": url, "webhook_secret": secret} if url else {}
    return make_channel("website", credentials, CONFIG)


def test_registered_as_the_website_adapter():
    cls = channel_class("website")
    assert cls.kind == "website" and cls.supports_edit
    assert cls.render("Some text", "https://police.example/news/x") == ["Some text"]
    assert [p.code for p in cls.check("  ")] == ["empty"]
    assert cls.check("Some text") == []


def test_without_a_webhook_the_page_is_the_result():
    site = channel()
    parts: list[str] = []
    result = site.publish(POST, on_part=parts.append)
    expected = PublishResult(remote_id="a1-closed-1a2b3c", url="https://police.example/news/a1-closed-1a2b3c",
                             part_ids=("a1-closed-1a2b3c",))
    assert result == expected
    assert parts == ["a1-closed-1a2b3c"]
    assert site.edit("a1-closed-1a2b3c", POST) == expected
    site.delete("a1-closed-1a2b3c")
    assert site.find_recent(POST) == expected


def test_a_slug_is_quoted_in_the_page_url():
    odd = rendered_post("website", "x", slug='a/b"<c>')
    assert channel().publish(odd).url == "https://police.example/news/a%2Fb%22%3Cc%3E"


def test_publish_posts_a_signed_update(receiver):
    site = channel(receiver.url)
    result = site.publish(POST)
    assert result.remote_id == "a1-closed-1a2b3c"
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    headers, body = sent["headers"], sent["body"]
    timestamp = headers["X-Crier-Timestamp"]
    assert timestamp.isdigit()
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Crier-Signature"] == f"sha256={expected}"
    assert headers["Idempotency-Key"] == "a1-closed-1a2b3c-v1-published"
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["time"].endswith("Z")
    del payload["time"]
    assert payload == {"event": "published", "slug": "a1-closed-1a2b3c",
                       "url": "https://police.example/news/a1-closed-1a2b3c",
                       "text": "The A1 is closed northbound.", "title": "A1 collision",
                       "incident": "a1-collision-9f8e7d", "version": 1, "change_note": None, "images": []}
    # A tampered body no longer matches the signature.
    forged = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body + b" ", hashlib.sha256).hexdigest()
    assert headers["X-Crier-Signature"] != f"sha256={forged}"


def test_the_cms_is_told_each_verified_image_with_its_alt_text_and_where_crier_serves_it(receiver):
    photo = Image(data=b"\x89PNG not really", content_type="image/png", alt="A red hatchback, side view.",
                  sha256="ab" * 32, width=800, height=600)
    post = rendered_post("website", "Have you seen this car?", link="https://police.example/news/car-1a2b3c",
                         slug="car-1a2b3c", title="Stolen car", version=2, images=(photo,))
    channel(receiver.url).publish(post)
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["images"] == [{
        "url": "https://police.example/news/car-1a2b3c/images/1-abababababababab.png",
        "alt": "A red hatchback, side view.", "content_type": "image/png", "width": 800, "height": 600,
        "bytes": len(photo.data), "sha256": "ab" * 32}]


def test_correction_and_withdrawal_events(receiver):
    site = channel(receiver.url)
    corrected = rendered_post("website", "The A1 is closed southbound.", slug=POST.slug, version=2, change_note="Wrong direction.")
    assert site.edit(POST.slug, corrected).url == "https://police.example/news/a1-closed-1a2b3c"
    site.delete(POST.slug)
    first, second = (json.loads(r["body"]) for r in receiver.requests)
    assert (first["event"], first["version"], first["change_note"], first["text"]) == (
        "corrected", 2, "Wrong direction.", "The A1 is closed southbound.")
    assert receiver.requests[0]["headers"]["Idempotency-Key"] == "a1-closed-1a2b3c-v2-corrected"
    assert (second["event"], second["slug"], second["text"]) == ("withdrawn", POST.slug, None)
    assert receiver.requests[1]["headers"]["Idempotency-Key"] == "a1-closed-1a2b3c-withdrawn"


def test_an_update_already_announced_is_not_sent_again(receiver):
    assert channel(receiver.url).publish(POST, posted_parts=[POST.slug]).remote_id == POST.slug
    assert receiver.requests == []


def test_with_a_webhook_reconciliation_sends_again():
    assert channel("http://127.0.0.1:9/hook").find_recent(POST) is None


@pytest.mark.parametrize("status, headers, kind, retry_after, reconnect", [
    (429, {"Retry-After": "7"}, TransientError, 7.0, None),
    (503, {}, TransientError, None, None),
    (500, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, TransientError, None, None),
    (401, {}, PermanentError, None, True),
    (403, {}, PermanentError, None, True),
    (422, {}, PermanentError, None, False),
    (302, {"Location": "https://elsewhere.example/"}, PermanentError, None, False),
])
def test_cms_answers_are_classified(receiver, status, headers, kind, retry_after, reconnect):
    receiver.answers.append((status, headers, "slug already used\x07 by another page"))
    with pytest.raises(kind) as caught:
        channel(receiver.url).publish(POST)
    error = caught.value
    assert type(error) is kind
    if kind is TransientError:
        assert error.retry_after == retry_after
    else:
        assert error.reconnect is reconnect
    if status == 422:
        # The status and its standard phrase; never the CMS's own words.
        assert "HTTP 422: Unprocessable Entity" in error.message
    assert "slug already used" not in error.message
    assert SECRET not in error.message


def test_a_gone_page_counts_as_withdrawn(receiver):
    receiver.answers.append((410, {}, "gone"))
    channel(receiver.url).delete(POST.slug)
    receiver.answers.append((404, {}, "no such hook"))
    with pytest.raises(PermanentError):
        channel(receiver.url).delete(POST.slug)


def test_a_hanging_cms_never_holds_the_adapter_past_its_read_timeout(receiver):
    receiver.answers.append("hang")
    with pytest.raises(OutcomeUnknownError):
        channel(receiver.url).publish(POST)
    receiver.release.set()
    receiver.release.clear()
    receiver.answers.append("hang")
    with pytest.raises(OutcomeUnknownError):
        channel(receiver.url).edit(POST.slug, POST)
    receiver.release.set()
    receiver.release.clear()
    # A withdrawal is safe to repeat: a plain retry.
    receiver.answers.append("hang")
    with pytest.raises(TransientError):
        channel(receiver.url).delete(POST.slug)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cms_is_transient():
    with pytest.raises(TransientError) as caught:
        channel(f"http://127.0.0.1:{unused_port()}/hook").publish(POST)
    assert type(caught.value) is TransientError


def test_a_connection_dropped_after_sending_is_unknown():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def read_then_drop():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)

    thread = threading.Thread(target=read_then_drop, daemon=True)
    thread.start()
    try:
        with pytest.raises(OutcomeUnknownError):
            channel(f"http://127.0.0.1:{port}/hook").publish(POST)
    finally:
        thread.join(5)
        listener.close()


def test_incomplete_webhook_credentials_are_refused():
    with pytest.raises(PermanentError) as caught:
        make_channel("website", {"webhook_url": "https://cms.example/hook"}, CONFIG)
    assert caught.value.reconnect
    with pytest.raises(PermanentError):
        make_channel("website", {"webhook_url": "ftp://cms.example/hook", "webhook_secret": "s"}, CONFIG)


def test_an_update_without_text_or_slug_is_refused(receiver):
    with pytest.raises(PermanentError):
        channel(receiver.url).publish(rendered_post("website", "  ", slug="x"))
    with pytest.raises(PermanentError):
        channel(receiver.url).publish(rendered_post("website", "Text", slug=None))
    assert receiver.requests == []


# Where a webhook may point ------------------------------------------------------------

PUBLIC = ChannelConfig(public_base_url="https://police.example/", connect_timeout=0.5, read_timeout=0.5)


@pytest.mark.parametrize("url, problem", [
    ("http://cms.example/hook", "must use https"),
    ("https://127.0.0.1/hook", "internal address"),
    ("https://localhost:8443/hook", "internal address"),
    ("https://10.1.2.3/hook", "internal address"),
    ("https://192.168.0.10/hook", "internal address"),
    ("https://172.16.5.5/hook", "internal address"),
    ("https://169.254.169.254/latest/meta-data", "internal address"),
    ("https://[::1]/hook", "internal address"),
    ("https://[fe80::1]/hook", "internal address"),
    ("https://[::ffff:127.0.0.1]/hook", "internal address"),
    ("https://0.0.0.0/hook", "internal address"),
    ("https://user:pw@cms.example/hook", "user name or password"),
    ("gopher://cms.example/hook", "not a web address"),
])
def test_a_webhook_may_not_point_inside_the_network(url, problem):
    with pytest.raises(PermanentError, match=problem):
        make_channel("website", {"webhook_url": url, "webhook_secret": SECRET}, PUBLIC)


def test_a_host_that_resolves_to_an_internal_address_is_refused_before_sending(receiver, monkeypatch):
    import socket

    # A public-looking name whose address is (or has become) a loopback one.
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                                                 ("127.0.0.1", 443))])
    channel_ = make_channel("website", {"webhook_url": "https://cms.police.example/hook",
                                        "webhook_secret": SECRET}, PUBLIC)
    with pytest.raises(PermanentError, match="internal address"):
        channel_.publish(POST)
    assert receiver.requests == []


def test_the_allow_list_admits_the_local_receiver(receiver):
    assert channel(receiver.url).publish(POST).remote_id == POST.slug
    assert len(receiver.requests) == 1


def test_adding_a_website_account_checks_the_webhook(session):
    from tests.conftest import make_account
    from workflow.core.errors import ValidationError

    with pytest.raises(ValidationError, match="internal address"):
        make_account(session, "website", "Internal CMS",
                     credentials={"webhook_url": "https://169.254.169.254/x", "webhook_secret": SECRET})
    with pytest.raises(ValidationError, match="https"):
        make_account(session, "website", "Plain CMS",
                     credentials={"webhook_url": "http://cms.example/x", "webhook_secret": SECRET})
