"""A time limit for a test step that could hang (a FIFO read, a hostile input), so that it fails instead."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise :class:`TimeoutError` in the block after ``seconds`` (main thread only: it uses SIGALRM)."""
    def expired(signum, frame):
        raise TimeoutError(f"ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
