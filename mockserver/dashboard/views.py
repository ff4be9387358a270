"""The dashboard's routes: the page, and its live parts as HTML for the page's script to swap
in. Everything the page changes goes through the control API or a provider's own API."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from mockserver.control.access import refusal
from mockserver.control.schemas import error_body
from mockserver.dashboard import snapshot
from mockserver.http.wire import json_response
from mockserver.providers.registry import PROVIDERS

PREFIX = "/_mock"
PAGE_PATH = PREFIX + "/"
LIVE_PATH = PREFIX + "/dashboard/live"
STATIC_PATH = PREFIX + "/dashboard/static"
bp = Blueprint("dashboard", __name__, url_prefix=PREFIX, template_folder="templates",
               static_folder="static", static_url_path=STATIC_PATH.removeprefix(PREFIX))

# Parts of the page that change with the sandbox, each a template under templates/live/.
LIVE_PARTS = ("scenario", "clock", "accounts", "numbers", "messages", "report", "webhooks", "journal")
POLL_MS = 1000


def fetched_by_the_page(path: str) -> bool:
    """Whether a request is one an open page makes by itself (its live parts, every POLL_MS, and
    its script and stylesheet), rather than one a person asked for."""
    return path == LIVE_PATH or path.startswith(STATIC_PATH + "/")


@bp.before_request
def guard():
    """The control API's rule. The script and stylesheet are not guarded: they hold no state."""
    if request.endpoint == "dashboard.static":
        return None
    refused = refusal(request, current_app.extensions["mockserver_access"], token_in_query=True)
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
    html = render_template("dashboard.html", live_parts=LIVE_PARTS, poll_ms=POLL_MS, providers=PROVIDERS, **_view())
    # A text UTF-8 cannot carry (a lone surrogate a client sent a provider, kept in the journal or a
    # request) is shown as its escape, so the page renders whatever the state holds.
    return Response(html.encode("utf-8", "backslashreplace"), mimetype="text/html")


@bp.get(LIVE_PATH.removeprefix(PREFIX))
def live():
    view = _view()
    return json_response({part: render_template(f"live/{part}.html", **view) for part in LIVE_PARTS})
