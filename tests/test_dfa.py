"""Specification of srnbook.dfa.DFA (Definition 3), checked against brute force."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from srnbook.dfa import DFA, ends_with_a, even_as, mlregtest, mlregtest_names


def words_up_to(alphabet, n):
    for length in range(n + 1):
        yield from itertools.product(alphabet, repeat=length)


def language(dfa, n):
    return {w for w in words_up_to(dfa.alphabet, n) if dfa.accepts(w)}


def test_report_examples():
    d = even_as()
    assert d.accepts("") and d.accepts("aba") and d.accepts("bb") and not d.accepts("ab")
    assert d.run("aba") == [0, 1, 1, 0]
    e = ends_with_a()
    assert e.accepts("cba") and not e.accepts("ab") and not e.accepts("")
    assert d.n_states == 2 and d.alphabet == ("a", "b")


def test_accepts_many_equals_accepts():
    d = DFA.random(7, 3, seed=1)
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abc"), size=rng.integers(0, 12))) for _ in range(300)]
    assert d.accepts_many(words).tolist() == [d.accepts(w) for w in words]
    assert d.accepts_many([]).shape == (0,)


@pytest.mark.parametrize("seed", range(40))
def test_minimize_keeps_the_language_and_is_minimal(seed):
    rng = np.random.default_rng(seed)
    d = DFA.random(int(rng.integers(1, 9)), int(rng.integers(1, 4)), seed=seed)
    m = d.minimize()
    n = d.n_states + 1
    assert language(m, n) == language(d, n)
    # Myhill-Nerode: reachable states with different futures (words up to n) are all distinct
    futures = set()
    for q in range(m.n_states):
        futures.add(tuple(bool(m.accepting[_walk(m, q, w)]) for w in words_up_to(m.alphabet, m.n_states)))
    assert len(futures) == m.n_states
    assert m.minimize().delta.tolist() == m.delta.tolist()  # canonical


def _walk(d, q, word):
    for s in word:
        q = d.delta[q, d.alphabet.index(s)]
    return q


@pytest.mark.parametrize("seed", range(40))
def test_equivalent_returns_a_shortest_distinguishing_word(seed):
    a = DFA.random(5, 2, seed=seed)
    b = DFA.random(5, 2, seed=seed + 1000)
    word = a.equivalent(b)
    differing = [w for w in words_up_to(("a", "b"), 10) if a.accepts(w) != b.accepts(w)]
    if word is None:
        assert differing == []
    else:
        assert a.accepts(word) != b.accepts(word)
        assert len(word) == len(differing[0])
    assert a.equivalent(a.minimize()) is None


def test_complete_adds_a_rejecting_sink_only_when_needed():
    d = DFA.complete({(0, "a"): 1, (1, "a"): 0}, accepting=[1], alphabet=("a", "b"))
    assert d.n_states == 3 and not d.accepting[2]
    assert d.accepts("a") and not d.accepts("ab") and not d.accepts("aba")
    full = DFA.complete({(0, "a"): 0, (0, "b"): 0}, accepting=[0], alphabet=("a", "b"))
    assert full.n_states == 1


def test_from_att_reads_mlregtest_files(tmp_path):
    path = tmp_path / "zp.att"
    path.write_text("0\t0\ta\ta\n0\t1\tc\tc\n1\t0\tc\tc\n1\t1\ta\ta\n0\n", encoding="utf-8")
    d = DFA.from_att(path)
    assert d.alphabet == ("a", "c")
    assert d.accepts("cc") and not d.accepts("c") and d.accepts("acac")
    accented = tmp_path / "accented.att"
    accented.write_text("0\t0\té\té\n0\t1\tÅ\tÅ\n1\n", encoding="utf-8")
    e = DFA.from_att(accented)
    assert set(e.alphabet) == {"é", "Å"} and e.accepts("éÅ") and not e.accepts("Åé")


@pytest.mark.parametrize(
    "args, match",
    [
        (([[0, 1]], [True]), r"delta\[0, 1\] = 1 is not a state"),
        (([0, 1], [True, False]), "delta must be a 2-D array"),
        ((np.zeros((2, 0), int), [True, False]), "the alphabet is empty"),
        (([[0.5]], [True]), "delta must hold integers"),
        (([[0]], [1]), "accepting must be a boolean array of length 1"),
        (([[0, 0]], [True], ("a", "a")), r"duplicate symbols: \['a'\]"),
        (([[0, 0]], [True], ("a",)), "alphabet must have 2 symbols"),
        (([[0]], [True], ("",)), "non-empty strings"),
    ],
)
def test_malformed_dfas_are_named(args, match):
    with pytest.raises(ValueError, match=match):
        DFA(*args)


def test_unknown_symbols_and_bad_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown symbol 'z' in word"):
        even_as().accepts("az")
    with pytest.raises(ValueError, match="the alphabets differ"):
        even_as().equivalent(ends_with_a())
    bad = tmp_path / "bad.att"
    bad.write_text("0\t1\ta\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not an acceptor"):
        DFA.from_att(bad)


def test_every_shipped_mlregtest_automaton_loads_total_over_abcd():
    names = mlregtest_names()
    assert len(names) == 327 and "04.04.Zp.2.1.0" in names
    for name in names:
        d = mlregtest(name)
        assert d.alphabet == ("a", "b", "c", "d")
        assert d.delta.shape == (d.n_states, 4)
    with pytest.raises(ValueError, match="name must be one of mlregtest_names"):
        mlregtest("04.04.Nope.1.1.1")


def test_from_att_renames_a_start_state_other_than_0(tmp_path):
    path = tmp_path / "start2.att"
    # start in state 2 (first line), which loops on a and goes to the final state 0 on b
    path.write_text("2\t2\ta\ta\n2\t0\tb\tb\n0\t0\ta\ta\n0\n", encoding="utf-8")
    d = DFA.from_att(path)
    assert not d.accepts("") and not d.accepts("aa") and d.accepts("ab") and d.accepts("aaba")
    assert not d.accepts("abb")
