r"""Saturation: how close the hidden states of an SRN sit to the bounds of :math:`\sigma`.

Definition 2 (after Mitarchuk et al.): with :math:`\sigma` valued in :math:`[l, r]`
and midpoint :math:`m`, an SRN is :math:`\beta`-saturated if every coordinate of
every hidden state satisfies :math:`|h_t[i] - m| \ge \beta - m`. In finite
precision a coordinate can reach the bound *exactly*; there :math:`\sigma'` is
numerically zero and no gradient passes. This module measures both, on the
hidden states of a network whose weights are scaled by a factor :math:`J`.
"""

from __future__ import annotations

import copy
import itertools

import torch

from ._validation import check_choice, check_positive_int, check_tensor
from .srn import SRN

BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def scaled(model: SRN, J: float) -> SRN:
    r"""A copy of ``model`` with :math:`U, W, b` multiplied by ``J`` (the output layer unchanged).

    Scaling the pre-activation :math:`a_t` by :math:`J` pushes :math:`\sigma(J a)` toward
    a step function as :math:`J` grows (Galvan 2015, remark 3).
    """
    if not isinstance(J, (int, float)) or not J > 0:
        raise ValueError(f"J must be a positive number, got {J!r}")
    out = copy.deepcopy(model)
    with torch.no_grad():
        for p in (out.U, out.W, out.b):
            p.mul_(J)
    return out


def saturation_level(h: torch.Tensor, activation: str = "sigmoid") -> float:
    r"""The largest :math:`\beta` for which the hidden states ``h`` are :math:`\beta`-saturated.

    That is :math:`m + \min_{t,i} |h_t[i] - m|` (Definition 2), computed in float64:
    it equals the upper bound of :math:`\sigma` when every coordinate sits on a bound,
    and also when a coordinate is closer to a bound than float64 can resolve next to
    :math:`m` (a sigmoid value of :math:`10^{-30}`, say); :func:`saturation_gap` is
    the exact distance.
    """
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    h = check_tensor(h, "h", ndim=(1, 2, 3), finite=True)
    m = (lo + hi) / 2
    return m + float((h.double() - m).abs().min())


def saturation_gap(h: torch.Tensor, activation: str = "sigmoid") -> float:
    r"""The largest distance of a coordinate of ``h`` to the nearest bound of :math:`\sigma`:
    :math:`\max_{t,i} \min(h_t[i] - \sigma_-, \sigma_+ - h_t[i])`.

    Mathematically :math:`\sigma_+ - \beta` for the :math:`\beta` of Definition 2, but
    computed without cancellation (in float64, exact for float32 values), so it is 0
    if and only if every coordinate is *exactly* on a bound.
    """
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    h = check_tensor(h, "h", ndim=(1, 2, 3), finite=True).double()
    return float(torch.minimum(h - lo, hi - h).max())


def saturated_fraction(h: torch.Tensor, activation: str = "sigmoid") -> float:
    r"""Fraction of the coordinates of ``h`` equal to a bound of :math:`\sigma` exactly
    (in ``h``'s own dtype), where :math:`\sigma'` is zero in floating point."""
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    h = check_tensor(h, "h", ndim=(1, 2, 3), finite=True)
    return float(((h == lo) | (h == hi)).to(torch.float64).mean())


def all_words(n_symbols: int, length: int, dtype=torch.float32) -> torch.Tensor:
    r"""Every word of exactly ``length`` symbols over an alphabet of ``n_symbols``, one-hot.

    Returns a tensor of shape :math:`(|\Sigma|^{T}, T, |\Sigma|)`, words in
    lexicographic order. Their prefixes are all the shorter words.
    """
    k = check_positive_int(n_symbols, "n_symbols")
    T = check_positive_int(length, "length")
    if k ** T > 2 ** 20:
        raise ValueError(f"n_symbols ** length must be at most 2**20 words, got {k ** T}")
    idx = torch.tensor(list(itertools.product(range(k), repeat=T)), dtype=torch.long)
    return torch.nn.functional.one_hot(idx, k).to(dtype)


def count_distinct_states(model: SRN, words: torch.Tensor) -> list[int]:
    """Number of distinct hidden vectors reached after ``t`` symbols, for ``t = 0, ..., T``.

    Entry ``t`` counts the distinct rows of :math:`h_t` over all ``words`` (with
    :math:`h_0` the zero state); vectors are compared exactly, bit for bit.
    """
    with torch.no_grad():
        h = model(words).h
    counts = [1]
    for t in range(h.shape[1]):
        counts.append(int(torch.unique(h[:, t], dim=0).shape[0]))
    return counts
