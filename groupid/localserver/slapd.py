"""A local OpenLDAP directory for tests, demos and benchmarks: an unprivileged slapd on loopback ports.

:class:`LocalDirectory` writes a throwaway ``slapd.conf`` and an mdb database into a folder (a new temporary
one unless given), makes a test CA and a server certificate for it (:mod:`groupid.localserver.certificates`),
and runs ``slapd`` in the foreground on two free ports of 127.0.0.1: ``ldap://`` (StartTLS offered) and
``ldaps://``. The directory holds the base entry, ``ou=system`` and a service account
``cn=groupid,ou=system,<base>`` that may read everything (and nothing else may, but the rootDSE and the
schema); the root DN, which bypasses every limit and access rule, loads and changes the data. Non-root binds
can be given a size limit that only a paged search gets past.

Data is kept across :meth:`~LocalDirectory.stop` and :meth:`~LocalDirectory.start` (the ports too), so a
test can take the server away and bring it back. Changes go through the OpenLDAP command-line tools
(``ldapadd``, ``ldapmodify``, ``ldapdelete``, ``ldapmodrdn``) while it runs, and bulk loads through
``slapadd -q`` while it is stopped. Everything that goes wrong raises
:class:`~groupid.errors.LocalServerError`. Needs Debian's ``slapd`` and ``ldap-utils`` packages
(``scripts/install-debian-packages.sh``).
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from groupid.errors import LocalServerError
from groupid.localserver.certificates import make_test_pki
from groupid.localserver.ldif import AttributeValues, ldif_entries, ldif_replace, ssha
from groupid.localserver.process import free_port, last_lines

SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SCHEMA_DIRS = ("/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/local/libexec/openldap")
BINARY_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
INSTALL_HINT = "install Debian's slapd and ldap-utils packages: run scripts/install-debian-packages.sh as root"
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
COMMAND_TIMEOUT = 300


class LocalDirectory:
    """One local slapd with base ``base``; see the module's docstring.

    ``size_limit`` caps what one search returns to a non-root bind (``None``: no cap); a paged search gets past
    it up to ``paged_size_limit`` entries in all (``None``: unlimited). ``service_password`` is the service
    account's (a random one by default); ``folder`` keeps the files (a temporary folder, removed by
    :meth:`close`, by default).
    """

    def __init__(self, base: str = "dc=example,dc=com", *, size_limit: int | None = None,
                 paged_size_limit: int | None = None, service_password: str | None = None,
                 folder: Path | str | None = None):
        _binary("slapd")  # before anything is written: a missing server is the first thing to say
        self.base = base
        self.size_limit, self.paged_size_limit = size_limit, paged_size_limit
        self.root_dn = f"cn=admin,{base}"
        self.service_dn = f"cn=groupid,ou=system,{base}"
        self.service_password = service_password or secrets.token_urlsafe(18)
        self._owned = folder is None
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="groupid-slapd-"))
        self.port, self.ldaps_port = free_port(), free_port()
        self._root_password = secrets.token_urlsafe(18)
        self._process: subprocess.Popen[bytes] | None = None
        self._pki = make_test_pki(self.folder / "tls")
        self._write_config()
        self._create_database("")

    @property
    def url(self) -> str:
        """The plain ``ldap://`` URL (StartTLS offered)."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        """The ``ldaps://`` URL."""
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ca_file(self) -> Path:
        """The CA file that verifies the server's certificate."""
        return self._pki.ca_file

    @property
    def wrong_ca_file(self) -> Path:
        """A CA file that does not verify the server's certificate."""
        return self._pki.wrong_ca_file

    @property
    def running(self) -> bool:
        """True while the slapd this object started runs."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start slapd (nothing if it runs) and return once both ports answer."""
        if self.running:
            return
        log = (self.folder / "slapd.log").open("wb")
        command = [_binary("slapd"), "-d", "0", "-f", str(self.folder / "slapd.conf"),
                   "-h", f"{self.url}/ {self.ldaps_url}/"]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while not (_answers(self.port) and _answers(self.ldaps_port)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise LocalServerError(f"slapd did not start on {self.url}:\n{self._log_tail()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop slapd, cleanly (nothing if it does not run); the data stays."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    def restart(self) -> None:
        """Stop and start again, on the same ports and with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop slapd and remove the folder if this object made it."""
        self.stop()
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalDirectory:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def load(self, ldif_text: str, *, bulk: bool = False) -> None:
        """Add the entries of ``ldif_text``: with ``ldapadd`` while running, else (or with ``bulk``, which stops
        and restarts a running server) with ``slapadd -q`` — the fast way for tens of thousands of entries."""
        if not ldif_text.strip():
            return
        was_running = self.running
        if was_running and not bulk:
            self._as_root("ldapadd", ldif_text)
            return
        self.stop()
        self._slapadd(ldif_text)
        if was_running:
            self.start()

    def delete(self, dn: str, *, recursive: bool = False) -> None:
        """Delete the entry ``dn`` (and, with ``recursive``, everything below it)."""
        self._as_root("ldapdelete", dn + "\n", *(["-r"] if recursive else []))

    def modify(self, dn: str, changes: AttributeValues) -> None:
        """Replace the values of each attribute of ``changes`` on ``dn`` (an empty list removes it)."""
        self._as_root("ldapmodify", ldif_replace(dn, changes))

    def rename(self, dn: str, new_rdn: str, new_superior: str | None = None) -> None:
        """Rename ``dn`` to ``new_rdn`` (the old RDN value removed), under ``new_superior`` if given."""
        extra = ["-s", new_superior] if new_superior else []
        self._as_root("ldapmodrdn", f"{dn}\n{new_rdn}\n", "-r", *extra)

    def reset(self, ldif_text: str = "") -> None:
        """Empty the database back to the base entry and the service account, then load ``ldif_text``; a
        running server is restarted."""
        was_running = self.running
        self.stop()
        self._create_database(ldif_text)
        if was_running:
            self.start()

    def _create_database(self, ldif_text: str) -> None:
        database = self.folder / "db"
        shutil.rmtree(database, ignore_errors=True)
        database.mkdir(parents=True)
        self._slapadd(ldif_entries(self._skeleton()) + ldif_text)

    def _skeleton(self) -> list[tuple[str, AttributeValues]]:
        kind, _, value = self.base.partition(",")[0].partition("=")
        kind = kind.strip().lower()
        base_classes = {"dc": ["dcObject", "organization"], "o": ["organization"], "ou": ["organizationalUnit"]}
        if kind not in base_classes:
            raise LocalServerError(f"the base of a local directory starts with dc=, o= or ou=, not {self.base}")
        base_entry: dict[str, list[str]] = {"objectClass": base_classes[kind], kind: [value.strip()]}
        if kind == "dc":
            base_entry["o"] = [value.strip()]
        return [
            (self.base, base_entry),
            (f"ou=system,{self.base}", {"objectClass": ["organizationalUnit"], "ou": ["system"]}),
            (self.service_dn, {"objectClass": ["organizationalRole", "simpleSecurityObject"], "cn": ["groupid"],
                               "userPassword": [ssha(self.service_password)]}),
        ]

    def _write_config(self) -> None:
        schema_dir = _first_dir(SCHEMA_DIRS, "core.schema", "the OpenLDAP schema files")
        limits = ""
        if self.size_limit is not None:
            total = "unlimited" if self.paged_size_limit is None else self.paged_size_limit
            limits = f"sizelimit size.soft={self.size_limit} size.hard={self.size_limit} size.prtotal={total}\n"
        module_dir = next((Path(d) for d in MODULE_DIRS if list(Path(d).glob("back_mdb*"))), None)
        modules = f"modulepath {module_dir}\nmoduleload back_mdb\n" if module_dir else ""
        includes = "".join(f"include {schema_dir}/{name}.schema\n" for name in SCHEMAS)
        tls = (f"TLSCACertificateFile {self._pki.ca_file}\nTLSCertificateFile {self._pki.certificate_file}\n"
               f"TLSCertificateKeyFile {self._pki.key_file}\n")
        config = (
            f"{includes}{modules}pidfile {self.folder}/slapd.pid\nargsfile {self.folder}/slapd.args\n{tls}"
            f"database mdb\nmaxsize 4294967296\nsuffix \"{self.base}\"\nrootdn \"{self.root_dn}\"\n"
            f"rootpw {ssha(self._root_password)}\ndirectory {self.folder}/db\n{limits}"
            "index objectClass eq\nindex uid,cn,employeeNumber,member eq\n"
            "access to dn.base=\"\" by * read\naccess to dn.base=\"cn=Subschema\" by * read\n"
            "access to attrs=userPassword by anonymous auth by * none\n"
            f"access to * by dn.exact=\"{self.service_dn}\" read by * none\n"
        )
        (self.folder / "slapd.conf").write_text(config, encoding="utf-8")
        password_file = self.folder / "root-password"
        password_file.touch(mode=0o600)
        password_file.write_text(self._root_password, encoding="ascii")

    def _slapadd(self, ldif_text: str) -> None:
        _run([_binary("slapadd"), "-q", "-f", str(self.folder / "slapd.conf")], ldif_text, "slapadd")

    def _as_root(self, tool: str, input_text: str, *args: str) -> None:
        if not self.running:
            raise LocalServerError(f"the local directory at {self.url} is not running; start it first")
        command = [_binary(tool), "-x", "-H", self.url, "-D", self.root_dn, "-y", str(self.folder / "root-password"),
                   *args]
        _run(command, input_text, tool)

    def _log_tail(self) -> str:
        try:
            return last_lines((self.folder / "slapd.log").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return "(no log)"


def _run(command: list[str], input_text: str, tool: str) -> None:
    done = subprocess.run(command, input=input_text.encode("utf-8"), capture_output=True, check=False,
                          timeout=COMMAND_TIMEOUT)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).decode("utf-8", errors="replace")
        raise LocalServerError(f"{tool} failed (exit {done.returncode}): {last_lines(output)}")


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in BINARY_DIRS if (Path(d) / name).is_file()), None)
    if found is None:
        raise LocalServerError(f"{name} is not installed; {INSTALL_HINT}")
    return found


def _first_dir(candidates: tuple[str, ...], marker: str, what: str) -> Path:
    for candidate in candidates:
        if (Path(candidate) / marker).is_file():
            return Path(candidate)
    raise LocalServerError(f"{what} are not installed (looked in {', '.join(candidates)}); {INSTALL_HINT}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
