r"""The gradient of an SRN through time: Jacobian products, bounds, temporal components, remedies.

Notation of Definition 1: :math:`a_t = U x_t + W h_{t-1} + b`, :math:`h_t = \sigma(a_t)`,
:math:`\hat y_t = g(V h_t + c)`, with :math:`d` hidden units. Writing
:math:`D_t = \operatorname{diag}(\sigma'(a_t))`, one step back through the recurrence is

.. math::

    \frac{\partial a_t}{\partial a_{t-1}} = W D_{t-1}, \qquad
    \frac{\partial a_t}{\partial a_k} = W D_{t-1}\, W D_{t-2} \cdots W D_k
    \quad (k < t), \qquad \frac{\partial a_t}{\partial a_t} = I,

a product of :math:`t - k` factors :math:`W D_i` (Galvan's thesis, eqs. 1.44-1.45 and 1.62;
slides, eqs. 20-22). The seeds write each factor as :math:`\operatorname{diag}(\sigma'(a^i))\,W^{rec}`;
that product, :math:`D_{t-1} W \cdots D_k W`, is :math:`\partial h_{t-1}/\partial h_{k-1}`, not
:math:`\partial a_t/\partial a_k` (the two differ by where the product is cut). Every bound below
holds for both.

What this module provides:

* :func:`jacobian_products`, :func:`jacobian_norms`, :func:`lag_profile` -- every
  :math:`\partial a_t/\partial a_k` of a batch, and their norms by lag :math:`t - k`;
* :func:`input_memory` -- how long the first input changes the hidden state (the forward view);
* :func:`hochreiter_bound`, :func:`singular_value_bound` -- the two exponential bounds of section 1.6;
* :func:`enabled_paths` -- the path view of :math:`\partial a_t/\partial a_k` for ReLU;
* :func:`temporal_components` -- :math:`\nabla L` split into the contributions of each time step;
* :func:`clip_grad_norm_` -- gradient norm clipping (Pascanu et al., 2013, Algorithm 1);
* :func:`omega` -- Pascanu's regularizer :math:`\Omega` (thesis eq. 2.17);
* :func:`normalized_direction`, :class:`NormalizedComponents` -- Galvan's direction (slides, eqs. 28-30);
* :func:`init_small_random`, :func:`init_sparse`, :func:`init_esn`, :func:`init_identity`,
  :func:`init_orthogonal` -- initializations of :math:`W` (and of the other parameters where stated).

Code indexes time from 0, like :mod:`srnbook.srn`: index ``t`` is step :math:`t + 1` of the book.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from ._validation import (
    ArgumentTypeError,
    check_bool,
    check_choice,
    check_dtype,
    check_instance,
    check_memory,
    check_positive_float,
    check_positive_int,
    check_tensor,
)
from .activations import get_activation
from .srn import OUTPUTS, SRN

Tensor = torch.Tensor

#: :math:`\sigma'_{max} = \sup_a \sigma'(a)` for the named activations.
SIGMA_PRIME_MAX = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "identity": 1.0}

NORMS = (2, "fro", "max", 1, math.inf)


# ---------------------------------------------------------------------- checks


def _check_srn(model) -> SRN:
    if not isinstance(model, SRN):
        raise ValueError(f"model must be an srnbook.SRN, got {type(model).__name__}")
    return model


def _check_square(W, name: str = "W") -> Tensor:
    if isinstance(W, SRN):
        W = W.W
    W = check_tensor(W, name, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {tuple(W.shape)}")
    return W.detach()


def _check_generator(generator) -> torch.Generator | None:
    if generator is not None:
        check_instance(generator, "generator", torch.Generator, "a torch.Generator or None")
    return generator


def _check_fits(value: float, name: str, dtype: torch.dtype, bound: float = 1.0) -> float:
    """Refuse a scale ``value`` whose products with numbers up to ``bound`` overflow ``dtype``."""
    if value * bound > torch.finfo(dtype).max:
        raise ValueError(f"{name} = {value!r} is too large: the values it scales would overflow "
                         f"{dtype} (largest {torch.finfo(dtype).max:.3g})")
    return value


def _check_ord(ord):
    """``ord`` as the entry of :data:`NORMS` it equals (a NumPy number too, not a bool)."""
    if isinstance(ord, (str, int, float, np.integer, np.floating)) and not isinstance(ord, (bool, np.bool_)):
        for choice in NORMS:
            if isinstance(ord, str) == isinstance(choice, str) and ord == choice:
                return choice
    raise ValueError(f"ord must be one of {', '.join(map(repr, NORMS))}, got {ord!r}")


def _check_loss(loss: Tensor) -> Tensor:
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor, got {shape}")
    return loss


# ---------------------------------------------------------------------- forward and backward signals


def _states(model: SRN, x: Tensor, h0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Detached ``(a, h, h_prev, s)``, all ``(B, T, d)``: :math:`a_t, h_t, h_{t-1}, \\sigma'(a_t)`."""
    with torch.no_grad():
        out = model(x, h0=h0)
        a, h = out.a, out.h
        start = model._initial_state(h0, x.shape[0]).unsqueeze(1)
        h_prev = torch.cat([start, h[:, :-1]], dim=1)
        s = model.activation.derivative(a, h)
    return a, h, h_prev, s


def _backward_signals(model: SRN, x: Tensor, loss_fn, h0, outputs: str):
    r"""Run the book's BPTT by hand; return the detached signals every function below needs.

    Returns ``(x, h, h_prev, s, gz, g_h, delta)`` where ``gz`` is :math:`\partial L/\partial z_t`
    (:math:`z_t = V h_t + c`), ``g_h`` the *total* :math:`\partial L/\partial h_t` and ``delta``
    :math:`\delta_t = \partial L/\partial a_t`, from
    :math:`\delta_t = \operatorname{diag}(\sigma'(a_t))(\bar h_t + W^\top \delta_{t+1})`.
    """
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be a callable taking the outputs, got {loss_fn!r}")
    check_choice(outputs, "outputs", ("last", "all"))
    _, h, h_prev, s = _states(model, x, h0)
    V, c, W = model.V.detach(), model.c.detach(), model.W.detach()
    z = (h @ V.t() + c).requires_grad_(True)
    with torch.enable_grad():
        y = OUTPUTS[model.output](z)
        loss = _check_loss(loss_fn(y[:, -1] if outputs == "last" else y))
        gz = torch.autograd.grad(loss, z, allow_unused=True)[0] if loss.requires_grad else None
    if gz is None:  # the loss does not depend on the outputs
        gz = torch.zeros_like(z)
    local = gz @ V  # \bar h_t: what reaches h_t from the output at step t
    T = h.shape[1]
    delta, g_h = torch.empty_like(h), torch.empty_like(h)
    g_h[:, T - 1] = local[:, T - 1]
    delta[:, T - 1] = s[:, T - 1] * g_h[:, T - 1]
    for t in range(T - 2, -1, -1):
        g_h[:, t] = local[:, t] + delta[:, t + 1] @ W  # dL/dh_t = \bar h_t + W^T delta_{t+1}
        delta[:, t] = s[:, t] * g_h[:, t]
    return x.detach(), h, h_prev, s, gz.detach(), g_h, delta


# ---------------------------------------------------------------------- Jacobian products


def jacobian_products(model: SRN, x: Tensor, h0: Tensor | None = None) -> Tensor:
    r"""Every :math:`\partial a_t / \partial a_k` of a batch: a ``(B, T, T, d, d)`` tensor.

    ``J[i, t, k]`` is, for sequence ``i``, the ``(d, d)`` matrix
    :math:`\partial a_{t+1}/\partial a_{k+1}` (code indexes from 0), built backwards from
    :math:`\partial a_t/\partial a_k = \partial a_t/\partial a_{k+1} \cdot W \operatorname{diag}(\sigma'(a_k))`
    (thesis eq. 1.44, with the factors in the order of the chain rule): the identity for
    :math:`k = t` and zero for :math:`k > t` (the future does not influence the past).

    ``x`` is ``(B, T, u)`` without padding. The result is detached and needs
    :math:`B T^2 d^2` numbers: meant for the small networks of the book.
    """
    model = _check_srn(model)
    if isinstance(x, torch.Tensor) and x.dim() == 3:
        B, T, d = x.shape[0], x.shape[1], model.hidden_size
        check_memory(B * T * T * d * d * model.W.dtype.itemsize,
                     f"the {B} x {T} x {T} Jacobians of size {d} x {d}", "x")
    _, _, _, s = _states(model, x, h0)
    B, T, d = s.shape
    W = model.W.detach()
    J = s.new_zeros(B, T, T, d, d)
    steps = torch.arange(T)
    J[:, steps, steps] = torch.eye(d, dtype=s.dtype, device=s.device)
    for k in range(T - 2, -1, -1):
        one_step = W * s[:, k, None, :]  # W diag(sigma'(a_k)), (B, d, d)
        J[:, k + 1:, k] = J[:, k + 1:, k + 1] @ one_step[:, None]
    return J


def matrix_norm(A: Tensor, ord=2) -> Tensor:
    r"""Norm of the matrices in the last two dimensions of ``A``.

    ``ord`` is ``2`` (spectral norm, the largest singular value), ``"fro"``, ``"max"``
    (:math:`\|A\|_{max} = \max_{ij} |a_{ij}|`, Hochreiter's norm), ``1`` or ``math.inf``.
    ``A`` is a floating-point tensor with at least two dimensions (leading ones are a batch) and
    no empty matrix; infinite entries (an overflowed product) give an infinite norm, NaN is refused.
    """
    A = check_tensor(A, "A", ndim=tuple(range(2, 10)), finite=False)
    if A.shape[-1] == 0 or A.shape[-2] == 0:
        raise ValueError(f"A must hold matrices with at least one entry, got shape {tuple(A.shape)}")
    if bool(torch.isnan(A).any()):
        raise ValueError("A contains NaN values")
    return _matrix_norm(A, _check_ord(ord))


def _matrix_norm(A: Tensor, ord) -> Tensor:
    if ord == "max":
        return A.abs().amax(dim=(-2, -1))
    return torch.linalg.matrix_norm(A, ord=ord)


def jacobian_norms(model: SRN, x: Tensor, ord=2, h0: Tensor | None = None) -> Tensor:
    r"""``(B, T, T)`` norms :math:`\|\partial a_t/\partial a_k\|`, for heatmaps of the gradient's memory.

    Entry ``[i, t, k]`` is the norm (see :func:`matrix_norm`; spectral by default) of
    ``jacobian_products(model, x)[i, t, k]``; it is 1 on the diagonal (for ``ord`` 2, ``max``,
    1 and inf) and 0 for :math:`k > t`.
    """
    ord = _check_ord(ord)
    return _matrix_norm(jacobian_products(model, x, h0), ord)


def lag_profile(norms: Tensor, reduce: str = "max") -> Tensor:
    r"""Reduce ``(B, T, T)`` Jacobian norms to one value per lag :math:`n = t - k`: a ``(T,)`` tensor.

    Entry :math:`n` is the largest (``reduce="max"``) or the median (``"median"``) of
    :math:`\|\partial a_t/\partial a_k\|` over the batch and over every pair with
    :math:`t - k = n`; entry 0 is the norm of the identity. This is the curve the bounds of
    :func:`hochreiter_bound` and :func:`singular_value_bound` are about.
    """
    norms = check_tensor(norms, "norms", ndim=3, finite=False)
    if norms.shape[1] != norms.shape[2] or 0 in norms.shape:
        raise ValueError(f"norms must be (B, T, T) as from jacobian_norms, with B, T >= 1, "
                         f"got {tuple(norms.shape)}")
    if bool(torch.isnan(norms).any()) or bool((norms < 0).any()):
        raise ValueError("norms must be nonnegative (infinity allowed), and contains NaN or negative values")
    check_choice(reduce, "reduce", ("max", "median"))
    T = norms.shape[1]
    out = norms.new_empty(T)
    for n in range(T):
        values = torch.diagonal(norms, offset=-n, dim1=1, dim2=2).reshape(-1)  # entries [t, t - n]
        out[n] = values.max() if reduce == "max" else values.median()
    return out


def input_memory(model: SRN, x: Tensor, x_other: Tensor, h0: Tensor | None = None) -> Tensor:
    r"""``(B, T)`` distances :math:`\|h_t(x) - h_t(x')\|_2` between the hidden states of two input batches.

    With ``x_other`` equal to ``x`` except at the first step, this measures how long the network
    *remembers* its first input: the forward counterpart of :math:`\|\partial a_t/\partial a_1\|`.
    """
    model = _check_srn(model)
    with torch.no_grad():
        h = model(x, h0=h0).h
        x_other = check_tensor(x_other, "x_other", ndim=3, dtype=model.W.dtype)
        if x_other.shape != x.shape:
            raise ValueError(f"x_other must have the shape of x, {tuple(x.shape)}, got {tuple(x_other.shape)}")
        h_other = model(x_other, h0=h0).h
    return torch.linalg.vector_norm(h - h_other, dim=-1)


# ---------------------------------------------------------------------- bounds


def _sigma_prime_max(activation, sigma_prime_max) -> float:
    act = get_activation(activation)
    if sigma_prime_max is not None:
        return check_positive_float(sigma_prime_max, "sigma_prime_max", allow_zero=True)
    if act.name not in SIGMA_PRIME_MAX:
        raise ValueError(
            f"activation {act.name!r} has no known sup of sigma'; give sigma_prime_max "
            f"(known: {', '.join(map(repr, SIGMA_PRIME_MAX))})"
        )
    return SIGMA_PRIME_MAX[act.name]


def _check_steps(steps) -> Tensor:
    is_int = isinstance(steps, (int, np.integer)) and not isinstance(steps, (bool, np.bool_))
    if not is_int and not isinstance(steps, torch.Tensor):
        raise ArgumentTypeError(f"steps must be a nonnegative integer or an integer tensor of lags t - k, "
                                f"got {type(steps).__name__}")
    steps_t = torch.as_tensor(int(steps) if is_int else steps)
    if steps_t.dtype.is_floating_point or steps_t.dtype == torch.bool or steps_t.is_complex():
        raise ValueError(f"steps must be a nonnegative integer or an integer tensor of lags t - k, got {steps!r}")
    if bool((steps_t < 0).any()):
        raise ValueError(f"steps must be nonnegative (lags t - k with k <= t), got {steps!r}")
    return steps_t.to(torch.float64)


def _powers(base: float, steps: Tensor, what: str) -> Tensor:
    """``base ** steps`` in float64, refused where it would overflow."""
    top = float(steps.max()) if steps.numel() else 0.0
    if base > 1 and top > 0 and top * math.log(base) > math.log(torch.finfo(torch.float64).max):
        raise ValueError(f"the bound {what} ** steps overflows float64: the base is {base:.6g} and the "
                         f"largest of steps is {top:.0f}")
    return torch.as_tensor(base, dtype=torch.float64) ** steps


def hochreiter_bound(W, activation, steps, *, sigma_prime_max: float | None = None) -> Tensor:
    r"""Hochreiter's bound :math:`\tau^{t-k}`, :math:`\tau = r\,\sigma'_{max}\,\|W\|_{max}`, for each lag in ``steps``.

    :math:`r = d` is the number of hidden units, :math:`\|W\|_{max} = \max_{ij}|w_{ij}|` and
    :math:`\sigma'_{max} = \sup_a \sigma'(a)` (:data:`SIGMA_PRIME_MAX`: 1/4 for the sigmoid, 1
    for tanh, ReLU and the identity; pass ``sigma_prime_max`` to use the thesis's data-dependent
    :math:`\max_i \|\operatorname{diag}(\sigma'(a_i))\|_{max}` instead). For every :math:`k \le t`,

    .. math::

        \Bigl\|\frac{\partial a_t}{\partial a_k}\Bigr\|_{max} \le \tau^{t-k}
        \quad\text{and}\quad
        \Bigl\|\frac{\partial a_t}{\partial a_k}\Bigr\|_2 \le \tau^{t-k}.

    Derivation: each entry of a product of :math:`n = t - k` factors :math:`W D_i` is a sum of
    :math:`r^{n-1}` path products of :math:`n` entries, each at most
    :math:`\sigma'_{max}\|W\|_{max}` in absolute value, so the max norm is at most
    :math:`\tau^n / r \le \tau^n` (for :math:`n \ge 1`); and
    :math:`\|W D_i\|_2 \le \sigma'_{max}\|W\|_2 \le \sigma'_{max}\, r\|W\|_{max}`.
    The thesis (eqs. 1.64-1.67) states :math:`\tau^{t-k-1}`; that exponent is one too small
    (for :math:`W = 2I` and the identity activation, :math:`\partial a_t/\partial a_{t-1} = 2I`
    while :math:`\tau^0 = 1`): the product has :math:`t - k` factors. Hochreiter & Schmidhuber
    (1997, sec. 3.1.1), with :math:`q = t - k` steps and :math:`n = r` units, bound each entry by
    :math:`n\,\tau^q`: the same exponent, a looser constant.

    ``W`` is the ``(d, d)`` recurrent matrix (or an :class:`~srnbook.srn.SRN`); ``steps`` a
    nonnegative integer or an integer tensor of lags :math:`t - k`. ``activation`` (always
    checked) gives :math:`\sigma'_{max}` unless ``sigma_prime_max`` is given. Returns float64 values
    shaped like ``steps``; a bound that would overflow float64 is refused.
    """
    W = _check_square(W)
    tau = W.shape[0] * _sigma_prime_max(activation, sigma_prime_max) * float(W.abs().max())
    return _powers(tau, _check_steps(steps), "tau = r * sigma_prime_max * max|W|")


def singular_value_bound(W, activation, steps, *, sigma_prime_max: float | None = None) -> Tensor:
    r"""The singular-value bound :math:`(\sigma'_{max}\,\mu_{max})^{t-k}` for each lag in ``steps``.

    :math:`\mu_{max} = \|W\|_2` is the largest singular value of :math:`W` (thesis eqs. 1.68-1.71,
    slides eqs. 23-26). Since :math:`\|D_i\|_2 \le \sigma'_{max}`,

    .. math::

        \Bigl\|\frac{\partial a_t}{\partial a_k}\Bigr\|_2
        \le \prod_{i=k}^{t-1} \|W\|_2 \|D_i\|_2 \le (\sigma'_{max}\,\mu_{max})^{t-k},

    so :math:`\sigma'_{max}\mu_{max} < 1` is sufficient for the long-term components to vanish
    exponentially. The seeds write the exponent :math:`t - k - 1`; as for :func:`hochreiter_bound`
    it is :math:`t - k`, the number of factors. This bound is never worse than Hochreiter's, because
    :math:`\mu_{max} \le \|W\|_F \le r\|W\|_{max}`.

    Arguments as for :func:`hochreiter_bound`.
    """
    W = _check_square(W)
    mu_max = float(torch.linalg.matrix_norm(W.to(torch.float64), ord=2))
    rate = _sigma_prime_max(activation, sigma_prime_max) * mu_max
    return _powers(rate, _check_steps(steps), "sigma_prime_max * mu_max (the largest singular value of W)")


# ---------------------------------------------------------------------- the path view (ReLU)


def enabled_paths(W, active) -> tuple[Tensor, Tensor]:
    r"""The ReLU path view of :math:`\partial a_t/\partial a_k` (thesis section 1.6, eq. 1.72, figs. 1.11-1.12).

    For ReLU, :math:`D_i = \operatorname{diag}(\mathbb 1[a_i > 0])` only switches units on or off, so

    .. math::

        \frac{\partial a_t}{\partial a_k} = W D_{t-1}\, W D_{t-2} \cdots W D_k,
        \qquad
        \Bigl(\frac{\partial a_t}{\partial a_k}\Bigr)_{ij}
        = \sum_{\text{enabled paths } j \to i} \; \prod_{\text{edges}} w,

    where a path goes from unit :math:`j` at step :math:`k` to unit :math:`i` at step :math:`t`
    through one unit at each step in between, along nonzero weights, and is *enabled* if every
    unit it leaves (at steps :math:`k, \dots, t-1`) is active. The number of enabled paths is
    the same product with :math:`W` replaced by its 0/1 pattern :math:`M = \mathbb 1[W \ne 0]`.
    With every unit active and :math:`W` dense there are :math:`d^{\,t-k-1}` paths (for :math:`t > k`) and the
    Jacobian is :math:`W^{t-k}`; in general :math:`|(\partial a_t/\partial a_k)_{ij}| \le
    (|W|^{t-k})_{ij}` (the thesis writes :math:`|((W^{rec})^{t-k-1})_{ij}|`: the absolute values
    belong inside the power, and the exponent is the number of factors, :math:`t - k`).

    Parameters
    ----------
    W
        The ``(d, d)`` recurrent matrix (or an :class:`~srnbook.srn.SRN`).
    active
        ``(..., n, d)`` booleans: ``active[..., m, j]`` says whether unit ``j`` is active at step
        :math:`k + m` (the diagonal of :math:`D_{k+m}`), for :math:`m = 0, \dots, n-1`, in time
        order; for a ReLU SRN, ``model(x).a[:, k:t] > 0``.

    Returns
    -------
    (jacobian, count)
        ``(..., d, d)`` float :math:`\partial a_t/\partial a_k` with :math:`t = k + n` and the
        ``(..., d, d)`` int64 numbers of enabled paths (the identity when ``n = 0``).
    """
    W = _check_square(W)
    if not isinstance(active, torch.Tensor) or active.dim() < 2 or active.shape[-1] != W.shape[0]:
        shape = tuple(active.shape) if isinstance(active, torch.Tensor) else type(active).__name__
        raise ValueError(f"active must be a (..., n, {W.shape[0]}) boolean tensor, got {shape}")
    if active.dtype != torch.bool:
        raise ValueError(f"active must have dtype torch.bool (e.g. a > 0), got {active.dtype}")
    d = W.shape[0]
    batch = active.shape[:-2]
    jac = torch.eye(d, dtype=W.dtype, device=W.device).expand(*batch, d, d)
    count = torch.eye(d, dtype=torch.int64, device=W.device).expand(*batch, d, d)
    M = (W != 0).to(torch.int64)
    for m in range(active.shape[-2]):  # left-multiply by W D_{k+m}, oldest factor first
        on = active[..., m, :]
        jac = W @ (on.unsqueeze(-1).to(W.dtype) * jac)
        count = M @ (on.unsqueeze(-1).to(torch.int64) * count)
    return jac, count


# ---------------------------------------------------------------------- temporal components


def temporal_components(model: SRN, x: Tensor, loss_fn: Callable[[Tensor], Tensor], *,
                        h0: Tensor | None = None, outputs: str = "last") -> dict[str, Tensor]:
    r"""The gradient :math:`\nabla L` split into the contributions of each time step.

    With :math:`\delta_t = \partial L/\partial a_t` from the book's BPTT,
    :math:`\delta_t = \operatorname{diag}(\sigma'(a_t))(\bar h_t + W^\top \delta_{t+1})`,

    .. math::

        \frac{\partial L}{\partial W} = \sum_{k=1}^T \delta_k h_{k-1}^\top, \quad
        \frac{\partial L}{\partial U} = \sum_{k=1}^T \delta_k x_k^\top, \quad
        \frac{\partial L}{\partial b} = \sum_{k=1}^T \delta_k, \quad
        \frac{\partial L}{\partial V} = \sum_{k=1}^T \frac{\partial L}{\partial z_k} h_k^\top, \quad
        \frac{\partial L}{\partial c} = \sum_{k=1}^T \frac{\partial L}{\partial z_k}

    (:math:`z_k = V h_k + c`). Term :math:`k` is the *temporal component*
    :math:`\nabla L_{|k}`: the gradient with respect to the copy of the parameters used at step
    :math:`k` of the unfolded network (slides eq. 27; thesis eqs. 1.37-1.41, where
    :math:`\partial a_t/\partial a_k` carries the signal from :math:`t` back to :math:`k`). The
    components of a batch are summed over the batch, like the loss.

    Parameters
    ----------
    model, x, h0
        As for :meth:`SRN.forward` (``x`` is ``(B, T, u)``, no padding).
    loss_fn
        Maps the outputs to a scalar loss: with ``outputs="last"`` (default) it receives
        :math:`\hat y_T`, ``(B, o)``; with ``outputs="all"`` every output ``(B, T, o)``.
        Close over the targets, e.g. ``lambda y: ((y - target) ** 2).sum()``.

    Returns
    -------
    dict
        ``{name: (T, *param.shape)}`` for ``U, W, V, b, c`` (the names of
        ``model.named_parameters()``); summing over the first dimension gives the gradient.
        With ``outputs="last"`` only the last component of ``V`` and ``c`` is nonzero.
    """
    model = _check_srn(model)
    x, h, h_prev, _, gz, _, delta = _backward_signals(model, x, loss_fn, h0, outputs)
    return {
        "U": torch.einsum("bti,btj->tij", delta, x),
        "W": torch.einsum("bti,btj->tij", delta, h_prev),
        "V": torch.einsum("bto,btj->toj", gz, h),
        "b": delta.sum(0),
        "c": gz.sum(0),
    }


# ---------------------------------------------------------------------- clipping


def clip_grad_norm_(parameters, threshold: float, *, error_if_nonfinite: bool = False) -> Tensor:
    r"""Gradient norm clipping, Pascanu, Mikolov & Bengio (2013), Algorithm 1.

    With :math:`\hat g = \nabla_\theta L` (every ``.grad`` of ``parameters``, as one vector):
    if :math:`\|\hat g\| \ge` ``threshold`` then :math:`\hat g \leftarrow
    \frac{\text{threshold}}{\|\hat g\|}\hat g` (thesis Algorithm 2, slides Algorithm 2), so the
    direction is kept and the norm becomes exactly ``threshold``. Returns the norm *before*
    clipping.

    The norm is :func:`torch.nn.utils.get_total_norm` (L2). The scaling is exact: unlike
    :func:`torch.nn.utils.clip_grad_norm_`, which multiplies by
    :math:`\text{threshold}/(\|\hat g\| + 10^{-6})`, no :math:`10^{-6}` is added. Pascanu et al.
    suggest a threshold between half and ten times the average gradient norm.
    """
    threshold = check_positive_float(threshold, "threshold")
    error_if_nonfinite = check_bool(error_if_nonfinite, "error_if_nonfinite")
    parameters = _check_parameters(parameters, "parameters")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = nn.utils.get_total_norm(grads, 2.0, error_if_nonfinite=error_if_nonfinite)
    if norm >= threshold:
        scale = threshold / norm
        with torch.no_grad():
            for g in grads:
                g.mul_(scale.to(g.dtype))
    return norm


def _check_parameters(parameters, name: str) -> list[Tensor]:
    """A tensor or an iterable of tensors (``model.parameters()``), as a list."""
    if isinstance(parameters, torch.Tensor):
        return [parameters]
    if not isinstance(parameters, Iterable) or isinstance(parameters, str):
        raise ArgumentTypeError(f"{name} must be a tensor or an iterable of tensors, "
                                f"got {type(parameters).__name__}")
    parameters = list(parameters)
    for i, p in enumerate(parameters):
        check_instance(p, f"{name}[{i}]", torch.Tensor, "a torch.Tensor")
    return parameters


# ---------------------------------------------------------------------- Pascanu's Omega


def omega(model: SRN, x: Tensor, loss_fn: Callable[[Tensor], Tensor], *, h0: Tensor | None = None,
          outputs: str = "last", state: str = "h", immediate: bool = True,
          reduction: str = "mean") -> Tensor:
    r"""Pascanu's regularizer :math:`\Omega` (thesis eq. 2.17; Pascanu et al. 2013, eq. 9), differentiable in :math:`W`.

    .. math::

        \Omega = \sum_{k=1}^{T-1} \left(
            \frac{\bigl\|\frac{\partial L}{\partial h_{k+1}} \frac{\partial h_{k+1}}{\partial h_k}\bigr\|}
                 {\bigl\|\frac{\partial L}{\partial h_{k+1}}\bigr\|} - 1 \right)^2,
        \qquad
        \frac{\partial L}{\partial h_{k+1}} \frac{\partial h_{k+1}}{\partial h_k}
        = \Bigl(\frac{\partial L}{\partial h_{k+1}}\Bigr)^{\!\top} D_{k+1} W,

    where :math:`\partial L/\partial h_{k+1}` is the *total* derivative that BPTT delivers (a row
    vector). :math:`\Omega = 0` when every backward step preserves the norm of the error signal in
    the direction it actually has. The sum starts at :math:`k = 1`: :math:`h_0` is an initial
    state, not a state of the network. Steps where :math:`\partial L/\partial h_{k+1} = 0`
    (the quotient is undefined) contribute 0.

    ``state="a"`` uses Pascanu's own state variable instead: their parametrization
    :math:`x_t = W_{rec}\sigma(x_{t-1}) + W_{in}u_t + b` makes :math:`x_t` our pre-activation
    :math:`a_t`, and the term becomes :math:`\|\delta_{k+1}^\top W D_k\| / \|\delta_{k+1}\|`.
    (Pascanu et al., eq. 5, write :math:`\partial x_{k+1}/\partial x_k = W_{rec}^\top
    \operatorname{diag}(\sigma'(x_k))`; the Jacobian of their map is
    :math:`W_{rec}\operatorname{diag}(\sigma'(x_k))`, which is what is used here.)

    Differentiating :math:`\Omega`: following Pascanu et al., :math:`\partial L/\partial h_{k+1}`
    is a constant (it is computed here by BPTT and detached). With ``immediate=True`` (default),
    as in their paper, the states, hence the :math:`D`, are constants too, so only the explicit
    :math:`W` carries a gradient (:math:`\partial^+\Omega/\partial W`); ``U, b, V, c`` get none.
    With ``immediate=False`` the :math:`D` stay in the graph and :math:`\Omega` also reaches
    ``U``, ``b`` and, through the states, ``W`` a second way.

    ``loss_fn``, ``outputs`` and ``h0`` are as in :func:`temporal_components`. ``reduction``
    (``"mean"`` or ``"sum"``) combines the :math:`\Omega` of the sequences of the batch.
    Add :math:`\lambda\Omega` to the loss (thesis eq. 2.16).
    """
    model = _check_srn(model)
    check_choice(state, "state", ("h", "a"))
    check_choice(reduction, "reduction", ("mean", "sum"))
    immediate = check_bool(immediate, "immediate")
    _, _, _, s, _, g_h, delta = _backward_signals(model, x, loss_fn, h0, outputs)
    if s.shape[1] < 2:  # no pair of states: Omega = 0, still differentiable in W
        return (model.W * 0).sum()
    if not immediate:
        out = model(x, h0=h0)
        s = model.activation.derivative(out.a, out.h)
    W = model.W
    if state == "h":
        error = g_h[:, 1:]  # dL/dh_{k+1}
        back = (s[:, 1:] * error) @ W  # (dL/dh_{k+1})^T D_{k+1} W
    else:
        error = delta[:, 1:]  # dL/da_{k+1}
        back = (error @ W) * s[:, :-1]  # delta_{k+1}^T W D_k
    den = torch.linalg.vector_norm(error, dim=-1)
    live = den > 0
    ratio = torch.linalg.vector_norm(back, dim=-1) / torch.where(live, den, torch.ones_like(den))
    terms = torch.where(live, (ratio - 1) ** 2, torch.zeros_like(ratio))
    per_sequence = terms.sum(dim=1)
    return per_sequence.mean() if reduction == "mean" else per_sequence.sum()


# ---------------------------------------------------------------------- normalized temporal components


def simplex_weights(n: int, *, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float64) -> Tensor:
    r"""``n`` weights drawn uniformly from the simplex, Dirichlet(1, ..., 1).

    :math:`\beta_i = E_i / \sum_j E_j` with independent :math:`E_i \sim \text{Exp}(1)`.
    """
    n = check_positive_int(n, "n")
    dtype = check_dtype(dtype)
    check_memory(n * dtype.itemsize, f"{n} weights", "n")
    e = torch.empty(n, dtype=dtype).exponential_(generator=_check_generator(generator))
    return e / e.sum()


def normalized_direction(components: Sequence[Tensor], weights: Tensor | None = None, *,
                         generator: torch.Generator | None = None) -> tuple[list[Tensor], Tensor]:
    r"""Galvan's direction from normalized temporal components (slides, eqs. 28-30).

    With the temporal components :math:`\nabla L_{|t}` (one vector over *all* parameters per
    step :math:`t`; :func:`temporal_components`) and :math:`\nabla L = \sum_t \nabla L_{|t}`:

    .. math::

        g_t = \frac{\nabla L_{|t}}{\|\nabla L_{|t}\|}, \qquad
        g = \sum_t \beta_t\, g_t, \qquad
        d = \|\nabla L\|\,\frac{g}{\|g\|},

    with :math:`\beta` drawn uniformly from the simplex at every call (or given as ``weights``).
    (The slides write :math:`\nabla L_t`, the name of the loss at step :math:`t` in their eq. 7,
    for what eq. 27 calls :math:`\nabla L_{|t}`, and reuse :math:`g_t`, the name of the loss of
    step :math:`t` on the previous slides.) The step is :math:`\theta \leftarrow \theta - \eta d`:
    :math:`d` has the norm of the gradient and gives every time step a say in its direction, so
    long-term components, however small, are not drowned by short-term ones.

    Components with zero norm have no direction: they get weight 0 and :math:`\beta` is drawn
    over the others. If every component is zero, :math:`d = 0`; if the normalized components
    cancel (:math:`g = 0`), :math:`d = \nabla L`. With a single nonzero component,
    :math:`d = \nabla L`.

    :math:`d` need not be a descent direction: :math:`\nabla L^\top d > 0` holds when every
    component has :math:`\nabla L^\top \nabla L_{|t} > 0`, but a component pointing against the
    gradient, given enough weight, can make :math:`\nabla L^\top d < 0`.

    Parameters
    ----------
    components
        One ``(T, *shape)`` tensor per parameter (the same ``T`` for all).
    weights
        Optional ``(T,)`` nonnegative weights summing to 1 (used as given, after zeroing the
        weights of zero components and renormalizing).
    generator
        Seeds the draw of :math:`\beta`.

    Returns
    -------
    (direction, weights)
        ``direction``: one tensor per parameter, shaped like the parameter; ``weights``: the
        ``(T,)`` float64 :math:`\beta` used.
    """
    comps = _check_components(components)
    generator = _check_generator(generator)
    T = comps[0].shape[0]
    norms = torch.sqrt(sum(c.reshape(T, -1).to(torch.float64).pow(2).sum(1) for c in comps))
    full = [c.sum(0) for c in comps]
    full_norm = torch.sqrt(sum(f.to(torch.float64).pow(2).sum() for f in full))
    live = norms > 0
    beta = torch.zeros(T, dtype=torch.float64)
    if not bool(live.any()):
        return [torch.zeros_like(f) for f in full], beta
    if weights is None:
        beta[live] = simplex_weights(int(live.sum()), generator=generator)
    else:
        weights = check_tensor(weights, "weights", ndim=1).detach().to(torch.float64)
        on_simplex = bool((weights >= 0).all()) and math.isclose(float(weights.sum()), 1.0, rel_tol=1e-9)
        if weights.shape[0] != T or not on_simplex:
            raise ValueError(f"weights must be {T} nonnegative numbers summing to 1, got {weights.tolist()}")
        beta = torch.where(live, weights, torch.zeros_like(weights))
        if float(beta.sum()) == 0:
            raise ValueError("weights give no weight to any nonzero component")
        beta = beta / beta.sum()
    scale = torch.where(live, beta / torch.where(live, norms, torch.ones_like(norms)), torch.zeros_like(norms))
    g = [torch.tensordot(scale.to(c.dtype), c, dims=1) for c in comps]  # sum_t beta_t g_t
    g_norm = torch.sqrt(sum(v.to(torch.float64).pow(2).sum() for v in g))
    if float(g_norm) == 0:
        return full, beta
    return [(full_norm / g_norm).to(v.dtype) * v for v in g], beta


def _check_components(components) -> list[Tensor]:
    if isinstance(components, torch.Tensor) or not isinstance(components, Sequence) or not components:
        raise ValueError("components must be a nonempty list of (T, *param.shape) tensors, one per parameter")
    comps = [check_tensor(c, f"components[{i}]", ndim=tuple(range(1, 9))) for i, c in enumerate(components)]
    T = comps[0].shape[0]
    if T == 0 or any(c.shape[0] != T for c in comps):
        shapes = [tuple(c.shape) for c in comps]
        raise ValueError(f"components must all have the same positive number of steps T, got shapes {shapes}")
    return comps


class NormalizedComponents(torch.optim.Optimizer):
    r"""Gradient steps along :func:`normalized_direction` (Galvan's slides, eqs. 28-30).

    :math:`\theta \leftarrow \theta - \eta\, d` with
    :math:`d = \|\nabla L\|\, g/\|g\|`, :math:`g = \sum_t \beta_t \nabla L_{|t}/\|\nabla L_{|t}\|`
    and :math:`\beta` drawn from Dirichlet(1, ..., 1) at every step (seeded by ``generator``).
    The norms are taken over all the parameters of the optimizer at once; each parameter group
    may have its own ``lr``.

    The direction needs the temporal components, not ``.grad``, so :meth:`step` takes them:

    >>> opt = NormalizedComponents(model.named_parameters(), lr=0.1)   # doctest: +SKIP
    >>> opt.step(temporal_components(model, x, loss_fn))                # doctest: +SKIP

    ``components`` is either a dict ``{name: (T, *shape)}`` (then build the optimizer from
    ``model.named_parameters()`` so it knows the names), a list of ``(T, *shape)`` tensors in
    the order of the optimizer's parameters, or a callable (a closure) returning one of those.
    :meth:`step` returns the simplex weights it used; they are also kept in ``last_weights``.
    """

    def __init__(self, params, lr: float = 1e-2, *, generator: torch.Generator | None = None):
        lr = check_positive_float(lr, "lr")
        generator = _check_generator(generator)
        if isinstance(params, (torch.Tensor, str)) or not isinstance(params, Iterable):
            raise ArgumentTypeError(f"params must be an iterable of parameters, (name, parameter) pairs or "
                                    f"parameter groups, got {type(params).__name__}")
        super().__init__(params, {"lr": lr})
        for group in self.param_groups:
            for p in group["params"]:
                _check_fits(group["lr"], "lr", p.dtype)
        self.generator = generator
        self.last_weights: Tensor | None = None

    def _ordered(self, components) -> list[Tensor]:
        params = [p for group in self.param_groups for p in group["params"]]
        if isinstance(components, dict):
            names = [n for group in self.param_groups for n in group.get("param_names", [])]
            if len(names) != len(params):
                raise ValueError("components is a dict: build the optimizer from model.named_parameters()")
            missing = [n for n in names if n not in components]
            if missing:
                raise ValueError(f"components has no entry for parameters {missing}")
            components = [components[n] for n in names]
        is_list = isinstance(components, Sequence) and not isinstance(components, torch.Tensor)
        if not is_list or len(components) != len(params):
            raise ValueError(f"components must give one (T, *shape) tensor for each of the {len(params)} parameters")
        for i, (c, p) in enumerate(zip(components, params)):
            if not isinstance(c, torch.Tensor) or tuple(c.shape[1:]) != tuple(p.shape):
                shape = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
                raise ValueError(f"components[{i}] must have shape (T, {', '.join(map(str, p.shape))}), got {shape}")
        return list(components)

    @torch.no_grad()
    def step(self, components=None) -> Tensor:
        """Take one step along the normalized-components direction; return the weights :math:`\\beta`."""
        if components is None:
            raise ValueError("step needs the temporal components (see temporal_components) or a closure returning them")
        if callable(components):
            with torch.enable_grad():
                components = components()
        direction, beta = normalized_direction(self._ordered(components), generator=self.generator)
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(direction[i].to(p.dtype), alpha=-group["lr"])
                i += 1
        self.last_weights = beta
        return beta


# ---------------------------------------------------------------------- initializations

RANDN_MAX = 9.0
"""A bound on :func:`torch.randn` draws (Box-Muller from 53-bit uniforms gives at most 8.6), to
refuse a scale whose draws would overflow the parameters' dtype."""


def _spectral_radius(W: Tensor) -> float:
    return float(torch.linalg.eigvals(W.detach().to(torch.float64)).abs().max())


def spectral_radius(W) -> float:
    r""":math:`\rho(W) = \max_i |\lambda_i(W)|`, the largest modulus of an eigenvalue of ``W``."""
    return _spectral_radius(_check_square(W))


def _rescale_spectral_radius_(W: Tensor, rho: float, dtype: torch.dtype) -> None:
    """Scale ``W`` to spectral radius ``rho``, refused if its entries would overflow ``dtype``."""
    current = _spectral_radius(W)
    if current == 0:
        raise ValueError("W has spectral radius 0 (too sparse: it is nilpotent) and cannot be rescaled; "
                         "use a larger density / nonzero, or another generator seed")
    _check_fits(rho / current, "spectral_radius / rho(W)", dtype, float(W.abs().max()))
    W.mul_(rho / current)


def _sparse_rows_(A: Tensor, nonzero: int, scale: float, generator) -> None:
    """Give each row of ``A`` exactly ``min(nonzero, A.shape[1])`` nonzero entries ``scale * N(0, 1)``."""
    rows, cols = A.shape
    k = min(nonzero, cols)
    keys = torch.rand(rows, cols, generator=generator, dtype=torch.float64)
    chosen = keys.argsort(dim=1)[:, :k]  # k distinct random columns per row
    values = torch.randn(rows, k, generator=generator, dtype=torch.float64)
    while bool((values == 0).any()):  # measure zero, but "exactly k" is the contract
        values[values == 0] = torch.randn(int((values == 0).sum()), generator=generator, dtype=torch.float64)
    A.zero_()
    A.scatter_(1, chosen.to(A.device), (scale * values).to(A.dtype).to(A.device))


@torch.no_grad()
def init_small_random(model: SRN, std: float = 0.01, *, generator: torch.Generator | None = None) -> SRN:
    r"""Small random weights (the slides' "small random weights", as in Pascanu et al. 2013).

    :math:`U, W, V` get independent :math:`\mathcal N(0, \text{std}^2)` entries and
    :math:`b = c = 0`. Returns ``model``, modified in place.
    """
    model = _check_srn(model)
    std = _check_fits(check_positive_float(std, "std"), "std", model.W.dtype, RANDN_MAX)
    generator = _check_generator(generator)
    for p in (model.U, model.W, model.V):
        p.copy_(std * torch.randn(p.shape, generator=generator, dtype=torch.float64))
    model.b.zero_()
    model.c.zero_()
    return model


@torch.no_grad()
def init_sparse(model: SRN, nonzero: int = 15, scale: float = 1.0, spectral_radius: float | None = None, *,
                generator: torch.Generator | None = None) -> SRN:
    r"""Sparse initialization (SI) of Martens (2010), used for RNNs by Sutskever et al. (2013).

    Every unit gets exactly ``nonzero`` nonzero incoming weights (15 in both papers), at random
    positions, drawn from :math:`\text{scale}\cdot\mathcal N(0, 1)`; the other weights and the
    biases are 0. So each row of :math:`U` (``(d, u)``), :math:`W` (``(d, d)``) and :math:`V`
    (``(o, d)``) has ``min(nonzero, fan_in)`` nonzeros: a layer narrower than ``nonzero`` is dense.
    The point (Sutskever et al. 2013, sec. 3.1) is that the total input to a unit does not grow
    with the size of the previous layer, so units do not saturate as easily.

    ``spectral_radius`` (e.g. 1.1, the value of Sutskever et al. 2013, Table 4, for the
    hidden-to-hidden matrix) then rescales :math:`W` to that spectral radius. (Sutskever et al.
    keep :math:`U` and :math:`V` dense, :math:`0.001` or :math:`0.1 \cdot \mathcal N(0, 1)`; for
    tanh units they also set the biases to 0.5 and scale the weights by 0.25.)
    """
    model = _check_srn(model)
    nonzero = check_positive_int(nonzero, "nonzero")
    scale = _check_fits(check_positive_float(scale, "scale"), "scale", model.W.dtype, RANDN_MAX)
    if spectral_radius is not None:
        spectral_radius = check_positive_float(spectral_radius, "spectral_radius")
    generator = _check_generator(generator)
    U, W, V = (p.detach().clone() for p in (model.U, model.W, model.V))  # the model changes only at the end
    for p in (U, W, V):
        _sparse_rows_(p, nonzero, scale, generator)
    if spectral_radius is not None:
        _rescale_spectral_radius_(W, spectral_radius, W.dtype)
    for p, value in zip((model.U, model.W, model.V), (U, W, V)):
        p.copy_(value)
    model.b.zero_()
    model.c.zero_()
    return model


@torch.no_grad()
def init_esn(model: SRN, spectral_radius: float = 0.95, density: float = 1.0, *,
             generator: torch.Generator | None = None) -> SRN:
    r"""Echo-state-network-like :math:`W` (Jaeger 2001; Lukoševičius & Jaeger 2009).

    Each entry of :math:`W` is nonzero with probability ``density``, with a value uniform in
    :math:`[-1, 1]`; then :math:`W` is rescaled so that its spectral radius
    :math:`\rho(W) = \max_i |\lambda_i(W)|` equals ``spectral_radius``. For tanh, :math:`\rho < 1`
    is the classical recipe for the echo state property (a heuristic, not a guarantee); Sutskever
    et al. (2013) use 1.1 to start trained RNNs just past the edge. Only :math:`W` changes.
    Raises ``ValueError`` if the draw is nilpotent (spectral radius 0, possible for a small, very
    sparse :math:`W`).
    """
    model = _check_srn(model)
    rho = check_positive_float(spectral_radius, "spectral_radius")
    density = check_positive_float(density, "density")
    if density > 1:
        raise ValueError(f"density must lie in (0, 1], got {density!r}")
    generator = _check_generator(generator)
    shape = model.W.shape
    values = 2 * torch.rand(shape, generator=generator, dtype=torch.float64) - 1
    keep = torch.rand(shape, generator=generator, dtype=torch.float64) < density
    W = values * keep
    _rescale_spectral_radius_(W, rho, model.W.dtype)
    model.W.copy_(W)
    return model


@torch.no_grad()
def init_identity(model: SRN, scale: float = 1.0) -> SRN:
    r"""IRNN initialization (Le, Jaitly & Hinton, 2015): :math:`W = \text{scale}\cdot I`, :math:`b = 0`.

    Meant for ReLU units: with :math:`W = I`, :math:`b = 0` and small inputs, each unit starts by
    copying its state, :math:`\partial a_t/\partial a_k = D_{t-1}\cdots D_k` has entries 0 or 1,
    and the gradient neither vanishes nor explodes along active units. Le et al. use a scaled
    identity (``scale < 1``) for tasks with shorter dependencies. :math:`U, V, c` are left as they
    are (the paper draws the other weights small: :func:`init_small_random` first).
    """
    model = _check_srn(model)
    scale = _check_fits(check_positive_float(scale, "scale"), "scale", model.W.dtype)
    model.W.copy_(scale * torch.eye(model.hidden_size, dtype=model.W.dtype, device=model.W.device))
    model.b.zero_()
    return model


@torch.no_grad()
def init_orthogonal(model: SRN, gain: float = 1.0, *, generator: torch.Generator | None = None) -> SRN:
    r"""Random orthogonal :math:`W` times ``gain`` (Saxe, McClelland & Ganguli, 2014).

    :math:`W = \text{gain}\cdot Q`, :math:`Q^\top Q = I`, drawn by
    :func:`torch.nn.init.orthogonal_` (QR of a Gaussian matrix). Every singular value of
    :math:`W` is ``gain``, so :math:`\mu_{max} = \text{gain}` in :func:`singular_value_bound`.
    Only :math:`W` changes.
    """
    model = _check_srn(model)
    gain = _check_fits(check_positive_float(gain, "gain"), "gain", model.W.dtype)
    generator = _check_generator(generator)
    Q = torch.empty(model.W.shape, dtype=torch.float64)
    nn.init.orthogonal_(Q, gain=1.0, generator=generator)
    model.W.copy_(gain * Q)
    return model
