"""Security headers on the console, the API, public pages, feeds and errors."""
from __future__ import annotations

import pytest

from tests.console.conftest import sign_in


def assert_hardened(response, html: bool) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if html:
        assert "script-src 'self'" in policy or "default-src 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


@pytest.mark.parametrize("path, html", [
    ("/login", True), ("/news", True), ("/feeds/news.atom", False), ("/api/v1/openapi.json", False),
    ("/api/v1/accounts", False), ("/no-such-page", True), ("/healthz", False),
])
def test_every_kind_of_response_is_hardened(app, path, html):
    response = app.test_client().get(path)
    assert_hardened(response, html=html and response.mimetype == "text/html")
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_console_pages_are_hardened_and_carry_no_inline_script(app, officer):
    console = sign_in(app, officer)
    for path in ("/", "/compose"):
        response = console.get(path)
        assert response.status_code == 200
        assert_hardened(response, html=True)
        page = response.get_data(as_text=True)
        assert "<script>" not in page and " onclick=" not in page and " onload=" not in page


def test_hsts_over_https(app):
    for path in ("/login", "/news", "/api/v1/openapi.json"):
        response = app.test_client().get(path, base_url="https://crier.police.example")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
