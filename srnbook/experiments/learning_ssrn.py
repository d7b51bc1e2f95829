r"""Learning saturated SRNs (report, sections 7.3 and 9): Tomita and MLRegTest, plain and constrained.

For every language, activation and seed, :func:`srnbook.learning.train_pair` trains the
constrained SRN of section 7.3 and an unconstrained SRN from the same initialization on
the same minibatches (Adam, each loss of section 9), with :math:`d = |Q||\Sigma|` hidden units.
Training words have Poisson(``lam_train``) lengths; the test words are longer than every
training word (Poisson(``lam_test``) lengths, the shorter ones dropped), both balanced
(:func:`srnbook.balanced_dataset`). After training, the automaton of each network is
extracted (:func:`srnbook.extraction.extract_dfa`: exactly if its hidden vectors are
finitely many, else on the grid of ``levels`` intervals per unit whose automaton answers like the
network on the most training words) and compared with the target
by :meth:`srnbook.DFA.equivalent`.

``curves`` re-runs the three settings of the report's figures 4-6 (tanh; their language,
optimizer, learning rate, batch size, loss and 150 epochs) and keeps every epoch's metrics.

:data:`QUICK`
    Two languages, one seed, a few epochs: seconds, for tests and the chapter's live run.
:data:`FULL`
    The seven Tomita grammars and nine MLRegTest languages (one per class), sigmoid and
    tanh, the three losses of section 9, three seeds, 100 epochs of 1000 words (Adam, learning
    rate 0.01, minibatches of 100): 288 runs, plus the three curves.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import torch

from .._validation import check_positive_float, check_positive_int
from ..dfa import DFA, mlregtest, mlregtest_names, tomita
from ..extraction import equivalent_on_nonempty, extract_dfa, network_answers
from ..learning import ACTIVATIONS, LOSSES, OPTIMIZERS, train_pair
from ..sampling import balanced_dataset
from ..ssrn import ExtractionError
from ._runner import check_config, run_jobs

TOMITA = [f"tomita{n}" for n in range(1, 8)]
MLREGTEST = ["04.04.SL.2.1.0", "04.04.SP.2.1.0", "04.04.LT.2.1.0", "04.04.PT.2.1.0", "04.04.PLT.2.2.0",
             "04.03.TLTT.4.2.3", "04.04.SF.0.0.0", "04.04.Zp.2.1.0", "04.04.Reg.0.0.0"]
"""Nine MLRegTest languages, one per class (the report names 16.16.SP.2.1.0, 04.03.TLTT.4.2.3 and
04.04.Zp.2.1.0; only the 4-letter automata ship with srnbook, so SP is 04.04.SP.2.1.0)."""

REPORT_FIGURES = [
    {"figure": 4, "language": "04.04.SP.2.1.0", "optimizer": "adam", "lr": 0.01, "batch_size": 200, "loss": "bce",
     "lam": 1.0, "n": 2.0},
    {"figure": 5, "language": "04.03.TLTT.4.2.3", "optimizer": "adam", "lr": 0.001, "batch_size": 100,
     "loss": "bce_inverse_norm", "lam": 1.0, "n": 2.0},
    {"figure": 6, "language": "04.04.Zp.2.1.0", "optimizer": "sgd", "lr": 0.005, "batch_size": 200,
     "loss": "nth_root", "lam": 1.0, "n": 2.0},
]
"""The settings of the report's figures 4-6 (150 epochs, tanh). Figure 4 used 16.16.SP.2.1.0."""

QUICK = {
    "languages": ["tomita1", "04.04.Zp.2.1.0"],
    "activations": ["tanh"],
    "losses": ["bce"],
    "seeds": 1,
    "n_train": 200,
    "lam_train": 6.0,
    "n_test": 100,
    "lam_test": 20.0,
    "epochs": 5,
    "batch_size": 50,
    "lr": 0.01,
    "lam": 1.0,
    "n": 2.0,
    "eval_every": 5,
    "levels": [2],
    "curves": REPORT_FIGURES[2:],
    "curve_epochs": 5,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 2 runs of 5 epochs on 200 words and one curve; seconds."""

FULL = {
    "languages": TOMITA + MLREGTEST,
    "activations": list(ACTIVATIONS),
    "losses": list(LOSSES),
    "seeds": 3,
    "n_train": 1000,
    "lam_train": 10.0,
    "n_test": 1000,
    "lam_test": 40.0,
    "epochs": 100,
    "batch_size": 100,
    "lr": 0.01,
    "lam": 1.0,
    "n": 2.0,
    "eval_every": 10,
    "levels": [2, 3, 4],
    "curves": REPORT_FIGURES,
    "curve_epochs": 150,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 16 languages x 2 activations x 3 losses x 3 seeds, and the report's three curves."""

KEYS = tuple(QUICK)


def language(name: str) -> DFA:
    """The minimal DFA of ``name``: ``"tomita1"`` to ``"tomita7"`` or an MLRegTest name."""
    if name in TOMITA:
        return tomita(int(name[6:])).minimize()
    if name in mlregtest_names():
        return mlregtest(name).minimize()
    raise ValueError(f"language must be 'tomita1' to 'tomita7' or one of srnbook.dfa.mlregtest_names(), got {name!r}")


def datasets(dfa: DFA, config: dict, seed: int):
    """Balanced training words (no empty word) and balanced test words longer than all of them."""
    train = balanced_dataset(dfa, config["n_train"], config["lam_train"], seed=10_000 + seed)
    train = train[train.lengths > 0]
    test = balanced_dataset(dfa, config["n_test"], config["lam_test"], seed=20_000 + seed)
    test = test[test.lengths > int(train.lengths.max())]
    return train, test


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run every (language, activation, seed) and the report's curves; return a JSON-able dict.

    Keys: ``config``, ``runs`` (one dict per run, see :func:`_one_run`), ``curves`` (one per
    figure), ``torch_version`` and ``command``.
    """
    config = _check_config(config)
    jobs = [("grid", config, name, activation, loss, seed) for name, activation, loss, seed in
            itertools.product(config["languages"], config["activations"], config["losses"], range(config["seeds"]))]
    jobs += [("curve", config, curve, "tanh", "", 0) for curve in config["curves"]]
    results = run_jobs(_job, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=_describe)
    return {"config": config,
            "runs": [r for job, r in zip(jobs, results) if job[0] == "grid"],
            "curves": [r for job, r in zip(jobs, results) if job[0] == "curve"],
            "torch_version": torch.__version__.split("+")[0],
            "command": list(sys.argv if argv is None else argv)}


def _describe(job: tuple) -> str:
    kind, _, what, activation, loss, seed = job
    return f"{what} {activation} {loss} seed {seed}" if kind == "grid" else f"figure {what['figure']}"


def _job(kind: str, config: dict, what, activation: str, loss: str, seed: int) -> dict:
    if kind == "grid":
        return _one_run(config, what, activation, loss, seed)
    return _one_curve(config, what)


def _summary(dfa, result, train, test, levels: list) -> dict:
    """Final metrics, the extracted automaton and its comparison with ``dfa``, for both networks."""
    out = {}
    for key, model in result.models.items():
        history = result.histories[key].to_dict()
        network = network_answers(model, test, result.h0)
        out[key] = {"history": history, "test_accuracy": float((network == test.labels).mean())}
        try:
            extraction = extract_dfa(model, dfa.alphabet, result.h0, levels=levels, words=train)
        except ExtractionError as error:  # too many cells: recorded, not fatal
            out[key].update(extraction="failed", error=str(error), levels=None, train_agreement=None,
                            extracted_states=None, equivalent=False,
                            counterexample=None, extracted_test_accuracy=None, agreement=None)
            continue
        counterexample = equivalent_on_nonempty(extraction.dfa, dfa)
        extracted = extraction.dfa.accepts_many(test.strings())
        out[key].update(
            extraction=extraction.method,
            levels=extraction.levels,
            train_agreement=extraction.agreement,
            extracted_states=int(extraction.dfa.n_states),
            equivalent=counterexample is None,
            counterexample=None if counterexample is None else "".join(counterexample),
            extracted_test_accuracy=float((extracted == test.labels).mean()),
            agreement=float((extracted == network).mean()),
        )
    return out


def _one_run(config: dict, name: str, activation: str, loss: str, seed: int) -> dict:
    dfa = language(name)
    train, test = datasets(dfa, config, seed)
    result = train_pair(dfa, train, test, activation, loss=loss, optimizer="adam", lr=config["lr"],
                        epochs=config["epochs"], batch_size=config["batch_size"], lam=config["lam"], n=config["n"],
                        seed=seed, eval_every=config["eval_every"])
    return {"language": name, "activation": activation, "loss": loss, "seed": seed, "states": int(dfa.n_states),
            "symbols": int(dfa.n_symbols), "train_lengths": [int(train.lengths.min()), int(train.lengths.max())],
            "test_lengths": [int(test.lengths.min()), int(test.lengths.max())], "n_test": len(test),
            "exact_distance": result.exact_distance, **_summary(dfa, result, train, test, config["levels"])}


def _one_curve(config: dict, curve: dict) -> dict:
    dfa = language(curve["language"])
    train, test = datasets(dfa, config, 0)
    result = train_pair(dfa, train, test, "tanh", loss=curve["loss"], optimizer=curve["optimizer"], lr=curve["lr"],
                        epochs=config["curve_epochs"], batch_size=curve["batch_size"], lam=curve["lam"], n=curve["n"],
                        seed=0, eval_every=1)
    return {**curve, "states": int(dfa.n_states), "symbols": int(dfa.n_symbols),
            **_summary(dfa, result, train, test, config["levels"])}


KINDS = ("plain", "constrained")
"""The two networks of every run."""


def table(result: dict) -> list[list]:
    """One row per (language, activation): median long-word accuracy and equivalent extractions, plain and constrained.

    Cells: ``"median accuracy (equivalent/seeds)"``.
    """
    rows = []
    keys = []
    for run in result["runs"]:
        key = (run["language"], run["activation"])
        if key not in keys:
            keys.append(key)
    for name, activation in keys:
        runs = [r for r in result["runs"] if (r["language"], r["activation"]) == (name, activation)]
        row = [name, runs[0]["states"], activation]
        for kind in KINDS:
            accuracy = float(np.median([r[kind]["test_accuracy"] for r in runs]))
            equivalent = sum(r[kind]["equivalent"] for r in runs)
            row.append(f"{accuracy:.2f} ({equivalent}/{len(runs)})")
        rows.append(row)
    return rows


TABLE_HEADER = ["language", "|Q|", "activation", "plain: long-word accuracy (equivalent DFAs)",
                "constrained: long-word accuracy (equivalent DFAs)"]


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("languages", "activations", "losses", "levels", "curves"))
    for level in config["levels"]:
        check_positive_int(level, "config['levels'] entries")
    for loss in config["losses"]:
        if loss not in LOSSES:
            raise ValueError(f"config['losses'] must hold names of srnbook.learning.LOSSES, got {loss!r}")
    for name in config["languages"]:
        language(name)
    for activation in config["activations"]:
        if activation not in ACTIVATIONS:
            raise ValueError(f"config['activations'] must hold 'sigmoid' or 'tanh', got {activation!r}")
    for key in ("seeds", "n_train", "n_test", "epochs", "batch_size", "eval_every", "curve_epochs",
                "threads"):
        check_positive_int(config[key], f"config[{key!r}]")
    for key in ("lam_train", "lam_test", "lr", "lam", "n"):
        check_positive_float(config[key], f"config[{key!r}]")
    for curve in config["curves"]:
        if not isinstance(curve, dict) or curve.get("loss") not in LOSSES or curve.get("optimizer") not in OPTIMIZERS:
            raise ValueError(f"config['curves'] must hold dicts like REPORT_FIGURES, got {curve!r}")
        language(curve["language"])
    return config


# ---------------------------------------------------------------------- tables and figure of the chapter

LOSS_NAMES = {"bce": "BCE", "bce_inverse_norm": "BCE + inverse norm", "nth_root": "Nth root"}
"""How the chapter's tables name the losses."""


def is_permutation_automaton(dfa: DFA) -> bool:
    """Whether every letter permutes the states (each column of ``delta`` is a permutation)."""
    return all(sorted(dfa.delta[:, j]) == list(range(dfa.n_states)) for j in range(dfa.n_symbols))


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def language_rows(result: dict, loss: str = "bce") -> list[list]:
    """One row per language, sorted by the plain network's mean long-word accuracy under ``loss``.

    Cells: language, :math:`|Q|`, permutation automaton (yes/no), mean long-word accuracy of
    the plain and constrained networks under ``loss`` (both activations, all seeds), the
    best long-word and final training accuracy of any run, and the equivalent extractions
    (plain, constrained) over all runs of the language.
    """
    rows = []
    for name in result["config"]["languages"]:
        mine = [r for r in result["runs"] if r["language"] == name]
        chosen = [r for r in mine if r["loss"] == loss]
        rows.append([name, mine[0]["states"], "yes" if is_permutation_automaton(language(name)) else "no",
                     f"{_mean([r['plain']['test_accuracy'] for r in chosen]):.2f}",
                     f"{_mean([r['constrained']['test_accuracy'] for r in chosen]):.2f}",
                     f"{max(r[k]['test_accuracy'] for r in mine for k in KINDS):.2f}",
                     f"{max(r[k]['history']['train_accuracy'][-1] for r in mine for k in KINDS):.2f}",
                     " / ".join(f"{sum(r[k]['equivalent'] for r in mine)}" for k in KINDS)
                     + f" of {len(mine)}"])
    rows.sort(key=lambda row: float(row[3]))
    return rows


LANGUAGE_HEADER = ["language", "|Q|", "permutation automaton", "plain, BCE: mean long-word acc.",
                   "constrained, BCE: mean long-word acc.", "best long-word acc. (any run)",
                   "best final train acc. (any run)", "equivalent DFAs, plain / constrained"]


def loss_rows(result: dict) -> list[list]:
    """One row per (loss, activation): mean long-word accuracy and equivalent extractions of both networks."""
    rows = []
    for loss in result["config"]["losses"]:
        for activation in result["config"]["activations"]:
            chosen = [r for r in result["runs"] if r["loss"] == loss and r["activation"] == activation]
            row = [LOSS_NAMES.get(loss, loss), activation]
            for kind in KINDS:
                row += [f"{_mean([r[kind]['test_accuracy'] for r in chosen]):.2f}",
                        f"{sum(r[kind]['equivalent'] for r in chosen)}/{len(chosen)}"]
            rows.append(row)
    return rows


LOSS_HEADER = ["loss", "activation", "plain: mean accuracy", "plain: equivalent",
               "constrained: mean accuracy", "constrained: equivalent"]


def extraction_rows(result: dict) -> list[list]:
    """One row per (loss, network): exact / quantized / failed extractions, median size of the exact
    ones, agreement network / extracted DFA and the DFA's accuracy on the long words, equivalent DFAs."""
    rows = []
    for loss in result["config"]["losses"]:
        mine = [r for r in result["runs"] if r["loss"] == loss]
        for kind in KINDS:
            done = [r[kind] for r in mine if r[kind]["extraction"] != "failed"]
            methods = [sum(r[kind]["extraction"] == m for r in mine) for m in ("exact", "quantized", "failed")]
            sizes = [r[kind]["extracted_states"] for r in mine if r[kind]["extraction"] == "exact"]
            rows.append([LOSS_NAMES.get(loss, loss), kind, *methods,
                         f"{np.median(sizes):.0f}" if sizes else "-",
                         f"{_mean([s['agreement'] for s in done]):.2f}",
                         f"{_mean([s['extracted_test_accuracy'] for s in done]):.2f}",
                         sum(r[kind]["equivalent"] for r in mine)])
    return rows


EXTRACTION_HEADER = ["loss", "network", "exact", "quantized", "failed", "median size (exact)",
                     "agreement", "DFA's accuracy", "equiv."]


def curve_rows(result: dict) -> list[list]:
    """One row per report figure and network: accuracies, gradient norms, distances, final loss."""
    rows = []
    for curve in result["curves"]:
        for kind in KINDS:
            h = curve[kind]["history"]
            rows.append([f"{curve['figure']}: {curve['language']}, {LOSS_NAMES.get(curve['loss'])}", kind,
                         f"{h['test_accuracy'][-1]:.2f}",
                         f"{max(h['test_accuracy']):.2f}", f"{h['train_accuracy'][-1]:.2f}",
                         f"{min(h['grad_l2']):.2g}", f"{h['grad_l2'][-1]:.2g}",
                         f"{h['distance'][0]:.1f} → {h['distance'][-1]:.1f}",
                         f"{h['line_distance'][0]:.2f} → {h['line_distance'][-1]:.2f}",
                         f"{h['loss'][-1]:.3f}"])
    return rows


CURVE_HEADER = ["report's figure: language", "network", "final test acc.", "best test acc.",
                "final train acc.", "min ‖∇L‖₂", "final ‖∇L‖₂", "distance", "line distance", "final loss"]


def grid_counts(result: dict) -> dict:
    """Counts over the grid: runs, trained networks, equivalent extractions (per network), runs in
    which each network is the more accurate on long words, and runs with the constrained network at
    chance (accuracy at most 0.55) while the plain one reaches 0.8."""
    runs = result["runs"]
    stuck = [r for r in runs if r["constrained"]["test_accuracy"] <= 0.55 and r["plain"]["test_accuracy"] >= 0.8]
    return {"runs": len(runs), "networks": 2 * len(runs),
            "equivalent": {k: sum(r[k]["equivalent"] for r in runs) for k in KINDS},
            "plain_better": sum(r["plain"]["test_accuracy"] > r["constrained"]["test_accuracy"] for r in runs),
            "constrained_better": sum(r["plain"]["test_accuracy"] < r["constrained"]["test_accuracy"] for r in runs),
            "stuck": len(stuck),
            "stuck_by_loss": {loss: sum(r["loss"] == loss for r in stuck) for loss in result["config"]["losses"]},
            "stuck_by_activation": {a: sum(r["activation"] == a for r in stuck)
                                    for a in result["config"]["activations"]}}


def plot_summary(result: dict, loss: str = "bce"):
    """The chapter's summary of the grid, two panels, one above the other.

    Top: per language (sorted), the mean long-word accuracy of the plain and constrained
    networks under ``loss`` (both activations, all seeds), permutation automata in red, and
    the number of equivalent extractions (all losses) at the right edge. Bottom: the mean
    long-word accuracy of both networks for each loss and activation.
    """
    import matplotlib.pyplot as plt

    rows = language_rows(result, loss)
    # the panels stacked, 6 in wide: readable on a phone
    fig, (left, right) = plt.subplots(2, 1, figsize=(6.0, 8.4), gridspec_kw={"height_ratios": [1.6, 1.0]})
    y = np.arange(len(rows))
    for j, (kind, marker) in enumerate(zip(KINDS, ("o", "s"))):
        left.scatter([float(row[3 + j]) for row in rows], y, marker=marker, color=f"C{j}", s=28, zorder=3,
                     label=f"{kind}")
    left.axvline(0.5, color="0.6", lw=0.8, ls="--")
    left.set_yticks(y, [row[0] for row in rows], fontsize=8)
    for tick, row in zip(left.get_yticklabels(), rows):
        if row[2] == "yes":
            tick.set_color("C3")
    for yy, row in zip(y, rows):
        left.text(1.06, yy, row[7].split(" of ")[0], va="center", fontsize=8, color="0.3",
                  transform=left.get_yaxis_transform())
    left.text(1.06, len(rows) - 0.4, "equiv.\nDFAs", fontsize=8, color="0.3", va="bottom",
              transform=left.get_yaxis_transform())
    left.set(xlim=(0.4, 1.02), xlabel=f"mean long-word accuracy ({LOSS_NAMES.get(loss, loss)})")
    left.set_title("per language (red: permutation automata)", fontsize=10)
    left.legend(fontsize=8, loc="lower right")
    table = loss_rows(result)
    x = np.arange(len(table))
    for j, kind in enumerate(KINDS):
        right.bar(x + (j - 0.5) * 0.38, [float(row[2 + 2 * j]) for row in table], width=0.38,
                  color=f"C{j}", label=kind)
    right.axhline(0.5, color="0.6", lw=0.8, ls="--")
    short = {"BCE": "BCE", "BCE + inverse norm": "BCE+inv", "Nth root": "Nth root"}
    right.set_xticks(x, [f"{short.get(row[0], row[0])}\n{row[1]}" for row in table], fontsize=8)
    right.set(ylim=(0.4, 1.0), ylabel="mean long-word accuracy")
    right.set_title("per loss and activation (all languages)", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_curves(result: dict):
    """The report's figures 4-6 re-run (``result["curves"]``): one row per figure, four panels each
    (gradient norm, distance to the target, distance to its line, accuracy), both networks."""
    import matplotlib.pyplot as plt

    panels = (("grad_l2", "‖∇L‖₂"), ("distance", "distance to target"),
              ("line_distance", "distance to its line"), ("test_accuracy", "accuracy"))
    curves = result["curves"]
    fig, axes = plt.subplots(len(curves), len(panels), figsize=(10.0, 2.3 * len(curves)), sharex=True,
                             squeeze=False)
    for row, curve in zip(axes, curves):
        for ax, (key, name) in zip(row, panels):
            for j, kind in enumerate(KINDS):
                h = curve[kind]["history"]
                ax.plot(h["epoch"], h[key], color=f"C{j}", lw=1.2, label=kind)
                if key == "test_accuracy":
                    ax.plot(h["epoch"], h["train_accuracy"], ":", color=f"C{j}", lw=1.2)
            ax.set_title(name, fontsize=9)
            if key == "grad_l2":
                ax.set_yscale("log")
            if key == "test_accuracy":
                ax.axhline(0.5, color="0.6", lw=0.8)
                ax.set_ylim(0.3, 1.02)
        row[0].set_ylabel(f"Fig. {curve['figure']}: {curve['language']}\n{curve['optimizer']}, {curve['loss']}",
                          fontsize=8)
    axes[0, 0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    fig.tight_layout()
    plt.close(fig)
    return fig
