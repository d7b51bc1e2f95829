"""Property-based tests of srnbook.dfa.DFA (Hypothesis): laws that hold for every DFA."""

import itertools
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from srnbook.dfa import DFA

PROPERTY = settings(deadline=None, max_examples=200, derandomize=True)


@st.composite
def dfas(draw, max_states=8, n_symbols=None):
    """A total DFA with 1 to ``max_states`` states over 1 to 3 symbols (or ``n_symbols``)."""
    n = draw(st.integers(1, max_states))
    k = n_symbols if n_symbols is not None else draw(st.integers(1, 3))
    delta = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=k, max_size=k), min_size=n, max_size=n))
    accepting = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return DFA(np.array(delta, dtype=np.int64), np.array(accepting, dtype=bool))


@st.composite
def dfa_pairs(draw):
    """Two DFAs over the same alphabet; one time in four the second is a relabelled copy of the first."""
    k = draw(st.integers(1, 3))
    a = draw(dfas(n_symbols=k))
    if draw(st.integers(0, 3)) == 0:
        return a, _relabel(a, draw(st.permutations(range(1, a.n_states))))
    return a, draw(dfas(n_symbols=k))


@st.composite
def dfa_and_words(draw):
    d = draw(dfas())
    words = draw(st.lists(st.text(alphabet="".join(d.alphabet), max_size=12), max_size=20))
    return d, words


def _relabel(d, rest):
    """``d`` with state i > 0 renamed ``rest[i - 1]`` (state 0 stays the start)."""
    perm = np.array([0, *rest], dtype=np.int64)
    delta = np.empty_like(d.delta)
    delta[perm] = perm[d.delta]
    accepting = np.empty_like(d.accepting)
    accepting[perm] = d.accepting
    return DFA(delta, accepting, d.alphabet)


def _shortest_difference(a, b):
    """Length of a shortest word on which a and b differ, by level sets of state pairs (None if none)."""
    column = [b.alphabet.index(s) for s in a.alphabet]
    level, seen = {(0, 0)}, {(0, 0)}
    for length in itertools.count():
        if any(a.accepting[p] != b.accepting[q] for p, q in level):
            return length
        level = {(int(a.delta[p, j]), int(b.delta[q, column[j]])) for p, q in level for j in range(a.n_symbols)}
        level -= seen
        if not level:
            return None
        seen |= level


@PROPERTY
@given(dfa_and_words())
def test_minimize_keeps_the_language_and_is_idempotent(case):
    d, words = case
    m = d.minimize()
    assert m.n_states <= d.n_states
    assert m.equivalent(d) is None and d.equivalent(m) is None
    assert m.accepts_many(words).tolist() == d.accepts_many(words).tolist()
    again = m.minimize()
    assert again.n_states == m.n_states and again.delta.tolist() == m.delta.tolist()
    assert again.accepting.tolist() == m.accepting.tolist()


@PROPERTY
@given(dfas())
def test_a_dfa_is_equivalent_to_itself(d):
    assert d.equivalent(d) is None


@PROPERTY
@given(dfa_pairs())
def test_equivalent_is_symmetric_and_returns_a_shortest_distinguishing_word(pair):
    a, b = pair
    ab, ba = a.equivalent(b), b.equivalent(a)
    assert (ab is None) == (ba is None)
    shortest = _shortest_difference(a, b)
    if ab is None:
        assert shortest is None
        return
    assert a.accepts(ab) != b.accepts(ab) and a.accepts(ba) != b.accepts(ba)
    assert len(ab) == len(ba) == shortest
    if a.n_symbols ** len(ab) <= 4096:  # brute force: no shorter word differs
        for length in range(len(ab)):
            for w in itertools.product(a.alphabet, repeat=length):
                assert a.accepts(w) == b.accepts(w)


@PROPERTY
@given(dfa_and_words())
def test_run_has_one_state_per_prefix_and_ends_where_accepts_looks(case):
    d, words = case
    for w in words:
        states = d.run(w)
        assert len(states) == len(w) + 1 and states[0] == 0
        assert all(states[t + 1] == d.delta[states[t], d.alphabet.index(s)] for t, s in enumerate(w))
        assert d.accepts(w) == bool(d.accepting[states[-1]])
    assert d.accepts_many(words).tolist() == [d.accepts(w) for w in words]


@PROPERTY
@given(dfas(), st.data())
def test_relabelling_states_keeps_the_language_and_the_minimal_dfa(d, data):
    e = _relabel(d, data.draw(st.permutations(range(1, d.n_states))))
    assert e.equivalent(d) is None
    assert e.minimize().delta.tolist() == d.minimize().delta.tolist()  # minimize() is canonical


@PROPERTY
@given(dfa_and_words())
def test_complement_flips_every_word(case):
    d, words = case
    c = d.complement()
    assert c.accepts_many(words).tolist() == [not x for x in d.accepts_many(words).tolist()]
    assert d.equivalent(c) == () and c.complement().equivalent(d) is None
    assert c.minimize().n_states == d.minimize().n_states


@PROPERTY
@given(dfas())
def test_dict_round_trip_through_json(d):
    e = DFA.from_dict(json.loads(json.dumps(d.to_dict())))
    assert e.delta.tolist() == d.delta.tolist() and e.accepting.tolist() == d.accepting.tolist()
    assert e.alphabet == d.alphabet and e.to_svg() == d.to_svg()
