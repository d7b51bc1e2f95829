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

from ._validation import (ArgumentTypeError, _shown, check_instance, check_memory, check_positive_int,
                          check_tensor)
from .activations import get_activation
from .srn import SRN

_STEP_BYTES = 8  # per hidden unit, sequence and step: pre-activation, state and their gradients, in float32


def count_flops(model: SRN, x: torch.Tensor) -> dict[str, int]:
    """Matrix-product flops of one forward pass and of one backward pass of ``model`` on ``x``.

    ``x`` is a ``(B, T, u)`` finite tensor of the model's dtype (as :meth:`srnbook.SRN.forward`
    takes it). The loss is the sum of all outputs (any scalar loss gives the same count).
    Returns ``{"forward": ..., "backward": ...}``.
    """
    check_instance(model, "model", SRN, "a srnbook.SRN")
    x = check_tensor(x, "x", ndim=3, dtype=model.W.dtype)
    B, T, _ = x.shape
    check_memory(_STEP_BYTES * B * T * (model.hidden_size + model.output_size) * model.W.element_size(),
                 f"the forward pass and BPTT of {B} sequences of {T} steps", "x")
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

    ``lengths`` and ``hidden_sizes`` are nonempty lists of positive integers; ``batch``
    sequences of zeros are run. Each row holds ``T``, ``d``, ``weights``
    (:func:`weight_count`), ``forward`` and ``backward``. The model's parameters are drawn
    with a fixed seed; counts do not depend on their values. A grid whose largest model
    or pass would exceed the package's memory limit is refused before anything runs.
    """
    lengths = _positive_ints(lengths, "lengths")
    hidden_sizes = _positive_ints(hidden_sizes, "hidden_sizes")
    u = check_positive_int(input_size, "input_size")
    o = check_positive_int(output_size, "output_size")
    batch = check_positive_int(batch, "batch")
    get_activation(activation)
    T, d = max(lengths), max(hidden_sizes)
    check_memory(4 * (2 * weight_count(u, d, o) + batch * T * (u + _STEP_BYTES * (d + o))),
                 f"the largest case, an SRN with d = {d}, u = {u}, o = {o} run on {batch} sequences "
                 f"of {T} steps,",
                 "lengths, hidden_sizes, input_size, output_size and batch")
    rows = []
    for d in hidden_sizes:
        torch.manual_seed(0)
        model = SRN(input_size, d, output_size, activation=activation)
        for T in lengths:
            x = torch.zeros(batch, T, input_size)
            flops = count_flops(model, x)
            rows.append({"T": T, "d": d, "weights": weight_count(input_size, d, output_size), **flops})
    return rows


def _positive_ints(values, name: str) -> list[int]:
    """``values`` as a nonempty list of positive integers (a bare number is refused)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, range)):
        raise ArgumentTypeError(f"{name} must be a nonempty list of positive integers, got {_shown(values)}")
    if len(values) == 0:
        raise ValueError(f"{name} must be a nonempty list of positive integers, got {_shown(values)}")
    return [check_positive_int(v, f"{name}[{i}]") for i, v in enumerate(values)]
