"""docs/faults.md as written: every scenario fragment loads, and the client's test file runs,
with the pytest plugin, in a project of its own."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mockserver.loading import load_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "faults.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)


def test_every_scenario_fragment_loads():
    fragments = _blocks("yaml")
    assert len(fragments) == 2
    for fragment in fragments:
        scenario = load_text("name: doc\n" + fragment, source="docs/faults.md")
        assert scenario.faults


def test_the_client_test_file_passes(tmp_path):
    [block] = _blocks("python")
    name = block.splitlines()[0].removeprefix("# ").strip()
    (tmp_path / name).write_text(block)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout
