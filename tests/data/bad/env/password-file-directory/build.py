"""a directory named as the password file (a secret mounted as a folder)"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "secrets").mkdir()
