"""A thin client for the few Graph API calls the Facebook channel makes.

Graph is plain HTTP: ``GET``, ``POST`` (form fields) and ``DELETE`` on
``<base>/<version>/<object>[/<edge>]``, answering JSON. A failure answers
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; the
status and headers matter too (rate-limit usage headers, a failing front end
that answers HTML). The client raises :class:`GraphError` for any failure and
leaves its meaning to the adapter. Why Crier has its own client rather than
facebook-sdk: docs/design-notes.md.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any, Mapping

from .._http import BoundSession


class GraphError(Exception):
    """A Graph API failure: Graph's error object (when there was one), the HTTP status and headers."""

    def __init__(self, result: Any, status: int, headers: Mapping[str, str]):
        error = result.get("error") if isinstance(result, dict) else None
        error = error if isinstance(error, dict) else {}
        self.result = result
        self.status = status
        self.headers = headers
        self.code: int | None = error.get("code")
        self.subcode: int | None = error.get("error_subcode")
        self.type: str = error.get("type") or ""
        self.message: str = str(error.get("message") or (result if isinstance(result, str) else ""))
        self.is_transient = bool(error.get("is_transient"))
        super().__init__(self.message)


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Graph's ``appsecret_proof``: HMAC-SHA256 of the access token keyed by the app secret, hex."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


class GraphClient:
    """Graph calls for one access token, at one Graph host and version, with a timeout."""

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str,
        version: str,
        timeout: tuple[float, float],
        app_secret: str | None = None,
    ):
        version = str(version).strip()
        self.version = version if version.startswith("v") else f"v{version}"
        self.timeout = timeout
        self.session = BoundSession(base_url, timeout)
        self._access_token = access_token
        self._proof = appsecret_proof(access_token, app_secret) if app_secret else None

    @property
    def base_url(self) -> str:
        """The Graph host every call goes to."""
        return self.session.base_url

    def get(self, path: str, **params: Any) -> Any:
        """``GET /<version>/<path>`` with ``params`` in the query."""
        return self.request("GET", path, params=params)

    def post(self, path: str, **fields: Any) -> Any:
        """``POST /<version>/<path>`` with ``fields`` as form data."""
        return self.request("POST", path, data=fields)

    def upload(self, path: str, files: dict[str, tuple[str, bytes, str]], **fields: Any) -> Any:
        """``POST /<version>/<path>`` as multipart: ``fields`` and the ``files`` (name -> (filename, bytes, type))."""
        return self.request("POST", path, data=fields, files=files)

    def delete(self, path: str) -> Any:
        """``DELETE /<version>/<path>``."""
        return self.request("DELETE", path, params={})

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                data: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> Any:
        """One Graph call; its JSON result, or GraphError for any failure answer."""
        signed = data if data is not None else params
        if self._proof and signed is not None:
            signed.setdefault("appsecret_proof", self._proof)
        # The token travels in the Authorization header, never in a URL, where
        # HTTP libraries and proxies log it; the proof is no secret.
        response = self.session.request(method, f"{self.version}/{path}", params=params, data=data, files=files,
                                        headers={"Authorization": f"OAuth {self._access_token}"})
        try:
            result = response.json()
        except ValueError:
            result = None
        if isinstance(result, dict) and result.get("error"):
            raise GraphError(result, response.status_code, response.headers)
        if response.status_code >= 400 or result is None:
            # A failing front end must not look like a published post.
            raise GraphError(f"Facebook answered HTTP {response.status_code} without a Graph API result",
                             response.status_code, response.headers)
        return result

    def close(self) -> None:
        """Release the HTTP connections."""
        self.session.close()
