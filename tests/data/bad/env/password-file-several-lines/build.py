"""a file of several lines (a whole .env) is not a password; its lines are not shown"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw.env").write_text("GROUPID_ADMIN_PASSWORD=planted-Pa55word-7f3c9e\nOTHER=1\n")
