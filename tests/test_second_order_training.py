"""Specification of how the second-order optimizers plug into srnbook.training and the tasks:
logits read by the losses, the likelihood of the last output only, and the "hf"/"kfac_*" methods."""

import pytest
import torch

from srnbook import SRN
from srnbook.optim.hessian_free import gnvp
from srnbook.optim.kfac import kfac_statistics
from srnbook.srn import flatten_parameters
from srnbook.training import make_model, train

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def twins(output, u=2, d=3, o=3, grad="autograd"):
    """Two SRNs with the same parameters, one with ``output`` and one with the identity output."""
    torch.manual_seed(0)
    a = SRN(u, d, o, activation="tanh", output=output, grad=grad, dtype=F64)
    b = SRN(u, d, o, activation="tanh", output="identity", grad=grad, dtype=F64)
    b.load_state_dict(a.state_dict())
    return a, b


def test_hf_reads_an_identity_output_as_logits():
    """With output g = identity, loss="cross_entropy" uses z as logits: the same curvature as softmax."""
    soft, logits = twins("softmax")
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 5, 2, generator=g, dtype=F64)
    y = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 2]), 3).to(F64)
    v = torch.randn(flatten_parameters(soft).numel(), generator=g, dtype=F64)
    torch.testing.assert_close(gnvp(soft, None, x, y, v, loss="cross_entropy"),
                               gnvp(logits, None, x, y, v, loss="cross_entropy"), rtol=1e-12, atol=1e-12)


def test_kfac_categorical_reads_an_identity_output_as_logits():
    soft, logits = twins("softmax", grad="bptt")
    x = torch.randn(4, 5, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    a = kfac_statistics(soft, x, likelihood="categorical", exact=True)
    b = kfac_statistics(logits, x, likelihood="categorical", exact=True)
    for layer in a:
        for k in range(4):
            torch.testing.assert_close(a[layer][k], b[layer][k], rtol=1e-12, atol=1e-12)


def test_kfac_statistics_of_the_last_output():
    """outputs="last": V's statistics are the last step's; U and W see gradients from the last output only."""
    model, _ = twins("identity", grad="bptt")
    x = torch.randn(6, 4, 2, generator=torch.Generator().manual_seed(3), dtype=F64)
    last = kfac_statistics(model, x, exact=True, outputs="last")
    every = kfac_statistics(model, x, exact=True, outputs="all")
    h = model(x).h
    hbar = torch.cat([h[:, -1], torch.ones(6, 1, dtype=F64)], 1)
    torch.testing.assert_close(last["V"].A0, hbar.t() @ hbar / 6, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(last["V"].G0, torch.eye(3, dtype=F64), rtol=1e-12, atol=1e-12)  # H = I
    assert last["V"].T == 1 and every["V"].T == 4
    # the pre-activation gradients of the last output alone are fewer than those of every output
    assert float(torch.trace(last["W"].G0)) < float(torch.trace(every["W"].G0))
    # one step: the two models coincide
    one = x[:, :1]
    for layer in ("U", "W", "V"):
        s, t = kfac_statistics(model, one, exact=True, outputs="last"), kfac_statistics(model, one, exact=True)
        torch.testing.assert_close(s[layer].G0, t[layer].G0, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="outputs must be one of"):
        kfac_statistics(model, x, outputs="first")


@pytest.mark.parametrize("task", ["adding", "temporal_order", "parity"])
def test_hf_method_steps_on_regression_and_classification(task):
    """The squared loss (adding) or the cross-entropy of the logits (temporal order, parity) is used."""
    model = make_model(task, 6, init="martens_sutskever", seed=0)
    before = flatten_parameters(model).detach().clone()
    r = train(model, task, 10, "hf", seed=0, max_sequences=3 * 64, batch_size=64, eval_every=64, eval_size=64,
              options={"damping": 0.01, "cg_max_iters": 30})
    assert r.sequences_seen == 3 * 64 and len(r.history) == 3 and not r.diverged
    assert not torch.equal(flatten_parameters(model).detach(), before)


def test_method_options_are_checked():
    model = make_model("adding", 4, seed=0)
    with pytest.raises(ValueError, match="options are for the methods 'hf' and 'kfac_\\*' only"):
        train(model, "adding", 20, "adam", max_sequences=8, options={"damping": 1.0})
    with pytest.raises(ValueError, match="options must be a dict"):
        train(model, "adding", 20, "kfac_option1", max_sequences=8, options=[("damping", 1.0)])
    with pytest.raises(ValueError, match="damping must be a positive"):
        train(model, "adding", 20, "kfac_option1", max_sequences=8, options={"damping": -1.0})


def test_kfac_method_uses_its_temporal_model():
    """The three K-FAC methods start from the same model and batch and end in different places."""
    ends = []
    for method in ("kfac_independent", "kfac_option1", "kfac_option2"):
        model = make_model("adding", 5, init="orthogonal", seed=2)
        train(model, "adding", 20, method, seed=0, max_sequences=64, batch_size=32, eval_size=8)
        ends.append(flatten_parameters(model).detach())
    assert not torch.equal(ends[0], ends[1]) and not torch.equal(ends[1], ends[2])


def test_martens_sutskever_initialization():
    """15 nonzero incoming weights per unit, N(0, 1/15), input weights divided by 4, zero biases."""
    model = make_model("adding", 100, init="martens_sutskever", seed=0)
    W, U = model.W.detach(), model.U.detach()
    assert ((W != 0).sum(1) == 15).all() and ((U != 0).sum(1) == 2).all()  # u = 2 < 15: dense
    assert abs(float(W[W != 0].std()) - 15 ** -0.5) < 0.03
    assert abs(float(U[U != 0].std()) - 0.25 * 15 ** -0.5) < 0.02
    assert not model.b.detach().any() and not model.c.detach().any()


@pytest.mark.parametrize("loss, output", [("squared", "identity"), ("cross_entropy", "softmax"),
                                          ("binary_cross_entropy", "sigmoid")])
@pytest.mark.parametrize("per_step", [False, True])
def test_gauss_newton_products_are_the_same_with_either_backward(loss, output, per_step):
    """grad="bptt" (BPTT.jvp and the explicit backward) gives the products of grad="autograd",
    with lengths, h0 and structural damping."""
    from srnbook.optim.hessian_free import gauss_newton_operator

    bptt, _ = twins(output, grad="bptt")
    auto, _ = twins(output, grad="autograd")
    g = torch.Generator().manual_seed(4)
    x = torch.randn(4, 5, 2, generator=g, dtype=F64)
    lengths, h0 = torch.tensor([5, 2, 4, 1]), torch.randn(3, generator=g, dtype=F64)
    shape = (4, 5, 3) if per_step else (4, 3)
    if loss == "cross_entropy":
        y = torch.nn.functional.one_hot(torch.randint(0, 3, shape[:-1], generator=g), 3).to(F64)
    else:
        y = torch.rand(shape, generator=g, dtype=F64)
    v = torch.randn(flatten_parameters(bptt).numel(), generator=g, dtype=F64)
    for structural in (0.0, 0.7):
        ops = [gauss_newton_operator(m, None, x, y, loss=loss, lengths=lengths, h0=h0, structural=structural)
               for m in (bptt, auto)]
        torch.testing.assert_close(ops[0](v), ops[1](v), rtol=1e-12, atol=1e-12)


def test_hessian_free_steps_are_the_same_with_either_backward():
    from srnbook.optim import HessianFree
    from srnbook.optim.hessian_free import Minibatch

    ends = []
    for grad in ("bptt", "autograd"):
        model, _ = twins("identity", grad=grad)
        opt = HessianFree(model, loss="squared", damping=0.5, structural_damping=0.3)
        g = torch.Generator().manual_seed(5)
        x, y = torch.randn(6, 5, 2, generator=g, dtype=F64), torch.randn(6, 3, generator=g, dtype=F64)
        for _ in range(3):
            opt.step(lambda: Minibatch(x, y))
        ends.append(flatten_parameters(model).detach())
    torch.testing.assert_close(ends[0], ends[1], rtol=1e-9, atol=1e-10)


def test_cg_stops_cleanly_when_float32_underflows_or_overflows():
    """Tiny gradients (vanishing, in float32) and overflowing products end CG with a finite x, not an error."""
    from srnbook.optim.hessian_free import conjugate_gradient

    A = torch.diag(torch.tensor([1.0, 2.0, 3.0]))
    tiny = torch.full((3,), 1e-30)  # r^T r = 3e-60 underflows to 0 in float32
    res = conjugate_gradient(lambda v: A @ v, tiny, rtol=0.0, epsilon=1e-30)
    assert res.reason == "residual" and res.iterations == 0 and torch.isfinite(res.x).all()

    calls = []

    def overflowing(v):
        calls.append(1)
        return A @ v if len(calls) < 3 else torch.full_like(v, float("inf"))

    res = conjugate_gradient(overflowing, torch.ones(3), rtol=0.0, epsilon=1e-30)
    assert res.reason == "breakdown" and res.iterations == 1 and torch.isfinite(res.x).all()
    assert res.iterates[-1][0] == 1


def test_pi_damping_names_overflowed_statistics():
    from srnbook.optim.kfac import LayerStatistics, pi_damping, precondition

    with pytest.raises(ValueError, match="G contains NaN or infinite values"):
        pi_damping(torch.eye(2), torch.full((2, 2), float("inf")), 1e-2)
    # statistics that overflowed in training: the factors' traces are infinite (overflowing off the diagonal)
    huge = torch.full((2, 2), 1e308, dtype=torch.float64)
    stats = LayerStatistics(huge, huge, huge, huge, 3)
    with pytest.raises(ValueError, match="the K-FAC factors must be finite"):
        precondition(stats, torch.ones(2, 2, dtype=torch.float64), 1e-2)
