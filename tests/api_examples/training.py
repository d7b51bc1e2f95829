"""Examples for srnbook.training."""

from srnbook import training as m
from srnbook.tasks import adding_slides
from tests.api_contract import example, record

record("srnbook.training.TrainResult")



def _model():
    return m.make_model("adding_slides", 3, seed=0)


@example("srnbook.training.Summarized")
def _():
    return m.Summarized, dict()


@example("srnbook.training.Summarized.summary")
def _():
    result = m.TrainResult(False, None, 4, 0.0, 0.5, [(4, 0.5, 0.0)])
    return result.summary, dict()


@example("srnbook.training.task_sizes")
def _():
    return m.task_sizes, dict(task="parity")


@example("srnbook.training.make_model")
def _():
    return m.make_model, dict(task="adding_slides", d=3, activation="tanh", init="sparse", seed=0, grad="bptt")


@example("srnbook.training.loss_function")
def _():
    return m.loss_function, dict(batch=adding_slides(2, 4, seed=0))


@example("srnbook.training.draw")
def _():
    return m.draw, dict(task="xor", n=2, T=10, seed=0)


@example("srnbook.training.evaluate",
         valid={"tol": {"huge": "a tolerance above every error counts every regression output right"}})
def _():
    return m.evaluate, dict(model=_model(), batch=adding_slides(2, 4, seed=0), tol=0.04)


@example("srnbook.training.train",
         valid={"omega_weight": {"zero": "0, the default: no Omega term"},
                "clip": {"huge": "a threshold above every gradient norm never clips"},
                "budget_seconds": {"huge": "a CPU budget that is never reached: the other limits stop training"},
                "eval_every": {"huge": "evaluated once, at the end of training"},
                "tol": {"huge": "a tolerance above every error counts every regression output right"}},
         long={"max_sequences": "a budget of sequences: a huge one simply trains long"})
def _():
    return m.train, dict(model=_model(), task="adding_slides", T=2, method="sgd", seed=0, max_sequences=4,
                         budget_seconds=60.0, batch_size=2, lr=0.1, clip=1.0, omega_weight=0.0, target=0.99,
                         eval_every=2, eval_size=2, tol=0.04, progress=False, options=None)


@example("srnbook.training.make_gated_model")
def _():
    return m.make_gated_model, dict(task="adding_slides", kind="gru", d=3, seed=0)
