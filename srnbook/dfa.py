r"""Deterministic finite automata (Definition 3 of Franchi, Mitarchuk & Eyraud).

A DFA :math:`(\Sigma, Q, q_0, \delta, F)` is stored as the report stores it: an
integer table ``delta`` of shape :math:`(|Q|, |\Sigma|)` with ``delta[i, j] = k``
meaning :math:`\delta(q_i, \Sigma_j) = q_k`, a boolean vector ``accepting`` of
length :math:`|Q|` (the set :math:`F`), and the start state :math:`q_0 = 0`.
States and symbols are indexed from 0.

Besides running, minimizing and comparing DFAs, the module draws them as SVG
(:meth:`DFA.to_svg`), and provides the report's examples, the seven Tomita
grammars (:func:`tomita`) and the MLRegTest automata (:func:`mlregtest`).
"""

from __future__ import annotations

import codecs
import itertools
import math
import os
import re
import string
from collections import deque
from collections.abc import Iterable as _Iterable
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ._validation import (ArgumentTypeError, _shown, check_instance, check_memory, check_positive_int,
                          check_seed, get_memory_limit)

_ENTRY_BYTES = 16  # per entry of a transition table: the int64 table and the constructor's checked copy
_SYMBOL_BYTES = 200  # per symbol of a generated alphabet ("s0", "s1", ...): the string and its index entry
_PAIR_BYTES = 300  # per pair of states visited by DFA.equivalent: a dict entry, its key and its parent


def _table_bytes(n_states: int, n_symbols: int) -> int:
    """Bytes that building a DFA with this transition table needs (the table and its checked copy)."""
    return _ENTRY_BYTES * n_states * n_symbols


def _as_array(value, name: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise ValueError(f"{name} must be an array (ragged nested lists are not), "
                         f"got {_shown(value)}") from None
    if array.dtype == object and array.ndim == 0:
        raise ArgumentTypeError(f"{name} must be an array, got {_shown(value)}")
    return array


def _check_table(delta, accepting) -> tuple[np.ndarray, np.ndarray]:
    """``delta`` and ``accepting`` as arrays, if they are a complete DFA's table (see :class:`DFA`)."""
    delta = _as_array(delta, "delta")
    if delta.ndim != 2 or delta.shape[0] == 0:
        raise ValueError(f"delta must be a 2-D array of shape (n_states, n_symbols), got shape {delta.shape}")
    if delta.shape[1] == 0:
        raise ValueError("the alphabet is empty: delta has no columns")
    if not np.issubdtype(delta.dtype, np.integer):
        raise ValueError(f"delta must hold integers (state indices), got dtype {delta.dtype}")
    n = delta.shape[0]
    bad = np.argwhere((delta < 0) | (delta >= n))
    if len(bad):
        i, j = bad[0]
        raise ValueError(f"delta[{i}, {j}] = {delta[i, j]} is not a state (expected 0 to {n - 1})")
    accepting = _as_array(accepting, "accepting")
    if accepting.shape != (n,) or accepting.dtype != bool:
        raise ValueError(f"accepting must be a boolean array of length {n} (one flag per state), "
                         f"got {accepting.dtype} of shape {accepting.shape}")
    return delta, accepting


def _check_alphabet(alphabet, name: str, size: int | None = None) -> tuple[str, ...]:
    """``alphabet`` as a tuple of distinct non-empty strings (``size`` of them if given).

    A bare string is refused, not read as its letters: ``("a", "b")``, not ``"ab"``.
    """
    if isinstance(alphabet, str):
        hint = repr(tuple(alphabet)) if 0 < len(alphabet) <= 8 else "a tuple of symbols"
        raise ArgumentTypeError(f"{name} must be a tuple or list of symbols, got the bare string "
                                f"{_shown(alphabet)}: pass {hint}")
    if not (isinstance(alphabet, (list, tuple)) or isinstance(alphabet, np.ndarray) and alphabet.ndim == 1):
        raise ArgumentTypeError(f"{name} must be a tuple or list of symbols (strings), "
                                f"got {_shown(alphabet)}")
    alphabet = tuple(alphabet)
    if size is not None and len(alphabet) != size:
        raise ValueError(f"{name} must have {size} symbols (one per column of delta), got {len(alphabet)}")
    if not alphabet:
        raise ValueError(f"{name} is empty: a DFA needs at least one symbol")
    if any(not isinstance(s, str) or s == "" for s in alphabet):
        raise ValueError(f"{name} symbols must be non-empty strings, got {alphabet!r}")
    alphabet = tuple(str(s) for s in alphabet)
    if len(set(alphabet)) != len(alphabet):
        duplicates = sorted({s for s in alphabet if alphabet.count(s) > 1})
        raise ValueError(f"{name} has duplicate symbols: {duplicates}")
    return alphabet


def _check_words(words, name: str) -> list:
    """``words`` as a list: an ordered collection of words. A bare string is refused (it would
    be read as one-letter words), and so are sets (their order is arbitrary)."""
    if isinstance(words, str):
        raise ArgumentTypeError(f"{name} must be a list of words, got the bare string {_shown(words)}, "
                                f"which would be read as {len(words)} one-letter words: pass a list "
                                f"of words, such as [{_shown(words)}] for one word")
    if isinstance(words, (set, frozenset, dict)) or not isinstance(words, _Iterable):
        raise ArgumentTypeError(f"{name} must be a list of words (an ordered collection), "
                                f"got {_shown(words)}")
    return list(words)


def _is_word(word) -> bool:
    return isinstance(word, (str, list, tuple)) or (isinstance(word, np.ndarray) and word.ndim == 1)


def _is_state(q) -> bool:
    return isinstance(q, (int, np.integer)) and not isinstance(q, (bool, np.bool_)) and q >= 0


def _check_states(states, name: str) -> list[int]:
    """``states`` as a list of ints: a collection of state numbers (nonnegative integers)."""
    if isinstance(states, (str, bytes, dict)) or not isinstance(states, _Iterable):
        raise ArgumentTypeError(f"{name} must be a list of states (nonnegative integers), "
                                f"got {_shown(states)}")
    states = list(states)
    bad = [q for q in states if not _is_state(q)]
    if bad:
        raise ValueError(f"{name} must hold states (nonnegative integers), "
                         f"got {bad[0]!r} in {_shown(states)}")
    return [int(q) for q in states]


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
        delta, accepting = _check_table(delta, accepting)
        k = delta.shape[1]
        if alphabet is None:
            if k > 26:
                raise ValueError(f"give an alphabet: the default (lowercase letters) has 26 symbols, delta has {k}")
            alphabet = tuple(string.ascii_lowercase[:k])
        alphabet = _check_alphabet(alphabet, "alphabet", size=k)
        self.delta = delta.astype(np.int64)
        self.delta.flags.writeable = False
        self.accepting = accepting.copy()
        self.accepting.flags.writeable = False
        self._alphabet = alphabet
        self._index = {s: j for j, s in enumerate(alphabet)}
        # one-character symbols: their code points, sorted, for encoding strings with numpy
        if all(len(s) == 1 for s in alphabet):
            points = np.array([ord(s) for s in alphabet], dtype=np.uint32)
            self._order = np.argsort(points)
            self._points = points[self._order]
        else:
            self._points = None

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
        return self._encode(word, "word")

    def _encode(self, word, name: str) -> np.ndarray:
        """:meth:`encode`, with errors naming the argument ``name``."""
        if isinstance(word, str):
            if word == "":
                return np.zeros(0, dtype=np.int64)
            if self._points is None:
                raise ValueError(f"{name} is a string, but this alphabet has multi-character symbols "
                                 f"{self.alphabet!r}: give it as a sequence of symbols")
            return self._encode_points(np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32), name)
        if not _is_word(word):
            raise ArgumentTypeError(f"{name} must be a word (a string or a sequence of symbols), "
                                    f"got {_shown(word)}")
        codes = [self._index.get(s, -1) if isinstance(s, str) else -1 for s in word]
        if -1 in codes:
            bad = word[codes.index(-1)]
            raise ValueError(f"unknown symbol {bad!r} in {name}; the alphabet is {self.alphabet!r}")
        return np.array(codes, dtype=np.int64)

    def _encode_points(self, chars: np.ndarray, name: str) -> np.ndarray:
        """The symbol indices of the characters with Unicode code points ``chars`` (one-character alphabets)."""
        pos = np.minimum(np.searchsorted(self._points, chars), len(self._points) - 1)
        known = self._points[pos] == chars
        if not known.all():
            bad = chr(int(chars[int(np.argmin(known))]))
            raise ValueError(f"unknown symbol {bad!r} in {name}; the alphabet is {self.alphabet!r}")
        return self._order[pos].astype(np.int64)

    def encode_many(self, words: Iterable) -> list[np.ndarray]:
        """:meth:`encode` for each of ``words`` (a list of words, not a bare string), in one vectorized
        pass over all their letters when the symbols are single characters (words given as strings,
        or as sequences of symbols)."""
        return self._encode_many(words, "words")

    def _encode_many(self, words, name: str) -> list[np.ndarray]:
        """:meth:`encode_many`, with errors naming the argument ``name``."""
        words = _check_words(words, name)
        if not words:
            return []
        one_by_one = self._points is None
        if all(isinstance(w, str) for w in words):
            if not one_by_one:
                chars = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
        else:
            for i, w in enumerate(words):
                if not _is_word(w):
                    raise ArgumentTypeError(f"{name}[{i}] must be a word (a string or a sequence of "
                                            f"symbols), got {_shown(w)}")
            one_by_one = one_by_one or not all(isinstance(w, (tuple, list)) for w in words)
            if not one_by_one:
                flat = np.array(list(itertools.chain.from_iterable(words)) or [""])
                one_by_one = flat.dtype != np.dtype("<U1")  # some element is not a one-character string
                chars = flat.view(np.uint32)[:sum(len(w) for w in words)] if not one_by_one else None
        if not one_by_one:
            try:
                codes = self._encode_points(chars, name)
            except ValueError:  # an unknown symbol: let _encode name it, word by word
                one_by_one = True
        if one_by_one:
            return [self._encode(w, f"{name}[{i}]") for i, w in enumerate(words)]
        return np.split(codes, np.cumsum([len(w) for w in words])[:-1])

    def run(self, word) -> list[int]:
        """The state sequence :math:`q_0, \\delta(q_0, w_1), \\dots` (length ``len(word) + 1``)."""
        states = [0]
        for j in self._encode(word, "word"):
            states.append(int(self.delta[states[-1], j]))
        return states

    def accepts(self, word) -> bool:
        """Whether the state reached after reading ``word`` is accepting."""
        return bool(self.accepting[self.run(word)[-1]])

    def accepts_many(self, words: Iterable) -> np.ndarray:
        """:meth:`accepts` for many words at once (a list of words: a bare string is refused, not
        read as one-letter words), vectorized over the words (one step per position).

        Words are sorted by decreasing length, so the words still being read at step ``t``
        are a prefix of the batch: the work is proportional to the total number of letters.
        """
        codes = self._encode_many(words, "words")
        if not codes:
            return np.zeros(0, dtype=bool)
        lengths = np.array([len(c) for c in codes], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
        letters = np.concatenate([codes[i] for i in order] + [np.zeros(0, dtype=np.int64)])
        starts = np.cumsum(sorted_lengths) - sorted_lengths
        active = len(codes) - np.searchsorted(sorted_lengths[::-1], np.arange(sorted_lengths[0]), side="right")
        state = np.zeros(len(codes), dtype=np.int64)
        for t, n in enumerate(active.tolist()):  # the first n sorted words have a letter at step t
            state[:n] = self.delta[state[:n], letters[starts[:n] + t]]
        accepted = np.empty(len(codes), dtype=bool)
        accepted[order] = self.accepting[state]
        return accepted

    # ------------------------------------------------------------------ constructions

    @classmethod
    def complete(cls, transitions: dict, accepting: Iterable[int], alphabet: Sequence[str],
                 n_states: int | None = None) -> "DFA":
        """A DFA from a partial specification; missing transitions go to a rejecting sink.

        ``transitions`` maps ``(state, symbol)`` to a state, ``accepting`` lists the
        accepting states (nonnegative integers; empty for the empty language). States
        are numbered 0 to ``n_states - 1`` (default: the largest state used, plus one).
        A sink state (numbered ``n_states``) is added only if some transition is missing
        (footnote 9 of the report).
        """
        alphabet = _check_alphabet(alphabet, "alphabet")
        check_instance(transitions, "transitions", dict, "a dict mapping (state, symbol) pairs to states")
        index = {s: j for j, s in enumerate(alphabet)}
        for key, r in transitions.items():
            if not (isinstance(key, tuple) and len(key) == 2 and _is_state(key[0]) and _is_state(r)):
                raise ValueError(f"transitions must map (state, symbol) pairs to states (nonnegative "
                                 f"integers), got {key!r}: {r!r}")
            if not isinstance(key[1], str) or key[1] not in index:
                raise ValueError(f"unknown symbol {key[1]!r} in transitions; the alphabet is {alphabet!r}")
        accepting = _check_states(accepting, "accepting")
        used = {"transitions": max([q for key, r in transitions.items() for q in (key[0], r)], default=0),
                "accepting": max(accepting, default=0)}
        source = max(used, key=used.get)  # the argument that holds the largest state
        if n_states is None:
            n = used[source] + 1
        else:
            n, source = check_positive_int(n_states, "n_states"), "n_states"
            if max(used.values()) >= n:
                raise ValueError(f"n_states must exceed every state used, got n_states={n} and state "
                                 f"{max(used.values())}")
        k = len(alphabet)
        check_memory(_table_bytes(n + 1, k), f"a transition table of {n + 1} states x {k} symbols", source)
        sink = n
        delta = np.full((n + 1, k), sink, dtype=np.int64)
        for (q, s), r in transitions.items():
            delta[q, index[s]] = r
        flags = np.zeros(n + 1, dtype=bool)
        flags[accepting] = True
        if (delta[:n] != sink).all():
            return cls(delta[:n], flags[:n], alphabet)
        return cls(delta, flags, alphabet)

    @classmethod
    def random(cls, n_states: int, n_symbols: int, seed: int = 0) -> "DFA":
        """A uniformly random transition table and acceptance vector (seeded).

        The alphabet is the first ``n_symbols`` lowercase letters, or ``"s0"``, ``"s1"``, ...
        when there are more than 26 symbols (give such words as sequences of symbols).
        ``seed`` is an integer in :math:`[0, 2^{64})`.
        """
        n = check_positive_int(n_states, "n_states")
        k = check_positive_int(n_symbols, "n_symbols")
        seed = check_seed(seed)
        check_memory(_table_bytes(n, k) + (_SYMBOL_BYTES * k if k > 26 else 0),
                     f"a random DFA with {n} states and {k} symbols", "n_states and n_symbols")
        rng = np.random.default_rng(seed)
        alphabet = None if k <= 26 else tuple(f"s{j}" for j in range(k))
        return cls(rng.integers(0, n, size=(n, k)), rng.random(n) < 0.5, alphabet)

    @classmethod
    def from_att(cls, path, alphabet: Sequence[str] | None = None) -> "DFA":
        """Read an acceptor in AT&T text format (as MLRegTest ships them).

        Transition lines are ``src dst in out`` (fields separated by tabs or spaces,
        ``in == out``), optionally followed by a weight; a line ``state`` (optionally
        followed by a weight) names a final state. Weights must be finite numbers and
        are ignored (an acceptor's language does not depend on them). States are
        nonnegative integers; the start state is the source of the first transition
        (renamed q_0 if it is not 0). Symbols may be any strings (accented letters
        included), except the epsilon label ``<eps>``: a DFA reads one symbol per
        transition. The alphabet is ``alphabet`` if given (it must contain every
        symbol used), otherwise the set of symbols used, sorted. Partial automata are
        completed with a rejecting sink.

        The file must be UTF-8 text. A UTF-8 byte-order mark at its start is accepted and
        skipped (some editors write one); a UTF-16 or UTF-32 one is refused. Every
        malformed file raises ``ValueError`` starting ``path:line:`` and saying what is
        wrong: a byte that is not UTF-8, a state that is not a nonnegative integer, an
        epsilon transition, a wrong number of fields, an output label different from the
        input, two transitions from one state on one symbol (not deterministic), a symbol
        outside ``alphabet``, or a state number whose transition table would exceed the
        package's memory limit (:func:`srnbook.set_memory_limit`), with the memory it needs.
        """
        check_instance(path, "path", (str, os.PathLike), "a file path (str or pathlib.Path)")
        if alphabet is not None:
            alphabet = _check_alphabet(alphabet, "alphabet")
        if not Path(path).is_file():
            raise ValueError(f"path must name an existing file, got {str(path)!r}")
        transitions, line_of, finals, start = {}, {}, [], None
        largest, largest_line = 0, 1
        for number, line in enumerate(_att_text(path).split("\n"), start=1):
            fields = line.split()
            if not fields:
                continue
            where = f"{path}:{number}"
            if len(fields) in (1, 2):
                states = [_att_state(fields[0], where)]
                finals.append(states[0])
            elif len(fields) in (4, 5):
                states = [_att_state(fields[0], where), _att_state(fields[1], where)]
                (src, dst), symbol = states, fields[2]
                if _EPSILON in (symbol, fields[3]):
                    raise ValueError(f"{where}: an epsilon transition ({_EPSILON}): a DFA reads one "
                                     "symbol per transition (remove epsilon transitions and determinize "
                                     "first)")
                if fields[3] != symbol:
                    raise ValueError(f"{where}: not an acceptor (input {symbol!r}, output {fields[3]!r})")
                if transitions.get((src, symbol), dst) != dst:
                    raise ValueError(f"{where}: not deterministic: state {src} has two transitions on "
                                     f"{symbol!r}, to {transitions[src, symbol]} (line "
                                     f"{line_of[src, symbol]}) and to {dst}")
                start = src if start is None else start
                transitions[(src, symbol)] = dst
                line_of.setdefault((src, symbol), number)
            else:
                raise ValueError(f"{where}: expected 4 fields 'src dst in out' (a transition) or 1 field "
                                 f"'state' (a final state), each optionally followed by a weight; got "
                                 f"{len(fields)} fields: {line!r}")
            if len(fields) in (2, 5):
                _att_weight(fields[-1], where)
            if max(states) > largest:
                largest, largest_line = max(states), number
        if start is None:
            raise ValueError(f"{path}: no transitions (an acceptor needs at least one 'src dst in out' line)")
        if start != 0:  # Definition 3 starts in q_0: swap the names of the start state and state 0
            swap = {start: 0, 0: start}
            transitions = {(swap.get(q, q), a): swap.get(r, r) for (q, a), r in transitions.items()}
            finals = [swap.get(q, q) for q in finals]
        first_use = {}  # symbol -> the first line that uses it
        for (_, symbol), number in line_of.items():
            first_use[symbol] = min(number, first_use.get(symbol, number))
        if alphabet is None:
            alphabet = tuple(sorted(first_use))
        for symbol, number in sorted(first_use.items(), key=lambda item: item[1]):
            if symbol not in alphabet:
                raise ValueError(f"{path}:{number}: symbol {symbol!r} is not in alphabet {alphabet!r}")
        k = len(alphabet)
        check_memory(_table_bytes(largest + 2, k), f"state {largest} (a transition table of {largest + 2} "
                     f"states with the sink, x {k} symbols)", f"{path}:{largest_line}")
        return cls.complete(transitions, finals, alphabet)

    # ------------------------------------------------------------------ algorithms

    def minimize(self) -> "DFA":
        r"""The minimal equivalent DFA, states numbered breadth-first from :math:`q_0`.

        Unreachable states are dropped; the rest are split by acceptance and refined
        to the coarsest partition that transitions respect (:func:`coarsest_partition`:
        Moore rounds, then Hopcroft's algorithm) in :math:`O(|Q||\Sigma| \log |Q|)`. The result is canonical: two equivalent DFAs over
        the same alphabet minimize to the same table (the minimal DFA is unique up to
        renaming its states, and the breadth-first numbering fixes the names).
        """
        reduced = _breadth_first(self.delta, self.accepting, 0, self.alphabet)
        delta, accepting = reduced.delta, reduced.accepting
        block = _coarsest_partition(delta, accepting)
        _, representative = np.unique(block, return_index=True)  # first state of each block
        return _breadth_first(block[delta[representative]], accepting[representative],
                              int(block[0]), self.alphabet)

    def equivalent(self, other: "DFA") -> tuple[str, ...] | None:
        """``None`` if both DFAs accept the same language, else a shortest word on which they differ.

        Breadth-first search over pairs of states; the word is returned as a tuple of symbols.
        The search stops with a ``ValueError`` once the pairs it visited would take more than
        the package's memory limit (:func:`srnbook.set_memory_limit`).
        """
        if not isinstance(other, DFA):
            raise ArgumentTypeError(f"other must be a DFA, got {_shown(other)}")
        if set(other.alphabet) != set(self.alphabet):
            raise ValueError(f"the alphabets differ: other has {other.alphabet!r}, "
                             f"this DFA {self.alphabet!r}")
        column = [other._index[s] for s in self.alphabet]
        parent = {(0, 0): None}
        queue = deque([(0, 0)])
        most = get_memory_limit() // _PAIR_BYTES  # pairs the search may visit
        while queue:
            if len(parent) > most:
                check_memory(len(parent) * _PAIR_BYTES, f"the search over pairs of states (of "
                             f"{self.n_states} x {other.n_states} pairs, {len(parent)} visited so far)",
                             "other")
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

    def complement(self) -> "DFA":
        r"""The DFA of :math:`\Sigma^* \setminus L`: same table, accepting states flipped (the DFA is total)."""
        return DFA(self.delta, ~self.accepting, self.alphabet)

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict:
        """A JSON-able description: ``{"delta": [[...]], "accepting": [...], "alphabet": [...]}``."""
        return {"delta": self.delta.tolist(), "accepting": self.accepting.tolist(), "alphabet": list(self.alphabet)}

    @classmethod
    def from_dict(cls, data: dict) -> "DFA":
        """The inverse of :meth:`to_dict` (the same validation as the constructor)."""
        if not isinstance(data, dict) or not {"delta", "accepting"} <= set(data):
            error = ValueError if isinstance(data, dict) else ArgumentTypeError
            raise error(f"data must be a dict with keys 'delta' and 'accepting' (and 'alphabet'), "
                        f"got {data!r}")
        return cls(np.asarray(data["delta"]), np.asarray(data["accepting"]), data.get("alphabet"))

    # ------------------------------------------------------------------ drawing

    def to_svg(self, highlight: int | None = None, size: float | None = None) -> str:
        """The transition diagram as a self-contained SVG string (no graphviz, no external fonts or CSS).

        States sit on a circle (in a row for at most 3 states), :math:`q_0` on top
        (on the left for a row) with the start arrow coming from its left;
        accepting states have a double circle; one curved arrow per
        ``(source, target)`` pair carries all its symbols (``"a, b"``); self-loops
        point away from the centre. Every state is drawn, rejecting sinks included.

        The markup is a contract for scripts: each state is a
        ``<g class="dfa-state" data-state="i" data-accepting="true|false">`` holding
        its circle(s) and its label, q with subscript i (text content ``qi``); each arrow is a
        ``<g class="dfa-edge" data-source="i" data-target="k" data-symbols="a b">``
        (symbols separated by spaces, in alphabet order). A class ``current`` on a
        state (or edge) group highlights it through the ``<style>`` inside the SVG,
        so a script moves the highlight by toggling that class.

        Parameters
        ----------
        highlight
            A state to draw as current (class ``current``), or ``None``.
        size
            Width of the image in pixels, at most 100000 (the height keeps the aspect
            ratio); ``None`` draws at natural size (one unit per pixel).
        """
        if highlight is not None and (isinstance(highlight, bool) or not isinstance(highlight, (int, np.integer))
                                      or not 0 <= highlight < self.n_states):
            error = ValueError if isinstance(highlight, (int, np.integer)) else ArgumentTypeError
            raise error(f"highlight must be None or a state in [0, {self.n_states}), got {highlight!r}")
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating))
                                 or not 0 < size <= _MAX_SIZE):
            error = ValueError if isinstance(size, (int, float, np.integer, np.floating)) else \
                ArgumentTypeError
            raise error(f"size must be None or a positive number of pixels, at most {_MAX_SIZE}, "
                        f"got {size!r}")
        return _svg(self, None if highlight is None else int(highlight), size)

    def _repr_svg_(self) -> str:
        """Jupyter displays a DFA as its diagram."""
        return self.to_svg()


class _Partition:
    """A partition of ``range(len(elements))`` refined by marking elements (Valmari & Lehtinen 2008).

    ``elements`` lists every element, each set's contiguously: set ``s`` occupies
    ``elements[first[s]:past[s]]`` (``location`` is the inverse permutation). During :meth:`refine`
    the marked elements of a set move to the front of its range (``marked[s]`` of them), so
    marking and splitting cost O(1) per element.
    """

    __slots__ = ("elements", "location", "set_of", "first", "past", "marked")

    def __init__(self, elements: list[int], first: list[int], past: list[int], set_of: list[int]):
        self.elements = elements
        self.location = [0] * len(elements)
        for i, e in enumerate(elements):
            self.location[e] = i
        self.set_of, self.first, self.past = set_of, first, past
        self.marked = [0] * len(first)

    def refine(self, items) -> None:
        """Split every set that ``items`` meets into the part in ``items`` and the rest; the
        smaller part becomes a new set (numbered from ``len(first)`` on)."""
        elements, location, set_of = self.elements, self.location, self.set_of
        first, past, marked = self.first, self.past, self.marked
        touched = []
        for e in items:
            s = set_of[e]
            i, j = location[e], first[s] + marked[s]
            if i >= j:  # not yet marked: swap it to the end of the marked prefix
                other = elements[j]
                elements[i], elements[j] = other, e
                location[other], location[e] = i, j
                if not marked[s]:
                    touched.append(s)
                marked[s] += 1
        for s in touched:
            j = first[s] + marked[s]
            marked[s] = 0
            if j == past[s]:  # all marked: no split
                continue
            z = len(first)
            if j - first[s] <= past[s] - j:  # the marked part is the smaller: it moves out
                first.append(first[s])
                past.append(j)
                first[s] = j
            else:
                first.append(j)
                past.append(past[s])
                past[s] = j
            marked.append(0)
            for e in elements[first[z]:past[z]]:
                set_of[e] = z


MOORE_ROUNDS = 8  # vectorized refinement rounds tried before Hopcroft's algorithm


def coarsest_partition(delta: np.ndarray, accepting: np.ndarray) -> np.ndarray:
    r"""The block of each state in the coarsest partition that separates accepting from
    rejecting states and that every transition respects: two states share a block iff they
    accept the same words.

    Up to ``MOORE_ROUNDS`` rounds of Moore's refinement run first, vectorized (a round
    splits blocks by the blocks their transitions reach: one sort, :math:`O(|Q||\Sigma|
    \log |Q|)`); they settle most automata (random DFAs need at most six). If blocks still
    split, Hopcroft's algorithm (:func:`_hopcroft`) finishes from there in
    :math:`O(|Q||\Sigma| \log |Q|)`; chains, which need :math:`|Q|` Moore rounds, take this path.

    Parameters
    ----------
    delta
        ``(n, k)`` integer transition table.
    accepting
        ``(n,)`` boolean acceptance vector.

    Returns
    -------
    An ``(n,)`` integer array of block numbers, 0 to (number of blocks - 1).
    """
    delta, accepting = _check_table(delta, accepting)
    return _coarsest_partition(delta.astype(np.int64, copy=False), accepting)


def _coarsest_partition(delta: np.ndarray, accepting: np.ndarray) -> np.ndarray:
    """:func:`coarsest_partition` of a checked table."""
    _, block = np.unique(accepting, return_inverse=True)  # split by acceptance
    block = block.reshape(-1)
    for _ in range(MOORE_ROUNDS):
        signature = np.concatenate([block[:, None], block[delta]], axis=1)
        _, refined = np.unique(signature, axis=0, return_inverse=True)
        refined = refined.reshape(-1)
        if refined.max() == block.max():  # no block split: stable
            return block
        block = refined
    return _hopcroft(delta, block)


def _hopcroft(delta: np.ndarray, block: np.ndarray) -> np.ndarray:
    r"""The coarsest stable refinement of the partition ``block`` (numbers 0 to m - 1):
    Hopcroft's algorithm in the form of Valmari & Lehtinen (2008).

    Blocks are refined by splitters, the sets of transitions with one letter :math:`a` into one
    block :math:`B` (*cords*): the states with an :math:`a`-transition into :math:`B` are split
    from the others, which splits the cords in turn. Every block but one starts as a splitter
    (the last one is implied by the others, the automaton being complete); when a set splits
    after it was used, only its smaller part is used again, so each transition is examined
    :math:`O(\log |Q|)` times: :math:`O(|Q||\Sigma| \log |Q|)` in all.
    """
    n, k = delta.shape
    m = n * k  # transition t = j * n + q: tail q, letter j (sorted by letter)
    tails = list(range(n)) * k
    heads = delta.T.reshape(-1)
    incoming = np.argsort(heads, kind="stable").tolist()  # transitions sorted by head
    start = np.searchsorted(heads[incoming], np.arange(n + 1)).tolist()  # state q: start[q]:start[q+1]
    order = np.argsort(block, kind="stable")
    edges = np.searchsorted(block[order], np.arange(block.max() + 2))
    blocks = _Partition(order.tolist(), edges[:-1].tolist(), edges[1:].tolist(), block.tolist())
    cords = _Partition(list(range(m)), [j * n for j in range(k)], [(j + 1) * n for j in range(k)],
                       [t // n for t in range(m)])
    b, c = 1, 0  # the next block and cord to use as splitters
    while c < len(cords.first):
        blocks.refine([tails[t] for t in cords.elements[cords.first[c]:cords.past[c]]])
        c += 1
        while b < len(blocks.first):
            cords.refine([t for q in blocks.elements[blocks.first[b]:blocks.past[b]]
                          for t in incoming[start[q]:start[q + 1]]])
            b += 1
    return np.array(blocks.set_of, dtype=np.int64)


def _breadth_first(delta: np.ndarray, accepting: np.ndarray, start: int, alphabet) -> DFA:
    """The DFA restricted to the states reachable from ``start``, renumbered breadth-first
    (a state's successors in the order of its letters)."""
    rows, seen, order = delta.tolist(), bytearray(len(delta)), [start]
    seen[start] = 1
    for q in order:  # the list grows while it is read: a queue
        for r in rows[q]:
            if not seen[r]:
                seen[r] = 1
                order.append(r)
    number = np.empty(len(delta), dtype=np.int64)
    number[order] = np.arange(len(order))
    return DFA(number[delta[order]], accepting[order], alphabet)


# ---------------------------------------------------------------------- drawing

_STYLE = (
    "svg.srnbook-dfa text{fill:#222;font-family:sans-serif}"
    "svg.srnbook-dfa .dfa-edge text{paint-order:stroke;stroke:#fff;stroke-width:3px}"  # a halo over crossing arcs
    "svg.srnbook-dfa .dfa-state circle{fill:#fff;stroke:#333;stroke-width:1.5px}"
    "svg.srnbook-dfa .dfa-state.current circle{fill:#ffd54f}"
    "svg.srnbook-dfa .dfa-arc{fill:none;stroke:#555;stroke-width:1.3px}"
    "svg.srnbook-dfa .dfa-head{fill:#555}"
    "svg.srnbook-dfa .dfa-edge.current .dfa-arc{stroke:#e65100;stroke-width:2.5px}"
    "svg.srnbook-dfa .dfa-edge.current .dfa-head,svg.srnbook-dfa .dfa-edge.current text{fill:#e65100}"
)
_R = 18.0  # state radius
_MAX_SIZE = 100_000  # the widest image to_svg draws, in pixels


def _layout(n: int) -> tuple[np.ndarray, np.ndarray]:
    """State centres and the outward unit direction of each state's self-loop."""
    if n <= 3:  # a row, loops above
        pos = np.stack([130.0 * np.arange(n), np.zeros(n)], axis=1)
        return pos, np.tile([0.0, -1.0], (n, 1))
    radius = max(80.0, 55.0 / math.sin(math.pi / n))  # neighbours at least 110 apart
    angle = -math.pi / 2 + 2 * math.pi * np.arange(n) / n  # q0 on top, then clockwise
    out = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return radius * out, out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.hypot(*v)


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _f(x: float) -> str:
    """A coordinate, rounded so the SVG text is deterministic (never ``-0.0``)."""
    return f"{round(float(x), 1) + 0.0:.1f}"


def _xy(*points: np.ndarray) -> str:
    return " ".join(f"{_f(p[0])} {_f(p[1])}" for p in points)


def _arrowhead(tip: np.ndarray, direction: np.ndarray) -> str:
    """The ``points`` of a triangle ending at ``tip`` and pointing along ``direction``."""
    d = _unit(direction)
    side = 4.5 * np.array([-d[1], d[0]])
    base = tip - 9.0 * d
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in (tip, base + side, base - side))


def _loop(centre: np.ndarray, out: np.ndarray, half_width: float) -> tuple[str, str, np.ndarray]:
    """Path, arrowhead and label position of a self-loop pointing along ``out``."""
    start, end = centre + _R * _rotate(out, -0.45), centre + _R * _rotate(out, 0.45)
    c1, c2 = centre + 2.9 * _R * _rotate(out, -0.55), centre + 2.9 * _R * _rotate(out, 0.55)
    path = f"M {_xy(start)} C {_xy(c1, c2, end - 7.0 * _unit(end - c2))}"
    return path, _arrowhead(end, end - c2), centre + out * (2.3 * _R + 8.0 + abs(out[0]) * half_width)


def _arc(p0: np.ndarray, p2: np.ndarray, bend: float, half_width: float) -> tuple[str, str, np.ndarray]:
    """Path, arrowhead and label position of a quadratic curve from ``p0`` to ``p2``, bent to its left.

    An arrow back from ``p2`` to ``p0`` bends to its own left, so the two never overlap.
    """
    u = _unit(p2 - p0)
    normal = np.array([u[1], -u[0]])
    c = (p0 + p2) / 2 + bend * normal
    start, end = p0 + _R * _unit(c - p0), p2 + _R * _unit(c - p2)
    path = f"M {_xy(start)} Q {_xy(c, end - 7.0 * _unit(end - c))}"
    middle = 0.25 * start + 0.5 * c + 0.25 * end  # the curve at t = 1/2
    return path, _arrowhead(end, end - c), middle + normal * (9.0 + abs(normal[0]) * half_width)


def _svg(dfa: DFA, highlight: int | None, size: float | None) -> str:
    n = dfa.n_states
    pos, out = _layout(n)
    symbols: dict[tuple[int, int], list[str]] = {}  # (source, target) -> symbols, in alphabet order
    for i in range(n):
        for j, s in enumerate(dfa.alphabet):
            symbols.setdefault((i, int(dfa.delta[i, j])), []).append(s)
    corners = [pos - _R, pos + _R]  # of everything drawn, for the view box
    edges = []
    for (i, k), group in sorted(symbols.items()):
        text = ", ".join(group)
        half_width = 3.7 * len(text) + 4  # of the label, roughly, at 13 px
        if i == k:
            path, head, at = _loop(pos[i], out[i], half_width)
        else:
            dist = float(np.hypot(*(pos[k] - pos[i])))
            bend = 0.45 * dist if (n <= 3 and abs(i - k) > 1) else 0.16 * dist  # in a row, clear the middle state
            path, head, at = _arc(pos[i], pos[k], bend, half_width)
        corners += [at - [half_width, 8], at + [half_width, 8]]
        edges.append(
            f'<g class="dfa-edge" data-source="{i}" data-target="{k}" data-symbols={quoteattr(" ".join(group))}>'
            f'<path class="dfa-arc" d="{path}" fill="none" stroke="#555"/>'
            f'<polygon class="dfa-head" points="{head}" fill="#555"/>'
            f'<text x="{_f(at[0])}" y="{_f(at[1])}" text-anchor="middle" dominant-baseline="central">'
            f"{escape(text)}</text></g>")
    states = []
    for i in range(n):
        x, y = pos[i]
        fill = "#ffd54f" if i == highlight else "#fff"
        radii = (_R, _R - 4) if dfa.accepting[i] else (_R,)
        circles = "".join(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{fill}" stroke="#333"/>' for r in radii)
        states.append(
            f'<g class="dfa-state{" current" if i == highlight else ""}" data-state="{i}" '
            f'data-accepting="{"true" if dfa.accepting[i] else "false"}">{circles}'
            f'<text x="{_f(x - 3)}" y="{_f(y + 4)}" text-anchor="middle">q<tspan dy="3" font-size="9">{i}</tspan>'
            f"</text></g>")
    tail, tip = pos[0] - [2.7 * _R, 0.0], pos[0] - [_R, 0.0]
    corners.append(tail[None] - 4)
    start = (f'<g class="dfa-start"><path class="dfa-arc" d="M {_xy(tail)} L {_xy(tip - [7.0, 0.0])}" stroke="#555"/>'
             f'<polygon class="dfa-head" points="{_arrowhead(tip, tip - tail)}" fill="#555"/></g>')
    box = np.concatenate([np.atleast_2d(c) for c in corners])
    (x0, y0), (x1, y1) = box.min(axis=0) - 6, box.max(axis=0) + 6
    width, height = x1 - x0, y1 - y0
    scale = 1.0 if size is None else size / width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="srnbook-dfa" viewBox="{_xy((x0, y0), (width, height))}" '
        f'width="{_f(scale * width)}" height="{_f(scale * height)}" font-family="sans-serif" font-size="13" '
        f'role="img" aria-label="DFA with {n} states"><style>{_STYLE}</style>{start}'
        f'<g class="dfa-edges">{"".join(edges)}</g><g class="dfa-states">{"".join(states)}</g></svg>')


# ---------------------------------------------------------------------- AT&T files

_EPSILON = "<eps>"  # OpenFst's label 0
_STATE = re.compile(r"[0-9]{1,30}")


def _att_text(path) -> str:
    """The text of an AT&T file: UTF-8, a UTF-8 byte-order mark skipped; errors say ``path:line``."""
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        raise ValueError(f"{path}:1: the file starts with a UTF-16 or UTF-32 byte-order mark; expected UTF-8 "
                         "text (convert it, e.g. iconv -f UTF-16 -t UTF-8)")
    if data.startswith(codecs.BOM_UTF8):  # accepted: some editors start UTF-8 files with one
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"{path}:{line}: byte 0x{data[error.start]:02x} is not UTF-8: expected a UTF-8 "
                         "encoded file (convert it, e.g. iconv -f LATIN1 -t UTF-8)") from None


def _att_state(text: str, where: str) -> int:
    if not _STATE.fullmatch(text):
        raise ValueError(f"{where}: state {text!r} is not a nonnegative integer (at most 30 digits)")
    return int(text)


def _att_weight(text: str, where: str) -> None:
    try:
        weight = float(text)
    except ValueError:
        weight = math.nan
    if not math.isfinite(weight):
        raise ValueError(f"{where}: weight {text!r} is not a finite number")


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
    check_instance(name, "name", str, "a string (one of mlregtest_names())")
    path = _MLREGTEST / f"{name}.att"
    if "/" in name or "\\" in name or not path.is_file():
        raise ValueError(f"name must be one of mlregtest_names(), got {name!r}")
    size = int(name.split(".")[0])
    return DFA.from_att(path, alphabet=tuple(string.ascii_lowercase[:size]))


# ---------------------------------------------------------------------- examples from the report


def even_as() -> DFA:
    """Words over {a, b} with an even number of a's (the report's running example)."""
    return DFA([[1, 0], [0, 1]], [True, False], ("a", "b"))


def ends_with_a() -> DFA:
    """Words over {a, b, c} that end with an a."""
    return DFA([[1, 0, 0], [1, 0, 0]], [False, True], ("a", "b", "c"))


# ---------------------------------------------------------------------- Tomita grammars

# delta columns are ("0", "1"); the last state of 1, 2, 3, 4 and 7 is the rejecting sink
_TOMITA = {
    1: ([[1, 0], [1, 1]], [1, 0]),  # 1*
    2: ([[2, 1], [0, 2], [2, 2]], [1, 0, 0]),  # (10)*
    # q0: no odd run of 1s closed yet, q1: inside an odd run of 1s, q2: odd run of 0s after a
    # closed odd run of 1s, q3: even run of 0s (or 1s) after one, q4: sink
    3: ([[0, 1], [2, 0], [3, 4], [2, 3], [4, 4]], [1, 1, 0, 1, 0]),
    4: ([[1, 0], [2, 0], [3, 0], [3, 3]], [1, 1, 1, 0]),  # no 000: length of the current run of 0s
    5: ([[1, 2], [0, 3], [3, 0], [2, 1]], [1, 0, 0, 0]),  # parities (#0 mod 2) + 2 (#1 mod 2)
    6: ([[1, 2], [2, 0], [0, 1]], [1, 0, 0]),  # (#0 - #1) mod 3
    7: ([[0, 1], [2, 1], [2, 3], [4, 3], [4, 4]], [1, 1, 1, 1, 0]),  # 0*1*0*1*: blocks read so far
}


def tomita(n: int) -> DFA:
    r"""The Tomita grammar ``n`` (1 to 7) over :math:`\Sigma = \{0, 1\}`, as a minimal total DFA.

    The seven regular languages of Tomita (1982), the classic benchmark for
    learning automata with recurrent networks:

    1. :math:`1^*`;
    2. :math:`(10)^*`;
    3. no odd-length run of 0s anywhere after an odd-length run of 1s (runs are
       maximal blocks of equal letters; a run of 0s ending the word counts);
    4. no three consecutive 0s (no ``000``);
    5. an even number of 0s and an even number of 1s;
    6. the number of 0s minus the number of 1s is a multiple of 3;
    7. :math:`0^*1^*0^*1^*`.

    Grammar 3 is read as in the implementation of Weiss, Goldberg & Yahav (2018),
    also used by AALpy: the run of 0s may come anywhere after the odd run of 1s.
    Some code forbids only a run of 0s *immediately* after it; the two readings
    differ first on words of length 6 such as ``100110`` (rejected here).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n not in _TOMITA:
        error = ValueError if isinstance(n, (int, np.integer)) else ArgumentTypeError
        raise error(f"n must be an integer from 1 to 7 (the Tomita grammars), got {n!r}")
    delta, accepting = _TOMITA[int(n)]
    return DFA(np.array(delta, dtype=np.int64), np.array(accepting, dtype=bool), ("0", "1"))
