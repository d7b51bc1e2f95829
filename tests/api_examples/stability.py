"""Examples for srnbook.stability."""

import torch

from srnbook import stability as m
from tests.api_contract import example, record

f64 = torch.float64

for _name in ("Basins", "FixedPoint", "LatchResult", "LatchTrace"):
    record(f"srnbook.stability.{_name}")

_FINITE_SCALE = ("a scale of 1e300 is valid while what it multiplies stays finite in the dtype "
                 "(checked: beyond that it is refused); tanh saturates")
_SIGNED = {"negative": "a negative entry or weight is a valid network parameter",
           "zero": "a zero weight is a valid network parameter"}


def _W():
    return torch.tensor([[1.5, -1.0], [-1.0, 1.5]], dtype=f64)


def _b():
    return torch.tensor([0.1, -0.1], dtype=f64)


@example("srnbook.stability.flip_flop")
def _():
    return m.flip_flop, dict(dtype=f64)


@example("srnbook.stability.fixed_points",
         valid={"newton_steps": {"huge": "a largest number of steps: Newton stops when converged"}},
         long={"iterate_steps": "a budget of map iterations: a huge one is valid and runs long"})
def _():
    return m.fixed_points, dict(W=_W(), b=_b(), activation="tanh", n_starts=4, seed=0, tol=1e-10,
                                merge_radius=1e-4, newton_steps=20, iterate_steps=10)


@example("srnbook.stability.basins",
         valid={"extent": {"huge": "a box of half-width 1e300 is a valid (coarse) set of initial "
                                                  "states; the lattice is checked to be finite"}},
         long={"steps": "a budget of map iterations: a huge one is valid and runs long"})
def _():
    return m.basins, dict(W=_W(), b=_b(), activation="tanh", grid=3, extent=1.0, steps=5,
                          atol=1e-6, seed=0)


@example("srnbook.stability.plot_basins",
         valid={"title": {"unknown string": "any text is a title",
                          "empty string": "the empty title stands for the default title"}})
def _():
    result = m.basins(_W(), _b(), grid=3, steps=5)
    return m.plot_basins, dict(result=result, title="basins")


@example("srnbook.stability.feedback_loop",
         valid={"w": _SIGNED,
                "x": {"missing dimension": "a (N,) tensor is one series, as documented",
                      "other precision": "the loop runs in x's floating dtype"}})
def _():
    return m.feedback_loop, dict(x=torch.tensor([[1.0, 0.5, -0.5]], dtype=f64), w=0.8)


@example("srnbook.stability.plot_feedback_loop",
         valid={"ws": {"negative inside": "a negative weight is a valid (alternating) loop"},
                "mean": {"negative": "inputs of negative mean are valid",
                         "zero": "inputs of zero mean are valid",
                         "huge": _FINITE_SCALE},
                "std": {"zero": "noise-free inputs are valid", "huge": _FINITE_SCALE}})
def _():
    return m.plot_feedback_loop, dict(ws=(0.8, 1.2), steps=5, mean=0.1, std=0.05, seed=0)


@example("srnbook.stability.lyapunov_energy")
def _():
    return m.lyapunov_energy, dict(W=_W(), b=_b(), h=torch.tensor([[0.5, -0.5], [0.1, 0.2]], dtype=f64),
                                   activation="tanh")


@example("srnbook.stability.trajectory")
def _():
    return m.trajectory, dict(W=_W(), b=_b(), h0=torch.tensor([[0.5, -0.5], [0.1, 0.2]], dtype=f64), steps=3,
                              activation="tanh", mode="continuous", dt=0.1)


@example("srnbook.stability.latch",
         valid={"w": _SIGNED, "u": {**_SIGNED, "huge": _FINITE_SCALE},
                "x": {"other precision": "the latch runs in x's floating dtype"},
                "h0": {"negative": "h0 = -1 is in the range of tanh",
                       "zero": "h0 = 0 is the book's initial state"}})
def _():
    return m.latch, dict(w=1.5, x=torch.tensor([[1.0, 0.1, -0.2]], dtype=f64), u=1.0, h0=0.0)


@example("srnbook.stability.latch_inputs",
         valid={"noise_std": {"zero": "noise-free inputs are valid", "huge": _FINITE_SCALE},
                "pulse": {"huge": _FINITE_SCALE}})
def _():
    return m.latch_inputs, dict(n_sequences=4, T=3, noise_std=0.3, seed=0, pulse=1.0)


@example("srnbook.stability.latch_experiment",
         valid={"noise_std": {"zero": "noise-free inputs are valid", "huge": _FINITE_SCALE},
                "u": {**_SIGNED, "huge": _FINITE_SCALE}, "pulse": {"huge": _FINITE_SCALE}})
def _():
    return m.latch_experiment, dict(scales=[0.5, 1.5], T=3, noise_std=0.3, n_sequences=4, seed=0,
                                    u=1.0, pulse=1.0)


def _latch_results():
    return m.latch_experiment([0.5, 1.5], T=3, n_sequences=4)


@example("srnbook.stability.plot_latch_dilemma")
def _():
    return m.plot_latch_dilemma, dict(results=_latch_results())


@example("srnbook.stability.plot_energy_landscape")
def _():
    W, b = _W(), _b()
    h0 = torch.tensor([[0.5, -0.5], [-0.2, 0.3]], dtype=f64)
    runs = {mode: m.trajectory(W, b, h0, 3, mode=mode) for mode in m.MODES}
    energy = {mode: m.lyapunov_energy(W, b, states.reshape(-1, 2)).reshape(2, 4)
              for mode, states in runs.items()}
    return m.plot_energy_landscape, dict(W=W, b=b, runs=runs, energy=energy, dt=0.1, grid=5)


@example("srnbook.stability.plot_pitchfork",
         valid={"ws": {"negative inside": "a negative weight is a valid scalar map"}})
def _():
    return m.plot_pitchfork, dict(ws=[0.5, 1.5])


@example("srnbook.stability.plot_latch_frame")
def _():
    x, bits = m.latch_inputs(4, 3)
    result = m.latch_experiment([1.5], T=3, n_sequences=4)[0]
    return m.plot_latch_frame, dict(result=result, x=x, bits=bits, shown=2)
