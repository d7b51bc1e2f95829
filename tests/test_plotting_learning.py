"""Specification of the figures of the chapter on learning saturated SRNs (srnbook.plotting)."""

import numpy as np
import pytest
import torch

from srnbook.learning import History
from srnbook.plotting import (PAIR_METRICS, figure_png, plot_gradient_by_scale, plot_nth_root_family,
                              plot_pair_histories, plot_scale_growth, plot_state_projection, principal_plane)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def history(scale: float, epochs: int = 4) -> History:
    h = History()
    for e in range(epochs):
        h.epoch.append(e)
        for key in ("loss", "grad_l2", "grad_linf", "distance", "line_distance", "train_accuracy", "test_accuracy"):
            getattr(h, key).append(scale / (e + 1))
    return h


def test_nth_root_family_draws_one_curve_per_root_and_label_and_the_bce():
    fig = plot_nth_root_family((0.5, 2, 4))
    left, right = fig.axes
    assert [len(ax.lines) for ax in (left, right)] == [4, 4]  # three roots and the dashed BCE
    yhat, loss = left.lines[1].get_data()  # n = 2, y = 1: sqrt(1 - yhat)
    assert np.asarray(loss) == pytest.approx(np.sqrt(1 - np.asarray(yhat)))
    yhat, loss = right.lines[0].get_data()  # n = 1/2, y = 0: yhat^2
    assert np.asarray(loss) == pytest.approx(np.asarray(yhat) ** 2)
    assert len(plot_nth_root_family((1,), bce=False).axes[0].lines) == 1
    assert figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("ns", [(), (0, 1), (-1.0,), ("2",), (True,)])
def test_nth_root_family_rejects_roots_that_are_not_positive_numbers(ns):
    with pytest.raises(ValueError, match="ns"):
        plot_nth_root_family(ns)


def test_pair_histories_draw_six_panels_with_one_line_per_network_and_train_accuracy_dotted():
    fig = plot_pair_histories({"plain": history(1.0), "constrained": history(2.0).to_dict()}, title="t")
    panels = fig.axes
    assert [ax.get_title() for ax in panels[:5]] == [name for _, name in PAIR_METRICS[:5]]
    assert [len(ax.lines) for ax in panels[:5]] == [2] * 5
    assert len(panels[5].lines) == 5  # test and train accuracy of each network, and the chance line
    assert panels[1].get_yscale() == "log" and panels[2].get_yscale() == "log"
    epochs, loss = panels[0].lines[1].get_data()
    assert list(epochs) == [0, 1, 2, 3] and list(loss) == pytest.approx([2.0, 1.0, 2 / 3, 0.5])
    assert [t.get_text() for t in panels[0].get_legend().get_texts()] == ["plain", "constrained"]


def test_pair_histories_reject_missing_or_ragged_metrics():
    with pytest.raises(ValueError, match="histories"):
        plot_pair_histories({})
    with pytest.raises(ValueError, match=r"histories\['plain'\]"):
        plot_pair_histories({"plain": {"epoch": [0], "loss": [1.0]}})
    ragged = history(1.0).to_dict()
    ragged["loss"] = ragged["loss"][:2]
    with pytest.raises(ValueError, match=r"histories\['x'\]"):
        plot_pair_histories({"x": ragged})


def test_principal_plane_finds_the_directions_of_largest_spread_with_a_fixed_sign():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(500, 3, generator=g, dtype=torch.float64) * torch.tensor([5.0, 0.1, 1.0], dtype=torch.float64)
    plane = principal_plane(h)
    assert plane.shape == (3, 2)
    assert plane[:, 0].abs().argmax() == 0 and plane[:, 1].abs().argmax() == 2
    assert torch.allclose(principal_plane(-h), plane)  # the sign rule: largest entry positive
    assert torch.allclose(plane.T @ plane, torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="h must"):
        principal_plane(torch.zeros(5))


def test_state_projection_draws_one_scatter_per_state_present_in_each_panel():
    g = torch.Generator().manual_seed(0)
    states = torch.tensor([0, 1, 2, 0, 1, 2, 0, 2])
    hidden = {"a": torch.randn(8, 4, generator=g), "b": np.random.default_rng(0).normal(size=(8, 4))}
    fig = plot_state_projection(hidden, states, title="epoch 3")
    panels = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in panels] == ["a", "b"]
    assert [len(ax.collections) for ax in panels] == [3, 3]
    assert sum(len(c.get_offsets()) for c in panels[0].collections) == 8


def test_state_projection_rejects_mismatched_or_non_integer_input():
    with pytest.raises(ValueError, match="hidden"):
        plot_state_projection({}, [0, 1])
    with pytest.raises(ValueError, match="states"):
        plot_state_projection({"a": torch.zeros(2, 3)}, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"hidden\['a'\]"):
        plot_state_projection({"a": torch.zeros(3, 3)}, [0, 1])


def test_gradient_by_scale_plot_draws_zeros_at_the_floor_and_the_exponential_reference():
    from srnbook.learning import ScalePoint

    points = [ScalePoint(1.0, 0.5, 0.2, 0.1, False), ScalePoint(50.0, 1e-22, 0.0, 1e-23, False),
              ScalePoint(90.0, 1e-40, 0.0, 0.0, True)]
    fig = plot_gradient_by_scale({"a": points}, saturating_J=88.7, floor=1e-46)
    left, right = fig.axes
    assert list(right.lines[0].get_ydata()) == [0.1, 1e-23, 1e-46]  # the l-infinity norm, 0 drawn at the floor
    assert list(right.lines[1].get_ydata()) == [0.2, 1e-46, 1e-46]  # the l2 norm
    reference = [line for line in left.lines if line.get_label() == "$e^{-J}$"][0]
    xs, ys = reference.get_data()
    assert np.asarray(ys) == pytest.approx(np.exp(-np.asarray(xs)))
    assert left.get_yscale() == right.get_yscale() == "log"


def test_gradient_by_scale_plot_rejects_empty_input_and_a_bad_floor():
    from srnbook.learning import ScalePoint

    with pytest.raises(ValueError, match="points"):
        plot_gradient_by_scale({})
    with pytest.raises(ValueError, match="points"):
        plot_gradient_by_scale({"a": []})
    with pytest.raises(ValueError, match="floor"):
        plot_gradient_by_scale({"a": [ScalePoint(1.0, 0.5, 0.2, 0.1, False)]}, floor=0.0)


def test_scale_growth_plot_draws_the_fitted_line_on_positive_steps():
    growth = {"step": [0, 10, 100], "J": [1.0, 1.5, 2.0], "loss": [1.0, 0.1, 0.01], "grad_l2": [1.0, 0.1, 0.01]}
    fig = plot_scale_growth(growth, slope=0.5, intercept=1.0)
    left, right = fig.axes
    assert list(left.lines[0].get_xdata()) == [10.0, 100.0]  # log t needs t > 0
    assert list(left.lines[1].get_ydata()) == pytest.approx([0.5 * np.log(10) + 1, 0.5 * np.log(100) + 1])
    assert list(right.lines[1].get_ydata()) == pytest.approx([0.1, 0.01])  # the 1/t guide through the last point
    assert left.get_xscale() == "log" and right.get_yscale() == "log"
    with pytest.raises(ValueError, match="growth"):
        plot_scale_growth({"step": [0]}, 1.0, 0.0)
