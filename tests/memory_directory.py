"""An in-memory directory for the tests of the LDAP source that need no server: entries by base and scope.

:class:`MemoryDirectory` answers a search with every entry below the base (as the scope says), in the order
the entries were added, with the attributes asked for. **It ignores the filter**: the source must not count on
the server filtering out an entry it has to check itself (a group's DN, say). Every search is recorded in
:attr:`MemoryDirectory.searches`, so that a test can assert the filters the source builds. Filters themselves
are tested against the real slapd.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from groupid.errors import DirectoryError
from groupid.sources.ldap.directory import Directory, Entry, SearchScope
from groupid.sources.ldap.names import is_below, parse_dn


def entry(dn: str, **attributes: str | bytes | list[str | bytes]) -> Entry:
    """An entry with ``attributes`` (a value or a list of values; text is stored as UTF-8)."""
    values = {}
    for name, given in attributes.items():
        items = given if isinstance(given, list) else [given]
        values[name.lower()] = tuple(item if isinstance(item, bytes) else item.encode() for item in items)
    return Entry(dn, values)


class MemoryDirectory(Directory):
    """Entries held in a list; a search gives those below its base in scope, the filter ignored."""

    def __init__(self, entries: Sequence[Entry] = (), fail_after: int | None = None):
        """``fail_after``: the people search raises :class:`DirectoryError` after that many entries (a lost
        connection part-way)."""
        self.entries = list(entries)
        self.searches: list[tuple[str, str, tuple[str, ...], str]] = []
        self.fail_after = fail_after
        self.closed = False

    def search(self, base: str, filter: str, attributes: Sequence[str],
               scope: SearchScope = "subtree") -> Iterator[Entry]:
        """Every entry below ``base`` in ``scope``, in insertion order, with ``attributes`` only."""
        self.searches.append((base, filter, tuple(attributes), scope))
        top = parse_dn(base)
        wanted = {name.lower() for name in attributes}
        for count, item in enumerate(self._in_scope(top, scope)):
            if self.fail_after is not None and count >= self.fail_after:
                raise DirectoryError(f"the search of {base} ended after {count} entries: connection lost")
            yield Entry(item.dn, {name: value for name, value in item.attributes.items() if name in wanted})

    def _in_scope(self, top, scope: str) -> Iterator[Entry]:
        for item in self.entries:
            rdns = parse_dn(item.dn)
            depth = len(rdns) - len(top)
            if is_below(rdns, top) and {"base": depth == 0, "one": depth == 1}.get(scope, True):
                yield item

    def close(self) -> None:
        """Mark the directory closed."""
        self.closed = True

    def filters(self, base: str | None = None) -> list[str]:
        """The filters of the searches made (below ``base`` only, when given), in order."""
        return [search[1] for search in self.searches if base is None or search[0] == base]
