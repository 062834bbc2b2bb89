"""The console: compose, verify and watch messages go live; find them again, and oversee the desk."""
from flask import Blueprint

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console-static")

from . import (  # noqa: E402,F401 - the views register themselves on bp
    admin,
    audit,
    compose,
    connect,
    dashboard,
    history,
    incidents,
    insights,
    library,
    live,
    media,
    notices,
    review,
    signin,
    views,
)
