r"""K-FAC with its three temporal models against Adam and SGD, each tuned by the same sweep, at
equal CPU budgets.

The adding problem at :math:`T = 20` and temporal order at :math:`T = 20`. The network is that
of :mod:`srnbook.experiments.hessian_free` (100 tanh units, the initialization of Martens &
Sutskever's released code); every method sees minibatches of 32 sequences. K-FAC uses the
likelihood of the last output only (``outputs="last"``), factor decay 0.95 and recomputes its
inverses every 10 steps (``inverse_every = 10``).

The learning rate of every method, and K-FAC's damping :math:`\gamma`, are chosen by one small
validation sweep run the same way for all: each candidate trains once, with its own seed
(``sweep["seed"]``, not one of the test seeds), for ``sweep["budget_seconds"]`` CPU seconds
on each task, and the candidate with the highest mean final validation success rate over the
tasks is kept, ties broken by the lower mean loss of the last training minibatch (a diverged run
counts as success 0 and loss :math:`\infty`). The test runs then use the chosen settings on
seeds 0, 1, 2.

:data:`QUICK`
    Adding at :math:`T = 10`, 8 units, two candidates per method, one seed: seconds.
:data:`FULL`
    The sweep (4 learning rates per method, times 4 dampings for each K-FAC model: 56 candidates x
    2 tasks x 20 CPU s) and the test grid (5 methods x 2 tasks x 3 seeds x 30 CPU s): 52 CPU minutes.
"""

from __future__ import annotations

import itertools
import math

from ._grid import KEYS as GRID_KEYS
from ._grid import _one_run, check_grid_config, learning_curves, run_grid, success_table
from ._runner import run_jobs

METHODS = ["kfac_independent", "kfac_option1", "kfac_option2", "adam", "sgd_clip"]

QUICK = {
    "tasks": ["adding"],
    "T": [10],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 1,
    "d": 8,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {m: {"inverse_every": 10} for m in METHODS if m.startswith("kfac")},
    "max_sequences": 512,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 256,
    "eval_size": 256,
    "threads": 1,
    "progress": False,
    "sweep": {"seed": 100, "budget_seconds": None, "max_sequences": 256,
              "lr": {"kfac": [0.03, 0.1], "adam": [0.003, 0.01], "sgd_clip": [0.1, 0.3]}, "damping": [0.01]},
}
"""The quick configuration: a sweep of 8 candidates and 5 test runs, seconds."""

FULL = {
    "tasks": ["adding", "temporal_order"],
    "T": [20],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 3,
    "d": 100,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {m: {"inverse_every": 10} for m in METHODS if m.startswith("kfac")},
    "max_sequences": 100_000_000,
    "budget_seconds": 30.0,
    "target": 0.99,
    "eval_every": 4096,
    "eval_size": 1000,
    "threads": 1,
    "progress": True,
    "sweep": {"seed": 100, "budget_seconds": 20.0, "max_sequences": 100_000_000,
              "lr": {"kfac": [0.003, 0.01, 0.03, 0.1], "adam": [0.0003, 0.001, 0.003, 0.01],
                     "sgd_clip": [0.01, 0.03, 0.1, 0.3]},
              "damping": [0.001, 0.01, 0.1, 1.0]},
}
"""The full configuration: 112 sweep runs of 20 CPU seconds, then 30 test runs of 30 CPU seconds.
(The sweep first had 3 values per axis; where the best lay on the edge, one value was added
beyond it: the grids here are the result.)"""

KEYS = tuple(GRID_KEYS) + ("sweep",)

PUBLISHED: list[dict] = []
"""No published success rates of K-FAC on these problems were found: Martens, Ba & Johnson (2018)
evaluate it on other RNN training tasks, whose numbers are not compared with this grid."""

LABELS = {"kfac_independent": "K-FAC (independent)", "kfac_option1": "K-FAC (Option 1)",
          "kfac_option2": "K-FAC (Option 2)", "adam": "Adam", "sgd_clip": "SGD (clipped)"}
"""How the chapter names the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """The sweep, then the grid of ``config`` (keys as in :data:`QUICK`) with the chosen settings;
    see :func:`._grid.run_grid`. The result has the grid's keys and ``sweep``: every candidate
    (``method``, ``lr``, ``damping``, per task its last training loss and final validation
    success, ``score`` = [mean success, mean loss])
    and ``chosen`` (per method: ``lr`` and ``damping``)."""
    if not isinstance(config, dict) or "sweep" not in config:
        raise ValueError(f"config must be a dict with the keys of QUICK {list(KEYS)}, got {config!r:.200}")
    grid = check_grid_config({k: v for k, v in config.items() if k != "sweep"})
    sweep = _check_sweep(config["sweep"], grid["methods"])
    candidates = sweep_candidates(grid["methods"], sweep)
    trial = {**grid, "budget_seconds": sweep["budget_seconds"], "max_sequences": sweep["max_sequences"]}
    jobs = [(_with_setting(trial, c), task, T, c["method"], sweep["seed"])
            for c in candidates for task in grid["tasks"] for T in grid["T"]]
    results = iter(run_jobs(_one_run, jobs, workers=workers, threads=grid["threads"],
                            progress=grid["progress"], describe=lambda job: f"sweep {job[3]} {job[1]}"))
    rows = []
    for c in candidates:
        per_task = {f"{task} {T}": next(results) for task in grid["tasks"] for T in grid["T"]}
        ok = [not r["diverged"] and r["loss"] is not None and math.isfinite(r["loss"]) for r in per_task.values()]
        losses = [r["loss"] if good else math.inf for r, good in zip(per_task.values(), ok)]
        rates = [r["success_rate"] if good else 0.0 for r, good in zip(per_task.values(), ok)]
        rows.append({**c, "loss": {k: r["loss"] if good else None for (k, r), good in zip(per_task.items(), ok)},
                     "success_rate": dict(zip(per_task, rates)),
                     "score": [round(sum(rates) / len(rates), 4), sum(losses) / len(losses)]})
    chosen = {}
    for method in grid["methods"]:
        best = min((r for r in rows if r["method"] == method), key=lambda r: (-r["score"][0], r["score"][1]))
        chosen[method] = {"lr": best["lr"], "damping": best["damping"]}
    final = _with_setting(grid, None, chosen)
    result = run_grid("kfac", final, PUBLISHED, argv, workers)
    result["config"] = {**grid, "sweep": sweep}  # as given; the chosen settings are in result["sweep"]
    result["sweep"] = {"candidates": rows, "chosen": chosen}
    return result


def _check_sweep(sweep, methods: list[str]) -> dict:
    """``config["sweep"]`` checked: its keys, a list of learning rates for every method (``"kfac"``
    for the K-FAC models) and a list of dampings; a ValueError names the entry."""
    keys = ("seed", "budget_seconds", "max_sequences", "lr", "damping")
    if not isinstance(sweep, dict) or sorted(sweep) != sorted(keys):
        raise ValueError(f"config['sweep'] must be a dict with the keys {list(keys)}, got {sweep!r:.200}")
    needed = sorted({"kfac" if m.startswith("kfac") else m for m in methods})
    if not isinstance(sweep["lr"], dict) or any(not sweep["lr"].get(m) for m in needed):
        raise ValueError(f"config['sweep']['lr'] must give a nonempty list of learning rates for each of "
                         f"{needed}, got {sweep['lr']!r}")
    if not isinstance(sweep["damping"], list) or not sweep["damping"]:
        raise ValueError(f"config['sweep']['damping'] must be a nonempty list, got {sweep['damping']!r}")
    return sweep


def sweep_candidates(methods: list[str], sweep: dict) -> list[dict]:
    """Every (method, lr, damping) of the sweep: the learning rates of ``sweep["lr"]`` (key
    ``"kfac"`` for the K-FAC models), times ``sweep["damping"]`` for K-FAC (``None`` otherwise)."""
    out = []
    for method in methods:
        kfac = method.startswith("kfac")
        rates = sweep["lr"]["kfac" if kfac else method]
        for lr, damping in itertools.product(rates, sweep["damping"] if kfac else [None]):
            out.append({"method": method, "lr": lr, "damping": damping})
    return out


def _with_setting(config: dict, candidate: dict | None, chosen: dict | None = None) -> dict:
    """``config`` with the learning rate and damping of one ``candidate`` (for its method) or of
    every method in ``chosen``."""
    settings = chosen if chosen is not None else {candidate["method"]: candidate}
    lr, options = dict(config["lr"]), {m: dict(o) for m, o in config["options"].items()}
    for method, s in settings.items():
        lr[method] = s["lr"]
        if s["damping"] is not None:
            options.setdefault(method, {})["damping"] = s["damping"]
    return {**config, "lr": lr, "options": options}


def table(result: dict) -> tuple[list[str], list[list[str]]]:
    """The measured success table: solved seeds / seeds (median final validation success) per method."""
    return success_table(result, LABELS)


def plot_curves(result: dict, T: int):
    """Validation success against sequences seen, one panel per task at ``T``, one line per run."""
    return learning_curves(result, T, LABELS)


def plot_summary(result: dict):
    """The final validation success rate of every run, one panel per task, one column
    of points per method and length :math:`T` (open circles: runs that diverged, counted
    as 0), with the chance rate of each length as a grey dash. Each method has as many
    points per length as the grid has seeds, so the figure shows runs, not rates."""
    import matplotlib.pyplot as plt

    from ..plotting import FIGURE_WIDTH

    config = result["config"]
    tasks, lengths, methods = config["tasks"], config["T"], config["methods"]
    fig, axes = plt.subplots(len(tasks), 1, figsize=(FIGURE_WIDTH, 0.4 + 2.5 * len(tasks)), sharex=True,
                             squeeze=False)
    width = 0.8 / len(methods)
    for ax, task in zip(axes[:, 0], tasks):
        for i, T in enumerate(lengths):
            chance = result["baselines"][f"{task} {T}"]
            ax.plot([i - 0.45, i + 0.45], [chance, chance], color="0.5", lw=2, alpha=0.6,
                    label="chance" if i == 0 else None)
            for j, method in enumerate(methods):
                runs = [r for r in result["runs"]
                        if (r["task"], r["T"], r["method"]) == (task, T, method)]
                xpos = i - 0.4 + (j + 0.5) * width
                for k, r in enumerate(runs):
                    ok = not r["diverged"]
                    ax.plot(xpos + 0.03 * (k - 0.5), r["success_rate"] if ok else 0.0, "o",
                            ms=5, color=f"C{j}", mfc=f"C{j}" if ok else "none",
                            label=LABELS.get(method, method) if (i, k) == (0, 0) else None)
        ax.set_xticks(range(len(lengths)), [f"T = {T}" for T in lengths])
        ax.set_xlim(-0.5, len(lengths) - 0.5)
        ax.set_ylim(-0.04, 1.04)
        ax.set_title(task.replace("_", " "), fontsize=9)
        ax.set_ylabel("validation success")
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def steps_ratio(result: dict, method: str = "sgd_clip") -> float:
    """The mean number of training sequences a K-FAC run saw in its budget, divided by that
    of ``method``'s runs (all K-FAC variants, tasks and lengths pooled; runs that diverged,
    which record no count, left out). Every method draws minibatches of the same size, so
    this is also the ratio of the numbers of steps."""
    def mean_seen(names):
        seen = [r["sequences_seen"] for r in result["runs"]
                if r["method"] in names and r["sequences_seen"] is not None]
        return sum(seen) / len(seen)

    kfac = [m for m in result["config"]["methods"] if m.startswith("kfac")]
    return mean_seen(kfac) / mean_seen([method])
