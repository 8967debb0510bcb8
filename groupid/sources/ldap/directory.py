"""The directory adapter: searches against an LDAP or Active Directory server, page by page.

:class:`Directory` is the small base the rest of the LDAP source reads through; :class:`LdapDirectory` is the
one over ldap3, the only module of groupid that calls ldap3, and where its errors become
:class:`~groupid.errors.DirectoryError`. A search is either read to its last page or fails: a size limit, a
referral not followed, a lost connection or a failed bind is an error, never a shorter answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

SearchScope = Literal["subtree", "one", "base"]


@dataclass(frozen=True)
class Entry:
    """One entry as a search returns it: its DN and its raw values, by attribute name in lower case.

    Ranged values (``member;range=0-1499``) are already joined under the plain name.
    """

    dn: str
    attributes: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)

    def raw(self, name: str) -> bytes | None:
        """The first raw value of ``name``, or None."""
        values = self.attributes.get(name.lower())
        return values[0] if values else None

    def texts(self, name: str) -> tuple[str, ...]:
        """Every value of ``name`` as text (UTF-8, as LDAP strings are)."""
        return tuple(value.decode("utf-8", errors="replace") for value in self.attributes.get(name.lower(), ()))

    def text(self, name: str) -> str | None:
        """The first value of ``name`` as text, or None."""
        texts = self.texts(name)
        return texts[0] if texts else None


class Directory(ABC):
    """A directory groupid reads people and groups from."""

    @abstractmethod
    def search(self, base: str, filter: str, attributes: Sequence[str],
               scope: SearchScope = "subtree") -> Iterator[Entry]:
        """Every entry under ``base`` that ``filter`` matches, with ``attributes``, read page by page as the
        iterator is consumed (the simple paged results control, RFC 2696).

        Raises :class:`~groupid.errors.DirectoryError` when the search cannot be read in full, at any page.
        """

    @abstractmethod
    def close(self) -> None:
        """Unbind and close the connection."""

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_directory(settings) -> Directory:
    """The directory that ``settings`` (a :class:`~groupid.sources.ldap.config.Connection`) describes, bound."""
    raise NotImplementedError("the ldap3 directory adapter is not written yet")
