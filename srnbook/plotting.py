"""One figure style for the whole book, and the figures the chapters share.

Chapters call :func:`use_book_style` once. The plotting functions return a closed
matplotlib ``Figure``: a notebook cell that ends with the call displays it once
(whatever the backend), and a widget can render it to PNG. Figures with a tight layout
get it when drawn (``layout="tight"``), not when made: a figure costs its layout once.

Every function checks what it is given before it draws (no figure is left open by a
bad argument): results as the package returns them (records, or dicts with the keys
named in the docstring), numbers given as lists, tuples, NumPy arrays or floating-point
tensors, finite unless the docstring says otherwise.
"""

from __future__ import annotations

import io
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ._validation import (ArgumentTypeError, _is_real, _shown, check_bool, check_choice, check_float,
                          check_instance, check_int, check_int_tensor, check_positive_int, check_tensor)
from .activations import ACTIVATIONS, get_activation
from .saturation import BOUNDS

FIGURE_WIDTH = 6.4
"""The widest figure of the book, in inches (640 px at its 100 dpi). On a 400-px phone the text
column is about 368 px wide, so 10-pt text in a figure this wide still shows 8 px tall; panels
that do not fit side by side at this width stack, one per row."""

BOOK_STYLE = {
    "figure.figsize": (FIGURE_WIDTH, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "svg.hashsalt": "srnbook",  # reproducible SVG ids
}


# ---- checks of what the figures are given

_POSITIVE, _NONNEGATIVE, _SHARE, _ANY = {"positive": True}, {"low": 0.0}, {"low": 0.0, "high": 1.0}, {}
"""Checks of :func:`_values` for a field of a results record: > 0, >= 0, in [0, 1], any finite number."""
_COSINE = {"low": -1.0 - 1e-6, "high": 1.0 + 1e-6}
"""A cosine: in [-1, 1], to the rounding of the vectors it was computed from."""


def _text(value, name: str) -> str:
    return check_instance(value, name, str, "a string")


def _floor(floor) -> float:
    """The value drawn for exact zeros on a log axis: a number in (0, 1]."""
    return check_float(floor, "floor", low=0.0, low_open=True, high=1.0)


def _labelled(value, name: str) -> dict:
    """``value`` if it is a nonempty dict (label -> data); else an error naming ``name``."""
    if not isinstance(value, dict):
        raise ArgumentTypeError(f"{name} must be a nonempty dict label -> data, got {_shown(value)}")
    if not value:
        raise ValueError(f"{name} must be a nonempty dict label -> data, got an empty dict")
    return value


def _sublabelled(value, name: str, labels, of: str) -> dict:
    """``value`` (``None``: an empty dict) if it is a dict whose keys are labels of ``of``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArgumentTypeError(f"{name} must be a dict whose labels are labels of {of}, got {_shown(value)}")
    extra = [key for key in value if key not in labels]
    if extra:
        raise ValueError(f"{name} must be a dict whose labels are labels of {of}, got the label {extra[0]!r}")
    return value


def _values(value, name: str, *, ndim=1, low: float | None = None, high: float | None = None,
            positive: bool = False, inf: bool = False, nan: bool = False) -> torch.Tensor:
    """``value`` (numbers in a list or tuple, a NumPy array, or a floating-point tensor) as a
    float64 tensor with ``ndim`` dimensions (an int or a tuple), none of them empty; its entries
    finite (infinities allowed with ``inf``, NaN with ``nan``), >= ``low``, <= ``high``, > 0 with
    ``positive``. Else an error naming ``name``."""
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if isinstance(value, torch.Tensor):
        t = check_tensor(value, name, ndim=ndims, finite=False).detach().to(torch.float64)
    elif isinstance(value, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged nested lists
            array = np.asarray(None)
        if array.dtype.kind not in "iuf":
            raise ArgumentTypeError(f"{name} must be numbers only, got {_shown(value)}")
        if array.ndim not in ndims:
            expected = " or ".join(str(n) for n in ndims)
            raise ValueError(f"{name} must have {expected} dimensions, got shape {array.shape}")
        t = torch.from_numpy(array.astype(np.float64))
    else:
        raise ArgumentTypeError(f"{name} must be numbers (a list, an array or a tensor), got {_shown(value)}")
    if t.numel() == 0:
        raise ValueError(f"{name} must be nonempty, got shape {tuple(t.shape)}")
    if (not nan and bool(t.isnan().any())) or (not inf and bool(t.isinf().any())):
        raise ValueError(f"{name} must be {'free of NaN' if inf else 'finite'}, got {_shown(value)}")
    if positive and bool((t <= 0).any()):
        raise ValueError(f"{name} must be positive, got {float(t[t <= 0][0])!r}")
    if low is not None and bool((t < low).any()):
        raise ValueError(f"{name} must be >= {low:g}, got {float(t[t < low][0])!r}")
    if high is not None and bool((t > high).any()):
        raise ValueError(f"{name} must be <= {high:g}, got {float(t[t > high][0])!r}")
    return t


def _column(rows, field: str, name: str, **checks) -> torch.Tensor:
    """The ``field`` of every entry of ``rows`` (a record with that attribute or a dict with that
    key) as a float64 tensor, checked as :func:`_values` with ``checks``."""
    values = []
    for i, row in enumerate(rows):
        if isinstance(row, dict) and field in row:
            value = row[field]
        elif not isinstance(row, dict) and hasattr(row, field):
            value = getattr(row, field)
        else:
            raise ValueError(f"{name}[{i}] must have the field {field!r}, got {_shown(row)}")
        if not _is_real(value):
            raise ArgumentTypeError(f"{name}[{i}] must have a number as {field!r}, got {_shown(value)}")
        values.append(float(value))
    return _values(values, f"{name} (field {field!r})", **checks)


def _table(rows, name: str, **fields) -> dict:
    """The ``fields`` of ``rows``, a nonempty list of records (or dicts), as float64 tensors:
    ``fields`` maps a field to the checks of :func:`_values` for it (``_POSITIVE``, ...)."""
    if not isinstance(rows, (list, tuple)) or isinstance(rows, tuple) and hasattr(rows, "_fields"):
        raise ArgumentTypeError(f"{name} must be a nonempty list of records, got {_shown(rows)}")
    if not rows:
        raise ValueError(f"{name} must contain at least one record, got an empty {type(rows).__name__}")
    return {field: _column(rows, field, name, **checks) for field, checks in fields.items()}


# ---- style and rendering


def use_book_style() -> None:
    """Apply the book's matplotlib style (``rcParams``) to every later figure."""
    plt.rcParams.update(BOOK_STYLE)


def figure_png(fig) -> bytes:
    """Render ``fig`` (a matplotlib ``Figure``) to PNG bytes and close it (used by widgets that
    show precomputed frames)."""
    check_instance(fig, "fig", Figure, "a matplotlib Figure")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _panel_grid(count: int, columns: int, row_height: float, top: float, width: float = FIGURE_WIDTH,
                **kwargs):
    """A figure for ``count`` panels, at most ``columns`` to a row, ``row_height`` inches per row
    plus ``top`` for titles, ``width`` inches wide: ``(fig, axes)``, ``axes`` a 2-D array whose
    cells beyond ``count`` are switched off. ``kwargs`` go to ``plt.subplots``."""
    columns = min(count, columns)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width, top + row_height * rows), squeeze=False, **kwargs)
    for ax in axes.ravel()[count:]:
        ax.set_axis_off()
    return fig, axes


def plot_activations(names=("sigmoid", "tanh", "relu"), lim: float = 6.0):
    r"""Each activation :math:`\sigma` and its derivative :math:`\sigma'` on :math:`[-\text{lim}, \text{lim}]`
    (``lim`` in (0, 1000]), with the saturation regions (where :math:`\sigma' < 10^{-2}`) shaded.
    ``names``: a nonempty list or tuple of names of :data:`srnbook.activations.ACTIVATIONS`."""
    if not isinstance(names, (list, tuple)):
        raise ArgumentTypeError(f"names must be a list or tuple of activation names, got {_shown(names)}")
    if not names:
        raise ValueError("names must contain at least one activation name, got an empty sequence")
    names = [check_choice(name, f"names[{i}]", tuple(ACTIVATIONS)) for i, name in enumerate(names)]
    lim = check_float(lim, "lim", low=0.0, low_open=True, high=1000.0)
    a = torch.linspace(-lim, lim, 601, dtype=torch.float64)
    fig, axes = plt.subplots(len(names), 1, figsize=(FIGURE_WIDTH, 0.4 + 1.9 * len(names)), sharex=True,
                             squeeze=False, layout="tight")
    for ax, name in zip(axes[:, 0], names):
        act = get_activation(name)
        h = act(a)
        ds = act.derivative(a, h)
        ax.plot(a, h, label=r"$\sigma(a)$")
        ax.plot(a, ds, label=r"$\sigma'(a)$")
        flat = (ds < 1e-2).numpy()
        ax.fill_between(a.numpy(), 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                        color="0.85", label=r"$\sigma' < 10^{-2}$")
        ax.set_title(name, fontsize=10)
    axes[-1, 0].set_xlabel("$a$")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    plt.close(fig)
    return fig


def plot_unfolded(steps: int = 4):
    r"""The SRN unfolded in time: inputs :math:`x_t`, states :math:`h_t`, outputs :math:`\hat y_t`,
    and the shared matrices :math:`U, W, V` on the arrows; ``steps`` in [1, 100] (1.7 inches each)."""
    steps = check_int(steps, "steps", low=1, high=100)
    shrink = min(1.0, FIGURE_WIDTH / (1.7 * steps + 1.5))  # a long unfolding is drawn smaller
    fig, ax = plt.subplots(figsize=(shrink * (1.7 * steps + 1.5), 3.0 * max(shrink, 0.7)))
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.3"}
    arrow = {"arrowstyle": "->", "color": "0.3", "lw": 1.2}

    def node(x, y, text, color):
        ax.text(x, y, text, ha="center", va="center", fontsize=12,
                bbox={**box, "fc": color}, zorder=3)

    for t in range(steps + 1):
        x = 1.7 * t
        node(x, 1, f"$h_{t}$", "#dbe9f6")
        if t == 0:
            continue
        node(x, 0, f"$x_{t}$", "#f3f3f3")
        node(x, 2, rf"$\hat y_{t}$", "#fde2c8")
        ax.annotate("", (x, 0.8), (x, 0.2), arrowprops=arrow)
        ax.annotate("", (x, 1.8), (x, 1.2), arrowprops=arrow)
        ax.annotate("", (x - 0.3, 1), (x - 1.4, 1), arrowprops=arrow)
        ax.text(x + 0.08, 0.5, "$U$", fontsize=10)
        ax.text(x + 0.08, 1.5, "$V$", fontsize=10)
        ax.text(x - 0.85, 1.08, "$W$", fontsize=10, ha="center")
    ax.set_xlim(-0.6, 1.7 * steps + 0.6)
    ax.set_ylim(-0.4, 2.4)
    plt.close(fig)
    return fig


def plot_cost(rows):
    """Two panels from :func:`srnbook.cost.cost_table` rows (dicts with the keys ``d``, ``T``,
    ``weights``, ``forward``, ``backward``): flops against the length :math:`T` (one line per
    hidden size) and against the number of weights :math:`N(W)` (one line per length)."""
    r = _table(rows, "rows", d=_POSITIVE, T=_POSITIVE, weights=_POSITIVE, forward=_NONNEGATIVE,
               backward=_NONNEGATIVE)
    flops = (r["forward"] + r["backward"]).numpy()
    d, T, weights = r["d"].numpy(), r["T"].numpy(), r["weights"].numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.4), layout="tight")
    for value in np.unique(d):
        sel = np.flatnonzero(d == value)[np.argsort(T[d == value], kind="stable")]
        top.plot(T[sel], flops[sel], "o-", label=f"d = {value:g}")
    for value in np.unique(T):
        sel = np.flatnonzero(T == value)[np.argsort(weights[T == value], kind="stable")]
        bottom.plot(weights[sel], flops[sel], "s-", label=f"T = {value:g}")
    top.set_xlabel("sequence length $T$")
    bottom.set_xlabel("number of weights $N(W)$")
    for ax in (top, bottom):
        ax.set_ylabel("flops, forward + BPTT")
        ax.ticklabel_format(style="sci", scilimits=(0, 0), axis="y")
        ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def plot_hidden_states(h, title: str = "", activation: str = "sigmoid"):
    r"""Heat map of one sequence's hidden states (units by time) beside the histogram of
    all coordinates; ``h`` has shape ``(T, d)`` or ``(B, T, d)`` (the first sequence is drawn),
    ``activation`` (``"sigmoid"`` or ``"tanh"``) sets the colour and histogram range."""
    h = _values(h, "h", ndim=(2, 3))
    title = _text(title, "title")
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    one = h[0] if h.dim() == 3 else h
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 2.7), gridspec_kw={"width_ratios": [2, 1]},
                                      layout="tight")
    image = left.imshow(one.T.numpy(), aspect="auto", cmap="coolwarm", vmin=lo, vmax=hi,
                        interpolation="nearest")
    left.set_xlabel("time step $t$")
    left.set_ylabel("unit $i$")
    left.grid(False)
    fig.colorbar(image, ax=left, label="$h_t[i]$")
    right.hist(h.reshape(-1).numpy(), bins=40, range=(lo, hi), color="0.4")
    right.set_xlabel("$h_t[i]$ (all sequences)")
    right.set_yticks([])
    fig.suptitle(title)
    plt.close(fig)
    return fig


def plot_scale_sweep(sweep, floor: float = 1e-46):
    r"""Distance to exact saturation and agreement with the DFA against the weight scale
    :math:`J`, from :func:`srnbook.ssrn.scale_sweep` (a dict activation -> list of
    :class:`~srnbook.ssrn.SweepPoint`; one curve per activation).

    Top: the largest distance of a hidden value to the nearest bound (``gap``), 0
    (drawn at ``floor``, in (0, 1], below the dashed line) when every hidden value is exactly on a
    bound; the dotted lines mark each activation's saturating scale. Bottom: the share
    of words the SSRN classifies as the DFA does."""
    sweep = _labelled(sweep, "sweep")
    floor = _floor(floor)
    curves = {activation: _table(rows, f"sweep[{activation!r}]", J=_POSITIVE, gap=_NONNEGATIVE,
                                 agreement=_SHARE, saturating_J=_POSITIVE)
              for activation, rows in sweep.items()}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.2), sharex=True, layout="tight")
    for i, (activation, c) in enumerate(curves.items()):
        colour = f"C{i}"
        J = c["J"].numpy()
        top.plot(J, c["gap"].clamp_min(floor).numpy(), "o-", ms=3, color=colour, label=activation)
        bottom.plot(J, c["agreement"].numpy(), "o-", ms=3, color=colour, label=activation)
        for ax in (top, bottom):
            ax.axvline(float(c["saturating_J"][0]), color=colour, ls=":", lw=1)
    top.axhline(floor * 30, color="0.5", ls="--", lw=0.8)
    top.text(0.02, 0.04, "below: exactly saturated", transform=top.transAxes, fontsize=8, color="0.4")
    top.set_yscale("log")
    top.set_ylabel("largest distance to a bound")
    top.set_title(r"distance to saturation ($\sigma_+ - \beta$)", fontsize=10)
    bottom.set_ylabel("share of words")
    bottom.set_title("agreement with the DFA", fontsize=10)
    for ax in (top, bottom):
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    bottom.set_xlabel("weight scale $J$")
    plt.close(fig)
    return fig


def plot_noise_robustness(results):
    r"""Agreement with the DFA against the relative weight noise :math:`s` (noise of standard
    deviation :math:`sJ` on every weight), one curve per scale :math:`J`;
    ``results`` maps a label (the scale) to the list of :class:`~srnbook.ssrn.NoisePoint`
    returned by :func:`srnbook.ssrn.noise_robustness`."""
    results = _labelled(results, "results")
    curves = {label: _table(points, f"results[{label!r}]", sigma=_NONNEGATIVE, agreement=_SHARE)
              for label, points in results.items()}
    fig, ax = plt.subplots(figsize=(5.6, 3.2), layout="tight")
    for label, c in curves.items():
        ax.plot(c["sigma"].numpy(), c["agreement"].numpy(), "o-", ms=3, label=str(label))
    ax.set_xlabel(r"relative noise $s$ (standard deviation $sJ$)")
    ax.set_ylabel("share of words classified as the DFA does")
    ax.set_ylim(0, 1.02)
    ax.legend(title="scale $J$", fontsize=8)
    plt.close(fig)
    return fig


def _square(value, name: str, **checks) -> torch.Tensor:
    """``value`` as :func:`_values` with two dimensions, and square."""
    t = _values(value, name, ndim=2, **checks)
    if t.shape[0] != t.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(t.shape)}")
    return t


def plot_jacobian_norms(norms: dict, title: str = r"$\|\partial a_t / \partial a_k\|_2$"):
    r"""Heatmaps of :math:`\log_{10}\|\partial a_t/\partial a_k\|` over :math:`(t, k)`, one panel per entry of
    ``norms`` (a label mapped to a ``(T, T)`` tensor of norms, >= 0, from
    :func:`srnbook.gradients.jacobian_norms`, e.g. the median over a batch); the upper triangle
    :math:`k > t` is blank."""
    norms = _labelled(norms, "norms")
    title = _text(title, "title")
    logs = {label: torch.log10(_square(n, f"norms[{label!r}]", low=0.0).clamp_min(1e-300))
            for label, n in norms.items()}
    lower = [v[torch.tril(torch.ones_like(v, dtype=torch.bool))] for v in logs.values()]
    low = max(min(float(v.min()) for v in lower), -30.0)
    high = max(max(float(v.max()) for v in lower), 1.0)
    fig, axes = _panel_grid(len(norms), columns=3, row_height=2.3, top=0.4)  # square heatmaps
    for ax, (label, v) in zip(axes.ravel(), logs.items()):
        T = v.shape[0]
        shown = v.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("nan")).clamp(low, high)
        image = ax.imshow(shown.numpy(), origin="lower", cmap="magma", vmin=low, vmax=high,
                          extent=(0.5, T + 0.5, 0.5, T + 0.5))
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("$k$")
        ax.grid(False)
    for row in axes:
        row[0].set_ylabel("$t$")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.85, label=r"$\log_{10}$ " + title)
    plt.close(fig)
    return fig


def plot_gradient_bounds(profiles: dict, bounds: dict, title: str = ""):
    r"""Measured :math:`\max \|\partial a_t/\partial a_k\|_2` against the lag :math:`t - k` beside the
    bounds, one panel per label: ``profiles[label]`` is a ``(T,)`` tensor (>= 0) from
    :func:`srnbook.gradients.lag_profile` and ``bounds[label]`` (``bounds`` has the labels of
    ``profiles``) maps a bound's name to its ``(T,)`` values, >= 0 and possibly ``inf``
    (e.g. :func:`~srnbook.gradients.singular_value_bound`)."""
    profiles = _labelled(profiles, "profiles")
    if not isinstance(bounds, dict) or set(bounds) != set(profiles):
        raise ValueError(f"bounds must be a dict with the labels of profiles {list(profiles)}, "
                         f"got {_shown(list(bounds) if isinstance(bounds, dict) else bounds)}")
    title = _text(title, "title")
    panels = {}
    for label, profile in profiles.items():
        profile = _values(profile, f"profiles[{label!r}]", low=0.0)
        if not isinstance(bounds[label], dict):
            raise ArgumentTypeError(f"bounds[{label!r}] must be a dict name -> values, "
                                    f"got {_shown(bounds[label])}")
        lines = {name: _values(values, f"bounds[{label!r}][{name!r}]", low=0.0, inf=True)
                 for name, values in bounds[label].items()}
        for name, values in lines.items():
            if values.shape != profile.shape:
                raise ValueError(f"bounds[{label!r}][{name!r}] must have the shape of profiles[{label!r}] "
                                 f"{tuple(profile.shape)}, got {tuple(values.shape)}")
        panels[label] = profile, lines
    fig, axes = plt.subplots(len(profiles), 1, figsize=(FIGURE_WIDTH, 0.4 + 2.2 * len(profiles)),
                             squeeze=False, sharex=True, sharey=True, layout="tight")
    for ax, (label, (profile, lines)) in zip(axes[:, 0], panels.items()):
        lags = range(len(profile))
        ax.plot(lags, profile.clamp_min(1e-300).numpy(), "k-", lw=2, label="measured (max)")
        for j, (name, values) in enumerate(lines.items()):
            ax.plot(lags, values.numpy(), "--", color=f"C{j}", label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-30, 1e30)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(r"$\|\partial a_t / \partial a_k\|_2$")
    axes[-1, 0].set_xlabel("lag $t - k$")
    axes[-1, 0].legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_decay_and_memory(profile, memory, title: str = ""):
    r"""The backward and the forward view of one network, one above the other.

    Top: the median :math:`\|\partial a_t/\partial a_k\|_2` against the lag (``profile``, ``(T,)``, from
    :func:`srnbook.gradients.lag_profile` with ``reduce="median"``): how much of an error signal
    survives :math:`t - k` steps back. Bottom: the median distance :math:`\|h_t(x) - h_t(x')\|` between
    two runs whose inputs differ at the first step only (``memory``, ``(B, T)`` from
    :func:`srnbook.gradients.input_memory`): how long the first input is remembered. Both >= 0."""
    profile = _values(profile, "profile", low=0.0)
    memory = _values(memory, "memory", ndim=2, low=0.0)
    title = _text(title, "title")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.2), layout="tight")
    top.plot(range(len(profile)), profile.clamp_min(1e-30).numpy(), "C0-")
    top.set_yscale("log")
    top.set_ylim(1e-12, 1e6)
    top.set_xlabel("lag $t - k$")
    top.set_title(r"gradient: median $\|\partial a_t / \partial a_k\|_2$", fontsize=9)
    median = memory.median(dim=0).values.clamp_min(1e-30)
    bottom.plot(range(1, len(median) + 1), median.numpy(), "C3-")
    bottom.set_yscale("log")
    bottom.set_ylim(1e-12, 1e1)
    bottom.set_xlabel("step $t$")
    bottom.set_title(r"memory: median $\|h_t(x) - h_t(x')\|$, $x, x'$ differ at $t = 1$", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


# ---- Hessian-free chapter


def plot_quadratic_paths(A, b, paths: dict, upto: int | None = None, title: str = ""):
    r"""Contours of :math:`\phi(x) = \tfrac12 x^\top A x - b^\top x` (``A`` symmetric positive definite
    2 x 2, ``b`` of size 2) and one descent path per entry of ``paths`` (label -> ``(k, 2)`` iterates),
    each cut after ``upto`` steps (>= 0; all of it if ``upto`` is ``None`` or the path is shorter);
    the minimizer :math:`A^{-1}b` is marked with a star."""
    A, b = _values(A, "A", ndim=2), _values(b, "b")
    if A.shape != (2, 2):
        raise ValueError(f"A must be 2 x 2, got shape {tuple(A.shape)}")
    if b.shape != (2,):
        raise ValueError(f"b must have size 2, got shape {tuple(b.shape)}")
    if not torch.allclose(A, A.T, rtol=1e-12, atol=0.0) or float(torch.linalg.eigvalsh(A)[0]) <= 0:
        raise ValueError(f"A must be symmetric positive definite (phi has a minimizer), got {A.tolist()}")
    paths = {label: _values(p, f"paths[{label!r}]", ndim=2) for label, p in _labelled(paths, "paths").items()}
    for label, path in paths.items():
        if path.shape[1] != 2:
            raise ValueError(f"paths[{label!r}] must have shape (k, 2), got {tuple(path.shape)}")
    upto = None if upto is None else check_int(upto, "upto", low=0)
    title = _text(title, "title")
    star = torch.linalg.solve(A, b)
    points = torch.cat([*paths.values(), star.view(1, 2)])
    lo, hi = points.min(0).values, points.max(0).values
    pad = 0.15 * (hi - lo).max().clamp_min(1e-3)
    gx = torch.linspace(float(lo[0] - pad), float(hi[0] + pad), 200, dtype=torch.float64)
    gy = torch.linspace(float(lo[1] - pad), float(hi[1] + pad), 200, dtype=torch.float64)
    X, Y = torch.meshgrid(gx, gy, indexing="xy")
    P = torch.stack([X, Y], -1)
    phi = 0.5 * torch.einsum("...i,ij,...j->...", P, A, P) - P @ b
    fig, ax = plt.subplots(figsize=(4.6, 4.0), layout="tight")
    phi_star = float(0.5 * star @ A @ star - b @ star)
    levels = phi_star + (float(phi.max()) - phi_star) * torch.linspace(0, 1, 16)[1:] ** 2
    ax.contour(X.numpy(), Y.numpy(), phi.numpy(), levels=levels.numpy(), colors="0.7", linewidths=0.7,
               linestyles="solid")
    for i, (label, path) in enumerate(paths.items()):
        shown = path if upto is None else path[: upto + 1]
        ax.plot(shown[:, 0].numpy(), shown[:, 1].numpy(), "o-", ms=3.5, color=f"C{i}", label=label)
    ax.plot([float(star[0])], [float(star[1])], "k*", ms=11, label="minimizer $A^{-1}b$")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_residual_histories(histories: dict, n: int | None = None, ylabel: str = r"$\|b - A x_i\| / \|b\|$"):
    r"""Semilog curves of residual norms against the CG iteration :math:`i`, one per entry of
    ``histories`` (label -> sequence of values >= 0); a dotted line marks :math:`i = n` (an integer
    >= 1) if given, wherever it falls."""
    histories = {label: _values(v, f"histories[{label!r}]", low=0.0)
                 for label, v in _labelled(histories, "histories").items()}
    n = None if n is None else check_int(n, "n", low=1)
    ylabel = _text(ylabel, "ylabel")
    fig, ax = plt.subplots(figsize=(5.6, 3.2), layout="tight")
    for label, values in histories.items():
        ax.semilogy(range(len(values)), values.clamp_min(1e-300).numpy(), "o-", ms=2.5, label=label)
    if n is not None:
        ax.axvline(n, color="0.4", ls=":", lw=1)
        ax.text(n, ax.get_ylim()[1], f" $i = n = {n}$", va="top", fontsize=8, color="0.3")
    ax.set_xlabel("CG iteration $i$")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def plot_spectra(spectra: dict, linthresh: float = 1e-6):
    r"""Sorted eigenvalues of symmetric matrices (label -> eigenvalues), on a symmetric-log axis
    (linear within ``linthresh`` > 0 of 0) so that negative eigenvalues show below the dashed zero line."""
    spectra = {label: torch.sort(_values(eig, f"spectra[{label!r}]")).values
               for label, eig in _labelled(spectra, "spectra").items()}
    linthresh = check_float(linthresh, "linthresh", low=0.0, low_open=True)
    fig, ax = plt.subplots(figsize=(5.6, 3.2), layout="tight")
    for i, (label, eig) in enumerate(spectra.items()):
        ax.plot(range(1, len(eig) + 1), eig.numpy(), "o", ms=3.5, color=f"C{i}", label=label)
    ax.axhline(0, color="0.3", ls="--", lw=0.8)
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.set_xlabel("index (sorted)")
    ax.set_ylabel("eigenvalue")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def plot_finite_difference_errors(eps, errors: dict, unit_roundoff: dict | None = None):
    r"""Log-log relative error of a finite-difference Hessian-vector product against
    :math:`\epsilon` (``eps``, values > 0), one curve per entry of ``errors`` (label -> errors >= 0 at
    ``eps``); ``unit_roundoff`` (some labels of ``errors`` -> :math:`u` in (0, 1)) adds a dotted line at
    :math:`\epsilon = \sqrt u`."""
    eps = _values(eps, "eps", positive=True)
    errors = {label: _values(err, f"errors[{label!r}]", low=0.0)
              for label, err in _labelled(errors, "errors").items()}
    for label, err in errors.items():
        if err.shape != eps.shape:
            raise ValueError(f"errors[{label!r}] must have one value per entry of eps ({len(eps)}), "
                             f"got {len(err)}")
    unit_roundoff = {label: check_float(u, f"unit_roundoff[{label!r}]", low=0.0, high=1.0, low_open=True,
                                        high_open=True)
                     for label, u in _sublabelled(unit_roundoff, "unit_roundoff", errors, "errors").items()}
    fig, ax = plt.subplots(figsize=(5.6, 3.3), layout="tight")
    for i, (label, err) in enumerate(errors.items()):
        ax.loglog(eps.numpy(), err.clamp_min(1e-18).numpy(), "o-", ms=3, color=f"C{i}", label=label)
        if label in unit_roundoff:
            ax.axvline(unit_roundoff[label] ** 0.5, color=f"C{i}", ls=":", lw=1)
    ax.set_xlabel(r"$\epsilon$")
    ax.set_ylabel(r"relative error of $\widehat{Hv}$")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def plot_hf_trace(rows):
    r"""Three panels over the steps of a :class:`srnbook.optim.hessian_free.HessianFree` run, from
    ``rows`` (one dict per step with ``loss_after`` >= 0, ``damping`` > 0 and ``rho``, a number or
    :math:`\pm\infty`, as in ``opt.state["hf"]``): the loss, the damping :math:`\lambda` (log scales)
    and the reduction ratio :math:`\rho` with the thresholds 1/4 and 3/4 of the Levenberg-Marquardt rule."""
    r = _table(rows, "rows", loss_after=_NONNEGATIVE, damping=_POSITIVE, rho={"inf": True})
    steps = range(1, len(rows) + 1)
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(FIGURE_WIDTH, 6.0), sharex=True, layout="tight")
    top.semilogy(steps, r["loss_after"].numpy(), "o-", ms=3)
    top.set_title(r"loss $f(\theta_k)$", fontsize=10)
    middle.semilogy(steps, r["damping"].numpy(), "o-", ms=3, color="C1")
    middle.set_title(r"damping $\lambda$ (after the step)", fontsize=10)
    bottom.plot(steps, r["rho"].clamp(-1.0, 2.0).numpy(), "o-", ms=3, color="C2")
    for level in (0.25, 0.75):
        bottom.axhline(level, color="0.4", ls=":", lw=1)
    bottom.set_ylim(-1.1, 2.1)
    bottom.set_title(r"reduction ratio $\rho$ (clipped to $[-1, 2]$)", fontsize=10)
    bottom.set_xlabel("HF step $k$")
    plt.close(fig)
    return fig


def plot_hf_saturation(points, damping: float):
    r"""The SSRN sweep of :func:`srnbook.optim.hessian_free.saturation_sweep` (a list of its
    ``SaturationPoint``) against the weight scale :math:`J` (log-log). Top: :math:`\|g\|`,
    :math:`\lambda_{\max}(G)` (a Rayleigh quotient: a value <= 0 by rounding is not drawn) and
    :math:`e^{-J}`. Bottom: the damped step :math:`\|\delta\|` at the fixed ``damping`` (the sweep's,
    :math:`\|g\|` / ``step_bound``), its bound :math:`\|g\|/\lambda`, and the step with the damping
    scaled to the curvature (NaN where the curvature is 0: not drawn)."""
    p = _table(points, "points", J=_POSITIVE, gradient_norm=_NONNEGATIVE, curvature=_ANY,
               step_norm=_NONNEGATIVE, step_bound=_NONNEGATIVE, scaled_step_norm={"low": 0.0, "nan": True})
    damping = check_float(damping, "damping", low=0.0, low_open=True)
    used = p["step_bound"] > 0
    if not torch.allclose(p["gradient_norm"][used] / p["step_bound"][used],
                          torch.tensor(damping, dtype=torch.float64), rtol=1e-6, atol=0.0):
        sweep = float((p["gradient_norm"][used] / p["step_bound"][used])[0])
        raise ValueError(f"damping must be the damping of the sweep's points (gradient_norm / step_bound "
                         f"= {sweep:g}), got {damping:g}")
    J = p["J"].numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.6), sharex=True, layout="tight")
    top.loglog(J, p["gradient_norm"].numpy(), "o-", ms=3.5, label=r"$\|g\|$")
    top.loglog(J, p["curvature"].numpy(), "s-", ms=3.5, label=r"$\lambda_{\max}(G)$")
    top.loglog(J, np.exp(-J), "k:", lw=1, label="$e^{-J}$")
    top.set_title("gradient and curvature", fontsize=10)
    bottom.loglog(J, p["step_norm"].numpy(), "o-", ms=3.5, color="C2",
                  label=rf"$\|\delta\|$, $\lambda = {damping:g}$")
    bottom.loglog(J, p["step_bound"].numpy(), "--", color="C2", lw=1, label=r"bound $\|g\|/\lambda$")
    bottom.loglog(J, p["scaled_step_norm"].numpy(), "s-", ms=3.5, color="C3",
                  label=r"$\|\delta'\|$, $\lambda' \propto \lambda_{\max}(G)$")
    bottom.set_title("length of the HF step", fontsize=10)
    bottom.set_xlabel("weight scale $J$")
    for ax in (top, bottom):
        ax.legend(fontsize=8)
    plt.close(fig)
    return fig


# ---- K-FAC chapter


def plot_fisher_blocks(blocks: dict, errors: dict | None = None, title: str = ""):
    r"""Heatmaps of Fisher blocks, up to three to a row, on one symmetric colour scale.

    ``blocks`` maps a label (e.g. "exact", "independent") to a square matrix; ``errors`` optionally
    maps some of its labels to the relative error :math:`\lVert \tilde F - F\rVert_F / \lVert F\rVert_F`
    (>= 0), shown in the title."""
    blocks = {label: _square(block, f"blocks[{label!r}]")
              for label, block in _labelled(blocks, "blocks").items()}
    errors = {label: check_float(err, f"errors[{label!r}]", low=0.0)
              for label, err in _sublabelled(errors, "errors", blocks, "blocks").items()}
    title = _text(title, "title")
    fig, axes = _panel_grid(len(blocks), columns=3, row_height=2.3, top=0.5)  # square heatmaps
    top = max(float(b.abs().max()) for b in blocks.values())
    for ax, (label, block) in zip(axes.ravel(), blocks.items()):
        image = ax.imshow(block.numpy(), cmap="RdBu_r", vmin=-top, vmax=top)
        err = "" if label not in errors else f"\nerror {errors[label]:.3f}"
        ax.set_title(f"{label}{err}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def _direction(value, name: str, size: int | None = None) -> torch.Tensor:
    """``value`` (a nonzero vector, of ``size`` entries if given) scaled to unit length."""
    v = _values(value, name)
    if size is not None and v.numel() != size:
        raise ValueError(f"{name} must have {size} entries (as reference), got {v.numel()}")
    norm = v.norm()
    if not 0 < float(norm) < math.inf:
        raise ValueError(f"{name} must be a nonzero vector of finite length, got norm {float(norm)!r}")
    return v / norm


def plot_step_comparison(reference, steps: dict, cosines: dict, title: str = "",
                         cosine_label: str = "cosine with the natural-gradient step"):
    r"""Top: the entries of each step in ``steps`` (label -> vector) against those of ``reference``
    (the exact natural-gradient step; all nonzero vectors of one size), each scaled to unit length;
    bottom: the cosine of each step with the reference (``cosines``: label -> value in [-1, 1], to
    rounding), as bars, in the colour of the step on top (grey for a label not drawn there)."""
    ref = _direction(reference, "reference")
    steps = {label: _direction(s, f"steps[{label!r}]", ref.numel())
             for label, s in _labelled(steps, "steps").items()}
    cosines = {label: check_float(c, f"cosines[{label!r}]", low=_COSINE["low"], high=_COSINE["high"])
               for label, c in _labelled(cosines, "cosines").items()}
    title, cosine_label = _text(title, "title"), _text(cosine_label, "cosine_label")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 6.4), gridspec_kw={"height_ratios": [1.5, 1]},
                                      layout="tight")
    lim = 0.0
    for j, (label, s) in enumerate(steps.items()):
        top.plot(ref.numpy(), s.numpy(), "o", ms=3, color=f"C{j}", alpha=0.8, label=label)
        lim = max(lim, float(ref.abs().max()), float(s.abs().max()))
    top.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    top.set(xlim=(-1.05 * lim, 1.05 * lim), ylim=(-1.05 * lim, 1.05 * lim),
            xlabel="natural-gradient step (unit length)", ylabel="other step (unit length)")
    top.legend(fontsize=8, loc="upper left")
    labels = list(cosines)
    colours = {label: f"C{j}" for j, label in enumerate(steps)}
    bottom.barh(range(len(labels)), [cosines[k] for k in labels],
                color=[colours.get(k, "0.6") for k in labels])
    bottom.set_yticks(range(len(labels)), [str(k) for k in labels], fontsize=8)
    bottom.invert_yaxis()
    bottom.set(xlim=(0, 1), xlabel=cosine_label)
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


_KFAC_FIELDS = {"G_scale": _NONNEGATIVE, "gradient_norm": _NONNEGATIVE, "gradient_cosine": _COSINE,
                "step_ratio": {"nan": True}}
"""The per-layer fields of a K-FAC ``SaturationPoint`` that :func:`plot_saturation_sweep` draws, and
their checks."""


def plot_saturation_sweep(points, layers=("U", "W", "V")):
    r"""K-FAC at compiled saturated SRNs against the scale :math:`J` (``points`` from
    :func:`srnbook.optim.kfac.saturation_sweep`; ``layers``, a nonempty list or tuple of layer names,
    says which of their per-layer entries are drawn). Top: :math:`\max\sigma'(a_t)`, the scale
    :math:`\operatorname{tr}G_0/\dim G_0` of each layer's gradient factor and the gradient norms,
    on a log scale. Bottom: the cosine of the K-FAC step with :math:`-\nabla L` and the ratio
    :math:`\lambda\lVert s\rVert / \lVert\nabla L\rVert` (NaN where the gradient is 0: not drawn);
    both reach 1 when the step is :math:`-\nabla L/\lambda`."""
    p = _table(points, "points", J=_POSITIVE, sigma_prime=_NONNEGATIVE)
    if not isinstance(layers, (list, tuple)) or not layers or not all(isinstance(m, str) for m in layers):
        raise ArgumentTypeError(f"layers must be a nonempty list or tuple of layer names, "
                                f"got {_shown(layers)}")
    by_layer = {}
    for field, checks in _KFAC_FIELDS.items():
        for layer in layers:
            values = []
            for i, point in enumerate(points):
                entries = getattr(point, field, None)
                if not isinstance(entries, dict) or layer not in entries:
                    raise ValueError(f"points[{i}] must have a dict {field} with the layer {layer!r} "
                                     f"(layers), got {_shown(entries)}")
                values.append(entries[layer])
            by_layer[field, layer] = _values(values, f"points (field {field!r}, layer {layer!r})", **checks)
    J = p["J"].numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.8), sharex=True, layout="tight")
    top.plot(J, p["sigma_prime"].numpy(), "k-", lw=3, alpha=0.5, label=r"$\max \sigma'(a_t)$")
    for j, layer in enumerate(layers):
        G = by_layer["G_scale", layer]
        equal = [m for m in layers if torch.equal(by_layer["G_scale", m], G)]
        if equal[0] == layer:  # U and W share g_t = D a_t, hence G_0: one line for both
            top.plot(J, G.clamp_min(1e-300).numpy(), "-", color=f"C{j}",
                     label=rf"$\mathrm{{tr}}\,G_0/\dim$ ({', '.join(equal)})")
        top.plot(J, by_layer["gradient_norm", layer].clamp_min(1e-300).numpy(), ":", color=f"C{j}",
                 label=rf"$\|\nabla_{layer} L\|$")
    top.set_yscale("log")
    top.legend(fontsize=8, ncol=2, loc="lower left")
    for j, layer in enumerate(layers):
        bottom.plot(J, by_layer["gradient_cosine", layer].numpy(), "-o", ms=3, color=f"C{j}",
                    label=rf"$\cos(s, -\nabla L)$ ({layer})")
        bottom.plot(J, by_layer["step_ratio", layer].numpy(), "--", color=f"C{j}",
                    label=rf"$\lambda\|s\|/\|\nabla L\|$ ({layer})")
    bottom.axhline(1.0, color="0.5", lw=0.8)
    bottom.set(xlabel="weight scale $J$", ylim=(0, 1.08))
    bottom.legend(fontsize=8, loc="lower right")
    plt.close(fig)
    return fig


# ---- learning saturated SRNs chapter

PAIR_METRICS = (("loss", "training loss"), ("grad_l2", r"$\|\nabla L\|_2$"),
                ("grad_linf", r"$\|\nabla L\|_\infty$"),
                ("distance", "distance to the target"), ("line_distance", "distance to the target's line"),
                ("test_accuracy", "accuracy"))
"""The six panels of :func:`plot_pair_histories`: a key of :class:`srnbook.learning.History` and its title."""


def plot_nth_root_family(ns=(0.5, 1, 2, 3, 4, 5, 6), bce: bool = True):
    r"""The report's Figure 3: the Nth root loss
    :math:`\ell_n(\hat y, y) = (1-y)\,\hat y^{1/n} + y\,(1-\hat y)^{1/n}` on :math:`\hat y \in [0, 1]`,
    one curve per :math:`n` in ``ns`` (positive numbers); left :math:`y = 1`, right :math:`y = 0`.

    With ``bce`` the cross-entropy :math:`-y\log\hat y - (1-y)\log(1-\hat y)` is drawn dashed for comparison.
    """
    ns = _values(ns, "ns", positive=True).tolist()
    bce = check_bool(bce, "bce")
    yhat = torch.linspace(0.0, 1.0, 401, dtype=torch.float64)
    fig, axes = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 2.9), sharey=True, layout="tight")
    for ax, y in zip(axes, (1, 0)):
        wrong = 1 - yhat if y == 1 else yhat  # the distance of the prediction to the label
        for j, n in enumerate(ns):
            ax.plot(yhat, wrong ** (1.0 / n), color=plt.cm.viridis(j / max(len(ns) - 1, 1)),
                    label=f"$n = {n:g}$")
        if bce:
            ax.plot(yhat[1:-1], -torch.log1p(-wrong[1:-1]), "k--", lw=1, label="BCE")
        ax.set(xlabel=r"prediction $\hat y$", title=f"label $y = {y}$", xlim=(0, 1), ylim=(0, 1.6))
    axes[0].set_ylabel(r"loss $\ell_n(\hat y, y)$")
    axes[1].legend(fontsize=8, loc="upper left")
    plt.close(fig)
    return fig


HISTORY_KEYS = ("epoch", *(key for key, _ in PAIR_METRICS), "train_accuracy")
"""The keys of a :class:`srnbook.learning.History` that :func:`plot_pair_histories` draws."""


def _history_dict(history, name: str) -> dict:
    """The metrics of a :class:`srnbook.learning.History` (or of its ``to_dict()``) as float64 tensors."""
    data = history.to_dict() if hasattr(history, "to_dict") and not isinstance(history, dict) else history
    if not isinstance(data, dict) or any(key not in data for key in HISTORY_KEYS):
        raise ValueError(f"{name} must be a srnbook.learning.History or a dict with keys "
                         f"{', '.join(HISTORY_KEYS)}")
    sequences = (list, tuple, np.ndarray, torch.Tensor)
    lengths = {len(data[key]) if isinstance(data[key], sequences) and getattr(data[key], "ndim", 1) else -1
               for key in HISTORY_KEYS}
    if len(lengths) != 1 or lengths.pop() < 1:
        raise ValueError(f"{name} must hold one nonempty list per metric, all of the length of 'epoch'")
    return {key: _values(data[key], f"{name}[{key!r}]") for key in HISTORY_KEYS}


def plot_pair_histories(histories: dict, title: str = ""):
    r"""The six metrics of the report's figures 4-6 against the epoch, one line per network.

    ``histories`` maps a label (``"plain"``, ``"constrained"``) to a :class:`srnbook.learning.History`
    or its ``to_dict()`` (finite values). Panels: training loss, :math:`\|\nabla L\|_2` and
    :math:`\|\nabla L\|_\infty` (log scale), distances to the target SSRN and to its line, and the test
    accuracy (solid) with the training accuracy (dotted).
    """
    data = {label: _history_dict(h, f"histories[{label!r}]")
            for label, h in _labelled(histories, "histories").items()}
    title = _text(title, "title")
    fig, axes = plt.subplots(3, 2, figsize=(FIGURE_WIDTH, 6.6), sharex=True, layout="tight")
    for ax, (key, name) in zip(axes.ravel(), PAIR_METRICS):
        for j, (label, h) in enumerate(data.items()):
            ax.plot(h["epoch"].numpy(), h[key].numpy(), color=f"C{j}", lw=1.2, label=label)
            if key == "test_accuracy":
                ax.plot(h["epoch"].numpy(), h["train_accuracy"].numpy(), ":", color=f"C{j}", lw=1.2)
        ax.set_title(name, fontsize=10)
        if key.startswith("grad"):
            ax.set_yscale("log")
    accuracy = axes[2, 1]
    accuracy.axhline(0.5, color="0.6", lw=0.8)
    accuracy.set_ylim(0.3, 1.02)
    accuracy.set_title("accuracy: test (solid), train (dotted)", fontsize=9)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    for ax in axes[2]:
        ax.set_xlabel("epoch")
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def _rows_of_vectors(h, name: str) -> torch.Tensor:
    """``h`` as an :math:`(N, d)` float64 tensor with :math:`N \\ge 2` and :math:`d \\ge 2`."""
    h = _values(h, name, ndim=2)
    if h.shape[0] < 2 or h.shape[1] < 2:
        raise ValueError(f"{name} must be an (N, d) array with N >= 2 and d >= 2, got shape {tuple(h.shape)}")
    return h


def principal_plane(h) -> torch.Tensor:
    r"""The :math:`d \times 2` matrix of the first two principal directions of the rows of ``h``
    (:math:`N \times d`, :math:`N, d \ge 2`, finite; a tensor, an array or nested lists).

    Each direction's sign makes its largest-magnitude entry positive, so that the projection
    does not flip between nearby networks.
    """
    return _principal_plane(_rows_of_vectors(h, "h"))


def _principal_plane(h: torch.Tensor) -> torch.Tensor:
    _, _, vt = torch.linalg.svd(h - h.mean(0), full_matrices=False)
    axes = vt[:2].T.clone()
    signs = torch.sign(axes[axes.abs().argmax(0), torch.arange(2)])
    return axes * torch.where(signs == 0, 1.0, signs)


def _states(states) -> torch.Tensor:
    """``states`` (DFA states: nonnegative integers in a list, an array or an integer tensor, 2 or more)."""
    if isinstance(states, torch.Tensor):
        states = check_int_tensor(states, "states", ndim=1, low=0)
    else:
        array = np.asarray(states) if isinstance(states, (list, tuple, np.ndarray)) else np.asarray(None)
        if array.dtype.kind not in "iu" or array.ndim != 1:
            raise ValueError(f"states must be a 1-D array of integer DFA states, got {_shown(states)}")
        if array.size and array.min() < 0:
            raise ValueError(f"states must have entries >= 0, got {int(array.min())}")
        states = torch.from_numpy(array.astype(np.int64))
    if len(states) < 2:
        raise ValueError(f"states must hold 2 states or more (a principal plane needs 2 points), "
                         f"got {len(states)}")
    return states


def plot_state_projection(hidden: dict, states, title: str = ""):
    r"""Hidden vectors projected on their first two principal directions, coloured by the DFA's state.

    ``hidden`` maps a panel label to an :math:`(N, d)` array of hidden vectors :math:`h_t`, :math:`d \ge 2`
    (one row per prefix of the words read); ``states`` holds the :math:`N \ge 2` states
    :math:`s_t` (nonnegative integers) the target DFA is in after the same prefixes. A network that simulates
    the DFA sends all prefixes that end in one state to one point (or a tight cluster),
    one per state; a network that does not mixes the colours.
    """
    hidden = _labelled(hidden, "hidden")
    states = _states(states)
    panels = {}
    for label, h in hidden.items():
        h = _values(h, f"hidden[{label!r}]", ndim=2)
        if h.shape[0] != len(states) or h.shape[1] < 2:
            raise ValueError(f"hidden[{label!r}] must have one row per entry of states ({len(states)}) and 2 "
                             f"columns or more, got shape {tuple(h.shape)}")
        panels[label] = (h - h.mean(0)) @ _principal_plane(h)
    title = _text(title, "title")
    fig, axes = _panel_grid(len(hidden), columns=2, row_height=2.7, top=0.3,
                            width=min(FIGURE_WIDTH, 2.7 * min(len(hidden), 2) + 1.0), layout="tight")
    for ax, (label, xy) in zip(axes.ravel(), panels.items()):
        for q in torch.unique(states).tolist():
            mine = states == q
            ax.scatter(xy[mine, 0].numpy(), xy[mine, 1].numpy(), s=6, alpha=0.5, color=f"C{q}",
                       label=f"$q_{{{q}}}$", lw=0)
        ax.set(title=label, xlabel="PC 1", ylabel="PC 2")
        ax.title.set_fontsize(10)
    axes[0, -1].legend(fontsize=8, markerscale=2, title="DFA state", title_fontsize=8,
                       loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_gradient_by_scale(points: dict, saturating_J: float | None = None, floor: float = 1e-46):
    r"""Loss and gradient norms of compiled SSRNs against the scale :math:`J`, with the reference
    :math:`e^{-J}`.

    ``points`` maps a label (e.g. "Tomita 4, sigmoid") to the list of :class:`~srnbook.learning.ScalePoint`
    returned by :func:`srnbook.learning.gradient_by_scale`. Top: the loss; bottom: :math:`\|\nabla L\|_\infty`
    (solid) and :math:`\|\nabla L\|_2` (dotted), log scale. A value that is exactly 0 cannot be
    drawn on a log scale: it is drawn at ``floor`` (in (0, 1]), below the dashed line. The dotted vertical
    line marks ``saturating_J`` (> 0), wherever it falls.
    """
    curves = {label: _table(rows, f"points[{label!r}]", J=_POSITIVE, loss=_NONNEGATIVE, grad_l2=_NONNEGATIVE,
                            grad_linf=_NONNEGATIVE)
              for label, rows in _labelled(points, "points").items()}
    if saturating_J is not None:
        saturating_J = check_float(saturating_J, "saturating_J", low=0.0, low_open=True)
    floor = _floor(floor)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.6), sharex=True, layout="tight")
    J_all = torch.cat([c["J"] for c in curves.values()])
    J_ref = torch.linspace(float(J_all.min()), float(J_all.max()), 200, dtype=torch.float64)
    for j, (label, c) in enumerate(curves.items()):
        J = c["J"].numpy()
        top.plot(J, c["loss"].clamp_min(floor).numpy(), "-", color=f"C{j}", label=label)
        bottom.plot(J, c["grad_linf"].clamp_min(floor).numpy(), "-", color=f"C{j}", label=label)
        bottom.plot(J, c["grad_l2"].clamp_min(floor).numpy(), ":", color=f"C{j}")
    for ax in (top, bottom):
        ax.plot(J_ref.numpy(), torch.exp(-J_ref).numpy(), color="0.4", lw=0.8, ls="-.", label=r"$e^{-J}$")
        ax.axhline(floor * 30, color="0.5", ls="--", lw=0.8)
        if saturating_J is not None:
            ax.axvline(saturating_J, color="0.3", ls=":", lw=1)
        ax.set(yscale="log", ylim=(floor / 10, 10.0))
    bottom.set_xlabel("weight scale $J$")
    top.text(0.02, 0.04, "below: exactly 0", transform=top.transAxes, fontsize=8, color="0.4")
    top.set_title("loss", fontsize=10)
    bottom.set_title(r"$\|\nabla L\|_\infty$ (solid), $\|\nabla L\|_2$ (dotted)", fontsize=10)
    top.legend(fontsize=8, loc="upper right")
    plt.close(fig)
    return fig


def _fixed(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals, or in scientific notation where that would be long."""
    return f"{x:.{digits}f}" if abs(x) < 1e6 else f"{x:.{digits}g}"


def plot_scale_growth(growth: dict, slope: float, intercept: float):
    r"""Gradient descent from a compiled SSRN (:func:`srnbook.learning.scale_growth`): top, the effective
    scale :math:`J_s` against the step :math:`s` (log axis) with the fitted line
    :math:`J = \text{slope}\,\log s + \text{intercept}`; bottom, the loss against :math:`s` (log-log) with a
    :math:`1/s` guide. ``growth`` is the dict of ``scale_growth``: lists ``step`` (>= 0, two of them > 0 or
    more), ``J`` and ``loss`` (>= 0) of one length."""
    keys = ("step", "J", "loss")
    if not isinstance(growth, dict) or any(k not in growth for k in keys):
        raise ValueError(f"growth must be the dict of scale_growth with keys {', '.join(keys)}, "
                         f"got {_shown(growth)}")
    step, J = _values(growth["step"], "growth['step']", low=0.0), _values(growth["J"], "growth['J']")
    loss = _values(growth["loss"], "growth['loss']", low=0.0)
    if not len(step) == len(J) == len(loss) or int((step > 0).sum()) < 2:
        raise ValueError("growth must hold step, J and loss of one length, with 2 steps > 0 or more, "
                         f"got lengths {len(step)}, {len(J)}, {len(loss)}")
    slope, intercept = check_float(slope, "slope"), check_float(intercept, "intercept")
    keep = step > 0
    t = step[keep]
    line = slope * torch.log(t) + intercept
    if not bool(torch.isfinite(line).all()):
        raise ValueError(f"slope and intercept give a line slope * log s + intercept that overflows float64 "
                         f"(slope {slope:g}, intercept {intercept:g})")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.4), sharex=True, layout="tight")
    top.plot(t.numpy(), J[keep].numpy(), "-", color="C0", label="$J_s$")
    fit = rf"${_fixed(slope, 3)}\,\log s + {_fixed(intercept, 2)}$"
    top.plot(t.numpy(), line.numpy(), "k--", lw=1, label=fit)
    top.set(xscale="log", title="effective scale along the target")
    loss = loss[keep]
    bottom.plot(t.numpy(), loss.numpy(), "-", color="C1", label="loss")
    bottom.plot(t.numpy(), (loss[-1] * t[-1] / t).numpy(), "k--", lw=1, label=r"$\propto 1/s$")
    bottom.set(xscale="log", yscale="log", xlabel="step $s$", title="training loss")
    for ax in (top, bottom):
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    plt.close(fig)
    return fig


# ---- reservoir computing chapter


def _reservoir_grid(grid):
    """``grid`` (an :class:`~srnbook.reservoir.EchoStateGrid`) with its fields checked."""
    from .reservoir import EchoStateGrid

    if not isinstance(grid, EchoStateGrid):
        raise ArgumentTypeError(f"grid must be a srnbook.reservoir.EchoStateGrid, got {_shown(grid)}")
    radii = _values(grid.radii, "grid.radii", positive=True)
    leaks = _values(grid.leaks, "grid.leaks", positive=True)
    distance = _values(grid.final_distance, "grid.final_distance", ndim=2, low=0.0)
    echo = grid.echo
    if distance.shape != (len(leaks), len(radii)) or not isinstance(echo, torch.Tensor) \
            or echo.dtype != torch.bool or echo.shape != distance.shape:
        raise ValueError(f"grid must hold final_distance and a bool echo of shape (leaks, radii) = "
                         f"{(len(leaks), len(radii))}, got {tuple(distance.shape)} and {_shown(echo)}")
    tol = check_float(grid.tol, "grid.tol", low=0.0, low_open=True)
    return radii, leaks, distance, echo, tol


def plot_echo_state_grid(grid, critical: dict | None = None, floor: float = 1e-16):
    r"""The echo-state verdict of :func:`srnbook.reservoir.echo_state_sweep` over :math:`\rho \times \alpha`.

    Colour: :math:`\log_{10}` of the largest distance between runs at the last step (a value
    below ``floor``, in (0, 1], is drawn at ``floor``); the black line separates the cells where the verdict
    holds (distance below the grid's ``tol``) from the others. ``critical`` maps a leak
    rate :math:`\alpha` to a measured critical radius :math:`\rho^*` (positive numbers), drawn as white
    diamonds. Returns a figure with two axes (the map and its colour bar).
    """
    radii, leaks, distance, echo, tol = _reservoir_grid(grid)
    if critical is not None and not isinstance(critical, dict):
        raise ArgumentTypeError(f"critical must be a dict leak -> critical spectral radius, "
                                f"got {_shown(critical)}")
    critical = {check_float(k, "critical (a leak)", low=0.0, low_open=True):
                check_float(v, f"critical[{k!r}]", low=0.0, low_open=True)
                for k, v in (critical or {}).items()}
    floor = _floor(floor)
    value = torch.log10(distance.clamp_min(floor)).numpy()
    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="tight")
    mesh = ax.pcolormesh(radii.numpy(), leaks.numpy(), value, shading="nearest", cmap="viridis",
                         vmin=math.log10(floor), vmax=max(1.0, float(value.max())))
    fig.colorbar(mesh, ax=ax, label=r"$\log_{10}$ final distance")
    if 0 < int(echo.sum()) < echo.numel():
        ax.contour(radii.numpy(), leaks.numpy(), echo.double().numpy(), levels=[0.5],
                   colors="black", linewidths=1.2)
    if critical:
        ax.plot(list(critical.values()), list(critical.keys()), "D", mfc="white", mec="black", ms=5,
                label=r"measured $\rho^*$")
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xlabel=r"spectral radius $\rho(W)$", ylabel=r"leak rate $\alpha$")
    ax.grid(False)
    ax.set_title(f"echo state verdict (distance < {tol:.0e} after the run: left of the line)", fontsize=10)
    plt.close(fig)
    return fig


def plot_echo_distances(distances: dict, bounds: dict | None = None, floor: float = 1e-17):
    r"""Distances :math:`\|h_t - h'_t\|` between runs from different initial states against :math:`t`
    (log scale).

    ``distances`` maps a label to a 1-D tensor (index :math:`t = 0, \dots, T`, values >= 0, as returned by
    :func:`srnbook.reservoir.echo_state_distance`); ``bounds`` maps some of the labels to a
    contraction factor :math:`c` in (0, 1], drawn as the dashed bound :math:`c^t\, \|h_0 - h'_0\|`. Values
    below ``floor`` (in (0, 1]; exact zeros included) are drawn at ``floor``. One axes.
    """
    distances = {label: _values(d, f"distances[{label!r}]", low=0.0)
                 for label, d in _labelled(distances, "distances").items()}
    bounds = {label: check_float(c, f"bounds[{label!r}]", low=0.0, low_open=True, high=1.0)
              for label, c in _sublabelled(bounds, "bounds", distances, "distances").items()}
    floor = _floor(floor)
    fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="tight")
    for j, (label, dist) in enumerate(distances.items()):
        t = torch.arange(dist.numel(), dtype=torch.float64)
        ax.plot(t.numpy(), dist.clamp_min(floor).numpy(), color=f"C{j}", lw=1.2, label=label)
        if label in bounds:
            bound = float(dist[0]) * bounds[label] ** t
            ax.plot(t.numpy(), bound.clamp_min(floor).numpy(), "--", color=f"C{j}", lw=0.9)
    ax.set(yscale="log", xlabel="step $t$", ylabel=r"$\max_k \|h^{(k)}_t - h^{(0)}_t\|$")
    ax.legend(fontsize=8, loc="upper right")
    plt.close(fig)
    return fig


def plot_memory_capacity(curves: dict, size: int):
    r"""Jaeger's memory curves: :math:`\mathrm{MC}_k` against the delay :math:`k` (top), and the
    running sum :math:`\sum_{j \le k} \mathrm{MC}_j` with the bound :math:`d` = ``size`` (bottom; a
    positive integer, drawn wherever it falls).

    ``curves`` maps a label to a :class:`srnbook.reservoir.MemoryCapacity`. Two axes.
    """
    from .reservoir import MemoryCapacity

    curves = _labelled(curves, "curves")
    if not all(isinstance(c, MemoryCapacity) for c in curves.values()):
        raise ArgumentTypeError(f"curves must be a nonempty dict label -> srnbook.reservoir.MemoryCapacity, "
                                f"got {_shown(list(curves.values()))}")
    lines = {}
    for label, c in curves.items():
        delays = check_int_tensor(c.delays, f"curves[{label!r}].delays", ndim=1, low=0)
        r2 = _values(c.r2, f"curves[{label!r}].r2")
        if delays.shape != r2.shape:
            raise ValueError(f"curves[{label!r}] must have one r2 per delay, got {len(delays)} delays "
                             f"and {len(r2)}")
        lines[label] = delays, r2, check_float(c.total, f"curves[{label!r}].total")
    size = check_positive_int(size, "size")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.4), sharex=True, layout="tight")
    for j, (label, (delays, r2, total)) in enumerate(lines.items()):
        top.plot(delays.numpy(), r2.numpy(), color=f"C{j}", lw=1.2, label=f"{label} (MC = {total:.1f})")
        bottom.plot(delays.numpy(), r2.cumsum(0).numpy(), color=f"C{j}", lw=1.2)
    bottom.axhline(size, color="0.3", ls="--", lw=1, label=f"bound $d = {size}$")
    top.set(ylabel=r"$\mathrm{MC}_k = r^2(x_{t-k}, \hat y_k(t))$", ylim=(-0.03, 1.03))
    bottom.set(xlabel="delay $k$", ylabel=r"$\sum_{j \leq k} \mathrm{MC}_j$", ylim=(0, 1.08 * size))
    top.legend(fontsize=8, loc="upper right")
    bottom.legend(fontsize=8, loc="lower right")
    plt.close(fig)
    return fig


def plot_echo_runs(states: torch.Tensor, units: int = 3, title: str = "", floor: float = 1e-17):
    r"""Runs of one reservoir from different initial states on the same input.

    ``states`` is ``(n, T + 1, d)``, :math:`h^{(k)}_t` for :math:`n \ge 2` initial states (with
    the initial state at index :math:`t = 0`). Top: the first ``units`` units of every run (all of
    them if ``units`` >= :math:`d`; one colour per unit, one line style per run). Bottom:
    :math:`\max_k \|h^{(k)}_t - h^{(0)}_t\|` (log scale; values below ``floor``, in (0, 1], drawn at
    ``floor``). Two axes.
    """
    states = check_tensor(states, "states", ndim=3)
    if states.shape[0] < 2 or states.shape[1] < 1 or states.shape[2] < 1:
        raise ValueError(f"states must have shape (n, T + 1, d) with n >= 2 runs, got {tuple(states.shape)}")
    states = states.detach().to(torch.float64)
    units = min(check_positive_int(units, "units"), states.shape[2])
    title = _text(title, "title")
    floor = _floor(floor)
    t = torch.arange(states.shape[1]).numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 5.0), sharex=True, layout="tight")
    styles = ("-", "--", ":", "-.")
    for k in range(states.shape[0]):
        for i in range(units):
            top.plot(t, states[k, :, i].numpy(), styles[k % len(styles)], color=f"C{i}", lw=0.9)
    distance = (states[1:] - states[:1]).norm(dim=2).max(dim=0).values
    bottom.plot(t, distance.clamp_min(floor).numpy(), color="black", lw=1.2)
    top.set(ylabel=f"$h_t[i]$, $i = 1..{units}$", ylim=(-1.05, 1.05))
    bottom.set(yscale="log", xlabel="step $t$", ylabel=r"$\max_k \|h^{(k)}_t - h^{(0)}_t\|$",
               ylim=(floor / 10, 100))
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def _fit(fit, name: str, size: int):
    """``(tau, bias)`` of a :func:`srnbook.backward_tuning.decay_fit` result (``tau`` ``None``: no fit)
    for a history of ``size`` values; refused if :math:`e^{k/\\tau}` overflows float64 for ``k < size``."""
    if not isinstance(fit, dict) or "tau" not in fit or "bias" not in fit:
        raise ValueError(f"{name} must be a dict with the keys 'tau' and 'bias' (from decay_fit), "
                         f"got {_shown(fit)}")
    if fit["tau"] is None:
        return None, None
    tau = check_float(fit["tau"], f"{name}['tau']", low=0.0, low_open=True)
    if (size - 1) / tau > math.log(np.finfo(np.float64).max):
        raise ValueError(f"{name}['tau'] = {tau:g}: e^(k/tau) overflows float64 for the {size} values of the "
                         f"history")
    return tau, check_float(fit["bias"], f"{name}['bias']")


def plot_criterion_histories(histories: dict, fits: dict | None = None, tolerance: float | None = None,
                             title: str = ""):
    r"""Criterion histories :math:`c(k)` on a log scale, one line per entry of ``histories``
    (label -> values >= 0).

    ``fits`` (some labels -> :func:`srnbook.backward_tuning.decay_fit` result) adds, dashed, the fitted
    :math:`\beta + a e^{-k/\tau}`, with :math:`a` the mean of :math:`(c(k) - \beta) e^{k/\tau}` weighted by
    :math:`k` (points where it is not positive are not drawn); ``tolerance`` (> 0) a dotted horizontal line,
    wherever it falls. One axes.
    """
    histories = {label: _values(values, f"histories[{label!r}]", low=0.0).numpy()
                 for label, values in _labelled(histories, "histories").items()}
    fits = {label: _fit(fit, f"fits[{label!r}]", histories[label].size)
            for label, fit in _sublabelled(fits, "fits", histories, "histories").items()}
    if tolerance is not None:
        tolerance = check_float(tolerance, "tolerance", low=0.0, low_open=True)
    title = _text(title, "title")
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="tight")
    for i, (label, c) in enumerate(histories.items()):
        k = np.arange(c.size)
        ax.plot(k, c, "o-", ms=2.5, lw=1, color=f"C{i}", label=label)
        tau, beta = fits.get(label, (None, None))
        if tau is not None and c.size > 1:
            a = np.average((c[1:] - beta) * np.exp(k[1:] / tau), weights=k[1:])
            with np.errstate(over="ignore", invalid="ignore"):  # a curve too large to draw is not drawn
                curve = beta + a * np.exp(-k / tau)
            curve[~(curve > 0) | ~np.isfinite(curve)] = np.nan
            ax.plot(k, curve, "--", lw=1, color=f"C{i}",
                    label=rf"fit: $\tau = {tau:.1f}$, $\beta = {beta:.1e}$")
    if tolerance is not None:
        ax.axhline(tolerance, ls=":", color="gray", lw=1, label="tolerance")
    ax.set(yscale="log", xlabel="iteration $k$", ylabel="criterion $C$")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_output_match(target: torch.Tensor, output: torch.Tensor, title: str = "", steps: int | None = None):
    r"""The observed unit's target :math:`o(t)` (black) and a network's :math:`h_0(t)` (colour), and their
    difference.

    ``target`` and ``output`` are 1-D of the same length :math:`T`; ``steps`` (>= 1) shows the first ``steps``
    only (all of them if ``steps`` >= :math:`T`). Two axes (signals above, difference below).
    """
    target = check_tensor(target, "target", ndim=1)
    output = check_tensor(output, "output", ndim=1)
    if target.numel() == 0:
        raise ValueError("target must be nonempty, got shape (0,)")
    if output.shape != target.shape:
        raise ValueError(f"output must have the shape of target {tuple(target.shape)}, "
                         f"got {tuple(output.shape)}")
    target, output = target.detach().to(torch.float64), output.detach().to(torch.float64)
    title = _text(title, "title")
    T = target.shape[0] if steps is None else min(check_positive_int(steps, "steps"), target.shape[0])
    t = torch.arange(1, T + 1).numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 3.6), sharex=True, height_ratios=(2, 1),
                                      layout="tight")
    top.plot(t, target[:T].numpy(), color="black", lw=1.4, label="root $o(t)$")
    top.plot(t, output[:T].numpy(), color="C1", lw=1, label="blind $h_0(t)$")
    bottom.plot(t, (output[:T] - target[:T]).numpy(), color="C3", lw=1)
    top.set(ylabel="unit 0")
    bottom.set(xlabel="step $t$", ylabel="difference")
    top.legend(fontsize=8, loc="upper right")
    if title:
        top.set_title(title, fontsize=10)
    plt.close(fig)
    return fig


# ---- gated units chapter


def plot_gradient_flow(profiles: dict, floor: float = 1e-30, title: str = ""):
    r"""How far an error signal travels back, for several networks on one pair of axes.

    ``profiles`` maps a label to a ``(n,)`` sequence of norms (>= 0) indexed by the lag
    :math:`T - k`, e.g. the median over a batch of :func:`srnbook.gated.cell_jacobian_norms`
    (:math:`\|\partial c_T/\partial c_k\|_2` for an LSTM, :math:`\|\partial h_T/\partial h_k\|_2` for
    an SRN). The norm axis is logarithmic, exact zeros are drawn at ``floor`` (in (0, 1]), and a
    dotted line marks the norm 1 of the identity (an error signal kept unchanged)."""
    profiles = _labelled(profiles, "profiles")
    floor = _floor(floor)
    title = _text(title, "title")
    lines = {label: _values(v, f"profiles[{label!r}]", low=0.0) for label, v in profiles.items()}
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="tight")
    for j, (label, values) in enumerate(lines.items()):
        ax.plot(range(len(values)), values.clamp_min(floor).numpy(), color=f"C{j}", lw=1.8, label=label)
    ax.axhline(1.0, color="k", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("lag $T - k$")
    ax.set_ylabel("median norm of the Jacobian")
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_success_curves(runs, target: float = 0.99, labels: dict | None = None):
    r"""Validation success rate against the training sequences seen, one line per run.

    ``runs`` is a nonempty list of dicts with keys ``"task"``, ``"network"`` and ``"history"`` (a
    list of ``[sequences seen, loss, success rate]`` rows, as :func:`srnbook.training.train`'s
    summary stores them), e.g. ``result["runs"]`` of :mod:`srnbook.experiments.long_lags`. One panel
    per task, one colour per network (``labels`` maps a network to its legend label), and a dashed
    line at ``target`` (in (0, 1]), the success rate that counts as solved."""
    if not isinstance(runs, (list, tuple)) or not runs:
        raise ArgumentTypeError(f"runs must be a nonempty list of run dicts, got {_shown(runs)}")
    target = check_float(target, "target", low=0.0, low_open=True, high=1.0)
    if labels is not None and not isinstance(labels, dict):
        raise ArgumentTypeError(f"labels must be a dict network -> label, got {_shown(labels)}")
    curves = []
    for j, run in enumerate(runs):
        if not isinstance(run, dict) or not {"task", "network", "history"} <= set(run):
            raise ValueError(f"runs[{j}] must be a dict with 'task', 'network' and 'history', got {_shown(run)}")
        history = _values(run["history"], f"runs[{j}]['history']", ndim=2)
        if history.shape[1] != 3:
            raise ValueError(f"runs[{j}]['history'] must have rows [seen, loss, success rate], "
                             f"got shape {tuple(history.shape)}")
        _values(history[:, 2], f"runs[{j}]['history'] (success rates)", low=0.0, high=1.0)
        curves.append((_text(run["task"], f"runs[{j}]['task']"), _text(run["network"], f"runs[{j}]['network']"),
                       history))
    tasks = list(dict.fromkeys(task for task, _, _ in curves))
    networks = list(dict.fromkeys(network for _, network, _ in curves))
    fig, axes = plt.subplots(len(tasks), 1, figsize=(FIGURE_WIDTH, 0.5 + 2.3 * len(tasks)), squeeze=False,
                             sharex=True, sharey=True, layout="tight")
    for ax, task in zip(axes[:, 0], tasks):
        for _, network, history in (c for c in curves if c[0] == task):
            ax.plot(history[:, 0].numpy(), history[:, 2].numpy(), color=f"C{networks.index(network)}",
                    lw=1.2, alpha=0.8)
        ax.axhline(target, color="k", ls="--", lw=0.8)
        ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1000:.0f}k")
        ax.set_title(task.replace("_", " "), fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("validation success")
    axes[-1, 0].set_xlabel("training sequences seen")
    for j, network in enumerate(networks):
        name = labels.get(network, network) if labels else network
        axes[0, 0].plot([], [], color=f"C{j}", label=str(name))
    axes[0, 0].legend(fontsize=8, loc="center right")
    plt.close(fig)
    return fig


def plot_lstm_step(trace, x, step: int, marked=(), prediction: float | None = None):
    r"""One frame of the LSTM stepper: the sequence up to step ``step`` (1-based) of one sequence.

    ``trace`` is an :class:`srnbook.gated.LSTMTrace` of one sequence (fields ``(1, T, d)`` or
    ``(T, d)``), ``x`` its ``(T, u)`` inputs. Rows: the inputs, the input gates :math:`i_t`, the forget
    gates :math:`f_t` (only if the LSTM has them, i.e. they are not all 1), the output gates
    :math:`o_t` and the cell states :math:`c_t` (cells on the vertical axis), shown up to ``step``;
    the steps in ``marked`` (1-based, e.g. the adding problem's marked steps) are outlined in red.
    ``prediction`` (optional) is written in the title."""
    from .gated import LSTMTrace

    if not isinstance(trace, LSTMTrace):
        raise ArgumentTypeError(f"trace must be an srnbook.gated.LSTMTrace, got {_shown(trace)}")
    fields = {}
    for name in LSTMTrace._fields:
        value = _values(getattr(trace, name), f"trace.{name}", ndim=(2, 3))
        if value.dim() == 3:
            if value.shape[0] != 1:
                raise ValueError(f"trace.{name} must hold one sequence, got shape {tuple(value.shape)}")
            value = value[0]
        fields[name] = value
    T, d = fields["c"].shape
    if any(v.shape != (T, d) for v in fields.values()):
        raise ValueError("trace must have fields of one shape (T, d)")
    x = _values(x, "x", ndim=2)
    if x.shape[0] != T:
        raise ValueError(f"x must have the {T} steps of trace, got shape {tuple(x.shape)}")
    step = check_int(step, "step", low=1, high=T)
    if isinstance(marked, torch.Tensor) and not marked.is_floating_point() and marked.dim() == 1:
        marked = marked.tolist()
    if not isinstance(marked, (list, tuple)):
        raise ArgumentTypeError(f"marked must be a list of steps (integers), got {_shown(marked)}")
    marked = [check_int(m, f"marked[{j}]", low=1, high=T) for j, m in enumerate(marked)]
    if prediction is not None:
        prediction = check_float(prediction, "prediction")
    rows = [("input $x_t$\n(blue -1, red 1)", x, (-1.0, 1.0), "coolwarm"),
            ("input gate $i_t$\n(dark 0, yellow 1)", fields["i"], (0.0, 1.0), "viridis")]
    if not bool((fields["f"] == 1).all()):
        rows.append(("forget gate $f_t$\n(dark 0, yellow 1)", fields["f"], (0.0, 1.0), "viridis"))
    bound = max(1.0, float(fields["c"].abs().max()))
    rows += [("output gate $o_t$\n(dark 0, yellow 1)", fields["o"], (0.0, 1.0), "viridis"),
             (f"cell state $c_t$\n(blue {-bound:.1f}, red {bound:.1f})", fields["c"], (-bound, bound), "coolwarm")]
    heights = [0.6 if name.startswith("input $") else 1.0 for name, *_ in rows]
    # no colour bars and a fixed layout: a frame of the stepper is drawn many times, and cheaply
    fig, axes = plt.subplots(len(rows), 1, figsize=(6.4, 0.6 + 0.75 * len(rows)), sharex=True,
                             gridspec_kw={"height_ratios": heights, "hspace": 0.25})
    fig.subplots_adjust(left=0.25, right=0.98, top=0.9, bottom=0.12)
    for ax, (name, values, (low, high), cmap) in zip(axes, rows):
        shown = values.t().clone()
        shown[:, step:] = float("nan")
        ax.imshow(shown.numpy(), aspect="auto", cmap=cmap, vmin=low, vmax=high, interpolation="nearest",
                          extent=(0.5, T + 0.5, shown.shape[0] + 0.5, 0.5))
        ax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        ax.grid(False)
        for m in marked:
            ax.add_patch(plt.Rectangle((m - 0.5, 0.5), 1, shown.shape[0], fill=False, ec="red", lw=1.5))
        ax.axvline(step + 0.5, color="k", lw=1)
    axes[-1].set_xlabel("step $t$")
    axes[-1].set_xticks(range(1, T + 1, max(1, T // 10)))
    text = f"step {step} of {T}"
    if prediction is not None:
        text += f"; output at the last step {float(prediction):.3f}"
    axes[0].set_title(text, fontsize=9)
    plt.close(fig)
    return fig
