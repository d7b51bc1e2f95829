r"""Hessian-free optimization of an SRN (Martens 2010; Martens & Sutskever 2011).

Notation of Definition 1: :math:`a_t = U x_t + W h_{t-1} + b`, :math:`h_t = \sigma(a_t)`,
:math:`z_t = V h_t + c` and :math:`\hat y_t = g(z_t)`; :math:`\theta = \operatorname{vec}(P)` is the
flat parameter vector of :func:`srnbook.srn.flatten_parameters`. The objective is
:math:`f(\theta) = L(F(\theta))` where :math:`F(\theta) = z` collects the *pre-output* values and
the loss :math:`L` *matches* the output function :math:`g` (Galvan's thesis, section 2.2.2):

* ``loss="squared"`` (output :math:`g` = identity):
  :math:`L = \frac1{2B}\sum \|z_t - y_t\|^2`, :math:`\nabla^2_z L = I/B`;
* ``loss="cross_entropy"`` (:math:`g` = softmax):
  :math:`L = -\frac1B\sum y_t^\top \log \operatorname{softmax}(z_t)`,
  :math:`\nabla^2_z L = s\,(\operatorname{diag} p - p p^\top)/B`;
* ``loss="binary_cross_entropy"`` (:math:`g` = sigmoid):
  :math:`L = -\frac1B\sum \bigl(y_t^\top \log p + (1 - y_t)^\top \log(1 - p)\bigr)`,
  :math:`\nabla^2_z L = \operatorname{diag}(p \odot (1-p))/B`

(:math:`p = g(z_t)`, :math:`s = \sum_k y_{t,k}`, which is 1 for one-hot targets). Each
:math:`\nabla^2_z L` is positive semidefinite, hence so is the generalized Gauss-Newton matrix
(thesis eqs. 2.20-2.22; Schraudolph 2002)

.. math::

    G = J^\top \nabla^2_z L\, J, \qquad J = \partial z / \partial \theta .

A target of shape ``(B, o)`` is compared with :math:`z` at the last valid step of each sequence
(as the tasks of :mod:`srnbook.tasks` are scored); a target of shape ``(B, T, o)`` with every valid step.

HF minimizes, at each step :math:`k`, the damped quadratic model (thesis eqs. 2.18, 2.23, 2.26)

.. math::

    \tilde M_k(\delta) = f(\theta_k) + \nabla f(\theta_k)^\top \delta
    + \tfrac12 \delta^\top \bigl(G + \lambda \mu\, G_S + \lambda I\bigr)\delta

by conjugate gradient, where :math:`G_S = J_h^\top J_h / B` (:math:`J_h = \partial h/\partial\theta`)
is the Gauss-Newton matrix of the structural-damping penalty
:math:`S(\theta) = \frac1{2B}\sum_t \|h_t(\theta) - h_t(\theta_k)\|^2` (Martens & Sutskever 2011,
section 3.2: the hidden states are treated as extra outputs with a squared-error "loss" of weight
:math:`\lambda\mu`). :math:`\lambda` follows the Levenberg-Marquardt rule (thesis eqs. 2.24-2.25).

What this module provides:

* :func:`network_function` -- :math:`\theta \mapsto (z, h)` at the read-out steps, for :mod:`torch.func`;
* :func:`objective` -- :math:`f(\theta)` for a minibatch;
* :func:`loss_hessian_vector_product` -- :math:`\nabla^2_z L\, u` in closed form;
* :func:`gauss_newton_operator`, :func:`gnvp` -- exact :math:`(G + \lambda\mu G_S)\,v` by one
  ``jvp`` and one ``vjp``;
* :func:`hessian_vector_product`, :func:`finite_difference_hvp` -- the exact Hessian-vector product
  (for comparison) and the report's finite-difference approximation;
* :func:`conjugate_gradient` -- CG with Martens' relative-progress stopping rule, keeping the iterates
  needed for backtracking;
* :func:`martens_preconditioner` -- Martens' diagonal preconditioner for CG;
* :func:`levenberg_marquardt` -- the damping update (2.25);
* :class:`HessianFree` -- the optimizer;
* for the book's chapter: :func:`damped_step` (one HF direction, solved to a tight tolerance),
  :func:`hidden_state_change`, :func:`matrix_from_products`, :func:`largest_eigenvalue`,
  :func:`random_spd`, :func:`steepest_descent_path`, :func:`finite_difference_errors`, and
  :func:`ssrn_problem` / :func:`saturation_sweep` (gradient, curvature and HF step of a compiled
  saturated SRN as its weight scale grows: the report's section 5).

Code indexes time from 0, like :mod:`srnbook.srn`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch.func import functional_call, jvp, vjp

from .._validation import (ArgumentTypeError, _shown, check_bool, check_callable, check_choice, check_dtype,
                           check_float, check_instance, check_int_tensor, check_memory, check_positive_float,
                           check_positive_int, check_seed, check_tensor)
from ..srn import BPTT, SRN, _deltas, flatten_parameters, load_flat_parameters, unflatten_parameters

Tensor = torch.Tensor

#: The loss that matches each output function :math:`g` (so that :math:`\nabla^2_z L \succeq 0`).
MATCHING_OUTPUT = {"squared": "identity", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
LOSSES = tuple(MATCHING_OUTPUT)

#: Published constants. The Levenberg-Marquardt ones are Galvan's thesis, eq. 2.25. The others are
#: attributed to Martens (2010); the paper itself was not at hand when this module was written, but
#: Boulanger-Lewandowski's theano-hf (``hf.py``, a reimplementation of Martens 2010 and Martens &
#: Sutskever 2011) uses the same values for the CG stopping rule, the 1.3 storage factor and the 250
#: iterations. The 0.95 decay of the warm start is not in theano-hf (it restarts from the previous
#: solution undecayed); it is the default ``cg_shrink_factor=.95`` of a public gnumpy HF code for RNNs
#: (class ``HF``), whose comments say its progress rule (5e-4, max(10, 0.1 i)) and its damping rule
#: (2/3, 3/2 at rho > 3/4, rho < 1/4) are "copied verbatim from the original HF paper" -- a
#: secondary source: the 0.95 was not checked against Martens (2010) itself.
CG_EPSILON = 5e-4          # relative-progress tolerance of the CG stopping rule
CG_MIN_WINDOW = 10         # k = max(10, 0.1 i)
CG_WINDOW_FRACTION = 0.1
CG_MAX_ITERS = 250         # upper limit on CG iterations
CG_STORE_FACTOR = 1.3      # iterates stored at i = ceil(1.3^j), for backtracking
CG_DECAY = 0.95            # warm start from 0.95 * previous solution
LM_LOW, LM_HIGH = 0.25, 0.75
LM_INCREASE, LM_DECREASE = 1.5, 2.0 / 3.0


class Minibatch(NamedTuple):
    """A minibatch for :class:`HessianFree`: inputs ``x`` ``(B, T, u)``, ``target`` ``(B, o)`` or
    ``(B, T, o)``, optional ``lengths`` ``(B,)``."""

    x: Tensor
    target: Tensor
    lengths: Tensor | None = None


# ---------------------------------------------------------------------- checks


def _scale_limit(dtype: torch.dtype) -> float:
    r"""The largest scale (a damping, a learning rate, a weight scale) the module accepts in ``dtype``:
    :math:`\sqrt{x_{\max}}`, so that the scale times a vector of norm up to the same bound stays finite."""
    return math.sqrt(torch.finfo(dtype).max)


def _check_scale(value, name: str, dtype: torch.dtype = torch.float64, *, allow_zero: bool = False) -> float:
    """A finite scale in ``(0, _scale_limit(dtype)]`` (``[0, ...]`` with ``allow_zero``)."""
    value = check_positive_float(value, name, allow_zero=allow_zero)
    limit = _scale_limit(dtype)
    if value > limit:
        raise ValueError(f"{name} must be at most {limit:.3g} (the square root of the largest {dtype} "
                         f"number, so that its products stay finite), got {value!r}")
    return value


def _check_model(model, second_order: bool = False) -> SRN:
    """An SRN of either backward: :class:`~srnbook.srn.BPTT` defines forward mode (``jvp``) and reverse
    mode, which Gauss-Newton-vector products need; ``second_order`` (forward over reverse, for
    :func:`hessian_vector_product`) needs ``grad="autograd"``."""
    check_instance(model, "model", SRN, "an srnbook.SRN")
    if second_order and model.grad != "autograd":
        raise ValueError("model must be built with grad='autograd' for Hessian-vector products (forward mode "
                         f"over the explicit BPTT backward is not defined), got grad={model.grad!r}")
    return model


def _check_loss_kind(loss: str, model: SRN) -> str:
    """The loss must match ``model.output``, or the output is the identity (then :math:`z_t` are the
    logits the loss reads, as in :mod:`srnbook.training`)."""
    check_choice(loss, "loss", LOSSES)
    if model.output not in (MATCHING_OUTPUT[loss], "identity"):
        raise ValueError(f"loss must match the model's output function: loss={loss!r} needs "
                         f"output={MATCHING_OUTPUT[loss]!r} (or 'identity', z read as logits), "
                         f"the model has output={model.output!r}")
    return loss


def _check_theta(theta, model: SRN, name: str = "theta") -> Tensor:
    n = sum(p.numel() for p in model.parameters())
    theta = check_tensor(theta, name, ndim=1, dtype=model.W.dtype)
    if theta.numel() != n:
        raise ValueError(f"{name} must have {n} entries (the number of parameters), got {theta.numel()}")
    return theta


def _check_like(x, name: str, ref: Tensor, ref_name: str, ndim: int) -> Tensor:
    """A finite ``ndim``-dimensional tensor of the dtype of ``ref`` (the argument ``ref_name``)."""
    x = check_tensor(x, name, ndim=ndim)
    if x.dtype != ref.dtype:
        raise ValueError(f"{name} must have the dtype of {ref_name}, {ref.dtype}, got {x.dtype}")
    return x


def _check_target_values(target: Tensor, loss: str | None, name: str = "target") -> None:
    """Cross-entropy targets are nonnegative (one-hot or class weights); binary ones lie in [0, 1]."""
    if loss == "cross_entropy" and bool((target < 0).any()):
        raise ValueError(f"{name} must be nonnegative for loss='cross_entropy', "
                         f"got a minimum of {float(target.min())}")
    if loss == "binary_cross_entropy" and bool(((target < 0) | (target > 1)).any()):
        raise ValueError(f"{name} must lie in [0, 1] for loss='binary_cross_entropy', "
                         f"got entries in [{float(target.min())}, {float(target.max())}]")


def _check_lengths(lengths, B: int, T: int) -> Tensor | None:
    """``None``, or ``(B,)`` integers in ``[1, T]`` (a tensor, a list or an array), as an int64 tensor."""
    if lengths is None:
        return None
    if isinstance(lengths, (list, tuple, np.ndarray)):
        array = np.asarray(lengths)
        if array.dtype.kind in "iu":
            lengths = torch.from_numpy(array.astype(np.int64))
    lengths = check_int_tensor(lengths, "lengths", ndim=1, low=1, high=T)
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) (one per sequence), got {tuple(lengths.shape)}")
    return lengths


def _check_batch(model: SRN, x, target, lengths, h0=None,
                 loss: str | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
    dtype = model.W.dtype
    x = check_tensor(x, "x", ndim=3, dtype=dtype)
    B, T, u = x.shape
    if u != model.input_size or B == 0 or T == 0:
        raise ValueError(f"x must have shape (B, T, {model.input_size}) with B, T >= 1, got {tuple(x.shape)}")
    target = check_tensor(target, "target", ndim=(2, 3), dtype=dtype)
    o = model.output_size
    ok = target.shape == (B, o) if target.dim() == 2 else target.shape == (B, T, o)
    if not ok:
        raise ValueError(f"target must have shape ({B}, {o}) or ({B}, {T}, {o}), got {tuple(target.shape)}")
    _check_target_values(target, loss)
    lengths = _check_lengths(lengths, B, T)
    if h0 is not None:
        model._initial_state(h0, B)  # checks h0: (d,) or (B, d), finite, the model's dtype
    return x, target, lengths


# ---------------------------------------------------------------------- network and loss


def network_function(model: SRN, x: Tensor, target: Tensor, lengths=None,
                     h0: Tensor | None = None) -> tuple[Callable[[Tensor], tuple[Tensor, Tensor]], Tensor]:
    r"""Return ``(F, weight)``: :math:`F(\theta) = (z, h)` and the weight of each read-out step.

    ``z`` is :math:`V h_t + c` at the read-out steps, shaped ``(B, K, o)`` (``K = 1`` for a
    ``(B, o)`` target, ``K = T`` for a ``(B, T, o)`` one); ``h`` is every hidden state, ``(B, T, d)``,
    zero at padded steps. ``weight`` ``(B, K)`` is 1 at valid read-out steps and 0 at padding. ``F``
    is a pure function of the flat parameter vector, made with :func:`torch.func.functional_call`,
    so :func:`torch.func.jvp` and :func:`torch.func.vjp` apply to it.
    """
    model = _check_model(model)
    x, target, lengths = _check_batch(model, x, target, lengths, h0)
    return _network(model, x, target, lengths, h0)


def _network(model: SRN, x: Tensor, target: Tensor, lengths: Tensor | None, h0: Tensor | None):
    """:func:`network_function` of checked arguments."""
    B, T, _ = x.shape
    if target.dim() == 2:
        last = (lengths - 1) if lengths is not None else torch.full((B,), T - 1)
        idx = last.view(B, 1).to(torch.long)
        weight = x.new_ones(B, 1)
    else:
        idx = None
        weight = x.new_ones(B, T) if lengths is None else \
            (torch.arange(T).unsqueeze(0) < lengths.view(B, 1)).to(x.dtype)

    def F(theta: Tensor) -> tuple[Tensor, Tensor]:
        params = unflatten_parameters(model, theta)
        out = functional_call(model, params, (x,), {"lengths": lengths, "h0": h0})
        h = out.h
        if idx is not None:
            hs = h.gather(1, idx.unsqueeze(2).expand(B, 1, h.shape[2]))
        else:
            hs = h
        z = hs @ params["V"].t() + params["c"]
        return z, h

    return F, weight


def _targets(target: Tensor) -> Tensor:
    return target.unsqueeze(1) if target.dim() == 2 else target


def _check_z(z, target, weight, loss) -> tuple[Tensor, Tensor, Tensor, str]:
    loss = check_choice(loss, "loss", LOSSES)
    z = check_tensor(z, "z", ndim=3)
    if z.numel() == 0:
        raise ValueError(f"z must have shape (B, K, o) with B, K, o >= 1, got {tuple(z.shape)}")
    target = _check_like(target, "target", z, "z", 3)
    if target.shape != z.shape:
        raise ValueError(f"target must have the shape of z, {tuple(z.shape)}, got {tuple(target.shape)}")
    _check_target_values(target, loss)
    weight = _check_like(weight, "weight", z, "z", 2)
    if weight.shape != z.shape[:2] or bool((weight < 0).any()):
        raise ValueError(f"weight must have shape {tuple(z.shape[:2])} and nonnegative entries, "
                         f"got shape {tuple(weight.shape)}")
    return z, target, weight, loss


def loss_from_z(z: Tensor, target: Tensor, weight: Tensor, loss: str) -> Tensor:
    r""":math:`L(z)` of the list in the module docstring, ``z`` and ``target`` ``(B, K, o)``,
    ``weight`` ``(B, K)`` (nonnegative, e.g. 1 at valid read-out steps and 0 at padding)."""
    return _loss_from_z(*_check_z(z, target, weight, loss))


def _loss_from_z(z: Tensor, target: Tensor, weight: Tensor, loss: str) -> Tensor:
    B = z.shape[0]
    if loss == "squared":
        per = 0.5 * ((z - target) ** 2).sum(-1)
    elif loss == "cross_entropy":
        per = -(target * torch.log_softmax(z, -1)).sum(-1)
    else:
        per = torch.nn.functional.binary_cross_entropy_with_logits(z, target, reduction="none").sum(-1)
    return (weight * per).sum() / B


def loss_hessian_vector_product(z: Tensor, target: Tensor, weight: Tensor, loss: str, u: Tensor) -> Tensor:
    r""":math:`\nabla^2_z L\, u` in closed form (the list in the module docstring), ``u`` shaped like ``z``.

    For the softmax cross-entropy, with :math:`p = \operatorname{softmax}(z_t)`,
    :math:`\nabla^2_z L\,u = s\,(p \odot u - p\,(p^\top u))/B`; for the sigmoid cross-entropy,
    :math:`p \odot (1 - p) \odot u / B`; for the squared error, :math:`u / B`.
    """
    z, target, weight, loss = _check_z(z, target, weight, loss)
    u = _check_like(u, "u", z, "z", 3)
    if u.shape != z.shape:
        raise ValueError(f"u must have the shape of z, {tuple(z.shape)}, got {tuple(u.shape)}")
    return _loss_hvp(z, target, weight, loss, u)


def _loss_hvp(z: Tensor, target: Tensor, weight: Tensor, loss: str, u: Tensor) -> Tensor:
    B = z.shape[0]
    w = weight.unsqueeze(-1) / B
    if loss == "squared":
        return w * u
    if loss == "cross_entropy":
        p = torch.softmax(z, -1)
        s = target.sum(-1, keepdim=True)
        return w * s * (p * u - p * (p * u).sum(-1, keepdim=True))
    p = torch.sigmoid(z)
    return w * p * (1 - p) * u


def objective(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, *, loss: str = "squared",
              lengths=None, h0: Tensor | None = None) -> Tensor:
    r""":math:`f(\theta) = L(F(\theta))` on one minibatch (``theta=None``: the model's current parameters)."""
    f = _loss_of_theta(model, x, target, loss, lengths, h0)
    theta = flatten_parameters(model).detach() if theta is None else _check_theta(theta, model)
    return f(theta)


# ---------------------------------------------------------------------- curvature-vector products


def gauss_newton_operator(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, *,
                          loss: str = "squared", lengths=None, h0: Tensor | None = None,
                          structural: float = 0.0) -> Callable[[Tensor], Tensor]:
    r"""Return :math:`v \mapsto (G + \text{structural}\cdot G_S)\, v`, exactly (no finite differences).

    The forward pass is computed once; each product then costs one forward-mode pass
    (:math:`J v` and :math:`J_h v` together) and one reverse pass:

    .. math::

        G v + \beta\, G_S v = J^\top\bigl(\nabla^2_z L\,(J v)\bigr) + \tfrac{\beta}{B} J_h^\top (J_h v),
        \qquad \beta = \text{structural}

    (in :class:`HessianFree`, :math:`\beta = \lambda\mu`). ``theta=None`` uses the model's parameters.
    For sequences of one length from the zero state both passes are written out for the SRN
    (:func:`_fused_products`: about 1.2 gradients a product); with ``lengths`` or ``h0`` they go
    through :func:`torch.func.jvp` and :func:`torch.func.vjp` of :func:`network_function`.
    """
    model = _check_model(model)
    _check_loss_kind(loss, model)
    beta = _check_scale(structural, "structural", model.W.dtype, allow_zero=True)
    theta = flatten_parameters(model).detach() if theta is None else _check_theta(theta, model)
    theta = theta.detach()
    x, target, lengths = _check_batch(model, x, target, lengths, h0, loss)
    products = _curvature_products(model, theta, x, target, loss, lengths, h0)

    def apply(v: Tensor) -> Tensor:
        return products(_check_theta(v, model, "v"), beta)

    return apply


def _curvature_products(model: SRN, theta: Tensor, x: Tensor, target: Tensor, loss: str,
                        lengths: Tensor | None, h0: Tensor | None) -> Callable[[Tensor, float], Tensor]:
    r"""``apply(v, beta)`` :math:`= (G + \beta G_S)\,v` on a checked batch, its forward pass done once:
    :func:`_fused_products` for sequences of one length from a zero state (the training batches),
    :func:`_functional_products` (``torch.func``) otherwise."""
    if lengths is None and h0 is None:
        return _fused_products(model, theta, x, target, loss)
    return _functional_products(model, theta, x, target, loss, lengths, h0)


def _fused_products(model: SRN, theta: Tensor, x: Tensor, target: Tensor,
                    loss: str) -> Callable[[Tensor, float], Tensor]:
    r"""Gauss-Newton-vector products written out for the SRN (time-major, :math:`h_{-1} = 0`).

    The forward pass at :math:`\theta` is stored. A product with :math:`v = \operatorname{vec}(\dot U,
    \dot W, \dot V, \dot b, \dot c)` is the R-operator recursion (Pearlmutter 1994)

    .. math::

        \dot a_t = \dot U x_t + \dot b + \dot W h_{t-1} + W \dot h_{t-1}, \qquad
        \dot h_t = \sigma'(a_t) \odot \dot a_t, \qquad \dot z_t = V \dot h_t + \dot V h_t + \dot c,

    then back-propagation of :math:`u_t = \nabla^2_z L\, \dot z_t` and of the structural
    term :math:`(\beta/B)\, \dot h_t` through the same recursion as a gradient. Every
    :math:`\dot W h_{t-1}` and every weight gradient is one matrix product over all steps; only
    :math:`W \dot h_{t-1}` and :math:`W^\top \delta_{t+1}` run step by step, as in one gradient.
    """
    params = unflatten_parameters(model, theta)
    U, W, V = params["U"], params["W"], params["V"]
    B, T, u_size = x.shape
    d = W.shape[0]
    with torch.no_grad():
        xs = x.transpose(0, 1).reshape(T * B, u_size)  # time-major rows
        p = torch.addmm(params["b"], xs, U.t()).view(T, B, d)
        a, h = BPTT.forward(p, W, x.new_zeros(B, d), model.activation)
        s = model.activation.derivative(a, h)
        h_prev = torch.cat([x.new_zeros(1, B, d), h[:-1]]).view(T * B, d)
        last = target.dim() == 2
        h_read = (h[-1:] if last else h).transpose(0, 1)  # (B, K, d)
        z = h_read @ V.t() + params["c"]
        y = _targets(target)
        weight = x.new_ones(z.shape[:2])
    names = list(params)

    @torch.no_grad()
    def apply(v: Tensor, beta: float) -> Tensor:
        dv = unflatten_parameters(model, v)
        drive = torch.addmm(dv["b"], xs, dv["U"].t()).addmm_(h_prev, dv["W"].t()).view(T, B, d)
        dh = torch.empty_like(drive)
        W_t, prev = W.t(), None
        for t in range(T):
            da = drive[t] if prev is None else torch.addmm(drive[t], prev, W_t)
            prev = torch.mul(s[t], da, out=dh[t])
        dh_read = (dh[-1:] if last else dh).transpose(0, 1)
        dz = dh_read @ V.t() + h_read @ dv["V"].t() + dv["c"]
        g_z = _loss_hvp(z, y, weight, loss, dz)  # (B, K, o)
        grad_h = dh * (beta / B) if beta > 0 else torch.zeros_like(dh)
        if last:
            grad_h[-1] += g_z[:, 0] @ V
        else:
            grad_h += (g_z @ V).transpose(0, 1)
        delta = _deltas(s, None, grad_h, W).view(T * B, d)
        o = g_z.shape[-1]
        grads = {"U": delta.t() @ xs, "W": delta.t() @ h_prev, "V": g_z.reshape(-1, o).t() @ h_read.reshape(-1, d),
                 "b": delta.sum(0), "c": g_z.reshape(-1, o).sum(0)}
        return torch.cat([grads[name].reshape(-1) for name in names])

    return apply


def _functional_products(model: SRN, theta: Tensor, x: Tensor, target: Tensor, loss: str,
                         lengths: Tensor | None, h0: Tensor | None) -> Callable[[Tensor, float], Tensor]:
    """Gauss-Newton-vector products by :func:`torch.func.jvp` and :func:`torch.func.vjp` of
    :func:`network_function` (any lengths and initial state)."""
    F, weight = _network(model, x, target, lengths, h0)
    y = _targets(target)
    (z, h), pullback = vjp(F, theta)
    z, B = z.detach(), x.shape[0]

    def apply(v: Tensor, beta: float) -> Tensor:
        _, (Jv, Jhv) = jvp(F, (theta,), (v,))
        u = _loss_hvp(z, y, weight, loss, Jv)
        uh = Jhv * (beta / B) if beta > 0 else torch.zeros_like(Jhv)
        (out,) = pullback((u, uh))
        return out.detach()

    return apply


def gnvp(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, v: Tensor, *, loss: str = "squared",
         lengths=None, h0: Tensor | None = None, structural: float = 0.0) -> Tensor:
    r"""The Gauss-Newton-vector product :math:`G v = J^\top \nabla^2_z L\, J v` (plus
    ``structural`` :math:`\cdot\, G_S v`); see :func:`gauss_newton_operator`, which reuses the forward pass."""
    return gauss_newton_operator(model, theta, x, target, loss=loss, lengths=lengths, h0=h0,
                                 structural=structural)(v)


def _loss_of_theta(model, x, target, loss, lengths, h0):
    r""":math:`\theta \mapsto f(\theta)` on the batch, every argument checked."""
    _check_model(model)
    _check_loss_kind(loss, model)
    x, target, lengths = _check_batch(model, x, target, lengths, h0, loss)
    F, weight = _network(model, x, target, lengths, h0)
    y = _targets(target)
    return lambda theta: _loss_from_z(F(theta)[0], y, weight, loss)


def grad_and_value(f: Callable[[Tensor], Tensor], theta: Tensor) -> tuple[Tensor, Tensor]:
    r""":math:`(\nabla f(\theta), f(\theta))` by reverse mode (plain autograd, so that the explicit
    :class:`~srnbook.srn.BPTT` backward runs when the model has ``grad="bptt"``). ``f`` maps a vector
    like ``theta`` (1-D, of any floating dtype) to a scalar tensor."""
    check_callable(f, "f")
    theta = check_tensor(theta, "theta", ndim=1)
    if theta.numel() == 0:
        raise ValueError("theta must have at least one entry, got an empty vector")
    return _grad_and_value(f, theta)


def _grad_and_value(f: Callable[[Tensor], Tensor], theta: Tensor) -> tuple[Tensor, Tensor]:
    with torch.enable_grad():
        leaf = theta.detach().requires_grad_()
        value = f(leaf)
        if not isinstance(value, Tensor) or value.numel() != 1 or not value.requires_grad:
            raise ValueError(f"f must return a scalar tensor that depends on theta, got {_shown(value)}")
        (g,) = torch.autograd.grad(value.reshape(()), leaf)
    return g, value.detach().reshape(())


def hessian_vector_product(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, v: Tensor, *,
                           loss: str = "squared", lengths=None, h0: Tensor | None = None) -> Tensor:
    r"""The exact Hessian-vector product :math:`\nabla^2 f(\theta)\, v` (forward-over-reverse,
    Pearlmutter 1994), the reference for :func:`finite_difference_hvp`. Unlike :math:`G` the Hessian
    contains :math:`\sum_i [\nabla_z L]_i \nabla^2 F_i` (thesis eq. 2.21) and may be indefinite."""
    _check_model(model, second_order=True)
    f = _loss_of_theta(model, x, target, loss, lengths, h0)
    theta = (flatten_parameters(model) if theta is None else _check_theta(theta, model)).detach()
    v = _check_theta(v, model, "v")
    _, Hv = jvp(torch.func.grad(f), (theta,), (v,))
    return Hv.detach()


def finite_difference_hvp(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, v: Tensor, *,
                          loss: str = "squared", eps: float = 1e-6, central: bool = False,
                          lengths=None, h0: Tensor | None = None) -> Tensor:
    r"""The report's approximation of :math:`H v = \nabla^2 f(\theta)\, v`:

    .. math:: H v \approx \bigl(\nabla f(\theta + \epsilon v) - \nabla f(\theta)\bigr)/\epsilon .


    Its error is :math:`\tfrac{\epsilon}{2} \nabla^3 f[v, v] + O(\epsilon^2)` (truncation) plus about
    :math:`u\,\|\nabla f\|/\epsilon` (rounding, :math:`u` the unit roundoff), so it is best near
    :math:`\epsilon \approx \sqrt{u}` (about :math:`10^{-8}` in float64 for unit-norm :math:`v`) and
    never better than about :math:`\sqrt u` relative. ``central=True`` uses
    :math:`(\nabla f(\theta + \epsilon v) - \nabla f(\theta - \epsilon v))/(2\epsilon)`: truncation
    :math:`O(\epsilon^2)`, best near :math:`\epsilon \approx u^{1/3}`. ``eps`` lies in :math:`(0, 1]`.
    """
    eps = check_float(eps, "eps", low=0.0, low_open=True, high=1.0)
    central = check_bool(central, "central")
    f = _loss_of_theta(model, x, target, loss, lengths, h0)
    theta = (flatten_parameters(model) if theta is None else _check_theta(theta, model)).detach()
    v = _check_theta(v, model, "v")

    def grad(t):
        return _grad_and_value(f, t)[0]

    if central:
        return (grad(theta + eps * v) - grad(theta - eps * v)) / (2 * eps)
    return (grad(theta + eps * v) - grad(theta)) / eps


# ---------------------------------------------------------------------- conjugate gradient


class CGResult(NamedTuple):
    """What :func:`conjugate_gradient` returns.

    ``x``: the last iterate; ``iterates``: list of ``(i, x_i)`` stored at
    :math:`i = \\lceil \\gamma^j \\rceil` and at the last iteration, in increasing ``i``;
    ``phi``: :math:`\\phi(x_i)` for ``i = 0 .. iterations``; ``iterations``: the number of CG
    iterations done; ``reason``: ``"progress"``, ``"residual"``, ``"max_iters"`` or
    ``"breakdown"`` (:math:`p^\top A p` overflowed or underflowed to 0; ``x`` is the last iterate).
    """

    x: Tensor
    iterates: list
    phi: list
    iterations: int
    reason: str


def storage_iterations(max_iters: int, factor: float = CG_STORE_FACTOR) -> list[int]:
    r"""The iterations :math:`\lceil \gamma^j \rceil \le` ``max_iters``, :math:`j = 0, 1, \dots`,
    without repeats (``factor`` :math:`\gamma > 1`)."""
    return _storage_iterations(max_iters, factor, "factor")


def _storage_iterations(max_iters, factor, factor_name: str) -> list[int]:
    max_iters = check_positive_int(max_iters, "max_iters")
    factor = check_float(factor, factor_name, low=1.0, low_open=True)
    log_f = math.log(factor)
    # every integer below 1 / (factor - 1) may appear, then about log(max_iters) / log(factor) more
    count = min(max_iters, 1 / (factor - 1) + math.log(max_iters) / log_f + 1)
    check_memory(36 * count, f"the list of up to {count:.3g} storage iterations", factor_name)
    out, j = [], 0
    while j * log_f <= math.log(max_iters) + 1e-9:
        i = math.ceil(factor ** j)
        if i > max_iters:
            break
        if not out or i != out[-1]:
            out.append(i)
        j = max(j + 1, math.floor(math.log(i) / log_f))  # the next j that can give a new i
    return out


def _apply_operator(Avp: Callable[[Tensor], Tensor], v: Tensor, source: str) -> Tensor:
    """``Avp(v)``, checked: a vector of the shape and dtype of ``v`` (``source``: the arguments of ``v``)."""
    try:
        Av = Avp(v)
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        raise ValueError(f"Avp failed on a vector of shape {tuple(v.shape)} and dtype {v.dtype} "
                         f"(from {source}): {error}") from error
    if not isinstance(Av, Tensor) or Av.shape != v.shape or Av.dtype != v.dtype:
        raise ValueError(f"Avp must return a vector of shape {tuple(v.shape)} and dtype {v.dtype} "
                         f"(like {source}), got {_shown(Av)}")
    return Av


def conjugate_gradient(Avp: Callable[[Tensor], Tensor], b: Tensor, x0: Tensor | None = None, *,
                       max_iters: int = CG_MAX_ITERS, epsilon: float = CG_EPSILON,
                       min_window: int = CG_MIN_WINDOW, window_fraction: float = CG_WINDOW_FRACTION,
                       preconditioner: Tensor | None = None, store_factor: float = CG_STORE_FACTOR,
                       rtol: float = 1e-12, callback: Callable[[int, Tensor], None] | None = None) -> CGResult:
    r"""Minimize :math:`\phi(x) = \tfrac12 x^\top A x - b^\top x` (i.e. solve :math:`A x = b`, :math:`A \succ 0`) by CG.

    Stopping rule of Martens (2010, section 4.4): stop after iteration :math:`i` if

    .. math::

        i > k, \quad \phi(x_i) < 0 \quad\text{and}\quad
        \frac{\phi(x_i) - \phi(x_{i-k})}{\phi(x_i)} < k\,\epsilon, \qquad k = \max(10,\ 0.1\, i),

    (``min_window`` = 10, ``window_fraction`` = 0.1, ``epsilon`` = 5e-4), or when the residual
    satisfies :math:`\|b - A x_i\| \le` ``rtol`` :math:`\|b\|`, or after ``max_iters`` iterations.
    In exact arithmetic CG reaches :math:`A^{-1} b` in at most :math:`n` iterations.

    ``preconditioner`` is the diagonal of :math:`M^{-1}` (a positive vector): CG then runs on
    :math:`M^{-1/2} A M^{-1/2}` (preconditioned CG, e.g. Nocedal & Wright, Algorithm 5.3).
    The iterates at :math:`i = \lceil \gamma^j\rceil` (``store_factor`` :math:`\gamma = 1.3`) and the
    last one are kept for :class:`HessianFree`'s backtracking (Martens 2010, section 4.6).
    ``callback(i, x_i)``, if given, is called with the start :math:`x_0` and after every iteration
    (to record a path or the true residuals :math:`\|b - A x_i\|`).
    """
    check_callable(Avp, "Avp")
    b = check_tensor(b, "b", ndim=1).detach()
    if b.numel() == 0:
        raise ValueError("b must have at least one entry, got an empty vector")
    max_iters = check_positive_int(max_iters, "max_iters")
    epsilon = check_float(epsilon, "epsilon", low=0.0, low_open=True, high=1.0, high_open=True)
    min_window = check_positive_int(min_window, "min_window")
    window_fraction = check_float(window_fraction, "window_fraction", low=0.0, high=1.0)
    rtol = check_float(rtol, "rtol", low=0.0, high=1.0, high_open=True)
    store = set(_storage_iterations(max_iters, store_factor, "store_factor"))
    stored = min(len(store), max_iters) + 2
    check_memory(stored * b.numel() * b.element_size(),
                 f"{stored} stored CG iterates of {b.numel()} entries", "store_factor")
    if x0 is None:
        x = torch.zeros_like(b)
    else:
        x = _check_like(x0, "x0", b, "b", 1).detach().clone()
        if x.shape != b.shape:
            raise ValueError(f"x0 must have shape {tuple(b.shape)} (that of b), got {tuple(x.shape)}")
    if preconditioner is not None:
        preconditioner = _check_like(preconditioner, "preconditioner", b, "b", 1).detach()
        if preconditioner.shape != b.shape or bool((preconditioner <= 0).any()):
            raise ValueError(f"preconditioner must be a positive vector of shape {tuple(b.shape)}")
    if callback is not None:
        check_callable(callback, "callback")
    Minv = (lambda r: r) if preconditioner is None else (lambda r: preconditioner * r)
    report = callback if callback is not None else (lambda i, x: None)

    Ax = _apply_operator(Avp, x, "b")
    r = b - Ax
    phi = [float(0.5 * x @ Ax - b @ x)]  # phi(x) = 0.5 x^T A x - b^T x = -0.5 x^T (r + b)
    y = Minv(r)
    p = y.clone()
    ry = r @ y
    bnorm = float(b.norm())
    iterates = [(0, x.clone())] if 0 in store else []
    reason, i = "max_iters", 0
    report(0, x)
    if float(r.norm()) <= rtol * bnorm:
        return CGResult(x, [(0, x.clone())], phi, 0, "residual")
    for i in range(1, max_iters + 1):
        if ry == 0:  # the residual underflowed to zero: solved to working precision
            reason, i = "residual", i - 1
            break
        Ap = _apply_operator(Avp, p, "b")
        pAp = p @ Ap
        if not bool(torch.isfinite(pAp)) or pAp == 0:  # overflow or underflow: keep the last iterate
            reason, i = "breakdown", i - 1
            break
        if pAp < 0:
            raise ValueError("Avp is not positive definite along a CG direction (p^T A p <= 0)")
        alpha = ry / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        phi.append(float(-0.5 * x @ (r + b)))
        report(i, x)
        if i in store:
            iterates.append((i, x.clone()))
        k = max(min_window, math.ceil(window_fraction * i))
        if float(r.norm()) <= rtol * bnorm:
            reason = "residual"
            break
        if i > k and phi[i] < 0 and (phi[i] - phi[i - k]) / phi[i] < k * epsilon:
            reason = "progress"
            break
        y = Minv(r)
        ry_new = r @ y
        p = y + (ry_new / ry) * p
        ry = ry_new
    if not iterates or iterates[-1][0] != i:
        iterates.append((i, x.clone()))
    return CGResult(x, iterates, phi, i, reason)


def martens_preconditioner(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, damping: float, *,
                           loss: str = "squared", lengths=None, exponent: float = 0.75) -> Tensor:
    r"""The diagonal of :math:`M^{-1}` for :func:`conjugate_gradient`, after Martens (2010, section 4.7):

    .. math::

        M = \Bigl[\operatorname{diag}\Bigl(\sum_{i=1}^{B} \nabla f_i \odot \nabla f_i\Bigr) + \lambda I\Bigr]^{\xi},
        \qquad \xi = 0.75,

    with :math:`f_i = \ell_i / B` the contribution of sequence :math:`i` to :math:`f`, so that the
    sum is on the scale of :math:`f` (a choice made here; Martens writes the sum over training cases).
    The per-sequence gradients are computed one sequence at a time (``B`` backward passes).
    """
    model = _check_model(model)
    _check_loss_kind(loss, model)
    damping = _check_scale(damping, "damping", model.W.dtype)
    exponent = check_float(exponent, "exponent", low=0.0, high=1.0)
    theta = (flatten_parameters(model) if theta is None else _check_theta(theta, model)).detach()
    x, target, lengths = _check_batch(model, x, target, lengths, None, loss)
    B = x.shape[0]
    sq = torch.zeros_like(theta)
    for i in range(B):
        li = None if lengths is None else lengths[i:i + 1]
        f_i = _loss_of_theta(model, x[i:i + 1], target[i:i + 1], loss, li, None)
        g_i = _grad_and_value(f_i, theta)[0] / B
        sq += g_i * g_i
    diagonal = (sq + damping) ** (-exponent)
    if not bool(torch.isfinite(diagonal).all()) or bool((diagonal <= 0).any()):
        raise ValueError(f"damping={damping!r} is too small for {model.W.dtype}: (sum of squared gradients "
                         f"+ damping)^(-{exponent}) is not a positive finite number")
    return diagonal


# ---------------------------------------------------------------------- damping


def reduction_ratio(f_new: float, f_old: float, model_change: float) -> float:
    r"""The reduction ratio of thesis eq. 2.24:

    .. math:: \rho = \bigl(f(\theta_k + \delta) - f(\theta_k)\bigr) / \bigl(M_k(\delta) - M_k(0)\bigr).


    A non-negative predicted change (no predicted decrease) gives :math:`-\infty`, so that
    :math:`\lambda` grows. ``f_old`` and ``model_change`` are finite; ``f_new`` may be NaN or
    :math:`+\infty` (the loss diverged at the trial point): :math:`\rho` is then NaN or :math:`-\infty`,
    which :func:`levenberg_marquardt` treats as a failed step.
    """
    if not isinstance(f_new, (int, float)) or isinstance(f_new, bool) or f_new == -math.inf:
        raise ValueError(f"f_new must be a real number, NaN or +inf, got {_shown(f_new)}")
    f_old = check_float(f_old, "f_old")
    model_change = check_float(model_change, "model_change")
    return _reduction_ratio(float(f_new), f_old, model_change)


def _reduction_ratio(f_new: float, f_old: float, model_change: float) -> float:
    if not model_change < 0:
        return -math.inf
    return (f_new - f_old) / model_change


def levenberg_marquardt(damping: float, rho: float, *, low: float = LM_LOW, high: float = LM_HIGH,
                        increase: float = LM_INCREASE, decrease: float = LM_DECREASE) -> float:
    r"""Thesis eq. 2.25 (Martens 2010, section 4.1):

    .. math::

        \lambda \leftarrow \begin{cases} \tfrac23 \lambda & \rho > \tfrac34 \\
        \tfrac32 \lambda & \rho < \tfrac14 \\ \lambda & \text{otherwise.} \end{cases}

    ``rho`` is any real number, :math:`\pm\infty` included; a NaN :math:`\rho` (the loss became NaN)
    counts as :math:`\rho < 1/4`. The thresholds satisfy :math:`0 \le` ``low`` :math:`\le` ``high``
    :math:`\le 1`; ``increase`` :math:`\ge 1` and ``decrease`` :math:`\in (0, 1]`; ``damping`` and
    ``increase`` are at most :func:`_scale_limit` (float64), so that the result stays finite.
    """
    damping = _check_scale(damping, "damping")
    if not isinstance(rho, (int, float)) or isinstance(rho, bool):
        raise ArgumentTypeError(f"rho must be a real number, got {_shown(rho)}")
    low = check_float(low, "low", low=0.0, high=1.0)
    high = check_float(high, "high", low=0.0, high=1.0)
    if low > high:
        raise ValueError(f"low must be <= high, got low={low!r} and high={high!r}")
    increase = check_float(increase, "increase", low=1.0, high=_scale_limit(torch.float64))
    decrease = check_float(decrease, "decrease", low=0.0, low_open=True, high=1.0)
    return _levenberg_marquardt(damping, float(rho), low, high, increase, decrease)


def _levenberg_marquardt(damping: float, rho: float, low: float = LM_LOW, high: float = LM_HIGH,
                         increase: float = LM_INCREASE, decrease: float = LM_DECREASE) -> float:
    if math.isnan(rho) or rho < low:
        return damping * increase
    if rho > high:
        return damping * decrease
    return damping


# ---------------------------------------------------------------------- the optimizer


def _split(batch: Minibatch, m: int) -> tuple[Minibatch, Minibatch]:
    """The first ``m`` sequences of ``batch`` and the rest."""
    def part(sl):
        return Minibatch(batch.x[sl], batch.target[sl], None if batch.lengths is None else batch.lengths[sl])
    return part(slice(None, m)), part(slice(m, None))


class HessianFree(torch.optim.Optimizer):
    r"""Hessian-free optimization of an :class:`~srnbook.SRN` (Martens 2010; Martens & Sutskever 2011).

    One :meth:`step` (:math:`\theta = \theta_k`, :math:`g = \nabla f(\theta_k)`):

    1. :math:`f` and :math:`g` on the *gradient minibatch*;
    2. the curvature :math:`A = G + \lambda\mu\, G_S + \lambda I` on the *curvature minibatch*
       (exact products, :func:`gauss_newton_operator`);
    3. :math:`A\delta = -g` by :func:`conjugate_gradient`, started from :math:`0.95\,\delta_{k-1}`
       (``cg_decay``) with Martens' stopping rule and at most ``cg_max_iters`` iterations;
    4. backtracking (Martens 2010, section 4.6): among the stored CG iterates, from the last one
       backwards, keep going back while :math:`e(\theta + \delta_i)` decreases, where :math:`e` is
       the loss on the *check minibatch*;
    5. :math:`\rho` (eq. 2.24, numerator :math:`e(\theta + \delta) - e(\theta)`) for the chosen :math:`\delta`, with
       :math:`M_k(\delta) - M_k(0) = g^\top\delta + \tfrac12 \delta^\top G \delta` (eq. 2.18, no damping
       terms), then :math:`\lambda` by eq. 2.25;
    6. a backtracking line search :math:`\theta \leftarrow \theta + \alpha\,\delta`: :math:`\alpha = 1`,
       then :math:`\alpha \leftarrow 0.8\alpha` until :math:`e(\theta + \alpha\delta) \le e(\theta) +
       10^{-2}\alpha\, g^\top\delta`, at most ``max_line_search`` times, else no move
       (the constants of Martens & Sutskever 2012, section 8.8, not verified here). ``lr`` scales :math:`\alpha`.
       After a step of length 0 the next CG starts from zero.

    The check minibatch is held out from the gradient and the curvature: every decision after CG
    (which iterate, :math:`\rho`, how far) is then made on data the step was not fitted to. The
    HF code released with Martens & Sutskever (2011) does the same with separate batches for
    backtracking, the line search and :math:`\rho`; without a check minibatch all three use the
    gradient minibatch, and on small minibatches HF then fits the minibatch's noise (the chapter
    shows the loss on fresh data climbing while each step lowers the minibatch's loss).

    ``precondition=True`` preconditions CG with :func:`martens_preconditioner` (on the gradient
    minibatch, with the current :math:`\lambda`).

    Accepted values: ``lr`` in :math:`(0, 1]`; ``damping`` :math:`> 0` and ``structural_damping``
    :math:`\ge 0`, both at most :func:`_scale_limit` of the model's dtype; ``cg_decay`` in :math:`[0, 1]`;
    ``cg_epsilon`` in :math:`(0, 1)`; ``cg_max_iters``, ``max_line_search``, ``curvature_size``
    and ``check_size`` positive integers (upper limits).

    The optimizer needs the model (``torch.func.functional_call`` evaluates it at trial
    parameters), so it is built from it: ``HessianFree(model, loss="squared", ...)``. The
    closure given to :meth:`step` takes no argument and returns the batches:
    either one :class:`Minibatch` (with ``check_size`` its last ``check_size`` sequences are the
    check minibatch and the others the gradient minibatch; with ``curvature_size`` the curvature
    uses the first ``curvature_size`` sequences of the gradient minibatch, all of them if it is
    smaller), a pair ``(gradient_batch, curvature_batch)`` or a triple ``(gradient_batch,
    curvature_batch, check_batch)``. The closure does not need to call ``backward``.

    >>> opt = HessianFree(model, loss="squared", damping=1.0)          # doctest: +SKIP
    >>> opt.step(lambda: Minibatch(x, y, lengths))                       # doctest: +SKIP

    After each step, ``opt.state["hf"]`` holds ``damping``, ``rho``, ``alpha``, ``cg_iterations``,
    ``cg_reason``, ``backtrack_iteration``, and ``loss_before`` and ``loss_after``: the loss on the
    check minibatch (the gradient minibatch when there is none) before and after the step.
    """

    def __init__(self, model: SRN, *, loss: str = "squared", lr: float = 1.0, damping: float = 1.0,
                 structural_damping: float = 0.0, cg_max_iters: int = CG_MAX_ITERS,
                 cg_decay: float = CG_DECAY, cg_epsilon: float = CG_EPSILON,
                 curvature_size: int | None = None, check_size: int | None = None,
                 max_line_search: int = 60, precondition: bool = False):
        model = _check_model(model)
        loss = _check_loss_kind(loss, model)
        lr = check_float(lr, "lr", low=0.0, low_open=True, high=1.0)
        damping = _check_scale(damping, "damping", model.W.dtype)
        mu = _check_scale(structural_damping, "structural_damping", model.W.dtype, allow_zero=True)
        cg_max_iters = check_positive_int(cg_max_iters, "cg_max_iters")
        cg_decay = check_float(cg_decay, "cg_decay", low=0.0, high=1.0)
        cg_epsilon = check_float(cg_epsilon, "cg_epsilon", low=0.0, low_open=True, high=1.0, high_open=True)
        if curvature_size is not None:
            check_positive_int(curvature_size, "curvature_size")
        if check_size is not None:
            check_positive_int(check_size, "check_size")
        max_line_search = check_positive_int(max_line_search, "max_line_search")
        precondition = check_bool(precondition, "precondition")
        self.precondition = precondition
        super().__init__(model.parameters(), {"lr": lr})
        self.model = model
        self.loss = loss
        self.structural_damping = mu
        self.cg_max_iters, self.cg_decay, self.cg_epsilon = cg_max_iters, cg_decay, cg_epsilon
        self.curvature_size, self.check_size = curvature_size, check_size
        self.max_line_search = max_line_search
        self.state["hf"] = {"damping": damping, "previous": None}

    def _batches(self, closure) -> tuple[Minibatch, Minibatch, Minibatch]:
        """``(gradient, curvature, check)`` from the closure (see the class docstring)."""
        shape = ("a Minibatch, a pair (gradient_batch, curvature_batch) or a triple (gradient_batch, "
                 "curvature_batch, check_batch)")
        if closure is None or not callable(closure):
            raise ArgumentTypeError(f"closure must be a function returning {shape}, got {_shown(closure)}")
        got = closure()
        if isinstance(got, Minibatch):
            batches = [got, None, None]
        elif isinstance(got, tuple) and len(got) in (2, 3) and all(isinstance(g, Minibatch) for g in got):
            batches = list(got) + [None] * (3 - len(got))
        else:
            raise ValueError(f"closure must return {shape}, got {_shown(got)}")
        for batch in (b for b in batches if b is not None):
            _check_batch(self.model, batch.x, batch.target, batch.lengths, None, self.loss)
        grad_batch, curv, check = batches
        if curv is None:
            n = grad_batch.x.shape[0]
            c = 0 if self.check_size is None else self.check_size
            if c >= n:
                raise ValueError(f"check_size must be smaller than the minibatch, got check_size={c} "
                                 f"for a minibatch of {n} sequences")
            if c:
                grad_batch, check = _split(grad_batch, n - c)
            m = grad_batch.x.shape[0] if self.curvature_size is None else self.curvature_size
            curv = _split(grad_batch, m)[0]
        return grad_batch, curv, grad_batch if check is None else check

    def step(self, closure=None) -> Tensor:
        """One Hessian-free step; returns the loss on the gradient minibatch before the step."""
        grad_batch, curv, check = self._batches(closure)
        model, st = self.model, self.state["hf"]
        lam = st["damping"]
        theta = flatten_parameters(model).detach().clone()
        f = _loss_of_theta(model, grad_batch.x, grad_batch.target, self.loss, grad_batch.lengths, None)
        g, f0 = _grad_and_value(f, theta)
        f0 = float(f0)
        e = f if check is grad_batch else _loss_of_theta(model, check.x, check.target, self.loss,
                                                            check.lengths, None)
        products = _curvature_products(model, theta, curv.x, curv.target, self.loss, curv.lengths, None)
        beta = lam * self.structural_damping

        def A(v):
            return products(v, beta) + lam * v

        prev = st["previous"]
        x0 = None if prev is None or self.cg_decay == 0 else self.cg_decay * prev
        M_inv = martens_preconditioner(model, theta, grad_batch.x, grad_batch.target, lam, loss=self.loss,
                                       lengths=grad_batch.lengths) if self.precondition else None
        cg = conjugate_gradient(A, -g, x0, max_iters=self.cg_max_iters, epsilon=self.cg_epsilon,
                                preconditioner=M_inv)

        with torch.no_grad():
            e0 = f0 if check is grad_batch else float(e(theta))
            # backtracking over the stored iterates, from the last one, on the check batch
            j = len(cg.iterates) - 1
            best = float(e(theta + cg.iterates[j][1]))
            while j > 0:
                trial = float(e(theta + cg.iterates[j - 1][1]))
                if not trial < best:
                    break
                j, best = j - 1, trial
            delta = cg.iterates[j][1]
            model_change = float(g @ delta + 0.5 * delta @ products(delta, 0.0))
            rho = _reduction_ratio(best, e0, model_change)  # NaN or infinite losses count as failed steps
            st["damping"] = _levenberg_marquardt(lam, rho)

            lr = self.param_groups[0]["lr"]
            slope = float(g @ delta)
            alpha, e_new = lr, (best if lr == 1.0 else float(e(theta + lr * delta)))
            for _ in range(self.max_line_search):
                if e_new <= e0 + 1e-2 * alpha * slope:
                    break
                alpha *= 0.8
                e_new = float(e(theta + alpha * delta))
            else:
                alpha, e_new = 0.0, e0
            load_flat_parameters(model, theta + alpha * delta)
        # no move: the next CG starts from zero, not from a direction that failed (as in the released code)
        st.update(previous=cg.x.detach() if alpha > 0 else None, rho=rho, alpha=alpha,
                  cg_iterations=cg.iterations, cg_reason=cg.reason, backtrack_iteration=cg.iterates[j][0],
                  loss_before=e0, loss_after=e_new)
        return torch.tensor(f0, dtype=theta.dtype)


# ---------------------------------------------------------------------- the chapter's measurements


def matrix_from_products(Avp: Callable[[Tensor], Tensor], n: int, dtype: torch.dtype = torch.float64) -> Tensor:
    r"""The :math:`n \times n` matrix :math:`A` of a product :math:`v \mapsto A v`, column by column
    (:math:`A e_j`, :math:`n` products): to look at the spectrum of a small curvature matrix. ``Avp``
    takes and returns vectors of length ``n`` and dtype ``dtype``."""
    check_callable(Avp, "Avp")
    n = check_positive_int(n, "n")
    dtype = check_dtype(dtype)
    check_memory(n * n * torch.finfo(dtype).bits // 8, f"the {n} x {n} matrix", "n")
    A = torch.empty(n, n, dtype=dtype)
    e = torch.zeros(n, dtype=dtype)
    for j in range(n):
        e[j] = 1.0
        A[:, j] = _apply_operator(Avp, e.clone(), "n and dtype")
        e[j] = 0.0
    return A


def largest_eigenvalue(Avp: Callable[[Tensor], Tensor], n: int, *, iterations: int = 30, seed: int = 0,
                       dtype: torch.dtype = torch.float64) -> float:
    r"""The largest eigenvalue of a symmetric positive semidefinite :math:`A` by power iteration:
    :math:`v_{j+1} = A v_j / \|A v_j\|` from a seeded Gaussian :math:`v_0`, then the Rayleigh quotient
    :math:`v^\top A v` (a lower bound that converges like :math:`(\lambda_2/\lambda_1)^{2j}`).
    Returns 0 when :math:`A v = 0`. ``Avp`` takes and returns vectors of length ``n`` and dtype ``dtype``."""
    check_callable(Avp, "Avp")
    n = check_positive_int(n, "n")
    iterations = check_positive_int(iterations, "iterations")
    seed = check_seed(seed)
    dtype = check_dtype(dtype)
    check_memory(3 * n * torch.finfo(dtype).bits // 8, f"three vectors of length {n}", "n")
    v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    v = v / v.norm()
    for _ in range(iterations):
        w = _apply_operator(Avp, v, "n and dtype")
        norm = float(w.norm())
        if norm == 0.0:
            return 0.0
        if not math.isfinite(norm):
            raise ValueError(f"Avp returned a vector of norm {norm} from a unit vector: A is not finite")
        v = w / norm
    return float(v @ _apply_operator(Avp, v, "n and dtype"))


def random_spd(eigenvalues, seed: int = 0) -> tuple[Tensor, Tensor]:
    r"""A symmetric positive definite :math:`A = Q \operatorname{diag}(\text{eigenvalues}) Q^\top`
    (:math:`Q` a seeded random orthogonal matrix) and a seeded right-hand side :math:`b`, in the
    eigenvalues' dtype (float64 for a list). ``eigenvalues``: a non-empty list or 1-D tensor of
    positive finite numbers."""
    if isinstance(eigenvalues, (list, tuple)):
        for i, value in enumerate(eigenvalues):
            check_positive_float(value, f"eigenvalues[{i}]")
        eigenvalues = torch.tensor([float(e) for e in eigenvalues], dtype=torch.float64)
    eig = check_tensor(eigenvalues, "eigenvalues", ndim=1)
    if eig.numel() == 0 or bool((eig <= 0).any()):
        raise ValueError("eigenvalues must be a non-empty vector of positive numbers")
    seed = check_seed(seed)
    n = eig.numel()
    check_memory(3 * n * n * eig.element_size(), f"three {n} x {n} matrices", "eigenvalues")
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=eig.dtype))
    return Q @ torch.diag(eig) @ Q.t(), torch.randn(n, generator=g, dtype=eig.dtype)


def steepest_descent_path(A: Tensor, b: Tensor, x0: Tensor, iterations: int) -> Tensor:
    r"""Steepest descent with exact line search on :math:`\phi(x) = \tfrac12 x^\top A x - b^\top x`:
    :math:`x_{i+1} = x_i + \alpha_i r_i`, :math:`r_i = b - A x_i`,
    :math:`\alpha_i = r_i^\top r_i / r_i^\top A r_i`. Returns the path, ``(iterations + 1, n)``
    (it stops early, repeating nothing, if :math:`r_i = 0`). ``A`` is ``(n, n)``, ``b`` and ``x0``
    ``(n,)``."""
    A = check_tensor(A, "A", ndim=2)
    n = A.shape[0]
    if A.shape != (n, n) or n == 0:
        raise ValueError(f"A must be a non-empty square matrix, got shape {tuple(A.shape)}")
    b = _check_like(b, "b", A, "A", 1)
    if b.shape != (n,):
        raise ValueError(f"b must have shape ({n},) (A is {n} x {n}), got {tuple(b.shape)}")
    x = _check_like(x0, "x0", A, "A", 1).detach().clone()
    if x.shape != (n,):
        raise ValueError(f"x0 must have shape ({n},) (A is {n} x {n}), got {tuple(x.shape)}")
    iterations = check_positive_int(iterations, "iterations")
    check_memory((min(iterations, 2**62) + 1) * n * A.element_size(), f"a path of {iterations} + 1 points",
                 "iterations")
    A, b = A.detach(), b.detach()
    path = [x.clone()]
    for _ in range(iterations):
        r = b - A @ x
        rAr = r @ A @ r
        if float(rAr) <= 0:
            break
        x = x + (r @ r) / rAr * r
        path.append(x.clone())
    return torch.stack(path)


def finite_difference_errors(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, v: Tensor, eps_values, *,
                             loss: str = "squared", central: bool = False, lengths=None,
                             h0: Tensor | None = None) -> list[float]:
    r"""The relative error :math:`\|\widehat{Hv}_\epsilon - Hv\| / \|Hv\|` of
    :func:`finite_difference_hvp` for each :math:`\epsilon` in ``eps_values``, against the exact
    :func:`hessian_vector_product` computed in the model's dtype. ``eps_values``: a non-empty list of
    numbers in :math:`(0, 1]`."""
    if not isinstance(eps_values, (list, tuple)) or len(eps_values) == 0:
        raise ArgumentTypeError(f"eps_values must be a non-empty list of numbers, got {_shown(eps_values)}")
    eps_values = [check_float(e, f"eps_values[{i}]", low=0.0, low_open=True, high=1.0)
                  for i, e in enumerate(eps_values)]
    check_bool(central, "central")
    exact = hessian_vector_product(model, theta, x, target, v, loss=loss, lengths=lengths, h0=h0)
    scale = float(exact.detach().norm())
    if scale == 0.0:
        raise ValueError("the exact Hessian-vector product is zero: relative errors are undefined")
    return [float((finite_difference_hvp(model, theta, x, target, v, loss=loss, eps=float(e), central=central,
                                         lengths=lengths, h0=h0) - exact).norm()) / scale for e in eps_values]


class DampedStep(NamedTuple):
    """What :func:`damped_step` returns: the step ``delta``, the gradient, the loss :math:`f(\\theta)`
    and the :class:`CGResult` of the solve."""

    delta: Tensor
    gradient: Tensor
    loss: float
    cg: CGResult


def damped_step(model: SRN, theta: Tensor | None, x: Tensor, target: Tensor, damping: float, *,
                structural_damping: float = 0.0, loss: str = "squared", lengths=None, h0: Tensor | None = None,
                rtol: float = 1e-10, epsilon: float = 1e-12, max_iters: int = 1000,
                preconditioner: Tensor | None = None) -> DampedStep:
    r"""One HF direction without the optimizer's bookkeeping: the minimizer of the damped model

    .. math::

        \delta = \arg\min_\delta\ g^\top\delta + \tfrac12\delta^\top(G + \lambda\mu\,G_S + \lambda I)\delta
        = -(G + \lambda\mu\,G_S + \lambda I)^{-1} g,

    :math:`\lambda` = ``damping``, :math:`\mu` = ``structural_damping``, found by
    :func:`conjugate_gradient` from 0. By default CG is run to a tight residual (``rtol``) with the
    progress rule made inactive (tiny ``epsilon``), so that ``delta`` is the minimizer itself; pass
    ``epsilon=CG_EPSILON`` for Martens' truncated solve. Since :math:`G + \lambda\mu G_S \succeq 0`,
    :math:`\|\delta\| \le \|g\|/\lambda`. ``damping`` :math:`> 0` and ``structural_damping`` :math:`\ge 0` are
    at most :func:`_scale_limit` of the model's dtype.
    """
    model = _check_model(model)
    damping = _check_scale(damping, "damping", model.W.dtype)
    mu = _check_scale(structural_damping, "structural_damping", model.W.dtype, allow_zero=True)
    f = _loss_of_theta(model, x, target, loss, lengths, h0)
    theta = (flatten_parameters(model) if theta is None else _check_theta(theta, model)).detach()
    g, f0 = _grad_and_value(f, theta)
    G = gauss_newton_operator(model, theta, x, target, loss=loss, lengths=lengths, h0=h0,
                              structural=damping * mu)
    cg = conjugate_gradient(lambda v: G(v) + damping * v, -g, rtol=rtol, epsilon=epsilon, max_iters=max_iters,
                            preconditioner=preconditioner)
    return DampedStep(cg.x, g, float(f0), cg)


def hidden_state_change(model: SRN, theta: Tensor | None, delta: Tensor, x: Tensor, target: Tensor, *,
                        lengths=None, h0: Tensor | None = None) -> float:
    r"""How much a step moves the hidden states, per sequence:

    .. math:: \Bigl(\frac1B \sum_{i=1}^{B} \sum_{t} \|h_t^{(i)}(\theta + \delta) - h_t^{(i)}(\theta)\|^2\Bigr)^{1/2}

    over the valid steps, i.e. :math:`\sqrt{2 S(\theta + \delta)}` for the structural-damping
    penalty :math:`S` of the module docstring (taken at :math:`\theta_k = \theta`)."""
    model = _check_model(model)
    theta = (flatten_parameters(model) if theta is None else _check_theta(theta, model)).detach()
    delta = _check_theta(delta, model, "delta")
    F, _ = network_function(model, x, target, lengths, h0)
    with torch.no_grad():
        change = F(theta + delta)[1] - F(theta)[1]  # zero at padded steps
    return float(change.norm()) / math.sqrt(x.shape[0])


def _check_dfa_words(dfa, words) -> None:
    from ..dfa import DFA
    from ..sampling import Words

    check_instance(dfa, "dfa", DFA, "a srnbook.dfa.DFA")
    check_instance(words, "words", Words, "a srnbook.sampling.Words (labelled words)")
    if tuple(words.alphabet) != tuple(dfa.alphabet):
        raise ValueError(f"words must be over the DFA's alphabet {tuple(dfa.alphabet)!r}, "
                         f"got {tuple(words.alphabet)!r}")
    if not bool((words.lengths > 0).any()):
        raise ValueError("words must contain at least one non-empty word")


def _check_scales(scales, dtype: torch.dtype) -> list[float]:
    """A non-empty list (or tuple) of weight scales, each positive and at most :func:`_scale_limit`."""
    if not isinstance(scales, (list, tuple)) or len(scales) == 0:
        raise ArgumentTypeError(f"scales must be a non-empty list of positive numbers, got {_shown(scales)}")
    return [_check_scale(J, f"scales[{i}]", dtype) for i, J in enumerate(scales)]


class SSRNProblem(NamedTuple):
    """A compiled saturated SRN as a training problem (:func:`ssrn_problem`): an autograd ``model``,
    one-hot inputs ``x`` ``(B, T, |Σ|)``, 0/1 ``target`` ``(B, 1)``, ``lengths`` ``(B,)`` and ``h0`` ``(B, d)``."""

    model: SRN
    x: Tensor
    target: Tensor
    lengths: Tensor
    h0: Tensor


def ssrn_problem(dfa, J: float, words, dtype: torch.dtype = torch.float64) -> SSRNProblem:
    r"""The sigmoid SSRN of ``dfa`` at weight scale ``J`` (:func:`srnbook.ssrn.dfa_to_ssrn`) as a
    binary cross-entropy problem on labelled ``words`` (a :class:`srnbook.sampling.Words`, e.g. from
    :func:`srnbook.sampling.balanced_dataset`): :math:`f(\theta) = -\frac1B\sum_i y_i \log \hat y_i
    + (1 - y_i) \log(1 - \hat y_i)` with :math:`\hat y_i = \sigma(V h_{T_i} + c)` from the SSRN's
    :math:`h_0`.

    The parameters are copied into an :class:`~srnbook.SRN` built with ``grad="autograd"`` (the
    curvature products need forward-mode derivatives). Empty words are left out: the SRN reads at
    least one letter.
    """
    from ..ssrn import dfa_to_ssrn

    _check_dfa_words(dfa, words)
    dtype = check_dtype(dtype)
    J = _check_scale(J, "J", dtype)
    words = words[words.lengths > 0]
    compiled = dfa_to_ssrn(dfa, "sigmoid", J=J, dtype=dtype)
    source = compiled.srn
    model = SRN(source.input_size, source.hidden_size, 1, activation="sigmoid", output="sigmoid",
                grad="autograd", dtype=dtype)
    model.load_state_dict(source.state_dict())
    x, lengths = words.one_hot(dtype)
    target = torch.from_numpy(words.labels).to(dtype).view(-1, 1)
    h0 = compiled.h0.view(1, -1).expand(len(words), -1).clone()
    return SSRNProblem(model, x, target, lengths, h0)


class SaturationPoint(NamedTuple):
    r"""One scale of :func:`saturation_sweep`.

    ``J``; ``loss`` :math:`f(\theta_J)`; ``gradient_norm`` :math:`\|g\|`; ``curvature``
    :math:`\lambda_{\max}(G)` (power iteration); ``step_norm`` :math:`\|\delta\|` for
    :math:`(G + \lambda I)\delta = -g` at the fixed ``damping`` :math:`\lambda`; ``step_bound``
    :math:`\|g\|/\lambda`; ``scaled_step_norm`` :math:`\|\delta'\|` and ``scaled_loss_ratio``
    :math:`f(\theta + \delta')/f(\theta)` for the damping :math:`\lambda' = \kappa\,\lambda_{\max}(G)`
    that follows the curvature down (``nan`` if :math:`\lambda_{\max}(G) = 0`); ``cg_iterations`` of the
    fixed-damping solve.
    """

    J: float
    loss: float
    gradient_norm: float
    curvature: float
    step_norm: float
    step_bound: float
    scaled_step_norm: float
    scaled_loss_ratio: float
    cg_iterations: int


def saturation_sweep(dfa, scales, words, *, damping: float = 1e-3, relative_damping: float = 1e-2,
                     power_iterations: int = 30, cg_max_iters: int = 1000, rtol: float = 1e-10,
                     dtype: torch.dtype = torch.float64) -> list[SaturationPoint]:
    r"""Gradient, Gauss-Newton curvature and HF step of the compiled SSRN of ``dfa`` as the weight
    scale :math:`J` grows (:func:`ssrn_problem`; the report's section 5, first objection).

    With the sigmoid, every pre-activation of the SSRN is :math:`\pm J` or :math:`-3J` and the output
    logit is :math:`\pm J`, so :math:`\sigma'(a) \le \sigma'(J) < e^{-J}` at every unit and, with the
    DFA's labels, :math:`|\hat y - y| < e^{-J}` and :math:`\hat y(1 - \hat y) < e^{-J}`: the gradient
    :math:`g = J_z^\top \nabla_z L` and the Gauss-Newton matrix :math:`G = J_z^\top \nabla^2_z L\, J_z`
    (its loss Hessian is :math:`\hat y(1-\hat y)/B`) both vanish like :math:`e^{-J}` (times powers of
    :math:`J`). The damped step obeys

    .. math:: \|\delta\| = \|(G + \lambda I)^{-1} g\| \le \|g\|/\lambda \longrightarrow 0 ,

    whatever :math:`G` is. Only a damping that shrinks with the curvature,
    :math:`\lambda' = \kappa\,\lambda_{\max}(G)` (:math:`\kappa` = ``relative_damping``), keeps the
    step of order one; the sweep reports that step too.

    ``words`` are labelled words (:class:`srnbook.sampling.Words`); their labels are the targets.
    Each solve runs :func:`conjugate_gradient` from 0 to the residual ``rtol``. ``scales``: a non-empty
    list of positive numbers.
    """
    dtype = check_dtype(dtype)
    _check_dfa_words(dfa, words)
    scales = _check_scales(scales, dtype)
    damping = _check_scale(damping, "damping", dtype)
    kappa = _check_scale(relative_damping, "relative_damping", dtype)
    power_iterations = check_positive_int(power_iterations, "power_iterations")
    cg_max_iters = check_positive_int(cg_max_iters, "cg_max_iters")
    rtol = check_float(rtol, "rtol", low=0.0, high=1.0, high_open=True)
    rows = []
    for J in scales:
        p = ssrn_problem(dfa, J, words, dtype)
        kw = dict(loss="binary_cross_entropy", lengths=p.lengths, h0=p.h0)
        theta = flatten_parameters(p.model).detach()
        G = gauss_newton_operator(p.model, theta, p.x, p.target, **kw)
        curvature = largest_eigenvalue(G, theta.numel(), iterations=power_iterations, dtype=dtype)
        fixed = damped_step(p.model, theta, p.x, p.target, damping, rtol=rtol, max_iters=cg_max_iters, **kw)
        g_norm = float(fixed.gradient.norm())
        scaled_norm = ratio = math.nan
        if curvature > 0:
            scaled = damped_step(p.model, theta, p.x, p.target, kappa * curvature, rtol=rtol,
                                 max_iters=cg_max_iters, **kw)
            scaled_norm = float(scaled.delta.norm())
            ratio = float(objective(p.model, theta + scaled.delta, p.x, p.target, **kw)) / fixed.loss \
                if fixed.loss > 0 else math.nan
        rows.append(SaturationPoint(float(J), fixed.loss, g_norm, curvature, float(fixed.delta.norm()),
                                    g_norm / damping, scaled_norm, ratio, fixed.cg.iterations))
    return rows
