"""What `mockserver run` prints once its server answers: where each API is, its keys, the control
API and the dashboard, who may drive them, the clock, how to stop, and a first command to try."""
from __future__ import annotations

from mockserver.control.access import TOKEN_HEADER
from mockserver.control.views import PREFIX as CONTROL_PREFIX
from mockserver.dashboard import PAGE_PATH as DASHBOARD_PATH
from mockserver.providers.registry import PROVIDERS


def banner(scenario, url: str, *, admin_token: bool) -> str:
    """``admin_token``: whether the server has MOCKSERVER_ADMIN_TOKEN (never the token itself:
    the banner ends up in terminals and CI logs)."""
    control = CONTROL_PREFIX
    lines = [f"mockserver: scenario '{scenario.name}' on {url}", ""]
    for provider in PROVIDERS:
        lines += provider.banner(scenario.section(provider.name), url)
    lines += [f"  Control    {url}{control}/health, {control}/clock, {control}/sms, {control}/webhooks, {control}/state"]
    if admin_token:
        lines += [f"  Dashboard  {url}{DASHBOARD_PATH}?token=<MOCKSERVER_ADMIN_TOKEN>",
                  f"  Access     MOCKSERVER_ADMIN_TOKEN is set: the control API and the dashboard need it from every "
                  f"client, loopback too ({TOKEN_HEADER} header)"]
    else:
        lines += [f"  Dashboard  {url}{DASHBOARD_PATH}",
                  "  Access     no admin token (MOCKSERVER_ADMIN_TOKEN not set): the control API and the dashboard "
                  "answer loopback clients only"]
    if scenario.clock_frozen:
        lines += [f"  Clock      frozen: it moves only when told (POST {control}/clock, or mockserver advance 5m)"]
    else:
        lines += ["  Clock      runs with real time (run with --frozen to move it only when told)"]
    lines += ["  Stop       Ctrl-C", ""]
    tries = [line for provider in PROVIDERS if (line := provider.try_it(scenario.section(provider.name), url))]
    if tries:
        lines += ["Try:", f"  {tries[0]}", ""]
    return "\n".join(lines)
