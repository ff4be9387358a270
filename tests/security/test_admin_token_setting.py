"""MOCKSERVER_ADMIN_TOKEN must be a value a client can send as a header: a token holding a
character outside visible ASCII could only ever be given as ?token=, so the CLI and every other
client of the control API could never authenticate. The server refuses it at start, saying why."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mockserver.control.access import Access
from mockserver.settings import SettingError


@pytest.mark.parametrize("token", ["pässwort", "s3cret token", "tab\there"])
def test_a_token_no_header_can_carry_is_refused_at_start_with_why(token):
    ran = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", "0", "--frozen"],
                         env={**os.environ, "MOCKSERVER_ADMIN_TOKEN": token}, capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stderr.startswith("mockserver: MOCKSERVER_ADMIN_TOKEN holds ")
    assert "HTTP headers carry visible ASCII only" in ran.stderr
    assert token not in ran.stderr + ran.stdout            # the message names the character, never the token


def test_the_setting_refuses_the_same_tokens_wherever_it_is_read():
    with pytest.raises(SettingError, match=r"^MOCKSERVER_ADMIN_TOKEN holds 'ü': HTTP headers carry"):
        Access.from_environ({"MOCKSERVER_ADMIN_TOKEN": "grün-1234"})
    assert Access.from_environ({"MOCKSERVER_ADMIN_TOKEN": "s3cret-T0ken_~!"}).token == "s3cret-T0ken_~!"
