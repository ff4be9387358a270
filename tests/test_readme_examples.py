"""The shell examples of the README and docs/pvadeals.md, run as written against a real server
(bash, curl and python3 on PATH), and every code block of the documentation either checked by a
test or marked as an excerpt."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import MockServer

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

# Sections whose every code block a test runs or loads (file, heading): the tour and the curl lines
# here, the scenario guide's example in test_scenario_loading.py, docs/testing.md's files in
# test_packaging.py, the Node example's runner in test_node_example.py.
CHECKED = {
    ("README.md", "mockserver"),                 # make run / make test: test_the_two_commands_are_make_targets
    ("README.md", "A two-minute tour"),
    ("README.md", "Scenarios"),
    ("docs/pvadeals.md", "Endpoints"),
    ("docs/provynx.md", "Provynx v1"),
    ("docs/scenarios.md", "A complete annotated example"),
    ("docs/testing.md", "*"),
    ("docs/docker-ci.md", "A GitHub Actions job, without Docker"),
    ("docs/other-languages.md", "Starting it and learning the URL"),
    ("docs/report.md", "Thresholds"),
    ("docs/scenarios.md", "Delivery chaos"),     # test_webhook_probe.py loads it
    ("docs/snapshots.md", "Over HTTP and from the command line"),     # test_snapshots_doc.py runs these two
    ("docs/snapshots.md", "In pytest"),
    # test_real_addresses_doc.py runs these
    ("docs/real-addresses.md", "Python, in process"),
    ("docs/real-addresses.md", "curl (and anything else that honours HTTPS_PROXY), through the proxy"),
    ("docs/real-addresses.md", "Node, and anything that does not use a proxy: the TLS port at the real names"),
    ("docs/sms-activate.md", "A session with curl"),   # test_smsactivate_docs.py runs it
}


def _section(path: Path, heading: str) -> str:
    """The text under a heading, up to the next heading (a "#" line inside a code block is not one)."""
    kept, inside, taking = [], False, False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("```"):
            inside = not inside
        elif not inside and re.match(r"#+ ", line):
            if taking:
                break
            taking = line.lstrip("#").strip() == heading
            continue
        if taking:
            kept.append(line)
    return "".join(kept)


def _sh_block(path: Path, heading: str) -> str:
    return re.search(r"```sh\n(.*?)```", _section(path, heading), re.S).group(1)


def _bash(script: str, mock: MockServer) -> str:
    script = script.replace("http://127.0.0.1:8080", mock.url)
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60,
                         env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    return run.stdout


@needs_curl
def test_the_readme_tour_prints_what_its_comments_say():
    block = _sh_block(README, "A two-minute tour")
    mock = MockServer("default")
    try:
        printed = _bash(block, mock).splitlines()
    finally:
        mock.close()
    assert printed == ['{"success":true,"data":{"credits":100},"message":"Balance retrieved successfully"}',
                       "RESERVED", "COMPLETED 1"]
    for line in printed:                       # each printed line stands in the block as its comment
        assert f"\n# {line}\n" in block


def _curl_lines(path: Path, heading: str) -> list[str]:
    commands = _sh_block(path, heading).replace("\\\n", " ").splitlines()
    return [line for line in commands if line.strip()]


@needs_curl
def test_the_pvadeals_curl_lines_answer_as_the_doc_says():
    mock = MockServer("default")
    try:
        setup, commands = [], []
        for line in _curl_lines(ROOT / "docs" / "pvadeals.md", "Endpoints"):
            (setup if re.match(r"^[A-Z]+=", line) else commands).append(line)
        setup[0] = f"URL={mock.url}/v3/api"
        answers, ids = [], {}
        for command in commands:
            if "<id>" in command:
                # A rental's id where only a rental will do; else the short-term number's, and
                # its SMS has arrived by then (3 s later), so flag refuses and reuse works.
                command = command.replace("<id>", ids["LTR" if "renew-ltr" in command else "STR"])
            run = subprocess.run(["bash", "-c", "\n".join([*setup, command])], capture_output=True, text=True,
                                 timeout=30, check=True)
            body = json.loads(run.stdout)
            answers.append((command.split()[command.split().index("-X") + 1] if " -X " in command else "GET",
                            body["success"], body.get("message")))
            if "/purchase " in command:
                ids["STR"] = body["data"]["requests"][0]["_id"]
                mock.advance("3s")
            if "/purchase-ltr " in command:
                ids["LTR"] = body["data"]["_id"]
    finally:
        mock.close()
    assert answers == [
        ("GET", True, "Balance retrieved successfully"),
        ("GET", True, None),
        ("POST", True, "Numbers purchased successfully"),
        ("POST", True, "LTR number purchased successfully"),
        ("POST", True, "Auto-renew enabled successfully"),
        ("GET", True, None),
        ("GET", True, "Service request retrieved successfully"),
        ("POST", False, "Flag not allowed for this request"),
        ("POST", True, "Number reused successfully"),
    ]


@needs_curl
def test_the_provynx_curl_lines_answer_as_the_doc_says():
    mock = MockServer("default")
    try:
        setup, commands = [], []
        for line in _curl_lines(ROOT / "docs" / "provynx.md", "Provynx v1"):
            if not line.startswith("#"):
                (setup if re.match(r"^[A-Z]+=", line) else commands).append(line)
        setup[0] = f"URL={mock.url}/api/v1/sms"
        answers, number_id = [], None
        for command in commands:
            run = subprocess.run(["bash", "-c", "\n".join([*setup, command.replace("<id>", str(number_id))])],
                                 capture_output=True, text=True, timeout=30, check=True)
            body = json.loads(run.stdout)
            if isinstance(body, dict) and "status" in body:
                number_id = body.get("id", number_id)
                answers.append(body["status"])
            else:
                answers.append(",".join(list(body)[:2]))
    finally:
        mock.close()
    assert answers == ["balance,currency", "server,operators", "server,country", "pending", "pending", "canceled",
                       "server,countries", "server,country", "pending", "pending", "servers,info"]


def _blocks(path: Path) -> list[tuple[str, str]]:
    """(the heading it stands under, its first line) for each fenced block of a Markdown file."""
    found, heading, inside = [], "", False
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("```"):
            if not inside and line != "```text":          # a listing, not code
                found.append((heading, lines[index + 1] if index + 1 < len(lines) else ""))
            inside = not inside
        elif not inside and line.startswith("#"):
            heading = line.lstrip("#").strip()
    return found


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_every_code_block_runs_in_a_test_or_says_it_is_an_excerpt(path):
    name = str(path.relative_to(ROOT))
    unchecked = [(heading, first) for heading, first in _blocks(path)
                 if (name, heading) not in CHECKED and (name, "*") not in CHECKED and "excerpt" not in first]
    assert unchecked == [], f"{name}: mark these '# excerpt' (or '<!-- excerpt -->') or run them in a test"


def test_the_readme_scenario_loads_and_does_what_it_says():
    from mockserver.loading import load_text
    block = re.search(r"```yaml\n(.*?)```", _section(README, "Scenarios"), re.S).group(1)
    scenario = load_text(block, source="README.md")
    google = next(s for s in scenario.pvadeals.services if s.name == "Google")
    assert scenario.clock_frozen and [a.credits for a in scenario.pvadeals.accounts] == [5]
    assert [p.after_ms for p in scenario.pvadeals.behavior_for(google, "+12125550100").sms] == [45_000]


def test_the_github_actions_job_runs_its_steps_as_written(tmp_path):
    """Each `run:` step in its own shell, as the runner does, with what earlier steps wrote to
    $GITHUB_ENV; mockserver is installed here already, and the last step, the user's pytest, is
    replaced by a control call through the URL the job found."""
    import yaml
    job = yaml.safe_load(re.search(r"```yaml\n(.*?)```", _section(ROOT / "docs" / "docker-ci.md",
                                   "A GitHub Actions job, without Docker"), re.S).group(1))
    steps = [step["run"] for step in job["jobs"]["test"]["steps"] if "run" in step]
    assert steps[0].startswith("pip install") and steps[-1] == "pytest"
    github_env = tmp_path / "github_env"
    github_env.touch()
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_ENV": str(github_env), "HOME": str(tmp_path)}
    try:
        for step in [*steps[1:-1], 'curl -sf "$MOCKSERVER_URL/_mock/health"']:
            env.update(line.split("=", 1) for line in github_env.read_text().splitlines())
            run = subprocess.run(["bash", "-e", "-c", step], capture_output=True, text=True, timeout=60, env=env,
                                 cwd=tmp_path)
            assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["status"] == "ok"
        assert env["PVADEALS_BASE_URL"] == env["MOCKSERVER_URL"] + "/v3/api"
    finally:
        ready = tmp_path / "sms.json"
        if ready.exists():
            import os
            import signal
            os.kill(json.loads(ready.read_text())["pid"], signal.SIGTERM)


def test_the_shell_round_starts_learns_the_url_drives_and_stops_the_server(tmp_path):
    block = _sh_block(ROOT / "docs" / "other-languages.md", "Starting it and learning the URL")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=60,
                         env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    balance, clock = (json.loads(line) for line in run.stdout.splitlines())
    assert balance["data"] == {"credits": 100} and clock["frozen"] is True
    assert list(tmp_path.glob("tmp.*/ready.json")) == []          # removed at stop


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "mockserver").is_file(), reason="no checkout venv (make run creates it)")
def test_the_shell_round_finds_the_checkouts_own_mockserver_after_make_run(tmp_path):
    """From the checkout with nothing on PATH but the system's tools, as after `make run`."""
    block = _sh_block(ROOT / "docs" / "other-languages.md", "Starting it and learning the URL")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    assert shutil.which("mockserver", path=env["PATH"]) is None
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=60,
                         env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    balance, _clock = (json.loads(line) for line in run.stdout.splitlines())
    assert balance["data"] == {"credits": 100}


def test_the_github_actions_start_step_fails_fast_with_the_servers_output(tmp_path):
    """A server that dies at start (here: a scenario that does not exist) fails the step at once,
    and the step prints what the server said."""
    import yaml
    job = yaml.safe_load(re.search(r"```yaml\n(.*?)```", _section(ROOT / "docs" / "docker-ci.md",
                                   "A GitHub Actions job, without Docker"), re.S).group(1))
    [start] = [step["run"] for step in job["jobs"]["test"]["steps"] if step.get("name") == "Start the SMS sandbox"]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_ENV": str(tmp_path / "github_env"), "HOME": str(tmp_path),
           "MOCKSERVER_SCENARIO": str(tmp_path / "missing.yaml")}
    run = subprocess.run(["bash", "-e", "-c", start], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert run.returncode == 1
    assert "missing.yaml" in run.stdout            # the server's own message, from its log
    assert not (tmp_path / "github_env").exists()


def test_the_unittest_example_runs_under_unittest(tmp_path):
    """docs/testing.md's context manager for code outside pytest, run by unittest itself."""
    [body] = re.findall(r"```python\n# test_unittest_style\.py\n(.*?)```", (ROOT / "docs" / "testing.md").read_text(),
                        re.S)
    (tmp_path / "test_unittest_style.py").write_text(body)
    run = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_unittest_style"], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "test_the_code_arrives (test_unittest_style.SignUpTest" in run.stderr and run.stderr.rstrip().endswith("OK")


def test_an_excerpt_that_names_its_file_stands_in_it_verbatim():
    for path in [README, *DOCS]:
        for block in re.findall(r"```\w*\n(?:#|//) excerpt: (\S+\.\w+)\n(.*?)```", path.read_text(), re.S):
            source, body = block
            if (ROOT / source).is_file():       # compared line by line, whatever the indentation
                flat = lambda text: "\n".join(line.strip() for line in text.strip().splitlines())  # noqa: E731
                assert flat(body) in flat((ROOT / source).read_text()), (path.name, source)


def test_the_report_thresholds_shown_are_the_defaults():
    from mockserver.loading import load_text
    from mockserver.report.rules import thresholds
    block = re.search(r"```yaml\n(.*?)```", _section(ROOT / "docs" / "report.md", "Thresholds"), re.S).group(1)
    assert load_text("name: shown\n" + block, source="docs/report.md").report == thresholds()


def test_the_two_commands_are_make_targets():
    for target, runs in (("run", "mockserver run"), ("test", "-m pytest")):
        dry = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0 and runs in dry.stdout, dry.stdout + dry.stderr


def test_every_limit_is_a_documented_setting():
    from dataclasses import fields

    from mockserver.settings import Limits
    security = (ROOT / "docs" / "security.md").read_text()
    undocumented = [f.name for f in fields(Limits) if f"`MOCKSERVER_{f.name.upper()}`" not in security]
    assert undocumented == []


def test_the_readme_is_short():
    assert len(README.read_text().splitlines()) <= 250
