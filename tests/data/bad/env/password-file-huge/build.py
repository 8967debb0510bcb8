"""a password file of a megabyte is the wrong file: refused at the size cap, never quoted"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw.log").write_text("planted-Pa55word-7f3c9e\n" * 50000)
