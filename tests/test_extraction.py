"""Specification of srnbook.extraction: automata read back from networks, exactly or on a grid."""

import pytest
import torch

from srnbook import SRN, dfa_to_ssrn
from srnbook.dfa import DFA, even_as, mlregtest, tomita
from srnbook.extraction import equivalent_on_nonempty, extract_dfa, quantized_dfa
from srnbook.ssrn import ExtractionError


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dfa", [even_as(), tomita(3), tomita(6), mlregtest("04.04.Zp.2.1.0")], ids=repr)
def test_a_compiled_ssrn_is_extracted_exactly(dfa, activation):
    extraction = extract_dfa(dfa_to_ssrn(dfa, activation))
    assert extraction.method == "exact"
    assert extraction.dfa.equivalent(dfa) is None


@pytest.mark.parametrize("activation, J", [("sigmoid", 4.0), ("tanh", 3.0)])
def test_quantization_recovers_the_dfa_of_a_nearly_saturated_network(activation, J):
    """At a moderate scale the hidden values are close to, but not on, the bounds: a 2-level grid reads the DFA."""
    dfa = tomita(4)
    ssrn = dfa_to_ssrn(dfa, activation, J=J, dtype=torch.float64)
    with pytest.raises(ExtractionError):
        extract_dfa(ssrn, max_exact=2000, max_states=3)  # the exact search does not close, nor 3 cells
    extraction = extract_dfa(ssrn, max_exact=2000)
    assert extraction.method == "quantized"
    assert extraction.dfa.equivalent(dfa) is None


def test_quantization_fails_when_the_scale_is_too_small():
    """At J = 3 the sigmoid SSRN's hidden values straddle 1/2: the 2-level grid merges states."""
    dfa = tomita(4)
    extracted = quantized_dfa(dfa_to_ssrn(dfa, "sigmoid", J=3.0, dtype=torch.float64))
    assert extracted.equivalent(dfa) is not None


def test_one_level_is_one_cell():
    torch.manual_seed(0)
    srn = SRN(2, 4, 1, "tanh", output="identity")
    assert quantized_dfa(srn, levels=1).n_states == 1
    assert quantized_dfa(srn, levels=3, max_states=10_000).alphabet == ("a", "b")


def test_quantized_extraction_follows_the_network_on_words():
    """Where every reached cell holds one DFA state, the extracted DFA answers like the network."""
    dfa = tomita(5)
    ssrn = dfa_to_ssrn(dfa, "sigmoid", J=8.0, dtype=torch.float64)
    extracted = quantized_dfa(ssrn)
    words = [tuple(w) for w in ["", "0", "01", "0011", "0101", "111", "1010101"]]
    assert extracted.accepts_many(words).tolist() == ssrn.accepts(words).tolist()


def test_too_many_cells_raise_a_named_error():
    torch.manual_seed(1)
    srn = SRN(2, 12, 1, "tanh", output="identity")
    with pytest.raises(ExtractionError, match="max_states=3"):
        quantized_dfa(srn, levels=4, max_states=3)


@pytest.mark.parametrize("kwargs, match", [({"levels": 0}, "levels"), ({"max_states": 0}, "max_states")])
def test_quantized_dfa_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        quantized_dfa(dfa_to_ssrn(even_as()), **kwargs)


def test_quantization_needs_a_bounded_activation():
    with pytest.raises(ValueError, match="activation must be 'sigmoid' or 'tanh'"):
        quantized_dfa(SRN(2, 3, 1, "relu", output="identity"))


def test_equivalence_on_nonempty_words_ignores_the_empty_word():
    dfa = even_as()  # accepts the empty word
    wrong_on_empty = DFA([[1, 2], [2, 1], [1, 2]], [False, False, True], ("a", "b"))  # = even a's except on ""
    assert dfa.equivalent(wrong_on_empty) == ()
    assert equivalent_on_nonempty(wrong_on_empty, dfa) is None
    assert equivalent_on_nonempty(tomita(1).complement(), tomita(1)) is not None  # they differ on "0"
    with pytest.raises(ValueError, match="alphabets differ"):
        equivalent_on_nonempty(dfa, tomita(1))
    with pytest.raises(ValueError, match="target must be a srnbook.DFA"):
        equivalent_on_nonempty(dfa, "abc")


def test_among_several_grids_the_one_that_answers_like_the_network_is_kept():
    from srnbook.sampling import balanced_dataset

    dfa = tomita(4)
    ssrn = dfa_to_ssrn(dfa, "sigmoid", J=3.0, dtype=torch.float64)  # not saturated: the grids disagree
    words = balanced_dataset(dfa, 300, 8.0, seed=0)
    words = words[words.lengths > 0]
    quantized = dict(words=words, max_exact=10)  # fewer than its reachable states: the grids are read
    single = {level: extract_dfa(ssrn, levels=[level], **quantized) for level in (2, 4, 6)}
    assert {e.method for e in single.values()} == {"quantized"}
    best = max(single.values(), key=lambda e: (e.agreement, -e.dfa.n_states))
    assert len({e.agreement for e in single.values()}) > 1  # the choice matters here
    chosen = extract_dfa(ssrn, levels=[2, 4, 6], **quantized)
    assert (chosen.levels, chosen.agreement) == (best.levels, best.agreement)
    assert extract_dfa(ssrn, levels=[6, 2], max_exact=10).levels == 6  # without words: the first grid that closes


def test_network_answers_are_the_forward_pass_decisions():
    from srnbook.sampling import balanced_dataset
    from srnbook.extraction import network_answers

    dfa = tomita(5)
    words = balanced_dataset(dfa, 50, 6.0, seed=1)
    words = words[words.lengths > 0]
    assert network_answers(dfa_to_ssrn(dfa), words).tolist() == words.labels.tolist()
    with pytest.raises(ValueError, match="no empty word"):
        network_answers(dfa_to_ssrn(dfa), balanced_dataset(dfa, 50, 0.3, seed=0))


def test_extract_dfa_rejects_an_empty_list_of_grids():
    with pytest.raises(ValueError, match="levels"):
        extract_dfa(SRN(2, 3, 1, "tanh", output="identity"), levels=[])


# ---------------------------------------------------------------------- input contract (issue 20)


def test_every_option_is_checked_even_when_the_exact_extraction_succeeds():
    ssrn = dfa_to_ssrn(even_as())
    for kwargs, match in [({"levels": 0}, "levels must be an integer in"), ({"levels": [2, "3"]}, r"levels\[1\]"),
                          ({"levels": 40_000}, r"levels must be an integer in \[1, 32767\]"),
                          ({"max_states": 0}, "max_states"), ({"words": "abab"}, "words must be None or")]:
        with pytest.raises(ValueError, match=match):
            extract_dfa(ssrn, **kwargs)


def test_words_must_be_over_the_models_alphabet():
    from srnbook.extraction import network_answers
    from srnbook.sampling import balanced_dataset

    words = balanced_dataset(DFA([[1, 0], [0, 1]], [True, False], ("b", "a")), 20, 4.0, seed=0)
    words = words[words.lengths > 0]
    with pytest.raises(ValueError, match=r"words must be over the model's alphabet \('a', 'b'\)"):
        network_answers(dfa_to_ssrn(even_as()), words)
    with pytest.raises(ValueError, match=r"words must be over the alphabet \('a', 'b'\)"):
        extract_dfa(dfa_to_ssrn(even_as()), words=words)


def test_multi_character_symbols_are_compared_as_tuples():
    from srnbook.sampling import balanced_dataset

    dfa = DFA([[1, 0], [0, 1]], [True, False], ("x1", "x2"))
    words = balanced_dataset(dfa, 30, 4.0, seed=0)
    extraction = extract_dfa(dfa_to_ssrn(dfa), words=words[words.lengths > 0])
    assert extraction.agreement == 1.0 and extraction.dfa.equivalent(dfa) is None
