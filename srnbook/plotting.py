"""One figure style for the whole book, and the figures the chapters share.

Chapters call :func:`use_book_style` once. The plotting functions return a closed
matplotlib ``Figure``: a notebook cell that ends with the call displays it once
(whatever the backend), and a widget can render it to PNG.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import torch

from ._validation import check_choice
from .activations import get_activation
from .saturation import BOUNDS

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
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


def use_book_style() -> None:
    """Apply the book's matplotlib style (``rcParams``) to every later figure."""
    plt.rcParams.update(BOOK_STYLE)


def figure_png(fig) -> bytes:
    """Render ``fig`` to PNG bytes and close it (used by widgets that show precomputed frames)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def plot_activations(names=("sigmoid", "tanh", "relu"), lim: float = 6.0):
    r"""Each activation :math:`\sigma` and its derivative :math:`\sigma'`, with the saturation
    regions (where :math:`\sigma' < 10^{-2}`) shaded."""
    a = torch.linspace(-lim, lim, 601, dtype=torch.float64)
    fig, axes = plt.subplots(1, len(names), figsize=(2.7 * len(names), 2.8), sharex=True)
    for ax, name in zip(axes, names):
        act = get_activation(name)
        h = act(a)
        ds = act.derivative(a, h)
        ax.plot(a, h, label=r"$\sigma(a)$")
        ax.plot(a, ds, label=r"$\sigma'(a)$")
        flat = (ds < 1e-2).numpy()
        ax.fill_between(a.numpy(), 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                        color="0.85", label=r"$\sigma' < 10^{-2}$")
        ax.set_title(name)
        ax.set_xlabel("$a$")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_unfolded(steps: int = 4):
    r"""The SRN unfolded in time: inputs :math:`x_t`, states :math:`h_t`, outputs :math:`\hat y_t`,
    and the shared matrices :math:`U, W, V` on the arrows."""
    fig, ax = plt.subplots(figsize=(1.7 * steps + 1.5, 3.0))
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
    """Two panels from :func:`srnbook.cost.cost_table` rows: flops against the length
    :math:`T` (one line per hidden size) and against the number of weights :math:`N(W)`
    (one line per length)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    for d in sorted({r["d"] for r in rows}):
        sel = sorted((r for r in rows if r["d"] == d), key=lambda r: r["T"])
        left.plot([r["T"] for r in sel], [r["forward"] + r["backward"] for r in sel], "o-", label=f"d = {d}")
    for T in sorted({r["T"] for r in rows}):
        sel = sorted((r for r in rows if r["T"] == T), key=lambda r: r["weights"])
        right.plot([r["weights"] for r in sel], [r["forward"] + r["backward"] for r in sel], "s-", label=f"T = {T}")
    left.set_xlabel("sequence length $T$")
    right.set_xlabel("number of weights $N(W)$")
    for ax in (left, right):
        ax.set_ylabel("flops, forward + BPTT")
        ax.ticklabel_format(style="sci", scilimits=(0, 0), axis="y")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_hidden_states(h, title: str = "", activation: str = "sigmoid"):
    r"""Heat map of one sequence's hidden states (units by time) beside the histogram of
    all coordinates; ``h`` has shape ``(T, d)`` or ``(B, T, d)`` (the first sequence is drawn)."""
    h = h.detach().to(torch.float64)
    one = h[0] if h.dim() == 3 else h
    lo, hi = BOUNDS[check_choice(activation, "activation", tuple(BOUNDS))]
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 2.7), gridspec_kw={"width_ratios": [2, 1]})
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
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_scale_sweep(sweep, floor: float = 1e-46):
    r"""Distance to exact saturation and agreement with the DFA against the weight scale
    :math:`J`, from :func:`srnbook.ssrn.scale_sweep` (one curve per activation).

    Left: the largest distance of a hidden value to the nearest bound (``gap``), 0
    (drawn at ``floor``, below the dashed line) when every hidden value is exactly on a
    bound; the dotted lines mark each activation's saturating scale. Right: the share
    of words the SSRN classifies as the DFA does."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.0), sharex=True)
    for i, (activation, rows) in enumerate(sweep.items()):
        colour = f"C{i}"
        J = [r.J for r in rows]
        gap = [max(r.gap, floor) for r in rows]
        left.plot(J, gap, "o-", ms=3, color=colour, label=activation)
        right.plot(J, [r.agreement for r in rows], "o-", ms=3, color=colour, label=activation)
        for ax in (left, right):
            ax.axvline(rows[0].saturating_J, color=colour, ls=":", lw=1)
    left.axhline(floor * 30, color="0.5", ls="--", lw=0.8)
    left.text(0.02, 0.04, "below: exactly saturated", transform=left.transAxes, fontsize=8, color="0.4")
    left.set_yscale("log")
    left.set_ylabel("largest distance to a bound")
    left.set_title(r"distance to saturation ($\sigma_+ - \beta$)", fontsize=10)
    right.set_ylabel("share of words")
    right.set_title("agreement with the DFA", fontsize=10)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("weight scale $J$")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_noise_robustness(results):
    r"""Agreement with the DFA against the relative weight noise :math:`s` (noise of standard
    deviation :math:`sJ` on every weight), one curve per scale :math:`J`;
    ``results`` maps a label (the scale) to the list returned by
    :func:`srnbook.ssrn.noise_robustness`."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for label, points in results.items():
        ax.plot([p.sigma for p in points], [p.agreement for p in points], "o-", ms=3, label=str(label))
    ax.set_xlabel(r"relative noise $s$ (standard deviation $sJ$)")
    ax.set_ylabel("share of words classified as the DFA does")
    ax.set_ylim(0, 1.02)
    ax.legend(title="scale $J$", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_jacobian_norms(norms: dict, title: str = r"$\|\partial a_t / \partial a_k\|_2$"):
    r"""Heatmaps of :math:`\log_{10}\|\partial a_t/\partial a_k\|` over :math:`(t, k)`, one panel per entry of
    ``norms`` (a label mapped to a ``(T, T)`` tensor from :func:`srnbook.gradients.jacobian_norms`,
    e.g. the median over a batch); the upper triangle :math:`k > t` is blank."""
    fig, axes = plt.subplots(1, len(norms), figsize=(3.0 * len(norms) + 0.8, 3.2), squeeze=False)
    logs = {label: torch.log10(n.double().clamp_min(1e-300)) for label, n in norms.items()}
    lower = [v[torch.tril(torch.ones_like(v, dtype=torch.bool))] for v in logs.values()]
    low = max(min(float(v.min()) for v in lower), -30.0)
    high = max(max(float(v.max()) for v in lower), 1.0)
    for ax, (label, v) in zip(axes[0], logs.items()):
        T = v.shape[0]
        shown = v.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("nan")).clamp(low, high)
        image = ax.imshow(shown.numpy(), origin="lower", cmap="magma", vmin=low, vmax=high,
                          extent=(0.5, T + 0.5, 0.5, T + 0.5))
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("$k$")
        ax.grid(False)
    axes[0][0].set_ylabel("$t$")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.85, label=r"$\log_{10}$ " + title)
    plt.close(fig)
    return fig


def plot_gradient_bounds(profiles: dict, bounds: dict, title: str = ""):
    r"""Measured :math:`\max \|\partial a_t/\partial a_k\|_2` against the lag :math:`t - k` beside the
    bounds, one panel per label: ``profiles[label]`` is a ``(T,)`` tensor from
    :func:`srnbook.gradients.lag_profile` and ``bounds[label]`` maps a bound's name to its ``(T,)``
    values (e.g. :func:`~srnbook.gradients.singular_value_bound`)."""
    fig, axes = plt.subplots(1, len(profiles), figsize=(3.4 * len(profiles), 3.2), squeeze=False, sharey=True)
    for ax, (label, profile) in zip(axes[0], profiles.items()):
        lags = range(len(profile))
        ax.plot(lags, profile.double().clamp_min(1e-300).numpy(), "k-", lw=2, label="measured (max)")
        for j, (name, values) in enumerate(bounds[label].items()):
            ax.plot(lags, values.double().numpy(), "--", color=f"C{j}", label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-30, 1e30)
        ax.set_xlabel("lag $t - k$")
        ax.set_title(label, fontsize=9)
    axes[0][0].set_ylabel(r"$\|\partial a_t / \partial a_k\|_2$")
    axes[0][0].legend(fontsize=7, loc="lower left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_decay_and_memory(profile, memory, title: str = ""):
    r"""The backward and the forward view of one network, side by side.

    Left: the median :math:`\|\partial a_t/\partial a_k\|_2` against the lag (``profile``, from
    :func:`srnbook.gradients.lag_profile` with ``reduce="median"``): how much of an error signal
    survives :math:`t - k` steps back. Right: the median distance :math:`\|h_t(x) - h_t(x')\|` between
    two runs whose inputs differ at the first step only (``memory``, ``(B, T)`` from
    :func:`srnbook.gradients.input_memory`): how long the first input is remembered."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.0))
    left.plot(range(len(profile)), profile.double().clamp_min(1e-30).numpy(), "C0-")
    left.set_yscale("log")
    left.set_ylim(1e-12, 1e6)
    left.set_xlabel("lag $t - k$")
    left.set_title(r"gradient: median $\|\partial a_t / \partial a_k\|_2$", fontsize=9)
    median = memory.double().median(dim=0).values.clamp_min(1e-30)
    right.plot(range(1, len(median) + 1), median.numpy(), "C3-")
    right.set_yscale("log")
    right.set_ylim(1e-12, 1e1)
    right.set_xlabel("step $t$")
    right.set_title(r"memory: median $\|h_t(x) - h_t(x')\|$, $x, x'$ differ at $t = 1$", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
