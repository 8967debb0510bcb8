"""A throwaway certificate authority for the local directory's TLS, made with the ``openssl`` command.

:func:`make_test_pki` writes, into a folder: a CA certificate, a server certificate it signed for
``127.0.0.1`` and ``localhost`` (with its key), and a second, unrelated CA — the one a client is given to
prove that a certificate it cannot verify is refused. Keys are EC P-256 (fast to make) and valid 30 days.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from groupid.errors import LocalServerError

DAYS = "30"
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
_CA_EXTENSIONS = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
_SERVER_EXTENSIONS = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


@dataclass(frozen=True)
class TestPki:
    """The files :func:`make_test_pki` wrote."""

    __test__ = False  # not a pytest test class, despite its name

    ca_file: Path  #: the CA that signed the server certificate (PEM)
    wrong_ca_file: Path  #: a CA that signed nothing the server shows (PEM)
    certificate_file: Path  #: the server's certificate (PEM)
    key_file: Path  #: the server's private key (PEM, mode 0600)


def make_test_pki(folder: Path) -> TestPki:
    """Make the CA, the server certificate and the wrong CA in ``folder`` (kept when already there)."""
    pki = TestPki(folder / "ca.pem", folder / "wrong-ca.pem", folder / "server.pem", folder / "server.key")
    if all(path.exists() for path in (pki.ca_file, pki.wrong_ca_file, pki.certificate_file, pki.key_file)):
        return pki
    folder.mkdir(parents=True, exist_ok=True)
    _self_signed(folder, "ca", "groupid test CA")
    _self_signed(folder, "wrong-ca", "groupid wrong test CA")
    (folder / "server.ext").write_text(_SERVER_EXTENSIONS, encoding="ascii")
    _openssl(folder, "req", *_KEY, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    _openssl(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", DAYS, "-extfile", "server.ext", "-out", "server.pem")
    for path in (pki.key_file, folder / "ca.key", folder / "wrong-ca.key"):
        path.chmod(0o600)
    return pki


def _self_signed(folder: Path, name: str, common_name: str) -> None:
    _openssl(folder, "req", "-x509", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", DAYS,
             "-subj", f"/CN={common_name}", *_CA_EXTENSIONS)


def _openssl(folder: Path, *args: str) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise LocalServerError("the openssl command is not installed; it makes the test directory's certificates")
    done = subprocess.run([binary, *args], cwd=folder, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise LocalServerError(f"openssl {args[0]} failed: {done.stderr.strip()[-500:]}")
