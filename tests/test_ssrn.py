"""Specification of srnbook.ssrn: DFA -> SSRN (section 7.2 of the report), SSRN -> DFA, saturation.

The correctness sweep compiles every MLRegTest automaton (327) and 500 random DFAs,
with the sigmoid and with tanh, in float32, runs them with the real ``SRN.forward``
on ``N_WORDS = 2000`` random words each (lengths from 0 to ``MAX_LENGTH = 1000``,
log-uniform so that every decade of lengths is tested as thoroughly; uniform
letters; seeded) and checks ``SSRN.accepts`` against the DFA and every hidden vector
against the code of the DFA's state. The whole sweep (about ten CPU minutes) runs with
``pytest --exhaustive`` (``make test-exhaustive``); a plain run (``make test``) checks a
seeded sample of one automaton in ``SAMPLE`` (the same sample every run), chosen by
:func:`sample`. Exact extraction of every compiled automaton runs in both.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from srnbook import SRN
from srnbook.activations import saturation_threshold
from srnbook.dfa import DFA, ends_with_a, even_as, mlregtest, mlregtest_names
from srnbook.ssrn import (
    SSRN,
    ExtractionError,
    check_round_trip,
    dfa_to_ssrn,
    length_buckets,
    noise_robustness,
    random_words as ssrn_random_words,
    saturating_scale,
    saturation,
    scale_sweep,
    ssrn_to_dfa,
    stability_margin,
    tanh_basis,
    tanh_basis_inverse,
)

N_WORDS = 2000  # random words per automaton (each read by both networks)
SAMPLE = 32  # without --exhaustive, one automaton in SAMPLE is checked
MAX_LENGTH = 1000  # word lengths are in [0, MAX_LENGTH], log-uniform (see word_lengths)
BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
DTYPES = [torch.float32, torch.float64]


def previous_float(x: float, dtype) -> float:
    t = torch.tensor(x, dtype=dtype)
    return float(torch.nextafter(t, torch.zeros_like(t)))


# ---------------------------------------------------------------------- the report's worked example


def test_even_as_matrices_are_the_reports():
    m = dfa_to_ssrn(even_as(), J=1.0)
    assert torch.equal(m.srn.U, torch.tensor([[2.0, 0], [0, 2], [2, 0], [0, 2]]))
    assert torch.equal(m.srn.W, -torch.tensor([[3.0, 3, 1, 1], [1, 1, 3, 3], [1, 1, 3, 3], [3, 3, 1, 1]]))
    assert torch.equal(m.srn.V, torch.tensor([[1.0, 1, -1, -1]]))
    assert torch.equal(m.srn.b, torch.zeros(4)) and torch.equal(m.srn.c, torch.zeros(1))
    assert torch.equal(m.h0, torch.tensor([1.0, 0, 0, 0]))
    assert (m.srn.input_size, m.srn.hidden_size, m.srn.output_size) == (2, 4, 1)


def test_even_as_reads_aba_as_in_the_report():
    m = dfa_to_ssrn(even_as())
    h = m.trace("aba")  # h_0, ..., h_3
    assert torch.equal(h[2], torch.tensor([0.0, 0, 0, 1]))  # after "ab": state q_1, letter b
    assert torch.equal(h[3], torch.tensor([1.0, 0, 0, 0]))  # back to q_0
    (_, _, out), = m.run(["aba"])
    assert torch.equal(out.a[0, 2], m.J * torch.tensor([1.0, -3, -1, -1]))  # a_3 = J (1, -3, -1, -1)
    assert out.y[0, 2].item() == 1.0  # y = sigma(V h_3) = sigma(J) = 1
    assert m.accepts(["aba"]).tolist() == [True]
    assert m.decode(h).tolist() == [0, 1, 1, 0]


def test_zero_initial_state_breaks_the_simulation():
    """From h_0 = 0, U x_1 switches on the letter's unit in every state group."""
    dfa = even_as()
    m = dfa_to_ssrn(dfa)
    x, lengths = m.encode(["b"])
    with torch.no_grad():
        h1 = m.srn(x).h[0, 0]  # h0=None: zeros
    # a_1 = U x_1 = (0, 2J, 0, 2J): "b" is on in q_0 and in q_1, and the other units sit at sigma(0)
    assert torch.equal(h1, torch.tensor([0.5, 1, 0.5, 1]))
    words = ["".join(w) for n in range(1, 5) for w in itertools.product("ab", repeat=n)]
    with torch.no_grad():
        x, lengths = m.encode(words)
        y = m.srn(x, lengths=lengths).y[torch.arange(len(words)), lengths - 1, 0]
    zero_start = (y > 0.5).numpy()
    assert dfa.accepts("b") and not zero_start[words.index("b")]  # V h_1 = J/2 + J - J/2 - J = 0: y = 1/2
    assert (zero_start != dfa.accepts_many(words)).mean() > 0.25
    assert (m.accepts(words) == dfa.accepts_many(words)).all()


# ---------------------------------------------------------------------- tanh: Property 1


@pytest.mark.parametrize("n", [1, 3, 4, 5, 10, 64])
def test_property_1_inverts_the_tanh_basis(n):
    B, B_inv = tanh_basis(n), tanh_basis_inverse(n)
    eye = torch.eye(n, dtype=torch.float64)
    torch.testing.assert_close(B @ B_inv, eye, rtol=0, atol=1e-12)
    torch.testing.assert_close(B_inv @ B, eye, rtol=0, atol=1e-12)
    if n >= 3:
        a = 1 / (n - 2)
        assert B_inv[0, 0].item() == pytest.approx((1 - a) / 2) and B_inv[0, 1].item() == pytest.approx(-a / 2)


def test_tanh_basis_is_singular_for_n_2():
    assert torch.linalg.matrix_rank(tanh_basis(2)).item() == 1
    with pytest.raises(ValueError, match="n must not be 2"):
        tanh_basis_inverse(2)


def test_tanh_network_is_the_sigmoid_network_in_the_tanh_basis():
    dfa = DFA.random(5, 3, seed=1)
    sig = dfa_to_ssrn(dfa, "sigmoid", J=1000.0, dtype=torch.float64)  # saturated in float64
    tanh = dfa_to_ssrn(dfa, "tanh", J=1000.0, dtype=torch.float64)
    B_inv = tanh_basis_inverse(15)
    assert torch.equal(tanh.srn.U, sig.srn.U)
    torch.testing.assert_close(tanh.srn.W.detach(), sig.srn.W.detach() @ B_inv)
    torch.testing.assert_close(tanh.srn.V.detach(), sig.srn.V.detach() @ B_inv)
    assert torch.equal(tanh.h0, tanh_basis(15) @ sig.h0)
    words = ["abcab", "ccabc", "bbbbb"]  # equal lengths: one batch
    (_, _, s), = sig.run(words)
    (_, _, t), = tanh.run(words)
    torch.testing.assert_close(t.a, s.a)  # the same pre-activations
    torch.testing.assert_close(t.h, 2 * s.h - 1)


@pytest.mark.parametrize("dfa", [
    DFA([[0, 0]], [True], ("a", "b")),  # 1 state, 2 letters
    DFA([[1], [0]], [True, False], ("a",)),  # 2 states, 1 letter: even length
], ids=["1x2", "2x1"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_with_two_hidden_units_uses_the_affine_map(dfa, dtype):
    m = dfa_to_ssrn(dfa, "tanh", dtype=dtype)
    assert m.srn.hidden_size == 2
    W_sig = dfa_to_ssrn(dfa, "sigmoid", J=m.J, dtype=dtype).srn.W.detach()
    torch.testing.assert_close(m.srn.W.detach(), W_sig / 2)
    torch.testing.assert_close(m.srn.b.detach(), W_sig.sum(1) / 2)  # b = W 1 / 2
    words = ["", "a", "aa", "aaa", "ab", "ba", "bbb", "aab"] if dfa.n_symbols == 2 else ["a" * n for n in range(9)]
    assert (m.accepts(words) == dfa.accepts_many(words)).all()
    for w in words:
        assert (m.decode(m.trace(w)) == torch.tensor(dfa.run(w))).all()
    # the same pre-activations as the sigmoid network (both saturated at J = 1000 in float64)
    sig = dfa_to_ssrn(dfa, "sigmoid", J=1000.0, dtype=torch.float64)
    tanh = dfa_to_ssrn(dfa, "tanh", J=1000.0, dtype=torch.float64)
    (_, _, s), = sig.run(["aaa"])
    (_, _, t), = tanh.run(["aaa"])
    assert torch.equal(t.a, s.a) and torch.equal(t.h, 2 * s.h - 1)


# ---------------------------------------------------------------------- the saturating scale J


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_saturating_scale_is_the_first_float_where_sigma_hits_its_bounds(activation, dtype):
    J = saturating_scale(activation, dtype)
    lo, hi = BOUNDS[activation]
    fn = getattr(torch, activation)
    big = torch.finfo(dtype).max
    for x in (J, 1.5 * J, 2 * J, 3 * J, 5 * J, 1e3 * J, big):
        for n in (1, 1000):  # the scalar path and the vectorized path of the kernel
            v = torch.full((n,), x, dtype=dtype)
            assert bool((fn(v) == hi).all()) and bool((fn(-v) == lo).all()), (x, n)
    below = torch.tensor(previous_float(J, dtype), dtype=dtype)
    assert fn(below).item() != hi or fn(-below).item() != lo
    # agrees with saturation_threshold, and with the closed forms of the docstring
    assert J == max(saturation_threshold(fn, hi, dtype), saturation_threshold(lambda x: fn(-x), lo, dtype))
    u = torch.finfo(dtype).eps / 2
    if activation == "sigmoid":  # exp(J) overflows
        assert J == pytest.approx(math.log(torch.finfo(dtype).max), rel=1e-6)
        assert saturation_threshold(fn, 1.0, dtype) == pytest.approx(-math.log(u), rel=1e-6)
    else:  # 2 exp(-2J) = u / 2
        assert J == pytest.approx(math.log(4 / u) / 2, rel=1e-5)


def _all_values_on_bounds(m: SSRN, words) -> bool:
    lo, hi = BOUNDS[m.activation]
    ok = True
    for _, lens, out in m.run(words):
        mask = torch.arange(out.h.shape[1]) < lens[:, None]
        h = out.h[mask]
        y = m.readout(h)  # the outputs at every step
        ok &= bool(((h == lo) | (h == hi)).all()) and bool(((y == lo) | (y == hi)).all())
    return ok


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_default_J_is_the_smallest_saturating_scale(activation, dtype):
    rng = np.random.default_rng(0)
    for dfa in (even_as(), DFA.random(12, 5, seed=3)):
        words = ["".join(rng.choice(list(dfa.alphabet), size=n)) for n in rng.integers(1, 60, 300)]
        m = dfa_to_ssrn(dfa, activation, dtype=dtype)
        t = saturating_scale(activation, dtype)
        if activation == "sigmoid":
            assert m.J == t
        else:  # a rounding margin for the sums in W B^-1 h (see dfa_to_ssrn)
            assert t <= m.J <= t * 1.01
        assert _all_values_on_bounds(m, words)
        assert (m.accepts(words) == dfa.accepts_many(words)).all()
        smaller = dfa_to_ssrn(dfa, activation, J=previous_float(t, dtype), dtype=dtype)
        assert not _all_values_on_bounds(smaller, words)


# ---------------------------------------------------------------------- correctness on many automata


def word_lengths(rng, n: int, max_length: int) -> np.ndarray:
    """``n`` lengths in [0, max_length], log-uniform: as many words in [1, 10) as in [100, 1000)."""
    lengths = np.floor(np.exp(rng.uniform(0, np.log(max_length + 1), size=n))).astype(np.int64) - 1
    lengths[:2] = (0, max_length)  # both ends, always
    return lengths


def random_words(rng, dfa: DFA, n: int, max_length: int):
    """``n`` words with log-uniform lengths in [0, max_length] and uniform letters: strings and symbol indices."""
    letters = np.array([ord(s) for s in dfa.alphabet], dtype=np.uint8)
    codes = [rng.integers(0, dfa.n_symbols, size=L) for L in word_lengths(rng, n, max_length)]
    return [letters[c].tobytes().decode("ascii") for c in codes], codes


def final_states(dfa: DFA, codes) -> np.ndarray:
    """The DFA's state after each word, one letter at a time (an independent reference)."""
    rows = dfa.delta.tolist()
    finals = []
    for c in codes:
        q = 0
        for j in c.tolist():
            q = rows[q][j]
        finals.append(q)
    return np.array(finals, dtype=np.int64)


def hidden_vector_check(m: SSRN, failures: list):
    """A forward hook on ``m.srn``: every hidden vector must be the code of the DFA's state after the same prefix.

    The DFA is run on the letters of the batch itself (decoded from the one-hot
    ``x``); hidden unit ``state * |Sigma| + letter`` must be the one on.
    """
    dfa, (lo, hi) = m.dfa, BOUNDS[m.activation]

    def hook(module, args, kwargs, out):
        x, lengths = args[0], kwargs["lengths"]
        B, T, d = out.h.shape
        letters = x.argmax(-1).numpy()
        by_step = np.zeros((T + 1, B), dtype=np.int64)  # time-major: each step reads contiguous rows
        steps = np.ascontiguousarray(letters.T)
        for t in range(T):
            by_step[t + 1] = dfa.delta[by_step[t], steps[t]]
        states = by_step.T
        unit = torch.from_numpy(states[:, 1:] * dfa.n_symbols + letters)
        expected = torch.full((B, T, d), lo, dtype=out.h.dtype).scatter_(2, unit[..., None], hi)
        expected[torch.arange(T) >= lengths[:, None]] = 0.0  # SRN.forward returns zeros at padded steps
        if not torch.equal(out.h, expected):
            i, t = (out.h != expected).any(-1).nonzero()[0].tolist()
            failures.append(f"h_{t + 1} of a word of length {int(lengths[i])} is not the code of state "
                            f"{states[i, t + 1]}")

    return hook


def check_automaton(dfa: DFA, label: str, rng) -> list[str]:
    """Run ``dfa``'s sigmoid and tanh SSRNs on random words; return a message per failure (empty: all good)."""
    words, codes = random_words(rng, dfa, N_WORDS, MAX_LENGTH)
    truth = dfa.accepting[final_states(dfa, codes)]
    sample = rng.choice(len(words), size=min(100, len(words)), replace=False)
    if not (dfa.accepts_many([words[i] for i in sample]) == truth[sample]).all():
        return [f"{label}: the test's reference disagrees with DFA.accepts_many"]
    failures = []
    for activation in ("sigmoid", "tanh"):
        m = dfa_to_ssrn(dfa, activation)
        where = f"{label}, {activation}, J={m.J!r}"
        hidden = []
        handle = m.srn.register_forward_hook(hidden_vector_check(m, hidden), with_kwargs=True)
        try:
            wrong = np.flatnonzero(m.accepts(words) != truth)
        finally:
            handle.remove()
        if len(wrong):
            w = words[wrong[0]]
            failures.append(f"{where}: accepts differs from the DFA on {len(wrong)}/{len(words)} words, "
                            f"e.g. a word of length {len(w)}: {w[:40]!r}...")
        failures += [f"{where}: {message}" for message in hidden[:1]]
    return failures


MLREGTEST_CHUNKS = np.array_split(mlregtest_names(), 8)
RANDOM_SEEDS = np.arange(500)
_sizes = np.random.default_rng(2024)
RANDOM_SIZES = np.stack([_sizes.integers(1, 31, 500), _sizes.integers(1, 9, 500)], axis=1)  # |Q|, |Sigma|
RANDOM_CHUNKS = np.array_split(RANDOM_SEEDS, 10)


def random_dfa(seed: int) -> DFA:
    n, k = RANDOM_SIZES[seed]
    return DFA.random(int(n), int(k), seed=int(seed))


def sample(items, config, chunk: int) -> list:
    """All ``items`` with ``--exhaustive``; otherwise one in ``SAMPLE``, from a seeded offset
    per chunk (the same automata every run, spread over the whole list)."""
    items = list(items)
    if config.getoption("--exhaustive"):
        return items
    offset = int(np.random.default_rng([18, chunk]).integers(SAMPLE))
    return items[offset::SAMPLE]


@pytest.mark.exhaustive
@pytest.mark.parametrize("chunk", range(len(MLREGTEST_CHUNKS)))
def test_ssrn_simulates_every_mlregtest_automaton(chunk, pytestconfig):
    failures = []
    for name in sample(MLREGTEST_CHUNKS[chunk], pytestconfig, chunk):
        rng = np.random.default_rng([ord(c) for c in name])  # seeded by the name
        failures += check_automaton(mlregtest(name), f"MLRegTest {name}", rng)
    assert not failures, "\n".join(failures)


@pytest.mark.exhaustive
@pytest.mark.parametrize("chunk", range(len(RANDOM_CHUNKS)))
def test_ssrn_simulates_random_dfas(chunk, pytestconfig):
    failures = []
    for seed in sample(RANDOM_CHUNKS[chunk], pytestconfig, 100 + chunk):
        dfa = random_dfa(seed)
        label = f"DFA.random({dfa.n_states}, {dfa.n_symbols}, seed={seed})"
        failures += check_automaton(dfa, label, np.random.default_rng(1000 + int(seed)))
    assert not failures, "\n".join(failures)


def test_the_sample_spreads_over_every_chunk(pytestconfig):
    sizes = [len(sample(chunk, pytestconfig, i)) for i, chunk in enumerate(MLREGTEST_CHUNKS)]
    if pytestconfig.getoption("--exhaustive"):
        assert sum(sizes) == len(mlregtest_names())
    else:
        assert all(len(chunk) // SAMPLE <= n <= -(-len(chunk) // SAMPLE) for n, chunk in zip(sizes, MLREGTEST_CHUNKS))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_extraction_recovers_every_compiled_automaton(activation):
    failures = []
    automata = [(f"MLRegTest {n}", mlregtest(n)) for n in mlregtest_names()]
    automata += [(f"DFA.random seed={s}", random_dfa(s)) for s in RANDOM_SEEDS]
    for label, dfa in automata:
        extracted = ssrn_to_dfa(dfa_to_ssrn(dfa, activation))
        minimal = dfa.minimize()
        word = extracted.equivalent(dfa)
        if word is not None or extracted.n_states != minimal.n_states:
            failures.append(f"{label}, {activation}: extracted {extracted.n_states} states "
                            f"(minimal: {minimal.n_states}), first difference on {word!r}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------- extraction of uncompiled networks


def srn_accepts(srn: SRN, codes, h0=None, threshold=0.5) -> np.ndarray:
    """Acceptance by the network's own forward pass (no empty words)."""
    k = srn.input_size
    lengths = torch.tensor([len(c) for c in codes])
    x = torch.zeros(len(codes), int(lengths.max()), k)
    for i, c in enumerate(codes):
        x[i, torch.arange(len(c)), torch.from_numpy(c)] = 1.0
    with torch.no_grad():
        y = srn(x, lengths=lengths, h0=h0).y
    return (y[torch.arange(len(codes)), lengths - 1, 0] > threshold).numpy()


def test_extraction_of_a_random_saturating_network_matches_its_forward_pass():
    torch.manual_seed(0)
    srn = SRN(3, 8, 1)
    with torch.no_grad():
        for p in srn.parameters():
            p.normal_(0.0, 1000.0)  # huge weights: the network saturates
    dfa = ssrn_to_dfa(srn)
    assert dfa.n_states >= 3  # a non-trivial automaton (this seed gives one)
    rng = np.random.default_rng(0)
    codes = [rng.integers(0, 3, size=n) for n in rng.integers(1, 200, size=3000)]
    words = ["".join("abc"[j] for j in c) for c in codes]
    assert (srn_accepts(srn, codes) == dfa.accepts_many(words)).all()


def test_extraction_ignores_a_permutation_of_the_hidden_units_and_small_noise():
    dfa = DFA.random(9, 3, seed=7)
    m = dfa_to_ssrn(dfa)
    d = m.srn.hidden_size
    perm = torch.randperm(d, generator=torch.Generator().manual_seed(0))
    P = torch.eye(d)[perm]
    srn = SRN(3, d, 1)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        srn.U.copy_(P @ m.srn.U), srn.W.copy_(P @ m.srn.W @ P.T), srn.V.copy_(m.srn.V @ P.T)
        srn.b.zero_(), srn.c.zero_()
        for p in srn.parameters():
            p.add_(0.02 * m.J * torch.randn(p.shape, generator=g))
    h0 = P @ m.h0
    extracted = ssrn_to_dfa(srn, h0=h0)
    assert extracted.equivalent(dfa) is None
    rng = np.random.default_rng(1)
    codes = [rng.integers(0, 3, size=n) for n in rng.integers(1, 300, size=2000)]
    words = ["".join("abc"[j] for j in c) for c in codes]
    assert (srn_accepts(srn, codes, h0=h0) == extracted.accepts_many(words)).all()


def test_extraction_fails_clearly_when_states_do_not_close():
    torch.manual_seed(0)
    srn = SRN(2, 5, 1)  # small weights: hidden vectors keep changing in their last bits
    with pytest.raises(ExtractionError, match="max_states=50"):
        ssrn_to_dfa(srn, max_states=50)
    assert issubclass(ExtractionError, ValueError)


def test_extraction_reads_acceptance_of_the_empty_word_from_h0():
    for accepting in ([True, False], [False, True]):
        dfa = DFA([[1, 0], [0, 1]], accepting, ("a", "b"))
        for activation in ("sigmoid", "tanh"):
            assert ssrn_to_dfa(dfa_to_ssrn(dfa, activation)).accepts("") == accepting[0]


# ---------------------------------------------------------------------- saturation and stability


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_saturation_is_one_at_the_saturating_scale_only(activation):
    dfa = DFA.random(6, 3, seed=2)
    rng = np.random.default_rng(0)
    words, _ = random_words(rng, dfa, 100, 50)
    assert saturation(dfa_to_ssrn(dfa, activation), words) == 1.0
    beta = saturation(dfa_to_ssrn(dfa, activation, J=1.0), words)
    lo, hi = BOUNDS[activation]
    assert (lo + hi) / 2 <= beta < 1.0


def test_saturation_of_a_plain_srn_is_definition_2():
    torch.manual_seed(0)
    srn = SRN(2, 4, 1, activation="tanh")
    x = torch.nn.functional.one_hot(torch.randint(0, 2, (5, 7)), 2).float()
    with torch.no_grad():
        h = srn(x).h
    assert saturation(srn, x) == pytest.approx(float(h.abs().min()))


def test_stability_condition_of_section_7_1():
    m = dfa_to_ssrn(DFA.random(5, 2, seed=0), "tanh")
    s = stability_margin(m, words=["abba", "b"])
    norm = float(torch.linalg.matrix_norm(m.srn.W.detach().double(), ord=2))
    assert s.norm_W == pytest.approx(norm) and s.beta == 1.0 and s.stable and s.contraction == 0.0
    assert s.beta_required == pytest.approx(math.sqrt(1 - 1 / norm))
    for beta in (0.0, 0.5, 0.99, s.beta_required * 0.999, s.beta_required * 1.001):
        assert stability_margin(m, beta=beta).stable == (beta > s.beta_required)
    sig = dfa_to_ssrn(DFA.random(5, 2, seed=0), "sigmoid")
    r = stability_margin(sig, beta=0.75).beta_required
    assert r * (1 - r) * stability_margin(sig, beta=0.75).norm_W == pytest.approx(1.0)
    assert stability_margin(sig, beta=min(1.0, r * 1.0001)).stable


def test_noise_robustness_degrades_with_the_noise():
    dfa = DFA.random(8, 3, seed=4)
    rng = np.random.default_rng(0)
    words, _ = random_words(rng, dfa, 300, 40)
    for activation in ("sigmoid", "tanh"):
        points = noise_robustness(dfa, activation, sigmas=[0.0, 0.05, 3.0], words=words, seed=0)
        assert [p.sigma for p in points] == [0.0, 0.05, 3.0]
        assert points[0].agreement == 1.0 and points[0].beta == 1.0
        assert points[1].agreement == 1.0  # small noise: still saturated, still right
        assert points[2].agreement < 1.0 and points[2].beta < 1.0
        assert noise_robustness(dfa, activation, sigmas=[3.0], words=words, seed=0)[0] == points[2]


# ---------------------------------------------------------------------- SSRN helpers


def test_length_buckets_cover_the_non_empty_words_once():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 1001, size=2000)
    buckets = length_buckets(lengths, 16, max_elements=2**20)
    seen = np.concatenate(buckets)
    assert sorted(seen.tolist()) == np.flatnonzero(lengths > 0).tolist()
    padded = sum(len(b) * lengths[b].max() for b in buckets)
    assert padded <= 2 * lengths.sum()
    assert all(len(b) * lengths[b].max() * 16 <= 2**20 or len(b) == 1 for b in buckets)


def test_encode_and_empty_words():
    m = dfa_to_ssrn(ends_with_a())
    x, lengths = m.encode(["ab", "", ("c",)])
    assert x.shape == (3, 2, 3) and lengths.tolist() == [2, 0, 1]
    assert torch.equal(x[0], torch.tensor([[1.0, 0, 0], [0, 1, 0]]))
    assert m.accepts(["", "a", "ba", "ab"]).tolist() == [False, True, True, False]
    assert torch.equal(m.trace(""), m.h0[None])


# ---------------------------------------------------------------------- errors


def test_bad_arguments_raise_clear_errors():
    dfa = even_as()
    with pytest.raises(ValueError, match="activation must be one of"):
        dfa_to_ssrn(dfa, "relu")
    for J in (0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="J must be a positive"):
            dfa_to_ssrn(dfa, J=J)
    with pytest.raises(ValueError, match="representable"):
        dfa_to_ssrn(dfa, J=1e-50)  # rounds to 0 in float32
    with pytest.raises(ValueError, match="dfa must be a srnbook.DFA"):
        dfa_to_ssrn([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="dtype must be one of torch.float32, torch.float64"):
        dfa_to_ssrn(dfa, dtype=torch.float16)
    m = dfa_to_ssrn(dfa)
    with pytest.raises(ValueError, match="unknown symbol 'z'"):
        m.accepts(["abz"])
    with pytest.raises(ValueError, match="unknown symbol 'z'"):
        m.accepts([("a", "z")])
    with pytest.raises(ValueError, match="words must be a list"):
        m.accepts("ab")
    with pytest.raises(ValueError, match="model must be an SSRN or a srnbook.SRN"):
        ssrn_to_dfa(dfa)
    with pytest.raises(ValueError, match="max_states must be a positive integer"):
        ssrn_to_dfa(m, max_states=0)
    with pytest.raises(ValueError, match="alphabet must have 2 symbols"):
        ssrn_to_dfa(m, alphabet=("a", "b", "c"))
    with pytest.raises(ValueError, match="h0 must have dtype torch.float32"):
        ssrn_to_dfa(m, h0=torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="output_size 1"):
        ssrn_to_dfa(SRN(2, 3, 2))
    with pytest.raises(ValueError, match="words must contain"):
        saturation(m, [""])
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0.5, 1\]"):
        stability_margin(m, beta=0.2)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        tanh_basis(0)


# ---------------------------------------------------------------------- the input contract (issue 20)


def test_a_scale_whose_multiples_overflow_the_dtype_is_refused():
    """At J = 1.2e38, 3J is inf in float32: the network would reject every nonempty word."""
    with pytest.raises(ValueError, match=r"J = 1.2e\+38 is too large for torch.float32.*14J"):
        dfa_to_ssrn(even_as(), J=1.2e38)
    with pytest.raises(ValueError, match=r"J = 1e\+307 is too large for torch.float64"):
        dfa_to_ssrn(even_as(), "tanh", J=1e307, dtype=torch.float64)
    words = ["", "a", "ab", "aab", "bab", "abba"]
    for activation, growth in (("sigmoid", 3 * 4 + 2), ("tanh", 6 * 4 + 2)):
        largest = float(torch.finfo(torch.float32).max) / growth  # the largest J accepted
        m = dfa_to_ssrn(even_as(), activation, J=largest)
        assert (m.accepts(words) == even_as().accepts_many(words)).all()
        assert ssrn_to_dfa(m).equivalent(even_as()) is None
        with pytest.raises(ValueError, match="too large"):
            dfa_to_ssrn(even_as(), activation, J=largest * 1.01)


def test_extraction_refuses_a_nan_threshold_and_non_finite_weights():
    m = dfa_to_ssrn(even_as())
    for threshold in (float("nan"), float("inf"), 1.0, 0.0, -0.5, "0.5"):
        with pytest.raises(ValueError, match="threshold must be"):
            ssrn_to_dfa(m, threshold=threshold)
    assert ssrn_to_dfa(m, threshold=0.25).equivalent(even_as()) is None
    srn = SRN(2, 3, 1)
    for value in (float("nan"), float("inf")):
        with torch.no_grad():
            srn.W[0, 0] = value
        with pytest.raises(ValueError, match="model has NaN or infinite weights"):
            ssrn_to_dfa(srn)
    with pytest.raises(ValueError, match="h0 contains NaN"):
        ssrn_to_dfa(m, h0=torch.tensor([float("nan"), 0.0, 0.0, 0.0]))


def test_a_hidden_vector_that_overflows_stops_the_extraction():
    srn = SRN(1, 2, 1, activation="relu", output="identity")
    with torch.no_grad():  # h -> relu(1e38 h + 1e38): infinite after two steps
        srn.W.fill_(1e38), srn.U.fill_(1e38), srn.b.zero_()
    with pytest.raises(ValueError, match="model: a hidden vector reachable from h0, or its output, has NaN"):
        ssrn_to_dfa(srn)


def test_collections_of_words_refuse_a_bare_string():
    """A bare string is not read as a list of one-letter words."""
    dfa = even_as()
    m = dfa_to_ssrn(dfa)
    calls = [lambda: m.accepts("ab"), lambda: m.outputs("ab"), lambda: m.encode("ab"), lambda: m.codes("ab"),
             lambda: m.run("ab"), lambda: saturation(m, "ab"), lambda: stability_margin(m, words="ab"),
             lambda: noise_robustness(dfa, words="ab"), lambda: scale_sweep(dfa, [2.0], "ab")]
    for call in calls:
        with pytest.raises(ValueError, match="words must be a list of words, got a single string 'ab'"):
            call()
    with pytest.raises(ValueError, match="activations must be a tuple or list of names"):
        scale_sweep(dfa, [2.0], ["ab"], activations="sigmoid")
    with pytest.raises(ValueError, match="sigmas must be a nonempty list"):
        noise_robustness(dfa, sigmas=0.1, words=["ab"])
    with pytest.raises(ValueError, match="scales must be a nonempty list"):
        scale_sweep(dfa, 2.0, ["ab"])
    with pytest.raises(ValueError, match="alphabet must be a tuple or list of 2 symbols"):
        ssrn_to_dfa(m, alphabet="ab")


def test_measurements_check_their_numbers_before_computing():
    dfa = even_as()
    with pytest.raises(ValueError, match=r"scales\[1\] = 1e\+38 is too large for torch.float32"):
        scale_sweep(dfa, [2.0, 1e38], ["ab"])
    with pytest.raises(ValueError, match=r"sigmas\[1\] = 1e\+36 is too large"):
        noise_robustness(dfa, sigmas=[0.0, 1e36], words=["ab"])
    with pytest.raises(ValueError, match=r"sigmas\[0\] must be a finite number"):
        noise_robustness(dfa, sigmas=[float("nan")], words=["ab"])
    with pytest.raises(ValueError, match="words must contain at least one non-empty word"):
        scale_sweep(dfa, [2.0], [""])
    with pytest.raises(ValueError, match="give beta or words"):
        stability_margin(dfa_to_ssrn(dfa), beta=0.9, words=["ab"])
    with pytest.raises(ValueError, match="h0 must be None for an SSRN"):
        saturation(dfa_to_ssrn(dfa), ["ab"], h0=torch.zeros(4))
    sweep = scale_sweep(dfa, np.array([2.0, 100.0]), ["ab", "b"], activations=("tanh",))  # arrays are lists
    assert [p.J for p in sweep["tanh"]] == [2.0, 100.0]


def test_decode_and_readout_refuse_vectors_of_the_wrong_length():
    m = dfa_to_ssrn(even_as())
    for h in (torch.ones(3), torch.ones(2, 5), torch.ones(4, dtype=torch.float64), torch.ones(4).long()):
        for method in (m.decode, m.readout):
            with pytest.raises(ValueError, match="h must have"):
                method(h)
    assert m.decode(torch.tensor([0.0, 0, 1, 0])).item() == 1


def test_an_ssrn_is_checked_when_built():
    m = dfa_to_ssrn(even_as())
    with pytest.raises(ValueError, match="srn must have input size 3"):
        SSRN(m.srn, ends_with_a(), m.J, "sigmoid", m.h0)
    with pytest.raises(ValueError, match="activation must be srn's activation"):
        SSRN(m.srn, m.dfa, m.J, "tanh", m.h0)
    with pytest.raises(ValueError, match="h0 must have shape"):
        SSRN(m.srn, m.dfa, m.J, "sigmoid", torch.zeros(3))


def test_length_buckets_refuse_zero_groups_and_lengths_that_are_not_counts():
    with pytest.raises(ValueError, match="groups must be a positive integer, got 0"):
        length_buckets([3, 2], 4, groups=0)
    for lengths, match in (([3, -1], "nonnegative"), ([3.5, 2], "integers"), ([[3, 2]], "1-D"), (3, "1-D")):
        with pytest.raises(ValueError, match=f"lengths must .*{match}"):
            length_buckets(lengths, 4)
    with pytest.raises(ValueError, match="width must be a positive integer, got 1.5"):
        length_buckets([3, 2], 1.5)
    assert sorted(np.concatenate(length_buckets([3, 2], 4, groups=1)).tolist()) == [0, 1]


def test_size_guards_refuse_before_allocating():
    big = DFA(np.zeros((100_000, 2), dtype=np.int64), np.zeros(100_000, dtype=bool))
    with pytest.raises(ValueError, match=r"dfa: the 200000 x 200000 matrix W .* would need [0-9.]+ GiB"):
        dfa_to_ssrn(big)
    with pytest.raises(ValueError, match=r"n: .* would need [0-9.e+]+ GiB"):
        tanh_basis(10**6)
    with pytest.raises(ValueError, match=r"n/max_length: .* would need"):
        ssrn_random_words(even_as(), 10**9, 100)
    with pytest.raises(ValueError, match=r"n_words/max_length: .* would need"):
        check_round_trip(even_as(), n_words=10, max_length=10**11)


# ---------------------------------------------------------------------- max_states counts states


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_max_states_counts_the_states_of_the_explored_automaton(activation):
    """The even-a's SSRN reaches 4 hidden vectors (one per state and last letter) but 2 states:
    max_states = 2 suffices, and the error at max_states = 1 says which count passed the limit."""
    m = dfa_to_ssrn(even_as(), activation)
    H = torch.cat([m.trace(w) for w in ("aab", "ab")])
    assert torch.unique(H, dim=0).shape[0] == 4
    assert ssrn_to_dfa(m, max_states=2).n_states == 2
    with pytest.raises(ExtractionError, match=r"max_states=1 states .*\(2 states, \d+ distinct hidden"):
        ssrn_to_dfa(m, max_states=1)


def test_max_states_bounds_the_explored_automaton_before_minimization():
    """A compiled 4-state DFA of the even-a's language explores its 4 reachable states; the DFA
    returned is minimal (2 states)."""
    redundant = DFA([[1, 0], [2, 1], [3, 2], [0, 3]], [True, False, True, False], ("a", "b"))
    m = dfa_to_ssrn(redundant)
    assert ssrn_to_dfa(m, max_states=4).n_states == 2
    with pytest.raises(ExtractionError, match="max_states=3"):
        ssrn_to_dfa(m, max_states=3)
