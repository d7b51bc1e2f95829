"""Tests for srnbook.backward_tuning: Viéville's three steps, checked against autograd and numpy."""

import math

import numpy as np
import pytest
import torch

from srnbook import backward_tuning as bt
from srnbook.backward_tuning import Weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")

KINDS = ["lnl", "iaf"]


def problem(kind, n=3, seed=0, T=None):
    return bt.reverse_engineering(kind, n, seed, T=T)


def perturbed_criterion(unit, weights, inputs, targets, delta_x, delta_a):
    """C computed with a perturbation added to every state and auxiliary after it is computed."""
    x = torch.zeros(unit.n_units, dtype=torch.float64)
    xs = []
    for t, i_prev in enumerate(inputs):
        f0, phi = unit.aux_kernels(x, i_prev)
        a = f0 + (weights.aux * phi).sum(-1) + delta_a[t]
        f0, phi = unit.main_kernels(a, x, i_prev)
        x = f0 + (weights.main * phi).sum(-1) + delta_x[t]
        xs.append(x)
    x = torch.stack(xs)
    return 0.5 / len(inputs) * ((x[:, :targets.shape[1]] - targets) ** 2).sum()


@pytest.mark.parametrize("kind", KINDS)
def test_the_multipliers_are_the_total_derivatives_of_the_criterion_in_each_value(kind):
    unit, _, blind, inputs, targets = problem(kind, n=3, T=15)
    T, N = inputs.shape[0], unit.n_units
    delta_x = torch.zeros(T, N, dtype=torch.float64, requires_grad=True)
    delta_a = torch.zeros(T, N, dtype=torch.float64, requires_grad=True)
    perturbed_criterion(unit, blind, inputs, targets, delta_x, delta_a).backward()
    traj = bt.simulate(unit, blind, inputs)
    ex, ea = bt.backward_errors(unit, blind, traj, targets)
    assert ex.abs().max() > 1e-4
    torch.testing.assert_close(ex, delta_x.grad, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(ea, delta_a.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_the_weight_gradient_from_the_multipliers_is_autograds_gradient(kind):
    unit, _, blind, inputs, targets = problem(kind, n=4, seed=1)
    params = Weights(*(w.clone().requires_grad_(True) for w in blind))
    bt.criterion(unit, params, inputs, targets).backward()
    traj = bt.simulate(unit, blind, inputs)
    grad = bt.gradient(unit, blind, traj, inputs, bt.backward_errors(unit, blind, traj, targets))
    for g, p, fixed in zip(grad, params, unit.fixed()):
        torch.testing.assert_close(g[~fixed], p.grad[~fixed], rtol=1e-9, atol=1e-15)
        assert (g[fixed] == 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_the_explicit_kernel_derivatives_are_the_jacobians_of_one_step(kind):
    unit, _, blind, inputs, _ = problem(kind, n=3, T=6)
    traj = bt.simulate(unit, blind, inputs)
    b = bt.betas(unit, blind, traj)
    for t in range(1, inputs.shape[0] + 1):
        x_prev, a_t, i_prev = traj.h[t - 1], traj.a[t], inputs[t - 1]

        def aux(x):
            f0, phi = unit.aux_kernels(x, i_prev)
            return f0 + (blind.aux * phi).sum(-1)

        def main(x, a):
            f0, phi = unit.main_kernels(a, x, i_prev)
            return f0 + (blind.main * phi).sum(-1)

        jx, ja = torch.autograd.functional.jacobian(main, (x_prev, a_t))
        torch.testing.assert_close(b.ax[t - 1], torch.autograd.functional.jacobian(aux, x_prev))
        torch.testing.assert_close(b.xx[t - 1], jx)
        torch.testing.assert_close(b.xa[t - 1], ja)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kernel_derivatives_match_finite_differences(kind):
    unit, _, blind, inputs, _ = problem(kind, n=2, T=4)
    traj = bt.simulate(unit, blind, inputs)
    b = bt.betas(unit, blind, traj)
    t, h = 3, 1e-6
    for n_ in range(unit.n_units):
        e = torch.zeros(unit.n_units, dtype=torch.float64)
        e[n_] = h
        f0p, phip = unit.main_kernels(traj.a[t] + e, traj.h[t - 1], inputs[t - 1])
        f0m, phim = unit.main_kernels(traj.a[t] - e, traj.h[t - 1], inputs[t - 1])
        column = ((f0p + (blind.main * phip).sum(-1)) - (f0m + (blind.main * phim).sum(-1))) / (2 * h)
        torch.testing.assert_close(b.xa[t - 1][:, n_], column, rtol=1e-6, atol=1e-8)


def test_normal_equation_step_is_the_least_squares_solution_on_a_linear_unit():
    unit, _, blind, inputs, targets = problem("iaf", n=3, T=40)
    traj = bt.simulate(unit, blind, inputs)
    g = torch.Generator().manual_seed(0)
    errors = tuple(1e-2 * torch.randn(40, 3, generator=g, dtype=torch.float64) for _ in range(2))
    kappa = 0.3
    new = bt.normal_equation_step(unit, blind, traj, inputs, errors, kappa, rcond=1e-15)
    x_prev = traj.h[:-1]
    blocks = [(unit.aux_kernels(x_prev, inputs), traj.a[1:], errors[1], new.aux),
              (unit.main_kernels(traj.a[1:], x_prev, inputs), traj.h[1:], errors[0], new.main)]
    for (f0, phi), values, e, w in blocks:
        for n in range(3):
            target = (values[:, n] - f0[:, n] - e[:, n] / kappa).numpy()
            reference = np.linalg.lstsq(phi[:, n].numpy(), target, rcond=None)[0]
            np.testing.assert_allclose(w[n].numpy(), reference, rtol=1e-6, atol=1e-10)


def test_normal_equation_step_keeps_fixed_weights_and_fits_the_others():
    unit, _, blind, inputs, targets = problem("lnl", n=3, T=30)
    blind = Weights(blind.aux.clone(), blind.main)
    blind.aux[:, 0] = 0.25  # a fixed offset: it moves to the right-hand side
    traj = bt.simulate(unit, blind, inputs)
    errors = (torch.zeros(30, 3, dtype=torch.float64), 1e-2 * torch.ones(30, 3, dtype=torch.float64))
    new = bt.normal_equation_step(unit, blind, traj, inputs, errors, kappa=1.0, rcond=1e-15)
    assert (new.aux[:, 0] == 0.25).all()
    f0, phi = unit.aux_kernels(traj.h[:-1], inputs)
    for n in range(3):
        target = (traj.a[1:, n] - 0.25 - 1e-2).numpy()
        reference = np.linalg.lstsq(phi[:, n, 1:].numpy(), target, rcond=None)[0]
        np.testing.assert_allclose(new.aux[n, 1:].numpy(), reference, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_with_zero_errors_the_normal_equations_give_back_the_generating_weights(kind):
    unit, root, blind, inputs, _ = problem(kind, n=3)
    if kind == "iaf":  # soft spikes (sharpness 1): the kernels are far from collinear
        root = Weights(torch.ones_like(root.aux), root.main)
    traj = bt.simulate(unit, root, inputs)
    zeros = (torch.zeros_like(traj.h[1:]), torch.zeros_like(traj.a[1:]))
    new = bt.normal_equation_step(unit, blind if kind == "iaf" else Weights(root.aux, blind.main), traj, inputs,
                                  zeros, rcond=1e-15)
    for w, r in zip(new, root):
        torch.testing.assert_close(w, r, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind, seed", [(k, s) for k in KINDS for s in range(3)])
def test_the_line_search_never_increases_the_criterion(kind, seed):
    unit, _, blind, inputs, targets = problem(kind, n=3, seed=seed)
    result = bt.fit(unit, blind, inputs, targets, max_iterations=25)
    h = np.array(result.history)
    assert len(h) == len(result.steps) + 1 and (np.diff(h) < 0).all()
    assert len(result.lambdas) == len(result.steps) and all(lam > 0 for lam in result.lambdas)


@pytest.mark.parametrize("kind", KINDS)
def test_fit_reverse_engineers_a_small_network_by_orders_of_magnitude(kind):
    unit, _, blind, inputs, targets = problem(kind, n=4, seed=0)
    result = bt.fit(unit, blind, inputs, targets)
    assert result.history[-1] < 1e-3 * result.history[0]
    assert result.status in ("converged", "max_iterations") and len(result.history) <= 101
    if result.status == "converged":
        assert result.history[-1] < 1e-6 <= result.history[-2]
    lower, upper = unit.bounds()
    for w, lo, hi in zip(result.weights, lower, upper):
        assert (w >= lo).all() and (w <= hi).all()
    if kind == "lnl":
        assert (result.weights.aux[:, 0] == 0).all()  # the fixed offsets did not move


def test_relaxation_divides_the_normal_equation_step_and_keeps_the_criterion():
    unit, _, blind, inputs, targets = problem("lnl", n=3)
    seen = {}
    for s in (1.0, 4.0):
        steps = []
        original = bt._normal_equation_step  # what fit calls, on arguments it checked once

        def spy(*args, **kwargs):
            steps.append(original(*args, **kwargs))
            return steps[-1]

        bt._normal_equation_step = spy
        try:
            result = bt.fit(unit, blind, inputs, targets, max_iterations=1, relaxation=s)
        finally:
            bt._normal_equation_step = original
        seen[s] = (result.history[0], [n - w for n, w in zip(steps[0], blind)])
    assert seen[4.0][0] == seen[1.0][0]  # the criterion does not depend on the relaxation
    for one, four in zip(seen[1.0][1], seen[4.0][1]):
        torch.testing.assert_close(four, one / 4, rtol=1e-6, atol=1e-10)
    with pytest.raises(ValueError, match="relaxation"):
        bt.fit(unit, blind, inputs, targets, relaxation=0.0)


def test_fit_calls_back_with_each_iterate():
    unit, _, blind, inputs, targets = problem("lnl", n=2)
    seen = []
    result = bt.fit(unit, blind, inputs, targets, max_iterations=5,
                    callback=lambda k, w, traj: seen.append((k, float(bt.criterion(unit, w, inputs, targets)))))
    assert [k for k, _ in seen] == list(range(6))
    assert [c for _, c in seen] == pytest.approx(result.history)


def test_fit_falls_back_to_gradient_steps_when_the_normal_step_does_not_help(monkeypatch):
    unit, _, blind, inputs, targets = problem("lnl", n=3)
    monkeypatch.setattr(bt, "_normal_equation_step", lambda unit, w, *args, **kwargs: Weights(w.aux + 10, w.main))
    result = bt.fit(unit, blind, inputs, targets, max_iterations=5, halvings=1)
    assert result.steps == ["gradient"] * 5 and (np.diff(result.history) < 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_bptt_lowers_the_same_criterion_and_keeps_constraints(kind):
    unit, _, blind, inputs, targets = problem(kind, n=3)
    result = bt.fit_bptt(unit, blind, inputs, targets, max_iterations=20)
    assert result.history[0] == pytest.approx(float(bt.criterion(unit, blind, inputs, targets)))
    assert min(result.history) < 1e-2 * result.history[0]
    lower, upper = unit.bounds()
    for w, lo, hi, fixed, w0 in zip(result.weights, lower, upper, unit.fixed(), blind):
        assert (w >= lo).all() and (w <= hi).all() and (w[fixed] == w0[fixed]).all()
    adam = bt.fit_bptt(unit, blind, inputs, targets, max_iterations=5, method="adam")
    assert adam.steps == ["adam"] * 5


def test_decay_fit_recovers_the_time_constant_and_the_bias_of_an_exponential():
    k = np.arange(60)
    result = bt.decay_fit(3e-4 + 0.5 * np.exp(-k / 7.5))
    assert result["iterations"] == 60 and result["minimum"] == pytest.approx(3e-4 + 0.5 * math.exp(-59 / 7.5))
    assert result["tau"] == pytest.approx(7.5, rel=1e-9)
    assert result["bias"] == pytest.approx(3e-4, rel=1e-6)


def test_decay_fit_without_a_decay_has_no_time_constant():
    assert bt.decay_fit([1.0, 1.0, 1.0]) == {"iterations": 3, "minimum": 1.0, "tau": None, "bias": None}
    assert bt.decay_fit([1.0, 2.0, 4.0])["tau"] is None
    assert bt.decay_fit([0.5])["iterations"] == 1


def test_reverse_engineering_problem():
    unit, root, blind, inputs, targets = bt.reverse_engineering("iaf", 3, 2)
    assert inputs.shape == (24, 1) and targets.shape == (24, 1)
    torch.testing.assert_close(bt.simulate(unit, root, inputs).h[1:, :1], targets)
    assert float(bt.criterion(unit, root, inputs, targets)) == 0.0
    assert not torch.equal(root.main, blind.main)


def test_project_clips_leaks_and_sharpness():
    unit = bt.make_unit("iaf", 2)
    w = Weights(torch.tensor([[-1.0], [500.0]], dtype=torch.float64), torch.full((2, 5), 2.0, dtype=torch.float64))
    p = bt.project(unit, w)
    assert p.aux.flatten().tolist() == [0.0, 100.0] and p.main[:, 0].tolist() == [0.999, 0.999]
    assert (p.main[:, 1:] == 2.0).all()


@pytest.mark.parametrize("call, match", [
    (lambda u, w, i, o: bt.make_unit("lstm", 2), "kind must be one of"),
    (lambda u, w, i, o: bt.make_unit("lnl", 0), "n_units must be a positive integer"),
    (lambda u, w, i, o: bt.simulate(u, Weights(w.aux[:1], w.main), i), r"weights.aux must have shape \(2, 4\)"),
    (lambda u, w, i, o: bt.simulate(u, Weights(w.aux.float(), w.main), i), "weights.aux must have dtype"),
    (lambda u, w, i, o: bt.simulate(u, w.aux, i), "weights must be a Weights"),
    (lambda u, w, i, o: bt.simulate(u, w, i.repeat(1, 2)), r"inputs must have shape \(T, 1\)"),
    (lambda u, w, i, o: bt.simulate(u, w, i * float("nan")), "inputs contains NaN"),
    (lambda u, w, i, o: bt.criterion(u, w, i, o.repeat(1, 3)), r"targets must have shape \(T, K\)"),
    (lambda u, w, i, o: bt.criterion(u, w, i, o[:-1]), "targets must have shape"),
    (lambda u, w, i, o: bt.criterion(u, w, i, o, kappa=-1.0), "kappa must be a positive"),
    (lambda u, w, i, o: bt.fit(u, w, i, o, max_iterations=0), "max_iterations must be a positive integer"),
    (lambda u, w, i, o: bt.fit(u, w, i, o, tolerance=0.0), "tolerance must be a positive"),
    (lambda u, w, i, o: bt.fit(u, w, i, o, expansions=-1), r"expansions must be an integer in \[0, 1023\]"),
    (lambda u, w, i, o: bt.fit(u, w, i, o, ridge=-1.0), "ridge must be a nonnegative"),
    (lambda u, w, i, o: bt.fit_bptt(u, w, i, o, method="sgd"), "method must be one of"),
    (lambda u, w, i, o: bt.backward_errors(u, w, bt.simulate(u, w, i), o, huge=0.0), "huge must be a positive"),
    (lambda u, w, i, o: bt.reverse_engineering("lnl", 2, -1), "seed must be a nonnegative integer"),
    (lambda u, w, i, o: bt.decay_fit([1.0, float("nan")]), "history must be a nonempty sequence"),
    (lambda u, w, i, o: bt.decay_fit([]), "history must be a nonempty sequence"),
])
def test_errors_name_the_argument(call, match):
    unit, _, blind, inputs, targets = problem("lnl", n=2, T=8)
    with pytest.raises(ValueError, match=match):
        call(unit, blind, inputs, targets)


def test_guards_zero_tiny_errors_and_saturate_huge_ones():
    unit, _, blind, inputs, targets = problem("lnl", n=3, T=20)
    traj = bt.simulate(unit, blind, inputs)
    ex, _ = bt.backward_errors(unit, blind, traj, targets)
    gx, ga = bt.backward_errors(unit, blind, traj, targets, tiny=1e30)  # every propagated error dropped
    rho = torch.zeros_like(ex)
    rho[:, 0] = (traj.h[1:, 0] - targets[:, 0]) / 20
    torch.testing.assert_close(gx, rho)
    assert (ga == 0).all()
    hx, _ = bt.backward_errors(unit, blind, traj, targets, huge=1e-12)
    assert float((hx - rho).abs().max()) <= 1e-12 + 1e-16 and not torch.equal(hx, ex)


def test_simulate_with_a_perturbation_adds_it_to_every_value():
    unit, _, blind, inputs, targets = problem("iaf", n=2, T=10)
    delta_x = torch.zeros(10, 2, dtype=torch.float64, requires_grad=True)
    delta_a = torch.zeros(10, 2, dtype=torch.float64, requires_grad=True)
    traj = bt.simulate(unit, blind, inputs, perturbation=(delta_x, delta_a))
    bt.criterion(unit, blind, inputs, targets, traj=traj).backward()
    ex, ea = bt.backward_errors(unit, blind, bt.simulate(unit, blind, inputs), targets)
    torch.testing.assert_close(delta_x.grad, ex)
    torch.testing.assert_close(delta_a.grad, ea)
    with pytest.raises(ValueError, match=r"perturbation delta_a must have shape \(10, 2\)"):
        bt.simulate(unit, blind, inputs, perturbation=(delta_x, delta_a[1:]))
    with pytest.raises(ValueError, match="perturbation must be a pair"):
        bt.simulate(unit, blind, inputs, perturbation=delta_x)


def test_the_gated_unit_is_an_lstm_written_with_kernels():
    unit = bt.GatedUnit(3, 2)
    w = unit.init_weights(0)
    g = torch.Generator().manual_seed(1)
    h, s, x = (torch.randn(k, generator=g, dtype=torch.float64) for k in (3, 3, 2))
    out = unit.step(w, h, s, x)
    sig = torch.sigmoid
    gate = lambda q: w[q][:, 0] * s + w[q][:, 1:4] @ h + w[q][:, 4:] @ x  # noqa: E731
    g_ref = w["g"][:, :3] @ h + w["g"][:, 3:] @ x
    s_ref = sig(gate("f")) * s + sig(gate("i")) * torch.tanh(g_ref)
    torch.testing.assert_close(out["s"], s_ref)
    torch.testing.assert_close(out["h"], sig(gate("o")) * torch.tanh(s_ref))
    traj = unit.simulate(w, torch.randn(5, 2, generator=g, dtype=torch.float64))
    assert traj["h"].shape == (6, 3) and (traj["h"][0] == 0).all() and (traj["h"].abs() < 1).all()


def test_the_gated_units_explicit_derivatives_are_autograds():
    unit = bt.GatedUnit(3, 1)
    w = unit.init_weights(2, scale=1.0)
    g = torch.Generator().manual_seed(3)
    h, s, x = (torch.randn(k, generator=g, dtype=torch.float64) for k in (3, 3, 1))
    values = unit.step(w, h, s, x)
    beta = unit.derivatives(w, values, h, s)
    for gate in unit.GATES:
        jh, js = torch.autograd.functional.jacobian(
            lambda hp, sp: (w[gate] * unit.kernels(gate, hp, sp, x)).sum(-1), (h, s))
        torch.testing.assert_close(beta[(gate, "h-")], jh)
        if gate != "g":
            torch.testing.assert_close(beta[(gate, "s-")], js)
    state = lambda sp, f, i, gg: torch.sigmoid(f) * sp + torch.sigmoid(i) * torch.tanh(gg)  # noqa: E731
    for source, jac in zip(("s-", "f", "i", "g"), torch.autograd.functional.jacobian(
            state, (s, values["f"], values["i"], values["g"]))):
        torch.testing.assert_close(beta[("s", source)], jac)
    output = lambda o, st: torch.sigmoid(o) * torch.tanh(st)  # noqa: E731
    for source, jac in zip(("o", "s"), torch.autograd.functional.jacobian(output, (values["o"], values["s"]))):
        torch.testing.assert_close(beta[("h", source)], jac)
    with pytest.raises(ValueError, match="gate must be one of"):
        unit.kernels("z", h, s, x)


def test_the_ridge_term_is_the_least_squares_solution_of_the_augmented_system():
    unit, _, blind, inputs, targets = problem("iaf", n=2, T=30)
    traj = bt.simulate(unit, blind, inputs)
    errors = bt.backward_errors(unit, blind, traj, targets)
    kappa, ridge = 0.5, 0.2
    new = bt.normal_equation_step(unit, blind, traj, inputs, errors, kappa, ridge=ridge, rcond=1e-15)
    f0, phi = unit.main_kernels(traj.a[1:], traj.h[:-1], inputs)
    for n in range(2):
        target = (traj.h[1:, n] - f0[:, n] - errors[0][:, n] / kappa).numpy()
        D = phi.shape[-1]
        stacked = np.vstack([math.sqrt(kappa) * phi[:, n].numpy(), math.sqrt(ridge) * np.eye(D)])
        reference = np.linalg.lstsq(stacked, np.concatenate([math.sqrt(kappa) * target, np.zeros(D)]), rcond=None)[0]
        np.testing.assert_allclose(new.main[n].numpy(), reference, rtol=1e-7, atol=1e-10)


def test_the_sparse_term_reweights_by_the_current_weights():
    unit = bt.make_unit("iaf", 2)
    w = bt.init_weights(unit, 0)
    fixed = unit.fixed()
    value = bt.regularization(w, fixed, sparse=0.5, sparse_eps=1e-3)
    expected = sum(float((0.5 * v ** 2 / (1e-3 + v.abs())).sum()) for v in w)
    assert float(value) == pytest.approx(expected)
    assert float(bt.regularization(w, fixed, ridge=2.0)) == pytest.approx(sum(float((v ** 2).sum()) for v in w))


# ---------------------------------------------------------------------- the input contract (issue 20)


@pytest.mark.parametrize("call", [
    lambda seed: bt.init_weights(bt.make_unit("lnl", 2), seed),
    lambda seed: bt.GatedUnit(2, 1).init_weights(seed),
    lambda seed: bt.reverse_engineering("lnl", 2, seed, T=4),
], ids=["init_weights", "GatedUnit.init_weights", "reverse_engineering"])
@pytest.mark.parametrize("seed", [np.random.default_rng(0), None, -1, 2**64, 1.0],
                         ids=["generator", "none", "negative", "2**64", "float"])
def test_every_seed_is_an_integer_below_2_to_the_64(call, seed):
    with pytest.raises(ValueError, match=r"\bseed must be a nonnegative integer below 2\*\*64"):
        call(seed)


def test_the_reverse_engineering_seed_leaves_room_for_the_blind_networks_seed():
    bt.reverse_engineering("lnl", 2, np.int64(2**62), T=4)
    with pytest.raises(ValueError, match=r"^seed must be below 2\*\*63 \(the networks use the seeds 2 \* seed"):
        bt.reverse_engineering("lnl", 2, 2**63, T=4)


@pytest.mark.parametrize("call, name", [
    (lambda: bt.make_unit("lnl", 10**5), "n_units"),
    (lambda: bt.IntegrateAndFire(2, 10**6), "n_inputs"),
    (lambda: bt.GatedUnit(10**5, 1), "n_units"),
    (lambda: bt.reverse_engineering("iaf", 2, 0, T=10**6), "T"),
])
def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(call, name, one_mebibyte):
    with pytest.raises(ValueError, match=rf"^{name}: .* would need .* more than the package's memory limit"):
        call()


def test_the_normal_equations_are_held_to_the_memory_limit(one_mebibyte):
    unit, _, blind, inputs, targets = problem("lnl", n=40, T=50)  # 40 systems of 42 x 42: 1.5 MiB
    traj = bt.simulate(unit, blind, inputs)
    errors = bt.backward_errors(unit, blind, traj, targets)
    with pytest.raises(ValueError, match=r"^unit: the normal equations would need"):
        bt.normal_equation_step(unit, blind, traj, inputs, errors)


@pytest.mark.parametrize("call, name", [
    (lambda u, w, i, o, tr: bt.criterion(u, w, i, o, kappa=1e308), "kappa"),
    (lambda u, w, i, o, tr: bt.backward_errors(u, w, tr, o + 1e10, kappa=1e300), "kappa"),
    (lambda u, w, i, o, tr: bt.regularization(Weights(1e100 * w.aux, w.main), u.fixed(), ridge=1e300), "ridge"),
    (lambda u, w, i, o, tr: bt.fit(u, w, i, o, kappa=1e300, relaxation=1e300), "relaxation"),
])
def test_scales_whose_results_overflow_are_refused(call, name):
    unit, _, blind, inputs, targets = problem("iaf", n=2, T=6)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(unit, blind, inputs, targets, bt.simulate(unit, blind, inputs))


def test_the_line_search_counts_halvings_and_expansions_float64_can_hold():
    unit, _, blind, inputs, targets = problem("lnl", n=2, T=8)
    bt.fit(unit, blind, inputs, targets, max_iterations=1, halvings=1074, expansions=1023)
    with pytest.raises(ValueError, match=r"^halvings must be an integer in \[1, 1074\]"):
        bt.fit(unit, blind, inputs, targets, halvings=1075)
    with pytest.raises(ValueError, match=r"^expansions must be an integer in \[0, 1023\]"):
        bt.fit(unit, blind, inputs, targets, expansions=1024)


def test_each_argument_is_checked_where_it_enters():
    unit, _, blind, inputs, targets = problem("lnl", n=2, T=8)
    traj = bt.simulate(unit, blind, inputs)
    errors = bt.backward_errors(unit, blind, traj, targets)
    with pytest.raises(ValueError, match=r"^unit must be a LinearNonLinear or an IntegrateAndFire"):
        bt.simulate(bt.GatedUnit(2, 1), blind, inputs)
    with pytest.raises(ValueError, match=r"^traj.h must have shape \(T \+ 1, 2\) with T = 7"):
        bt.gradient(unit, blind, traj, inputs[:-1], errors)
    with pytest.raises(ValueError, match=r"^errors\[1\] must have shape \(8, 2\)"):
        bt.normal_equation_step(unit, blind, traj, inputs, (errors[0], errors[1][:-1]))
    with pytest.raises(ValueError, match=r"^rcond must be a finite number in \(0, 1\)"):
        bt.normal_equation_step(unit, blind, traj, inputs, errors, rcond=1.0)
    with pytest.raises(ValueError, match=r"^targets contains NaN"):
        bt.backward_errors(unit, blind, traj, targets * math.nan)
    with pytest.raises(ValueError, match=r"^tiny must be below huge"):
        bt.backward_errors(unit, blind, traj, targets, tiny=1.0, huge=0.5)
    with pytest.raises(ValueError, match=r"^fixed.aux must be a 2-dimensional torch.bool tensor"):
        bt.regularization(blind, blind, ridge=1.0)
    with pytest.raises(ValueError, match=r"^callback must be a function"):
        bt.fit(unit, blind, inputs, targets, callback=3)
    with pytest.raises(ValueError, match=r"^fixed_offset must be True or False"):
        bt.LinearNonLinear(2, 1, fixed_offset=1)
    with pytest.raises(ValueError, match=r"^history must be a nonempty sequence of finite numbers, got an entry '1'"):
        bt.decay_fit([2.0, "1"])


def test_the_kernels_take_one_step_or_all_steps_of_one_shape():
    unit = bt.make_unit("iaf", 2)
    x, i = torch.zeros(5, 2, dtype=torch.float64), torch.zeros(5, 1, dtype=torch.float64)
    assert unit.aux_kernels(x, i)[1].shape == (5, 2, 1) and unit.aux_kernels(x[0], i[0])[1].shape == (2, 1)
    with pytest.raises(ValueError, match=r"^i_prev must have the leading shape of x_prev, \(5,\), got \(4,\)"):
        unit.aux_kernels(x, i[1:])
    with pytest.raises(ValueError, match=r"^a must have shape \(2,\) or \(T, 2\) with T >= 1, got \(5, 3\)"):
        unit.main_kernels(torch.zeros(5, 3, dtype=torch.float64), x, i)
    gated = bt.GatedUnit(2, 1)
    with pytest.raises(ValueError, match=r"^h_prev must have 1 dimensions"):
        gated.kernels("g", x, x[0], i[0])
    with pytest.raises(ValueError, match=r"^weights\['f'\] must have shape \(2, 4\)"):
        gated.step({**gated.init_weights(0), "f": torch.zeros(2, 3, dtype=torch.float64)}, x[0], x[0], i[0])


def test_adam_through_time_reports_a_criterion_that_stops_being_finite():
    unit, _, blind, inputs, targets = problem("iaf", n=2, T=8)
    result = bt.fit_bptt(unit, blind, inputs, targets, method="adam", lr=1e300, max_iterations=5)
    assert result.status == "failed: the criterion is not finite"
