r"""K-FAC with its three temporal models against Adam and SGD, at equal CPU budgets.

Two problems: the adding problem, and :func:`srnbook.tasks.parity`, the MLRegTest language
``04.04.Zp.2.1.0`` (an even number of :math:`c`; Franchi et al. 2024 train on it), at
:math:`T \in \{20, 50\}`. The network is that of :mod:`srnbook.experiments.hessian_free` (100 tanh units, the
initialization of Martens & Sutskever's released code); every method sees minibatches of 32
sequences and runs with its default learning rate (:data:`srnbook.training.DEFAULT_LR`:
K-FAC 0.1 with damping :math:`10^{-2}` and factor decay 0.95, Adam 0.01, clipped SGD 0.1): the
rates are not tuned per method. K-FAC uses the likelihood of the last output only
(``outputs="last"``).

:data:`QUICK`
    Parity at :math:`T = 10`, 8 units, the five methods, one seed, 512 sequences: seconds.
:data:`FULL`
    Adding and parity at :math:`T \in \{20, 50\}`, five methods, 2 seeds, 30 CPU seconds per run:
    40 runs, 20 CPU minutes.
"""

from __future__ import annotations

from ._grid import learning_curves, run_grid, success_table

METHODS = ["kfac_independent", "kfac_option1", "kfac_option2", "adam", "sgd_clip"]

QUICK = {
    "tasks": ["parity"],
    "T": [10],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 1,
    "d": 8,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {},
    "max_sequences": 512,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 256,
    "eval_size": 256,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 5 runs, seconds."""

FULL = {
    "tasks": ["adding", "parity"],
    "T": [20, 50],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 2,
    "d": 100,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {},
    "max_sequences": 100_000_000,
    "budget_seconds": 30.0,
    "target": 0.99,
    "eval_every": 4096,
    "eval_size": 1000,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 40 runs of 30 CPU seconds (one thread) each."""

KEYS = tuple(QUICK)

PUBLISHED: list[dict] = []
"""No published success rates of K-FAC on these problems were found: Martens, Ba & Johnson (2018)
evaluate it on other RNN training tasks, whose numbers are not compared with this grid."""

LABELS = {"kfac_independent": "K-FAC (independent)", "kfac_option1": "K-FAC (Option 1)",
          "kfac_option2": "K-FAC (Option 2)", "adam": "Adam", "sgd_clip": "SGD (clipped)"}
"""How the chapter names the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run the grid of ``config`` (keys as in :data:`QUICK`); see :func:`._grid.run_grid`."""
    return run_grid("kfac", config, PUBLISHED, argv, workers)


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

    config = result["config"]
    tasks, lengths, methods = config["tasks"], config["T"], config["methods"]
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.1), sharey=True,
                             squeeze=False)
    width = 0.8 / len(methods)
    for ax, task in zip(axes[0], tasks):
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
    axes[0][0].set_ylabel("final validation success rate")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
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
