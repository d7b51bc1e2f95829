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
import math

import torch

from ._validation import (check_choice, check_dtype, check_instance, check_memory, check_positive_float,
                          check_positive_int, check_tensor)
from .srn import SRN

BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def _check_finite_weights(model: SRN, name: str = "model") -> SRN:
    """``model`` if it is an SRN whose parameters are all finite."""
    check_instance(model, name, SRN, "a srnbook.SRN")
    for key, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise ValueError(f"{name} has NaN or infinite weights (in {key})")
    return model


def _check_states(h, activation: str) -> tuple[torch.Tensor, float, float]:
    r"""``(h, lo, hi)``: ``h`` a nonempty finite tensor of values of :math:`\sigma` (in ``[lo, hi]``)."""
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    h = check_tensor(h, "h", ndim=(1, 2, 3), finite=True).detach()
    if h.numel() == 0:
        raise ValueError(f"h must hold at least one hidden value, got shape {tuple(h.shape)}")
    if bool((h < lo).any() | (h > hi).any()):
        raise ValueError(f"h must hold values of {activation} (in [{lo:g}, {hi:g}]), "
                         f"got values from {float(h.min())!r} to {float(h.max())!r}")
    return h, lo, hi


def scaled(model: SRN, J: float) -> SRN:
    r"""A copy of ``model`` with :math:`U, W, b` multiplied by ``J`` (the output layer unchanged).

    Scaling the pre-activation :math:`a_t` by :math:`J` pushes :math:`\sigma(J a)` toward
    a step function as :math:`J` grows (Galvan 2015, remark 3). ``J`` is a positive finite
    number whose products with the weights stay finite in their dtype.
    """
    model = _check_finite_weights(model)
    J = check_positive_float(J, "J")
    largest = max(float(p.detach().abs().max()) for p in (model.U, model.W, model.b))
    top = torch.finfo(model.W.dtype).max
    if largest * J > top:
        raise ValueError(f"J = {J!r} is too large: J times the largest weight ({largest:.3g}) overflows "
                         f"{model.W.dtype} (J must be at most {top / largest:.3g})")
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
    h, lo, hi = _check_states(h, activation)
    m = (lo + hi) / 2
    return m + float((h.double() - m).abs().min())


def saturation_gap(h: torch.Tensor, activation: str = "sigmoid") -> float:
    r"""The largest distance of a coordinate of ``h`` to the nearest bound of :math:`\sigma`:
    :math:`\max_{t,i} \min(h_t[i] - \sigma_-, \sigma_+ - h_t[i])`.

    Mathematically :math:`\sigma_+ - \beta` for the :math:`\beta` of Definition 2, but
    computed without cancellation (in float64, exact for float32 values), so it is 0
    if and only if every coordinate is *exactly* on a bound.
    """
    h, lo, hi = _check_states(h, activation)
    h = h.double()
    return float(torch.minimum(h - lo, hi - h).max())


def saturated_fraction(h: torch.Tensor, activation: str = "sigmoid") -> float:
    r"""Fraction of the coordinates of ``h`` equal to a bound of :math:`\sigma` exactly
    (in ``h``'s own dtype), where :math:`\sigma'` is zero in floating point."""
    h, lo, hi = _check_states(h, activation)
    return float(((h == lo) | (h == hi)).to(torch.float64).mean())


def all_words(n_symbols: int, length: int, dtype=torch.float32) -> torch.Tensor:
    r"""Every word of exactly ``length`` symbols over an alphabet of ``n_symbols``, one-hot.

    Returns a tensor of shape :math:`(|\Sigma|^{T}, T, |\Sigma|)`, words in
    lexicographic order. Their prefixes are all the shorter words. Refused, before
    anything is computed, when the words would not fit the package's memory limit.
    """
    k = check_positive_int(n_symbols, "n_symbols")
    T = check_positive_int(length, "length")
    dtype = check_dtype(dtype, "dtype")
    itemsize = torch.finfo(dtype).bits // 8
    log2_count = T * math.log2(k)  # k ** T itself can take forever to compute
    per_word = T * (8 + 8 * (k + 1) + itemsize * k)
    check_memory(2.0**log2_count * per_word if log2_count < 1000 else math.inf,
                 f"{k}**{T} one-hot words of length {T}", "n_symbols and length")
    count = k**T
    digits = k ** torch.arange(T - 1, -1, -1)  # word i spells i in base k
    idx = torch.arange(count)[:, None] // digits % k
    return torch.nn.functional.one_hot(idx, k).to(dtype)


def count_distinct_states(model: SRN, words: torch.Tensor) -> list[int]:
    """Number of distinct hidden vectors reached after ``t`` symbols, for ``t = 0, ..., T``.

    Entry ``t`` counts the distinct rows of :math:`h_t` over all ``words`` (with
    :math:`h_0` the zero state); vectors are compared exactly, bit for bit. ``words``
    are inputs ``(B, T, u)`` in the model's dtype, as :func:`all_words` makes them.
    """
    model = _check_finite_weights(model)
    words = _check_word_inputs(model, words)
    B, T, _ = words.shape
    with torch.no_grad():
        h = model(words).h
    counts = [1]
    for t in range(h.shape[1]):
        counts.append(int(torch.unique(h[:, t], dim=0).shape[0]))
    return counts


def _check_word_inputs(model: SRN, words) -> torch.Tensor:
    """``words``: inputs ``(B, T, u)`` of ``model`` in its dtype, whose hidden states fit in memory."""
    words = check_tensor(words, "words", ndim=3, dtype=model.W.dtype)
    B, T, u = words.shape
    if u != model.input_size or B == 0 or T == 0:
        raise ValueError(f"words must have shape (B, T, {model.input_size}) with B, T >= 1, "
                         f"got {tuple(words.shape)}")
    check_memory(3 * B * T * model.hidden_size * words.element_size(), f"the hidden states of {B} words of "
                 f"length {T} ({model.hidden_size} units)", "words")
    return words
