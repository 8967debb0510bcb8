"""an empty password file is refused, never sent as an empty password"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw").write_bytes(b"")
