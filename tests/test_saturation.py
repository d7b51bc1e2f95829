"""Specification of srnbook.saturation."""

import pytest
import torch

from srnbook import SRN
from srnbook.saturation import (
    all_words,
    count_distinct_states,
    saturated_fraction,
    saturation_level,
    scaled,
)


def test_scaled_multiplies_the_recurrent_layer_only():
    torch.manual_seed(0)
    m = SRN(2, 4, 1)
    s = scaled(m, 3.0)
    for name in ("U", "W", "b"):
        torch.testing.assert_close(s.get_parameter(name), 3 * m.get_parameter(name))
    for name in ("V", "c"):
        torch.testing.assert_close(s.get_parameter(name), m.get_parameter(name))
    x = torch.randn(2, 5, 2)
    # the first pre-activation scales exactly (h_0 = 0)
    torch.testing.assert_close(s(x).a[:, 0], 3 * m(x).a[:, 0])


def test_saturation_level_is_definition_2():
    h = torch.tensor([[0.9, 0.2], [0.05, 0.7]])  # closest to 0.5: 0.7 (distance 0.2)
    assert saturation_level(h) == pytest.approx(0.7)
    assert saturation_level(torch.tensor([1.0, 0.0])) == 1.0
    assert saturation_level(torch.tensor([0.5, -1.0]), activation="tanh") == 0.5


def test_saturated_fraction_counts_exact_bounds_only():
    h = torch.tensor([1.0, 0.0, 1.0 - 2 ** -24, 0.3])
    assert saturated_fraction(h) == 0.5
    assert saturated_fraction(torch.tensor([-1.0, 0.99]), activation="tanh") == 0.5


def test_large_scales_saturate_a_network_exactly_in_float32():
    torch.manual_seed(0)
    m = SRN(2, 6, 1)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_()
    x = torch.nn.functional.one_hot(torch.randint(0, 2, (4, 30)), 2).float()
    fractions = [saturated_fraction(scaled(m, J)(x).h.detach()) for J in (1, 16, 4096)]
    assert fractions[0] == 0.0
    assert fractions[0] < fractions[1] < fractions[2]


def test_all_words_lists_every_word_once():
    w = all_words(3, 4)
    assert w.shape == (81, 4, 3)
    assert torch.unique(w.argmax(-1), dim=0).shape[0] == 81
    assert bool((w.sum(-1) == 1).all())


def test_count_distinct_states_of_a_counter_modulo_two():
    """A hand-built 1-unit sigmoid SRN that flips its state on symbol 1 (parity)."""
    m = SRN(2, 2, 1)
    J = 50.0
    with torch.no_grad():
        # unit 0 fires iff parity is odd, unit 1 iff even; symbol 0 keeps, symbol 1 swaps
        m.W.copy_(J * torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
        m.U.copy_(J * torch.tensor([[-0.5, 0.5], [-0.5, 0.5]]))
        m.b.copy_(J * torch.tensor([0.0, 0.0]))
    words = all_words(2, 10)
    counts = count_distinct_states(m, words)
    assert counts[0] == 1 and len(counts) == 11
    assert max(counts[3:]) <= 4  # finitely many states: the count stops growing


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: scaled(SRN(1, 1, 1), 0), "J must be a positive"),
        (lambda: saturation_level(torch.ones(2), activation="relu"), "activation must be one of"),
        (lambda: saturated_fraction(torch.tensor([float("nan")])), "h contains NaN"),
        (lambda: all_words(0, 3), "n_symbols must be a positive integer"),
        (lambda: all_words(2, 40), "n_symbols and length: 2\\*\\*40 one-hot words .* would need"),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------- the input contract (issue 20)


def test_scaled_refuses_a_non_finite_scale_and_one_whose_product_overflows():
    torch.manual_seed(0)
    m = SRN(2, 3, 1)
    for J in (float("inf"), float("nan"), -1.0, True, "2"):
        with pytest.raises(ValueError, match="J must be a positive finite number"):
            scaled(m, J)
    largest = max(float(p.detach().abs().max()) for p in (m.U, m.W, m.b))
    limit = float(torch.finfo(torch.float32).max) / largest
    assert bool(torch.isfinite(scaled(m, limit / 2).W).all())
    with pytest.raises(ValueError, match="J = .* is too large: J times the largest weight"):
        scaled(m, limit * 2)
    with torch.no_grad():
        m.W[0, 0] = float("nan")
    with pytest.raises(ValueError, match="model has NaN or infinite weights"):
        scaled(m, 2.0)


def test_all_words_refuses_what_it_cannot_enumerate_before_counting_it():
    # 2 ** (10 ** 9) is never computed (it would not finish): the size is judged by logarithms
    with pytest.raises(ValueError, match=r"2\*\*1000000000 one-hot words .* more than 2\*\*80 bytes"):
        all_words(2, 10**9)
    with pytest.raises(ValueError, match=r"n_symbols and length: .* would need [0-9.e+]+ GiB"):
        all_words(2**20, 1)  # 2**20 words of one letter, one-hot over 2**20 symbols


def test_hidden_values_must_be_values_of_sigma():
    with pytest.raises(ValueError, match=r"h must hold values of sigmoid \(in \[0, 1\]\)"):
        saturation_level(torch.tensor([0.5, 2.0]))
    with pytest.raises(ValueError, match="h must hold at least one hidden value"):
        saturated_fraction(torch.zeros(0, 3))


def test_count_distinct_states_checks_its_inputs():
    m = SRN(2, 3, 1)
    with pytest.raises(ValueError, match=r"words must have shape \(B, T, 2\)"):
        count_distinct_states(m, all_words(3, 2))
    with pytest.raises(ValueError, match="words must have dtype torch.float32"):
        count_distinct_states(m, all_words(2, 2, dtype=torch.float64))
