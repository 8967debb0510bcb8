import os
import pathlib


def build(root: pathlib.Path) -> None:
    """A FIFO among the spec's YAML files."""
    os.mkfifo(root / "spec" / "people.yaml")
