"""Examples for srnbook.optim.kfac (tiny float64 SRNs: 2 inputs, 3 hidden units, 2 outputs)."""

import torch

from srnbook import SRN
from srnbook.dfa import even_as
from srnbook.optim import kfac as m
from tests.api_contract import example, record

F64 = torch.float64
UNDAMPED = {"zero": "documented: damping 0 is the undamped model (refused where the factors are singular)"}

record("srnbook.optim.kfac.SaturationPoint")
record("srnbook.optim.kfac.LayerStatistics",
       "a record of statistics, built by kfac_statistics; kfac_block and precondition check its fields, "
       "naming stats")


def model(output="identity"):
    torch.manual_seed(0)
    return SRN(2, 3, 2, activation="tanh", output=output, dtype=F64)


def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(3, 4, 2, generator=g, dtype=F64), torch.randn(3, 4, 2, generator=g, dtype=F64)


def problem(**extra):
    x, y = batch()
    kwargs = dict(model=model(), x=x, y=y, likelihood="gaussian", h0=torch.zeros(3, dtype=F64))
    kwargs.update(extra)
    return kwargs


def stats(layer="W"):
    x, _ = batch()
    return m.kfac_statistics(model(), x, exact=True)[layer]


def gradients(net):
    x, y = batch()
    return dict(zip([n for n, _ in net.named_parameters()],
                    torch.autograd.grad(m.nll_loss(net, x, y), list(net.parameters()))))


@example("srnbook.optim.kfac.nll_loss")
def _():
    return m.nll_loss, problem()


@example("srnbook.optim.kfac.kfac_statistics")
def _():
    x, _ = batch()
    return m.kfac_statistics, dict(model=model(), x=x, likelihood="gaussian", exact=False, n_samples=2, seed=3,
                                   outputs="all", h0=torch.zeros(3, dtype=F64))


@example("srnbook.optim.kfac.step_moments")
def _():
    kwargs = problem()
    del kwargs["y"]
    return m.step_moments, kwargs


@example("srnbook.optim.kfac.homogeneity_gaps")
def _():
    kwargs = problem()
    del kwargs["y"]
    return m.homogeneity_gaps, kwargs


@example("srnbook.optim.kfac.block_indices")
def _():
    return m.block_indices, dict(model=model(), layer="U")


@example("srnbook.optim.kfac.layer_gradient")
def _():
    net = model()
    return m.layer_gradient, dict(model=net, layer="U", grads=gradients(net))


@example("srnbook.optim.kfac.damped_inverse", valid={
    "damping": UNDAMPED, "C": {"other precision": "any floating dtype: the inverse is computed in the dtype of C"}})
def _():
    return m.damped_inverse, dict(C=torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64), damping=0.1)


@example("srnbook.optim.kfac.pi_damping", valid={
    "damping": {"zero": "no damping: (0, 0)"},
    "T": {"huge": "the number of time steps divides the damping: any positive count"}})
def _():
    return m.pi_damping, dict(A=torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64),
                              G=torch.tensor([[0.3, 0.0], [0.0, 0.1]], dtype=F64), damping=0.1, T=4)


@example("srnbook.optim.kfac.kfac_block", valid={"damping": {
    "zero": "documented: damping 0 is the undamped model (floored eigenvalues or pseudo-inverses where singular)"}})
def _():
    return m.kfac_block, dict(stats=stats(), temporal="option1", damping=0.1)


@example("srnbook.optim.kfac.precondition", valid={"damping": UNDAMPED})
def _():
    s = stats()
    return m.precondition, dict(stats=s, grad=torch.ones(3, 3, dtype=F64), damping=0.1, temporal="option2")


@example("srnbook.optim.kfac.exact_fisher")
def _():
    kwargs = problem()
    del kwargs["y"]
    return m.exact_fisher, kwargs


@example("srnbook.optim.kfac.natural_gradient", valid={"damping": UNDAMPED})
def _():
    return m.natural_gradient, problem(damping=1e-3)


@example("srnbook.optim.kfac.step_vector")
def _():
    net = model()
    return m.step_vector, dict(model=net, step=gradients(net))


@example("srnbook.optim.kfac.cosine")
def _():
    return m.cosine, dict(u=torch.tensor([1.0, 2.0, -1.0], dtype=F64), v=torch.tensor([0.5, 1.0, 1.0], dtype=F64),
                          metric=torch.tensor([[2.0, 0.1, 0.0], [0.1, 1.0, 0.0], [0.0, 0.0, 3.0]], dtype=F64))


@example("srnbook.optim.kfac.kfac_direction", valid={"damping": UNDAMPED})
def _():
    return m.kfac_direction, problem(damping=1e-2, temporal="option1")


@example("srnbook.optim.kfac.block_natural_gradient", valid={"damping": UNDAMPED})
def _():
    return m.block_natural_gradient, problem(damping=1e-2)


@example("srnbook.optim.kfac.approximation_errors")
def _():
    kwargs = problem()
    del kwargs["y"]
    return m.approximation_errors, kwargs


@example("srnbook.optim.kfac.saturation_sweep")
def _():
    words = torch.tensor([[0, 1, 0], [1, 1, 0]])
    x = torch.nn.functional.one_hot(words, 2).to(F64)
    y = (words == 0).to(F64).unsqueeze(2)
    return m.saturation_sweep, dict(dfa=even_as(), scales=[2.0], x=x, y=y, damping=1e-3, temporal="option2")


@example("srnbook.optim.kfac.KFAC", valid={
    "decay": {"zero": "no running average: the statistics of the last batch"},
    "inverse_every": {"huge": "an interval: the inverses of the first step are kept"}})
def _():
    return m.KFAC, dict(model=model(), lr=0.1, damping=1e-2, decay=0.9, inverse_every=2, temporal="option1",
                        likelihood="gaussian", n_samples=2, seed=3, outputs="last")


def optimizer():
    net = model()
    x, y = batch()
    m.nll_loss(net, x, y).backward()
    return m.KFAC(net, n_samples=1, seed=0), x, y


@example("srnbook.optim.kfac.KFAC.step")
def _():
    opt, x, y = optimizer()
    return opt.step, dict(closure=lambda: m.nll_loss(opt.model, x, y), x=x)


@example("srnbook.optim.kfac.KFAC.update_statistics")
def _():
    opt, x, _ = optimizer()
    return opt.update_statistics, dict(x=x)
