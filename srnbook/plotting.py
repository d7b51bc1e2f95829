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


# ---- Hessian-free chapter


def plot_quadratic_paths(A, b, paths: dict, upto: int | None = None, title: str = ""):
    r"""Contours of :math:`\phi(x) = \tfrac12 x^\top A x - b^\top x` (2-D) and one descent path per
    entry of ``paths`` (label -> ``(k, 2)`` tensor of iterates), each cut after ``upto`` steps; the
    minimizer :math:`A^{-1}b` is marked with a star."""
    A, b = torch.as_tensor(A, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if A.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"A must be 2 x 2 and b of size 2, got {tuple(A.shape)} and {tuple(b.shape)}")
    star = torch.linalg.solve(A, b)
    points = torch.cat([torch.as_tensor(p, dtype=torch.float64).reshape(-1, 2) for p in paths.values()]
                       + [star.view(1, 2)])
    lo, hi = points.min(0).values, points.max(0).values
    pad = 0.15 * (hi - lo).max().clamp_min(1e-3)
    gx = torch.linspace(float(lo[0] - pad), float(hi[0] + pad), 200, dtype=torch.float64)
    gy = torch.linspace(float(lo[1] - pad), float(hi[1] + pad), 200, dtype=torch.float64)
    X, Y = torch.meshgrid(gx, gy, indexing="xy")
    P = torch.stack([X, Y], -1)
    phi = 0.5 * torch.einsum("...i,ij,...j->...", P, A, P) - P @ b
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    phi_star = float(0.5 * star @ A @ star - b @ star)
    levels = phi_star + (float(phi.max()) - phi_star) * torch.linspace(0, 1, 16)[1:] ** 2
    ax.contour(X.numpy(), Y.numpy(), phi.numpy(), levels=levels.numpy(), colors="0.7", linewidths=0.7,
               linestyles="solid")
    for i, (label, path) in enumerate(paths.items()):
        path = torch.as_tensor(path, dtype=torch.float64).reshape(-1, 2)
        shown = path if upto is None else path[: upto + 1]
        ax.plot(shown[:, 0].numpy(), shown[:, 1].numpy(), "o-", ms=3.5, color=f"C{i}", label=label)
    ax.plot([float(star[0])], [float(star[1])], "k*", ms=11, label="minimizer $A^{-1}b$")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_residual_histories(histories: dict, n: int | None = None, ylabel: str = r"$\|b - A x_i\| / \|b\|$"):
    r"""Semilog curves of residual norms against the CG iteration :math:`i`, one per entry of
    ``histories`` (label -> sequence of values); a dotted line marks :math:`i = n` if given."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for label, values in histories.items():
        values = torch.as_tensor(values, dtype=torch.float64).clamp_min(1e-300)
        ax.semilogy(range(len(values)), values.numpy(), "o-", ms=2.5, label=label)
    if n is not None:
        ax.axvline(n, color="0.4", ls=":", lw=1)
        ax.text(n, ax.get_ylim()[1], f" $i = n = {n}$", va="top", fontsize=8, color="0.3")
    ax.set_xlabel("CG iteration $i$")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_spectra(spectra: dict, linthresh: float = 1e-6):
    r"""Sorted eigenvalues of symmetric matrices (label -> eigenvalues), on a symmetric-log axis so
    that negative eigenvalues show below the dashed zero line."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for i, (label, eig) in enumerate(spectra.items()):
        eig = torch.sort(torch.as_tensor(eig, dtype=torch.float64)).values
        ax.plot(range(1, len(eig) + 1), eig.numpy(), "o", ms=3.5, color=f"C{i}", label=label)
    ax.axhline(0, color="0.3", ls="--", lw=0.8)
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.set_xlabel("index (sorted)")
    ax.set_ylabel("eigenvalue")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_finite_difference_errors(eps, errors: dict, unit_roundoff: dict | None = None):
    r"""Log-log relative error of a finite-difference Hessian-vector product against
    :math:`\epsilon`, one curve per entry of ``errors`` (label -> errors at ``eps``);
    ``unit_roundoff`` (label -> :math:`u`) adds a dotted line at :math:`\epsilon = \sqrt u`."""
    fig, ax = plt.subplots(figsize=(5.6, 3.3))
    eps = torch.as_tensor(eps, dtype=torch.float64)
    for i, (label, err) in enumerate(errors.items()):
        err = torch.as_tensor(err, dtype=torch.float64).clamp_min(1e-18)
        ax.loglog(eps.numpy(), err.numpy(), "o-", ms=3, color=f"C{i}", label=label)
        if unit_roundoff and label in unit_roundoff:
            ax.axvline(unit_roundoff[label] ** 0.5, color=f"C{i}", ls=":", lw=1)
    ax.set_xlabel(r"$\epsilon$")
    ax.set_ylabel(r"relative error of $\widehat{Hv}$")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_hf_trace(rows):
    r"""Three panels over the steps of a :class:`srnbook.optim.hessian_free.HessianFree` run, from
    ``rows`` (one dict per step with ``loss_after``, ``damping`` and ``rho``, as in
    ``opt.state["hf"]``): the loss, the damping :math:`\lambda` (log scales) and the reduction ratio
    :math:`\rho` with the thresholds 1/4 and 3/4 of the Levenberg-Marquardt rule."""
    if not rows:
        raise ValueError("rows must contain at least one step")
    steps = range(1, len(rows) + 1)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(9.6, 2.9))
    left.semilogy(steps, [r["loss_after"] for r in rows], "o-", ms=3)
    left.set_title(r"loss $f(\theta_k)$", fontsize=10)
    middle.semilogy(steps, [r["damping"] for r in rows], "o-", ms=3, color="C1")
    middle.set_title(r"damping $\lambda$ (after the step)", fontsize=10)
    rho = [max(min(r["rho"], 2.0), -1.0) for r in rows]
    right.plot(steps, rho, "o-", ms=3, color="C2")
    for level in (0.25, 0.75):
        right.axhline(level, color="0.4", ls=":", lw=1)
    right.set_ylim(-1.1, 2.1)
    right.set_title(r"reduction ratio $\rho$ (clipped to $[-1, 2]$)", fontsize=10)
    for ax in (left, middle, right):
        ax.set_xlabel("HF step $k$")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_hf_saturation(points, damping: float):
    r"""The SSRN sweep of :func:`srnbook.optim.hessian_free.saturation_sweep` against the weight
    scale :math:`J` (log-log). Left: :math:`\|g\|`, :math:`\lambda_{\max}(G)` and :math:`e^{-J}`.
    Right: the damped step :math:`\|\delta\|` at the fixed ``damping``, its bound :math:`\|g\|/\lambda`,
    and the step with the damping scaled to the curvature."""
    if not points:
        raise ValueError("points must contain at least one scale")
    J = torch.tensor([p.J for p in points], dtype=torch.float64)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.3), sharex=True)
    left.loglog(J.numpy(), [p.gradient_norm for p in points], "o-", ms=3.5, label=r"$\|g\|$")
    left.loglog(J.numpy(), [p.curvature for p in points], "s-", ms=3.5, label=r"$\lambda_{\max}(G)$")
    left.loglog(J.numpy(), torch.exp(-J).numpy(), "k:", lw=1, label="$e^{-J}$")
    left.set_title("gradient and curvature", fontsize=10)
    right.loglog(J.numpy(), [p.step_norm for p in points], "o-", ms=3.5, color="C2",
                 label=rf"$\|\delta\|$, $\lambda = {damping:g}$")
    right.loglog(J.numpy(), [p.step_bound for p in points], "--", color="C2", lw=1, label=r"bound $\|g\|/\lambda$")
    right.loglog(J.numpy(), [p.scaled_step_norm for p in points], "s-", ms=3.5, color="C3",
                 label=r"$\|\delta'\|$, $\lambda' \propto \lambda_{\max}(G)$")
    right.set_title("length of the HF step", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("weight scale $J$")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---- K-FAC chapter


def plot_fisher_blocks(blocks: dict, errors: dict | None = None, title: str = ""):
    r"""Heatmaps of Fisher blocks side by side on one symmetric colour scale.

    ``blocks`` maps a label (e.g. "exact", "independent") to a square tensor; ``errors`` optionally
    maps a label to its relative error :math:`\lVert \tilde F - F\rVert_F / \lVert F\rVert_F`, shown in its title."""
    fig, axes = plt.subplots(1, len(blocks), figsize=(2.5 * len(blocks) + 0.9, 2.8), squeeze=False)
    top = max(float(b.abs().max()) for b in blocks.values())
    for ax, (label, block) in zip(axes[0], blocks.items()):
        image = ax.imshow(block.double().numpy(), cmap="RdBu_r", vmin=-top, vmax=top)
        err = "" if errors is None or label not in errors else f"\nerror {errors[label]:.3f}"
        ax.set_title(label + err, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def plot_step_comparison(reference, steps: dict, cosines: dict, title: str = "",
                         cosine_label: str = "cosine with the natural-gradient step"):
    r"""Left: the entries of each step in ``steps`` (label -> vector) against those of ``reference``
    (the exact natural-gradient step), each scaled to unit length; right: the cosine of each
    step with the reference (``cosines``: label -> value in [-1, 1]), as bars, in the colour of
    the step on the left (grey for a label not drawn there)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.0), gridspec_kw={"width_ratios": [1.1, 1]})
    ref = reference.double() / reference.double().norm()
    lim = 0.0
    for j, (label, step) in enumerate(steps.items()):
        s = step.double() / step.double().norm()
        left.plot(ref.numpy(), s.numpy(), "o", ms=3, color=f"C{j}", alpha=0.8, label=label)
        lim = max(lim, float(ref.abs().max()), float(s.abs().max()))
    left.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    left.set(xlim=(-1.05 * lim, 1.05 * lim), ylim=(-1.05 * lim, 1.05 * lim),
             xlabel="natural-gradient step (unit length)", ylabel="other step (unit length)")
    left.legend(fontsize=7, loc="upper left")
    labels = list(cosines)
    colours = {label: f"C{j}" for j, label in enumerate(steps)}
    right.barh(range(len(labels)), [cosines[k] for k in labels], color=[colours.get(k, "0.6") for k in labels])
    right.set_yticks(range(len(labels)), labels, fontsize=8)
    right.invert_yaxis()
    right.set(xlim=(0, 1), xlabel=cosine_label)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_saturation_sweep(points, layers=("U", "W", "V")):
    r"""K-FAC at compiled saturated SRNs against the scale :math:`J` (``points`` from
    :func:`srnbook.optim.kfac.saturation_sweep`). Left: :math:`\max\sigma'(a_t)`, the scale
    :math:`\operatorname{tr}G_0/\dim G_0` of each layer's gradient factor and the gradient norms,
    on a log scale. Right: the cosine of the K-FAC step with :math:`-\nabla L` and the ratio
    :math:`\lambda\lVert s\rVert / \lVert\nabla L\rVert`; both reach 1 when the step is
    :math:`-\nabla L/\lambda`."""
    J = [p.J for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.2))
    left.plot(J, [p.sigma_prime for p in points], "k-", lw=3, alpha=0.5, label=r"$\max \sigma'(a_t)$")
    for j, layer in enumerate(layers):
        equal = [m for m in layers if all(p.G_scale[m] == p.G_scale[layer] for p in points)]
        if equal[0] == layer:  # U and W share g_t = D a_t, hence G_0: one line for both
            left.plot(J, [max(p.G_scale[layer], 1e-300) for p in points], "-", color=f"C{j}",
                      label=rf"$\mathrm{{tr}}\,G_0/\dim$ ({', '.join(equal)})")
        left.plot(J, [max(p.gradient_norm[layer], 1e-300) for p in points], ":", color=f"C{j}",
                  label=rf"$\|\nabla_{layer} L\|$")
    left.set_yscale("log")
    left.set(xlabel="weight scale $J$")
    left.legend(fontsize=7, ncol=2, loc="lower left")
    for j, layer in enumerate(layers):
        right.plot(J, [p.gradient_cosine[layer] for p in points], "-o", ms=3, color=f"C{j}",
                   label=rf"$\cos(s, -\nabla L)$ ({layer})")
        right.plot(J, [p.step_ratio[layer] for p in points], "--", color=f"C{j}",
                   label=rf"$\lambda\|s\|/\|\nabla L\|$ ({layer})")
    right.axhline(1.0, color="0.5", lw=0.8)
    right.set(xlabel="weight scale $J$", ylim=(0, 1.08))
    right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---- learning saturated SRNs chapter

PAIR_METRICS = (("loss", "training loss"), ("grad_l2", r"$\|\nabla L\|_2$"), ("grad_linf", r"$\|\nabla L\|_\infty$"),
                ("distance", "distance to the target"), ("line_distance", "distance to the target's line"),
                ("test_accuracy", "accuracy"))
"""The six panels of :func:`plot_pair_histories`: a key of :class:`srnbook.learning.History` and its title."""


def plot_nth_root_family(ns=(0.5, 1, 2, 3, 4, 5, 6), bce: bool = True):
    r"""The report's Figure 3: the Nth root loss :math:`\ell_n(\hat y, y) = (1-y)\,\hat y^{1/n} + y\,(1-\hat y)^{1/n}`
    on :math:`\hat y \in [0, 1]`, one curve per :math:`n` in ``ns``; left :math:`y = 1`, right :math:`y = 0`.

    With ``bce`` the cross-entropy :math:`-y\log\hat y - (1-y)\log(1-\hat y)` is drawn dashed for comparison.
    """
    ns = list(ns) if not isinstance(ns, (str, bytes)) else []
    if not ns or any(isinstance(n, bool) or not isinstance(n, (int, float)) or not n > 0 for n in ns):
        raise ValueError(f"ns must be a nonempty sequence of positive numbers, got {ns!r}")
    yhat = torch.linspace(0.0, 1.0, 401, dtype=torch.float64)
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.0), sharey=True)
    for ax, y in zip(axes, (1, 0)):
        wrong = 1 - yhat if y == 1 else yhat  # the distance of the prediction to the label
        for j, n in enumerate(ns):
            ax.plot(yhat, wrong ** (1.0 / n), color=plt.cm.viridis(j / max(len(ns) - 1, 1)), label=f"$n = {n:g}$")
        if bce:
            ax.plot(yhat[1:-1], -torch.log1p(-wrong[1:-1]), "k--", lw=1, label="BCE")
        ax.set(xlabel=r"prediction $\hat y$", title=f"label $y = {y}$", xlim=(0, 1), ylim=(0, 1.6))
    axes[0].set_ylabel(r"loss $\ell_n(\hat y, y)$")
    axes[1].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _history_dict(history, name: str) -> dict:
    data = history.to_dict() if hasattr(history, "to_dict") else history
    keys = ["epoch"] + [key for key, _ in PAIR_METRICS]
    if not isinstance(data, dict) or any(key not in data for key in keys):
        raise ValueError(f"{name} must be a srnbook.learning.History or a dict with keys {', '.join(keys)}")
    if any(len(data[key]) != len(data["epoch"]) for key in keys) or not data["epoch"]:
        raise ValueError(f"{name} must hold one nonempty list per metric, all of the length of 'epoch'")
    return data


def plot_pair_histories(histories: dict, title: str = ""):
    r"""The six metrics of the report's figures 4-6 against the epoch, one line per network.

    ``histories`` maps a label (``"plain"``, ``"constrained"``) to a :class:`srnbook.learning.History`
    or its ``to_dict()``. Panels: training loss, :math:`\|\nabla L\|_2` and :math:`\|\nabla L\|_\infty`
    (log scale), distances to the target SSRN and to its line, and the test accuracy (solid)
    with the training accuracy (dotted).
    """
    if not isinstance(histories, dict) or not histories:
        raise ValueError(f"histories must be a nonempty dict label -> History, got {type(histories).__name__}")
    data = {label: _history_dict(h, f"histories[{label!r}]") for label, h in histories.items()}
    fig, axes = plt.subplots(2, 3, figsize=(9.6, 5.0), sharex=True)
    for ax, (key, name) in zip(axes.ravel(), PAIR_METRICS):
        for j, (label, h) in enumerate(data.items()):
            ax.plot(h["epoch"], h[key], color=f"C{j}", lw=1.2, label=label)
            if key == "test_accuracy":
                ax.plot(h["epoch"], h["train_accuracy"], ":", color=f"C{j}", lw=1.2)
        ax.set_title(name, fontsize=10)
        if key.startswith("grad"):
            ax.set_yscale("log")
    accuracy = axes[1, 2]
    accuracy.axhline(0.5, color="0.6", lw=0.8)
    accuracy.set_ylim(0.3, 1.02)
    accuracy.set_title("accuracy: test (solid), train (dotted)", fontsize=9)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def principal_plane(h) -> torch.Tensor:
    r"""The :math:`d \times 2` matrix of the first two principal directions of the rows of ``h`` (:math:`N \times d`).

    Each direction's sign makes its largest-magnitude entry positive, so that the projection
    does not flip between nearby networks.
    """
    h = torch.as_tensor(h, dtype=torch.float64)
    if h.dim() != 2 or h.shape[0] < 2 or h.shape[1] < 2:
        raise ValueError(f"h must be an (N, d) array with N >= 2 and d >= 2, got shape {tuple(h.shape)}")
    _, _, vt = torch.linalg.svd(h - h.mean(0), full_matrices=False)
    axes = vt[:2].T.clone()
    signs = torch.sign(axes[axes.abs().argmax(0), torch.arange(2)])
    return axes * torch.where(signs == 0, 1.0, signs)


def plot_state_projection(hidden: dict, states, title: str = ""):
    r"""Hidden vectors projected on their first two principal directions, coloured by the DFA's state.

    ``hidden`` maps a panel label to an :math:`(N, d)` array of hidden vectors :math:`h_t`
    (one row per prefix of the words read); ``states`` holds the :math:`N` states
    :math:`s_t` the target DFA is in after the same prefixes. A network that simulates
    the DFA sends all prefixes that end in one state to one point (or a tight cluster),
    one per state; a network that does not mixes the colours.
    """
    if not isinstance(hidden, dict) or not hidden:
        raise ValueError(f"hidden must be a nonempty dict label -> (N, d) array, got {type(hidden).__name__}")
    states = torch.as_tensor(states)
    if states.dim() != 1 or states.dtype.is_floating_point:
        raise ValueError(f"states must be a 1-D array of integer DFA states, got shape {tuple(states.shape)}")
    fig, axes = plt.subplots(1, len(hidden), figsize=(3.6 * len(hidden), 3.2), squeeze=False)
    n_states = int(states.max()) + 1 if len(states) else 0
    for ax, (label, h) in zip(axes[0], hidden.items()):
        h = torch.as_tensor(h, dtype=torch.float64)
        if h.dim() != 2 or h.shape[0] != len(states):
            raise ValueError(f"hidden[{label!r}] must have one row per entry of states ({len(states)}), "
                             f"got shape {tuple(h.shape)}")
        xy = (h - h.mean(0)) @ principal_plane(h)
        for q in range(n_states):
            mine = states == q
            if bool(mine.any()):
                ax.scatter(xy[mine, 0], xy[mine, 1], s=6, alpha=0.5, color=f"C{q}", label=f"$q_{q}$", lw=0)
        ax.set(title=label, xlabel="PC 1", ylabel="PC 2")
        ax.title.set_fontsize(10)
    axes[0, -1].legend(fontsize=8, markerscale=2, title="DFA state", title_fontsize=8,
                       loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_gradient_by_scale(points: dict, saturating_J: float | None = None, floor: float = 1e-46):
    r"""Loss and gradient norms of compiled SSRNs against the scale :math:`J`, with the reference :math:`e^{-J}`.

    ``points`` maps a label (e.g. "Tomita 4, sigmoid") to the list returned by
    :func:`srnbook.learning.gradient_by_scale`. Left: the loss; right: :math:`\|\nabla L\|_\infty`
    (solid) and :math:`\|\nabla L\|_2` (dotted), log scale. A value that is exactly 0 cannot be
    drawn on a log scale: it is drawn at ``floor``, below the dashed line. The dotted vertical
    line marks ``saturating_J``.
    """
    if not isinstance(points, dict) or not points or not all(len(p) for p in points.values()):
        raise ValueError("points must be a nonempty dict label -> nonempty list of ScalePoint")
    from ._validation import check_positive_float

    floor = check_positive_float(floor, "floor")
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.2), sharex=True)
    J_all = torch.tensor([p.J for rows in points.values() for p in rows], dtype=torch.float64)
    J_ref = torch.linspace(float(J_all.min()), float(J_all.max()), 200, dtype=torch.float64)
    for j, (label, rows) in enumerate(points.items()):
        J = [p.J for p in rows]
        left.plot(J, [max(p.loss, floor) for p in rows], "-", color=f"C{j}", label=label)
        right.plot(J, [max(p.grad_linf, floor) for p in rows], "-", color=f"C{j}", label=label)
        right.plot(J, [max(p.grad_l2, floor) for p in rows], ":", color=f"C{j}")
    for ax in (left, right):
        ax.plot(J_ref, torch.exp(-J_ref), color="0.4", lw=0.8, ls="-.", label=r"$e^{-J}$")
        ax.axhline(floor * 30, color="0.5", ls="--", lw=0.8)
        if saturating_J is not None:
            ax.axvline(saturating_J, color="0.3", ls=":", lw=1)
        ax.set(yscale="log", xlabel="weight scale $J$", ylim=(floor / 10, 10.0))
    left.text(0.02, 0.04, "below: exactly 0", transform=left.transAxes, fontsize=8, color="0.4")
    left.set_title("loss", fontsize=10)
    right.set_title(r"$\|\nabla L\|_\infty$ (solid), $\|\nabla L\|_2$ (dotted)", fontsize=10)
    left.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_scale_growth(growth: dict, slope: float, intercept: float):
    r"""Gradient descent from a compiled SSRN (:func:`srnbook.learning.scale_growth`): left, the effective
    scale :math:`J_s` against the step :math:`s` (log axis) with the fitted line :math:`J = \text{slope}\,\log s + \text{intercept}`;
    right, the loss against :math:`s` (log-log) with a :math:`1/s` guide."""
    keys = ("step", "J", "loss")
    if not isinstance(growth, dict) or any(k not in growth for k in keys) or len(growth["step"]) < 2:
        raise ValueError(f"growth must be the dict of scale_growth with keys {', '.join(keys)} and 2 entries or more")
    step = torch.tensor(growth["step"], dtype=torch.float64)
    keep = step > 0
    t = step[keep]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.0))
    left.plot(t, torch.tensor(growth["J"], dtype=torch.float64)[keep], "-", color="C0", label="$J_s$")
    left.plot(t, slope * torch.log(t) + intercept, "k--", lw=1, label=rf"${slope:.3f}\,\log s + {intercept:.2f}$")
    left.set(xscale="log", xlabel="step $s$", title="effective scale along the target")
    loss = torch.tensor(growth["loss"], dtype=torch.float64)[keep]
    right.plot(t, loss, "-", color="C1", label="loss")
    right.plot(t, loss[-1] * t[-1] / t, "k--", lw=1, label=r"$\propto 1/s$")
    right.set(xscale="log", yscale="log", xlabel="step $s$", title="training loss")
    for ax in (left, right):
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---- reservoir computing chapter


def _reservoir_grid(grid):
    from .reservoir import EchoStateGrid

    if not isinstance(grid, EchoStateGrid):
        raise ValueError(f"grid must be a srnbook.reservoir.EchoStateGrid, got {type(grid).__name__}")
    return grid


def plot_echo_state_grid(grid, critical: dict | None = None, floor: float = 1e-16):
    r"""The echo-state verdict of :func:`srnbook.reservoir.echo_state_sweep` over :math:`\rho \times \alpha`.

    Colour: :math:`\log_{10}` of the largest distance between runs at the last step (a value
    below ``floor`` is drawn at ``floor``); the black line separates the cells where the verdict
    holds (distance below the grid's ``tol``) from the others. ``critical`` maps a leak
    rate :math:`\alpha` to a measured critical radius :math:`\rho^*`, drawn as white diamonds.
    Returns a figure with two axes (the map and its colour bar).
    """
    from ._validation import check_positive_float

    grid = _reservoir_grid(grid)
    floor = check_positive_float(floor, "floor")
    if critical is not None and (not isinstance(critical, dict) or not all(
            isinstance(k, (int, float)) and isinstance(v, (int, float)) for k, v in critical.items())):
        raise ValueError("critical must be a dict leak -> critical spectral radius (numbers)")
    value = torch.log10(grid.final_distance.clamp_min(floor)).numpy()
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    mesh = ax.pcolormesh(grid.radii.numpy(), grid.leaks.numpy(), value, shading="nearest", cmap="viridis",
                         vmin=float(torch.log10(torch.tensor(floor))), vmax=max(1.0, float(value.max())))
    fig.colorbar(mesh, ax=ax, label=r"$\log_{10}$ final distance")
    if 0 < int(grid.echo.sum()) < grid.echo.numel():
        ax.contour(grid.radii.numpy(), grid.leaks.numpy(), grid.echo.double().numpy(), levels=[0.5],
                   colors="black", linewidths=1.2)
    if critical:
        ax.plot(list(critical.values()), list(critical.keys()), "D", mfc="white", mec="black", ms=5,
                label=r"measured $\rho^*$")
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xlabel=r"spectral radius $\rho(W)$", ylabel=r"leak rate $\alpha$")
    ax.grid(False)
    ax.set_title(f"echo state verdict (distance < {grid.tol:.0e} after the run: left of the line)", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_echo_distances(distances: dict, bounds: dict | None = None, floor: float = 1e-17):
    r"""Distances :math:`\|h_t - h'_t\|` between runs from different initial states against :math:`t` (log scale).

    ``distances`` maps a label to a 1-D tensor (index :math:`t = 0, \dots, T`, as returned by
    :func:`srnbook.reservoir.echo_state_distance`); ``bounds`` maps some of the labels to a
    contraction factor :math:`c`, drawn as the dashed bound :math:`c^t\, \|h_0 - h'_0\|`. Values
    below ``floor`` (exact zeros included) are drawn at ``floor``. One axes.
    """
    from ._validation import check_positive_float

    if not isinstance(distances, dict) or not distances or not all(
            isinstance(v, torch.Tensor) and v.dim() == 1 and v.numel() > 0 for v in distances.values()):
        raise ValueError("distances must be a nonempty dict label -> nonempty 1-D tensor")
    bounds = {} if bounds is None else bounds
    if not isinstance(bounds, dict) or any(k not in distances for k in bounds):
        raise ValueError("bounds must be a dict whose keys are labels of distances")
    floor = check_positive_float(floor, "floor")
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    for j, (label, dist) in enumerate(distances.items()):
        t = torch.arange(dist.numel())
        ax.plot(t, dist.double().clamp_min(floor), color=f"C{j}", lw=1.2, label=label)
        if label in bounds:
            c = check_positive_float(bounds[label], "bounds[label]")
            ax.plot(t, (float(dist[0]) * c ** t.double()).clamp_min(floor), "--", color=f"C{j}", lw=0.9)
    ax.set(yscale="log", xlabel="step $t$", ylabel=r"$\max_k \|h^{(k)}_t - h^{(0)}_t\|$")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_memory_capacity(curves: dict, size: int):
    r"""Jaeger's memory curves: :math:`\mathrm{MC}_k` against the delay :math:`k` (left), and the
    running sum :math:`\sum_{j \le k} \mathrm{MC}_j` with the bound :math:`d` = ``size`` (right).

    ``curves`` maps a label to a :class:`srnbook.reservoir.MemoryCapacity`. Two axes.
    """
    from ._validation import check_positive_int
    from .reservoir import MemoryCapacity

    if not isinstance(curves, dict) or not curves or not all(isinstance(c, MemoryCapacity) for c in curves.values()):
        raise ValueError("curves must be a nonempty dict label -> srnbook.reservoir.MemoryCapacity")
    size = check_positive_int(size, "size")
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.0))
    for j, (label, c) in enumerate(curves.items()):
        left.plot(c.delays, c.r2, color=f"C{j}", lw=1.2, label=f"{label} (MC = {c.total:.1f})")
        right.plot(c.delays, c.r2.cumsum(0), color=f"C{j}", lw=1.2)
    right.axhline(size, color="0.3", ls="--", lw=1, label=f"bound $d = {size}$")
    left.set(xlabel="delay $k$", ylabel=r"$\mathrm{MC}_k = r^2(x_{t-k}, \hat y_k(t))$", ylim=(-0.03, 1.03))
    right.set(xlabel="delay $k$", ylabel=r"$\sum_{j \leq k} \mathrm{MC}_j$", ylim=(0, 1.08 * size))
    left.legend(fontsize=7, loc="upper right")
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_echo_runs(states: torch.Tensor, units: int = 3, title: str = "", floor: float = 1e-17):
    r"""Runs of one reservoir from different initial states on the same input.

    ``states`` is ``(n, T + 1, d)``, :math:`h^{(k)}_t` for :math:`n \ge 2` initial states (with
    the initial state at index :math:`t = 0`). Left: the first ``units`` units of every run (one colour
    per unit, one line style per run). Right: :math:`\max_k \|h^{(k)}_t - h^{(0)}_t\|` (log
    scale; values below ``floor`` drawn at ``floor``). Two axes.
    """
    from ._validation import check_positive_float, check_positive_int, check_tensor

    states = check_tensor(states, "states", ndim=3)
    if states.shape[0] < 2 or states.shape[1] < 1:
        raise ValueError(f"states must have shape (n, T + 1, d) with n >= 2 runs, got {tuple(states.shape)}")
    units = min(check_positive_int(units, "units"), states.shape[2])
    floor = check_positive_float(floor, "floor")
    t = torch.arange(states.shape[1])
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 2.8))
    styles = ("-", "--", ":", "-.")
    for k in range(states.shape[0]):
        for i in range(units):
            left.plot(t, states[k, :, i].double(), styles[k % len(styles)], color=f"C{i}", lw=0.9)
    distance = (states[1:] - states[:1]).double().norm(dim=2).max(dim=0).values
    right.plot(t, distance.clamp_min(floor), color="black", lw=1.2)
    left.set(xlabel="step $t$", ylabel=f"$h_t[i]$, $i = 1..{units}$", ylim=(-1.05, 1.05))
    right.set(yscale="log", xlabel="step $t$", ylabel=r"$\max_k \|h^{(k)}_t - h^{(0)}_t\|$",
              ylim=(floor / 10, 100))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_criterion_histories(histories: dict, fits: dict | None = None, tolerance: float | None = None,
                             title: str = ""):
    r"""Criterion histories :math:`c(k)` on a log scale, one line per entry of ``histories`` (label -> values).

    ``fits`` (label -> :func:`srnbook.backward_tuning.decay_fit` result) adds, dashed, the fitted
    :math:`\beta + a e^{-k/\tau}`, with :math:`a` the mean of :math:`(c(k) - \beta) e^{k/\tau}` weighted by
    :math:`k` (points where it is not positive are not drawn); ``tolerance`` a dotted horizontal line. One axes.
    """
    import numpy as np

    if not isinstance(histories, dict) or not histories:
        raise ValueError("histories must be a nonempty dict of label -> criterion values")
    fits = {} if fits is None else fits
    if not isinstance(fits, dict) or not set(fits) <= set(histories):
        raise ValueError("fits must be a dict whose labels are labels of histories")
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for i, (label, values) in enumerate(histories.items()):
        c = np.asarray(values, dtype=float)
        if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all():
            raise ValueError(f"histories[{label!r}] must be a nonempty sequence of finite numbers")
        k = np.arange(c.size)
        ax.plot(k, c, "o-", ms=2.5, lw=1, color=f"C{i}", label=label)
        fit = fits.get(label)
        if fit is not None and fit.get("tau") is not None and c.size > 1:
            tau, beta = fit["tau"], fit["bias"]
            a = np.average((c[1:] - beta) * np.exp(k[1:] / tau), weights=k[1:])
            curve = beta + a * np.exp(-k / tau)
            curve[curve <= 0] = np.nan
            ax.plot(k, curve, "--", lw=1, color=f"C{i}", label=rf"fit: $\tau = {tau:.1f}$, $\beta = {beta:.1e}$")
    if tolerance is not None:
        ax.axhline(tolerance, ls=":", color="gray", lw=1, label="tolerance")
    ax.set(yscale="log", xlabel="iteration $k$", ylabel="criterion $C$")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_output_match(target: torch.Tensor, output: torch.Tensor, title: str = "", steps: int | None = None):
    r"""The observed unit's target :math:`o(t)` (black) and a network's :math:`h_0(t)` (colour), and their difference.

    ``target`` and ``output`` are 1-D of the same length :math:`T`; ``steps`` shows the first ``steps``
    only. Two axes (signals above, difference below).
    """
    from ._validation import check_positive_int, check_tensor

    target = check_tensor(target, "target", ndim=1)
    output = check_tensor(output, "output", ndim=1)
    if output.shape != target.shape:
        raise ValueError(f"output must have the shape of target {tuple(target.shape)}, got {tuple(output.shape)}")
    T = target.shape[0] if steps is None else min(check_positive_int(steps, "steps"), target.shape[0])
    t = torch.arange(1, T + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 3.6), sharex=True, height_ratios=(2, 1))
    top.plot(t, target[:T].double(), color="black", lw=1.4, label="root $o(t)$")
    top.plot(t, output[:T].double(), color="C1", lw=1, label="blind $h_0(t)$")
    bottom.plot(t, (output[:T] - target[:T]).double(), color="C3", lw=1)
    top.set(ylabel="unit 0")
    bottom.set(xlabel="step $t$", ylabel="difference")
    top.legend(fontsize=7, loc="upper right")
    if title:
        top.set_title(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
