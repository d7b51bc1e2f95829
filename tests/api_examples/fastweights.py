"""Examples for srnbook.fastweights."""

import torch
import torch._dynamo  # noqa: F401  the first optimizer imports it (seconds): here, outside the timed calls

from srnbook import fastweights as m
from tests.api_contract import example, record

record("srnbook.fastweights.RetrievalOutput")
record("srnbook.fastweights.RetrievalResult")
record("srnbook.fastweights.RetrievalSplits", "a record of three RetrievalBatch (train_retrieval checks them)")

SMALL = dict(embedding=3, head_size=3)  # tiny models, for cheap calls


def _splits():
    return m.retrieval_splits(pairs=2, sizes=(8, 4, 4), seed=0)


def _model(name="fast_weights"):
    return m.make_retrieval_model(name, 3, seed=0, **SMALL)


def _x():
    return m.associative_retrieval(2, pairs=2, seed=0).x


@example("srnbook.fastweights.RetrievalBatch")
def _():
    b = m.associative_retrieval(3, pairs=2, seed=0)
    return m.RetrievalBatch, dict(tokens=b.tokens, y=b.y, query_pair=b.query_pair)


@example("srnbook.fastweights.RetrievalBatch.strings")
def _():
    return m.associative_retrieval(2, pairs=2, seed=0).strings, {}


@example("srnbook.fastweights.distinct_sequences")
def _():
    return m.distinct_sequences, dict(pairs=3)


@example("srnbook.fastweights.associative_retrieval")
def _():
    return m.associative_retrieval, dict(n=3, pairs=2, seed=1)


@example("srnbook.fastweights.retrieval_splits")
def _():
    return m.retrieval_splits, dict(pairs=2, sizes=(4, 2, 2), seed=1)


@example("srnbook.fastweights.encode")
def _():
    return m.encode, dict(strings=["c9k8j3f1??c", "j0a5s5z2??a"])


@example("srnbook.fastweights.decode")
def _():
    return m.decode, dict(x=m.encode(["c9k8j3f1??c", "j0a5s5z2??a"]).tokens)


@example("srnbook.fastweights.classifier_head")
def _():
    return m.classifier_head, dict(hidden_size=3, head_size=4, classes=5, dtype=torch.float64)


@example("srnbook.fastweights.fast_weights", valid={
    "h": {"other precision": "fast_weights computes in the dtype of h; float32 and float64 are both valid"},
    "lam": {"zero": "lam = 0: A(t) keeps only the last outer product"},
    "eta": {"zero": "eta = 0: no fast weights, A(t) = 0"}})
def _():
    h = torch.rand(2, 3, 4, generator=torch.Generator().manual_seed(0))
    return m.fast_weights, dict(h=h, lam=0.9, eta=0.5)


_FW_VALID = {
    "embedding": {"none": "None feeds the one-hot input directly (documented)"},
    "lam": {"zero": "lam = 0: A(t) keeps only the last outer product"},
    "eta": {"zero": "eta = 0: no fast weights, the model is a ReLU SRN with layer norm"},
    "w_scale": {"zero": "W = 0 at the start is a valid initialization"},
    "inner_steps": {"huge": "S is a loop count, nothing is allocated by it: a large S is valid and only "
                            "makes the forward pass slow"},
}


@example("srnbook.fastweights.FastWeightsRNN", valid=_FW_VALID)
def _():
    return m.FastWeightsRNN, dict(input_size=37, hidden_size=3, embedding=3, lam=0.9, eta=0.5, inner_steps=1,
                                  layer_norm=True, w_scale=0.05, head_size=3, classes=10, dtype=torch.float32)


@example("srnbook.fastweights.FastWeightsRNN.extra_repr")
def _():
    return _model().extra_repr, {}


@example("srnbook.fastweights.FastWeightsRNN.forward")
def _():
    return _model().forward, dict(x=_x(), return_fast_weights=True)


@example("srnbook.fastweights.FastWeightsRNN.reset_recurrent_parameters")
def _():
    return _model().reset_recurrent_parameters, {}


@example("srnbook.fastweights.IRNN", valid={
    "embedding": {"none": "None feeds the one-hot input directly (documented)"},
    "w_scale": {"zero": "W = 0 at the start is a valid initialization"},
    "input_std": {"zero": "U = 0 at the start is a valid initialization"}})
def _():
    return m.IRNN, dict(input_size=37, hidden_size=3, embedding=3, w_scale=1.0, input_std=0.001, head_size=3,
                        classes=10, dtype=torch.float32)


@example("srnbook.fastweights.IRNN.forward")
def _():
    return _model("irnn").forward, dict(x=_x())


@example("srnbook.fastweights.IRNN.reset_recurrent_parameters")
def _():
    return _model("irnn").reset_recurrent_parameters, {}


@example("srnbook.fastweights.LSTMNet", valid={
    "embedding": {"none": "None feeds the one-hot input directly (documented)"}})
def _():
    return m.LSTMNet, dict(input_size=37, hidden_size=3, embedding=3, head_size=3, classes=10,
                           dtype=torch.float32)


@example("srnbook.fastweights.LSTMNet.forward")
def _():
    return _model("lstm").forward, dict(x=_x())


@example("srnbook.fastweights.make_retrieval_model", valid={
    "embedding": {"none": "None feeds the one-hot input directly (documented)"}})
def _():
    return m.make_retrieval_model, dict(name="irnn", hidden_size=3, seed=1, embedding=3, head_size=3)


@example("srnbook.fastweights.count_parameters")
def _():
    return m.count_parameters, dict(model=_model())


@example("srnbook.fastweights.retrieval_error", valid={
    "chunk": {"huge": "a chunk larger than the batch evaluates it in one piece"}})
def _():
    return m.retrieval_error, dict(model=_model(), batch=_splits().test, chunk=2)


@example("srnbook.fastweights.train_retrieval",
         valid={"budget_seconds": {"huge": "a CPU budget longer than the run: max_sequences stops it"},
                "eval_every": {"huge": "evaluates only at the end"},
                "eval_batch": {"huge": "a chunk larger than a split evaluates it in one piece"}},
         long={"max_sequences": "a training budget: a huge one is valid and simply trains long"})
def _():
    return m.train_retrieval, dict(model=_model("irnn"), splits=_splits(), max_sequences=4, seed=1, batch_size=4,
                                   lr=1e-3, budget_seconds=60.0, eval_every=4, eval_batch=4, progress=False)
