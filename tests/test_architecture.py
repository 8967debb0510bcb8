"""docs/architecture.md is the map of the code: these tests keep it true.

The import rules themselves are import-linter contracts in pyproject.toml, checked by ``make test``
(``lint-imports``); here the map is held to the code and to those contracts.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def modules() -> set[str]:
    """Every module of the groupid package, dotted."""
    found = set()
    for path in (ROOT / "groupid").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def described() -> set[str]:
    """The modules the map gives a line of their own (``- `groupid.x` — …``)."""
    return set(re.findall(r"^- `(groupid(?:\.\w+)*)` —", MAP, re.M))


def test_every_module_has_its_line_on_the_map_and_every_line_a_module():
    assert sorted(modules() - described()) == [], "modules missing from docs/architecture.md"
    assert sorted(described() - modules()) == [], "docs/architecture.md describes modules that do not exist"


def test_the_layers_on_the_map_are_the_layers_import_linter_checks():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    listed = re.findall(r"^\d+\. (`groupid.*)$", MAP, re.M)
    assert [line.replace("`", "") for line in listed] == contract["layers"]


def test_no_module_imports_another_modules_underscored_name():
    borrowed = []
    for path in [*(ROOT / "groupid").rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("groupid", "tests")):
                borrowed += [f"{path.relative_to(ROOT)}: {node.module}.{alias.name}" for alias in node.names
                             if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert borrowed == []
