"""What the benchmarks that compare paths in rounds share: which paths to run, the order of each round, and a
figure's median and spread over the rounds.

Each path runs on a fresh server of its own, one after the other; the order is reversed every other round, so
that neither path always runs first on a machine that warms up or gets busier as the run goes on.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping, Sequence


def parse_paths(text: str, paths: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None) -> tuple[str, ...]:
    """A ``--paths`` value: an alias (``all``: every path) or a comma-separated list of ``paths``."""
    aliases = {"all": paths, **(aliases or {})}
    if text in aliases:
        return tuple(aliases[text])
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [path for path in chosen if path not in paths]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown path {', '.join(unknown) or '(none)'}: choose from "
                                         f"{', '.join(aliases)}, {', '.join(paths)}")
    return chosen


def round_order(paths: Sequence[str], round_: int) -> tuple[str, ...]:
    """The paths in the order round ``round_`` (from 1) runs them: as given in odd rounds, reversed in even ones."""
    return tuple(paths) if round_ % 2 else tuple(reversed(paths))


def spread(values: Sequence[float], unit: str = "") -> str:
    """``median 1.05× (spread 0.98–1.12× over 3 rounds)``."""
    return (f"median {statistics.median(values):.2f}{unit} (spread {min(values):.2f}–{max(values):.2f}{unit} over "
            f"{len(values)} round{'s' if len(values) != 1 else ''})")


def add_group_options(parser: argparse.ArgumentParser, people: int, departments: int, what: str = "people") -> None:
    """The size of the generated group (``hr_data.generate``): ``--people``, ``--departments``, ``--companies``."""
    parser.add_argument("--people", type=int, default=people, help=f"{what} (default {people})")
    parser.add_argument("--departments", type=int, default=departments, help=f"departments (default {departments})")
    parser.add_argument("--companies", type=int, default=10, help="companies (default 10)")
