"""Examples for srnbook.optim.hessian_free (tiny float64 SRNs: 2 inputs, 3 hidden units, 2 outputs)."""

import torch

from srnbook import SRN
from srnbook.dfa import even_as
from srnbook.optim import hessian_free as m
from srnbook.sampling import balanced_dataset
from srnbook.srn import flatten_parameters
from tests.api_contract import example, record

F64 = torch.float64
NO_STRUCTURAL = {"zero": "no structural damping (mu = 0), the default"}
THETA = {"theta": {"none": "documented: theta=None uses the model's current parameters"}}
CG_BUDGET = "an upper limit on the CG iterations: CG stops by its residual or progress rule first"

for name in ("CGResult", "DampedStep", "SSRNProblem", "SaturationPoint"):
    record(f"srnbook.optim.hessian_free.{name}")
record("srnbook.optim.hessian_free.Minibatch",
       "a plain container of a minibatch: HessianFree.step checks its fields against the model, naming "
       "x, target and lengths")


def model(output="identity"):
    torch.manual_seed(0)
    return SRN(2, 3, 2, activation="tanh", output=output, grad="autograd", dtype=F64)


def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(3, 4, 2, generator=g, dtype=F64), torch.randn(3, 2, generator=g, dtype=F64)


def problem(**extra):
    net = model()
    x, y = batch()
    kwargs = dict(model=net, theta=flatten_parameters(net).detach(), x=x, target=y, loss="squared",
                  lengths=torch.tensor([4, 2, 3]), h0=torch.zeros(3, 3, dtype=F64))
    kwargs.update(extra)
    return kwargs


def vector(seed=2):
    return torch.randn(26, generator=torch.Generator().manual_seed(seed), dtype=F64)


def spd():
    return torch.tensor([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]], dtype=F64)


@example("srnbook.optim.hessian_free.network_function")
def _():
    kwargs = problem()
    del kwargs["theta"], kwargs["loss"]
    return m.network_function, kwargs


@example("srnbook.optim.hessian_free.objective", valid=THETA)
def _():
    return m.objective, problem()


@example("srnbook.optim.hessian_free.loss_from_z")
def _():
    g = torch.Generator().manual_seed(3)
    return m.loss_from_z, dict(z=torch.randn(3, 2, 2, generator=g, dtype=F64),
                               target=torch.rand(3, 2, 2, generator=g, dtype=F64),
                               weight=torch.ones(3, 2, dtype=F64), loss="binary_cross_entropy")


@example("srnbook.optim.hessian_free.loss_hessian_vector_product")
def _():
    g = torch.Generator().manual_seed(3)
    return m.loss_hessian_vector_product, dict(
        z=torch.randn(3, 2, 2, generator=g, dtype=F64), target=torch.rand(3, 2, 2, generator=g, dtype=F64),
        weight=torch.ones(3, 2, dtype=F64), loss="binary_cross_entropy",
        u=torch.randn(3, 2, 2, generator=g, dtype=F64))


@example("srnbook.optim.hessian_free.gauss_newton_operator", valid={**THETA, "structural": NO_STRUCTURAL})
def _():
    return m.gauss_newton_operator, problem(structural=0.5)


@example("srnbook.optim.hessian_free.gnvp", valid={**THETA, "structural": NO_STRUCTURAL})
def _():
    return m.gnvp, problem(v=vector(), structural=0.5)


@example("srnbook.optim.hessian_free.grad_and_value", valid={"theta": {
    "other precision": "f decides which dtypes it takes: this f, a sum of squares, takes any floating dtype"}})
def _():
    return m.grad_and_value, dict(f=lambda t: (t ** 2).sum(), theta=torch.tensor([1.0, -2.0, 0.5], dtype=F64))


@example("srnbook.optim.hessian_free.hessian_vector_product", valid=THETA)
def _():
    return m.hessian_vector_product, problem(v=vector())


@example("srnbook.optim.hessian_free.finite_difference_hvp", valid=THETA)
def _():
    return m.finite_difference_hvp, problem(v=vector(), eps=1e-6, central=True)


@example("srnbook.optim.hessian_free.finite_difference_errors", valid=THETA)
def _():
    return m.finite_difference_errors, problem(v=vector(), eps_values=[1e-4, 1e-6], central=False)


@example("srnbook.optim.hessian_free.storage_iterations", valid={
    "max_iters": {"huge": "an upper limit: the list of powers of 1.3 below 10**12 has 104 entries"},
    "factor": {"huge": "a factor this large stores iteration 1 only: fewer iterates to backtrack over"}})
def _():
    return m.storage_iterations, dict(max_iters=50, factor=1.3)


@example("srnbook.optim.hessian_free.conjugate_gradient", valid={
    "max_iters": {"huge": CG_BUDGET},
    "min_window": {"huge": "a window longer than the run turns the progress rule off: CG stops by its residual"},
    "window_fraction": {"zero": "k = min_window at every iteration: a fixed window"},
    "store_factor": {"huge": "a factor this large stores iteration 1 and the last only"},
    "rtol": {"zero": "rtol = 0 turns the residual test off (the book's CG figures use it)"}})
def _():
    A = spd()
    return m.conjugate_gradient, dict(
        Avp=lambda v: A @ v, b=torch.tensor([1.0, 2.0, 3.0], dtype=F64),
        x0=torch.tensor([0.1, 0.0, 0.0], dtype=F64), max_iters=20, epsilon=5e-4, min_window=2,
        window_fraction=0.1, preconditioner=torch.tensor([1.0, 0.5, 2.0], dtype=F64), store_factor=1.3,
        rtol=1e-12, callback=lambda i, x: None)


@example("srnbook.optim.hessian_free.martens_preconditioner",
         valid={**THETA, "exponent": {"zero": "exponent 0 gives M = I: CG without preconditioning"}})
def _():
    kwargs = problem(damping=0.5, exponent=0.75)
    del kwargs["h0"]
    return m.martens_preconditioner, kwargs


@example("srnbook.optim.hessian_free.reduction_ratio", valid={
    "f_new": {"nan": "a NaN loss at the trial point (divergence): rho is NaN, a failed step for levenberg_marquardt",
              "inf": "a loss that overflowed at the trial point: rho is -inf, a failed step",
              "negative": "a loss value: reduction_ratio is the ratio for any real objective",
              "zero": "a loss value: a perfect fit after the step",
              "huge": "a loss value: a large increase gives a large negative rho"},
    "f_old": {"negative": "a loss value: reduction_ratio is the ratio for any real objective",
              "zero": "a loss value: a perfect fit before the step",
              "huge": "a loss value"},
    "model_change": {"negative": "a predicted decrease, the usual case",
                     "zero": "no predicted decrease: rho = -inf (documented), so the damping grows",
                     "huge": "a predicted increase: rho = -inf (documented), so the damping grows"}})
def _():
    return m.reduction_ratio, dict(f_new=0.8, f_old=1.0, model_change=-0.3)


@example("srnbook.optim.hessian_free.levenberg_marquardt", valid={
    "rho": {"nan": "documented: a NaN rho (the loss became NaN) counts as rho < 1/4",
            "inf": "a ratio: +inf (an overflowed ratio) is a very good step",
            "-inf": "reduction_ratio returns -inf when no decrease is predicted: the damping grows",
            "negative": "the loss grew: the damping grows",
            "zero": "no change of the loss: the damping grows",
            "huge": "a ratio far above 3/4: the damping shrinks"},
    "low": {"zero": "low = 0: the damping grows only when the loss increases"}})
def _():
    return m.levenberg_marquardt, dict(damping=1.0, rho=0.5, low=0.25, high=0.75, increase=1.5, decrease=0.5)


@example("srnbook.optim.hessian_free.HessianFree", valid={
    "structural_damping": NO_STRUCTURAL,
    "cg_decay": {"zero": "no warm start: CG starts from 0"},
    "cg_max_iters": {"huge": CG_BUDGET},
    "curvature_size": {"huge": "at most this many sequences (documented): the whole minibatch if it is smaller"},
    "max_line_search": {"huge": "an upper limit: the line search stops at the first sufficient decrease"}})
def _():
    return m.HessianFree, dict(model=model(), loss="squared", lr=0.9, damping=1.0, structural_damping=0.3,
                               cg_max_iters=5, cg_decay=0.95, cg_epsilon=5e-4, curvature_size=2,
                               max_line_search=10, precondition=False)


@example("srnbook.optim.hessian_free.HessianFree.step")
def _():
    net = model()
    x, y = batch()
    opt = m.HessianFree(net, damping=1.0, cg_max_iters=5, curvature_size=2)
    return opt.step, dict(closure=lambda: m.Minibatch(x, y, torch.tensor([4, 2, 3])))


@example("srnbook.optim.hessian_free.damped_step", valid={
    **THETA,
    "structural_damping": NO_STRUCTURAL,
    "max_iters": {"huge": CG_BUDGET},
    "rtol": {"zero": "rtol = 0 turns the residual test off: CG runs to max_iters"}})
def _():
    return m.damped_step, problem(damping=0.1, structural_damping=0.5, rtol=1e-10, epsilon=1e-12, max_iters=20,
                                  preconditioner=torch.full((26,), 0.5, dtype=F64))


@example("srnbook.optim.hessian_free.hidden_state_change", valid=THETA)
def _():
    kwargs = problem(delta=0.1 * vector())
    del kwargs["loss"]
    return m.hidden_state_change, kwargs


@example("srnbook.optim.hessian_free.matrix_from_products")
def _():
    A = spd()
    return m.matrix_from_products, dict(Avp=lambda v: A @ v, n=3, dtype=F64)


@example("srnbook.optim.hessian_free.largest_eigenvalue",
         long={"iterations": "the number of power iterations: a budget that runs long"})
def _():
    A = spd()
    return m.largest_eigenvalue, dict(Avp=lambda v: A @ v, n=3, iterations=10, seed=3, dtype=F64)


@example("srnbook.optim.hessian_free.random_spd")
def _():
    return m.random_spd, dict(eigenvalues=[1.0, 2.0, 5.0], seed=3)


@example("srnbook.optim.hessian_free.steepest_descent_path")
def _():
    return m.steepest_descent_path, dict(A=spd(), b=torch.tensor([1.0, 2.0, 3.0], dtype=F64),
                                         x0=torch.zeros(3, dtype=F64), iterations=5)


def words():
    return balanced_dataset(even_as(), 4, lam=3.0, seed=0)


@example("srnbook.optim.hessian_free.ssrn_problem")
def _():
    return m.ssrn_problem, dict(dfa=even_as(), J=2.0, words=words(), dtype=F64)


@example("srnbook.optim.hessian_free.saturation_sweep", valid={
    "cg_max_iters": {"huge": CG_BUDGET},
    "rtol": {"zero": "rtol = 0 turns the residual test off: CG runs to cg_max_iters"}},
         long={"power_iterations": "the number of power iterations: a budget that runs long"})
def _():
    return m.saturation_sweep, dict(dfa=even_as(), scales=[2.0], words=words(), damping=1e-3,
                                    relative_damping=1e-2, power_iterations=3, cg_max_iters=5, rtol=1e-10,
                                    dtype=F64)
