"""A grid of training runs (task × T × method × seed) with per-method settings, shared by the
second-order experiments (:mod:`srnbook.experiments.hessian_free`, :mod:`srnbook.experiments.kfac`)."""

from __future__ import annotations

import itertools
import sys

import torch

from .._validation import check_choice, check_positive_int
from ..tasks import _MIN_T, TASKS, chance_baseline
from ..training import INITS, METHODS, make_model, train
from ._runner import check_config, run_jobs
from .vanishing import _cell

KEYS = ("tasks", "T", "methods", "init", "seeds", "d", "activation", "batch_size", "lr", "options",
        "max_sequences", "budget_seconds", "target", "eval_every", "eval_size", "threads", "progress")
"""The keys of a configuration. ``batch_size``, ``lr`` and ``options`` map a method to its value
(a method missing from ``lr`` gets :data:`srnbook.training.DEFAULT_LR`, from ``options`` none); an
option whose value is a dict maps each task to its value. A run records its CPU seconds
(measured on the machine that ran it, unlike everything else in its summary)."""


def run_grid(name: str, config: dict, published: list[dict], argv: list[str] | None, workers: int,
             skip=()) -> dict:
    """Train every (task, T, method, seed) of ``config``; return a JSON-able dict.

    The dict holds ``experiment``, ``config``, ``cells`` (per task, T, method: seeds ``solved``,
    ``median_sequences``, ``median_success_rate``, as in :mod:`.vanishing`), ``runs`` (each
    run's :meth:`~srnbook.training.TrainResult.summary`), ``baselines`` (the chance success
    rate of each task and T), ``published``, ``torch_version`` and ``command``. The pairs
    ``(task, T)`` in ``skip`` are left out of the grid.
    """
    config = check_grid_config(config)
    skip = {(task, T) for task, T in skip}
    grid = [(task, T, method) for task, T, method in itertools.product(config["tasks"], config["T"], config["methods"])
            if (task, T) not in skip]
    jobs = [(config, task, T, method, seed) for task, T, method in grid for seed in range(config["seeds"])]
    results = run_jobs(_one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: "{} T={} {} seed={}".format(*job[1:]))
    runs = [{"task": task, "T": T, "method": method, "init": config["init"], "seed": seed, **result}
            for (_, task, T, method, seed), result in zip(jobs, results)]
    return {
        "experiment": name,
        "config": config,
        "cells": [_cell(config, runs, task, T, method, config["init"]) for task, T, method in grid],
        "runs": runs,
        "baselines": {f"{task} {T}": chance_baseline(task, T).success_rate
                      for task, T in itertools.product(config["tasks"], config["T"]) if (task, T) not in skip},
        "published": published,
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def success_table(result: dict, labels: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: per task and :math:`T`, the chance success rate and, per method,
    "solved seeds / seeds (median final validation success; runs that diverged)", measured. A diverged
    run (a non-finite loss, or statistics that overflowed) counts with success 0."""
    config = result["config"]
    header = ["task", "T", "chance"] + [labels.get(m, m) for m in config["methods"]]
    rows = []
    for task, T in itertools.product(config["tasks"], config["T"]):
        if f"{task} {T}" not in result["baselines"]:  # a pair left out of the grid
            continue
        row = [task.replace("_", " "), str(T), f"{result['baselines'][f'{task} {T}']:.2f}"]
        for method in config["methods"]:
            c = next(c for c in result["cells"] if (c["task"], c["T"], c["method"]) == (task, T, method))
            diverged = sum(r["diverged"] for r in result["runs"] if (r["task"], r["T"], r["method"]) == (task, T, method))
            note = f"; {diverged} diverged" if diverged else ""
            row.append(f"{c['solved']}/{c['seeds']} ({c['median_success_rate']:.2f}{note})")
        rows.append(row)
    return header, rows


def learning_curves(result: dict, T: int, labels: dict[str, str]):
    """The validation success rate against the training sequences seen, one panel per task at ``T``,
    one line per run, coloured by method, with the chance rate dotted. (In the same CPU time the
    methods see different numbers of sequences.)"""
    import matplotlib.pyplot as plt

    from ..plotting import FIGURE_WIDTH

    tasks = result["config"]["tasks"]
    fig, axes = plt.subplots(len(tasks), 1, figsize=(FIGURE_WIDTH, 0.5 + 2.3 * len(tasks)), sharex=True,
                             squeeze=False)
    for ax, task in zip(axes[:, 0], tasks):
        for j, method in enumerate(result["config"]["methods"]):
            runs = [r for r in result["runs"] if (r["task"], r["T"], r["method"]) == (task, T, method)]
            for k, r in enumerate(runs):
                ax.plot([h[0] for h in r["history"]], [h[2] for h in r["history"]], "-o", ms=2.5, color=f"C{j}",
                        alpha=0.8, label=labels.get(method, method) if k == 0 else None)
        ax.axhline(result["baselines"][f"{task} {T}"], color="0.5", ls=":", lw=1, label="chance")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{task.replace('_', ' ')}, T = {T}", fontsize=9)
        ax.set_ylabel("validation success")
    axes[-1, 0].set_xlabel("training sequences seen")
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def _one_run(config: dict, task: str, T: int, method: str, seed: int) -> dict:
    """One run's summary; a run whose optimizer fails numerically is recorded as diverged with the
    error and its history up to the failure (:func:`srnbook.training.train`), one that fails
    before its first step with the error alone, instead of ending the grid."""
    model = make_model(task, config["d"], config["activation"], config["init"], seed)
    options = {key: value[task] if isinstance(value, dict) else value
               for key, value in (config["options"].get(method) or {}).items()}
    try:
        result = train(model, task, T, method, seed=seed, max_sequences=config["max_sequences"],
                       budget_seconds=config["budget_seconds"], batch_size=config["batch_size"][method],
                       lr=config["lr"].get(method), target=config["target"], eval_every=config["eval_every"],
                       eval_size=config["eval_size"], options=options or None)
    except (RuntimeError, ValueError) as error:  # torch.linalg.LinAlgError is a RuntimeError
        return {"solved": False, "sequences_to_solve": None, "sequences_seen": None, "success_rate": 0.0,
                "loss": None, "history": [], "diverged": True, "cpu_seconds": None,
                "error": f"{type(error).__name__}: {error}"}
    return {**result.summary(), "cpu_seconds": round(result.cpu_seconds, 1)}


def check_grid_config(config) -> dict:
    """``config`` checked: the keys of :data:`KEYS`, known tasks, methods and init, and a
    ``batch_size`` for every method. Raises a ValueError naming the entry."""
    config = check_config(config, KEYS, ("tasks", "T", "methods"))
    for key, choices in (("tasks", tuple(TASKS)), ("methods", METHODS)):
        for value in config[key]:
            check_choice(value, f"config[{key!r}]", choices)
    check_choice(config["init"], "config['init']", INITS)
    smallest = max(_MIN_T[task][0] for task in config["tasks"])
    for T in config["T"]:
        if isinstance(T, bool) or not isinstance(T, int) or T < smallest:
            raise ValueError(f"config['T'] must hold integers >= {smallest} for tasks {config['tasks']}, got {T!r}")
    for key in ("batch_size", "lr", "options"):
        if not isinstance(config[key], dict):
            raise ValueError(f"config[{key!r}] must be a dict from method to value, got {config[key]!r}")
    missing = [m for m in config["methods"] if m not in config["batch_size"]]
    if missing:
        raise ValueError(f"config['batch_size'] must give a batch size for every method, missing {missing}")
    for m in config["methods"]:
        check_positive_int(config["batch_size"][m], f"config['batch_size'][{m!r}]")
    for key in ("seeds", "d", "threads"):
        check_positive_int(config[key], f"config[{key!r}]")
    return config
