r"""The SRN as a dynamical system: fixed points, basins, Lyapunov functions, and the latching dilemma.

With the input switched off (:math:`x_t = 0`) the SRN of Definition 1 is the
autonomous map

.. math::

    h_t = M(h_{t-1}), \qquad M(h) = \sigma(W h + b),

whose Jacobian at :math:`h` is :math:`J(h) = \operatorname{diag}(\sigma'(a))\, W`
with :math:`a = W h + b`. This module follows section 5 of Wayman & Mathew
(report on fast weights), "Stability of dynamic systems":

* :func:`feedback_loop` is their opening example (after Haykin 2009, pp. 18-21):
  the scalar loop :math:`y(n) = w\,(x(n) + y(n-1))`, i.e.
  :math:`y(n) = \sum_{l \ge 0} w^{l+1} x(n-l)`, which fades (:math:`|w| < 1`),
  integrates (:math:`w = 1`) or explodes (:math:`w > 1`).
* :func:`fixed_points` finds the equilibrium states :math:`h^* = M(h^*)` and
  classifies them by the eigenvalues of :math:`J(h^*)` (section 5.1.1, here for
  a discrete-time map: stable when the spectral radius is below 1).
* :func:`basins` labels the basin of attraction of each fixed point
  (Definition 5.8) on a grid of initial states of a 2-unit network.
* :func:`lyapunov_energy` and :func:`trajectory` give a Lyapunov function
  (section 5.1.3): Hopfield's (1984) energy, which never increases along the
  asynchronous or continuous-time dynamics when :math:`W` is symmetric.
* :func:`latch_experiment` is section 5.3 on one unit: Bengio, Simard & Frasconi
  (1994) show that a recurrent network stores a bit robustly only where the
  Jacobian is contracting, and that there the gradient
  :math:`\partial h_T / \partial h_0` vanishes exponentially in :math:`T`.

Everything here is small and exact: work in ``torch.float64``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import torch

from ._validation import (ArgumentTypeError, check_choice, check_dtype, check_float, check_float_sequence,
                          check_instance, check_int, check_memory, check_positive_int, check_seed,
                          check_tensor)
from .activations import Activation, get_activation
from .plotting import FIGURE_WIDTH

Tensor = torch.Tensor

#: The default 2-unit example, a *flip-flop*: each tanh unit excites itself (1.5) and
#: inhibits the other (-1). :math:`W` has eigenvalues 2.5 along :math:`(1, -1)` and 0.5
#: along :math:`(1, 1)`, so the origin is a saddle whose stable manifold is the diagonal
#: :math:`h_1 = h_2`; the two stable fixed points :math:`\pm(s, -s)`, :math:`s = \tanh(2.5 s)
#: \approx 0.985`, store one bit ("unit 1 on" or "unit 2 on"), and the diagonal splits
#: their basins. :math:`W` is symmetric with a nonnegative diagonal, so Hopfield's energy
#: (:func:`lyapunov_energy`) is a Lyapunov function for its asynchronous dynamics.
FLIP_FLOP_W = ((1.5, -1.0), (-1.0, 1.5))
FLIP_FLOP_B = (0.0, 0.0)

#: The open interval :math:`\sigma` maps onto, for the activations that have an inverse.
RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "identity": (-math.inf, math.inf)}

MARGINAL = 1e-9  # |rho - 1| below this: the fixed point is not hyperbolic


def flip_flop(dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    """``(W, b)`` of the default bistable 2-unit network (:data:`FLIP_FLOP_W`, :data:`FLIP_FLOP_B`),
    in the floating-point ``dtype`` (an integer dtype would truncate the weight 1.5)."""
    dtype = check_dtype(dtype)
    return torch.tensor(FLIP_FLOP_W, dtype=dtype), torch.tensor(FLIP_FLOP_B, dtype=dtype)


def _check_system(W, b) -> tuple[Tensor, Tensor]:
    W = check_tensor(W, "W", ndim=2)
    d = W.shape[0]
    if d == 0 or W.shape != (d, d):
        raise ValueError(f"W must be a square (d, d) matrix, got shape {tuple(W.shape)}")
    b = check_tensor(b, "b", ndim=1)
    if b.dtype != W.dtype or b.shape != (d,):
        raise ValueError(f"b must have shape ({d},) and the dtype of W ({W.dtype}), "
                         f"got shape {tuple(b.shape)} and dtype {b.dtype}")
    return W, b


def _check_number(value, name: str, *, positive: bool = False) -> float:
    """A finite real number (> 0 with ``positive``)."""
    return check_float(value, name, low=0.0, low_open=True) if positive else check_float(value, name)


def _check_open_unit(value, name: str) -> float:
    """A tolerance or radius in the open interval (0, 1)."""
    return check_float(value, name, low=0, high=1, low_open=True, high_open=True)


def _check_batch(x, name: str, ndim) -> Tensor:
    """A floating-point tensor of ``ndim`` dimensions with at least one entry."""
    x = check_tensor(x, name, ndim=ndim)
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    return x


def _step(W: Tensor, b: Tensor, act: Activation, h: Tensor) -> Tensor:
    """:math:`M(h) = \\sigma(W h + b)` for a batch ``h`` of shape ``(n, d)``."""
    return act(h @ W.T + b)


# ---------------------------------------------------------------------- fixed points


class FixedPoint(NamedTuple):
    r"""A fixed point :math:`h^* = \sigma(W h^* + b)` and its linearization.

    Attributes
    ----------
    h: ``(d,)`` the fixed point :math:`h^*`.
    jacobian: ``(d, d)`` :math:`J = \operatorname{diag}(\sigma'(a^*))\, W`, :math:`a^* = W h^* + b`.
    eigenvalues: ``(d,)`` complex, the spectrum of :math:`J`.
    spectral_radius: :math:`\rho(J) = \max_i |\lambda_i|`.
    kind: ``"stable"`` (:math:`\rho < 1`: an attractor), ``"saddle"`` (some
        :math:`|\lambda_i| < 1`, some :math:`> 1`), ``"unstable"`` (every
        :math:`|\lambda_i| > 1`: a repeller) or ``"marginal"`` (:math:`\rho = 1` to
        within ``1e-9``; linearization does not decide). At a kink of ``relu``
        (:math:`a^*_i = 0`) the convention :math:`\sigma'(0) = 0` decides.
    """

    h: Tensor
    jacobian: Tensor
    eigenvalues: Tensor
    spectral_radius: float
    kind: str

    @property
    def stable(self) -> bool:
        return self.kind == "stable"


def _classify(W: Tensor, b: Tensor, act: Activation, h: Tensor) -> FixedPoint:
    a = W @ h + b
    J = act.derivative(a, act(a)).unsqueeze(1) * W  # diag(sigma'(a*)) W
    eigenvalues = torch.linalg.eigvals(J)
    moduli = eigenvalues.abs()
    rho = float(moduli.max())
    if rho < 1 - MARGINAL:
        kind = "stable"
    elif rho <= 1 + MARGINAL:
        kind = "marginal"
    else:
        kind = "unstable" if float(moduli.min()) > 1 + MARGINAL else "saddle"
    return FixedPoint(h, J, eigenvalues, rho, kind)


def _newton(W: Tensor, b: Tensor, act: Activation, h: Tensor, steps: int) -> Tensor:
    r"""Newton's method on :math:`F(h) = \sigma(W h + b) - h`, batched over the rows of ``h``.

    :math:`J_F = \operatorname{diag}(\sigma'(a)) W - I`; a singular :math:`J_F` leaves
    that row where it is. Stops when no row moves by more than a few ulps (at a
    non-hyperbolic fixed point Newton converges only linearly, so a small residual
    alone would stop it early).
    """
    eye = torch.eye(W.shape[0], dtype=W.dtype)
    ulps = 4 * torch.finfo(W.dtype).eps
    for _ in range(steps):
        a = h @ W.T + b
        s = act(a)
        JF = act.derivative(a, s).unsqueeze(2) * W - eye  # (n, d, d)
        delta, info = torch.linalg.solve_ex(JF, (s - h).unsqueeze(2))
        delta = delta.squeeze(2)
        ok = (info == 0).unsqueeze(1) & torch.isfinite(delta)
        delta = torch.where(ok, delta, torch.zeros_like(delta))
        h = h - delta
        if bool((delta.abs() <= ulps * (1 + h.abs())).all()):
            break
    return h


def fixed_points(W: Tensor, b: Tensor, activation="tanh", n_starts: int = 200, seed: int = 0,
                 tol: float | None = None, *, merge_radius: float = 1e-4,
                 newton_steps: int = 60, iterate_steps: int = 100) -> list[FixedPoint]:
    r"""The fixed points :math:`h^* = \sigma(W h^* + b)` of the autonomous SRN, classified.

    Starts: ``n_starts`` points :math:`\sigma(a)` with :math:`a` uniform in the box
    :math:`[-R, R]^d`, :math:`R = \|W\|_\infty + \|b\|_\infty + 1` (for a bounded
    :math:`|\sigma| \le 1` every fixed point has :math:`|a^*_i| \le
    \sum_j |W_{ij}| + |b_i| < R`). From each start, Newton's method on
    :math:`F(h) = \sigma(W h + b) - h` is run twice: from the start itself (it finds
    saddles and repellers) and after ``iterate_steps`` steps of the map (which
    reach the attractors). Points with :math:`\|F(h)\|_\infty \le` ``tol`` are kept,
    and points closer than ``merge_radius`` (max norm) are merged (the one with
    the smaller residual is kept).

    Each fixed point comes with :math:`J = \operatorname{diag}(\sigma'(a^*)) W`, its
    spectrum and its kind (see :class:`FixedPoint`): a fixed point of a map is
    asymptotically stable when :math:`\rho(J) < 1` and unstable when
    :math:`\rho(J) > 1` (the discrete-time form of the linearization of Wayman &
    Mathew, section 5.1.1).

    The search is a random one: it is exhaustive for small networks with isolated
    fixed points, not a proof. For a non-isolated set (a line of fixed points,
    :math:`W = I` with the identity) it returns the points it happened to reach.

    Parameters
    ----------
    W, b
        ``(d, d)`` and ``(d,)`` tensors of one floating dtype (use float64).
    activation
        A name from :data:`srnbook.activations.ACTIVATIONS` or an
        :class:`~srnbook.activations.Activation`.
    n_starts, seed
        Number of random starts and the seed of their generator.
    tol
        Largest accepted residual :math:`\|\sigma(W h^* + b) - h^*\|_\infty`, in :math:`(0, 1)`;
        default :math:`100\,\varepsilon` of the dtype (:math:`2.2 \times 10^{-14}` in float64).
    merge_radius
        In :math:`(0, 1)`: points closer than this are one fixed point.
    newton_steps, iterate_steps
        The largest number of Newton steps (it stops when converged), and the number of
        steps of the map before the second Newton run.

    Returns
    -------
    list of FixedPoint, in lexicographic order of :math:`h^*`.

    Examples
    --------
    >>> w = torch.tensor([[2.0]], dtype=torch.float64)
    >>> [(round(float(p.h), 4), p.kind) for p in fixed_points(w, torch.zeros(1, dtype=torch.float64))]
    [(-0.9575, 'stable'), (0.0, 'unstable'), (0.9575, 'stable')]
    """
    W, b = _check_system(W, b)
    W, b = W.detach(), b.detach()  # a search, not a differentiable function of W and b
    act = get_activation(activation)
    n = check_positive_int(n_starts, "n_starts")
    d = W.shape[0]
    check_memory(2 * n * d * (d + 8) * W.element_size(), "Newton's method from every start", "n_starts")
    tol = 100 * torch.finfo(W.dtype).eps if tol is None else _check_open_unit(tol, "tol")
    merge_radius = _check_open_unit(merge_radius, "merge_radius")
    generator = torch.Generator().manual_seed(check_seed(seed))
    R = float(W.abs().sum(1).max() + b.abs().max()) + 1.0
    starts = act((2 * torch.rand(n, d, generator=generator, dtype=W.dtype) - 1) * R)
    settled = starts
    for _ in range(check_positive_int(iterate_steps, "iterate_steps")):
        settled = _step(W, b, act, settled)
    newton_steps = check_positive_int(newton_steps, "newton_steps")
    candidates = _newton(W, b, act, torch.cat([starts, settled]), newton_steps)
    residual = (_step(W, b, act, candidates) - candidates).abs().amax(1)
    keep = torch.isfinite(residual) & (residual <= tol)
    candidates, residual = candidates[keep], residual[keep]

    found: list[Tensor] = []
    for i in torch.argsort(residual).tolist():  # best residual first, then merge
        h = candidates[i]
        if all(float((h - g).abs().max()) > merge_radius for g in found):
            found.append(h)
    found.sort(key=lambda h: tuple(h.tolist()))
    return [_classify(W, b, act, h) for h in found]


# ---------------------------------------------------------------------- basins of attraction


class Basins(NamedTuple):
    r"""Which fixed point each initial state of a 2-unit SRN converges to.

    Attributes
    ----------
    xs, ys: ``(grid,)`` the coordinates :math:`h_0[0]` and :math:`h_0[1]` of the grid.
    labels: ``(grid, grid)`` integers: ``labels[i, j]`` is the index in
        ``fixed_points`` of the fixed point that the map reaches from
        :math:`h_0 = (x_j, y_i)` (rows are :math:`y`, as in an image), or ``-1``
        ("other": a cycle, or no convergence within ``steps``).
    fixed_points: every fixed point found by :func:`fixed_points`.
    """

    xs: Tensor
    ys: Tensor
    labels: Tensor
    fixed_points: list[FixedPoint]


def _extent(extent, act: Activation) -> tuple[float, float, float, float]:
    if extent is None:
        lo, hi = RANGES.get(act.name, (-1.0, 1.0))
        lo, hi = (-1.0, 1.0) if math.isinf(lo) else (lo, hi)
        return lo, hi, lo, hi
    if isinstance(extent, (int, float)) and not isinstance(extent, bool):
        e = _check_number(extent, "extent", positive=True)
        return -e, e, -e, e
    box = tuple(extent) if isinstance(extent, (tuple, list)) else ()
    if len(box) != 4 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in box) \
            or not (box[0] < box[1] and box[2] < box[3]):
        raise ValueError(f"extent must be a positive number or (xmin, xmax, ymin, ymax) "
                         f"with xmin < xmax and ymin < ymax, got {extent!r}")
    return tuple(float(v) for v in box)


def basins(W: Tensor | None = None, b: Tensor | None = None, activation="tanh", grid: int = 201,
           extent=None, steps: int = 300, *, atol: float = 1e-6, seed: int = 0) -> Basins:
    r"""Label the basin of attraction (Definition 5.8 of Wayman & Mathew) of each fixed point
    of a 2-unit SRN on a ``grid`` x ``grid`` lattice of initial states.

    From every :math:`h_0` on the lattice the map :math:`h \mapsto \sigma(W h + b)` is
    iterated ``steps`` times; the final state is given the label of the fixed point
    within ``atol`` (max norm) of it, provided one more step moves it by less than
    ``atol``, and ``-1`` otherwise. Points on the stable manifold of a saddle
    converge to that saddle and carry its label.

    ``W``, ``b`` default to the flip-flop :func:`flip_flop` (float64, tanh), whose two
    stable fixed points have basins :math:`h_1 > h_2` and :math:`h_1 < h_2`.
    ``extent`` is a half-width :math:`e` (the square :math:`[-e, e]^2`) or
    ``(xmin, xmax, ymin, ymax)``; by default the range of :math:`\sigma` (the square
    :math:`[-1, 1]^2` for tanh, :math:`[0, 1]^2` for the sigmoid). The lattice is
    exactly symmetric about the centre of the box, which is on it when ``grid`` is odd
    (``grid`` is at least 2). ``atol`` is in :math:`(0, 1)`; ``seed`` seeds :func:`fixed_points`.
    """
    if W is None and b is None:
        W, b = flip_flop()
    W, b = _check_system(W, b)
    if W.shape != (2, 2):
        raise ValueError(f"basins needs a 2-unit network (a 2D state space): W must be 2 x 2, "
                         f"got shape {tuple(W.shape)}")
    act = get_activation(activation)
    n = check_int(grid, "grid", low=2)
    check_memory(8 * n * n * W.element_size(), "the lattice of initial states", "grid")
    steps = check_positive_int(steps, "steps")
    atol = _check_open_unit(atol, "atol")
    seed = check_seed(seed)
    x0, x1, y0, y1 = _extent(extent, act)
    # exactly symmetric about the centre of the box (on the grid when ``grid`` is odd)
    t = (2 * torch.arange(n, dtype=W.dtype) - (n - 1)) / (n - 1)
    xs = (x0 + x1) / 2 + (x1 - x0) / 2 * t
    ys = (y0 + y1) / 2 + (y1 - y0) / 2 * t
    if not bool(torch.isfinite(xs).all() and torch.isfinite(ys).all()):
        raise ValueError(f"extent must give a lattice of finite {W.dtype} numbers, got {extent!r}")
    Y, X = torch.meshgrid(ys, xs, indexing="ij")
    h = torch.stack([X.reshape(-1), Y.reshape(-1)], dim=1)
    for _ in range(steps):
        h = _step(W, b, act, h)
    moved = (_step(W, b, act, h) - h).abs().amax(1)

    points = fixed_points(W, b, act, seed=seed)
    labels = torch.full((n * n,), -1, dtype=torch.long)
    if points:
        centres = torch.stack([p.h for p in points])  # (k, 2)
        distance, nearest = (h.unsqueeze(1) - centres).abs().amax(2).min(1)
        hit = (distance <= atol) & (moved <= atol)
        labels[hit] = nearest[hit]
    return Basins(xs, ys, labels.view(n, n), points)


_MARKERS = {"stable": ("o", "black", "stable"), "saddle": ("X", "white", "saddle"),
            "unstable": ("D", "white", "unstable"), "marginal": ("s", "0.5", "marginal")}


def plot_basins(result: Basins | None = None, title: str = ""):
    r"""The basins of attraction from :func:`basins` (default: the flip-flop), one colour
    per fixed point (grey: "other"), with the fixed points marked by kind
    (filled circle: stable, cross: saddle, diamond: unstable, square: marginal).
    Each stable fixed point lies inside its own basin."""
    result = basins() if result is None else check_instance(result, "result", Basins, "a Basins")
    title = check_instance(title, "title", str, "a string")
    xs, ys, labels, points = result
    k = len(points)
    palette = ["#dbe9f6", "#fde2c8", "#d9f0d3", "#f2d7ee", "#fff2ae"]
    colours = ["0.6"] + [palette[i % len(palette)] for i in range(k)]
    cmap = plt.matplotlib.colors.ListedColormap(colours)
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    ax.pcolormesh(xs.numpy(), ys.numpy(), (labels + 1).numpy(), cmap=cmap, vmin=-0.5,
                  vmax=k + 0.5, shading="nearest")
    handles, kinds = [], set()
    for p in points:
        marker, face, kind = _MARKERS[p.kind]
        (line,) = ax.plot(*p.h.tolist(), marker, ms=8, mfc=face, mec="black", ls="none",
                          clip_on=False, zorder=3, label=kind)
        if kind not in kinds:
            handles.append(line)
            kinds.add(kind)
    if bool((labels == -1).any()):
        handles.append(plt.matplotlib.patches.Patch(color=colours[0], label="no fixed point"))
    ax.set_xlabel("$h_0[1]$")
    ax.set_ylabel("$h_0[2]$")
    ax.set_aspect("equal")
    ax.grid(False)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.04, 1.0), fontsize=8)
    ax.set_title(title or "basins of attraction", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------- the scalar feedback loop


def feedback_loop(x: Tensor, w: float) -> Tensor:
    r"""The scalar feedback loop :math:`y(n) = w\,\bigl(x(n) + y(n-1)\bigr)`, :math:`y(-1) = 0`.

    Wayman & Mathew, section 5 (after Haykin 2009, pp. 18-21): with the unit delay
    :math:`z^{-1}`, :math:`y = w (1 - w z^{-1})^{-1} x`, that is

    .. math::

        y(n) = \sum_{l=0}^{n} w^{l+1}\, x(n - l).

    The impulse response is :math:`w^{n+1}`: it fades for :math:`|w| < 1`, is held
    for ever for :math:`w = 1` (then the loop is an integrator, and an input of
    positive mean makes :math:`y` grow linearly), and grows exponentially for
    :math:`w > 1`.

    ``x`` is ``(N,)`` or ``(B, N)`` (time last), not empty; the result has the same shape
    and dtype. An output too large for the dtype (:math:`w > 1` over many steps) is refused.
    """
    x = _check_batch(x, "x", (1, 2))
    w = _check_number(w, "w")
    y = torch.empty_like(x)
    prev = torch.zeros_like(x[..., 0])
    for n in range(x.shape[-1]):
        prev = w * (x[..., n] + prev)
        y[..., n] = prev
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"w = {w!r} and x give an output that overflows {x.dtype} (|w| > 1 grows "
                         f"like |w|^n over the {x.shape[-1]} steps of x)")
    return y


def plot_feedback_loop(ws=(0.8, 1.0, 1.2), steps: int = 40, mean: float = 0.1, std: float = 0.05,
                       seed: int = 0):
    r"""The three regimes of :func:`feedback_loop`: :math:`|w| < 1` fades, :math:`w = 1` holds,
    :math:`w > 1` explodes.

    Top: the impulse response :math:`y(n) = w^{n+1}` (:math:`x = \delta_0`), on a log
    scale, where it is a line of slope :math:`\log w`. Bottom: the input of Wayman &
    Mathew, an impulse :math:`x(0) = 1` followed by Gaussian samples of small positive
    mean (``mean``, ``std``), on a linear scale cut above the integrator's path: the
    loop with :math:`w = 1` sums them and drifts linearly, the one with :math:`w > 1`
    explodes (and leaves the panel), the one with :math:`|w| < 1` forgets :math:`x(0)`
    and settles near :math:`w\,\mu / (1 - w)`.

    ``ws`` is a nonempty list of finite weights, ``std`` is at least 0.
    """
    ws = check_float_sequence(ws, "ws")
    steps = check_positive_int(steps, "steps")
    check_memory(64 * steps * len(ws), "the plotted loops", "steps")
    mean = check_float(mean, "mean")
    std = check_float(std, "std", low=0)
    seed = check_seed(seed)
    impulse = torch.zeros(steps, dtype=torch.float64)
    impulse[0] = 1.0
    generator = torch.Generator().manual_seed(seed)
    noisy = mean + std * torch.randn(steps, generator=generator, dtype=torch.float64)
    noisy[0] = 1.0
    if not bool(torch.isfinite(noisy).all()):
        raise ValueError(f"mean and std must give finite float64 inputs, got mean={mean!r}, std={std!r}")
    n = torch.arange(steps)
    curves = [(w, feedback_loop(impulse, w).abs(), feedback_loop(noisy, w)) for w in ws]
    lowest = min(0.0, *(float(y.min()) for _, _, y in curves))
    top = 1.5 * max(1.0, 1 + mean * (steps - 1))
    if not math.isfinite(top):
        raise ValueError(f"mean must keep the integrator's path finite, got {mean!r}")
    fig, (upper, lower) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.2), sharex=True)
    for w, response, y in curves:
        label = rf"$w = {w:g}$"
        upper.plot(n, response, ".-", ms=3, label=label)
        lower.plot(n, y, ".-", ms=3, label=label)
    upper.set_yscale("log")
    upper.set_title(r"impulse response $w^{n+1}$", fontsize=10)
    upper.set_ylabel("$|y(n)|$")
    # linear scale, cut at 1.5 times the mean path of the integrator (w = 1): its linear
    # drift is visible, and the exploding loops leave the panel through the top
    lower.set_ylim(lowest, top)
    lower.set_title(rf"impulse, then noise of mean {mean:g}", fontsize=10)
    lower.set_ylabel("$y(n)$")
    lower.set_xlabel("time $n$")
    for ax in (upper, lower):
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------- a Lyapunov function


def _invertible(activation) -> Activation:
    act = get_activation(activation)
    if act.name not in RANGES:
        raise ValueError(f"activation must be invertible, one of {', '.join(map(repr, RANGES))}, "
                         f"got {act.name!r}")
    return act


def _integral_of_inverse(name: str, h: Tensor) -> Tensor:
    r""":math:`G(h) = \int_0^h \sigma^{-1}(s)\, ds`, elementwise (finite at the bounds)."""
    if name == "tanh":  # integral of artanh: ((1+h) ln(1+h) + (1-h) ln(1-h)) / 2
        return 0.5 * (torch.xlogy(1 + h, 1 + h) + torch.xlogy(1 - h, 1 - h))
    if name == "sigmoid":  # integral of the logit: h ln h + (1-h) ln(1-h)
        return torch.xlogy(h, h) + torch.xlogy(1 - h, 1 - h)
    return 0.5 * h * h  # identity


def _inverse(name: str, h: Tensor) -> Tensor:
    return {"tanh": torch.atanh, "sigmoid": torch.logit, "identity": lambda v: v}[name](h)


def _check_states(h, W: Tensor, act: Activation, *, closed: bool, name: str = "h") -> Tensor:
    d = W.shape[0]
    h = check_tensor(h, name, ndim=(1, 2), dtype=W.dtype)
    if h.shape[-1] != d or h.numel() == 0:
        raise ValueError(f"{name} must have shape ({d},) or (N, {d}) with N >= 1, got {tuple(h.shape)}")
    lo, hi = RANGES[act.name]
    inside = ((h >= lo) & (h <= hi)) if closed else ((h > lo) & (h < hi))
    if not bool(inside.all()):
        interval = f"[{lo:g}, {hi:g}]" if closed else f"({lo:g}, {hi:g})"
        raise ValueError(f"{name} must lie in {interval}, the range of {act.name}")
    return h


def lyapunov_energy(W: Tensor, b: Tensor, h: Tensor, activation="tanh") -> Tensor:
    r"""Hopfield's (1984) energy of the graded-response network, in the book's notation:

    .. math::

        E(h) = -\tfrac12\, h^\top W h - b^\top h + \sum_i \int_0^{h_i} \sigma^{-1}(s)\, ds,

    with :math:`\int_0^h \operatorname{artanh} = \tfrac12[(1+h)\ln(1+h) + (1-h)\ln(1-h)]`
    (tanh), :math:`h \ln h + (1-h)\ln(1-h)` (sigmoid), :math:`h^2/2` (identity).

    Its gradient :math:`\nabla E(h) = \sigma^{-1}(h) - (W h + b)` vanishes exactly at
    the fixed points :math:`h = \sigma(W h + b)`. For a **symmetric** :math:`W` it is a
    Lyapunov function (Wayman & Mathew, section 5.1.3) of two dynamics of
    :func:`trajectory`:

    * continuous time (``mode="continuous"``), Hopfield's
      :math:`\dot a = -a + W \sigma(a) + b`, :math:`h = \sigma(a)`:
      :math:`\dot E = -\sum_i \sigma'(a_i)\, \dot a_i^2 \le 0` (Hopfield 1984, with
      unit capacitances and resistances, :math:`T = W`, :math:`I = b`);
    * asynchronous updates (``mode="asynchronous"``)
      :math:`h_i \leftarrow \sigma\bigl(\sum_j W_{ij} h_j + b_i\bigr)`, one unit at a
      time, if moreover :math:`W_{ii} \ge 0`: since :math:`\int_0^h \sigma^{-1}` is
      convex, each update changes :math:`E` by at most
      :math:`-\tfrac12 W_{ii} (h_i^{\rm new} - h_i)^2 \le 0`.

    For the synchronous SRN map :math:`h' = \sigma(W h + b)` itself, the strong convexity of
    :math:`\int_0^h \sigma^{-1}` (modulus :math:`1/\sigma'_{max}`) gives, with :math:`\Delta = h' - h`,

    .. math:: E(h') - E(h) \le -\tfrac12\, \Delta^\top \bigl(W + I/\sigma'_{max}\bigr) \Delta,

    so :math:`E` is a Lyapunov function of the SRN when :math:`\lambda_{min}(W) > -1/\sigma'_{max}`
    (the same argument relaxes the asynchronous condition to :math:`W_{ii} > -1/\sigma'_{max}`).
    Otherwise it need not be: with :math:`W = -2` the map has an attracting 2-cycle and
    :math:`E` grows along the way to it (Marcus & Westervelt 1989).

    ``h`` is ``(d,)`` or ``(N, d)`` in the closed range of :math:`\sigma`; returns a
    scalar or ``(N,)`` tensor.
    """
    W, b = _check_system(W, b)
    act = _invertible(activation)
    h = _check_states(h, W, act, closed=True)
    quadratic = 0.5 * ((h @ W.T) * h).sum(-1)
    return -quadratic - h @ b + _integral_of_inverse(act.name, h).sum(-1)


MODES = ("synchronous", "asynchronous", "continuous")


def trajectory(W: Tensor, b: Tensor, h0: Tensor, steps: int, activation="tanh", *,
               mode: str = "synchronous", dt: float = 0.1) -> Tensor:
    r"""States of the autonomous network from :math:`h_0`, for ``steps`` steps of one of three dynamics.

    * ``"synchronous"``: the SRN with :math:`x_t = 0`, :math:`h_{k+1} = \sigma(W h_k + b)`.
    * ``"asynchronous"``: one step is a sweep over the units :math:`i = 1, \dots, d`
      in order, each updated with the latest values of the others,
      :math:`h_i \leftarrow \sigma(\sum_j W_{ij} h_j + b_i)`.
    * ``"continuous"``: explicit Euler with step ``dt`` of Hopfield's (1984)
      :math:`\dot a = -a + W \sigma(a) + b` from :math:`a_0 = \sigma^{-1}(h_0)`;
      returns :math:`h_k = \sigma(a_k)`. Needs an invertible :math:`\sigma` and
      :math:`h_0` inside its open range; ``dt`` is in :math:`(0, 1]` (at :math:`dt = 1` a
      step is the map :math:`a \mapsto W \sigma(a) + b`; larger steps overshoot the decay
      :math:`-a`). Other modes ignore ``dt``.

    The fixed points of all three are those of :func:`fixed_points`. See
    :func:`lyapunov_energy` for when the energy decreases along them.

    Returns ``(steps + 1, d)`` for ``h0`` of shape ``(d,)``, ``(N, steps + 1, d)`` for
    ``(N, d)``; index 0 is :math:`h_0`.
    """
    W, b = _check_system(W, b)
    mode = check_choice(mode, "mode", MODES)
    steps = check_positive_int(steps, "steps")
    dt = check_float(dt, "dt", low=0, high=1, low_open=True)
    act = _invertible(activation) if mode == "continuous" else get_activation(activation)
    if mode == "continuous":
        h = _check_states(h0, W, act, closed=False, name="h0")
    else:
        h = check_tensor(h0, "h0", ndim=(1, 2), dtype=W.dtype)
        if h.shape[-1] != W.shape[0]:
            raise ValueError(f"h0 must have shape ({W.shape[0]},) or (N, {W.shape[0]}), got {tuple(h.shape)}")
    if h.numel() == 0:
        raise ValueError(f"h0 must not be empty, got shape {tuple(h.shape)}")
    check_memory(2 * (steps + 1) * h.numel() * h.element_size(), "the states of the trajectory", "steps")
    single = h.dim() == 1
    h = h.reshape(-1, W.shape[0]).clone()
    out = [h]
    if mode == "continuous":
        a = _inverse(act.name, h)
        for _ in range(steps):
            a = a + dt * (-a + act(a) @ W.T + b)
            out.append(act(a))
    else:
        for _ in range(steps):
            if mode == "synchronous":
                h = _step(W, b, act, h)
            else:
                h = h.clone()
                for i in range(W.shape[0]):
                    h[:, i] = act(h @ W[i] + b[i])
            out.append(h)
    states = torch.stack(out, dim=1)
    return states[0] if single else states


# ---------------------------------------------------------------------- the latching dilemma


class LatchTrace(NamedTuple):
    r"""What :func:`latch` returns.

    Attributes
    ----------
    h: ``(n, T)`` the states :math:`h_1, \dots, h_T` of each sequence.
    gradient: ``(n,)`` :math:`\partial h_T / \partial h_0 = \prod_{t=1}^T w\, \sigma'(a_t)`
        (underflows to 0 below about :math:`10^{-308}`).
    log10_gradient: ``(n,)`` :math:`\log_{10} |\partial h_T / \partial h_0|`, a sum of
        logarithms, so it does not underflow.
    """

    h: Tensor
    gradient: Tensor
    log10_gradient: Tensor


def latch(w: float, x: Tensor, u: float = 1.0, h0: float = 0.0) -> LatchTrace:
    r"""The one-unit tanh latch :math:`h_t = \tanh(w h_{t-1} + u x_t)`, :math:`t = 1, \dots, T`,
    and its exact long-range derivative.

    This is the SRN of Definition 1 with :math:`d = 1`, :math:`W = w`, :math:`U = u`,
    :math:`b = 0`. By the chain rule (the product of Wayman & Mathew, section 5.3)

    .. math::

        \frac{\partial h_T}{\partial h_0} = \prod_{t=1}^{T} \frac{\partial h_t}{\partial h_{t-1}}
        = \prod_{t=1}^{T} w\,\bigl(1 - h_t^2\bigr).

    ``x`` is ``(n, T)``: ``n`` scalar input sequences (not empty; the computation is in its
    dtype). ``h0`` is in :math:`[-1, 1]`, the range of tanh. A weight ``w`` with
    :math:`|w|^T` beyond the dtype's range, or an input weight ``u`` with :math:`u x_t`
    beyond it, is refused (the gradient or the drive would overflow).
    """
    x = _check_batch(x, "x", 2)
    w = _check_number(w, "w")
    u = _check_number(u, "u")
    h0 = check_float(h0, "h0", low=-1, high=1)
    _check_latch_scales(w, "w", u, "u", x)
    h = torch.empty_like(x)
    prev = torch.full_like(x[:, 0], h0)
    for t in range(x.shape[1]):
        prev = torch.tanh(w * prev + u * x[:, t])
        h[:, t] = prev
    factors = w * (1 - h * h)  # dh_t / dh_{t-1} = w sigma'(a_t)
    log10 = torch.log10(factors.abs()).sum(1)
    sign = torch.where((factors < 0).sum(1) % 2 == 1, -1.0, 1.0).to(x.dtype)
    return LatchTrace(h, sign * torch.pow(10.0, log10), log10)


def _check_latch_scales(w: float, w_name: str, u: float, u_name: str, x: Tensor, x_name: str = "x") -> None:
    """Refuse a weight whose :math:`|w|^T` or a drive :math:`u x_t` that overflows ``x.dtype``."""
    largest = math.log10(torch.finfo(x.dtype).max)
    if w != 0 and x.shape[1] * math.log10(abs(w)) >= largest:
        raise ValueError(f"{w_name} = {w!r} is too large for {x.shape[1]} steps in {x.dtype}: "
                         f"|w|^T, the bound of the gradient, overflows")
    drive = abs(u) * float(x.detach().abs().max())
    if not drive < torch.finfo(x.dtype).max:
        raise ValueError(f"{u_name} = {u!r} times the inputs {x_name} overflows {x.dtype}")


class LatchResult(NamedTuple):
    r"""One weight scale of :func:`latch_experiment`.

    Attributes
    ----------
    w: the recurrent weight.
    T: the number of steps the bit is held.
    retention: share of noisy sequences with :math:`\operatorname{sign}(h_T)` equal to the stored bit.
    median_gradient: median over the sequences of :math:`|\partial h_T / \partial h_0|`.
    median_log10_gradient: its :math:`\log_{10}` (finite even when the gradient underflows).
    attractor: :math:`h^* \ge 0`, the attracting fixed point of :math:`h = \tanh(w h)`
        that stores the bit 1 (0 when :math:`w \le 1`: there is nothing to latch onto).
    contraction: :math:`w\, \sigma'(a^*) = w (1 - h^{*2})`, the Jacobian at that attractor;
        without noise, once latched, :math:`|\partial h_T/\partial h_0|` is about
        ``contraction ** T``.
    """

    w: float
    T: int
    retention: float
    median_gradient: float
    median_log10_gradient: float
    attractor: float
    contraction: float


def _latch_attractor(w: float) -> float:
    """The largest stable fixed point of ``h = tanh(w h)`` (0 when ``w <= 1``)."""
    if w <= 1:
        return 0.0
    W = torch.tensor([[w]], dtype=torch.float64)
    points = fixed_points(W, torch.zeros(1, dtype=torch.float64), "tanh", n_starts=20)
    return max(float(p.h) for p in points if p.stable)


def latch_inputs(n_sequences: int = 2000, T: int = 50, noise_std: float = 0.3, seed: int = 0, *,
                 pulse: float = 1.0) -> tuple[Tensor, Tensor]:
    r"""The sequences of :func:`latch_experiment`: ``(x, bits)``, float64 ``(n, T)`` and ``(n,)``.

    ``bits`` alternates :math:`s = +1, -1, +1, \dots`; row :math:`i` of ``x`` is the pulse
    :math:`x_1 = p\,s_i` followed by :math:`x_t \sim \mathcal N(0, \nu^2)` for :math:`t \ge 2`,
    drawn from ``seed``.
    """
    n = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(T, "T")
    check_memory(8 * n * (T + 1), "the sequences", "n_sequences and T")
    noise_std = check_float(noise_std, "noise_std", low=0)
    pulse = _check_number(pulse, "pulse", positive=True)
    generator = torch.Generator().manual_seed(check_seed(seed))
    bits = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).to(torch.float64)
    x = noise_std * torch.randn(n, T, generator=generator, dtype=torch.float64)
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"noise_std = {noise_std!r} gives inputs that overflow float64")
    x[:, 0] = pulse * bits
    return x, bits


def latch_experiment(scales=(0.5, 0.75, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0), T: int = 50,
                     noise_std: float = 0.3, n_sequences: int = 2000, seed: int = 0, *,
                     u: float = 1.0, pulse: float = 1.0) -> list[LatchResult]:
    r"""The dilemma of Bengio, Simard & Frasconi (1994) on the one-unit latch of :func:`latch`.

    Task: store one bit :math:`s = \pm 1` for :math:`T` steps. Each sequence has
    :math:`h_0 = 0`, the clean pulse :math:`x_1 = p\,s` (:math:`p` = ``pulse``), then input
    noise :math:`x_t \sim \mathcal N(0, \nu^2)` (:math:`\nu` = ``noise_std``) for
    :math:`t = 2, \dots, T`;
    the bit is read out as :math:`\operatorname{sign}(h_T)`. Half the sequences store
    :math:`+1`, half :math:`-1`, and every scale sees the same noise (common random
    numbers), drawn from ``seed``.

    For each recurrent weight :math:`w` in ``scales``: the *retention* (share of
    sequences whose bit survives) and the median of :math:`|\partial h_T/\partial h_0|
    = \prod_t |w (1 - h_t^2)|` (exact, by :func:`latch`).

    What it shows. For :math:`w \le 1` the only fixed point is :math:`h^* = 0`: the
    unit forgets the pulse like the fading feedback loop, and retention falls to
    chance. For :math:`w > 1`, :math:`0` becomes unstable and two attractors
    :math:`\pm h^*`, :math:`h^* = \tanh(w h^*)`, appear; noise must push
    :math:`w h^* + u x_t` past 0 to flip the bit, which gets rarer as :math:`w` (and
    :math:`h^* \to 1`) grows, so retention rises to 1. But at the attractor the
    Jacobian is :math:`w\,\sigma'(a^*) = w(1 - h^{*2})`, which is below 1 *and falls*
    as :math:`w` grows (about :math:`4 w e^{-2w}`), so the gradient, a product of
    :math:`T` such factors, vanishes exponentially in :math:`T`, faster for larger
    :math:`w`. This is the dilemma of Bengio, Simard & Frasconi (1994, section III;
    restated by Hochreiter et al. 2001 and Wayman & Mathew, section 5.3): the state
    is robustly latched when it stays where the Jacobian of the map is contracting
    (their "reduced attracting set" of a hyperbolic attractor, eigenvalues of
    :math:`M'` below 1 in modulus), and exactly there :math:`\partial h_T/\partial h_0
    \to 0`; where the Jacobian is not contracting (near :math:`w = 1`, or on the way
    between basins), gradients survive but noise erases the bit. No weight scale
    gives both.

    With the defaults (:math:`T = 50`, noise 0.3, 2000 sequences) retention is at
    chance (0.49-0.50) for :math:`w \le 1.1`, then 0.56, 0.91, 0.998 at
    :math:`w = 1.25, 1.5, 1.75` and 1 from :math:`w = 2`; the median :math:`|\partial h_T/\partial h_0|`
    peaks near :math:`w = 1` (about :math:`10^{-6}`) and falls to :math:`10^{-18}`,
    :math:`10^{-37}`, :math:`10^{-73}` at :math:`w = 1.5, 2, 3`, close to the noise-free
    :math:`(w(1 - h^{*2}))^T`.

    Honest limits. Noise is what makes storage a question: without it even
    :math:`w < 1` keeps the sign of :math:`h_T` (tanh is odd), only with an
    exponentially small magnitude. The numbers depend on ``T``, ``noise_std``,
    ``u`` and ``pulse``; the gradient is largest near :math:`w = 1`, not for small
    :math:`w` (where it vanishes too, without any storage). The claim is about
    :math:`w > 1`, where a latch exists: there, more robust means smaller gradient.
    """
    scales = check_float_sequence(scales, "scales", low=0, low_open=True)
    T = check_positive_int(T, "T")
    n_sequences = check_positive_int(n_sequences, "n_sequences")
    u = _check_number(u, "u")
    x, bits = latch_inputs(n_sequences, T, noise_std, seed, pulse=pulse)
    for w in scales:
        _check_latch_scales(w, "scales", u, "u", x, "of pulse and noise_std")
    results = []
    for w in scales:
        trace = latch(w, x, u=u)
        retention = float((torch.sign(trace.h[:, -1]) == bits).to(torch.float64).mean())
        log10 = float(trace.log10_gradient.median())  # lower median; commutes with 10**
        star = _latch_attractor(w)
        results.append(LatchResult(w, T, retention, 10.0 ** log10, log10, star, w * (1 - star * star)))
    return results


def plot_latch_dilemma(results: list[LatchResult] | None = None):
    r"""The latching dilemma from :func:`latch_experiment` (default arguments if ``results`` is None).

    Top: retention of the stored bit against :math:`w` (chance is 0.5). Bottom: the
    median :math:`|\partial h_T/\partial h_0|` (log scale) and, dashed, the noise-free
    prediction :math:`(w(1 - h^{*2}))^T` at the attractor. The dotted line is
    :math:`w = 1`, where the attractors :math:`\pm h^*` appear.
    """
    if results is None:
        results = latch_experiment()
    if not isinstance(results, (list, tuple)) or not results \
            or not all(isinstance(r, LatchResult) for r in results):
        raise ArgumentTypeError(f"results must be a nonempty list of LatchResult (from latch_experiment), "
                                f"got {type(results).__name__}")
    w = [r.w for r in results]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.2), sharex=True)
    top.plot(w, [r.retention for r in results], "o-", ms=4, color="C0")
    top.axhline(0.5, color="0.5", ls="--", lw=0.8)
    top.set_ylim(0.4, 1.02)
    top.set_ylabel("share of bits kept")
    top.set_title("robust latching", fontsize=10)
    bottom.plot(w, [r.median_log10_gradient for r in results], "o-", ms=4, color="C3",
                label=r"median, with noise")
    bottom.plot(w, [r.T * math.log10(r.contraction) for r in results], "--", color="0.4",
                label=r"$(w\,\sigma'(a^*))^T$ at the attractor")
    bottom.set_ylabel(r"$\log_{10} |\partial h_T / \partial h_0|$")
    bottom.set_title("gradient through $T$ steps", fontsize=10)
    bottom.legend(fontsize=8)
    for ax in (top, bottom):
        ax.axvline(1.0, color="0.3", ls=":", lw=1)
    bottom.set_xlabel("recurrent weight $w$")
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------- figures of the chapter


def plot_energy_landscape(W: Tensor, b: Tensor, runs: dict, energy: dict, dt: float = 0.1,
                          grid: int = 161):
    r"""Hopfield's energy (:func:`lyapunov_energy`) of a 2-unit network and its decrease.

    ``runs`` maps the names ``"synchronous"``, ``"asynchronous"`` and ``"continuous"``
    to the states of :func:`trajectory` (``(N, steps + 1, 2)``), ``energy`` maps the same
    names to the energies ``(N, steps + 1)`` along them. Top: contour lines of
    :math:`E` on :math:`[-0.995, 0.995]^2` with the synchronous trajectories. Middle:
    :math:`E(h_k)` along the synchronous (solid) and asynchronous (dashed) runs. Bottom:
    :math:`E(h(t))` along the continuous-time runs (Euler step ``dt``, in :math:`(0, 1]`).
    ``grid`` (at least 2) is the number of points per axis of the contour plot.
    """
    W, b = _check_system(W, b)
    if W.shape != (2, 2):
        raise ValueError(f"W must be 2 x 2 (a 2-unit network, drawn in the plane), "
                         f"got shape {tuple(W.shape)}")
    W, b = W.detach(), b.detach()
    runs, energy = _check_by_mode(runs, "runs", MODES), _check_by_mode(energy, "energy", MODES)
    for mode in MODES:
        runs[mode] = _check_batch(runs[mode], f"runs[{mode!r}]", 3).detach()
        energy[mode] = _check_batch(energy[mode], f"energy[{mode!r}]", 2).detach()
        if runs[mode].shape[2] != 2 or energy[mode].shape != runs[mode].shape[:2]:
            raise ValueError(f"runs[{mode!r}] must have shape (N, K, 2) and energy[{mode!r}] shape (N, K), "
                             f"got {tuple(runs[mode].shape)} and {tuple(energy[mode].shape)}")
    dt = check_float(dt, "dt", low=0, high=1, low_open=True)
    grid = check_int(grid, "grid", low=2)
    check_memory(8 * grid * grid * W.element_size(), "the energy landscape", "grid")
    axis = torch.linspace(-0.995, 0.995, grid, dtype=W.dtype)
    g1, g2 = torch.meshgrid(axis, axis, indexing="xy")
    states = torch.stack([g1.reshape(-1), g2.reshape(-1)], 1)
    landscape = lyapunov_energy(W, b, states).reshape(g1.shape)
    fig, axes = plt.subplots(3, 1, figsize=(FIGURE_WIDTH, 8.2), height_ratios=(3.4, 2.2, 2.2))
    axes[0].contour(g1.numpy(), g2.numpy(), landscape.numpy(), levels=20, cmap="viridis",
                    linewidths=0.7)
    for path in runs["synchronous"]:
        axes[0].plot(path[:, 0], path[:, 1], ".-", color="0.2", lw=0.8, ms=2)
    axes[0].set(aspect="equal", xlabel="$h[1]$", ylabel="$h[2]$")
    axes[0].set_title("energy landscape, SRN trajectories", fontsize=10)
    axes[1].plot(energy["synchronous"].T, "-", color="C0", lw=0.9)
    axes[1].plot(energy["asynchronous"].T, "--", color="C1", lw=0.9)
    axes[1].set(xlabel="step $k$", ylabel="$E(h_k)$")
    axes[1].set_title("synchronous (—), asynchronous (- -)", fontsize=10)
    continuous = energy["continuous"]
    axes[2].plot(dt * torch.arange(continuous.shape[1]), continuous.T, color="C2", lw=0.9)
    axes[2].set(xlabel="time $t$", ylabel="$E(h(t))$")
    axes[2].set_title("continuous time", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _check_by_mode(values, name: str, modes) -> dict:
    """A dict with one entry per mode (a copy)."""
    if not isinstance(values, dict) or set(values) != set(modes):
        raise ArgumentTypeError(f"{name} must be a dict with the keys {', '.join(map(repr, modes))}, "
                                f"got {type(values).__name__}")
    return dict(values)


def plot_pitchfork(ws) -> tuple:
    r"""The pitchfork of the scalar map :math:`h \mapsto \tanh(w h)` over the weights ``ws``.

    Top: its fixed points (:func:`fixed_points`), filled when stable (or marginal, as
    the origin at :math:`w = 1`, which attracts slowly), open when unstable. Bottom: the
    Jacobian :math:`\lambda(w) = w(1 - h^{*2})` at the largest fixed point
    :math:`h^* \ge 0`. Returns ``(fig, contraction)``, the list of :math:`\lambda(w)`.
    ``ws`` is a nonempty list of finite weights.
    """
    ws = check_float_sequence(ws, "ws")
    branches = {"stable": ([], []), "unstable": ([], [])}
    contraction = []
    zero = torch.zeros(1, dtype=torch.float64)
    for w in ws:
        found = fixed_points(torch.tensor([[w]], dtype=torch.float64), zero, "tanh",
                             n_starts=20)
        for p in found:
            kind = "unstable" if p.kind in ("unstable", "saddle") else "stable"
            branches[kind][0].append(w)
            branches[kind][1].append(float(p.h))
        contraction.append(max(found, key=lambda p: float(p.h)).spectral_radius)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.0), sharex=True)
    top.plot(*branches["stable"], "o", ms=2.5, color="C0", label="stable")
    top.plot(*branches["unstable"], "o", ms=2.5, mfc="white", color="C3", label="unstable")
    top.set(ylabel="fixed points $h^*$", title=r"$h = \tanh(w h)$: a pitchfork")
    top.legend(fontsize=8)
    bottom.plot(ws, contraction, color="C0")
    bottom.axhline(1, color="0.5", ls="--", lw=0.8)
    bottom.set(xlabel="$w$", ylabel=r"$\lambda(w) = w\,(1 - h^{*2})$",
               title="Jacobian at the attractor")
    fig.tight_layout()
    plt.close(fig)
    return fig, contraction


def plot_latch_frame(result: LatchResult, x: Tensor, bits: Tensor, shown: int = 24):
    r"""One frame of the chapter's latch slider, for the weight ``result.w``.

    ``x`` and ``bits`` are :func:`latch_inputs`, ``result`` the entry of
    :func:`latch_experiment` for that weight. Top: ``shown`` trajectories of the latch
    (blue: bit :math:`+1`, red: :math:`-1`) and, grey, the band
    :math:`|h| < \sqrt{1 - 1/w}` where the Jacobian :math:`w(1 - h^2)` exceeds 1. Bottom:
    :math:`\log_{10}|\partial h_t/\partial h_0|` along the same sequences, its median
    over all of them (black) and the noise-free slope :math:`t \log_{10}\lambda(w)`.
    ``bits`` has one entry :math:`\pm 1` per row of ``x``, in ``x``'s dtype, and
    ``1 <= shown <=`` the number of rows.
    """
    result = check_instance(result, "result", LatchResult, "a LatchResult (from latch_experiment)")
    x = _check_batch(x, "x", 2).detach()
    bits = check_tensor(bits, "bits", ndim=1).detach()
    if bits.shape != (x.shape[0],) or bits.dtype != x.dtype:
        raise ValueError(f"bits must have shape ({x.shape[0]},) and the dtype of x ({x.dtype}), one per row "
                         f"of x, got shape {tuple(bits.shape)} and dtype {bits.dtype}")
    if not bool((bits.abs() == 1).all()):
        raise ValueError("bits must contain only -1 and +1 (the stored bits)")
    shown = check_int(shown, "shown", low=1, high=x.shape[0])
    w = result.w
    trace = latch(w, x)
    t = torch.arange(1, trace.h.shape[1] + 1)
    log_grad = torch.log10((w * (1 - trace.h ** 2)).abs()).cumsum(1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 4.8), sharex=True)
    if w > 1:
        band = math.sqrt(1 - 1 / w)
        top.axhspan(-band, band, color="0.88", lw=0)
    for i in range(shown):
        top.plot(t, trace.h[i], color="C0" if bits[i] > 0 else "C3", lw=0.7)
    top.set(ylim=(-1.05, 1.05), ylabel="$h_t$")
    bottom.plot(t, log_grad[:shown].T, color="0.65", lw=0.6)
    bottom.plot(t, log_grad.median(0).values, color="black", lw=1.8, label="median")
    bottom.plot(t, t * math.log10(result.contraction), "--", color="C3", lw=1,
                label=r"$t\log_{10}\lambda$")
    bottom.set(ylim=(-80, 5), xlabel="step $t$",
               ylabel=r"$\log_{10}|\partial h_t/\partial h_0|$")
    bottom.legend(fontsize=8, loc="lower left")
    fig.suptitle(rf"$w = {w:g}$: {result.retention:.1%} of the bits kept, median "
                 rf"$|\partial h_T/\partial h_0| = 10^{{{result.median_log10_gradient:.1f}}}$",
                 fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
