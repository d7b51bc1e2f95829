"""Examples for srnbook.lstar."""

import importlib

from srnbook.dfa import tomita
from srnbook.ssrn import dfa_to_ssrn
from tests.api_contract import example, record

m = importlib.import_module("srnbook.lstar")

ANY_SYMBOL = "the alphabet names the symbols: any distinct strings"
BUDGET = "a budget: L* stops as soon as the hypothesis is accepted (here after a few states)"

record("srnbook.lstar.LStarResult")


def _teacher():
    ssrn = dfa_to_ssrn(tomita(2), "tanh")
    member = m.network_membership(ssrn)
    return member, m.sampling_equivalence(member, 2, epsilon=0.05, max_length=6)


@example("srnbook.lstar.lstar", valid={"max_states": {"huge": BUDGET}, "max_rounds": {"huge": BUDGET},
                                      "alphabet": {"unknown symbol": ANY_SYMBOL}})
def _():
    member, equivalence = _teacher()
    return m.lstar, dict(member=member, alphabet=("0", "1"), equivalence=equivalence, max_states=20,
                         max_rounds=20)


@example("srnbook.lstar.network_membership",
         valid={"alphabet": {"unknown symbol": ANY_SYMBOL},
                "threshold": {"zero": "0 is the middle of tanh's range, the default threshold of a tanh SSRN"}})
def _():
    ssrn = dfa_to_ssrn(tomita(2), "tanh")
    return m.network_membership, dict(model=ssrn, alphabet=("0", "1"), h0=ssrn.h0.clone(), threshold=0.0)


@example("srnbook.lstar.sampling_equivalence",
         valid={"seed": {"huge": "any seed below 2**64 is valid"},
                "n_symbols": {"huge": "words are drawn over any number of symbols"},
                "tolerance": {"zero": "tolerance 0 is Angluin's exact test, the default"},
                "max_length": {"zero": "words of length 0: the empty word alone, a valid (weak) test"}})
def _():
    member = m.network_membership(dfa_to_ssrn(tomita(2), "tanh"))
    return m.sampling_equivalence, dict(member=member, n_symbols=2, epsilon=0.05, failure=0.1, tolerance=0.0,
                                        max_length=6, seed=0, known=[(0, 1)])
