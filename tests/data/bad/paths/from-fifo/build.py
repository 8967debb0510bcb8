import os
import pathlib


def build(root: pathlib.Path) -> None:
    """A FIFO where the CSV export should be: git cannot hold one."""
    os.mkfifo(root / "spec" / "org.csv")
