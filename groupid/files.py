"""Reading the JSON files groupid writes and reads back (rendered realms, saved plans), with clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from groupid.errors import SourceError


def read_json(path: Path | str, what: str) -> Any:
    """The parsed JSON in ``path``; ``what`` names the expected content in messages (e.g. "a groupid plan")."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); expected {what}") from None
