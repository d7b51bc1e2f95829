"""Examples for srnbook.cost."""

import torch

from srnbook import cost as m
from srnbook.srn import SRN
from tests.api_contract import example


@example("srnbook.cost.count_flops")
def _():
    torch.manual_seed(0)
    return m.count_flops, dict(model=SRN(2, 3, 1), x=torch.zeros(2, 3, 2))


@example("srnbook.cost.weight_count",
         valid={size: {"huge": "a count, exact in Python integers: nothing is allocated"}
                for size in ("input_size", "hidden_size", "output_size")})
def _():
    return m.weight_count, dict(input_size=2, hidden_size=3, output_size=1)


@example("srnbook.cost.cost_table")
def _():
    return m.cost_table, dict(lengths=[2, 3], hidden_sizes=[2], input_size=2, output_size=1, batch=2,
                              activation="tanh")
