"""Snapshot files as the command line and --state read and write them: `mockserver snapshot load`
reads no further than the snapshot limit and refuses what is not a regular file (a pipe, a device)
rather than hanging or running out of memory; --state on a symbolic link writes through the link."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from harness import BASE_SCENARIO, RunningServer

LOAD = [sys.executable, "-m", "mockserver", "snapshot", "load"]


def load(path, mock, **env) -> subprocess.CompletedProcess:
    return subprocess.run([*LOAD, str(path), "--url", mock.url], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_a_device_or_a_pipe_is_refused_and_nothing_is_read_past_the_limit(mock, tmp_path):
    before = mock.control("GET", "/snapshot").json()
    done = load("/dev/zero", mock)
    assert (done.returncode, done.stderr) == (
        1, "mockserver snapshot: cannot read /dev/zero: not a regular file (a pipe, a device or a folder); "
           "give the path of a snapshot file\n")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)                    # nobody ever writes to it: reading it would wait for ever
    done = load(pipe, mock)
    assert (done.returncode, done.stderr) == (
        1, f"mockserver snapshot: cannot read {pipe}: not a regular file (a pipe, a device or a folder); "
           "give the path of a snapshot file\n")
    large = tmp_path / "large.json"
    large.write_text(json.dumps(before))
    done = load(large, mock, MOCKSERVER_MAX_SNAPSHOT_BYTES="1000")
    assert (done.returncode, done.stderr) == (
        1, f"mockserver snapshot: cannot read {large}: larger than MOCKSERVER_MAX_SNAPSHOT_BYTES (1000 bytes)\n")
    assert mock.control("GET", "/snapshot").json() == before


def test_state_on_a_symbolic_link_writes_the_file_it_points_to_and_keeps_the_link(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(json.dumps(BASE_SCENARIO))
    (tmp_path / "kept").mkdir()
    target, link = tmp_path / "kept" / "state.json", tmp_path / "state.json"
    link.symlink_to(target)            # the target does not exist yet: the first write makes it
    server = RunningServer("--scenario", str(scenario), "--state", str(link), "--quiet")
    try:
        assert server.process.poll() is None
    finally:
        server.stop()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["scenario"]["name"] == "test"
    assert sorted(os.listdir(tmp_path / "kept")) == ["state.json"]      # no temporary file left
    again = RunningServer("--scenario", str(scenario), "--state", str(link), "--quiet")
    try:
        assert f"state restored from {link}" in again.banner
    finally:
        again.stop()
    assert link.is_symlink()
