"""Examples for srnbook.plotting: tiny results, so that each figure is cheap to draw."""

import torch
from matplotlib.figure import Figure

from srnbook import plotting as m
from tests.api_contract import example

F64 = torch.float64
PRECISION = {"other precision": "a figure draws float32 and float64 values alike"}
TEXT = {"unknown string": "any text is a title or a label",
        "empty string": "the empty text draws none (the default of a title)"}
WHEREVER = "a line drawn at a given value is drawn wherever it falls (the axis extends to it)"


def _book_style_restored():
    """use_book_style, with matplotlib's settings put back (the test process goes on)."""
    import matplotlib

    with matplotlib.rc_context():
        m.use_book_style()


_book_style_restored.__wrapped__ = m.use_book_style


@example("srnbook.plotting.use_book_style")
def _():
    return _book_style_restored, {}


@example("srnbook.plotting.figure_png")
def _():
    return m.figure_png, dict(fig=Figure(figsize=(1, 1)))


@example("srnbook.plotting.plot_activations")
def _():
    return m.plot_activations, dict(names=("tanh",), lim=2.5)


@example("srnbook.plotting.plot_unfolded")
def _():
    return m.plot_unfolded, dict(steps=1)


@example("srnbook.plotting.plot_cost")
def _():
    return m.plot_cost, dict(rows=[{"T": 5, "d": 4, "weights": 16, "forward": 100, "backward": 200}])


@example("srnbook.plotting.plot_hidden_states", valid={"h": PRECISION, "title": TEXT})
def _():
    return m.plot_hidden_states, dict(h=torch.rand(1, 3, 2), title="A title", activation="tanh")


@example("srnbook.plotting.plot_scale_sweep")
def _():
    from srnbook.ssrn import SweepPoint

    sweep = {"sigmoid": [SweepPoint(1.5, 0.1, 0.5, 20.5), SweepPoint(30.5, 0.0, 1.0, 20.5)]}
    return m.plot_scale_sweep, dict(sweep=sweep, floor=1e-46)


@example("srnbook.plotting.plot_noise_robustness")
def _():
    from srnbook.ssrn import NoisePoint

    return m.plot_noise_robustness, dict(results={"4": [NoisePoint(0.0, 1.0, 0.1), NoisePoint(0.5, 0.6, 0.2)]})


@example("srnbook.plotting.plot_jacobian_norms", valid={"title": TEXT})
def _():
    return m.plot_jacobian_norms, dict(norms={"a": torch.rand(2, 2)}, title="A norm")


@example("srnbook.plotting.plot_gradient_bounds", valid={"title": TEXT})
def _():
    return m.plot_gradient_bounds, dict(profiles={"a": torch.rand(2)}, bounds={"a": {"bound": torch.ones(2)}},
                                        title="A title")


@example("srnbook.plotting.plot_decay_and_memory",
         valid={"profile": PRECISION, "memory": PRECISION, "title": TEXT})
def _():
    return m.plot_decay_and_memory, dict(profile=torch.rand(3), memory=torch.rand(2, 3), title="A title")


@example("srnbook.plotting.plot_quadratic_paths",
         valid={"A": PRECISION, "b": PRECISION, "title": TEXT,
                "upto": {"zero": "upto = 0 draws the starting points (the first frame of the book's slider)",
                         "huge": "upto beyond a path's length draws all of it (later frames of the slider)"}})
def _():
    A = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64)
    paths = {"a": torch.tensor([[0.0, 0.0], [0.5, 0.5]], dtype=F64)}
    return m.plot_quadratic_paths, dict(A=A, b=torch.tensor([1.0, -0.5], dtype=F64), paths=paths, upto=1,
                                        title="A title")


@example("srnbook.plotting.plot_residual_histories", valid={"ylabel": TEXT, "n": {"huge": WHEREVER}})
def _():
    return m.plot_residual_histories, dict(histories={"a": [1.0, 0.1]}, n=2, ylabel="A label")


@example("srnbook.plotting.plot_spectra",
         valid={"linthresh": {"huge": "a threshold above every eigenvalue makes the whole axis linear"}})
def _():
    return m.plot_spectra, dict(spectra={"H": torch.tensor([0.5, -0.2])}, linthresh=1e-6)


@example("srnbook.plotting.plot_finite_difference_errors")
def _():
    return m.plot_finite_difference_errors, dict(eps=[1e-8, 1e-4], errors={"f64": [1e-6, 1e-5]},
                                                 unit_roundoff={"f64": 1e-16})


@example("srnbook.plotting.plot_hf_trace")
def _():
    return m.plot_hf_trace, dict(rows=[{"loss_after": 1.0, "damping": 1.0, "rho": 0.9}])


@example("srnbook.plotting.plot_hf_saturation")
def _():
    from srnbook.optim.hessian_free import SaturationPoint

    return m.plot_hf_saturation, dict(points=[SaturationPoint(2.0, 0.1, 0.1, 0.2, 100.0, 100.0, 2.0, 0.4, 3)],
                                      damping=1e-3)


@example("srnbook.plotting.plot_fisher_blocks", valid={"title": TEXT})
def _():
    return m.plot_fisher_blocks, dict(blocks={"exact": torch.eye(2)}, errors={"exact": 0.1}, title="A title")


@example("srnbook.plotting.plot_step_comparison",
         valid={"reference": PRECISION, "title": TEXT, "cosine_label": TEXT})
def _():
    return m.plot_step_comparison, dict(reference=torch.tensor([3.0, 4.0]), steps={"a": torch.tensor([1.0, 0.0])},
                                        cosines={"a": 0.6}, title="A title", cosine_label="A label")


@example("srnbook.plotting.plot_saturation_sweep")
def _():
    from srnbook.optim.kfac import SaturationPoint

    layer = {"U": 0.5, "W": 0.25}
    point = SaturationPoint(2.0, 0.1, layer, layer, layer, layer, layer, layer)
    return m.plot_saturation_sweep, dict(points=[point], layers=("U", "W"))


@example("srnbook.plotting.plot_nth_root_family")
def _():
    return m.plot_nth_root_family, dict(ns=(0.5, 2), bce=True)


@example("srnbook.plotting.principal_plane", valid={"h": PRECISION})
def _():
    return m.principal_plane, dict(h=torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 2.5]]))


@example("srnbook.plotting.plot_state_projection",
         valid={"title": TEXT, "states": {"huge entry": "a DFA state is any nonnegative index: only the "
                                          "states present are drawn, the colours cycle"}})
def _():
    return m.plot_state_projection, dict(hidden={"a": torch.rand(3, 2)}, states=torch.tensor([0, 1, 0]),
                                         title="A title")


@example("srnbook.plotting.plot_gradient_by_scale", valid={"saturating_J": {"huge": WHEREVER}})
def _():
    from srnbook.learning import ScalePoint

    points = {"a": [ScalePoint(1.5, 0.5, 0.2, 0.1, False), ScalePoint(50.5, 1e-22, 0.0, 1e-23, False)]}
    return m.plot_gradient_by_scale, dict(points=points, saturating_J=88.5, floor=1e-46)


@example("srnbook.plotting.plot_scale_growth",
         valid={arg: {"negative": "a fitted line may fall", "zero": "a fitted line may be flat or pass through 0",
                      "huge": "any finite line is drawn (one that overflows float64 is refused)"}
                for arg in ("slope", "intercept")})
def _():
    growth = {"step": [0, 10, 100], "J": [1.0, 1.5, 2.0], "loss": [1.0, 0.1, 0.01]}
    return m.plot_scale_growth, dict(growth=growth, slope=0.5, intercept=1.5)


@example("srnbook.plotting.plot_echo_state_grid")
def _():
    from srnbook.reservoir import EchoStateGrid

    grid = EchoStateGrid(torch.tensor([0.5, 2.0], dtype=F64), torch.tensor([0.5, 1.0], dtype=F64),
                         torch.tensor([[1e-20, 0.5], [1e-18, 1.0]], dtype=F64),
                         torch.tensor([[True, False], [True, False]]), 1e-8)
    return m.plot_echo_state_grid, dict(grid=grid, critical={0.5: 1.5}, floor=1e-16)


@example("srnbook.plotting.plot_echo_distances")
def _():
    return m.plot_echo_distances, dict(distances={"a": torch.tensor([1.0, 0.5, 0.0], dtype=F64)},
                                       bounds={"a": 0.9}, floor=1e-17)


@example("srnbook.plotting.plot_memory_capacity",
         valid={"size": {"huge": "a reservoir of any size d: the bound d is " + WHEREVER[26:]}})
def _():
    from srnbook.reservoir import MemoryCapacity

    curves = {"a": MemoryCapacity(torch.arange(1, 4), torch.tensor([0.9, 0.5, 0.1], dtype=F64), 1.5)}
    return m.plot_memory_capacity, dict(curves=curves, size=3)


@example("srnbook.plotting.plot_echo_runs",
         valid={"states": PRECISION, "title": TEXT,
                "units": {"huge": "like a slice [:units], a count beyond the d units draws all of them"}})
def _():
    states = torch.tensor([[[0.5, -0.5], [0.2, 0.1]], [[-0.5, 0.5], [0.1, 0.2]]], dtype=F64)
    return m.plot_echo_runs, dict(states=states, units=1, title="A title", floor=1e-17)


@example("srnbook.plotting.plot_criterion_histories",
         valid={"title": TEXT, "tolerance": {"huge": "a tolerance above every value (met at once); " + WHEREVER}})
def _():
    fits = {"a": {"tau": 2.5, "bias": 0.1}}
    return m.plot_criterion_histories, dict(histories={"a": [1.0, 0.5, 0.3]}, fits=fits, tolerance=1e-6,
                                            title="A title")


@example("srnbook.plotting.plot_output_match",
         valid={"target": PRECISION, "output": PRECISION, "title": TEXT,
                "steps": {"huge": "like a slice [:steps], a count beyond the length T draws all of it"}})
def _():
    target = torch.linspace(0.0, 1.0, 3)
    return m.plot_output_match, dict(target=target, output=target + 0.1, title="A title", steps=2)


@example("srnbook.plotting.plot_pair_histories", valid={"title": TEXT})
def _():
    history = {key: [1.0, 0.5] for key in m.HISTORY_KEYS}
    history["epoch"] = [0, 1]
    return m.plot_pair_histories, dict(histories={"a": history}, title="A title")


@example("srnbook.plotting.plot_gradient_flow", valid={"title": TEXT})
def _():
    return m.plot_gradient_flow, dict(profiles={"a": [1.0, 0.5, 0.25]}, floor=1e-30, title="A title")


@example("srnbook.plotting.plot_success_curves",
         valid={"target": {"huge": "a target above every success rate; " + WHEREVER}})
def _():
    runs = [{"task": "adding", "network": "gru", "history": [[256, 0.1, 0.2], [512, 0.05, 0.5]]}]
    return m.plot_success_curves, dict(runs=runs, target=0.99, labels={"gru": "GRU"})


@example("srnbook.plotting.plot_lstm_step",
         valid={"x": PRECISION, "marked": {"empty": "no step outlined"},
                "prediction": {kind: "the network's output may be any finite number"
                               for kind in ("negative", "zero", "huge")}})
def _():
    from srnbook.gated import LSTM, lstm_trace

    torch.manual_seed(0)
    x = torch.randn(1, 4, 2)
    return m.plot_lstm_step, dict(trace=lstm_trace(LSTM(2, 3), x), x=x[0], step=2, marked=[1, 3],
                                  prediction=0.5)
