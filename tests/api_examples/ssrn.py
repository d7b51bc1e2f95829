"""Examples for srnbook.ssrn."""

import torch

from srnbook import ssrn as m
from srnbook.dfa import even_as
from tests.api_contract import example, record

for _name in ("NoisePoint", "SweepPoint", "Stability"):
    record(f"srnbook.ssrn.{_name}")

BUDGET = "a larger budget per batch: the words here fit in one batch anyway"
WORDS = ["ab", "", "ba"]  # with the empty word, valid everywhere
_BATCH = {"extra dimension": "h has shape (..., d): any number of batch dimensions",
          "empty": "an empty batch of hidden vectors has an empty answer"}


def _ssrn(activation="sigmoid"):
    return m.dfa_to_ssrn(even_as(), activation, J=100.0)


@example("srnbook.ssrn.saturating_scale")
def _():
    return m.saturating_scale, dict(activation="tanh", dtype=torch.float32)


@example("srnbook.ssrn.tanh_basis")
def _():
    return m.tanh_basis, dict(n=3, dtype=torch.float64)


@example("srnbook.ssrn.tanh_basis_inverse")
def _():
    return m.tanh_basis_inverse, dict(n=3, dtype=torch.float64)


@example("srnbook.ssrn.dfa_to_ssrn")
def _():
    return m.dfa_to_ssrn, dict(dfa=even_as(), activation="sigmoid", J=100.0, dtype=torch.float32)


@example("srnbook.ssrn.SSRN")
def _():
    s = _ssrn()
    return m.SSRN, dict(srn=s.srn, dfa=s.dfa, J=s.J, activation=s.activation, h0=s.h0)


@example("srnbook.ssrn.SSRN.codes")
def _():
    return _ssrn().codes, dict(words=WORDS)


@example("srnbook.ssrn.SSRN.encode")
def _():
    return _ssrn().encode, dict(words=WORDS)


@example("srnbook.ssrn.SSRN.run",
         valid={"max_elements": {"huge": BUDGET}})
def _():
    return _ssrn().run, dict(words=WORDS, max_elements=64)


@example("srnbook.ssrn.SSRN.outputs")
def _():
    return _ssrn().outputs, dict(words=WORDS)


@example("srnbook.ssrn.SSRN.accepts")
def _():
    return _ssrn().accepts, dict(words=WORDS)


@example("srnbook.ssrn.SSRN.trace",
         valid={"word": {"empty string": "the empty word is a word: its trace is h0 alone"}})
def _():
    return _ssrn().trace, dict(word="ab")


@example("srnbook.ssrn.SSRN.readout", valid={"h": _BATCH})
def _():
    s = _ssrn()
    return s.readout, dict(h=s.trace("ab"))


@example("srnbook.ssrn.SSRN.decode", valid={"h": _BATCH})
def _():
    s = _ssrn()
    return s.decode, dict(h=s.trace("ab"))


@example("srnbook.ssrn.length_buckets",
         valid={"lengths": {"empty": "no words: no batches"},
                "width": {"huge": "the cost model of a network of 10**12 units: one word per batch"},
                "max_elements": {"huge": BUDGET},
                "groups": {"huge": "at most one group per word is used"}})
def _():
    return m.length_buckets, dict(lengths=[3, 2, 0, 5], width=4, max_elements=64, groups=2)


@example("srnbook.ssrn.ssrn_to_dfa",
         valid={"max_states": {"huge": "an upper limit: the network closes with 2 states, far below it"},
                "alphabet": {"unknown symbol": "an alphabet's symbols may be any distinct non-empty strings, "
                                               "multi-character ones too"}})
def _():
    s = _ssrn()
    return m.ssrn_to_dfa, dict(model=s, alphabet=("a", "b"), h0=s.h0, max_states=100, threshold=0.5)


@example("srnbook.ssrn.saturation")
def _():
    return m.saturation, dict(model=_ssrn(), words=WORDS, h0=None)


@example("srnbook.ssrn.stability_margin")
def _():
    return m.stability_margin, dict(model=_ssrn(), beta=0.75, words=None)


@example("srnbook.ssrn.noise_robustness")
def _():
    return m.noise_robustness, dict(dfa=even_as(), activation="sigmoid", J=100.0, sigmas=(0.0, 0.1),
                                    words=WORDS, seed=1, dtype=torch.float32)


@example("srnbook.ssrn.random_words")
def _():
    return m.random_words, dict(dfa=even_as(), n=3, max_length=4, seed=1)


@example("srnbook.ssrn.scale_sweep")
def _():
    return m.scale_sweep, dict(dfa=even_as(), scales=[2.0, 100.0], words=WORDS, activations=("sigmoid",),
                               dtype=torch.float32)


@example("srnbook.ssrn.check_round_trip")
def _():
    return m.check_round_trip, dict(dfa=even_as(), activation="sigmoid", n_words=3, max_length=4, seed=1,
                                    dtype=torch.float32)
