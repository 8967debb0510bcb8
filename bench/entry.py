"""How a benchmark script ends: with its ``main``'s exit code, and an error it expects (a groupid error, a
PostgreSQL that would not start) as one line on stderr and exit code 1, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


def exit_with(main: Callable[[], int], *expected: type[BaseException]) -> NoReturn:
    """Exit with ``main()``'s code; an error of the ``expected`` kinds is printed as ``error: ...`` and exits 1."""
    try:
        sys.exit(main())
    except expected as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
