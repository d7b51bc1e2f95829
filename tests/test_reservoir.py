"""Specification of srnbook.reservoir: echo state networks, their readout, the echo state property, memory capacity."""

import math

import numpy as np
import pytest
import torch

from srnbook import SRN
from srnbook.reservoir import (
    EchoStateGrid,
    Readout,
    Reservoir,
    critical_spectral_radius,
    echo_state_distance,
    echo_state_sweep,
    esn_on_task,
    fit_readout,
    fit_task,
    has_echo_states,
    last_states,
    make_reservoir,
    memory_capacity,
    ridge_regression,
)
from srnbook.tasks import make_task
from srnbook.training import _draw

pytestmark = pytest.mark.usefixtures("one_torch_thread")
f64 = torch.float64


def uniform_input(T: int, u: int = 1, seed: int = 0) -> torch.Tensor:
    return 2 * torch.rand(T, u, generator=torch.Generator().manual_seed(seed), dtype=f64) - 1


# ---------------------------------------------------------------------- building the reservoir


@pytest.mark.parametrize("weights, density", [("uniform", 0.1), ("normal", 0.3), ("orthogonal", 1.0)])
@pytest.mark.parametrize("rho", [0.5, 0.95, 1.7])
def test_reservoir_has_the_requested_spectral_radius_by_numpy_eigenvalues(weights, density, rho):
    r = make_reservoir(3, 60, rho, density=density, weights=weights, seed=4)
    assert np.abs(np.linalg.eigvals(r.W.numpy())).max() == pytest.approx(rho, abs=1e-10)
    assert r.spectral_radius == pytest.approx(rho, abs=1e-10)
    assert r.W.dtype == r.U.dtype == r.b.dtype == f64


def test_reservoir_is_as_sparse_as_requested_within_four_binomial_standard_deviations():
    d, p = 200, 0.1
    r = make_reservoir(1, d, 0.9, density=p, seed=0)
    nonzero = int((r.W != 0).sum())
    assert abs(nonzero - p * d * d) < 4 * math.sqrt(d * d * p * (1 - p))  # 4000 +- 240
    assert int((make_reservoir(1, d, 0.9, density=1.0, seed=0).W != 0).sum()) == d * d


def test_nonzeros_input_weights_and_bias_have_their_stated_ranges():
    r = make_reservoir(2, 100, 0.9, density=0.2, input_scale=0.3, bias_scale=0.2, seed=1)
    values = r.W[r.W != 0] * (1.0 / r.W.abs().max())  # uniform in [-1, 1] before one common rescaling
    assert float(values.min()) < -0.9 and float(values.max()) == pytest.approx(1.0, abs=1e-15)
    assert float(r.U.abs().max()) <= 0.3 and float(r.U.abs().max()) > 0.29
    assert float(r.b.abs().max()) <= 0.2 and float(r.b.abs().max()) > 0.19
    assert torch.equal(make_reservoir(2, 10, density=0.5, seed=1).b, torch.zeros(10, dtype=f64))  # bias_scale 0 by default
    Q = make_reservoir(1, 30, 1.0, weights="orthogonal", density=1.0, seed=2).W
    assert torch.allclose(Q @ Q.T, torch.eye(30, dtype=f64), atol=1e-12)  # rho = 1: exactly orthogonal


def test_same_seed_gives_the_same_reservoir_and_another_seed_another():
    a, b, c = (make_reservoir(2, 40, 0.9, seed=s) for s in (7, 7, 8))
    assert all(torch.equal(getattr(a, k), getattr(b, k)) for k in ("U", "W", "b"))
    assert not torch.equal(a.W, c.W) and not torch.equal(a.U, c.U)
    x = uniform_input(20, 2)
    assert torch.equal(a.run(x), b.run(x))
    assert make_reservoir(2, 40, seed=7, dtype=torch.float32).W.dtype == torch.float32


def test_rescaling_keeps_the_structure_and_changes_only_the_radius():
    r = make_reservoir(1, 50, 0.9, seed=3)
    s = r.with_spectral_radius(1.35)
    assert s.spectral_radius == pytest.approx(1.35, abs=1e-10)
    assert torch.allclose(s.W, r.W * 1.5, rtol=1e-12, atol=0)
    assert torch.equal(s.U, r.U) and s.with_leak(0.25).leak == 0.25 and r.leak == 1.0


# ---------------------------------------------------------------------- running it


def test_with_leak_one_the_reservoir_is_the_srn_of_definition_1():
    r = make_reservoir(3, 12, 1.2, density=0.5, bias_scale=0.5, seed=0)
    net = SRN(3, 12, 1, activation="tanh", dtype=f64)
    with torch.no_grad():
        net.U.copy_(r.U)
        net.W.copy_(r.W)
        net.b.copy_(r.b)
    x = torch.randn(4, 15, 3, generator=torch.Generator().manual_seed(1), dtype=f64)
    h0 = torch.randn(4, 12, generator=torch.Generator().manual_seed(2), dtype=f64)
    assert torch.allclose(r.run(x, h0), net(x, h0=h0).h, rtol=0, atol=1e-13)


def test_leaky_update_matches_a_hand_computation_of_two_steps():
    r = make_reservoir(2, 5, 0.8, density=1.0, bias_scale=0.3, seed=5).with_leak(0.3)
    x = uniform_input(2, 2, seed=1)
    h0 = torch.full((5,), 0.5, dtype=f64)
    h1 = 0.7 * h0 + 0.3 * torch.tanh(r.U @ x[0] + r.W @ h0 + r.b)
    h2 = 0.7 * h1 + 0.3 * torch.tanh(r.U @ x[1] + r.W @ h1 + r.b)
    states = r.run(x, h0)
    assert states.shape == (2, 5)
    assert torch.allclose(states, torch.stack([h1, h2]), rtol=0, atol=1e-15)
    linear = make_reservoir(2, 5, 0.8, density=1.0, activation="identity", seed=5).with_leak(0.3)
    assert torch.allclose(linear.run(x[:1], h0)[0], 0.7 * h0 + 0.3 * (linear.U @ x[0] + linear.W @ h0), atol=1e-15)


def test_run_batches_independently_and_starts_from_zero_by_default():
    r = make_reservoir(2, 8, 0.9, density=0.5, seed=0).with_leak(0.5)
    x = torch.randn(3, 10, 2, generator=torch.Generator().manual_seed(0), dtype=f64)
    batched = r.run(x)
    for i in range(3):
        assert torch.allclose(batched[i], r.run(x[i], torch.zeros(8, dtype=f64)), atol=0, rtol=0)


# ---------------------------------------------------------------------- the readout


def test_ridge_readout_is_the_least_squares_solution_of_the_augmented_system():
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randn(40, 6, generator=g, dtype=f64), torch.randn(40, 2, generator=g, dtype=f64)
    lam = 0.7
    V, c = ridge_regression(X, Y, lam)
    # independent route: min ||[X 1] beta - Y||^2 + lam ||beta without bias||^2 as one stacked lstsq
    A = np.vstack([np.hstack([X.numpy(), np.ones((40, 1))]), np.hstack([math.sqrt(lam) * np.eye(6), np.zeros((6, 1))])])
    B = np.vstack([Y.numpy(), np.zeros((6, 2))])
    beta = np.linalg.lstsq(A, B, rcond=None)[0]
    assert np.allclose(V.numpy(), beta[:6].T, atol=1e-12) and np.allclose(c.numpy(), beta[6], atol=1e-12)
    V0, c0 = ridge_regression(X, Y, 0.0)  # ordinary least squares with an intercept
    beta0 = np.linalg.lstsq(np.hstack([X.numpy(), np.ones((40, 1))]), Y.numpy(), rcond=None)[0]
    assert np.allclose(V0.numpy(), beta0[:6].T, atol=1e-12) and np.allclose(c0.numpy(), beta0[6], atol=1e-12)


def test_readout_recovers_an_exactly_linear_target_of_reservoir_states():
    r = make_reservoir(1, 20, 0.9, seed=0)
    states = r.run(uniform_input(300))
    V_true = torch.randn(3, 20, generator=torch.Generator().manual_seed(1), dtype=f64)
    c_true = torch.tensor([0.5, -1.0, 2.0], dtype=f64)
    readout = fit_readout(states, states @ V_true.T + c_true, ridge=0.0, washout=50)
    assert torch.allclose(readout.V, V_true, atol=1e-8) and torch.allclose(readout.c, c_true, atol=1e-8)
    assert torch.allclose(readout.predict(states), states @ V_true.T + c_true, atol=1e-8)


def test_washout_drops_the_first_steps_of_every_sequence():
    r = make_reservoir(1, 6, 0.9, density=0.5, seed=0)
    x = torch.randn(2, 30, 1, generator=torch.Generator().manual_seed(0), dtype=f64)
    states, targets = r.run(x), x.roll(1, dims=1)
    fitted = fit_readout(states, targets, ridge=1e-3, washout=10)
    V, c = ridge_regression(states[:, 10:].reshape(-1, 6), targets[:, 10:].reshape(-1, 1), 1e-3)
    assert torch.allclose(fitted.V, V, atol=1e-14) and torch.allclose(fitted.c, c, atol=1e-14)


# ---------------------------------------------------------------------- the echo state property


@pytest.fixture(scope="module")
def boundary():
    threads = torch.get_num_threads()  # a module fixture runs before the function fixture one_torch_thread
    torch.set_num_threads(1)
    r = make_reservoir(1, 50, 1.0, density=0.2, seed=1)
    x = uniform_input(1000)
    yield r, x, critical_spectral_radius(r, x, steps=20)
    torch.set_num_threads(threads)


def test_echo_states_hold_below_and_fail_above_the_measured_critical_radius(boundary):
    r, x, rho_star = boundary
    assert 1.0 < rho_star < 3.0  # the input helps: the boundary is above rho = 1 here
    for rho in (0.5, 0.9 * rho_star):
        assert has_echo_states(r.with_spectral_radius(rho), x), rho
    for rho in (1.1 * rho_star, 3.0):
        assert not has_echo_states(r.with_spectral_radius(rho), x), rho
        assert float(echo_state_distance(r.with_spectral_radius(rho), x)[-1]) > 1e-3


def test_sweep_agrees_with_the_verdict_cell_by_cell(boundary):
    r, x, rho_star = boundary
    x = x[:300]
    radii, leaks = [0.5, 1.0, 2.0, 3.0], [0.3, 1.0]
    grid = echo_state_sweep(r, x, radii, leaks)
    assert isinstance(grid, EchoStateGrid) and grid.final_distance.shape == (2, 4)
    for i, a in enumerate(leaks):
        for j, rho in enumerate(radii):
            cell = r.with_spectral_radius(rho).with_leak(a)
            echo = has_echo_states(cell, x)
            assert bool(grid.echo[i, j]) == echo
            if echo:  # the same contraction; beyond the boundary the runs are chaotic and rounding decides
                assert float(grid.final_distance[i, j]) == pytest.approx(float(echo_state_distance(cell, x)[-1]),
                                                                         abs=1e-14)
    assert bool(grid.echo[:, 0].all()) and not bool(grid.echo[:, -1].any())  # rho = 0.5 and rho = 3 (rho* > 1)


def test_distances_shrink_at_least_as_fast_as_the_contraction_bound():
    r = make_reservoir(1, 40, 1.0, density=0.3, seed=2)
    r = r.with_spectral_radius(0.9 * r.spectral_radius / r.largest_singular_value)  # sigma_max(W) = 0.9
    assert r.largest_singular_value == pytest.approx(0.9, abs=1e-12)
    x = 3 * uniform_input(150)
    for alpha in (1.0, 0.5, 0.1):
        cell = r.with_leak(alpha)
        c = (1 - alpha) + alpha * 0.9
        assert cell.contraction_factor == pytest.approx(c, abs=1e-12)
        # independent check: two runs by hand, the bound c^t ||h_0 - h'_0|| at every step
        h0 = torch.stack([torch.full((40,), 0.9, dtype=f64), torch.full((40,), -0.9, dtype=f64)])
        runs = cell.run(x.expand(2, 150, 1), h0)
        distance = (runs[0] - runs[1]).norm(dim=1)
        bound = (h0[0] - h0[1]).norm() * c ** torch.arange(1, 151, dtype=f64)
        assert bool((distance <= bound * (1 + 1e-9) + 1e-300).all())
        # and echo_state_distance obeys it from its own initial states
        d = echo_state_distance(cell, x, n_initial=5)
        assert bool((d <= d[0] * c ** torch.arange(151, dtype=f64) * (1 + 1e-9) + 1e-300).all())


def test_above_one_the_largest_singular_value_does_not_forbid_echo_states():
    r = make_reservoir(1, 50, 0.9, density=0.1, seed=0)
    assert r.contraction_factor > 1  # sufficient condition not met ...
    assert has_echo_states(r, uniform_input(500))  # ... yet the property holds (the condition is not necessary)


def test_echo_state_distance_starts_at_the_initial_spread_and_is_zero_for_equal_starts():
    r = make_reservoir(1, 10, 0.9, density=0.5, seed=0)
    x = uniform_input(5)
    d = echo_state_distance(r, x, n_initial=2, scale=0.5, seed=3)
    h0 = 0.5 * (2 * torch.rand(2, 10, generator=torch.Generator().manual_seed(3), dtype=f64) - 1)
    assert d.shape == (6,) and float(d[0]) == pytest.approx(float((h0[1] - h0[0]).norm()), rel=1e-14)
    assert float(echo_state_distance(r, x, n_initial=2, scale=1e-300)[-1]) < 1e-280


# ---------------------------------------------------------------------- memory capacity


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.1])
def test_memory_capacity_is_at_most_the_reservoir_size(rho):
    r = make_reservoir(1, 30, rho, density=0.2, input_scale=0.1, seed=0)
    mc = memory_capacity(r, n_train=1500, n_test=1500)
    assert mc.delays.tolist() == list(range(1, 61))
    assert bool(((mc.r2 >= 0) & (mc.r2 <= 1)).all())
    assert 0 < mc.total <= 30 and mc.total == pytest.approx(float(mc.r2.sum()), rel=1e-12)


def test_linear_orthogonal_reservoir_fills_the_bound_when_the_delay_zero_is_counted():
    d = 10
    r = make_reservoir(1, d, 0.9, weights="orthogonal", density=1.0, activation="identity", seed=0)
    mc0 = memory_capacity(r, max_delay=100, n_train=4000, n_test=4000, washout=100, min_delay=0)
    mc1 = memory_capacity(r, max_delay=100, n_train=4000, n_test=4000, washout=100)
    assert abs(mc0.total - d) < 0.15  # sampling error of r^2 on 4000 test steps
    assert mc1.total == pytest.approx(mc0.total - float(mc0.r2[0]), abs=1e-9)  # the same readouts


def test_memory_curve_is_the_squared_correlation_computed_by_numpy():
    r = make_reservoir(1, 8, 0.8, density=0.5, seed=0)
    mc = memory_capacity(r, max_delay=5, n_train=300, n_test=200, washout=20, ridge=1e-6, seed=4)
    x = (2 * torch.rand(520, 1, generator=torch.Generator().manual_seed(4), dtype=f64) - 1)
    h = r.run(x)
    for k in (1, 5):
        V, c = ridge_regression(h[20:320], x[20 - k:320 - k], 1e-6)
        y = (h[320:] @ V.T + c)[:, 0].numpy()
        assert float(mc.r2[k - 1]) == pytest.approx(np.corrcoef(x[320 - k:520 - k, 0].numpy(), y)[0, 1] ** 2, rel=1e-9)


# ---------------------------------------------------------------------- tasks


def test_task_readout_uses_the_last_states_and_the_tasks_own_criterion():
    r = make_reservoir(8, 40, 0.9, density=0.2, input_scale=0.5, seed=0).with_leak(0.2)
    fit = fit_task(r, "temporal_order", 10, n_train=400, n_test=256, seed=0)
    test = _draw("temporal_order", 256, 10, np.random.default_rng([0, 1]))  # fit_task's test batch
    features = r.run(test.x.double())[:, -1]
    labels = (features @ fit.readout.V.T + fit.readout.c).argmax(1)
    assert fit.test_success == pytest.approx(float((labels == test.labels).double().mean()), abs=1e-12)
    assert fit.test_success > 0.9  # an ESN with a slow leak solves the short temporal order problem
    batch = make_task("temporal_order", 5, 10, seed=2)  # variable lengths: the state at each last step
    h = r.run(batch.x.double())
    expected = torch.stack([h[i, batch.lengths[i] - 1] for i in range(5)])
    assert torch.equal(last_states(r, batch), expected)


def test_esn_on_task_picks_the_best_validation_setting():
    result = esn_on_task("adding", 10, 20, radii=(0.8, 1.1), leaks=(0.2, 1.0), n_train=300, n_test=200)
    assert set(result.validation_success) == {(0.8, 0.2), (0.8, 1.0), (1.1, 0.2), (1.1, 1.0)}
    assert result.validation_success[(result.spectral_radius, result.leak)] == max(result.validation_success.values())
    assert 0 <= result.test_success <= 1


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, match", [
    ({"input_size": 0}, "input_size"),
    ({"size": 2.5}, "size"),
    ({"spectral_radius": 0.0}, "spectral_radius"),
    ({"spectral_radius": -1.0}, "spectral_radius"),
    ({"spectral_radius": math.inf}, "spectral_radius"),
    ({"leak": 0.0}, "leak"),
    ({"leak": 1.5}, "leak"),
    ({"leak": True}, "leak"),
    ({"density": 0.0}, "density"),
    ({"density": 1.2}, "density"),
    ({"input_scale": 0.0}, "input_scale"),
    ({"bias_scale": -0.1}, "bias_scale"),
    ({"weights": "sparse"}, "weights"),
    ({"weights": "orthogonal", "density": 0.5}, "density"),
    ({"activation": "relu"}, "activation"),
    ({"seed": -1}, "seed"),
    ({"dtype": torch.int64}, "dtype"),
])
def test_make_reservoir_rejects_bad_settings(kwargs, match):
    settings = {"input_size": 1, "size": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_reservoir(**settings)


def test_a_nilpotent_draw_cannot_be_rescaled():
    with pytest.raises(ValueError, match="spectral radius 0"):
        make_reservoir(1, 2, density=0.01, seed=0)


def test_reservoir_rejects_inconsistent_weights():
    W, U, b = torch.eye(3, dtype=f64), torch.ones(3, 1, dtype=f64), torch.zeros(3, dtype=f64)
    with pytest.raises(ValueError, match="W must be a square"):
        Reservoir(U, torch.ones(3, 2, dtype=f64), b)
    with pytest.raises(ValueError, match="U must have shape"):
        Reservoir(torch.ones(2, 1, dtype=f64), W, b)
    with pytest.raises(ValueError, match=r"U must have shape \(3, u\) with u >= 1 and the dtype of W"):
        Reservoir(U.float(), W, b)
    with pytest.raises(ValueError, match="b must have shape"):
        Reservoir(U, W, torch.zeros(2, dtype=f64))
    with pytest.raises(ValueError, match="W contains NaN"):
        Reservoir(U, W * math.nan, b)
    r = Reservoir(U, W, b)
    with pytest.raises(ValueError, match="spectral_radius"):
        r.with_spectral_radius(0)
    with pytest.raises(ValueError, match="leak"):
        r.with_leak(0)


def test_run_rejects_bad_inputs_and_initial_states():
    r = make_reservoir(2, 4, density=1.0, seed=0)
    with pytest.raises(ValueError, match="x must have shape .* and the reservoir's dtype torch.float64"):
        r.run(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 2\)"):
        r.run(torch.zeros(3, 5, 1, dtype=f64))
    with pytest.raises(ValueError, match="x must have 2 or 3 dimensions"):
        r.run(torch.zeros(2, dtype=f64))
    with pytest.raises(ValueError, match="x contains NaN"):
        r.run(torch.full((3, 2), math.nan, dtype=f64))
    with pytest.raises(ValueError, match="h0 must have shape"):
        r.run(torch.zeros(2, 3, 2, dtype=f64), torch.zeros(3, 4, dtype=f64))
    with pytest.raises(ValueError, match="h0 must have shape"):
        r.run(torch.zeros(3, 2, dtype=f64), torch.zeros(5, dtype=f64))


def test_readout_functions_reject_bad_inputs():
    X, Y = torch.zeros(5, 3, dtype=f64), torch.zeros(5, 1, dtype=f64)
    with pytest.raises(ValueError, match="same number"):
        ridge_regression(X, torch.zeros(4, 1, dtype=f64))
    with pytest.raises(ValueError, match="ridge"):
        ridge_regression(X, Y, -1.0)
    with pytest.raises(ValueError, match=r"Y must have the dtype of X \(torch.float64\)"):
        ridge_regression(X, Y.float())
    states = torch.zeros(2, 6, 3, dtype=f64)
    with pytest.raises(ValueError, match="washout must be smaller"):
        fit_readout(states, torch.zeros(2, 6, 1, dtype=f64), washout=6)
    with pytest.raises(ValueError, match="washout must be a nonnegative"):
        fit_readout(states, torch.zeros(2, 6, 1, dtype=f64), washout=-1)
    with pytest.raises(ValueError, match="targets must have shape"):
        fit_readout(states, torch.zeros(2, 5, 1, dtype=f64))
    with pytest.raises(ValueError, match="states must have last dimension"):
        Readout(torch.zeros(1, 3, dtype=f64), torch.zeros(1, dtype=f64)).predict(torch.zeros(4, 2, dtype=f64))


def test_echo_state_functions_reject_bad_inputs():
    r = make_reservoir(1, 6, density=0.5, seed=0)
    x = uniform_input(20)
    with pytest.raises(ValueError, match="reservoir must be"):
        echo_state_distance("reservoir", x)
    with pytest.raises(ValueError, match=r"x must have shape \(T, 1\)"):
        echo_state_distance(r, torch.zeros(20, 2, dtype=f64))
    with pytest.raises(ValueError, match="n_initial must be an integer >= 2"):
        echo_state_distance(r, x, n_initial=1)
    with pytest.raises(ValueError, match="scale"):
        echo_state_distance(r, x, scale=0)
    with pytest.raises(ValueError, match="tol"):
        has_echo_states(r, x, tol=0)
    with pytest.raises(ValueError, match="radii"):
        echo_state_sweep(r, x, [], [1.0])
    with pytest.raises(ValueError, match="radii"):
        echo_state_sweep(r, x, [0.5, -1.0], [1.0])
    with pytest.raises(ValueError, match="leaks"):
        echo_state_sweep(r, x, [0.5], ["a"])
    with pytest.raises(ValueError, match="leak"):
        echo_state_sweep(r, x, [0.5], [1.5])
    with pytest.raises(ValueError, match="high must be larger"):
        critical_spectral_radius(r, x, low=2.0, high=1.0)
    with pytest.raises(ValueError, match="must hold at low"):
        critical_spectral_radius(r, x, low=20.0, high=30.0)
    with pytest.raises(ValueError, match="must fail at high"):
        critical_spectral_radius(r, x, low=0.1, high=0.2)


def test_memory_capacity_and_tasks_reject_bad_inputs():
    r = make_reservoir(1, 6, density=0.5, seed=0)
    with pytest.raises(ValueError, match="input size 1"):
        memory_capacity(make_reservoir(2, 6, density=0.5, seed=0))
    with pytest.raises(ValueError, match="max_delay must be at most washout"):
        memory_capacity(r, max_delay=50, washout=20)
    with pytest.raises(ValueError, match="min_delay"):
        memory_capacity(r, min_delay=2)
    with pytest.raises(ValueError, match="n_test"):
        memory_capacity(r, n_test=0)
    with pytest.raises(ValueError, match="task"):
        fit_task(r, "copy", 10)
    with pytest.raises(ValueError, match="input size 2"):
        fit_task(r, "adding", 10)
    with pytest.raises(ValueError, match="T must be at least 10"):
        fit_task(make_reservoir(2, 6, density=0.5, seed=0), "adding", 5)
    with pytest.raises(ValueError, match="batch must be"):
        last_states(r, torch.zeros(3, 4, 1))
    with pytest.raises(ValueError, match="leak"):
        esn_on_task("adding", 10, 10, leaks=(0.0,))
    with pytest.raises(ValueError, match="radii"):
        esn_on_task("adding", 10, 10, radii=(0.0,))


def test_a_float32_reservoir_gets_a_float64_readout_with_the_same_verdict_on_the_task():
    r64 = make_reservoir(8, 40, 0.9, density=0.2, input_scale=0.5, seed=0).with_leak(0.2)
    r32 = make_reservoir(8, 40, 0.9, density=0.2, input_scale=0.5, seed=0, dtype=torch.float32).with_leak(0.2)
    fit64, fit32 = (fit_task(r, "temporal_order", 10, n_train=400, n_test=256, seed=0) for r in (r64, r32))
    assert fit32.readout.V.dtype == torch.float64 and r32.run(torch.zeros(2, 8)).dtype == torch.float32
    assert abs(fit32.test_success - fit64.test_success) <= 2 / 256  # rounding may flip a borderline sequence


def test_remaining_arguments_are_checked_too():
    r = make_reservoir(1, 6, density=0.5, seed=0)
    x = uniform_input(20)
    with pytest.raises(ValueError, match="n_initial must be an integer >= 2"):
        echo_state_sweep(r, x, [0.5], [1.0], n_initial=1)
    with pytest.raises(ValueError, match="tol"):
        echo_state_sweep(r, x, [0.5], [1.0], tol=-1.0)
    with pytest.raises(ValueError, match="steps"):
        critical_spectral_radius(r, x, steps=0)
    with pytest.raises(ValueError, match="reservoir must be"):
        memory_capacity("reservoir")
    with pytest.raises(ValueError, match="reservoir must be"):
        fit_task(None, "adding", 10)
    with pytest.raises(ValueError, match=r"states must have last dimension d = 3 and the dtype of V \(torch.float64\)"):
        Readout(torch.zeros(1, 3, dtype=f64), torch.zeros(1, dtype=f64)).predict(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="X must have 2 dimensions"):
        ridge_regression(torch.zeros(5, dtype=f64), torch.zeros(5, 1, dtype=f64))


def test_the_stored_esn_comparison_is_what_esn_on_tasks_computes():
    """book/data/reservoir_esn.json, loaded by the chapter, is regenerated by esn_on_tasks:
    recompute its cheapest cell (temporal order, T = 10) and compare."""
    import json
    from pathlib import Path

    from srnbook.reservoir import ESN_TASKS, esn_on_tasks

    stored = json.loads((Path(__file__).parents[1] / "book" / "data" / "reservoir_esn.json").read_text())
    assert stored["config"] == ESN_TASKS
    assert stored["command"][:4] == ["python", "-m", "srnbook.experiments", "reservoir_esn"]
    assert [(r["task"], r["T"]) for r in stored["results"]] == [
        (task, T) for task in ESN_TASKS["tasks"] for T in ESN_TASKS["T"]]
    config = dict(ESN_TASKS, tasks=["temporal_order"], T=[10])
    fresh = esn_on_tasks(config)["results"][0]
    old = next(r for r in stored["results"] if (r["task"], r["T"]) == ("temporal_order", 10))
    assert fresh["leak"] == old["leak"]
    assert fresh["test_success"] == pytest.approx(old["test_success"], abs=2e-3)
    for a, b in zip(fresh["validation"], old["validation"]):
        assert a["leak"] == b["leak"] and a["success"] == pytest.approx(b["success"], abs=2e-3)
    with pytest.raises(ValueError, match="keys"):
        esn_on_tasks({"tasks": ["adding"]})


# ---------------------------------------------------------------------- the input contract (issue 20)


def test_dtype_arguments_must_be_floating_point():
    with pytest.raises(ValueError, match="dtype must be one of torch.float64, torch.float32"):
        make_reservoir(1, 4, dtype=torch.int64)
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        make_reservoir(1, 4, dtype="float32")
    with pytest.raises(ValueError, match="dtype must be one of"):
        esn_on_task("adding", 10, size=4, n_train=8, n_test=8, dtype=torch.float16)


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, None, "0", True])
@pytest.mark.parametrize("call", [
    lambda seed: make_reservoir(1, 4, seed=seed),
    lambda seed: echo_state_distance(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), seed=seed),
    lambda seed: has_echo_states(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), seed=seed),
    lambda seed: echo_state_sweep(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), [0.5], [1.0], seed=seed),
    lambda seed: memory_capacity(make_reservoir(1, 4, density=1.0, seed=0), 2, 10, 10, 5, seed=seed),
    lambda seed: fit_task(make_reservoir(2, 4, density=1.0, seed=0), "adding", 10, 8, 8, seed=seed),
    lambda seed: esn_on_task("adding", 10, size=4, density=1.0, n_train=8, n_test=8, seed=seed),
], ids=["make_reservoir", "echo_state_distance", "has_echo_states", "echo_state_sweep", "memory_capacity",
        "fit_task", "esn_on_task"])
def test_every_seed_follows_the_one_seed_rule(call, seed):
    with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
        call(seed)


@pytest.mark.parametrize("call, name", [
    (lambda: make_reservoir(1, 10**6), "size and input_size"),
    (lambda: make_reservoir(10**12, 4), "size and input_size"),
    (lambda: echo_state_distance(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), n_initial=10**12), "n_initial"),
    (lambda: echo_state_sweep(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), [0.5] * 10**4, [1.0] * 10**4),
     "radii, leaks and n_initial"),
    (lambda: memory_capacity(make_reservoir(1, 4, density=1.0, seed=0), 2, 10**12, 10, 5), "n_train, n_test, washout and max_delay"),
    (lambda: fit_task(make_reservoir(2, 4, density=1.0, seed=0), "adding", 10**6, 10**6, 8), "n_train, n_test and T"),
    (lambda: ridge_regression(torch.zeros(1, 10**5, dtype=f64), torch.zeros(1, 1, dtype=f64)), "X"),
])
def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=f"^{name}: .* would need .*memory limit"):
        call()


def test_states_beyond_the_memory_limit_are_refused_before_the_run(memory_limit):
    r = make_reservoir(1, 4, density=1.0, seed=0)
    memory_limit(2**16)
    with pytest.raises(ValueError, match="^x: the states would need .*memory limit"):
        r.run(torch.zeros(2, 1000, 1, dtype=f64))


def test_weights_and_states_that_would_overflow_are_refused():
    with pytest.raises(ValueError, match="spectral_radius = 1e\\+300 makes the weights overflow torch.float32"):
        make_reservoir(1, 4, 1e300, density=1.0, dtype=torch.float32)
    with pytest.raises(ValueError, match="input_scale = 1e\\+300 makes the weights overflow torch.float32"):
        make_reservoir(1, 4, input_scale=1e300, density=1.0, dtype=torch.float32)
    linear = make_reservoir(1, 4, 2.0, density=1.0, activation="identity", seed=0)
    with pytest.raises(ValueError, match="the states driven by x overflow torch.float64"):
        linear.run(torch.ones(2000, 1, dtype=f64))
    with pytest.raises(ValueError, match="scale = 1e\\+300 makes the distances between runs overflow"):
        echo_state_distance(make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5), scale=1e300)


def test_a_tolerance_above_the_initial_distance_would_pass_every_reservoir_and_is_refused():
    r, x = make_reservoir(1, 4, 5.0, density=1.0, seed=0), uniform_input(20)
    with pytest.raises(ValueError, match="tol must be below the distance .* between the initial states"):
        has_echo_states(r, x, tol=1e300)
    with pytest.raises(ValueError, match="tol must be below the distance"):
        echo_state_sweep(r, x, [0.5], [1.0], tol=1e300)


def test_options_and_records_are_checked():
    r, x = make_reservoir(1, 4, density=1.0, seed=0), uniform_input(5)
    with pytest.raises(TypeError, match="steps is not an option of echo_state_distance"):
        has_echo_states(r, x, steps=3)
    with pytest.raises(ValueError, match=r"c must have shape \(1,\) and the dtype of V"):
        Readout(torch.ones(1, 4, dtype=f64), torch.zeros(2, dtype=f64))
    with pytest.raises(TypeError, match="config must be a dict"):
        from srnbook.reservoir import esn_on_tasks
        esn_on_tasks([("size", 4)])
    with pytest.raises(ValueError, match=r"leaks\[0\] must be a finite number in \(0, 1\]"):
        echo_state_sweep(r, x, [0.5], [1.5])
    with pytest.raises(TypeError, match="radii must be a nonempty list of numbers"):
        echo_state_sweep(r, x, 0.5, [1.0])


def test_run_keeps_the_graph_when_the_input_requires_grad():
    r = make_reservoir(1, 4, density=1.0, seed=0)
    x = uniform_input(5).requires_grad_(True)
    r.run(x).sum().backward()
    assert x.grad is not None and bool(torch.isfinite(x.grad).all())
