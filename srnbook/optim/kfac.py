r"""Kronecker-factored approximate curvature (K-FAC) for the SRN's weights.

Notation of Definition 1: :math:`a_t = U x_t + W h_{t-1} + b`, :math:`h_t = \sigma(a_t)`,
:math:`z_t = V h_t + c`, :math:`\hat y_t = g(z_t)`. The model's predictive distribution is
:math:`y_t \sim \mathcal N(\hat y_t, I)` (``likelihood="gaussian"``, the squared error
:math:`\tfrac12\lVert y_t - \hat y_t\rVert^2`) or :math:`y_t \sim \mathrm{Cat}(\hat y_t)`
(``likelihood="categorical"``, softmax output, cross-entropy) or
:math:`y_{t,k} \sim \mathrm{Bernoulli}(\hat y_{t,k})` (``likelihood="bernoulli"``, sigmoid output,
the binary cross-entropy of the report's section 3.4). The loss of a batch is
:math:`L = \frac1B \sum_n \sum_t -\log p(y_{n,t} \mid x_n)` and its Fisher
(seed report, section 6, the definition of :math:`\mathcal I`) is

.. math::

    F = \frac1B \sum_n \mathbb E_{y \sim p(\cdot\mid x_n)}\big[\nabla_\theta \log p\,
    \nabla_\theta \log p^\top\big] = \frac1B \sum_n \sum_t J_{n,t}^\top H_{n,t} J_{n,t},

with :math:`J_{n,t} = \partial z_t / \partial \theta` and :math:`H = \mathbb E[D z\, D z^\top]`:
:math:`H = J_g J_g^\top` (gaussian; :math:`I` for the identity output) or
:math:`\operatorname{diag}(p) - p p^\top` (categorical) or :math:`\operatorname{diag}(p \odot (1 - p))`
(bernoulli). For these matching pairs of output and likelihood, :math:`H = \nabla^2_z(-\log p)`, so
:math:`F` is the generalized Gauss-Newton matrix of :mod:`srnbook.optim.hessian_free`. Gradients
are sampled from the model
(the Fisher, not the empirical Fisher), or, with ``exact=True``, the expectation over :math:`y`
is taken exactly by back-propagating the columns of a square root :math:`L L^\top = H`.

Layers and factors. Every weight is an ``(out, in)`` matrix :math:`P` with gradient
:math:`\sum_t g_t \bar a_t^\top`:

* ``"U"``: :math:`\bar a_t = (x_t, 1)` (the bias :math:`b` as a homogeneous coordinate), :math:`g_t = D a_t`;
* ``"W"``: :math:`\bar a_t = h_{t-1}`, :math:`g_t = D a_t`;
* ``"V"``: :math:`\bar a_t = (h_t, 1)` (the bias :math:`c`), :math:`g_t = D z_t`.

With :math:`w_t = g_t \otimes \bar a_t` (PyTorch flattens row by row, so the row-major
:math:`\operatorname{vec}` of :math:`g \bar a^\top` is :math:`g \otimes \bar a`; Martens & Grosse
write the column-major :math:`\bar a \otimes g`), the statistics are averages over the batch
and over time (as in Martens, Ba & Johnson 2018, "MBJ"; the TensorFlow K-FAC
``FullyConnectedSeriesFB`` averages over time the same way):

.. math::

    A_0 = \overline{\bar a_t \bar a_t^\top}, \quad G_0 = \overline{g_t g_t^\top}, \quad
    A_1 = \overline{\bar a_{t+1} \bar a_t^\top}, \quad G_1 = \overline{g_{t+1} g_t^\top},

so that :math:`V_0 = \mathbb E[w_t w_t^\top] \approx G_0 \otimes A_0` and
:math:`V_1 = \mathbb E[w_{t+1} w_t^\top] \approx G_1 \otimes A_1`. Temporal models of the block
:math:`F_P = \sum_{t,s} \mathbb E[w_t w_s^\top]` of a length-:math:`T` sequence:

* ``"independent"`` (independent time steps, as for a non-recurrent layer of Martens & Grosse 2015):
  :math:`F_P \approx T\, G_0 \otimes A_0`;
* ``"option1"`` (MBJ 2018, section 3.5, Option 1: :math:`V_1` assumed symmetric): with
  :math:`\hat\Psi = V_0^{-1/2} \tfrac12(V_1 + V_1^\top) V_0^{-1/2}`,
  :math:`F_P \approx V_0^{1/2} \big(\sum_{k=-T}^{T} (T - |k|) \hat\Psi^{|k|}\big) V_0^{1/2}`,
  whose inverse multiplies the eigenvalues by
  :math:`\gamma(x) = 1/\sum_{k}(T-|k|)x^{|k|} = (1-x)^2 / (T(1-x^2) - 2x(1-x^T))`;
* ``"option2"`` (MBJ 2018, section 3.5, Option 2: infinitely long sequences): with
  :math:`\Psi = V_1 V_0^{-1} = (G_1 G_0^{-1}) \otimes (A_1 A_0^{-1})`,
  :math:`F_P \approx T\big[(I-\Psi)^{-1} V_0 + V_0 (I - \Psi^\top)^{-1} - V_0\big]
  = T (I-\Psi)^{-1}(V_0 - \Psi V_0 \Psi^\top)(I-\Psi^\top)^{-1}`, inverted as
  :math:`\tfrac1T (I-\Psi^\top)\, V_0^{-1/2} (I - \hat\Psi\hat\Psi^\top)^{-1} V_0^{-1/2} (I-\Psi)`
  with :math:`\hat\Psi = V_0^{-1/2} V_1 V_0^{-1/2}`. Both are the sums
  :math:`\sum_{t,s}` of the lagged moments :math:`V_k = \Psi^k V_0` of a stationary linear-Gaussian
  chain :math:`w_{t+1} = \Psi w_t + \epsilon_t` (checked numerically in ``tests/test_kfac.py``).

Damping (Martens & Grosse 2015, section 6.3, the :math:`\pi` heuristic): :math:`F_P + \gamma I`
is approximated by :math:`T (G_0 + \tfrac{1}{\pi}\sqrt{\gamma/T}\, I) \otimes (A_0 + \pi\sqrt{\gamma/T}\, I)`,
:math:`\pi = \sqrt{(\operatorname{tr} A_0 / \dim A_0) / (\operatorname{tr} G_0 / \dim G_0)}`; the
damping is divided by :math:`T` as the factors are averages over time (the convention of the
TensorFlow K-FAC ``FullyConnectedSeriesFB``); option 1 and 2 put the same damping into
:math:`A_0, G_0` before forming :math:`\hat\Psi`.

Why K-FAC falls short for saturated SRNs (seed report, section 6): in saturation
:math:`\sigma'(a_t) \approx 0`, so :math:`g_t = D a_t \approx 0` and :math:`G_0` is (nearly) zero;
the damping then dominates and the step degenerates into a scaled gradient step. With the
:math:`\pi` heuristic the limit is exact: if :math:`\operatorname{tr} G_0 \to 0` while :math:`A_0`
stays put, then :math:`\pi \to \infty`, :math:`\delta_G \to 0` but :math:`\delta_G / \lambda_{max}(G_0) \to \infty`,
:math:`\delta_A \to \infty`, and :math:`\tfrac1T (G_0 + \delta_G I)^{-1} \nabla (A_0 + \delta_A I)^{-1}
\to \tfrac{1}{T\delta_G\delta_A}\nabla = \nabla / \gamma`: the K-FAC step tends to the (vanishing)
gradient divided by the damping (:func:`saturation_sweep` measures this on compiled saturated SRNs).

What this module provides:

* :func:`nll_loss` -- the loss :math:`L` above;
* :func:`kfac_statistics` -- :math:`A_0, G_0, A_1, G_1` of each layer (sampled or exact);
* :func:`layer_gradient`, :func:`block_indices` -- a layer's gradient matrix and its indices in :math:`\theta`;
* :func:`kfac_block` -- the dense approximate block of a temporal model (for tiny models);
* :func:`precondition` -- :math:`(\text{approximate } F_P + \gamma I)^{-1}` applied to a gradient matrix;
* :func:`damped_inverse` -- :math:`(C + \delta I)^{-1}` by eigendecomposition;
* :func:`exact_fisher`, :func:`natural_gradient` -- the reference :math:`F` and :math:`-(F+\lambda I)^{-1}\nabla L`;
* :func:`approximation_errors` -- relative Frobenius error of each K-FAC variant against the exact block;
* :func:`kfac_direction`, :func:`block_natural_gradient`, :func:`step_vector`, :func:`cosine` -- the
  K-FAC step and the exact block-diagonal natural-gradient step, as vectors to compare;
* :func:`step_moments`, :func:`homogeneity_gaps` -- the factors of each time step, and how far they
  are from their time average (the stationarity that the temporal models assume);
* :func:`saturation_sweep` -- K-FAC at the compiled saturated SRN of a DFA as the scale :math:`J` grows;
* :class:`KFAC` -- the optimizer.

Code indexes time from 0, like :mod:`srnbook.srn`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .._validation import (check_bool, check_callable, check_choice, check_float, check_instance, check_int_tensor,
                           check_memory, check_positive_int, check_seed, check_tensor)
from ..srn import SRN, SRNOutput, flatten_parameters, unflatten_parameters
from .hessian_free import _check_like, _check_scale, _check_scales

Tensor = torch.Tensor

LAYERS = ("U", "W", "V")
LIKELIHOODS = ("gaussian", "categorical", "bernoulli")
TEMPORAL = ("independent", "option1", "option2")
OUTPUT_STEPS = ("all", "last")
"""The steps whose outputs the likelihood of :func:`kfac_statistics` covers."""
#: Eigenvalues of :math:`\hat\Psi` (option 1) and :math:`\hat\Psi\hat\Psi^\top` (option 2) are clamped
#: to :math:`[-1 + \epsilon, 1 - \epsilon]`: estimated statistics can leave the stationary range.
PSI_EPS = 1e-6


class LayerStatistics(NamedTuple):
    """K-FAC statistics of one layer (all averages over batch and time).

    Attributes
    ----------
    A0, G0: input and gradient second moments, ``(in, in)`` and ``(out, out)``.
    A1, G1: lag-1 cross moments :math:`\\overline{\\bar a_{t+1}\\bar a_t^\\top}`,
        :math:`\\overline{g_{t+1} g_t^\\top}` (zero when ``T = 1``).
    T: the number of time steps.
    """

    A0: Tensor
    G0: Tensor
    A1: Tensor
    G1: Tensor
    T: int


# ---------------------------------------------------------------------- checks


def _check_srn(model) -> SRN:
    return check_instance(model, "model", SRN, "an srnbook.SRN")


def _check_x(model: SRN, x, h0=None) -> Tensor:
    """``x`` ``(B, T, u)`` with :math:`B, T \\ge 1`, in the model's dtype; and ``h0`` if given."""
    x = check_tensor(x, "x", ndim=3, dtype=model.W.dtype)
    if x.shape[2] != model.input_size or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (B, T, {model.input_size}) with B, T >= 1, got {tuple(x.shape)}")
    if h0 is not None:
        model._initial_state(h0, x.shape[0])  # checks h0: (d,) or (B, d), finite, the model's dtype
    return x


def _check_likelihood(model: SRN, likelihood, logits: bool = False) -> str:
    """``logits=True``: an identity output is accepted for ``"categorical"`` (:math:`z_t` read as logits)."""
    check_choice(likelihood, "likelihood", LIKELIHOODS)
    allowed = ("softmax", "identity") if logits else ("softmax",)
    if likelihood == "categorical" and model.output not in allowed:
        raise ValueError(f"likelihood 'categorical' needs output in {allowed}, got output={model.output!r}")
    if likelihood == "bernoulli" and model.output != "sigmoid":
        raise ValueError(f"likelihood 'bernoulli' needs a sigmoid output, got output={model.output!r}")
    return likelihood


def _check_decay(decay) -> float:
    return check_float(decay, "decay", low=0.0, high=1.0, high_open=True)


def _check_stats(stats, name: str = "stats") -> LayerStatistics:
    """A :class:`LayerStatistics`: square finite factors, ``A1`` shaped like ``A0``, ``G1`` like ``G0``."""
    check_instance(stats, name, LayerStatistics, "a LayerStatistics (from kfac_statistics)")
    A0 = check_tensor(stats.A0, f"{name}.A0", ndim=2)
    for field, like in (("A0", "A0"), ("A1", "A0"), ("G0", "G0"), ("G1", "G0")):
        C = check_tensor(getattr(stats, field), f"{name}.{field}", ndim=2, dtype=A0.dtype)
        n = getattr(stats, like).shape[0]
        if C.shape != (n, n) or n == 0:
            raise ValueError(f"{name}.{field} must be a non-empty square matrix like {name}.{like}, "
                             f"got shape {tuple(C.shape)}")
    check_positive_int(stats.T, f"{name}.T")
    return stats


# ---------------------------------------------------------------------- loss and output curvature


def nll_loss(model: SRN, x: Tensor, y: Tensor, likelihood: str = "gaussian", h0: Tensor | None = None) -> Tensor:
    r""":math:`L = \frac1B\sum_n\sum_t -\log p(y_{n,t}\mid x_n)` up to constants.

    ``y`` is ``(B, T, o)`` targets (gaussian: :math:`\tfrac12\lVert y - \hat y\rVert^2`; bernoulli:
    targets in :math:`[0, 1]`, :math:`-\sum_k y_k \log \hat y_k + (1 - y_k)\log(1 - \hat y_k)`, computed
    from the logits :math:`z_t` so that it stays exact in saturation) or ``(B, T)`` class indices
    (categorical: :math:`-\log \hat y_{y}`). ``h0``: the initial state (zeros by default).
    """
    _check_srn(model)
    x = _check_x(model, x, h0)
    _check_likelihood(model, likelihood)
    y = _check_y(model, x, y, likelihood)
    out = model(x, h0=h0)
    if likelihood == "bernoulli":
        z = out.h @ model.V.t() + model.c
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum") / x.shape[0]
    if likelihood == "gaussian":
        return 0.5 * ((y - out.y) ** 2).sum() / x.shape[0]
    logp = torch.log(out.y.clamp_min(torch.finfo(out.y.dtype).tiny))
    return -logp.gather(2, y.unsqueeze(2)).sum() / x.shape[0]


def _check_y(model: SRN, x: Tensor, y, likelihood: str) -> Tensor:
    """The targets of :func:`nll_loss` for the checked batch ``x``."""
    B, T, _ = x.shape
    o = model.output_size
    if likelihood == "categorical":
        y = check_int_tensor(y, "y", ndim=2, low=0, high=o - 1)
        if y.shape != (B, T):
            raise ValueError(f"y must be class indices of shape ({B}, {T}), got {tuple(y.shape)}")
        return y
    y = check_tensor(y, "y", ndim=3, dtype=model.W.dtype)
    if y.shape != (B, T, o):
        raise ValueError(f"y must have shape ({B}, {T}, {o}), got {tuple(y.shape)}")
    if likelihood == "bernoulli" and bool(((y < 0) | (y > 1)).any()):
        raise ValueError(f"y must have entries in [0, 1] for the bernoulli likelihood, "
                         f"got entries in [{float(y.min())}, {float(y.max())}]")
    return y


def _output_sqrt(model: SRN, z: Tensor, likelihood: str) -> Tensor:
    r"""``(B, T, o, o)`` :math:`L` with :math:`L L^\top = H = \mathbb E[D z\, D z^\top]`."""
    o = z.shape[-1]
    eye = torch.eye(o, dtype=z.dtype)
    if likelihood == "categorical":
        p = torch.softmax(z, -1)
        r = p.sqrt()
        return torch.diag_embed(r) - p.unsqueeze(-1) * r.unsqueeze(-2)
    if likelihood == "bernoulli":  # H = diag(p (1 - p)), computed without cancellation
        return torch.diag_embed(torch.sigmoid(z).mul(torch.sigmoid(-z)).sqrt())
    # gaussian: Dz = J_g^T (yhat - y), H = J_g^T J_g; L = J_g^T
    if model.output == "identity":
        return eye.expand(*z.shape[:-1], o, o)
    if model.output == "sigmoid":
        s = torch.sigmoid(z)
        return torch.diag_embed(s * (1 - s))
    if model.output == "tanh":
        return torch.diag_embed(1 - torch.tanh(z) ** 2)
    p = torch.softmax(z, -1)  # softmax Jacobian, symmetric
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)


def _sample_dz(model, z, likelihood, n_samples, generator) -> Tensor:
    """``(S, B, T, o)`` gradients of :math:`-\\log p` w.r.t. :math:`z` at targets drawn from the model."""
    S = n_samples
    if likelihood == "categorical":
        p = torch.softmax(z, -1)
        flat = p.reshape(-1, p.shape[-1])
        idx = torch.multinomial(flat, S, replacement=True, generator=generator).t()  # (S, B*T)
        onehot = torch.nn.functional.one_hot(idx, p.shape[-1]).to(z.dtype).view(S, *p.shape)
        return p.unsqueeze(0) - onehot
    if likelihood == "bernoulli":
        p = torch.sigmoid(z).expand(S, *z.shape)
        return p - torch.bernoulli(p, generator=generator)
    L = _output_sqrt(model, z, likelihood)
    eps = torch.randn(S, *z.shape, dtype=z.dtype, generator=generator)  # y - yhat
    return -torch.einsum("btij,sbtj->sbti", L, eps)


def _backprop(model: SRN, a, h, dz) -> Tensor:
    r""":math:`D a_t = \sigma'(a_t) \odot (V^\top D z_t + W^\top D a_{t+1})` for ``dz`` ``(S, B, T, o)``.

    The recursion runs time-major (contiguous ``(S B, d)`` rows per step); the result is a
    ``(S, B, T, d)`` view of it."""
    S, B, T, _ = dz.shape
    d = a.shape[2]
    s = model.activation.derivative(a, h).transpose(0, 1).unsqueeze(1)  # (T, 1, B, d)
    V, W = model.V.detach(), model.W.detach()
    local = (dz.permute(2, 0, 1, 3) @ V).reshape(T, S * B, d)  # V^T Dz_t, time-major
    s = s.expand(T, S, B, d).reshape(T, S * B, d)
    da = torch.empty_like(local)
    torch.mul(s[T - 1], local[T - 1], out=da[T - 1])
    for t in range(T - 2, -1, -1):
        torch.mul(s[t], torch.addmm(local[t], da[t + 1], W), out=da[t])
    return da.view(T, S, B, d).permute(1, 2, 0, 3)


def _moments(a_in: Tensor, g: Tensor, weight: float, lag: bool = True) -> LayerStatistics:
    """Statistics from inputs ``(B, T, in)`` and gradients ``(S, B, T, out)`` (weight per sample);
    with ``lag=False`` :math:`A_1` and :math:`G_1` are left at zero (the independent model does
    not read them)."""
    B, T = a_in.shape[:2]
    A0 = torch.einsum("bti,btj->ij", a_in, a_in) / (B * T)
    G0 = weight * torch.einsum("sbti,sbtj->ij", g, g) / (B * T)
    if T > 1 and lag:
        A1 = torch.einsum("bti,btj->ij", a_in[:, 1:], a_in[:, :-1]) / (B * (T - 1))
        G1 = weight * torch.einsum("sbti,sbtj->ij", g[:, :, 1:], g[:, :, :-1]) / (B * (T - 1))
    else:
        A1, G1 = torch.zeros_like(A0), torch.zeros_like(G0)
    return LayerStatistics(A0, G0, A1, G1, T)


def kfac_statistics(
    model: SRN,
    x: Tensor,
    *,
    likelihood: str = "gaussian",
    exact: bool = False,
    n_samples: int = 1,
    seed: int = 0,
    outputs: str = "all",
    h0: Tensor | None = None,
) -> dict[str, LayerStatistics]:
    r"""The K-FAC statistics :math:`A_0, G_0, A_1, G_1` of ``"U"``, ``"W"`` and ``"V"`` on the batch ``x``.

    The gradients :math:`g_t` are those of :math:`-\log p(y \mid x)` at targets drawn from the
    model (``n_samples`` draws per sequence, each weighted :math:`1/S`, from a generator seeded with
    ``seed``: the same seed gives the same statistics), or, with ``exact=True``,
    the :math:`T o` back-propagated columns of :math:`L_{s} e_k` (:math:`L L^\top = H`), which
    give the expectation over :math:`y` exactly (the targets of different steps are independent).
    The initial state is ``h0`` (zeros by default).

    ``outputs="last"`` is the model of the tasks scored at the last step only
    (:mod:`srnbook.tasks`): the likelihood is that of :math:`y_T` alone, so :math:`D z_t = 0` for
    :math:`t < T` and the statistics of ``"V"`` are those of the last step (:math:`T = 1`).
    """
    _check_srn(model)
    x = _check_x(model, x, h0)
    _check_likelihood(model, likelihood, logits=True)
    check_choice(outputs, "outputs", OUTPUT_STEPS)
    exact = check_bool(exact, "exact")
    n_samples = check_positive_int(n_samples, "n_samples")
    generator = torch.Generator().manual_seed(check_seed(seed))
    return _statistics(model, x, likelihood, exact, n_samples, generator, outputs, h0)


def _statistics(model: SRN, x: Tensor, likelihood: str, exact: bool, n_samples: int, generator, outputs: str,
                h0, lagged=LAYERS, forward=None) -> dict[str, LayerStatistics]:
    r""":func:`kfac_statistics` of checked arguments, drawing from ``generator``; its size checked first.

    Only the layers in ``lagged`` get :math:`A_1, G_1` (zeros otherwise). Shared work: ``"U"`` and
    ``"W"`` have the same :math:`g_t = D a_t`, so one :math:`G_0` (and :math:`G_1`); with
    ``outputs="all"``, :math:`A_0` of ``"W"`` (the states :math:`h_{-1}, \dots, h_{T-2}`) is that of
    ``"V"`` (:math:`h_0, \dots, h_{T-1}`) less the last state's outer products plus the initial
    state's. ``forward``: the model's output on ``x`` at the current parameters (the loss's
    forward pass), if at hand."""
    B, T, _ = x.shape
    S = (T if outputs == "all" else 1) * model.output_size if exact else n_samples
    _check_signal_memory(model, S, B, T, x.element_size(), "x" if exact else "n_samples")
    signals, weight = _layer_signals(model, x, likelihood, exact, n_samples, generator, outputs, h0, forward)
    out = {"V": _moments(*signals["V"], weight, lag="V" in lagged)}
    h_prev, da = signals["W"]
    G0, G1 = _gradient_moments(da, weight, lag=("U" in lagged or "W" in lagged) and T > 1)  # of D a_t
    d = h_prev.shape[2]
    if outputs == "all":
        h_last, start = signals["V"][0][:, -1, :d], h_prev[:, 0]
        A0_W = out["V"].A0[:d, :d] + (start.t() @ start - h_last.t() @ h_last) / (B * T)
    else:
        A0_W = _input_moment(h_prev, h_prev)
    for layer, a_in, A0 in (("U", signals["U"][0], None), ("W", h_prev, A0_W)):
        A0 = _input_moment(a_in, a_in) if A0 is None else A0
        lag = layer in lagged and T > 1
        A1 = _input_moment(a_in[:, 1:], a_in[:, :-1]) if lag else torch.zeros_like(A0)
        out[layer] = LayerStatistics(A0, G0, A1, G1 if lag else torch.zeros_like(G0), T)
    return {k: out[k] for k in signals}


def _gradient_moments(g: Tensor, weight: float, lag: bool) -> tuple[Tensor, Tensor]:
    """:math:`G_0` and (with ``lag``, else zeros) :math:`G_1` of gradients ``(S, B, T, out)``."""
    B, T = g.shape[1:3]
    G0 = weight * torch.einsum("sbti,sbtj->ij", g, g) / (B * T)
    G1 = (weight * torch.einsum("sbti,sbtj->ij", g[:, :, 1:], g[:, :, :-1]) / (B * (T - 1)) if lag
          else torch.zeros_like(G0))
    return G0, G1


def _input_moment(a: Tensor, b: Tensor) -> Tensor:
    r""":math:`\overline{a_t b_t^\top}` over batch and steps of two ``(B, T', n)`` tensors."""
    return torch.einsum("bti,btj->ij", a, b) / (a.shape[0] * a.shape[1])


def _check_signal_memory(model: SRN, S: int, B: int, T: int, itemsize: int, name: str) -> None:
    """The back-propagated signals :math:`D z` and :math:`D a`, ``(S, B, T, o)`` and ``(S, B, T, d)``, and a
    working copy of each."""
    nbytes = 2 * S * B * T * (model.output_size + model.hidden_size) * itemsize
    check_memory(nbytes, f"the gradients of {S} targets per sequence on a batch of {B} x {T} steps", name)


def _layer_signals(model: SRN, x: Tensor, likelihood: str, exact: bool, n_samples: int, generator,
                   outputs: str, h0, forward=None) -> tuple[dict[str, tuple[Tensor, Tensor]], float]:
    r"""Per layer, the inputs :math:`\bar a_t` ``(B, T, in)`` and gradients :math:`g_t` ``(S, B, T, out)``;
    and the weight of one sample. ``forward``: ``model(x, h0=h0)`` if already computed."""
    with torch.no_grad():
        out = model(x, h0=h0) if forward is None else forward
        a, h = out.a.detach(), out.h.detach()
        B, T, d = h.shape
        z = h @ model.V.detach().t() + model.c.detach()
        o = z.shape[-1]
        if exact:
            L = _output_sqrt(model, z, likelihood)  # (B, T, o, k)
            steps = range(T) if outputs == "all" else [T - 1]
            dz = torch.zeros(len(steps), o, B, T, o, dtype=x.dtype)
            for i, s in enumerate(steps):
                dz[i, :, :, s] = L[:, s].permute(2, 0, 1)  # column k of L_{n,s}
            dz = dz.reshape(len(steps) * o, B, T, o)
            weight = 1.0
        else:
            dz = _sample_dz(model, z, likelihood, n_samples, generator)
            weight = 1.0 / n_samples
            if outputs == "last":
                dz[:, :, :-1] = 0
        da = _backprop(model, a, h, dz)
        ones = x.new_ones(B, T, 1)
        start = model._initial_state(h0, B).detach().unsqueeze(1)
        h_prev = torch.cat([start, h[:, :-1]], dim=1)
        hv = torch.cat([h, ones], 2)
        signals = {"U": (torch.cat([x, ones], 2), da), "W": (h_prev, da),
                   "V": (hv, dz) if outputs == "all" else (hv[:, -1:], dz[:, :, -1:])}
        return signals, weight


def step_moments(model: SRN, x: Tensor, *, likelihood: str = "gaussian",
                 h0: Tensor | None = None) -> dict[str, tuple[Tensor, Tensor]]:
    r"""The exact factors of each time step, ``{layer: (A, G)}``:
    ``A[t]`` :math:`= \frac1B\sum_n \bar a_{n,t} \bar a_{n,t}^\top`,
    ``G[t]`` :math:`= \frac1B\sum_n \mathbb E_y[g_{n,t} g_{n,t}^\top]`, shapes ``(T, in, in)`` and ``(T, out, out)``.

    Their averages over :math:`t` are the :math:`A_0, G_0` of :func:`kfac_statistics` (``exact=True``).
    """
    _check_srn(model)
    x = _check_x(model, x, h0)
    _check_likelihood(model, likelihood, logits=True)
    B, T, _ = x.shape
    _check_signal_memory(model, T * model.output_size, B, T, x.element_size(), "x")
    signals, _ = _layer_signals(model, x, likelihood, True, 1, None, "all", h0)
    return {k: (torch.einsum("bti,btj->tij", a_in, a_in) / B, torch.einsum("sbti,sbtj->tij", g, g) / B)
            for k, (a_in, g) in signals.items()}


def homogeneity_gaps(model: SRN, x: Tensor, *, likelihood: str = "gaussian",
                     h0: Tensor | None = None) -> dict[str, tuple[float, float]]:
    r"""How far the factors of single steps are from their time average, ``{layer: (gap_A, gap_G)}``.

    :math:`\mathrm{gap}_A = \frac1T \sum_t \lVert A^{(t)} - A_0 \rVert_F / \lVert A_0 \rVert_F` with
    :math:`A^{(t)}` from :func:`step_moments` and :math:`A_0 = \frac1T\sum_t A^{(t)}` (likewise for
    :math:`G`). The three temporal models of :func:`kfac_block` assume that the statistics of
    :math:`w_t = g_t \otimes \bar a_t` do not depend on :math:`t` (MBJ 2018); a gap of 0 means
    the factors satisfy it exactly. A zero average gives a gap of 0.
    """
    return {layer: (_relative_spread(A), _relative_spread(G))
            for layer, (A, G) in step_moments(model, x, likelihood=likelihood, h0=h0).items()}


def _relative_spread(C: Tensor) -> float:
    mean = C.mean(0)
    norm = float(torch.linalg.norm(mean))
    if norm == 0:
        return 0.0
    return float(torch.linalg.norm(C - mean, dim=(1, 2)).mean()) / norm




# ---------------------------------------------------------------------- layers as matrices


def _offsets(model: SRN) -> dict[str, int]:
    out, start = {}, 0
    for name, p in model.named_parameters():
        out[name] = start
        start += p.numel()
    return out


def block_indices(model: SRN, layer: str) -> Tensor:
    """Indices in :math:`\\theta` (:func:`srnbook.srn.flatten_parameters`) of the layer matrix, row by row.

    ``"U"`` is :math:`[U \\mid b]`, ``"V"`` is :math:`[V \\mid c]`, ``"W"`` is :math:`W`.
    """
    _check_srn(model)
    check_choice(layer, "layer", LAYERS)
    off = _offsets(model)
    d, u, o = model.hidden_size, model.input_size, model.output_size
    if layer == "W":
        return off["W"] + torch.arange(d * d)
    rows, cols, w, bias = (d, u, "U", "b") if layer == "U" else (o, d, "V", "c")
    weight = off[w] + torch.arange(rows * cols).view(rows, cols)
    return torch.cat([weight, (off[bias] + torch.arange(rows)).unsqueeze(1)], 1).reshape(-1)


def layer_gradient(model: SRN, layer: str, grads: dict[str, Tensor] | None = None) -> Tensor:
    """The layer's ``(out, in)`` gradient matrix from ``.grad`` (or from ``grads``, a dict
    ``{parameter name: tensor}`` with at least the layer's parameters, each shaped like the parameter)."""
    _check_srn(model)
    check_choice(layer, "layer", LAYERS)
    names = {"U": ("U", "b"), "W": ("W", None), "V": ("V", "c")}[layer]
    if grads is not None:
        _check_parameter_dict(model, grads, "grads", [n for n in names if n is not None])
    get = (lambda n: grads[n]) if grads is not None else (lambda n: model.get_parameter(n).grad)
    for n in names:
        if n is not None and get(n) is None:
            raise ValueError(f"model.{n} has no gradient; call loss.backward() first")
    if names[1] is None:
        return get("W")
    return torch.cat([get(names[0]), get(names[1]).unsqueeze(1)], 1)


def _check_parameter_dict(model: SRN, values, name: str, required) -> dict[str, Tensor]:
    """``{parameter name: tensor shaped like the parameter}``, the ``required`` names and no unknown one."""
    check_instance(values, name, dict, "a dict {parameter name: tensor}")
    params = dict(model.named_parameters())
    unknown = sorted(str(k) for k in values if k not in params)
    missing = [n for n in required if n not in values]
    if unknown or missing:
        raise ValueError(f"{name} must have an entry for each of {list(required)} and no other key, "
                         f"missing {missing}, unknown {unknown}")
    for n, value in values.items():
        p = params[n]
        check_tensor(value, f"{name}[{n!r}]", ndim=p.dim(), dtype=p.dtype)
        if value.shape != p.shape:
            raise ValueError(f"{name}[{n!r}] must have shape {tuple(p.shape)}, got {tuple(value.shape)}")
    return values


# ---------------------------------------------------------------------- damping and inverses


def _check_square(C, name: str, like: tuple[Tensor, str] | None = None, symmetric: bool = False) -> Tensor:
    """A non-empty finite square matrix (of the dtype of ``like = (tensor, its name)``; symmetric up to
    rounding with ``symmetric``)."""
    C = (check_tensor(C, name, ndim=2) if like is None else _check_like(C, name, *like, 2)).detach()
    if C.shape[0] != C.shape[1] or C.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {tuple(C.shape)}")
    tolerance = math.sqrt(torch.finfo(C.dtype).eps) * float(C.abs().max())
    if symmetric and float((C - C.t()).abs().max()) > tolerance:
        gap = float((C - C.t()).abs().max())
        raise ValueError(f"{name} must be symmetric, got |{name} - {name}^T| up to {gap:.3g}")
    return C


def damped_inverse(C: Tensor, damping: float) -> Tensor:
    r""":math:`(C + \delta I)^{-1}` of a symmetric PSD ``C`` via :math:`C = Q \Lambda Q^\top`:
    :math:`Q (\Lambda + \delta I)^{-1} Q^\top`. ``damping`` :math:`\delta \ge 0` (at most
    :func:`~srnbook.optim.hessian_free._scale_limit` of the dtype); :math:`C + \delta I` must be positive
    definite."""
    C = _check_square(C, "C", symmetric=True)
    damping = _check_scale(damping, "damping", C.dtype, allow_zero=True)
    e, Q = torch.linalg.eigh(C)
    if not float(e.min()) + damping > 0:
        raise ValueError(f"C + damping I must be positive definite: the smallest eigenvalue of C is "
                         f"{float(e.min()):.3g} and damping={damping!r}")
    return (Q / (e + damping)) @ Q.t()


def pi_damping(A: Tensor, G: Tensor, damping: float, T: int = 1) -> tuple[float, float]:
    r"""``(delta_A, delta_G)`` :math:`= (\pi\sqrt{\gamma/T}, \sqrt{\gamma/T}/\pi)`, Martens & Grosse (2015)
    sec. 6.3.

    ``A`` and ``G`` are square factors of one dtype; ``damping`` :math:`\gamma \ge 0` is at most
    :func:`~srnbook.optim.hessian_free._scale_limit` of it; ``T`` a positive integer."""
    A = _check_square(A, "A")
    G = _check_square(G, "G", (A, "A"))
    damping = _check_scale(damping, "damping", A.dtype, allow_zero=True)
    T = check_positive_int(T, "T")
    return _pi_damping(A, G, damping, T)


def _pi_damping(A: Tensor, G: Tensor, damping: float, T: int) -> tuple[float, float]:
    ta = float(torch.trace(A)) / A.shape[0]
    tg = float(torch.trace(G)) / G.shape[0]
    if not (math.isfinite(ta) and math.isfinite(tg)):
        raise ValueError(f"the K-FAC factors must be finite, got trace(A)/dim = {ta}, trace(G)/dim = {tg} "
                         "(the statistics overflowed: the training has diverged)")
    pi = math.sqrt(ta / tg) if ta > 0 and tg > 0 else 1.0
    root = math.sqrt(damping / T)
    return pi * root, root / pi


def _sym_pow(C: Tensor, power: float) -> Tensor:
    r""":math:`C^p` of a symmetric PSD matrix; eigenvalues below :math:`10^{-12}\lambda_{max}` are floored there."""
    e, Q = torch.linalg.eigh(0.5 * (C + C.t()))
    e = e.clamp_min(1e-12 * float(e.abs().max().clamp_min(torch.finfo(C.dtype).tiny)))
    return (Q * e.pow(power)) @ Q.t()


def _eye(n, like):
    return torch.eye(n, dtype=like.dtype)


def _damped(stats: LayerStatistics, damping: float):
    dA, dG = _pi_damping(stats.A0, stats.G0, damping, stats.T)
    A0 = stats.A0 + dA * _eye(stats.A0.shape[0], stats.A0)
    G0 = stats.G0 + dG * _eye(stats.G0.shape[0], stats.G0)
    return A0, G0


def _fejer(x: Tensor, T: int) -> Tensor:
    r""":math:`\sum_{k=-T}^{T} (T - |k|) x^{|k|} = T + 2\sum_{k=1}^{T-1}(T-k)x^k` (no cancellation at x = 1)."""
    k = torch.arange(1, T, dtype=x.dtype)
    return T + 2 * ((T - k) * x.unsqueeze(-1) ** k).sum(-1)


def kfac_block(stats: LayerStatistics, temporal: str = "independent", damping: float = 0.0) -> Tensor:
    """The dense approximate Fisher block (row-major, ``(out*in, out*in)``) of a temporal model.

    ``damping`` is added to the factors as in :func:`precondition` (``0``: the undamped model; where
    :math:`A_0, G_0` are singular, option 1 floors the eigenvalues of :math:`V_0` at :math:`10^{-12}` times
    the largest and option 2 uses pseudo-inverses). For tiny layers only: the size is checked against the
    package's memory limit.
    """
    stats = _check_stats(stats)
    check_choice(temporal, "temporal", TEMPORAL)
    damping = _check_scale(damping, "damping", stats.A0.dtype, allow_zero=True)
    n = stats.A0.shape[0] * stats.G0.shape[0]
    check_memory(6 * n * n * stats.A0.element_size(), f"six {n} x {n} matrices", "stats")
    T = stats.T
    A0, G0 = _damped(stats, damping) if damping > 0 else (stats.A0, stats.G0)
    if damping > 0 and temporal == "independent":
        return T * torch.kron(G0, A0)
    V0 = torch.kron(G0, A0)
    if temporal == "independent":
        return T * V0
    n = V0.shape[0]
    I = _eye(n, V0)
    if temporal == "option1":
        V1 = torch.kron(0.5 * (stats.G1 + stats.G1.t()), 0.5 * (stats.A1 + stats.A1.t()))
        R, Ri = _sym_pow(V0, 0.5), _sym_pow(V0, -0.5)
        Psi = Ri @ V1 @ Ri
        e, Q = torch.linalg.eigh(0.5 * (Psi + Psi.t()))
        e = e.clamp(-1 + PSI_EPS, 1 - PSI_EPS)
        return R @ (Q * _fejer(e, T)) @ Q.t() @ R
    Psi = torch.kron(stats.G1 @ torch.linalg.pinv(G0, hermitian=True), stats.A1 @ torch.linalg.pinv(A0, hermitian=True))
    return T * torch.linalg.solve(I - Psi, V0 - Psi @ V0 @ Psi.t()) @ torch.linalg.inv(I - Psi.t())


def _require_definite(stats: LayerStatistics) -> None:
    """Undamped inverses need positive definite factors."""
    for field in ("A0", "G0"):
        smallest = float(torch.linalg.eigvalsh(getattr(stats, field))[0])
        if not smallest > 0:
            raise ValueError(f"damping=0 needs positive definite factors, but stats.{field} has the smallest "
                             f"eigenvalue {smallest:.3g}: use damping > 0")


class _Inverse:
    """Cached quantities of one layer's damped inverse (recomputed every ``inverse_every`` steps)."""

    def __init__(self, stats: LayerStatistics, damping: float, temporal: str):
        self.temporal, self.T = temporal, stats.T
        A0, G0 = _damped(stats, damping)
        if temporal == "independent" or stats.T == 1:
            self.temporal = "independent"
            self.eA, self.QA = torch.linalg.eigh(A0)
            self.eG, self.QG = torch.linalg.eigh(G0)
        elif temporal == "option1":
            self.LA, psiA = self._option1(A0, stats.A1)
            self.LG, psiG = self._option1(G0, stats.G1)
            x = (psiG.unsqueeze(1) * psiA.unsqueeze(0)).clamp(-1 + PSI_EPS, 1 - PSI_EPS)
            self.Y = 1.0 / _fejer(x, stats.T)
        else:
            self.PA, self.KA, muA = self._option2(A0, stats.A1)
            self.PG, self.KG, muG = self._option2(G0, stats.G1)
            self.den = (1 - muG.unsqueeze(1) * muA.unsqueeze(0)).clamp_min(PSI_EPS)

    @staticmethod
    def _option1(C0, C1):
        Ri = _sym_pow(C0, -0.5)
        Psi = Ri @ (0.5 * (C1 + C1.t())) @ Ri
        e, Q = torch.linalg.eigh(0.5 * (Psi + Psi.t()))
        return Ri @ Q, e.clamp(-1 + PSI_EPS, 1 - PSI_EPS)

    @staticmethod
    def _option2(C0, C1):
        Ri = _sym_pow(C0, -0.5)
        P = C1 @ torch.linalg.inv(C0)  # Psi_C = C1 C0^{-1}
        Ph = Ri @ C1 @ Ri
        mu, E = torch.linalg.eigh(Ph @ Ph.t())
        return P, Ri @ E, mu.clamp(0, 1 - PSI_EPS)

    def apply(self, Z: Tensor) -> Tensor:
        if self.temporal == "independent":
            Zt = self.QG.t() @ Z @ self.QA
            Zt = Zt / (self.eG.unsqueeze(1) * self.eA.unsqueeze(0))
            return self.QG @ Zt @ self.QA.t() / self.T
        if self.temporal == "option1":
            Zt = self.LG.t() @ Z @ self.LA
            return self.LG @ (Zt * self.Y) @ self.LA.t()
        Z = Z - self.PG @ Z @ self.PA.t()
        Z = self.KG.t() @ Z @ self.KA / self.den
        Z = self.KG @ Z @ self.KA.t()
        Z = Z - self.PG.t() @ Z @ self.PA
        return Z / self.T


def precondition(stats: LayerStatistics, grad: Tensor, damping: float, temporal: str = "independent") -> Tensor:
    r"""The damped approximate inverse applied to an ``(out, in)`` gradient matrix.

    ``"independent"``: :math:`\tfrac1T (G_0 + \delta_G I)^{-1} \nabla (A_0 + \delta_A I)^{-1}`
    (Martens & Grosse's :math:`A^{-1} \nabla G^{-1}` in the row-major orientation); options 1
    and 2 as in the module docstring. Equals ``solve(kfac_block(stats, temporal, damping), vec(grad))``.
    ``damping`` :math:`\ge 0` (at most :func:`~srnbook.optim.hessian_free._scale_limit` of the dtype;
    0 needs positive definite factors).
    """
    stats = _check_stats(stats)
    damping = _check_scale(damping, "damping", stats.A0.dtype, allow_zero=True)
    check_choice(temporal, "temporal", TEMPORAL)
    grad = check_tensor(grad, "grad", ndim=2, dtype=stats.A0.dtype)
    if grad.shape != (stats.G0.shape[0], stats.A0.shape[0]):
        raise ValueError(f"grad must have shape {(stats.G0.shape[0], stats.A0.shape[0])}, got {tuple(grad.shape)}")
    if damping == 0:
        _require_definite(stats)
    return _Inverse(stats, damping, temporal).apply(grad)


# ---------------------------------------------------------------------- exact Fisher (reference)


def exact_fisher(model: SRN, x: Tensor, likelihood: str = "gaussian", h0: Tensor | None = None) -> Tensor:
    r"""The exact Fisher :math:`F = \frac1B\sum_{n,t} J_{n,t}^\top H_{n,t} J_{n,t}` over all of :math:`\theta`.

    Ordered like :func:`srnbook.srn.flatten_parameters` (``U, W, V, b, c``, row by row).
    Costs a full Jacobian: tiny models only (its size is checked against the package's memory limit).
    ``h0``: the initial state (zeros by default).
    """
    _check_srn(model)
    x = _check_x(model, x, h0)
    _check_likelihood(model, likelihood)
    theta = flatten_parameters(model).detach()
    B, T, _ = x.shape
    P, rows = theta.numel(), B * T * model.output_size
    check_memory((2 * rows * P + P * P) * x.element_size(),
                 f"the {rows} x {P} Jacobian (twice) and the {P} x {P} Fisher", "x")

    def z_of(th):
        p = unflatten_parameters(model, th)
        h = torch.func.functional_call(model, p, (x,), {"h0": h0}).h
        return h @ p["V"].t() + p["c"]

    # row by row (no vmap): works with the explicit BPTT of grad="bptt" models too
    J = torch.autograd.functional.jacobian(z_of, theta)  # (B, T, o, P)
    with torch.no_grad():
        L = _output_sqrt(model, z_of(theta), likelihood)
    M = torch.einsum("btoi,btop->btip", L, J)  # L^T J
    return torch.einsum("btip,btiq->pq", M, M) / x.shape[0]


def _check_problem(model, x, y, likelihood, h0) -> None:
    """A model, a batch ``x`` with ``h0``, a likelihood that fits the model and targets ``y`` of it."""
    _check_srn(model)
    x = _check_x(model, x, h0)
    _check_likelihood(model, likelihood)
    _check_y(model, x, y, likelihood)


def _solve(M: Tensor, g: Tensor, damping: float) -> Tensor:
    try:
        return torch.linalg.solve(M, g)
    except torch.linalg.LinAlgError as error:
        raise ValueError(f"the damped Fisher is singular at damping={damping!r}: use damping > 0") from error


def _gradients(model: SRN, x, y, likelihood, h0) -> dict[str, Tensor]:
    """:math:`\\nabla L` as ``{name: tensor}`` (autograd; ``.grad`` is left alone)."""
    names = [n for n, _ in model.named_parameters()]
    grads = torch.autograd.grad(nll_loss(model, x, y, likelihood, h0), list(model.parameters()))
    return {n: g.detach() for n, g in zip(names, grads)}


def natural_gradient(model: SRN, x: Tensor, y: Tensor, likelihood: str = "gaussian", damping: float = 1e-3,
                     h0: Tensor | None = None):
    r"""The exact natural-gradient step :math:`-(F + \lambda I)^{-1} \nabla L`, as ``{name: tensor}``.

    ``damping`` :math:`\lambda \ge 0` (at most :func:`~srnbook.optim.hessian_free._scale_limit` of the
    model's dtype); 0 needs an invertible :math:`F`."""
    _check_problem(model, x, y, likelihood, h0)
    damping = _check_scale(damping, "damping", model.W.dtype, allow_zero=True)
    F = exact_fisher(model, x, likelihood, h0)
    g = step_vector(model, _gradients(model, x, y, likelihood, h0))
    step = -_solve(F + damping * _eye(F.shape[0], F), g, damping)
    return {k: v.detach().clone() for k, v in unflatten_parameters(model, step).items()}


def step_vector(model: SRN, step: dict[str, Tensor]) -> Tensor:
    """A step given as ``{name: tensor}`` (one tensor shaped like each parameter) as one vector, ordered like
    :func:`srnbook.srn.flatten_parameters`."""
    _check_srn(model)
    _check_parameter_dict(model, step, "step", [n for n, _ in model.named_parameters()])
    return torch.cat([step[n].reshape(-1) for n, _ in model.named_parameters()])


def cosine(u: Tensor, v: Tensor, metric: Tensor | None = None) -> float:
    r""":math:`\cos_M(u, v) = u^\top M v / \sqrt{u^\top M u\; v^\top M v}` of two vectors (0 if one has zero length).

    ``metric=None`` is :math:`M = I`, the Euclidean cosine. With :math:`M = F + \gamma I` and
    :math:`v = -M^{-1}\nabla L` the damped natural-gradient step, :math:`\cos_M(u, v)^2` is the share
    of the largest possible decrease of the quadratic model
    :math:`m(s) = \nabla L^\top s + \tfrac12 s^\top M s` that the best multiple :math:`\alpha u` attains
    (:math:`\min_\alpha m(\alpha u) = -\tfrac12 (\nabla L^\top u)^2 / u^\top M u` and
    :math:`\nabla L^\top u = -v^\top M u`).
    Unlike the Euclidean cosine, it does not depend on how the parameters are scaled. ``u``, ``v`` are
    non-empty vectors of one dtype and shape; ``metric`` an ``(n, n)`` matrix of that dtype.
    """
    u = check_tensor(u, "u", ndim=1).detach()
    if u.numel() == 0:
        raise ValueError("u must have at least one entry, got an empty vector")
    v = _check_like(v, "v", u, "u", 1).detach()
    if u.shape != v.shape:
        raise ValueError(f"u and v must have the same shape, got {tuple(u.shape)} and {tuple(v.shape)}")
    if metric is None:
        uv, uu, vv = float(u @ v), float(u @ u), float(v @ v)
    else:
        metric = _check_like(metric, "metric", u, "u", 2).detach()
        if metric.shape != (len(u), len(u)):
            raise ValueError(f"metric must have shape {(len(u), len(u))}, got {tuple(metric.shape)}")
        uv, uu, vv = float(u @ metric @ v), float(u @ metric @ u), float(v @ metric @ v)
    norm = math.sqrt(uu * vv) if uu > 0 and vv > 0 else 0.0
    return uv / norm if norm > 0 else 0.0


def _layer_step(layer: str, delta: Tensor) -> dict[str, Tensor]:
    if layer == "W":
        return {"W": delta}
    w, b = ("U", "b") if layer == "U" else ("V", "c")
    return {w: delta[:, :-1], b: delta[:, -1]}


def kfac_direction(model: SRN, x: Tensor, y: Tensor, damping: float, temporal: str = "independent",
                   likelihood: str = "gaussian", h0: Tensor | None = None) -> dict[str, Tensor]:
    r"""The K-FAC step :math:`-\tilde F_P^{-1} \nabla_P L` of every layer with exact statistics, as ``{name: tensor}``.

    :math:`\tilde F_P` is the damped approximate block of :func:`precondition` (``temporal`` for
    ``W``; ``U`` and ``V`` use the independent model): :class:`KFAC`'s step with ``lr = 1``,
    ``decay = 0`` and the expectation over :math:`y` taken exactly instead of sampled. ``damping`` as in
    :func:`precondition`.
    """
    _check_problem(model, x, y, likelihood, h0)
    damping = _check_scale(damping, "damping", model.W.dtype, allow_zero=True)
    check_choice(temporal, "temporal", TEMPORAL)
    stats = kfac_statistics(model, x, likelihood=likelihood, exact=True, h0=h0)
    grads = _gradients(model, x, y, likelihood, h0)
    step = {}
    for layer in LAYERS:
        kind = temporal if layer == "W" else "independent"
        step.update(_layer_step(layer, -precondition(stats[layer], layer_gradient(model, layer, grads), damping, kind)))
    return step


def block_natural_gradient(model: SRN, x: Tensor, y: Tensor, damping: float, likelihood: str = "gaussian",
                           h0: Tensor | None = None) -> dict[str, Tensor]:
    r"""The block-diagonal natural-gradient step :math:`-(F_P + \gamma I)^{-1} \nabla_P L` with the exact blocks.

    The blocks :math:`F_P` of :math:`[U \mid b]`, :math:`W` and :math:`[V \mid c]` are cut out of
    :func:`exact_fisher`: K-FAC's first approximation (no curvature between layers) without its
    second (no Kronecker factors). Tiny models only. ``damping`` as in :func:`natural_gradient`.
    """
    _check_problem(model, x, y, likelihood, h0)
    damping = _check_scale(damping, "damping", model.W.dtype, allow_zero=True)
    F = exact_fisher(model, x, likelihood, h0)
    g = step_vector(model, _gradients(model, x, y, likelihood, h0))
    step = torch.zeros_like(g)
    for layer in LAYERS:
        idx = block_indices(model, layer)
        step[idx] = -_solve(F[idx][:, idx] + damping * _eye(len(idx), F), g[idx], damping)
    return {k: v.detach().clone() for k, v in unflatten_parameters(model, step).items()}


def approximation_errors(model: SRN, x: Tensor, likelihood: str = "gaussian",
                         h0: Tensor | None = None) -> dict[tuple[str, str], float]:
    r"""Relative Frobenius errors :math:`\lVert \tilde F_P - F_P\rVert_F / \lVert F_P \rVert_F` of each variant.

    Uses exact statistics (``exact=True``, no sampling noise) and the undamped approximations;
    keys ``(layer, temporal)``: ``"independent"`` for U, V, W and options 1, 2 for W. An exact block
    that is zero gives ``nan`` (the relative error is undefined).
    """
    F = exact_fisher(model, x, likelihood, h0)
    stats = kfac_statistics(model, x, likelihood=likelihood, exact=True, h0=h0)
    out = {}
    for layer in LAYERS:
        idx = block_indices(model, layer)
        block = F[idx][:, idx]
        variants = TEMPORAL if layer == "W" else ("independent",)
        for temporal in variants:
            approx = kfac_block(stats[layer], temporal)
            norm = float(torch.linalg.norm(block))
            out[(layer, temporal)] = float(torch.linalg.norm(approx - block)) / norm if norm > 0 else math.nan
    return out


# ---------------------------------------------------------------------- saturated SRNs


class SaturationPoint(NamedTuple):
    """K-FAC at one compiled saturated SRN (see :func:`saturation_sweep`); dicts are keyed by layer."""

    J: float
    sigma_prime: float
    G_scale: dict
    damping_ratio: dict
    gradient_norm: dict
    step_norm: dict
    gradient_cosine: dict
    step_ratio: dict


def saturation_sweep(dfa, scales, x: Tensor, y: Tensor, *, damping: float = 1e-3,
                     temporal: str = "independent") -> list[SaturationPoint]:
    r"""K-FAC at the saturated SRN compiled from ``dfa`` (:func:`srnbook.ssrn.dfa_to_ssrn`, sigmoid,
    float64, :math:`h_0 = e_0`) for each scale :math:`J` in ``scales``, on the batch ``x`` (one-hot,
    ``(B, T, |\Sigma|)``, float64) with Bernoulli targets ``y`` ``(B, T, 1)``.

    Every pre-activation of the compiled network has :math:`|a_{t,i}| \ge J`, so
    :math:`\sigma'(a_{t,i}) \le \sigma'(J) \approx e^{-J}`, and :math:`g_t = D a_t` and
    :math:`G_0` of ``"U"`` and ``"W"`` vanish as :math:`J` grows (``"V"``'s :math:`G_0` too:
    :math:`H = \hat y(1 - \hat y)`). For each :math:`J` and layer :math:`P` the point records

    * ``sigma_prime``: :math:`\max_{n,t,i} \sigma'(a_{n,t,i})`;
    * ``G_scale``: :math:`\operatorname{tr} G_0 / \dim G_0`;
    * ``damping_ratio``: :math:`\delta_G / \lambda_{max}(G_0)` (:func:`pi_damping`; ``inf`` if :math:`G_0 = 0`):
      above 1 the damping dominates the factor;
    * ``gradient_norm``: :math:`\lVert \nabla_P L \rVert_F`; ``step_norm``: :math:`\lVert s_P \rVert_F` of the
      K-FAC step :math:`s_P` of :func:`kfac_direction`;
    * ``gradient_cosine``: :math:`\cos(s_P, -\nabla_P L)`, and ``step_ratio``:
      :math:`\gamma \lVert s_P\rVert / \lVert \nabla_P L\rVert`; both tend to 1 when
      :math:`s_P \to -\nabla_P L / \gamma` (module docstring).
    """
    from ..dfa import DFA
    from ..ssrn import dfa_to_ssrn  # here: ssrn is a heavier module that K-FAC does not need otherwise

    check_instance(dfa, "dfa", DFA, "a srnbook.dfa.DFA")
    scales = _check_scales(scales, torch.float64)
    damping = _check_scale(damping, "damping")
    check_choice(temporal, "temporal", TEMPORAL)
    x = check_tensor(x, "x", ndim=3, dtype=torch.float64)
    B, T, k = x.shape
    if k != len(dfa.alphabet) or B == 0 or T == 0:
        raise ValueError(f"x must have shape (B, T, {len(dfa.alphabet)}) (one-hot letters) with B, T >= 1, "
                         f"got {tuple(x.shape)}")
    y = check_tensor(y, "y", ndim=3, dtype=torch.float64)
    if y.shape != (B, T, 1) or bool(((y < 0) | (y > 1)).any()):
        raise ValueError(f"y must have shape ({B}, {T}, 1) and entries in [0, 1], got shape {tuple(y.shape)}")
    return [_saturation_point(dfa_to_ssrn(dfa, "sigmoid", J=J, dtype=torch.float64), x, y, damping, temporal)
            for J in scales]


def _saturation_point(net, x: Tensor, y: Tensor, damping: float, temporal: str) -> SaturationPoint:
    model, h0 = net.srn, net.h0
    with torch.no_grad():
        out = model(_check_x(model, x), h0=h0)
        sigma_prime = float(model.activation.derivative(out.a, out.h).max())
    stats = kfac_statistics(model, x, likelihood="bernoulli", exact=True, h0=h0)
    grads = _gradients(model, x, y, "bernoulli", h0)
    step = kfac_direction(model, x, y, damping, temporal, "bernoulli", h0)
    fields = {k: {} for k in SaturationPoint._fields[2:]}
    for layer in LAYERS:
        s = stats[layer]
        g = layer_gradient(model, layer, grads)
        sp = layer_gradient(model, layer, step)
        top = float(torch.linalg.eigvalsh(s.G0)[-1])
        dG = _pi_damping(s.A0, s.G0, damping, s.T)[1]
        gn, sn = float(torch.linalg.norm(g)), float(torch.linalg.norm(sp))
        fields["G_scale"][layer] = float(torch.trace(s.G0)) / s.G0.shape[0]
        fields["damping_ratio"][layer] = dG / top if top > 0 else math.inf
        fields["gradient_norm"][layer] = gn
        fields["step_norm"][layer] = sn
        fields["gradient_cosine"][layer] = cosine(sp.reshape(-1), -g.reshape(-1))
        fields["step_ratio"][layer] = damping * sn / gn if gn > 0 else math.nan
    return SaturationPoint(float(net.J), sigma_prime, **fields)


# ---------------------------------------------------------------------- the optimizer


class KFAC(torch.optim.Optimizer):
    r"""K-FAC for an :class:`~srnbook.SRN`: :math:`\theta \leftarrow \theta - \eta\, \tilde F^{-1} \nabla L` layer by layer.

    With ``likelihood="categorical"`` the model's output may be ``"softmax"`` or ``"identity"``
    (then the pre-outputs :math:`z_t` are logits, as in :mod:`srnbook.training`). Call
    ``loss.backward()`` then ``step(x=x)``: the statistics are refreshed on ``x``.

    Parameters
    ----------
    model
        The SRN whose ``U, W, V, b, c`` are optimized.
    lr
        Learning rate :math:`\eta > 0`.
    damping
        Tikhonov damping :math:`\gamma > 0`, split between the factors by the :math:`\pi` heuristic.
        ``lr`` and ``damping`` are at most :func:`~srnbook.optim.hessian_free._scale_limit` of the
        model's dtype.
    decay
        Running-average decay :math:`\epsilon \in [0, 1)` of the statistics,
        that is :math:`S \leftarrow \epsilon S + (1 - \epsilon) S_{\text{batch}}` (the first batch sets :math:`S`).
    inverse_every
        Recompute the eigendecompositions every this many steps.
    temporal
        Model of the recurrent block W: ``"independent"``, ``"option1"`` or ``"option2"``.
    likelihood
        ``"gaussian"``, ``"categorical"`` or ``"bernoulli"`` (see :func:`nll_loss`).
    n_samples
        Targets drawn from the model per sequence for :math:`G`.
    seed
        Seeds the generator of those draws (an integer in :math:`[0, 2^{64})`): the same seed, model and
        batches give the same steps.
    outputs
        ``"all"`` (a target at every step) or ``"last"`` (the last step only), see :func:`kfac_statistics`.
    """

    def __init__(self, model: SRN, lr: float = 0.1, damping: float = 1e-2, decay: float = 0.95,
                 inverse_every: int = 1, temporal: str = "independent", likelihood: str = "gaussian",
                 n_samples: int = 1, seed: int = 0, outputs: str = "all"):
        self.model = _check_srn(model)
        self.outputs = check_choice(outputs, "outputs", OUTPUT_STEPS)
        lr = _check_scale(lr, "lr", model.W.dtype)
        self.damping = _check_scale(damping, "damping", model.W.dtype)
        self.decay = _check_decay(decay)
        self.inverse_every = check_positive_int(inverse_every, "inverse_every")
        self.temporal = check_choice(temporal, "temporal", TEMPORAL)
        self.likelihood = _check_likelihood(model, likelihood, logits=True)
        self.n_samples = check_positive_int(n_samples, "n_samples")
        # what even a batch of one sequence of one step would need
        _check_signal_memory(model, self.n_samples, 1, 1, model.W.element_size(), "n_samples")
        self._generator = torch.Generator().manual_seed(check_seed(seed))
        super().__init__(model.parameters(), {"lr": lr})
        self.stats: dict[str, LayerStatistics] | None = None
        self._inverses: dict[str, _Inverse] = {}
        self.steps = 0

    def update_statistics(self, x: Tensor, output: SRNOutput | None = None) -> None:
        """Fold the statistics of batch ``x`` into the running averages. ``output``: the model's
        output on ``x`` at the current parameters (the loss's forward pass), to reuse; computed
        here if not given. Only :math:`W` under option 1 or 2 gets the lagged :math:`A_1, G_1`."""
        x = _check_x(self.model, x)
        output = self._check_output(output, x)
        lagged = ("W",) if self.temporal != "independent" else ()
        new = _statistics(self.model, x, self.likelihood, False, self.n_samples, self._generator,
                          self.outputs, None, lagged, output)
        if self.stats is None or self.decay == 0:
            self.stats = new
            return
        e = self.decay
        self.stats = {k: LayerStatistics(*(e * o + (1 - e) * n for o, n in zip(old[:4], new[k][:4])), new[k].T)
                      for k, old in self.stats.items()}

    def _check_output(self, output, x: Tensor) -> SRNOutput | None:
        if output is None:
            return None
        check_instance(output, "output", SRNOutput, "an srnbook.srn.SRNOutput (what the model returns)")
        shape = (*x.shape[:2], self.model.hidden_size)
        if tuple(output.h.shape) != shape or tuple(output.a.shape) != shape:
            raise ValueError(f"output must be the model's output on x, with h and a of shape {shape}, "
                             f"got {tuple(output.h.shape)} and {tuple(output.a.shape)}")
        return output

    @torch.no_grad()
    def step(self, closure=None, *, x: Tensor | None = None, output: SRNOutput | None = None):
        """One K-FAC step; ``x`` (the batch) is required. ``closure`` re-evaluates the loss with
        gradients. ``output``: ``model(x)`` from the loss's forward pass, at the parameters before
        this step, so that the statistics reuse it (one forward pass less)."""
        if x is None:
            raise ValueError("x must be given: K-FAC refreshes its statistics on the batch")
        x = _check_x(self.model, x)
        if closure is not None:
            check_callable(closure, "closure")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.update_statistics(x, output)
        if self.steps % self.inverse_every == 0:
            self._inverses = {k: _Inverse(s, self.damping, self.temporal if k == "W" else "independent")
                              for k, s in self.stats.items()}
        lr = self.param_groups[0]["lr"]
        m = self.model
        for layer in LAYERS:
            delta = -lr * self._inverses[layer].apply(layer_gradient(m, layer))
            if layer == "W":
                m.W.add_(delta)
            else:
                w, b = (m.U, m.b) if layer == "U" else (m.V, m.c)
                w.add_(delta[:, :-1])
                b.add_(delta[:, -1])
        self.steps += 1
        return loss
