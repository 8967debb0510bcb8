import os
import pathlib


def build(root: pathlib.Path) -> None:
    """A FIFO where the mapping file should be."""
    os.mkfifo(root / "mapping.yaml")
