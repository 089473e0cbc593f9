"""Compile gettext .po files into .mo with polib, so set-up needs no system gettext."""

from __future__ import annotations

import sys
from pathlib import Path

import polib


def main(paths: list[str]) -> int:
    for name in paths:
        po_path = Path(name)
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"compiled {po_path} ({po.percent_translated()}% translated)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
