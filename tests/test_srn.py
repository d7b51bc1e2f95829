"""Specification of srnbook.SRN (Definition 1) and its explicit BPTT backward."""

import numpy as np
import pytest
import torch
from torch import nn

from srnbook import (
    BPTT,
    SRN,
    flatten_parameters,
    get_activation,
    load_flat_parameters,
    unflatten_parameters,
)

ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]
F64 = torch.float64


def make(act="tanh", u=3, d=5, o=2, output="identity", seed=0, **kw):
    torch.manual_seed(seed)
    return SRN(u, d, o, activation=act, output=output, dtype=F64, **kw)


def reference_forward(model, x, h0):
    """Definition 1 written out step by step, one sequence at a time."""
    g = {"sigmoid": torch.sigmoid, "identity": lambda z: z,
         "softmax": lambda z: torch.softmax(z, -1)}[model.output]
    h, hs, ys = h0, [], []
    for x_t in x:
        h = model.activation.fn(model.U @ x_t + model.W @ h + model.b)
        hs.append(h)
        ys.append(g(model.V @ h + model.c))
    return torch.stack(hs), torch.stack(ys)


def test_parameter_shapes_follow_definition_1():
    m = SRN(2, 3, 1, activation="sigmoid")
    assert [n for n, _ in m.named_parameters()] == ["U", "W", "V", "b", "c"]
    assert m.U.shape == (3, 2) and m.W.shape == (3, 3) and m.V.shape == (1, 3)
    assert m.b.shape == (3,) and m.c.shape == (1,)


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_forward_matches_definition_1(act, output):
    m = make(act, output=output)
    x = torch.randn(4, 6, 3, dtype=F64)
    h0 = torch.randn(4, 5, dtype=F64)
    out = m(x, h0=h0)
    assert out.h.shape == (4, 6, 5) and out.a.shape == (4, 6, 5) and out.y.shape == (4, 6, 2)
    for i in range(4):
        h_ref, y_ref = reference_forward(m, x[i], h0[i])
        torch.testing.assert_close(out.h[i], h_ref)
        torch.testing.assert_close(out.y[i], y_ref)
    torch.testing.assert_close(out.h, m.activation.fn(out.a))
    torch.testing.assert_close(out.h_last, out.h[:, -1])


def test_default_initial_state_is_zero_and_shared_h0_broadcasts():
    m = make()
    x = torch.randn(3, 4, 3, dtype=F64)
    torch.testing.assert_close(m(x).h, m(x, h0=torch.zeros(5, dtype=F64)).h)
    h0 = torch.randn(5, dtype=F64)
    torch.testing.assert_close(m(x, h0=h0).h, m(x, h0=h0.expand(3, 5).clone()).h)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_bptt_gradients_equal_autograd(act):
    x = torch.randn(3, 7, 3, dtype=F64)
    grads = {}
    for mode in ("bptt", "autograd"):
        m = make(act, output="sigmoid", grad=mode)
        h0 = torch.linspace(-1, 1, 5, dtype=F64, requires_grad=True)
        out = m(x, h0=h0)
        loss = (out.y ** 2).sum() + 0.3 * out.a.sum() + out.h_last.pow(3).sum()
        grads[mode] = torch.autograd.grad(loss, [*m.parameters(), h0])
    for g_bptt, g_auto in zip(grads["bptt"], grads["autograd"]):
        torch.testing.assert_close(g_bptt, g_auto, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_bptt_passes_gradcheck_in_float64(act):
    torch.manual_seed(1)
    p = torch.randn(5, 2, 4, dtype=F64, requires_grad=True)
    W = (0.5 * torch.randn(4, 4, dtype=F64)).requires_grad_()
    h0 = torch.randn(2, 4, dtype=F64, requires_grad=True)
    fn = get_activation(act)
    assert torch.autograd.gradcheck(lambda p, W, h0: BPTT.apply(p, W, h0, fn), (p, W, h0))


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_bptt_forward_mode_passes_gradcheck_in_float64(act):
    """BPTT.jvp (the R-operator recursion) against finite differences, for tangents of p, W and h0."""
    torch.manual_seed(1)
    p = torch.randn(5, 2, 4, dtype=F64, requires_grad=True)
    W = (0.5 * torch.randn(4, 4, dtype=F64)).requires_grad_()
    h0 = torch.randn(2, 4, dtype=F64, requires_grad=True)
    fn = get_activation(act)
    assert torch.autograd.gradcheck(lambda p, W, h0: BPTT.apply(p, W, h0, fn), (p, W, h0),
                                    check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_forward_mode_through_the_srn_matches_autograd(act):
    """torch.func.jvp of the whole SRN (lengths, h0) is the same with grad="bptt" and grad="autograd"."""
    from torch.func import functional_call, jvp

    torch.manual_seed(3)
    a = SRN(3, 5, 2, activation=act, dtype=F64)
    b = SRN(3, 5, 2, activation=act, dtype=F64, grad="autograd")
    b.load_state_dict(a.state_dict())
    x, h0, lengths = torch.randn(4, 6, 3, dtype=F64), torch.randn(5, dtype=F64), torch.tensor([6, 3, 5, 1])
    theta = flatten_parameters(a).detach()
    v = torch.randn_like(theta)

    def f(m):
        return lambda t: functional_call(m, unflatten_parameters(m, t), (x,), {"lengths": lengths, "h0": h0}).y

    torch.testing.assert_close(jvp(f(a), (theta,), (v,))[1], jvp(f(b), (theta,), (v,))[1], rtol=1e-12, atol=1e-12)


def test_bptt_delta_recursion_by_hand():
    """delta_t = sigma'(a_t) (local_t + W^T delta_{t+1}), computed here with explicit loops."""
    torch.manual_seed(2)
    T, d = 4, 3
    p = torch.randn(T, 1, d, dtype=F64, requires_grad=True)
    W = torch.randn(d, d, dtype=F64, requires_grad=True)
    h0 = torch.zeros(1, d, dtype=F64)
    a, h = BPTT.apply(p, W, h0, get_activation("tanh"))
    local = torch.randn(T, 1, d, dtype=F64)
    (h * local).sum().backward()
    delta = [None] * T
    nxt = torch.zeros(d, dtype=F64)
    for t in reversed(range(T)):
        s = 1 - h[t, 0].detach() ** 2
        delta[t] = s * (local[t, 0] + W.detach().t() @ nxt)
        nxt = delta[t]
    torch.testing.assert_close(p.grad[:, 0], torch.stack(delta))
    hp = torch.cat([h0, h[:-1, 0].detach()])
    torch.testing.assert_close(W.grad, sum(torch.outer(delta[t], hp[t]) for t in range(T)))


def test_custom_activation_with_its_derivative():
    softsign = lambda a: a / (1 + a.abs())  # noqa: E731
    dsoftsign = lambda a: 1 / (1 + a.abs()) ** 2  # noqa: E731
    x = torch.randn(2, 5, 3, dtype=F64)
    torch.manual_seed(0)
    m = SRN(3, 4, 1, activation=softsign, activation_derivative=dsoftsign, dtype=F64)
    g1 = torch.autograd.grad(m(x).y.sum(), list(m.parameters()))
    m.grad = "autograd"
    g2 = torch.autograd.grad(m(x).y.sum(), list(m.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("grad", ["bptt", "autograd"])
def test_padding_has_no_effect_on_results_or_gradients(grad):
    m = make("sigmoid", output="sigmoid", grad=grad)
    lengths = [6, 2, 4]
    x = torch.randn(3, 6, 3, dtype=F64)
    x_noisy = x.clone()
    for i, n in enumerate(lengths):
        x_noisy[i, n:] = 100 * torch.randn(6 - n, 3, dtype=F64)  # garbage in the padding

    def loss_and_grads(inputs):
        out = m(inputs, lengths=lengths)
        loss = (out.y ** 2).sum() + out.h_last.sum()
        return out, torch.autograd.grad(loss, list(m.parameters()))

    out, grads = loss_and_grads(x)
    out_noisy, grads_noisy = loss_and_grads(x_noisy)
    for field in ("h", "a", "y", "h_last"):
        torch.testing.assert_close(getattr(out, field), getattr(out_noisy, field), rtol=0, atol=0)
    for g, g_noisy in zip(grads, grads_noisy):
        torch.testing.assert_close(g, g_noisy, rtol=0, atol=0)

    # ... and every sequence gives what it gives alone, at its own length.
    sep_grads = [torch.zeros_like(p) for p in m.parameters()]
    for i, n in enumerate(lengths):
        alone = m(x[i:i + 1, :n])
        torch.testing.assert_close(out.h[i, :n], alone.h[0])
        torch.testing.assert_close(out.h_last[i], alone.h_last[0])
        assert bool((out.h[i, n:] == 0).all()) and bool((out.y[i, n:] == 0).all())
        loss = (alone.y ** 2).sum() + alone.h_last.sum()
        for acc, g in zip(sep_grads, torch.autograd.grad(loss, list(m.parameters()))):
            acc += g
    for g, g_sep in zip(grads, sep_grads):
        torch.testing.assert_close(g, g_sep)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_round_trip_with_torch_rnn(act):
    m = make(act, output="identity")
    rnn, readout = m.to_torch()
    x = torch.randn(2, 5, 3, dtype=F64)
    h0 = torch.randn(2, 5, dtype=F64)
    h_torch, h_n = rnn(x, h0.unsqueeze(0))
    out = m(x, h0=h0)
    torch.testing.assert_close(out.h, h_torch)
    torch.testing.assert_close(out.h_last, h_n[0])
    torch.testing.assert_close(out.y, readout(h_torch))
    back = SRN.from_torch(rnn, readout)
    for name, p in m.named_parameters():
        torch.testing.assert_close(back.get_parameter(name), p)
    assert back.activation.name == act


def test_from_torch_adds_the_two_torch_biases():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 4, batch_first=True, dtype=F64)
    m = SRN.from_torch(rnn, output_size=2)
    torch.testing.assert_close(m.b, rnn.bias_ih_l0 + rnn.bias_hh_l0)
    x = torch.randn(2, 5, 3, dtype=F64)
    torch.testing.assert_close(m(x).h, rnn(x)[0])


def test_flat_parameters_round_trip_and_order():
    m = make()
    theta = flatten_parameters(m)
    assert theta.numel() == 5 * 3 + 5 * 5 + 2 * 5 + 5 + 2
    torch.testing.assert_close(theta[:15], m.U.reshape(-1))
    parts = unflatten_parameters(m, theta * 2)
    assert list(parts) == ["U", "W", "V", "b", "c"]
    torch.testing.assert_close(parts["W"], 2 * m.W)
    load_flat_parameters(m, theta * 3)
    torch.testing.assert_close(flatten_parameters(m), theta * 3)
    x = torch.randn(2, 4, 3, dtype=F64)
    y = torch.func.functional_call(m, unflatten_parameters(m, theta), (x,)).y
    load_flat_parameters(m, theta)
    torch.testing.assert_close(y, m(x).y)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"activation": "softplus"}, "activation must be one of"),
        ({"activation": torch.sin}, "activation_derivative"),
        ({"output": "relu"}, "output must be one of"),
        ({"grad": "finite-differences"}, "grad must be one of"),
        ({"hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"input_size": 2.5}, "input_size must be a positive integer"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, match):
    args = {"input_size": 3, "hidden_size": 4, "output_size": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        SRN(**args)


@pytest.mark.parametrize(
    "x, kwargs, match",
    [
        (torch.randn(4, 3), {}, r"x must have 3 dimensions"),
        (torch.randn(2, 4, 7), {}, r"x must have shape \(B, T, 3\)"),
        (torch.randn(2, 4, 3, dtype=F64), {}, "x must have dtype torch.float32"),
        (torch.full((2, 4, 3), float("nan")), {}, "x contains NaN"),
        (torch.randn(2, 4, 3), {"lengths": [4, 5]}, r"lengths must lie in \[1, 4\]"),
        (torch.randn(2, 4, 3), {"lengths": [0, 2]}, r"lengths must lie in \[1, 4\]"),
        (torch.randn(2, 4, 3), {"lengths": [4]}, r"lengths must have shape \(2,\)"),
        (torch.randn(2, 4, 3), {"lengths": [4.0, 2.0]}, "lengths must be 2 integers"),
        (torch.randn(2, 4, 3), {"h0": torch.zeros(3)}, r"h0 must have shape \(4,\)"),
        (torch.randn(2, 4, 3), {"h0": torch.zeros(3, 4)}, r"h0 must have shape"),
        (torch.randn(2, 4, 3), {"h0": torch.zeros(4, dtype=F64)}, "h0 must have dtype"),
        ([[0.0]], {}, "x must be a torch.Tensor"),
    ],
)
def test_bad_forward_input_is_named(x, kwargs, match):
    m = SRN(3, 4, 1)
    with pytest.raises(ValueError, match=match):
        m(x, **kwargs)


def test_conversion_errors_are_named():
    with pytest.raises(ValueError, match="torch.nn.RNN supports activation 'tanh' or 'relu'"):
        SRN(3, 4, 1, activation="sigmoid").to_torch()
    with pytest.raises(ValueError, match="num_layers=1"):
        SRN.from_torch(nn.RNN(3, 4, num_layers=2), output_size=1)
    with pytest.raises(ValueError, match="give readout"):
        SRN.from_torch(nn.RNN(3, 4))
    with pytest.raises(ValueError, match="readout must be a torch.nn.Linear with in_features=4"):
        SRN.from_torch(nn.RNN(3, 4), nn.Linear(5, 1))
    with pytest.raises(ValueError, match="theta must have 57 entries"):
        unflatten_parameters(make(), torch.zeros(3, dtype=F64))


def test_from_torch_with_a_readout_without_bias_has_zero_c():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 4, nonlinearity="relu", batch_first=True, dtype=F64)
    readout = nn.Linear(4, 2, bias=False, dtype=F64)
    m = SRN.from_torch(rnn, readout)
    assert bool((m.c == 0).all()) and m.activation.name == "relu"
    x = torch.randn(2, 5, 3, dtype=F64)
    torch.testing.assert_close(m(x).y, readout(rnn(x)[0]))


# --------------------------------------------------------------------------- higher derivatives (issue 20)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_bptt_passes_gradgradcheck_in_float64(act):
    """The explicit backward is itself differentiable: double backward agrees with finite differences."""
    torch.manual_seed(1)
    p = torch.randn(4, 2, 3, dtype=F64, requires_grad=True)
    W = (0.5 * torch.randn(3, 3, dtype=F64)).requires_grad_()
    h0 = torch.randn(2, 3, dtype=F64, requires_grad=True)
    fn = get_activation(act)
    assert torch.autograd.gradgradcheck(lambda p, W, h0: BPTT.apply(p, W, h0, fn), (p, W, h0))


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_tiny_srn_passes_gradcheck_and_gradgradcheck_in_x_and_the_parameters(act):
    m = make(act, u=2, d=3, o=1, output="sigmoid")
    x = torch.randn(2, 3, 2, dtype=F64, requires_grad=True)

    def f(x, *params):
        return torch.func.functional_call(m, dict(zip(["U", "W", "V", "b", "c"], params)), (x,)).y

    inputs = (x, *(p.detach().clone().requires_grad_() for p in m.parameters()))
    assert torch.autograd.gradcheck(f, inputs)
    assert torch.autograd.gradgradcheck(f, inputs)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gradient_and_hessian_vector_product_equal_autograd_with_x_requiring_grad(act):
    """Inputs that require grad, and create_graph=True, give autograd's numbers (no out= in the way)."""
    results = {}
    for mode in ("bptt", "autograd"):
        m = make(act, output="sigmoid", grad=mode)
        x = torch.linspace(-1, 1, 2 * 4 * 3, dtype=F64).view(2, 4, 3).requires_grad_(True)
        loss = (m(x, torch.tensor([4, 2])).y ** 2).sum()
        gx, gW = torch.autograd.grad(loss, [x, m.W], create_graph=True)
        hv = torch.autograd.grad((gW * torch.ones_like(gW)).sum() + gx.sum(), [x, m.W, m.U])
        results[mode] = (gx, gW, *hv)
    for got, want in zip(results["bptt"], results["autograd"]):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_bptt_forward_called_directly_on_tensors_requiring_grad_is_recorded_by_autograd():
    p = torch.randn(3, 2, 4, dtype=F64, requires_grad=True)
    W = torch.randn(4, 4, dtype=F64, requires_grad=True)
    a, h = BPTT.forward(p, W, torch.zeros(2, 4, dtype=F64), get_activation("tanh"))
    assert a.requires_grad and h.requires_grad
    torch.testing.assert_close(h, torch.tanh(a))


def test_bptt_refuses_gradients_of_the_wrong_shape_by_name():
    p, W = torch.randn(3, 2, 4, dtype=F64), torch.randn(4, 4, dtype=F64, requires_grad=True)
    a, h = BPTT.apply(p, W, torch.zeros(2, 4, dtype=F64), get_activation("tanh"))
    with pytest.raises(ValueError, match=r"grad_h must have shape \(3, 2, 4\)"):
        BPTT.backward(h.grad_fn, None, torch.ones(3, 2, 5, dtype=F64))
    with pytest.raises(ValueError, match="W must have shape"):
        BPTT.apply(p, torch.randn(4, 5, dtype=F64), torch.zeros(2, 4, dtype=F64), get_activation("tanh"))


# --------------------------------------------------------------------------- lengths (issue 20)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64])
def test_lengths_of_any_integer_dtype_give_the_same_result(dtype):
    m = make()
    x = torch.randn(3, 5, 3, dtype=F64)
    want = m(x, torch.tensor([5, 2, 1]))
    got = m(x, torch.tensor([5, 2, 1], dtype=dtype))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)
    torch.testing.assert_close(m(x, [5, 2, 1]).h_last, want.h_last)
    torch.testing.assert_close(m(x, np.array([5, 2, 1], dtype=np.uint8)).h_last, want.h_last)


@pytest.mark.parametrize("lengths, match", [
    (torch.tensor([5, 6, 1]), r"lengths must lie in \[1, 5\]"),
    (torch.tensor([0, 2, 1], dtype=torch.uint8), r"lengths must lie in \[1, 5\]"),
    (torch.tensor([[5, 2, 1]]), "lengths must have 1 dimensions"),
    (torch.tensor([5, 2]), r"lengths must have shape \(3,\)"),
    (torch.tensor([True, True, True]), "lengths must have an integer dtype"),
    (torch.tensor([5.0, 2.0, 1.0]), "lengths must have an integer dtype"),
    ("523", "lengths must be an integer torch.Tensor"),
])
def test_bad_lengths_are_refused_by_name(lengths, match):
    with pytest.raises(ValueError, match=match):
        make()(torch.randn(3, 5, 3, dtype=F64), lengths)


# --------------------------------------------------------------------------- sizes (issue 20)


def test_a_huge_srn_is_refused_before_its_parameters_are_allocated():
    with pytest.raises(ValueError, match=r"hidden_size=60000.*13.4 GiB, more than the package's memory limit"):
        SRN(2, 60000, 1)


def test_a_forward_pass_beyond_the_memory_limit_is_refused(one_mebibyte):
    m = make(d=64)
    m(torch.zeros(2, 4, 3, dtype=F64))  # small: fine
    with pytest.raises(ValueError, match="x: the states and outputs of 64 sequences of 100 steps would need"):
        m(torch.zeros(64, 100, 3, dtype=F64))


# --------------------------------------------------------------------------- ignored arguments (issue 20)


def test_arguments_the_configuration_would_ignore_are_refused():
    with pytest.raises(ValueError, match="activation_derivative is only for a callable activation"):
        SRN(2, 3, 1, activation="tanh", activation_derivative=lambda a: 1 - torch.tanh(a) ** 2)
    with pytest.raises(ValueError, match="give readout .* or output_size, not both"):
        SRN.from_torch(nn.RNN(3, 4), nn.Linear(4, 1), output_size=2)
    with pytest.raises(ValueError, match="theta must have dtype torch.float64"):
        unflatten_parameters(make(), torch.zeros(57))
