"""Specification of srnbook.sampling (section 8.1 of the report): word sampling and balanced data sets."""

import itertools
import math

import numpy as np
import pytest
import torch

from srnbook import SRN
from srnbook.dfa import DFA, even_as, tomita
from srnbook.sampling import Words, balanced_dataset, letter_distribution, rejecting_sinks, sample_words

# The report's example of "no obvious negative": the even-a DFA with a letter c leading to a sink.
EVEN_AS_C = DFA([[1, 0, 2], [0, 1, 2], [2, 2, 2]], [True, False, False])


def test_letter_distributions_of_the_report():
    assert rejecting_sinks(EVEN_AS_C).tolist() == [False, False, True]
    np.testing.assert_allclose(letter_distribution(EVEN_AS_C, "no_obvious_negative"),
                               [[1 / 2, 1 / 2, 0], [1 / 2, 1 / 2, 0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(letter_distribution(EVEN_AS_C, "equal"), np.full((3, 3), 1 / 3))
    # a state whose every letter leads to the sink keeps the equal distribution
    d = DFA([[1, 2], [2, 2], [2, 2]], [False, True, False])
    np.testing.assert_allclose(letter_distribution(d, "no_obvious_negative"), [[1, 0], [0.5, 0.5], [0.5, 0.5]])
    # an accepting state that loops on everything is not a rejecting sink
    assert rejecting_sinks(DFA([[0]], [True])).tolist() == [False]


def test_no_obvious_negative_never_enters_the_sink():
    words = sample_words(EVEN_AS_C, 20_000, lam=10.0, distribution="no_obvious_negative", seed=1)
    assert not any("c" in w for w in words.strings())
    assert words.labels.mean() > 0.4  # even-a words, not the sink: about half are accepted
    plain = sample_words(EVEN_AS_C, 20_000, lam=10.0, seed=1)
    assert plain.labels.mean() < 0.1  # with "equal", most words fall into the sink


def test_same_seed_same_words_and_labels_agree_with_the_dfa():
    d = DFA.random(7, 3, seed=2)
    a, b = sample_words(d, 3000, lam=6.0, seed=11), sample_words(d, 3000, lam=6.0, seed=11)
    for field in ("symbols", "lengths", "labels"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.lengths, sample_words(d, 3000, lam=6.0, seed=12).lengths)
    assert a.labels.tolist() == d.accepts_many(a.strings()).tolist()
    assert a.symbols.shape == (3000, a.lengths.max()) and a.symbols.dtype == np.uint8
    assert (a.symbols[np.arange(a.symbols.shape[1]) >= a.lengths[:, None]] == 0).all()  # padding


@pytest.mark.parametrize("lam", [0.5, 3.0, 10.0, 25.0])
def test_lengths_are_poisson(lam):
    lengths = sample_words(even_as(), 100_000, lam=lam, seed=3).lengths
    # fixed seed: deterministic; the bounds are 5 standard errors wide
    assert abs(lengths.mean() - lam) < 5 * math.sqrt(lam / len(lengths))
    assert abs(lengths.var() - lam) < 5 * lam * math.sqrt(2 / len(lengths)) + 5 * lam / math.sqrt(len(lengths))
    assert sample_words(even_as(), 50, lam=0.0).lengths.tolist() == [0] * 50


def _transition_counts(d, words):
    """counts[q, a]: how often letter a was read in state q, over all words."""
    counts = np.zeros((d.n_states, d.n_symbols), dtype=np.int64)
    state = np.zeros(len(words), dtype=np.int64)
    for t in range(words.symbols.shape[1]):
        on = words.lengths > t
        letters = words.symbols[on, t].astype(np.int64)
        np.add.at(counts, (state[on], letters), 1)
        state[on] = d.delta[state[on], letters]
    return counts


def test_letters_follow_the_distribution_of_their_state():
    d = DFA.random(4, 3, seed=4)
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.25, 0.75]])
    counts = _transition_counts(d, sample_words(d, 40_000, lam=8.0, distribution=p, seed=5))
    for q in range(d.n_states):
        if counts[q].sum() < 1000:
            continue
        expected = counts[q].sum() * p[q]
        positive = expected > 0
        assert (counts[q][~positive] == 0).all()  # letters of probability 0 never appear
        chi2 = (((counts[q] - expected)[positive]) ** 2 / expected[positive]).sum()
        assert chi2 < 20  # 2 degrees of freedom: P(chi2 > 20) = 5e-5; fixed seed


@pytest.mark.parametrize("label", [None, True, False])
def test_words_follow_the_exact_law_of_the_process(label):
    """P(w) = Poisson(|w|) prod_t P[q_t, w_t], restricted to one label and renormalized if label is given."""
    d = DFA([[1, 0], [2, 1], [0, 2]], [False, False, True])
    lam, p = 3.0, np.array([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]])
    words = sample_words(d, 60_000, lam=lam, distribution=p, seed=6, label=label)
    assert label is None or (words.labels == label).all()
    assert words.labels.tolist() == d.accepts_many(words.strings()).tolist()
    # exact law of the process given the label, over all words up to length 13 (Poisson(3) mass beyond: 1e-5)
    law = {}
    for length in range(14):
        for w in itertools.product((0, 1), repeat=length):
            states = [0]
            for a in w:
                states.append(d.delta[states[-1], a])
            if label is None or d.accepting[states[-1]] == label:
                prob = math.exp(-lam) * lam ** length / math.factorial(length)
                law["".join("ab"[a] for a in w)] = prob * np.prod([p[q, a] for q, a in zip(states, w)])
    total = sum(law.values())
    seen = dict(zip(*np.unique(words.strings(), return_counts=True)))
    chi2 = dof = 0
    for w, prob in law.items():
        expected = len(words) * prob / total
        if expected >= 20:
            chi2 += (seen.get(w, 0) - expected) ** 2 / expected
            dof += 1
    assert dof >= 10 and chi2 < dof + 6 * math.sqrt(2 * dof)  # fixed seed


def test_balanced_dataset_has_exactly_the_asked_share_of_positives():
    for d, n, fraction in [(even_as(), 1000, 0.5), (tomita(2), 1001, 0.5), (tomita(4), 500, 0.3), (EVEN_AS_C, 64, 1.0)]:
        words = balanced_dataset(d, n, lam=10.0, seed=7, positive_fraction=fraction)
        assert len(words) == n and words.labels.sum() == round(n * fraction)
        assert words.labels.tolist() == d.accepts_many(words.strings()).tolist()
    # tomita(2) = (10)*: at lam = 10 positives are rare (~0.1 %), yet come out exactly as many, all of even length
    words = balanced_dataset(tomita(2), 2000, seed=8)
    assert words.labels.sum() == 1000 and (words.lengths[words.labels] % 2 == 0).all()
    again = balanced_dataset(tomita(2), 2000, seed=8)
    np.testing.assert_array_equal(words.symbols, again.symbols)
    assert 0 < words.labels[:1000].sum() < 1000  # shuffled


def test_impossible_labels_are_named():
    empty = DFA([[0, 0]], [False])
    with pytest.raises(ValueError, match="cannot draw accepted words .* the language is empty"):
        balanced_dataset(empty, 10)
    assert balanced_dataset(empty, 10, positive_fraction=0.0).labels.sum() == 0
    with pytest.raises(ValueError, match="cannot draw rejected words .* every word is accepted"):
        balanced_dataset(DFA([[0]], [True]), 10)
    with pytest.raises(ValueError, match="no rejected word has positive probability with lam=0.0"):
        sample_words(tomita(2), 5, lam=0.0, label=False)  # the empty word is accepted
    p = np.array([[0.0, 1.0], [0.5, 0.5]])  # q0 only reads b, and only a leads to the accepting q1
    with pytest.raises(ValueError, match="distribution given as an array"):
        sample_words(DFA([[1, 0], [1, 1]], [False, True]), 5, distribution=p, label=True)


def test_strings_one_hot_and_indexing():
    d = DFA([[1, 0], [0, 1]], [True, False], ("é", "∅"))
    words = sample_words(d, 500, lam=4.0, seed=9)
    strings = words.strings()
    assert all(len(s) == n for s, n in zip(strings, words.lengths)) and set("".join(strings)) <= {"é", "∅"}
    assert words.labels.tolist() == d.accepts_many(strings).tolist()
    x, lengths = words.one_hot()
    assert x.shape == (500, words.lengths.max(), 2) and x.dtype == torch.float32
    assert lengths.tolist() == words.lengths.tolist()
    assert torch.equal(x.sum(2), (torch.arange(x.shape[1]) < lengths[:, None]).float())
    assert torch.equal(x[:, :, 1].long(), torch.from_numpy(words.symbols.astype(np.int64)) * (x.sum(2).long()))
    nonempty = words[words.lengths > 0]
    assert isinstance(nonempty, Words) and len(nonempty) == (words.lengths > 0).sum()
    out = SRN(2, 3, 1)(*nonempty.one_hot())
    assert out.h_last.shape == (len(nonempty), 3)
    assert words[3].strings() == [strings[3]] and len(words[:10]) == 10
    empty = sample_words(d, 3, lam=0.0)
    assert empty.strings() == ["", "", ""] and empty.one_hot()[0].shape == (3, 1, 2)
    with pytest.raises(ValueError, match="strings\\(\\) needs one-character symbols"):
        sample_words(DFA([[0, 0]], [True], ("ab", "c")), 2).strings()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sample_words(even_as(), 0), "n must be a positive integer, got 0"),
        (lambda: sample_words(even_as(), 2.5), "n must be a positive integer"),
        (lambda: sample_words(even_as(), 5, lam=-1.0), "lam must be a finite number >= 0"),
        (lambda: sample_words(even_as(), 5, lam=float("nan")), "lam must be a finite number >= 0"),
        (lambda: sample_words(even_as(), 5, lam=float("inf")), "lam must be a finite number >= 0"),
        (lambda: sample_words(even_as(), 5, distribution="uniform"), "distribution must be one of 'equal'"),
        (lambda: sample_words(even_as(), 5, distribution=np.ones((2, 3)) / 3), r"must have shape \(2, 2\)"),
        (lambda: sample_words(even_as(), 5, distribution=[[1.5, -0.5], [0.5, 0.5]]), "finite nonnegative"),
        (lambda: sample_words(even_as(), 5, distribution=[[np.nan, 1], [0.5, 0.5]]), "finite nonnegative"),
        (lambda: sample_words(even_as(), 5, distribution=[[0.5, 0.5], [0.5, 0.6]]), "row 1 sums to 1.1"),
        (lambda: sample_words(even_as(), 5, distribution=None), "distribution must be one of"),
        (lambda: sample_words(even_as(), 5, label="yes"), "label must be None, True or False"),
        (lambda: sample_words("ab", 5), "dfa must be a srnbook.dfa.DFA"),
        (lambda: balanced_dataset(even_as(), 10, positive_fraction=1.5),
         r"positive_fraction must be a number in \[0, 1\]"),
        (lambda: balanced_dataset(even_as(), -3), "n must be a positive integer"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_lookup_tables_agree_with_a_plain_search():
    from srnbook.sampling import _cumulative, _lookup

    rng = np.random.default_rng(10)
    n_states, n_symbols = 6, 3
    p = rng.random((4 * n_states, n_symbols)) * (rng.random((4 * n_states, n_symbols)) < 0.7)
    p[p.sum(1) == 0, 0] = 1.0
    rows = _cumulative(p / p.sum(1, keepdims=True))
    next_state = rng.integers(0, n_states, n_states * n_symbols).astype(np.int32)
    bins, lut_state, lut_letter = _lookup(rows, next_state, n_states, budget=64)
    assert bins == 16  # the smallest tables: many bins straddle a bound
    k = rng.integers(0, len(rows), 50_000)
    u = rng.random(50_000)
    cell = k * bins + (u * bins).astype(np.int64)
    letter = (rows[k] <= u[:, None]).sum(1)
    hit = lut_state[cell] >= 0
    assert 0.5 < hit.mean() < 1
    assert (lut_letter[cell][hit] == letter[hit]).all()
    assert (lut_state[cell][hit] == next_state[(k % n_states) * n_symbols + letter][hit]).all()
    assert (p[k, letter] > 0).all()  # a letter of probability 0 is never the answer


def test_long_conditional_words_use_the_fallback_search():
    # 1,600 letter tables (lengths up to ~400, 4 states) and few letters: the lookup has 16 bins per row
    p = np.tile([0.3, 0.7], (4, 1))  # bounds at 0.3: one bin in 16 straddles it
    words = sample_words(tomita(5), 10, lam=300.0, distribution=p, seed=12, label=True)
    assert words.labels.all() and tomita(5).accepts_many(words.strings()).all()
    assert 200 < words.lengths.mean() < 400


def test_letter_distribution_names_its_own_argument():
    with pytest.raises(ValueError, match="kind must be one of 'equal', 'no_obvious_negative'"):
        letter_distribution(even_as(), "uniform")
    with pytest.raises(ValueError, match=r"kind must have shape \(2, 2\)"):
        letter_distribution(even_as(), [[1.0]])
    p = [[0.25, 0.75], [1.0, 0.0]]
    np.testing.assert_array_equal(letter_distribution(even_as(), p), p)


# ---------------------------------------------------------------------- input contract (issue 20)


@pytest.mark.parametrize("bad", [None, np.random.default_rng(0), -1, 2**64, 1.5, "3"])
def test_seeds_are_integers_only(bad):
    """One seed rule: an integer in [0, 2**64); a Generator or None is refused."""
    for call in (sample_words, balanced_dataset):
        with pytest.raises(ValueError, match=r"seed must be a nonnegative integer below 2\*\*64"):
            call(even_as(), 4, seed=bad)


def test_the_same_integer_seed_gives_the_same_balanced_words():
    a, b = balanced_dataset(tomita(4), 50, seed=2**63), balanced_dataset(tomita(4), 50, seed=2**63)
    np.testing.assert_array_equal(a.symbols, b.symbols)


def test_sizes_beyond_the_memory_limit_are_refused_before_drawing():
    with pytest.raises(ValueError, match=r"n and lam: 1000000000000 words of mean length 10 .* would need"):
        sample_words(even_as(), 10**12)
    with pytest.raises(ValueError, match=r"n and lam: 3 words of mean length 1e\+30 .* would need"):
        balanced_dataset(even_as(), 3, lam=1e30)


def test_words_check_their_fields():
    good = dict(symbols=np.array([[0, 1]], dtype=np.uint8), lengths=np.array([2]), labels=np.array([True]),
                alphabet=("a", "b"))
    assert Words(**good).strings() == ["ab"]
    for field, bad, match in [
        ("symbols", np.array([[0, 2]]), r"symbols must be indices into alphabet, in \[0, 1\]"),
        ("symbols", [[0, 1]], "symbols must be a NumPy integer array"),
        ("lengths", np.array([3]), r"lengths must be in \[0, 2\]"),
        ("lengths", np.array([1, 1]), "symbols must have one row per word"),
        ("labels", np.array([1]), "labels must be a boolean array of length 1"),
        ("alphabet", "ab", "alphabet must be a tuple or list of symbols, got the bare string 'ab'"),
    ]:
        with pytest.raises(ValueError, match=match):
            Words(**{**good, field: bad})
    with pytest.raises(ValueError, match="dtype must be one of"):
        Words(**good).one_hot(torch.int64)
