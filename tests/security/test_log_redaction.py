"""Secrets never reach a log line: the admin token the dashboard takes as ?token=, and any
Standard Webhooks signing secret (whsec_...), whichever log prints them, the request log of
`mockserver run` at its default level included."""
from __future__ import annotations

import logging

import requests

import mockserver.engine.timeline
import mockserver.engine.webhooks
from harness import RunningServer

TOKEN = "adm1n-T0ken-never-logged"
SIGNING = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_request_log_prints_no_admin_token_and_no_signing_secret():
    server = RunningServer("--frozen", env={"MOCKSERVER_ADMIN_TOKEN": TOKEN})
    try:
        assert requests.get(f"{server.url}/_mock/?token={TOKEN}", timeout=10).status_code == 200
        requests.get(f"{server.url}/_mock/state?a=1&TOKEN={TOKEN}", timeout=10)
        requests.get(f"{server.url}/v3/api/balance?secret={SIGNING}", timeout=10)
        logged = server.read_until(lambda line: "/v3/api/balance" in line)
    finally:
        server.stop()
    logged += server.read_all()
    assert "GET /_mock/?token=<redacted> 200 " in logged
    assert "GET /_mock/state?a=1&TOKEN=<redacted> 401 " in logged
    assert "GET /v3/api/balance?secret=whsec_<redacted> 401 " in logged
    assert TOKEN not in logged and "MfKQ9r8" not in logged


def test_the_sandbox_own_loggers_redact_what_they_are_given(caplog):
    caplog.set_level(logging.WARNING)
    logger = logging.getLogger(mockserver.engine.webhooks.__name__)
    logger.warning("webhook to %s failed", f"http://127.0.0.1:9/hook?token={TOKEN}&k={SIGNING}")
    try:
        raise ValueError(f"cannot decode {SIGNING}")
    except ValueError:
        logging.getLogger(mockserver.engine.timeline.__name__).exception("an event failed")
    assert "http://127.0.0.1:9/hook?token=<redacted>&k=whsec_<redacted>" in caplog.text
    assert "ValueError: cannot decode whsec_<redacted>" in caplog.text
    assert TOKEN not in caplog.text and "MfKQ9r8" not in caplog.text
