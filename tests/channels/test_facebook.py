"""The Facebook channel against the Graph simulator, over HTTP, through its Graph client."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading

import pytest
import requests
from flask import Flask, jsonify

from channels.base import (
    ChannelConfig,
    OutcomeUnknownError,
    PermanentError,
    Post,
    TransientError,
    channel_class,
    rendered_post,
)
from channels.facebook import (
    MAX_POST_CHARS,
    FacebookChannel,
    GraphClient,
    PostGoneError,
    appsecret_proof,
)
from channels.simulators.graph import GraphSimulator
from channels.simulators.server import ServerThread
from tests.channels.graph_fixtures import (  # noqa: F401 - fixtures are used by name
    HANG_SECONDS,
    HANG_TIMEOUT,
    facebook_channel,
    facebook_page,
    graph_config,
    graph_server,
    graph_sim,
)

LINK = "https://police.example.uk/news/road-closed-high-street"
TEXT = "High Street is closed both ways at the junction with Mill Lane after a collision."


def make_post(text: str = TEXT, link: str | None = LINK) -> Post:
    return rendered_post("facebook", text, link)


# Text -------------------------------------------------------------------

def test_check_accepts_ordinary_text():
    assert FacebookChannel.check(TEXT, LINK) == []


@pytest.mark.parametrize("text", ["", "   \n "])
def test_check_refuses_empty_text(text):
    problems = FacebookChannel.check(text, LINK)
    assert [p.code for p in problems] == ["empty"]
    assert problems[0].level == "error"


def test_check_holds_facebooks_length_limit():
    assert FacebookChannel.check("a" * MAX_POST_CHARS) == []
    problems = FacebookChannel.check("a" * (MAX_POST_CHARS + 1))
    assert [p.code for p in problems] == ["too_long"]
    assert "63,206" in problems[0].message


def test_check_counts_emoji_as_two_units():
    # Each of these emoji is one code point but two UTF-16 units.
    assert FacebookChannel.check("\U0001F6A8" * (MAX_POST_CHARS // 2)) == []
    assert [p.code for p in FacebookChannel.check("\U0001F6A8" * (MAX_POST_CHARS // 2 + 1))] == ["too_long"]


def test_check_refuses_a_link_that_is_not_a_web_address():
    assert [p.code for p in FacebookChannel.check(TEXT, "javascript:alert(1)")] == ["bad_link"]


def test_render_carries_the_text_alone():
    assert FacebookChannel.render(TEXT, LINK) == [TEXT]


def test_registered_as_the_facebook_adapter():
    assert channel_class("facebook") is FacebookChannel
    assert FacebookChannel.supports_edit is True


@pytest.mark.parametrize(
    "credentials",
    [{}, {"page_id": "123"}, {"page_access_token": "EAAx"}, {"page_id": "", "page_access_token": "EAAx"}],
)
def test_incomplete_credentials_ask_for_reconnection(credentials, graph_sim):
    with pytest.raises(PermanentError) as caught:
        FacebookChannel(credentials, graph_config(graph_sim))
    assert caught.value.reconnect is True


# Publish, edit, delete ----------------------------------------------------

def test_publish_posts_text_and_link_on_the_page(facebook_channel, facebook_page, graph_sim):
    seen: list[str] = []
    result = facebook_channel.publish(make_post(), on_part=seen.append)

    page_id = facebook_page["page_id"]
    assert result.remote_id.startswith(f"{page_id}_")
    assert result.url == f"https://www.facebook.com/{result.remote_id}"
    assert seen == [result.remote_id]
    [stored] = graph_sim.posts
    assert stored["id"] == result.remote_id
    assert stored["page_id"] == page_id
    assert stored["message"] == TEXT
    assert stored["link"] == LINK
    assert stored["graph_version"] == "v21.0"
    assert graph_sim.created == 1


def test_publish_without_link_sends_none(facebook_channel, graph_sim):
    facebook_channel.publish(make_post(link=None))
    [stored] = graph_sim.posts
    assert stored["link"] is None


def test_publish_does_not_repeat_a_post_already_made(facebook_channel, graph_sim):
    first = facebook_channel.publish(make_post())
    again = facebook_channel.publish(make_post(), posted_parts=[first.remote_id])
    assert again.remote_id == first.remote_id
    assert graph_sim.created == 1


def test_publish_refuses_empty_text_without_calling_facebook(facebook_channel, graph_sim):
    with pytest.raises(PermanentError):
        facebook_channel.publish(make_post(text="  "))
    assert graph_sim.requests == 0


def test_edit_replaces_the_message_and_keeps_history(facebook_channel, graph_sim):
    result = facebook_channel.publish(make_post())
    corrected = TEXT.replace("Mill Lane", "Mill Road")

    edited = facebook_channel.edit(result.remote_id, make_post(text=corrected))

    assert edited.remote_id == result.remote_id
    assert edited.url == result.url
    stored = graph_sim.post(result.remote_id)
    assert stored["message"] == corrected
    assert [h["message"] for h in stored["history"]] == [TEXT]
    assert graph_sim.created == 1


def test_edit_of_a_deleted_post_says_it_is_gone(facebook_channel):
    result = facebook_channel.publish(make_post())
    facebook_channel.delete(result.remote_id)
    with pytest.raises(PostGoneError) as caught:
        facebook_channel.edit(result.remote_id, make_post(text="Corrected"))
    assert isinstance(caught.value, PermanentError)


def test_delete_removes_the_post(facebook_channel, graph_sim):
    result = facebook_channel.publish(make_post())
    facebook_channel.delete(result.remote_id)
    assert graph_sim.posts == []
    assert graph_sim.post(result.remote_id)["deleted"] is True


def test_delete_of_a_post_already_gone_succeeds(facebook_channel, facebook_page, graph_sim):
    result = facebook_channel.publish(make_post())
    facebook_channel.delete(result.remote_id)
    facebook_channel.delete(result.remote_id)
    facebook_channel.delete(f"{facebook_page['page_id']}_1")
    # Each call reached Facebook: the publish and three deletes.
    assert graph_sim.requests == 4


def test_delete_refuses_an_id_that_is_not_a_post_id(facebook_channel, graph_sim):
    with pytest.raises(PermanentError):
        facebook_channel.delete("../me/feed")
    assert graph_sim.requests == 0


# Reconciliation -----------------------------------------------------------

def test_find_recent_finds_the_post_by_its_text(facebook_channel):
    made = facebook_channel.publish(make_post())
    facebook_channel.publish(make_post(text="Another update"))

    found = facebook_channel.find_recent(make_post())

    assert found is not None
    assert found.remote_id == made.remote_id
    assert found.url == made.url


def test_find_recent_returns_none_when_absent(facebook_channel):
    facebook_channel.publish(make_post(text="Another update"))
    assert facebook_channel.find_recent(make_post()) is None


def test_find_recent_ignores_deleted_posts(facebook_channel):
    made = facebook_channel.publish(make_post())
    facebook_channel.delete(made.remote_id)
    assert facebook_channel.find_recent(make_post()) is None


def test_find_recent_ignores_posts_before_since(facebook_channel, facebook_page, graph_sim):
    long_ago = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
    graph_sim.state.create_post(facebook_page["page_id"], TEXT, created=long_ago)

    assert facebook_channel.find_recent(make_post(), since=long_ago + dt.timedelta(days=1)) is None
    found = facebook_channel.find_recent(make_post(), since=long_ago)
    assert found is not None


def test_find_recent_reads_past_the_first_feed_page(facebook_channel, facebook_page, graph_sim):
    page_id = facebook_page["page_id"]
    wanted = graph_sim.state.create_post(page_id, TEXT)
    for n in range(150):
        graph_sim.state.create_post(page_id, f"Routine update {n}")

    found = facebook_channel.find_recent(make_post())

    assert found is not None and found.remote_id == wanted["id"]
    assert graph_sim.requests == 2


def test_find_recent_only_looks_at_its_own_page(graph_sim, facebook_channel):
    other = graph_sim.add_page("Othertown Neighbourhood Policing")
    graph_sim.state.create_post(other["page_id"], TEXT)
    assert facebook_channel.find_recent(make_post()) is None


# Credentials, appsecret_proof, version and base URL ----------------------------

def test_appsecret_proof_is_hmac_sha256_of_the_token():
    expected = hmac.new(b"app-secret", b"page-token", hashlib.sha256).hexdigest()
    assert appsecret_proof("page-token", "app-secret") == expected
    assert appsecret_proof("page-token", "other-secret") != expected


def test_appsecret_proof_is_sent_and_checked(graph_sim):
    page = graph_sim.add_page("Signed Page", app_secret="s3cret-app")
    channel = FacebookChannel(page, graph_config(graph_sim))
    result = channel.publish(make_post())
    assert channel.find_recent(make_post()).remote_id == result.remote_id
    channel.delete(result.remote_id)
    assert graph_sim.posts == []


@pytest.mark.parametrize("secret", ["wrong-secret", None])
def test_wrong_or_missing_app_secret_asks_for_reconnection(graph_sim, secret):
    page = graph_sim.add_page("Signed Page", app_secret="s3cret-app")
    credentials = {**page, "app_secret": secret}
    channel = FacebookChannel(credentials, graph_config(graph_sim))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert caught.value.reconnect is True
    assert "app secret" in caught.value.message
    assert graph_sim.created == 0


def test_version_and_base_url_are_per_instance():
    with GraphSimulator() as first, GraphSimulator() as second:
        one = FacebookChannel(first.add_page("First"), graph_config(first, facebook_graph_version="v21.0"))
        two = FacebookChannel(second.add_page("Second"), graph_config(second, facebook_graph_version="19.0"))
        one.publish(make_post(text="From the first"))
        two.publish(make_post(text="From the second"))
        one.publish(make_post(text="From the first, again"))

        assert [p["message"] for p in first.posts] == ["From the first", "From the first, again"]
        assert [p["graph_version"] for p in first.posts] == ["v21.0", "v21.0"]
        assert [p["message"] for p in second.posts] == ["From the second"]
        assert [p["graph_version"] for p in second.posts] == ["v19.0"]
        assert one.graph.version == "v21.0" and two.graph.version == "v19.0"
        # Nothing is shared between clients: each keeps its own host.
        assert (one.graph.base_url, two.graph.base_url) == (first.url, second.url)


def test_adapters_posting_at_once_keep_to_their_own_page(graph_sim):
    pages = [graph_sim.add_page(f"Neighbourhood {n}") for n in range(4)]
    channels = [FacebookChannel(p, graph_config(graph_sim)) for p in pages]
    errors: list[BaseException] = []

    def post_three(channel: FacebookChannel) -> None:
        try:
            for n in range(3):
                channel.publish(make_post(text=f"Update {n} for {channel.page_id}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post_three, args=(c,)) for c in channels]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(graph_sim.posts) == 12
    for post in graph_sim.posts:
        assert post["message"].endswith(f"for {post['page_id']}")


def test_an_unsupported_graph_version_is_explained(graph_sim, facebook_page):
    channel = FacebookChannel(facebook_page, graph_config(graph_sim, facebook_graph_version="v3.1"))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert "CRIER_FACEBOOK_GRAPH_VERSION" in caught.value.message
    assert caught.value.reconnect is False
    assert graph_sim.created == 0


def test_client_sends_the_configured_timeout(graph_sim, facebook_page):
    channel = FacebookChannel(facebook_page, graph_config(graph_sim, connect_timeout=1.5, read_timeout=7.0))
    assert isinstance(channel.graph, GraphClient)
    assert channel.graph.timeout == (1.5, 7.0)


# Errors -----------------------------------------------------------------

@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_rate_limits_are_transient_with_facebooks_wait(facebook_channel, graph_sim, code):
    graph_sim.fault("429", code=code, reset=900)
    with pytest.raises(TransientError) as caught:
        facebook_channel.publish(make_post())
    assert caught.value.retry_after == 900
    assert "15 minutes" in caught.value.message
    assert graph_sim.created == 0
    # The limit has passed: the next attempt goes out.
    facebook_channel.publish(make_post())
    assert graph_sim.created == 1


def test_rate_limit_without_a_stated_wait_backs_off_a_minute(facebook_channel, graph_sim):
    graph_sim.fault("429", code=32, reset=0)
    with pytest.raises(TransientError) as caught:
        facebook_channel.publish(make_post())
    assert caught.value.retry_after == 60


@pytest.mark.parametrize("code", [1, 2])
def test_temporary_graph_errors_are_transient(facebook_channel, graph_sim, code):
    graph_sim.fault("error", code=code)
    with pytest.raises(TransientError):
        facebook_channel.publish(make_post())
    assert graph_sim.created == 0


def test_an_invalid_token_asks_for_reconnection(graph_sim, facebook_page):
    channel = FacebookChannel({**facebook_page, "page_access_token": "EAAnot-a-real-token"}, graph_config(graph_sim))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert caught.value.reconnect is True
    assert "access token" in caught.value.message


def test_another_pages_token_is_refused(graph_sim, facebook_page):
    other = graph_sim.add_page("Othertown Neighbourhood Policing")
    channel = FacebookChannel({**facebook_page, "page_access_token": other["page_access_token"]}, graph_config(graph_sim))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert caught.value.reconnect is True
    assert graph_sim.created == 0


def test_an_expired_token_asks_for_reconnection(facebook_channel, graph_sim):
    graph_sim.fault("error", code=190, subcode=463, message="Error validating access token: Session has expired")
    with pytest.raises(PermanentError) as caught:
        facebook_channel.delete(f"{facebook_channel.page_id}_1")
    assert caught.value.reconnect is True


def test_missing_publish_permission_asks_for_reconnection(graph_sim):
    page = graph_sim.add_page("Read-only Page", permissions={"pages_read_engagement"})
    channel = FacebookChannel(page, graph_config(graph_sim))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert caught.value.reconnect is True
    assert "has not granted Crier permission to post" in caught.value.message


def test_missing_read_permission_asks_for_reconnection(graph_sim):
    page = graph_sim.add_page("Write-only Page", permissions={"pages_manage_posts"})
    channel = FacebookChannel(page, graph_config(graph_sim))
    with pytest.raises(PermanentError) as caught:
        channel.find_recent(make_post())
    assert caught.value.reconnect is True


def test_a_blocked_page_is_permanent(facebook_channel, graph_sim):
    graph_sim.fault("error", code=368, message="The action attempted has been deemed abusive or is otherwise disallowed")
    with pytest.raises(PermanentError) as caught:
        facebook_channel.publish(make_post())
    assert caught.value.reconnect is False
    assert "blocked" in caught.value.message


def test_a_duplicate_post_is_permanent(facebook_channel, graph_sim):
    facebook_channel.publish(make_post())
    with pytest.raises(PermanentError) as caught:
        facebook_channel.publish(make_post())
    assert caught.value.reconnect is False
    assert "duplicate" in caught.value.message
    assert graph_sim.created == 1


def test_an_invalid_parameter_is_permanent(facebook_channel, graph_sim):
    graph_sim.fault("error", code=100, message="(#100) Invalid parameter")
    with pytest.raises(PermanentError) as caught:
        facebook_channel.publish(make_post())
    assert not isinstance(caught.value, PostGoneError)
    assert "Invalid parameter" in caught.value.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_without_a_graph_error_are_transient(facebook_channel, graph_sim, status):
    graph_sim.fault("5xx", status=status)
    with pytest.raises(TransientError) as caught:
        facebook_channel.publish(make_post())
    assert str(status) in caught.value.message
    assert graph_sim.created == 0


def test_a_gateway_timeout_on_publish_is_outcome_unknown(facebook_channel, graph_sim):
    graph_sim.fault("5xx", status=504)
    with pytest.raises(OutcomeUnknownError):
        facebook_channel.publish(make_post())


def test_a_gateway_timeout_on_delete_is_transient(facebook_channel, graph_sim):
    made = facebook_channel.publish(make_post())
    graph_sim.fault("5xx", status=504)
    with pytest.raises(TransientError):
        facebook_channel.delete(made.remote_id)


@pytest.fixture
def hasty_channel(graph_sim, facebook_page):
    """The same Page as ``facebook_channel``, but giving up on an answer after HANG_TIMEOUT."""
    channel = FacebookChannel(facebook_page, graph_config(graph_sim, read_timeout=HANG_TIMEOUT))
    yield channel
    channel.close()


def test_a_hang_on_publish_is_outcome_unknown(hasty_channel, graph_sim):
    graph_sim.fault("hang", seconds=HANG_SECONDS)
    with pytest.raises(OutcomeUnknownError) as caught:
        hasty_channel.publish(make_post())
    assert "may or may not" in caught.value.message
    assert graph_sim.created == 0


def test_a_hang_on_edit_is_outcome_unknown(facebook_channel, hasty_channel, graph_sim):
    made = facebook_channel.publish(make_post())
    graph_sim.fault("hang", seconds=HANG_SECONDS)
    with pytest.raises(OutcomeUnknownError):
        hasty_channel.edit(made.remote_id, make_post(text="Corrected"))


def test_a_hang_on_delete_is_transient(facebook_channel, hasty_channel, graph_sim):
    made = facebook_channel.publish(make_post())
    graph_sim.fault("hang", seconds=HANG_SECONDS)
    with pytest.raises(TransientError):
        hasty_channel.delete(made.remote_id)
    assert len(graph_sim.posts) == 1


def test_a_hang_on_reading_the_feed_is_transient(hasty_channel, graph_sim):
    graph_sim.fault("hang", seconds=HANG_SECONDS, applies_to="any")
    with pytest.raises(TransientError):
        hasty_channel.find_recent(make_post())


def test_accepted_then_hung_post_is_found_by_reconciliation(facebook_channel, hasty_channel, graph_sim):
    graph_sim.fault("accept_then_hang", seconds=HANG_SECONDS)
    with pytest.raises(OutcomeUnknownError):
        hasty_channel.publish(make_post())

    [made] = graph_sim.posts
    found = facebook_channel.find_recent(make_post())
    assert found is not None
    assert found.remote_id == made["id"]
    assert found.url == f"https://www.facebook.com/{made['id']}"


def test_a_dropped_connection_after_sending_is_outcome_unknown(graph_sim, facebook_page):
    # A hang shorter than the read timeout ends with the connection closed, no answer given.
    channel = FacebookChannel(facebook_page, graph_config(graph_sim))
    graph_sim.fault("accept_then_hang", seconds=0.1)
    with pytest.raises(OutcomeUnknownError):
        channel.publish(make_post())
    assert graph_sim.created == 1


@pytest.fixture
def front_end():
    """A stand-in for a proxy in front of Graph, answering every call with a set reply."""
    reply = {"status": 502, "body": {"message": "upstream unavailable"}}
    app = Flask("graph_front_end")

    @app.route("/<path:path>", methods=["GET", "POST", "DELETE"])
    def answer(path):
        return jsonify(reply["body"]), reply["status"]

    with ServerThread(app) as server:
        yield server.url, reply


def test_a_json_failure_without_a_graph_error_is_not_taken_for_success(front_end, facebook_page):
    url, _reply = front_end
    channel = FacebookChannel(facebook_page, ChannelConfig(facebook_graph_url=url, read_timeout=5.0))
    with pytest.raises(TransientError) as caught:
        channel.publish(make_post())
    assert "502" in caught.value.message


def test_a_success_without_a_post_id_is_outcome_unknown(front_end, facebook_page):
    url, reply = front_end
    reply.update(status=200, body={})
    channel = FacebookChannel(facebook_page, ChannelConfig(facebook_graph_url=url, read_timeout=5.0))
    with pytest.raises(OutcomeUnknownError):
        channel.publish(make_post())


@pytest.fixture
def refusing_url():
    """A loopback address where nothing listens: the port is held but never accepts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.mark.parametrize("action", ["publish", "edit", "delete", "find_recent"])
def test_connection_refused_is_transient(refusing_url, facebook_page, graph_sim, action):
    channel = FacebookChannel(facebook_page, graph_config(graph_sim, facebook_graph_url=refusing_url))
    calls = {
        "publish": lambda: channel.publish(make_post()),
        "edit": lambda: channel.edit(f"{channel.page_id}_1", make_post()),
        "delete": lambda: channel.delete(f"{channel.page_id}_1"),
        "find_recent": lambda: channel.find_recent(make_post()),
    }
    with pytest.raises(TransientError) as caught:
        calls[action]()
    # The request URL holds the access token: it must not travel with the error.
    assert facebook_page["page_access_token"] not in caught.value.message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


# The simulator speaks Graph ----------------------------------------------------

def test_simulator_refuses_old_versions_and_missing_tokens(graph_sim, facebook_page):
    page_id, token = facebook_page["page_id"], facebook_page["page_access_token"]
    old = requests.post(f"{graph_sim.url}/v3.1/{page_id}/feed", data={"message": "x", "access_token": token}, timeout=5)
    assert old.status_code == 400
    assert old.json()["error"]["code"] == 12
    anonymous = requests.post(f"{graph_sim.url}/v21.0/{page_id}/feed", data={"message": "x"}, timeout=5)
    assert anonymous.json()["error"]["code"] == 104
    bad = requests.get(f"{graph_sim.url}/v21.0/{page_id}/feed", params={"access_token": "nope"}, timeout=5)
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert (error["code"], error["type"]) == (190, "OAuthException")
    assert error["fbtrace_id"]
    assert graph_sim.created == 0


def test_simulator_rate_limit_fault_uses_graphs_status_and_headers(graph_sim, facebook_page):
    graph_sim.fault("429", code=613, reset=120)
    answer = requests.post(
        f"{graph_sim.url}/v21.0/{facebook_page['page_id']}/feed",
        data={"message": "x", "access_token": facebook_page["page_access_token"]},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 613
    [usage] = json.loads(answer.headers["X-Business-Use-Case-Usage"])[facebook_page["page_id"]]
    assert usage["estimated_time_to_regain_access"] == 2


def test_simulator_pages_and_faults_over_http(graph_sim):
    created = requests.post(f"{graph_sim.url}/_sim/pages", json={"name": "Remote Page"}, timeout=5)
    assert created.status_code == 201
    credentials = created.json()
    channel = FacebookChannel(credentials, graph_config(graph_sim))
    requests.post(f"{graph_sim.url}/_sim/faults", json={"kind": "error", "code": 2}, timeout=5)
    with pytest.raises(TransientError):
        channel.publish(make_post())
    channel.publish(make_post())
    state = requests.get(f"{graph_sim.url}/_sim/state", timeout=5).json()
    assert [p["message"] for p in state["posts"]] == [TEXT]
    assert "Remote Page" in [p["name"] for p in state["pages"]]


def test_simulator_refuses_an_unknown_fault_kind(graph_sim):
    with pytest.raises(ValueError):
        graph_sim.fault("timeout")


def test_a_malformed_graph_url_is_permanent(facebook_page):
    channel = FacebookChannel(facebook_page, ChannelConfig(facebook_graph_url="graph.facebook.com"))
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_post())
    assert "CRIER_FACEBOOK_GRAPH_URL" in caught.value.message
