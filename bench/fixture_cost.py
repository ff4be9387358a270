"""What the sms_mock fixture costs a test: a new project of N empty tests run with the fixture
and without it, in the same run, a few rounds alternating; prints per-test milliseconds.

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
'''


def seconds(folder: Path, selection: str) -> float:
    """pytest's own figure for the tests selected (start-up excluded)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selection],
                         cwd=folder, capture_output=True, text=True, check=True)
    return float(re.search(r"passed.* in ([0-9.]+)s", run.stdout).group(1))


def per_test_ms(tests: int, rounds: int) -> list[float]:
    """Each round's milliseconds a test, with the fixture less without it."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pytest.ini").write_text("[pytest]\n")
        (Path(folder) / "test_cost.py").write_text(PROJECT.format(tests=tests))
        per_test = []
        for _ in range(rounds):
            with_it, without = seconds(Path(folder), "with_the_fixture"), seconds(Path(folder), "without")
            per_test.append((with_it - without) / tests * 1000)
        return per_test


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    per_test = per_test_ms(tests, rounds)
    print(f"sms_mock fixture: {statistics.median(per_test):.2f} ms a test (median of {rounds}; "
          f"range {min(per_test):.2f}-{max(per_test):.2f}; the session's first test starts the server)")


if __name__ == "__main__":
    main()
