"""The client report in a user's pytest session, run the way users run it (pytester, in a
separate process): the summary names each finding's rule, advice and test; --sms-report=fail
fails an otherwise green session and says why; off makes no report at all."""
from __future__ import annotations

import pytest

CLIENT_TESTS = '''
import requests

PVA = {"Authorization": "Bearer API-mock-default"}


def test_a_client_that_loops_on_a_refusal(sms_mock):
    for _ in range(3):
        assert requests.get(sms_mock.pvadeals_url + "/request/nope", headers=PVA).status_code == 404


def test_a_well_behaved_client(sms_mock):
    assert requests.get(sms_mock.pvadeals_url + "/balance", headers=PVA).status_code == 200
'''


@pytest.fixture(autouse=True)
def _only_the_plugins_used(monkeypatch):
    """The user's session loads mockserver's plugin (and xdist's where asked), not every plugin
    of this environment: their start-up is most of a pytester run's time."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


PLUGIN = ("-p", "mockserver.pytest_plugin", "-p", "no:cacheprovider")


def _summary(result) -> list[str]:
    lines = result.outlines
    start = next((i for i, line in enumerate(lines) if "mockserver report" in line), None)
    return [] if start is None else lines[start + 1:]


@pytest.mark.parametrize("workers", [[], ["-p", "xdist.plugin", "-n", "2"]], ids=["one process", "xdist"])
def test_the_summary_names_the_rule_its_advice_and_the_test_that_caused_it(pytester, workers):
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN, *workers)
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    summary = _summary(result)
    assert summary[0].startswith("WARNING refusal-loop: ")
    assert summary[1].startswith("    test_client.py::test_a_client_that_loops_on_a_refusal: ")
    assert not any("test_a_well_behaved_client" in line for line in summary)


def test_fail_fails_a_green_session_and_says_why(pytester):
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN, "--sms-report=fail")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*--sms-report=fail: the session fails on 1 finding(s) of warning level or worse*"])


CLEAN_TESTS = CLIENT_TESTS.split("def test_a_client_that_loops")[0] + '''
def test_a_well_behaved_client(sms_mock):
    assert requests.get(sms_mock.pvadeals_url + "/balance", headers=PVA).status_code == 200


def test_another(sms_mock):
    for _ in range(2):
        assert requests.get(sms_mock.pvadeals_url + "/balance", headers=PVA).status_code == 200


def test_one_that_asks_nothing(sms_mock):
    pass
'''


@pytest.mark.parametrize("workers", [[], ["-p", "xdist.plugin", "-n", "2"]], ids=["one process", "xdist"])
def test_the_ini_option_and_a_clean_session_said_in_one_line(pytester, workers):
    """A clean report is not silence, which would look like no report at all."""
    pytester.makeini("[pytest]\nsms_report = fail\n")
    pytester.makepyfile(test_client=CLEAN_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN, *workers)
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    [line] = [line for line in result.outlines if "mockserver report" in line]
    assert line == "mockserver report: 3 requests observed, no findings"


def test_a_session_that_never_uses_the_sandbox_says_nothing_of_it(pytester):
    pytester.makepyfile(test_other="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess(*PLUGIN)
    assert result.ret == 0 and not [line for line in result.outlines if "mockserver" in line]


def test_off_makes_no_report(pytester):
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN, "--sms-report=off")
    assert result.ret == 0 and not [line for line in result.outlines if "mockserver report" in line]


def test_a_misspelt_mode_is_a_usage_error_before_any_test_runs(pytester):
    pytester.makeini("[pytest]\nsms_report = Fail\n")
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*sms_report: one of show, fail, off, not 'Fail'*"])
    assert "passed" not in result.stdout.str()
