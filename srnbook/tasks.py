r"""Long-time-lag benchmarks: the adding, multiplication, XOR and temporal order problems, and parity.

These are the "pathological" problems on which plain gradient descent through an
SRN fails because of vanishing gradients (Galvan's slides, "A pathological problem
example"; Hochreiter & Schmidhuber 1997, section 5; Martens & Sutskever 2011). Each
sequence :math:`x_1, \dots, x_{T_i}` carries, at a few widely separated steps, the
information that decides a single target :math:`y`, read at the last step
:math:`T_i`; everything in between is noise. :math:`T` is the *minimal* length:
with ``variable_length=True`` each length :math:`T_i` is drawn uniformly from
:math:`\{T, \dots, T + \lfloor T/10 \rfloor\}`, as in Hochreiter & Schmidhuber.

Every generator is vectorized (a few numpy operations for the whole batch, no loop
over sequences) and seeded: ``seed`` is an integer in :math:`[0, 2^{64})` (the package's
one seed rule), and the same seed gives the same batch. A batch that would need more
than the package's memory limit (:func:`srnbook.set_memory_limit`) is refused before it
is drawn. It returns a :class:`Batch` whose
``x`` is ``(B, T_max, u)`` float32, batch first and zero after each length, ready
for :class:`srnbook.SRN` with ``lengths``:

>>> from srnbook import SRN
>>> batch = adding(4, 20, seed=0)
>>> tuple(batch.x.shape[::2]), tuple(batch.y.shape), batch.kind
((4, 2), (4, 1), 'regression')
>>> out = SRN(2, 8, 1, activation="tanh", output="identity")(batch.x, batch.lengths)
>>> success(batch, out.y).shape  # the output at each sequence's last step is scored
torch.Size([4])

Sources and what was checked
----------------------------
* Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", Neural Computation
  9(8): section 5.4 (experiment 4, adding), 5.5 (experiment 5, multiplication),
  5.6 (experiment 6, temporal order, tasks 6a and 6b) and Tables 7-9. The task
  texts were read, through the search tool, in a copy of the paper; the
  definitions below follow them (short quotations are marked as such).
* Martens & Sutskever (2011), "Learning Recurrent Neural Networks with
  Hessian-Free Optimization", ICML. The paper's own task section could not be
  read with the search tool (only its abstract). What was read is the Python HF
  code released by the same group (module ``opt.d.seq.utils``: the generator
  ``op_cls`` "covers the addition problem, the multiplication problem, and the
  xor problem", plus ``temporal2`` and ``temporal3``, with a script setting their
  ranges), found with the code search (the repository name was not shown). Where
  that code differs from Hochreiter & Schmidhuber, the docstrings say how, and
  this module keeps the 1997 definition. The XOR problem is not in the 1997
  paper; its definition comes from that code.
* Galvan's slides "Recurrent neural networks" ("A pathological problem
  example"): :func:`adding_slides`.
* MLRegTest (van der Poel et al. 2024), language ``04.04.Zp.2.1.0``, one of those the
  seed report trains on: :func:`parity`, a regular language that no bounded window
  decides.

Success criteria: a real-valued target is solved when the absolute error at the
last step is below 0.04 (Hochreiter & Schmidhuber, section 5.4: "A sequence is
processed correctly if the absolute error at the sequence end is below 0.04";
the same 0.04 appears in the released HF code's ``zero_one_loss_real_valued``);
a class is solved when the largest output is the right class (the HF code's
``zero_one_loss_softmax``). :func:`chance_baseline` gives what a network that
ignores its input can reach.

Code indexes time from 0: ``x[:, t]`` is :math:`x_{t+1}`.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
import torch

from ._validation import (
    check_bool,
    check_choice,
    check_float,
    check_memory,
    check_positive_int,
    check_seed,
    check_tensor,
)

Tensor = torch.Tensor

TOLERANCE = 0.04
"""Absolute error below which a real-valued target counts as solved (Hochreiter & Schmidhuber 1997)."""

TEMPORAL_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "E", "B")
"""The input symbols of the temporal order problem, in the order of the one-hot columns."""

TEMPORAL_CLASSES = {
    2: ("Q", "R", "S", "U"),
    3: ("Q", "R", "S", "U", "V", "A", "B", "C"),
}
"""Hochreiter & Schmidhuber's class names, in the order of the one-hot target columns."""

# Relevant positions of the temporal order problem, in percent of T (1-based, inclusive):
# H&S 1997, task 6a: t1 in [10, 20], t2 in [50, 60]; task 6b: [10, 20], [33, 43], [66, 76].
_TEMPORAL_RANGES = {2: ((10, 20), (50, 60)), 3: ((10, 20), (33, 43), (66, 76))}
_E, _B, _X = 6, 7, 4  # column indices of E, B and X (Y is X + 1) in TEMPORAL_SYMBOLS
_FIRST = 10  # the first marker is one of the first ten pairs (H&S 1997, section 5.4)

KINDS = ("regression", "classification")


# ---------------------------------------------------------------------- batches


@dataclass(frozen=True, eq=False)
class Batch:
    """A batch of sequences with one target each, read at the last step.

    Attributes
    ----------
    x
        ``(B, T_max, u)`` float32 inputs :math:`x_1, \\dots, x_{T_i}`, batch first;
        zero after each length. ``T_max`` is the longest length in the batch.
    y
        ``(B, o)`` float32 targets: the value(s) for ``kind == "regression"``, a
        one-hot row over the ``o`` classes for ``kind == "classification"``.
    lengths
        ``(B,)`` int64 lengths :math:`T_i`.
    kind
        ``"regression"`` or ``"classification"``.
    task
        The name of the task in :data:`TASKS`.
    positions
        ``(B, k)`` int64, sorted: the 0-based indices (step :math:`t` = index + 1)
        of the ``k`` steps that carry the information, for plots and lags.
    """

    x: Tensor
    y: Tensor
    lengths: Tensor
    kind: str
    task: str
    positions: Tensor

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def labels(self) -> Tensor:
        """``(B,)`` int64 class indices (classification tasks only)."""
        if self.kind != "classification":
            raise ValueError(f"labels exist for classification tasks only; {self.task!r} is a {self.kind} task")
        return self.y.argmax(dim=1)

    def at_end(self, seq: Tensor) -> Tensor:
        """``seq[i, lengths[i] - 1]`` for every sequence ``i``: ``(B, T_max, o)`` to ``(B, o)``.

        Use it on the outputs :math:`\\hat y_t` of :class:`srnbook.SRN` to get
        each sequence's prediction :math:`\\hat y_{T_i}`.
        """
        return self._at_end(seq, "seq")

    def _at_end(self, seq, name: str) -> Tensor:
        seq = check_tensor(seq, name, ndim=3, finite=False)
        if seq.shape[0] != len(self) or seq.shape[1] < int(self.lengths.max()):
            raise ValueError(f"{name} must have shape (B, T, o) with B = {len(self)} and T >= "
                             f"{int(self.lengths.max())} (the longest length), got {tuple(seq.shape)}")
        return seq[torch.arange(len(self)), self.lengths.to(seq.device) - 1]


@dataclass(frozen=True)
class Baseline:
    """What a predictor that ignores its input can reach on a task (see :func:`chance_baseline`).

    Attributes
    ----------
    task, T, kind
        The task, its minimal length and its kind.
    mean
        :math:`\\mathbb{E}[y]`, the constant prediction with the smallest mean squared error.
    mse
        Its mean squared error :math:`\\mathbb{E}\\|y - \\mathbb{E}[y]\\|^2 / o`
        (averaged over the ``o`` outputs, as ``torch.nn.functional.mse_loss`` does).
    best_constant
        A constant prediction with the highest success rate.
    success_rate
        Its success rate: the chance level (:math:`1/C` for :math:`C` classes).
    """

    task: str
    T: int
    kind: str
    mean: tuple[float, ...]
    mse: float
    best_constant: tuple[float, ...]
    success_rate: float


# ---------------------------------------------------------------------- the tasks


def adding(n: int, T: int, seed=0, variable_length: bool = True) -> Batch:
    r"""The adding problem of Hochreiter & Schmidhuber (1997, section 5.4, experiment 4).

    Each input :math:`x_t = (v_t, m_t)` is a pair: a value
    :math:`v_t \sim U[-1, 1]` and a marker :math:`m_t \in \{-1, 0, 1\}`. Exactly
    two steps are marked (:math:`m_t = 1`): first one of the first ten steps
    (value :math:`X_1`), then one of the first :math:`\lfloor T/2 \rfloor - 1`
    still unmarked steps (value :math:`X_2`), i.e. uniformly among steps
    :math:`1, \dots, \lfloor T/2 \rfloor` other than the first mark, so it may
    come before it. The first and the last step have marker :math:`-1` unless
    marked, every other step 0. The target at the last step is

    .. math:: y = 0.5 + \frac{X_1 + X_2}{4},

    "the sum :math:`X_1 + X_2` scaled to the interval [0, 1]"; a sequence is
    solved when :math:`|\hat y_{T_i} - y| < 0.04`. Lengths: :math:`T_i` uniform in
    :math:`\{T, \dots, T + \lfloor T/10 \rfloor\}` ("random lengths between the
    minimal sequence length :math:`T` and :math:`T + T/10`"), or :math:`T` with
    ``variable_length=False``. Both marks are within the first :math:`T/2` steps,
    so the minimal time lag is :math:`T/2` (Table 7). The paper's :math:`T` is at
    least 100; for :math:`10 \le T < 20` (an extension, so that the book can start
    at :math:`T = 10`) the first ten steps would spill past :math:`T/2`, and the
    first mark is drawn among the first :math:`\lfloor T/2 \rfloor` steps
    instead, which keeps the minimal lag :math:`T/2`. For :math:`T \ge 20` the
    two rules agree.

    Interpretation: the paper says "in the rare case where the first pair of the
    sequence gets marked, we set :math:`X_1` to zero". Read literally this happens
    with probability 1/10 (the first mark is uniform over ten steps), and the
    second mark can also land on step 1; here whichever mark lands on step 1 gets
    the value 0 (and marker 1). :func:`chance_baseline` accounts for it, which is
    why its mean squared error is a little below :math:`\mathrm{Var}(0.5 + (X_1 + X_2)/4) = 1/24`.

    The released HF code of Martens & Sutskever (``op_cls``) differs: values in
    :math:`[0, 1]`, target :math:`X_1 + X_2` unscaled, first mark among steps
    :math:`[T/100, T/10)`, second among :math:`[T/10, T/2)` (0-based), and the
    closing :math:`-1` three steps before the end; not used here.

    Returns a regression :class:`Batch` with :math:`u = 2`, :math:`o = 1`.
    """
    return _marked_pairs("adding", n, T, _rng(seed), variable_length)


def multiplication(n: int, T: int, seed=0, variable_length: bool = True) -> Batch:
    r"""The multiplication problem of Hochreiter & Schmidhuber (1997, section 5.5, experiment 5).

    "Like the task in Section 5.4" (:func:`adding`: same pairs
    :math:`x_t = (v_t, m_t)`, marks, lengths and ``T >= 10``), "except that the
    first component of each pair is a real value randomly chosen from the interval
    [0, 1]"; when the first step is marked its value is set to 1.0 (the paper:
    ":math:`X_1` to 1.0"), and the target is the product

    .. math:: y = X_1 X_2 .

    Solved when :math:`|\hat y_{T_i} - y| < 0.04` (the paper counts test sequences
    with "absolute errors exceeding 0.04"). Martens & Sutskever's released code
    also draws the values from :math:`[0, 1]` ("the way it's done in the
    original LSTM paper"; with signed values the problem becomes an XOR of the
    signs), with its own marker ranges (see :func:`adding`).

    Returns a regression :class:`Batch` with :math:`u = 2`, :math:`o = 1`.
    """
    return _marked_pairs("multiplication", n, T, _rng(seed), variable_length)


def xor(n: int, T: int, seed=0, variable_length: bool = True) -> Batch:
    r"""The XOR problem of Martens & Sutskever (2011): the adding layout with bits.

    Not in Hochreiter & Schmidhuber (1997). In the released HF code of Martens &
    Sutskever the XOR problem is the same generator as addition and
    multiplication (``op_cls``) with every value a fair bit,
    :math:`v_t \in \{0, 1\}` (``rand < 0.5``), the target
    :math:`y = X_1 \oplus X_2` and one logistic output counted right when it is on
    the correct side of 1/2. Here: the layout of :func:`adding` (marks, the
    :math:`-1` markers, lengths, ``T >= 10``; a mark on step 1 sets its value to
    0, the neutral element of :math:`\oplus`) with bit values, and the target as
    a one-hot row over the two classes :math:`X_1 \oplus X_2 \in \{0, 1\}`
    (a two-way softmax's argmax is the logistic output's side of 1/2).

    Not confirmed: the paper's own ranges. The released script uses shorter
    sequences for XOR than for addition: lengths in ``[f(50), f(55))``, first
    operand in ``[f(1), f(10))``, second in ``[f(15), f(25))`` with
    :math:`f(s) = sT/100` (addition: ``[f(100), f(110))``, ``[f(1), f(10))``,
    ``[f(10), f(50))``); the 1997 adding layout is used instead.

    Returns a classification :class:`Batch` with :math:`u = 2`, :math:`o = 2`.
    """
    return _marked_pairs("xor", n, T, _rng(seed), variable_length)


def adding_slides(n: int, T: int, seed=0) -> Batch:
    r"""The marker/value addition problem of Galvan's slides ("A pathological problem example").

    The slides show one sequence of pairs :math:`x_t = (m_t, v_t)`, "marker
    0 1 0 ... 0 1 0 0" over "value 0.3 0.7 0.1 ... 0.2 0.4 0.6 0.9", and "the
    predicted output should be the sum of the two one-marked positions (1.1)": the
    values lie in :math:`[0, 1]`, the markers in :math:`\{0, 1\}` (no :math:`-1`),
    and the target is the plain sum

    .. math:: y = X_1 + X_2 \in [0, 2].

    The slides do not say how the two marked steps are drawn; their example has
    one near the start and one near the end. Choice made here (not from the
    slides): all sequences have length :math:`T`, :math:`v_t \sim U[0, 1]`, the
    first mark is uniform over the first half, steps
    :math:`1, \dots, \lfloor T/2 \rfloor`, the second over the second half
    (the common variant of this task, e.g. Le, Jaitly & Hinton 2015; not
    checked with the search tool). The input columns are ordered
    :math:`(v_t, m_t)` like :func:`adding`. Solved when
    :math:`|\hat y_T - y| < 0.04` (the slides give no criterion; this is
    Hochreiter & Schmidhuber's, four times stricter relative to the range of
    :math:`y` than on their scaled target).

    Returns a regression :class:`Batch` with :math:`u = 2`, :math:`o = 1`; ``T >= 2``.
    """
    return _adding_slides(n, T, _rng(seed))


def _adding_slides(n, T, rng: np.random.Generator) -> Batch:
    n = check_positive_int(n, "n")
    T = _check_T(T, "adding_slides")
    _check_size(n, T, 2, False)
    rows = np.arange(n)
    values = rng.random((n, T)).astype(np.float32)
    half = T // 2
    p1 = rng.integers(0, half, size=n)
    p2 = rng.integers(half, T, size=n)
    markers = np.zeros((n, T), dtype=np.float32)
    markers[rows, p1] = 1.0
    markers[rows, p2] = 1.0
    y = values[rows, p1] + values[rows, p2]
    x = np.stack([values, markers], axis=2)
    return _batch("adding_slides", x, y[:, None], np.full(n, T), np.stack([p1, p2], axis=1))


def temporal_order(n: int, T: int, n_markers: int = 2, seed=0, variable_length: bool = True) -> Batch:
    r"""The temporal order problem of Hochreiter & Schmidhuber (1997, section 5.6, tasks 6a and 6b).

    Every input :math:`x_t` is the one-hot code of a symbol of
    :data:`TEMPORAL_SYMBOLS`. A sequence "starts with an *E*, ends with a *B*
    (the 'trigger symbol') and otherwise consists of randomly chosen symbols from
    the set {a, b, c, d}" except at ``n_markers`` steps :math:`t_1 < t_2 (< t_3)`
    that hold X or Y, each with probability 1/2. The paper's ranges, for lengths
    between 100 and 110, are :math:`t_1 \in [10, 20]`, :math:`t_2 \in [50, 60]`
    (task 6a, ``n_markers=2``) and :math:`t_1 \in [10, 20]`,
    :math:`t_2 \in [33, 43]`, :math:`t_3 \in [66, 76]` (task 6b,
    ``n_markers=3``); for a minimal length :math:`T` they scale to
    :math:`[\lfloor 10T/100 \rfloor, \lfloor 20T/100 \rfloor]` and so on
    (1-based steps, equal to the paper's for :math:`T = 100`), and the lengths
    :math:`T_i` are uniform in :math:`\{T, \dots, T + \lfloor T/10 \rfloor\}`.
    Every range starts at step 2 at the earliest, after E: this changes
    nothing for :math:`T \ge 20` and makes :math:`t_1 = 2` for :math:`10 \le T < 20`
    (an extension; ``T >= 10`` keeps every range nonempty).

    The class is the order of the X's and Y's, read as a binary number with the
    first relevant symbol most significant (Y = 1): for two, "X, X → Q; X, Y → R;
    Y, X → S; Y, Y → U", for three Q, R, S, U, V, A, B, C from XXX to YYY
    (:data:`TEMPORAL_CLASSES`; the class B is not the trigger symbol B). The
    target is a one-hot row over the 4 or 8 classes; a sequence is solved when
    the argmax of the prediction is its class (Martens & Sutskever's released
    code; Hochreiter & Schmidhuber asked every output to be within 0.3 of the
    one-hot target).

    Martens & Sutskever's released code (``temporal2``, ``temporal3``) uses the
    same 8 symbols but other ranges: :math:`t_1 \in [T/100, T/10]`,
    :math:`t_2 \in [0.4T, 0.5T]` for two symbols; :math:`[T/100, T/10]`,
    :math:`[0.3T, 0.4T]`, :math:`[0.5T, 0.6T]` for three; not used here.

    Returns a classification :class:`Batch` with :math:`u = 8`,
    :math:`o = 2^{n\_markers}`.
    """
    return _temporal_order(n, T, _rng(seed), n_markers, variable_length)


def _temporal_order(n, T, rng: np.random.Generator, n_markers=2, variable_length=True) -> Batch:
    k = _check_n_markers(n_markers)
    n = check_positive_int(n, "n")
    name = "temporal_order" if k == 2 else "temporal_order_3bit"
    T = _check_T(T, name)
    variable_length = check_bool(variable_length, "variable_length")
    _check_size(n, T, len(TEMPORAL_SYMBOLS), variable_length)
    rows = np.arange(n)
    lengths = _lengths(rng, n, T, variable_length)
    symbols = rng.integers(0, 4, size=(n, int(lengths.max())))  # distractors a, b, c, d
    symbols[:, 0] = _E
    symbols[rows, lengths - 1] = _B
    bits = rng.integers(0, 2, size=(n, k))  # 0: X, 1: Y
    positions = np.stack([rng.integers(max(2, T * lo // 100), T * hi // 100 + 1, size=n) - 1
                          for lo, hi in _TEMPORAL_RANGES[k]], axis=1)
    symbols[rows[:, None], positions] = _X + bits
    x = np.eye(len(TEMPORAL_SYMBOLS), dtype=np.float32)[symbols]
    labels = bits @ (1 << np.arange(k - 1, -1, -1))
    return _batch(name, x, _one_hot(labels, 1 << k), lengths, positions)


def temporal_order_3bit(n: int, T: int, seed=0, variable_length: bool = True) -> Batch:
    """The 3-bit temporal order problem: :func:`temporal_order` with ``n_markers=3`` (task 6b)."""
    return _temporal_order(n, T, _rng(seed), 3, variable_length)


def parity(n: int, T: int, seed=0, variable_length: bool = True) -> Batch:
    r"""Words over :math:`\{a, b, c, d\}`, labelled by the MLRegTest automaton ``04.04.Zp.2.1.0``.

    That automaton (:func:`srnbook.dfa.mlregtest`) accepts the words with an even number of
    :math:`c`; it labels every word here (class 1: accepted, class 0: rejected). Letters are
    uniform and one-hot (:math:`u = 4`), so a word of length :math:`L` is accepted with
    probability :math:`(1 + 2^{-L})/2` (the generating function of the count of :math:`c`).
    Every :math:`c` carries information, so ``positions`` is empty (``(B, 0)``).
    """
    return _parity(n, T, _rng(seed), variable_length)


def _parity(n, T, rng: np.random.Generator, variable_length=True) -> Batch:
    from .dfa import mlregtest  # the automaton is package data

    n = check_positive_int(n, "n")
    T = _check_T(T, "parity")
    variable_length = check_bool(variable_length, "variable_length")
    _check_size(n, T, 4, variable_length)
    lengths = _lengths(rng, n, T, variable_length)
    letters = rng.integers(0, 4, size=(n, int(lengths.max())))
    dfa = mlregtest(PARITY_LANGUAGE)
    state = np.zeros(n, dtype=np.int64)  # a DFA starts in state 0
    delta = np.asarray(dfa.delta)
    for t in range(letters.shape[1]):
        live = t < lengths
        state[live] = delta[state[live], letters[live, t]]
    accepted = np.asarray(dfa.accepting)[state].astype(np.int64)
    x = np.eye(4, dtype=np.float32)[letters]
    return _batch("parity", x, _one_hot(accepted, 2), lengths, np.zeros((n, 0), dtype=np.int64))


PARITY_LANGUAGE = "04.04.Zp.2.1.0"
"""The MLRegTest language of :func:`parity` (even number of :math:`c`)."""

TASKS = {
    "adding": adding,
    "adding_slides": adding_slides,
    "multiplication": multiplication,
    "xor": xor,
    "temporal_order": temporal_order,
    "temporal_order_3bit": temporal_order_3bit,
    "parity": parity,
}
"""The task generators by name; each is called as ``TASKS[name](n, T, seed=seed)``."""

_GENERATORS = {
    "adding": lambda n, T, rng, variable_length=True: _marked_pairs("adding", n, T, rng, variable_length),
    "adding_slides": _adding_slides,
    "multiplication": lambda n, T, rng, variable_length=True:
        _marked_pairs("multiplication", n, T, rng, variable_length),
    "xor": lambda n, T, rng, variable_length=True: _marked_pairs("xor", n, T, rng, variable_length),
    "temporal_order": _temporal_order,
    "temporal_order_3bit": lambda n, T, rng, variable_length=True:
        _temporal_order(n, T, rng, 3, variable_length),
    "parity": _parity,
}
"""The generators of :data:`TASKS`, drawing from a NumPy generator instead of a seed."""

# Smallest minimal length T of each task, and why.
_MIN_T = {
    "adding": (10, "both marks must fall in the first T/2 steps"),
    "multiplication": (10, "both marks must fall in the first T/2 steps"),
    "xor": (10, "both marks must fall in the first T/2 steps"),
    "adding_slides": (2, "one mark goes in each half of the sequence"),
    "temporal_order": (10, "every relevant symbol needs a step of its own in its range, after E"),
    "temporal_order_3bit": (10, "every relevant symbol needs a step of its own in its range, after E"),
    "parity": (1, "a word needs a letter"),
}


def _first(T: int) -> int:
    """How many first steps the first mark of :func:`adding` is drawn from: ten, or T/2 if fewer."""
    return min(_FIRST, T // 2)


def make_task(name: str, n: int, T: int, seed=0, **options) -> Batch:
    """Draw ``n`` sequences of minimal length ``T`` of the task ``name`` (a key of :data:`TASKS`).

    ``options`` go to the generator (``variable_length``, ``n_markers``); an option the
    generator does not take is refused.

    >>> make_task("temporal_order", 3, 20, seed=1).y.shape
    torch.Size([3, 4])
    """
    return _make_task(name, n, T, _rng(seed), **options)


def _make_task(name: str, n, T, rng: np.random.Generator, **options) -> Batch:
    """:func:`make_task` drawing from ``rng`` (for a caller that derives its own streams)."""
    check_choice(name, "name", tuple(TASKS))
    known = [p for p in inspect.signature(TASKS[name]).parameters if p not in ("n", "T", "seed")]
    for option in options:
        if option not in known:
            raise ValueError(f"{option} is not an option of task {name!r} (its options: {', '.join(known)})")
    return _GENERATORS[name](n, T, rng, **options)


# ---------------------------------------------------------------------- scoring


def success(batch: Batch, prediction: Tensor, tol: float = TOLERANCE) -> Tensor:
    r"""``(B,)`` bool: which sequences the prediction solves.

    ``prediction`` is ``(B, o)``, the prediction :math:`\hat y_{T_i}` at each
    sequence's last step, or ``(B, T_max, o)``, the outputs at every step (for
    instance ``SRN(...)(batch.x, batch.lengths).y``), of which the last valid step
    is used (:meth:`Batch.at_end`). A regression target is solved when
    :math:`|\hat y_{T_i} - y| <` ``tol`` (0.04 by default, Hochreiter & Schmidhuber
    1997) for every output; a classification target when the largest output is at
    the class (``tol``, still checked, is not used). A prediction with a NaN or infinite entry
    never solves its sequence.

    >>> b = adding(3, 20, seed=0)
    >>> success(b, b.y + 0.03).tolist(), success(b, b.y - 0.05).tolist()
    ([True, True, True], [False, False, False])
    """
    if not isinstance(batch, Batch):
        raise ValueError(f"batch must be a srnbook.tasks.Batch, got {type(batch).__name__}")
    tol = _check_tol(tol)
    prediction = check_tensor(prediction, "prediction", ndim=(2, 3), finite=False)
    if prediction.dim() == 3:
        prediction = batch._at_end(prediction, "prediction")
    expected = tuple(batch.y.shape)
    if tuple(prediction.shape) != expected:
        raise ValueError(f"prediction must have shape (B, o) = {expected} or (B, T_max, o) for this batch, "
                         f"got {tuple(prediction.shape)}")
    prediction = prediction.detach().to(device=batch.y.device, dtype=torch.float32)
    finite = torch.isfinite(prediction).all(dim=1)
    if batch.kind == "classification":
        return finite & (prediction.argmax(dim=1) == batch.labels)
    return finite & ((prediction - batch.y).abs() < tol).all(dim=1)


def success_rate(batch: Batch, prediction: Tensor, tol: float = TOLERANCE) -> float:
    """The share of sequences of ``batch`` that ``prediction`` solves (see :func:`success`)."""
    return float(success(batch, prediction, tol).float().mean())


def chance_baseline(name: str, T: int, n_markers: int = 2) -> Baseline:
    r"""The best a predictor that ignores its input can do on task ``name`` with minimal length ``T``.

    Computed exactly, in closed form, for any ``T``. ``n_markers`` (2 or 3, always checked)
    is used by ``"temporal_order"`` only. With
    :math:`h = \lfloor T/2 \rfloor`, the probability that the first step is marked
    (and its value replaced) is :math:`p = 1/f + (1 - 1/f)/(h - 1)` for the tasks
    with the layout of :func:`adding`, where :math:`f = \min(10, h)` is the number
    of steps the first mark is drawn from, and :math:`a = 0.04` is the tolerance:

    * ``adding``: :math:`\mathbb{E}y = 1/2` and
      :math:`\mathrm{Var}\,y = (\mathrm{Var} X_1 + \mathrm{Var} X_2)/16` with
      :math:`\mathrm{Var} X_1 = (1 - 1/f)/3`, :math:`\mathrm{Var} X_2 = (1 - (1 - 1/f)/(h-1))/3`
      (a value is 0 when on step 1, else :math:`U[-1, 1]` of variance 1/3; without
      that rule it would be :math:`2 \cdot (1/3)/16 = 1/24`). The constant 1/2 is
      within :math:`a` of :math:`y` when :math:`|X_1 + X_2| < 4a`: probability
      :math:`p \cdot 4a + (1 - p)(4a - 4a^2)` (uniform, and triangular, sums).
    * ``multiplication``: :math:`y = X_1 X_2`, :math:`X_i \sim U[0, 1]` (one of
      them 1 with probability :math:`p`): :math:`\mathbb{E}y = (1 + p)/4`,
      :math:`\mathbb{E}y^2 = (1 + 2p)/9`; the density
      :math:`(1 - p)(-\ln y) + p` decreases, so the best constant is :math:`a`,
      right with probability :math:`(1 - p)\,2a(1 - \ln 2a) + p\,2a`.
    * ``adding_slides``: :math:`y = X_1 + X_2`, :math:`X_i \sim U[0, 1]`:
      mean 1, variance 1/6, and the constant 1 is right with probability
      :math:`2a - a^2`.
    * ``parity``: class 1 has probability :math:`p = \mathbb E[(1 + 2^{-L})/2]` over the lengths
      :math:`L` of :func:`parity`; the best constant is class 1, right with probability
      :math:`p`, and the mean squared error per output is :math:`p(1 - p)`.
    * classification with :math:`C` balanced classes (``xor``: :math:`C = 2`,
      temporal order: 4 or 8): mean :math:`(1/C, \dots, 1/C)`, mean squared error
      :math:`(1/C)(1 - 1/C)` per output, and success rate :math:`1/C`.

    >>> round(chance_baseline("adding", 100).mse, 5), round(1 / 24, 5)
    (0.0392, 0.04167)
    >>> chance_baseline("temporal_order", 100, n_markers=3).success_rate
    0.125
    """
    check_choice(name, "name", tuple(TASKS))
    n_markers = _check_n_markers(n_markers)
    if name == "temporal_order":
        name = "temporal_order" if n_markers == 2 else "temporal_order_3bit"
    T = _check_T(T, name)
    a = TOLERANCE
    if name in ("adding", "multiplication"):
        h = T // 2
        q1, q2 = 1 / _first(T), (1 - 1 / _first(T)) / (h - 1)  # P(first / second mark on step 1)
        p = q1 + q2
    if name == "adding":
        mse = ((1 - q1) / 3 + (1 - q2) / 3) / 16
        w = 4 * a  # |y - 1/2| < a  <=>  |X1 + X2| < 4a
        rate = p * w + (1 - p) * (w - w * w / 4)
        return Baseline(name, T, "regression", (0.5,), mse, (0.5,), rate)
    if name == "multiplication":
        mean = (1 + p) / 4
        mse = (1 + 2 * p) / 9 - mean**2
        w = 2 * a  # the window [0, 2a)
        rate = (1 - p) * w * (1 - math.log(w)) + p * w
        return Baseline(name, T, "regression", (mean,), mse, (a,), rate)
    if name == "adding_slides":
        return Baseline(name, T, "regression", (1.0,), 1 / 6, (1.0,), 2 * a - a * a)
    if name == "parity":
        m = T // 10 + 1  # the lengths T, ..., T + T // 10 of parity(), equally likely
        p = 0.5 + 0.5 ** T * (1 - 0.5 ** m) / m  # the mean of (1 + 2^-L) / 2, a geometric sum
        return Baseline(name, T, "classification", (1 - p, p), p * (1 - p), (0.0, 1.0), p)
    C = {"xor": 2, "temporal_order": 4, "temporal_order_3bit": 8}[name]
    uniform = (1 / C,) * C
    return Baseline(name, T, "classification", uniform, (1 / C) * (1 - 1 / C), uniform, 1 / C)


# ---------------------------------------------------------------------- internals


def _marked_pairs(name: str, n, T, rng: np.random.Generator, variable_length) -> Batch:
    """The (value, marker) sequences of Hochreiter & Schmidhuber's experiments 4 and 5, and XOR."""
    n = check_positive_int(n, "n")
    T = _check_T(T, name)
    variable_length = check_bool(variable_length, "variable_length")
    _check_size(n, T, 2, variable_length)
    rows = np.arange(n)
    lengths = _lengths(rng, n, T, variable_length)
    shape = (n, int(lengths.max()))
    if name == "adding":
        values, neutral = rng.uniform(-1.0, 1.0, size=shape), 0.0
    elif name == "multiplication":
        values, neutral = rng.random(shape), 1.0
    else:  # xor
        values, neutral = rng.integers(0, 2, size=shape).astype(np.float64), 0.0
    values = values.astype(np.float32)
    p1 = rng.integers(0, _first(T), size=n)  # one of the first ten steps (or T/2 if fewer)
    r = rng.integers(0, T // 2 - 1, size=n)  # one of the first T/2 - 1 still unmarked steps
    p2 = r + (r >= p1)
    markers = np.zeros(shape, dtype=np.float32)
    markers[:, 0] = -1.0
    markers[rows, lengths - 1] = -1.0
    markers[rows, p1] = 1.0
    markers[rows, p2] = 1.0
    values[markers[:, 0] == 1, 0] = neutral  # "the first pair ... gets marked"
    x1, x2 = values[rows, p1], values[rows, p2]
    if name == "adding":
        y = (0.5 + (x1 + x2) / 4)[:, None]
    elif name == "multiplication":
        y = (x1 * x2)[:, None]
    else:
        y = _one_hot((x1 != x2).astype(np.int64), 2)
    positions = np.sort(np.stack([p1, p2], axis=1), axis=1)
    return _batch(name, np.stack([values, markers], axis=2), y, lengths, positions)


def _batch(name: str, x: np.ndarray, y: np.ndarray, lengths: np.ndarray, positions: np.ndarray) -> Batch:
    """Zero ``x`` after each length and wrap everything as tensors."""
    x[np.arange(x.shape[1]) >= lengths[:, None]] = 0.0
    kind = "classification" if name in ("xor", "temporal_order", "temporal_order_3bit", "parity") else "regression"
    return Batch(
        x=torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32)),  # on the default device
        y=torch.as_tensor(np.ascontiguousarray(y, dtype=np.float32)),
        lengths=torch.as_tensor(lengths.astype(np.int64)),
        kind=kind,
        task=name,
        positions=torch.as_tensor(positions.astype(np.int64)),
    )


def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(check_seed(seed))


def _batch_bytes(n: int, T: int, u: int, variable_length: bool) -> int:
    """About what drawing a batch takes: the float32 inputs and the generator's intermediate
    arrays, 4u + 16 bytes a step, for ``n`` sequences of up to ``T + T // 10`` steps."""
    return n * (T + T // 10 if variable_length else T) * (4 * u + 16)


def _check_size(n: int, T: int, u: int, variable_length: bool) -> None:
    """Refuse a batch beyond the package's memory limit, before drawing it."""
    check_memory(_batch_bytes(n, T, u, variable_length), f"a batch of {n} sequences of length {T}", "n and T")


def _lengths(rng: np.random.Generator, n: int, T: int, variable_length: bool) -> np.ndarray:
    """Lengths uniform in {T, ..., T + floor(T/10)}, or all T."""
    if not variable_length:
        return np.full(n, T, dtype=np.int64)
    return T + rng.integers(0, T // 10 + 1, size=n)


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[labels]


def _check_T(T, name: str) -> int:
    T = check_positive_int(T, "T")
    minimum, reason = _MIN_T[name]
    if T < minimum:
        raise ValueError(f"T must be at least {minimum} for {name!r} ({reason}), got {T}")
    return T


def _check_n_markers(n_markers) -> int:
    if isinstance(n_markers, bool) or not isinstance(n_markers, (int, np.integer)) or n_markers not in (2, 3):
        raise ValueError(f"n_markers must be 2 (task 6a) or 3 (task 6b), got {n_markers!r}")
    return int(n_markers)


def _check_tol(tol) -> float:
    return check_float(tol, "tol", low=0.0, low_open=True)
