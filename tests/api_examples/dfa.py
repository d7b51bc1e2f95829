"""Examples for srnbook.dfa."""

import numpy as np

from srnbook import dfa as m
from tests.api_contract import example

ZP = str(m._MLREGTEST / "04.04.Zp.2.1.0.att")  # a shipped AT&T file over a, b, c, d
ANY_SYMBOL = "the alphabet defines the symbols: any non-empty string is one (multi-character symbols such as 's0' are allowed)"
EMPTY_WORD = "the empty word is a word"


@example("srnbook.dfa.DFA", valid={"alphabet": {"unknown symbol": ANY_SYMBOL}})
def _():
    return m.DFA, dict(delta=np.array([[1, 0], [0, 1]]), accepting=np.array([True, False]),
                       alphabet=("a", "b"))


@example("srnbook.dfa.DFA.accepts", valid={"word": {"empty string": EMPTY_WORD}})
def _():
    return m.even_as().accepts, dict(word="abba")


@example("srnbook.dfa.DFA.accepts_many")
def _():
    return m.even_as().accepts_many, dict(words=["ab", "aa", "b"])


@example("srnbook.dfa.DFA.run", valid={"word": {"empty string": EMPTY_WORD}})
def _():
    return m.even_as().run, dict(word="aba")


@example("srnbook.dfa.DFA.encode", valid={"word": {"empty string": EMPTY_WORD}})
def _():
    return m.even_as().encode, dict(word="aba")


@example("srnbook.dfa.DFA.encode_many")
def _():
    return m.even_as().encode_many, dict(words=[("a", "b"), ("b",)])


@example("srnbook.dfa.DFA.complete",
         valid={"alphabet": {"unknown symbol": ANY_SYMBOL},
                "accepting": {"empty": "no accepting state: the empty language"}})
def _():
    return m.DFA.complete, dict(transitions={(0, "a"): 1, (1, "a"): 0}, accepting=[1], alphabet=("a", "b"),
                                n_states=2)


@example("srnbook.dfa.DFA.random")
def _():
    return m.DFA.random, dict(n_states=3, n_symbols=2, seed=5)


@example("srnbook.dfa.DFA.from_att")
def _():
    return m.DFA.from_att, dict(path=ZP, alphabet=("a", "b", "c", "d"))


@example("srnbook.dfa.DFA.from_dict")
def _():
    return m.DFA.from_dict, dict(data={"delta": [[1, 0], [0, 1]], "accepting": [True, False],
                                       "alphabet": ["a", "b"]})


@example("srnbook.dfa.DFA.to_dict")
def _():
    return m.even_as().to_dict, dict()


@example("srnbook.dfa.DFA.minimize")
def _():
    return m.tomita(3).minimize, dict()


@example("srnbook.dfa.DFA.complement")
def _():
    return m.even_as().complement, dict()


@example("srnbook.dfa.DFA.equivalent")
def _():
    return m.even_as().equivalent, dict(other=m.DFA([[1, 0], [0, 1]], [True, False], ("b", "a")))


@example("srnbook.dfa.DFA.to_svg", valid={"highlight": {"zero": "state 0 is a state"}})
def _():
    return m.tomita(2).to_svg, dict(highlight=1, size=300.0)


@example("srnbook.dfa.coarsest_partition")
def _():
    return m.coarsest_partition, dict(delta=np.array([[1, 0], [0, 1], [2, 2]]),
                                      accepting=np.array([True, False, False]))


@example("srnbook.dfa.mlregtest")
def _():
    return m.mlregtest, dict(name="04.04.Zp.2.1.0")


@example("srnbook.dfa.mlregtest_names")
def _():
    return m.mlregtest_names, dict()


@example("srnbook.dfa.even_as")
def _():
    return m.even_as, dict()


@example("srnbook.dfa.ends_with_a")
def _():
    return m.ends_with_a, dict()


@example("srnbook.dfa.tomita")
def _():
    return m.tomita, dict(n=3)
