"""Specification of srnbook.pipeline: a saturated SRN learned from labelled words (train, extract, compile, verify)."""

import numpy as np
import pytest
import torch

from srnbook import ConstrainedSRN, SRN, balanced_dataset, dfa_to_ssrn, learn_ssrn
from srnbook.dfa import DFA, tomita
from srnbook.pipeline import extract_lstar, jump_scale, normalized_steps, shape_deviation, train_srn
from srnbook.sampling import _concatenate


def mixed_words(dfa, per_lam=150, lams=(2.0, 4.0, 8.0), seed=0):
    words = _concatenate([balanced_dataset(dfa, per_lam, lam, seed=seed + i) for i, lam in enumerate(lams)])
    return words[words.lengths > 0]


@pytest.fixture(scope="module")
def learned():
    dfa = tomita(2)
    train = mixed_words(dfa)
    test = balanced_dataset(dfa, 200, 30.0, seed=99)
    test = test[test.lengths > int(train.lengths.max())]
    return dfa, train, test, learn_ssrn(train, test_words=test, target=dfa, hidden=16, epsilon=0.02, seed=0)


def test_learn_ssrn_returns_a_saturated_network_of_the_target(learned):
    dfa, train, test, result = learned
    m = result.measurements
    assert m["equivalent"] and m["counterexample"] is None
    assert m["saturation"] == 1.0  # every hidden value on a bound of tanh
    assert m["ssrn_test_accuracy"] == 1.0 and m["ssrn_train_accuracy"] == 1.0
    assert m["network_train_accuracy"] == 1.0 and m["states"] == result.dfa.n_states == 3
    assert m["membership_queries"] > 0 and m["equivalence_queries"] >= 1 and m["sampled_words"] > 0
    assert int(test.lengths.min()) > int(train.lengths.max())


def test_the_compiled_network_computes_the_extracted_dfa_at_any_length(learned):
    """The guarantee: not that the DFA is the target, but that the network is the DFA, word for word."""
    _, _, _, result = learned
    rng = np.random.default_rng(0)
    words = [tuple(result.dfa.alphabet[j] for j in rng.integers(0, 2, size=n)) for n in (1, 7, 64, 300, 1000)]
    words += [("1", "0") * 250]
    assert result.ssrn.accepts(words).tolist() == result.dfa.accepts_many(words).tolist()


def test_without_a_target_there_is_no_equivalence_to_report():
    dfa = tomita(1)
    result = learn_ssrn(mixed_words(dfa, per_lam=60), hidden=8, epochs=20, epsilon=0.05, seed=1)
    assert "equivalent" not in result.measurements and "ssrn_test_accuracy" not in result.measurements
    assert result.measurements["saturation"] == 1.0


def test_training_is_seeded():
    words = mixed_words(tomita(4), per_lam=40)
    a, b = (train_srn(words, hidden=6, epochs=3, seed=5) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.srn.parameters(), b.srn.parameters()))
    assert a.epochs == 3 and 0 <= a.train_accuracy <= 1


def test_a_curriculum_shows_the_short_words_first():
    words = mixed_words(tomita(4), per_lam=40)
    curriculum = train_srn(words, hidden=6, epochs=10, curriculum=True, seed=0)
    plain = train_srn(words, hidden=6, epochs=10, seed=0)
    assert not all(torch.equal(p, q) for p, q in zip(curriculum.srn.parameters(), plain.srn.parameters()))


def test_the_compiled_shape_has_no_deviation_and_a_trained_network_has():
    dfa = tomita(4)
    compiled = dfa_to_ssrn(dfa, "tanh").srn
    assert float(shape_deviation(compiled, 2).detach()) == pytest.approx(0.0, abs=1e-8)
    torch.manual_seed(0)
    assert float(shape_deviation(ConstrainedSRN(4, 2, "tanh").to_srn(), 2).detach()) == pytest.approx(0.0, abs=1e-10)
    assert float(shape_deviation(SRN(2, 8, 1, "tanh", output="identity"), 2).detach()) > 0.1
    with pytest.raises(ValueError, match="multiple"):
        shape_deviation(SRN(2, 7, 1, "tanh"), 2)


def test_jumping_the_scale_multiplies_the_first_pre_activation():
    torch.manual_seed(0)
    srn = SRN(2, 5, 1, "tanh", output="identity")
    x = torch.eye(2)[None, :1]  # one word, one letter
    a, a8 = srn(x).a, jump_scale(srn, 8.0)(x).a
    assert torch.allclose(a8, 8 * a)
    assert torch.equal(jump_scale(srn, 8.0).V, srn.V)


def test_a_normalized_step_has_the_given_length():
    torch.manual_seed(0)
    srn = SRN(2, 5, 1, "tanh", output="identity")
    words = mixed_words(tomita(1), per_lam=20)
    moved = normalized_steps(srn, words, steps=1, size=0.25)
    with torch.no_grad():
        distance = torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(moved.parameters(), srn.parameters())))
    assert float(distance) == pytest.approx(0.25, rel=1e-5)


def test_extract_lstar_checks_the_known_words_first():
    torch.manual_seed(0)
    srn = SRN(2, 5, 1, "tanh", output="identity")
    found = extract_lstar(srn, ("0", "1"), known=mixed_words(tomita(1), per_lam=20), epsilon=0.05,
                          max_length=6)
    assert found["dfa"].n_states == found["states"] and found["equivalence_queries"] >= 1
    with pytest.raises(ValueError, match="known must be over"):
        extract_lstar(srn, ("a", "b"), known=mixed_words(tomita(1), per_lam=20))


def test_bad_words_get_named_errors():
    words = mixed_words(tomita(1), per_lam=20)
    with pytest.raises(ValueError, match="test_words"):
        learn_ssrn(words, test_words=balanced_dataset(tomita(1), 10, 3.0, seed=0))  # holds empty words
    with pytest.raises(ValueError, match="target"):
        learn_ssrn(words, target=DFA(np.zeros((1, 3), dtype=int), np.array([True]), ("0", "1", "2")))
    with pytest.raises(ValueError, match="hidden"):
        train_srn(words, hidden=5, shape_penalty=0.1)
