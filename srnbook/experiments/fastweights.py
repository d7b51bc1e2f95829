r"""Ba et al. (2016), section 4.1, reproduced: fast weights, iRNN and LSTM on associative retrieval.

Every cell (model, number :math:`R` of recurrent units) trains one model of
:mod:`srnbook.fastweights` per seed with :func:`srnbook.fastweights.train_retrieval` (Adam,
minibatches of 128, the paper's split sizes of 100 000 / 10 000 / 20 000 sequences of
:data:`~srnbook.fastweights.DEFAULT_PAIRS` key-value pairs) until its CPU budget runs out, and
reports the test error at the best validation error, beside the published Table 1
(:data:`srnbook.fastweights.PAPER_TABLE_1`).

:data:`QUICK`
    :math:`R = 20`, the three models, small splits (4000 / 1000 / 1000), 6000 training
    sequences per run: a few seconds, for tests and notebooks.
:data:`FULL`
    :math:`R \in \{20, 50, 100\}`, the three models, the paper's splits, three seeds,
    120 CPU seconds per run (one thread): 27 runs, 54 CPU minutes (about half an hour of
    wall time with ``--workers 2``). The paper trained for far longer; the budget is stated beside
    every measured number. A CPU budget gives the larger models fewer sequences: compare
    them at equal sequences seen with :func:`plot_learning_curves`.
"""

from __future__ import annotations

import itertools
import sys

import torch

from .._validation import check_choice, check_positive_int
from ..fastweights import MODELS, PAPER_SPLITS, PAPER_TABLE_1, count_parameters, make_retrieval_model
from ..fastweights import retrieval_splits, train_retrieval
from ._runner import check_config, run_jobs

QUICK = {
    "models": list(MODELS),
    "R": [20],
    "seeds": 1,
    "pairs": 4,
    "splits": [4000, 1000, 1000],
    "max_sequences": 6000,
    "budget_seconds": None,
    "batch_size": 128,
    "lr": 1e-3,
    "eval_every": 2000,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 3 runs of 6000 sequences, seconds in total."""

FULL = {
    "models": list(MODELS),
    "R": [20, 50, 100],
    "seeds": 3,
    "pairs": 4,
    "splits": list(PAPER_SPLITS),
    "max_sequences": 100_000_000,
    "budget_seconds": 120.0,
    "batch_size": 128,
    "lr": 1e-3,
    "eval_every": 25_600,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 27 runs of 120 CPU seconds each."""

KEYS = tuple(QUICK)

LABELS = {"fast_weights": "fast weights", "irnn": "iRNN", "lstm": "LSTM", "a-lstm": "A-LSTM"}
"""How the chapter names the models."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Train every (model, R, seed) of ``config`` (keys as in :data:`QUICK`); return a JSON-able dict.

    The dict holds ``config``, ``runs`` (model, R, seed, parameter count and the
    :meth:`~srnbook.fastweights.RetrievalResult.summary`), ``published`` (Table 1),
    ``torch_version`` and ``command``. Times are left out; the budget is in ``config``.
    """
    config = _check_config(config)
    jobs = [(config, model, R, seed)
            for model, R, seed in itertools.product(config["models"], config["R"], range(config["seeds"]))]
    results = run_jobs(_one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: "{} R={} seed={}".format(*job[1:]))
    return {
        "experiment": "fastweights",
        "config": config,
        "runs": results,
        "published": {model: {str(R): error for R, error in row.items()} for model, row in PAPER_TABLE_1.items()},
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def table(result: dict) -> list[list]:
    """Rows (model, R, error, source) of the comparison: Table 1 (published) beside the measured runs.

    Errors are percentages; a measured row gives the median test error at the best validation
    error over the seeds, the smallest and largest in brackets, and the median training
    sequences seen (each median :func:`_median_of_runs`)."""
    rows = []
    for model, row in result["published"].items():
        for R, error in row.items():
            rows.append([LABELS.get(model, model), int(R), f"{error:.2f}",
                         "published (Ba et al. 2016, Table 1, as cited)"])
    for model, R in itertools.product(result["config"]["models"], result["config"]["R"]):
        errors = sorted(100 * r["test_at_best_valid"] for r in _runs(result, model, R))
        seen = _median_of_runs(result, model, R, lambda r: r["sequences_seen"])
        rows.append([LABELS[model], R, f"{_median_of_runs(result, model, R, lambda r: 100 * r['test_at_best_valid']):.2f} "
                     f"({errors[0]:.2f} to {errors[-1]:.2f})",
                     f"measured, {len(errors)} seeds ({seen:,} sequences seen)"])
    return rows


def validation_error_at(result: dict, model: str, R: int, sequences: int) -> float:
    """The median over seeds of the validation error (%) at the last evaluation after at most
    ``sequences`` training sequences: models compared at equal training, not equal CPU time."""
    errors = []
    for r in _runs(result, model, R):
        before = [row for row in r["history"] if row[0] <= sequences]
        if not before:
            raise ValueError(f"sequences: run {model} R={R} seed={r['seed']} has no evaluation at or before "
                             f"{sequences:,} sequences")
        errors.append(100 * before[-1][3])
    errors.sort()
    return errors[(len(errors) - 1) // 2]


def _runs(result: dict, model: str, R: int) -> list[dict]:
    return [r for r in result["runs"] if (r["model"], r["R"]) == (model, R)]


def _median_of_runs(result: dict, model: str, R: int, value):
    """``value(run)`` over the seeds of ``model`` with ``R`` units: the median (the lower
    middle value for an even number of seeds, so that it is one of the runs' values)."""
    values = sorted(value(r) for r in result["runs"] if (r["model"], r["R"]) == (model, R))
    return values[(len(values) - 1) // 2]


def _one_run(config: dict, model_name: str, R: int, seed: int) -> dict:
    splits = retrieval_splits(config["pairs"], tuple(config["splits"]), seed=seed)
    model = make_retrieval_model(model_name, R, seed=seed)
    result = train_retrieval(model, splits, max_sequences=config["max_sequences"], seed=seed,
                             batch_size=config["batch_size"], lr=config["lr"],
                             budget_seconds=config["budget_seconds"], eval_every=config["eval_every"])
    return {"model": model_name, "R": R, "seed": seed, "parameters": count_parameters(model), **result.summary()}


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("models", "R", "splits"))
    for model in config["models"]:
        check_choice(model, "config['models']", tuple(MODELS))
    for R in config["R"]:
        check_positive_int(R, "config['R']")
    check_positive_int(config["seeds"], "config['seeds']")
    if len(config["splits"]) != 3:
        raise ValueError(f"config['splits'] must be three sizes (train, valid, test), got {config['splits']!r}")
    return config


def plot_summary(result: dict, chance: float = 90.0, digits_alone: float | None = None):
    """Test error (%) by model and number :math:`R` of recurrent units: the median of the measured
    seeds of ``result`` as bars, each seed as a circle, the published Table 1 of Ba et al. (2016)
    as black markers.

    Dotted line: the chance level; dashed line (if given): the error of guessing from the
    digits alone. Returns the figure (closed, so that a notebook shows it once)."""
    import matplotlib.pyplot as plt

    models, Rs = result["config"]["models"], result["config"]["R"]
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        xs = [k + (i - (len(models) - 1) / 2) * width for k in range(len(Rs))]
        measured = [_median_of_runs(result, model, R, lambda r: 100 * r["test_at_best_valid"])
                    for R in Rs]
        ax.bar(xs, measured, width, color=f"C{i}", alpha=0.75, label=f"{LABELS[model]} (measured, median)")
        for x, R in zip(xs, Rs):
            seeds = [100 * r["test_at_best_valid"] for r in _runs(result, model, R)]
            ax.plot([x] * len(seeds), seeds, "o", ms=3, mfc="white", mec=f"C{i}", mew=1,
                    label="one seed" if (i, R) == (0, Rs[0]) else None)
        published = result["published"].get(model, {})
        ax.plot(xs, [published.get(str(R), float("nan")) for R in Rs], "k_", ms=14, mew=2,
                label="published (Ba et al. 2016, Table 1)" if i == 0 else None)
    ax.axhline(chance, ls=":", color="0.35", lw=1)
    if digits_alone is not None:
        ax.axhline(digits_alone, ls="--", color="0.35", lw=1)
    ax.set(xticks=range(len(Rs)), xticklabels=[f"$R = {R}$" for R in Rs],
           ylabel="test error (%)", ylim=(0, 100))
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_learning_curves(result: dict, chance: float = 90.0, digits_alone: float | None = None):
    """Validation error (%) against training sequences seen, one panel per :math:`R` (stacked), one
    colour per model, with the chance level (dotted) and the digits-alone error (dashed)."""
    import matplotlib.pyplot as plt

    Rs, models = result["config"]["R"], result["config"]["models"]
    # one panel per row (shared axes), 5.6 in wide: readable on a phone
    fig, axes = plt.subplots(len(Rs), 1, figsize=(5.6, 2.3 * len(Rs)), sharex=True, sharey=True,
                             squeeze=False)
    for ax, R in zip(axes[:, 0], Rs):
        for i, name in enumerate(models):
            for run in [r for r in result["runs"] if (r["model"], r["R"]) == (name, R)]:
                seen, valid = zip(*[(row[0], 100 * row[3]) for row in run["history"]])
                ax.plot(seen, valid, ".-", color=f"C{i}", lw=1.2, ms=3,
                        label=LABELS[name] if run["seed"] == 0 else None)
        ax.axhline(chance, ls=":", color="0.35", lw=1)
        if digits_alone is not None:
            ax.axhline(digits_alone, ls="--", color="0.35", lw=1)
        ax.set(xscale="log", ylim=(-3, 100), ylabel="validation error (%)", title=f"$R = {R}$")
    axes[-1, 0].set_xlabel("training sequences seen")
    axes[0, 0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def runs_table(result: dict) -> list[list]:
    """One row per stored run: model, R, seed, parameters, sequences seen, best validation
    error (%), test error there (%), diverged."""
    return [[LABELS[r["model"]], r["R"], r["seed"], f"{r['parameters']:,}",
             f"{r['sequences_seen']:,}", f"{100 * r['best_valid_error']:.2f}",
             f"{100 * r['test_at_best_valid']:.2f}", "yes" if r["diverged"] else "no"]
            for r in result["runs"]]
