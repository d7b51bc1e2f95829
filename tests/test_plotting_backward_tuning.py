"""Specification of the figures of the chapter on backward tuning (srnbook.plotting)."""

import numpy as np
import pytest
import torch

from srnbook.backward_tuning import decay_fit
from srnbook.plotting import figure_png, plot_criterion_histories, plot_output_match

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_criterion_histories_draw_one_line_per_history_and_one_per_fit():
    k = np.arange(30)
    a, b = 1e-6 + np.exp(-k / 4), 1e-3 + np.exp(-k / 9)
    fig = plot_criterion_histories({"a": a, "b": b}, fits={"a": decay_fit(a)}, tolerance=1e-6)
    ax, = fig.axes
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"  # two histories, one fit, the tolerance
    _, curve = ax.lines[1].get_data()
    np.testing.assert_allclose(curve, a, rtol=1e-6)  # the fit of an exact exponential is the exponential
    assert figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("histories, fits, match", [
    ({}, None, "histories must be a nonempty dict"),
    ({"a": [1.0, float("nan")]}, None, r"histories\['a'\] must be"),
    ({"a": [1.0, 0.5]}, {"b": {}}, "fits must be a dict whose labels"),
])
def test_criterion_histories_reject_bad_input(histories, fits, match):
    with pytest.raises(ValueError, match=match):
        plot_criterion_histories(histories, fits)


def test_output_match_draws_target_output_and_difference():
    target = torch.linspace(0, 1, 50, dtype=torch.float64)
    fig = plot_output_match(target, target + 0.1, steps=20)
    top, bottom = fig.axes
    assert len(top.lines) == 2 and len(bottom.lines) == 1
    _, diff = bottom.lines[0].get_data()
    assert len(diff) == 20 and np.allclose(diff, 0.1)


@pytest.mark.parametrize("target, output, match", [
    (torch.zeros(5), torch.zeros(4), "output must have the shape of target"),
    (torch.zeros(5, 1), torch.zeros(5, 1), "target must have 1 dimensions"),
    (torch.zeros(5), torch.full((5,), float("nan")), "output contains NaN"),
])
def test_output_match_rejects_bad_input(target, output, match):
    with pytest.raises(ValueError, match=match):
        plot_output_match(target, output)
