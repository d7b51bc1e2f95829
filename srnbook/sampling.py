r"""Random labelled words from a DFA (section 8.1 of Franchi, Mitarchuk & Eyraud).

The report generates training data for a DFA :math:`(\Sigma, Q, q_0, \delta, F)` as follows:

* the length :math:`L` of a word follows a Poisson law of parameter :math:`\lambda`;
* starting in :math:`q_0`, each letter is drawn from a distribution
  :math:`\mathbb{P}_{q}` over :math:`\Sigma` attached to the current state
  :math:`q` (a row of a :math:`|Q| \times |\Sigma|` matrix :math:`\mathbb{P}`),
  and the DFA moves to :math:`\delta(q, a)`;
* after :math:`L` letters the word is labelled by whether the state is in :math:`F`.

:func:`letter_distribution` builds :math:`\mathbb{P}` ("equal" or "no obvious
negative"), :func:`sample_words` draws words, vectorized over all words at once
(one step of every unfinished word per position), and :func:`balanced_dataset`
draws a data set with a prescribed share of positive words.

Example
-------
>>> from srnbook.dfa import even_as
>>> words = sample_words(even_as(), 5, lam=4.0, seed=0)
>>> len(words), words.symbols.dtype, words.labels.dtype
(5, dtype('uint8'), dtype('bool'))
>>> words.labels.tolist() == even_as().accepts_many(words.strings()).tolist()
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ._validation import (ArgumentTypeError, _shown, check_choice, check_dtype, check_memory,
                          check_positive_int, check_seed)
from .dfa import DFA, _check_alphabet

DISTRIBUTIONS = ("equal", "no_obvious_negative")
_TAIL = 1e-15  # conditional sampling ignores lengths whose total mass is below this share


# ---------------------------------------------------------------------- words


@dataclass(frozen=True, eq=False)
class Words:
    """A batch of words over ``alphabet``, padded, with their labels.

    Attributes
    ----------
    symbols
        ``(n, T)`` unsigned integers: ``symbols[i, t]`` is the index in ``alphabet``
        of letter ``t`` of word ``i`` for ``t < lengths[i]``, and 0 after it;
        :math:`T` is the longest length (``uint8`` for at most 256 symbols).
    lengths
        ``(n,)`` int64 word lengths (0 is the empty word).
    labels
        ``(n,)`` bool: whether the DFA accepts each word.
    alphabet
        The symbols, in the order of the DFA's columns.
    """

    symbols: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    alphabet: tuple[str, ...]

    def __post_init__(self):
        alphabet = _check_alphabet(self.alphabet, "alphabet")
        lengths = _integer_array(self.lengths, "lengths", 1)
        n = len(lengths)
        symbols = _integer_array(self.symbols, "symbols", 2)
        if symbols.shape[0] != n:
            raise ValueError(f"symbols must have one row per word ({n}, the length of lengths), "
                             f"got shape {symbols.shape}")
        if n and (lengths.min() < 0 or lengths.max() > symbols.shape[1]):
            raise ValueError(f"lengths must be in [0, {symbols.shape[1]}] (the width of symbols), "
                             f"got {int(lengths.min())} to {int(lengths.max())}")
        if symbols.size and (symbols.min() < 0 or symbols.max() >= len(alphabet)):
            raise ValueError(f"symbols must be indices into alphabet, in [0, {len(alphabet) - 1}], "
                             f"got {int(symbols.min())} to {int(symbols.max())}")
        labels = np.asarray(self.labels)
        if labels.shape != (n,) or labels.dtype != bool:
            raise ValueError(f"labels must be a boolean array of length {n} (one per word), "
                             f"got {labels.dtype} of shape {labels.shape}")
        object.__setattr__(self, "alphabet", alphabet)
        object.__setattr__(self, "labels", labels)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index) -> "Words":
        """The words selected by ``index`` (an integer array, a boolean mask or a slice).

        The symbols are padded to the longest selected word.
        """
        if isinstance(index, (int, np.integer)):
            index = [index]
        lengths = self.lengths[index]
        width = int(lengths.max()) if len(lengths) else 0
        return Words(self.symbols[index, :width], lengths, self.labels[index], self.alphabet)

    def strings(self) -> list[str]:
        """The words as Python strings (every symbol of the alphabet must be one character)."""
        if any(len(s) != 1 for s in self.alphabet):
            raise ValueError(f"strings() needs one-character symbols, the alphabet is {self.alphabet!r}; "
                             "use symbols and lengths instead")
        n, width = self.symbols.shape
        if width == 0:
            return [""] * n
        codes = np.array([ord(s) for s in self.alphabet], dtype=np.uint32)[self.symbols]
        codes[np.arange(width) >= self.lengths[:, None]] = 0  # numpy strips trailing NULs from 'U' strings
        return codes.view(f"U{width}").ravel().tolist()

    def one_hot(self, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        r"""``(x, lengths)`` for :class:`srnbook.SRN`: ``x`` is ``(n, T, |Σ|)`` one-hot, zero past each length.

        :math:`T` is at least 1. ``lengths`` is an int64 tensor; the SRN needs
        lengths of at least 1, so leave out empty words (``words[words.lengths > 0]``).
        """
        return self._one_hot(check_dtype(dtype), "dtype")

    def _one_hot(self, dtype: torch.dtype, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`one_hot`; a size beyond the memory limit is refused naming the argument ``name``."""
        n, width = self.symbols.shape
        check_memory(n * max(width, 1) * len(self.alphabet) * dtype.itemsize,
                     f"one-hot inputs of {n} words of length up to {width}", name)
        x = torch.zeros(n, max(width, 1), len(self.alphabet), dtype=dtype)
        valid = torch.from_numpy(np.arange(width) < self.lengths[:, None])
        x[:, :width].scatter_(2, torch.from_numpy(self.symbols.astype(np.int64)).unsqueeze(2),
                              valid.unsqueeze(2).to(dtype))
        return x, torch.from_numpy(self.lengths.copy())


def _integer_array(value, name: str, ndim: int) -> np.ndarray:
    """``value`` if it is a NumPy integer array with ``ndim`` dimensions."""
    if not isinstance(value, np.ndarray):
        raise ArgumentTypeError(f"{name} must be a NumPy integer array, got {_shown(value)}")
    if value.ndim != ndim or not np.issubdtype(value.dtype, np.integer):
        raise ValueError(f"{name} must be a {ndim}-D NumPy integer array, got {_shown(value)}")
    return value


def _concatenate(parts: list[Words]) -> Words:
    width = max(p.symbols.shape[1] for p in parts)
    symbols = np.zeros((sum(len(p) for p in parts), width), dtype=parts[0].symbols.dtype)
    row = 0
    for p in parts:
        symbols[row:row + len(p), :p.symbols.shape[1]] = p.symbols
        row += len(p)
    return Words(symbols, np.concatenate([p.lengths for p in parts]),
                 np.concatenate([p.labels for p in parts]), parts[0].alphabet)


# ---------------------------------------------------------------------- letter distributions


def rejecting_sinks(dfa: DFA) -> np.ndarray:
    r"""Boolean mask of the rejecting sinks: :math:`q \notin F` with :math:`\delta(q, a) = q` for every :math:`a`."""
    _check_dfa(dfa)
    return ~dfa.accepting & (dfa.delta == np.arange(dfa.n_states)[:, None]).all(axis=1)


def letter_distribution(dfa: DFA, kind="equal") -> np.ndarray:
    r"""The matrix :math:`\mathbb{P}`, :math:`(|Q|, |\Sigma|)`: row :math:`q`, the law of the next letter in :math:`q`.

    Parameters
    ----------
    dfa
        The automaton.
    kind
        ``"equal"``: every letter has probability :math:`1/|\Sigma|` (pure random
        words). ``"no_obvious_negative"``: in every state that is not itself a
        rejecting sink (see :func:`rejecting_sinks`), the letters leading to a
        rejecting sink get probability 0 and the others share the mass equally;
        states whose every letter leads to a sink, and the sinks themselves, keep
        the equal distribution ("as far as possible", section 8.1). Or an array,
        checked and returned as float64: shape :math:`(|Q|, |\Sigma|)`,
        nonnegative, finite, rows summing to 1.

    Examples
    --------
    The report's example: the even-a DFA with a letter c leading to a sink.

    >>> d = DFA([[1, 0, 2], [0, 1, 2], [2, 2, 2]], [True, False, False])
    >>> letter_distribution(d, "no_obvious_negative").round(3).tolist()
    [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.333, 0.333, 0.333]]
    """
    _check_dfa(dfa)
    return _letter_distribution(dfa, kind, "kind")


def _letter_distribution(dfa: DFA, kind, name: str) -> np.ndarray:
    """:func:`letter_distribution`, with errors naming the argument ``name``."""
    shape = (dfa.n_states, dfa.n_symbols)
    if isinstance(kind, str):
        check_choice(kind, name, DISTRIBUTIONS)
        allowed = np.ones(shape, dtype=bool)
        if kind == "no_obvious_negative":
            sink = rejecting_sinks(dfa)
            allowed = ~sink[dfa.delta]
            allowed[sink | ~allowed.any(axis=1)] = True
        return allowed / allowed.sum(axis=1, keepdims=True)
    try:
        p = np.array(kind, dtype=np.float64) if isinstance(kind, (list, tuple, np.ndarray)) else None
    except (TypeError, ValueError):
        p = None
    if p is None:
        names = ", ".join(repr(k) for k in DISTRIBUTIONS)
        raise ArgumentTypeError(f"{name} must be one of {names} or an array of shape {shape}, got {kind!r}")
    if p.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (|Q|, |Σ|), got {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError(f"{name} must hold finite nonnegative probabilities")
    sums = p.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
        q = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"every row of {name} must sum to 1, row {q} sums to {float(sums[q]):.6g}")
    return p


# ---------------------------------------------------------------------- sampling


def sample_words(dfa: DFA, n: int, lam: float = 10.0, distribution="equal", seed=0,
                 label: bool | None = None) -> Words:
    r"""Draw ``n`` labelled words as in section 8.1 of the report.

    Each word has a length :math:`L \sim \mathrm{Poisson}(\lambda)`; from
    :math:`q_0`, every letter is drawn from the row of :math:`\mathbb{P}`
    (:func:`letter_distribution`) of the current state, then :math:`\delta` moves;
    the label is whether the last state is accepting. All words advance together:
    step :math:`t` draws one uniform number per word still shorter than its length
    and reads the letter and the next state in a lookup table, so the cost is a
    few numpy operations per position, not per word.

    Parameters
    ----------
    dfa
        The automaton.
    n
        Number of words (positive).
    lam
        :math:`\lambda \ge 0`, the mean length.
    distribution
        ``"equal"``, ``"no_obvious_negative"`` or a :math:`(|Q|, |\Sigma|)` array (see
        :func:`letter_distribution`).
    seed
        An integer in :math:`[0, 2^{64})`: the same seed draws the same words.
    label
        ``None``: the words of the process above. ``True`` (``False``): words drawn
        from that process *conditioned* on being accepted (rejected); lengths and
        letters then follow exactly the law of rejection sampling (draw, keep the
        words with that label), but without rejecting: the probability of each
        letter is reweighted by the chance of ending with the label from the next
        state in the remaining number of steps. Lengths whose share of that
        conditional law is below 1e-15 are never drawn. Raises ``ValueError`` when
        no word of positive probability has the label.

    Returns
    -------
    Words
        ``symbols`` (``(n, T)`` letter indices, padded with 0), ``lengths``, ``labels``.
    """
    _check_dfa(dfa)
    n = check_positive_int(n, "n")
    lam = _check_lam(lam)
    if label is not None and not isinstance(label, (bool, np.bool_)):
        raise ArgumentTypeError(f"label must be None, True or False, got {label!r}")
    p = _letter_distribution(dfa, distribution, "distribution")
    seed = check_seed(seed)
    _check_size(dfa, n, lam, label is not None)
    return _sample_words(dfa, n, lam, p, np.random.default_rng(seed), label, distribution)


def _sample_words(dfa: DFA, n: int, lam: float, p: np.ndarray, rng: np.random.Generator, label,
                  distribution) -> Words:
    """:func:`sample_words` with checked arguments, drawing from ``rng``."""
    if label is None:
        lengths = rng.poisson(lam, size=n).astype(np.int64)
        table = _cumulative(p)[None]  # one table for every number of remaining steps
    else:
        weight, table = _conditional(dfa, p, lam, bool(label), distribution)
        cdf = np.cumsum(weight)
        last = int(np.flatnonzero(weight)[-1])  # rounding must not pick a length of weight 0
        lengths = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").clip(0, last)
    symbols, final = _walk(dfa.delta, table, lengths, rng)
    return Words(symbols, lengths, dfa.accepting[final], dfa.alphabet)


def balanced_dataset(dfa: DFA, n: int, lam: float = 10.0, distribution="equal", seed=0,
                     positive_fraction: float = 0.5) -> Words:
    r"""``n`` labelled words, ``round(n * positive_fraction)`` of them accepted, in random order.

    Section 8.1 draws words until :math:`N/2` are positive, keeps :math:`N/2`
    negatives, and reweights the edge probabilities when one label is rare. This
    function draws ``n`` words with :func:`sample_words`, keeps as many of each
    label as needed, and draws the missing ones with ``sample_words(label=...)``,
    which reweights the edges exactly: every positive (negative) word has the law
    of a word of the process conditioned on being positive (negative), as if the
    first draw had gone on until both quotas were met, however rare a label is.

    Parameters are those of :func:`sample_words` (``seed``: an integer in :math:`[0, 2^{64})`),
    plus ``positive_fraction`` in :math:`[0, 1]`. Raises ``ValueError`` naming the language when a
    needed label
    is impossible (for instance an empty language and ``positive_fraction > 0``).
    """
    _check_dfa(dfa)
    n = check_positive_int(n, "n")
    lam = _check_lam(lam)
    p = _letter_distribution(dfa, distribution, "distribution")
    seed = check_seed(seed)
    real = isinstance(positive_fraction, (int, float, np.integer, np.floating)) and \
        not isinstance(positive_fraction, (bool, np.bool_))
    if not real or not 0 <= positive_fraction <= 1:
        raise (ValueError if real else ArgumentTypeError)(
            f"positive_fraction must be a number in [0, 1], got {positive_fraction!r}")
    _check_size(dfa, n, lam, True)
    rng = np.random.default_rng(seed)
    wanted = {True: int(round(n * positive_fraction))}
    wanted[False] = n - wanted[True]
    first = _sample_words(dfa, n, lam, p, rng, None, distribution)
    parts = []
    for label, count in wanted.items():
        if count == 0:
            continue
        kept = np.flatnonzero(first.labels == label)[:count]
        parts.append(first[kept])
        if len(kept) < count:
            parts.append(_sample_words(dfa, count - len(kept), lam, p, rng, label, distribution))
    words = _concatenate([p for p in parts if len(p)])
    return words[rng.permutation(n)]


# ---------------------------------------------------------------------- internals


def _check_dfa(dfa) -> None:
    if not isinstance(dfa, DFA):
        raise ArgumentTypeError(f"dfa must be a srnbook.dfa.DFA, got {_shown(dfa)}")


def _check_lam(lam) -> float:
    real = isinstance(lam, (int, float, np.integer, np.floating)) and not isinstance(lam, (bool, np.bool_))
    if not real or not math.isfinite(lam) or lam < 0:
        raise (ValueError if real else ArgumentTypeError)(
            f"lam must be a finite number >= 0 (the mean word length), got {lam!r}")
    return float(lam)


_WORD_BYTES = 64  # per word drawn: its length, order, state, draws and indices in _walk


def _check_size(dfa: DFA, n: int, lam: float, conditional: bool) -> None:
    """Refuse, before drawing, ``n`` words of mean length ``lam`` beyond the memory limit.

    The words take about ``n (64 + 2 L)`` bytes, :math:`L = \\lambda + 6\\sqrt\\lambda + 6` a
    length that the longest of them rarely exceeds; drawing words with a given label also
    builds one letter table per length up to :math:`L` (:func:`_conditional`).
    """
    longest = lam + 6 * math.sqrt(lam) + 6
    itemsize = 1 if dfa.n_symbols <= 256 else 4
    nbytes = n * (_WORD_BYTES + 2 * longest * itemsize)
    if conditional:
        nbytes += 4 * 8 * longest * dfa.n_states * dfa.n_symbols
    check_memory(nbytes, f"{n} words of mean length {lam:g} from a DFA with {dfa.n_states} states",
                 "n and lam")


def _cumulative(p: np.ndarray) -> np.ndarray:
    """Cumulative rows of ``p`` for :func:`_walk`.

    Entry ``j`` is :math:`\\sum_{i \\le j} p_i`, except that it is 1.5 once no
    positive mass is left after ``j`` (the last entry always): a uniform
    ``u < 1`` then never passes it, even after rounding, so a letter of probability
    0 is never drawn.
    """
    cum = np.cumsum(p, axis=-1)
    rest = np.cumsum(p[..., ::-1], axis=-1)[..., ::-1]  # mass of letters j, j+1, ...
    cum[..., :-1][rest[..., 1:] == 0] = 1.5
    cum[..., -1] = 1.5
    return cum


def _walk(delta: np.ndarray, table: np.ndarray, lengths: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Run every word from q0 for ``lengths[i]`` steps; return the letters ``(n, T)`` and the final states.

    ``table[r - 1, q]`` is the cumulative letter law (:func:`_cumulative`) in state
    ``q`` with ``r`` letters to go; a table with one row serves every ``r``. Words
    are processed longest first, so the unfinished ones are always a prefix of the
    arrays. Each step draws one uniform ``u`` per unfinished word and reads the
    letter and the next state in a lookup table indexed by the row ``k = (r - 1)|Q| + q``
    and the bin ``floor(u K)``; the few bins that straddle a cumulative bound
    fall back to a ``searchsorted`` of ``2k + u`` in the flat table whose row ``k``
    is shifted by ``2k`` (rows never overlap), which returns ``k |Σ| + letter``.
    """
    n, (n_states, n_symbols) = len(lengths), delta.shape
    rows = table.reshape(-1, n_symbols)
    next_state = delta.ravel().astype(np.int32)
    budget = min(2**20, max(2**12, int(lengths.sum())))  # table entries: no more than letters to draw
    bins, lut_state, lut_letter = _lookup(rows, next_state, n_states, budget)
    flat = (rows + 2.0 * np.arange(len(rows))[:, None]).ravel()
    order = np.argsort(-lengths, kind="stable")
    width = int(lengths.max())
    active = n - np.cumsum(np.bincount(lengths, minlength=width + 1))  # active[t]: words longer than t
    letters = np.zeros((width, n), dtype=np.uint8 if n_symbols <= 256 else np.int32)
    state = np.zeros(n, dtype=np.int32)
    to_go = lengths[order].astype(np.int32) - 1  # r - 1 at t = 0
    for t in range(width):
        m = int(active[t])
        row = state[:m] if len(rows) == n_states else (to_go[:m] - t) * n_states + state[:m]
        u = rng.random(m)
        cell = (u * bins).astype(np.int32)
        cell += row * bins
        new, letter = lut_state[cell], lut_letter[cell]
        edge = np.flatnonzero(new < 0)
        if len(edge):
            found = np.searchsorted(flat, u[edge] + 2.0 * row[edge], side="right") % (n_states * n_symbols)
            new[edge], letter[edge] = next_state[found], found % n_symbols
        state[:m] = new
        letters[t, :m] = letter
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return np.ascontiguousarray(letters[:, inverse].T), state[inverse]


def _lookup(rows: np.ndarray, next_state: np.ndarray, n_states: int, budget: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Lookup tables of :func:`_walk`: for row ``k`` and bin ``b``, the next state and letter, or -1.

    A bin ``[b / K, (b + 1) / K)`` gets a letter only if every ``u`` in it draws
    that letter; ``K`` is a power of 2 (so ``floor(u K)`` is exact), from 16 to
    4096, and the largest with at most ``budget`` entries in all (if possible).
    """
    n_rows, n_symbols = rows.shape
    bins = 2 ** int(np.clip(np.floor(np.log2(budget / n_rows)), 4, 12))
    low = np.arange(bins) / bins
    high = np.nextafter((np.arange(bins) + 1) / bins, 0)  # the largest u of each bin
    first = np.zeros((n_rows, bins), dtype=np.int32)
    last = np.zeros((n_rows, bins), dtype=np.int32)
    for j in range(n_symbols):
        first += rows[:, j, None] <= low
        last += rows[:, j, None] <= high
    cell = (np.arange(n_rows) % n_states)[:, None] * n_symbols + first  # q |Σ| + letter
    lut_state = np.where(first == last, next_state[cell], -1).astype(np.int32)
    lut_letter = first.astype(np.uint8 if n_symbols <= 256 else np.int32)
    return bins, lut_state.ravel(), lut_letter.ravel()


def _conditional(dfa: DFA, p: np.ndarray, lam: float, label: bool, distribution) -> tuple[np.ndarray, np.ndarray]:
    r"""Length weights and per-step letter tables of the process conditioned on ending with ``label``.

    :math:`A_r(q)`, the probability of ending in a state with the label after
    :math:`r` more letters from :math:`q`, satisfies :math:`A_0(q) = 1[q \in F] = label`,
    :math:`A_r(q) = \sum_a \mathbb{P}_{q,a} A_{r-1}(\delta(q, a))`. The length law is
    :math:`\mathrm{Poisson}(L; \lambda) A_L(q_0)`, renormalized; with :math:`r`
    letters to go in :math:`q`, letter :math:`a` has weight
    :math:`\mathbb{P}_{q,a} A_{r-1}(\delta(q, a))` (a Doob transform of the edge
    probabilities). Each :math:`A_r` is stored rescaled to max 1, its log scale
    apart. Lengths stop once the Poisson tail is below 1e-15 of the mass found;
    if no length below :math:`|Q|` has the label, none has (shortest paths).
    """
    rows = [(dfa.accepting == label).astype(np.float64)]
    log_scale, log_weights = 0.0, []
    while True:
        length = len(rows) - 1
        a0 = rows[-1][0]
        log_pois = -math.inf if (lam == 0 and length > 0) else \
            (0.0 if lam == 0 else length * math.log(lam) - lam - math.lgamma(length + 1))
        log_weights.append(log_pois + (math.log(a0) + log_scale if a0 > 0 else -math.inf))
        log_total = float(np.logaddexp.reduce(log_weights))
        found = log_total > -math.inf
        # sum of Poisson(L) for L > length <= 2 Poisson(length + 1) once length + 2 >= 2 lam
        tail = log_pois + math.log(2 * lam / (length + 1)) if lam > 0 else -math.inf
        if lam == 0 or rows[-1].max() == 0 or (not found and length >= dfa.n_states) or \
                (found and length + 2 >= 2 * lam and tail < log_total + math.log(_TAIL)):
            break
        nxt = (p * rows[-1][dfa.delta]).sum(axis=1)
        top = nxt.max()
        rows.append(nxt / top if top > 0 else nxt)
        log_scale += math.log(top) if top > 0 else 0.0
    if not found:
        what = "accepted" if label else "rejected"
        if _reachable_label(dfa, label):
            name = repr(distribution) if isinstance(distribution, str) else "given as an array"
            reason = f"no {what} word has positive probability with lam={lam} and distribution {name}"
        else:
            reason = f"no word is {what}: " + ("the language is empty" if label else "every word is accepted")
        raise ValueError(f"cannot draw {what} words from {dfa!r}: {reason}")
    weight = np.exp(np.array(log_weights) - log_total)
    weight[weight < _TAIL] = 0.0
    h = np.stack(rows[:max(len(rows) - 1, 1)])  # A_{r-1} for r = 1 .. max length
    w = p[None] * h[:, dfa.delta]  # (max length, |Q|, |Σ|)
    total = w.sum(axis=2, keepdims=True)
    w = np.where(total > 0, w / np.where(total > 0, total, 1.0), p[None])  # rows never visited: any law
    return weight, _cumulative(w)


def _reachable_label(dfa: DFA, label: bool) -> bool:
    """Whether some state with the label is reachable from q0 (whatever the letter probabilities)."""
    seen, frontier = {0}, [0]
    while frontier:
        q = frontier.pop()
        if dfa.accepting[q] == label:
            return True
        for r in map(int, dfa.delta[q]):
            if r not in seen:
                seen.add(r)
                frontier.append(r)
    return False
