r"""Deterministic finite automata (Definition 3 of Franchi, Mitarchuk & Eyraud).

A DFA :math:`(\Sigma, Q, q_0, \delta, F)` is stored as the report stores it: an
integer table ``delta`` of shape :math:`(|Q|, |\Sigma|)` with ``delta[i, j] = k``
meaning :math:`\delta(q_i, \Sigma_j) = q_k`, a boolean vector ``accepting`` of
length :math:`|Q|` (the set :math:`F`), and the start state :math:`q_0 = 0`.
States and symbols are indexed from 0.
"""

from __future__ import annotations

import string
from collections import deque
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ._validation import check_positive_int


class DFA:
    """A complete DFA over a finite alphabet, with start state 0.

    Parameters
    ----------
    delta
        Integer array of shape ``(n_states, n_symbols)``, entries in ``[0, n_states)``.
    accepting
        Boolean array of length ``n_states``.
    alphabet
        The symbols, in the order of ``delta``'s columns (default: the first
        ``n_symbols`` lowercase letters). Symbols are strings, distinct and non-empty.
    """

    def __init__(self, delta, accepting, alphabet: Sequence[str] | None = None):
        delta = np.asarray(delta)
        if delta.ndim != 2 or delta.shape[0] == 0:
            raise ValueError(f"delta must be a 2-D array of shape (n_states, n_symbols), got shape {delta.shape}")
        if delta.shape[1] == 0:
            raise ValueError("the alphabet is empty: delta has no columns")
        if not np.issubdtype(delta.dtype, np.integer):
            raise ValueError(f"delta must hold integers (state indices), got dtype {delta.dtype}")
        n, k = delta.shape
        bad = np.argwhere((delta < 0) | (delta >= n))
        if len(bad):
            i, j = bad[0]
            raise ValueError(f"delta[{i}, {j}] = {delta[i, j]} is not a state (expected 0 to {n - 1})")
        accepting = np.asarray(accepting)
        if accepting.shape != (n,) or accepting.dtype != bool:
            raise ValueError(f"accepting must be a boolean array of length {n} (one flag per state), "
                             f"got {accepting.dtype} of shape {accepting.shape}")
        if alphabet is None:
            if k > 26:
                raise ValueError(f"give an alphabet: the default (lowercase letters) has 26 symbols, delta has {k}")
            alphabet = tuple(string.ascii_lowercase[:k])
        alphabet = tuple(alphabet)
        if len(alphabet) != k:
            raise ValueError(f"alphabet must have {k} symbols (one per column of delta), got {len(alphabet)}")
        if any(not isinstance(s, str) or s == "" for s in alphabet):
            raise ValueError(f"alphabet symbols must be non-empty strings, got {alphabet!r}")
        if len(set(alphabet)) != k:
            duplicates = sorted({s for s in alphabet if alphabet.count(s) > 1})
            raise ValueError(f"alphabet has duplicate symbols: {duplicates}")
        self.delta = delta.astype(np.int64)
        self.delta.flags.writeable = False
        self.accepting = accepting.copy()
        self.accepting.flags.writeable = False
        self._alphabet = alphabet
        self._index = {s: j for j, s in enumerate(alphabet)}

    # ------------------------------------------------------------------ basics

    @property
    def n_states(self) -> int:
        """:math:`|Q|`."""
        return self.delta.shape[0]

    @property
    def n_symbols(self) -> int:
        r""":math:`|\Sigma|`."""
        return self.delta.shape[1]

    @property
    def alphabet(self) -> tuple[str, ...]:
        return self._alphabet

    def __repr__(self) -> str:
        return f"DFA(n_states={self.n_states}, alphabet={self.alphabet!r}, accepting={int(self.accepting.sum())} states)"

    def encode(self, word) -> np.ndarray:
        """The symbol indices of ``word`` (a string of one-character symbols, or a sequence of symbols)."""
        if isinstance(word, str) and any(len(s) != 1 for s in self.alphabet):
            raise ValueError("this alphabet has multi-character symbols: give the word as a sequence of symbols")
        try:
            return np.fromiter((self._index[s] for s in word), dtype=np.int64)
        except KeyError as error:
            raise ValueError(f"unknown symbol {error.args[0]!r} in word; the alphabet is {self.alphabet!r}") from None

    def run(self, word) -> list[int]:
        """The state sequence :math:`q_0, \\delta(q_0, w_1), \\dots` (length ``len(word) + 1``)."""
        states = [0]
        for j in self.encode(word):
            states.append(int(self.delta[states[-1], j]))
        return states

    def accepts(self, word) -> bool:
        """Whether the state reached after reading ``word`` is accepting."""
        return bool(self.accepting[self.run(word)[-1]])

    def accepts_many(self, words: Iterable) -> np.ndarray:
        """:meth:`accepts` for many words at once, vectorized over the words (one step per position)."""
        codes = [self.encode(w) for w in words]
        if not codes:
            return np.zeros(0, dtype=bool)
        lengths = np.array([len(c) for c in codes])
        padded = np.zeros((len(codes), max(lengths.max(), 1)), dtype=np.int64)
        for i, c in enumerate(codes):
            padded[i, :len(c)] = c
        state = np.zeros(len(codes), dtype=np.int64)
        for t in range(padded.shape[1]):
            active = lengths > t
            state[active] = self.delta[state[active], padded[active, t]]
        return self.accepting[state].copy()

    # ------------------------------------------------------------------ constructions

    @classmethod
    def complete(cls, transitions: dict, accepting: Iterable[int], alphabet: Sequence[str],
                 n_states: int | None = None) -> "DFA":
        """A DFA from a partial specification; missing transitions go to a rejecting sink.

        ``transitions`` maps ``(state, symbol)`` to a state, ``accepting`` lists the
        accepting states. A sink state (numbered ``n_states``) is added only if some
        transition is missing (footnote 9 of the report).
        """
        alphabet = tuple(alphabet)
        index = {s: j for j, s in enumerate(alphabet)}
        states = {q for (q, _), r in transitions.items() for q in (q, r)} | set(accepting) | {0}
        n = n_states if n_states is not None else max(states) + 1
        if any(not isinstance(q, (int, np.integer)) or q < 0 or q >= n for q in states):
            raise ValueError(f"states must be integers in [0, {n}), got {sorted(states, key=str)}")
        sink = n
        delta = np.full((n + 1, len(alphabet)), sink, dtype=np.int64)
        for (q, s), r in transitions.items():
            if s not in index:
                raise ValueError(f"unknown symbol {s!r} in transitions; the alphabet is {alphabet!r}")
            delta[q, index[s]] = r
        flags = np.zeros(n + 1, dtype=bool)
        flags[list(accepting)] = True
        if (delta[:n] != sink).all():
            return cls(delta[:n], flags[:n], alphabet)
        return cls(delta, flags, alphabet)

    @classmethod
    def random(cls, n_states: int, n_symbols: int, seed: int = 0) -> "DFA":
        """A uniformly random transition table and acceptance vector (seeded)."""
        n = check_positive_int(n_states, "n_states")
        k = check_positive_int(n_symbols, "n_symbols")
        rng = np.random.default_rng(seed)
        return cls(rng.integers(0, n, size=(n, k)), rng.random(n) < 0.5)

    @classmethod
    def from_att(cls, path, alphabet: Sequence[str] | None = None) -> "DFA":
        """Read an acceptor in AT&T text format (as MLRegTest ships them).

        Transition lines are ``src dst in out`` (tab-separated, ``in == out``); a
        line with one or two fields names a final state; the start state is the
        source of the first line (renamed q_0 if it is not 0). Symbols may be any strings (accented letters
        included); the alphabet is ``alphabet`` if given (it must contain every
        symbol used), otherwise the set of symbols used, sorted. Partial
        automata are completed with a rejecting sink.
        """
        text = Path(path).read_text(encoding="utf-8")
        transitions, finals, start = {}, [], None
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.strip().split()
            if not fields:
                continue
            if len(fields) in (1, 2):
                finals.append(int(fields[0]))
            elif len(fields) >= 4:
                src, dst, symbol = int(fields[0]), int(fields[1]), fields[2]
                if fields[3] != symbol:
                    raise ValueError(f"{path}:{number}: not an acceptor (input {symbol!r}, output {fields[3]!r})")
                if start is None:
                    start = src
                if transitions.get((src, symbol), dst) != dst:
                    raise ValueError(f"{path}:{number}: two transitions from state {src} on {symbol!r}")
                transitions[(src, symbol)] = dst
            else:
                raise ValueError(f"{path}:{number}: expected 'src dst in out' or 'state', got {line!r}")
        if start is None:
            raise ValueError(f"{path}: no transitions")
        if start != 0:  # Definition 3 starts in q_0: swap the names of the start state and state 0
            swap = {start: 0, 0: start}
            transitions = {(swap.get(q, q), a): swap.get(r, r) for (q, a), r in transitions.items()}
            finals = [swap.get(q, q) for q in finals]
        used = sorted({s for (_, s) in transitions})
        if alphabet is None:
            alphabet = used
        elif not set(used) <= set(alphabet):
            raise ValueError(f"{path}: symbols {sorted(set(used) - set(alphabet))} are not in alphabet")
        return cls.complete(transitions, finals, alphabet)

    # ------------------------------------------------------------------ algorithms

    def minimize(self) -> "DFA":
        """The minimal equivalent DFA (Moore's partition refinement), states numbered breadth-first.

        Unreachable states are dropped, then states are split by acceptance and
        refined until no transition separates two states of a block. The result is
        canonical: two equivalent DFAs over the same alphabet minimize to the same table.
        """
        reduced = _breadth_first(self.delta, self.accepting, 0, self.alphabet)
        delta, accepting = reduced.delta, reduced.accepting
        # block ids from np.unique(return_inverse=True) are 0..m-1, so max + 1 counts them
        _, block = np.unique(accepting, return_inverse=True)  # split by acceptance
        block = block.reshape(-1)
        while True:
            signature = np.concatenate([block[:, None], block[delta]], axis=1)
            _, refined = np.unique(signature, axis=0, return_inverse=True)
            refined = refined.reshape(-1)
            if refined.max() == block.max():  # no block was split: stable
                break
            block = refined
        _, representative = np.unique(block, return_index=True)  # first state of each block
        return _breadth_first(block[delta[representative]], accepting[representative],
                              int(block[0]), self.alphabet)

    def equivalent(self, other: "DFA") -> tuple[str, ...] | None:
        """``None`` if both DFAs accept the same language, else a shortest word on which they differ.

        Breadth-first search over pairs of states; the word is returned as a tuple of symbols.
        """
        if not isinstance(other, DFA):
            raise ValueError(f"other must be a DFA, got {type(other).__name__}")
        if set(other.alphabet) != set(self.alphabet):
            raise ValueError(f"the alphabets differ: {self.alphabet!r} and {other.alphabet!r}")
        column = [other._index[s] for s in self.alphabet]
        parent = {(0, 0): None}
        queue = deque([(0, 0)])
        while queue:
            p, q = queue.popleft()
            if self.accepting[p] != other.accepting[q]:
                word = []
                node = (p, q)
                while parent[node] is not None:
                    node, symbol = parent[node]
                    word.append(symbol)
                return tuple(reversed(word))
            for j, s in enumerate(self.alphabet):
                nxt = (int(self.delta[p, j]), int(other.delta[q, column[j]]))
                if nxt not in parent:
                    parent[nxt] = ((p, q), s)
                    queue.append(nxt)
        return None


def _breadth_first(delta: np.ndarray, accepting: np.ndarray, start: int, alphabet) -> DFA:
    """The DFA restricted to the states reachable from ``start``, renumbered breadth-first."""
    order, seen = [start], {start}
    for q in order:
        for r in delta[q]:
            if int(r) not in seen:
                seen.add(int(r))
                order.append(int(r))
    number = {q: i for i, q in enumerate(order)}
    table = [[number[int(r)] for r in delta[q]] for q in order]
    return DFA(np.array(table, dtype=np.int64), accepting[order], alphabet)


# ---------------------------------------------------------------------- MLRegTest

_MLREGTEST = Path(__file__).parent / "data" / "mlregtest"


def mlregtest_names() -> list[str]:
    """Names of the MLRegTest automata shipped with srnbook (sorted), e.g. ``"04.04.Zp.2.1.0"``.

    The 327 acceptors over {a, b, c, d} with at most 30 states of the MLRegTest benchmark (van der Poel et
    al., JMLR 25(283), 2024), CC BY 4.0: see ``srnbook/data/mlregtest/README.md``.
    """
    return sorted(p.name[: -len(".att")] for p in _MLREGTEST.glob("*.att"))


def mlregtest(name: str) -> DFA:
    """The MLRegTest automaton ``name`` (see :func:`mlregtest_names`), total and over {a, b, c, d}.

    Its alphabet is the full alphabet of the benchmark's file name (the first field,
    ``04``: the letters a to d), even where the file itself uses fewer symbols.
    """
    path = _MLREGTEST / f"{name}.att"
    if not path.is_file():
        raise ValueError(f"name must be one of mlregtest_names(), got {name!r}")
    size = int(name.split(".")[0])
    return DFA.from_att(path, alphabet=string.ascii_lowercase[:size])


# ---------------------------------------------------------------------- examples from the report


def even_as() -> DFA:
    """Words over {a, b} with an even number of a's (the report's running example)."""
    return DFA([[1, 0], [0, 1]], [True, False], ("a", "b"))


def ends_with_a() -> DFA:
    """Words over {a, b, c} that end with an a."""
    return DFA([[1, 0, 0], [1, 0, 0]], [False, True], ("a", "b", "c"))
