"""The README's PVADeals curl lines, run as written against a real server (curl on PATH)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import MockServer

README = Path(__file__).parent.parent / "README.md"


def _curl_block(heading: str) -> list[str]:
    section = README.read_text().split(f"## {heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = block.replace("\\\n", " ").splitlines()
    return [line for line in commands if line.strip()]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_pvadeals_curl_lines_answer_as_the_readme_says():
    mock = MockServer("default")
    try:
        setup, commands = [], []
        for line in _curl_block("PVADeals endpoints"):
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
