"""Examples for srnbook.extraction."""

from srnbook import extraction as m
from srnbook.dfa import even_as
from srnbook.sampling import balanced_dataset
from srnbook.ssrn import dfa_to_ssrn
from tests.api_contract import example, record

ANY_SYMBOL = "the alphabet names the model's inputs: any distinct non-empty strings (multi-character too)"
BUDGET = ("a budget: the search stops as soon as the states close (here after a few); a search that would "
          "outgrow the package's memory limit is stopped with an error naming max_states")

record("srnbook.extraction.Extraction")


def _words():
    words = balanced_dataset(even_as(), 8, lam=3.0, seed=0)
    return words[words.lengths > 0]


@example("srnbook.extraction.quantized_dfa",
         valid={"alphabet": {"unknown symbol": ANY_SYMBOL}, "max_states": {"huge": BUDGET}})
def _():
    ssrn = dfa_to_ssrn(even_as(), J=4.0)
    return m.quantized_dfa, dict(model=ssrn, alphabet=("a", "b"), h0=ssrn.h0.clone(), levels=2, max_states=50,
                                 threshold=0.5)


@example("srnbook.extraction.extract_dfa",
         valid={"alphabet": {"unknown symbol": ANY_SYMBOL}, "max_states": {"huge": BUDGET},
                "max_exact": {"huge": BUDGET},
                "levels": {"bare number": "one number of intervals is one grid to try"}})
def _():
    ssrn = dfa_to_ssrn(even_as())
    return m.extract_dfa, dict(model=ssrn, alphabet=("a", "b"), h0=ssrn.h0.clone(), levels=[2, 3],
                               words=_words(), max_exact=100, max_states=100)


@example("srnbook.extraction.network_answers")
def _():
    ssrn = dfa_to_ssrn(even_as())
    return m.network_answers, dict(model=ssrn, words=_words(), h0=ssrn.h0.clone(), threshold=0.5)


@example("srnbook.extraction.equivalent_on_nonempty")
def _():
    return m.equivalent_on_nonempty, dict(dfa=even_as(), target=even_as().complement())


@example("srnbook.extraction.smallest_on_nonempty")
def _():
    return m.smallest_on_nonempty, dict(dfa=even_as())
