"""Sign in with X: the three-legged OAuth 1.0a flow that connects an X account to Crier's X app.

Built on tweepy's ``OAuth1UserHandler``. tweepy hard-codes X's host and sets no
timeout, so :class:`XSignIn` sends its calls to the configured OAuth URL with
the configured timeout. Step one asks X for a request token and gives the
address to send the administrator to; step two trades the request token and
the ``oauth_verifier`` from X's callback for the account's access token.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl

import requests
import tweepy
from requests_oauthlib.oauth1_session import TokenRequestDenied

from .._http import BoundSession
from ..base import ChannelError, PermanentError, TransientError
from .adapter import X


@dataclasses.dataclass(frozen=True)
class RequestToken:
    """X's temporary credentials for one sign-in: the token names it, the secret signs step two."""

    token: str
    secret: str
    authorize_url: str


@dataclasses.dataclass(frozen=True)
class XAuthorization:
    """What X gives once the account holder allowed Crier's app."""

    access_token: str
    access_token_secret: str
    user_id: str
    screen_name: str


def _bind(session: requests.Session, base_url: str, timeout: tuple[float, float],
          answers: list[requests.Response]) -> requests.Session:
    """Make ``session`` send only under ``base_url`` and with ``timeout``, keeping each answer in ``answers``."""
    bound = BoundSession(base_url, timeout)
    plain = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = timeout
        response = plain(method, bound.resolve(url), *args, **kwargs)
        answers.append(response)
        return response

    session.request = request  # type: ignore[method-assign]
    return session


class _Handler(tweepy.OAuth1UserHandler):
    """tweepy's handler, talking to ``base_url`` with ``timeout`` instead of api.twitter.com without one."""

    def __init__(self, consumer_key: str, consumer_secret: str, *, base_url: str,
                 timeout: tuple[float, float], callback: str | None = None):
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        #: X's answers, in order: the access token's also carries the account's id and name.
        self.answers: list[requests.Response] = []
        super().__init__(consumer_key, consumer_secret, callback=callback)

    @property
    def oauth(self) -> requests.Session:
        return self._oauth

    @oauth.setter
    def oauth(self, session: requests.Session) -> None:
        # tweepy makes a new OAuth1Session for the access-token step: each is bound.
        self._oauth = _bind(session, self._base_url, self._timeout, self.answers)

    def _get_oauth_url(self, endpoint: str) -> str:
        return f"{self._base_url}/oauth/{endpoint}"


def _classify(exc: tweepy.errors.TweepyException, step: str) -> ChannelError:
    cause: BaseException = exc
    # tweepy wraps the cause, sometimes twice.
    while isinstance(cause, tweepy.errors.TweepyException) and cause.args and isinstance(
            cause.args[0], BaseException):
        cause = cause.args[0]
    if isinstance(cause, requests.RequestException):
        return X.request_failure(cause, writes=False)
    if isinstance(cause, TokenRequestDenied):
        status = cause.status_code
        failure = X.status_failure(status, getattr(cause.response, "headers", {}) or {}, writes=False)
        if failure is not None:
            return failure
        if status == 401:
            return PermanentError(f"X did not accept {step}: Crier's X app keys (CRIER_X_CONSUMER_KEY and "
                                  "CRIER_X_CONSUMER_SECRET) are wrong, or the sign-in expired. Start again.")
        return PermanentError(f"X refused {step} (HTTP {status}).")
    return PermanentError(f"X's answer to {step} could not be read ({cause}).")


class XSignIn:
    """Sign in with X for Crier's X app (consumer key and secret), at ``base_url``."""

    def __init__(self, consumer_key: str, consumer_secret: str, *, base_url: str, timeout: tuple[float, float]):
        if not consumer_key or not consumer_secret:
            raise PermanentError("Crier has no X app to connect accounts with: set CRIER_X_CONSUMER_KEY and "
                                 "CRIER_X_CONSUMER_SECRET.")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.base_url = base_url
        self.timeout = timeout

    def start(self, callback: str) -> RequestToken:
        """Ask X for a request token; the administrator goes to its ``authorize_url``."""
        handler = _Handler(self.consumer_key, self.consumer_secret, base_url=self.base_url,
                           timeout=self.timeout, callback=callback)
        try:
            url = handler.get_authorization_url()
        except tweepy.errors.TweepyException as exc:
            raise _classify(exc, "Crier's request to sign in") from exc
        finally:
            handler.oauth.close()
        token = handler.request_token
        if str(token.get("oauth_callback_confirmed")) != "true" or not token.get("oauth_token"):
            raise PermanentError("X did not confirm where to send the administrator back to.")
        return RequestToken(token["oauth_token"], token["oauth_token_secret"], url)

    def finish(self, request_token: str, request_secret: str, verifier: str) -> XAuthorization:
        """Trade the request token and X's ``oauth_verifier`` for the account's access token."""
        handler = _Handler(self.consumer_key, self.consumer_secret, base_url=self.base_url, timeout=self.timeout)
        handler.request_token = {"oauth_token": request_token, "oauth_token_secret": request_secret}
        try:
            handler.get_access_token(verifier)
        except tweepy.errors.TweepyException as exc:
            raise _classify(exc, "the sign-in") from exc
        finally:
            handler.oauth.close()
        token = dict(parse_qsl(handler.answers[-1].text.strip())) if handler.answers else {}
        user_id, screen_name = str(token.get("user_id") or ""), str(token.get("screen_name") or "")
        if not (handler.access_token and handler.access_token_secret and user_id):
            raise TransientError("X's answer to the sign-in lacked the account's token or id. Try again.")
        return XAuthorization(handler.access_token, handler.access_token_secret, user_id, screen_name)
