"""Examples for srnbook.gradients."""

import torch

from srnbook import gradients as m
from srnbook.srn import SRN
from tests.api_contract import example

EXPLODED = "the norms of an exploding Jacobian product overflow to inf; the profile reports them as they are"
ANY_FLOAT = "a matrix taken alone: any floating-point dtype is fine (the result has its dtype)"


def _model(act="tanh"):
    torch.manual_seed(0)
    return SRN(2, 3, 1, activation=act, output="identity")


def _x():
    return torch.randn(2, 4, 2, generator=torch.Generator().manual_seed(1))


def _loss(y):
    return (y ** 2).sum()


def _W():
    return torch.randn(3, 3, generator=torch.Generator().manual_seed(2))


def _generator():
    return torch.Generator().manual_seed(0)


@example("srnbook.gradients.jacobian_products")
def _():
    return m.jacobian_products, dict(model=_model(), x=_x(), h0=torch.zeros(3))


@example("srnbook.gradients.jacobian_norms")
def _():
    return m.jacobian_norms, dict(model=_model(), x=_x(), ord=2, h0=torch.zeros(3))


@example("srnbook.gradients.matrix_norm",
         valid={"A": {"extra dimension": "matrices in the last two dimensions: leading dimensions are a batch",
                      "other precision": ANY_FLOAT,
                      "inf entry": "an overflowed (exploding) Jacobian product has an infinite norm"}})
def _():
    return m.matrix_norm, dict(A=_W(), ord=2)


@example("srnbook.gradients.lag_profile",
         valid={"norms": {"inf entry": EXPLODED, "other precision": ANY_FLOAT}})
def _():
    norms = m.jacobian_norms(_model(), _x())
    return m.lag_profile, dict(norms=norms, reduce="max")


@example("srnbook.gradients.input_memory")
def _():
    x = _x()
    other = x.clone()
    other[:, 0] += 1
    return m.input_memory, dict(model=_model(), x=x, x_other=other, h0=torch.zeros(3))


STEPS = {"extra dimension": "steps may be a tensor of any shape; the result has its shape",
         "missing dimension": "steps may be a single lag (a 0-d tensor)",
         "empty": "no lags: an empty result"}
ZERO_SIGMA = "the data-dependent max of sigma'(a_i) is 0 when every ReLU unit is off: the bound is then 0"


@example("srnbook.gradients.hochreiter_bound",
         valid={"steps": STEPS, "W": {"other precision": ANY_FLOAT},
                "sigma_prime_max": {"zero": ZERO_SIGMA}})
def _():
    return m.hochreiter_bound, dict(W=_W(), activation="tanh", steps=torch.arange(4), sigma_prime_max=0.5)


@example("srnbook.gradients.singular_value_bound",
         valid={"steps": {**STEPS, "huge entry": "a rate below 1 raised to a huge lag underflows to 0.0, "
                                                 "the correctly rounded bound"},
                "W": {"other precision": ANY_FLOAT},
                "sigma_prime_max": {"zero": ZERO_SIGMA}})
def _():
    return m.singular_value_bound, dict(W=_W(), activation="tanh", steps=torch.arange(4), sigma_prime_max=0.5)


@example("srnbook.gradients.enabled_paths",
         valid={"W": {"other precision": ANY_FLOAT},
                "active": {"extra dimension": "active may have leading batch dimensions (..., n, d)",
                           "empty": "n = 0 steps (t = k): the identity, as documented"}})
def _():
    return m.enabled_paths, dict(W=_W(), active=torch.tensor([[True, False, True], [True, True, False]]))


@example("srnbook.gradients.temporal_components")
def _():
    return m.temporal_components, dict(model=_model(), x=_x(), loss_fn=_loss, h0=torch.zeros(3), outputs="last")


@example("srnbook.gradients.clip_grad_norm_",
         valid={"threshold": {"huge": "a threshold above every gradient norm never clips, as documented"}})
def _():
    model = _model()
    _loss(model(_x()).y).backward()
    return m.clip_grad_norm_, dict(parameters=list(model.parameters()), threshold=0.5, error_if_nonfinite=False)


@example("srnbook.gradients.omega")
def _():
    return m.omega, dict(model=_model(), x=_x(), loss_fn=_loss, h0=torch.zeros(3), outputs="last", state="h",
                         immediate=True, reduction="mean")


@example("srnbook.gradients.simplex_weights")
def _():
    return m.simplex_weights, dict(n=4, generator=_generator(), dtype=torch.float64)


def _components():
    return [torch.randn(4, 3, 2, generator=_generator()), torch.randn(4, 3, generator=torch.Generator())]


@example("srnbook.gradients.normalized_direction",
         valid={"weights": {"other precision": "the weights are used in float64 whatever their dtype"}})
def _():
    return m.normalized_direction, dict(components=_components(),
                                        weights=torch.tensor([0.25, 0.25, 0.125, 0.375], dtype=torch.float64),
                                        generator=_generator())


@example("srnbook.gradients.NormalizedComponents")
def _():
    return m.NormalizedComponents, dict(params=list(_model().named_parameters()), lr=0.1, generator=_generator())


@example("srnbook.gradients.NormalizedComponents.step")
def _():
    model = _model()
    opt = m.NormalizedComponents(model.named_parameters(), lr=0.1, generator=_generator())
    return opt.step, dict(components=m.temporal_components(model, _x(), _loss))


@example("srnbook.gradients.spectral_radius", valid={"W": {"other precision": ANY_FLOAT}})
def _():
    return m.spectral_radius, dict(W=_W())


@example("srnbook.gradients.init_small_random")
def _():
    return m.init_small_random, dict(model=_model(), std=0.01, generator=_generator())


@example("srnbook.gradients.init_sparse",
         valid={"nonzero": {"huge": "more nonzeros than the fan-in makes the layer dense, as documented"}})
def _():
    return m.init_sparse, dict(model=_model(), nonzero=2, scale=1.0, spectral_radius=1.1, generator=_generator())


@example("srnbook.gradients.init_esn")
def _():
    return m.init_esn, dict(model=_model(), spectral_radius=0.95, density=0.5, generator=_generator())


@example("srnbook.gradients.init_identity")
def _():
    return m.init_identity, dict(model=_model("relu"), scale=1.0)


@example("srnbook.gradients.init_orthogonal")
def _():
    return m.init_orthogonal, dict(model=_model(), gain=1.0, generator=_generator())


