"""Tests for srnbook.training: the training loop, its methods, budgets and errors."""

import json
import math

import pytest
import torch

from srnbook import SRN
from srnbook.gated import Readout
from srnbook.training import (GATED_KINDS, INITS, METHODS, TrainResult, draw, evaluate, make_gated_model,
                              make_model, train)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def flat(model):
    return torch.cat([p.detach().reshape(-1).clone() for p in model.parameters()])


def test_adam_solves_an_easy_instance():
    model = make_model("temporal_order", 8, init="orthogonal", seed=0)
    r = train(model, "temporal_order", 20, "adam", seed=0, max_sequences=8192, eval_every=256, eval_size=256)
    assert isinstance(r, TrainResult)
    assert r.solved and r.success_rate >= 0.99
    assert r.sequences_to_solve == r.sequences_seen <= 8192
    assert r.history[-1] == (r.sequences_seen, r.loss, r.success_rate)
    assert r.history[-1][2] > r.history[0][2]


@pytest.mark.parametrize("method", METHODS)
def test_each_method_takes_a_step(method):
    model = make_model("adding", 4, init="orthogonal", seed=1)
    before = flat(model)
    r = train(model, "adding", 20, method, seed=0, max_sequences=8, batch_size=8, eval_size=8)
    assert r.sequences_seen == 8 and len(r.history) == 1 and not r.solved
    assert not torch.equal(flat(model), before)


@pytest.mark.parametrize("init", INITS)
def test_make_model(init):
    a = make_model("temporal_order", 6, init=init, seed=3)
    b = make_model("temporal_order", 6, init=init, seed=3)
    assert (a.input_size, a.hidden_size, a.output_size, a.output) == (8, 6, 4, "identity")
    assert torch.equal(flat(a), flat(b))
    assert not torch.equal(flat(a), flat(make_model("temporal_order", 6, init=init, seed=4)))


def test_clipping_bounds_the_update():
    model = make_model("adding", 4, seed=0)
    before = flat(model)
    train(model, "adding", 20, "sgd_clip", seed=0, max_sequences=8, batch_size=8, eval_size=8, lr=1.0, clip=1e-3)
    step = float((flat(model) - before).norm())
    assert 0 < step <= 1e-3 * (1 + 1e-5)


def test_seeded_and_json_able():
    runs = [train(make_model("adding", 4, seed=0), "adding", 20, "sgd_clip_omega", seed=5, max_sequences=64,
                  batch_size=16, eval_every=32, eval_size=16) for _ in range(2)]
    assert runs[0].history == runs[1].history and len(runs[0].history) == 2
    summary = json.loads(json.dumps(runs[0].summary()))
    assert "wall_seconds" not in summary and "cpu_seconds" not in summary
    assert summary["sequences_seen"] == 64 and summary["sequences_to_solve"] is None


def test_cpu_budget_stops_training():
    r = train(make_model("adding", 4, seed=0), "adding", 20, "sgd", seed=0, max_sequences=10**6,
              budget_seconds=1e-9, batch_size=8, eval_size=8)
    assert r.sequences_seen == 8 and r.cpu_seconds > 0 and r.wall_seconds > 0


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "rmsprop"}, "method must be one of"),
    ({"task": "copy"}, "task must be one of"),
    ({"T": 5}, "T must be at least 10"),
    ({"max_sequences": 0}, "max_sequences must be a positive integer"),
    ({"budget_seconds": -1.0}, "budget_seconds must be a positive"),
    ({"budget_seconds": float("nan")}, "budget_seconds must be a positive"),
    ({"lr": 0.0}, "lr must be a positive"),
    ({"clip": -1.0}, "clip must be a positive"),
    ({"omega_weight": 1.0}, "omega_weight is for method 'sgd_clip_omega' only"),
    ({"target": 1.5}, "target must be a success rate"),
    ({"seed": -1}, "seed must be a nonnegative integer"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
])
def test_train_errors(kwargs, match):
    args = {"task": "adding", "T": 20, "method": "sgd", "seed": 0, "max_sequences": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(make_model("adding", 4, seed=0), args.pop("task"), args.pop("T"), args.pop("method"), **args)


def test_model_errors():
    with pytest.raises(ValueError, match="init must be one of"):
        make_model("adding", 4, init="xavier")
    with pytest.raises(ValueError, match="task must be one of"):
        make_model("copy", 4)
    with pytest.raises(ValueError, match="model.output must be 'identity'"):
        train(SRN(2, 4, 1), "adding", 20, "sgd", max_sequences=8)
    with pytest.raises(ValueError, match="input size 8 and output size 4"):
        train(make_model("adding", 4), "temporal_order", 20, "sgd", max_sequences=8)
    with pytest.raises(ValueError, match="model must be an srnbook.SRN"):
        train(torch.nn.RNN(2, 4), "adding", 20, "sgd", max_sequences=8)


# ---------------------------------------------------------------------- seeds, sizes, options (issue 20)


def test_draw_takes_one_integer_seed():
    from srnbook.tasks import make_task
    from srnbook.training import draw

    assert torch.equal(draw("adding", 4, 20, seed=3).x, make_task("adding", 4, 20, seed=3, variable_length=False).x)
    with pytest.raises(ValueError, match=r"seed must be a nonnegative integer below 2\*\*64"):
        draw("adding", 4, 20, seed=[3, 0])


def test_sizes_beyond_the_memory_limit_are_refused_before_allocating():
    with pytest.raises(ValueError, match="d: the parameters of an SRN with 100000 units would need"):
        make_model("adding", 100_000)
    model = make_model("adding", 4, seed=0)
    with pytest.raises(ValueError, match="batch_size and T: a batch of 1000000000000 sequences"):
        train(model, "adding", 20, "sgd", max_sequences=8, batch_size=10**12)
    with pytest.raises(ValueError, match="eval_size and T: a validation batch of 1000000000000 sequences"):
        train(model, "adding", 20, "sgd", max_sequences=8, eval_size=10**12)


def test_options_and_flags_are_checked():
    model = make_model("adding", 4, seed=0)
    with pytest.raises(ValueError, match="options: 'seed' is not an option of KFAC that train leaves open"):
        train(model, "adding", 20, "kfac_independent", max_sequences=8, options={"seed": 1})
    with pytest.raises(ValueError, match="options: 'dampin' is not an option of HessianFree"):
        train(model, "adding", 20, "hf", max_sequences=8, options={"dampin": 1.0})
    with pytest.raises(ValueError, match="progress must be True or False"):
        train(model, "adding", 20, "sgd", max_sequences=8, progress=1)
    with pytest.raises(ValueError, match="lr = 1e.300 overflows the model's dtype torch.float32"):
        train(model, "adding", 20, "sgd", max_sequences=8, lr=1e300)


# ---------------------------------------------------------------------- gated networks


@pytest.mark.parametrize("kind", GATED_KINDS)
def test_make_gated_model_sizes_the_network_for_the_task(kind):
    a = make_gated_model("temporal_order", kind, 5, seed=2)
    assert isinstance(a, Readout) and (a.input_size, a.output_size) == (8, 4)
    assert torch.equal(flat(a), flat(make_gated_model("temporal_order", kind, 5, seed=2)))
    assert not torch.equal(flat(a), flat(make_gated_model("temporal_order", kind, 5, seed=3)))
    forget = {"lstm1997": False, "lstm": True}
    if kind in forget:
        assert a.layer.forget_gate is forget[kind]


def test_a_1997_lstm_learns_the_adding_problem():
    model = make_gated_model("adding", "lstm1997", 8, seed=0)
    r = train(model, "adding", 10, "adam", seed=0, max_sequences=32_000, lr=0.01, clip=1.0, eval_every=1024,
              eval_size=256)
    assert r.solved and r.history[-1][2] >= 0.99 > r.history[0][2]


@pytest.mark.parametrize("method", ["sgd_clip_omega", "normalized", "hf", "kfac_option1"])
def test_methods_that_need_an_srn_refuse_a_gated_network(method):
    with pytest.raises(ValueError, match="method must be one of .* for a gated network"):
        train(make_gated_model("adding", "gru", 3), "adding", 10, method, max_sequences=8)


def test_the_tolerance_decides_what_a_regression_output_gets_right():
    model = make_model("adding", 4, seed=0)
    batch = draw("adding", 64, 20, seed=0)
    strict, loose = evaluate(model, batch, tol=1e-6), evaluate(model, batch, tol=10.0)
    assert strict == 0.0 and loose == 1.0


def test_pascanus_smart_tanh_initialization():
    model = make_model("adding", 50, init="pascanu", seed=0)
    assert (model.W != 0).sum(1).tolist() == [15] * 50
    assert abs(float(torch.linalg.eigvals(model.W.detach().double()).abs().max()) - 0.95) < 1e-6
    assert 0.005 < float(model.U.detach().std()) < 0.02 and float(model.b.detach().abs().max()) == 0.0


def test_a_run_whose_optimizer_fails_says_why_and_keeps_its_history(monkeypatch):
    """A numerical failure inside a step ends the run as diverged, with the error and the
    evaluations made before it, instead of losing the run."""
    from srnbook.optim.hessian_free import HessianFree

    real_step, calls = HessianFree.step, []

    def failing_step(self, closure=None):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("Avp is not positive definite along a CG direction (p^T A p <= 0)")
        return real_step(self, closure)

    monkeypatch.setattr(HessianFree, "step", failing_step)
    r = train(make_model("adding", 4, seed=0), "adding", 20, "hf", seed=0, max_sequences=10**4,
              batch_size=16, eval_every=16, eval_size=16, options={"cg_max_iters": 5})
    assert r.diverged and not r.solved and r.sequences_seen == 48
    assert r.error == ("ValueError at 32 sequences: Avp is not positive definite along a CG "
                       "direction (p^T A p <= 0)")
    assert [h[0] for h in r.history] == [16, 32, 48] and math.isnan(r.history[-1][1])
    assert json.loads(json.dumps(r.summary(), allow_nan=True))["error"] == r.error
