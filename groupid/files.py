"""Reading input files with care: regular files only, never past a size cap, never waiting on a pipe.

Every file groupid reads from its input goes through :func:`read_file`: the YAML and CSV files of a spec, an
HR mapping, an HR export named on the command line, a saved plan or a rendered realm (:func:`read_json`).
A file that a spec or mapping names is first placed with :func:`resolve_inside`, which keeps it inside the
directory of the YAML file that names it: a pull request that changes a spec cannot make groupid read
``/proc/self/environ``, ``/dev/zero`` or ``../../secrets.csv``.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from pathlib import Path, PurePath
from typing import Any

from groupid.errors import ConfigurationError, Location, SourceError
from groupid.text import quoted

MAX_FILE_VARIABLE = "GROUPID_MAX_FILE_MB"
"""The environment variable that sets the size cap, in megabytes (1 MB = 1,048,576 bytes)."""

DEFAULT_MAX_FILE_MB = 100
"""The size cap when :data:`MAX_FILE_VARIABLE` is not set.

An HR export of 100,000 people with twenty-odd columns is 20 to 30 MB as CSV (less as XLSX, a little more as
JSON), an org chart of departments far smaller, so 100 MB holds three to four times the largest real export;
and reading that much stays within a few hundred megabytes of memory. Anything larger is much more likely a
wrong file than a real org, and is refused before it is read.
"""

_MB = 1024 * 1024
_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_NOFOLLOW", 0)  # the path is resolved already: a link appearing now is refused
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a directory, not a file"),
    (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "a character device, not a regular file"),
    (stat.S_ISBLK, "a block device, not a regular file"),
    (stat.S_ISSOCK, "a socket, not a regular file"),
)


def max_file_bytes() -> int:
    """The size cap in bytes: :data:`MAX_FILE_VARIABLE` if set, else :data:`DEFAULT_MAX_FILE_MB` megabytes."""
    raw = os.environ.get(MAX_FILE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_FILE_MB * _MB
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = math.nan
    if not (0 < megabytes < math.inf):
        raise ConfigurationError(
            f"{MAX_FILE_VARIABLE} must be a positive number of megabytes, such as 200; got {quoted(raw)}"
        )
    return max(1, int(megabytes * _MB))


def resolve_inside(directory: Path, written: str, place: str = "the spec directory") -> Path:
    """The file that ``written`` (a path from a spec or mapping) names, relative to ``directory``.

    Symbolic links are resolved, and the result must still lie inside ``directory``; ``place`` names the
    directory in messages. Raises :class:`SourceError` without a location (the caller names the line that
    holds ``written``) for an absolute path, one that leads outside the directory, a broken or looping link,
    or a missing file.
    """
    if not written.strip() or "\0" in written:
        raise SourceError(f"not a file name; name a file inside {place}, relative to it")
    if PurePath(written).is_absolute():
        raise SourceError(f"an absolute path; name a file inside {place}, relative to it")
    base = _resolved(directory)
    target = base / written
    if not Path(os.path.normpath(target)).is_relative_to(base):
        raise SourceError(f"outside {place} (it climbs out with ..); only files inside it are read")
    real = _resolved(target)
    if not real.is_relative_to(base):
        raise SourceError(f"a symbolic link that leads outside {place}; only files inside it are read")
    return real


def read_file(path: Path | str, name: str | None = None, limit: int | None = None) -> bytes:
    """The bytes of the input file at ``path``; ``name`` is how messages name it (default: the path).

    The file must be a regular file (not a directory, FIFO, device, socket or a ``/proc``-style pseudo-file)
    no larger than ``limit`` bytes (default :func:`max_file_bytes`); at most one byte more than that is ever
    read, and opening never waits. Raises :class:`SourceError` located at ``name`` otherwise. Symbolic links
    are followed: a path given on the command line may be one. Paths from a spec go through
    :func:`resolve_inside` first.
    """
    path = Path(path)
    where = Location(name or str(path))
    try:
        return _read(_resolved(path), limit)
    except SourceError as exc:
        raise SourceError(exc.reason, where) from None


SECRET_LIMIT = 4096
"""The largest secret file read, in bytes: a client secret is a line of text, not a document."""


def read_secret_file(directory: Path | str, written: str) -> str:
    """The secret held in the file ``written`` names inside ``directory`` (see :func:`resolve_inside`): its text,
    UTF-8, without the line end an editor adds. Raises :class:`SourceError` naming the file, never showing its
    content, for a file that is missing, outside, too large, not text, or empty."""
    name = str(Path(directory) / written)
    try:
        data = _read(resolve_inside(Path(directory), written), SECRET_LIMIT)
    except SourceError as exc:
        raise SourceError(f"the secret file: {exc.reason}", Location(name)) from None
    try:
        secret = data.decode("utf-8-sig").strip("\r\n")
    except UnicodeDecodeError:
        raise SourceError("the secret file is not UTF-8 text", Location(name)) from None
    if not secret.strip():
        raise SourceError("the secret file is empty", Location(name))
    return secret


def read_json(path: Path | str, what: str) -> Any:
    """The parsed JSON in ``path``; ``what`` names the expected content in messages (e.g. "a groupid plan")."""
    name = str(path)
    data = read_file(path, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"not UTF-8 (byte 0x{data[exc.start]:02x}); expected {what}", Location(name, line)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc.msg}); expected {what}", Location(name, exc.lineno)) from None
    except RecursionError:
        raise SourceError(f"not valid JSON: nested too deeply; expected {what}", Location(name)) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise SourceError(f"not valid JSON ({quoted(str(exc), 80)}); expected {what}", Location(name)) from None


def _resolved(path: Path) -> Path:
    """``path`` with every symbolic link resolved; a missing file, a broken link or a loop is a SourceError."""
    try:
        return path.resolve(strict=True)
    except FileNotFoundError:
        if path.is_symlink():
            raise SourceError("a broken symbolic link (it points at nothing)") from None
        raise SourceError("no such file") from None
    except RuntimeError:  # Python before 3.13 reports a symbolic link loop so
        raise SourceError("a symbolic link loop") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError("a symbolic link loop") from None
        raise SourceError(f"cannot be opened: {exc.strerror}") from None
    except ValueError:
        raise SourceError("not a usable path") from None


def _kind_problem(mode: int) -> str | None:
    return next((reason for test, reason in _KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def _read(real: Path, limit: int | None) -> bytes:
    settable = limit is None
    limit = max_file_bytes() if limit is None else limit
    try:
        before = os.stat(real)
    except OSError as exc:
        raise SourceError(f"cannot be opened: {exc.strerror}") from None
    kind = _kind_problem(before.st_mode)
    if kind:
        raise SourceError(kind)  # refused before it is opened: opening some devices already acts
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise SourceError("a socket, not a regular file") from None
        if exc.errno == errno.ELOOP:
            raise SourceError("changed into a symbolic link while it was opened") from None
        raise SourceError(f"cannot be read: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        kind = _kind_problem(opened.st_mode)
        if kind or (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise SourceError(kind or "changed while it was opened")
        if opened.st_size > limit:
            raise SourceError(_too_large(opened.st_size, limit, settable))
        data = _read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SourceError(_too_large(None, limit, settable))
    if len(data) != opened.st_size:
        # /proc and /sys files claim a size of 0 (or 4096) whatever they hold; a file being written changes size
        raise SourceError(
            f"not a regular file: it holds {len(data)} bytes where its size says {opened.st_size} "
            "(a pseudo-file such as those in /proc, or a file still being written)"
        )
    return data


def _read_at_most(fd: int, count: int) -> bytes:
    chunks, total = [], 0
    while total < count:
        try:
            chunk = os.read(fd, min(_CHUNK, count - total))
        except BlockingIOError:
            raise SourceError("not a regular file: reading it would wait") from None
        except OSError as exc:
            raise SourceError(f"cannot be read: {exc.strerror}") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _size(count: int) -> str:
    return f"{count:,} bytes" if count < _MB else f"{count / _MB:.1f} MB"


def _too_large(size: int | None, limit: int, settable: bool) -> str:
    what = f"{_size(size)}, more than" if size is not None else "more than"
    hint = f"; set {MAX_FILE_VARIABLE} (megabytes) to read larger files" if settable else ""
    return f"{what} the limit of {_size(limit)}{hint}"
