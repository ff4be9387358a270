"""Who may drive the sandbox: loopback clients, or anyone with MOCKSERVER_ADMIN_TOKEN when it is
set. The control API and the dashboard page share this rule."""
from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Request

from ..wire import bearer_token

TOKEN_HEADER = "X-Admin-Token"


def refusal(request: Request, *, token_in_query: bool = False) -> tuple[int, str] | None:
    """None when the caller may go on, else (status, why). A browser opening the dashboard
    cannot send a header, so there the token may also come as ``?token=``."""
    token = os.environ.get("MOCKSERVER_ADMIN_TOKEN")
    if token:
        given = request.headers.get(TOKEN_HEADER) or bearer_token(request)
        if not given and token_in_query:
            given = request.args.get("token")
        if not given or not hmac.compare_digest(given, token):
            return 401, ("this control API needs the admin token: send X-Admin-Token "
                         "(or Authorization: Bearer) with the value of MOCKSERVER_ADMIN_TOKEN")
    elif not _loopback(request.remote_addr):
        return 403, ("the control API answers loopback clients only; set MOCKSERVER_ADMIN_TOKEN "
                     "on the server to use it from elsewhere")
    return None


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
