"""Connecting accounts from the console: "Sign in with X" (OAuth 1.0a) and Facebook Login for
pages, end to end against the simulators, with the state's guards (tampering, replay, another
admin, another session) and refusals (cancelled consent, bad signatures)."""
from __future__ import annotations

import datetime as dt
import json
import secrets
import socket

import pytest
import requests
from requests_oauthlib import OAuth1

from channels.base import ChannelConfig, PermanentError
from channels.facebook import FacebookChannel
from channels.x import XChannel
from channels.x.signin import XSignIn
from tests.conftest import app_config, make_account, make_user
from tests.console.conftest import sign_in
from tests.console.connect.support import (
    account_credentials,
    connect_x,
    consent_facebook,
    consent_x,
    fresh,
    local,
    query,
    start_facebook,
    start_x,
)
from web import create_app
from workflow.accounts import connect
from workflow.accounts.models import AccountConnection, ChannelAccount
from workflow.audit.models import AuditEvent
from workflow.core.config import Settings, SettingsError
from workflow.core.database import utcnow


def actions(session, name: str) -> list[dict]:
    """The details of each audit event ``name``, oldest first, with its actor."""
    return [{**json.loads(e.details), "actor": e.actor} for e in sorted(
        fresh(session, AuditEvent, action=name), key=lambda e: e.id)]


# X ------------------------------------------------------------------------------------------

def test_an_admin_connects_an_x_account_by_signing_in_with_x(app, session, admin, x_sim):
    console = sign_in(app, admin)
    answer = connect_x(console, x_sim, "north_beat", {"area": "North", "exercise": "yes"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/accounts")
    [account] = fresh(session, ChannelAccount, kind="x")
    assert (account.name, account.area, account.exercise, account.status) == ("@north_beat", "North", True, "active")
    [simulated] = [a for a in x_sim.state.accounts.values() if a.username == "north_beat"]
    credentials = account_credentials(session, account)
    assert credentials == {"consumer_key": x_sim.state.consumer_key, "consumer_secret": x_sim.state.consumer_secret,
                           "access_token": simulated.access_token,
                           "access_token_secret": simulated.access_token_secret,
                           "user_id": simulated.user_id, "username": "north_beat"}
    # Stored encrypted: no token in the row.
    assert simulated.access_token.encode() not in account.credentials_encrypted
    assert account.settings == {"username": "north_beat", "user_id": simulated.user_id}
    assert account.last_success_at is not None and not account.reconnect_needed
    [event] = actions(session, "account.connected")
    assert event["via"] == "sign in with X" and event["actor"] == "ada"
    page = console.get("/accounts").get_data(as_text=True)
    assert "@north_beat is connected" in page and "@north_beat" in page
    # The credentials post for real.
    channel = XChannel(credentials, ChannelConfig(x_api_url=x_sim.url))
    assert channel.verify() == "@north_beat"
    channel.close()


def test_signing_in_again_as_the_same_user_updates_that_account(app, session, admin, x_sim):
    console = sign_in(app, admin)
    connect_x(console, x_sim, "south_beat", {"area": "South"})
    [account] = fresh(session, ChannelAccount, kind="x")
    assert x_sim.revoke("south_beat")
    assert connect_x(console, x_sim, "south_beat", {"area": "Elsewhere"}).status_code == 302
    [again] = fresh(session, ChannelAccount, kind="x")
    assert again.id == account.id and again.area == "South"
    [renewed] = [a for a in x_sim.state.accounts.values() if a.username == "south_beat"]
    assert account_credentials(session, again)["access_token"] == renewed.access_token
    assert [e["created"] for e in actions(session, "account.connected")] == [True, False]


def test_reconnecting_an_account_refuses_a_sign_in_as_another_user(app, session, admin, x_sim):
    console = sign_in(app, admin)
    connect_x(console, x_sim, "east_beat")
    [account] = fresh(session, ChannelAccount, kind="x")
    callback = consent_x(x_sim, start_x(console, x_sim, {"account": str(account.id)}), "west_beat")
    answer = console.get(local(callback))
    assert answer.status_code == 409 and "not @east_beat" in answer.get_data(as_text=True)
    assert len(fresh(session, ChannelAccount, kind="x")) == 1


def test_cancelling_at_x_connects_nothing(app, session, admin, x_sim):
    console = sign_in(app, admin)
    authorize = start_x(console, x_sim)
    callback = consent_x(x_sim, authorize, decision="deny")
    assert query(callback)["denied"] == query(authorize)["oauth_token"]
    answer = console.get(local(callback), follow_redirects=True)
    assert "cancelled: nothing was connected" in answer.get_data(as_text=True)
    assert fresh(session, ChannelAccount) == []
    [connection] = fresh(session, AccountConnection)
    assert connection.stage == "cancelled"
    assert len(actions(session, "account.connect_cancelled")) == 1


def test_a_tampered_state_is_refused_and_the_real_one_still_works(app, session, admin, x_sim):
    console = sign_in(app, admin)
    callback = consent_x(x_sim, start_x(console, x_sim))
    state = query(callback)["state"]
    forged = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    answer = console.get(local(callback).replace(state, forged))
    assert answer.status_code == 400 and "did not come from Crier" in answer.get_data(as_text=True)
    assert fresh(session, ChannelAccount) == []
    assert console.get(local(callback)).status_code == 302
    assert len(fresh(session, ChannelAccount)) == 1


def test_a_replayed_callback_is_refused(app, session, admin, x_sim):
    console = sign_in(app, admin)
    callback = consent_x(x_sim, start_x(console, x_sim))
    assert console.get(local(callback)).status_code == 302
    again = console.get(local(callback))
    assert again.status_code == 409 and "used already" in again.get_data(as_text=True)
    assert len(fresh(session, ChannelAccount)) == 1


def test_another_admin_or_another_session_cannot_finish_the_sign_in(app, session, admin, x_sim):
    other = make_user(session, "alan", "admin")
    console = sign_in(app, admin)
    callback = consent_x(x_sim, start_x(console, x_sim))
    assert sign_in(app, other).get(local(callback)).status_code == 403
    # The same admin, signed in elsewhere (another browser): not the session that started it.
    assert sign_in(app, admin).get(local(callback)).status_code == 400
    assert fresh(session, ChannelAccount) == []
    assert console.get(local(callback)).status_code == 302


def test_officers_and_supervisors_cannot_connect_accounts(app, session, officer, supervisor, x_sim):
    for person in (officer, supervisor):
        console = sign_in(app, person)
        assert console.post("/accounts/connect/x").status_code == 403
        assert console.post("/accounts/connect/facebook").status_code == 403


def test_x_refuses_a_bad_signature(x_sim):
    wrong = XSignIn(x_sim.state.consumer_key, "not-the-secret", base_url=x_sim.url, timeout=(2, 5))
    with pytest.raises(PermanentError, match="app keys"):
        wrong.start("http://localhost/accounts/connect/x/callback")
    good = XSignIn(x_sim.state.consumer_key, x_sim.state.consumer_secret, base_url=x_sim.url, timeout=(2, 5))
    token = good.start("http://localhost/callback")
    callback = consent_x(x_sim, token.authorize_url, "signature_test")
    verifier = query(callback)["oauth_verifier"]
    # Signed with another token secret than the request token's: 401, and the verifier stays unused.
    with pytest.raises(PermanentError):
        good.finish(token.token, "forged-secret", verifier)
    granted = good.finish(token.token, token.secret, verifier)
    assert granted.screen_name == "signature_test"
    # A request token and its verifier work once.
    with pytest.raises(PermanentError):
        good.finish(token.token, token.secret, verifier)


def test_the_simulator_answers_request_tokens_in_x_s_shape(x_sim):
    auth = OAuth1(x_sim.state.consumer_key, x_sim.state.consumer_secret, callback_uri="http://localhost/cb")
    answer = requests.post(f"{x_sim.url}/oauth/request_token", auth=auth, timeout=5)
    assert answer.status_code == 200
    fields = dict(pair.split("=") for pair in answer.text.split("&"))
    assert set(fields) == {"oauth_token", "oauth_token_secret", "oauth_callback_confirmed"}
    assert fields["oauth_callback_confirmed"] == "true"
    bad = requests.post(f"{x_sim.url}/oauth/request_token", timeout=5,
                        auth=OAuth1(x_sim.state.consumer_key, "wrong", callback_uri="http://localhost/cb"))
    assert bad.status_code == 401 and bad.json()["errors"][0]["code"] == 32


# Facebook --------------------------------------------------------------------------------------

def test_an_admin_connects_facebook_pages_by_facebook_login(app, session, admin, graph_sim):
    north = graph_sim.state.add_page("North Neighbourhood Police")
    south = graph_sim.state.add_page("South Neighbourhood Police")
    console = sign_in(app, admin)
    dialog = start_facebook(console, graph_sim, {"area": "North"})
    assert dialog.startswith(graph_sim.url + "/v21.0/dialog/oauth?")
    asked = query(dialog)
    assert asked["client_id"] == graph_sim.login.app_id
    assert asked["redirect_uri"] == "http://localhost/accounts/connect/facebook/callback"
    assert asked["scope"] == "pages_manage_posts,pages_read_engagement,pages_show_list" and asked["state"]
    callback = consent_facebook(graph_sim, dialog, [north.page_id, south.page_id])
    assert set(query(callback)) == {"code", "state"}
    picking = console.get(local(callback))
    assert picking.status_code == 302
    page = console.get(local(picking.headers["Location"])).get_data(as_text=True)
    assert "North Neighbourhood Police" in page and "South Neighbourhood Police" in page
    assert north.access_token not in page  # tokens never reach the browser
    done = console.post(local(picking.headers["Location"]), {"page": [north.page_id]})
    assert done.status_code == 302
    [account] = fresh(session, ChannelAccount, kind="facebook")
    assert (account.name, account.area) == ("North Neighbourhood Police", "North")
    assert account_credentials(session, account) == {
        "page_id": north.page_id, "page_access_token": north.access_token,
        "page_name": "North Neighbourhood Police"}
    assert account.settings == {"page_id": north.page_id, "page_name": "North Neighbourhood Police"}
    assert graph_sim.login.exchanges >= 1
    [event] = actions(session, "account.connected")
    assert event["via"] == "Facebook Login"
    channel = FacebookChannel(account_credentials(session, account), ChannelConfig(facebook_graph_url=graph_sim.url))
    assert channel.verify() == "North Neighbourhood Police"
    channel.close()
    # The choice is made once.
    assert console.post(local(picking.headers["Location"]), {"page": [south.page_id]}).status_code == 409


def test_a_page_crier_has_gets_its_new_token_on_reconnect(app, session, admin, graph_sim):
    page = graph_sim.state.add_page("City Centre Police")
    console = sign_in(app, admin)
    picking = console.get(local(consent_facebook(graph_sim, start_facebook(console, graph_sim), [page.page_id])))
    console.post(local(picking.headers["Location"]), {"page": [page.page_id]})
    [account] = fresh(session, ChannelAccount, kind="facebook")
    renewed = "EAAnew" + secrets.token_urlsafe(12)
    with graph_sim.state.lock:
        page.access_token = renewed
    dialog = start_facebook(console, graph_sim, {"account": str(account.id)})
    answer = console.get(local(consent_facebook(graph_sim, dialog, [page.page_id])))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/accounts")
    [again] = fresh(session, ChannelAccount, kind="facebook")
    assert again.id == account.id
    assert account_credentials(session, again)["page_access_token"] == renewed


def test_cancelling_facebook_login_connects_nothing(app, session, admin, graph_sim):
    graph_sim.state.add_page("Refused Page")
    console = sign_in(app, admin)
    callback = consent_facebook(graph_sim, start_facebook(console, graph_sim), [], decision="deny")
    assert query(callback)["error"] == "access_denied" and query(callback)["error_reason"] == "user_denied"
    answer = console.get(local(callback), follow_redirects=True)
    assert "no page was connected" in answer.get_data(as_text=True)
    assert fresh(session, ChannelAccount) == []
    assert console.get(local(callback)).status_code == 409  # the state is spent


def test_facebook_state_tampering_replay_and_wrong_user(app, session, admin, graph_sim):
    page = graph_sim.state.add_page("Guarded Page")
    other = make_user(session, "alan", "admin")
    console = sign_in(app, admin)
    callback = consent_facebook(graph_sim, start_facebook(console, graph_sim), [page.page_id])
    state = query(callback)["state"]
    assert console.get(local(callback).replace(state, state[::-1])).status_code == 400
    assert console.get(local(callback).replace(f"state={state}", "state=")).status_code == 400
    assert sign_in(app, other).get(local(callback)).status_code == 403
    assert console.get(local(callback)).status_code == 302
    assert console.get(local(callback)).status_code == 409
    assert graph_sim.login.codes[query(callback)["code"]].used


def test_graph_refuses_a_code_twice_and_a_wrong_secret(graph_sim):
    page = graph_sim.state.add_page("Code Page")
    dialog = (f"{graph_sim.url}/v21.0/dialog/oauth?client_id={graph_sim.login.app_id}"
              "&redirect_uri=http://localhost/cb&state=s&scope=pages_show_list")
    code = query(consent_facebook(graph_sim, dialog, [page.page_id]))["code"]
    url = f"{graph_sim.url}/v21.0/oauth/access_token"
    params = {"client_id": graph_sim.login.app_id, "client_secret": "wrong", "redirect_uri": "http://localhost/cb",
              "code": code}
    assert requests.get(url, params=params, timeout=5).json()["error"]["message"] == "Error validating client secret."
    params["client_secret"] = graph_sim.login.app_secret
    first = requests.get(url, params=params, timeout=5).json()
    assert first["token_type"] == "bearer" and first["access_token"] and first["expires_in"] > 0
    again = requests.get(url, params=params, timeout=5).json()["error"]
    assert (again["code"], again["error_subcode"]) == (100, 36009)
    accounts = requests.get(f"{graph_sim.url}/v21.0/me/accounts", timeout=5,
                            headers={"Authorization": f"OAuth {first['access_token']}"}).json()
    assert accounts["data"][0] == {"id": page.page_id, "name": "Code Page", "access_token": page.access_token,
                                   "category": "Government organisation",
                                   "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]}


def test_the_accounts_page_lets_its_sign_in_forms_lead_to_x_and_facebook_only(app, admin, x_sim, graph_sim):
    policy = sign_in(app, admin).get("/accounts").headers["Content-Security-Policy"]
    assert f"form-action 'self' {x_sim.url} {graph_sim.url};" in policy
    other = sign_in(app, admin).get("/users").headers["Content-Security-Policy"]
    assert "form-action 'self';" in other


def test_the_sign_in_settings_go_in_pairs_and_follow_the_platform_addresses():
    base = {"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "s"}
    with pytest.raises(SettingsError, match="CRIER_X_CONSUMER_KEY and CRIER_X_CONSUMER_SECRET go together"):
        Settings.from_mapping({**base, "X_CONSUMER_KEY": "key"})
    with pytest.raises(SettingsError, match="CRIER_FACEBOOK_APP_ID is the Facebook app's number"):
        Settings.from_mapping({**base, "FACEBOOK_APP_ID": "crier", "FACEBOOK_APP_SECRET": "s"})
    with pytest.raises(SettingsError, match="CRIER_X_OAUTH_URL must be an http"):
        Settings.from_mapping({**base, "X_OAUTH_URL": "api.x.com"})
    plain = Settings.from_mapping(base)
    assert (plain.x_oauth_base, plain.facebook_login_base) == ("https://api.twitter.com", "https://www.facebook.com")
    local = Settings.from_mapping({**base, "X_API_URL": "http://127.0.0.1:5010",
                                   "FACEBOOK_GRAPH_URL": "http://127.0.0.1:5011/"})
    assert (local.x_oauth_base, local.facebook_login_base) == ("http://127.0.0.1:5010", "http://127.0.0.1:5011")
    chosen = Settings.from_mapping({**base, "X_OAUTH_URL": "https://api.x.com",
                                    "FACEBOOK_LOGIN_URL": "https://m.facebook.com"})
    assert (chosen.x_oauth_base, chosen.facebook_login_base) == ("https://api.x.com", "https://m.facebook.com")


def test_an_unreachable_x_or_facebook_is_a_clear_502_and_connects_nothing(database_url, tmp_path, monkeypatch,
                                                                          session, admin, x_sim, graph_sim):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens here once closed
    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance-dead"))
    cut_off = create_app(app_config(
        database_url, tmp_path, X_API_URL=x_sim.url, X_OAUTH_URL=dead, FACEBOOK_GRAPH_URL=dead,
        FACEBOOK_LOGIN_URL=graph_sim.url, X_CONSUMER_KEY=x_sim.state.consumer_key,
        X_CONSUMER_SECRET=x_sim.state.consumer_secret, FACEBOOK_APP_ID=graph_sim.login.app_id,
        FACEBOOK_APP_SECRET=graph_sim.login.app_secret, CONNECT_TIMEOUT=1, READ_TIMEOUT=2))
    try:
        console = sign_in(cut_off, admin)
        answer = console.post("/accounts/connect/x")
        assert answer.status_code == 502 and "Could not reach X" in answer.get_data(as_text=True)
        # Facebook's dialog is reachable, its Graph API is not: the code cannot be traded.
        dialog = start_facebook(console, graph_sim)
        callback = consent_facebook(graph_sim, dialog, [graph_sim.state.add_page("Cut Off Page").page_id])
        answer = console.get(local(callback))
        assert answer.status_code == 502 and "Could not reach Facebook" in answer.get_data(as_text=True)
        assert fresh(session, ChannelAccount) == []
    finally:
        cut_off.extensions["crier"].engine.dispose()


def test_a_page_facebook_did_not_give_cannot_be_picked(app, session, admin, graph_sim):
    page = graph_sim.state.add_page("Given Page")
    other = graph_sim.state.add_page("Not Given Page")
    console = sign_in(app, admin)
    picking = console.get(local(consent_facebook(graph_sim, start_facebook(console, graph_sim), [page.page_id])))
    pick = local(picking.headers["Location"])
    refused = console.post(pick, {"page": [other.page_id]})
    assert refused.status_code == 422 and "was not among those Facebook gave" in refused.get_data(as_text=True)
    assert console.post(pick, {}).status_code == 422
    assert fresh(session, ChannelAccount) == []
    assert console.post(pick, {"page": [page.page_id]}).status_code == 302


def test_an_expired_sign_in_is_refused(app, session, admin, x_sim, monkeypatch):
    console = sign_in(app, admin)
    callback = consent_x(x_sim, start_x(console, x_sim))
    monkeypatch.setattr(connect, "STATE_MAX_AGE", -1)  # every state is now older than allowed
    answer = console.get(local(callback))
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert fresh(session, ChannelAccount) == []


def test_sign_ins_long_over_are_not_kept(app, session, admin, x_sim):
    old = AccountConnection(kind="x", stage="started", user_id=admin.id, binding="b" * 64, nonce_hash="n" * 64,
                            created_at=utcnow() - dt.timedelta(days=2))
    session.add(old)
    session.commit()
    console = sign_in(app, admin)
    start_x(console, x_sim)
    [kept] = fresh(session, AccountConnection)
    assert kept.nonce_hash != "n" * 64 and kept.created_at > utcnow() - dt.timedelta(minutes=5)


def test_graph_takes_the_login_calls_without_a_version_too(graph_sim):
    page = graph_sim.state.add_page("Unversioned Page")
    dialog = (f"{graph_sim.url}/dialog/oauth?client_id={graph_sim.login.app_id}"
              "&redirect_uri=http://localhost/cb&state=s&scope=pages_show_list")
    code = query(consent_facebook(graph_sim, dialog, [page.page_id]))["code"]
    token = requests.get(f"{graph_sim.url}/oauth/access_token", timeout=5, params={
        "client_id": graph_sim.login.app_id, "client_secret": graph_sim.login.app_secret,
        "redirect_uri": "http://localhost/cb", "code": code}).json()["access_token"]
    long_lived = requests.get(f"{graph_sim.url}/oauth/access_token", timeout=5, params={
        "grant_type": "fb_exchange_token", "client_id": graph_sim.login.app_id,
        "client_secret": graph_sim.login.app_secret, "fb_exchange_token": token}).json()
    assert long_lived["expires_in"] > 50 * 24 * 3600 and long_lived["access_token"] != token
    listed = requests.get(f"{graph_sim.url}/me/accounts", params={"access_token": long_lived["access_token"]},
                          timeout=5).json()
    assert [p["id"] for p in listed["data"]] == [page.page_id]
    refused = requests.get(f"{graph_sim.url}/me/accounts", params={"access_token": "EAAforged"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 190


def test_an_account_added_by_hand_is_reconnected_only_by_its_own_username(app, session, admin, x_sim):
    handmade = make_account(session, "x", "Force X by hand", credentials={
        "consumer_key": "ck", "consumer_secret": "cs", "access_token": "at", "access_token_secret": "ats",
        "username": "force_by_hand"})
    console = sign_in(app, admin)
    wrong = consent_x(x_sim, start_x(console, x_sim, {"account": str(handmade.id)}), "someone_else")
    assert console.get(local(wrong)).status_code == 409
    right = consent_x(x_sim, start_x(console, x_sim, {"account": str(handmade.id)}), "Force_By_Hand")
    assert console.get(local(right)).status_code == 302
    [account] = fresh(session, ChannelAccount, kind="x")
    assert account.id == handmade.id and account.settings["user_id"]
    assert account_credentials(session, account)["access_token"] != "at"
