#!/usr/bin/env python3
"""Run guanxi's benchmarks and print their figures: `make bench` or `python benchmarks/run.py`.

    python benchmarks/run.py                     # every workload in benchmarks/
    python benchmarks/run.py http_pages          # only the named ones
    python benchmarks/run.py --requests 500 --concurrency 8

A workload is a module in this directory whose name does not start with "_" and that
defines `run(options)` (and optionally `add_arguments(parser)` and `TITLE`). Results
are printed, never asserted: timings depend on the machine. See README.md.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_WORKLOADS = {"run", "minimal_app"}


def workload_names() -> list[str]:
    return sorted(
        p.stem
        for p in HERE.glob("*.py")
        if not p.stem.startswith("_") and p.stem not in NOT_WORKLOADS
    )


def load(name: str):
    module = importlib.import_module(name)
    if not callable(getattr(module, "run", None)):
        raise SystemExit(f"benchmarks/{name}.py is not a workload (no run(options))")
    return module


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  (progress under make)
    available = workload_names()
    modules = {name: load(name) for name in available}

    parser = argparse.ArgumentParser(
        description="Run guanxi's benchmarks and print their figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "workloads", nargs="*", metavar="workload", help=f"any of: {', '.join(available)}"
    )
    parser.add_argument("--requests", type=int, default=1000, help="measured requests per target")
    parser.add_argument("--warmup", type=int, default=100, help="requests sent before measuring")
    parser.add_argument("--concurrency", type=int, default=4, help="parallel connections")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="time limit per measured target"
    )
    for module in modules.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    options = parser.parse_args(argv)

    unknown = [w for w in options.workloads if w not in modules]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; available: {', '.join(available)}")
    if options.requests < 1 or options.concurrency < 1 or options.warmup < 0:
        parser.error("--requests and --concurrency must be at least 1, --warmup at least 0")

    print(
        f"guanxi benchmarks — {platform.node()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    failed = []
    for name in options.workloads or available:
        module = modules[name]
        print(f"\n== {name}: {getattr(module, 'TITLE', name)}")
        started = time.monotonic()
        try:
            module.run(options)
        except KeyboardInterrupt:
            print("  interrupted")
            return 130
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"  ({name} took {time.monotonic() - started:.0f}s)")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
