"""a FIFO named as the password file is refused before it is opened (reading waits for ever)"""

import os
import pathlib


def build(root: pathlib.Path) -> None:
    os.mkfifo(root / "pw.fifo")
