r"""Hessian-free optimization against SGD and Adam on the pathological problems, at equal CPU budgets.

The setting follows the HF code released with Martens & Sutskever (2011) (Sutskever's "release
A", repository barapa/HF-RNN, read through the code search): 100 tanh units (``opt/r/demo.py``),
their sparse initialization (``init="martens_sutskever"`` of :func:`srnbook.training.make_model`:
``initialize_self(num_in=15, scale=1/15**0.5)`` then ``W_vh *= 0.25``), initial damping
``init_damping = array([1, .03]) * num_outputs * 0.01`` (:math:`\lambda_0 = 0.01` for the real-valued
problems; structural damping :math:`\mu = 0.03`; for temporal order 0.04 here, 0.01 per output,
where their data class sets ``num_outputs = 8`` for its 4 outputs and so starts at 0.08), the Levenberg-Marquardt
factors 2/3 and 3/2 and Martens' CG stopping rule (``opt/hf.py``), squared loss for the real-valued
problems and cross-entropy for temporal order (``opt/d/seq/pathological.py``). Like the released
code, HF makes its decisions after CG (backtracking, :math:`\rho`, line search) on sequences other
than the curvature minibatch: here a held-out *check* minibatch of 300 (``check_size``; theirs:
separate batches of 1000). What is *not* theirs, because of the CPU budget: the gradient
minibatch is 1000 sequences (theirs: 10 batches of 1000, ``num_train_batches = 10``), the
curvature minibatch 100 (theirs: one batch of 1000), CG stops by Martens' rule or at 250 iterations
(their demo asks for 300: ``max_cg_iter = 300``), there is no L2 decay (theirs: 2e-5), and every run
stops after ``budget_seconds`` of CPU on one thread (theirs: up to ``maxnum_iter = 5e4`` HF
iterations). SGD (clipped at 1, :mod:`srnbook.training`'s defaults: lr 0.1) and Adam (lr 0.01) see
minibatches of 32 sequences and get the same CPU budget. The task lengths are fixed at :math:`T`
(the released code draws :math:`T` to :math:`1.1\,T`).

:data:`QUICK`
    The adding problem at :math:`T = 10`, 8 units, one seed, a few hundred sequences: seconds.
:data:`FULL`
    Adding, multiplication and temporal order at :math:`T \in \{50, 100\}` (multiplication at
    :math:`T = 50` left out, ``skip``, to fit the time), HF, SGD and Adam, 3 seeds, 180 CPU seconds
    per run (45 runs, at most 135 CPU minutes), plus the four traces of :data:`TRACE`.

``config["long"]``: one cell of the grid run again with a longer CPU budget, every seed (in
:data:`FULL`: HF on temporal order at :math:`T = 100`, 480 CPU seconds), stored as ``long_runs``.

``config["trace"]`` (:data:`TRACE`): HF on temporal order at :math:`T = 100`, seed 0, for a fixed
number of iterations, once with the check minibatch and once without it (every decision on the
gradient minibatch, as this module did before issue 22), recording every iteration: the
experiment behind the chapter's answer to why HF's loss on fresh data climbed.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..optim.hessian_free import HessianFree, Minibatch
from ..tasks import TOLERANCE, success_rate
from ..training import _draw, loss_function, make_model
from ._grid import KEYS as GRID_KEYS
from ._grid import _one_run, check_grid_config, learning_curves, run_grid, success_table
from ._runner import run_jobs

GAUSSIAN_99 = 2.5758293035489
"""The 99.5% quantile of the standard normal: 99% of Gaussian errors lie within this many
standard deviations."""

HF_OPTIONS = {"damping": {"adding": 0.01, "multiplication": 0.01, "temporal_order": 0.04},
              "structural_damping": 0.03, "curvature_size": 100, "check_size": 300, "cg_max_iters": 250}
"""HF's options in :data:`FULL`: ``damping`` per task (:math:`0.01 \times` outputs)."""

TRACE = {"task": "temporal_order", "T": 100, "seed": 0, "iterations": 20, "batch_size": 1300,
         "variants": {"check": {**HF_OPTIONS, "damping": 0.04},
                      "no_check": {**HF_OPTIONS, "damping": 0.04, "check_size": None},
                      "small": {**HF_OPTIONS, "damping": 0.04, "check_size": None, "batch_size": 300},
                      "small_check": {**HF_OPTIONS, "damping": 0.04, "batch_size": 600}}}
"""The traces of :data:`FULL`: fresh sequences each iteration, 1300 (``batch_size``) split 1000 + 300
(gradient, check: the setting of the grid) or all 1300 for the gradient; 300, all for the gradient
(the issue's reading of the released code's ``batch_size = 300``, which is in fact the size of
each of its 10 gradient batches); 600 split 300 + 300. A variant's own ``batch_size`` replaces
the trace's."""

QUICK = {
    "tasks": ["adding"],
    "T": [10],
    "methods": ["hf", "sgd_clip", "adam"],
    "init": "martens_sutskever",
    "seeds": 1,
    "d": 8,
    "activation": "tanh",
    "batch_size": {"hf": 160, "sgd_clip": 32, "adam": 32},
    "lr": {},
    "options": {"hf": {"damping": 0.01, "structural_damping": 0.03, "curvature_size": 32, "check_size": 32,
                       "cg_max_iters": 20}},
    "max_sequences": 640,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 128,
    "eval_size": 128,
    "threads": 1,
    "progress": False,
    "skip": [],
    "long": {"task": "adding", "T": 10, "method": "hf", "budget_seconds": None},
    "trace": {"task": "adding", "T": 10, "seed": 0, "iterations": 2, "batch_size": 64,
              "variants": {"check": {"damping": 0.01, "curvature_size": 16, "check_size": 16, "cg_max_iters": 10},
                           "no_check": {"damping": 0.01, "curvature_size": 16, "cg_max_iters": 10}}},
}
"""The quick configuration: 3 runs and 2 short traces, seconds."""

FULL = {
    "tasks": ["adding", "multiplication", "temporal_order"],
    "T": [50, 100],
    "methods": ["hf", "sgd_clip", "adam"],
    "init": "martens_sutskever",
    "seeds": 3,
    "d": 100,
    "activation": "tanh",
    "batch_size": {"hf": 1300, "sgd_clip": 32, "adam": 32},
    "lr": {},
    "options": {"hf": HF_OPTIONS},
    "max_sequences": 100_000_000,
    "budget_seconds": 180.0,
    "target": 0.99,
    "eval_every": 4000,
    "eval_size": 1000,
    "threads": 1,
    "progress": True,
    "skip": [["multiplication", 50]],
    "trace": TRACE,
    "long": {"task": "temporal_order", "T": 100, "method": "hf", "budget_seconds": 480.0},
}
"""The full configuration: 45 runs of at most 180 CPU seconds (one thread) each, and 4 traces."""

KEYS = tuple(GRID_KEYS) + ("skip", "trace", "long")

PUBLISHED = [
    {"task": "adding, multiplication, temporal order", "T": 100, "method": "HF",
     "result": "solved: \"I found that a batch_size of 300 can solve the T=100 versions\" (batch_size "
               "is the size of each of the 10 gradient batches: 3000 sequences per gradient)",
     "source": "comment in opt/d/seq/pathological.py of the HF code released with Martens & Sutskever "
               "(2011) (Sutskever's release A, repository barapa/HF-RNN)"},
    {"task": "xor", "T": 100, "method": "HF",
     "result": "\"It can still be solve[d] with HF at T=100, but success is very rare\"",
     "source": "the same file"},
    {"task": "the pathological problems", "T": 200, "method": "HF",
     "result": "HF predicts the mean of the labels for \"10-20, even 30 HF steps\" or longer, \"can "
               "sometimes take 10,000 CG steps\" to notice a long-range dependency, \"several hours\" "
               "on the author's GPU setup",
     "source": "opt/r/demo.py of the same release (its problems are set to T = 200)"},
]
"""Published statements about HF on these problems, quoted with their sources."""

LABELS = {"hf": "HF", "sgd_clip": "SGD (clipped)", "adam": "Adam"}
"""How the chapter names the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run the traces and the grid of ``config`` (keys as in :data:`QUICK`); see
    :func:`._grid.run_grid`. The result has the grid's keys and ``traces``: per variant, the rows
    of :func:`trace_run`."""
    if not isinstance(config, dict) or any(k not in config for k in ("trace", "skip", "long")):
        raise ValueError(f"config must be a dict with the keys of QUICK {list(KEYS)}, got {config!r:.200}")
    trace = _check_trace(config["trace"])
    names = list(trace["variants"])
    jobs = []
    for name in names:
        options = dict(trace["variants"][name])
        size = options.pop("batch_size", trace["batch_size"])
        jobs.append((trace["task"], trace["T"], config["d"], config["init"], trace["seed"], trace["iterations"],
                     size, options, config["eval_size"]))
    rows = run_jobs(trace_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                    describe=lambda job: f"trace {job[0]} T={job[1]}")
    grid = {k: v for k, v in config.items() if k not in ("trace", "skip", "long")}
    long = config["long"]
    long_config = check_grid_config({**grid, "budget_seconds": long["budget_seconds"]})
    long_runs = run_jobs(_one_run, [(long_config, long["task"], long["T"], long["method"], seed)
                                    for seed in range(grid["seeds"])],
                         workers=workers, threads=grid["threads"], progress=grid["progress"],
                         describe=lambda job: f"long {job[1]} T={job[2]} {job[3]} seed={job[4]}")
    result = run_grid("hessian_free", grid, PUBLISHED, argv, workers, skip=[tuple(p) for p in config["skip"]])
    result["config"]["skip"] = config["skip"]
    result["config"]["trace"] = trace
    result["config"]["long"] = long
    result["long_runs"] = [{"task": long["task"], "T": long["T"], "method": long["method"], "seed": seed, **r}
                           for seed, r in enumerate(long_runs)]
    result["traces"] = dict(zip(names, rows))
    return result


def _check_trace(trace) -> dict:
    keys = ("task", "T", "seed", "iterations", "batch_size", "variants")
    if not isinstance(trace, dict) or sorted(trace) != sorted(keys):
        raise ValueError(f"config['trace'] must be a dict with the keys {list(keys)}, got {trace!r:.200}")
    if not isinstance(trace["variants"], dict) or not trace["variants"]:
        raise ValueError(f"config['trace']['variants'] must map names to HF options, got {trace['variants']!r}")
    return trace


def trace_run(task: str, T: int, d: int, init: str, seed: int, iterations: int, batch_size: int,
              options: dict, eval_size: int) -> list[dict]:
    """``iterations`` HF iterations on fresh minibatches of ``batch_size`` sequences, one row per
    iteration: ``loss_before`` (the gradient minibatch's loss), ``check_before``/``check_after``
    (the loss HF's decisions saw, before and after the step), ``validation_loss`` and
    ``validation_success`` (``eval_size`` held-out sequences, after the step), ``damping`` (for
    the next iteration), ``rho`` (None when not finite: a failed step), ``alpha``, ``cg_iterations``
    and ``cpu_seconds`` (cumulative)."""
    model = make_model(task, d, "tanh", init, seed)
    validation = _draw(task, eval_size, T, np.random.default_rng([seed, 1]))
    kind = "squared" if validation.kind == "regression" else "cross_entropy"
    hf = HessianFree(model, loss=kind, **{k: v for k, v in options.items() if v is not None})
    rows, start = [], time.process_time()
    for k in range(iterations):
        batch = _draw(task, batch_size, T, np.random.default_rng([seed, 0, k * batch_size]))
        f0 = float(hf.step(lambda: Minibatch(batch.x, batch.y)))
        st = hf.state["hf"]
        with torch.no_grad():
            out = model(validation.x).y
        rows.append({"iteration": k + 1, "loss_before": round(f0, 5),
                     "check_before": round(st["loss_before"], 5), "check_after": round(st["loss_after"], 5),
                     "validation_loss": round(float(loss_function(validation)(out[:, -1])), 5),
                     "validation_success": round(success_rate(validation, out), 4),
                     "damping": float(f"{st['damping']:.4g}"),
                     "rho": round(st["rho"], 4) if np.isfinite(st["rho"]) else None,
                     "alpha": round(st["alpha"], 4), "cg_iterations": st["cg_iterations"],
                     "cpu_seconds": round(time.process_time() - start, 1)})
    return rows


def table(result: dict) -> tuple[list[str], list[list[str]]]:
    """The measured success table: solved seeds / seeds (median final validation success) per method."""
    return success_table(result, LABELS)


def plot_curves(result: dict, T: int):
    """Validation success against sequences seen, one panel per task at ``T``, one line per run."""
    return learning_curves(result, T, LABELS)


def plot_summary(result: dict):
    """The experiment at a glance: the final validation success rate of every run (one dot per
    seed, coloured by method) for each task, one panel per :math:`T`, with the chance rate as a
    grey bar and the 99% success threshold dotted."""
    import matplotlib.pyplot as plt

    from ..plotting import FIGURE_WIDTH

    config = result["config"]
    tasks, methods = config["tasks"], config["methods"]
    fig, axes = plt.subplots(len(config["T"]), 1, figsize=(FIGURE_WIDTH, 0.4 + 2.4 * len(config["T"])),
                             sharex=True, squeeze=False)
    width = 0.8 / len(methods)
    for ax, T in zip(axes[:, 0], config["T"]):
        for i, task in enumerate(tasks):
            if f"{task} {T}" not in result["baselines"]:  # left out of the grid
                ax.text(i, 0.5, "not run", ha="center", va="center", fontsize=8, color="0.5")
                continue
            ax.bar(i, result["baselines"][f"{task} {T}"], width=0.9, color="0.9",
                   label="chance" if i == 0 else None)
            for j, method in enumerate(methods):
                rates = [r["success_rate"] for r in result["runs"]
                         if (r["task"], r["T"], r["method"]) == (task, T, method)]
                xs = [i - 0.4 + width * (j + 0.5)] * len(rates)
                ax.plot(xs, rates, "o", ms=5, color=f"C{j}", alpha=0.85,
                        label=LABELS.get(method, method) if i == 0 else None)
        ax.axhline(config["target"], color="0.4", ls=":", lw=1)
        ax.set_xticks(range(len(tasks)), [t.replace("_", "\n") for t in tasks], fontsize=8)
        ax.set_ylim(-0.02, 1.05)
        ax.set_title(f"T = {T}", fontsize=10)
        ax.set_ylabel("validation success")
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def trace_label(result: dict, name: str) -> str:
    """How the chapter names a trace variant: its gradient minibatch and where HF decides."""
    trace = result["config"]["trace"]
    options = trace["variants"][name]
    size = options.get("batch_size", trace["batch_size"])
    check = options.get("check_size") or 0
    where = f"a check minibatch of {check}" if check else "the gradient minibatch"
    return f"gradient {size - check}, decisions on {where}"


def plot_traces(result: dict):
    """The traces of :data:`TRACE`, one panel per variant: per iteration, the loss of the minibatch
    HF's decisions saw, before and after its step (a grey segment), and the loss on held-out
    validation sequences after the step (a line), with the chance level (the loss of the best
    constant prediction) dotted."""
    import matplotlib.pyplot as plt

    from ..plotting import FIGURE_WIDTH

    traces = result["traces"]
    names = list(traces)
    fig, axes = plt.subplots(len(names), 1, figsize=(FIGURE_WIDTH, 0.6 + 2.1 * len(names)), sharex=True,
                             sharey=True, squeeze=False)
    top = max(max(r["validation_loss"], r["check_before"]) for rows in traces.values() for r in rows)
    chance = float(np.log(4)) if result["config"]["trace"]["task"] == "temporal_order" else None
    for ax, name in zip(axes.flat, names):
        rows = traces[name]
        for r in rows:
            ax.plot([r["iteration"] - 0.35, r["iteration"] + 0.35], [r["check_before"], r["check_after"]],
                    color="0.55", lw=1.6, label="decisions' minibatch, before and after the step"
                    if r["iteration"] == 1 else None)
        ax.plot([r["iteration"] for r in rows], [r["validation_loss"] for r in rows], "o-", ms=3,
                color="C0", label="validation sequences")
        if chance is not None:
            ax.axhline(chance, color="0.4", ls=":", lw=1, label="chance")
        ax.set_title(trace_label(result, name), fontsize=8.5)
        ax.set_ylim(0, 1.05 * top)
        ax.set_ylabel("cross-entropy loss")
    axes[-1, 0].set_xlabel("HF iteration")
    axes[0, 0].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _losses(run: dict) -> list[float]:
    """The training losses of ``run``'s history on one scale for every method: HF records its own
    objective, half the squared error for the real-valued problems (one output), which is
    doubled here into the mean squared error that SGD and Adam record."""
    scale = 2.0 if run["method"] == "hf" and run["task"] != "temporal_order" else 1.0
    return [None if h[1] is None else scale * h[1] for h in run["history"]]


def outlook(result: dict, T: int) -> list[dict]:
    """Whether each method was still improving at ``T``, and what a solution would cost.

    Per task and method (medians over seeds): ``success`` (final validation success), ``solved``
    seeds, ``decay`` (the slope of :math:`-\\ln` loss against training sequences over the second
    half of each run's history, per :math:`10^5` sequences: positive while the loss still falls),
    ``improving`` (seeds with a positive decay), and ``estimate_cpu_minutes``: for each
    unsolved, improving seed, its CPU time so far plus the CPU time to bring its loss down, at
    that decay, to ``target_loss``: the median training loss at which runs of the same task, any
    :math:`T` and method, were solved, or, for a regression task no run solved, the mean squared
    error :math:`(0.04 / 2.576)^2` of Gaussian errors of which 99% lie within the tolerance
    0.04; ``None`` where no seed improves. The estimate extrapolates a straight line in :math:`\\ln` loss: a run on a
    plateau may speed up (the released code's notes say HF's runs wait on a plateau for
    10-30 iterations, sometimes far longer) or stall."""
    out = []
    for task in result["config"]["tasks"]:
        solved_losses = [_losses(r)[-1] for r in result["runs"] if r["task"] == task and r["solved"]]
        if solved_losses:
            target = float(np.median(solved_losses))
        elif _draw(task, 1, result["config"]["T"][0], np.random.default_rng(0)).kind == "regression":
            target = (TOLERANCE / GAUSSIAN_99) ** 2  # mean squared error of Gaussian errors, 99% within tol
        else:
            target = None
        for method in result["config"]["methods"]:
            runs = [r for r in result["runs"] if (r["task"], r["T"], r["method"]) == (task, T, method)]
            if not runs:  # a pair left out of the grid
                continue
            decays, estimates = [], []
            for r in runs:
                hist = [(h[0], loss) for h, loss in zip(r["history"], _losses(r))
                        if loss is not None and loss > 0 and np.isfinite(loss)]
                if len(hist) < 4:
                    continue
                half = hist[len(hist) // 2:]
                seen = np.array([h[0] for h in half], dtype=float)
                logs = np.log([h[1] for h in half])
                slope = float(np.polyfit(seen, logs, 1)[0])
                decays.append(-slope * 1e5)
                if not r["solved"] and slope < 0 and target is not None and r.get("cpu_seconds"):
                    fit_now = float(np.polyval(np.polyfit(seen, logs, 1), seen[-1]))
                    more = max(0.0, (np.log(target) - fit_now) / slope)
                    estimates.append((r["cpu_seconds"] + more * r["cpu_seconds"] / r["sequences_seen"]) / 60)
            out.append({"task": task, "method": method, "solved": sum(r["solved"] for r in runs), "seeds": len(runs),
                        "success": float(np.median([r["success_rate"] for r in runs])) if runs else None,
                        "decay": float(np.median(decays)) if decays else None,
                        "improving": sum(d > 0 for d in decays), "target_loss": target,
                        "estimate_cpu_minutes": float(np.median(estimates)) if estimates else None})
    return out


def _plot_loss(ax, run: dict, style: str, color: str, label: str | None) -> None:
    """One run's training losses against CPU minutes (its CPU seconds spread evenly over its
    sequences); nothing for a run without history or CPU time."""
    if not run["history"] or not run.get("cpu_seconds"):
        return
    per = run["cpu_seconds"] / run["sequences_seen"] / 60
    ax.semilogy([h[0] * per for h in run["history"]], _losses(run), style, lw=1.2, color=color, alpha=0.8,
                label=label)


def plot_losses(result: dict, T: int):
    """The training loss (the minibatch's, at each validation point; the mean squared error or the
    cross-entropy for every method) against CPU time at ``T``, one panel per task (stacked), one line per
    run, coloured by method (log scale), and the ``long_runs`` of that length dashed. CPU time is
    spread evenly over the sequences of each run (its total CPU seconds times the share seen so
    far)."""
    import matplotlib.pyplot as plt

    tasks = result["config"]["tasks"]
    # one panel per row, 5.6 in wide: on a phone the figure shrinks by a third, not by two
    # thirds, and its labels stay readable
    fig, axes = plt.subplots(len(tasks), 1, figsize=(5.6, 2.5 * len(tasks)), squeeze=False)
    for ax, task in zip(axes[:, 0], tasks):
        for j, method in enumerate(result["config"]["methods"]):
            runs = [r for r in result["runs"] if (r["task"], r["T"], r["method"]) == (task, T, method)]
            for k, r in enumerate(runs):
                _plot_loss(ax, r, "-", f"C{j}", LABELS.get(method, method) if k == 0 else None)
        longer = [r for r in result.get("long_runs", []) if (r["task"], r["T"]) == (task, T)]
        for k, r in enumerate(longer):
            label = f"{LABELS.get(r['method'], r['method'])}, longer budget" if k == 0 else None
            _plot_loss(ax, r, "--", "C0", label)
        ax.set_ylabel("training loss")
        ax.set_title(f"{task.replace('_', ' ')}, T = {T}", fontsize=9)
    axes[-1][0].set_xlabel("CPU minutes")
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    plt.close(fig)
    return fig
