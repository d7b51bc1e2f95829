"""Examples for srnbook.sampling."""

import numpy as np
import torch

from srnbook import sampling as m
from srnbook.dfa import even_as, tomita
from tests.api_contract import example

LAM_ZERO = "lam = 0: every word is empty (Poisson(0) lengths), a valid degenerate law"
ANY_SYMBOL = "the alphabet defines the symbols: any non-empty string is one (multi-character symbols are allowed)"


def _words():
    return m.Words(symbols=np.array([[0, 1], [1, 0]], dtype=np.uint8), lengths=np.array([2, 1]),
                   labels=np.array([False, True]), alphabet=("a", "b"))


@example("srnbook.sampling.Words", valid={"alphabet": {"unknown symbol": ANY_SYMBOL}})
def _():
    return m.Words, dict(symbols=np.array([[0, 1], [1, 0]], dtype=np.uint8), lengths=np.array([2, 1]),
                         labels=np.array([False, True]), alphabet=("a", "b"))


@example("srnbook.sampling.Words.strings")
def _():
    return _words().strings, dict()


@example("srnbook.sampling.Words.one_hot")
def _():
    return _words().one_hot, dict(dtype=torch.float32)


@example("srnbook.sampling.rejecting_sinks")
def _():
    return m.rejecting_sinks, dict(dfa=tomita(2))


@example("srnbook.sampling.letter_distribution")
def _():
    return m.letter_distribution, dict(dfa=tomita(2), kind="no_obvious_negative")


@example("srnbook.sampling.sample_words", valid={"lam": {"zero": LAM_ZERO}})
def _():
    return m.sample_words, dict(dfa=even_as(), n=4, lam=3.0, distribution="equal", seed=1, label=True)


@example("srnbook.sampling.balanced_dataset",
         valid={"positive_fraction": {"zero": "no accepted word: all n words rejected"}})
def _():
    return m.balanced_dataset, dict(dfa=even_as(), n=4, lam=3.0, distribution="equal", seed=1,
                                    positive_fraction=0.5)
