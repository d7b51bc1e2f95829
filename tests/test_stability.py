"""Specification of srnbook.stability (Wayman & Mathew, section 5; Bengio, Simard & Frasconi 1994)."""

import math

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from srnbook import SRN
from srnbook.stability import (
    MODES,
    basins,
    feedback_loop,
    fixed_points,
    flip_flop,
    latch,
    latch_experiment,
    latch_inputs,
    lyapunov_energy,
    plot_basins,
    plot_energy_landscape,
    plot_feedback_loop,
    plot_latch_dilemma,
    plot_latch_frame,
    plot_pitchfork,
    trajectory,
)

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tensor(values):
    return torch.tensor(values, dtype=F64)


def scalar(w):
    return tensor([[w]]), torch.zeros(1, dtype=F64)


def random_symmetric(d, seed, scale=1.5):
    """A symmetric W with a nonnegative diagonal, and a bias."""
    g = torch.Generator().manual_seed(seed)
    A = scale * torch.randn(d, d, generator=g, dtype=F64)
    W = (A + A.T) / 2
    W.diagonal().abs_()
    return W, 0.5 * torch.randn(d, generator=g, dtype=F64)


# ---------------------------------------------------------------------- fixed points


def network(activation, seed, symmetric):
    """A random 4-unit network; the symmetric ones have several attractors and saddles."""
    if not symmetric:
        g = torch.Generator().manual_seed(seed)
        return 3 * torch.randn(4, 4, generator=g, dtype=F64), torch.randn(4, generator=g, dtype=F64)
    W, b = random_symmetric(4, seed, scale=2.0)
    if activation == "sigmoid":  # centre the sigmoid units so that they can be bistable
        W = 3 * W
        b = -W.sum(1) / 2
    return W, b


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("symmetric", [False, True])
def test_fixed_points_solve_the_equation_and_their_kind_follows_the_spectral_radius(activation, seed, symmetric):
    W, b = network(activation, seed, symmetric)
    sigma = torch.tanh if activation == "tanh" else torch.sigmoid
    points = fixed_points(W, b, activation)
    kinds = {p.kind for p in points}
    assert kinds and (not symmetric or {"stable", "saddle"} <= kinds)
    for p in points:
        assert float((sigma(W @ p.h + b) - p.h).abs().max()) <= 1e-10
        slope = 1 - p.h**2 if activation == "tanh" else p.h * (1 - p.h)
        torch.testing.assert_close(p.jacobian, slope.unsqueeze(1) * W)
        moduli = torch.linalg.eigvals(p.jacobian).abs()
        assert p.spectral_radius == pytest.approx(float(moduli.max()))
        assert p.stable == (p.spectral_radius < 1) == (p.kind == "stable")
        if p.kind == "saddle":
            assert float(moduli.min()) < 1 < float(moduli.max())
        if p.kind == "unstable":
            assert float(moduli.min()) > 1
    distinct = torch.stack([p.h for p in points])
    assert float(torch.cdist(distinct, distinct).add(torch.eye(len(points), dtype=F64)).min()) > 1e-4


@pytest.mark.parametrize("w", [0.3, 0.7, 0.95])
def test_scalar_tanh_with_weight_below_one_has_only_the_stable_origin(w):
    (p,) = fixed_points(*scalar(w))
    assert abs(float(p.h)) < 1e-12
    assert p.kind == "stable" and p.spectral_radius == pytest.approx(w)


def test_scalar_tanh_with_weight_one_has_a_marginal_origin():
    (p,) = fixed_points(*scalar(1.0))  # h = tanh(h): only 0, where J = 1 (not hyperbolic)
    assert abs(float(p.h)) < 1e-6 and p.kind == "marginal" and not p.stable


@pytest.mark.parametrize("w", [1.2, 1.5, 2.0, 3.0])
def test_scalar_tanh_with_weight_above_one_has_the_unstable_origin_and_two_latches(w):
    low, origin, high = fixed_points(*scalar(w))
    assert abs(float(origin.h)) < 1e-12
    assert origin.kind == "unstable" and origin.spectral_radius == pytest.approx(w)
    star = float(high.h)
    assert star > 0 and star == pytest.approx(math.tanh(w * star), abs=1e-14)
    assert float(low.h) == pytest.approx(-star, abs=1e-14)
    for p in (low, high):
        assert p.kind == "stable"
        assert p.spectral_radius == pytest.approx(w * (1 - star**2))  # |w sigma'(a*)| < 1


def test_two_uncoupled_latches_have_four_attractors_four_saddles_and_a_repeller():
    points = fixed_points(2 * torch.eye(2, dtype=F64), torch.zeros(2, dtype=F64))
    kinds = [p.kind for p in points]
    assert len(points) == 9
    assert (kinds.count("stable"), kinds.count("saddle"), kinds.count("unstable")) == (4, 4, 1)


def test_fixed_points_are_seeded_and_reproducible():
    W, b = random_symmetric(4, seed=3, scale=2.0)
    first = fixed_points(W, b, seed=5)
    again = fixed_points(W, b, seed=5)
    assert [p.h.tolist() for p in first] == [p.h.tolist() for p in again]
    more = fixed_points(W, b, seed=6, n_starts=2000)  # a larger search finds nothing new
    assert len(more) == len(first)
    torch.testing.assert_close(torch.stack([p.h for p in more]), torch.stack([p.h for p in first]))


# ---------------------------------------------------------------------- basins


def test_flip_flop_basins_are_split_by_the_diagonal():
    W, b = flip_flop()
    result = basins(W, b, grid=41)
    kinds = [p.kind for p in result.fixed_points]
    assert kinds == ["stable", "saddle", "stable"]
    low, saddle, high = (p.h for p in result.fixed_points)
    assert float(high[0]) > 0.98 and float(high[1]) < -0.98  # unit 1 on, unit 2 off
    Y, X = torch.meshgrid(result.ys, result.xs, indexing="ij")
    labels = result.labels
    assert bool((labels[X > Y] == 2).all()) and bool((labels[X < Y] == 0).all())
    assert bool((labels[X == Y] == 1).all())  # the saddle's stable manifold
    swap = torch.tensor([2, 1, 0])[labels]  # exchange the two attractors
    torch.testing.assert_close(labels.T, swap)  # symmetry h1 <-> h2
    torch.testing.assert_close(labels.flip(0, 1), swap)  # symmetry h -> -h


def test_basins_defaults_to_the_flip_flop():
    default = basins(grid=11)
    explicit = basins(*flip_flop(), grid=11)
    assert torch.equal(default.labels, explicit.labels)


def test_a_rotation_has_no_fixed_point_basin_but_its_own_origin():
    W = tensor([[0.0, -2.0], [2.0, 0.0]])  # the origin is a repeller (eigenvalues +-2i)
    result = basins(W, torch.zeros(2, dtype=F64), grid=21)
    assert [p.kind for p in result.fixed_points] == ["unstable"]
    assert int((result.labels == 0).sum()) == 1  # the origin itself
    assert int((result.labels == -1).sum()) == 21 * 21 - 1


# ---------------------------------------------------------------------- feedback loop


@pytest.mark.parametrize("w", [0.5, 1.0, 1.3, -0.7])
def test_feedback_loop_is_the_closed_form_sum(w):
    x = torch.randn(25, generator=torch.Generator().manual_seed(0), dtype=F64)
    y = feedback_loop(x, w)
    closed = torch.stack([sum(w ** (l + 1) * x[n - l] for l in range(n + 1)) for n in range(25)])
    torch.testing.assert_close(y, closed, rtol=1e-12, atol=1e-12)


def test_feedback_loop_fades_integrates_or_explodes():
    n = torch.arange(30, dtype=F64)
    impulse = torch.zeros(30, dtype=F64)
    impulse[0] = 1
    for w in (0.8, 1.0, 1.2):
        torch.testing.assert_close(feedback_loop(impulse, w), w ** (n + 1))
    step = torch.ones(30, dtype=F64)
    torch.testing.assert_close(feedback_loop(step, 1.0), n + 1)  # integrator: linear growth
    assert float(feedback_loop(step, 0.5)[-1]) == pytest.approx(1.0)  # w / (1 - w)
    batch = torch.stack([impulse, step])
    torch.testing.assert_close(feedback_loop(batch, 0.9)[1], feedback_loop(step, 0.9))


# ---------------------------------------------------------------------- Lyapunov function


def energies(W, b, states, activation="tanh"):
    return lyapunov_energy(W, b, states.reshape(-1, W.shape[0]), activation).view(states.shape[:-1])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_energy_never_increases_along_asynchronous_updates(activation):
    W, b = random_symmetric(6, seed=1)
    if activation == "identity":
        W = W / (2 * torch.linalg.matrix_norm(W, 2))  # keep the linear network bounded
    g = torch.Generator().manual_seed(2)
    h0 = torch.rand(16, 6, generator=g, dtype=F64)
    h0 = h0 if activation == "sigmoid" else 2 * h0 - 1
    E = energies(W, b, trajectory(W, b, h0, 40, activation, mode="asynchronous"), activation)
    assert float(E.diff(dim=1).max()) <= 1e-12
    assert float((E[:, 0] - E[:, -1]).min()) > 0


def test_energy_never_increases_along_the_continuous_dynamics():
    W, b = random_symmetric(6, seed=4)
    h0 = 1.8 * torch.rand(16, 6, generator=torch.Generator().manual_seed(5), dtype=F64) - 0.9
    E = energies(W, b, trajectory(W, b, h0, 200, mode="continuous", dt=0.05))
    assert float(E.diff(dim=1).max()) <= 1e-12


def test_energy_can_increase_under_synchronous_updates_or_negative_self_weights():
    W, b = tensor([[0.0, 2.0], [2.0, 0.0]]), torch.zeros(2, dtype=F64)
    h0 = tensor([0.9, -0.9])
    sync = energies(W, b, trajectory(W, b, h0, 10, mode="synchronous"))
    assert float(sync[1] - sync[0]) > 0.1  # the SRN map runs into a 2-cycle
    asyn = energies(W, b, trajectory(W, b, h0, 10, mode="asynchronous"))
    assert float(asyn.diff().max()) <= 1e-12
    w, z = scalar(-2.0)  # W_ii < 0 breaks the asynchronous guarantee
    E = energies(w, z, trajectory(w, z, tensor([0.5]), 5, mode="asynchronous"))
    assert float(E[1] - E[0]) > 0


def test_fixed_points_are_stationary_points_and_attractors_are_minima_of_the_energy():
    W, b = random_symmetric(3, seed=0, scale=2.0)
    points = fixed_points(W, b)
    assert any(p.stable for p in points)
    for p in points:
        h = p.h.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(lyapunov_energy(W, b, h), h)
        assert float(grad.abs().max()) < 1e-8  # grad E = artanh(h) - (W h + b)
        if p.stable:
            hessian = torch.autograd.functional.hessian(lambda v: lyapunov_energy(W, b, v), p.h)
            assert float(torch.linalg.eigvalsh(hessian).min()) > 0


def test_energy_integrals_are_the_closed_forms():
    s = torch.linspace(0, 0.7, 20001, dtype=F64)
    zero = torch.zeros(1, 1, dtype=F64), torch.zeros(1, dtype=F64)
    for name, inverse in (("tanh", torch.atanh), ("identity", lambda v: v)):
        numeric = torch.trapezoid(inverse(s), s)
        assert float(lyapunov_energy(*zero, tensor([0.7]), name)) == pytest.approx(float(numeric), rel=1e-7)
    assert float(lyapunov_energy(*zero, tensor([1.0]))) == pytest.approx(math.log(2))  # finite at the bound
    assert float(lyapunov_energy(*zero, tensor([0.5]), "sigmoid")) == pytest.approx(-math.log(2))


def test_synchronous_trajectory_is_the_srn_with_zero_input():
    model = SRN(2, 4, 1, activation="tanh", dtype=F64)
    h0 = torch.rand(3, 4, generator=torch.Generator().manual_seed(0), dtype=F64)
    W, b = model.W.detach(), model.b.detach()
    states = trajectory(W, b, h0, 7)
    assert states.shape == (3, 8, 4)
    torch.testing.assert_close(states[:, 0], h0)
    torch.testing.assert_close(states[:, 1:], model(torch.zeros(3, 7, 2, dtype=F64), h0=h0).h.detach())
    assert trajectory(W, b, h0[0], 7).shape == (8, 4)


# ---------------------------------------------------------------------- the latching dilemma


@pytest.mark.parametrize("w", [0.5, 1.0, 1.5, 3.0])
@pytest.mark.parametrize("grad", ["autograd", "bptt"])
def test_latch_gradient_is_the_product_of_jacobians_and_matches_the_srn(w, grad):
    x = 0.5 * torch.randn(5, 15, generator=torch.Generator().manual_seed(0), dtype=F64)
    trace = latch(w, x, u=0.8, h0=0.1)
    model = SRN(1, 1, 1, activation="tanh", grad=grad, dtype=F64)
    with torch.no_grad():
        model.W.fill_(w), model.U.fill_(0.8), model.b.zero_()
    h0 = torch.full((5, 1), 0.1, dtype=F64, requires_grad=True)
    out = model(x.unsqueeze(2), h0=h0)
    torch.testing.assert_close(trace.h, out.h.detach().squeeze(2))
    (dh0,) = torch.autograd.grad(out.h_last.sum(), h0)  # sequences are independent
    torch.testing.assert_close(trace.gradient, dh0.squeeze(1), rtol=1e-10, atol=1e-300)
    torch.testing.assert_close(torch.pow(10.0, trace.log10_gradient), trace.gradient.abs())


def test_latch_retention_rises_and_gradient_vanishes_as_the_weight_grows_beyond_one():
    results = latch_experiment((0.5, 1.0, 1.25, 1.5, 2.0, 3.0), T=50, noise_std=0.3,
                               n_sequences=1000, seed=0)
    by_w = {r.w: r for r in results}
    for w in (0.5, 1.0):  # no attractor but the origin: the bit is lost to the noise
        assert abs(by_w[w].retention - 0.5) < 0.06 and by_w[w].attractor == 0.0
    above = [by_w[w] for w in (1.25, 1.5, 2.0, 3.0)]
    retention = [r.retention for r in above]
    assert retention[0] + 0.2 < retention[1] < retention[2] - 0.03 and retention[3] >= 0.99
    log10 = [r.median_log10_gradient for r in above]
    assert all(later < earlier - 5 for earlier, later in zip(log10, log10[1:]))
    for r in above:
        assert 0 < r.contraction < 1  # the attractor is contracting: |w sigma'(a*)| < 1
        assert r.median_gradient == pytest.approx(10.0**r.median_log10_gradient)
    for r in above[2:]:  # robustly latched: the gradient is the noise-free (w sigma'(a*))^T
        assert r.median_log10_gradient == pytest.approx(r.T * math.log10(r.contraction), rel=0.1)
    assert results == latch_experiment((0.5, 1.0, 1.25, 1.5, 2.0, 3.0), T=50, noise_std=0.3,
                                       n_sequences=1000, seed=0)


def test_energy_never_increases_along_the_synchronous_srn_when_lambda_min_exceeds_minus_one():
    g = torch.Generator().manual_seed(4)
    A = torch.randn(5, 5, generator=g, dtype=F64)
    W = A + A.T
    W = W - (torch.linalg.eigvalsh(W).min() + 0.9) * torch.eye(5, dtype=F64)  # lambda_min(W) = -0.9 > -1
    b = 0.3 * torch.randn(5, generator=g, dtype=F64)
    h0 = 2 * torch.rand(20, 5, generator=g, dtype=F64) - 1
    h = trajectory(W, b, h0, 30)
    E = lyapunov_energy(W, b, h.reshape(-1, 5)).reshape(20, 31)
    assert ((E[:, 1:] - E[:, :-1]) <= 1e-12).all()
    # the bound -1/2 D^T (W + I) D on each step
    D = h[:, 1:] - h[:, :-1]
    bound = -0.5 * torch.einsum("nti,ij,ntj->nt", D, W + torch.eye(5, dtype=F64), D)
    assert ((E[:, 1:] - E[:, :-1]) <= bound + 1e-12).all()


def test_latch_inputs_are_the_experiments_sequences():
    x, bits = latch_inputs(6, 5, noise_std=0.2, seed=3, pulse=2.0)
    assert x.shape == (6, 5) and x.dtype == torch.float64
    assert bits.tolist() == [1, -1, 1, -1, 1, -1] and torch.equal(x[:, 0], 2.0 * bits)
    assert torch.equal(x, latch_inputs(6, 5, noise_std=0.2, seed=3, pulse=2.0)[0])
    (r,) = latch_experiment((1.5,), T=5, noise_std=0.2, n_sequences=6, seed=3, pulse=2.0)
    kept = (torch.sign(latch(1.5, x).h[:, -1]) == bits).double().mean()
    assert r.retention == float(kept)
    with pytest.raises(ValueError, match=r"noise_std must be a finite number in \[0, inf\]"):
        latch_inputs(noise_std=-0.1)


# ---------------------------------------------------------------------- plots


def test_plot_functions_return_closed_figures():
    figures = [
        plot_basins(basins(grid=21)),
        plot_feedback_loop(steps=10),
        plot_latch_dilemma(latch_experiment((0.5, 1.5), T=10, n_sequences=20)),
    ]
    W, b = flip_flop()
    h0 = torch.tensor([[0.3, -0.2], [-0.5, 0.1]], dtype=F64)
    runs = {mode: trajectory(W, b, h0, 4, mode=mode) for mode in MODES}
    energy = {m: lyapunov_energy(W, b, h.reshape(-1, 2)).reshape(h.shape[:2]) for m, h in runs.items()}
    figures.append(plot_energy_landscape(W, b, runs, energy, grid=11))
    fig, contraction = plot_pitchfork([0.5, 1.5, 3.0])
    figures.append(fig)
    assert contraction[0] == pytest.approx(0.5) and 0 < contraction[2] < contraction[1] < 1
    for fig in figures:
        assert isinstance(fig, Figure) and not plt.fignum_exists(fig.number)


def test_latch_frame_draws_one_frame_of_the_slider():
    x, bits = latch_inputs(n_sequences=30, T=10)
    result = latch_experiment((1.5,), T=10, n_sequences=30)[0]
    fig = plot_latch_frame(result, x, bits, shown=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    plt.close(fig)


# ---------------------------------------------------------------------- clear errors

W2, B2 = flip_flop()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fixed_points(torch.zeros(2, 3, dtype=F64), torch.zeros(2, dtype=F64)), "W must be a square"),
        (lambda: fixed_points(W2, torch.zeros(3, dtype=F64)), r"b must have shape \(2,\)"),
        (lambda: fixed_points(W2, B2.float()), r"b must have shape \(2,\) and the dtype of W \(torch.float64\)"),
        (lambda: fixed_points(W2, B2, "softsign"), "activation must be one of"),
        (lambda: fixed_points(W2, B2, n_starts=0), "n_starts must be a positive integer"),
        (lambda: fixed_points([[1.0]], B2), "W must be a torch.Tensor"),
        (lambda: basins(torch.eye(3, dtype=F64), torch.zeros(3, dtype=F64)), "basins needs a 2-unit network"),
        (lambda: basins(W2, B2, grid=1), "grid must be an integer >= 2"),
        (lambda: basins(W2, B2, grid=2.5), "grid must be an integer, got 2.5"),
        (lambda: basins(W2, B2, extent=(1, 0, 0, 1)), "extent must be"),
        (lambda: feedback_loop([1.0, 2.0], 0.5), "x must be a torch.Tensor"),
        (lambda: feedback_loop(torch.ones(3, dtype=F64), "1"), "w must be a real number"),
        (lambda: lyapunov_energy(W2, B2, tensor([0.1, 0.2]), "relu"), "activation must be invertible"),
        (lambda: lyapunov_energy(W2, B2, tensor([0.1, 1.2])), r"h must lie in \[-1, 1\]"),
        (lambda: lyapunov_energy(W2, B2, tensor([0.1, 0.2, 0.3])), r"h must have shape \(2,\)"),
        (lambda: trajectory(W2, B2, tensor([0.1, 0.2]), 3, mode="parallel"), "mode must be one of"),
        (lambda: trajectory(W2, B2, tensor([1.0, 0.2]), 3, mode="continuous"), r"h0 must lie in \(-1, 1\)"),
        (lambda: trajectory(W2, B2, tensor([0.1, 0.2]), 0), "steps must be a positive integer"),
        (lambda: latch(1.5, torch.ones(3, dtype=F64)), "x must have 2 dimensions"),
        (lambda: latch_experiment(()), "scales must be a nonempty list of numbers"),
        (lambda: latch_experiment((1.5,), noise_std=-0.1), r"noise_std must be a finite number in \[0, inf\]"),
        (lambda: latch_experiment((0.0,)), r"scales\[0\] must be a finite number in \(0, inf\]"),
    ],
)
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------- the input contract (issue 20)


def test_flip_flop_refuses_an_integer_dtype_that_would_truncate_its_weight_1_5():
    with pytest.raises(ValueError, match="dtype must be one of"):
        flip_flop(torch.int64)
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        flip_flop("float64")
    W, _ = flip_flop(torch.float32)
    assert W.dtype == torch.float32 and float(W[0, 0]) == 1.5


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, None, "0", True])
@pytest.mark.parametrize("call", [
    lambda seed: fixed_points(*scalar(2.0), seed=seed),
    lambda seed: basins(grid=3, steps=2, seed=seed),
    lambda seed: latch_inputs(4, 3, seed=seed),
    lambda seed: latch_experiment((1.5,), T=3, n_sequences=4, seed=seed),
    lambda seed: plot_feedback_loop(steps=3, seed=seed),
], ids=["fixed_points", "basins", "latch_inputs", "latch_experiment", "plot_feedback_loop"])
def test_every_seed_follows_the_one_seed_rule(call, seed):
    with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
        call(seed)


def test_a_large_seed_is_a_seed():
    x, _ = latch_inputs(4, 3, seed=10**12)
    assert torch.equal(x, latch_inputs(4, 3, seed=10**12)[0])


@pytest.mark.parametrize("call, name", [
    (lambda: fixed_points(*scalar(2.0), n_starts=10**12), "n_starts"),
    (lambda: basins(grid=10**6), "grid"),
    (lambda: trajectory(*flip_flop(), tensor([0.1, 0.2]), steps=10**12), "steps"),
    (lambda: latch_inputs(10**6, 10**6), "n_sequences and T"),
    (lambda: plot_feedback_loop(steps=10**12), "steps"),
])
def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=f"^{name}: .* would need .*memory limit"):
        call()


def test_results_that_would_overflow_are_refused():
    with pytest.raises(ValueError, match="w = 10.0 and x give an output that overflows"):
        feedback_loop(torch.ones(400, dtype=F64), 10.0)
    with pytest.raises(ValueError, match="w = 1e\\+300 is too large for 3 steps"):
        latch(1e300, torch.zeros(1, 3, dtype=F64))
    with pytest.raises(ValueError, match="u = 1e\\+300 times the inputs x overflows torch.float32"):
        latch(1.5, torch.ones(1, 3), u=1e300)
    with pytest.raises(ValueError, match="noise_std = 1e\\+308 gives inputs that overflow"):
        latch_inputs(50, 3, noise_std=1e308)


def test_arguments_out_of_their_range_are_refused():
    W, b = flip_flop()
    with pytest.raises(ValueError, match="h0 must be a finite number in \\[-1, 1\\]"):
        latch(1.5, torch.zeros(1, 3, dtype=F64), h0=2.0)
    with pytest.raises(ValueError, match="dt must be a finite number in \\(0, 1\\]"):
        trajectory(W, b, tensor([0.1, 0.2]), 3, mode="continuous", dt=2.0)
    with pytest.raises(ValueError, match="tol must be a finite number in \\(0, 1\\)"):
        fixed_points(W, b, tol=5.0)
    with pytest.raises(ValueError, match="atol must be a finite number in \\(0, 1\\)"):
        basins(grid=3, atol=1e300)
    with pytest.raises(ValueError, match="x must not be empty"):
        feedback_loop(torch.zeros(2, 0, dtype=F64), 0.5)
    with pytest.raises(ValueError, match=r"ws\[1\] must be a finite number"):
        plot_pitchfork([0.5, math.nan])


def test_figures_check_what_they_are_given_and_leave_no_figure_open():
    x, bits = latch_inputs(4, 3)
    result = latch_experiment((1.5,), T=3, n_sequences=4)[0]
    before = len(plt.get_fignums())
    with pytest.raises(TypeError, match="result must be a LatchResult"):
        plot_latch_frame((1.5, 3, 1.0, 0.0, 0.0, 0.9, 0.1), x, bits)
    with pytest.raises(ValueError, match="bits must contain only -1 and \\+1"):
        plot_latch_frame(result, x, bits * 0.5, shown=2)
    with pytest.raises(ValueError, match="shown must be an integer in \\[1, 4\\]"):
        plot_latch_frame(result, x, bits, shown=5)
    with pytest.raises(TypeError, match="runs must be a dict with the keys"):
        plot_energy_landscape(*flip_flop(), runs=[], energy={})
    with pytest.raises(TypeError, match="title must be a string"):
        plot_basins(basins(grid=3, steps=2), title=None)
    assert isinstance(plot_latch_frame(result, x, bits, shown=2), Figure)
    assert len(plt.get_fignums()) == before
