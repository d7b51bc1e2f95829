r"""Fast weights (Ba et al. 2016), the iRNN and an LSTM on the associative retrieval task.

The associative retrieval task (Ba, Hinton, Mnih, Leibo & Ionescu 2016, section 4.1)
shows :math:`K` key-value pairs, each a letter followed by a digit, then ``??``, then
one of the keys; the answer is the digit that followed that key::

    c9k8j3f1??c  ->  9

To answer, a network must hold every pair of the sequence until the query comes. An
SRN holds them in its hidden state :math:`h_t`; the fast-weights RNN adds a second,
faster memory, a matrix :math:`A(t)` built from outer products of recent hidden states,

.. math::

    A(t) = \lambda A(t-1) + \eta\, h(t) h(t)^\top, \qquad A(0) = 0,

so :math:`A(t) = \eta \sum_{\tau \le t} \lambda^{t-\tau} h(\tau) h(\tau)^\top`. The next
hidden state starts from the slow recurrence and then settles for :math:`S` inner steps
under the fast weights (the paper's eqs. for the "fast associative memory", in the
book's notation: :math:`U` input weights, :math:`W` recurrent weights, :math:`b` bias;
the paper writes :math:`C` for :math:`U` and has no :math:`b`):

.. math::

    h_0(t+1) = f\bigl(W h(t) + U x(t) + b\bigr), \qquad
    h_{s+1}(t+1) = f\bigl(\mathrm{LN}\bigl[W h(t) + U x(t) + b + A(t)\, h_s(t+1)\bigr]\bigr),

for :math:`s = 0, \dots, S-1`, and :math:`h(t+1) = h_S(t+1)`, with :math:`f` = ReLU and
:math:`\mathrm{LN}` layer normalization. Writing the product out,

.. math::

    A(t)\, h = \eta \sum_{\tau \le t} \lambda^{t-\tau}\, h(\tau)\, \bigl(h(\tau)^\top h\bigr):

the fast weights *attend to the recent past*: they return the past hidden states, each
weighted by its scalar product with the current state and by a decay
:math:`\lambda^{t-\tau}`.

What this module provides:

* the task: :func:`associative_retrieval` (a seeded batch), :func:`retrieval_splits`
  (seeded train / validation / test splits with no sequence in two splits),
  :func:`encode` and :func:`decode` (strings to batches and back), :data:`SYMBOLS`;
* the models, each "one-hot input -> learned embedding -> one recurrent layer ->
  ReLU hidden layer -> 10 logits" as in the paper: :class:`FastWeightsRNN`,
  :class:`IRNN` (Le, Jaitly & Hinton 2015, on :class:`torch.nn.RNN`), :class:`LSTMNet`
  (:class:`srnbook.gated.LSTM`); :func:`make_retrieval_model`, :func:`count_parameters`;
  :func:`fast_weights` (the :math:`A(t)` of given hidden states);
* :func:`train_retrieval`: Adam on minibatches of the training split, with validation
  and test error along the way, a sequence and a CPU-time budget.

What the paper says, and what could be checked
----------------------------------------------
Ba et al. (2016), "Using Fast Weights to Attend to the Recent Past", NIPS 29, arXiv
1610.06258. Only parts of the paper could be read through the search tool: the
beginning of the text (abstract, introduction; ar5iv.labs.arxiv.org/html/1610.06258),
the arXiv page (arxiv.org/abs/1610.06258), and a reproducibility summary quoting the
paper (ri.k117.org, "Using Fast Weights to Attend to the Recent Past"). Checked there:

* the update :math:`A(t) = \lambda A(t-1) + \eta h(t) h(t)^\top` and the inner step
  :math:`h_{s+1}(t+1) = f([W h(t) + C x(t)] + A(t) h_s(t+1))` (quoted from the paper);
* the splits, "100,000 training examples, 10,000 validation examples and 20,000 test
  examples" (quoted; :data:`PAPER_SPLITS`);
* the arXiv v3 comment "Fixed typo appendix A.1 uniform initialization to
  :math:`1/\sqrt{H}`": weights are drawn uniformly with bound :math:`1/\sqrt H`
  (used here for :math:`U`);
* the example "c9k8j3f1??c" with target 9 (and "j0a5s5z2??a" with target 5), the 37
  symbols (26 letters, 10 digits, '?'), as quoted in secondary sources.

Not checked (the paper's section 4.1, its Table 1 and its appendix could not be read);
the values below are the ones usually cited for the paper and used by public
reproductions, and should be confirmed against the PDF before the book prints them:
:math:`\lambda = 0.95`, :math:`\eta = 0.5`, :math:`S = 1`, layer normalization in the
inner loop, :math:`W = 0.05 I` for the fast-weights model, a learned 100-dimensional
embedding, a hidden layer of 100 ReLUs before the softmax, minibatches of 128 and
Adam, and the Table 1 error rates (:data:`PAPER_TABLE_1`). The number of pairs is not
stated in what could be read: :data:`DEFAULT_PAIRS` = 4 is that of the paper's
examples (11 symbols, :math:`2K + 3`), as in the public reproductions. Adam's learning
rate is not known; :func:`train_retrieval` uses Adam's default :math:`10^{-3}`.

Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent Networks of Rectified
Linear Units", arXiv 1504.00941: ReLU units and "the identity matrix or its scaled
version to initialize the recurrent weight matrix" (abstract, checked). Zero biases and
small Gaussian non-recurrent weights (std 0.001 here) are the usual reading of the
paper, not checked.

Code indexes time from 0: ``h[:, t]`` is :math:`h(t+1)` of the equations above.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._validation import (check_bool, check_choice, check_dtype, check_float, check_instance,
                          check_int_tensor, check_memory, check_positive_float, check_positive_int,
                          check_seed, check_tensor)
from .gated import LSTM
from .training import Summarized

Tensor = torch.Tensor

SYMBOLS = "abcdefghijklmnopqrstuvwxyz0123456789?"
"""The 37 input symbols, in the order of the one-hot columns: letters 0-25, digits 26-35, '?' 36."""

N_SYMBOLS = len(SYMBOLS)
N_LETTERS, N_DIGITS = 26, 10
_DIGIT0, _QUERY = 26, 36  # column of '0' and of '?'

DEFAULT_PAIRS = 4
"""Key-value pairs per sequence: those of the paper's examples ("c9k8j3f1??c"), length 2K + 3 = 11."""

PAPER_SPLITS = (100_000, 10_000, 20_000)
"""Training, validation and test set sizes of Ba et al. (2016), section 4.1 (checked)."""

PAPER_LAMBDA, PAPER_ETA, PAPER_INNER_STEPS = 0.95, 0.5, 1
"""Decay :math:`\\lambda`, fast learning rate :math:`\\eta` and inner steps :math:`S` (not checked)."""

PAPER_W_SCALE = 0.05
"""The fast-weights model's slow recurrent weights start at :math:`W = 0.05 I` (not checked)."""

PAPER_EMBEDDING, PAPER_HEAD, PAPER_BATCH = 100, 100, 128
"""Embedding size, ReLU units before the softmax, minibatch size (not checked)."""

PAPER_TABLE_1 = {
    "irnn": {20: 62.11, 50: 60.23, 100: 0.34},
    "lstm": {20: 60.81, 50: 1.85, 100: 0.0},
    "a-lstm": {20: 60.13, 50: 1.62, 100: 0.0},
    "fast_weights": {20: 1.81, 50: 0.0, 100: 0.0},
}
"""Test error rates (percent) of Table 1 by model and number R of recurrent units.

As cited: the paper's section 4.1 and Table 1 could not be opened in the sources searched
(no arXiv version, v1 to v3, nor the NIPS text), so the versions could not be compared; all
twelve values agree with a study note written from the paper's PDF, and no source gives
other values. The public reimplementation of Fan Wu (github.com/jxwufan/AssociativeRetrieval)
reports 0 % error for fast weights at R = 50, as in the table. A-LSTM is the associative
LSTM of Danihelka et al. (2016), not implemented here."""


# ---------------------------------------------------------------------- the task


@dataclass(frozen=True, eq=False)
class RetrievalBatch:
    """Sequences of the associative retrieval task and their answers.

    The constructor checks that the three agree: :math:`B \\ge 1` sequences of the task's
    form (as :func:`encode` checks them), and ``y`` and ``query_pair`` their answers.
    Integer tensors of any integer dtype are stored as int64.

    Attributes
    ----------
    tokens
        ``(B, T)`` int64 symbol indices into :data:`SYMBOLS`, :math:`T = 2K + 3`:
        key, value, ..., key, value, '?', '?', query.
    y
        ``(B,)`` int64 targets: the digit (class 0-9) that followed the query key.
    query_pair
        ``(B,)`` int64: which pair ``k`` (0-based) was asked; its key is at index ``2k``.
    """

    tokens: Tensor
    y: Tensor
    query_pair: Tensor

    def __post_init__(self):
        tokens = check_int_tensor(self.tokens, "tokens", ndim=2, low=0, high=N_SYMBOLS - 1)
        B = tokens.shape[0]
        if B == 0:
            raise ValueError("tokens must hold at least one sequence, got B = 0")
        y = check_int_tensor(self.y, "y", ndim=1, low=0, high=N_DIGITS - 1)
        query = check_int_tensor(self.query_pair, "query_pair", ndim=1, low=0)
        for name, v in (("y", y), ("query_pair", query)):
            if v.shape[0] != B:
                raise ValueError(f"{name} must have one entry per sequence of tokens ({B}), got {v.shape[0]}")
        bad = _malformed(tokens.numpy())
        if bad is not None:
            raise ValueError(f"tokens must be sequences of the task (see encode): {bad}")
        K = (tokens.shape[1] - 3) // 2
        if int(query.max()) >= K:
            raise ValueError(f"query_pair must be in [0, {K - 1}] (K = {K} pairs), got {int(query.max())}")
        rows = torch.arange(B)
        if not bool((tokens[rows, 2 * query] == tokens[:, -1]).all()):
            raise ValueError("query_pair must give the pair whose key is the query (the last token)")
        if not bool((tokens[rows, 2 * query + 1] == y + _DIGIT0).all()):
            raise ValueError("y must be the digit that follows the query key in tokens")
        for name, v in (("tokens", tokens), ("y", y), ("query_pair", query)):
            object.__setattr__(self, name, v)

    @classmethod
    def _trusted(cls, tokens: Tensor, y: Tensor, query_pair: Tensor) -> RetrievalBatch:
        """A batch of int64 tensors known to be valid (drawn or sliced by this module): no checks."""
        batch = object.__new__(cls)
        for name, v in (("tokens", tokens), ("y", y), ("query_pair", query_pair)):
            object.__setattr__(batch, name, v)
        return batch

    def __len__(self) -> int:
        return self.tokens.shape[0]

    @property
    def pairs(self) -> int:
        """The number :math:`K` of key-value pairs."""
        return (self.tokens.shape[1] - 3) // 2

    @property
    def x(self) -> Tensor:
        """``(B, T, 37)`` float32 one-hot inputs, batch first (made on each access)."""
        check_memory(self.tokens.numel() * N_SYMBOLS * 4, "the one-hot inputs of the batch", "x")
        return F.one_hot(self.tokens, N_SYMBOLS).to(torch.float32)

    def __getitem__(self, index) -> RetrievalBatch:
        """The sequences ``index`` (a slice, or integer indices) as a batch; at least one."""
        if isinstance(index, int):
            index = slice(index, index + 1)
        tokens = self.tokens[index]
        if tokens.shape[0] == 0:
            raise ValueError(f"index must select at least one sequence, got {index!r}")
        return RetrievalBatch._trusted(tokens, self.y[index], self.query_pair[index])

    def strings(self) -> list[str]:
        """The sequences as strings, e.g. ``"c9k8j3f1??c"``."""
        return decode(self.tokens)


class RetrievalSplits(NamedTuple):
    """Training, validation and test batches with no sequence in common."""

    train: RetrievalBatch
    valid: RetrievalBatch
    test: RetrievalBatch


def distinct_sequences(pairs: int) -> int:
    r"""The number of different sequences with :math:`K` pairs: :math:`\frac{26!}{(26-K)!}\, 10^K K`.

    (Ordered distinct keys, any digits, any of the :math:`K` keys as the query.)
    """
    K = _check_pairs(pairs)
    return math.perm(N_LETTERS, K) * N_DIGITS**K * K


def associative_retrieval(n: int, pairs: int = DEFAULT_PAIRS, seed: int = 0) -> RetrievalBatch:
    r"""``n`` sequences of the associative retrieval task with :math:`K` = ``pairs`` pairs.

    For each sequence, the :math:`K` keys are distinct letters drawn uniformly without
    replacement, each value is a uniform digit, and the query is one of the :math:`K`
    keys, uniformly (the paper's exact sampling could not be read; this reading gives
    its examples). Vectorized: a few numpy operations for the whole batch; ``seed`` is an
    integer in :math:`[0, 2^{64})`.

    >>> b = associative_retrieval(2, pairs=4, seed=0)
    >>> tuple(b.x.shape), tuple(b.y.shape)
    ((2, 11, 37), (2,))
    """
    n = check_positive_int(n, "n")
    K = _check_pairs(pairs)
    seed = check_seed(seed)
    check_memory(_draw_bytes(n, K), f"drawing {n} sequences", "n")
    tokens, y, query = _draw(np.random.default_rng(seed), n, K)
    return _batch(tokens, y, query)


def retrieval_splits(pairs: int = DEFAULT_PAIRS, sizes=PAPER_SPLITS, seed: int = 0) -> RetrievalSplits:
    """Seeded training, validation and test batches of ``sizes`` sequences, no sequence in two of them.

    The default sizes are the paper's (:data:`PAPER_SPLITS`). Sequences are drawn as in
    :func:`associative_retrieval` from one generator; repeated sequences are dropped
    (keeping the first) and more are drawn until there are enough, so the splits are
    disjoint and no split holds a sequence twice. With :math:`K = 4` there are
    :math:`1.4 \\cdot 10^{10}` sequences (:func:`distinct_sequences`) and about one
    repeat is expected among 130,000 draws. The splits may use at most half of all
    sequences. ``seed`` is an integer in :math:`[0, 2^{64})`.
    """
    K = _check_pairs(pairs)
    sizes = _check_sizes(sizes)
    seed = check_seed(seed)
    total = sum(sizes)
    available = distinct_sequences(K)
    if 2 * total > available:
        raise ValueError(f"sizes must add up to at most half of the {available} distinct sequences "
                         f"with pairs={K}, got {total}")
    check_memory(_draw_bytes(total, K) + 2 * total * (2 * K + 3) * 9, f"drawing {total} sequences", "sizes")
    rng = np.random.default_rng(seed)
    tokens = np.empty((0, 2 * K + 3), dtype=np.int8)
    y = query = np.empty(0, dtype=np.int64)
    while len(tokens) < total:
        more = _draw(rng, total - len(tokens) + 16, K)
        tokens = np.concatenate([tokens, more[0].astype(np.int8)])
        y, query = np.concatenate([y, more[1]]), np.concatenate([query, more[2]])
        _, first = np.unique(tokens, axis=0, return_index=True)
        keep = np.sort(first)  # first occurrences, in the order drawn
        tokens, y, query = tokens[keep], y[keep], query[keep]
    bounds = np.cumsum((0,) + sizes)
    return RetrievalSplits(*(_batch(tokens[a:b].astype(np.int64), y[a:b], query[a:b])
                             for a, b in zip(bounds[:-1], bounds[1:])))


def encode(strings) -> RetrievalBatch:
    """Turn strings such as ``"c9k8j3f1??c"`` into a :class:`RetrievalBatch`, with their answers.

    Every string must have the task's form: :math:`K \\ge 1` pairs of a letter and a
    digit with distinct letters, ``??``, and one of those letters; all strings the same
    :math:`K`.

    >>> b = encode(["c9k8j3f1??c", "j0a5s5z2??a"])
    >>> b.y.tolist(), b.query_pair.tolist()
    ([9, 5], [0, 1])
    """
    if isinstance(strings, str):
        strings = [strings]
    if not isinstance(strings, (list, tuple)) or not strings or not all(isinstance(s, str) for s in strings):
        raise ValueError(f"strings must be a string or a nonempty list of strings, got {_short(strings)}")
    index = {c: i for i, c in enumerate(SYMBOLS)}
    bad = sorted({c for s in strings for c in s if c not in index})
    if bad:
        raise ValueError(f"strings may only use the 37 symbols a-z, 0-9 and '?', got {bad[:5]}")
    lengths = {len(s) for s in strings}
    if len(lengths) != 1:
        raise ValueError("strings must all have the same length (the same number of pairs), "
                         f"got lengths {sorted(lengths)[:5]}")
    tokens = np.array([[index[c] for c in s] for s in strings], dtype=np.int64).reshape(len(strings), -1)
    problem = _malformed(tokens)
    if problem is not None:
        raise ValueError("strings must be K letter-digit pairs with distinct letters, then '??', then one "
                         f"of those letters (e.g. 'c9k8j3f1??c'): {problem}")
    T = tokens.shape[1]
    keys, values = tokens[:, 0:T - 3:2], tokens[:, 1:T - 3:2]
    query = (keys == tokens[:, T - 1:T]).argmax(axis=1)
    y = values[np.arange(len(tokens)), query] - _DIGIT0
    return _batch(tokens, y, query)


def decode(x) -> list[str]:
    """The strings of a :class:`RetrievalBatch`, of ``(B, T)`` integer tokens or of ``(B, T, 37)`` one-hot inputs.

    One-hot inputs must be exactly one-hot (a single 1 per position, 0 elsewhere);
    :math:`B \\ge 1`.

    >>> decode(encode("c9k8j3f1??c"))
    ['c9k8j3f1??c']
    """
    if isinstance(x, RetrievalBatch):
        x = x.tokens
    check_instance(x, "x", torch.Tensor, "a RetrievalBatch or a torch.Tensor")
    if x.dim() == 3 and x.shape[2] == N_SYMBOLS and x.dtype.is_floating_point:
        if not bool(((x == 0) | (x == 1)).all() and (x.sum(dim=2) == 1).all()):
            raise ValueError(f"x must be one-hot: (B, T, {N_SYMBOLS}) of zeros with a single 1 per position")
        x = x.argmax(dim=2)
    if x.dim() != 2 or x.dtype.is_floating_point or x.dtype == torch.bool:
        raise ValueError(f"x must be (B, T) integer tokens or (B, T, {N_SYMBOLS}) one-hot floats, "
                         f"got {x.dtype} of shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one sequence, got B = 0")
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= N_SYMBOLS):
        raise ValueError(f"x must hold symbol indices in [0, {N_SYMBOLS - 1}], got values in "
                         f"[{int(x.min())}, {int(x.max())}]")
    return ["".join(SYMBOLS[i] for i in row) for row in x.tolist()]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _malformed(tokens: np.ndarray) -> str | None:
    """What is wrong with ``(B, T)`` tokens as sequences of the task, or ``None``; B >= 1."""
    B, T = tokens.shape
    if B == 0:
        return "there must be at least one sequence"
    if T < 5 or T % 2 == 0:
        return f"the length must be 2K + 3 with K >= 1 pairs, got {T}"
    keys, values = tokens[:, 0:T - 3:2], tokens[:, 1:T - 3:2]
    ok = ((keys < N_LETTERS).all(axis=1) & ((values >= _DIGIT0) & (values < _QUERY)).all(axis=1)
          & (tokens[:, T - 3] == _QUERY) & (tokens[:, T - 2] == _QUERY))
    ordered = np.sort(keys, axis=1)
    ok &= (ordered[:, 1:] != ordered[:, :-1]).all(axis=1)  # distinct keys
    ok &= (keys == tokens[:, T - 1:T]).sum(axis=1) == 1  # the query is one of them
    if ok.all():
        return None
    return f"sequences {np.flatnonzero(~ok)[:3].tolist()} are not"


def _draw(rng: np.random.Generator, n: int, K: int):
    """``(tokens, y, query)`` for ``n`` sequences with ``K`` pairs, vectorized."""
    keys = np.argsort(rng.random((n, N_LETTERS)), axis=1)[:, :K]  # K distinct letters per row
    values = rng.integers(0, N_DIGITS, size=(n, K))
    query = rng.integers(0, K, size=n)
    rows = np.arange(n)
    tokens = np.empty((n, 2 * K + 3), dtype=np.int64)
    tokens[:, 0:2 * K:2] = keys
    tokens[:, 1:2 * K:2] = values + _DIGIT0
    tokens[:, 2 * K:2 * K + 2] = _QUERY
    tokens[:, 2 * K + 2] = keys[rows, query]
    return tokens, values[rows, query], query


def _draw_bytes(n: int, K: int) -> int:
    """Bytes :func:`_draw` allocates for ``n`` sequences (its float64 and int64 arrays)."""
    return 8 * n * (2 * N_LETTERS + 4 * K + 8)


def _batch(tokens: np.ndarray, y: np.ndarray, query: np.ndarray) -> RetrievalBatch:
    """A batch of arrays drawn or checked by this module."""
    return RetrievalBatch._trusted(torch.from_numpy(np.ascontiguousarray(tokens, dtype=np.int64)),
                                   torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64)),
                                   torch.from_numpy(np.ascontiguousarray(query, dtype=np.int64)))


# ---------------------------------------------------------------------- the models


class RetrievalOutput(NamedTuple):
    """What the models of this module return (batch first).

    Attributes
    ----------
    logits: ``(B, 10)`` scores of the ten digits, from the last hidden state.
    h: ``(B, T, d)`` hidden states :math:`h(1), \\dots, h(T)`.
    h_last: ``(B, d)`` the last hidden state :math:`h(T)`.
    A: ``(B, T, d, d)`` fast weights (:class:`FastWeightsRNN` with ``return_fast_weights=True``), else ``None``.
    """

    logits: Tensor
    h: Tensor
    h_last: Tensor
    A: Tensor | None = None


def classifier_head(hidden_size: int, head_size: int = PAPER_HEAD, classes: int = N_DIGITS,
                    dtype=None) -> nn.Sequential:
    """The readout of the paper: ``head_size`` ReLUs, then ``classes`` logits (the softmax is in the loss).

    ``dtype``: a floating-point dtype, or ``None`` for torch's default.
    """
    d = check_positive_int(hidden_size, "hidden_size")
    m = check_positive_int(head_size, "head_size")
    o = check_positive_int(classes, "classes")
    dtype = _check_model_dtype(dtype)
    _check_model_memory(_head_parameters(d, m, o), dtype, hidden_size=d, head_size=m, classes=o)
    return nn.Sequential(nn.Linear(d, m, dtype=dtype), nn.ReLU(), nn.Linear(m, o, dtype=dtype))


def fast_weights(h: Tensor, lam: float = PAPER_LAMBDA, eta: float = PAPER_ETA) -> Tensor:
    r"""The fast weights of hidden states ``h`` ``(B, T, d)``: ``(B, T, d, d)``, entry ``t`` after ``h[:, t]``.

    By the recursion :math:`A \leftarrow \lambda A + \eta\, h_t h_t^\top` from :math:`A = 0`,
    so that ``A[:, t]`` :math:`= \eta \sum_{\tau \le t} \lambda^{t-\tau} h_\tau h_\tau^\top`
    (code indices); ``A[:, t]`` is the matrix that acts on the inner loop at step ``t + 1``.
    Computed in the dtype of ``h``; ``eta`` is refused where the bound
    :math:`|A_{ij}| \le \eta\, T \max |h|^2` would overflow it.
    """
    h = check_tensor(h, "h", ndim=3)
    if 0 in h.shape:
        raise ValueError(f"h must have shape (B, T, d) with B, T, d >= 1, got {tuple(h.shape)}")
    lam, eta = _check_lambda(lam), check_positive_float(eta, "eta", allow_zero=True)
    B, T, d = h.shape
    if eta * T * float(h.detach().abs().max()) ** 2 > torch.finfo(h.dtype).max:
        raise ValueError(f"eta = {eta!r} is too large: the fast weights of h would overflow {h.dtype}")
    check_memory(B * T * d * d * h.element_size(), "the fast weights (B, T, d, d)", "h")
    out = h.new_empty(B, T, d, d)
    A = h.new_zeros(B, d, d)
    for t in range(T):
        A = lam * A + eta * h[:, t, :, None] * h[:, t, None, :]
        out[:, t] = A
    return out


class FastWeightsRNN(nn.Module):
    r"""The fast-weights RNN of Ba et al. (2016) with a classifier head: see the module docstring.

    Per step (:math:`A(0) = 0`, :math:`h(0) = 0`, :math:`f` = ReLU):

    .. math::

        z = W h(t) + U e(t) + b, \qquad h_0 = f(z), \qquad
        h_{s+1} = f\bigl(\mathrm{LN}[z + A(t)\, h_s]\bigr)\ (s < S), \qquad h(t+1) = h_S,

        A(t+1) = \lambda A(t) + \eta\, h(t+1) h(t+1)^\top,

    where :math:`e(t) = E x(t)` is the learned embedding of the one-hot input (or
    :math:`x(t)` itself with ``embedding=None``) and :math:`\mathrm{LN}` is
    :class:`torch.nn.LayerNorm` (gain and bias; left out with ``layer_norm=False``).
    The logits are ``head(h(T))`` (:func:`classifier_head`).

    Initialization: :math:`W = ` ``w_scale`` :math:`\cdot I` (0.05, the value usually
    cited for the paper), :math:`U` uniform in :math:`[-1/\sqrt d, 1/\sqrt d]` (the
    paper's appendix A.1 bound :math:`1/\sqrt H`), :math:`b = 0`; the embedding, layer
    norm and head keep PyTorch's defaults.

    Parameters
    ----------
    input_size
        :math:`u`, 37 for the task.
    hidden_size
        :math:`d`, the paper's :math:`R` (20, 50, 100 in Table 1).
    embedding
        Size of the learned input embedding (100), or ``None`` to feed :math:`x(t)` directly.
    lam, eta, inner_steps
        :math:`\lambda \in [0, 1]`, :math:`\eta \ge 0`, :math:`S \ge 1`.
    layer_norm
        Layer normalization inside the inner loop (default ``True``).
    w_scale
        :math:`W = \text{w\_scale} \cdot I` at initialization.
    head_size, classes
        The ReLU layer and the number of classes of the head.
    dtype
        Parameter dtype.

    >>> m = FastWeightsRNN(37, 20)
    >>> out = m(associative_retrieval(3).x, return_fast_weights=True)
    >>> tuple(out.logits.shape), tuple(out.A.shape)
    ((3, 10), (3, 11, 20, 20))
    """

    def __init__(self, input_size: int = N_SYMBOLS, hidden_size: int = 50, *,
                 embedding: int | None = PAPER_EMBEDDING,
                 lam: float = PAPER_LAMBDA, eta: float = PAPER_ETA, inner_steps: int = PAPER_INNER_STEPS,
                 layer_norm: bool = True, w_scale: float = PAPER_W_SCALE, head_size: int = PAPER_HEAD,
                 classes: int = N_DIGITS, dtype: torch.dtype | None = None):
        super().__init__()
        u, d, e, m, o = _check_sizes_of_model(input_size, hidden_size, embedding, head_size, classes)
        dtype = _check_model_dtype(dtype)
        self.lam = _check_lambda(lam)
        self.eta = _check_scale(eta, "eta", dtype)
        self.inner_steps = check_positive_int(inner_steps, "inner_steps")
        self.w_scale = _check_scale(w_scale, "w_scale", dtype)
        layer_norm = check_bool(layer_norm, "layer_norm")
        _check_model_memory(u * (e if embedding is not None else 0) + d * e + d * d + 3 * d
                            + _head_parameters(d, m, o), dtype, input_size=u, hidden_size=d, embedding=e,
                            head_size=m, classes=o)
        self.embed = _embedding(u, embedding, dtype)
        self.U = nn.Parameter(torch.empty(d, e, dtype=dtype))
        self.W = nn.Parameter(torch.empty(d, d, dtype=dtype))
        self.b = nn.Parameter(torch.empty(d, dtype=dtype))
        self.ln = nn.LayerNorm(d, dtype=dtype) if layer_norm else None
        self.head = classifier_head(d, m, o, dtype=dtype)
        self._input_size = u
        self.reset_recurrent_parameters()

    @property
    def input_size(self) -> int:
        return self._input_size

    @property
    def hidden_size(self) -> int:
        return self.W.shape[0]

    @torch.no_grad()
    def reset_recurrent_parameters(self) -> None:
        r""":math:`W = \text{w\_scale}\cdot I`, :math:`U \sim U[-1/\sqrt d, 1/\sqrt d]`, :math:`b = 0`."""
        d = self.hidden_size
        self.W.copy_(self.w_scale * torch.eye(d, dtype=self.W.dtype))
        nn.init.uniform_(self.U, -1 / math.sqrt(d), 1 / math.sqrt(d))
        self.b.zero_()

    def extra_repr(self) -> str:
        return (f"u={self.input_size}, d={self.hidden_size}, lam={self.lam}, eta={self.eta}, "
                f"S={self.inner_steps}, layer_norm={self.ln is not None}")

    def forward(self, x: Tensor, return_fast_weights: bool = False) -> RetrievalOutput:
        r"""Run over ``x`` ``(B, T, u)``; with ``return_fast_weights``, also every :math:`A` (:func:`fast_weights`).

        :math:`A(t)` is never formed to compute the hidden states: the product
        :math:`A(t) h_s = \eta \sum_{\tau \le t} \lambda^{t-\tau} h(\tau) (h(\tau)^\top h_s)` is
        taken over the stored past states, which costs :math:`O(t d)` per sequence instead of
        :math:`O(d^2)` (4 to 10 times faster for :math:`d` = 20 to 100, :math:`T` = 11).
        """
        x = _check_input(x, self.input_size, self.W.dtype)
        return_fast_weights = check_bool(return_fast_weights, "return_fast_weights")
        B, T, _ = x.shape
        if return_fast_weights:
            d = self.hidden_size
            check_memory(B * T * d * d * x.element_size(), "the fast weights (B, T, d, d)",
                         "return_fast_weights")
        e = x if self.embed is None else self.embed(x)
        p = e @ self.U.t() + self.b  # U e(t) + b for all steps at once
        norm = self.ln if self.ln is not None else (lambda v: v)
        decay = self.eta * self.lam ** torch.arange(T - 1, -1, -1, dtype=x.dtype, device=x.device)
        h = x.new_zeros(B, self.hidden_size)
        hs: list[Tensor] = []
        for t in range(T):
            z = p[:, t] + h @ self.W.t()  # the slow part, W h(t) + U e(t) + b
            h_s = F.relu(z)  # h_0(t+1)
            past = torch.stack(hs, dim=1) if t else None  # (B, t, d): h(1), ..., h(t)
            for _ in range(self.inner_steps):
                if past is None:  # A(0) = 0
                    h_s = F.relu(norm(z))
                    continue
                scores = torch.bmm(past, h_s.unsqueeze(2)).squeeze(2) * decay[T - t:]  # eta lam^(t-tau) h(tau).h_s
                h_s = F.relu(norm(z + torch.bmm(scores.unsqueeze(1), past).squeeze(1)))  # f(LN[z + A(t) h_s])
            h = h_s
            hs.append(h)
        H = torch.stack(hs, dim=1)
        A = fast_weights(H, self.lam, self.eta) if return_fast_weights else None
        return RetrievalOutput(self.head(h), H, h, A)


class IRNN(nn.Module):
    r"""The iRNN of Le, Jaitly & Hinton (2015) with a classifier head: a ReLU SRN with :math:`W = I` at the start.

    :math:`h_t = \mathrm{ReLU}(U e_t + W h_{t-1} + b)` computed by :class:`torch.nn.RNN`
    (``nonlinearity="relu"``), initialized with :math:`W = \text{w\_scale}\cdot I`
    (default the identity), :math:`b = 0` and :math:`U \sim \mathcal N(0, \text{input\_std}^2)`
    (0.001); :math:`e_t` is the embedding of the input, as in :class:`FastWeightsRNN`.
    The properties :attr:`U`, :attr:`W`, :attr:`b` are the RNN's ``weight_ih_l0``,
    ``weight_hh_l0`` and ``bias_ih_l0 + bias_hh_l0``.
    """

    def __init__(self, input_size: int = N_SYMBOLS, hidden_size: int = 50, *,
                 embedding: int | None = PAPER_EMBEDDING,
                 w_scale: float = 1.0, input_std: float = 0.001, head_size: int = PAPER_HEAD,
                 classes: int = N_DIGITS, dtype: torch.dtype | None = None):
        super().__init__()
        u, d, e, m, o = _check_sizes_of_model(input_size, hidden_size, embedding, head_size, classes)
        dtype = _check_model_dtype(dtype)
        self.w_scale = _check_scale(w_scale, "w_scale", dtype)
        self.input_std = _check_scale(input_std, "input_std", dtype)
        _check_model_memory(u * (e if embedding is not None else 0) + d * e + d * d + 2 * d
                            + _head_parameters(d, m, o), dtype, input_size=u, hidden_size=d, embedding=e,
                            head_size=m, classes=o)
        self.embed = _embedding(u, embedding, dtype)
        self.rnn = nn.RNN(e, d, nonlinearity="relu", batch_first=True, dtype=dtype)
        self.head = classifier_head(d, m, o, dtype=dtype)
        self._input_size = u
        self.reset_recurrent_parameters()

    input_size = FastWeightsRNN.input_size

    @property
    def hidden_size(self) -> int:
        return self.rnn.hidden_size

    @property
    def U(self) -> Tensor:
        return self.rnn.weight_ih_l0

    @property
    def W(self) -> Tensor:
        return self.rnn.weight_hh_l0

    @property
    def b(self) -> Tensor:
        return self.rnn.bias_ih_l0 + self.rnn.bias_hh_l0

    @torch.no_grad()
    def reset_recurrent_parameters(self) -> None:
        r""":math:`W = \text{w\_scale}\cdot I`, :math:`b = 0`, :math:`U \sim \mathcal N(0, \text{input\_std}^2)`."""
        self.rnn.weight_hh_l0.copy_(self.w_scale * torch.eye(self.hidden_size, dtype=self.W.dtype))
        self.rnn.bias_ih_l0.zero_()
        self.rnn.bias_hh_l0.zero_()
        nn.init.normal_(self.rnn.weight_ih_l0, 0.0, self.input_std)

    def forward(self, x: Tensor) -> RetrievalOutput:
        """Run over ``x`` ``(B, T, u)``."""
        x = _check_input(x, self.input_size, self.W.dtype)
        h, _ = self.rnn(x if self.embed is None else self.embed(x))
        return RetrievalOutput(self.head(h[:, -1]), h, h[:, -1])


class LSTMNet(nn.Module):
    """An LSTM baseline (:class:`srnbook.gated.LSTM` with the forget gate, initialized as
    :class:`torch.nn.LSTM`) with the same embedding and head."""

    def __init__(self, input_size: int = N_SYMBOLS, hidden_size: int = 50, *,
                 embedding: int | None = PAPER_EMBEDDING,
                 head_size: int = PAPER_HEAD, classes: int = N_DIGITS, dtype: torch.dtype | None = None):
        super().__init__()
        u, d, e, m, o = _check_sizes_of_model(input_size, hidden_size, embedding, head_size, classes)
        dtype = _check_model_dtype(dtype)
        _check_model_memory(u * (e if embedding is not None else 0) + 4 * (d * e + d * d + d)
                            + _head_parameters(d, m, o), dtype, input_size=u, hidden_size=d, embedding=e,
                            head_size=m, classes=o)
        self.embed = _embedding(u, embedding, dtype)
        self.lstm = LSTM(e, d, dtype=dtype)
        self.head = classifier_head(d, m, o, dtype=dtype)
        self._input_size = u

    input_size = FastWeightsRNN.input_size

    @property
    def hidden_size(self) -> int:
        return self.lstm.hidden_size

    def forward(self, x: Tensor) -> RetrievalOutput:
        """Run over ``x`` ``(B, T, u)``; ``h`` are the LSTM's outputs (not its cell states)."""
        x = _check_input(x, self.input_size, self.lstm.weight_hh.dtype)
        h = self.lstm(x if self.embed is None else self.embed(x)).h
        return RetrievalOutput(self.head(h[:, -1]), h, h[:, -1])


MODELS = {"fast_weights": FastWeightsRNN, "irnn": IRNN, "lstm": LSTMNet}
"""The models by name."""


def make_retrieval_model(name: str, hidden_size: int, seed: int = 0, **options) -> nn.Module:
    """The model ``name`` (a key of :data:`MODELS`) with ``hidden_size`` units, initialized under ``seed``.

    ``options`` go to the model's constructor (e.g. ``lam``, ``inner_steps``,
    ``layer_norm`` for ``"fast_weights"``); an option the model does not take is refused.
    ``seed`` is an integer in :math:`[0, 2^{64})`. The global torch generator is left as it was.
    """
    check_choice(name, "name", tuple(MODELS))
    seed = check_seed(seed)
    known = [p for p in inspect.signature(MODELS[name]).parameters if p not in ("input_size", "hidden_size")]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"options {unknown} are not options of the model {name!r}; its options are "
                         f"{', '.join(known)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS[name](N_SYMBOLS, hidden_size, **options)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable scalars of ``model``."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _embedding(u: int, embedding, dtype) -> nn.Linear | None:
    """The learned embedding :math:`e = E x` of a one-hot input: a bias-free Linear, or ``None``."""
    if embedding is None:
        return None
    return nn.Linear(u, check_positive_int(embedding, "embedding"), bias=False, dtype=dtype)


def _check_sizes_of_model(input_size, hidden_size, embedding, head_size, classes) -> tuple[int, ...]:
    """``(u, d, e, m, o)``: the sizes of a model, checked; ``e`` is ``u`` without an embedding."""
    u = check_positive_int(input_size, "input_size")
    d = check_positive_int(hidden_size, "hidden_size")
    e = u if embedding is None else check_positive_int(embedding, "embedding")
    m = check_positive_int(head_size, "head_size")
    o = check_positive_int(classes, "classes")
    return u, d, e, m, o


def _head_parameters(d: int, m: int, o: int) -> int:
    return d * m + m + m * o + o


def _check_model_dtype(dtype) -> torch.dtype | None:
    """A floating-point parameter dtype, or ``None`` (torch's default)."""
    return None if dtype is None else check_dtype(dtype, "dtype")


def _check_model_memory(parameters: int, dtype, **sizes: int) -> None:
    """Refuse a model whose ``parameters`` would pass the memory limit, naming its largest size argument."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    largest = max(sizes, key=sizes.get)
    what = f"a model of {parameters} parameters ({largest}={sizes[largest]})"
    check_memory(parameters * itemsize, what, largest)


def _check_scale(value, name: str, dtype) -> float:
    """A scale >= 0 that the parameter dtype can hold (a larger one would make the weights infinite)."""
    value = check_positive_float(value, name, allow_zero=True)
    dtype = dtype or torch.get_default_dtype()
    if value > torch.finfo(dtype).max:
        raise ValueError(f"{name} must be at most {torch.finfo(dtype).max:.4g} (the largest {dtype}): "
                         f"the weights would be infinite, got {value!r}")
    return value


# ---------------------------------------------------------------------- training


@dataclass
class RetrievalResult(Summarized):
    """What :func:`train_retrieval` returns. Errors are fractions in [0, 1] (1 - accuracy).

    Attributes
    ----------
    sequences_seen, steps
        Training sequences and optimizer steps taken.
    history
        ``(sequences_seen, train_loss, train_error, valid_error, test_error)`` at each
        evaluation; the training loss and error are averaged over the minibatches since
        the previous evaluation.
    valid_error, test_error
        At the last evaluation.
    best_valid_error, test_at_best_valid
        The lowest validation error and the test error at that evaluation (the model
        selection of a grid search on the validation set).
    diverged
        Whether training stopped on a NaN or infinite loss.
    wall_seconds, cpu_seconds
        Time taken (machine dependent, left out of :meth:`summary`).
    """

    sequences_seen: int
    steps: int
    history: list[tuple[int, float, float, float, float]]
    valid_error: float
    test_error: float
    best_valid_error: float
    test_at_best_valid: float
    diverged: bool = False
    wall_seconds: float = field(default=0.0, repr=False)
    cpu_seconds: float = field(default=0.0, repr=False)



def train_retrieval(model: nn.Module, splits: RetrievalSplits, *, max_sequences: int, seed: int = 0,
                    batch_size: int = PAPER_BATCH, lr: float = 1e-3, budget_seconds: float | None = None,
                    eval_every: int = 12_800, eval_batch: int = 2_000, progress: bool = False) -> RetrievalResult:
    """Train ``model`` in place with Adam on the cross-entropy of its logits, on minibatches of ``splits.train``.

    Each epoch visits the training split in a seeded random order (``seed``), in
    minibatches of ``batch_size``. Every ``eval_every`` training sequences, and at the
    end, the validation and test errors are measured on the whole splits (in chunks of
    ``eval_batch``, without gradients). Training stops after ``max_sequences`` sequences,
    after ``budget_seconds`` of CPU time (:func:`time.process_time`, checked after each
    step), or on a NaN or infinite loss. ``progress=True`` shows a tqdm bar.

    ``model`` must map ``(B, T, 37)`` float32 one-hot inputs to an output with ``logits``
    ``(B, 10)`` (the models of this module in float32); Adam's first step, ``10 * lr``, must be
    representable in the dtype of its parameters. ``seed`` is an integer in :math:`[0, 2^{64})`.
    """
    splits = _check_splits(splits)
    dtype = _check_model(model, splits.train)
    max_sequences = check_positive_int(max_sequences, "max_sequences")
    seed = check_seed(seed)
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    top = 0.1 * torch.finfo(dtype).max  # Adam's first step is lr / (1 - beta1) = 10 lr
    if lr > top:
        raise ValueError(f"lr must be at most {top:.4g} (Adam's first step, 10 lr, must be a {dtype}, "
                         f"the dtype of the model's parameters), got {lr!r}")
    budget_seconds = None if budget_seconds is None else check_positive_float(budget_seconds, "budget_seconds")
    eval_every = check_positive_int(eval_every, "eval_every")
    eval_batch = check_positive_int(eval_batch, "eval_batch")
    progress = check_bool(progress, "progress")
    train = splits.train
    n = len(train)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the size of the training split, {n}, got {batch_size}")

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng([seed, 0])
    order, cursor = rng.permutation(n), 0
    history: list[tuple[int, float, float, float, float]] = []
    seen = steps = 0
    losses, errors = [], []
    diverged = False
    next_eval = eval_every
    model.train()
    with tqdm(total=max_sequences, unit="seq", disable=not progress, leave=False) as bar:
        while True:
            if cursor + batch_size > n:  # a new epoch
                order, cursor = rng.permutation(n), 0
            batch = train[torch.from_numpy(order[cursor:cursor + batch_size])]
            cursor += batch_size
            logits = model(batch.x).logits
            loss = F.cross_entropy(logits, batch.y)
            diverged = not bool(torch.isfinite(loss))
            if not diverged:
                opt.zero_grad()
                loss.backward()
                opt.step()
            steps += 1
            seen += batch_size
            losses.append(float(loss.detach()))
            errors.append(float((logits.detach().argmax(dim=1) != batch.y).float().mean()))
            bar.update(batch_size)
            done = seen >= max_sequences or diverged or (
                budget_seconds is not None and time.process_time() - start_cpu >= budget_seconds)
            if seen >= next_eval or done:
                valid = _error(model, splits.valid, eval_batch)
                test = _error(model, splits.test, eval_batch)
                history.append((seen, float(np.mean(losses)), float(np.mean(errors)), valid, test))
                bar.set_postfix(loss=f"{history[-1][1]:.3g}", valid=f"{valid:.3f}")
                losses, errors = [], []
                next_eval = seen + eval_every
            if done:
                break
    best = min(history, key=lambda row: row[3])
    return RetrievalResult(seen, steps, history, history[-1][3], history[-1][4], best[3], best[4], diverged,
                           time.perf_counter() - start_wall, time.process_time() - start_cpu)


@torch.no_grad()
def retrieval_error(model: nn.Module, batch: RetrievalBatch, chunk: int = 2_000) -> float:
    """The fraction of ``batch`` whose digit ``model`` gets wrong (argmax of the logits), in chunks of
    ``chunk``.

    ``model`` as for :func:`train_retrieval`.
    """
    check_instance(batch, "batch", RetrievalBatch)
    _check_model(model, batch)
    chunk = check_positive_int(chunk, "chunk")
    return _error(model, batch, chunk)


@torch.no_grad()
def _error(model: nn.Module, batch: RetrievalBatch, chunk: int) -> float:
    """:func:`retrieval_error` of checked arguments."""
    was_training = model.training
    model.eval()
    wrong = 0
    for start in range(0, len(batch), chunk):
        part = batch[start:start + chunk]
        wrong += int((model(part.x).logits.argmax(dim=1) != part.y).sum())
    model.train(was_training)
    return wrong / len(batch)


# ---------------------------------------------------------------------- checks


def _check_splits(splits) -> RetrievalSplits:
    check_instance(splits, "splits", RetrievalSplits, "a RetrievalSplits (see retrieval_splits)")
    if not all(isinstance(b, RetrievalBatch) for b in splits):
        raise ValueError("splits must hold three RetrievalBatch (train, valid, test)")
    if len({b.tokens.shape[1] for b in splits}) != 1:
        raise ValueError("splits must hold batches with the same number of pairs, got "
                         f"{[b.pairs for b in splits]}")
    return splits


@torch.no_grad()
def _check_model(model, batch: RetrievalBatch) -> torch.dtype:
    """The dtype of ``model``'s parameters, after a probe: one sequence of ``batch`` must give ``(1, 10)``
    logits."""
    check_instance(model, "model", nn.Module, "a torch.nn.Module")
    dtypes = [p.dtype for p in model.parameters() if p.is_floating_point()]
    if not dtypes:
        raise ValueError("model must have floating-point parameters")
    try:
        logits = getattr(model(batch[:1].x), "logits", None)
    except (ValueError, TypeError, RuntimeError) as error:
        raise ValueError(f"model must take (B, T, {N_SYMBOLS}) float32 one-hot inputs: {error}") from error
    if not isinstance(logits, Tensor) or tuple(logits.shape) != (1, N_DIGITS):
        raise ValueError(f"model must return an output whose logits are (B, {N_DIGITS}) "
                         "(see RetrievalOutput)")
    return dtypes[0]


def _check_pairs(pairs) -> int:
    if isinstance(pairs, bool) or not isinstance(pairs, (int, np.integer)) or not 1 <= pairs <= N_LETTERS:
        raise ValueError(f"pairs must be an integer in [1, {N_LETTERS}] (the keys are distinct letters), "
                         f"got {pairs!r}")
    return int(pairs)


def _check_sizes(sizes) -> tuple[int, int, int]:
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise ValueError(f"sizes must be three positive integers (train, valid, test), got {sizes!r}")
    return tuple(check_positive_int(s, "sizes") for s in sizes)


def _check_lambda(lam) -> float:
    return check_float(lam, "lam", low=0.0, high=1.0)


def _check_input(x, u: int, dtype: torch.dtype) -> Tensor:
    x = check_tensor(x, "x", ndim=3, dtype=dtype)
    if x.shape[2] != u or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (B, T, {u}) with B, T >= 1, got {tuple(x.shape)}")
    return x
