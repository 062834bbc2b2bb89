"""Console sign-in through Flask's test client, on SQLite and PostgreSQL:
throttling, sessions that really end, and the second factor."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, app_config, make_user
from web import create_app
from web.auth import SEEN_AT, SIGNED_IN_AT
from workflow.accounts import signin, twofactor
from workflow.accounts.models import RecoveryCode, User
from workflow.audit.chain import details_of
from workflow.audit.models import AuditEvent

from .conftest import csrf_of, sign_in

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODE_RE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.fixture
def make_app(database_url, tmp_path, monkeypatch):
    """``make_app(**settings)``: the app on this test's database, its sign-in waits recorded, not slept."""
    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    made = []

    def build(**extra):
        application = create_app(app_config(database_url, tmp_path, **extra))
        runtime = application.extensions["crier"]
        waits: list[float] = []
        runtime.sessions.kw["info"]["crier.signin"]["throttle"] = signin.SignInThrottle(
            runtime.settings, sleep=waits.append)
        application.waits = waits
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["crier"].engine.dispose()


@pytest.fixture
def app2fa(make_app):
    return make_app(REQUIRE_2FA=True)


def post_login(client, username: str, password: str, address: str = "127.0.0.1", **kw):
    token = csrf_of(client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kw)


def post_form(client, path: str, **data):
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def audit_actions(session, action: str) -> list[dict]:
    session.expire_all()
    try:
        return [details_of(e) for e in session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]
    finally:
        session.rollback()


# Throttling -------------------------------------------------------------------------

def test_unknown_user_and_wrong_password_get_the_same_page(make_app, session, officer):
    app = make_app()
    client = app.test_client()
    wrong = post_login(client, "olivia", "wrong password!")
    unknown = post_login(client, "ghost", TEST_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401

    def page(response, username):
        return csrf_re_free(response.get_data(as_text=True)).replace(f'value="{username}"', 'value=""')

    assert page(wrong, "olivia") == page(unknown, "ghost")
    assert "Wrong username or password" in wrong.get_data(as_text=True)
    assert [(d["username"], d["step"]) for d in audit_actions(session, "signin.failed")] == [
        ("olivia", "password"), ("ghost", "password")]


def csrf_re_free(html: str) -> str:
    return re.sub(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]+"', r'\1""', html)


def test_the_address_throttle_answers_alike_for_every_username(make_app, session, officer):
    app = make_app(LOGIN_RATE_LIMIT="3/minute")
    attacker = app.test_client()
    for username in ("olivia", "ghost", "olivia"):
        assert post_login(attacker, username, "wrong password!", address="203.0.113.5").status_code == 401
    known = post_login(attacker, "olivia", TEST_PASSWORD, address="203.0.113.5")
    unknown = post_login(attacker, "ghost", TEST_PASSWORD, address="203.0.113.5")
    assert known.status_code == unknown.status_code == 429
    assert 1 <= int(known.headers["Retry-After"]) <= 60
    strip = lambda r, u: re.sub(r"try again in \d+ seconds", "", csrf_re_free(r.get_data(as_text=True))).replace(
        f'value="{u}"', "")
    assert strip(known, "olivia") == strip(unknown, "ghost")
    # The real user at another desk signs in at once.
    desk = app.test_client()
    assert post_login(desk, "olivia", TEST_PASSWORD).status_code == 302
    assert desk.get("/").status_code == 200


def test_the_real_user_is_never_locked_out_by_someone_elses_failures(make_app, officer):
    app = make_app()
    attacker = app.test_client()
    for i in range(25):
        assert post_login(attacker, "olivia", f"guess {i}", address=f"198.51.100.{i}").status_code == 401
    max_delay = app.extensions["crier"].settings.login_max_delay
    assert app.waits and max(app.waits) <= max_delay
    desk = app.test_client()
    assert post_login(desk, "olivia", TEST_PASSWORD).status_code == 302
    assert desk.get("/").status_code == 200


# Sessions ---------------------------------------------------------------------------

def session_cookie(client) -> str:
    return client.get_cookie("session").value


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", session_cookie(client))
    return other


def test_a_copied_cookie_is_useless_after_sign_out(app, officer):
    signed_in = sign_in(app, officer)
    thief = copy_of(app, signed_in.client)
    assert thief.get("/").status_code == 200
    assert signed_in.post("/logout").status_code == 302
    assert thief.get("/").status_code == 302
    assert "/login" in thief.get("/").headers["Location"]


@pytest.mark.parametrize("change", ["password", "role", "disable", "generation"])
def test_changing_password_role_or_access_ends_every_session(app, session, officer, change):
    from workflow.core.security import hash_password

    console = sign_in(app, officer)
    thief = copy_of(app, console.client)
    assert console.get("/").status_code == 200
    user = session.get(User, officer.id)
    if change == "password":
        user.password_hash = hash_password("a brand new password")
    elif change == "role":
        user.role = "supervisor"
    elif change == "disable":
        user.active = False
    else:
        user.session_generation += 1  # as another part of Crier ends them
    session.commit()
    assert console.get("/").status_code == 302
    assert thief.get("/").status_code == 302


def test_an_unchanged_save_of_the_user_keeps_the_session(app, session, officer):
    console = sign_in(app, officer)
    user = session.get(User, officer.id)
    user.role = user.role
    user.display_name = "Olivia O."
    session.commit()
    assert console.get("/").status_code == 200


def test_idle_sessions_end(app, officer):
    console = sign_in(app, officer)
    idle = app.extensions["crier"].settings.session_idle_timeout
    with console.client.session_transaction() as s:
        s[SEEN_AT] = s[SEEN_AT] - idle + 60
    assert console.get("/").status_code == 200  # activity moves it on
    with console.client.session_transaction() as s:
        assert s[SEEN_AT] >= int(time.time()) - 5
        s[SEEN_AT] = s[SEEN_AT] - idle - 1
    assert console.get("/").status_code == 302


def test_sessions_end_after_their_lifetime_however_busy(app, officer):
    console = sign_in(app, officer)
    lifetime = app.extensions["crier"].settings.session_lifetime
    with console.client.session_transaction() as s:
        s[SIGNED_IN_AT] = s[SIGNED_IN_AT] - lifetime - 1
    assert console.get("/").status_code == 302


def test_a_session_from_before_generations_is_not_accepted(app, officer):
    console = sign_in(app, officer)
    with console.client.session_transaction() as s:
        del s["crier_generation"]
    assert console.get("/").status_code == 302


def test_timeouts_are_settings(make_app, officer):
    app = make_app(SESSION_IDLE_TIMEOUT="120", SESSION_LIFETIME="600")
    assert (app.extensions["crier"].settings.session_idle_timeout,
            app.extensions["crier"].settings.session_lifetime) == (120, 600)
    console = sign_in(app, officer)
    with console.client.session_transaction() as s:
        s[SEEN_AT] = s[SEEN_AT] - 121
    assert console.get("/").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app, officer):
    client = app.test_client()
    response = post_login(client, "olivia", TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    token = csrf_of(secure.get("/login", base_url="https://crier.example").get_data(as_text=True))
    response = secure.post("/login", base_url="https://crier.example",
                           headers={"Referer": "https://crier.example/login"}, data={"csrf_token": token, "username": "olivia", "password": TEST_PASSWORD})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Second factor ------------------------------------------------------------------------

def enrol(client, user_password: str = TEST_PASSWORD, username: str = "sam"):
    """Sign in and enrol; returns (secret, recovery codes, the recovery page)."""
    response = post_login(client, username, user_password)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    done = post_form(client, "/login/enrol", code=pyotp.TOTP(secret).now())
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, CODE_RE.findall(done.get_data(as_text=True)), done


def fresh_code(session, user_id: int, secret: str) -> str:
    """A code never used before: the current time step's, or the next one's (within the drift allowed)."""
    session.expire_all()
    last = session.get(User, user_id).totp_last_step or 0
    session.rollback()
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(max(last + 1, totp.timecode(time.time())))


def spent_code(session, user_id: int, secret: str) -> str:
    session.expire_all()
    last = session.get(User, user_id).totp_last_step
    session.rollback()
    return pyotp.TOTP(secret).generate_otp(last)


def test_supervisors_must_enrol_by_default_and_get_ten_recovery_codes(app2fa, session, supervisor):
    client = app2fa.test_client()
    assert post_login(client, "sam", TEST_PASSWORD).headers["Location"].endswith("/login/enrol")
    # Half-way through nobody is signed in.
    assert client.get("/").status_code == 302
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "qr-title" in page and "<script" not in page.split("</main>")[0]
    secret = SECRET_RE.search(page).group(1)
    assert post_form(client, "/login/enrol", code="000000" if pyotp.TOTP(secret).now() != "000000"
                     else "111111").status_code == 422
    assert client.get("/").status_code == 302
    done = post_form(client, "/login/enrol", code=pyotp.TOTP(secret).now())
    codes = CODE_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200
    session.expire_all()
    user = session.get(User, supervisor.id)
    assert user.has_totp and secret.encode() not in bytes(user.totp_secret_encrypted)
    stored = [r.code_hash for r in session.execute(select(RecoveryCode)).scalars()]
    assert len(stored) == 10 and not any(c in h or c.replace("-", "") in h for c in codes for h in stored)
    session.rollback()
    assert [d["username"] for d in audit_actions(session, "user.2fa_enrolled")] == ["sam"]


def test_the_second_sign_in_asks_for_the_code_and_never_accepts_it_twice(app2fa, session, supervisor):
    secret, codes, _ = enrol(app2fa.test_client())
    client = app2fa.test_client()
    assert post_login(client, "sam", TEST_PASSWORD).headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302
    # The code just used to enrol is spent: refused, and audited.
    assert post_form(client, "/login/code", code=spent_code(session, supervisor.id, secret)).status_code == 401
    assert client.get("/").status_code == 302
    assert [d["step"] for d in audit_actions(session, "signin.failed")] == ["second_factor"]
    # A fresh code works, once.
    upcoming = fresh_code(session, supervisor.id, secret)
    assert post_form(client, "/login/code", code=upcoming).status_code == 302
    assert client.get("/").status_code == 200
    again = app2fa.test_client()
    post_login(again, "sam", TEST_PASSWORD)
    assert post_form(again, "/login/code", code=upcoming).status_code == 401


def test_a_recovery_code_works_once(app2fa, session, supervisor):
    _, codes, _ = enrol(app2fa.test_client())
    client = app2fa.test_client()
    post_login(client, "sam", TEST_PASSWORD)
    response = post_form(client, "/login/code", code=codes[3].upper().replace("-", " "))
    assert response.status_code == 302
    assert "9 unused recovery code(s) left" in client.get("/").get_data(as_text=True)
    other = app2fa.test_client()
    post_login(other, "sam", TEST_PASSWORD)
    assert post_form(other, "/login/code", code=codes[3]).status_code == 401
    assert post_form(other, "/login/code", code=codes[4]).status_code == 302


def test_the_code_step_without_a_password_goes_back_to_sign_in(app2fa, supervisor):
    client = app2fa.test_client()
    assert client.get("/login/code").status_code == 302
    assert client.get("/login/enrol").status_code == 302
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login/code", data={"csrf_token": token, "code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_officers_sign_in_with_a_password_alone(app2fa, officer):
    client = app2fa.test_client()
    assert post_login(client, "olivia", TEST_PASSWORD).headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_with_the_setting_off_supervisors_need_no_second_factor(app, supervisor):
    assert app.extensions["crier"].settings.require_2fa is False
    assert sign_in(app, supervisor).get("/").status_code == 200


def test_the_second_factor_is_required_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    for key in ("CRIER_REQUIRE_2FA",):
        monkeypatch.delenv(key, raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "k"})
    assert app.extensions["crier"].settings.require_2fa is True
    monkeypatch.setenv("CRIER_REQUIRE_2FA", "false")
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                       "SECRET_KEY": "k"}).extensions["crier"].settings.require_2fa is False


def test_api_tokens_need_no_second_factor(app2fa, api, supervisor):
    response = api(supervisor).get("/accounts")
    assert response.status_code == 200


def test_an_admin_resets_a_lost_second_factor(app2fa, session, supervisor, admin):
    sam_secret, _, _ = enrol(app2fa.test_client())
    sam = app2fa.test_client()
    post_login(sam, "sam", TEST_PASSWORD)
    assert post_form(sam, "/login/code", code=fresh_code(session, supervisor.id, sam_secret)).status_code == 302
    assert sam.get("/").status_code == 200

    ada = app2fa.test_client()
    enrol(ada, username="ada")
    page = ada.get("/users/two-factor").get_data(as_text=True)
    assert "sam" in page and "Reset second factor" in page
    token = csrf_of(page)
    assert ada.post("/users/sam/reset-2fa", data={"csrf_token": token}).status_code == 302
    # Sam's session ended; Sam sets the second factor up again at the next sign-in.
    assert sam.get("/").status_code == 302
    assert post_login(sam, "sam", TEST_PASSWORD).headers["Location"].endswith("/login/enrol")
    assert [(d["username"]) for d in audit_actions(session, "user.2fa_reset")] == ["sam"]
    # Only an administrator may.
    officer = make_user(session, "olivia", "officer")
    olivia = app2fa.test_client()
    post_login(olivia, "olivia", TEST_PASSWORD)
    assert olivia.get("/users/two-factor").status_code == 403
    token = csrf_of(olivia.get("/").get_data(as_text=True))
    assert olivia.post("/users/ada/reset-2fa", data={"csrf_token": token}).status_code == 403


def test_the_cli_resets_a_second_factor(app2fa, session, supervisor):
    from click.testing import CliRunner

    from web.cli import cli

    enrol(app2fa.test_client())
    runtime = app2fa.extensions["crier"]
    env = {"CRIER_DATABASE_URL": runtime.settings.database_url, "CRIER_SECRET_KEY": "crier-tests",
           "CRIER_CREDENTIAL_KEYS": ",".join(runtime.settings.credential_keys), "CRIER_BROKER_URL": "memory://"}
    result = CliRunner().invoke(cli, ["user", "reset-2fa", "sam"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "second factor of sam reset" in result.output
    session.expire_all()
    assert not session.get(User, supervisor.id).has_totp
    session.rollback()
    assert CliRunner().invoke(cli, ["user", "reset-2fa", "nobody"], env=env).exit_code == 1


def test_key_rotation_re_encrypts_totp_secrets(app2fa, session, supervisor):
    from cryptography.fernet import Fernet

    from workflow.accounts import channel_accounts as accounts
    from workflow.core.security import CredentialVault

    secret, _, _ = enrol(app2fa.test_client())
    runtime = app2fa.extensions["crier"]
    new_key = Fernet.generate_key().decode()
    session.info["crier.vault"] = CredentialVault([new_key, *runtime.settings.credential_keys])
    accounts.rotate_credentials(session)
    session.info["crier.vault"] = CredentialVault([new_key])
    user = session.get(User, supervisor.id)
    assert twofactor._secret_of(session, user) == secret


def test_a_session_without_the_second_factor_ends_when_the_setting_is_turned_on(make_app, supervisor):
    without = make_app()
    console = sign_in(without, supervisor)
    assert console.get("/").status_code == 200
    with_2fa = make_app(REQUIRE_2FA=True)
    browser = with_2fa.test_client()
    browser.set_cookie("session", session_cookie(console.client))
    assert browser.get("/").status_code == 302


def test_a_slowed_attempt_waits_outside_any_transaction(app2fa, session, supervisor):
    """On SQLite a transaction holds the write lock: nobody else may wait for a slowed sign-in."""
    from flask import g

    enrol(app2fa.test_client())
    runtime = app2fa.extensions["crier"]
    seen = []
    runtime.sessions.kw["info"]["crier.signin"]["throttle"].sleep = (
        lambda delay: seen.append((delay, g.crier_session.in_transaction())))
    client = app2fa.test_client()
    post_login(client, "sam", TEST_PASSWORD)
    for _ in range(runtime.settings.login_slow_after + 2):
        assert post_form(client, "/login/code", code="not-a-code").status_code == 401
    assert len(seen) == 2 and all(delay > 0 and not in_tx for delay, in_tx in seen)


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(make_app, officer):
    app = make_app(PROXY_HOPS=1, LOGIN_RATE_LIMIT="2/minute")
    client = app.test_client()

    def attempt(forwarded_for: str):
        return post_login(client, "olivia", "wrong password!", headers={"X-Forwarded-For": forwarded_for})

    assert [attempt("203.0.113.1").status_code for _ in range(3)] == [401, 401, 429]
    assert attempt("203.0.113.2").status_code == 401
    # Without trusting a proxy, the header is ignored: the peer's address counts.
    direct = make_app(LOGIN_RATE_LIMIT="2/minute").test_client()
    statuses = [post_login(direct, "olivia", "wrong password!", headers={"X-Forwarded-For": f"203.0.113.{i}"})
                .status_code for i in range(3)]
    assert statuses == [401, 401, 429]


def test_an_empty_rate_limit_means_no_limit_per_address(make_app, officer):
    app = make_app(LOGIN_RATE_LIMIT="")
    client = app.test_client()
    assert {post_login(client, "olivia", "wrong password!").status_code for _ in range(25)} == {401}
