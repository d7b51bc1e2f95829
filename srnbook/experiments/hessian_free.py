r"""Hessian-free optimization against SGD and Adam on the pathological problems, at equal CPU budgets.

The setting follows the HF code released with Martens & Sutskever (2011) (Sutskever's
"release A", read through the code search): 100 tanh units, their sparse initialization
(``init="martens_sutskever"`` of :func:`srnbook.training.make_model`), structural damping
:math:`\mu = 0.03` and initial damping :math:`\lambda_0 = 0.01` (their
``init_damping = array([1, .03]) * num_outputs * 0.01`` gives 0.01 for the real-valued problems and
0.04 for temporal order; the Levenberg-Marquardt rule moves :math:`\lambda` by a factor 3/2 per step), squared loss for the real-valued problems and
cross-entropy for temporal order. What is *not* theirs, because of the CPU budget: the gradient
minibatch is 1000 sequences (theirs: 10 batches of 1000), the curvature minibatch 100 (theirs:
1000), CG stops by Martens' rule or at 250 iterations (their demo runs exactly 300), and every run
stops after ``budget_seconds`` of CPU on one thread (theirs ran for up to 50 000 HF iterations).
SGD (with gradient clipping at 1, the robust form of :mod:`srnbook.training`) and Adam see
minibatches of 32 sequences and get the same CPU budget.

:data:`QUICK`
    The adding problem at :math:`T = 10`, 8 units, one seed, a few hundred sequences: seconds.
:data:`FULL`
    Adding, multiplication and temporal order at :math:`T \in \{50, 100\}`, HF, SGD and Adam,
    2 seeds, 100 CPU seconds per run: 36 runs, 60 CPU minutes (about half an hour with
    ``--workers 2``).
"""

from __future__ import annotations

from ._grid import learning_curves, run_grid, success_table

QUICK = {
    "tasks": ["adding"],
    "T": [10],
    "methods": ["hf", "sgd_clip", "adam"],
    "init": "martens_sutskever",
    "seeds": 1,
    "d": 8,
    "activation": "tanh",
    "batch_size": {"hf": 128, "sgd_clip": 32, "adam": 32},
    "lr": {},
    "options": {"hf": {"damping": 0.01, "structural_damping": 0.03, "curvature_size": 32, "cg_max_iters": 20}},
    "max_sequences": 512,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 128,
    "eval_size": 128,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 3 runs, seconds."""

FULL = {
    "tasks": ["adding", "multiplication", "temporal_order"],
    "T": [50, 100],
    "methods": ["hf", "sgd_clip", "adam"],
    "init": "martens_sutskever",
    "seeds": 2,
    "d": 100,
    "activation": "tanh",
    "batch_size": {"hf": 1000, "sgd_clip": 32, "adam": 32},
    "lr": {},
    "options": {"hf": {"damping": 0.01, "structural_damping": 0.03, "curvature_size": 100, "cg_max_iters": 250}},
    "max_sequences": 100_000_000,
    "budget_seconds": 100.0,
    "target": 0.99,
    "eval_every": 4000,
    "eval_size": 1000,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 36 runs of 100 CPU seconds (one thread) each."""

KEYS = tuple(QUICK)

PUBLISHED = [
    {"task": "adding, multiplication, temporal order", "T": 100, "method": "HF",
     "result": "solved: \"I found that a batch_size of 300 can solve the T=100 versions\"",
     "source": "comment in the HF code released with Martens & Sutskever (2011), opt/d/seq/pathological.py "
               "(Sutskever's release A, repository barapa/HF-RNN); the paper's own figure was not read"},
    {"task": "xor", "T": 100, "method": "HF",
     "result": "\"It can still be solve[d] with HF at T=100, but success is very rare\"",
     "source": "the same file"},
]
"""Published statements about HF on these problems, quoted with their sources."""

LABELS = {"hf": "HF", "sgd_clip": "SGD (clipped)", "adam": "Adam"}
"""How the chapter names the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run the grid of ``config`` (keys as in :data:`QUICK`); see :func:`._grid.run_grid`."""
    return run_grid("hessian_free", config, PUBLISHED, argv, workers)


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

    config = result["config"]
    tasks, methods = config["tasks"], config["methods"]
    fig, axes = plt.subplots(1, len(config["T"]), figsize=(4.0 * len(config["T"]), 3.0),
                             sharey=True, squeeze=False)
    width = 0.8 / len(methods)
    for ax, T in zip(axes[0], config["T"]):
        for i, task in enumerate(tasks):
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
    axes[0][0].set_ylabel("final validation success rate")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig
