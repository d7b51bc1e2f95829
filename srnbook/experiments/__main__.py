"""Command line: ``python -m srnbook.experiments vanishing [--quick] [--workers N] [--out PATH]``.

Runs the experiment (its ``FULL`` configuration unless ``--quick``), writes the JSON
result to ``--out`` (default ``book/data/<name>.json``) and prints the total wall time
and CPU time (this process and its worker processes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import EXPERIMENTS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m srnbook.experiments", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS), help="the experiment to run")
    parser.add_argument("--quick", action="store_true", help="run the QUICK configuration (seconds), not FULL")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON (default: book/data/NAME.json)")
    parser.add_argument("--workers", type=int, default=1, help="runs at once, in separate processes (default 1)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    module = EXPERIMENTS[args.experiment]
    config = dict(module.QUICK if args.quick else module.FULL)
    config["progress"] = args.progress
    out = args.out if args.out is not None else Path("book") / "data" / f"{args.experiment}.json"
    start, cpu = time.perf_counter(), _cpu_seconds()
    command = ["python", "-m", "srnbook.experiments", *(sys.argv[1:] if argv is None else argv)]
    result = module.run(config, argv=command, workers=args.workers)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}; total wall time {time.perf_counter() - start:.1f} s, "
          f"CPU time {_cpu_seconds() - cpu:.1f} s")
    return out


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main()
