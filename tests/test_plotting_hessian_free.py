"""Specification of the Hessian-free chapter's figures in srnbook.plotting."""

import math

import matplotlib.pyplot as plt
import pytest
import torch

from srnbook.optim.hessian_free import SaturationPoint
from srnbook.plotting import (
    figure_png,
    plot_finite_difference_errors,
    plot_hf_saturation,
    plot_hf_trace,
    plot_quadratic_paths,
    plot_residual_histories,
    plot_spectra,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

F64 = torch.float64
A = torch.tensor([[3.0, 1.5], [1.5, 1.0]], dtype=F64)
B = torch.tensor([1.0, -0.5], dtype=F64)


def _closed_png(fig):
    assert not plt.fignum_exists(fig.number)
    assert figure_png(fig).startswith(b"\x89PNG")


def test_quadratic_paths_cut_each_path_and_mark_the_minimizer():
    path = torch.tensor([[-2.0, 3.0], [0.0, 1.0], [1.0, 0.0], [2.0, -3.0]], dtype=F64)
    fig = plot_quadratic_paths(A, B, {"one": path, "two": path.flip(0)}, upto=2, title="t")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines["one"].get_xdata()) == 3 and len(lines["two"].get_xdata()) == 3
    star = torch.linalg.solve(A, B)
    assert lines["minimizer $A^{-1}b$"].get_xdata()[0] == pytest.approx(float(star[0]))
    assert ax.get_title() == "t"
    _closed_png(fig)
    with pytest.raises(ValueError, match="A must be 2 x 2"):
        plot_quadratic_paths(torch.eye(3, dtype=F64), B, {})


def test_residual_histories_are_log_scaled_with_a_marker_at_n():
    fig = plot_residual_histories({"a": [1.0, 1e-3, 1e-9], "b": [1.0, 0.5]}, n=2)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["a", "b"]
    assert any(list(line.get_xdata()) == [2, 2] for line in ax.get_lines())  # the vertical line i = n
    _closed_png(fig)


def test_spectra_use_a_symlog_axis_and_sort_the_eigenvalues():
    fig = plot_spectra({"H": torch.tensor([0.5, -0.2, 1.0], dtype=F64)})
    ax = fig.axes[0]
    assert ax.get_yscale() == "symlog"
    assert list(ax.get_lines()[0].get_ydata()) == [-0.2, 0.5, 1.0]
    _closed_png(fig)


def test_finite_difference_errors_are_log_log_with_sqrt_u_markers():
    eps = [1e-8, 1e-4, 1e-1]
    fig = plot_finite_difference_errors(eps, {"float64": [1e-6, 1e-5, 1e-2]}, unit_roundoff={"float64": 1e-16})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    verticals = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
    assert verticals and verticals[0].get_xdata()[0] == pytest.approx(1e-8)
    _closed_png(fig)


def test_hf_trace_has_three_panels_and_clips_rho():
    rows = [{"loss_after": 1.0, "damping": 1.0, "rho": 0.9}, {"loss_after": 0.5, "damping": 1.5, "rho": -math.inf},
            {"loss_after": 0.4, "damping": 1.0, "rho": 5.0}]
    fig = plot_hf_trace(rows)
    assert len(fig.axes) == 3
    rho_line = fig.axes[2].get_lines()[0]
    assert list(rho_line.get_ydata()) == [0.9, -1.0, 2.0]
    assert fig.axes[1].get_yscale() == "log"
    _closed_png(fig)
    with pytest.raises(ValueError, match="rows must contain"):
        plot_hf_trace([])


def test_hf_saturation_draws_gradient_curvature_and_steps_against_J():
    points = [SaturationPoint(J, math.exp(-J), math.exp(-J), 2 * math.exp(-J), 1e3 * math.exp(-J), 1e3 * math.exp(-J),
                              2.0, 0.4, 3) for J in (2.0, 4.0, 8.0)]
    fig = plot_hf_saturation(points, damping=1e-3)
    left, right = fig.axes
    assert left.get_xscale() == "log" and right.get_yscale() == "log"
    assert [line.get_label() for line in left.get_lines()] == [r"$\|g\|$", r"$\lambda_{\max}(G)$", "$e^{-J}$"]
    assert list(right.get_lines()[0].get_ydata()) == [p.step_norm for p in points]
    _closed_png(fig)
    with pytest.raises(ValueError, match="points must contain"):
        plot_hf_saturation([], 1e-3)


def test_experiment_summary_has_one_panel_per_T_and_one_dot_per_run():
    from srnbook.experiments import hessian_free as experiment_hf

    runs = [{"task": t, "T": T, "method": m, "success_rate": 0.1 * s}
            for t in ("adding", "temporal_order") for T in (50, 100)
            for m in ("hf", "adam") for s in (1, 2)]
    result = {"config": {"tasks": ["adding", "temporal_order"], "T": [50, 100],
                         "methods": ["hf", "adam"], "target": 0.99},
              "baselines": {f"{t} {T}": 0.25 for t in ("adding", "temporal_order")
                            for T in (50, 100)},
              "runs": runs}
    fig = experiment_hf.plot_summary(result)
    assert len(fig.axes) == 2
    dots = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in dots) == 8  # 2 tasks x 2 methods x 2 seeds
    # the task names stand under the bottom panel
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels()] == ["adding", "temporal\norder"]
    _closed_png(fig)
