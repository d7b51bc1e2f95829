"""Specification of srnbook.cost: operation counts of forward and BPTT."""

import pytest
import torch

from srnbook import SRN
from srnbook.cost import cost_table, count_flops, weight_count


def test_forward_costs_exactly_2_T_B_weights():
    torch.manual_seed(0)
    m = SRN(3, 7, 2)
    x = torch.zeros(5, 11, 3)
    flops = count_flops(m, x)
    assert flops["forward"] == 2 * 5 * 11 * weight_count(3, 7, 2)
    assert flops["forward"] < flops["backward"] < 2 * flops["forward"] + 1


def test_bptt_cost_is_linear_in_T_and_in_the_weights():
    rows = cost_table(lengths=[10, 20, 40], hidden_sizes=[8, 16, 32])
    for d in (8, 16, 32):
        b = {r["T"]: r["backward"] for r in rows if r["d"] == d}
        assert b[40] - b[20] == 2 * (b[20] - b[10])  # equal increments: a line in T
    for T in (10, 20, 40):
        per_weight = [r["backward"] / (T * r["weights"]) for r in rows if r["T"] == T]
        assert max(per_weight) / min(per_weight) < 1.25  # proportional to N(W), up to O(d) terms


def test_count_flops_leaves_no_gradients_behind():
    m = SRN(2, 3, 1)
    count_flops(m, torch.zeros(1, 4, 2))
    assert all(p.grad is None for p in m.parameters())


def test_weight_count_names_bad_sizes():
    assert weight_count(2, 3, 1) == 6 + 9 + 3
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        weight_count(2, 0, 1)


def test_cost_table_checks_its_grid_and_refuses_a_grid_beyond_the_memory_limit():
    assert [r["T"] for r in cost_table(lengths=range(2, 4), hidden_sizes=[2])] == [2, 3]
    with pytest.raises(TypeError, match="lengths must be a nonempty list of positive integers, got 5"):
        cost_table(lengths=5, hidden_sizes=[2])
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\] must be a positive integer, got 0"):
        cost_table(lengths=[2], hidden_sizes=[2, 0])
    with pytest.raises(ValueError, match=r"batch: the largest case, an SRN with d = 8, .* on 1000000000 sequences "
                                         r"of 100 steps, would need"):
        cost_table(lengths=[100], hidden_sizes=[8], batch=10**9)


def test_count_flops_checks_the_model_and_the_input():
    with pytest.raises(TypeError, match="model must be a srnbook.SRN"):
        count_flops("srn", torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="x must have dtype torch.float32"):
        count_flops(SRN(2, 3, 1), torch.zeros(1, 2, 2, dtype=torch.float64))
