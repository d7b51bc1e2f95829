"""Specification of srnbook.optim.hessian_free: exact Gauss-Newton products, CG, damping, the optimizer."""

import math

import pytest
import torch
from torch.autograd.functional import hessian, jacobian

from srnbook import SRN
from srnbook.optim.hessian_free import (
    HessianFree,
    Minibatch,
    conjugate_gradient,
    finite_difference_hvp,
    gauss_newton_operator,
    gnvp,
    hessian_vector_product,
    levenberg_marquardt,
    loss_hessian_vector_product,
    martens_preconditioner,
    loss_from_z,
    network_function,
    objective,
    reduction_ratio,
    storage_iterations,
)
from srnbook.srn import flatten_parameters
from srnbook.tasks import make_task

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    # torch's forward-mode AD loads its decompositions with torch.jit.script on first use
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

F64 = torch.float64
OUTPUT = {"squared": "identity", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def make(loss="squared", u=2, d=3, o=2, act="tanh", seed=0):
    torch.manual_seed(seed)
    return SRN(u, d, o, activation=act, output=OUTPUT[loss], grad="autograd", dtype=F64)


def data(loss="squared", B=3, T=4, u=2, o=2, per_step=False, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, u, generator=g, dtype=F64)
    shape = (B, T, o) if per_step else (B, o)
    if loss == "squared":
        y = torch.randn(*shape, generator=g, dtype=F64)
    elif loss == "cross_entropy":
        y = torch.nn.functional.one_hot(torch.randint(o, shape[:-1], generator=g), o).to(F64)
    else:
        y = torch.randint(2, shape, generator=g).to(F64)
    return x, y


def explicit_ggn(model, x, y, loss, lengths=None, structural=0.0):
    """G = J^T H_L J (+ structural * J_h^T J_h / B), built from full Jacobians and the loss Hessian."""
    F, w = network_function(model, x, y, lengths)
    theta = flatten_parameters(model).detach()
    yy = y.unsqueeze(1) if y.dim() == 2 else y
    z0, _ = F(theta)
    J = jacobian(lambda t: F(t)[0].reshape(-1), theta)                     # (m, n)
    H = hessian(lambda z: loss_from_z(z.view_as(z0), yy, w, loss), z0.detach().reshape(-1))
    G = J.t() @ H @ J
    if structural:
        Jh = jacobian(lambda t: F(t)[1].reshape(-1), theta)
        G = G + structural * Jh.t() @ Jh / x.shape[0]
    return G, H


# ---------------------------------------------------------------------- Gauss-Newton products


@pytest.mark.parametrize("loss", ["squared", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("per_step", [False, True])
def test_gnvp_equals_explicit_ggn_times_v(loss, per_step):
    model = make(loss, o=3)
    x, y = data(loss, o=3, per_step=per_step)
    G, _ = explicit_ggn(model, x, y, loss)
    v = torch.randn(G.shape[0], dtype=F64, generator=torch.Generator().manual_seed(5))
    Gv = gnvp(model, None, x, y, v, loss=loss)
    assert torch.allclose(Gv, G @ v, rtol=0, atol=1e-10)


@pytest.mark.parametrize("loss", ["squared", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("per_step", [False, True])
def test_the_written_out_products_equal_the_torch_func_ones(loss, per_step):
    """Sequences of one length take the written-out R-operator path; giving every sequence the
    full length as ``lengths`` takes the torch.func path: both give the same (G + beta G_S) v."""
    model = make(loss, d=5, o=3)
    x, y = data(loss, B=4, T=6, o=3, per_step=per_step)
    v = torch.randn(flatten_parameters(model).numel(), dtype=F64, generator=torch.Generator().manual_seed(3))
    full = torch.full((4,), 6)
    for beta in (0.0, 0.7):
        fused = gnvp(model, None, x, y, v, loss=loss, structural=beta)
        functional = gnvp(model, None, x, y, v, loss=loss, structural=beta, lengths=full)
        assert torch.allclose(fused, functional, rtol=0, atol=1e-12)


def test_gnvp_with_variable_lengths_ignores_padding():
    model = make("squared")
    x, y = data("squared", B=3, T=5, per_step=True)
    lengths = torch.tensor([5, 2, 3])
    G, _ = explicit_ggn(model, x, y, "squared", lengths)
    v = torch.randn(G.shape[0], dtype=F64)
    assert torch.allclose(gnvp(model, None, x, y, v, lengths=lengths), G @ v, atol=1e-10, rtol=0)
    # the same as the sequences cut to their lengths, each weighted by 1/B
    x2 = x.clone()
    x2[1, 2:] = 7.0  # changing the padding changes nothing
    assert torch.allclose(gnvp(model, None, x2, y, v, lengths=lengths), G @ v, atol=1e-10, rtol=0)


@pytest.mark.parametrize("loss", ["squared", "cross_entropy", "binary_cross_entropy"])
def test_ggn_is_symmetric_positive_semidefinite(loss):
    model = make(loss, d=4, o=3)
    x, y = data(loss, o=3, per_step=True)
    op = gauss_newton_operator(model, None, x, y, loss=loss)
    n = flatten_parameters(model).numel()
    G = torch.stack([op(e) for e in torch.eye(n, dtype=F64)], 1)  # column by column
    assert torch.allclose(G, G.t(), atol=1e-12, rtol=0)
    assert torch.linalg.eigvalsh(G).min() > -1e-12


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
def test_loss_hessian_in_z_is_psd(loss):
    model = make(loss, o=3)
    x, y = data(loss, o=3)
    _, H = explicit_ggn(model, x, y, loss)
    assert torch.linalg.eigvalsh(H).min() > -1e-14


def test_structural_damping_term_equals_its_explicit_matrix():
    model = make("squared", d=4)
    x, y = data("squared", T=5)
    beta = 0.7
    G_total, _ = explicit_ggn(model, x, y, "squared", structural=beta)
    v = torch.randn(G_total.shape[0], dtype=F64)
    got = gnvp(model, None, x, y, v, structural=beta)
    assert torch.allclose(got, G_total @ v, atol=1e-10, rtol=0)
    # and the structural part alone is beta * J_h^T J_h / B
    G0, _ = explicit_ggn(model, x, y, "squared")
    assert not torch.allclose(got, G0 @ v, atol=1e-6)


def test_ggn_equals_hessian_at_zero_residual():
    """Squared error with y = z: the second term of eq. 2.21 vanishes, so G = H."""
    model = make("squared")
    x, _ = data("squared")
    F, _ = network_function(model, x, torch.zeros(3, 2, dtype=F64))
    y = F(flatten_parameters(model).detach())[0].squeeze(1).detach()
    v = torch.randn(flatten_parameters(model).numel(), dtype=F64)
    Hv = hessian_vector_product(model, None, x, y, v)
    assert torch.allclose(gnvp(model, None, x, y, v), Hv, atol=1e-12, rtol=0)


def test_exact_hvp_and_finite_difference_error():
    model = make("squared")
    x, y = data("squared")
    theta = flatten_parameters(model).detach()
    f = lambda t: objective(model, t, x, y)  # noqa: E731
    H = hessian(f, theta)
    v = torch.randn(theta.numel(), dtype=F64)
    v = v / v.norm()
    Hv = hessian_vector_product(model, None, x, y, v)
    assert torch.allclose(Hv, H @ v, atol=1e-12, rtol=0)
    err_fwd = (finite_difference_hvp(model, None, x, y, v, eps=1e-7) - Hv).norm() / Hv.norm()
    err_big = (finite_difference_hvp(model, None, x, y, v, eps=1e-2) - Hv).norm() / Hv.norm()
    err_ctr = (finite_difference_hvp(model, None, x, y, v, eps=1e-2, central=True) - Hv).norm() / Hv.norm()
    assert err_fwd < 1e-5            # about sqrt(unit roundoff) at best
    assert err_fwd > 1e-14           # but not exact
    assert err_ctr < err_big         # O(eps^2) truncation beats O(eps)
    assert 1e-5 < err_big < 1e-1     # truncation error O(eps)


def test_objective_matches_torch_losses():
    for loss in OUTPUT:
        model = make(loss, o=3)
        x, y = data(loss, o=3)
        z = model(x).y[:, -1] if loss == "squared" else None
        val = objective(model, None, x, y, loss=loss)
        F, _ = network_function(model, x, y)
        zz = F(flatten_parameters(model).detach())[0].squeeze(1)
        if loss == "squared":
            assert torch.allclose(zz, z)
            ref = 0.5 * ((z - y) ** 2).sum() / 3
        elif loss == "cross_entropy":
            ref = torch.nn.functional.cross_entropy(zz, y.argmax(-1))
        else:
            ref = torch.nn.functional.binary_cross_entropy_with_logits(zz, y, reduction="sum") / 3
        assert torch.allclose(val, ref, atol=1e-12)


# ---------------------------------------------------------------------- conjugate gradient


def spd(n, cond=100.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=F64))
    eig = torch.logspace(0, math.log10(cond), n, dtype=F64)
    return Q @ torch.diag(eig) @ Q.t(), torch.randn(n, generator=g, dtype=F64)


def test_cg_solves_spd_system_in_at_most_n_iterations():
    n = 12
    A, b = spd(n, cond=10.0)
    res = conjugate_gradient(lambda v: A @ v, b, max_iters=n, rtol=1e-13)
    assert res.iterations <= n
    assert torch.allclose(res.x, torch.linalg.solve(A, b), atol=1e-8, rtol=0)
    assert all(res.phi[i + 1] <= res.phi[i] + 1e-14 for i in range(len(res.phi) - 1))  # phi decreases


def test_cg_progress_rule_stops_early_on_an_easy_system():
    n = 300
    A, b = spd(n, cond=1.5)
    res = conjugate_gradient(lambda v: A @ v, b, rtol=0.0)
    assert res.reason == "progress"
    assert 10 < res.iterations < 30
    assert torch.allclose(res.x, torch.linalg.solve(A, b), atol=1e-3, rtol=0)


def test_cg_stores_geometrically_spaced_iterates_and_the_last():
    assert storage_iterations(20) == [math.ceil(1.3 ** j) for j in (0, 1, 3, 5, 6, 7, 8, 9, 10, 11)]
    assert storage_iterations(20) == [1, 2, 3, 4, 5, 7, 9, 11, 14, 18]
    A, b = spd(30, cond=1e4)
    res = conjugate_gradient(lambda v: A @ v, b, max_iters=25, rtol=0.0, epsilon=1e-12)
    its = [i for i, _ in res.iterates]
    assert its == [1, 2, 3, 4, 5, 7, 9, 11, 14, 18, 24, 25]
    assert torch.equal(res.iterates[-1][1], res.x)


def test_cg_warm_start_and_preconditioner():
    g = torch.Generator().manual_seed(3)
    n = 40
    D = torch.logspace(0, 6, n, dtype=F64)
    B = torch.randn(n, n, generator=g, dtype=F64) * 1e-2
    A = torch.diag(D) + B @ B.t()
    b = torch.randn(n, generator=g, dtype=F64)
    exact = torch.linalg.solve(A, b)
    plain = conjugate_gradient(lambda v: A @ v, b, max_iters=200, rtol=1e-10, epsilon=1e-12)
    pre = conjugate_gradient(lambda v: A @ v, b, max_iters=200, rtol=1e-10, epsilon=1e-12,
                             preconditioner=1 / torch.diagonal(A))
    assert pre.iterations < plain.iterations
    assert torch.allclose(pre.x, exact, rtol=1e-6, atol=0)
    warm = conjugate_gradient(lambda v: A @ v, b, exact, rtol=1e-10)
    assert warm.iterations == 0 and warm.reason == "residual"


# ---------------------------------------------------------------------- damping


def test_levenberg_marquardt_rule():
    assert levenberg_marquardt(1.0, 0.9) == pytest.approx(2 / 3)
    assert levenberg_marquardt(1.0, 0.1) == pytest.approx(1.5)
    assert levenberg_marquardt(1.0, -2.0) == pytest.approx(1.5)
    assert levenberg_marquardt(1.0, 0.5) == 1.0
    assert levenberg_marquardt(1.0, 0.25) == 1.0 and levenberg_marquardt(1.0, 0.75) == 1.0
    assert levenberg_marquardt(2.0, math.nan) == pytest.approx(3.0)


def test_reduction_ratio():
    assert reduction_ratio(0.5, 1.0, -0.5) == 1.0
    assert reduction_ratio(1.2, 1.0, -0.5) == pytest.approx(-0.4)
    assert reduction_ratio(0.5, 1.0, 0.0) == -math.inf


# ---------------------------------------------------------------------- the optimizer


def test_one_step_decreases_the_loss_and_updates_lambda():
    model = make("squared", d=4)
    x, y = data("squared", B=8, T=5)
    before = float(objective(model, None, x, y))
    opt = HessianFree(model, damping=1.0)
    ret = opt.step(lambda: Minibatch(x, y))
    after = float(objective(model, None, x, y))
    st = opt.state["hf"]
    assert float(ret) == pytest.approx(before)
    assert after < before and st["loss_after"] == pytest.approx(after)
    assert st["damping"] == pytest.approx(levenberg_marquardt(1.0, st["rho"]))
    assert st["cg_iterations"] >= 1 and st["previous"] is not None


def test_structural_damping_and_separate_curvature_batch():
    model = make("squared", d=4)
    x, y = data("squared", B=8, T=5)
    opt = HessianFree(model, damping=0.5, structural_damping=0.3)
    before = float(objective(model, None, x, y))
    for _ in range(2):
        opt.step(lambda: (Minibatch(x, y), Minibatch(x[:4], y[:4])))
    assert float(objective(model, None, x, y)) < before


def test_a_few_steps_fit_the_adding_problem_better():
    batch = make_task("adding", 64, 10, seed=0)
    x, y, lengths = batch.x.to(F64), batch.y.to(F64), batch.lengths
    torch.manual_seed(0)
    model = SRN(2, 8, 1, activation="tanh", output="identity", grad="autograd", dtype=F64)
    before = float(objective(model, None, x, y, lengths=lengths))
    opt = HessianFree(model, damping=1.0, structural_damping=0.1, curvature_size=32, cg_max_iters=50)
    for _ in range(5):
        opt.step(lambda: Minibatch(x, y, lengths))
    after = float(objective(model, None, x, y, lengths=lengths))
    assert after < 0.5 * before


def test_the_check_minibatch_makes_the_decisions_after_cg():
    """With a check minibatch, backtracking, rho and the line search read its loss: the state's
    losses are those of the check batch, and the step lowers it."""
    model = make("squared", d=4)
    x, y = data("squared", B=12, T=5)
    grad, check = Minibatch(x[:8], y[:8]), Minibatch(x[8:], y[8:])
    before = float(objective(model, None, check.x, check.target))
    opt = HessianFree(model, damping=1.0)
    ret = opt.step(lambda: (grad, grad, check))
    st = opt.state["hf"]
    assert float(ret) == pytest.approx(float(objective(make("squared", d=4), None, grad.x, grad.target)))
    assert st["loss_before"] == pytest.approx(before)
    assert st["loss_after"] == pytest.approx(float(objective(model, None, check.x, check.target)))
    assert st["loss_after"] <= before


def test_check_size_holds_out_the_last_sequences_of_one_minibatch():
    x, y = data("squared", B=12, T=5)
    split, triple = make("squared", d=4), make("squared", d=4)
    HessianFree(split, damping=1.0, check_size=4, curvature_size=3).step(lambda: Minibatch(x, y))
    HessianFree(triple, damping=1.0).step(
        lambda: (Minibatch(x[:8], y[:8]), Minibatch(x[:3], y[:3]), Minibatch(x[8:], y[8:])))
    assert torch.equal(flatten_parameters(split), flatten_parameters(triple))
    with pytest.raises(ValueError, match="check_size must be smaller than the minibatch, got check_size=12"):
        HessianFree(make("squared"), check_size=12).step(lambda: Minibatch(x, y))


def test_a_step_that_finds_no_decrease_restarts_cg_from_zero():
    """At a minimum of the check batch's loss no step lowers it: the step has length 0 and the
    next CG starts from zero instead of from the failed direction."""
    model = make("squared", d=4)
    x, y = data("squared", B=8, T=5)
    with torch.no_grad():
        target = model(x).y[:, -1].clone()  # the check batch is fitted exactly: no step lowers its loss
    opt = HessianFree(model, damping=1.0)
    opt.step(lambda: (Minibatch(x, y), Minibatch(x, y), Minibatch(x, target)))
    assert opt.state["hf"]["alpha"] == 0.0 and opt.state["hf"]["previous"] is None


def test_martens_preconditioner_matches_per_sequence_gradients():
    model = make("squared")
    x, y = data("squared", B=4, T=5)
    lengths = torch.tensor([5, 3, 4, 1])
    sq = 0
    for i in range(4):
        model.zero_grad()
        L = 0.5 * ((model(x[i:i + 1]).y[0, lengths[i] - 1] - y[i]) ** 2).sum() / 4
        L.backward()
        g = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        sq = sq + g * g
    M_inv = martens_preconditioner(model, None, x, y, 0.5, lengths=lengths)
    assert torch.allclose(M_inv, (sq + 0.5) ** -0.75, rtol=1e-12, atol=0)


def test_preconditioned_step_decreases_the_loss():
    model = make("squared", d=4)
    x, y = data("squared", B=8, T=5)
    before = float(objective(model, None, x, y))
    opt = HessianFree(model, damping=1.0, precondition=True)
    opt.step(lambda: Minibatch(x, y))
    assert float(objective(model, None, x, y)) < before


# ---------------------------------------------------------------------- bad inputs


def test_bad_inputs_raise_named_value_errors():
    model = make("squared")
    x, y = data("squared")
    v = torch.zeros(flatten_parameters(model).numel(), dtype=F64)
    bptt = SRN(2, 3, 2, output="identity", dtype=F64)
    with pytest.raises(ValueError, match="grad='autograd' for Hessian-vector products"):
        hessian_vector_product(bptt, None, x, y, v)
    with pytest.raises(ValueError, match="model must be an srnbook.SRN"):
        gnvp(torch.nn.Linear(2, 2), None, x, y, v)
    with pytest.raises(ValueError, match="loss must match"):
        gnvp(make("cross_entropy"), None, x, y, v, loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="loss must be one of"):
        gnvp(model, None, x, y, v, loss="hinge")
    with pytest.raises(ValueError, match="target must have shape"):
        gnvp(model, None, x, y[:, :1], v)
    with pytest.raises(ValueError, match="target must have dtype"):
        gnvp(model, None, x, y.float(), v)
    with pytest.raises(ValueError, match="lengths must have entries <= 4"):
        gnvp(model, None, x, y, v, lengths=torch.tensor([1, 9, 2]))
    with pytest.raises(ValueError, match="v must have"):
        gnvp(model, None, x, y, v[:-1])
    with pytest.raises(ValueError, match="structural must be"):
        gnvp(model, None, x, y, v, structural=-1.0)
    with pytest.raises(ValueError, match="eps must be"):
        finite_difference_hvp(model, None, x, y, v, eps=0.0)
    A = torch.eye(3, dtype=F64)
    b = torch.ones(3, dtype=F64)
    with pytest.raises(ValueError, match="Avp must be"):
        conjugate_gradient(A, b)
    with pytest.raises(ValueError, match="max_iters must be"):
        conjugate_gradient(lambda v: v, b, max_iters=0)
    with pytest.raises(ValueError, match="x0 must have shape"):
        conjugate_gradient(lambda v: v, b, torch.zeros(2, dtype=F64))
    with pytest.raises(ValueError, match="preconditioner must be"):
        conjugate_gradient(lambda v: v, b, preconditioner=-b)
    with pytest.raises(ValueError, match="positive definite"):
        conjugate_gradient(lambda v: -v, b)
    with pytest.raises(ValueError, match=r"factor must be a finite number in \(1, inf\]"):
        storage_iterations(10, 1.0)
    with pytest.raises(ValueError, match="damping must be"):
        levenberg_marquardt(0.0, 0.5)
    with pytest.raises(ValueError, match="rho must be"):
        levenberg_marquardt(1.0, "x")
    with pytest.raises(ValueError, match=r"lr must be a finite number in \(0, 1\]"):
        HessianFree(model, lr=2.0)
    with pytest.raises(ValueError, match="cg_decay must be"):
        HessianFree(model, cg_decay=1.5)
    with pytest.raises(ValueError, match="structural_damping must be"):
        HessianFree(model, structural_damping=-0.1)
    with pytest.raises(ValueError, match="precondition must be"):
        HessianFree(model, precondition=1)
    with pytest.raises(ValueError, match="damping must be"):
        martens_preconditioner(model, None, x, y, -1.0)
    opt = HessianFree(model)
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="closure must return"):
        opt.step(lambda: (x, y))


# ---------------------------------------------------------------------- the chapter's measurements

from srnbook.dfa import even_as  # noqa: E402
from srnbook.optim.hessian_free import (  # noqa: E402
    damped_step,
    finite_difference_errors,
    hidden_state_change,
    largest_eigenvalue,
    matrix_from_products,
    random_spd,
    saturation_sweep,
    ssrn_problem,
    steepest_descent_path,
)
from srnbook.sampling import Words, balanced_dataset  # noqa: E402
from srnbook.ssrn import dfa_to_ssrn  # noqa: E402


def test_cg_callback_sees_every_iterate_and_the_start():
    A, b = spd(15, cond=50.0)
    x0 = torch.ones(15, dtype=F64)
    seen = []
    res = conjugate_gradient(lambda v: A @ v, b, x0, max_iters=12, rtol=0.0, epsilon=1e-300,
                             callback=lambda i, x: seen.append((i, x.clone())))
    assert [i for i, _ in seen] == list(range(res.iterations + 1))
    assert torch.equal(seen[0][1], x0) and torch.equal(seen[-1][1], res.x)
    stored = dict(res.iterates)
    assert all(torch.equal(stored[i], x) for i, x in seen if i in stored)
    with pytest.raises(ValueError, match="callback must be"):
        conjugate_gradient(lambda v: A @ v, b, callback=3)


def test_cg_needs_one_iteration_per_distinct_eigenvalue():
    eig = torch.tensor([1.0] * 7 + [4.0] * 6 + [9.0] * 7, dtype=F64)
    A, b = random_spd(eig, seed=1)
    res = conjugate_gradient(lambda v: A @ v, b, rtol=1e-10, epsilon=1e-300)
    assert res.iterations == 3
    assert torch.allclose(A @ res.x, b, atol=1e-9, rtol=0)


def test_random_spd_has_the_requested_spectrum():
    eig = torch.logspace(0, 3, 12, dtype=F64)
    A, b = random_spd(eig, seed=4)
    assert torch.allclose(A, A.t(), atol=1e-12, rtol=0)
    assert torch.allclose(torch.linalg.eigvalsh(A), eig, rtol=1e-10, atol=0)
    assert b.shape == (12,)
    with pytest.raises(ValueError, match=r"eigenvalues\[1\] must be a positive"):
        random_spd([1.0, -1.0])


def test_matrix_from_products_and_power_iteration():
    A, _ = spd(10, cond=30.0, seed=2)
    assert torch.equal(matrix_from_products(lambda v: A @ v, 10), A @ torch.eye(10, dtype=F64))
    top = float(torch.linalg.eigvalsh(A)[-1])
    estimate = largest_eigenvalue(lambda v: A @ v, 10, iterations=200)
    assert estimate <= top * (1 + 1e-12) and estimate == pytest.approx(top, rel=1e-6)
    assert largest_eigenvalue(lambda v: 0 * v, 10) == 0.0
    with pytest.raises(ValueError, match="Avp must be"):
        largest_eigenvalue(A, 10)


def test_steepest_descent_zigzags_where_cg_finishes_in_two_steps():
    A = torch.tensor([[3.0, 1.5], [1.5, 1.0]], dtype=F64)
    b = torch.tensor([1.0, -0.5], dtype=F64)
    x0 = torch.tensor([-2.0, 3.0], dtype=F64)
    star = torch.linalg.solve(A, b)
    path = steepest_descent_path(A, b, x0, 10)
    phi = torch.stack([0.5 * p @ A @ p - b @ p for p in path])
    assert bool((phi[1:] < phi[:-1]).all())                              # it descends ...
    steps = path[1:] - path[:-1]
    assert (steps[1:] * steps[:-1]).sum(1).abs().max() < 1e-12          # ... at right angles
    assert (path[-1] - star).norm() > 1e-2                               # and is still far after 10 steps
    cg = conjugate_gradient(lambda v: A @ v, b, x0, max_iters=2, rtol=0.0)
    assert torch.allclose(cg.x, star, atol=1e-12, rtol=0)


def test_finite_difference_error_is_u_shaped_with_its_minimum_near_sqrt_u():
    model = make("squared")
    x, y = data("squared")
    v = torch.randn(flatten_parameters(model).numel(), dtype=F64, generator=torch.Generator().manual_seed(0))
    v = v / v.norm()
    eps = [1e-13, 1e-8, 1e-3]
    small, best, large = finite_difference_errors(model, None, x, y, v, eps)
    assert best < small and best < large
    sqrt_u = (torch.finfo(F64).eps / 2) ** 0.5
    assert best < 100 * sqrt_u


def test_damped_step_solves_the_damped_system_and_respects_the_bound():
    model = make("squared", d=4)
    x, y = data("squared", B=6, T=5)
    lam = 0.05
    step = damped_step(model, None, x, y, lam)
    G, _ = explicit_ggn(model, x, y, "squared")
    n = G.shape[0]
    assert torch.allclose((G + lam * torch.eye(n, dtype=F64)) @ step.delta, -step.gradient, atol=1e-9, rtol=0)
    assert step.delta.norm() <= step.gradient.norm() / lam
    assert step.loss == pytest.approx(float(objective(model, None, x, y)))


def test_structural_damping_shrinks_the_hidden_state_change():
    """Proposition hf-prop-structural: ||J_h delta(beta)|| is non-increasing in beta (and the
    measured hidden-state change follows it here)."""
    model = make("squared", d=4, act="tanh")
    x, y = data("squared", B=8, T=6)
    F, _ = network_function(model, x, y)
    theta = flatten_parameters(model).detach()
    Jh = jacobian(lambda t: F(t)[1].reshape(-1), theta)
    linear, measured = [], []
    for mu in (0.0, 0.5, 2.0, 8.0):
        delta = damped_step(model, theta, x, y, 0.1, structural_damping=mu).delta
        linear.append(float((Jh @ delta).norm()))
        measured.append(hidden_state_change(model, theta, delta, x, y))
    assert all(a > b for a, b in zip(linear, linear[1:]))
    assert all(a > b for a, b in zip(measured, measured[1:]))
    assert hidden_state_change(model, theta, torch.zeros_like(theta), x, y) == 0.0


def test_hidden_state_change_is_the_rms_over_sequences():
    model = make("squared")
    x, y = data("squared", B=3, T=5)
    lengths = torch.tensor([5, 2, 4])
    theta = flatten_parameters(model).detach()
    delta = 0.1 * torch.randn(theta.numel(), dtype=F64, generator=torch.Generator().manual_seed(1))
    F, _ = network_function(model, x, y, lengths)
    diff = F(theta + delta)[1] - F(theta)[1]
    expected = math.sqrt(sum(float((diff[i, : lengths[i]] ** 2).sum()) for i in range(3)) / 3)
    assert hidden_state_change(model, theta, delta, x, y, lengths=lengths) == pytest.approx(expected, rel=1e-12)


def test_ssrn_problem_is_the_compiled_network_on_labelled_words():
    dfa = even_as()
    words = balanced_dataset(dfa, 20, lam=5.0, seed=0)
    p = ssrn_problem(dfa, 8.0, words)
    compiled = dfa_to_ssrn(dfa, "sigmoid", J=8.0, dtype=F64)
    kept = words[words.lengths > 0]
    out = p.model(p.x, lengths=p.lengths, h0=p.h0).y[torch.arange(len(kept)), p.lengths - 1, 0]
    assert torch.allclose(out, compiled.outputs(kept.strings()), atol=1e-12, rtol=0)
    assert torch.equal(p.target[:, 0] == 1, torch.from_numpy(kept.labels))
    assert p.model.grad == "autograd"
    with pytest.raises(ValueError, match="words must be a srnbook.sampling.Words"):
        ssrn_problem(dfa, 8.0, ["ab", "b"])
    with pytest.raises(ValueError, match="alphabet"):
        ssrn_problem(dfa, 8.0, Words(words.symbols, words.lengths, words.labels, ("x", "y")))
    with pytest.raises(ValueError, match="dfa must be a srnbook.dfa.DFA"):
        ssrn_problem("even a's", 8.0, words)


@pytest.fixture(scope="module")
def sweep():
    threads = torch.get_num_threads()  # a module fixture runs before the function-scoped one_torch_thread
    torch.set_num_threads(1)
    try:
        words = balanced_dataset(even_as(), 32, lam=6.0, seed=0)
        return saturation_sweep(even_as(), [4.0, 8.0, 16.0, 32.0], words, damping=1e-3, power_iterations=20)
    finally:
        torch.set_num_threads(threads)


def test_saturated_ssrn_gradient_and_curvature_vanish_together(sweep):
    """Report, section 5: near a saturated SRN the gradient and the (Gauss-Newton) curvature both
    vanish, like e^{-J} (every sigma'(a) and y(1 - y) is below e^{-J})."""
    for a, b in zip(sweep, sweep[1:]):
        gap = b.J - a.J
        assert b.gradient_norm < math.exp(-gap / 2) * a.gradient_norm
        assert b.curvature < math.exp(-gap / 2) * a.curvature
    # same rate: the ratio of gradient to curvature stays within a factor 10 over the sweep
    ratios = [p.gradient_norm / p.curvature for p in sweep]
    assert max(ratios) / min(ratios) < 10


def test_damped_hf_step_is_bounded_by_gradient_over_damping(sweep):
    for p in sweep:
        assert p.step_norm <= p.step_bound * (1 + 1e-9)
    assert sweep[-1].step_norm < 1e-8 * sweep[0].step_norm
    # once saturated, the curvature is negligible next to lambda: the step sits on its bound
    assert sweep[-1].step_norm == pytest.approx(sweep[-1].step_bound, rel=1e-6)


def test_damping_that_follows_the_curvature_gives_bounded_steps(sweep):
    """Even lambda' = 0.01 lambda_max(G) gives steps of order one that cut the loss by a constant
    factor, not steps that grow with J."""
    norms = [p.scaled_step_norm for p in sweep]
    assert max(norms) / min(norms) < 1.5
    assert all(0.1 < p.scaled_loss_ratio < 0.9 for p in sweep[:-1])


def test_cg_on_an_ssrn_needs_more_iterations_than_parameters_when_lambda_is_small():
    """Report, section 5: CG may need as many iterations as there are parameters. For the even-a's
    SSRN at J = 2 it needs more than n at lambda = 1e-6, and the count grows as lambda shrinks."""
    words = balanced_dataset(even_as(), 128, lam=6.0, seed=0)
    p = ssrn_problem(even_as(), 2.0, words)
    kw = dict(loss="binary_cross_entropy", lengths=p.lengths, h0=p.h0)
    n = flatten_parameters(p.model).numel()
    counts = [damped_step(p.model, None, p.x, p.target, lam, rtol=1e-8, max_iters=2000, **kw).cg.iterations
              for lam in (1e-2, 1e-4, 1e-6)]
    assert counts[0] < counts[1] < counts[2]
    assert counts[0] < n <= counts[2]


def test_new_functions_reject_bad_inputs():
    model = make("squared")
    x, y = data("squared")
    with pytest.raises(ValueError, match="damping must be"):
        damped_step(model, None, x, y, 0.0)
    with pytest.raises(ValueError, match="structural_damping must be"):
        damped_step(model, None, x, y, 1.0, structural_damping=-1.0)
    with pytest.raises(ValueError, match="delta must have"):
        hidden_state_change(model, None, torch.zeros(3, dtype=F64), x, y)
    with pytest.raises(ValueError, match="iterations must be"):
        steepest_descent_path(torch.eye(2, dtype=F64), torch.ones(2, dtype=F64), torch.zeros(2, dtype=F64), 0)
    with pytest.raises(ValueError, match="n must be"):
        matrix_from_products(lambda v: v, 0)
    with pytest.raises(ValueError, match="damping must be"):
        saturation_sweep(even_as(), [1.0], balanced_dataset(even_as(), 4, seed=0), damping=-1.0)


# ---------------------------------------------------------------------- issue 20: every argument checked


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("kw, name", [
    ({"low": NAN}, "low"), ({"high": NAN}, "high"), ({"low": -0.1}, "low"), ({"high": 1.5}, "high"),
    ({"low": 0.8, "high": 0.2}, "low"), ({"increase": NAN}, "increase"), ({"increase": 0.5}, "increase"),
    ({"increase": 1e300}, "increase"), ({"decrease": 0.0}, "decrease"), ({"decrease": 2.0}, "decrease"),
    ({"decrease": INF}, "decrease"),
])
def test_levenberg_marquardt_checks_every_threshold_and_factor(kw, name):
    """levenberg_marquardt(1.0, 0.1, low=nan) used to return 1.0: a NaN threshold compared false."""
    with pytest.raises(ValueError, match=rf"^{name} must"):
        levenberg_marquardt(1.0, 0.1, **kw)


def test_levenberg_marquardt_refuses_a_damping_whose_growth_overflows():
    for damping in (NAN, INF, 1e300, -1.0, True):
        with pytest.raises(ValueError, match="damping must"):
            levenberg_marquardt(damping, 0.1)
    assert levenberg_marquardt(1e150, 0.1) == 1e150 * 1.5  # below sqrt of the largest double: finite growth
    assert levenberg_marquardt(1.0, NAN) == 1.5  # documented: a NaN ratio is a failed step


def test_reduction_ratio_checks_its_arguments():
    assert reduction_ratio(NAN, 1.0, -0.5) != reduction_ratio(NAN, 1.0, -0.5)  # NaN loss: a NaN ratio
    assert reduction_ratio(INF, 1.0, -0.5) == -INF  # overflowed loss: a failed step
    for kw, name in [({"f_new": -INF}, "f_new"), ({"f_old": NAN}, "f_old"), ({"f_old": INF}, "f_old"),
                     ({"model_change": NAN}, "model_change"), ({"model_change": "0"}, "model_change")]:
        args = {"f_new": 0.5, "f_old": 1.0, "model_change": -0.5, **kw}
        with pytest.raises(ValueError, match=name):
            reduction_ratio(**args)


@pytest.mark.parametrize("kw, name", [
    ({"lr": NAN}, "lr"), ({"damping": NAN}, "damping"), ({"damping": INF}, "damping"),
    ({"damping": 1e300}, "damping"), ({"structural_damping": NAN}, "structural_damping"),
    ({"structural_damping": 1e300}, "structural_damping"), ({"cg_max_iters": 0}, "cg_max_iters"),
    ({"cg_max_iters": 2.5}, "cg_max_iters"), ({"cg_decay": NAN}, "cg_decay"), ({"cg_epsilon": 0.0}, "cg_epsilon"),
    ({"cg_epsilon": 1.0}, "cg_epsilon"), ({"cg_epsilon": NAN}, "cg_epsilon"), ({"curvature_size": 0}, "curvature_size"),
    ({"max_line_search": 0}, "max_line_search"), ({"precondition": "no"}, "precondition"),
    ({"check_size": 0}, "check_size"), ({"check_size": 1.5}, "check_size"),
])
def test_hessian_free_checks_its_damping_cg_and_line_search_options(kw, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        HessianFree(make("squared"), **kw)


def test_hessian_free_damping_is_bounded_by_the_dtype():
    """A damping whose products with vectors overflow float32 is refused for a float32 model."""
    model32 = SRN(2, 3, 2, output="identity", grad="autograd", dtype=torch.float32)
    HessianFree(make("squared"), damping=1e100)  # float64: fine
    with pytest.raises(ValueError, match="damping must be at most 1.84e\\+19"):
        HessianFree(model32, damping=1e100)


def test_hessian_free_step_names_a_bad_closure():
    opt = HessianFree(make("squared"))
    with pytest.raises(TypeError, match="closure must be a function"):
        opt.step(3)
    x, y = data("squared")
    with pytest.raises(ValueError, match="x must have dtype"):
        opt.step(lambda: Minibatch(x.float(), y))


@pytest.mark.parametrize("kw, name", [
    ({"epsilon": 0.0}, "epsilon"), ({"epsilon": 1.0}, "epsilon"), ({"epsilon": NAN}, "epsilon"),
    ({"window_fraction": NAN}, "window_fraction"), ({"window_fraction": 2.0}, "window_fraction"),
    ({"min_window": 0}, "min_window"), ({"rtol": NAN}, "rtol"), ({"rtol": 1.0}, "rtol"),
    ({"store_factor": 1.0}, "store_factor"), ({"store_factor": NAN}, "store_factor"),
    ({"callback": 3}, "callback"), ({"max_iters": True}, "max_iters"),
])
def test_conjugate_gradient_checks_its_options(kw, name):
    b = torch.ones(3, dtype=F64)
    with pytest.raises(ValueError, match=rf"^{name} must"):
        conjugate_gradient(lambda v: v, b, **kw)


def test_conjugate_gradient_names_b_and_avp_when_they_do_not_fit():
    A = torch.eye(3, dtype=F64)
    with pytest.raises(ValueError, match="b must have at least one entry"):
        conjugate_gradient(lambda v: v, torch.ones(0, dtype=F64))
    with pytest.raises(ValueError, match=r"Avp failed .* \(from b\)"):
        conjugate_gradient(lambda v: A @ v, torch.ones(3))  # float32 b, float64 A
    with pytest.raises(ValueError, match="Avp must return a vector of shape"):
        conjugate_gradient(lambda v: v[:2], torch.ones(3, dtype=F64))


def test_largest_eigenvalue_and_random_spd_check_their_arguments():
    A = torch.eye(3, dtype=F64)
    for kw, name in [({"iterations": 0}, "iterations"), ({"dtype": torch.int64}, "dtype"), ({"n": 0}, "n"),
                     ({"Avp": 3}, "Avp")]:
        args = {"Avp": lambda v: A @ v, "n": 3, **kw}
        with pytest.raises(ValueError, match=name):
            largest_eigenvalue(**args)
    with pytest.raises(ValueError, match=r"Avp failed .* \(from n and dtype\)"):
        largest_eigenvalue(lambda v: A @ v, 4)
    with pytest.raises(ValueError, match="A is not finite"):
        largest_eigenvalue(lambda v: v * INF, 3)
    for eigenvalues in ([1.0, NAN], [1.0, "2"], 2.0, [], torch.ones(2, 2, dtype=F64)):
        with pytest.raises(ValueError, match="eigenvalues"):
            random_spd(eigenvalues)


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, None, "0", True, torch.Generator()])
def test_every_seed_follows_the_one_rule(seed):
    """check_seed: an integer in [0, 2**64); no None, no generator."""
    A = torch.eye(3, dtype=F64)
    with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
        largest_eigenvalue(lambda v: A @ v, 3, seed=seed)
    with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
        random_spd([1.0, 2.0], seed=seed)


def test_the_same_seed_gives_the_same_answer():
    A, b = random_spd([1.0, 2.0, 5.0], seed=2**64 - 1)
    A2, b2 = random_spd([1.0, 2.0, 5.0], seed=2**64 - 1)
    assert torch.equal(A, A2) and torch.equal(b, b2)
    assert largest_eigenvalue(lambda v: A @ v, 3, seed=10**12, iterations=3) == \
        largest_eigenvalue(lambda v: A @ v, 3, seed=10**12, iterations=3)


def test_size_guards_refuse_before_allocating(memory_limit):
    calls = []

    def counting(v):
        calls.append(1)
        return v

    with pytest.raises(ValueError, match=r"^n: the 1000000 x 1000000 matrix would need 7.45e\+03 GiB"):
        matrix_from_products(counting, 10**6)
    with pytest.raises(ValueError, match=r"^n: three vectors of length 10000000000000 would need"):
        largest_eigenvalue(counting, 10**13)
    assert calls == []
    with pytest.raises(ValueError, match=r"^iterations: a path of 1000000000000 \+ 1 points would need"):
        steepest_descent_path(torch.eye(2, dtype=F64), torch.ones(2, dtype=F64), torch.zeros(2, dtype=F64), 10**12)
    with pytest.raises(ValueError, match=r"^factor: the list of up to .* storage iterations would need"):
        storage_iterations(10**12, 1 + 1e-12)
    memory_limit(2**20)  # 1 MiB
    with pytest.raises(ValueError, match=r"^eigenvalues: three 300 x 300 matrices would need 2.06 MiB"):
        random_spd(torch.ones(300, dtype=F64))
    with pytest.raises(ValueError, match=r"^store_factor: .* stored CG iterates of 100000 entries would need"):
        conjugate_gradient(lambda v: v, torch.ones(10**5, dtype=F64))


def test_storage_iterations_jumps_over_repeats():
    """A factor near 1 no longer loops over every j: the list is built in about as many steps as it has entries."""
    assert storage_iterations(5, 1 + 1e-9) == [1, 2, 3, 4, 5]
    assert storage_iterations(250) == storage_iterations(250, 1.3)
    assert len(storage_iterations(10**12)) == 104  # the same list as j = 0, 1, 2, ... one by one


def test_loss_functions_of_z_check_shapes_weights_and_targets():
    z = torch.zeros(2, 1, 3, dtype=F64)
    y = torch.zeros(2, 1, 3, dtype=F64)
    w = torch.ones(2, 1, dtype=F64)
    with pytest.raises(ValueError, match="weight must have shape"):
        loss_from_z(z, y, -w, "squared")
    with pytest.raises(ValueError, match="target must have the shape of z"):
        loss_from_z(z, y[:, :, :2], w, "squared")
    with pytest.raises(ValueError, match="target must lie in"):
        loss_from_z(z, y + 2, w, "binary_cross_entropy")
    with pytest.raises(ValueError, match="u must have the dtype of z"):
        loss_hessian_vector_product(z, y, w, "squared", z.float())


def test_finite_differences_and_preconditioner_check_their_ranges():
    model = make("squared")
    x, y = data("squared")
    v = torch.ones(flatten_parameters(model).numel(), dtype=F64)
    with pytest.raises(ValueError, match="eps must be a finite number in"):
        finite_difference_hvp(model, None, x, y, v, eps=2.0)
    with pytest.raises(ValueError, match="central must be True or False"):
        finite_difference_hvp(model, None, x, y, v, central="yes")
    with pytest.raises(ValueError, match=r"eps_values\[1\] must be"):
        finite_difference_errors(model, None, x, y, v, [1e-6, NAN])
    with pytest.raises(ValueError, match="eps_values must be a non-empty list"):
        finite_difference_errors(model, None, x, y, v, 1e-6)
    with pytest.raises(ValueError, match="exponent must be a finite number in"):
        martens_preconditioner(model, None, x, y, 1.0, exponent=2.0)
    with pytest.raises(ValueError, match="h0 must"):
        objective(model, None, x, y, h0=torch.zeros(5, dtype=F64))
