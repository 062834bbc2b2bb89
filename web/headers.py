"""Security headers on every response: console, API, public pages, feeds and errors.

The console runs only its own scripts and styles (no inline script: every
script is a static file), nothing may frame any page, browsers must not guess
content types, no address leaves for another site in a Referer, and over
https browsers are told to keep to https. The public pages set a stricter
policy of their own (no script at all), which is kept.
"""
from __future__ import annotations

from flask import Flask, Response, request

#: The console: its own scripts, styles and images (the QR code is inline SVG markup, not an image).
HTML_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
#: JSON, feeds and files: nothing to run, nothing to frame.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def html_policy_with_forms_to(origins: list[str]) -> str:
    """The console's policy, where forms may also lead to ``origins`` (a platform's sign-in page:
    browsers apply ``form-action`` to the redirect that follows a form)."""
    allowed = " ".join(dict.fromkeys(o for o in origins if o))
    return HTML_POLICY.replace("form-action 'self'", f"form-action 'self' {allowed}".rstrip())


def security_headers(response: Response) -> Response:
    """Add the security headers a response lacks (a blueprint's own stricter ones stay)."""
    policy = HTML_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Apply :func:`security_headers` to every response of ``app``."""
    app.after_request(security_headers)
