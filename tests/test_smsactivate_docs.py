"""docs/sms-activate.md's curl session, run as written against a real server on the default
scenario: it prints what its comments say."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_readme_examples import _bash, _sh_block

from harness import MockServer

DOC = Path(__file__).parent.parent / "docs" / "sms-activate.md"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_session_prints_what_its_comments_say():
    block = _sh_block(DOC, "A session with curl")
    mock = MockServer("default")
    try:
        printed = _bash(block, mock).splitlines()
    finally:
        mock.close()
    assert printed == ["ACCESS_BALANCE:100.00", "STATUS_WAIT_CODE", "EARLY_CANCEL_DENIED", "STATUS_OK",
                       "ACCESS_ACTIVATION", "ACCESS_BALANCE:95.29", '{"title":"BAD_KEY","details":"Unauthorized"}']
    for line in printed:
        assert f"\n# {line}\n" in block
