"""Specification of srnbook.memory (Wayman & Mathew, sections 4 and 8; Anderson 1972; Kohonen 1972;
Hebb 1949; Oja 1982; Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985)."""

import math

import pytest
import torch

from srnbook.memory import (
    ALPHA_C,
    DEFAULT_CORRELATION,
    associator,
    asynchronous,
    bit_error_probability,
    capacity_curve,
    correlated_keys,
    corrupt,
    crosstalk,
    gaussian_inputs,
    hebb,
    hebb_flow,
    hopfield_energy,
    hopfield_weights,
    oja,
    oja_flow,
    overlap,
    plot_capacity,
    plot_crosstalk,
    plot_energy_descent,
    plot_hebb_oja,
    plot_pattern_rows,
    plot_recall_frame,
    random_patterns,
    recall,
    synchronous,
)

F64 = torch.float64

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tensor(values):
    return torch.tensor(values, dtype=F64)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def orthonormal_rows(n, d, seed=0):
    return torch.linalg.qr(randn(d, n, seed=seed))[0].T


# ---------------------------------------------------------------------- the linear associator


def test_associator_is_the_sum_of_outer_products():
    keys, values = randn(4, 6, seed=1), randn(4, 3, seed=2)
    expected = sum(torch.outer(values[i], keys[i]) for i in range(4))
    torch.testing.assert_close(associator(keys, values), expected)
    torch.testing.assert_close(associator(keys, values, eta=0.5), 0.5 * expected)


def test_orthonormal_keys_recall_their_values_exactly():
    keys, values = orthonormal_rows(5, 8), randn(5, 3, seed=3)
    A = associator(keys, values)
    torch.testing.assert_close(recall(A, keys), values, rtol=0, atol=1e-12)
    for f, g in zip(keys, values):
        torch.testing.assert_close(recall(A, f), g, rtol=0, atol=1e-12)
    result = crosstalk(keys, values)
    assert float(result.crosstalk.abs().max()) < 1e-12
    assert float(result.error.max()) < 1e-12


def test_orthogonal_keys_recall_their_values_scaled_by_the_squared_key_norm():
    scales = tensor([0.5, 1.0, 2.0, 3.0])
    keys, values = scales.unsqueeze(1) * orthonormal_rows(4, 6), randn(4, 2, seed=4)
    torch.testing.assert_close(recall(associator(keys, values), keys), scales.unsqueeze(1) ** 2 * values)


def test_crosstalk_is_the_signal_plus_the_sum_over_the_other_keys():
    keys, values = randn(5, 7, seed=5), randn(5, 3, seed=6)  # correlated, not unit
    A = associator(keys, values)
    result = crosstalk(keys, values)
    for j in range(5):
        f = keys[j]
        signal = values[j] * (f @ f)
        cross = sum(values[i] * (keys[i] @ f) for i in range(5) if i != j)
        torch.testing.assert_close(result.recalled[j], A @ f)
        torch.testing.assert_close(result.signal[j], signal)
        torch.testing.assert_close(result.crosstalk[j], cross)
        torch.testing.assert_close(result.recalled[j], signal + cross)
        assert float(result.error[j]) == pytest.approx(float(torch.linalg.vector_norm(A @ f - values[j])))


@pytest.mark.parametrize("c", [-0.25, -0.1, 0.0, 0.3, 0.9, 1.0])
def test_correlated_keys_are_unit_vectors_with_the_requested_correlation(c):
    keys = correlated_keys(5, 8, c, seed=2)
    assert keys.shape == (5, 8) and keys.dtype == F64
    expected = (1 - c) * torch.eye(5, dtype=F64) + c * torch.ones(5, 5, dtype=F64)
    torch.testing.assert_close(keys @ keys.T, expected, rtol=0, atol=1e-12)


def test_correlated_keys_are_seeded():
    torch.testing.assert_close(correlated_keys(4, 6, 0.5, seed=3), correlated_keys(4, 6, 0.5, seed=3))
    assert not torch.allclose(correlated_keys(4, 6, 0.5, seed=3), correlated_keys(4, 6, 0.5, seed=4))


def test_recall_error_grows_linearly_with_the_key_correlation():
    n = 6
    values = orthonormal_rows(n, 10, seed=7)
    for c in (0.0, 0.1, 0.25, 0.5, 0.8):
        result = crosstalk(correlated_keys(n, 12, c, seed=1), values)
        # unit keys: recall = g_j + c sum_{i != j} g_i, an error of norm c sqrt(n - 1)
        torch.testing.assert_close(result.signal, values)
        torch.testing.assert_close(result.crosstalk, c * (values.sum(0) - values))
        torch.testing.assert_close(result.error, torch.full((n,), c * math.sqrt(n - 1), dtype=F64))


# ---------------------------------------------------------------------- Hebb and Oja

C2 = tensor(DEFAULT_CORRELATION)  # eigenvalues 3 and 1
U1 = tensor([1.0, 1.0]) / math.sqrt(2)
W0 = tensor([0.3, -0.1])  # u_1^T w_0 > 0


def test_gaussian_inputs_have_the_requested_correlation_and_are_seeded():
    x = gaussian_inputs(40000, seed=1)
    torch.testing.assert_close(x.T @ x / len(x), C2, rtol=0, atol=0.06)
    assert torch.equal(gaussian_inputs(10, seed=1), gaussian_inputs(10, seed=1))
    assert not torch.equal(gaussian_inputs(10, seed=2), gaussian_inputs(10, seed=1))
    singular = gaussian_inputs(100, tensor([[1.0, 1.0], [1.0, 1.0]]))  # rank one: x_1 = x_2
    torch.testing.assert_close(singular[:, 0], singular[:, 1])


def test_hebb_flow_solves_the_averaged_equation():
    t, dt = tensor([0.0, 0.5, 1.0, 2.0]), 1e-5
    flow = hebb_flow(C2, W0, t)
    torch.testing.assert_close(flow.w[0], W0)
    derivative = (hebb_flow(C2, W0, t + dt).w - hebb_flow(C2, W0, (t - dt).clamp(min=0)).w)
    derivative[1:] /= 2 * dt
    derivative[0] /= dt
    torch.testing.assert_close(derivative[1:], flow.w[1:] @ C2, rtol=1e-7, atol=0)


def test_hebb_flow_grows_exponentially_at_the_rate_of_the_top_eigenvalue():
    flow = hebb_flow(C2, W0, torch.linspace(0, 10, 21, dtype=F64))
    rates = flow.norm.log().diff() / flow.t.diff()
    assert float(rates[-1]) == pytest.approx(3.0, rel=1e-6)  # d log|w| / dt -> lambda_1
    assert bool((rates.diff() >= 0).all())
    assert float(flow.alignment[-1]) == pytest.approx(1.0, abs=1e-12)
    torch.testing.assert_close(flow.eigenvalues, tensor([3.0, 1.0]))
    assert float(flow.eigenvector @ U1) ** 2 == pytest.approx(1.0)


def test_hebb_rule_on_samples_grows_at_the_top_eigenvalue_of_their_correlation():
    x = gaussian_inputs(4000, seed=0)
    run = hebb(x, W0, eta=0.001)
    C = x.T @ x / len(x)
    lambda_1 = float(torch.linalg.eigvalsh(C)[-1])
    assert run.eigenvalues[0] == pytest.approx(lambda_1)
    torch.testing.assert_close(run.t, 0.001 * torch.arange(4001, dtype=F64))
    half = len(run.t) // 2
    rate = float((run.norm[-1] / run.norm[half]).log() / (run.t[-1] - run.t[half]))
    assert rate == pytest.approx(lambda_1, rel=0.03)
    assert float(run.norm[-1]) > 1e4 * float(run.norm[0])  # no bound: it keeps growing
    assert float(run.alignment[-1]) > 0.999


def test_oja_rule_converges_to_the_top_eigenvector_with_unit_norm():
    x = gaussian_inputs(5000, seed=0)
    run, growth = oja(x, W0, eta=0.002), hebb(x, W0, eta=0.002)
    late = slice(-1000, None)
    assert float((run.norm[late] - 1).abs().max()) < 0.01
    assert float(run.alignment[late].min()) > 0.99
    assert float(run.norm.max()) < 1.1 < float(growth.norm[-1])
    assert float(run.w[-1] @ run.eigenvector) > 0  # the side of u_1 it started on


def runge_kutta(f, w, t_end, dt):
    for _ in range(round(t_end / dt)):
        k1 = f(w)
        k2 = f(w + dt / 2 * k1)
        k3 = f(w + dt / 2 * k2)
        k4 = f(w + dt * k3)
        w = w + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return w


def test_oja_flow_is_the_solution_of_oja_s_averaged_equation():
    A = randn(4, 4, seed=8)
    C = A @ A.T / 4
    w0 = 1.5 * randn(4, seed=9)  # not on the unit sphere
    flow = oja_flow(C, w0, tensor([0.0, 1.0, 3.0]))
    for t, w in zip(flow.t.tolist(), flow.w):
        expected = runge_kutta(lambda v: C @ v - (v @ C @ v) * v, w0, t, 1e-3)
        torch.testing.assert_close(w, expected, rtol=0, atol=1e-9)


def test_oja_flow_converges_to_plus_or_minus_the_top_eigenvector_and_does_not_overflow():
    times = tensor([0.0, 1.0, 5.0, 20.0, 1e4])
    for w0, sign in ((W0, 1.0), (-W0, -1.0)):
        flow = oja_flow(C2, w0, times)
        torch.testing.assert_close(flow.w[-1], sign * U1, rtol=0, atol=1e-12)
        torch.testing.assert_close(flow.norm[-2:], tensor([1.0, 1.0]), rtol=0, atol=1e-12)


def test_oja_flow_has_the_direction_of_the_hebbian_flow():
    times = torch.linspace(0, 4, 9, dtype=F64)
    a, b = oja_flow(C2, W0, times), hebb_flow(C2, W0, times)
    torch.testing.assert_close(a.w / a.norm.unsqueeze(1), b.w / b.norm.unsqueeze(1))
    assert bool((b.norm.diff() > 0).all()) and float(a.norm[-1]) == pytest.approx(1.0, abs=1e-6)


# ---------------------------------------------------------------------- the Hopfield network


def test_hopfield_weights_are_the_symmetric_outer_product_sum_with_zero_diagonal():
    xi = random_patterns(3, 10, seed=1)
    W = hopfield_weights(xi)
    expected = sum(torch.outer(p, p) for p in xi) / 10
    expected.fill_diagonal_(0)
    torch.testing.assert_close(W, expected)
    torch.testing.assert_close(W, W.T)
    assert bool((W.diagonal() == 0).all())


def test_random_patterns_are_seeded_plus_minus_one_patterns():
    xi = random_patterns(4, 50, seed=3)
    assert xi.shape == (4, 50) and xi.dtype == F64 and set(xi.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(xi, random_patterns(4, 50, seed=3))
    assert not torch.equal(xi, random_patterns(4, 50, seed=4))


def test_few_stored_patterns_and_their_reverses_are_fixed_points():
    xi = random_patterns(5, 200, seed=0)
    W = hopfield_weights(xi)
    for states in (xi, -xi):
        for run in (synchronous(W, states), asynchronous(W, states)):
            assert torch.equal(run.state, states)
            assert bool((run.steps == 0).all()) and bool(run.converged.all())


def test_recall_from_corrupted_patterns_returns_the_patterns():
    xi = random_patterns(5, 200, seed=1)
    W = hopfield_weights(xi)
    start = corrupt(xi, 0.2, seed=2)
    assert bool((overlap(start, xi) == 0.6).all())
    for run in (asynchronous(W, start, seed=3), synchronous(W, start)):
        assert torch.equal(run.state, xi)
        assert bool(run.converged.all()) and bool((run.steps >= 1).all())
    single = asynchronous(W, start[0])
    assert torch.equal(single.state, xi[0]) and single.trajectory.shape == (int(single.steps) + 2, 200)


@pytest.mark.parametrize("bias", [False, True])
def test_energy_never_increases_under_asynchronous_updates_and_each_flip_lowers_it(bias):
    N, P, B = 60, 20, 40  # alpha = 1/3: many spurious minima, long runs
    W = hopfield_weights(random_patterns(P, N, seed=4))
    b = 0.3 * randn(N, seed=5) if bias else None
    s0 = random_patterns(B, N, seed=6)
    run = asynchronous(W, s0, b, seed=7, record="update")
    states = run.trajectory  # (B, K N + 1, N): one state per single-unit update
    assert states.shape[1] % N == 1 and bool(run.converged.all())
    E = hopfield_energy(W, states, b)
    dE = E.diff(dim=1)
    changed = (states.diff(dim=1) != 0).sum(-1)
    assert int(changed.max()) == 1  # one unit at a time
    assert bool((dE[changed == 0] == 0).all())
    assert bool((dE[changed == 1] < 0).all())  # strictly, at every flip
    # and by exactly -2 |h_i| (W_ii = 0), with h_i the local field before the flip
    h = states[:, :-1] @ W.T + (0 if b is None else b)
    flipped_field = (h * (states.diff(dim=1) != 0)).sum(-1)
    torch.testing.assert_close(dE[changed == 1], -2 * flipped_field[changed == 1].abs())
    final = run.state
    assert torch.equal(synchronous(W, final, b).state, final)  # a fixed point
    assert bool((E[:, -1] < E[:, 0]).all())


def test_asynchronous_runs_are_seeded():
    W = hopfield_weights(random_patterns(12, 40, seed=1))
    s0 = random_patterns(10, 40, seed=2)
    a, b = asynchronous(W, s0, seed=5), asynchronous(W, s0, seed=5)
    assert torch.equal(a.trajectory, b.trajectory)
    c = asynchronous(W, s0, seed=6)
    assert not torch.equal(a.trajectory[:, 1], c.trajectory[:, 1])


def test_synchronous_updates_can_enter_a_two_cycle():
    # two units storing (1, 1): from (1, -1) both units flip at once, for ever
    W = hopfield_weights(tensor([[1.0, 1.0]]))
    s0 = tensor([1.0, -1.0])
    run = synchronous(W, s0)
    assert int(run.period) == 2 and int(run.steps) == 0 and not bool(run.converged)
    assert torch.equal(run.trajectory, torch.stack([s0, -s0, s0]))
    E = hopfield_energy(W, run.trajectory)
    assert bool((E == 0.5).all())  # the energy does not decrease along the cycle
    settled = asynchronous(W, s0)
    assert bool(settled.converged) and float(hopfield_energy(W, settled.state)) == -0.5
    assert abs(float(overlap(settled.state, tensor([1.0, 1.0])))) == 1.0


def test_one_pattern_half_flipped_makes_the_whole_network_oscillate_under_synchronous_updates():
    N = 100
    xi = random_patterns(1, N, seed=3)
    half = torch.ones(N, dtype=F64)
    half[: N // 2] = -1
    s0 = xi[0] * half  # overlap 0: every local field opposes its unit
    W = hopfield_weights(xi)
    run = synchronous(W, s0)
    assert int(run.period) == 2 and torch.equal(run.trajectory[1], -s0)
    recalled = asynchronous(W, s0).state
    assert abs(float(overlap(recalled, xi[0]))) == 1.0


def test_synchronous_runs_end_on_fixed_points_or_two_cycles():
    W = hopfield_weights(random_patterns(30, 50, seed=8))  # alpha = 0.6
    run = synchronous(W, random_patterns(200, 50, seed=9), max_steps=200)
    assert set(run.period.unique().tolist()) <= {1, 2} and 2 in run.period.tolist()
    one = synchronous(W, run.state, max_steps=1).trajectory[:, 1]
    two = synchronous(W, one, max_steps=1).trajectory[:, 1]
    fixed = run.period == 1
    assert torch.equal(one[fixed], run.state[fixed])
    assert not bool((one[~fixed] == run.state[~fixed]).all(1).any())
    assert torch.equal(two[~fixed], run.state[~fixed])


def test_energy_of_patterns_and_bias():
    xi = random_patterns(2, 8, seed=1)
    W, b = hopfield_weights(xi), randn(8, seed=2)
    s = random_patterns(3, 8, seed=3)
    expected = torch.stack([-0.5 * v @ W @ v - b @ v for v in s])
    torch.testing.assert_close(hopfield_energy(W, s, b), expected)
    torch.testing.assert_close(hopfield_energy(W, s[0]), -0.5 * s[0] @ W @ s[0])


def test_corrupt_flips_exactly_the_requested_fraction_of_bits():
    xi = random_patterns(6, 200, seed=1)
    bad = corrupt(xi, 0.1, seed=2)
    assert bool(((bad != xi).sum(1) == 20).all())
    torch.testing.assert_close(overlap(bad, xi), torch.full((6,), 0.8, dtype=F64))
    assert not torch.equal(bad[0] != xi[0], bad[1] != xi[1])  # each row its own bits
    assert torch.equal(bad, corrupt(xi, 0.1, seed=2))
    assert not torch.equal(bad, corrupt(xi, 0.1, seed=3))
    assert torch.equal(corrupt(xi, 0.0), xi) and torch.equal(corrupt(xi, 1.0), -xi)
    assert torch.equal(corrupt(xi[0], 0.1, seed=2), bad[0])


def test_bit_error_probability_reproduces_the_crosstalk_table():
    # Hertz, Krogh & Palmer (1991), ch. 2: P_error -> p_max / N
    for alpha, p_error in ((0.105, 0.001), (0.138, 0.0036), (0.185, 0.01), (0.37, 0.05), (0.61, 0.1)):
        assert bit_error_probability(alpha) == pytest.approx(p_error, rel=0.03)
    alphas = tensor([0.05, 0.138, 0.3])
    normal = torch.distributions.Normal(tensor(0.0), tensor(1.0))
    torch.testing.assert_close(bit_error_probability(alphas), 1 - normal.cdf(1 / alphas.sqrt()))
    N, P = 200, 30
    assert bit_error_probability(P / N) == pytest.approx(0.5 * (1 - math.erf(math.sqrt(N / (2 * P)))))


@pytest.fixture(scope="module")
def curve():
    """One measured curve for the tests below (on one torch thread, like the tests themselves)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield capacity_curve(200, (0.05, 0.1, 0.2, 0.3), trials=4, seed=0)
    torch.set_num_threads(threads)


def test_capacity_curve_retrieves_at_low_load_and_fails_at_high_load(curve):
    torch.testing.assert_close(curve.alpha, tensor([0.05, 0.1, 0.2, 0.3]))
    assert curve.patterns.tolist() == [10, 20, 40, 60]
    low, high = 0, 3
    assert float(curve.overlap[low]) > 0.99 and float(curve.retrieved[low]) == 1.0
    assert float(curve.fixed_points[low]) > 0.9
    assert float(curve.overlap[high]) < 0.6 and float(curve.retrieved[high]) < 0.1
    assert float(curve.fixed_points[high]) < 0.05
    assert bool((curve.overlap.diff() < 0).all())
    # the collapse: retrieval still good just below alpha_c, mostly gone well above it
    assert float(curve.retrieved[1]) > 0.9 > 0.5 > float(curve.retrieved[2])
    assert 0.1 < ALPHA_C < 0.2


def test_capacity_curve_bit_stability_matches_the_crosstalk_estimate(curve):
    expected = 1 - bit_error_probability(curve.alpha)
    torch.testing.assert_close(curve.stable_bits, expected, rtol=0, atol=0.004)
    # a pattern is an exact fixed point only when all its N bits are stable (about (1 - P_error)^N):
    # at alpha = 0.2 nearly every bit is stable and nearly no pattern is
    assert float(curve.stable_bits[2]) > 0.98 and float(curve.fixed_points[2]) < 0.2
    assert bool((curve.fixed_points.diff() < 0).all())


def test_capacity_curve_is_seeded(curve):
    again = capacity_curve(200, (0.05, 0.1, 0.2, 0.3), trials=4, seed=0)
    for a, b in zip(curve, again):
        assert torch.equal(a, b)
    other = capacity_curve(200, (0.2,), trials=4, seed=1)
    assert float(other.overlap[0]) != float(curve.overlap[2])


def test_plot_functions_return_closed_figures(curve):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    C, w0, times = tensor(DEFAULT_CORRELATION), tensor([0.3, -0.2]), torch.linspace(0, 1, 5, dtype=F64)
    x = gaussian_inputs(200, C, seed=0)
    runs = {"Hebb": hebb(x, w0, eta=0.005), "Oja": oja(x, w0, eta=0.005)}
    flows = {"Hebb": hebb_flow(C, w0, times), "Oja": oja_flow(C, w0, times)}
    patterns = random_patterns(3, 16, seed=0)
    W = hopfield_weights(patterns)
    run = asynchronous(W, corrupt(patterns, 0.25, seed=0), seed=0, record="update")
    figures = [
        plot_crosstalk({2: ([0.0, 0.5], [0.0, 0.5])}),
        plot_hebb_oja(runs, flows, times, w0),
        plot_pattern_rows({"stored": patterns, "recalled": run.state}, side=4),
        plot_energy_descent(hopfield_energy(W, run.trajectory), -1.0, corrupted=2, N=16),
        plot_capacity({200: curve}),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and not plt.fignum_exists(fig.number)
    frame = plot_recall_frame(patterns[0], patterns[0], asynchronous(W, patterns[0]), 0.2, curve)
    assert isinstance(frame, Figure) and len(frame.axes) == 4
    plt.close(frame)


# ---------------------------------------------------------------------- clear errors

KEYS, VALUES = orthonormal_rows(3, 4), randn(3, 2)
X = gaussian_inputs(10)
XI = random_patterns(2, 4, seed=0)
W4 = hopfield_weights(XI)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: associator(KEYS[0], VALUES), "keys must have 2 dimensions"),
        (lambda: associator(KEYS, VALUES[:2]), r"values must have one row per key \(3\)"),
        (lambda: associator(KEYS, VALUES.float()), "values must have one row per key"),
        (lambda: associator(KEYS, VALUES, eta=0), "eta must be a positive finite number"),
        (lambda: associator(KEYS.tolist(), VALUES), "keys must be a torch.Tensor"),
        (lambda: recall(associator(KEYS, VALUES), torch.ones(3, dtype=F64)), "key must have 4 components"),
        (lambda: recall(associator(KEYS, VALUES), tensor([1.0, math.nan, 0.0, 0.0])), "key contains NaN"),
        (lambda: crosstalk(KEYS, VALUES.int()), "values must have a floating-point dtype"),
        (lambda: correlated_keys(5, 4, 0.1), "d must be at least n = 5"),
        (lambda: correlated_keys(5, 8, -0.5), r"correlation must be a finite number in \[-0.25, 1\]"),
        (lambda: correlated_keys(5, 8, 1.5), "correlation must be a finite number in"),
        (lambda: correlated_keys(5, 8, math.nan), "correlation must be a finite number in"),
        (lambda: correlated_keys(0, 8, 0.1), "n must be a positive integer"),
        (lambda: correlated_keys(5, 8, 0.1, seed=-1), "seed must be a nonnegative integer"),
        (lambda: gaussian_inputs(0), "samples must be a positive integer"),
        (lambda: gaussian_inputs(10, [[1.0, 2.0], [0.0, 1.0]]), "C must be symmetric"),
        (lambda: gaussian_inputs(10, [[1.0, 0.0], [0.0, -1.0]]), "C must be positive semidefinite"),
        (lambda: gaussian_inputs(10, "C"), "C must be a square matrix of numbers"),
        (lambda: gaussian_inputs(10, torch.ones(2, 3, dtype=F64)), r"C must be a square \(N, N\) matrix"),
        (lambda: hebb(X, torch.ones(3, dtype=F64)), r"w0 must have shape \(2,\)"),
        (lambda: hebb(X, torch.zeros(2, dtype=F64)), "w0 must be nonzero"),
        (lambda: hebb(X[0], W0), "x must have 2 dimensions"),
        (lambda: oja(X, W0, eta=-0.1), "eta must be a positive finite number"),
        (lambda: oja(X.float(), W0), r"w0 must have shape \(2,\) and the dtype of x \(torch.float32\)"),
        (lambda: oja(torch.full((3, 2), math.inf, dtype=F64), W0), "x contains NaN or infinite values"),
        (lambda: hebb_flow(C2, W0, tensor([0.0, -1.0])), "times must be a nonempty 1-D tensor of nonnegative"),
        (lambda: hebb_flow(C2, W0, 1.0), "times must be a torch.Tensor"),
        (lambda: oja_flow(tensor([[1.0, 2.0], [0.0, 1.0]]), W0, tensor([1.0])), "C must be symmetric"),
        (lambda: random_patterns(0, 5), "P must be a positive integer"),
        (lambda: hopfield_weights(tensor([[1.0, 0.5], [1.0, -1.0]])), r"patterns must contain only -1 and \+1"),
        (lambda: hopfield_weights(tensor([1.0, -1.0])), "patterns must have 2 dimensions"),
        (lambda: hopfield_weights(torch.ones(2, 3, dtype=torch.int64)), "patterns must have a floating-point dtype"),
        (lambda: hopfield_weights(tensor([[1.0, math.nan]])), "patterns contains NaN"),
        (lambda: hopfield_energy(W4, torch.ones(3, dtype=F64)), "s must have 4 units in its last dimension"),
        (lambda: hopfield_energy(W4, XI[0], torch.zeros(3, dtype=F64)), r"b must have shape \(4,\)"),
        (lambda: hopfield_energy(W4, XI[0].float()), r"s must have 4 units in its last dimension and the dtype of W \(torch.float64\)"),
        (lambda: synchronous(torch.ones(4, 3, dtype=F64), XI[0]), r"W must be a square \(N, N\) matrix"),
        (lambda: synchronous(W4, XI[0], max_steps=0), "max_steps must be a positive integer"),
        (lambda: synchronous(W4, torch.ones(0, 4, dtype=F64)), "s0 must not be empty"),
        (lambda: asynchronous(W4, XI[0], record="step"), "record must be one of 'sweep', 'update'"),
        (lambda: asynchronous(W4, tensor([1.0, 0.0, -1.0, 1.0])), r"s0 must contain only -1 and \+1"),
        (lambda: asynchronous(W4, XI[0], max_sweeps=1.5), "max_sweeps must be a positive integer"),
        (lambda: asynchronous(W4, XI[0], seed=1.0), "seed must be a nonnegative integer"),
        (lambda: corrupt(XI, 1.5), r"fraction must be a finite number in \[0, 1\]"),
        (lambda: corrupt(XI, -0.1), r"fraction must be a finite number in \[0, 1\]"),
        (lambda: corrupt(XI, math.nan), r"fraction must be a finite number in \[0, 1\]"),
        (lambda: overlap(XI, torch.ones(5, dtype=F64)), "pattern must have 4 units in its last dimension"),
        (lambda: bit_error_probability(0.0), "alpha must be a positive finite number"),
        (lambda: bit_error_probability(tensor([0.1, -0.1])), "alpha must contain only positive loads"),
        (lambda: capacity_curve(alphas=()), "alphas must be a nonempty list of numbers"),
        (lambda: capacity_curve(alphas=(0.1, -0.2)), r"alphas\[1\] must be a finite number in \(0, inf\]"),
        (lambda: capacity_curve(alphas=0.1), "alphas must be a nonempty list of numbers"),
        (lambda: capacity_curve(noise=2), r"noise must be a finite number in \[0, 1\]"),
        (lambda: capacity_curve(trials=0), "trials must be a positive integer"),
        (lambda: capacity_curve(N=2.5), "N must be a positive integer"),
    ],
)
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------- the input contract (issue 20)


@pytest.mark.parametrize("call", [
    lambda dtype: random_patterns(2, 3, dtype=dtype),
    lambda dtype: correlated_keys(2, 3, 0.1, dtype=dtype),
], ids=["random_patterns", "correlated_keys"])
def test_dtype_arguments_must_be_floating_point(call):
    with pytest.raises(ValueError, match="dtype must be one of"):
        call(torch.int64)
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        call(None)
    assert call(torch.float32).dtype == torch.float32


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, None, "0", True])
@pytest.mark.parametrize("call", [
    lambda seed: correlated_keys(2, 3, 0.1, seed=seed),
    lambda seed: gaussian_inputs(3, seed=seed),
    lambda seed: random_patterns(2, 3, seed=seed),
    lambda seed: corrupt(XI, 0.25, seed=seed),
    lambda seed: asynchronous(W4, XI[0], seed=seed),
    lambda seed: capacity_curve(8, (0.25,), trials=1, seed=seed),
], ids=["correlated_keys", "gaussian_inputs", "random_patterns", "corrupt", "asynchronous", "capacity_curve"])
def test_every_seed_follows_the_one_seed_rule(call, seed):
    with pytest.raises(ValueError, match="seed must be a nonnegative integer below 2\\*\\*64"):
        call(seed)


@pytest.mark.parametrize("call, name", [
    (lambda: random_patterns(10**6, 10**6), "P and N"),
    (lambda: capacity_curve(N=10**5, alphas=(0.1,)), "N, alphas and trials"),
    (lambda: capacity_curve(N=100, alphas=(0.1,), trials=10**9), "N, alphas and trials"),
    (lambda: capacity_curve(N=100, alphas=(1e300,)), "N, alphas and trials"),
    (lambda: correlated_keys(2, 10**12, 0.1), "d"),
    (lambda: gaussian_inputs(10**12), "samples"),
])
def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=f"^{name}: .* would need .*memory limit"):
        call()


def test_results_that_would_overflow_are_refused():
    with pytest.raises(ValueError, match="Hebb's weights overflow torch.float64 after .* inputs x with eta"):
        hebb(X, W0, eta=1e300)
    with pytest.raises(ValueError, match="Oja's weights overflow"):
        oja(X, W0, eta=1e300)
    with pytest.raises(ValueError, match="times must stay below the overflow"):
        hebb_flow(C2, W0, tensor([0.0, 1e4]))
    with pytest.raises(ValueError, match="eta = 1e\\+300 makes the memory A overflow torch.float32"):
        associator(KEYS.float(), VALUES.float(), eta=1e300)


def test_figures_check_what_they_are_given():
    with pytest.raises(TypeError, match="measured must be a nonempty dict"):
        plot_crosstalk([])
    with pytest.raises(ValueError, match=r"stages\['a'\] must have shape \(k, side\*\*2\)"):
        plot_pattern_rows({"a": XI}, side=3)
    with pytest.raises(ValueError, match="N must divide the number of updates"):
        plot_energy_descent(torch.zeros(2, 5, dtype=F64), -1.0, corrupted=1, N=3)
    with pytest.raises(ValueError, match="corrupted must be an integer in \\[0, 2\\]"):
        plot_energy_descent(torch.zeros(2, 5, dtype=F64), -1.0, corrupted=3, N=2)
    with pytest.raises(ValueError, match="overlap_of must be None or one of the sizes"):
        plot_capacity({8: capacity_curve(8, (0.25,), trials=1)}, overlap_of=9)
    with pytest.raises(ValueError, match="stored must have a square number of units"):
        plot_recall_frame(XI[0, :3], XI[0, :3], None, 0.1, None)


def test_matrices_built_from_small_inputs_are_guarded_too():
    wide = torch.ones(1, 10**5, dtype=F64)
    with pytest.raises(ValueError, match="^patterns: the \\(N, N\\) weights would need"):
        hopfield_weights(wide)
    with pytest.raises(ValueError, match="^keys and values: the memory A and the Gram matrix would need"):
        associator(wide, wide)
    with pytest.raises(ValueError, match="^s and pattern: the products of s and pattern would need"):
        overlap(torch.ones(10**4, 1, 10, dtype=F64), torch.ones(10**4, 10, dtype=F64))
