r"""Long time lags solved: gated units and an SRN on the 1997 problems at :math:`T = 100`.

Every cell (task, minimal length :math:`T`, network) is trained from ``seeds`` seeds by
:func:`srnbook.training.train` with the same optimizer and budget: minibatches of ``batch_size``
fresh sequences, Adam with learning rate ``lr`` after clipping the gradient norm at ``clip``, at
most ``max_sequences`` training sequences. A run *solves* its task when the success rate on a
fixed validation batch of ``eval_size`` sequences reaches ``target``; the number of training
sequences seen by then is its *sequences to solution*, the measure of Hochreiter &
Schmidhuber (1997, Table 7). Each run is then tested on ``test_size`` fresh sequences drawn as
in 1997 (lengths from :math:`T` to :math:`T + T/10`), and the wrong predictions are counted.

The networks (:func:`srnbook.training.make_gated_model`, :func:`srnbook.training.make_model`):

* ``"lstm1997"`` -- the LSTM without forget gate, ``d_lstm`` cells (4: the paper's two blocks of
  two cells), initialized as in 1997 (weights in :math:`[-0.1, 0.1]`, input gates biased shut);
* ``"gru"`` -- the GRU, ``d_gru`` units, PyTorch's initialization;
* ``"srn"`` -- the SRN, ``d_srn`` tanh units, orthogonal :math:`W`.

:data:`QUICK` (the adding problem at :math:`T = 20`, one seed, 512 sequences) takes seconds;
:data:`FULL` (adding and temporal order at :math:`T = 100`, 5 seeds, at most 150 000 sequences
per run: twice the 74 000 of Hochreiter & Schmidhuber) takes about an hour on two cores
(``python -m srnbook.experiments long_lags --workers 2``).
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys

import numpy as np
import torch

from .._validation import check_choice, check_positive_int
from ..tasks import _MIN_T, make_task
from ..training import evaluate, make_gated_model, make_model, train
from ._runner import check_config, run_jobs

NETWORKS = ("lstm1997", "gru", "srn")
"""The networks compared."""

LABELS = {"lstm1997": "LSTM (1997)", "gru": "GRU", "srn": "SRN"}
"""How the chapter names them."""

QUICK = {
    "tasks": ["adding"],
    "T": [20],
    "networks": list(NETWORKS),
    "seeds": 1,
    "d_lstm": 4,
    "d_gru": 8,
    "d_srn": 16,
    "batch_size": 32,
    "lr": 0.01,
    "clip": 1.0,
    "max_sequences": 512,
    "target": 0.99,
    "eval_every": 256,
    "eval_size": 256,
    "test_size": 256,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 3 runs, seconds."""

FULL = {
    **QUICK,
    "tasks": ["adding", "temporal_order"],
    "T": [100],
    "seeds": 5,
    "d_srn": 32,
    "max_sequences": 150_000,
    "eval_every": 4096,
    "eval_size": 1000,
    "test_size": 2560,
    "progress": True,
}
"""The full configuration: 30 runs of at most 150 000 sequences each."""

KEYS = tuple(QUICK)

PUBLISHED = [
    {"task": "adding", "T": 100, "network": "LSTM (1997)", "sequences": 74_000, "wrong": 1, "test_size": 2560,
     "trials": 10, "source": "Hochreiter & Schmidhuber (1997), Table 7"},
    {"task": "temporal_order", "T": 100, "network": "LSTM (1997)", "sequences": 31_390, "wrong": 1,
     "test_size": 2560, "trials": 20, "source": "Hochreiter & Schmidhuber (1997), Table 9 (task 6a)"},
]
"""Published reference points: means over ``trials`` runs of online learning (one sequence per weight
update, learning rate 0.5), 2 (adding) or 3 (temporal order) memory-cell blocks of size 2."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Train every (task, T, network, seed) of ``config``; return a JSON-able dict.

    The dict holds ``experiment``, ``config``, ``cells`` (per task, T, network: ``solved`` seeds of
    ``seeds``, ``median_sequences`` to solution, with an unsolved seed counted as :math:`\\infty`,
    ``sequences`` of each seed, and ``wrong`` test predictions of each seed), ``runs``,
    ``published``, ``torch_version`` and ``command``.
    """
    config = _check_config(config)
    grid = list(itertools.product(config["tasks"], config["T"], config["networks"]))
    jobs = [(config, task, T, network, seed) for task, T, network in grid for seed in range(config["seeds"])]
    results = run_jobs(_one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: "{} T={} {} seed={}".format(*job[1:]))
    runs = [{"task": task, "T": T, "network": network, "seed": seed, **result}
            for (_, task, T, network, seed), result in zip(jobs, results)]
    return {
        "experiment": "long_lags",
        "config": config,
        "cells": [_cell(runs, *key) for key in grid],
        "runs": runs,
        "published": PUBLISHED,
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def _one_run(config: dict, task: str, T: int, network: str, seed: int) -> dict:
    if network == "srn":
        model = make_model(task, config["d_srn"], "tanh", "orthogonal", seed)
    else:
        model = make_gated_model(task, network, config["d_lstm" if network == "lstm1997" else "d_gru"], seed)
    result = train(model, task, T, "adam", seed=seed, max_sequences=config["max_sequences"],
                   batch_size=config["batch_size"], lr=config["lr"], clip=config["clip"],
                   target=config["target"], eval_every=config["eval_every"], eval_size=config["eval_size"])
    test = make_task(task, config["test_size"], T, seed=np.random.SeedSequence([seed, 2]).generate_state(1)[0])
    wrong = round((1 - evaluate(model, test)) * config["test_size"])
    summary = result.summary()
    return {"solved": summary["solved"], "sequences_to_solve": summary["sequences_to_solve"],
            "sequences_seen": summary["sequences_seen"], "success_rate": summary["success_rate"],
            "loss": summary["loss"], "diverged": summary["diverged"], "history": summary["history"],
            "wrong": wrong, "parameters": sum(p.numel() for p in model.parameters())}


def _cell(runs: list[dict], task: str, T: int, network: str) -> dict:
    mine = [r for r in runs if (r["task"], r["T"], r["network"]) == (task, T, network)]
    needed = [math.inf if r["sequences_to_solve"] is None else r["sequences_to_solve"] for r in mine]
    median = statistics.median(needed)
    return {"task": task, "T": T, "network": network, "seeds": len(mine), "solved": sum(r["solved"] for r in mine),
            "median_sequences": None if math.isinf(median) else median,
            "sequences": [None if math.isinf(n) else n for n in needed], "wrong": [r["wrong"] for r in mine],
            "parameters": mine[0]["parameters"]}


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("tasks", "T", "networks"))
    for key, choices in (("tasks", ("adding", "temporal_order")), ("networks", NETWORKS)):
        for value in config[key]:
            check_choice(value, f"config[{key!r}]", choices)
    smallest = max(_MIN_T[task][0] for task in config["tasks"])
    for T in config["T"]:
        if isinstance(T, bool) or not isinstance(T, int) or T < smallest:
            raise ValueError(f"config['T'] must hold integers >= {smallest} for tasks {config['tasks']}, got {T!r}")
    for key in ("seeds", "d_lstm", "d_gru", "d_srn", "batch_size", "max_sequences", "eval_every", "eval_size",
                "test_size", "threads"):
        check_positive_int(config[key], f"config[{key!r}]")
    return config

