"""Specification of srnbook.learning: the constrained SRN, the losses, the distances, the training pair."""

import itertools
import math

import numpy as np
import pytest
import torch

from srnbook import SRN, dfa_to_ssrn, saturating_scale
from srnbook.dfa import even_as, tomita
from srnbook.learning import (
    ConstrainedSRN,
    bce,
    effective_parameters,
    gradient_by_scale,
    inverse_norm,
    matching_distance,
    nth_root_loss,
    permute_states,
    scale_growth,
    target_parameters,
    train_pair,
    training_loss,
)
from srnbook.sampling import balanced_dataset


def words(dfa, n, lam, seed):
    w = balanced_dataset(dfa, n, lam, seed=seed)
    return w[w.lengths > 0]


# ---------------------------------------------------------------------- the constrained SRN


def test_constrained_srn_has_the_shape_of_section_7_3():
    torch.manual_seed(0)
    m = ConstrainedSRN(3, 2, "tanh", dtype=torch.float64)
    assert [name for name, _ in m.named_parameters()] == ["u", "M", "V"]
    assert m.hidden_size == 6 and m.input_size == 2 and m.output_size == 1
    U, W = m.U.detach(), m.W.detach()
    assert torch.equal(U, float(m.u.detach()) * torch.tensor([[1.0, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]],
                                                     dtype=torch.float64))
    for group in range(3):  # columns equal by groups of |Sigma| = 2
        assert torch.equal(W[:, 2 * group], W[:, 2 * group + 1])
    assert (W <= 0).all() and float(m.u.detach()) >= 0  # negative initial W
    assert torch.equal(m.b, torch.zeros(6, dtype=torch.float64)) and torch.equal(m.c, torch.zeros(1, dtype=torch.float64))
    assert sum(p.numel() for p in m.parameters()) == 1 + 6 * 3 + 6  # u, M, V; versus 12 + 36 + 6 + 6 + 1 free


def test_constrained_parameters_are_trained_through_the_shared_columns():
    torch.manual_seed(1)
    m = ConstrainedSRN(2, 3, "sigmoid", dtype=torch.float64)
    x = torch.nn.functional.one_hot(torch.tensor([[0, 2, 1, 1]]), 3).double()
    m(x).y.sum().backward()
    # dL/dM[:, q] is the sum of dL/dW over the |Sigma| columns of group q (chain rule of the expansion)
    W = m.W.detach().requires_grad_()
    U = m.U.detach().requires_grad_()
    plain = SRN(3, 6, 1, "sigmoid", output="identity", dtype=torch.float64)
    with torch.no_grad():
        plain.U.copy_(U), plain.W.copy_(W), plain.V.copy_(m.V), plain.b.zero_(), plain.c.zero_()
    plain(x).y.sum().backward()
    assert torch.allclose(m.M.grad, plain.W.grad.view(6, 2, 3).sum(2), atol=1e-12)
    assert torch.allclose(m.u.grad, (plain.U.grad * m.blocks).sum(), atol=1e-12)


def test_every_compiled_ssrn_is_a_constrained_srn():
    for dfa, activation in itertools.product((even_as(), tomita(5)), ("sigmoid", "tanh")):
        ssrn = dfa_to_ssrn(dfa, activation, J=3.0, dtype=torch.float64)
        k = dfa.n_symbols
        m = ConstrainedSRN(dfa.n_states, k, activation, output=activation, dtype=torch.float64)
        with torch.no_grad():
            m.u.fill_(2 * 3.0)
            m.M.copy_(ssrn.srn.W[:, ::k])
            m.V.copy_(ssrn.srn.V)
        for name in ("U", "W", "b", "c"):
            assert torch.allclose(getattr(m, name), getattr(ssrn.srn, name), atol=1e-12), (name, activation)


def test_to_srn_starts_from_the_same_function():
    torch.manual_seed(2)
    m = ConstrainedSRN(4, 2, "tanh")
    plain = m.to_srn()
    x = torch.randn(3, 7, 2)
    assert torch.equal(m(x).y, plain(x).y)
    assert sum(p.numel() for p in plain.parameters()) == 8 * 2 + 64 + 8 + 8 + 1


@pytest.mark.parametrize("kwargs, match", [
    ({"n_states": 0, "n_symbols": 2}, "n_states"),
    ({"n_states": 2, "n_symbols": 1.5}, "n_symbols"),
    ({"n_states": 2, "n_symbols": 2, "activation": "relu"}, "activation"),
])
def test_constrained_srn_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConstrainedSRN(**kwargs)


# ---------------------------------------------------------------------- losses


def test_bce_value_and_gradient_by_hand():
    z = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    s = 1 / (1 + np.exp(-np.array([0.0, 2.0, -1.0])))
    by_hand = -(np.log(s[0]) + np.log(1 - s[1]) + np.log(1 - s[2])) / 3
    loss = bce(z, y)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(by_hand, rel=1e-12)
    assert np.allclose(z.grad.numpy(), (s - y.numpy()) / 3, atol=1e-14)


def test_bce_of_a_saturated_logit_is_finite_and_zero_when_right():
    z = torch.tensor([200.0, -200.0], requires_grad=True)
    loss = bce(z, torch.tensor([1.0, 0.0]))
    loss.backward()
    assert float(loss.detach()) == 0.0 and torch.equal(z.grad, torch.zeros(2))


@pytest.mark.parametrize("n", [0.5, 1.0, 2.0, 3.0])
def test_nth_root_value_and_gradient_by_hand(n):
    zs = np.array([0.3, -1.2, 2.5, 0.0])
    ys = np.array([1.0, 0.0, 0.0, 1.0])
    z = torch.tensor(zs, requires_grad=True)
    loss = nth_root_loss(z, torch.tensor(ys), n)
    loss.backward()
    s = 1 / (1 + np.exp(-zs))
    value = np.mean((1 - ys) * s ** (1 / n) + ys * (1 - s) ** (1 / n))
    # d/dz of s^(1/n) = (1/n) s^(1/n - 1) s (1 - s); of (1 - s)^(1/n) = -(1/n) (1 - s)^(1/n - 1) s (1 - s)
    grad = ((1 - ys) * s ** (1 / n) * (1 - s) - ys * (1 - s) ** (1 / n) * s) / (n * len(zs))
    assert float(loss.detach()) == pytest.approx(value, rel=1e-12)
    assert np.allclose(z.grad.numpy(), grad, atol=1e-14)


def test_nth_root_with_n_1_is_the_mean_absolute_error():
    z = torch.tensor([0.4, -0.7, 1.1], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    assert float(nth_root_loss(z, y, 1.0)) == pytest.approx(float((torch.sigmoid(z) - y).abs().mean()), rel=1e-12)


def test_nth_root_gradient_is_finite_where_the_output_rounds_to_a_bound():
    z = torch.tensor([-120.0, 120.0], requires_grad=True)  # sigmoid(-120) = 0 in float32
    nth_root_loss(z, torch.tensor([0.0, 1.0]), 3.0).backward()
    assert torch.isfinite(z.grad).all()


def test_inverse_norm_value_and_gradient_by_hand():
    a = torch.tensor([3.0, 0.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[4.0]], dtype=torch.float64, requires_grad=True)
    r = inverse_norm([a, b], lam=2.0)
    r.backward()
    assert float(r.detach()) == pytest.approx(2.0 / 5.0)
    # d(lam/||theta||)/dtheta = -lam theta / ||theta||^3
    assert np.allclose(a.grad.numpy(), [-2 * 3 / 125, 0.0]) and np.allclose(b.grad.numpy(), [[-2 * 4 / 125]])


def test_training_loss_adds_the_regularizer_only_to_bce_inverse_norm():
    z, y = torch.tensor([0.5, -0.5]), torch.tensor([1.0, 0.0])
    p = [torch.tensor([1.0, 1.0])]
    assert float(training_loss("bce", z, y, p)) == float(bce(z, y))
    assert float(training_loss("bce_inverse_norm", z, y, p, lam=0.5)) == pytest.approx(
        float(bce(z, y)) + 0.5 / math.sqrt(2), rel=1e-6)
    assert float(training_loss("nth_root", z, y, n=4.0)) == float(nth_root_loss(z, y, 4.0))


@pytest.mark.parametrize("call, match", [
    (lambda: bce(torch.zeros(3), torch.zeros(2)), "y must have the shape"),
    (lambda: bce(torch.zeros(2), torch.tensor([0.0, 0.5])), "labels 0 and 1"),
    (lambda: bce(torch.tensor([float("nan")]), torch.zeros(1)), "z contains NaN"),
    (lambda: bce(torch.zeros(2, 1), torch.zeros(2, 1)), "z must have 1 dimensions"),
    (lambda: nth_root_loss(torch.zeros(2), torch.zeros(2), 0.0), "n must be a positive"),
    (lambda: inverse_norm([torch.zeros(3)]), "all be zero"),
    (lambda: inverse_norm([]), "at least one tensor"),
    (lambda: training_loss("mse", torch.zeros(1), torch.zeros(1)), "name must be one of"),
])
def test_losses_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------- distance to the target


def brute_force(theta, target, n, fix_initial=True):
    """min over relabellings of the explicit distances, the definition itself."""
    start = 1 if fix_initial else 0
    best_target, best_line = math.inf, math.inf
    flat = np.concatenate([theta[k].ravel() for k in ("U", "W", "V", "b", "c")])
    for rest in itertools.permutations(range(start, n)):
        moved = permute_states(target, list(range(start)) + list(rest), n)
        t = np.concatenate([moved[k].ravel() for k in ("U", "W", "V", "b", "c")])
        best_target = min(best_target, np.linalg.norm(flat - t))
        alpha = flat @ t / (t @ t)
        best_line = min(best_line, np.linalg.norm(flat - alpha * t))
    return best_target, best_line


def test_a_relabelled_target_is_at_distance_zero_but_not_naively():
    target = target_parameters(tomita(5), "sigmoid", J=4.0)  # 4 states
    moved = permute_states(target, [0, 3, 1, 2], 4)
    naive = math.sqrt(sum(((moved[k] - target[k]) ** 2).sum() for k in target))
    assert naive > 1.0
    d = matching_distance(moved, target, 4)
    assert d.target == pytest.approx(0.0, abs=1e-6) and d.line == pytest.approx(0.0, abs=1e-6)
    assert d.permutation == (0, 3, 1, 2) and d.exact


def test_relabellings_that_move_the_initial_state_are_not_symmetries():
    target = target_parameters(tomita(5), "sigmoid", J=4.0)
    moved = permute_states(target, [1, 0, 2, 3], 4)
    assert matching_distance(moved, target, 4).target > 1.0
    assert matching_distance(moved, target, 4, fix_initial=False).target == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matching_distance_equals_the_brute_force_minimum(seed):
    rng = np.random.default_rng(seed)
    target = target_parameters(tomita(3), "tanh", J=2.0)  # 5 states, 10 units
    theta = {k: v * rng.uniform(-0.5, 1.5) + rng.normal(size=v.shape) for k, v in target.items()}
    for fix in (True, False):
        d = matching_distance(theta, target, 5, fix_initial=fix)
        t, line = brute_force(theta, target, 5, fix)
        assert d.target == pytest.approx(t, rel=1e-9) and d.line == pytest.approx(line, rel=1e-9)


def test_local_search_is_an_upper_bound_that_finds_a_relabelled_target():
    rng = np.random.default_rng(3)
    target = target_parameters(tomita(3), "sigmoid", J=2.0)
    theta = {k: v + 0.3 * rng.normal(size=v.shape) for k, v in target.items()}
    exact = matching_distance(theta, target, 5)
    searched = matching_distance(theta, target, 5, max_permutations=2)
    assert not searched.exact and exact.exact
    assert searched.target >= exact.target - 1e-9 and searched.line >= exact.line - 1e-9
    moved = permute_states(target, [0, 2, 1, 3, 4], 5)
    assert matching_distance(moved, target, 5, max_permutations=2).target == pytest.approx(0.0, abs=1e-6)


def test_line_distance_ignores_the_scale():
    target = target_parameters(even_as(), "sigmoid", J=1.0)
    for s in (0.1, 3.0, -2.0):
        scaled = {k: s * v for k, v in target.items()}
        d = matching_distance(scaled, target, 2)
        assert d.line == pytest.approx(0.0, abs=1e-9)
        assert d.target == pytest.approx(abs(1 - s) * math.sqrt(sum((v ** 2).sum() for v in target.values())),
                                         rel=1e-9) or s < 0


@pytest.mark.parametrize("call, match", [
    (lambda t: matching_distance(t, t, 3), "n_states must divide"),
    (lambda t: matching_distance({**t, "W": t["W"][:2]}, t, 2), r"theta\['W'\] must have shape"),
    (lambda t: matching_distance({k: v for k, v in t.items() if k != "c"}, t, 2), "theta must be a dict"),
    (lambda t: matching_distance({**t, "V": t["V"] * np.nan}, t, 2), "NaN"),
    (lambda t: matching_distance(t, [1, 2], 2), "target must be a dict"),
    (lambda t: permute_states(t, [0, 0], 2), "permutation must be a permutation"),
])
def test_distances_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(target_parameters(even_as(), "sigmoid", J=1.0))


# ---------------------------------------------------------------------- training side by side


def test_train_pair_records_the_metrics_of_both_networks_from_one_initialization():
    dfa = tomita(4)
    result = train_pair(dfa, words(dfa, 120, 5.0, 0), words(dfa, 60, 15.0, 1), "tanh", epochs=4, batch_size=40,
                        eval_every=2, seed=3)
    assert set(result.histories) == {"constrained", "plain"} and result.exact_distance
    c, p = result.histories["constrained"], result.histories["plain"]
    assert c.epoch == p.epoch == [0, 2, 4]
    # before training the two networks compute the same function: same loss and accuracies
    assert c.loss[0] == pytest.approx(p.loss[0], rel=1e-6)
    assert c.test_accuracy[0] == p.test_accuracy[0] and c.distance[0] == pytest.approx(p.distance[0], rel=1e-6)
    assert c.loss[-1] != p.loss[-1]  # then they part
    for h in (c, p):
        assert all(a >= b >= 0 for a, b in zip(h.grad_l2, h.grad_linf))
        assert all(0 <= a <= 1 for a in h.train_accuracy + h.test_accuracy)
        assert all(line <= dist + 1e-9 for line, dist in zip(h.line_distance, h.distance))
    assert isinstance(result.models["constrained"], ConstrainedSRN)


def test_train_pair_is_seeded():
    dfa = even_as()
    a, b = (train_pair(dfa, words(dfa, 80, 4.0, 0), words(dfa, 40, 10.0, 1), "sigmoid", loss="nth_root",
                       optimizer="sgd", epochs=2, batch_size=20, seed=5) for _ in range(2))
    assert a.histories["plain"].to_dict() == b.histories["plain"].to_dict()


def test_adam_on_an_easy_language_learns_it():
    dfa = tomita(1)
    result = train_pair(dfa, words(dfa, 300, 6.0, 0), words(dfa, 200, 20.0, 1), "tanh", epochs=40, batch_size=50,
                        eval_every=40, lr=0.05)
    assert result.histories["plain"].test_accuracy[-1] > 0.95


@pytest.mark.parametrize("kwargs, match", [
    ({"activation": "relu"}, "activation"),
    ({"loss": "mse"}, "loss"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"lr": -1.0}, "lr"),
    ({"epochs": 0}, "epochs"),
    ({"seed": -1}, "seed"),
])
def test_train_pair_rejects_bad_options(kwargs, match):
    dfa = even_as()
    with pytest.raises(ValueError, match=match):
        train_pair(dfa, words(dfa, 20, 4.0, 0), words(dfa, 20, 4.0, 1), **kwargs)


def test_train_pair_rejects_bad_data():
    dfa = even_as()
    good = words(dfa, 20, 4.0, 0)
    with pytest.raises(ValueError, match="train_words must be srnbook.sampling.Words"):
        train_pair(dfa, [("a",)], good)
    with_empty = balanced_dataset(dfa, 50, 0.5, seed=0)
    with pytest.raises(ValueError, match="no empty word"):
        train_pair(dfa, good, with_empty)
    with pytest.raises(ValueError, match="over the DFA's alphabet"):
        train_pair(dfa, words(tomita(1), 20, 4.0, 0), good)
    with pytest.raises(ValueError, match="dfa must be a srnbook.DFA"):
        train_pair("abc", good, good)


# ---------------------------------------------------------------------- the limit of gradient descent


def test_the_gradient_of_compiled_ssrns_vanishes_and_is_exactly_zero_past_saturation():
    dfa = even_as()
    w = words(dfa, 100, 6.0, 0)
    J_sat = saturating_scale("sigmoid", torch.float32)
    points = gradient_by_scale(dfa, [2.0, 4.0, 8.0, 16.0, 40.0, J_sat, 100.0], w)
    norms = [p.grad_l2 for p in points]
    assert all(a > b for a, b in zip(norms[:5], norms[1:5]))  # decreasing while not saturated
    assert all(not p.zero for p in points[:5])
    assert points[5].zero and points[6].zero
    assert 0 <= points[5].loss < 1e-37  # the loss is a denormal or 0, its gradient exactly 0
    # ||g|| decays like e^{-J}: the log-slope between J = 8 and 16 is about -1
    slope = (math.log(norms[3]) - math.log(norms[2])) / 8
    assert -1.3 < slope < -0.7


def test_gradient_descent_from_a_compiled_ssrn_grows_its_scale_like_log_t():
    dfa = even_as()
    out = scale_growth(dfa, words(dfa, 60, 5.0, 0), J0=2.0, steps=400, lr=2.0, every=1)
    J = np.array(out["J"])
    assert J[0] == pytest.approx(2.0) and (np.diff(J) > 0).all()
    # J_t ~ log t: doubling t adds a roughly constant amount to J
    gains = [J[2 * t] - J[t] for t in (50, 100, 200)]
    assert max(gains) / min(gains) < 1.3
    assert J[-1] < 10  # nowhere near saturation after 400 steps


def test_limit_functions_reject_bad_input():
    w = words(even_as(), 10, 4.0, 0)
    with pytest.raises(ValueError, match="dfa must be"):
        gradient_by_scale("dfa", [1.0], w)
    with pytest.raises(ValueError, match="steps"):
        scale_growth(even_as(), w, steps=0)
    with pytest.raises(ValueError, match="J0"):
        scale_growth(even_as(), w, J0=-1.0)


def test_effective_parameters_reject_what_is_not_an_srn():
    with pytest.raises(ValueError, match="model must be a srnbook.SRN"):
        effective_parameters(torch.nn.Linear(2, 2))


# ---------------------------------------------------------------------- snapshots, norms, the chapter's tables


def test_train_pair_keeps_snapshots_equal_to_training_for_fewer_epochs():
    dfa = tomita(4)
    train, test = words(dfa, 80, 5.0, 0), words(dfa, 40, 12.0, 1)
    options = {"epochs": 4, "batch_size": 20, "seed": 2}
    kept = train_pair(dfa, train, test, "tanh", keep=(0, 2), **options)
    assert set(kept.snapshots) == {0, 2}
    short = train_pair(dfa, train, test, "tanh", **{**options, "epochs": 2})
    for kind in ("plain", "constrained"):
        for p, q in zip(kept.snapshots[2][kind].parameters(), short.models[kind].parameters()):
            assert torch.equal(p, q)
        assert kept.snapshots[0][kind] is not kept.models[kind]
    plain = train_pair(dfa, train, test, "tanh", **options)  # keeping copies does not change training
    assert plain.histories["plain"].to_dict() == kept.histories["plain"].to_dict()
    with pytest.raises(ValueError, match="keep"):
        train_pair(dfa, train, test, "tanh", keep=(-1,), **options)


def test_scale_growth_records_the_norm_of_each_parameter_tensor():
    dfa = even_as()
    out = scale_growth(dfa, words(dfa, 30, 4.0, 0), J0=3.0, steps=20, lr=10.0, every=10)
    compiled = dfa_to_ssrn(dfa, J=3.0)
    assert set(out["norms"]) == {name for name, _ in compiled.srn.named_parameters()}
    assert all(len(values) == len(out["step"]) == 3 for values in out["norms"].values())
    assert out["norms"]["V"][0] == pytest.approx(compiled.srn.V.detach().norm().item())
    assert out["norms"]["V"][-1] > out["norms"]["V"][0]  # the output margin grows


def test_the_chapter_tables_and_figures_of_the_stored_experiment():
    import json
    from pathlib import Path

    from srnbook.experiments import learning_ssrn as experiment

    result = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "learning_ssrn.json").read_text())
    rows = experiment.language_rows(result)
    assert len(rows) == len(result["config"]["languages"])
    assert all(len(row) == len(experiment.LANGUAGE_HEADER) for row in rows)
    assert [float(row[3]) for row in rows] == sorted(float(row[3]) for row in rows)
    permutation = {row[0] for row in rows if row[2] == "yes"}
    assert permutation == {"tomita5", "tomita6", "04.04.Zp.2.1.0"}
    counts = experiment.grid_counts(result)
    assert counts["networks"] == 2 * counts["runs"] == 576
    assert sum(counts["stuck_by_loss"].values()) == counts["stuck"]
    for header, table in ((experiment.LOSS_HEADER, experiment.loss_rows(result)),
                          (experiment.EXTRACTION_HEADER, experiment.extraction_rows(result)),
                          (experiment.CURVE_HEADER, experiment.curve_rows(result))):
        assert table and all(len(row) == len(header) for row in table)
    extraction = experiment.extraction_rows(result)
    assert sum(row[-1] for row in extraction) == sum(counts["equivalent"].values())
    assert len(experiment.plot_summary(result).axes) == 2
    assert len(experiment.plot_curves(result).axes) == 4 * len(result["curves"])
    assert experiment.is_permutation_automaton(even_as())
    assert not experiment.is_permutation_automaton(tomita(4).minimize())


# ---------------------------------------------------------------------- the input contract (issue 20)


@pytest.mark.parametrize("seed", [np.random.default_rng(0), None, -1, 2**64, 1.0],
                         ids=["generator", "none", "negative", "2**64", "float"])
def test_the_seed_of_train_pair_is_an_integer_below_2_to_the_64(seed):
    dfa = even_as()
    with pytest.raises(ValueError, match=r"\bseed must be a nonnegative integer below 2\*\*64"):
        train_pair(dfa, words(dfa, 8, 2.0, 0), words(dfa, 8, 2.0, 1), epochs=1, seed=seed)


def ones_target(n_states, k=2):
    """A parameter dict of an SRN with n_states * k units (all ones)."""
    d = n_states * k
    return {"U": np.ones((d, k)), "W": np.ones((d, d)), "V": np.ones((1, d)), "b": np.zeros(d), "c": np.zeros(1)}


def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(one_mebibyte):
    with pytest.raises(ValueError, match=r"^n_states: a constrained SRN .* would need"):
        ConstrainedSRN(1000, 2)
    target = ones_target(24)  # 24**4 overlaps: 5 MiB
    with pytest.raises(ValueError, match=r"^n_states: the overlaps of n_states=24 states .* would need"):
        matching_distance(target, target, 24)


def test_the_enumeration_of_relabellings_is_held_to_the_memory_limit(one_mebibyte):
    target = ones_target(9)  # 8! = 40,320 relabellings to enumerate with fix_initial
    with pytest.raises(ValueError, match=r"^max_permutations: enumerating the 40320 relabellings .* would need"):
        matching_distance(target, target, 9, max_permutations=50_000)
    assert not matching_distance(target, target, 9, max_permutations=1000).exact  # the local search instead


@pytest.mark.parametrize("call, name", [
    (lambda w: train_pair(even_as(), w, w, epochs=1, lr=1e38), "lr"),  # Adam's first step, 10 lr, is not a float32
    (lambda w: train_pair(even_as(), w, w, epochs=1, lam=1e39), "lam"),
    (lambda w: train_pair(even_as(), w, w, epochs=3, lr=3e38, optimizer="sgd"), "lr"),  # training diverges
    (lambda w: inverse_norm([torch.full((2,), 1e-10)], lam=1e30), "lam"),  # lam / ||theta|| overflows float32
    (lambda w: scale_growth(even_as(), w, J0=1e200, steps=1), "J0"),  # ||theta_0||^2 overflows float64
    (lambda w: scale_growth(even_as(), w, J0=2.0, steps=3, lr=1e300), "lr"),
])
def test_scales_whose_results_overflow_are_refused(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(words(even_as(), 8, 2.0, 0))


def test_training_loss_checks_every_number_whatever_the_loss():
    z, y = torch.tensor([0.5, -1.0]), torch.tensor([1.0, 0.0])
    with pytest.raises(ValueError, match=r"^n must be a positive"):
        training_loss("bce", z, y, n=-1.0)  # n is used by "nth_root" only
    with pytest.raises(ValueError, match=r"^lam must be a nonnegative"):
        training_loss("nth_root", z, y, lam=float("nan"))
    with pytest.raises(ValueError, match=r"^z must hold at least one logit"):
        bce(z[:0], y[:0])
    with pytest.raises(ValueError, match=r"^y must have the dtype of z"):
        bce(z, y.double())


def test_logits_take_an_srn_whose_output_is_the_logit():
    from srnbook.learning import logits

    model = ConstrainedSRN(2, 2)
    x = torch.nn.functional.one_hot(torch.tensor([[0, 1, 1]]), 2).float()
    assert logits(model, x, torch.tensor([3], dtype=torch.uint8)).shape == (1,)
    with pytest.raises(ValueError, match=r"^model must have output='identity'"):
        logits(SRN(2, 4, 1, "tanh", output="sigmoid"), x, torch.tensor([3]))
    with pytest.raises(ValueError, match=r"^lengths must have entries >= 1"):
        logits(model, x, torch.tensor([0]))


def test_train_pair_keeps_only_epochs_it_trains():
    dfa = even_as()
    w = words(dfa, 8, 2.0, 0)
    with pytest.raises(ValueError, match=r"^keep entries must be an integer in \[0, 2\]"):
        train_pair(dfa, w, w, epochs=2, keep=(3,))
    with pytest.raises(ValueError, match=r"^keep must be a collection of epochs"):
        train_pair(dfa, w, w, epochs=2, keep=2)


def test_relabellings_and_scales_are_checked_entry_by_entry():
    target = target_parameters(even_as(), "sigmoid", J=1.0)
    with pytest.raises(ValueError, match=r"^permutation entries must be an integer"):
        permute_states(target, [1.0, 0.0], 2)
    with pytest.raises(ValueError, match=r"^params must be a dict with keys U, W, V, b, c"):
        permute_states(None, [1, 0], 2)
    w = words(even_as(), 8, 2.0, 0)
    with pytest.raises(ValueError, match=r"^scales entries must be a positive"):
        gradient_by_scale(even_as(), [1.0, "2"], w)
    with pytest.raises(ValueError, match=r"^scales: J = 1e\+300 is too large"):
        gradient_by_scale(even_as(), [1e300], w)
    assert len(gradient_by_scale(even_as(), np.array([1.0, 2.0]), w)) == 2  # an array of scales
