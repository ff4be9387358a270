"""examples/node/ as a Node user runs it: node's own test runner starts `mockserver run --port 0
--ready-file ...`, buys a number, moves the virtual clock and reads the code; and probes the
example receiver (webhook_receiver.mjs) for both providers."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "node"


def mockserver_bin(tmp_path: Path) -> Path:
    """This environment's mockserver executable; else a script running this interpreter's."""
    installed = Path(sys.executable).parent / "mockserver"
    if installed.is_file():
        return installed
    script = tmp_path / "mockserver"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mockserver "$@"\n')
    script.chmod(0o755)
    return script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH: the Node example needs Node 18 or later")
def test_the_node_example_passes_under_node_test(tmp_path):
    result = subprocess.run(["node", "--test", str(EXAMPLE)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MOCKSERVER_BIN": str(mockserver_bin(tmp_path))})
    assert result.returncode == 0, result.stdout + result.stderr
    # sandbox.test.mjs's test, and webhook_receiver.test.mjs's two (its receiver passes the webhook probe)
    assert "# pass 3" in result.stdout and "# fail 0" in result.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH: the Node example needs Node 18 or later")
@pytest.mark.skipif(not (EXAMPLE.parent.parent / ".venv" / "bin" / "mockserver").is_file(),
                    reason="no checkout venv (make run / make test create it)")
def test_the_node_example_finds_the_checkouts_own_mockserver_with_nothing_set(tmp_path):
    """After `make run`, mockserver is only in .venv/bin: the example finds it with no MOCKSERVER_BIN
    and no mockserver on PATH."""
    node_dir = str(Path(shutil.which("node")).parent)
    env = {key: value for key, value in os.environ.items() if key != "MOCKSERVER_BIN"}
    env["PATH"] = f"{node_dir}:/usr/bin:/bin"
    assert shutil.which("mockserver", path=env["PATH"]) is None
    result = subprocess.run(["node", "--test", str(EXAMPLE / "sandbox.test.mjs")], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 1" in result.stdout and "# fail 0" in result.stdout
