"""Plain-text tables for the benchmark output (wide characters counted as two columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, size: int, align: str) -> str:
    gap = " " * (size - width(text))
    return gap + text if align == "r" else text + gap


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> None:
    """Print `rows` under `headers`; `align` is one letter per column, l or r (default l)."""
    align = align.ljust(len(headers), "l")
    sizes = [max(width(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(_pad(h, sizes[i], align[i]) for i, h in enumerate(headers))
    print("  " + line.rstrip())
    print("  " + "  ".join("-" * s for s in sizes))
    for row in rows:
        print(
            "  " + "  ".join(_pad(str(c), sizes[i], align[i]) for i, c in enumerate(row)).rstrip()
        )
