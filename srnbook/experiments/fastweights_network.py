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


@torch.no_grad()
def read_weights(model, batch):
    r"""What each step of ``model`` reads from its fast weights, on ``batch``.

    Returns ``(out, w, h0)``: the forward output (with the fast weights), the weights
    ``w[b, t-1, tau-1]`` :math:`= \eta \lambda^{t-1-\tau} h_\tau^\top h_t^{(0)}` that step
    :math:`t` puts on the past state :math:`h_\tau` (zero for :math:`\tau \ge t`), and the
    slow states :math:`h_t^{(0)} = f(a_t)`. Checks the read at the query step against
    the matrix :math:`A_{T-1}` returned by the model."""
    import torch.nn.functional as F

    out = model(batch.x, return_fast_weights=True)
    H = out.h
    previous = torch.cat([torch.zeros_like(H[:, :1]), H[:, :-1]], dim=1)  # h_{t-1}
    h0 = F.relu(model.embed(batch.x) @ model.U.T + model.b + previous @ model.W.T)
    T = H.shape[1]
    lag = torch.arange(T)[:, None] - torch.arange(T)[None, :] - 1  # t - 1 - tau
    decay = model.lam ** lag.clamp(min=0) * (lag >= 0)
    w = model.eta * decay * torch.einsum("bti,bsi->bts", h0, H)
    read = (out.A[:, -2] @ h0[:, -1, :, None]).squeeze(2)
    assert torch.allclose(read, torch.einsum("bs,bsi->bi", w[:, -1], H), rtol=1e-4, atol=1e-4)
    return out, w, h0


def reading_frames(model, example):
    """A function ``frame(t)`` that draws step ``t`` of ``model`` reading the one-sequence
    batch ``example``: the hidden states written so far, the fast weights :math:`A_t`, and
    the weights of the read at step ``t`` (the queried pair in orange)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import PowerNorm

    from ..plotting import FIGURE_WIDTH

    out, w, h0 = read_weights(model, example)
    H, A, w, h0 = out.h[0], out.A[0], w[0], h0[0]
    probabilities = out.logits[0].softmax(0)
    k, symbols = example.query_pair.item(), example.strings()[0]
    T, d = H.shape

    def frame(t):
        fig, named = plt.subplot_mosaic([["h", "h"], ["A", "w"]], figsize=(FIGURE_WIDTH, 5.8))
        states, memory, reads = named["h"], named["A"], named["w"]
        shown = H.T.clone()
        shown[:, t:] = float("nan")  # not yet written
        states.imshow(shown, cmap="viridis", vmin=0, vmax=H.max().item(), aspect="auto",
                      interpolation="nearest")
        states.add_patch(plt.Rectangle((t - 1.5, -0.5), 1, d, fill=False, ec="C3", lw=2))
        states.set(xticks=range(T), xticklabels=list(symbols), yticks=range(0, d, 5),
                   ylabel="unit", title=r"hidden states $h_\tau$")
        memory.imshow(A[t - 1], cmap="magma", interpolation="nearest",
                      norm=PowerNorm(0.5, vmin=0, vmax=A.max().item()))
        memory.set(xticks=[], yticks=[], title=rf"fast weights $A_{{{t}}}$")
        colors = ["C1" if tau in (2 * k, 2 * k + 1) else "C0" for tau in range(T)]
        reads.bar(range(T), w[t - 1], color=colors)
        reads.set(xticks=range(T), xticklabels=list(symbols),
                  ylim=(0, 1.05 * w.max().item()), title=rf"read at step {t}: $w_{{{t}\tau}}$")
        empty = ("$A_0 = 0$: nothing to read" if t == 1
                 else r"$h_t^{(0)} = 0$: nothing read" if not h0[t - 1].any()
                 else "no overlap: nothing read" if not w[t - 1].any() else "")
        reads.text(0.5, 0.6, empty, transform=reads.transAxes, ha="center", color="0.3")
        for ax in (states, reads):
            ax.get_xticklabels()[t - 1].set(color="C3", fontweight="bold")
        for ax in (states, memory):
            ax.grid(False)
        answer = (f": answer {probabilities.argmax().item()} (probability "
                  f"{probabilities.max().item():.2f}), target {example.y.item()}"
                  if t == T else "")
        fig.suptitle(f"{symbols[:t - 1]}[{symbols[t - 1]}]{symbols[t:]}\nstep {t} of {T}{answer}",
                     family="monospace")
        fig.tight_layout()
        return fig

    return frame
