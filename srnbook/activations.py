r"""Elementwise activations :math:`\sigma` and their derivatives, and where they saturate.

The SRN of Definition 1 applies one elementwise function :math:`\sigma` to the
pre-activation :math:`a_t = U x_t + W h_{t-1} + b`. BPTT needs
:math:`\sigma'(a_t)`; for the usual choices it is cheapest to compute it from the
output :math:`h_t = \sigma(a_t)` that the forward pass has already stored:

=============  ============================  ==========================================
name           :math:`\sigma(a)`             :math:`\sigma'(a)`
=============  ============================  ==========================================
``sigmoid``    :math:`1 / (1 + e^{-a})`      :math:`h (1 - h)`
``tanh``       :math:`\tanh a`               :math:`1 - h^2`
``relu``       :math:`\max(a, 0)`            :math:`\mathbb{1}[a > 0]`
``identity``   :math:`a`                     :math:`1`
=============  ============================  ==========================================

:func:`saturation_threshold` finds, for a floating-point format, the smallest
input at which an activation returns exactly its limit value: past that point
:math:`\sigma'` is numerically zero and no gradient flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ._validation import (ArgumentTypeError, FLOAT_DTYPES, _shown, check_callable, check_choice, check_dtype,
                          check_float)

Tensor = torch.Tensor


def _identity(a: Tensor) -> Tensor:
    return a


_FUNCTIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": _identity}


@dataclass(frozen=True)
class Activation:
    r"""An elementwise activation :math:`\sigma` with its derivative.

    Attributes
    ----------
    name
        ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"`` (then ``fn`` must be
        that function of the package: the name decides the bounds of :math:`\sigma`
        and the ``torch.nn.RNN`` equivalent), or ``"custom"`` for any other function.
    fn
        :math:`a \mapsto \sigma(a)`, elementwise on a tensor.
    derivative
        :math:`(a, h) \mapsto \sigma'(a)`, given both the pre-activation
        :math:`a` and the output :math:`h = \sigma(a)` so that each activation
        may use whichever is cheaper.
    """

    name: str
    fn: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor, Tensor], Tensor]

    def __post_init__(self):
        check_choice(self.name, "name", (*_FUNCTIONS, "custom"))
        check_callable(self.fn, "fn")
        check_callable(self.derivative, "derivative")
        if self.name != "custom" and self.fn is not _FUNCTIONS[self.name]:
            # the name decides the bounds of sigma (saturation) and the torch.nn.RNN equivalent
            raise ValueError(f"fn must be the package's {self.name} ({_FUNCTIONS[self.name]!r}) when name is "
                             f"{self.name!r}, got {_shown(self.fn)}; use name='custom' for another function")

    def __call__(self, a: Tensor) -> Tensor:
        return self.fn(a)


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", torch.sigmoid, lambda a, h: h * (1 - h)),
    "tanh": Activation("tanh", torch.tanh, lambda a, h: 1 - h * h),
    "relu": Activation("relu", torch.relu, lambda a, h: (a > 0).to(a.dtype)),
    "identity": Activation("identity", _identity, lambda a, h: torch.ones_like(a)),
}


def get_activation(activation, derivative=None, *, name: str = "activation") -> Activation:
    """Resolve ``activation`` to an :class:`Activation`.

    ``activation`` is one of the names in :data:`ACTIVATIONS`, an
    :class:`Activation`, or a callable; a callable needs ``derivative``, a
    callable ``a -> sigma'(a)``, which the other two refuse (they carry their own).
    ``name`` is the argument's name in error messages (``derivative`` is then
    called ``{name}_derivative``).
    """
    if not isinstance(name, str) or not name:
        raise ArgumentTypeError(f"name must be a nonempty string (the argument's name), got {_shown(name)}")
    if isinstance(activation, (Activation, str)) or not callable(activation):
        if derivative is not None:
            raise ValueError(f"derivative ({name}_derivative) is only for a callable {name}; "
                             f"{name}={_shown(activation)} has its own, got {_shown(derivative)}")
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        return ACTIVATIONS[check_choice(activation, name, tuple(ACTIVATIONS))]
    if callable(activation):
        if not callable(derivative):
            raise ArgumentTypeError(
                f"{name} is a callable, so derivative ({name}_derivative) must be a callable "
                f"a -> sigma'(a); got {_shown(derivative)}"
            )
        return Activation("custom", activation, lambda a, h: derivative(a))
    raise ArgumentTypeError(
        f"{name} must be one of {', '.join(map(repr, ACTIVATIONS))} or a callable, "
        f"got {_shown(activation)}"
    )


def _positive_floats(dtype: torch.dtype) -> Tensor:
    """All positive finite numbers of a 16-bit ``dtype``, in increasing order."""
    bits = torch.arange(1, 2**15, dtype=torch.int32).to(torch.int16)
    values = bits.view(dtype)
    return values[torch.isfinite(values)]


def saturation_threshold(fn: Callable[[Tensor], Tensor], limit: float, dtype: torch.dtype) -> float:
    r"""Smallest positive ``x`` representable in ``dtype`` with ``fn(x) == limit`` exactly.

    ``fn`` is evaluated in ``dtype`` itself (as a network stored in that format
    would evaluate it), and the predicate ``fn(x) == limit`` is assumed to hold
    for every larger ``x``. For 16-bit formats every positive number is tried,
    which also checks that assumption; for 32- and 64-bit formats a bisection runs
    over the integers that encode the positive floats (they are ordered like the
    floats themselves).

    Examples
    --------
    ``saturation_threshold(torch.sigmoid, 1.0, torch.float32)`` is the point past
    which :math:`\sigma(x)` rounds to 1 in float32;
    ``saturation_threshold(lambda x: torch.sigmoid(-x), 0.0, torch.float32)`` the
    one past which :math:`\sigma(-x)` is 0.

    Returns ``inf`` if no finite ``x`` reaches the limit. ``limit`` must be a finite
    number exactly representable in ``dtype`` (``fn(x) == limit`` compares in ``dtype``),
    and ``fn`` must map a tensor to a tensor of the same shape.
    """
    check_callable(fn, "fn")
    dtype = check_dtype(dtype, "dtype", allowed=FLOAT_DTYPES)
    limit = check_float(limit, "limit")
    if float(torch.tensor(limit, dtype=dtype)) != limit:
        raise ValueError(f"limit must be exactly representable in {dtype} (fn(x) == limit compares in it), "
                         f"got {limit!r}")
    probe = torch.ones(2, dtype=dtype)
    out = fn(probe)
    if not isinstance(out, Tensor) or out.shape != probe.shape:
        raise ArgumentTypeError(f"fn must map a tensor to a tensor of the same shape, got {_shown(out)} "
                                f"for a tensor of shape {tuple(probe.shape)}")

    def reached(x: Tensor) -> Tensor:
        return fn(x) == limit

    if dtype in (torch.float16, torch.bfloat16):
        xs = _positive_floats(dtype)
        hits = reached(xs)
        if not bool(hits.any()):
            return float("inf")
        first = int(torch.nonzero(hits)[0])
        if not bool(hits[first:].all()):
            raise ValueError("fn(x) == limit is not monotone in x for this dtype")
        return float(xs[first])

    int_dtype = {torch.float32: torch.int32, torch.float64: torch.int64}[dtype]
    largest = torch.tensor(float(torch.finfo(dtype).max), dtype=dtype)
    lo = 0  # bit pattern of +0.0: predicate assumed false there
    hi = int(largest.view(int_dtype))
    if not bool(reached(largest)):
        return float("inf")
    while hi - lo > 1:  # invariant: not reached at lo, reached at hi
        mid = (lo + hi) // 2
        x = torch.tensor(mid, dtype=int_dtype).view(dtype)
        if bool(reached(x)):
            hi = mid
        else:
            lo = mid
    return float(torch.tensor(hi, dtype=int_dtype).view(dtype))
