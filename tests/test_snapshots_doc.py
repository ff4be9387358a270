"""docs/snapshots.md's examples, run as written: its shell lines against a real server, its pytest
file under the plugin."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import MockServer

DOC = Path(__file__).parent.parent / "docs" / "snapshots.md"


def _block(heading: str, language: str) -> str:
    from test_readme_examples import _section
    return re.search(rf"```{language}\n(.*?)```", _section(DOC, heading), re.S).group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_shell_lines_print_what_their_comments_say(tmp_path):
    block = _block("Over HTTP and from the command line", "sh")
    mock = MockServer("default")
    try:
        script = f"export MOCKSERVER_URL={mock.url}\n" + block.replace("http://127.0.0.1:8080", mock.url)
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60,
                             cwd=tmp_path, env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    finally:
        mock.close()
    assert run.returncode == 0, run.stderr
    printed = run.stdout.replace("}mockserver", "}\nmockserver").splitlines()
    assert len(printed) == 3
    for line in printed:                       # each printed line stands in the block as its comment
        assert f"\n# {line}\n" in block
    assert (tmp_path / "state.json").is_file()


def test_the_pytest_example_passes_under_the_plugin(pytester):
    pytester.makepyfile(test_busy=_block("In pytest", "python"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=3)
