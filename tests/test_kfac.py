"""Specification of srnbook.optim.kfac: Kronecker factors, damped inverses, temporal models, the optimizer."""

import pytest
import torch

from srnbook import SRN
from srnbook.optim.kfac import (
    KFAC,
    LayerStatistics,
    approximation_errors,
    block_indices,
    damped_inverse,
    exact_fisher,
    kfac_block,
    kfac_statistics,
    layer_gradient,
    natural_gradient,
    nll_loss,
    pi_damping,
    precondition,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

F64 = torch.float64


def make(act="tanh", u=2, d=3, o=2, output="identity", seed=0):
    torch.manual_seed(seed)
    return SRN(u, d, o, activation=act, output=output, grad="autograd", dtype=F64)


def data(B=8, T=4, u=2, o=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, u, dtype=F64, generator=g), torch.randn(B, T, o, dtype=F64, generator=g)


def random_stats(n_in=3, n_out=2, T=5, seed=0):
    """Statistics of a genuine stationary-ish sequence, so that A1, G1 are consistent with A0, G0."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(40, T, n_in, dtype=F64, generator=g).cumsum(1) * 0.5
    gr = torch.randn(1, 40, T, n_out, dtype=F64, generator=g).cumsum(2) * 0.5
    from srnbook.optim.kfac import _moments

    return _moments(a, gr, 1.0)


# ---------------------------------------------------------------------- factors


@pytest.mark.parametrize("likelihood,output", [("gaussian", "identity"), ("gaussian", "sigmoid"),
                                               ("categorical", "softmax")])
def test_factors_are_symmetric_psd(likelihood, output):
    m = make(output=output, o=3)
    x, _ = data(o=3)
    for exact in (True, False):
        stats = kfac_statistics(m, x, likelihood=likelihood, exact=exact, n_samples=3,
                                seed=0)
        for layer, s in stats.items():
            for C in (s.A0, s.G0):
                assert torch.allclose(C, C.t(), atol=1e-12)
                assert torch.linalg.eigvalsh(C).min() > -1e-12, layer


def test_factor_shapes_and_homogeneous_coordinate():
    m = make(u=2, d=3, o=4)
    x, _ = data(o=4)
    s = kfac_statistics(m, x, exact=True)
    assert s["U"].A0.shape == (3, 3) and s["U"].G0.shape == (3, 3)
    assert s["W"].A0.shape == (3, 3) and s["W"].G0.shape == (3, 3)
    assert s["V"].A0.shape == (4, 4) and s["V"].G0.shape == (4, 4)
    assert s["U"].A0[-1, -1] == pytest.approx(1.0)  # E[1 * 1]
    assert torch.allclose(s["V"].G0, torch.eye(4, dtype=F64))  # identity output: H = I


@pytest.mark.parametrize("likelihood,output", [("gaussian", "sigmoid"), ("categorical", "softmax")])
def test_sampled_factors_converge_to_exact(likelihood, output):
    m = make(output=output)
    x, _ = data(B=4, T=3)
    exact = kfac_statistics(m, x, likelihood=likelihood, exact=True)
    sampled = kfac_statistics(m, x, likelihood=likelihood, n_samples=20000,
                              seed=3)
    for layer in ("U", "W", "V"):
        rel = torch.linalg.norm(sampled[layer].G0 - exact[layer].G0) / torch.linalg.norm(exact[layer].G0)
        assert rel < 0.05, layer


@pytest.mark.parametrize("B,T", [(1, 1), (6, 1), (6, 4)])
def test_V_block_is_exactly_kronecker_for_identity_output(B, T):
    """Identity output, exact expectation: T A0 (x) G0 (G0 = I) is the exact Fisher block of [V | c].

    For T > 1 too: the targets of different steps are independent, so no cross-time terms."""
    m = make(output="identity")
    x, _ = data(B=B, T=T)
    F = exact_fisher(m, x)
    idx = block_indices(m, "V")
    s = kfac_statistics(m, x, exact=True)["V"]
    assert torch.allclose(kfac_block(s), F[idx][:, idx], atol=1e-12)


def test_one_sequence_V_block_exact_for_any_output_with_T1():
    m = make(output="sigmoid")
    x, _ = data(B=1, T=1)
    idx = block_indices(m, "V")
    s = kfac_statistics(m, x, exact=True)["V"]
    assert torch.allclose(kfac_block(s), exact_fisher(m, x)[idx][:, idx], atol=1e-12)


def test_exact_fisher_is_gauss_newton_of_squared_error():
    """For the identity output F = J^T J / B, the Gauss-Newton matrix of 0.5 ||y - yhat||^2 / B."""
    m = make(output="identity")
    x, _ = data(B=3, T=3)
    from srnbook.srn import flatten_parameters, unflatten_parameters

    theta = flatten_parameters(m).detach()

    F = exact_fisher(m, x)

    def yflat(th):
        return torch.func.functional_call(m, unflatten_parameters(m, th), (x,)).y.reshape(-1)

    J = torch.autograd.functional.jacobian(yflat, theta)
    assert torch.allclose(F, J.t() @ J / 3, atol=1e-12)


def test_exact_fisher_same_for_bptt_and_autograd_models():
    m = make(act="sigmoid")
    x, _ = data(B=2, T=3)
    m2 = SRN(2, 3, 2, activation="sigmoid", output="identity", grad="bptt", dtype=F64)
    m2.load_state_dict(m.state_dict())
    assert torch.allclose(exact_fisher(m2, x), exact_fisher(m, x), atol=1e-12)


def test_block_indices_and_layer_gradient_agree_with_flat_gradient():
    m = make()
    x, y = data()
    nll_loss(m, x, y).backward()
    flat = torch.cat([p.grad.reshape(-1) for p in m.parameters()])
    for layer in ("U", "W", "V"):
        assert torch.equal(layer_gradient(m, layer).reshape(-1), flat[block_indices(m, layer)])


# ---------------------------------------------------------------------- inverses and damping


def test_damped_inverse_equals_solve():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(10, 4, dtype=F64, generator=g)
    C = X.t() @ X / 10
    R = torch.randn(4, 3, dtype=F64, generator=g)
    assert torch.allclose(damped_inverse(C, 0.3) @ R, torch.linalg.solve(C + 0.3 * torch.eye(4, dtype=F64), R))


def test_pi_damping_heuristic():
    A, G = 4 * torch.eye(2, dtype=F64), torch.eye(3, dtype=F64)
    dA, dG = pi_damping(A, G, 0.09, T=1)
    assert dA == pytest.approx(2 * 0.3) and dG == pytest.approx(0.3 / 2)  # pi = sqrt(4 / 1) = 2
    assert dA * dG == pytest.approx(0.09)
    dA, dG = pi_damping(A, G, 0.09, T=9)
    assert dA * dG == pytest.approx(0.01)


@pytest.mark.parametrize("temporal", ["independent", "option1", "option2"])
@pytest.mark.parametrize("damping", [0.0, 0.1])
def test_precondition_inverts_the_dense_block(temporal, damping):
    s = random_stats()
    Z = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(5))
    dense = kfac_block(s, temporal, damping)
    expected = torch.linalg.solve(dense, Z.reshape(-1)).view(2, 3)
    assert torch.allclose(precondition(s, Z, damping, temporal), expected, atol=1e-9)


def test_temporal_models_coincide_without_temporal_correlation():
    s = random_stats()
    s0 = LayerStatistics(s.A0, s.G0, torch.zeros_like(s.A1), torch.zeros_like(s.G1), s.T)
    ref = kfac_block(s0, "independent")
    assert torch.allclose(kfac_block(s0, "option1"), ref, atol=1e-10)
    assert torch.allclose(kfac_block(s0, "option2"), ref, atol=1e-10)


def test_option2_is_the_infinite_sum_of_lagged_moments():
    """Option 2 = T [V0 + sum_{k>=1} (Psi^k V0 + V0 Psi^T^k)], Psi = V1 V0^{-1}."""
    s = random_stats(n_in=2, n_out=2)
    V0 = torch.kron(s.G0, s.A0)
    Psi = torch.kron(s.G1, s.A1) @ torch.linalg.inv(V0)
    assert torch.linalg.eigvals(Psi).abs().max() < 1
    total, P = V0.clone(), torch.eye(4, dtype=F64)
    for _ in range(2000):
        P = P @ Psi
        total += P @ V0 + V0 @ P.t()
    assert torch.allclose(kfac_block(s, "option2"), s.T * total, rtol=1e-6, atol=1e-9)


def test_option1_is_the_finite_sum_for_symmetric_psi():
    """Option 1 = sum_{k=-T}^{T} (T - |k|) V_{|k|}, V_k = V0^{1/2} Psi_hat^k V0^{1/2}."""
    s = random_stats(n_in=2, n_out=2, T=4)
    sym = lambda M: 0.5 * (M + M.t())
    V0 = torch.kron(s.G0, s.A0)
    e, Q = torch.linalg.eigh(V0)
    R, Ri = (Q * e.sqrt()) @ Q.t(), (Q / e.sqrt()) @ Q.t()
    Ph = Ri @ torch.kron(sym(s.G1), sym(s.A1)) @ Ri
    total = s.T * V0
    for k in range(1, s.T):
        total += 2 * (s.T - k) * R @ torch.linalg.matrix_power(Ph, k) @ R
    assert torch.allclose(kfac_block(s, "option1"), total, atol=1e-10)


# ---------------------------------------------------------------------- exact natural gradient


def test_kfac_on_V_equals_natural_gradient_of_the_V_block_with_one_step():
    m = make(output="identity", d=3)
    x, y = data(B=10, T=1)
    F = exact_fisher(m, x)
    idx = block_indices(m, "V")
    nll_loss(m, x, y).backward()
    grad = layer_gradient(m, "V")
    ng = torch.linalg.solve(F[idx][:, idx], grad.reshape(-1)).view_as(grad)
    s = kfac_statistics(m, x, exact=True)["V"]
    assert torch.allclose(precondition(s, grad, 0.0), ng, atol=1e-10)


def test_natural_gradient_solves_the_damped_system():
    m = make()
    x, y = data(B=3, T=3)
    step = natural_gradient(m, x, y, damping=0.1)
    F = exact_fisher(m, x)
    g = torch.cat([p.reshape(-1) for p in torch.autograd.grad(nll_loss(m, x, y), list(m.parameters()))])
    d = torch.cat([step[n].reshape(-1) for n, _ in m.named_parameters()])
    assert torch.allclose((F + 0.1 * torch.eye(F.shape[0], dtype=F64)) @ d, -g, atol=1e-10)
    assert float(d @ g) < 0  # a descent direction


def test_approximation_errors_report():
    m = make()
    x, _ = data(B=6, T=4)
    errs = approximation_errors(m, x)
    assert set(errs) == {("U", "independent"), ("V", "independent"), ("W", "independent"),
                         ("W", "option1"), ("W", "option2")}
    assert all(e >= 0 for e in errs.values())
    m1 = make(output="identity")
    x1, _ = data(B=6, T=1)
    assert approximation_errors(m1, x1)[("V", "independent")] < 1e-12


# ---------------------------------------------------------------------- the optimizer


@pytest.mark.parametrize("temporal", ["independent", "option1", "option2"])
def test_one_step_decreases_the_loss(temporal):
    m = make(d=4)
    x, y = data(B=16, T=5)
    opt = KFAC(m, lr=0.2, damping=0.1, temporal=temporal, n_samples=4,
               seed=0)
    opt.zero_grad()
    loss = nll_loss(m, x, y)
    loss.backward()
    opt.step(x=x)
    assert float(nll_loss(m, x, y).detach()) < float(loss.detach())


def test_training_with_kfac_reduces_loss_steadily():
    m = make(d=4)
    x, _ = data(B=16, T=5)
    with torch.no_grad():
        y = make(d=4, seed=7)(x).y  # a teacher SRN: the loss can go to zero
    opt = KFAC(m, lr=0.3, damping=0.05, decay=0.9, inverse_every=2, temporal="option2",
               seed=0)
    first = float(nll_loss(m, x, y).detach())

    def closure():
        opt.zero_grad()
        loss = nll_loss(m, x, y)
        loss.backward()
        return loss

    for _ in range(10):
        opt.step(closure, x=x)
    assert float(nll_loss(m, x, y).detach()) < 0.5 * first


@pytest.mark.parametrize("temporal", ["independent", "option2"])
def test_a_step_that_reuses_the_loss_forward_pass_is_the_same_step(temporal):
    """``step(x=x, output=out)`` with ``out`` the loss's forward pass gives the same parameters
    as letting K-FAC run the forward pass again."""
    x, y = data(B=8, T=5)

    def run(reuse):
        model = make(d=4)
        opt = KFAC(model, lr=0.2, damping=0.1, temporal=temporal, seed=3)
        for _ in range(2):
            opt.zero_grad()
            out = model(x)
            (0.5 * ((out.y - y) ** 2).sum() / x.shape[0]).backward()
            opt.step(x=x, output=out if reuse else None)
        return torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    assert torch.allclose(run(True), run(False), rtol=0, atol=1e-12)


def test_the_optimizer_keeps_only_the_statistics_its_temporal_model_reads():
    """U and W share g_t = D a_t, hence G_0; the lagged moments A_1, G_1 are kept for W under
    options 1 and 2 only (the independent model does not read them)."""
    m = make(d=4)
    x, _ = data(B=8, T=5)
    full = kfac_statistics(m, x, exact=False, seed=0)
    for temporal, lagged in (("independent", False), ("option1", True)):
        opt = KFAC(m, temporal=temporal, seed=0)
        opt.update_statistics(x)
        for layer in ("U", "W", "V"):
            s, f = opt.stats[layer], full[layer]
            assert torch.allclose(s.A0, f.A0) and torch.allclose(s.G0, f.G0)
            keep = lagged and layer == "W"
            assert torch.allclose(s.A1, f.A1 if keep else torch.zeros_like(f.A1))
        assert torch.equal(opt.stats["U"].G0, opt.stats["W"].G0)
    with pytest.raises(ValueError, match=r"^output must be the model's output on x, with h and a of shape \(8, 5, 4\)"):
        KFAC(m).step(x=x, output=m(x[:, :3]))
    with pytest.raises(ValueError, match="^output must be an srnbook.srn.SRNOutput"):
        KFAC(m).step(x=x, output=torch.zeros(8, 5, 4))


def test_running_average_with_decay():
    m = make()
    x1, _ = data(seed=1)
    x2, _ = data(seed=2)
    opt = KFAC(m, decay=0.75)
    opt.update_statistics(x1)
    A1 = opt.stats["U"].A0.clone()
    opt.update_statistics(x2)
    A2 = kfac_statistics(m, x2)["U"].A0
    assert torch.allclose(opt.stats["U"].A0, 0.75 * A1 + 0.25 * A2)


@pytest.mark.parametrize("kw,name", [
    ({"decay": 1.0}, "decay"), ({"decay": -0.1}, "decay"), ({"decay": True}, "decay"),
    ({"damping": 0.0}, "damping"), ({"damping": -1.0}, "damping"), ({"damping": float("nan")}, "damping"),
    ({"lr": 0.0}, "lr"), ({"inverse_every": 0}, "inverse_every"), ({"temporal": "option3"}, "temporal"),
    ({"likelihood": "poisson"}, "likelihood"), ({"likelihood": "bernoulli"}, "likelihood"),
    ({"n_samples": 0}, "n_samples"), ({"seed": -1}, "seed"), ({"seed": None}, "seed"),
])
def test_optimizer_options_validated(kw, name):
    with pytest.raises(ValueError, match=name):
        KFAC(make(), **kw)


def test_other_inputs_validated():
    m = make()
    x, y = data()
    with pytest.raises(ValueError, match="model"):
        KFAC(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="x"):
        KFAC(m).step()
    with pytest.raises(ValueError, match="x"):
        kfac_statistics(m, x.float())
    with pytest.raises(ValueError, match="layer"):
        block_indices(m, "Q")
    with pytest.raises(ValueError, match="damping"):
        damped_inverse(torch.eye(2, dtype=F64), -1.0)
    with pytest.raises(ValueError, match="grad"):
        precondition(kfac_statistics(m, x)["V"], torch.zeros(5, 5, dtype=F64), 0.1)
    with pytest.raises(ValueError, match="y"):
        nll_loss(m, x, y[:, :2])
    with pytest.raises(ValueError, match="gradient"):
        layer_gradient(make(), "W")


# ---------------------------------------------------------------------- K-FAC chapter: Bernoulli, h0, steps


from srnbook.dfa import DFA, even_as  # noqa: E402
from srnbook.optim.hessian_free import gnvp  # noqa: E402
from srnbook.optim.kfac import (  # noqa: E402
    block_natural_gradient,
    cosine,
    homogeneity_gaps,
    kfac_direction,
    saturation_sweep,
    step_moments,
    step_vector,
)
from srnbook.ssrn import dfa_to_ssrn  # noqa: E402


def bernoulli_data(B=6, T=4, o=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, 2, dtype=F64, generator=g), torch.rand(B, T, o, dtype=F64, generator=g).round()


@pytest.mark.parametrize("likelihood,output,loss", [("gaussian", "identity", "squared"),
                                                    ("categorical", "softmax", "cross_entropy"),
                                                    ("bernoulli", "sigmoid", "binary_cross_entropy")])
def test_fisher_equals_generalized_gauss_newton(likelihood, output, loss):
    """For a likelihood matched to the output function, F = J^T (d^2 L / dz^2) J, built column by column."""
    m = make(output=output, o=3)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 5, 2, dtype=F64, generator=g)
    y = torch.nn.functional.one_hot(torch.randint(0, 3, (4, 5), generator=g), 3).to(F64)
    F = exact_fisher(m, x, likelihood)
    columns = [gnvp(m, None, x, y, e, loss=loss) for e in torch.eye(F.shape[0], dtype=F64)]
    assert torch.allclose(F, torch.stack(columns, 1), atol=1e-12)


def test_bernoulli_loss_is_binary_cross_entropy_and_sampled_factors_converge():
    m = make(output="sigmoid")
    x, y = bernoulli_data()
    p = m(x).y
    bce = -(y * p.log() + (1 - y) * (1 - p).log()).sum() / x.shape[0]
    assert torch.allclose(nll_loss(m, x, y, "bernoulli"), bce)
    exact = kfac_statistics(m, x, likelihood="bernoulli", exact=True)
    sampled = kfac_statistics(m, x, likelihood="bernoulli", n_samples=20000,
                              seed=0)
    for layer in ("U", "W", "V"):
        rel = torch.linalg.norm(sampled[layer].G0 - exact[layer].G0) / torch.linalg.norm(exact[layer].G0)
        assert rel < 0.05, layer


def test_bernoulli_needs_sigmoid_output_and_targets_in_unit_interval():
    x, y = bernoulli_data()
    with pytest.raises(ValueError, match="likelihood"):
        nll_loss(make(output="identity"), x, y, "bernoulli")
    with pytest.raises(ValueError, match="y"):
        nll_loss(make(output="sigmoid"), x, 2 * y + 1, "bernoulli")


def test_initial_state_enters_statistics_and_fisher():
    """With h0 the first input of W is h0, and the Fisher is that of the network started there."""
    m = make()
    x, y = data(B=3, T=3)
    h0 = torch.tensor([0.5, -1.0, 2.0], dtype=F64)
    s0, s1 = kfac_statistics(m, x, exact=True)["W"], kfac_statistics(m, x, exact=True, h0=h0)["W"]
    assert not torch.allclose(s0.A0, s1.A0)
    idx = block_indices(m, "W")
    F = exact_fisher(m, x, h0=h0)
    expected = float(torch.linalg.norm(kfac_block(s1) - F[idx][:, idx]) / torch.linalg.norm(F[idx][:, idx]))
    assert approximation_errors(m, x, h0=h0)[("W", "independent")] == pytest.approx(expected)
    with torch.no_grad():
        assert float(nll_loss(m, x, y, h0=h0)) != pytest.approx(float(nll_loss(m, x, y)))


def test_step_moments_average_to_the_statistics():
    m = make()
    x, _ = data(B=5, T=4)
    stats = kfac_statistics(m, x, exact=True)
    for layer, (A, G) in step_moments(m, x).items():
        assert A.shape[0] == 4 and G.shape[0] == 4
        assert torch.allclose(A.mean(0), stats[layer].A0, atol=1e-12)
        assert torch.allclose(G.mean(0), stats[layer].G0, atol=1e-12)


def test_homogeneity_gap_is_zero_for_stationary_inputs_and_positive_otherwise():
    """A0 of V's input (h_t, 1) is constant in t when every step has the same state; not when it drifts."""
    m = make()
    x = torch.ones(3, 5, 2, dtype=F64)
    with torch.no_grad():
        m.W.zero_()  # h_t = tanh(U x_t + b): the same at every step
    gaps = homogeneity_gaps(m, x)
    assert gaps["V"][0] < 1e-12 and gaps["U"][0] < 1e-12
    x2, _ = data(B=3, T=5)
    assert homogeneity_gaps(make(), x2)["V"][0] > 0.01


def test_cosine_euclidean_and_in_a_metric():
    u = torch.tensor([1.0, 0.0], dtype=F64)
    v = torch.tensor([1.0, 1.0], dtype=F64)
    assert cosine(u, v) == pytest.approx(2 ** -0.5)
    M = torch.diag(torch.tensor([1.0, 0.0], dtype=F64))  # v and u coincide in this (degenerate) metric
    assert cosine(u, v, M) == pytest.approx(1.0)
    assert cosine(u, torch.zeros(2, dtype=F64)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        cosine(u, torch.ones(3, dtype=F64))


def test_metric_cosine_squared_is_the_share_of_the_quadratic_decrease():
    m = make()
    x, y = data(B=4, T=3)
    damping = 0.05
    F = exact_fisher(m, x)
    M = F + damping * torch.eye(F.shape[0], dtype=F64)
    g = torch.cat([p.reshape(-1) for p in torch.autograd.grad(nll_loss(m, x, y), list(m.parameters()))])
    best = step_vector(m, natural_gradient(m, x, y, damping=damping))
    s = step_vector(m, kfac_direction(m, x, y, damping))

    def model_min(d):  # min over alpha of g.(alpha d) + 0.5 alpha^2 d.M.d
        return -0.5 * float(g @ d) ** 2 / float(d @ M @ d)

    assert model_min(s) / model_min(best) == pytest.approx(cosine(s, best, M) ** 2, rel=1e-9)


@pytest.mark.parametrize("temporal", ["independent", "option1", "option2"])
def test_kfac_direction_is_the_preconditioned_gradient(temporal):
    m = make()
    x, y = data(B=4, T=3)
    step = kfac_direction(m, x, y, 0.1, temporal)
    nll_loss(m, x, y).backward()
    stats = kfac_statistics(m, x, exact=True)
    W = -precondition(stats["W"], layer_gradient(m, "W"), 0.1, temporal)
    U = -precondition(stats["U"], layer_gradient(m, "U"), 0.1)
    assert torch.allclose(step["W"], W) and torch.allclose(step["U"], U[:, :-1]) and torch.allclose(step["b"], U[:, -1])


def test_block_natural_gradient_solves_each_block():
    m = make()
    x, y = data(B=3, T=3)
    step = step_vector(m, block_natural_gradient(m, x, y, 0.2))
    F = exact_fisher(m, x)
    g = torch.cat([p.reshape(-1) for p in torch.autograd.grad(nll_loss(m, x, y), list(m.parameters()))])
    for layer in ("U", "W", "V"):
        idx = block_indices(m, layer)
        lhs = (F[idx][:, idx] + 0.2 * torch.eye(len(idx), dtype=F64)) @ step[idx]
        assert torch.allclose(lhs, -g[idx], atol=1e-10), layer


def test_pi_damped_inverse_tends_to_gradient_over_damping_as_G_vanishes():
    """The limit behind the saturated case: G0 -> 0 with A0 fixed gives grad / gamma."""
    s = random_stats()
    Z = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(4))
    gaps = []
    for eps in (1e-2, 1e-6, 1e-10, 1e-14):  # the gap shrinks like sqrt(eps): delta_G ~ sqrt(tr G0)
        small = LayerStatistics(s.A0, eps * s.G0, s.A1, eps * s.G1, s.T)
        gaps.append(float(torch.linalg.norm(precondition(small, Z, 0.01) - Z / 0.01) / torch.linalg.norm(Z / 0.01)))
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3] and gaps[3] < 1e-4


def sweep_data(B=12, T=6, seed=0):
    """Words over {a, b}; targets of another language (the last letter is an a)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 2, (B, T), generator=g)
    x = torch.nn.functional.one_hot(idx, 2).to(F64)
    return x, (idx == 0).to(F64).unsqueeze(2)


def test_saturation_sweep_gradient_factor_vanishes_and_step_becomes_gradient_over_damping():
    x, y = sweep_data()
    points = saturation_sweep(even_as(), [2.0, 8.0, 16.0, 32.0], x, y, damping=1e-3)
    sp = [p.sigma_prime for p in points]
    assert all(a > b for a, b in zip(sp, sp[1:]))
    for layer in ("U", "W"):
        G = [p.G_scale[layer] for p in points]
        grads = [p.gradient_norm[layer] for p in points]
        assert all(a > b for a, b in zip(G, G[1:])) and G[-1] < 1e-30
        assert all(a > b for a, b in zip(grads, grads[1:]))
        assert points[-1].damping_ratio[layer] > 1e10
        assert points[-1].gradient_cosine[layer] == pytest.approx(1.0, abs=1e-9)
        assert points[-1].step_ratio[layer] == pytest.approx(1.0, abs=1e-6)
        assert points[0].step_ratio[layer] < 0.5  # unsaturated: the curvature, not the damping, sets the step
    assert points[-1].J == 32.0


def test_saturation_sweep_sigma_prime_is_that_of_the_scale_once_saturated():
    """Once the states are one-hot (to e^-J), every |a| >= J: the largest sigma'(a) is sigma'(J)."""
    x, y = sweep_data(B=4, T=3)
    for p in saturation_sweep(even_as(), [16.0, 24.0], x, y):
        sigma = torch.sigmoid(torch.tensor(p.J, dtype=F64))
        assert p.sigma_prime == pytest.approx(float(sigma * (1 - sigma)), rel=1e-3)


def test_saturated_srn_breaks_the_homogeneity_the_temporal_models_assume():
    """The state of an automaton that counts the length mod 2 alternates: A^(t) is not stationary."""
    x, _ = sweep_data(B=16, T=6)
    parity = DFA([[1, 1], [0, 0]], [True, False], ("a", "b"))
    net = dfa_to_ssrn(parity, "sigmoid", J=16.0, dtype=F64)
    gap_ssrn = homogeneity_gaps(net.srn, x, likelihood="bernoulli", h0=net.h0)["W"][0]
    torch.manual_seed(0)
    small = SRN(2, net.srn.hidden_size, 1, activation="sigmoid", output="sigmoid", grad="autograd", dtype=F64)
    gap_random = homogeneity_gaps(small, x, likelihood="bernoulli", h0=net.h0)["W"][0]
    assert gap_ssrn > 0.9 and gap_ssrn > 3 * gap_random


def test_saturation_sweep_validates_inputs():
    x, y = sweep_data(B=2, T=2)
    with pytest.raises(ValueError, match="scales"):
        saturation_sweep(even_as(), [], x, y)
    with pytest.raises(ValueError, match="scales"):
        saturation_sweep(even_as(), [-1.0], x, y)
    with pytest.raises(ValueError, match="x"):
        saturation_sweep(even_as(), [4.0], x.float(), y)
    with pytest.raises(ValueError, match="damping"):
        saturation_sweep(even_as(), [4.0], x, y, damping=0.0)
    with pytest.raises(ValueError, match="step"):
        step_vector(make(), {"U": torch.zeros(3, 2, dtype=F64)})


# ---------------------------------------------------------------------- issue 20: every argument checked


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("kw, name", [
    ({"lr": NAN}, "lr"), ({"lr": 1e300}, "lr"), ({"damping": INF}, "damping"), ({"damping": 1e300}, "damping"),
    ({"decay": NAN}, "decay"), ({"n_samples": 2.0}, "n_samples"), ({"outputs": "first"}, "outputs"),
    ({"seed": 2**64}, "seed"), ({"seed": torch.Generator()}, "seed"),
])
def test_kfac_checks_every_damping_and_sampling_option(kw, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        KFAC(make(), **kw)


def test_kfac_seed_makes_the_sampled_statistics_reproducible():
    """One seed rule: the sampled statistics depend on the seed only, not on the global generator."""
    m = make()
    x, _ = data()
    a = kfac_statistics(m, x, n_samples=2, seed=10**12)
    torch.manual_seed(123)  # the global generator plays no part
    b = kfac_statistics(m, x, n_samples=2, seed=10**12)
    c = kfac_statistics(m, x, n_samples=2, seed=10**12 + 1)
    assert torch.equal(a["W"].G0, b["W"].G0) and not torch.equal(a["W"].G0, c["W"].G0)
    for seed in (-1, None, 1.5):
        with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
            kfac_statistics(m, x, seed=seed)

    def run():
        model = make()
        opt = KFAC(model, seed=7)
        for _ in range(2):
            opt.zero_grad()
            nll_loss(model, *data()).backward()
            opt.step(x=x)
        return torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    assert torch.equal(run(), run())


def test_kfac_size_guards_refuse_before_allocating(memory_limit):
    m = make()
    x, y = data()
    with pytest.raises(ValueError, match=r"^n_samples: the gradients of 1000000000000 targets .* would need"):
        kfac_statistics(m, x, n_samples=10**12)
    with pytest.raises(ValueError, match=r"^n_samples: .* would need"):
        KFAC(m, n_samples=10**12)  # even a batch of one sequence of one step would not fit
    memory_limit(2**10)  # 1 KiB
    with pytest.raises(ValueError, match=r"^x: the 64 x 26 Jacobian \(twice\) and the 26 x 26 Fisher would need"):
        exact_fisher(m, x)
    with pytest.raises(ValueError, match=r"^x: the gradients of 8 targets per sequence"):
        kfac_statistics(m, x, exact=True)
    memory_limit(2**30)
    s = kfac_statistics(m, x, exact=True)["W"]
    memory_limit(2**11)
    with pytest.raises(ValueError, match=r"^stats: six 9 x 9 matrices would need"):
        kfac_block(s)


def test_undamped_inverses_refuse_singular_factors():
    s = random_stats()
    singular = LayerStatistics(torch.zeros_like(s.A0), s.G0, s.A1, s.G1, s.T)
    Z = torch.ones(2, 3, dtype=F64)
    with pytest.raises(ValueError, match="damping=0 needs positive definite factors, but stats.A0"):
        precondition(singular, Z, 0.0)
    assert torch.isfinite(precondition(singular, Z, 0.1)).all()
    with pytest.raises(ValueError, match="C \\+ damping I must be positive definite"):
        damped_inverse(torch.zeros(2, 2, dtype=F64), 0.0)
    with pytest.raises(ValueError, match="C must be symmetric"):
        damped_inverse(torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=F64), 0.1)
    with pytest.raises(ValueError, match="damping must be at most"):
        damped_inverse(torch.eye(2, dtype=F64), 1e300)
    x, y = data(B=1, T=1)  # 2 outputs, 26 parameters: F has rank 2
    with pytest.raises(ValueError, match="the damped Fisher is singular at damping=0.0"):
        natural_gradient(make(), x, y, damping=0.0)


def test_statistics_dicts_and_vectors_are_checked():
    m = make()
    x, y = data()
    with pytest.raises(ValueError, match="stats must be a LayerStatistics"):
        kfac_block((torch.eye(2),) * 4)
    s = random_stats()
    with pytest.raises(ValueError, match=r"stats.G1 must be a non-empty square matrix like stats.G0"):
        precondition(LayerStatistics(s.A0, s.G0, s.A1, s.G1[:1], s.T), torch.ones(2, 3, dtype=F64), 0.1)
    with pytest.raises(ValueError, match="A must be a non-empty square matrix"):
        pi_damping(torch.ones(2, 3, dtype=F64), torch.eye(2, dtype=F64), 0.1)
    with pytest.raises(ValueError, match="G must have the dtype of A"):
        pi_damping(torch.eye(2, dtype=F64), torch.eye(2), 0.1)
    grads = {n: torch.zeros_like(p) for n, p in m.named_parameters()}
    with pytest.raises(ValueError, match=r"grads\['b'\] must have shape \(3,\)"):
        layer_gradient(m, "U", {**grads, "b": torch.zeros(4, dtype=F64)})
    with pytest.raises(ValueError, match="step must have an entry for each of"):
        step_vector(m, {**grads, "Q": torch.zeros(1, dtype=F64)})
    with pytest.raises(ValueError, match="v must have the dtype of u"):
        cosine(torch.ones(3, dtype=F64), torch.ones(3))
    with pytest.raises(ValueError, match=r"y must have entries <= 1"):
        nll_loss(make(output="softmax"), x, torch.full((8, 4), 2), "categorical")
    with pytest.raises(ValueError, match=r"scales\[1\] must be"):
        saturation_sweep(even_as(), [1.0, NAN], x, y[..., :1])
