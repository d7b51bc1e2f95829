"""Specification of srnbook.gated: the LSTM (1997 and with a forget gate), the GRU and the SCRN."""

import pytest
import torch
from torch import nn

from srnbook.gated import GRU, LSTM, SCRN

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def lstm_like_torch(u=3, d=4, seed=0):
    """An LSTM and a torch.nn.LSTM with the same weights."""
    torch.manual_seed(seed)
    ref = nn.LSTM(u, d, batch_first=True, dtype=F64)
    model = LSTM(u, d, dtype=F64)
    with torch.no_grad():
        model.weight_ih.copy_(ref.weight_ih_l0)
        model.weight_hh.copy_(ref.weight_hh_l0)
        model.bias.copy_(ref.bias_ih_l0 + ref.bias_hh_l0)
    return model, ref


def gru_like_torch(u=3, d=4, seed=0):
    """A GRU and a torch.nn.GRU with the same weights."""
    torch.manual_seed(seed)
    ref = nn.GRU(u, d, batch_first=True, dtype=F64)
    model = GRU(u, d, dtype=F64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(model, name).copy_(getattr(ref, name + "_l0"))
    return model, ref


def inputs(B=3, T=6, u=3, seed=1):
    return torch.randn(B, T, u, dtype=F64, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------- shapes


def test_parameter_shapes_stack_the_gates_in_torch_order():
    assert LSTM(2, 3).weight_ih.shape == (12, 2)
    assert LSTM(2, 3).weight_hh.shape == (12, 3)
    assert LSTM(2, 3).bias.shape == (12,)
    assert LSTM(2, 3, forget_gate=False).weight_ih.shape == (9, 2)  # i, g, o: no f rows
    assert GRU(2, 3).bias_hh.shape == (9,)
    s = SCRN(2, 3, 5)
    assert (s.B.shape, s.A.shape, s.P.shape, s.R.shape) == ((5, 2), (3, 2), (3, 5), (3, 3))


def test_outputs_are_batch_first():
    x = torch.zeros(4, 5, 2)
    out = LSTM(2, 3)(x)
    assert [tuple(v.shape) for v in out] == [(4, 5, 3), (4, 5, 3), (4, 3), (4, 3)]
    out = GRU(2, 3)(x)
    assert [tuple(v.shape) for v in out] == [(4, 5, 3), (4, 3)]
    out = SCRN(2, 3, 6)(x)
    assert [tuple(v.shape) for v in out] == [(4, 5, 3), (4, 5, 6), (4, 3), (4, 6)]


# ---------------------------------------------------------------------- equal to torch


def test_lstm_with_forget_gate_is_torch_lstm():
    model, ref = lstm_like_torch()
    x = inputs()
    h0 = torch.randn(3, 4, dtype=F64)
    c0 = torch.randn(3, 4, dtype=F64)
    out = model(x, state=(h0, c0))
    y, (hn, cn) = ref(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
    torch.testing.assert_close(out.h, y, atol=1e-12, rtol=0)
    torch.testing.assert_close(out.h_last, hn[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(out.c_last, cn[0], atol=1e-12, rtol=0)


def test_lstm_with_lengths_is_torch_lstm_on_each_truncated_sequence():
    model, ref = lstm_like_torch()
    x = inputs(B=3, T=6)
    lengths = torch.tensor([6, 2, 4])
    out = model(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        y, (hn, cn) = ref(x[i:i + 1, :n])
        torch.testing.assert_close(out.h[i, :n], y[0], atol=1e-12, rtol=0)
        torch.testing.assert_close(out.h_last[i], hn[0, 0], atol=1e-12, rtol=0)
        torch.testing.assert_close(out.c_last[i], cn[0, 0], atol=1e-12, rtol=0)
        assert torch.all(out.h[i, n:] == 0) and torch.all(out.c[i, n:] == 0)


def test_gru_is_torch_gru():
    model, ref = gru_like_torch()
    x = inputs()
    h0 = torch.randn(3, 4, dtype=F64)
    out = model(x, state=h0)
    y, hn = ref(x, h0.unsqueeze(0))
    torch.testing.assert_close(out.h, y, atol=1e-12, rtol=0)
    torch.testing.assert_close(out.h_last, hn[0], atol=1e-12, rtol=0)


def test_gru_with_lengths_is_torch_gru_on_each_truncated_sequence():
    model, ref = gru_like_torch()
    x = inputs(B=3, T=6)
    lengths = [3, 6, 1]
    out = model(x, lengths)
    for i, n in enumerate(lengths):
        y, hn = ref(x[i:i + 1, :n])
        torch.testing.assert_close(out.h[i, :n], y[0], atol=1e-12, rtol=0)
        torch.testing.assert_close(out.h_last[i], hn[0, 0], atol=1e-12, rtol=0)
        assert torch.all(out.h[i, n:] == 0)


# ---------------------------------------------------------------------- the 1997 LSTM


def test_lstm_without_forget_gate_has_the_constant_error_carousel():
    """c_t - c_{t-1} = i_t * g_t: the cell adds to its content and never scales it."""
    torch.manual_seed(0)
    model = LSTM(3, 4, forget_gate=False, dtype=F64)
    x = inputs()
    out = model(x)
    W_i, W_g, _ = model.weight_ih.chunk(3)
    R_i, R_g, _ = model.weight_hh.chunk(3)
    b_i, b_g, _ = model.bias.chunk(3)
    h_prev, c_prev = torch.zeros(3, 4, dtype=F64), torch.zeros(3, 4, dtype=F64)
    for t in range(x.shape[1]):
        i = torch.sigmoid(x[:, t] @ W_i.t() + h_prev @ R_i.t() + b_i)
        g = torch.tanh(x[:, t] @ W_g.t() + h_prev @ R_g.t() + b_g)
        torch.testing.assert_close(out.c[:, t] - c_prev, i * g, atol=1e-14, rtol=0)
        h_prev, c_prev = out.h[:, t], out.c[:, t]


def test_lstm_without_forget_gate_never_forgets_with_closed_input_gates():
    """Input gates shut (large negative bias): the cell keeps c_0 exactly, for any input."""
    torch.manual_seed(0)
    model = LSTM(3, 4, forget_gate=False, dtype=F64)
    with torch.no_grad():
        model.weight_ih[:4].zero_()
        model.weight_hh[:4].zero_()
        model.bias[:4].fill_(-1e4)  # sigmoid(-1e4) == 0 in float64
    c0 = torch.randn(4, dtype=F64)
    out = model(inputs(), state=(torch.zeros(4, dtype=F64), c0))
    assert torch.equal(out.c, c0.expand(3, 6, 4))


# ---------------------------------------------------------------------- SCRN


def test_scrn_context_follows_the_leaky_recurrence():
    torch.manual_seed(0)
    alpha = 0.9
    model = SCRN(3, 4, 5, alpha=alpha, dtype=F64)
    x = inputs()
    s0 = torch.randn(3, 5, dtype=F64)
    out = model(x, state=(torch.zeros(4, dtype=F64), s0))
    s = s0
    for t in range(x.shape[1]):
        s = (1 - alpha) * (x[:, t] @ model.B.t()) + alpha * s
        torch.testing.assert_close(out.s[:, t], s, atol=1e-14, rtol=0)
    h = torch.zeros(3, 4, dtype=F64)
    for t in range(x.shape[1]):
        h = torch.sigmoid(out.s[:, t] @ model.P.t() + x[:, t] @ model.A.t() + h @ model.R.t())
        torch.testing.assert_close(out.h[:, t], h, atol=1e-14, rtol=0)


def test_scrn_context_ignores_the_hidden_units():
    torch.manual_seed(0)
    model = SCRN(3, 4, 5, dtype=F64)
    x = inputs()
    s = model(x).s
    with torch.no_grad():
        model.R.mul_(3.0)
        model.A.zero_()
    assert torch.equal(model(x).s, s)


# ---------------------------------------------------------------------- padding


@pytest.mark.parametrize("make", [lambda: LSTM(3, 4, dtype=F64),
                                  lambda: LSTM(3, 4, forget_gate=False, dtype=F64),
                                  lambda: GRU(3, 4, dtype=F64), lambda: SCRN(3, 4, 2, dtype=F64)])
def test_padded_steps_leave_the_state_unchanged(make):
    torch.manual_seed(0)
    model = make()
    x = inputs(B=2, T=5)
    lengths = torch.tensor([5, 3])
    padded = model(x, lengths)
    changed = x.clone()
    changed[1, 3:] = 100.0  # the padding itself has no effect
    again = model(changed, lengths)
    short = model(x[1:, :3])
    for name in padded._fields:
        assert torch.equal(getattr(padded, name), getattr(again, name)), name
        if name.endswith("_last"):
            torch.testing.assert_close(getattr(padded, name)[1], getattr(short, name)[0], atol=1e-14, rtol=0)
    sequences = [f for f in padded._fields if not f.endswith("_last")]
    for name in sequences:
        assert torch.all(getattr(padded, name)[1, 3:] == 0), name


def test_padding_has_no_gradient():
    torch.manual_seed(0)
    model = LSTM(3, 4, dtype=F64)
    x = inputs(B=2, T=5).requires_grad_(True)
    out = model(x, torch.tensor([5, 3]))
    (out.h.sum() + out.c_last.sum()).backward()
    assert torch.all(x.grad[1, 3:] == 0)


# ---------------------------------------------------------------------- gradients


@pytest.mark.parametrize("make", [lambda: LSTM(2, 2, dtype=F64),
                                  lambda: LSTM(2, 2, forget_gate=False, dtype=F64),
                                  lambda: GRU(2, 2, dtype=F64), lambda: SCRN(2, 2, 2, dtype=F64)])
def test_gradcheck_wrt_inputs_and_parameters(make):
    torch.manual_seed(0)
    model = make()
    x = inputs(B=2, T=3, u=2).requires_grad_(True)
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in model.parameters())

    def f(x, *ps):
        out = torch.func.functional_call(model, dict(zip(names, ps)), (x, torch.tensor([3, 2])))
        return tuple(out)

    assert torch.autograd.gradcheck(f, (x, *params))


# ---------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("call, name", [
    (lambda: LSTM(0, 3), "input_size"),
    (lambda: LSTM(2, 1.5), "hidden_size"),
    (lambda: LSTM(2, 3, forget_gate="yes"), "forget_gate"),
    (lambda: LSTM(2, 3, dtype=torch.int64), "dtype"),
    (lambda: GRU(2, -1), "hidden_size"),
    (lambda: SCRN(2, 3, 0), "context_size"),
    (lambda: SCRN(2, 3, 4, alpha=1.5), "alpha"),
    (lambda: SCRN(2, 3, 4, alpha=float("nan")), "alpha"),
])
def test_bad_constructor_arguments_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_huge_models_are_refused_before_allocation(one_mebibyte):
    with pytest.raises(ValueError, match="hidden_size"):
        LSTM(10, 10**6)


X = torch.zeros(2, 4, 3, dtype=F64)


@pytest.mark.parametrize("call, name", [
    (lambda m: m(X.float()), "x"),
    (lambda m: m(X[0]), "x"),
    (lambda m: m(torch.zeros(2, 4, 5, dtype=F64)), "x"),
    (lambda m: m(torch.full((2, 4, 3), float("nan"), dtype=F64)), "x"),
    (lambda m: m(X, torch.tensor([4, 5])), "lengths"),
    (lambda m: m(X, torch.tensor([0, 2])), "lengths"),
    (lambda m: m(X, torch.tensor([4.0, 2.0])), "lengths"),
    (lambda m: m(X, torch.tensor([4])), "lengths"),
    (lambda m: m(X, state=torch.zeros(2, 4, dtype=F64)), "state"),
    (lambda m: m(X, state=(torch.zeros(2, 4, dtype=F64), torch.zeros(3, 4, dtype=F64))), "state"),
    (lambda m: m(X, state=(torch.zeros(2, 4, dtype=F64), torch.zeros(2, 4))), "state"),
])
def test_bad_lstm_inputs_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call(LSTM(3, 4, dtype=F64))


@pytest.mark.parametrize("call, name", [
    (lambda m: m(X, state=torch.zeros(2, 5, dtype=F64)), "state"),
    (lambda m: m(X, state=(torch.zeros(4, dtype=F64),)), "state"),
    (lambda m: m(X, lengths=[1, 9]), "lengths"),
])
def test_bad_gru_inputs_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call(GRU(3, 4, dtype=F64))


def test_bad_scrn_state_names_the_argument():
    with pytest.raises(ValueError, match=r"state\[1\] \(s0\)"):
        SCRN(3, 4, 2, dtype=F64)(X, state=(torch.zeros(4, dtype=F64), torch.zeros(4, dtype=F64)))


# ---------------------------------------------------------------------- Jacobians of the carried state

from srnbook import SRN  # noqa: E402
from srnbook.gated import Readout, cell_jacobian_norms, lstm_trace, state_jacobians  # noqa: E402


def _reference(model, x, k):
    """d s_T / d s_k by autograd through the model's own forward, from the state after k steps."""
    B = x.shape[0]
    rows = torch.arange(B)
    if isinstance(model, SRN):
        start = model(x[:, :k]).h[:, -1] if k else x.new_zeros(B, model.hidden_size)
        J = torch.autograd.functional.jacobian(lambda h: model(x[:, k:], h0=h).h[:, -1], start)
        return J[rows, :, rows]
    if isinstance(model, GRU):
        start = model(x[:, :k]).h_last if k else x.new_zeros(B, model.hidden_size)
        J = torch.autograd.functional.jacobian(lambda h: model(x[:, k:], state=h).h_last, start)
        return J[rows, :, rows]
    out = model(x[:, :k])
    start = (out[2], out[3])
    J = torch.autograd.functional.jacobian(lambda a, b: torch.cat(model(x[:, k:], state=(a, b))[2:], -1), start)
    return torch.cat([j[rows, :, rows] for j in J], -1)


@pytest.mark.parametrize("make", [
    lambda: LSTM(2, 3, forget_gate=False, dtype=F64), lambda: LSTM(2, 3, dtype=F64),
    lambda: GRU(2, 3, dtype=F64), lambda: SCRN(2, 3, 2, alpha=0.7, dtype=F64),
    lambda: SRN(2, 3, 1, activation="tanh", dtype=F64)])
def test_state_jacobians_match_autograd(make):
    torch.manual_seed(0)
    model = make()
    x = torch.randn(2, 6, 2, dtype=F64)
    J = state_jacobians(model, x)
    assert torch.equal(J[:, 0], torch.eye(J.shape[-1], dtype=F64).expand_as(J[:, 0]))
    for k in (1, 3, 5):
        torch.testing.assert_close(J[:, 6 - k], _reference(model, x, k), atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("forget_gate", [False, True])
def test_truncated_lstm_carousel(forget_gate):
    torch.manual_seed(1)
    model = LSTM(2, 4, forget_gate=forget_gate, dtype=F64)
    x = torch.randn(3, 8, 2, dtype=F64)
    J = state_jacobians(model, x, truncated=True)[..., 4:, 4:]
    f = lstm_trace(model, x).f  # (B, T, d)
    expected = torch.ones(3, 4, dtype=F64)
    for n in range(1, 9):
        expected = expected * f[:, 8 - n]
        torch.testing.assert_close(J[:, n], torch.diag_embed(expected), atol=1e-14, rtol=0)
    if not forget_gate:
        assert torch.equal(J[:, 8], torch.eye(4, dtype=F64).expand(3, 4, 4))


def test_cell_jacobian_norms_parts_and_scrn_decay():
    torch.manual_seed(0)
    scrn = SCRN(2, 3, 4, alpha=0.9, dtype=F64)
    x = torch.randn(2, 5, 2, dtype=F64)
    norms = cell_jacobian_norms(scrn, x)
    torch.testing.assert_close(norms, (0.9 ** torch.arange(6, dtype=F64)).expand(2, 6))
    lstm = LSTM(2, 3, dtype=F64)
    full = cell_jacobian_norms(lstm, x, part="state", ord="fro")
    J = state_jacobians(lstm, x)
    torch.testing.assert_close(full, torch.linalg.matrix_norm(J, "fro"))
    assert cell_jacobian_norms(lstm, x).shape == (2, 6)


def test_state_jacobians_refuse_bad_input():
    lstm = LSTM(2, 3)
    with pytest.raises(ValueError, match="truncated"):
        state_jacobians(GRU(2, 3), torch.zeros(1, 2, 2), truncated=True)
    with pytest.raises(TypeError, match="model"):
        state_jacobians(nn.Linear(2, 3), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="x"):
        state_jacobians(lstm, torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="part"):
        cell_jacobian_norms(lstm, torch.zeros(1, 2, 2), part="cells")
    with pytest.raises(ValueError, match="ord"):
        cell_jacobian_norms(lstm, torch.zeros(1, 2, 2), ord=3)


def test_lstm_trace_matches_forward():
    torch.manual_seed(0)
    for forget_gate in (False, True):
        model = LSTM(2, 3, forget_gate=forget_gate, dtype=F64)
        x = torch.randn(2, 5, 2, dtype=F64)
        trace, out = lstm_trace(Readout(model, 1), x), model(x)
        torch.testing.assert_close(trace.c, out.c)
        torch.testing.assert_close(trace.h, out.h)
        torch.testing.assert_close(trace.c[:, 1:], trace.f[:, 1:] * trace.c[:, :-1] + trace.i[:, 1:] * trace.g[:, 1:])
    with pytest.raises(TypeError, match="model"):
        lstm_trace(Readout(GRU(2, 3), 1), torch.zeros(1, 2, 2))
