r"""Exact learning of saturated SRNs: the pipeline of :mod:`srnbook.pipeline` and the other routes, per language.

For every language and seed, three networks are trained on the same labelled words
(:func:`training_words`: lengths from a mixture of Poisson laws, so that short words are
covered) and read in several ways:

``plain``
    :func:`srnbook.pipeline.train_srn` (the recipe: tanh, 32 units, Adam, clipped), then

    * ``pipeline``: L* extraction (:func:`srnbook.pipeline.extract_lstar`), compilation,
      verification;
    * ``quantized``: the quantization extraction (:func:`srnbook.extraction.extract_dfa`, grids
      of 2, 3 and 4 intervals per unit), compiled and verified alike;
    * ``scale_jump``: the trained network itself, :math:`U, W, b` multiplied by a factor
      (:func:`srnbook.pipeline.jump_scale`), read by the exact extraction if its hidden vectors
      are finitely many;
    * ``normalized``: the trained network after normalized gradient steps
      (:func:`srnbook.pipeline.normalized_steps`), read alike.
``curriculum``
    The same recipe, words shown by increasing length; read by the pipeline.
``soft``
    A network of :math:`d = |Q||\Sigma|` units (the compiled size) trained with a penalty towards
    the compiled shape (:func:`srnbook.pipeline.shape_deviation`), then jumped in scale and read by
    the exact extraction (``soft_jump``) and by the pipeline (``soft_pipeline``).

A route learns a language *exactly* when the network it ends with is saturated (every hidden
value on a bound of :math:`\tanh`, on the test words) and computes the target (equivalent on
nonempty words).
"""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np
import torch

from .._validation import check_positive_float, check_positive_int
from ..dfa import DFA
from ..extraction import equivalent_on_nonempty, extract_dfa, network_answers, smallest_on_nonempty
from ..lstar import network_membership
from ..pipeline import _tuples, _verify, extract_lstar, jump_scale, normalized_steps, train_srn
from ..sampling import Words, _concatenate, balanced_dataset
from ..saturation import saturation_level
from ..ssrn import ExtractionError, dfa_to_ssrn, ssrn_to_dfa
from ._runner import check_config, run_jobs
from .learning_ssrn import TOMITA, language

MLREGTEST = ["04.04.SL.2.1.0", "04.04.SP.2.1.0", "04.04.LT.2.1.0", "04.04.PT.2.1.0", "04.04.LTT.2.2.0",
             "04.04.PLT.2.2.0", "04.04.SF.0.0.0", "04.04.Zp.2.1.0", "04.04.Reg.0.0.0", "04.03.TSL.2.1.0",
             "04.03.TLT.2.1.0", "04.03.TLTT.4.2.3", "04.03.TPLT.2.2.0"]
"""One MLRegTest language per class, all 13 classes (the nine of the report's grid and four tier-based ones)."""

TRAININGS = ("plain", "curriculum", "soft")
MAX_COMPILED = 200
"""The largest extracted automaton compiled and run (L* stops at 200 states too)."""
ROUTES = ("pipeline", "quantized", "scale_jump", "normalized", "curriculum", "soft_jump", "soft_pipeline")

QUICK = {
    "languages": ["tomita1", "tomita4"],
    "seeds": 1,
    "words_per_lam": 30,
    "lams": [2.0, 4.0, 8.0],
    "n_test": 60,
    "lam_test": 16.0,
    "hidden": 8,
    "epochs": 10,
    "lr": 0.01,
    "shape_penalty": 0.01,
    "factors": [4.0, 16.0],
    "normalized_steps": 3,
    "step_size": 0.5,
    "levels": [2],
    "epsilon": 0.05,
    "tolerance": 0.01,
    "threads": 1,
    "progress": False,
}
"""Two languages, one seed, tiny networks: seconds, for tests."""

FULL = {
    "languages": TOMITA + MLREGTEST,
    "seeds": 3,
    "words_per_lam": 500,
    "lams": [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0],
    "n_test": 1000,
    "lam_test": 40.0,
    "hidden": 32,
    "epochs": 200,
    "lr": 0.005,
    "shape_penalty": 0.01,
    "factors": [2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
    "normalized_steps": 200,
    "step_size": 0.5,
    "levels": [2, 3, 4],
    "epsilon": 0.01,
    "tolerance": 0.01,
    "threads": 1,
    "progress": True,
}
"""7 Tomita grammars and 13 MLRegTest languages, 3 seeds, 3 trainings each: 180 runs."""

KEYS = tuple(QUICK)


def training_words(dfa: DFA, config: dict, seed: int) -> Words:
    """Balanced words, ``words_per_lam`` for each Poisson mean of ``lams`` (empty words left out)."""
    parts = [balanced_dataset(dfa, config["words_per_lam"], lam, seed=10_000 + 100 * seed + i)
             for i, lam in enumerate(config["lams"])]
    words = _concatenate(parts)
    return words[words.lengths > 0]


def test_words(dfa: DFA, config: dict, seed: int, longest: int) -> Words:
    """Balanced words longer than ``longest`` (Poisson(``lam_test``) lengths)."""
    words = balanced_dataset(dfa, config["n_test"], config["lam_test"], seed=20_000 + seed)
    return words[words.lengths > longest]


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Every (language, seed, training); a JSON-able dict with ``config``, ``runs``, ``torch_version``, ``command``."""
    config = _check_config(config)
    jobs = [(config, name, seed, training) for name, seed, training in
            itertools.product(config["languages"], range(config["seeds"]), TRAININGS)]
    results = run_jobs(_one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: f"{job[1]} seed {job[2]} {job[3]}")
    return {"config": config, "runs": results, "torch_version": torch.__version__.split("+")[0],
            "command": list(sys.argv if argv is None else argv)}


def _one_run(config: dict, name: str, seed: int, training: str) -> dict:
    dfa = language(name)
    train = training_words(dfa, config, seed)
    test = test_words(dfa, config, seed, int(train.lengths.max()))
    out = {"language": name, "seed": seed, "training": training, "states": int(dfa.n_states),
           "symbols": int(dfa.n_symbols), "n_train": len(train), "n_test": len(test),
           "train_lengths": [int(train.lengths.min()), int(train.lengths.max())],
           "test_lengths": [int(test.lengths.min()), int(test.lengths.max())]}
    recipe = {"epochs": config["epochs"], "lr": config["lr"], "seed": seed}
    if training == "soft":
        h0 = dfa_to_ssrn(dfa, "tanh").h0
        trained = train_srn(train, hidden=dfa.n_states * dfa.n_symbols, shape_penalty=config["shape_penalty"],
                            h0=h0, **recipe)
    else:
        trained = train_srn(train, hidden=config["hidden"], curriculum=training == "curriculum", **recipe)
    out["training_result"] = {"epochs": trained.epochs, "train_accuracy": trained.train_accuracy,
                              "cpu_seconds": trained.cpu_seconds,
                              "test_accuracy": _network_accuracy(trained.srn, test, trained.h0)}
    lstar_route = {"plain": "pipeline", "curriculum": "curriculum", "soft": "soft_pipeline"}[training]
    out[lstar_route] = _pipeline(trained, dfa, train, test, config, seed)
    if training == "plain":
        out["quantized"] = _quantized(trained, dfa, train, test, config)
        out["scale_jump"] = _jumped(trained.srn, trained.h0, dfa, train, test, config)
        start = time.process_time()
        stepped = normalized_steps(trained.srn, train, steps=config["normalized_steps"],
                                   size=config["step_size"], h0=trained.h0)
        out["normalized"] = {**_read_exactly(stepped, trained.h0, dfa, train, test),
                             "cpu_seconds": time.process_time() - start,
                             "scale_before": _scale(trained.srn), "scale_after": _scale(stepped)}
    if training == "soft":
        out["soft_jump"] = _jumped(trained.srn, trained.h0, dfa, train, test, config)
    return out


def _network_accuracy(srn, words: Words, h0) -> float:
    return float((network_answers(srn, words, h0) == words.labels).mean())


def _scale(srn) -> float:
    """The largest row norm of :math:`[U\\; W\\; b]`: how far from 0 the pre-activations can get."""
    with torch.no_grad():
        return float(torch.cat([srn.U, srn.W, srn.b[:, None]], 1).norm(dim=1).max())


def _compiled(dfa_found: DFA, dfa: DFA, train: Words, test: Words) -> dict:
    """Compile an extracted DFA and verify it: the fields every route records. A DFA too large to
    compile with a guaranteed float32 saturation (thousands of states) is recorded as such."""
    try:
        if dfa_found.n_states > MAX_COMPILED:
            raise ValueError(f"{dfa_found.n_states} states, more than the {MAX_COMPILED} compiled here")
        ssrn = dfa_to_ssrn(dfa_found, "tanh")
    except ValueError as error:
        return {"states": int(dfa_found.n_states), "equivalent": equivalent_on_nonempty(dfa_found, dfa) is None,
                "saturated": False, "exact": False, "compile_error": str(error),
                "dfa_train_accuracy": float((dfa_found.accepts_many(_tuples(train)) == train.labels).mean())}
    checks = _verify(ssrn, train, test, dfa)
    return {"states": int(dfa_found.n_states), "equivalent": checks["equivalent"],
            "saturated": checks["saturation"] == 1.0, "saturation": checks["saturation"],
            "counterexample": checks["counterexample"], "test_accuracy": checks["ssrn_test_accuracy"],
            "dfa_train_accuracy": checks["dfa_train_accuracy"], "exact": checks["equivalent"]}


def _pipeline(trained, dfa: DFA, train: Words, test: Words, config: dict, seed: int) -> dict:
    try:
        found = extract_lstar(trained.srn, dfa.alphabet, trained.h0, known=train,
                              epsilon=config["epsilon"], tolerance=config["tolerance"],
                              max_length=int(train.lengths.max()), seed=seed)
    except ValueError as error:  # L* outgrew max_states: recorded, not fatal
        return {"exact": False, "equivalent": False, "saturated": False, "failed": str(error)}
    out = {**_compiled(found["dfa"], dfa, train, test),
           **{k: found[k] for k in ("membership_queries", "equivalence_queries", "sampled_words",
                                    "disagreement", "extract_seconds")}}
    out["network_agreement"] = _network_agreement(found["dfa"], trained, test, dfa.n_symbols, train)
    if out["counterexample"] is not None:  # whose error is it: the network's, or the sampling's?
        word = tuple(dfa.alphabet.index(s) for s in out["counterexample"])
        member = network_membership(trained.srn, dfa.alphabet, trained.h0)
        out["network_right_on_counterexample"] = bool(member([word])[0] == dfa.accepts(out["counterexample"]))
    return out


def _network_agreement(dfa_found: DFA, trained, test: Words, k: int, train: Words) -> dict:
    """Share of words on which the DFA answers like the network: the long test words, and 2,000 fresh
    uniform words as long as the training words at most."""
    rng = np.random.default_rng(12345)
    longest = int(train.lengths.max())
    lengths = rng.integers(1, longest + 1, size=2000)
    sample = [tuple(rng.integers(0, k, size=n).tolist()) for n in lengths]
    member = network_membership(trained.srn, dfa_found.alphabet, trained.h0)
    network = network_answers(trained.srn, test, trained.h0)
    return {"test": float((dfa_found.accepts_many(_tuples(test)) == network).mean()),
            "uniform": float((dfa_found.accepts_many([tuple(dfa_found.alphabet[j] for j in w) for w in sample])
                              == member(sample)).mean())}


def _quantized(trained, dfa: DFA, train: Words, test: Words, config: dict) -> dict:
    start = time.process_time()
    try:
        extraction = extract_dfa(trained.srn, dfa.alphabet, trained.h0, levels=config["levels"], words=train)
    except ExtractionError as error:
        return {"exact": False, "equivalent": False, "saturated": False, "failed": str(error),
                "extract_seconds": time.process_time() - start}
    found = smallest_on_nonempty(extraction.dfa)
    seconds = time.process_time() - start
    return {**_compiled(found, dfa, train, test), "extract_seconds": seconds, "method": extraction.method,
            "levels": extraction.levels, "raw_states": int(extraction.dfa.n_states),
            "network_agreement": _network_agreement(found, trained, test, dfa.n_symbols, train)}


def _read_exactly(srn, h0, dfa: DFA, train: Words, test: Words) -> dict:
    """The network itself: exactly extracted (finitely many hidden vectors), saturated, equivalent?"""
    sat = _saturation(srn, test, h0)
    try:
        found = smallest_on_nonempty(ssrn_to_dfa(srn, dfa.alphabet, h0, max_states=500))
    except ExtractionError:
        return {"exact": False, "equivalent": False, "saturated": False, "closes": False, "saturation": sat,
                "test_accuracy": _network_accuracy(srn, test, h0)}
    equivalent = equivalent_on_nonempty(found, dfa) is None
    return {"exact": bool(equivalent and sat == 1.0), "equivalent": equivalent, "saturated": sat == 1.0,
            "closes": True, "states": int(found.n_states), "saturation": sat,
            "test_accuracy": _network_accuracy(srn, test, h0)}


def _saturation(srn, words: Words, h0) -> float:
    """:func:`srnbook.saturation` of an SRN on words of different lengths (padded steps left out)."""
    x, lengths = words.one_hot()
    with torch.no_grad():
        h = srn(x, lengths, h0).h
    return saturation_level(h[torch.arange(h.shape[1]) < lengths[:, None]], "tanh")


def _jumped(srn, h0, dfa: DFA, train: Words, test: Words, config: dict) -> dict:
    """Each factor of ``config["factors"]``; the one kept is the best on the training words (not the target)."""
    tries = []
    for factor in config["factors"]:
        jumped = jump_scale(srn, factor)
        tries.append({"factor": factor, "train_accuracy": _network_accuracy(jumped, train, h0),
                      **_read_exactly(jumped, h0, dfa, train, test)})
    best = max(tries, key=lambda t: (t["train_accuracy"], t["closes"], -t["factor"]))
    return {**best, "tries": tries}


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("languages", "lams", "factors", "levels"))
    for name in config["languages"]:
        language(name)
    for key in ("seeds", "words_per_lam", "n_test", "hidden", "epochs", "normalized_steps", "threads"):
        check_positive_int(config[key], f"config[{key!r}]")
    for key in ("lam_test", "lr", "shape_penalty", "step_size", "epsilon", "tolerance"):
        check_positive_float(config[key], f"config[{key!r}]")
    for key in ("lams", "factors"):
        for value in config[key]:
            check_positive_float(value, f"config[{key!r}] entries")
    for level in config["levels"]:
        check_positive_int(level, "config['levels'] entries")
    return config


# ---------------------------------------------------------------------- tables and figure of the chapter

ROUTE_LABELS = {
    "pipeline": "train, L*, compile",
    "quantized": "train, quantize, compile",
    "curriculum": "length curriculum, L*, compile",
    "soft_pipeline": "shape penalty, L*, compile",
    "scale_jump": "train, jump the scale",
    "normalized": "train, normalized steps",
    "soft_jump": "shape penalty, jump the scale",
}
"""How the chapter names the routes, in the order of its table."""

SHORT = {"pipeline": "L*", "quantized": "quant.", "curriculum": "curric.", "soft_pipeline": "soft+L*",
         "scale_jump": "jump", "normalized": "norm.", "soft_jump": "soft+jump"}
"""Column headings of the table (the caption spells them out)."""


def exact_counts(result: dict) -> dict:
    """``{language: {route: seeds learned exactly}}``, for every language of the result and every route."""
    counts = {name: {route: 0 for route in ROUTE_LABELS} for name in result["config"]["languages"]}
    for run in result["runs"]:
        for route in ROUTE_LABELS:
            if route in run:
                counts[run["language"]][route] += bool(run[route]["exact"])
    return counts


def report_outcome(stored: dict | None, name: str) -> str:
    """The report's heuristic on ``name`` as the book re-ran it (``learning_ssrn.json``): saturated networks
    (always 0) and networks whose extracted DFA is equivalent, of all trained; "-" if not in that grid."""
    if stored is None:
        return "-"
    mine = [r for r in stored["runs"] if r["language"] == name]
    if not mine:
        return "-"
    equivalent = sum(r[k]["equivalent"] for r in mine for k in ("plain", "constrained"))
    return f"0 ({equivalent}/{2 * len(mine)})"


def exact_rows(result: dict, stored: dict | None = None) -> list[list]:
    """One row per language: its number of states, the report's outcome (:func:`report_outcome`) and, per route, the seeds
    (of ``config["seeds"]``) learned exactly: an equivalent automaton computed by a saturated network."""
    counts = exact_counts(result)
    seeds = result["config"]["seeds"]
    states = {run["language"]: run["states"] for run in result["runs"]}
    return [[name, states[name], report_outcome(stored, name),
             *(f"{counts[name][route]}/{seeds}" for route in ROUTE_LABELS)] for name in counts]


EXACT_HEADER = ["language", "|Q|", "report", *SHORT.values()]


def plot_exact(result: dict):
    """The exact-learning table as a picture: languages down, routes across, seeds learned exactly in each cell."""
    import matplotlib.pyplot as plt

    counts = exact_counts(result)
    names = list(counts)
    routes = list(ROUTE_LABELS)
    grid = np.array([[counts[n][r] for r in routes] for n in names])
    seeds = result["config"]["seeds"]
    fig, ax = plt.subplots(figsize=(6.4, 0.3 * len(names) + 1.9))
    ax.imshow(grid, cmap="Greens", vmin=0, vmax=seeds, aspect="auto")
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, f"{value}", ha="center", va="center", fontsize=8,
                color="white" if value > seeds / 2 else "0.2")
    ax.set_xticks(range(len(routes)), [ROUTE_LABELS[r] for r in routes], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_title(f"seeds (of {seeds}) learned exactly", fontsize=10)
    ax.tick_params(length=0)
    fig.tight_layout()
    plt.close(fig)
    return fig


def comparison_rows(result: dict) -> list[list]:
    """L* against quantization on the same trained networks (training ``plain``): per extraction, the runs
    whose extraction closed, the median states (and the target's), the mean agreement with the network on
    the long test words and on uniform words, the median CPU seconds, and the equivalent automata."""
    runs = [r for r in result["runs"] if r["training"] == "plain"]
    rows = []
    for route, label in (("pipeline", "L* (sampled equivalence)"), ("quantized", "quantization (2-4 levels)")):
        done = [r for r in runs if "failed" not in r[route]]
        rows.append([label, f"{len(done)}/{len(runs)}",
                     f"{np.median([r[route]['states'] for r in done]):.0f}" if done else "-",
                     f"{np.median([r['states'] for r in runs]):.0f}",
                     f"{np.mean([r[route]['network_agreement']['test'] for r in done]):.3f}" if done else "-",
                     f"{np.mean([r[route]['network_agreement']['uniform'] for r in done]):.3f}" if done else "-",
                     f"{np.median([r[route]['extract_seconds'] for r in done]):.2f}" if done else "-",
                     f"{sum(r[route]['equivalent'] for r in runs)}/{len(runs)}"])
    return rows


COMPARISON_HEADER = ["extraction", "closed", "median states", "target's median", "agreement, long words",
                     "agreement, uniform words", "median CPU s", "equivalent"]


def route_rows(result: dict) -> list[list]:
    """What each route reaches, over all languages and seeds: runs, networks whose hidden states are
    finitely many (the exact extraction closes), saturated, equivalent, exact, and the mean long-word
    accuracy of the network the route ends with."""
    rows = []
    for route, label in ROUTE_LABELS.items():
        mine = [r[route] for r in result["runs"] if route in r]
        closes = [m.get("closes", "failed" not in m and "compile_error" not in m) for m in mine]
        rows.append([label, len(mine), sum(closes), sum(m["saturated"] for m in mine),
                     sum(m["equivalent"] for m in mine), sum(m["exact"] for m in mine),
                     f"{_mean([m['test_accuracy'] for m in mine if 'test_accuracy' in m]):.3f}"])
    return rows


ROUTE_HEADER = ["route", "runs", "finite states", "saturated", "equivalent", "exact", "long-word acc."]


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def resisting(result: dict, route: str = "pipeline") -> list[dict]:
    """The runs of ``route`` that did not learn their language, with the measurement that says why:
    the counterexample (a shortest word where the learned DFA and the target differ), whether the
    trained network answers it right (if so, the sampling never met the distinction; if not, the
    network's own error was passed on), and the network's long-word accuracy."""
    out = []
    for run in result["runs"]:
        r = run.get(route)
        if r is None or r["exact"]:
            continue
        word = r.get("counterexample")
        found = {"language": run["language"], "seed": run["seed"], "states": r.get("states"),
                 "target_states": run["states"], "failed": r.get("failed"), "counterexample": word,
                 "network_right": r.get("network_right_on_counterexample"),
                 "network_test_accuracy": run["training_result"]["test_accuracy"]}
        if word is not None:  # how well the training words cover the counterexample's length
            train = training_words(language(run["language"]), result["config"], run["seed"])
            same = {tuple(row[:n]) for row, n in zip(train.symbols.tolist(), train.lengths.tolist())
                    if n == len(word)}
            k = run["symbols"]
            found.update(in_training=tuple(train.alphabet.index(a) for a in word) in same,
                         length=len(word), covered=len(same), possible=k ** len(word))
        out.append(found)
    return out
