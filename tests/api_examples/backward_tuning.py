"""Examples for srnbook.backward_tuning."""

import functools

import torch

from srnbook import backward_tuning as m
from tests.api_contract import example, record

record("srnbook.backward_tuning.Weights", "a record of two weight matrices (every function checks them)")
record("srnbook.backward_tuning.Trajectory", "a record of a simulation (every function checks it)")
record("srnbook.backward_tuning.Betas")
record("srnbook.backward_tuning.FitResult")

F64 = torch.float64
SEED_PAIR = {"zero": "0 is a seed", "huge": "every integer in [0, 2**63) is a seed here (2 seed + 1 must be one)"}
LINEAR = "C is linear in it: 1e300 gives a finite float64 value here (one whose result overflows is refused)"


@functools.cache
def _cached_state(kind):
    unit, root, blind, inputs, targets = m.reverse_engineering(kind, 2, 0, T=6)
    traj = m.simulate(unit, blind, inputs)
    return unit, root, blind, inputs, targets, traj, m.backward_errors(unit, blind, traj, targets)


def _copy(value):
    """A copy of nested tuples of tensors (each call gets its own tensors)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return type(value)(*map(_copy, value)) if hasattr(value, "_fields") else tuple(map(_copy, value))
    return value


def _problem(kind="lnl"):
    """(unit, root, blind, inputs, targets): N = 2 units, one input, T = 6 steps."""
    return _copy(_cached_state(kind)[:5])


def _state(kind="lnl"):
    """(unit, blind, inputs, targets, traj, errors) of :func:`_problem`."""
    unit, _, blind, inputs, targets, traj, errors = _copy(_cached_state(kind))
    return unit, blind, inputs, targets, traj, errors


def _vectors(T=3, N=2, M=1):
    g = torch.Generator().manual_seed(0)
    return [torch.rand(*shape, generator=g, dtype=F64) for shape in ((T, N), (T, M), (T, N))]


for _kind, _cls in (("lnl", "LinearNonLinear"), ("iaf", "IntegrateAndFire")):
    def _examples(kind=_kind, cls=_cls):
        @example(f"srnbook.backward_tuning.{cls}.aux_kernels")
        def _():
            x, i, _ = _vectors()
            return m.make_unit(kind, 2).aux_kernels, dict(x_prev=x, i_prev=i)

        @example(f"srnbook.backward_tuning.{cls}.main_kernels")
        def _():
            x, i, a = _vectors()
            return m.make_unit(kind, 2).main_kernels, dict(a=a, x_prev=x, i_prev=i)

        @example(f"srnbook.backward_tuning.{cls}.betas")
        def _():
            unit, blind, _, _, traj, _ = _state(kind)
            return unit.betas, dict(weights=blind, traj=traj)

        @example(f"srnbook.backward_tuning.{cls}.bounds")
        def _():
            return m.make_unit(kind, 2).bounds, {}

        @example(f"srnbook.backward_tuning.{cls}.fixed")
        def _():
            return m.make_unit(kind, 2).fixed, {}
    _examples()


@example("srnbook.backward_tuning.LinearNonLinear")
def _():
    return m.LinearNonLinear, dict(n_units=2, n_inputs=1, fixed_offset=False)


@example("srnbook.backward_tuning.IntegrateAndFire")
def _():
    return m.IntegrateAndFire, dict(n_units=2, n_inputs=1)


@example("srnbook.backward_tuning.GatedUnit")
def _():
    return m.GatedUnit, dict(n_units=2, n_inputs=1)


def _gated():
    unit = m.GatedUnit(2, 1)
    g = torch.Generator().manual_seed(1)
    h, s, x = (torch.randn(k, generator=g, dtype=F64) for k in (2, 2, 1))
    return unit, unit.init_weights(0), h, s, x


@example("srnbook.backward_tuning.GatedUnit.init_weights", valid={
    "scale": {"huge": "N(0, scale^2) draws are finite float64 numbers for any finite scale "
                                    "below 1e306 (|N(0, 1)| < 40)"}})
def _():
    return m.GatedUnit(2, 1).init_weights, dict(seed=1, scale=0.5)


@example("srnbook.backward_tuning.GatedUnit.kernels")
def _():
    unit, _, h, s, x = _gated()
    return unit.kernels, dict(gate="o", h_prev=h, s_prev=s, x_prev=x)


@example("srnbook.backward_tuning.GatedUnit.step")
def _():
    unit, w, h, s, x = _gated()
    return unit.step, dict(weights=w, h_prev=h, s_prev=s, x_prev=x)


@example("srnbook.backward_tuning.GatedUnit.simulate")
def _():
    unit, w, _, _, _ = _gated()
    return unit.simulate, dict(weights=w, inputs=torch.linspace(-1, 1, 4, dtype=F64).view(4, 1))


@example("srnbook.backward_tuning.GatedUnit.derivatives")
def _():
    unit, w, h, s, x = _gated()
    return unit.derivatives, dict(weights=w, values=unit.step(w, h, s, x), h_prev=h, s_prev=s)


@example("srnbook.backward_tuning.make_unit")
def _():
    return m.make_unit, dict(kind="iaf", n_units=2, n_inputs=1)


@example("srnbook.backward_tuning.project")
def _():
    unit, _, blind, _, _ = _problem("iaf")
    return m.project, dict(unit=unit, weights=blind, reference=blind)


@example("srnbook.backward_tuning.init_weights", valid={
    "scale": {"huge": "N(0, scale^2) draws are finite float64 numbers for any finite scale "
                                    "below 1e306 (|N(0, 1)| < 40)"}})
def _():
    return m.init_weights, dict(unit=m.make_unit("lnl", 2), seed=1, scale=0.5)


@example("srnbook.backward_tuning.simulate")
def _():
    unit, _, blind, inputs, _ = _problem("iaf")
    zero = torch.zeros(6, 2, dtype=F64)
    return m.simulate, dict(unit=unit, weights=blind, inputs=inputs, perturbation=(zero, zero))


@example("srnbook.backward_tuning.regularization", valid={
    "ridge": {"zero": "ridge = 0 turns the ridge term off (the default)", "huge": LINEAR},
    "sparse": {"zero": "sparse = 0 turns the sparse term off (the default)", "huge": LINEAR},
    "sparse_eps": {"huge": "epsilon > 0 only damps the reweighting 1 / (epsilon + |W|); any value is valid"}})
def _():
    unit, _, blind, _, _ = _problem("iaf")
    return m.regularization, dict(weights=blind, fixed=unit.fixed(), ridge=0.5, sparse=0.2, sparse_eps=1e-3,
                                  reference=blind)


@example("srnbook.backward_tuning.criterion", valid={
    "kappa": {"huge": LINEAR},
    "ridge": {"zero": "ridge = 0 turns the ridge term off (the default)", "huge": LINEAR},
    "sparse": {"zero": "sparse = 0 turns the sparse term off (the default)", "huge": LINEAR}})
def _():
    unit, _, blind, inputs, targets = _problem("iaf")
    return m.criterion, dict(unit=unit, weights=blind, inputs=inputs, targets=targets, kappa=0.2,
                             traj=m.simulate(unit, blind, inputs), ridge=0.1, sparse=0.1)


@example("srnbook.backward_tuning.betas")
def _():
    unit, blind, _, _, traj, _ = _state()
    return m.betas, dict(unit=unit, weights=blind, traj=traj)


@example("srnbook.backward_tuning.backward_errors", valid={
    "kappa": {"huge": "the multipliers are linear in kappa: 1e300 gives finite float64 values here (an "
                      "overflowing kappa is refused)"},
    "tiny": {"zero": "tiny = 0 turns the guard off (the default)"},
    "huge": {"huge": "a saturation bound above every value leaves them unchanged"}})
def _():
    unit, blind, _, targets, traj, _ = _state("iaf")
    return m.backward_errors, dict(unit=unit, weights=blind, traj=traj, targets=targets, kappa=0.2, tiny=1e-12,
                                   huge=1e6)


_REG = {"ridge": {"zero": "ridge = 0 turns the ridge term off (the default)",
                  "huge": "the step is linear in it: 1e300 gives finite float64 values here"},
        "sparse": {"zero": "sparse = 0 turns the sparse term off (the default)",
                   "huge": "the step is linear in it: 1e300 gives finite float64 values here"},
        "sparse_eps": {"huge": "epsilon > 0 only damps the reweighting 1 / (epsilon + |W|); any value is valid"}}


@example("srnbook.backward_tuning.gradient", valid=_REG)
def _():
    unit, blind, inputs, _, traj, errors = _state("iaf")
    return m.gradient, dict(unit=unit, weights=blind, traj=traj, inputs=inputs, errors=errors, ridge=0.1,
                            sparse=0.1, sparse_eps=1e-3)


@example("srnbook.backward_tuning.normal_equation_step", valid={
    **_REG, "kappa": {"huge": "the normal equations scale with kappa: 1e300 gives finite float64 values here"}})
def _():
    unit, blind, inputs, _, traj, errors = _state("iaf")
    return m.normal_equation_step, dict(unit=unit, weights=blind, traj=traj, inputs=inputs, errors=errors,
                                        kappa=0.2, ridge=0.1, sparse=0.1, sparse_eps=1e-3, rcond=1e-6)


_BUDGET = "a budget of iterations: a huge one is valid (the run also stops when it converges or stalls)"


@example("srnbook.backward_tuning.fit",
         valid={"max_iterations": {"huge": _BUDGET},
                "tolerance": {"huge": "a tolerance above the initial criterion stops at once, converged"},
                "kappa": {"huge": LINEAR},
                "ridge": {"zero": "ridge = 0 turns the ridge term off (the default)", "huge": LINEAR},
                "sparse": {"zero": "sparse = 0 turns the sparse term off (the default)", "huge": LINEAR},
                "expansions": {"zero": "no extrapolation beyond the new weights"},
                "learning_rate": {"huge": "the first step of the gradient fallback, halved until the criterion "
                                          "decreases: any finite positive start is valid"},
                "tiny": {"zero": "tiny = 0 turns the guard off (the default)"},
                "huge": {"huge": "a saturation bound above every value leaves them unchanged"},
                "relaxation": {"huge": "divides the normal-equation step: valid, the line search and the "
                                       "gradient fallback still decrease the criterion"}},
         long={"max_iterations": _BUDGET})
def _():
    unit, _, blind, inputs, targets = _problem("iaf")
    return m.fit, dict(unit=unit, weights=blind, inputs=inputs, targets=targets, max_iterations=1, tolerance=1e-9,
                       kappa=0.2, ridge=1e-3, sparse=1e-3, halvings=1, expansions=1, learning_rate=1.0,
                       rcond=1e-6, tiny=1e-15, huge=1e6, callback=lambda k, w, traj: None, relaxation=1.0)


@example("srnbook.backward_tuning.fit_bptt",
         valid={"max_iterations": {"huge": _BUDGET},
                "tolerance": {"huge": "a tolerance above the initial criterion stops at once, converged"},
                "kappa": {"huge": LINEAR},
                "lr": {"huge": "Adam's step: ignored by method='lbfgs' (documented), and any finite positive "
                               "step is valid for Adam (a run whose criterion overflows ends 'failed')"},
                "max_evaluations": {"huge": "a cap above what max_iterations uses"}},
         long={"max_iterations": _BUDGET})
def _():
    unit, _, blind, inputs, targets = _problem("lnl")
    return m.fit_bptt, dict(unit=unit, weights=blind, inputs=inputs, targets=targets, max_iterations=1,
                            tolerance=1e-9, kappa=0.2, method="lbfgs", lr=0.01, max_evaluations=10)


@example("srnbook.backward_tuning.reverse_engineering", valid={"seed": SEED_PAIR})
def _():
    return m.reverse_engineering, dict(kind="lnl", n_units=2, seed=1, T=5)


@example("srnbook.backward_tuning.decay_fit", valid={
    "history": {"negative inside": "the fit c(k) = beta + a exp(-k / tau) is defined for any real values"}})
def _():
    return m.decay_fit, dict(history=[1.0, 0.5, 0.3, 0.2, 0.15])
