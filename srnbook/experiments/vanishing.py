r"""Which first-order remedies let an SRN learn long time lags? The setting of Pascanu et al. (2013).

Every cell (task, minimal length :math:`T`, method, initialization) is trained from
``seeds`` seeds by :func:`srnbook.training.train`, each run on its own CPU budget, stopping
early once the success rate on a validation batch of ``eval_size`` sequences reaches
``target``. A run then *solves* the task, as in Pascanu, Mikolov & Bengio (2013, sec. 4.1),
when it gets at most 1 % of ``test_size`` fresh test sequences wrong (success rate at least
``target`` = 0.99), a regression output counting as wrong when its squared error exceeds
0.04 (absolute error ``tol`` = 0.2). For each cell the result gives the seeds that solved
the task and the median number of training sequences needed, counting an unsolved seed as
:math:`\infty` (so the median is ``None`` unless more than half of the seeds solved it).

Two configurations:

:data:`QUICK`
    The temporal order problem at :math:`T \in \{10, 20\}`, the three methods, 2 seeds,
    8 tanh units, at most 1024 sequences per run: 12 runs, a few seconds. For tests and
    notebooks.
:data:`FULL`
    Pascanu et al.'s comparison, SGD, SGD with clipping and SGD with clipping and
    :math:`\Omega`, on the adding and temporal order problems at :math:`T \in \{50, 100\}`:
    50 tanh units, their "smart tanh" initialization (``"pascanu"``), minibatches of 20,
    clipping threshold 1, 5 seeds per cell, each run stopped after 60 CPU seconds (their
    runs had up to 5 million updates; ours at most about 5 000): 60 runs, at most 60 CPU
    minutes, about 30 minutes of wall time with ``python -m srnbook.experiments vanishing
    --workers 2``. The learning rate is 0.1 and :math:`\lambda = 1` (theirs: 0.01 and 4), so
    that the budget shows an effect.

Runs use ``threads`` torch threads (1 by default), so that CPU seconds are comparable
between runs and the budget is the same for every method.

>>> result = run(QUICK)                                        # doctest: +SKIP
>>> result["cells"][0]["solved"], result["cells"][0]["seeds"]  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys

import numpy as np
import torch

from .._validation import check_choice
from ..tasks import _MIN_T, TASKS
from ..training import INITS, METHODS, draw, evaluate, make_model, train
from ._runner import check_config, run_jobs

FIRST_ORDER = ("sgd", "sgd_clip", "sgd_clip_omega")
"""The methods compared here, Pascanu et al.'s SGD, SGD-C and SGD-CR (second-order methods have
their own experiments, :mod:`srnbook.experiments.hessian_free` and :mod:`srnbook.experiments.kfac`,
and gated units :mod:`srnbook.experiments.long_lags`)."""

QUICK = {
    "tasks": ["temporal_order"],
    "T": [10, 20],
    "methods": list(FIRST_ORDER),
    "inits": ["orthogonal"],
    "seeds": 2,
    "d": 8,
    "activation": "tanh",
    "batch_size": 32,
    "lr": None,
    "max_sequences": 1024,
    "budget_seconds": None,
    "target": 0.99,
    "tol": 0.2,
    "eval_every": 256,
    "eval_size": 256,
    "test_size": 512,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 12 runs, seconds in total."""

FULL = {
    "tasks": ["adding", "temporal_order"],
    "T": [50, 100],
    "methods": list(FIRST_ORDER),
    "inits": ["pascanu"],
    "seeds": 5,
    "d": 50,
    "activation": "tanh",
    "batch_size": 20,
    "lr": 0.1,
    "max_sequences": 10_000_000,
    "budget_seconds": 60.0,
    "target": 0.99,
    "tol": 0.2,
    "eval_every": 4000,
    "eval_size": 1000,
    "test_size": 10_000,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 60 runs of at most 60 CPU seconds each (at most an hour of CPU)."""

KEYS = tuple(QUICK)

PUBLISHED = [
    {"task": "temporal_order", "T": "50 to 200", "method": "sgd_clip_omega", "solved": "5/5",
     "note": "one model trained on lengths 50 to 200; 0 errors on test sequences of lengths 50 to 5000",
     "source": "Pascanu, Mikolov & Bengio (2013), sec. 4.1 (text)"},
    {"task": "all", "T": "50 to 250", "method": "sgd, sgd_clip, sgd_clip_omega", "solved": None,
     "note": "success rates per task, length and initialization are plotted only (their Figure 7)",
     "source": "Pascanu, Mikolov & Bengio (2013), Figure 7"},
]
"""Published reference points, each with its source. Pascanu et al. give their per-cell success
rates in a plot only; the text states one number, quoted here."""

METHOD_LABELS = {"sgd": "SGD", "sgd_clip": "SGD + clipping", "sgd_clip_omega": r"SGD + clipping + $\Omega$",
                 "normalized": "normalized components", "adam": "Adam"}
"""How the chapters name the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run every cell of ``config`` (keys as in :data:`QUICK`); return a JSON-able dict.

    The dict holds ``config``, ``cells`` (one per task, T, method, init: ``solved`` seeds out
    of ``seeds``, ``median_sequences``, ``median_success_rate``), ``runs`` (every run's
    :meth:`~srnbook.training.TrainResult.summary`), ``torch_version`` and ``command``
    (``argv``, default :data:`sys.argv`). Times are left out: they depend on the machine.

    ``workers > 1`` runs that many runs at once in separate processes, each with
    ``config["threads"]`` torch threads; a run's result does not depend on which process ran it
    (each run is seeded, and its CPU budget is its own process's CPU time).
    """
    return grid_of_runs("vanishing", _check_config(config, KEYS), _one_run, PUBLISHED, argv, workers)


def grid_of_runs(name: str, config: dict, one_run, published: list[dict] | None, argv: list[str] | None,
                 workers: int) -> dict:
    """Train ``one_run(config, task, T, method, init, seed)`` over the grid of a checked ``config``:
    the dict that :func:`run` returns (``published`` left out when ``None``)."""
    grid = list(itertools.product(config["tasks"], config["T"], config["methods"], config["inits"]))
    jobs = [(config, task, T, method, init, seed)
            for task, T, method, init in grid for seed in range(config["seeds"])]
    results = run_jobs(one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: "{} T={} {} {} seed={}".format(*job[1:]))
    runs = [{"task": task, "T": T, "method": method, "init": init, "seed": seed, **result}
            for (_, task, T, method, init, seed), result in zip(jobs, results)]
    return {
        "experiment": name,
        "config": config,
        "cells": [_cell(config, runs, *key) for key in grid],
        "runs": runs,
        **({} if published is None else {"published": published}),
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def cell(result: dict, task: str, T: int, method: str, init: str) -> dict:
    """The cell of ``result`` (from :func:`run` or the JSON) for one task, T, method and init."""
    for c in result["cells"]:
        if (c["task"], c["T"], c["method"], c["init"]) == (task, T, method, init):
            return c
    raise KeyError(f"no cell task={task!r}, T={T}, method={method!r}, init={init!r} in this result")


def plot_success(result: dict):
    """Seeds solved (out of ``seeds``) against :math:`T`: one panel per task and initialization, one
    line per method (shifted sideways a little, so that equal lines do not hide each other)."""
    import matplotlib.pyplot as plt

    config = result["config"]
    tasks, inits, Ts = config["tasks"], config["inits"], config["T"]
    fig, axes = plt.subplots(len(tasks), len(inits), figsize=(2.9 * len(inits) + 1.6, 2.4 * len(tasks)),
                             squeeze=False, sharex=True, sharey=True)
    for r, task in enumerate(tasks):
        for c, init in enumerate(inits):
            ax = axes[r][c]
            for j, method in enumerate(config["methods"]):
                solved = [cell(result, task, T, method, init)["solved"] for T in Ts]
                shift = 0.07 * (j - (len(config["methods"]) - 1) / 2)  # so that equal lines stay visible
                ax.plot([i + shift for i in range(len(Ts))], solved, "o-", ms=3, color=f"C{j}", alpha=0.85,
                        label=METHOD_LABELS.get(method, method))
            ax.set_title(f"{task.replace('_', ' ')}, {init} init", fontsize=9)
            ax.set_xticks(range(len(Ts)), [str(T) for T in Ts])
            ax.set_ylim(-0.5, config["seeds"] + 0.5)
            if r == len(tasks) - 1:
                ax.set_xlabel("minimal length $T$")
        axes[r][0].set_ylabel(f"seeds solved (of {config['seeds']})")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_curves(result: dict, T: int, chance: dict[str, float] | None = None):
    """Validation success rate against training sequences seen at minimal length ``T``: one panel
    per task, one line per run, coloured by method; ``chance`` (task -> rate), if given, dotted."""
    import matplotlib.pyplot as plt

    from ..plotting import FIGURE_WIDTH

    config = result["config"]
    tasks = config["tasks"]
    fig, axes = plt.subplots(len(tasks), 1, figsize=(FIGURE_WIDTH, 0.5 + 2.3 * len(tasks)), sharex=True,
                             squeeze=False)
    for ax, task in zip(axes[:, 0], tasks):
        for j, method in enumerate(config["methods"]):
            runs = [r for r in result["runs"] if (r["task"], r["T"], r["method"]) == (task, T, method)]
            for k, r in enumerate(runs):
                ax.plot([h[0] for h in r["history"]], [h[2] for h in r["history"]], "-", lw=1.1,
                        color=f"C{j}", alpha=0.8, label=METHOD_LABELS.get(method, method) if k == 0 else None)
        if chance is not None and task in chance:
            ax.axhline(chance[task], color="0.4", ls=":", lw=1, label="chance")
        ax.set_title(f"{task.replace('_', ' ')}, $T = {T}$", fontsize=9)
        ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1000:.0f}k")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("validation success")
    axes[-1, 0].set_xlabel("training sequences seen")
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def _one_run(config: dict, task: str, T: int, method: str, init: str, seed: int) -> dict:
    """One run's summary, with ``test_success`` on fresh sequences and ``solved`` by that test."""
    model = make_model(task, config["d"], config["activation"], init, seed)
    result = train(model, task, T, method, seed=seed, max_sequences=config["max_sequences"],
                   budget_seconds=config["budget_seconds"], batch_size=config["batch_size"], lr=config["lr"],
                   target=config["target"], eval_every=config["eval_every"], eval_size=config["eval_size"],
                   tol=config["tol"])
    test = draw(task, config["test_size"], T, seed=np.random.SeedSequence([seed, 2]).generate_state(1)[0])
    test_success = evaluate(model, test, config["tol"])
    summary = result.summary()
    solved = test_success >= config["target"]
    return {**summary, "stopped_early": summary["solved"], "solved": solved, "test_success": test_success,
            "sequences_to_solve": summary["sequences_to_solve"] if solved else None}


def _cell(config: dict, runs: list[dict], task: str, T: int, method: str, init: str) -> dict:
    mine = [r for r in runs if (r["task"], r["T"], r["method"], r["init"]) == (task, T, method, init)]
    needed = statistics.median(math.inf if r["sequences_to_solve"] is None else r["sequences_to_solve"]
                               for r in mine)
    return {
        "task": task, "T": T, "method": method, "init": init,
        "seeds": len(mine),
        "solved": sum(r["solved"] for r in mine),
        "median_sequences": None if math.isinf(needed) else needed,
        "median_success_rate": statistics.median(r["success_rate"] for r in mine),
    }


def _check_config(config, keys) -> dict:
    """``config`` with exactly ``keys``, its tasks, methods, inits, lengths and counts checked."""
    config = check_config(config, keys, ("tasks", "T", "methods", "inits"))
    for key, choices in (("tasks", tuple(TASKS)), ("methods", METHODS), ("inits", INITS)):
        for value in config[key]:
            check_choice(value, f"config[{key!r}]", choices)
    smallest = max(_MIN_T[task][0] for task in config["tasks"])
    for T in config["T"]:
        if isinstance(T, bool) or not isinstance(T, int) or T < smallest:
            raise ValueError(f"config['T'] must hold integers >= {smallest} for tasks {config['tasks']}, got {T!r}")
    for key in ("seeds", "threads"):
        if isinstance(config[key], bool) or not isinstance(config[key], int) or config[key] < 1:
            raise ValueError(f"config[{key!r}] must be a positive integer, got {config[key]!r}")
    return config
