"""docs/real-addresses.md's recipes, run as written: the Python test file and script in process,
curl and PHP through the proxy, Node's fetch at the TLS port (ports made free ones)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from test_readme_examples import _section
from test_real_addresses import Served, mockserver_bin

from mockserver.testing.realhosts import real_hosts

DOC = Path(__file__).parent.parent / "docs" / "real-addresses.md"
PYTHON = "Python, in process"
PROXY = "curl (and anything else that honours HTTPS_PROXY), through the proxy"
TLS = "Node, and anything that does not use a proxy: the TLS port at the real names"
BALANCE = {"success": True, "data": {"credits": 100}, "message": "Balance retrieved successfully"}


def blocks(heading: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(DOC, heading), re.S)


def test_the_python_test_file_passes_as_written(tmp_path):
    (tmp_path / "test_hardcoded_client.py").write_text(blocks(PYTHON, "python")[0])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "test_hardcoded_client.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_the_script_prints_what_the_doc_says(tmp_path):
    script = blocks(PYTHON, "python")[1]
    printed = re.search(r"\n# (.*)\n$", script)[1]
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, printed + "\n"), done.stderr


@pytest.fixture
def proxied(tmp_path):
    server = Served(tmp_path, "--proxy-port", "0")
    yield server
    server.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_block_reaches_the_sandbox_and_is_refused_elsewhere(proxied, tmp_path):
    block = blocks(PROXY, "sh")[0].replace(":8888", f":{proxied.proxy_port}")
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "MOCKSERVER_CA_DIR": str(proxied.ca_dir)}
    done = subprocess.run(["bash", "-eu", "-c", block], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    balance, refused = done.stdout.splitlines()
    assert (json.loads(balance), refused) == (BALANCE, "403")


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (.ci/run installs php-cli and php-curl)")
def test_the_php_client_reaches_the_sandbox_through_the_proxy(proxied, tmp_path):
    source = blocks(PROXY, "php")[0]
    (tmp_path / "balance.php").write_text(source)
    command = re.search(r"run as  (.*)\n", source)[1].replace(":8888", f":{proxied.proxy_port}")
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "MOCKSERVER_CA_DIR": str(proxied.ca_dir)}
    done = subprocess.run(["bash", "-eu", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == BALANCE


def private_namespaces() -> bool:
    """Whether this process may make a network and mount namespace of its own (root, and a
    system that allows it: not every container does)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(shutil.which("node") is None or not private_namespaces(),
                    reason="needs node, and a private network and mount namespace (root)")
def test_node_fetch_reaches_a_real_name_at_the_tls_port(tmp_path):
    """In a private network namespace (its own loopback, port 443 free) whose /etc/hosts names
    sms.provynx.com 127.0.0.1: the doc's two lines, a wait for the server between them."""
    (tmp_path / "client.mjs").write_text(blocks(TLS, "js")[0])
    (tmp_path / "hosts").write_text("127.0.0.1 localhost sms.provynx.com\n")
    start, run_client = blocks(TLS, "sh")[0].strip().splitlines()
    script = f"""
set -e
ip link set lo up
mount --bind {tmp_path / 'hosts'} /etc/hosts
{start.split('#')[0].strip()}
server=$!
for _ in $(seq 600); do (echo > /dev/tcp/127.0.0.1/443) 2>/dev/null && break; sleep 0.05; done
{run_client}
kill $server
wait $server
"""
    env = {**os.environ, "MOCKSERVER_CA_DIR": str(tmp_path / "ca"),
           "PATH": f"{mockserver_bin(tmp_path).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["unshare", "--net", "--mount", "bash", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    with real_hosts():          # the same call in process gives the body to expect
        expected = requests.get("https://sms.provynx.com/api/v1/sms/balance",
                                headers={"Authorization": "Bearer nsk_test_mock"}).json()
    assert (status, json.loads(body)) == ("200", expected)
