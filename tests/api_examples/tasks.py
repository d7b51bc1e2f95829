"""Examples for srnbook.tasks."""

import torch

from srnbook import tasks as m
from tests.api_contract import example, record

record("srnbook.tasks.Batch", "a record of one drawn batch: built by the task generators")
record("srnbook.tasks.Baseline")



@example("srnbook.tasks.adding")
def _():
    return m.adding, dict(n=3, T=10, seed=0, variable_length=True)


@example("srnbook.tasks.multiplication")
def _():
    return m.multiplication, dict(n=3, T=10, seed=0, variable_length=True)


@example("srnbook.tasks.xor")
def _():
    return m.xor, dict(n=3, T=10, seed=0, variable_length=True)


@example("srnbook.tasks.adding_slides")
def _():
    return m.adding_slides, dict(n=3, T=4, seed=0)


@example("srnbook.tasks.temporal_order")
def _():
    return m.temporal_order, dict(n=3, T=10, n_markers=2, seed=0, variable_length=True)


@example("srnbook.tasks.temporal_order_3bit")
def _():
    return m.temporal_order_3bit, dict(n=3, T=10, seed=0, variable_length=True)


@example("srnbook.tasks.parity")
def _():
    return m.parity, dict(n=3, T=5, seed=0, variable_length=True)


@example("srnbook.tasks.make_task")
def _():
    return m.make_task, dict(name="temporal_order", n=3, T=10, seed=0, n_markers=3, variable_length=False)


OUTPUTS = "at_end selects entries: they are returned as they are (success() scores a NaN as not solved)"


@example("srnbook.tasks.Batch.at_end",
         valid={"seq": {"nan entry": OUTPUTS, "inf entry": OUTPUTS,
                        "other precision": "a selection keeps the dtype of seq"}})
def _():
    batch = m.adding(2, 10, seed=0)
    return batch.at_end, dict(seq=torch.randn(2, int(batch.lengths.max()), 1))


SCORED = {"nan entry": "a prediction with a NaN or infinite entry never solves its sequence, as documented",
          "inf entry": "a prediction with a NaN or infinite entry never solves its sequence, as documented",
          "other precision": "predictions are compared in float32, the dtype of the targets, whatever their own"}
TOL = {"huge": "a tolerance above every error counts every finite prediction as solved"}


@example("srnbook.tasks.success", valid={"prediction": SCORED, "tol": TOL})
def _():
    batch = m.adding(3, 10, seed=0)
    return m.success, dict(batch=batch, prediction=batch.y + 0.01, tol=0.04)


@example("srnbook.tasks.success_rate", valid={"prediction": SCORED, "tol": TOL})
def _():
    batch = m.adding(3, 10, seed=0)
    return m.success_rate, dict(batch=batch, prediction=batch.y + 0.01, tol=0.04)


@example("srnbook.tasks.chance_baseline",
         valid={"T": {"huge": "a closed form: no sequence is drawn, so any length has its baseline"}})
def _():
    return m.chance_baseline, dict(name="parity", T=10, n_markers=2)
