r"""The cost of the forward pass and of BPTT, counted rather than timed.

Timings depend on the machine and the moment; operation counts do not. We count
the floating-point operations of the matrix products (``mm``, ``addmm``, ...)
that PyTorch actually dispatches, with :class:`torch.utils.flop_counter.FlopCounterMode`.
A product of an :math:`m \times k` matrix with a :math:`k \times n` one counts
:math:`2mkn`. Elementwise operations (:math:`\sigma`, :math:`\sigma'`, sums) are
not counted: they are :math:`O(Td)` per sequence, fewer than the :math:`O(T d^2)`
products.

For one sequence the forward pass performs the products :math:`U x_t`,
:math:`W h_{t-1}` and :math:`V h_t` at each of the :math:`T` steps, so
:math:`2T(du + d^2 + od) = 2T\,N(W)` operations with :math:`N(W) = du + d^2 + od`
the number of weights (Galvan 2015, remark 2); BPTT costs about twice as much,
which gives the :math:`O(N(W)\,T)` complexity of backpropagation through time.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from ._validation import check_positive_int
from .srn import SRN


def count_flops(model: SRN, x: torch.Tensor) -> dict[str, int]:
    """Matrix-product flops of one forward pass and of one backward pass of ``model`` on ``x``.

    The loss is the sum of all outputs (any scalar loss gives the same count).
    Returns ``{"forward": ..., "backward": ...}``.
    """
    with FlopCounterMode(display=False) as forward_counter:
        out = model(x)
    loss = out.y.sum()
    with FlopCounterMode(display=False) as backward_counter:
        loss.backward()
    model.zero_grad(set_to_none=True)
    return {
        "forward": forward_counter.get_total_flops(),
        "backward": backward_counter.get_total_flops(),
    }


def weight_count(input_size: int, hidden_size: int, output_size: int) -> int:
    r""":math:`N(W) = du + d^2 + od`, the number of weights (biases excluded)."""
    u = check_positive_int(input_size, "input_size")
    d = check_positive_int(hidden_size, "hidden_size")
    o = check_positive_int(output_size, "output_size")
    return d * u + d * d + o * d


def cost_table(lengths, hidden_sizes, input_size: int = 4, output_size: int = 1,
               batch: int = 1, activation: str = "tanh") -> list[dict]:
    """Flop counts of forward and BPTT over a grid of lengths ``T`` and hidden sizes ``d``.

    Each row holds ``T``, ``d``, ``weights`` (:func:`weight_count`), ``forward``
    and ``backward``. The model's parameters are drawn with a fixed seed; counts
    do not depend on their values.
    """
    rows = []
    for d in hidden_sizes:
        torch.manual_seed(0)
        model = SRN(input_size, d, output_size, activation=activation)
        for T in lengths:
            x = torch.zeros(batch, check_positive_int(T, "T"), input_size)
            flops = count_flops(model, x)
            rows.append({"T": T, "d": d, "weights": weight_count(input_size, d, output_size), **flops})
    return rows
