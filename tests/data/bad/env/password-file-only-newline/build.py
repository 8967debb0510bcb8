"""a password file holding only a line break counts as empty"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw").write_bytes(b"\r\n")
