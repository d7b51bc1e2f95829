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
        for kind in ("plain", "constrained"):
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
