"""Specification of the figures of the reservoir computing chapter (srnbook.plotting)."""

import numpy as np
import pytest
import torch

from srnbook.plotting import (figure_png, plot_echo_distances, plot_echo_runs, plot_echo_state_grid,
                              plot_memory_capacity)
from srnbook.reservoir import (EchoStateGrid, echo_state_distance, echo_state_sweep, make_reservoir,
                               memory_capacity)

pytestmark = pytest.mark.usefixtures("one_torch_thread")
f64 = torch.float64


@pytest.fixture
def reservoir():
    return make_reservoir(1, 12, 0.9, density=0.5, seed=0)


def inputs(T=60):
    return 2 * torch.rand(T, 1, generator=torch.Generator().manual_seed(0), dtype=f64) - 1


def test_echo_state_grid_draws_the_map_its_colour_bar_and_the_critical_radii(reservoir):
    grid = echo_state_sweep(reservoir, inputs(), [0.5, 1.0, 2.0, 4.0], [0.5, 1.0])
    fig = plot_echo_state_grid(grid, critical={0.5: 1.5, 1.0: 1.7})
    assert len(fig.axes) == 2  # the map and the colour bar
    diamonds = [line for line in fig.axes[0].lines if line.get_marker() == "D"]
    assert len(diamonds) == 1 and list(diamonds[0].get_xdata()) == [1.5, 1.7]
    assert figure_png(fig).startswith(b"\x89PNG")
    assert len(plot_echo_state_grid(grid).axes[0].lines) == 0


def test_echo_state_grid_rejects_bad_input(reservoir):
    grid = echo_state_sweep(reservoir, inputs(), [0.5, 2.0], [1.0])
    with pytest.raises(ValueError, match="grid"):
        plot_echo_state_grid({"radii": [1.0]})
    with pytest.raises(ValueError, match="critical"):
        plot_echo_state_grid(grid, critical=[1.0])
    with pytest.raises(ValueError, match="floor"):
        plot_echo_state_grid(grid, floor=0.0)
    assert isinstance(grid, EchoStateGrid)


def test_echo_distances_draw_one_line_per_run_and_one_dashed_bound_per_factor(reservoir):
    d = {"a": echo_state_distance(reservoir, inputs()), "b": echo_state_distance(reservoir.with_leak(0.5), inputs())}
    fig = plot_echo_distances(d, bounds={"a": 0.95})
    lines = fig.axes[0].lines
    assert len(fig.axes) == 1 and len(lines) == 3
    t, bound = lines[1].get_data()
    assert np.allclose(bound, np.maximum(float(d["a"][0]) * 0.95 ** np.asarray(t, dtype=float), 1e-17))


@pytest.mark.parametrize("distances, bounds, match", [
    ({}, None, "distances"),
    ({"a": torch.zeros(3, 2)}, None, "distances"),
    ({"a": torch.ones(3)}, {"b": 0.5}, "bounds"),
    ({"a": torch.ones(3)}, {"a": -0.5}, "bounds"),
])
def test_echo_distances_reject_bad_input(distances, bounds, match):
    with pytest.raises(ValueError, match=match):
        plot_echo_distances(distances, bounds)


def test_memory_capacity_plot_draws_each_curve_twice_and_the_bound(reservoir):
    curves = {f"rho = {rho}": memory_capacity(reservoir.with_spectral_radius(rho), max_delay=20, n_train=200,
                                              n_test=100, washout=20) for rho in (0.5, 0.9)}
    fig = plot_memory_capacity(curves, 12)
    left, right = fig.axes
    assert len(left.lines) == 2 and len(right.lines) == 3
    k, running = right.lines[1].get_data()
    assert np.allclose(running, np.cumsum(curves["rho = 0.9"].r2.numpy()))
    assert list(right.lines[2].get_ydata()) == [12, 12]
    with pytest.raises(ValueError, match="curves"):
        plot_memory_capacity({"a": [0.1, 0.2]}, 12)
    with pytest.raises(ValueError, match="size"):
        plot_memory_capacity(curves, 0)


def test_echo_runs_draw_every_unit_of_every_run_and_their_distance(reservoir):
    h0 = torch.stack([torch.full((12,), 0.8, dtype=f64), torch.full((12,), -0.8, dtype=f64)])
    states = torch.cat([h0[:, None], reservoir.run(inputs().expand(2, 60, 1), h0)], dim=1)
    fig = plot_echo_runs(states, units=3, title="two runs")
    left, right = fig.axes
    assert len(left.lines) == 6 and len(right.lines) == 1
    assert np.allclose(right.lines[0].get_ydata(),
                       np.maximum((states[1] - states[0]).norm(dim=1).numpy(), 1e-17))
    assert figure_png(fig).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="states must have shape"):
        plot_echo_runs(states[:1])
    with pytest.raises(ValueError, match="states must have 3 dimensions"):
        plot_echo_runs(states[0])
    with pytest.raises(ValueError, match="units"):
        plot_echo_runs(states, units=0)
