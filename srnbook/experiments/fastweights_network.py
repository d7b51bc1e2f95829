r"""The trained network that the chapter "Fast weights" looks inside.

One fast-weights network (:math:`R = 20` units, the paper's :math:`\lambda` and :math:`\eta`)
trained on associative retrieval with :func:`srnbook.fastweights.train_retrieval` (Adam,
minibatches of 128) on small splits. Training takes about a CPU minute, too long to repeat
each time the chapter is executed, so the result stores the learning curve and the trained
weights; :func:`load_network` rebuilds the network from them, bit for bit.

:data:`QUICK`
    4,000 training sequences: seconds, for the tests.
:data:`FULL`
    20,000 training sequences (a fifth of the paper's training split) seen ten times:
    200,000 sequences, about one CPU minute.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from .._validation import check_positive_int, check_seed
from ..fastweights import RetrievalSplits, make_retrieval_model, retrieval_splits, train_retrieval
from ._runner import check_config

FULL = {
    "R": 20,
    "pairs": 4,
    "splits": [20_000, 1_000, 1_000],
    "max_sequences": 200_000,
    "eval_every": 40_000,
    "seed": 0,
    "progress": True,
}
"""The full configuration: the chapter's network, 200,000 training sequences."""

QUICK = {**FULL, "splits": [2000, 500, 500], "max_sequences": 4000, "eval_every": 2000,
         "progress": False}
"""The quick configuration: 4,000 training sequences."""

KEYS = tuple(QUICK)


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Train the network of ``config`` (keys as in :data:`QUICK`) on one thread; return a JSON-able
    dict with ``config``, ``history`` (rows of sequences seen, training loss, training error,
    validation error, test error), ``state`` (each parameter as nested lists of floats),
    ``torch_version`` and ``command``. ``workers`` is accepted for the command line and unused."""
    config = _check_config(config)
    check_positive_int(workers, "workers")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = make_retrieval_model("fast_weights", config["R"], seed=config["seed"])
        result = train_retrieval(model, splits(config), max_sequences=config["max_sequences"], seed=config["seed"],
                                 eval_every=config["eval_every"], progress=config["progress"])
    finally:
        torch.set_num_threads(threads)
    return {
        "experiment": "fastweights_network",
        "config": config,
        "history": [list(row) for row in result.history],
        "state": {name: _shortest(value) for name, value in model.state_dict().items()},
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def splits(config: dict) -> RetrievalSplits:
    """The seeded training, validation and test splits of ``config``."""
    return retrieval_splits(config["pairs"], tuple(config["splits"]), seed=config["seed"])


def load_network(result: dict) -> torch.nn.Module:
    """The trained network stored in ``result``: its float32 weights, exactly (each is stored as the
    shortest decimal that rounds back to it)."""
    config = _check_config(result["config"])
    model = make_retrieval_model("fast_weights", config["R"], seed=config["seed"])
    state = model.state_dict()
    model.load_state_dict({name: torch.tensor(result["state"][name], dtype=value.dtype)
                           for name, value in state.items()})
    return model.eval()


def _shortest(value: torch.Tensor) -> list:
    """``value`` as nested lists of the shortest decimals that round back to the same float32."""
    flat = [float(np.format_float_positional(v, unique=True)) for v in value.detach().numpy().reshape(-1)]
    return np.array(flat).reshape(value.shape).tolist()


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("splits",))
    for key in ("R", "pairs", "max_sequences", "eval_every"):
        check_positive_int(config[key], f"config[{key!r}]")
    check_seed(config["seed"])
    if len(config["splits"]) != 3:
        raise ValueError(f"config['splits'] must be three sizes (train, valid, test), got {config['splits']!r}")
    return config
