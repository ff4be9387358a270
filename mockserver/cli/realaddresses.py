"""The command line's part in reaching the sandbox at the providers' real addresses: `mockserver
ca`, and `mockserver run --tls-port N --proxy-port N` (docs/real-addresses.md)."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from contextlib import ExitStack
from dataclasses import dataclass


def add_run_options(run: argparse.ArgumentParser) -> None:
    env = os.environ.get
    run.add_argument("--tls-port", type=int, default=_port(env("MOCKSERVER_TLS_PORT")), metavar="N",
                     help="also serve HTTPS on port N (0: a free one) with a certificate for the providers' real host "
                          "names, issued by the local CA (`mockserver ca`); default $MOCKSERVER_TLS_PORT")
    run.add_argument("--proxy-port", type=int, default=_port(env("MOCKSERVER_PROXY_PORT")), metavar="N",
                     help="also be an HTTPS proxy on port N (0: a free one) that tunnels CONNECT to the providers' real "
                          "host names into the sandbox and refuses every other; default $MOCKSERVER_PROXY_PORT")


def _port(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def add_ca_command(commands) -> None:
    ca = commands.add_parser("ca", help="print the local CA's certificate file (made on first use), which clients "
                                        "trust to reach the sandbox at the providers' real https:// names")
    ca.add_argument("--env", action="store_true",
                    help="print `export NAME=...` lines that make common runtimes trust it "
                         "(eval \"$(mockserver ca --env)\")")


def run_ca(args: argparse.Namespace) -> int:
    from mockserver.http.tls import local_ca, trust_variables
    try:
        ca = local_ca()
    except OSError as exc:
        print(f"mockserver ca: cannot make the local CA: {exc}", file=sys.stderr)
        return 1
    if args.env:
        for name, value in trust_variables(ca).items():
            print(f"export {name}={shlex.quote(value)}")
    else:
        print(ca.cert_file)
    return 0


@dataclass
class Fronts:
    """The TLS listener's and the proxy's ports once they listen (None: not asked for)."""
    tls_port: int | None = None
    proxy_port: int | None = None


def wanted(args: argparse.Namespace) -> bool:
    return args.tls_port is not None or args.proxy_port is not None


def certificate(args: argparse.Namespace, sandbox, stack: ExitStack):
    """The server certificate's files for the scenario's real host names, until ``stack`` closes."""
    from mockserver.http.tls import local_ca, server_certificate
    from mockserver.scenario.hosts import merged
    return stack.enter_context(server_certificate(local_ca(), merged(sandbox.scenario.real_hosts)))


def tls_server(app, limits, threads: int, files, host: str, port: int):
    """A second embedded granian server on host:port, configured as the plain one (serving.py),
    serving ``app`` over HTTPS with ``files``."""
    from granian.constants import SSLProtocols

    from mockserver.http.serving import granian_server

    # TLS 1.2 and up, since some clients' TLS (older PHP and curl builds) stops at 1.2, where
    # granian's default minimum is 1.3.
    return granian_server(app, limits, host=host, port=port, threads=threads, ssl_cert=files.cert_file,
                          ssl_key=files.key_file, ssl_protocol_min=SSLProtocols.tls12)


def start_proxy(args: argparse.Namespace, sandbox, limits, tls_port: int, admin_token: bool, stack: ExitStack) -> int:
    """The HTTPS proxy on --proxy-port, tunnelling to the TLS listener; its port. OSError when
    it cannot listen."""
    from mockserver.http.proxy import ConnectProxy
    from mockserver.scenario.hosts import merged
    # The TLS listener is on --host with --tls-port, else on loopback.
    upstream = args.host if args.tls_port is not None and args.host not in ("0.0.0.0", "", "::") else "127.0.0.1"
    proxy = ConnectProxy(merged(sandbox.scenario.real_hosts), (upstream, tls_port), limits, admit_remote=admin_token)
    port = proxy.start(args.host, args.proxy_port)
    stack.callback(proxy.close)
    return port


def banner_lines(args: argparse.Namespace, fronts: Fronts) -> str:
    """What the banner adds: where the real addresses answer and how to trust the CA."""
    from mockserver.http.tls import local_ca
    host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    lines = []
    if fronts.tls_port is not None:
        lines.append(f"  HTTPS at the providers' real names: https://{host}:{fronts.tls_port} "
                     f"(e.g. curl --resolve prod-v3.pvadeals.com:{fronts.tls_port}:{host} ...)")
    if fronts.proxy_port is not None:
        lines.append(f"  HTTPS proxy for the providers' real names: HTTPS_PROXY=http://{host}:{fronts.proxy_port}")
    lines.append(f"  local CA: {local_ca().cert_file} (eval \"$(mockserver ca --env)\" to trust it)")
    return "\n".join(lines)
