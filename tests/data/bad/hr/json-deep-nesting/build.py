"""a JSON export of 200,000 nested brackets: json recurses once per level and gives up"""

import pathlib


def build(root: pathlib.Path) -> None:
    (root / "export.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
