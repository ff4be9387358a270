"""The dashboard's routes: the page, and its live parts as HTML for the page's script to swap
in. Everything the page changes goes through the control API or a provider's own API."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..control.access import refusal
from ..providers.registry import PROVIDERS
from ..control.schemas import error_body
from ..wire import json_response
from . import snapshot

bp = Blueprint("dashboard", __name__, url_prefix="/_mock", template_folder="templates",
               static_folder="static", static_url_path="/dashboard/static")

# Parts of the page that change with the sandbox, each a template under templates/live/.
LIVE_PARTS = ("scenario", "clock", "accounts", "numbers", "messages", "webhooks", "journal")
POLL_MS = 1000


@bp.before_request
def guard():
    """The control API's rule. The script and stylesheet are not guarded: they hold no state."""
    if request.endpoint == "dashboard.static":
        return None
    refused = refusal(request, current_app.extensions["mockserver.access"], token_in_query=True)
    return None if refused is None else json_response(error_body(*refused), refused[0])


@bp.after_app_request
def no_framing(response):
    """Nothing under /_mock may be shown in another page's frame, where a page could lead a user
    to click the dashboard's buttons unseen (clickjacking)."""
    if request.path == "/_mock" or request.path.startswith("/_mock/"):
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _view() -> dict:
    return snapshot.take(current_app.extensions["mockserver"], snapshot.JournalFilter.from_args(request.args))


@bp.get("/", strict_slashes=False)      # /_mock too, rather than a redirect
def page():
    return render_template("dashboard.html", live_parts=LIVE_PARTS, poll_ms=POLL_MS, providers=PROVIDERS, **_view())


@bp.get("/dashboard/live")
def live():
    view = _view()
    return json_response({part: render_template(f"live/{part}.html", **view) for part in LIVE_PARTS})
