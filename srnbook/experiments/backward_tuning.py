r"""Backward tuning against BPTT on the slides' reverse-engineering problem (Viéville).

For every unit type (linear-nonlinear, integrate-and-fire), network size :math:`N` and seed,
:func:`srnbook.backward_tuning.reverse_engineering` draws a root network and a blind one
(weights :math:`\mathcal N(0, (0.5/\sqrt N)^2)`), one standard normal input and
:math:`T = 2N(N+1)` steps; the blind network is fitted to the root's unit 0 by
:func:`srnbook.backward_tuning.fit` (backward tuning) and by
:func:`srnbook.backward_tuning.fit_bptt` (L-BFGS-B through autograd), both stopping when the
criterion is below ``tolerance`` or after ``max_iterations`` iterations (BPTT also after
``5 * max_iterations`` forward-backward passes). Each run keeps its
criterion history and the table's quantities of :func:`srnbook.backward_tuning.decay_fit`.
A run that fails (a singular system, a NaN) is recorded with its error, not raised.

:data:`QUICK`
    N = 2 and 3, one seed, 20 iterations: seconds.
:data:`FULL`
    N in {2, 4, 8, 16, 32}, both unit types, 3 seeds, both methods, 100 iterations: 60 runs.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import torch

from .._validation import check_choice, check_positive_float, check_positive_int
from ..backward_tuning import decay_fit, fit, fit_bptt, reverse_engineering
from ._runner import check_config, run_jobs

QUICK = {
    "kinds": ["lnl", "iaf"],
    "N": [2, 3],
    "seeds": 1,
    "methods": ["backward_tuning", "bptt"],
    "max_iterations": 20,
    "tolerance": 1e-6,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 8 runs of at most 20 iterations; seconds."""

FULL = {
    "kinds": ["lnl", "iaf"],
    "N": [2, 4, 8, 16, 32],
    "seeds": 3,
    "methods": ["backward_tuning", "bptt"],
    "max_iterations": 100,
    "tolerance": 1e-6,
    "threads": 1,
    "progress": True,
}
"""The full configuration: the slides' table (N = 2 to 32, both unit types), 3 seeds, and BPTT: 60 runs."""

KEYS = tuple(QUICK)
METHODS = ("backward_tuning", "bptt")
KINDS = ("lnl", "iaf")

PUBLISHED = {
    "source": "published, Viéville slides (Mnemonas reverse_engineering test)",
    "N": [2, 4, 8, 16, 32],
    "lnl": {"iterations": [36, 101, 78, None, None], "minimum": [9.3e-07, 3.0e-06, 1.0e-06, None, None],
            "tau": [24, 23, 88, None, None], "bias": [2.2e-08, 2.6e-06, 5.9e-07, None, None]},
    "iaf": {"iterations": [101, 101, 101, None, None], "minimum": [9.9e-06, 4.7e-06, 1.1e-06, None, None],
            "tau": [8, 36, 17, None, None], "bias": [9.1e-06, 4.6e-06, 1.1e-06, None, None]},
}
"""The slides' table; ``None`` where the slides say T.B.D."""

QUANTITIES = {"iterations": "Number of iterations", "minimum": "Minimal criterion value",
              "tau": "Exponential decay time", "bias": "Final bias interpolation"}
"""The table's rows, named as on the slides."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run every (kind, N, seed, method); return a JSON-able dict.

    Keys: ``config``, ``runs`` (one dict per run, see :func:`one_run`), ``published``,
    ``torch_version`` and ``command``.
    """
    config = _check_config(config)
    jobs = [(config, kind, n, seed, method) for n, kind, seed, method in itertools.product(
        sorted(config["N"], reverse=True), config["kinds"], range(config["seeds"]), config["methods"])]
    results = run_jobs(one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: f"{job[1]} N={job[2]} seed {job[3]} {job[4]}")
    results.sort(key=lambda r: (config["kinds"].index(r["kind"]), r["N"], r["seed"],
                                config["methods"].index(r["method"])))
    return {"config": config, "runs": results, "published": PUBLISHED,
            "torch_version": torch.__version__.split("+")[0],
            "command": list(sys.argv if argv is None else argv)}


def one_run(config: dict, kind: str, n: int, seed: int, method: str) -> dict:
    """One fit; the criterion history, the status, the step kinds and :func:`decay_fit` of the history."""
    out = {"kind": kind, "N": n, "seed": seed, "method": method, "T": 2 * n * (n + 1)}
    try:
        unit, _, blind, inputs, targets = reverse_engineering(kind, n, seed)
        if method == "backward_tuning":
            result = fit(unit, blind, inputs, targets, max_iterations=config["max_iterations"],
                         tolerance=config["tolerance"])
        else:
            result = fit_bptt(unit, blind, inputs, targets, max_iterations=config["max_iterations"],
                              tolerance=config["tolerance"])
        out.update(status=result.status, history=[float(c) for c in result.history],
                   gradient_steps=result.steps.count("gradient"), evaluations=result.evaluations, error=None,
                   **decay_fit(result.history))
    except (RuntimeError, ValueError, torch.linalg.LinAlgError) as error:  # recorded, not fatal
        out.update(status="failed", history=None, gradient_steps=None, evaluations=None,
                   error=f"{type(error).__name__}: {error}",
                   iterations=None, minimum=None, tau=None, bias=None)
    return out


def median(result: dict, kind: str, n: int, method: str, quantity: str):
    """The median of ``quantity`` over the seeds' runs (None if no run has it)."""
    values = [r[quantity] for r in result["runs"] if (r["kind"], r["N"], r["method"]) == (kind, n, method)
              and r[quantity] is not None]
    return float(np.median(values)) if values else None


def _fmt(quantity: str, value) -> str:
    if value is None:
        return "T.B.D."
    if quantity in ("iterations", "tau"):
        return f"{value:.0f}"
    return f"{value:.1e}"


def table(result: dict) -> tuple[list[str], list[list]]:
    """Header and rows: per unit type and quantity, the published values and our medians (both methods)."""
    ns = result["config"]["N"]
    header = ["unit", "quantity", "source"] + [f"N = {n}" for n in ns]
    published = result["published"]
    rows = []
    for kind in result["config"]["kinds"]:
        for quantity, label in QUANTITIES.items():
            pub = [published[kind][quantity][published["N"].index(n)] if n in published["N"] else None for n in ns]
            rows.append([kind.upper(), label, "published (slides, table \"It works\")"] + [_fmt(quantity, v) for v in pub])
            for method in result["config"]["methods"]:
                name = "backward tuning" if method == "backward_tuning" else "BPTT (L-BFGS-B)"
                rows.append([kind.upper(), label, f"measured, {name}"] +
                            [_fmt(quantity, median(result, kind, n, method, quantity)) for n in ns])
    return header, rows


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("kinds", "N", "methods"))
    for kind in config["kinds"]:
        check_choice(kind, "config['kinds'] entries", KINDS)
    for method in config["methods"]:
        check_choice(method, "config['methods'] entries", METHODS)
    for n in config["N"]:
        check_positive_int(n, "config['N'] entries")
    for key in ("seeds", "max_iterations", "threads"):
        check_positive_int(config[key], f"config[{key!r}]")
    check_positive_float(config["tolerance"], "config['tolerance']")
    return config


def status_table(result: dict) -> tuple[list[str], list[list]]:
    """Header and rows: per unit type and method and for each N, ``"converged/runs (median evaluations)"``.

    Evaluations are forward simulations for backward tuning (line-search trials included) and
    forward-backward passes for BPTT; failed runs are counted after them.
    """
    ns = result["config"]["N"]
    header = ["unit", "method"] + [f"N = {n}" for n in ns]
    rows = []
    for kind in result["config"]["kinds"]:
        for method in result["config"]["methods"]:
            row = [kind.upper(), "backward tuning" if method == "backward_tuning" else "BPTT (L-BFGS-B)"]
            for n in ns:
                runs = [r for r in result["runs"] if (r["kind"], r["N"], r["method"]) == (kind, n, method)]
                converged = sum(r["status"] == "converged" for r in runs)
                failed = sum(r["status"] == "failed" for r in runs)
                evaluations = [r["evaluations"] for r in runs if r["evaluations"] is not None]
                cell = f"{converged}/{len(runs)}"
                if evaluations:
                    cell += f" ({np.median(evaluations):.0f})"
                row.append(cell + (f", {failed} failed" if failed else ""))
            rows.append(row)
    return header, rows
