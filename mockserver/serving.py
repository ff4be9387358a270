"""waitress as the project runs it, `mockserver run --server waitress` and ServedSandbox alike: its
options from the sandbox's Limits, in one place."""
from __future__ import annotations

from .settings import Limits

# How far past the app's own body limits waitress still reads a body and hands it to the app, so
# that a body somewhat too large gets the app's answer (JSON, in the provider's shape) rather than
# waitress's plain-text 413; past it, waitress answers itself without buffering any more.
BODY_SLACK_BYTES = 64 * 1024

# Besides client connections, waitress's connection count includes its listening socket and its
# trigger (a pipe); without these two, max_connections would allow two connections fewer.
WAITRESS_OWN_DESCRIPTORS = 2


def waitress_options(limits: Limits) -> dict:
    """Keyword arguments for waitress.create_server, besides the app, the address and the threads."""
    return {
        # waitress's defaults (100 connections, idle ones kept 120 s) let a few hundred connections
        # opened and left idle lock it up: past the limit it stops accepting until some time out.
        "connection_limit": limits.max_connections + WAITRESS_OWN_DESCRIPTORS,
        "channel_timeout": limits.idle_connection_timeout_s,
        # Idle connections are looked for every cleanup_interval seconds (default 30), so one lived
        # up to channel_timeout + 30 s; looking every second is cheap, a pass over the open channels.
        "cleanup_interval": 1,
        # select() cannot watch a descriptor numbered 1024 or more, which max_connections' default
        # of 1000 connections reaches; poll() has no such bound.
        "asyncore_use_poll": True,
        # waitress buffers a whole body (in memory, then a temporary file) before the app sees it:
        # bounded here rather than at its 1 GiB default. It refuses a body of this size or more.
        "max_request_body_size": max(limits.max_body_bytes, limits.max_scenario_bytes) + BODY_SLACK_BYTES,
    }
