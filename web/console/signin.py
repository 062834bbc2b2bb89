"""Signing in and out of the console: password, then (for supervisors and
admins, or anyone enrolled) a TOTP code or a recovery code; enrolment with a
QR code on first sign-in; an admin's reset of someone's second factor.

Between the two steps nobody is signed in: the session holds only who passed
the password step, under which generation, and when (for a few minutes).
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from markupsafe import Markup
from sqlalchemy import select

from workflow.accounts import policy, signin, twofactor
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
)

from ..auth import console_user, current_settings, start_console_session
from ..context import db
from . import bp

#: Between the password and the second factor: (user id, generation, when, next).
PENDING = "crier_pending_signin"
PENDING_SECONDS = 300


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("console.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("console.home")
    return target


def _address() -> str:
    return request.remote_addr or "unknown"


def _pending_user() -> User | None:
    """Who passed the password step in this browser, if it is still recent and valid."""
    pending = session.get(PENDING)
    try:
        user_id, generation, started = int(pending[0]), int(pending[1]), float(pending[2])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    user = db().get(User, user_id)
    if (user is None or not user.active or generation != (user.session_generation or 0)
            or time.time() - started > PENDING_SECONDS):
        session.pop(PENDING, None)
        return None
    return user


def _finish(user: User, next_url: str | None, second_factor: bool = False):
    start_console_session(user, second_factor=second_factor)
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("console.home"))
    error, status, username, retry_after = None, 200, "", 0
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:200]
        password = request.form.get("password") or ""
        if not username or not password:
            error, status = "Enter your username and password.", 400
        else:
            try:
                user = signin.check_password(db(), username, password, _address())
            except ThrottledError as exc:
                error, status = f"Sign-in is paused: {exc.message}.", 429
                retry_after = getattr(exc, "retry_after", 60)
            except AuthenticationError:
                error, status = "Wrong username or password.", 401
            else:
                next_url = request.args.get("next")
                if not twofactor.required_for(current_settings(), user):
                    return _finish(user, next_url)
                session.clear()
                session[PENDING] = [user.id, user.session_generation or 0, int(time.time()), safe_next(next_url)]
                return redirect(url_for("console.second_factor" if user.has_totp else "console.enrol"))
    response = render_template("console/login.html", title="Sign in", error=error, username=username)
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    return response, status, headers


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None:
        return redirect(url_for("console.login"))
    if not user.has_totp:
        return redirect(url_for("console.enrol"))
    error, status = None, 200
    if request.method == "POST":
        try:
            used = signin.check_second_factor(db(), user, request.form.get("code") or "", _address())
        except ThrottledError as exc:
            error, status = f"Sign-in is paused: {exc.message}.", 429
        except AuthenticationError:
            error, status = "That code is not right. Enter the current code from your app, or a recovery code.", 401
        else:
            next_url = session.get(PENDING)[3]
            response = _finish(user, next_url, second_factor=True)
            if used == "recovery_code":
                left = twofactor.remaining_recovery_codes(db(), user)
                flash(f"You signed in with a recovery code; {left} unused recovery code(s) left. "
                      "Ask an administrator to reset your second factor if you have lost your phone.")
            return response
    return render_template("console/second_factor.html", title="Enter your code", error=error), status


def qr_svg(uri: str) -> Markup:
    """The ``otpauth://`` URI as an inline SVG QR code (no script, no external image)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg"):]
    return Markup(svg.replace("<svg", '<svg role="img" aria-labelledby="qr-title"', 1).replace(
        ">", '><title id="qr-title">QR code to add Crier to your authenticator app</title>', 1))


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    user = _pending_user()
    if user is None:
        return redirect(url_for("console.login"))
    if user.has_totp:
        return redirect(url_for("console.second_factor"))
    error, status = None, 200
    if request.method == "POST":
        try:
            codes = twofactor.confirm_enrolment(db(), user, request.form.get("code") or "")
        except ConflictError as exc:
            error, status = exc.message[0].upper() + exc.message[1:] + ".", 422
        else:
            next_url = session.get(PENDING)[3]
            start_console_session(db().get(User, user.id), second_factor=True)
            return render_template("console/recovery_codes.html", title="Your recovery codes", codes=codes,
                                   next_url=safe_next(next_url))
    secret = twofactor.pending_secret(db(), user)
    return render_template("console/enrol.html", title="Set up your second factor", error=error,
                           secret=secret, qr=qr_svg(twofactor.provisioning_uri(secret, user.username)),
                           user=user), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        signin.sign_out(db(), console_user())
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.login"))


# An administrator's view of second factors --------------------------------------

def _require_admin() -> User:
    user = console_user()
    if not policy.may(user, Action.ADMINISTER):
        raise PermissionDeniedError("only an administrator can reset a second factor")
    return user


@bp.get("/users/two-factor")
@login_required
def two_factor_users():
    _require_admin()
    people = db().execute(select(User).order_by(User.username)).scalars().all()
    return render_template("console/two_factor_users.html", title="Second factors", people=people,
                           required=lambda u: twofactor.required_for(current_settings(), u))


@bp.post("/users/<username>/reset-2fa")
@login_required
def reset_two_factor(username: str):
    admin = _require_admin()
    person = db().execute(select(User).where(User.username == username)).scalar_one_or_none()
    if person is None:
        raise NotFoundError(f"no user called {username!r}")
    twofactor.reset(db(), person, actor=admin)
    flash(f"The second factor of {person.username} is reset: they set it up again at their next sign-in.")
    return redirect(url_for("console.two_factor_users"))
