"""a binary password file (a NUL byte) gets a message naming the file, not its bytes"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "pw.bin").write_bytes(b"planted-Pa55word-7f3c9e\x00\x01\xfe")
