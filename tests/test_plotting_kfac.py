"""Specification of the K-FAC chapter's figures in srnbook.plotting."""

import matplotlib.pyplot as plt
import pytest
import torch

from srnbook.dfa import even_as
from srnbook.optim.kfac import saturation_sweep
from srnbook.plotting import figure_png, plot_fisher_blocks, plot_saturation_sweep, plot_step_comparison

pytestmark = pytest.mark.usefixtures("one_torch_thread")

F64 = torch.float64


def test_fisher_blocks_share_one_symmetric_colour_scale_and_show_errors():
    exact = torch.tensor([[2.0, -1.0], [-1.0, 3.0]], dtype=F64)
    fig = plot_fisher_blocks({"exact": exact, "approx": 0.5 * exact}, {"approx": 0.25})
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 2
    for ax in axes:
        assert ax.images[0].get_clim() == (-3.0, 3.0)
    assert axes[0].get_title() == "exact" and axes[1].get_title() == "approx\nerror 0.250"
    assert figure_png(fig).startswith(b"\x89PNG")


def test_step_comparison_scales_steps_to_unit_length_and_draws_one_bar_per_cosine():
    ref = torch.tensor([3.0, 4.0], dtype=F64)
    fig = plot_step_comparison(ref, {"same": 2 * ref, "other": torch.tensor([1.0, 0.0], dtype=F64)},
                               {"same": 1.0, "other": 0.6})
    left, right = fig.axes
    xs, ys = left.lines[0].get_data()
    assert list(xs) == pytest.approx([0.6, 0.8]) and list(ys) == pytest.approx([0.6, 0.8])
    assert [p.get_width() for p in right.patches] == pytest.approx([1.0, 0.6])


def test_saturation_sweep_plot_draws_every_scale():
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 2, (4, 3), generator=g)
    x = torch.nn.functional.one_hot(idx, 2).to(F64)
    y = (idx == 0).to(F64).unsqueeze(2)
    points = saturation_sweep(even_as(), [2.0, 8.0, 16.0], x, y)
    fig = plot_saturation_sweep(points)
    left, right = fig.axes
    assert list(left.lines[0].get_xdata()) == [2.0, 8.0, 16.0]
    assert left.get_yscale() == "log"
    assert list(right.lines[0].get_ydata()) == pytest.approx([p.gradient_cosine["U"] for p in points])


def test_saturation_sweep_plot_draws_the_shared_gradient_factor_of_U_and_W_once():
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 2, (4, 3), generator=g)
    x = torch.nn.functional.one_hot(idx, 2).to(F64)
    points = saturation_sweep(even_as(), [2.0, 8.0], x, (idx == 0).to(F64).unsqueeze(2))
    labels = [line.get_label() for line in plot_saturation_sweep(points).axes[0].lines]
    assert sum("G_0" in label for label in labels) == 2  # (U, W) and (V)
    assert any("(U, W)" in label for label in labels)


def test_step_comparison_bars_take_the_colour_of_their_step():
    ref = torch.tensor([3.0, 4.0], dtype=F64)
    fig = plot_step_comparison(ref, {"a": ref, "b": -ref}, {"b": 0.5, "c": 0.2}, cosine_label="metric cosine")
    right = fig.axes[1]
    colours = [tuple(p.get_facecolor()) for p in right.patches]
    assert colours[0] == pytest.approx(tuple(plt.matplotlib.colors.to_rgba("C1")))
    assert colours[1] == pytest.approx(tuple(plt.matplotlib.colors.to_rgba("0.6")))
    assert right.get_xlabel() == "metric cosine"


def _grid_result():
    """A two-seed grid of one task, one length and two methods, one run diverged."""
    def run(method, seed, success, diverged=False, seen=1000):
        return {"task": "adding", "T": 20, "method": method, "seed": seed, "diverged": diverged,
                "success_rate": None if diverged else success,
                "sequences_seen": None if diverged else seen}
    return {"config": {"tasks": ["adding"], "T": [20], "methods": ["kfac_option1", "sgd_clip"]},
            "baselines": {"adding 20": 0.15},
            "runs": [run("kfac_option1", 0, 0.2, seen=300), run("kfac_option1", 1, 0, True),
                     run("sgd_clip", 0, 0.9, seen=1200), run("sgd_clip", 1, 0.5, seen=800)]}


def test_experiment_summary_draws_one_point_per_run_and_diverged_runs_open_at_zero():
    from srnbook.experiments.kfac import plot_summary

    fig = plot_summary(_grid_result())
    points = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert len(points) == 4
    diverged = [p for p in points if p.get_markerfacecolor() == "none"]
    assert len(diverged) == 1 and diverged[0].get_ydata()[0] == 0.0
    assert figure_png(fig).startswith(b"\x89PNG")


def test_steps_ratio_pools_kfac_runs_and_leaves_out_diverged_ones():
    from srnbook.experiments.kfac import steps_ratio

    assert steps_ratio(_grid_result()) == pytest.approx(300 / 1000)
