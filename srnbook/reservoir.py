r"""Reservoir computing: echo state networks (Jaeger 2001) with leaky-integrator units.

An echo state network (ESN) is an SRN whose input and recurrent weights are drawn at
random and never trained; only a linear readout is fitted, in closed form. In the
book's notation, with reservoir size :math:`d` (Jaeger's :math:`N`), input size :math:`u`
and leak rate :math:`\alpha \in (0, 1]`,

.. math::

    h_t = (1 - \alpha)\, h_{t-1} + \alpha\, \sigma(U x_t + W h_{t-1} + b),
    \qquad \hat y_t = V h_t + c,

the leaky-integrator ESN of Jaeger, Lukoševičius, Popovici & Siewert (2007) with their
leaking rate :math:`a = 1` and :math:`\gamma = \alpha`, written as in Lukoševičius's practical
guide (2012). With :math:`\alpha = 1` it is the SRN of Definition 1. Galvan's thesis
(2015, eq. 2.27) writes :math:`h_t = (1 - \alpha)\sigma(W h_t + U x_t + b) + \alpha h_{t-1}`:
its :math:`h_t` inside :math:`\sigma` is a typo for :math:`h_{t-1}`, and its :math:`\alpha` is
our :math:`1 - \alpha` (its prose, "a small value of :math:`\alpha` makes the reservoir react slowly", matches the
convention used here, not its equation).

* :func:`make_reservoir` draws :math:`W` sparse (each entry nonzero with probability
  ``density``, nonzeros uniform in :math:`[-1, 1]` or standard normal, or a random
  orthogonal matrix) and rescales it to a chosen spectral radius :math:`\rho(W)`; the
  input weights :math:`U` are uniform in :math:`[-s, s]` for an input scale :math:`s`.
* :meth:`Reservoir.run` drives it; :func:`fit_readout` fits :math:`(V, c)` by ridge
  regression (:func:`ridge_regression`, the regularized normal equations).
* The echo state property (Jaeger 2001): :func:`echo_state_distance`,
  :func:`has_echo_states`, :func:`echo_state_sweep`, :func:`critical_spectral_radius`,
  and the sufficient condition :meth:`Reservoir.contraction_factor`.
* :func:`memory_capacity` is Jaeger's (2002) short-term memory capacity.
* :func:`fit_task` and :func:`esn_on_task` train readouts on the long-time-lag tasks of
  :mod:`srnbook.tasks`.

Everything defaults to ``torch.float64``; every draw is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple, Sequence

import numpy as np
import torch

from ._validation import (ArgumentTypeError, check_choice, check_dtype, check_float, check_float_sequence,
                          check_instance, check_int, check_memory, check_positive_float, check_positive_int,
                          check_seed, check_tensor)
from .tasks import TASKS, Batch, success_rate

Tensor = torch.Tensor

ACTIVATIONS = {"tanh": torch.tanh, "identity": lambda a: a}
"""The reservoir activations :math:`\\sigma`: ``tanh`` (the ESN) or ``identity`` (a linear reservoir)."""

WEIGHTS = ("uniform", "normal", "orthogonal")
"""How the nonzeros of :math:`W` are drawn before rescaling (see :func:`make_reservoir`)."""


def _check_leak(leak, name: str = "leak") -> float:
    return check_float(leak, name, low=0, high=1, low_open=True)


def _spectral_radius(W: Tensor) -> float:
    return float(torch.linalg.eigvals(W).abs().max())


# ---------------------------------------------------------------------- the reservoir


@dataclass(frozen=True, eq=False)
class Reservoir:
    r"""A fixed random reservoir :math:`h_t = (1 - \alpha) h_{t-1} + \alpha \sigma(U x_t + W h_{t-1} + b)`.

    Attributes
    ----------
    U
        ``(d, u)`` input weights.
    W
        ``(d, d)`` recurrent weights.
    b
        ``(d,)`` bias.
    leak
        The leak rate :math:`\alpha \in (0, 1]`.
    activation
        A key of :data:`ACTIVATIONS`.
    """

    U: Tensor
    W: Tensor
    b: Tensor
    leak: float = 1.0
    activation: str = "tanh"

    def __post_init__(self):
        W = check_tensor(self.W, "W", ndim=2)
        d = W.shape[0]
        if d == 0 or W.shape != (d, d):
            raise ValueError(f"W must be a square (d, d) matrix, got shape {tuple(W.shape)}")
        U = check_tensor(self.U, "U", ndim=2)
        if U.shape[0] != d or U.shape[1] == 0 or U.dtype != W.dtype:
            raise ValueError(f"U must have shape ({d}, u) with u >= 1 and the dtype of W ({W.dtype}), "
                             f"got shape {tuple(U.shape)} and dtype {U.dtype}")
        b = check_tensor(self.b, "b", ndim=1)
        if b.shape != (d,) or b.dtype != W.dtype:
            raise ValueError(f"b must have shape ({d},) and the dtype of W ({W.dtype}), "
                             f"got shape {tuple(b.shape)} and dtype {b.dtype}")
        _check_leak(self.leak)
        check_choice(self.activation, "activation", tuple(ACTIVATIONS))

    @property
    def size(self) -> int:
        """The number of reservoir units :math:`d`."""
        return self.W.shape[0]

    @property
    def input_size(self) -> int:
        """The input size :math:`u`."""
        return self.U.shape[1]

    @property
    def dtype(self) -> torch.dtype:
        return self.W.dtype

    @property
    def spectral_radius(self) -> float:
        r""":math:`\rho(W) = \max_i |\lambda_i(W)|`."""
        return _spectral_radius(self.W)

    @property
    def largest_singular_value(self) -> float:
        r""":math:`\sigma_{\max}(W) = \|W\|_2`."""
        return float(torch.linalg.matrix_norm(self.W, ord=2))

    @property
    def contraction_factor(self) -> float:
        r""":math:`(1 - \alpha) + \alpha\, \sigma_{\max}(W)`, a Lipschitz constant of the state map.

        For a fixed input :math:`x` the map :math:`F(h) = (1 - \alpha) h + \alpha \sigma(U x + W h + b)`
        satisfies :math:`\|F(h) - F(h')\| \le ((1 - \alpha) + \alpha\, \sigma_{\max}(W)) \|h - h'\|`
        because :math:`\sigma` is 1-Lipschitz (``tanh`` and ``identity``). When it is below 1 the map
        is a contraction for every input, so two runs from any two states approach each other at
        least geometrically: the echo state property holds (Jaeger 2001, for the case of
        no leak, :math:`\alpha = 1`).
        """
        return (1 - self.leak) + self.leak * self.largest_singular_value

    def with_spectral_radius(self, spectral_radius: float) -> "Reservoir":
        r"""The same reservoir with :math:`W` rescaled so that :math:`\rho(W)` = ``spectral_radius``
        (positive; a rescaled :math:`W` that overflows the dtype is refused)."""
        rho = check_positive_float(spectral_radius, "spectral_radius")
        current = self.spectral_radius
        if current < 1e-12:
            raise ValueError("spectral_radius cannot be set: W has spectral radius 0 (nilpotent)")
        return replace(self, W=_finite(self.W * (rho / current), "spectral_radius", rho))

    def with_leak(self, leak: float) -> "Reservoir":
        r"""The same reservoir with leak rate :math:`\alpha` = ``leak``."""
        return replace(self, leak=_check_leak(leak))

    def run(self, x: Tensor, h0: Tensor | None = None) -> Tensor:
        r"""The states :math:`h_1, \dots, h_T` for inputs :math:`x_1, \dots, x_T`.

        Parameters
        ----------
        x
            ``(B, T, u)`` or ``(T, u)`` inputs, of the reservoir's dtype.
        h0
            ``(B, d)`` or ``(d,)`` initial states :math:`h_0`; zero if not given.

        Returns
        -------
        Tensor
            ``(B, T, d)`` states (``(T, d)`` for a ``(T, u)`` input). States that overflow the
            dtype (a linear reservoir with :math:`\rho(W) > 1` diverges) are refused.
        """
        x = check_tensor(x, "x", ndim=(2, 3))
        single = x.dim() == 2
        if single:
            x = x.unsqueeze(0)
        B, T, u = x.shape
        if u != self.input_size or T == 0 or B == 0 or x.dtype != self.dtype:
            raise ValueError(f"x must have shape (B, T, {self.input_size}) with B, T >= 1 and the "
                             f"reservoir's dtype {self.dtype}, got shape {tuple(x.shape)} and dtype "
                             f"{x.dtype}")
        check_memory(2 * B * T * self.size * x.element_size(), "the states", "x")
        h = self._initial(h0, B)
        drive = (x @ self.U.T + self.b).transpose(0, 1).contiguous()  # (T, B, d): U x_t + b
        Wt, alpha, tanh = self.W.T.contiguous(), self.leak, self.activation == "tanh"
        states = torch.empty(T, B, self.size, dtype=self.dtype)
        for t in range(T):
            a = torch.addmm(drive[t], h, Wt)  # a_t = U x_t + W h_{t-1} + b
            if tanh:
                a = torch.tanh(a) if a.requires_grad else torch.tanh(a, out=a)
            h = a if alpha == 1 else torch.lerp(h, a, alpha)  # (1 - alpha) h_{t-1} + alpha sigma(a_t)
            states[t] = h
        if not bool(torch.isfinite(states).all()):
            raise ValueError(f"the states driven by x overflow {self.dtype} (spectral radius "
                             f"{self.spectral_radius:g}, activation {self.activation!r}): the reservoir "
                             f"diverges on this input")
        states = states.transpose(0, 1)
        return states[0] if single else states

    def _initial(self, h0, B: int) -> Tensor:
        if h0 is None:
            return torch.zeros(B, self.size, dtype=self.dtype)
        h0 = check_tensor(h0, "h0", ndim=(1, 2))
        if h0.shape[-1] != self.size or (h0.dim() == 2 and h0.shape[0] != B) or h0.dtype != self.dtype:
            raise ValueError(f"h0 must have shape ({B}, {self.size}) or ({self.size},) and the reservoir's "
                             f"dtype {self.dtype}, got shape {tuple(h0.shape)} and dtype {h0.dtype}")
        return h0.expand(B, self.size).clone()


def _finite(t: Tensor, name: str, value: float) -> Tensor:
    """``t`` if every entry is finite; else an error blaming the scale ``name``."""
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} = {value!r} makes the weights overflow {t.dtype}")
    return t


def make_reservoir(input_size: int, size: int, spectral_radius: float = 0.9, leak: float = 1.0, *,
                   density: float = 0.1, input_scale: float = 1.0, bias_scale: float = 0.0,
                   weights: str = "uniform", activation: str = "tanh", seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> Reservoir:
    r"""A random reservoir with :math:`\rho(W)` = ``spectral_radius`` (Jaeger 2001; Lukoševičius & Jaeger 2009).

    Each entry of :math:`W` is nonzero with probability ``density`` (independently), drawn
    uniform in :math:`[-1, 1]` (``weights="uniform"``) or :math:`\mathcal N(0, 1)`
    (``"normal"``); ``"orthogonal"`` draws a random orthogonal matrix (QR of a Gaussian matrix,
    signs fixed; ``density`` must be 1). Then :math:`W \leftarrow W \cdot \rho / \rho(W)`. The
    input weights :math:`U` are dense, uniform in :math:`[-s, s]` with :math:`s` = ``input_scale``,
    and the bias :math:`b` is uniform in :math:`[-\beta, \beta]` with :math:`\beta` = ``bias_scale``
    (0 by default). All from one ``torch.Generator`` seeded by ``seed``.

    Parameters
    ----------
    input_size, size
        The input size :math:`u` and the reservoir size :math:`d`.
    spectral_radius
        The spectral radius :math:`\rho(W) > 0` after rescaling.
    leak
        The leak rate :math:`\alpha \in (0, 1]`.
    density
        The probability :math:`p \in (0, 1]` that an entry of :math:`W` is nonzero.
    input_scale, bias_scale
        The scales :math:`s > 0` and :math:`\beta \ge 0`.
    weights
        One of :data:`WEIGHTS`.
    activation
        A key of :data:`ACTIVATIONS`.
    seed
        A nonnegative integer.
    dtype
        ``torch.float64`` or ``torch.float32``.
    """
    u = check_positive_int(input_size, "input_size")
    d = check_positive_int(size, "size")
    check_memory(8 * d * (6 * d + u), "the weights", "size and input_size")
    rho = check_positive_float(spectral_radius, "spectral_radius")
    leak = _check_leak(leak)
    density = check_float(density, "density", low=0, high=1, low_open=True)
    s = check_positive_float(input_scale, "input_scale")
    beta = check_positive_float(bias_scale, "bias_scale", allow_zero=True)
    check_choice(weights, "weights", WEIGHTS)
    check_choice(activation, "activation", tuple(ACTIVATIONS))
    dtype = check_dtype(dtype, allowed=(torch.float64, torch.float32))
    if weights == "orthogonal" and density != 1:
        raise ValueError(f"density must be 1 for weights='orthogonal', got {density!r}")
    g = torch.Generator().manual_seed(check_seed(seed))
    f64 = torch.float64
    if weights == "orthogonal":
        Q, R = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=f64))
        W = Q * torch.sign(torch.diagonal(R))  # Haar-distributed (Mezzadri 2007)
    else:
        values = 2 * torch.rand(d, d, generator=g, dtype=f64) - 1 if weights == "uniform" \
            else torch.randn(d, d, generator=g, dtype=f64)
        W = values * (torch.rand(d, d, generator=g, dtype=f64) < density)
    current = _spectral_radius(W)
    if current < 1e-12:
        raise ValueError("the drawn W has spectral radius 0 (too sparse: nilpotent) and cannot be rescaled; "
                         "use a larger density or size, or another seed")
    W = _finite((W * (rho / current)).to(dtype), "spectral_radius", rho)
    U = _finite((s * (2 * torch.rand(d, u, generator=g, dtype=f64) - 1)).to(dtype), "input_scale", s)
    b = _finite((beta * (2 * torch.rand(d, generator=g, dtype=f64) - 1)).to(dtype), "bias_scale", beta)
    return Reservoir(U, W, b, leak, activation)


# ---------------------------------------------------------------------- the readout


@dataclass(frozen=True, eq=False)
class Readout:
    r"""A linear readout :math:`\hat y = V h + c`.

    Attributes
    ----------
    V
        ``(o, d)`` output weights.
    c
        ``(o,)`` output bias.
    """

    V: Tensor
    c: Tensor

    def __post_init__(self):
        V = check_tensor(self.V, "V", ndim=2)
        if V.numel() == 0:
            raise ValueError(f"V must have shape (o, d) with o, d >= 1, got {tuple(V.shape)}")
        c = check_tensor(self.c, "c", ndim=1)
        if c.shape != (V.shape[0],) or c.dtype != V.dtype:
            raise ValueError(f"c must have shape ({V.shape[0]},) and the dtype of V ({V.dtype}), "
                             f"got shape {tuple(c.shape)} and dtype {c.dtype}")

    def predict(self, states: Tensor) -> Tensor:
        r""":math:`V h + c` for ``states`` of shape ``(..., d)``, in the dtype of ``V``: ``(..., o)``."""
        states = check_tensor(states, "states", ndim=(1, 2, 3))
        if states.shape[-1] != self.V.shape[1] or states.dtype != self.V.dtype or states.numel() == 0:
            raise ValueError(f"states must have last dimension d = {self.V.shape[1]} and the dtype of V "
                             f"({self.V.dtype}), got shape {tuple(states.shape)} and dtype {states.dtype}")
        return states @ self.V.T + self.c


def ridge_regression(X: Tensor, Y: Tensor, ridge: float = 1e-8) -> tuple[Tensor, Tensor]:
    r"""``(V, c)`` minimizing :math:`\sum_n \|V x_n + c - y_n\|^2 + \lambda \|V\|_F^2`.

    With the bias column :math:`\tilde X = [X, \mathbf 1]` and the penalty matrix :math:`R =
    \operatorname{diag}(\lambda, \dots, \lambda, 0)` (the bias is not penalized), the regularized
    normal equations :math:`(\tilde X^\top \tilde X + R)\, [V, c]^\top = \tilde X^\top Y` are
    solved (Tikhonov regularization; Lukoševičius & Jaeger 2009).

    Parameters
    ----------
    X
        ``(n, d)`` features (reservoir states).
    Y
        ``(n, o)`` targets, same dtype.
    ridge
        The penalty :math:`\lambda \ge 0`.
    """
    X = check_tensor(X, "X", ndim=2)
    Y = check_tensor(Y, "Y", ndim=2)
    if Y.shape[0] != X.shape[0] or X.numel() == 0 or Y.numel() == 0:
        raise ValueError(f"X and Y must have the same number n >= 1 of rows and at least one column, "
                         f"got {tuple(X.shape)} and {tuple(Y.shape)}")
    if Y.dtype != X.dtype:
        raise ValueError(f"Y must have the dtype of X ({X.dtype}), got {Y.dtype}")
    lam = check_positive_float(ridge, "ridge", allow_zero=True)
    check_memory(4 * (X.shape[1] + 1) * (X.shape[0] + X.shape[1] + Y.shape[1] + 1) * X.element_size(),
                 "the normal equations", "X")
    Xt = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1)
    R = torch.full((Xt.shape[1],), lam, dtype=X.dtype)
    R[-1] = 0.0
    A = Xt.T @ Xt + torch.diag(R)
    solution = torch.linalg.lstsq(A, Xt.T @ Y).solution if lam == 0 else torch.linalg.solve(A, Xt.T @ Y)
    return solution[:-1].T.contiguous(), solution[-1].clone()


def fit_readout(states: Tensor, targets: Tensor, ridge: float = 1e-8, washout: int = 0) -> Readout:
    r"""Fit :math:`(V, c)` by :func:`ridge_regression` on the states after a washout.

    Parameters
    ----------
    states
        ``(B, T, d)`` or ``(T, d)`` reservoir states, or ``(n, d)`` feature rows with ``washout=0``.
    targets
        ``(B, T, o)`` / ``(T, o)`` / ``(n, o)``, matching ``states``.
    ridge
        The penalty :math:`\lambda \ge 0`.
    washout
        The first ``washout`` steps of each sequence are dropped (their states still depend on
        the initial state :math:`h_0`); ``0 <= washout < T``.
    """
    states = check_tensor(states, "states", ndim=(2, 3))
    targets = check_tensor(targets, "targets", ndim=states.dim())
    if targets.shape[:-1] != states.shape[:-1] or targets.dtype != states.dtype:
        raise ValueError(f"targets must have shape {tuple(states.shape[:-1])} + (o,) and the dtype of states "
                         f"({states.dtype}), got shape {tuple(targets.shape)} and dtype {targets.dtype}")
    washout = check_positive_int(washout, "washout", allow_zero=True)
    T = states.shape[-2]
    if washout >= T:
        raise ValueError(f"washout must be smaller than the number of steps T = {T}, got {washout}")
    X = states[..., washout:, :].reshape(-1, states.shape[-1])
    Y = targets[..., washout:, :].reshape(-1, targets.shape[-1])
    return Readout(*ridge_regression(X, Y, ridge))


# ---------------------------------------------------------------------- the echo state property


def _initial_states(d: int, n: int, scale: float, seed: int, dtype) -> Tensor:
    g = torch.Generator().manual_seed(check_seed(seed))
    return (scale * (2 * torch.rand(n, d, generator=g, dtype=torch.float64) - 1)).to(dtype)


def _check_reservoir(reservoir) -> Reservoir:
    return check_instance(reservoir, "reservoir", Reservoir, "a srnbook.reservoir.Reservoir")


def _check_n_initial(n_initial) -> int:
    return check_int(n_initial, "n_initial", low=2)


def _check_distances(distance: Tensor, scale: float) -> Tensor:
    if not bool(torch.isfinite(distance).all()):
        raise ValueError(f"scale = {scale!r} makes the distances between runs overflow {distance.dtype}")
    return distance


ECHO_OPTIONS = ("n_initial", "scale", "seed")
"""The options of :func:`has_echo_states` and :func:`critical_spectral_radius`, passed to
:func:`echo_state_distance`."""


def _check_tol(tol: float, initial: Tensor) -> float:
    """``tol`` if it is below the largest distance ``initial`` between the initial states."""
    initial = float(initial.detach())
    if not tol < initial:
        raise ValueError(f"tol must be below the distance {initial:g} between the initial states "
                         f"(else every verdict is true), got {tol!r}")
    return tol


def _check_options(options: dict) -> dict:
    for name in options:
        if name not in ECHO_OPTIONS:
            raise ArgumentTypeError(f"{name} is not an option of echo_state_distance "
                                    f"(its options: {', '.join(ECHO_OPTIONS)})")
    return options


def _check_input(reservoir: Reservoir, x) -> Tensor:
    _check_reservoir(reservoir)
    x = check_tensor(x, "x", ndim=2, dtype=reservoir.dtype)
    if x.shape[1] != reservoir.input_size or x.shape[0] == 0:
        raise ValueError(f"x must have shape (T, {reservoir.input_size}) with T >= 1, got {tuple(x.shape)}")
    return x


def echo_state_distance(reservoir: Reservoir, x: Tensor, n_initial: int = 4, scale: float = 1.0,
                        seed: int = 0) -> Tensor:
    r""":math:`\max_k \|h^{(k)}_t - h^{(0)}_t\|` for :math:`t = 0, \dots, T`: runs from different states.

    The same input sequence :math:`x_1, \dots, x_T` drives the reservoir from ``n_initial``
    initial states :math:`h^{(k)}_0` drawn uniform in :math:`[-\text{scale}, \text{scale}]^d`
    (seeded). The reservoir has the echo state property for this input when the distances go
    to 0: the state forgets where it started and becomes a function of the input history
    (Jaeger 2001; Yildiz, Jaeger & Kiebel 2012).

    Parameters
    ----------
    reservoir
        A :class:`Reservoir`.
    x
        ``(T, u)`` one input sequence.
    n_initial
        How many initial states, at least 2.
    scale
        Their range, :math:`> 0`.
    seed
        Seed of the initial states.

    Returns
    -------
    Tensor
        ``(T + 1,)`` distances, index 0 at :math:`h_0`.
    """
    x = _check_input(reservoir, x)
    n = _check_n_initial(n_initial)
    check_memory(3 * n * (x.shape[0] + 1) * reservoir.size * x.element_size(), "the runs", "n_initial")
    scale = check_positive_float(scale, "scale")
    h0 = _initial_states(reservoir.size, n, scale, seed, reservoir.dtype)
    h = torch.cat([h0[:, None], reservoir.run(x.expand(n, *x.shape), h0)], dim=1)  # (n, T + 1, d)
    return _check_distances((h[1:] - h[:1]).norm(dim=2).max(dim=0).values, scale)


def has_echo_states(reservoir: Reservoir, x: Tensor, tol: float = 1e-8, **options) -> bool:
    r"""The verdict: the largest :func:`echo_state_distance` at the last step is below ``tol``.

    A finite-time test: "converged to within ``tol`` after :math:`T` steps", so the boundary it
    finds moves slightly with :math:`T` and ``tol`` (convergence is slow near it). ``options``
    go to :func:`echo_state_distance`. ``tol`` must be below the distance of the initial states
    (else every reservoir would pass).
    """
    tol = check_positive_float(tol, "tol")
    distance = echo_state_distance(reservoir, x, **_check_options(options))
    return bool(distance[-1] < _check_tol(tol, distance[0]))


class EchoStateGrid(NamedTuple):
    r"""What :func:`echo_state_sweep` returns.

    Attributes
    ----------
    radii
        ``(R,)`` the spectral radii :math:`\rho`.
    leaks
        ``(L,)`` the leak rates :math:`\alpha`.
    final_distance
        ``(L, R)`` the largest distance between runs at the last step.
    echo
        ``(L, R)`` bool, ``final_distance < tol``.
    tol
        The tolerance of the verdict.
    """

    radii: Tensor
    leaks: Tensor
    final_distance: Tensor
    echo: Tensor
    tol: float


def echo_state_sweep(reservoir: Reservoir, x: Tensor, radii: Sequence[float], leaks: Sequence[float],
                     tol: float = 1e-8, n_initial: int = 4, scale: float = 1.0, seed: int = 0) -> EchoStateGrid:
    r"""The echo-state verdict on a grid of spectral radii :math:`\rho` and leak rates :math:`\alpha`.

    Every cell uses the same reservoir, rescaled to :math:`\rho` (:meth:`Reservoir.with_spectral_radius`)
    and given the leak :math:`\alpha`, the same input ``x`` and the same initial states as
    :func:`echo_state_distance`. All cells run together in one batched loop over time. ``tol``
    must be below the distance of the initial states, and ``leaks`` lie in :math:`(0, 1]`.
    """
    x = _check_input(reservoir, x)
    radii_t = _check_grid(radii, "radii", positive=True)
    leaks_t = _check_grid(leaks, "leaks", leak=True)
    tol = check_positive_float(tol, "tol")
    n = _check_n_initial(n_initial)
    d, dtype = reservoir.size, reservoir.dtype
    check_memory(4 * len(radii_t) * len(leaks_t) * n * d * x.element_size(), "the runs of the grid",
                 "radii, leaks and n_initial")
    scale = check_positive_float(scale, "scale")
    h = _initial_states(d, n, scale, seed, dtype)
    _check_tol(tol, _check_distances((h[1:] - h[:1]).norm(dim=1).max(), scale))
    if reservoir.spectral_radius < 1e-12:
        raise ValueError("reservoir must have a nonzero spectral radius to be rescaled (its W is nilpotent)")
    R, L = len(radii_t), len(leaks_t)
    gain = (radii_t.to(dtype) / reservoir.spectral_radius)[None, :, None, None]  # W_rho = gain * W
    alpha = leaks_t.to(dtype)[:, None, None, None]
    h = h.expand(L, R, n, d).clone()
    drive = x @ reservoir.U.T + reservoir.b
    sigma = ACTIVATIONS[reservoir.activation]
    for t in range(x.shape[0]):
        h = (1 - alpha) * h + alpha * sigma(drive[t] + gain * (h @ reservoir.W.T))
    if not bool(torch.isfinite(h).all()):
        raise ValueError(f"the states driven by x overflow {dtype} for some of the radii (activation "
                         f"{reservoir.activation!r}): the reservoir diverges on this input")
    final = _check_distances((h[:, :, 1:] - h[:, :, :1]).norm(dim=3).max(dim=2).values, scale)
    return EchoStateGrid(radii_t, leaks_t, final, final < tol, tol)


def critical_spectral_radius(reservoir: Reservoir, x: Tensor, low: float = 0.1, high: float = 5.0,
                             steps: int = 30, tol: float = 1e-8, **options) -> float:
    r"""The spectral radius :math:`\rho^*` where the echo-state verdict flips, by bisection.

    Requires :func:`has_echo_states` to hold at :math:`\rho` = ``low`` and to fail at ``high``
    (raises otherwise); each of ``steps`` halvings keeps that bracket, and the midpoint of the
    final bracket is returned (to within ``(high - low) / 2**(steps + 1)``). Bisection assumes
    one flip; :func:`echo_state_sweep` shows whether that is so. ``options`` go to
    :func:`echo_state_distance` (``n_initial``, ``scale``, ``seed``).
    """
    x = _check_input(reservoir, x)
    low = check_positive_float(low, "low")
    high = check_positive_float(high, "high")
    if high <= low:
        raise ValueError(f"high must be larger than low, got low={low!r}, high={high!r}")
    steps = check_positive_int(steps, "steps")
    tol = check_positive_float(tol, "tol")
    options = _check_options(options)

    def echo(rho: float) -> bool:
        return has_echo_states(reservoir.with_spectral_radius(rho), x, tol, **options)

    if not echo(low):
        raise ValueError(f"the echo state property (distance below tol = {tol!r}) must hold at low={low!r}; "
                         f"lower it")
    if echo(high):
        raise ValueError(f"the echo state property (distance below tol = {tol!r}) must fail at "
                         f"high={high!r}; raise it")
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (mid, high) if echo(mid) else (low, mid)
    return (low + high) / 2


def _check_grid(values, name: str, positive: bool = False, leak: bool = False) -> Tensor:
    """A nonempty list of finite numbers, positive ones or leak rates in (0, 1], as a float64 tensor."""
    interval = dict(low=0, low_open=True, high=1 if leak else None) if positive or leak else {}
    return torch.tensor(check_float_sequence(values, name, **interval), dtype=torch.float64)


# ---------------------------------------------------------------------- memory capacity


class MemoryCapacity(NamedTuple):
    r"""What :func:`memory_capacity` returns.

    Attributes
    ----------
    delays
        The delays :math:`k = 1, \dots, K` (or from 0).
    r2
        The same length: :math:`\mathrm{MC}_k = r^2(x_{t-k}, \hat y_k(t))` on test data.
    total
        The capacity :math:`\mathrm{MC} = \sum_k \mathrm{MC}_k`.
    """

    delays: Tensor
    r2: Tensor
    total: float


def memory_capacity(reservoir: Reservoir, max_delay: int | None = None, n_train: int = 2000,
                    n_test: int = 1000, washout: int = 200, ridge: float = 1e-10,
                    seed: int = 0, min_delay: int = 1) -> MemoryCapacity:
    r"""Jaeger's (2002) short-term memory capacity :math:`\mathrm{MC} = \sum_{k=1}^K r^2(x_{t-k}, \hat y_k(t))`.

    The reservoir (input size 1) is driven by i.i.d. inputs :math:`x_t \sim U[-1, 1]` (seeded).
    For each delay :math:`k` a linear readout :math:`\hat y_k(t) = V_k h_t + c_k` is fitted by
    :func:`ridge_regression` on ``n_train`` steps after a ``washout`` to reproduce the input
    of :math:`k` steps before, :math:`x_{t-k}`, and :math:`\mathrm{MC}_k` is the squared
    correlation coefficient between that input and :math:`\hat y_k(t)` on the next ``n_test``
    steps. For i.i.d. input the capacity is at most the size :math:`d` (Jaeger 2002; on finite
    test data, up to sampling error). The state :math:`h_t` already contains :math:`x_t`, so the
    delay :math:`k = 0` uses part of that budget: ``min_delay=0`` adds it, and for a linear
    reservoir with a generic :math:`W` the sum from :math:`k = 0` is then close to :math:`d`.

    Parameters
    ----------
    reservoir
        A :class:`Reservoir` with input size 1.
    max_delay
        The largest delay :math:`K`, default :math:`2d`; at most ``washout``.
    n_train, n_test, washout
        Steps for fitting, for scoring, and discarded at the start.
    ridge
        The penalty :math:`\lambda \ge 0`.
    seed
        Seed of the input sequence.
    min_delay
        The first delay, 1 (Jaeger's definition) or 0.
    """
    _check_reservoir(reservoir)
    min_delay = check_int(min_delay, "min_delay", low=0, high=1)
    if reservoir.input_size != 1:
        raise ValueError(f"reservoir must have input size 1 for memory_capacity, got {reservoir.input_size}")
    K = 2 * reservoir.size if max_delay is None else check_positive_int(max_delay, "max_delay")
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    washout = check_positive_int(washout, "washout")
    if K > washout:
        raise ValueError(f"max_delay must be at most washout = {washout} (x_(t-k) must exist), got {K}")
    ridge = check_positive_float(ridge, "ridge", allow_zero=True)
    T = washout + n_train + n_test
    check_memory(8 * T * (4 * reservoir.size + 3 * K + 2), "the run and its delayed targets",
                 "n_train, n_test, washout and max_delay")
    g = torch.Generator().manual_seed(check_seed(seed))
    x = (2 * torch.rand(T, 1, generator=g, dtype=torch.float64) - 1).to(reservoir.dtype)
    h = reservoir.run(x)
    delays = torch.arange(min_delay, K + 1)
    t = torch.arange(washout, T)
    targets = x[t[:, None] - delays[None, :], 0]  # (steps, K): column k-1 is x_(t-k)
    train, test = slice(0, n_train), slice(n_train, None)
    V, c = ridge_regression(h[t][train], targets[train], ridge)
    y = h[t][test] @ V.T + c
    r2 = _squared_correlation(targets[test], y)
    return MemoryCapacity(delays, r2, float(r2.sum()))


def _squared_correlation(a: Tensor, b: Tensor) -> Tensor:
    """Column-wise squared Pearson correlation of ``(n, K)`` tensors."""
    a, b = a - a.mean(0), b - b.mean(0)
    return (a * b).sum(0) ** 2 / ((a * a).sum(0) * (b * b).sum(0))


# ---------------------------------------------------------------------- tasks


class TaskFit(NamedTuple):
    """What :func:`fit_task` returns: the success rates (:func:`srnbook.tasks.success_rate`) and the readout."""

    task: str
    T: int
    train_success: float
    test_success: float
    readout: Readout


def last_states(reservoir: Reservoir, batch: Batch) -> Tensor:
    r"""``(B, d)``: each sequence's state :math:`h_{T_i}` at its last step (inputs cast to the reservoir's dtype)."""
    _check_reservoir(reservoir)
    check_instance(batch, "batch", Batch, "a srnbook.tasks.Batch")
    if batch.x.shape[2] != reservoir.input_size:
        raise ValueError(f"batch must have inputs of the reservoir's size {reservoir.input_size}, "
                         f"got {batch.x.shape[2]}")
    return batch.at_end(reservoir.run(batch.x.to(reservoir.dtype)))


def fit_task(reservoir: Reservoir, task: str, T: int, n_train: int = 1000, n_test: int = 1024,
             ridge: float = 1e-6, seed: int = 0) -> TaskFit:
    r"""Train a readout on the last states for a task of :mod:`srnbook.tasks` and score it.

    Sequences all have length exactly :math:`T`, drawn as :func:`srnbook.training.draw` does for
    the SRN (the training batch from the stream ``numpy.random.default_rng([seed, 0])``, the test
    batch from ``[seed, 1]``). The readout
    regresses the target at the last step on :math:`h_T` (the one-hot class for a classification
    task, read by its argmax), in float64 whatever the reservoir's dtype; success is the task's own
    criterion (:func:`srnbook.tasks.success`).
    """
    from .training import _draw, task_sizes  # the SRN experiment's batches, fixed length

    check_choice(task, "task", tuple(TASKS))
    _check_reservoir(reservoir)
    T = check_positive_int(T, "T")
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    ridge = check_positive_float(ridge, "ridge", allow_zero=True)
    seed = check_seed(seed)
    u, o = task_sizes(task)
    if u != reservoir.input_size:
        raise ValueError(f"reservoir must have input size {u} for {task!r}, got {reservoir.input_size}")
    check_memory(4 * max(n_train, n_test) * T * (u + 4 * reservoir.size), "the batches and their states",
                 "n_train, n_test and T")
    train = _draw(task, n_train, T, np.random.default_rng([seed, 0]))
    test = _draw(task, n_test, T, np.random.default_rng([seed, 1]))
    features = last_states(reservoir, train).double()  # the normal equations square the condition number
    readout = Readout(*ridge_regression(features, train.y.double(), ridge))
    train_rate = success_rate(train, readout.predict(features))
    test_rate = success_rate(test, readout.predict(last_states(reservoir, test).double()))
    return TaskFit(task, T, train_rate, test_rate, readout)


class TaskResult(NamedTuple):
    """What :func:`esn_on_task` returns.

    Attributes
    ----------
    task, T
        The task and its length.
    spectral_radius, leak
        The setting chosen on the validation batch.
    validation_success
        ``{(rho, alpha): success rate on the validation batch}`` for every setting tried.
    test_success
        The chosen setting's success rate on a separate test batch.
    """

    task: str
    T: int
    spectral_radius: float
    leak: float
    validation_success: dict
    test_success: float


def esn_on_task(task: str, T: int, size: int = 100, radii: Sequence[float] = (0.9,),
                leaks: Sequence[float] = (1.0,), *, input_scale: float = 1.0, density: float = 0.1,
                n_train: int = 1000, n_test: int = 1024, ridge: float = 1e-6, seed: int = 0,
                dtype: torch.dtype = torch.float64) -> TaskResult:
    r"""An ESN on ``task``: the setting :math:`(\rho, \alpha)` with the best validation success, then its test success.

    One reservoir of ``size`` units (:func:`make_reservoir` with ``seed``) is rescaled to each
    radius :math:`\rho` of ``radii`` and given each leak :math:`\alpha` of ``leaks``; each setting's readout is
    fitted by :func:`fit_task` on ``n_train`` sequences and scored on a validation batch (seed
    ``seed + 1``). The best setting (ties: the first) is scored on a test batch that selection
    never saw (seed ``seed + 2``). ``dtype`` is the reservoir's (``torch.float32`` runs about twice
    as fast).
    """
    from .training import task_sizes

    check_choice(task, "task", tuple(TASKS))
    u, _ = task_sizes(task)
    T = check_positive_int(T, "T")
    radii_t, leaks_t = _check_grid(radii, "radii", positive=True), _check_grid(leaks, "leaks", leak=True)
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    ridge = check_positive_float(ridge, "ridge", allow_zero=True)
    seed = check_seed(seed)
    if seed + 2 >= 2**64:
        raise ValueError(f"seed must be below 2**64 - 2 (the validation and test batches use seed + 1 and "
                         f"seed + 2), got {seed}")
    base = make_reservoir(u, size, spectral_radius=1.0, density=density, input_scale=input_scale, seed=seed,
                          dtype=dtype)
    validation = {}
    for rho in radii_t.tolist():
        for alpha in leaks_t.tolist():
            r = base.with_spectral_radius(rho).with_leak(alpha)
            validation[(rho, alpha)] = fit_task(r, task, T, n_train, n_test, ridge, seed + 1).test_success
    rho, alpha = max(validation, key=validation.get)
    best = base.with_spectral_radius(rho).with_leak(alpha)
    test = fit_task(best, task, T, n_train, n_test, ridge, seed + 2).test_success
    return TaskResult(task, T, rho, alpha, validation, test)


# ---------------------------------------------------------------------- stored comparison

ESN_TASKS = {"tasks": ["adding", "temporal_order"], "T": [10, 20, 50, 100], "size": 100,
             "radii": [0.95], "leaks": [1.0, 0.1], "input_scale": 0.5, "density": 0.1,
             "n_train": 1000, "n_test": 1024, "ridge": 1e-6, "seed": 0, "dtype": "float32"}
"""The chapter's ESN on the long-time-lag problems: one reservoir, two leaks, four lengths."""


def esn_on_tasks(config: dict | None = None) -> dict:
    """:func:`esn_on_task` for every task and length of ``config`` (default :data:`ESN_TASKS`).

    Returns a JSON-able dict: ``config``, ``results`` (per task and :math:`T`: the chosen
    ``spectral_radius`` and ``leak``, ``validation`` as a list of
    ``{"spectral_radius", "leak", "success"}`` and ``test_success``) and ``torch_version``.
    ``python -m srnbook.experiments reservoir_esn`` writes it to
    ``book/data/reservoir_esn.json``, which the book loads instead of recomputing it.
    """
    config = dict(ESN_TASKS if config is None else check_instance(config, "config", dict, "a dict"))
    if set(config) != set(ESN_TASKS):
        raise ValueError(f"config must have the keys {sorted(ESN_TASKS)}, got {sorted(config)}")
    for key in ("tasks", "T"):
        if not isinstance(config[key], (list, tuple)) or not config[key]:
            raise ValueError(f"config[{key!r}] must be a nonempty list, got {config[key]!r}")
    dtype = {"float32": torch.float32, "float64": torch.float64}[
        check_choice(config["dtype"], "config['dtype']", ("float32", "float64"))]
    results = []
    for task in config["tasks"]:
        for T in config["T"]:
            r = esn_on_task(task, T, size=config["size"], radii=config["radii"],
                            leaks=config["leaks"], input_scale=config["input_scale"],
                            density=config["density"], n_train=config["n_train"],
                            n_test=config["n_test"], ridge=config["ridge"], seed=config["seed"],
                            dtype=dtype)
            validation = [{"spectral_radius": rho, "leak": alpha, "success": float(v)}
                          for (rho, alpha), v in r.validation_success.items()]
            results.append({"task": task, "T": T, "spectral_radius": r.spectral_radius,
                            "leak": r.leak, "validation": validation,
                            "test_success": float(r.test_success)})
    return {"config": config, "results": results, "torch_version": torch.__version__}

