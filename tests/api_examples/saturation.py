"""Examples for srnbook.saturation."""

import importlib

import torch

from srnbook import SRN
from tests.api_contract import example

m = importlib.import_module("srnbook.saturation")  # not `from srnbook import saturation`: that is a function

_SHAPES = "h may be (d,), (N, d) or (B, T, d): the measure runs over all its entries"
_ANY_SHAPE = {"extra dimension": _SHAPES, "missing dimension": _SHAPES,
              "other precision": "any floating dtype: the measure compares values with the bounds of sigma, "
                                 "exact in every precision"}


def _srn():
    torch.manual_seed(0)
    return SRN(2, 3, 1)


def _h():
    return torch.tensor([[0.9, 0.2, 1.0], [0.05, 0.7, 0.0]])


@example("srnbook.saturation.scaled")
def _():
    return m.scaled, dict(model=_srn(), J=2.0)


@example("srnbook.saturation.saturation_level", valid={"h": _ANY_SHAPE})
def _():
    return m.saturation_level, dict(h=_h(), activation="sigmoid")


@example("srnbook.saturation.saturation_gap", valid={"h": _ANY_SHAPE})
def _():
    return m.saturation_gap, dict(h=_h(), activation="sigmoid")


@example("srnbook.saturation.saturated_fraction", valid={"h": _ANY_SHAPE})
def _():
    return m.saturated_fraction, dict(h=_h(), activation="sigmoid")


@example("srnbook.saturation.all_words")
def _():
    return m.all_words, dict(n_symbols=2, length=3, dtype=torch.float32)


@example("srnbook.saturation.count_distinct_states")
def _():
    return m.count_distinct_states, dict(model=_srn(), words=m.all_words(2, 2))
