"""Specification of srnbook.gradients: Jacobian products, bounds, temporal components and remedies."""

import math

import pytest
import torch

from srnbook import SRN, get_activation
from srnbook.gradients import (
    NormalizedComponents,
    clip_grad_norm_,
    enabled_paths,
    hochreiter_bound,
    init_esn,
    init_identity,
    init_orthogonal,
    init_small_random,
    init_sparse,
    input_memory,
    jacobian_norms,
    jacobian_products,
    lag_profile,
    matrix_norm,
    normalized_direction,
    omega,
    simplex_weights,
    singular_value_bound,
    spectral_radius,
    temporal_components,
)

F64 = torch.float64
ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]
OUTPUT_OF = {"sigmoid": torch.sigmoid, "identity": lambda z: z, "softmax": lambda z: torch.softmax(z, -1)}


def make(act="tanh", u=2, d=4, o=2, output="identity", seed=0, **kw):
    torch.manual_seed(seed)
    return SRN(u, d, o, activation=act, output=output, dtype=F64, **kw)


def inputs(B=2, T=5, u=2, seed=1):
    return torch.randn(B, T, u, dtype=F64, generator=torch.Generator().manual_seed(seed))


def squared_error(target):
    return lambda y: ((y - target) ** 2).sum()


def reference_run(m, x, h0=None, e_a=None, e_h=None):
    """Definition 1 for one sequence ``x`` (T, u), with optional perturbations added to a_t and h_t."""
    h = torch.zeros(m.hidden_size, dtype=F64) if h0 is None else h0
    a_list, h_list = [], []
    for t in range(x.shape[0]):
        a = m.U @ x[t] + m.W @ h + m.b
        if e_a is not None:
            a = a + e_a[t]
        h = m.activation.fn(a)
        if e_h is not None:
            h = h + e_h[t]
        a_list.append(a)
        h_list.append(h)
    a, h = torch.stack(a_list), torch.stack(h_list)
    return a, h, OUTPUT_OF[m.output](h @ m.V.t() + m.c)


def total_signals(m, x_i, loss_fn, outputs="last"):
    """dL/da_t and dL/dh_t (total derivatives) for one sequence, by autograd on perturbations."""
    T, d = x_i.shape[0], m.hidden_size
    e_a = torch.zeros(T, d, dtype=F64, requires_grad=True)
    e_h = torch.zeros(T, d, dtype=F64, requires_grad=True)
    _, _, y = reference_run(m, x_i, e_a=e_a, e_h=e_h)
    loss = loss_fn(y[None, -1] if outputs == "last" else y[None])
    return torch.autograd.grad(loss, (e_a, e_h))


# ---------------------------------------------------------------------- Jacobian products


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_jacobian_products_match_autograd(act):
    m = make(act, d=3)
    x = inputs(B=2, T=4)
    h0 = torch.randn(2, 3, dtype=F64)
    J = jacobian_products(m, x, h0=h0)
    assert J.shape == (2, 4, 4, 3, 3)
    for i in range(2):
        def a_of(e):
            return reference_run(m, x[i], h0=h0[i], e_a=e)[0]
        ref = torch.autograd.functional.jacobian(a_of, torch.zeros(4, 3, dtype=F64))  # (T, d, T, d)
        torch.testing.assert_close(J[i], ref.permute(0, 2, 1, 3), rtol=0, atol=1e-12)


def test_jacobian_products_are_identity_on_the_diagonal_and_zero_above():
    m = make("sigmoid", d=3)
    J = jacobian_products(m, inputs(B=1, T=4))[0]
    for t in range(4):
        torch.testing.assert_close(J[t, t], torch.eye(3, dtype=F64))
        for k in range(t + 1, 4):
            assert torch.equal(J[t, k], torch.zeros(3, 3, dtype=F64))
    # one step back is W diag(sigma'(a_k)), not diag(sigma'(a_k)) W
    a = m(inputs(B=1, T=4)).a[0].detach()
    s = torch.sigmoid(a) * (1 - torch.sigmoid(a))
    torch.testing.assert_close(J[2, 1], m.W.detach() @ torch.diag(s[1]))


def test_jacobian_norms_are_the_norms_of_the_products():
    m = make("tanh", d=3)
    x = inputs(B=2, T=4)
    J = jacobian_products(m, x)
    N = jacobian_norms(m, x)
    assert N.shape == (2, 4, 4)
    torch.testing.assert_close(N, torch.linalg.svdvals(J)[..., 0])
    torch.testing.assert_close(jacobian_norms(m, x, ord="max"), J.abs().amax(dim=(-2, -1)))
    torch.testing.assert_close(jacobian_norms(m, x, ord="fro"), torch.linalg.matrix_norm(J))
    torch.testing.assert_close(N.diagonal(dim1=1, dim2=2), torch.ones(2, 4, dtype=F64))
    assert torch.equal(N.triu(1), torch.zeros_like(N))


# ---------------------------------------------------------------------- bounds


def test_lag_profile_reduces_each_diagonal_over_batch_and_time():
    norms = jacobian_norms(make(d=3), inputs(B=3, T=6))
    top, mid = lag_profile(norms), lag_profile(norms, "median")
    assert top.shape == (6,) and torch.allclose(top[0], torch.tensor(1.0, dtype=F64))
    for n in range(6):
        values = torch.stack([norms[i, t, t - n] for i in range(3) for t in range(n, 6)])
        assert top[n] == values.max() and mid[n] == values.median()


def test_lag_profile_rejects_bad_input():
    with pytest.raises(ValueError, match=r"norms must be \(B, T, T\)"):
        lag_profile(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="norms must have 3 dimensions"):
        lag_profile(torch.ones(3, 3))
    with pytest.raises(ValueError, match="reduce must be one of"):
        lag_profile(torch.ones(1, 3, 3), "mean")


def test_input_memory_is_zero_for_equal_inputs_and_the_state_distance_otherwise():
    model, x = make(d=3), inputs(B=2, T=5)
    assert torch.equal(input_memory(model, x, x.clone()), torch.zeros(2, 5, dtype=F64))
    other = x.clone()
    other[:, 0] += 1.0
    expected = torch.linalg.vector_norm(model(x).h - model(other).h, dim=-1)
    assert torch.allclose(input_memory(model, x, other), expected)
    # a linear network with W = 0.5 I forgets the first input at rate 0.5 per step
    linear = make(act="identity", d=2)
    with torch.no_grad():
        linear.W.copy_(0.5 * torch.eye(2, dtype=F64))
    distance = input_memory(linear, x, other)
    assert torch.allclose(distance[:, 1:] / distance[:, :-1], torch.full((2, 4), 0.5, dtype=F64))


def test_input_memory_rejects_a_second_batch_of_another_shape():
    with pytest.raises(ValueError, match=r"x_other must have the shape of x"):
        input_memory(make(), inputs(B=2, T=5), inputs(B=2, T=4))


def test_bound_values_follow_their_definitions():
    W = torch.tensor([[0.5, -1.0], [0.2, 0.1]], dtype=F64)
    # tau = r * sigma'_max * ||W||_max = 2 * 0.25 * 1
    torch.testing.assert_close(hochreiter_bound(W, "sigmoid", torch.arange(4)),
                               torch.tensor([1.0, 0.5, 0.25, 0.125], dtype=F64))
    mu = torch.linalg.svdvals(W)[0]
    torch.testing.assert_close(singular_value_bound(W, "tanh", 3), mu**3)
    torch.testing.assert_close(singular_value_bound(W, "sigmoid", 2), (0.25 * mu) ** 2)
    # the thesis's data-dependent sigma'_max: tau = 2 * 0.5 * 1
    torch.testing.assert_close(hochreiter_bound(W, "relu", 2, sigma_prime_max=0.5), torch.tensor(1.0, dtype=F64))


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_measured_norms_never_exceed_the_bounds(act, scale):
    m = make(act, u=2, d=4, seed=3)
    with torch.no_grad():
        m.W.mul_(scale)
    x = 2 * inputs(B=3, T=6, seed=4)
    J = jacobian_products(m, x)
    lag = (torch.arange(6)[:, None] - torch.arange(6)[None, :]).clamp(min=0)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    for ord in (2, "max"):
        norms = matrix_norm(J, ord)
        assert bool((norms <= hochreiter_bound(m.W, act, lag) * (1 + 1e-12))[:, causal].all())
    spectral = matrix_norm(J, 2)
    assert bool((spectral <= singular_value_bound(m.W, act, lag) * (1 + 1e-12))[:, causal].all())
    assert bool((singular_value_bound(m.W, act, lag) <= hochreiter_bound(m.W, act, lag) * (1 + 1e-12)).all())


def test_the_exponent_is_t_minus_k_not_t_minus_k_minus_1():
    """W = 2I with the identity activation: da_t/da_k = 2^(t-k) I, which the seeds' exponent t-k-1 would miss."""
    m = make("identity", d=2)
    with torch.no_grad():
        m.W.copy_(2 * torch.eye(2, dtype=F64))
    norms = jacobian_norms(m, inputs(B=1, T=4))[0]
    for t in range(4):
        for k in range(t + 1):
            assert norms[t, k] == 2.0 ** (t - k) == singular_value_bound(m.W, "identity", t - k)
    assert norms[1, 0] > singular_value_bound(m.W, "identity", 0)  # tau^(t-k-1) would be violated


def test_bounds_reject_unknown_activations_and_bad_steps():
    W = torch.eye(3, dtype=F64)
    with pytest.raises(ValueError, match="activation must be one of"):
        hochreiter_bound(W, "softplus", 2)
    with pytest.raises(ValueError, match="give sigma_prime_max"):
        singular_value_bound(W, get_activation(torch.exp, torch.exp), 2)
    with pytest.raises(ValueError, match="steps must be nonnegative"):
        hochreiter_bound(W, "tanh", -1)
    with pytest.raises(ValueError, match="steps must be a nonnegative integer"):
        hochreiter_bound(W, "tanh", 1.5)
    with pytest.raises(ValueError, match=r"W must be a square \(d, d\) matrix"):
        singular_value_bound(torch.ones(2, 3, dtype=F64), "tanh", 1)
    with pytest.raises(ValueError, match="sigma_prime_max must be a nonnegative"):
        hochreiter_bound(W, "tanh", 1, sigma_prime_max=-0.1)
    with pytest.raises(ValueError, match="ord must be one of"):
        jacobian_norms(make(), inputs(), ord="nuc")


# ---------------------------------------------------------------------- the path view


def test_enabled_paths_give_the_relu_jacobian():
    m = make("relu", d=4, seed=5)
    x = inputs(B=2, T=5, seed=6)
    J = jacobian_products(m, x)
    a = m(x).a.detach()
    for t in range(5):
        for k in range(t + 1):
            jac, _ = enabled_paths(m.W, a[:, k:t] > 0)
            torch.testing.assert_close(jac, J[:, t, k], rtol=0, atol=1e-14)


def test_enabled_paths_counts_by_brute_force():
    W = torch.tensor([[0.5, 0.0, -1.0], [2.0, 0.3, 0.0], [0.0, -0.7, 1.1]], dtype=F64)
    g = torch.Generator().manual_seed(0)
    active = torch.rand(4, 3, generator=g) > 0.3  # steps k, ..., k+3
    jac, count = enabled_paths(W, active)
    ref_count = torch.zeros(3, 3, dtype=torch.int64)
    ref_jac = torch.zeros(3, 3, dtype=F64)
    for j in range(3):  # a path j = u_0 -> u_1 -> u_2 -> u_3 -> u_4 = i
        for mid in torch.cartesian_prod(*[torch.arange(3)] * 3):
            path = [j, *mid.tolist()]
            for i in range(3):
                nodes = path + [i]
                weights = [W[nodes[n + 1], nodes[n]] for n in range(4)]
                if all(bool(active[n, nodes[n]]) for n in range(4)) and all(w != 0 for w in weights):
                    ref_count[i, j] += 1
                    ref_jac[i, j] += math.prod(float(w) for w in weights)
    assert torch.equal(count, ref_count)
    torch.testing.assert_close(jac, ref_jac)
    assert bool((jac.abs() <= torch.linalg.matrix_power(W.abs(), 4) + 1e-12).all())


def test_all_enabled_dense_paths_number_d_to_the_t_minus_k_minus_1():
    W = torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(2))
    for n in range(4):
        jac, count = enabled_paths(W, torch.ones(n, 3, dtype=torch.bool))
        expected = torch.eye(3, dtype=torch.int64) if n == 0 else torch.full((3, 3), 3 ** (n - 1))
        assert torch.equal(count, expected)
        torch.testing.assert_close(jac, torch.linalg.matrix_power(W, n))
    _, count = enabled_paths(W, torch.tensor([[True, False, True], [True, True, True]]))
    assert torch.equal(count[:, 1], torch.zeros(3, dtype=torch.int64))  # unit 1 inactive at step k


def test_enabled_paths_reject_bad_masks():
    W = torch.eye(3, dtype=F64)
    with pytest.raises(ValueError, match="active must have dtype torch.bool"):
        enabled_paths(W, torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"active must be a \(\.\.\., n, 3\) boolean tensor"):
        enabled_paths(W, torch.ones(2, 4, dtype=torch.bool))


# ---------------------------------------------------------------------- temporal components


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("outputs,output", [("last", "identity"), ("last", "softmax"), ("all", "sigmoid")])
def test_temporal_components_sum_to_the_autograd_gradient(act, outputs, output):
    m = make(act, output=output, grad="autograd")
    x = inputs(B=3, T=5)
    h0 = torch.randn(3, 4, dtype=F64)
    loss_fn = squared_error(torch.tensor([0.3, -0.2], dtype=F64))
    comps = temporal_components(m, x, loss_fn, h0=h0, outputs=outputs)
    y = m(x, h0=h0).y
    loss_fn(y[:, -1] if outputs == "last" else y).backward()
    for name, p in m.named_parameters():
        assert comps[name].shape == (5, *p.shape)
        torch.testing.assert_close(comps[name].sum(0), p.grad, rtol=0, atol=1e-10)


def test_component_k_is_delta_k_times_h_k_minus_1():
    m = make("tanh", grad="autograd")
    x = inputs(B=1, T=4)
    loss_fn = squared_error(torch.tensor([1.0, 0.0], dtype=F64))
    comps = temporal_components(m, x, loss_fn)
    delta, _ = total_signals(m, x[0], loss_fn)
    _, h, _ = reference_run(m, x[0])
    h_prev = torch.cat([torch.zeros(1, 4, dtype=F64), h[:-1]]).detach()
    for k in range(4):
        torch.testing.assert_close(comps["W"][k], torch.outer(delta[k], h_prev[k]))
        torch.testing.assert_close(comps["U"][k], torch.outer(delta[k], x[0, k]))
        torch.testing.assert_close(comps["b"][k], delta[k])
    assert torch.equal(comps["V"][:-1], torch.zeros_like(comps["V"][:-1]))  # the loss reads y_T only
    assert torch.equal(comps["c"][:-1], torch.zeros_like(comps["c"][:-1]))


def test_temporal_components_reject_bad_losses():
    m, x = make(), inputs()
    with pytest.raises(ValueError, match="loss_fn must be a callable"):
        temporal_components(m, x, 3.0)
    with pytest.raises(ValueError, match="loss_fn must return a scalar tensor"):
        temporal_components(m, x, lambda y: y)
    with pytest.raises(ValueError, match="outputs must be one of"):
        temporal_components(m, x, lambda y: y.sum(), outputs="first")
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 2\)"):
        temporal_components(m, torch.zeros(1, 3, 5, dtype=F64), lambda y: y.sum())
    with pytest.raises(ValueError, match="model must be an srnbook.SRN"):
        temporal_components(torch.nn.RNN(2, 4), x, lambda y: y.sum())


# ---------------------------------------------------------------------- clipping


def test_clipping_rescales_to_the_threshold_and_keeps_the_direction():
    p = torch.nn.Parameter(torch.zeros(3, dtype=F64))
    q = torch.nn.Parameter(torch.zeros(2, 2, dtype=F64))
    p.grad = torch.tensor([3.0, 0.0, 4.0], dtype=F64)
    q.grad = torch.full((2, 2), 6.0, dtype=F64)  # total norm sqrt(25 + 144) = 13
    before = torch.cat([p.grad, q.grad.flatten()])
    norm = clip_grad_norm_([p, q], threshold=6.5)
    assert norm == 13.0
    after = torch.cat([p.grad, q.grad.flatten()])
    torch.testing.assert_close(after, before / 2, rtol=0, atol=1e-15)
    torch.testing.assert_close(torch.linalg.vector_norm(after), torch.tensor(6.5, dtype=F64))
    # below the threshold nothing changes
    assert clip_grad_norm_([p, q], threshold=100.0) == 6.5
    torch.testing.assert_close(torch.cat([p.grad, q.grad.flatten()]), after, rtol=0, atol=0)


def test_clipping_agrees_with_torch_up_to_its_epsilon():
    m1, m2 = make(), make()
    for m in (m1, m2):
        m(inputs()).y.pow(2).sum().mul(50).backward()
    ours = clip_grad_norm_(m1.parameters(), 0.5)
    theirs = torch.nn.utils.clip_grad_norm_(m2.parameters(), 0.5)
    torch.testing.assert_close(ours, theirs)
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(p1.grad, p2.grad, rtol=1e-5, atol=0)


def test_clipping_rejects_bad_thresholds():
    p = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="threshold must be a positive finite number"):
        clip_grad_norm_([p], threshold=-1.0)
    with pytest.raises(ValueError, match="threshold must be a positive finite number"):
        clip_grad_norm_([p], threshold=0)


# ---------------------------------------------------------------------- Pascanu's Omega


def omega_by_loop(m, x, loss_fn, state="h", outputs="last"):
    """Thesis eq. 2.17 term by term, every derivative by autograd (one sequence at a time)."""
    values = []
    for i in range(x.shape[0]):
        delta, g_h = total_signals(m, x[i], loss_fn, outputs)
        a, h, _ = reference_run(m, x[i])
        a, h = a.detach(), h.detach()
        total = 0.0
        for k in range(x.shape[1] - 1):  # pairs (k, k+1), code indices
            if state == "h":
                err = g_h[k + 1]
                J = torch.autograd.functional.jacobian(
                    lambda hk: m.activation.fn(m.U @ x[i, k + 1] + m.W @ hk + m.b), h[k])
            else:
                err = delta[k + 1]
                J = torch.autograd.functional.jacobian(
                    lambda ak: m.U @ x[i, k + 1] + m.W @ m.activation.fn(ak) + m.b, a[k])
            total += (torch.linalg.vector_norm(err @ J) / torch.linalg.vector_norm(err) - 1) ** 2
        values.append(total)
    return torch.stack(values).mean().detach()


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
@pytest.mark.parametrize("state", ["h", "a"])
@pytest.mark.parametrize("outputs", ["last", "all"])
def test_omega_matches_a_direct_loop(act, state, outputs):
    m = make(act, d=3)
    x = inputs(B=2, T=4)
    loss_fn = squared_error(torch.tensor([0.5, -0.5], dtype=F64))
    value = omega(m, x, loss_fn, state=state, outputs=outputs)
    torch.testing.assert_close(value.detach(), omega_by_loop(m, x, loss_fn, state, outputs))
    total = omega(m, x, loss_fn, state=state, outputs=outputs, reduction="sum")
    torch.testing.assert_close(total, 2 * value)


def test_omega_gradient_is_pascanus_immediate_derivative_in_W():
    m = make("tanh", d=3)
    x = inputs(B=1, T=4)
    loss_fn = squared_error(torch.tensor([0.5, -0.5], dtype=F64))
    omega(m, x, loss_fn).backward()
    assert m.U.grad is None and m.b.grad is None and m.V.grad is None
    # the same function with dL/dh_{k+1} and D_{k+1} frozen, W free
    _, g_h = total_signals(m, x[0], loss_fn)
    a, h, _ = reference_run(m, x[0])
    s = (1 - torch.tanh(a) ** 2).detach()
    W = m.W.detach().clone().requires_grad_(True)
    ref = sum((torch.linalg.vector_norm((s[k + 1] * g_h[k + 1]) @ W) / torch.linalg.vector_norm(g_h[k + 1]) - 1) ** 2
              for k in range(3))
    ref.backward()
    torch.testing.assert_close(m.W.grad, W.grad)


def test_omega_with_immediate_false_reaches_the_other_parameters():
    m = make("tanh", d=3)
    omega(m, inputs(), squared_error(torch.zeros(2, dtype=F64)), immediate=False).backward()
    assert m.U.grad is not None and float(m.U.grad.abs().sum()) > 0


def test_omega_vanishes_for_a_linear_network_with_orthogonal_W():
    m = make("identity", d=4)
    init_orthogonal(m, generator=torch.Generator().manual_seed(0))
    loss_fn = squared_error(torch.tensor([1.0, 2.0], dtype=F64))
    for state in ("h", "a"):
        assert float(omega(m, inputs(T=6), loss_fn, state=state).detach()) < 1e-20


def test_omega_of_a_single_step_is_zero():
    m = make("tanh", d=3)
    value = omega(m, inputs(T=1), squared_error(torch.zeros(2, dtype=F64)))
    assert float(value.detach()) == 0.0
    value.backward()
    assert torch.equal(m.W.grad, torch.zeros(3, 3, dtype=F64))


def test_omega_rejects_bad_options():
    m, x, loss_fn = make(), inputs(), squared_error(torch.zeros(2, dtype=F64))
    with pytest.raises(ValueError, match="state must be one of"):
        omega(m, x, loss_fn, state="y")
    with pytest.raises(ValueError, match="reduction must be one of"):
        omega(m, x, loss_fn, reduction="max")


# ---------------------------------------------------------------------- normalized temporal components


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def tiny_problem(seed=0):
    m = make("tanh", d=3, seed=seed)
    x = inputs(B=2, T=5, seed=seed + 10)
    loss_fn = squared_error(torch.tensor([0.7, -0.4], dtype=F64))
    return m, x, loss_fn


def test_simplex_weights_are_a_seeded_point_of_the_simplex():
    w = simplex_weights(6, generator=torch.Generator().manual_seed(1))
    assert bool((w >= 0).all()) and math.isclose(float(w.sum()), 1.0, rel_tol=1e-14)
    assert torch.equal(w, simplex_weights(6, generator=torch.Generator().manual_seed(1)))
    assert not torch.equal(w, simplex_weights(6, generator=torch.Generator().manual_seed(2)))


def test_direction_has_the_norm_of_the_gradient():
    m, x, loss_fn = tiny_problem()
    comps = list(temporal_components(m, x, loss_fn).values())
    direction, beta = normalized_direction(comps, generator=torch.Generator().manual_seed(0))
    gradient = flat([c.sum(0) for c in comps])
    torch.testing.assert_close(torch.linalg.vector_norm(flat(direction)), torch.linalg.vector_norm(gradient))
    assert beta.shape == (5,) and bool((beta >= 0).all()) and math.isclose(float(beta.sum()), 1.0, rel_tol=1e-12)
    # eqs. 28-30 written out
    norms = torch.stack([torch.linalg.vector_norm(flat([c[t] for c in comps])) for t in range(5)])
    g = sum(beta[t] / norms[t] * flat([c[t] for c in comps]) for t in range(5))
    torch.testing.assert_close(flat(direction), torch.linalg.vector_norm(gradient) * g / torch.linalg.vector_norm(g))


def test_with_one_component_the_direction_is_the_gradient():
    m, x, loss_fn = tiny_problem()
    comps = list(temporal_components(m, x[:, :1], loss_fn).values())  # T = 1
    direction, beta = normalized_direction(comps)
    assert torch.equal(beta, torch.ones(1, dtype=F64))
    torch.testing.assert_close(flat(direction), flat([c.sum(0) for c in comps]))
    # zero components get no weight: one nonzero component among zeros is the gradient too
    c = torch.zeros(4, 3, dtype=F64)
    c[2] = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    direction, beta = normalized_direction([c])
    assert torch.equal(beta, torch.tensor([0.0, 0.0, 1.0, 0.0], dtype=F64))
    torch.testing.assert_close(direction[0], c[2])


def test_descent_when_every_component_agrees_with_the_gradient_and_not_otherwise():
    gen = torch.Generator().manual_seed(3)
    comps = [torch.tensor([[1.0, 0.2], [0.1, 1.0], [5.0, -1.0]], dtype=F64)]  # all with g . g_t > 0
    g = comps[0].sum(0)
    for _ in range(20):
        direction, _ = normalized_direction(comps, generator=gen)
        assert float(g @ direction[0]) > 0
    against = [torch.tensor([[10.0, 0.0], [-1.0, 0.1]], dtype=F64)]  # the second opposes the first
    direction, _ = normalized_direction(against, torch.tensor([0.1, 0.9], dtype=F64))
    assert float(against[0].sum(0) @ direction[0]) < 0  # not a descent direction


def test_a_small_step_decreases_the_loss_exactly_when_the_direction_is_a_descent_direction():
    seen = set()
    for seed in range(3):
        m, x, loss_fn = tiny_problem(seed)
        comps = temporal_components(m, x, loss_fn)
        gradient = flat([c.sum(0) for c in comps.values()])
        cosines = torch.stack([gradient @ flat([c[t] for c in comps.values()]) for t in range(5)])
        against = torch.zeros(5, dtype=F64)
        against[int(cosines.argmin())] = 1.0  # all the weight on the component that agrees least
        before = float(loss_fn(m(x).y[:, -1]).detach())
        for weights in (None, against):
            direction, _ = normalized_direction(list(comps.values()), weights,
                                                generator=torch.Generator().manual_seed(seed))
            moved = make("tanh", d=3, seed=seed)
            with torch.no_grad():
                for p, dp in zip(moved.parameters(), direction):
                    p.sub_(1e-6 * dp)
            after = float(loss_fn(moved(x).y[:, -1]).detach())
            descent = float(gradient @ flat(direction)) > 0
            assert (after < before) == descent
            seen.add(descent)
    assert seen == {True, False}  # both cases occur on this problem


def test_optimizer_step_is_minus_lr_times_the_direction():
    m, x, loss_fn = tiny_problem()
    comps = temporal_components(m, x, loss_fn)
    theta = [p.detach().clone() for p in m.parameters()]
    opt = NormalizedComponents(m.named_parameters(), lr=0.1, generator=torch.Generator().manual_seed(7))
    beta = opt.step(comps)
    assert torch.equal(beta, opt.last_weights)
    direction, _ = normalized_direction(list(comps.values()), beta)
    for p, p0, dp in zip(m.parameters(), theta, direction):
        torch.testing.assert_close(p.detach(), p0 - 0.1 * dp)
    # a list in parameter order and a closure work too, without names
    m2, _, _ = tiny_problem()
    opt2 = NormalizedComponents(m2.parameters(), lr=0.1, generator=torch.Generator().manual_seed(7))
    opt2.step(lambda: list(temporal_components(m2, x, loss_fn).values()))
    for p, p2 in zip(m.parameters(), m2.parameters()):
        torch.testing.assert_close(p, p2)


def test_optimizer_rejects_bad_components():
    m, x, loss_fn = tiny_problem()
    comps = temporal_components(m, x, loss_fn)
    with pytest.raises(ValueError, match="build the optimizer from model.named_parameters"):
        NormalizedComponents(m.parameters()).step(comps)
    with pytest.raises(ValueError, match=r"components\[1\] must have shape \(T, 3, 3\)"):
        NormalizedComponents(m.parameters()).step([c[:, None] if n == "W" else c for n, c in comps.items()])
    with pytest.raises(ValueError, match="components has no entry for parameters"):
        NormalizedComponents(m.named_parameters()).step({"W": comps["W"]})
    with pytest.raises(ValueError, match="step needs the temporal components"):
        NormalizedComponents(m.parameters()).step()
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        NormalizedComponents(m.parameters(), lr=-1.0)
    with pytest.raises(ValueError, match="weights must be 5 nonnegative numbers summing to 1"):
        normalized_direction(list(comps.values()), torch.full((5,), 0.5, dtype=F64))


# ---------------------------------------------------------------------- initializations


def test_init_small_random_is_seeded_and_zeroes_the_biases():
    m1, m2 = make(d=6), make(d=6, seed=9)
    init_small_random(m1, std=0.01, generator=torch.Generator().manual_seed(4))
    init_small_random(m2, std=0.01, generator=torch.Generator().manual_seed(4))
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p1, p2)
    assert torch.equal(m1.b, torch.zeros(6, dtype=F64)) and torch.equal(m1.c, torch.zeros(2, dtype=F64))
    assert 0 < float(m1.W.detach().abs().max()) < 0.06
    with pytest.raises(ValueError, match="std must be a positive finite number"):
        init_small_random(m1, std=-0.1)


def test_init_sparse_gives_each_unit_exactly_nonzero_incoming_weights():
    m = make(u=3, d=20, o=2)
    init_sparse(m, nonzero=15, generator=torch.Generator().manual_seed(0))
    assert torch.equal((m.W != 0).sum(1), torch.full((20,), 15))
    assert torch.equal((m.U != 0).sum(1), torch.full((20,), 3))  # fan-in 3 < 15: dense
    assert torch.equal((m.V != 0).sum(1), torch.full((2,), 15))
    assert torch.equal(m.b, torch.zeros(20, dtype=F64))
    init_sparse(m, nonzero=4, spectral_radius=1.1, generator=torch.Generator().manual_seed(1))
    assert torch.equal((m.W != 0).sum(1), torch.full((20,), 4))
    assert math.isclose(spectral_radius(m.W), 1.1, rel_tol=1e-10)
    with pytest.raises(ValueError, match="nonzero must be a positive integer"):
        init_sparse(m, nonzero=0)


def test_init_esn_sets_the_spectral_radius_and_density():
    m = make(d=30)
    U = m.U.detach().clone()
    init_esn(m, spectral_radius=0.9, density=0.2, generator=torch.Generator().manual_seed(0))
    assert math.isclose(spectral_radius(m.W), 0.9, rel_tol=1e-10)
    assert 0.1 < float((m.W != 0).double().mean()) < 0.3
    assert torch.equal(m.U, U)  # only W changes
    with pytest.raises(ValueError, match=r"density must lie in \(0, 1\]"):
        init_esn(m, density=1.5)
    with pytest.raises(ValueError, match="spectral radius 0"):
        init_esn(make(d=2), density=1e-12, generator=torch.Generator().manual_seed(0))


def test_init_identity_makes_the_relu_jacobians_diagonal_0_1_matrices():
    m = make("relu", d=3)
    init_identity(m)
    assert torch.equal(m.W, torch.eye(3, dtype=F64)) and torch.equal(m.b, torch.zeros(3, dtype=F64))
    J = jacobian_products(m, inputs(B=2, T=4))
    assert torch.equal(J, torch.diag_embed(J.diagonal(dim1=-2, dim2=-1)))
    assert bool(((J == 0) | (J == 1)).all())
    init_identity(m, scale=0.5)
    assert torch.equal(m.W, 0.5 * torch.eye(3, dtype=F64))


def test_init_orthogonal_gives_W_transpose_W_equal_gain_squared_identity():
    m = make(d=5)
    init_orthogonal(m, gain=1.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(m.W.t() @ m.W, torch.eye(5, dtype=F64))
    init_orthogonal(m, gain=0.5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.linalg.svdvals(m.W.detach()), torch.full((5,), 0.5, dtype=F64))
    with pytest.raises(ValueError, match="gain must be a positive finite number"):
        init_orthogonal(m, gain=-1.0)
    with pytest.raises(ValueError, match="model must be an srnbook.SRN"):
        init_orthogonal(torch.nn.Linear(2, 2))


# ---------------------------------------------------------------------- sizes and overflow (issue 20)


def test_jacobian_products_beyond_the_memory_limit_are_refused_before_allocating(one_mebibyte):
    jacobian_products(make(d=4), inputs(B=2, T=5))  # 2 * 25 * 16 numbers: fine
    with pytest.raises(ValueError, match=r"x: the 8 x 200 x 200 Jacobians of size 4 x 4 would need"):
        jacobian_products(make(d=4), inputs(B=8, T=200))


def test_a_bound_that_would_overflow_float64_is_refused():
    W = 2 * torch.eye(3, dtype=F64)
    assert hochreiter_bound(W, "identity", 100).item() == 6.0 ** 100
    with pytest.raises(ValueError, match="overflows float64: the base is 6 and the largest of steps is 1000"):
        hochreiter_bound(W, "identity", torch.tensor([1, 1000]))
    with pytest.raises(ValueError, match="sigma_prime_max \\* mu_max .* overflows float64"):
        singular_value_bound(W, "tanh", 10, sigma_prime_max=1e300)
    assert singular_value_bound(W / 4, "tanh", 2**40).item() == 0.0  # a rate below 1: the bound underflows to 0


def test_the_activation_is_checked_even_when_sigma_prime_max_is_given():
    with pytest.raises(ValueError, match="activation must be one of"):
        hochreiter_bound(torch.eye(2), "softplus", 3, sigma_prime_max=0.5)


@pytest.mark.parametrize("init, kwargs, match", [
    (init_small_random, {"std": 1e38}, "std = 1e.38 is too large"),
    (init_sparse, {"scale": 1e38}, "scale = 1e.38 is too large"),
    (init_sparse, {"spectral_radius": 1e300}, "spectral_radius / rho.W. = .* is too large"),
    (init_esn, {"spectral_radius": 1e300}, "spectral_radius / rho.W. = .* is too large"),
    (init_identity, {"scale": 1e39}, "scale = 1e.39 is too large"),
    (init_orthogonal, {"gain": 1e39}, "gain = 1e.39 is too large"),
])
def test_an_initialization_whose_values_would_overflow_the_dtype_is_refused_and_changes_nothing(init, kwargs,
                                                                                                match):
    torch.manual_seed(0)
    model = SRN(2, 4, 1)  # float32
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=match):
        init(model, **kwargs)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_generators_and_flags_are_checked():
    model = make()
    with pytest.raises(ValueError, match="generator must be a torch.Generator or None"):
        init_orthogonal(model, generator=0)
    with pytest.raises(ValueError, match="immediate must be True or False"):
        omega(model, inputs(), lambda y: y.sum(), immediate="yes")
    with pytest.raises(ValueError, match="ord must be one of"):
        jacobian_norms(model, inputs(), ord=True)
    with pytest.raises(ValueError, match="norms must be nonnegative"):
        lag_profile(torch.full((1, 2, 2), math.nan))
