"""Examples for srnbook.srn."""

import torch
from torch import nn

from srnbook import srn as m
from srnbook.activations import get_activation
from tests.api_contract import example, record

F64 = torch.float64
NAN_PROPAGATES = ("NaN and infinities in p, W and h0 come from diverged parameters and propagate, as in "
                  "every torch operation, so that training reports the divergence (SRN.forward checks x)")
NAN_GRADIENT = "a NaN or infinite loss gives NaN gradients; they propagate, as in every torch backward"
NONE_GRADIENT = "torch passes None for an output the loss does not use (set_materialize_grads(False))"

record("srnbook.srn.SRNOutput")


def _model(**kw):
    torch.manual_seed(0)
    return m.SRN(2, 3, 1, activation="tanh", dtype=F64, **kw)


def _recurrence():
    g = torch.Generator().manual_seed(0)
    p = torch.randn(4, 2, 3, dtype=F64, generator=g)
    W = torch.randn(3, 3, dtype=F64, generator=g).requires_grad_(True)
    return p, W, torch.zeros(2, 3, dtype=F64), get_activation("tanh")


def _context():
    """The autograd node of one call of BPTT.apply: the ``ctx`` torch gives backward and jvp."""
    p, W, h0, act = _recurrence()
    a, h = m.BPTT.apply(p, W, h0, act)
    return h.grad_fn, a, h


@example("srnbook.srn.SRN")
def _():
    return m.SRN, dict(input_size=2, hidden_size=3, output_size=1, activation="tanh",
                       activation_derivative=None, output="sigmoid", grad="bptt", dtype=F64)


@example("srnbook.srn.SRN.forward")
def _():
    return _model().forward, dict(x=torch.randn(2, 4, 2, dtype=F64), lengths=torch.tensor([4, 2]),
                                  h0=torch.zeros(3, dtype=F64))


@example("srnbook.srn.SRN.reset_parameters")
def _():
    return _model().reset_parameters, dict()


@example("srnbook.srn.SRN.extra_repr")
def _():
    return _model().extra_repr, dict()


@example("srnbook.srn.SRN.to_torch")
def _():
    return _model().to_torch, dict()


@example("srnbook.srn.SRN.from_torch")
def _():
    rnn = nn.RNN(2, 3, batch_first=True)
    return m.SRN.from_torch, dict(rnn=rnn, readout=nn.Linear(3, 1), output_size=None, output="identity",
                                  grad="bptt")


def _apply(p, W, h0, activation):
    return m.BPTT.apply(p, W, h0, activation)


@example("srnbook.srn.BPTT", valid={
    "p": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES},
    "W": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES},
    "h0": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES}})
def _():
    p, W, h0, act = _recurrence()
    return _apply, dict(p=p, W=W, h0=h0, activation=act)


@example("srnbook.srn.BPTT.forward", valid={
    "p": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES},
    "W": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES},
    "h0": {"nan entry": NAN_PROPAGATES, "inf entry": NAN_PROPAGATES}})
def _():
    p, W, h0, act = _recurrence()
    return m.BPTT.forward, dict(p=p, W=W.detach(), h0=h0, activation=act)


@example("srnbook.srn.BPTT.setup_context",
         fixed={"ctx": "the context torch creates for each call; there is no other value to give"})
def _():
    p, W, h0, act = _recurrence()
    output = m.BPTT.forward(p, W.detach(), h0, act)
    return m.BPTT.setup_context, dict(ctx=torch.autograd.function.FunctionCtx(), inputs=(p, W, h0, act),
                                      output=output)


@example("srnbook.srn.BPTT.backward",
         fixed={"ctx": "the context torch creates for each call; there is no other value to give"},
         valid={"grad_a": {"none": NONE_GRADIENT, "nan entry": NAN_GRADIENT, "inf entry": NAN_GRADIENT},
                "grad_h": {"none": NONE_GRADIENT, "nan entry": NAN_GRADIENT, "inf entry": NAN_GRADIENT}})
def _():
    ctx, a, h = _context()
    return m.BPTT.backward, dict(ctx=ctx, grad_a=torch.ones_like(a), grad_h=torch.ones_like(h))


@example("srnbook.srn.BPTT.jvp",
         fixed={"ctx": "the context torch creates for each call; there is no other value to give"},
         valid={name: {"none": "torch passes None for an input without a tangent",
                       "nan entry": "NaN tangents propagate, as in every torch forward-mode rule",
                       "inf entry": "NaN tangents propagate, as in every torch forward-mode rule"}
                for name in ("dp", "dW", "dh0")})
def _():
    ctx, a, h = _context()
    W, h0 = ctx.saved_tensors[:2]
    return m.BPTT.jvp, dict(ctx=ctx, dp=torch.ones_like(a), dW=torch.ones_like(W), dh0=torch.ones_like(h0),
                            d_activation=None)


NONFINITE_THETA = ("theta is a parameter vector: non-finite entries are kept, as torch's copy_ does, so that "
                   "a diverged optimizer (HessianFree's line search) shows them; the loss reports them")


@example("srnbook.srn.flatten_parameters")
def _():
    return m.flatten_parameters, dict(model=_model())


@example("srnbook.srn.unflatten_parameters",
         valid={"theta": {"nan entry": NONFINITE_THETA, "inf entry": NONFINITE_THETA}})
def _():
    model = _model()
    return m.unflatten_parameters, dict(model=model, theta=m.flatten_parameters(model).detach())


@example("srnbook.srn.load_flat_parameters",
         valid={"theta": {"nan entry": NONFINITE_THETA, "inf entry": NONFINITE_THETA}})
def _():
    model = _model()
    return m.load_flat_parameters, dict(model=model, theta=m.flatten_parameters(model).detach() + 0.1)
