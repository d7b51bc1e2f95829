"""Examples for srnbook.memory."""

import torch

from srnbook import memory as m
from tests.api_contract import example, record

f64 = torch.float64

for _name in ("Capacity", "Crosstalk", "Learning", "Recall"):
    record(f"srnbook.memory.{_name}")

BUDGET = {"huge": "a largest number of steps: the run stops at its first fixed point (or 2-cycle)"}
FLOAT32 = {"other precision": "the function works in the floating dtype it is given (float32 in, float32 out)"}


def _keys():
    return m.correlated_keys(3, 4, 0.2)


def _values():
    return torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=f64)


def _patterns():
    return m.random_patterns(2, 6, seed=1)


def _C():
    return torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=f64)


def _w0():
    return torch.tensor([0.6, -0.8], dtype=f64)


@example("srnbook.memory.associator",
         valid={"eta": {"huge": "eta = 1e300 is a valid scale while A stays finite (checked: an overflow "
                                "is refused)"}})
def _():
    return m.associator, dict(keys=_keys(), values=_values(), eta=0.5)


@example("srnbook.memory.recall")
def _():
    return m.recall, dict(A=m.associator(_keys(), _values()), key=_keys()[:2])


@example("srnbook.memory.crosstalk")
def _():
    return m.crosstalk, dict(keys=_keys(), values=_values())


@example("srnbook.memory.correlated_keys",
         valid={"correlation": {"zero": "zero correlation gives orthonormal keys",
                                              "negative": "c = -1/(n-1) is the most negative Gram matrix "
                                                          "for n = 2 keys"}})
def _():
    return m.correlated_keys, dict(n=2, d=3, correlation=0.5, seed=0, dtype=f64)


@example("srnbook.memory.gaussian_inputs", valid={"C": FLOAT32})
def _():
    return m.gaussian_inputs, dict(samples=5, C=_C(), seed=0)


@example("srnbook.memory.hebb")
def _():
    return m.hebb, dict(x=m.gaussian_inputs(4, _C()), w0=_w0(), eta=0.01)


@example("srnbook.memory.oja")
def _():
    return m.oja, dict(x=m.gaussian_inputs(4, _C()), w0=_w0(), eta=0.01)


@example("srnbook.memory.hebb_flow")
def _():
    return m.hebb_flow, dict(C=_C(), w0=_w0(), times=torch.tensor([0.0, 0.5, 1.0], dtype=f64))


@example("srnbook.memory.oja_flow")
def _():
    return m.oja_flow, dict(C=_C(), w0=_w0(), times=torch.tensor([0.0, 0.5, 1.0], dtype=f64))


@example("srnbook.memory.random_patterns")
def _():
    return m.random_patterns, dict(P=2, N=5, seed=0, dtype=f64)


@example("srnbook.memory.hopfield_weights", valid={"patterns": FLOAT32})
def _():
    return m.hopfield_weights, dict(patterns=_patterns())


@example("srnbook.memory.hopfield_energy",
         valid={"s": {"extra dimension": "s may be any batch (..., N) of up to 3 dimensions (documented)"}})
def _():
    patterns = _patterns()
    return m.hopfield_energy, dict(W=m.hopfield_weights(patterns), s=patterns,
                                   b=torch.full((6,), 0.1, dtype=f64))


@example("srnbook.memory.overlap",
         valid={name: {"extra dimension": "s and pattern broadcast over their leading dimensions (documented)"}
                for name in ("s", "pattern")})
def _():
    patterns = _patterns()
    return m.overlap, dict(s=m.corrupt(patterns, 0.2), pattern=patterns)


@example("srnbook.memory.synchronous", valid={"max_steps": BUDGET})
def _():
    patterns = _patterns()
    return m.synchronous, dict(W=m.hopfield_weights(patterns), s0=m.corrupt(patterns, 0.2),
                               b=torch.zeros(6, dtype=f64), max_steps=5)


@example("srnbook.memory.asynchronous", valid={"max_sweeps": BUDGET})
def _():
    patterns = _patterns()
    return m.asynchronous, dict(W=m.hopfield_weights(patterns), s0=m.corrupt(patterns, 0.2),
                                b=torch.zeros(6, dtype=f64), max_sweeps=5, seed=0, record="update")


@example("srnbook.memory.corrupt",
         valid={"fraction": {"zero": "flipping no bit gives a copy"},
                "pattern": {**FLOAT32, "missing dimension": "one pattern (N,) is valid, as documented"}})
def _():
    return m.corrupt, dict(pattern=_patterns(), fraction=0.2, seed=0)


@example("srnbook.memory.bit_error_probability",
         valid={"alpha": {"huge": "the estimate is defined for every positive load (it tends to 1/2)"}})
def _():
    return m.bit_error_probability, dict(alpha=0.138)


@example("srnbook.memory.capacity_curve",
         valid={"max_sweeps": BUDGET,
                "noise": {"zero": "recall from the stored pattern itself is valid"},
                "threshold": {"zero": "a threshold of 0 (every nonnegative overlap counts) is valid, if lax"}})
def _():
    return m.capacity_curve, dict(N=8, alphas=[0.125, 0.25], trials=2, seed=0, noise=0.1,
                                  threshold=0.9, max_sweeps=5)


def _learning():
    x = m.gaussian_inputs(4, _C())
    times = torch.tensor([0.0, 0.02, 0.04], dtype=f64)
    runs = {"Hebb": m.hebb(x, _w0(), 0.01), "Oja": m.oja(x, _w0(), 0.01)}
    flows = {"Hebb": m.hebb_flow(_C(), _w0(), times), "Oja": m.oja_flow(_C(), _w0(), times)}
    return runs, flows, times


@example("srnbook.memory.plot_crosstalk")
def _():
    return m.plot_crosstalk, dict(measured={3: ([0.0, 0.2], [0.0, 0.28])})


@example("srnbook.memory.plot_hebb_oja")
def _():
    runs, flows, times = _learning()
    return m.plot_hebb_oja, dict(runs=runs, flows=flows, times=times, w0=_w0())


@example("srnbook.memory.plot_pattern_rows")
def _():
    patterns = m.random_patterns(2, 4)
    return m.plot_pattern_rows, dict(stages={"stored": patterns, "key": m.corrupt(patterns, 0.25)}, side=2)


@example("srnbook.memory.plot_energy_descent",
         valid={"E": FLOAT32,
                "pattern_energy": {"negative": "energies are negative numbers",
                                   "zero": "an energy of 0 is valid",
                                   "huge": "any finite energy is a valid reference line"},
                "corrupted": {"zero": "all the runs may start from random states"}})
def _():
    E = torch.tensor([[0.0, -1.0, -2.0], [0.5, -0.5, -1.0]], dtype=f64)
    return m.plot_energy_descent, dict(E=E, pattern_energy=-2.0, corrupted=1, N=2)


def _curve():
    return m.capacity_curve(8, [0.125, 0.25], trials=2, max_sweeps=5)


@example("srnbook.memory.plot_capacity")
def _():
    return m.plot_capacity, dict(curves={8: _curve()}, overlap_of=8)


@example("srnbook.memory.plot_recall_frame",
         valid={"key_title": {"unknown string": "any text is a title",
                              "empty string": "an empty title is valid",
                              "unknown symbol": "any text is a title"}})
def _():
    stored = m.random_patterns(1, 4)[0]
    key = m.corrupt(stored, 0.25)
    W = m.hopfield_weights(stored[None])
    return m.plot_recall_frame, dict(stored=stored, key=key, result=m.asynchronous(W, key, max_sweeps=3),
                                     alpha=0.25, curve=_curve(), key_title="key")
