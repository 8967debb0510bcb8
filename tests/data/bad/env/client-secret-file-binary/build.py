"""a binary client secret file gets the same clear message for the service account"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "secret.bin").write_bytes(b"planted-client-secret-d41b2a\x00")
