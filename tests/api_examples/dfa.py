"""Examples for srnbook.dfa."""

import numpy as np

from srnbook import dfa as m
from tests.api_contract import example


@example("srnbook.dfa.DFA")
def _():
    return m.DFA, dict(delta=np.array([[1, 0], [0, 1]]), accepting=np.array([True, False]),
                       alphabet=("a", "b"))


@example("srnbook.dfa.DFA.accepts")
def _():
    return m.even_as().accepts, dict(word="abba")


@example("srnbook.dfa.DFA.accepts_many")
def _():
    return m.even_as().accepts_many, dict(words=["ab", "aa", "b"])


@example("srnbook.dfa.tomita")
def _():
    return m.tomita, dict(n=3)
