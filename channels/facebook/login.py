"""Facebook Login for Pages: the dialog address, the token exchanges and the Pages a person manages.

The administrator is sent to Facebook's login dialog with Crier's app id, the
callback address, a ``state`` and the Page permissions Crier needs. Facebook
sends them back with a ``code``, which Crier trades (with the app secret) for a
user token, then for a long-lived user token; ``/me/accounts`` with that token
lists the Pages the person manages, each with its Page access token. Page
tokens got from a long-lived user token do not expire.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any
from urllib.parse import urlencode

import requests

from .._http import BoundSession
from ..base import ChannelConfig, ChannelError, PermanentError
from .adapter import FACEBOOK
from .graph import GraphClient, GraphError

# Graph's token endpoint takes the app secret and the code in the query string, and urllib3
# logs each request line at DEBUG: no secret reaches a log, whatever the log level.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)

#: What Crier asks for: publish to a Page, read its posts for reconciliation, list the person's Pages.
PAGE_SCOPES = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")
#: ``/me/accounts`` pages read at most (100 Pages a page).
MAX_PAGES_READ = 10


@dataclasses.dataclass(frozen=True)
class ManagedPage:
    """A Page the person who signed in manages, with its Page access token."""

    page_id: str
    name: str
    access_token: str
    tasks: tuple[str, ...] = ()


def dialog_url(login_base: str, version: str, app_id: str, redirect_uri: str, state: str) -> str:
    """The login dialog's address for Crier's app, asking for :data:`PAGE_SCOPES`."""
    query = urlencode({"client_id": app_id, "redirect_uri": redirect_uri, "state": state,
                       "scope": ",".join(PAGE_SCOPES), "response_type": "code"})
    return f"{login_base.rstrip('/')}/{version}/dialog/oauth?{query}"


def _failure(exc: Exception, step: str) -> ChannelError:
    if isinstance(exc, requests.RequestException):
        return FACEBOOK.request_failure(exc, writes=False)
    if isinstance(exc, GraphError):
        failure = FACEBOOK.status_failure(exc.status, exc.headers, writes=False) if not exc.code else None
        if failure is not None:
            return failure
        return PermanentError(f"Facebook refused {step}: {exc.message or f'HTTP {exc.status}'}")
    return PermanentError(f"Facebook's answer to {step} could not be read.")


class FacebookLogin:
    """Facebook Login for Crier's app (``app_id``, ``app_secret``) at the configured Graph host and version."""

    def __init__(self, app_id: str, app_secret: str, config: ChannelConfig):
        if not app_id or not app_secret:
            raise PermanentError("Crier has no Facebook app to connect pages with: set CRIER_FACEBOOK_APP_ID "
                                 "and CRIER_FACEBOOK_APP_SECRET.")
        self.app_id = app_id
        self.app_secret = app_secret
        self.config = config
        version = str(config.facebook_graph_version)
        self.version = version if version.startswith("v") else f"v{version}"

    def _token_call(self, step: str, **params: str) -> str:
        session = BoundSession(self.config.facebook_graph_url, self.config.timeout)
        try:
            # The secret travels in the query, as Graph's token endpoint requires.
            response = session.get(f"{self.version}/oauth/access_token",
                                   params={"client_id": self.app_id, "client_secret": self.app_secret, **params})
            try:
                result: Any = response.json()
            except ValueError:
                result = None
            if isinstance(result, dict) and result.get("error"):
                raise GraphError(result, response.status_code, response.headers)
            if response.status_code >= 400 or not isinstance(result, dict):
                raise GraphError(f"HTTP {response.status_code}", response.status_code, response.headers)
        except (requests.RequestException, GraphError) as exc:
            raise _failure(exc, step) from exc
        finally:
            session.close()
        token = result.get("access_token")
        if not isinstance(token, str) or not token:
            raise PermanentError(f"Facebook's answer to {step} carried no access token.")
        return token

    def user_token(self, code: str, redirect_uri: str) -> str:
        """Trade the dialog's ``code`` for a user access token (``redirect_uri`` exactly as in the dialog)."""
        return self._token_call("the sign-in code", code=code, redirect_uri=redirect_uri)

    def long_lived(self, user_token: str) -> str:
        """Trade a short-lived user token for a long-lived one, whose Page tokens do not expire."""
        return self._token_call("the long-lived token exchange", grant_type="fb_exchange_token",
                                fb_exchange_token=user_token)

    def pages(self, user_token: str) -> list[ManagedPage]:
        """The Pages the person manages, each with its Page access token (``/me/accounts``)."""
        client = GraphClient(user_token, base_url=self.config.facebook_graph_url, version=self.version,
                             timeout=self.config.timeout, app_secret=self.app_secret)
        pages: list[ManagedPage] = []
        params: dict[str, Any] = {"fields": "id,name,access_token,tasks", "limit": 100}
        try:
            for _ in range(MAX_PAGES_READ):
                result = client.get("me/accounts", **params)
                for item in result.get("data") or ():
                    if isinstance(item, dict) and item.get("id") and item.get("access_token"):
                        pages.append(ManagedPage(str(item["id"]), str(item.get("name") or item["id"]),
                                                 str(item["access_token"]), tuple(item.get("tasks") or ())))
                after = ((result.get("paging") or {}).get("cursors") or {}).get("after")
                if not (result.get("paging") or {}).get("next") or not after:
                    break
                params = {**params, "after": after}
        except (requests.RequestException, GraphError) as exc:
            raise _failure(exc, "the list of your Pages") from exc
        finally:
            client.close()
        return pages
