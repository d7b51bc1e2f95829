"""Examples for srnbook.activations."""

import torch

from srnbook import activations as m
from tests.api_contract import example


def _tanh_derivative(a, h):
    return 1 - h * h


@example("srnbook.activations.Activation")
def _():
    return m.Activation, dict(name="custom", fn=torch.tanh, derivative=_tanh_derivative)


@example("srnbook.activations.get_activation",
         valid={"name": {"unknown string": "name only labels the argument in error messages: any text"}})
def _():
    return m.get_activation, dict(activation="tanh", derivative=None, name="activation")


_UNREACHED = "documented: no positive x gives tanh(x) = {}, so the answer is inf"


@example("srnbook.activations.saturation_threshold",
         valid={"limit": {"negative": _UNREACHED.format(-1), "zero": _UNREACHED.format(0)}})
def _():
    return m.saturation_threshold, dict(fn=torch.tanh, limit=1.0, dtype=torch.float32)
