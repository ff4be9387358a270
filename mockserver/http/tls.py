"""The local certificate authority that lets clients reach the sandbox at the providers' real
``https://`` names, and the server certificates it issues.

The CA is made once per installation (per user), on first use, by trustme (which builds it with
the cryptography package); nothing of it ships with mockserver. Its private key is written with
owner-only permissions (0600) into a folder only its owner may enter (0700): the user's data
folder (``$XDG_DATA_HOME/mockserver/ca``, ``~/Library/Application Support/mockserver/ca``,
``%LOCALAPPDATA%\\mockserver\\ca``) or ``$MOCKSERVER_CA_DIR``. Whoever can read that key can make
certificates every client trusting the CA accepts, so it never leaves this machine: deleting the
folder (and the CA from any trust store it was added to) removes it; the next use makes a new one.

A server certificate (every real host name, localhost, 127.0.0.1 and ::1) is issued afresh for
each server, into a private temporary folder removed when the server stops."""
from __future__ import annotations

import os
import shutil
import ssl
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

CA_DIR_VARIABLE = "MOCKSERVER_CA_DIR"
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
# The system's trusted CAs with this one appended, for the variables that replace a runtime's
# whole trust store (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) rather than add to it.
BUNDLE_FILE = "bundle.pem"
ORGANIZATION = "mockserver local CA"
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class LocalCA:
    folder: Path

    @property
    def cert_file(self) -> Path:
        return self.folder / CA_CERT_FILE

    @property
    def key_file(self) -> Path:
        return self.folder / CA_KEY_FILE

    @property
    def bundle_file(self) -> Path:
        return self.folder / BUNDLE_FILE

    def authority(self) -> trustme.CA:
        return trustme.CA.from_pem(self.cert_file.read_bytes(), self.key_file.read_bytes())


def data_dir(environ: os._Environ | dict | None = None) -> Path:
    """The folder the CA lives in: $MOCKSERVER_CA_DIR, else the user's data folder."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(CA_DIR_VARIABLE)
    if chosen:
        return Path(chosen)
    home = Path.home()
    if sys.platform == "win32":
        return Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "mockserver" / "ca"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "mockserver" / "ca"
    return Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "mockserver" / "ca"


def local_ca(folder: Path | None = None) -> LocalCA:
    """The CA in ``folder`` (default: data_dir()), made there first if it has none."""
    ca = LocalCA(data_dir() if folder is None else folder)
    if not ca.key_file.exists():
        _create(ca.folder)
    return ca


def _create(folder: Path) -> None:
    """A new CA, written whole into a private folder beside ``folder`` and renamed into place, so
    that two servers starting at once never see half of one: the later rename fails, and the
    later one uses the CA the first made."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name=ORGANIZATION)
    draft = Path(tempfile.mkdtemp(prefix=".ca-", dir=folder.parent))     # mode 0700
    try:
        _write_private(draft / CA_KEY_FILE, authority.private_key_pem.bytes())
        (draft / CA_CERT_FILE).write_bytes(authority.cert_pem.bytes())
        _write_bundle(draft / BUNDLE_FILE, authority.cert_pem.bytes())
        try:
            draft.rename(folder)
        except OSError:
            if not (folder / CA_KEY_FILE).exists():
                raise
    finally:
        shutil.rmtree(draft, ignore_errors=True)


def _write_private(path: Path, content: bytes) -> None:
    """A file only its owner may read or write, created so from the start (never wider first)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def _write_bundle(path: Path, ca_pem: bytes) -> None:
    system = ssl.get_default_verify_paths().cafile
    trusted = b""
    if system and os.path.isfile(system):
        trusted = Path(system).read_bytes().rstrip(b"\n") + b"\n"
    path.write_bytes(trusted + ca_pem)


def trust_variables(ca: LocalCA) -> dict[str, str]:
    """The environment variables that make common runtimes trust the CA: Node adds its file to
    its own CAs; the others take a whole trust store, the system's with the CA added."""
    bundle = str(ca.bundle_file)
    return {
        "SSL_CERT_FILE": bundle,               # OpenSSL's default: Python's ssl, Go, PHP, Ruby
        "REQUESTS_CA_BUNDLE": bundle,          # requests (it ignores SSL_CERT_FILE)
        "CURL_CA_BUNDLE": bundle,              # curl
        "NODE_EXTRA_CA_CERTS": str(ca.cert_file),
        "DENO_CERT": str(ca.cert_file),
        "GIT_SSL_CAINFO": bundle,
    }


@dataclass(frozen=True)
class ServerFiles:
    cert_file: Path      # the server certificate (its chain: the CA itself is the root)
    key_file: Path


@contextmanager
def server_certificate(ca: LocalCA, names: Iterable[str]) -> Iterator[ServerFiles]:
    """A certificate for ``names`` and the local names, issued by ``ca``, in files that exist
    while inside (in a private temporary folder)."""
    identities = list(dict.fromkeys([*names, *LOCAL_NAMES]))
    leaf = ca.authority().issue_cert(*identities, organization_name=ORGANIZATION)
    folder = Path(tempfile.mkdtemp(prefix="mockserver-tls-"))     # mode 0700
    try:
        files = ServerFiles(folder / "server.pem", folder / "server-key.pem")
        _write_private(files.key_file, leaf.private_key_pem.bytes())
        files.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        yield files
    finally:
        shutil.rmtree(folder, ignore_errors=True)

