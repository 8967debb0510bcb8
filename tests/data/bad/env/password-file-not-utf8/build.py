"""a password file in another encoding is refused, not decoded into a wrong password"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw.txt").write_bytes(b"planted-Pa55word-7f3c9e\xb2\xe2\xca\xd4")
