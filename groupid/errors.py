"""The one exception tree of groupid.

Every error the library raises on purpose derives from :class:`GroupidError`;
third-party errors are translated into one of these where the third-party code
is called: python-keycloak's and requests' in the Keycloak adapter
(:mod:`groupid.realms.keycloak`), ruamel.yaml's, pydantic's and openpyxl's
where the spec, the mapping and the HR export are read. Each error knows the
exit code the CLI maps it to::

    GroupidError                      exit 1
    ├── SpecError                     exit 1  the spec is invalid (carries every Problem found)
    ├── SourceError                   exit 1  a file cannot be read or decoded (CSV, JSON, YAML)
    │   └── DirectoryError            exit 1  an LDAP/AD directory could not be read in full (bind, TLS, search)
    ├── KeycloakError                 exit 1  Keycloak answered with an error
    │   ├── KeycloakUnreachable       exit 1  no answer (refused, timed out, DNS)
    │   ├── AuthenticationFailed      exit 1  wrong credentials or no admin rights
    │   └── Conflict                  exit 1  the object already exists (HTTP 409)
    │       └── RealmExists           exit 1  refusing to overwrite an existing realm
    ├── ConfigurationError            exit 1  missing or contradictory settings (env vars, options)
    ├── LocalServerError              exit 1  the local Keycloak cannot be fetched, started or stopped
    ├── ApplyFailed                   exit 1  a change failed part-way through an apply (says how far it got)
    ├── RunInterrupted                exit 1  stopped part-way: server, credentials or lock lost (has its outcome)
    ├── LockLost                      exit 1  a run could not keep its lock and stopped writing (groupid.lock)
    └── SafetyGuardRefused            exit 3  a safety guard refused; nothing was written
        ├── TooMuchChange             exit 3  a run would change more than its threshold (carries the figures)
        ├── StalePlan                 exit 3  a saved plan no longer matches the live realm
        └── SyncLocked                exit 3  another sync or apply holds the realm (groupid.lock)

A sync that finished but rejected some source rows exits 4 (:attr:`ExitCode.ROWS_REJECTED`): not an error,
but not a clean run either, so a cron job can tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes shared by every command."""

    OK = 0  #: done, or nothing to change
    ERROR = 1  #: an error; see the message
    CHANGES_PENDING = 2  #: ``plan --detailed-exitcode`` found changes
    REFUSED = 3  #: a safety guard refused and nothing was written
    ROWS_REJECTED = 4  #: a sync finished, but some source rows were rejected (the report lists them)


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """Where a value came from: a file and, when known, a line (1-based).

    Slotted: a sync holds one for every row of its source, and an instance dict would take six times the room."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, with where it was found."""

    where: Location | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class GroupidError(Exception):
    """Base of every error groupid raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR


class SpecError(GroupidError):
    """The spec is invalid. Carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the spec"
        super().__init__("\n".join([head, *map(str, self.problems)]))


def _problem_order(problem: Problem) -> tuple:
    where = problem.where
    return (where is None, where.file if where else "", (where.line or 0) if where else 0, problem.message)


class SourceError(GroupidError):
    """A file cannot be read, parsed or decoded.

    Raised with a ``where``, the message is ``where: reason``; a caller that collects problems (the spec
    loader) takes :attr:`where` and :attr:`reason` apart, to name the line that points at the file instead.
    """

    def __init__(self, message: str, where: Location | None = None):
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}" if where else message)


class DirectoryError(SourceError):
    """An LDAP or Active Directory server could not be read in full: no server answered, the bind or the TLS
    handshake failed, or a search ended before its last page (size limit, referral, lost connection).

    A source that raises it yields nothing: a directory read in part never makes anyone a leaver.
    """


class ConfigurationError(GroupidError):
    """Settings are missing or contradict each other."""


class KeycloakError(GroupidError):
    """Keycloak answered with an error."""


class KeycloakUnreachable(KeycloakError):
    """Keycloak does not answer at the configured URL."""


class AuthenticationFailed(KeycloakError):
    """Keycloak refused the credentials, or the account lacks admin rights."""


class Conflict(KeycloakError):
    """Keycloak refused to create an object that already exists (HTTP 409)."""


class RealmExists(Conflict):
    """A realm with that name already exists and would be overwritten."""


class LocalServerError(GroupidError):
    """The local Keycloak cannot be fetched, started or stopped."""


class SafetyGuardRefused(GroupidError):
    """A safety guard refused the change; nothing was written."""

    exit_code = ExitCode.REFUSED


class TooMuchChange(SafetyGuardRefused):
    """A run would delete or disable more than its guard allows (:class:`groupid.runs.Threshold`); nothing was
    written. Carries the figures: ``changed`` of ``managed`` objects, against ``threshold`` (count, share)."""

    def __init__(self, message: str, *, changed: int, managed: int, threshold: tuple[int, float]):
        self.changed, self.managed, self.threshold = changed, managed, threshold
        super().__init__(message)


class StalePlan(SafetyGuardRefused):
    """A saved plan was made against a live state that has changed since; nothing was written."""


class ApplyFailed(GroupidError):
    """A change failed after others were applied; the message says how many and which one.

    ``result`` is what the run did before it stopped (a sync's result, with the people it wrote), when the caller
    has one to show.
    """

    def __init__(self, message: str, *, result: object = None):
        self.result = result
        super().__init__(message)


class RunInterrupted(GroupidError):
    """A run stopped part-way because what it needs went away: the server, the credentials, or its lock.

    ``cause`` is the error that stopped it (a :class:`KeycloakUnreachable`, :class:`AuthenticationFailed` or
    :class:`~groupid.lock.LockLost`): the message and the exit code are its own. ``outcome`` is what the
    run did before it stopped (a :class:`groupid.runs.Outcome`), so that the report can say what was written.
    """

    def __init__(self, message: str, *, outcome: object, cause: GroupidError):
        self.outcome, self.cause = outcome, cause
        self.exit_code = cause.exit_code
        super().__init__(message)
