"""Examples for srnbook.reservoir."""

import torch

from srnbook import reservoir as m
from srnbook.training import draw
from tests.api_contract import example, record

f64 = torch.float64

for _name in ("EchoStateGrid", "MemoryCapacity", "TaskFit", "TaskResult"):
    record(f"srnbook.reservoir.{_name}")

FINITE_SCALE = ("a scale of 1e300 is valid while the weights it gives stay finite in the dtype (checked: "
                "an overflow is refused); tanh saturates")
RIDGE = {"zero": "ridge = 0 is ordinary least squares (solved by lstsq)",
         "huge": "a penalty of 1e300 is valid: V tends to 0 and c to the mean of the targets"}


def _reservoir(u=1, d=4):
    return m.make_reservoir(u, d, 0.9, density=1.0, seed=0)


def _x(T=5):
    return torch.linspace(-1, 1, T, dtype=f64)[:, None]


@example("srnbook.reservoir.Reservoir")
def _():
    r = _reservoir()
    return m.Reservoir, dict(U=r.U, W=r.W, b=torch.full((4,), 0.1, dtype=f64), leak=0.5, activation="tanh")


@example("srnbook.reservoir.Reservoir.run")
def _():
    return _reservoir().run, dict(x=torch.stack([_x(), -_x()]), h0=torch.full((2, 4), 0.1, dtype=f64))


@example("srnbook.reservoir.Reservoir.with_leak")
def _():
    return _reservoir().with_leak, dict(leak=0.5)


@example("srnbook.reservoir.Reservoir.with_spectral_radius", valid={"spectral_radius": {"huge": FINITE_SCALE}})
def _():
    return _reservoir().with_spectral_radius, dict(spectral_radius=1.2)


@example("srnbook.reservoir.make_reservoir",
         valid={"spectral_radius": {"huge": FINITE_SCALE}, "input_scale": {"huge": FINITE_SCALE},
                "bias_scale": {"huge": FINITE_SCALE, "zero": "no bias (the default)"}})
def _():
    return m.make_reservoir, dict(input_size=2, size=4, spectral_radius=0.9, leak=0.5, density=0.8,
                                  input_scale=0.5, bias_scale=0.1, weights="uniform", activation="tanh",
                                  seed=0, dtype=f64)


@example("srnbook.reservoir.Readout")
def _():
    return m.Readout, dict(V=torch.ones(1, 4, dtype=f64), c=torch.zeros(1, dtype=f64))


@example("srnbook.reservoir.Readout.predict",
         valid={"states": {"extra dimension": "states may be (..., d) with up to 3 dimensions (documented)"}})
def _():
    readout = m.Readout(torch.ones(1, 4, dtype=f64), torch.zeros(1, dtype=f64))
    return readout.predict, dict(states=_reservoir().run(_x()).contiguous())


@example("srnbook.reservoir.ridge_regression", valid={"ridge": RIDGE})
def _():
    X = _reservoir().run(_x(6)).contiguous()
    return m.ridge_regression, dict(X=X, Y=_x(6) ** 2, ridge=1e-6)


@example("srnbook.reservoir.fit_readout",
         valid={"ridge": RIDGE, "washout": {"zero": "no washout (the default)"}})
def _():
    states = _reservoir().run(torch.stack([_x(6), -_x(6)])).contiguous()
    return m.fit_readout, dict(states=states, targets=(states[..., :1] ** 2).contiguous(), ridge=1e-6, washout=1)


@example("srnbook.reservoir.echo_state_distance")
def _():
    return m.echo_state_distance, dict(reservoir=_reservoir(), x=_x(), n_initial=3, scale=0.5, seed=0)


@example("srnbook.reservoir.has_echo_states")
def _():
    return m.has_echo_states, dict(reservoir=_reservoir(), x=_x(), tol=1e-3, n_initial=3, scale=0.5, seed=0)


@example("srnbook.reservoir.echo_state_sweep")
def _():
    return m.echo_state_sweep, dict(reservoir=_reservoir(), x=_x(), radii=[0.5, 1.5], leaks=[0.5, 1.0],
                                    tol=1e-3, n_initial=3, scale=0.5, seed=0)


@example("srnbook.reservoir.critical_spectral_radius",
         valid={"high": {"huge": "any bracket on which the verdict flips is valid; bisection "
                                               "halves it"}},
         long={"steps": "a number of bisection steps: a huge one is valid and runs long"})
def _():
    return m.critical_spectral_radius, dict(reservoir=_reservoir(), x=_x(20), low=0.1, high=5.0, steps=3,
                                            tol=1e-3, n_initial=3, scale=0.5, seed=0)


@example("srnbook.reservoir.memory_capacity",
         valid={"ridge": RIDGE, "min_delay": {"zero": "min_delay = 0 adds the delay k = 0 "
                                                                    "(documented)"}})
def _():
    return m.memory_capacity, dict(reservoir=_reservoir(), max_delay=3, n_train=20, n_test=10, washout=5,
                                   ridge=1e-8, seed=0, min_delay=1)


@example("srnbook.reservoir.last_states")
def _():
    return m.last_states, dict(reservoir=_reservoir(2), batch=draw("adding", 3, 10, seed=0))


@example("srnbook.reservoir.fit_task", valid={"ridge": RIDGE})
def _():
    return m.fit_task, dict(reservoir=_reservoir(2), task="adding", T=10, n_train=8, n_test=8, ridge=1e-6,
                            seed=0)


@example("srnbook.reservoir.esn_on_task",
         valid={"ridge": RIDGE, "input_scale": {"huge": FINITE_SCALE}})
def _():
    return m.esn_on_task, dict(task="adding", T=10, size=4, radii=[0.9], leaks=[1.0], input_scale=1.0,
                               density=1.0, n_train=8, n_test=8, ridge=1e-6, seed=0, dtype=f64)


@example("srnbook.reservoir.esn_on_tasks")
def _():
    config = dict(m.ESN_TASKS, tasks=["adding"], T=[10], size=4, density=1.0, n_train=8, n_test=8)
    return m.esn_on_tasks, dict(config=config)
