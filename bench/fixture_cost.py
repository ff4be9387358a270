"""What the sms_mock fixture costs a test: a new project of N empty tests run with the fixture
and without it, in the same run, a few rounds alternating; prints per-test milliseconds, with
the session's server start spread over the tests and without it (the tests without the fixture
then start the server too, in one test of their own: what each further test costs).

    .venv/bin/python bench/fixture_cost.py [N] [ROUNDS]
"""
from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = '''
import pytest


@pytest.mark.parametrize("i", range({tests}))
def test_with_the_fixture(sms_mock, i):
    pass


@pytest.mark.parametrize("i", range({tests}))
def test_without(i):
    pass


def test_without_but_the_server_started(sms_mock):
    pass
'''


def seconds(folder: Path, selection: str) -> float:
    """pytest's own figure for the tests selected (start-up excluded)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selection],
                         cwd=folder, capture_output=True, text=True, check=True)
    return float(re.search(r"passed.* in ([0-9.]+)s", run.stdout).group(1))


def per_test_ms(tests: int, rounds: int, *, server_start: bool = True) -> list[float]:
    """Each round's milliseconds a test, with the fixture less without it; ``server_start`` False:
    the tests without the fixture start the server too, so the difference is the tests' own."""
    without = "without and not server_started" if server_start else "without"
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pytest.ini").write_text("[pytest]\n")
        (Path(folder) / "test_cost.py").write_text(PROJECT.format(tests=tests))
        per_test = []
        for _ in range(rounds):
            with_it, bare = seconds(Path(folder), "with_the_fixture"), seconds(Path(folder), without)
            per_test.append((with_it - bare) / (tests if server_start else tests - 1) * 1000)
        return per_test


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for server_start in (True, False):
        per_test = per_test_ms(tests, rounds, server_start=server_start)
        print(f"sms_mock fixture: {statistics.median(per_test):.2f} ms a test (median of {rounds}; range "
              f"{min(per_test):.2f}-{max(per_test):.2f}; "
              + ("the session's server start included)" if server_start else "the server start left out)"))


if __name__ == "__main__":
    main()
