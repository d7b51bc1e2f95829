"""Specification of what the figures of srnbook.plotting accept (issue 20: no silent wrong answers).

Every plotting function checks its arguments before it draws: a results record or dict that
lacks a field, a value of the wrong type, a NaN, a size that does not match, or a value whose
figure would overflow float64 is refused with an error that names the argument, and no
figure is left open. Numbers may come as lists, NumPy arrays or tensors of either precision.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.layout_engine import TightLayoutEngine

from srnbook import plotting as m
from srnbook.ssrn import NoisePoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")
F64 = torch.float64


def fig_count():
    return len(plt.get_fignums())


HISTORY = {key: [1.0, 0.5] for key in m.HISTORY_KEYS} | {"epoch": [0, 1]}


@pytest.mark.parametrize("call, match", [
    (lambda: m.plot_hf_trace([{"loss_after": 1.0, "damping": 1.0}]), r"rows\[0\] must have the field 'rho'"),
    (lambda: m.plot_hf_trace([{"loss_after": "1", "damping": 1.0, "rho": 0.5}]), r"rows\[0\] must have a number"),
    (lambda: m.plot_cost([{"T": 5, "d": 4, "weights": 16, "forward": 1}]), r"rows\[0\] must have the field"),
    (lambda: m.plot_scale_growth({"step": [0, 1, 2], "J": [1.0, 2.0, 3.0]}, 0.5, 1.0), "growth must be the dict"),
    (lambda: m.plot_pair_histories({"a": {k: v for k, v in HISTORY.items() if k != "train_accuracy"}}),
     r"histories\['a'\] must be .* train_accuracy"),
    (lambda: m.plot_criterion_histories({"a": [1.0, 0.5]}, fits={"a": {"tau": 2.0}}),
     r"fits\['a'\] must be a dict with the keys 'tau' and 'bias'"),
    (lambda: m.plot_scale_sweep({"sigmoid": [NoisePoint(0.0, 1.0, 0.1)]}),
     r"sweep\['sigmoid'\]\[0\] must have the field 'J'"),
    (lambda: m.plot_noise_robustness({"4": [0.1, 0.2]}), r"results\['4'\]\[0\] must have the field 'sigma'"),
    (lambda: m.plot_noise_robustness({"4": NoisePoint(0.0, 1.0, 0.1)}),
     r"results\['4'\] must be a nonempty list"),
    (lambda: m.plot_gradient_bounds({"a": torch.ones(3)}, {}), "bounds must be a dict with the labels of"),
    (lambda: m.plot_echo_distances({"a": torch.ones(3)}, bounds={"b": 0.5}), "bounds must be a dict whose labels"),
    (lambda: m.plot_finite_difference_errors([1e-8], {"a": [0.1]}, unit_roundoff={"b": 1e-16}), "unit_roundoff"),
])
def test_a_results_dict_or_record_without_a_field_is_refused_by_name(call, match):
    """Results come from the package (records, dicts of lists): a missing key is named, not a KeyError."""
    before = fig_count()
    with pytest.raises(ValueError, match=match):
        call()
    assert fig_count() == before


def test_a_bad_entry_found_late_leaves_no_figure_open():
    """The second history is bad: the check runs before any figure is made."""
    before = fig_count()
    with pytest.raises(ValueError, match=r"histories\['b'\] must be finite"):
        m.plot_criterion_histories({"a": [1.0, 0.5], "b": [1.0, math.nan]})
    with pytest.raises(ValueError, match=r"hidden\['b'\] must have one row per entry of states"):
        m.plot_state_projection({"a": torch.rand(3, 2), "b": torch.rand(4, 2)}, [0, 1, 0])
    assert fig_count() == before


@pytest.mark.parametrize("call, match", [
    (lambda: m.plot_step_comparison(torch.zeros(2), {"a": torch.ones(2)}, {"a": 0.5}),
     "reference must be a nonzero"),
    (lambda: m.plot_step_comparison(torch.ones(2), {"a": torch.ones(3)}, {"a": 0.5}), r"steps\['a'\] must have 2"),
    (lambda: m.plot_step_comparison(torch.ones(2), {"a": torch.ones(2)}, {"a": 1.5}), r"cosines\['a'\]"),
    (lambda: m.plot_quadratic_paths(torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=F64), torch.ones(2, dtype=F64),
                                    {"a": torch.zeros(1, 2, dtype=F64)}), "A must be symmetric positive definite"),
    (lambda: m.plot_quadratic_paths(torch.eye(2, dtype=F64), torch.ones(2, dtype=F64),
                                    {"a": torch.zeros(3, dtype=F64)}), r"paths\['a'\] must have 2 dimensions"),
    (lambda: m.plot_jacobian_norms({"a": torch.ones(2, 3)}), r"norms\['a'\] must be a square matrix"),
    (lambda: m.plot_jacobian_norms({"a": -torch.ones(2, 2)}), r"norms\['a'\] must be >= 0"),
    (lambda: m.plot_gradient_bounds({"a": torch.ones(3)}, {"a": {"b": torch.ones(4)}}), "must have the shape of"),
    (lambda: m.plot_finite_difference_errors([1e-8, 1e-4], {"a": [0.1]}), r"errors\['a'\] must have one value"),
    (lambda: m.plot_residual_histories({"a": [1.0, -0.1]}), r"histories\['a'\] must be >= 0"),
    (lambda: m.plot_hidden_states(torch.ones(3, 2), activation="relu"), "activation"),
    (lambda: m.plot_state_projection({"a": torch.rand(3, 1)}, [0, 1, 0]), r"hidden\['a'\] must have one row"),
    (lambda: m.plot_state_projection({"a": torch.rand(1, 2)}, [0]), "states must hold 2 states or more"),
    (lambda: m.plot_activations("tanh"), "names must be a list or tuple"),
    (lambda: m.plot_activations(("tanh", "softmax")), r"names\[1\] must be one of"),
    (lambda: m.plot_activations(lim=1e308), "lim must be a finite number in"),
    (lambda: m.plot_unfolded(10**6), r"steps must be an integer in \[1, 100\]"),
    (lambda: m.plot_echo_runs(torch.zeros(2, 3, 2), floor=2.0), "floor"),
    (lambda: m.plot_saturation_sweep([], ("U",)), "points must contain at least one record"),
    (lambda: m.figure_png("figure.png"), "fig must be a matplotlib Figure"),
])
def test_bad_values_sizes_and_types_are_refused_by_name(call, match):
    before = fig_count()
    with pytest.raises(ValueError, match=match):
        call()
    assert fig_count() == before


def test_the_hf_sweep_and_its_damping_must_agree():
    """step_bound = |g| / damping: a damping that is not the sweep's would label the curve wrongly."""
    from srnbook.optim.hessian_free import SaturationPoint

    points = [SaturationPoint(2.0, 0.1, 0.1, 0.2, 100.0, 100.0, 2.0, 0.4, 3)]
    assert len(m.plot_hf_saturation(points, 1e-3).axes) == 2
    with pytest.raises(ValueError, match=r"damping must be the damping of the sweep's .* = 0\.001\), got 0\.1"):
        m.plot_hf_saturation(points, 0.1)


def test_the_kfac_sweep_needs_every_layer_drawn():
    from srnbook.optim.kfac import SaturationPoint

    layer = {"U": 0.5, "W": 0.25}
    point = SaturationPoint(2.0, 0.1, layer, layer, layer, layer, layer, layer)
    assert len(m.plot_saturation_sweep([point], ("U", "W")).axes) == 2
    with pytest.raises(ValueError, match=r"points\[0\] must have a dict G_scale with the layer 'V' \(layers\)"):
        m.plot_saturation_sweep([point])
    with pytest.raises(ValueError, match="layers must be a nonempty list or tuple"):
        m.plot_saturation_sweep([point], "UW")


@pytest.mark.parametrize("call, match", [
    (lambda: m.plot_criterion_histories({"a": [1.0] * 2000}, fits={"a": {"tau": 1.0, "bias": 0.0}}),
     r"fits\['a'\]\['tau'\] = 1: e\^\(k/tau\) overflows float64"),
    (lambda: m.plot_scale_growth({"step": [0, 10, 100], "J": [1.0, 1.5, 2.0], "loss": [1.0, 0.1, 0.01]},
                                 slope=1e308, intercept=0.0), "slope and intercept give a line .* overflows"),
    (lambda: m.plot_echo_distances({"a": torch.ones(3)}, bounds={"a": 1e300}), r"bounds\['a'\] must be a finite"),
])
def test_figures_whose_numbers_would_overflow_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_numbers_come_as_lists_arrays_or_tensors_of_either_precision():
    for eig in ([0.5, -0.2], np.array([0.5, -0.2]), torch.tensor([0.5, -0.2]),
                torch.tensor([0.5, -0.2], dtype=F64)):
        fig = m.plot_spectra({"H": eig})
        assert list(fig.axes[0].lines[0].get_ydata()) == pytest.approx([-0.2, 0.5])
    for states in ([0, 1, 0], np.array([0, 1, 0]), torch.tensor([0, 1, 0], dtype=torch.uint8)):
        assert len(m.plot_state_projection({"a": np.random.default_rng(0).normal(size=(3, 2))}, states).axes) == 1
    with pytest.raises(ValueError, match="states must be a 1-D array of integer DFA states"):
        m.plot_state_projection({"a": torch.rand(3, 2)}, [0.0, 1.0, 0.0])
    h = torch.rand(1, 3, 2, requires_grad=True)  # a tensor that requires grad is drawn as its values
    assert m.figure_png(m.plot_hidden_states(h)).startswith(b"\x89PNG")


def test_a_single_activation_and_a_huge_state_index_draw():
    """plot_activations with one name used to fail on matplotlib's squeezed axes; a state index is
    any nonnegative integer: only the states present are drawn (no loop over all indices)."""
    assert len(m.plot_activations(("tanh",)).axes) == 1
    fig = m.plot_state_projection({"a": torch.rand(3, 2)}, torch.tensor([0, 2**40, 0]))
    assert len(fig.axes[0].collections) == 2


def test_values_drawn_wherever_they_fall_render():
    """The accepted extremes of the contract (tests/api_examples/plotting.py) give figures that render."""
    figures = [
        m.plot_spectra({"H": torch.tensor([0.5, -0.2])}, linthresh=1e300),
        m.plot_residual_histories({"a": [1.0, 0.1]}, n=10**12),
        m.plot_quadratic_paths(torch.eye(2, dtype=F64), torch.ones(2, dtype=F64),
                               {"a": torch.zeros(2, 2, dtype=F64)}, upto=10**12),
        m.plot_scale_growth({"step": [0, 10, 100], "J": [1.0, 1.5, 2.0], "loss": [1.0, 0.1, 0.01]},
                            slope=1e300, intercept=-1e300),
        m.plot_echo_runs(torch.zeros(2, 3, 2), units=10**12),
        m.plot_output_match(torch.zeros(3), torch.ones(3), steps=10**12),
    ]
    for fig in figures:
        assert m.figure_png(fig).startswith(b"\x89PNG")


def test_figures_are_closed_and_laid_out_when_drawn():
    """A returned figure is not kept by pyplot, and its tight layout is computed when it is drawn
    (a plot call costs no layout; the drawn figure is the same)."""
    before = fig_count()
    fig = m.plot_residual_histories({"a": [1.0, 0.1]})
    assert fig_count() == before and isinstance(fig.get_layout_engine(), TightLayoutEngine)
