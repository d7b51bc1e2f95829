"""Examples for srnbook.pipeline."""

import torch

from srnbook import pipeline as m
from srnbook.dfa import tomita
from srnbook.sampling import balanced_dataset
from srnbook.srn import SRN
from tests.api_contract import example, record

EPOCHS = "a budget: training stops once every training word is fit, or after this many epochs"

record("srnbook.pipeline.Training")
record("srnbook.pipeline.LearnedSSRN")


def _words(n=16, seed=0):
    words = balanced_dataset(tomita(1), n, lam=3.0, seed=seed)
    return words[words.lengths > 0]


def _srn(d=4):
    torch.manual_seed(0)
    return SRN(2, d, 1, "tanh", output="identity")


@example("srnbook.pipeline.shape_deviation")
def _():
    return m.shape_deviation, dict(srn=_srn(4), n_symbols=2)


TRAIN_VALID = {"seed": {"huge": "any seed below 2**64 is valid"},
               "batch_size": {"huge": "a minibatch larger than the words is the full batch"},
               "clip": {"huge": "a bound never reached: no clipping in effect"},
               "keep": {"empty": "no snapshots, the default"},
               "shape_penalty": {"zero": "0, the default, is no penalty",
                                 "huge": "any weight of the penalty is valid: the shape then dominates"}}
QUERY_VALID = {"seed": {"huge": "any seed below 2**64 is valid"},
               "max_states": {"huge": "a budget: L* stops as soon as a hypothesis is accepted"},
               "tolerance": {"zero": "tolerance 0 is Angluin's exact test"},
               "max_length": {"zero": "words of length 0: the empty word alone, a valid (weak) test"}}


@example("srnbook.pipeline.train_srn", valid=TRAIN_VALID, long={"epochs": EPOCHS})
def _():
    return m.train_srn, dict(words=_words(), hidden=4, epochs=2, lr=0.01, batch_size=8, clip=1.0,
                             curriculum=False, shape_penalty=0.0, seed=0, h0=torch.zeros(4), keep=[0, 1])


@example("srnbook.pipeline.normalized_steps", long={"steps": "a budget of steps, each one pass over the words"},
         valid={"size": {"huge": "a step of any length is a step: the weights stay finite"}})
def _():
    return m.normalized_steps, dict(srn=_srn(4), words=_words(), steps=2, size=0.5, h0=torch.zeros(4))


@example("srnbook.pipeline.jump_scale",
         valid={"factor": {"huge": "any positive factor: the larger, the more saturated"}})
def _():
    return m.jump_scale, dict(srn=_srn(4), factor=4.0)


@example("srnbook.pipeline.extract_lstar", valid=QUERY_VALID)
def _():
    return m.extract_lstar, dict(srn=_srn(4), alphabet=("0", "1"), h0=torch.zeros(4), known=_words(),
                                 epsilon=0.1, failure=0.1, tolerance=0.05, max_length=5, max_states=30, seed=0)


@example("srnbook.pipeline.learn_ssrn", valid={**TRAIN_VALID, **QUERY_VALID}, long={"epochs": EPOCHS})
def _():
    return m.learn_ssrn, dict(words=_words(), test_words=_words(8, seed=1), target=tomita(1), activation="tanh",
                              hidden=4, epochs=2, lr=0.01, curriculum=False, epsilon=0.1, failure=0.1,
                              tolerance=0.05, max_length=5, max_states=30, seed=0)
