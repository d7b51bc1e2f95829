"""Specification of srnbook.lstar: Angluin's L* with networks as teachers, cross-checked against AALpy."""

import numpy as np
import pytest
import torch

from srnbook import SRN, dfa_to_ssrn
from srnbook.dfa import DFA, mlregtest, tomita
from srnbook.extraction import equivalent_on_nonempty, smallest_on_nonempty
from srnbook.lstar import lstar, network_membership, sampling_equivalence

LANGUAGES = [tomita(n) for n in range(1, 8)] + [mlregtest(name) for name in
                                               ("04.04.SL.2.1.0", "04.04.Zp.2.1.0", "04.04.PT.2.1.0",
                                                                 "04.03.TPLT.2.2.0")]


def exact_teacher(target: DFA):
    """Membership and equivalence answered by the target itself: L* must return its minimal DFA."""
    symbols = target.alphabet

    def member(words):
        return target.accepts_many([tuple(symbols[j] for j in w) for w in words])

    def equivalence(hypothesis):
        word = hypothesis.equivalent(target)
        return None if word is None else [symbols.index(s) for s in word]

    return member, equivalence


@pytest.mark.parametrize("seed", range(6))
def test_with_an_exact_teacher_lstar_returns_the_minimal_dfa(seed):
    target = DFA.random(7, 3, seed=seed)
    member, equivalence = exact_teacher(target)
    result = lstar(member, target.alphabet, equivalence)
    minimal = target.minimize()
    assert result.dfa.n_states == minimal.n_states
    assert np.array_equal(result.dfa.delta, minimal.delta)  # both canonical: the same table
    assert result.equivalence_queries == len(result.counterexamples) + 1


@pytest.mark.parametrize("target", LANGUAGES, ids=repr)
def test_a_compiled_network_as_teacher_gives_back_its_minimal_dfa(target):
    ssrn = dfa_to_ssrn(target, "tanh")
    member = network_membership(ssrn)
    equivalence = sampling_equivalence(member, target.n_symbols, max_length=12, seed=1)
    result = lstar(member, target.alphabet, equivalence)
    assert result.dfa.equivalent(target) is None
    assert result.dfa.n_states == target.minimize().n_states
    assert equivalence.queries == result.equivalence_queries
    assert equivalence.disagreement == 0.0


class _CompiledNetworkSUL:
    """An AALpy system under learning: the compiled network, stepped one letter at a time
    (h <- sigma(U e_j + W h + b) in float32 NumPy, the readout g(V h + c) against the threshold)."""

    def __new__(cls, ssrn):
        from aalpy.base import SUL

        srn = ssrn.srn
        U, W, b, V, c = (getattr(srn, name).detach().numpy() for name in ("U", "W", "b", "V", "c"))
        index = {symbol: j for j, symbol in enumerate(ssrn.alphabet)}

        class NetworkSUL(SUL):
            def pre(self):
                self.h = ssrn.h0.numpy().copy()

            def post(self):
                pass

            def step(self, letter):
                if letter is not None:
                    self.h = np.tanh(U[:, index[letter]] + W @ self.h + b)
                return bool(np.tanh(V @ self.h + c)[0] > ssrn.threshold)

        return NetworkSUL()


def from_aalpy(automaton, alphabet) -> DFA:
    states = automaton.states
    index = {id(s): i for i, s in enumerate(states)}
    first = index[id(automaton.initial_state)]
    order = [first] + [i for i in range(len(states)) if i != first]  # q0 first
    position = {i: p for p, i in enumerate(order)}
    delta = [[position[index[id(states[i].transitions[a])]] for a in alphabet] for i in order]
    return DFA(np.array(delta), np.array([states[i].is_accepting for i in order]), alphabet)


@pytest.mark.parametrize("target", LANGUAGES, ids=repr)
def test_lstar_and_aalpy_learn_the_same_minimal_dfa_from_a_compiled_network(target):
    """AALpy's L* (Rivest-Schapire counterexamples, a W-method conformance test) and ours agree."""
    from aalpy.learning_algs import run_Lstar
    from aalpy.oracles import WMethodEqOracle

    ssrn = dfa_to_ssrn(target, "tanh")
    sul = _CompiledNetworkSUL(ssrn)
    oracle = WMethodEqOracle(list(target.alphabet), sul, max_number_of_states=target.n_states)
    theirs = from_aalpy(run_Lstar(list(target.alphabet), sul, oracle, "dfa", print_level=0), target.alphabet)
    member = network_membership(ssrn)
    ours = lstar(member, target.alphabet, sampling_equivalence(member, target.n_symbols, max_length=12)).dfa
    assert theirs.minimize().n_states == theirs.n_states == ours.n_states == target.minimize().n_states
    assert theirs.equivalent(ours) is None and ours.equivalent(target) is None


def test_uniform_sampling_misses_a_distinction_that_only_a_rare_word_shows():
    """04.03.TLTT.4.2.3 separates its ninth state only on words like (ab)^6: the uniform law of
    the equivalence queries almost never draws one, so L* stops one state short; AALpy's
    W-method, which tries every word of a bounded shape, does not."""
    from aalpy.learning_algs import run_Lstar
    from aalpy.oracles import WMethodEqOracle

    target = mlregtest("04.03.TLTT.4.2.3")
    ssrn = dfa_to_ssrn(target, "tanh")
    member = network_membership(ssrn)
    ours = lstar(member, target.alphabet, sampling_equivalence(member, 4, max_length=12)).dfa
    assert ours.n_states == target.n_states - 1
    assert len(ours.equivalent(target)) == 12
    sul = _CompiledNetworkSUL(ssrn)
    oracle = WMethodEqOracle(list(target.alphabet), sul, max_number_of_states=target.n_states)
    theirs = from_aalpy(run_Lstar(list(target.alphabet), sul, oracle, "dfa", print_level=0), target.alphabet)
    assert theirs.equivalent(target) is None


def noisy_teacher(target: DFA, every: int):
    """The target, wrong on the long words whose hash falls on a multiple of ``every``: a stand-in for a
    trained network, right nearly everywhere."""
    symbols = target.alphabet

    def member(words):
        right = target.accepts_many([tuple(symbols[j] for j in w) for w in words])
        flip = np.array([len(w) >= 8 and hash(tuple(w)) % every == 0 for w in words], dtype=bool)
        return right ^ flip

    return member


def test_a_tolerance_keeps_a_teacher_s_rare_errors_out_of_the_automaton():
    target = tomita(4)
    member = noisy_teacher(target, every=300)  # wrong on about 0.2 % of the long words
    tolerant = sampling_equivalence(member, 2, epsilon=0.02, max_length=16, tolerance=0.01, seed=0)
    learned = lstar(member, target.alphabet, tolerant)
    assert learned.dfa.equivalent(target) is None
    assert 0 < tolerant.disagreement <= 0.01
    with pytest.raises(ValueError, match="max_states=50"):  # without it, every error becomes states
        lstar(member, target.alphabet, sampling_equivalence(member, 2, epsilon=0.002, max_length=16, seed=0),
              max_states=50)


def test_known_words_are_checked_before_sampling():
    target = tomita(7)
    member, _ = exact_teacher(target)
    known = [(1, 0, 1, 0), (0, 1, 0, 1, 0)]
    equivalence = sampling_equivalence(member, 2, max_length=3, known=known, seed=0)
    one_state = DFA(np.zeros((1, 2), dtype=int), np.array([True]), target.alphabet)
    assert equivalence(one_state) == (1, 0, 1, 0)  # the shortest known word it gets wrong
    assert equivalence.sampled == 0


def test_the_number_of_sampled_words_follows_angluin_s_bound():
    member, _ = exact_teacher(tomita(1))
    equivalence = sampling_equivalence(member, 2, epsilon=0.01, failure=0.05)
    assert equivalence(tomita(1)) is None
    assert equivalence.sampled == int(np.ceil((np.log(1 / 0.05) + np.log(2)) / 0.01))


def test_a_growing_hypothesis_stops_at_max_states():
    target = DFA.random(12, 2, seed=3)
    member, equivalence = exact_teacher(target)
    with pytest.raises(ValueError, match="max_states=3"):
        lstar(member, target.alphabet, equivalence, max_states=3)


def test_bad_teachers_get_named_errors():
    target = tomita(2)
    member, equivalence = exact_teacher(target)
    with pytest.raises(ValueError, match="one answer per word"):
        lstar(lambda words: [True], target.alphabet, equivalence)
    with pytest.raises(ValueError, match="not a counterexample"):
        lstar(member, target.alphabet, lambda hypothesis: (0,) if not hypothesis.accepts("0") else (1,))
    with pytest.raises(ValueError, match="outside"):
        lstar(member, target.alphabet, lambda hypothesis: (2,))
    with pytest.raises(ValueError, match="alphabet"):
        lstar(member, "01", equivalence)
    with pytest.raises(ValueError, match="tolerance"):
        sampling_equivalence(member, 2, tolerance=1.0)


def test_network_membership_answers_like_the_network_on_every_length():
    torch.manual_seed(0)
    srn = SRN(3, 5, 1, "tanh", output="identity")
    member = network_membership(srn)
    words = [(), (0,), (2, 1), (1, 1, 0, 2)]
    with torch.no_grad():
        expected = [float(srn.V @ torch.zeros(5) + srn.c) > 0]
        for w in words[1:]:
            x = torch.nn.functional.one_hot(torch.tensor(w), 3).float()[None]
            expected.append(float(srn(x).y[0, -1, 0]) > 0)
    assert member(words).tolist() == expected
    with pytest.raises(ValueError, match="symbol indices"):
        member([(3,)])


def test_the_smallest_automaton_on_nonempty_words_drops_a_spare_initial_state():
    target = tomita(1)  # 1*: the empty word is in it
    spare = DFA(np.vstack([target.delta[:1] + 1, target.delta + 1]), np.array([False, *target.accepting]),
                target.alphabet)  # a fresh q0 that rejects the empty word
    assert spare.minimize().n_states == target.minimize().n_states + 1
    smallest = smallest_on_nonempty(spare)
    assert smallest.n_states == target.minimize().n_states
    assert equivalent_on_nonempty(smallest, spare) is None
