"""What the sms_mock fixture costs a test suite beside pytest-httpserver's ``httpserver`` fixture:
a new project of N tests that each make one request (a PVADeals balance), once on ``sms_mock``
and once on ``httpserver`` answering the same bytes, alternating over a few rounds; prints each
round's seconds (pytest's own figure, start-up excluded, each fixture's server start included)
and their ratio.

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
import requests

BALANCE = {{"success": True, "data": {{"credits": 100}}, "message": "Balance retrieved successfully"}}
KEY = {{"Authorization": "Bearer API-mock-default"}}


@pytest.mark.parametrize("i", range({tests}))
def test_on_sms_mock(sms_mock, i):
    assert requests.get(sms_mock.pvadeals_url + "/balance", headers=KEY, timeout=10).json() == BALANCE


@pytest.mark.parametrize("i", range({tests}))
def test_on_httpserver(httpserver, i):
    httpserver.expect_request("/v3/api/balance", headers=KEY).respond_with_json(BALANCE)
    assert requests.get(httpserver.url_for("/v3/api/balance"), headers=KEY, timeout=10).json() == BALANCE
'''


def seconds(folder: Path, selection: str) -> float:
    """pytest's own figure for the tests selected (start-up excluded)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selection],
                         cwd=folder, capture_output=True, text=True, check=True)
    return float(re.search(r"passed.* in ([0-9.]+)s", run.stdout).group(1))


def rounds_s(tests: int, rounds: int) -> dict[str, list[float]]:
    """Each round's seconds for the N tests on each fixture, the two run one after the other."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pytest.ini").write_text("[pytest]\n")
        (Path(folder) / "test_cost.py").write_text(PROJECT.format(tests=tests))
        measured: dict[str, list[float]] = {"sms_mock": [], "httpserver": []}
        for _ in range(rounds):
            for name in measured:
                measured[name].append(seconds(Path(folder), f"on_{name}"))
        return measured


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    measured = rounds_s(tests, rounds)
    ratios = [m / h for m, h in zip(measured["sms_mock"], measured["httpserver"], strict=True)]
    print(f"{tests} tests of one request: sms_mock {statistics.median(measured['sms_mock']):.2f} s, httpserver "
          f"{statistics.median(measured['httpserver']):.2f} s, ratio {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f} over {rounds} rounds)")


if __name__ == "__main__":
    main()
