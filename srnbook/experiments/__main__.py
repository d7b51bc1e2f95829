"""Command line: ``python -m srnbook.experiments NAME [--quick] [--workers N] [--out PATH]``.

Runs the experiment (its ``FULL`` configuration unless ``--quick``), writes the JSON
result to ``--out`` (default ``book/data/<name>.json``) and prints the total wall time
and CPU time (this process and its local worker processes; not a cluster's).

Each run is saved as it finishes, one JSON line in ``<out>.runs.jsonl``; run the same
command again after an interruption and the runs already there are skipped. The file is
removed once the JSON result is written (``--restart`` removes it first, to start over).
``--scheduler tcp://HOST:PORT`` sends the runs to a Dask cluster (dask.distributed) instead
of local processes; ``--device cuda`` runs them on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import EXPERIMENTS
from ._runner import check_device, execution


SINGLE_RUN = ("fastweights_network", "reservoir_esn")
"""The experiments that are one run in this process (no runs to distribute, save or resume)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m srnbook.experiments", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS), help="the experiment to run")
    parser.add_argument("--quick", action="store_true", help="run the QUICK configuration (seconds), not FULL")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON (default: book/data/NAME.json)")
    parser.add_argument("--workers", type=int, default=1, help="runs at once, in separate processes (default 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="send the runs to the Dask scheduler at ADDRESS (default: run here)")
    parser.add_argument("--device", default="cpu", type=_device, help="torch device of every run (default cpu)")
    parser.add_argument("--restart", action="store_true",
                        help="forget the runs saved by an interrupted earlier call and start over")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    args = parser.parse_args(argv)
    if args.experiment in SINGLE_RUN and (args.workers != 1 or args.scheduler or args.device != "cpu"):
        parser.error(f"{args.experiment} is a single run in this process: --workers, --scheduler and "
                     f"--device apply to the experiments made of many runs")
    return args


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    module = EXPERIMENTS[args.experiment]
    config = dict(module.QUICK if args.quick else module.FULL)
    config["progress"] = args.progress
    out = args.out if args.out is not None else Path("book") / "data" / f"{args.experiment}.json"
    start, cpu = time.perf_counter(), _cpu_seconds()
    command = ["python", "-m", "srnbook.experiments", *(sys.argv[1:] if argv is None else argv)]
    checkpoint = out.with_name(out.name.removesuffix(".json") + ".runs.jsonl")
    if args.restart:
        checkpoint.unlink(missing_ok=True)
    with execution(checkpoint=checkpoint, scheduler=args.scheduler, device=args.device):
        result = module.run(config, argv=command, workers=args.workers)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    checkpoint.unlink(missing_ok=True)
    print(f"wrote {out}; total wall time {time.perf_counter() - start:.1f} s, "
          f"CPU time {_cpu_seconds() - cpu:.1f} s")
    return out


def _device(text: str) -> str:
    try:
        return check_device(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main()
