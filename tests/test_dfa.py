"""Specification of srnbook.dfa.DFA (Definition 3), checked against brute force."""

import itertools
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from automata.fa.dfa import DFA as AutomataDFA

from srnbook import dfa as dfa_module
from srnbook.dfa import DFA, ends_with_a, even_as, mlregtest, mlregtest_names, tomita


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


# ---------------------------------------------------------------------- Tomita grammars

# Independent predicates (regular expressions and counting), not DFAs.
_NOT_TOMITA_3 = re.compile("((0|1)*0)*1(11)*(0(0|1)*1)*0(00)*(1(0|1)*)*$")  # Weiss et al. (2018), AALpy


def _tomita_3_runs(w):
    """No odd run of 0s anywhere after an odd run of 1s (runs are maximal blocks)."""
    odd_ones_seen = False
    for symbol, run in itertools.groupby(w):
        odd = len(list(run)) % 2 == 1
        if symbol == "0" and odd and odd_ones_seen:
            return False
        odd_ones_seen |= symbol == "1" and odd
    return True


TOMITA = {
    1: lambda w: set(w) <= {"1"},
    2: lambda w: re.fullmatch("(10)*", w) is not None,
    3: _tomita_3_runs,
    4: lambda w: "000" not in w,
    5: lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0,
    6: lambda w: (w.count("0") - w.count("1")) % 3 == 0,
    7: lambda w: re.fullmatch("0*1*0*1*", w) is not None,
}
BINARY_WORDS = ["".join(w) for w in words_up_to("01", 10)]


@pytest.mark.parametrize("n", range(1, 8))
def test_tomita_grammars_match_their_definitions_up_to_length_10(n):
    d = tomita(n)
    assert d.alphabet == ("0", "1")
    expected = [TOMITA[n](w) for w in BINARY_WORDS]
    assert d.accepts_many(BINARY_WORDS).tolist() == expected
    assert d.minimize().n_states == d.n_states == [2, 3, 5, 4, 4, 3, 5][n - 1]  # minimal, sinks included


def test_tomita_3_is_the_weiss_reading_not_the_immediate_one():
    assert [tomita(3).accepts(w) for w in BINARY_WORDS] == [_NOT_TOMITA_3.match(w) is None for w in BINARY_WORDS]
    assert not tomita(3).accepts("100110")  # the odd run "0" comes after the odd run "1", not right after it
    assert tomita(3).accepts("100100") and tomita(3).accepts("110000011100001") and not tomita(3).accepts("10")


@pytest.mark.parametrize("bad", [0, 8, "3", 2.0, True])
def test_tomita_rejects_other_numbers(bad):
    with pytest.raises(ValueError, match="n must be an integer from 1 to 7"):
        tomita(bad)


# ---------------------------------------------------------------------- small API


def test_complement_and_dict_round_trip():
    d = DFA.random(6, 3, seed=5)
    c = d.complement()
    assert all(c.accepts(w) != d.accepts(w) for w in words_up_to(d.alphabet, 4))
    assert d.equivalent(c) == ()  # they differ on the empty word already
    assert c.complement().equivalent(d) is None
    e = DFA.from_dict(json.loads(json.dumps(d.to_dict())))
    assert e.delta.tolist() == d.delta.tolist() and e.accepting.tolist() == d.accepting.tolist()
    assert e.alphabet == d.alphabet
    assert DFA.from_dict({"delta": [[0]], "accepting": [True]}).alphabet == ("a",)
    with pytest.raises(ValueError, match="data must be a dict with keys 'delta' and 'accepting'"):
        DFA.from_dict({"delta": [[0]]})
    with pytest.raises(ValueError, match="delta must hold integers"):
        DFA.from_dict({"delta": [[0.5]], "accepting": [True]})


# ---------------------------------------------------------------------- SVG drawing

SVG = "{http://www.w3.org/2000/svg}"


def _groups(root, kind):
    return [g for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split()]


@pytest.mark.parametrize("n_states, n_symbols, seed",
                         [(1, 1, 0), (2, 2, 1), (3, 3, 2), (4, 2, 3), (7, 3, 4), (12, 4, 5)])
def test_svg_contract(n_states, n_symbols, seed):
    d = DFA.random(n_states, n_symbols, seed=seed)
    svg = d.to_svg()
    root = ET.fromstring(svg)  # valid XML
    assert root.tag == f"{SVG}svg" and "srnbook-dfa" in root.get("class")
    states = _groups(root, "dfa-state")
    assert [g.get("data-state") for g in states] == [str(i) for i in range(n_states)]
    for i, g in enumerate(states):
        assert "".join(g.itertext()) == f"q{i}"
        assert len(g.findall(f"{SVG}circle")) == (2 if d.accepting[i] else 1)
        assert g.get("data-accepting") == str(bool(d.accepting[i])).lower()
        assert "current" not in g.get("class").split()
    drawn = set()
    pairs = [(g.get("data-source"), g.get("data-target")) for g in _groups(root, "dfa-edge")]
    assert len(pairs) == len(set(pairs))  # one arrow per (source, target), symbols merged
    for g in _groups(root, "dfa-edge"):
        i, k = int(g.get("data-source")), int(g.get("data-target"))
        symbols = g.get("data-symbols").split(" ")
        assert "".join(g.itertext()) == ", ".join(symbols)
        drawn |= {(i, s, k) for s in symbols}
    assert drawn == {(i, s, int(d.delta[i, j])) for i in range(n_states) for j, s in enumerate(d.alphabet)}
    assert d.to_svg() == svg == d._repr_svg_()  # deterministic
    assert DFA(d.delta.copy(), d.accepting.copy()).to_svg() == svg


def test_svg_highlight_size_and_self_containment():
    d = tomita(3)
    svg = d.to_svg(highlight=2, size=300)
    root = ET.fromstring(svg)
    current = [g for g in _groups(root, "dfa-state") if "current" in g.get("class").split()]
    assert [g.get("data-state") for g in current] == ["2"]
    assert all(c.get("fill") == "#ffd54f" for c in current[0].findall(f"{SVG}circle"))
    style = root.find(f"{SVG}style").text
    assert ".dfa-state.current circle{fill:#ffd54f}" in style and ".dfa-edge.current" in style
    assert float(root.get("width")) == 300
    assert "href" not in svg and "@import" not in svg and "url(" not in svg
    assert svg.count("http") == 1  # the xmlns only
    assert d.to_svg(highlight=2) != d.to_svg()
    sink = [g for g in _groups(root, "dfa-edge") if g.get("data-source") == g.get("data-target") == "4"]
    assert sink and sink[0].get("data-symbols") == "0 1"  # the rejecting sink is drawn, with its loop


def test_svg_escapes_symbols_and_checks_arguments():
    d = DFA([[1, 0], [1, 1]], [True, False], ("<", "&"))
    ET.fromstring(d.to_svg())
    for bad in (2, -1, True, 1.0):
        with pytest.raises(ValueError, match=r"highlight must be None or a state in \[0, 2\)"):
            d.to_svg(highlight=bad)
    for bad in (0, -5, float("nan"), "big"):
        with pytest.raises(ValueError, match="size must be None or a positive number"):
            d.to_svg(size=bad)


# ---------------------------------------------------------------------- against automata-lib


def _automata_lib(d):
    return AutomataDFA(
        states=set(range(d.n_states)),
        input_symbols=set(d.alphabet),
        transitions={q: {s: int(d.delta[q, j]) for j, s in enumerate(d.alphabet)} for q in range(d.n_states)},
        initial_state=0,
        final_states={q for q in range(d.n_states) if d.accepting[q]},
    )


def _disguise(d, rng):
    """An equivalent, non-minimal copy: states renamed (0 kept), one state split in two, junk unreachable states."""
    n, k = d.n_states, d.n_symbols
    split = int(rng.integers(n))  # the copy n is a twin of state `split`: same row, same flag
    junk = int(rng.integers(0, 3))
    delta = np.vstack([d.delta, d.delta[split], rng.integers(0, n + 1 + junk, size=(junk, k))])
    accepting = np.concatenate([d.accepting, [d.accepting[split]], rng.random(junk) < 0.5])
    into = rng.random((n, k)) < 0.5  # redirect some arrows into the twin
    delta[:n][into & (delta[:n] == split)] = n
    perm = np.concatenate([[0], 1 + rng.permutation(len(delta) - 1)])  # old state i is called perm[i]
    renamed = np.empty_like(delta)
    renamed[perm] = perm[delta]
    flags = np.empty_like(accepting)
    flags[perm] = accepting
    return DFA(renamed, flags, d.alphabet)


@pytest.mark.parametrize("seed", range(240))
def test_minimize_and_equivalent_agree_with_automata_lib(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 16)), int(rng.integers(1, 4))
    d = DFA.random(n, k, seed=seed)
    ours, theirs = d.minimize(), _automata_lib(d).minify()
    assert ours.n_states == len(theirs.states)
    twin = _disguise(d, rng)
    assert twin.equivalent(d) is None and _automata_lib(twin) == _automata_lib(d)
    assert twin.minimize().n_states == ours.n_states == len(_automata_lib(twin).minify().states)
    other = DFA.random(int(rng.integers(1, 6)), k, seed=seed + 10_000)
    assert (d.equivalent(other) is None) == (_automata_lib(d) == _automata_lib(other))


def test_the_automata_lib_comparison_sees_both_outcomes():
    outcomes = []
    for seed in range(240):
        rng = np.random.default_rng(seed)
        n, k = int(rng.integers(1, 16)), int(rng.integers(1, 4))
        other = DFA.random(int(rng.integers(1, 6)), k, seed=seed + 10_000)
        outcomes.append(DFA.random(n, k, seed=seed).equivalent(other) is None)
    assert 5 <= sum(outcomes) <= 235  # 13 equivalent pairs; the disguised twins add 240 more


# ---------------------------------------------------------------------- Hopcroft's refinement


def _moore_blocks(delta, accepting):
    """The reference: Moore's refinement run until no block splits (one round per state, at worst)."""
    block = accepting.astype(np.int64)
    while True:
        signature = {}
        refined = np.array([signature.setdefault((int(block[q]), *block[delta[q]].tolist()), len(signature))
                            for q in range(len(delta))])
        if len(set(refined.tolist())) == len(set(block.tolist())):
            return refined
        block = refined


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _slow_dfa(rng, n, k):
    """A DFA that Moore's refinement settles only after about n rounds: a chain with random
    extra letters and one accepting state at the end (or a few, scattered)."""
    delta = rng.integers(0, n, size=(n, k))
    delta[:, 0] = np.minimum(np.arange(n) + 1, n - 1)
    accepting = np.zeros(n, dtype=bool)
    accepting[rng.choice(n, size=int(rng.integers(1, 3)), replace=False)] = True
    return DFA(delta, accepting, tuple("abcd"[:k]))


@pytest.mark.parametrize("moore_rounds", [0, 1, 8])
@pytest.mark.parametrize("seed", range(30))
def test_hopcroft_finds_the_coarsest_partition_moore_finds(seed, moore_rounds, monkeypatch):
    monkeypatch.setattr(dfa_module, "MOORE_ROUNDS", moore_rounds)
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 60)), int(rng.integers(1, 5))
    d = _slow_dfa(rng, n, k) if seed % 2 else DFA.random(n, k, seed=seed)
    blocks = dfa_module.coarsest_partition(d.delta, d.accepting)
    assert _same_partition(blocks, _moore_blocks(d.delta, d.accepting))
    assert sorted(set(blocks.tolist())) == list(range(blocks.max() + 1))  # numbered 0 to m - 1
    ours = d.minimize()
    assert ours.n_states == len(_automata_lib(d).minify().states)
    monkeypatch.setattr(dfa_module, "MOORE_ROUNDS", 10_000)  # Moore alone, to stability
    assert d.minimize().delta.tolist() == ours.delta.tolist()  # the same canonical table
    assert d.minimize().accepting.tolist() == ours.accepting.tolist()


def test_minimize_separates_every_state_of_a_long_chain():
    n = 3000  # Moore's refinement alone would need n rounds
    delta = np.minimum(np.arange(n) + 1, n - 1)[:, None]
    accepting = np.arange(n) == n - 1
    m = DFA(delta, accepting, ("a",)).minimize()
    assert m.n_states == n and m.delta[:, 0].tolist() == np.minimum(np.arange(n) + 1, n - 1).tolist()
    cycle = DFA(((np.arange(2 * n) + 1) % (2 * n))[:, None], np.arange(2 * n) % n == 0, ("a",))
    assert cycle.minimize().n_states == n  # period n: state i and state i + n accept the same words


# ---------------------------------------------------------------------- input contract (issue 20)


def test_a_bare_string_is_not_a_list_of_words():
    """'abba' would be read as the four words a, b, b, a: refused, with the fix in the message."""
    for call in (even_as().accepts_many, even_as().encode_many):
        with pytest.raises(TypeError, match=r"words must be a list of words, got the bare string 'abba'.*\['abba'\]"):
            call("abba")
    assert even_as().accepts_many(["abba"]).tolist() == [True]
    with pytest.raises(ValueError, match="words must be a list of words"):
        even_as().accepts_many({"ab", "ba"})  # a set has no order for the answers


def test_bad_words_name_the_argument_and_the_position():
    with pytest.raises(ValueError, match=r"unknown symbol 'z' in words\[1\]; the alphabet is \('a', 'b'\)"):
        even_as().accepts_many(["ab", "az"])
    with pytest.raises(TypeError, match=r"words\[0\] must be a word .* got None"):
        even_as().accepts_many([None, "ab"])
    with pytest.raises(TypeError, match="word must be a word .* got 3"):
        even_as().accepts(3)
    with pytest.raises(ValueError, match="unknown symbol 3 in word"):
        even_as().accepts(["a", 3])
    multi = DFA([[0, 0]], [True], ("ab", "c"))
    assert multi.accepts("") and multi.accepts(("ab", "c"))  # the empty string is the empty word
    with pytest.raises(ValueError, match="word is a string, but this alphabet has multi-character symbols"):
        multi.accepts("abc")


@pytest.mark.parametrize("alphabet, match", [
    ("ab", r"alphabet must be a tuple or list of symbols, got the bare string 'ab': pass \('a', 'b'\)"),
    ((), "alphabet is empty"),
    (("a", "a"), r"alphabet has duplicate symbols: \['a'\]"),
    (("a", None), "alphabet symbols must be non-empty strings"),
    (3, "alphabet must be a tuple or list of symbols"),
])
def test_bad_alphabets_are_named(alphabet, match):
    with pytest.raises(ValueError, match=match):
        DFA.complete({(0, "a"): 0}, [0], alphabet)


def test_complete_checks_its_states():
    with pytest.raises(ValueError, match="accepting must hold states .* got -1"):
        DFA.complete({(0, "a"): 0}, [-1], ("a",))
    with pytest.raises(TypeError, match="accepting must be a list of states"):
        DFA.complete({(0, "a"): 0}, 1, ("a",))
    with pytest.raises(ValueError, match="transitions must map .* got \\(0, 'a'\\): 1.5"):
        DFA.complete({(0, "a"): 1.5}, [0], ("a",))
    with pytest.raises(ValueError, match="unknown symbol 'z' in transitions"):
        DFA.complete({(0, "z"): 0}, [0], ("a",))
    with pytest.raises(ValueError, match="n_states must exceed every state used, got n_states=2 and state 5"):
        DFA.complete({(0, "a"): 5}, [0], ("a",), n_states=2)
    assert DFA.complete({}, [], ("a",)).accepting.tolist() == [False, False]  # the empty language


def test_sizes_beyond_the_memory_limit_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"n_states and n_symbols: a random DFA with 1000000000 states and 2 "
                                         r"symbols would need 29.8 GiB, more than the package's memory limit"):
        DFA.random(10**9, 2)
    with pytest.raises(ValueError, match="n_states: a transition table of 10000000001 states x 1 symbols"):
        DFA.complete({(0, "a"): 0}, [0], ("a",), n_states=10**10)
    with pytest.raises(ValueError, match="accepting: a transition table"):
        DFA.complete({(0, "a"): 0}, [10**10], ("a",))


def test_random_takes_only_integer_seeds():
    assert DFA.random(4, 2, seed=2**64 - 1).n_states == 4
    for bad in (None, np.random.default_rng(0), -1, 2**64, 1.0):
        with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
            DFA.random(4, 2, seed=bad)


def test_coarsest_partition_checks_its_table():
    with pytest.raises(ValueError, match=r"delta\[0, 0\] = 3 is not a state"):
        dfa_module.coarsest_partition(np.array([[3]]), np.array([True]))
    with pytest.raises(ValueError, match="accepting must be a boolean array of length 1"):
        dfa_module.coarsest_partition(np.array([[0]]), np.array([1]))


def test_equivalent_refuses_a_product_search_beyond_the_memory_limit(memory_limit):
    cycle = DFA(((np.arange(30) + 1) % 30)[:, None], np.arange(30) == 0, ("a",))  # 30 pairs to visit
    assert cycle.equivalent(cycle) is None
    memory_limit(10 * dfa_module._PAIR_BYTES)
    with pytest.raises(ValueError, match=r"other: the search over pairs of states \(of 30 x 30 pairs"):
        cycle.equivalent(cycle)


# ---------------------------------------------------------------------- malformed AT&T files


def _att(tmp_path, content, name="bad.att"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def test_att_a_utf8_byte_order_mark_is_skipped(tmp_path):
    path = _att(tmp_path, b"\xef\xbb\xbf" + "0\t0\ta\ta\n0\n".encode())
    assert DFA.from_att(path).accepts("aa")


@pytest.mark.parametrize("content, match", [
    (b"0\t0\ta\ta\n0\t1\t\xe9\t\xe9\n", r"bad.att:2: byte 0xe9 is not UTF-8: expected a UTF-8 encoded file"),
    ("0\t0\ta\ta\n".encode("utf-16"), r"bad.att:1: the file starts with a UTF-16 or UTF-32 byte-order mark; "
                                      r"expected UTF-8"),
    ("0\t0\ta\ta\nq1\t0\tb\tb\n", r"bad.att:2: state 'q1' is not a nonnegative integer"),
    ("0\t-1\ta\ta\n", r"bad.att:1: state '-1' is not a nonnegative integer"),
    ("0\t0\ta\ta\n1.5\n", r"bad.att:2: state '1.5' is not a nonnegative integer"),
    ("0\t1\t<eps>\t<eps>\n1\n", r"bad.att:1: an epsilon transition \(<eps>\): a DFA reads one symbol"),
    ("0\t1\ta\n", r"bad.att:1: expected 4 fields 'src dst in out' .* got 3 fields"),
    ("0\t0\ta\ta\n0\t1\ta\ta\t0\t7\n", r"bad.att:2: expected 4 fields .* got 6 fields"),
    ("0\t1\ta\tb\n", r"bad.att:1: not an acceptor \(input 'a', output 'b'\)"),
    ("0\t0\ta\ta\n0\t1\tb\tb\n0\t1\ta\ta\n",
     r"bad.att:3: not deterministic: state 0 has two transitions on 'a', to 0 \(line 1\) and to 1"),
    ("0\t0\ta\ta\n0\tnope\n", r"bad.att:2: weight 'nope' is not a finite number"),
    ("0\t0\ta\ta\n0\tinf\n", r"bad.att:2: weight 'inf' is not a finite number"),
    ("1\n", r"bad.att: no transitions"),
    ("0 99999999999 a a\n", r"bad.att:1: state 99999999999 \(a transition table of 100000000001 states with the "
                            r"sink, x 1 symbols\) would need 1.49e\+03 GiB, more than the package's memory limit"),
    ("0\t0\ta\ta\n\n99999999999\n", r"bad.att:3: state 99999999999 .* would need"),
])
def test_malformed_att_files_are_reported_with_path_and_line(tmp_path, content, match):
    path = _att(tmp_path, content)
    with pytest.raises(ValueError, match=match):
        DFA.from_att(path)


def test_att_weights_are_ignored_and_the_alphabet_is_checked(tmp_path):
    path = _att(tmp_path, "0\t1\ta\ta\t0.5\n1\t0\ta\ta\n1\t2.25\n")
    d = DFA.from_att(path)
    assert d.accepts("a") and not d.accepts("aa")
    with pytest.raises(ValueError, match=r"bad.att:1: symbol 'a' is not in alphabet \('b',\)"):
        DFA.from_att(path, alphabet=("b",))
    with pytest.raises(TypeError, match="alphabet must be a tuple or list of symbols, got the bare string 'ab'"):
        DFA.from_att(path, alphabet="ab")
    with pytest.raises(ValueError, match="path must name an existing file"):
        DFA.from_att(tmp_path / "missing.att")
