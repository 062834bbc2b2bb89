"""The X channel against the simulated X, over HTTP, through the real tweepy client."""
from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests
from requests_oauthlib import OAuth1

from channels.base import (
    ChannelConfig,
    OutcomeUnknownError,
    PermanentError,
    Post,
    TransientError,
    channel_class,
    rendered_post,
)
from channels.x import DuplicatePostError, XChannel, XSession
from channels.x.text import MAX_WEIGHTED_LENGTH, weighted_length

LINK = "https://www.force.police.uk/news/a38-collision"
LONG = " ".join(
    f"Update {i}: officers remain at the scene of the collision on the A38 and ask drivers to avoid the area."
    for i in range(6))


def _post(text: str = "The A38 is closed at junction 4 after a collision.", link: str | None = LINK) -> Post:
    return rendered_post("x", text, link)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Registration and text -----------------------------------------------------------

def test_registered_as_the_x_adapter_without_edit():
    assert channel_class("x") is XChannel
    assert XChannel.supports_edit is False


def test_check_warns_when_text_becomes_a_thread():
    problems = XChannel.check(LONG, LINK)
    assert [(p.level, p.code) for p in problems] == [("warning", "thread")]
    assert f"thread of {len(XChannel.render(LONG, LINK))} posts" in problems[0].message


def test_check_errors_on_empty_text_and_forbidden_characters():
    assert [(p.level, p.code) for p in XChannel.check("   ", LINK)] == [("error", "empty")]
    problems = XChannel.check("Road closed\ufffe", LINK)
    assert [(p.level, p.code) for p in problems] == [("error", "invalid_characters")]
    assert "U+FFFE" in problems[0].message
    assert XChannel.check("Road closed.", LINK) == []


def test_render_is_the_thread_split():
    posts = XChannel.render(LONG, LINK)
    assert len(posts) > 1 and posts[-1].endswith(LINK)
    assert all(weighted_length(p) <= MAX_WEIGHTED_LENGTH for p in posts)


# Publishing -----------------------------------------------------------------------

def test_single_post_goes_out_with_its_link_and_public_url(x_sim, x_channel, x_credentials):
    result = x_channel.publish(_post())
    assert len(x_sim.posts) == 1
    live = x_sim.posts[0]
    assert live["text"] == f"The A38 is closed at junction 4 after a collision. {LINK}"
    assert live["username"] == x_credentials["username"]
    assert result.remote_id == live["id"]
    assert result.part_ids == (live["id"],)
    assert result.url == f"https://x.com/{x_credentials['username']}/status/{live['id']}"


def test_username_is_asked_of_x_when_not_in_the_credentials(x_sim, x_credentials, x_config):
    credentials = {k: v for k, v in x_credentials.items() if k not in ("user_id", "username")}
    channel = XChannel(credentials, x_config)
    result = channel.publish(_post())
    assert result.url == f"https://x.com/{x_credentials['username']}/status/{result.remote_id}"
    assert channel.find_recent(_post()).remote_id == result.remote_id
    channel.close()


def test_thread_parts_go_out_in_order_each_replying_to_the_last(x_sim, x_channel):
    seen = []
    result = x_channel.publish(_post(LONG), on_part=seen.append)
    expected = XChannel.render(LONG, LINK)
    posts = x_sim.posts
    assert [p["text"] for p in posts] == expected
    assert [p["in_reply_to"] for p in posts] == [None] + [p["id"] for p in posts[:-1]]
    assert list(result.part_ids) == seen == [p["id"] for p in posts]
    assert result.remote_id == posts[0]["id"]


def test_thread_resumes_after_a_failure_half_way_without_reposting(x_sim, x_channel):
    def fail_after_first(part_id):
        if len(x_sim.posts) == 1:
            x_sim.fault("5xx", status=503)

    with pytest.raises(TransientError) as failure:
        x_channel.publish(_post(LONG), on_part=fail_after_first)
    first = x_sim.posts[0]["id"]
    assert failure.value.posted_parts == (first,)
    assert x_sim.create_count == 1

    result = x_channel.publish(_post(LONG), posted_parts=failure.value.posted_parts)
    parts = XChannel.render(LONG, LINK)
    assert x_sim.create_count == len(parts)
    assert [p["text"] for p in x_sim.posts] == parts
    assert result.part_ids[0] == first and len(result.part_ids) == len(parts)
    assert x_sim.posts[1]["in_reply_to"] == first


def test_a_fully_posted_thread_is_not_posted_again(x_sim, x_channel):
    done = x_channel.publish(_post(LONG))
    again = x_channel.publish(_post(LONG), posted_parts=done.part_ids)
    assert again == done
    assert x_sim.create_count == len(done.part_ids)


def test_correction_replies_to_the_original(x_sim, x_channel):
    original = x_channel.publish(_post())
    correction = x_channel.publish(_post("Correction: the A38 is closed at junction 5, not 4."),
                                   reply_to=original.remote_id)
    assert x_sim.posts[1]["id"] == correction.remote_id
    assert x_sim.posts[1]["in_reply_to"] == original.remote_id


def test_reply_to_a_deleted_post_is_refused_for_good(x_sim, x_channel):
    original = x_channel.publish(_post())
    x_channel.delete(original.remote_id)
    with pytest.raises(PermanentError, match="replies to has been deleted"):
        x_channel.publish(_post("Correction: junction 5."), reply_to=original.remote_id)


def test_edit_is_not_possible_on_x(x_channel):
    with pytest.raises(PermanentError, match="reply"):
        x_channel.edit("123", _post())


# Errors -----------------------------------------------------------------------------

def test_rate_limit_is_transient_and_says_when_it_resets(x_sim, x_channel):
    x_sim.fault("429", reset=30)
    with pytest.raises(TransientError) as failure:
        x_channel.publish(_post())
    assert 25 <= failure.value.retry_after <= 31
    assert x_sim.create_count == 0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(x_sim, x_channel, status):
    x_sim.fault("5xx", status=status)
    with pytest.raises(TransientError, match=str(status)):
        x_channel.publish(_post())
    assert x_sim.create_count == 0


def test_a_hanging_x_gives_an_unknown_outcome_within_the_read_timeout(x_sim, x_channel):
    # The simulator holds the request far longer than the channel's 0.5 s read timeout.
    x_sim.fault("hang", seconds=3)
    with pytest.raises(OutcomeUnknownError) as failure:
        x_channel.publish(_post())
    # The channel gave up on its own timeout, not on the simulator closing the connection.
    assert isinstance(failure.value.__cause__, requests.exceptions.ReadTimeout)
    assert x_sim.create_count == 0


def test_post_accepted_then_no_answer_is_unknown_and_found_afterwards(x_sim, x_channel):
    x_sim.fault("accept_then_hang", seconds=3)
    with pytest.raises(OutcomeUnknownError) as failure:
        x_channel.publish(_post())
    assert failure.value.posted_parts == ()
    assert isinstance(failure.value.__cause__, requests.exceptions.ReadTimeout)
    assert x_sim.create_count == 1
    found = x_channel.find_recent(_post())
    assert found is not None
    assert found.remote_id == x_sim.posts[0]["id"]
    assert found.url.endswith(f"/status/{found.remote_id}")


def test_dropped_connection_mid_thread_carries_the_parts_posted(x_sim, x_channel):
    def hang_after_first(part_id):
        if len(x_sim.posts) == 1:
            x_sim.fault("accept_then_hang", seconds=3)

    with pytest.raises(OutcomeUnknownError) as failure:
        x_channel.publish(_post(LONG), on_part=hang_after_first)
    assert failure.value.posted_parts == (x_sim.posts[0]["id"],)
    # Reconciliation finds both parts that went out, chained as replies.
    found = x_channel.find_recent(_post(LONG))
    assert found.part_ids == tuple(p["id"] for p in x_sim.posts)
    assert len(found.part_ids) == 2
    finished = x_channel.publish(_post(LONG), posted_parts=found.part_ids)
    assert [p["text"] for p in x_sim.posts] == XChannel.render(LONG, LINK)
    assert finished.part_ids == tuple(p["id"] for p in x_sim.posts)


def test_delete_during_a_hang_is_transient(x_sim, x_channel):
    result = x_channel.publish(_post())
    x_sim.fault("hang", seconds=3)
    with pytest.raises(TransientError) as failure:
        x_channel.delete(result.remote_id)
    assert isinstance(failure.value.__cause__, requests.exceptions.ReadTimeout)
    assert len(x_sim.posts) == 1


def test_connection_refused_is_transient(x_credentials):
    config = ChannelConfig(x_api_url=f"http://127.0.0.1:{_free_port()}", connect_timeout=0.5, read_timeout=0.5)
    channel = XChannel(x_credentials, config)
    with pytest.raises(TransientError, match="Could not reach X"):
        channel.publish(_post())
    channel.close()


@pytest.mark.parametrize("wrong", ["consumer_secret", "access_token_secret", "access_token"])
def test_bad_credentials_are_permanent_and_ask_for_a_reconnect(x_sim, x_credentials, x_config, wrong):
    channel = XChannel({**x_credentials, wrong: "not-the-right-one"}, x_config)
    with pytest.raises(PermanentError) as failure:
        channel.publish(_post())
    assert failure.value.reconnect is True
    assert x_sim.create_count == 0


def test_missing_credentials_ask_for_a_reconnect(x_config):
    channel = XChannel({"consumer_key": "k"}, x_config)
    with pytest.raises(PermanentError) as failure:
        channel.publish(_post())
    assert failure.value.reconnect is True


def test_duplicate_is_permanent(x_sim, x_channel):
    x_channel.publish(_post())
    with pytest.raises(DuplicatePostError) as failure:
        x_channel.publish(_post())
    assert isinstance(failure.value, PermanentError)
    assert failure.value.message == "X refused this as a duplicate of a recent post"
    assert failure.value.reconnect is False
    assert x_sim.create_count == 1


class _UncheckedX(XChannel):
    """An X channel whose own count disagrees with X's: it sends any stored text."""

    @classmethod
    def part_problems(cls, part):
        return []


def test_text_x_finds_too_long_is_permanent(x_sim, x_credentials, x_config):
    channel = _UncheckedX(x_credentials, x_config)
    too_long = "x" * (MAX_WEIGHTED_LENGTH + 1)
    with pytest.raises(PermanentError, match="too long"):
        channel.publish(Post(text=too_long, parts=(too_long,)))
    assert x_sim.create_count == 0


def test_a_stored_post_x_can_no_longer_carry_is_refused_without_sending(x_sim, x_channel):
    # Rendered under rules that have changed since (a library upgrade): never rendered again.
    too_long = "x" * (MAX_WEIGHTED_LENGTH + 1)
    with pytest.raises(PermanentError, match="can no longer carry the verified text"):
        x_channel.publish(Post(text="short", link=LINK, parts=(too_long,)))
    assert x_sim.create_count == 0


def test_x_sends_the_stored_parts_not_a_fresh_rendering(x_sim, x_channel):
    stored = ("The A38 is closed (1/2)", "Diversions via the A5 (2/2)")
    x_channel.publish(Post(text="A different text that would render otherwise", link=LINK, parts=stored))
    assert [p["text"] for p in x_sim.posts] == list(stored)


def test_a_post_without_stored_parts_is_never_rendered_at_send_time(x_sim, x_channel):
    with pytest.raises(PermanentError, match="No verified text"):
        x_channel.publish(Post(text="The A38 is closed.", link=LINK))
    assert x_sim.create_count == 0


# Delete and reconciliation ------------------------------------------------------------

def test_delete_removes_the_post_and_a_missing_post_is_fine(x_sim, x_channel):
    result = x_channel.publish(_post())
    x_channel.delete(result.remote_id)
    assert x_sim.posts == []
    x_channel.delete(result.remote_id)
    x_channel.delete("1234567890")


def test_find_recent_is_none_when_the_post_is_absent(x_sim, x_channel):
    x_channel.publish(_post("Another update entirely."))
    assert x_channel.find_recent(_post()) is None


def test_find_recent_looks_only_after_since(x_sim, x_channel):
    x_channel.publish(_post())
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    assert x_channel.find_recent(_post(), since=later) is None
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    assert x_channel.find_recent(_post(), since=earlier) is not None


def test_find_recent_sees_only_this_accounts_posts(x_sim, x_channel, x_config):
    other = XChannel(x_sim.add_account("otherarea"), x_config)
    other.publish(_post())
    assert x_channel.find_recent(_post()) is None
    assert other.find_recent(_post()) is not None
    other.close()


def test_find_recent_matches_text_that_x_gives_back_changed(x_sim, x_channel):
    # X returns links as t.co and escapes "&"; the match must see through both.
    post = _post("Road & rail closed near <Exeter> https://example.org/detour see link")
    result = x_channel.publish(post)
    assert x_channel.find_recent(post).remote_id == result.remote_id


# Where requests go ---------------------------------------------------------------------

def test_client_uses_the_configured_base_url_and_timeout(x_channel, x_config):
    session = x_channel.client.session
    assert isinstance(session, XSession)
    assert session.base_url == x_config.x_api_url
    assert session.timeout == (0.5, 0.5)


def test_session_sends_tweepys_host_to_the_configured_url_only(x_sim):
    session = XSession(x_sim.url, (0.5, 0.5))
    # An unsigned call reaches the simulator (and is refused there), not X.
    response = session.get("https://api.twitter.com/2/users/me")
    assert response.status_code == 401
    assert response.url.startswith(x_sim.url)
    with pytest.raises(requests.exceptions.InvalidURL):
        session.get("https://example.org/2/users/me")
    session.close()


# The simulator's own checks --------------------------------------------------------------

def _signed(credentials, **overrides):
    keys = {"client_key": credentials["consumer_key"], "client_secret": credentials["consumer_secret"],
            "resource_owner_key": credentials["access_token"],
            "resource_owner_secret": credentials["access_token_secret"], **overrides}
    return OAuth1(keys.pop("client_key"), decoding=None, **keys)


def test_simulator_accepts_a_correct_signature_once(x_sim, x_credentials):
    request = requests.Request("GET", f"{x_sim.url}/2/users/me", auth=_signed(x_credentials)).prepare()
    with requests.Session() as session:
        assert session.send(request, timeout=2).json()["data"]["username"] == x_credentials["username"]
        # The same signed request again is a replay.
        assert session.send(request, timeout=2).status_code == 401


def test_simulator_refuses_a_signature_made_for_other_parameters(x_sim, x_credentials):
    url = f"{x_sim.url}/2/users/{x_credentials['user_id']}/tweets"
    request = requests.Request("GET", url, params={"max_results": "5"}, auth=_signed(x_credentials)).prepare()
    request.url = request.url.replace("max_results=5", "max_results=50")
    assert requests.Session().send(request, timeout=2).status_code == 401


def test_simulator_refuses_posts_over_the_weighted_limit(x_sim, x_credentials):
    over = "警" * 141  # 141 characters, but 282 as X counts them
    response = requests.post(f"{x_sim.url}/2/tweets", json={"text": over}, auth=_signed(x_credentials), timeout=2)
    assert response.status_code == 400
    at_limit = "警" * 140
    response = requests.post(f"{x_sim.url}/2/tweets", json={"text": at_limit}, auth=_signed(x_credentials),
                             timeout=2)
    assert response.status_code == 201


def test_simulator_is_steered_over_http_as_another_process_would(x_sim, x_config):
    credentials = requests.post(f"{x_sim.url}/_sim/accounts", json={"username": "southhams"}, timeout=2).json()
    channel = XChannel(credentials, x_config)
    assert requests.post(f"{x_sim.url}/_sim/faults", json={"kind": "5xx", "status": 502}, timeout=2).ok
    with pytest.raises(TransientError):
        channel.publish(_post())
    result = channel.publish(_post())
    state = requests.get(f"{x_sim.url}/_sim/state", timeout=2).json()
    assert state["create_count"] == 1
    assert [p["id"] for p in state["posts"]] == [result.remote_id]
    assert state["posts"][0]["username"] == "southhams"
    channel.close()
