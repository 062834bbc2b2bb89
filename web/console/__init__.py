"""The console: compose, verify and watch messages go live."""
from flask import Blueprint

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console-static")

from . import admin, compose, incidents, live, media, review, signin, views  # noqa: E402,F401 - the views register themselves on bp
