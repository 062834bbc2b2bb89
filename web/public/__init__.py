"""The force website's public pages and feeds."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")
