"""Specification of srnbook.tasks: the adding, multiplication, XOR and temporal order problems.

Every property is checked on the tensors a generator returns (x, y, lengths), never
on its internals: the marks are found in x, and the targets recomputed from them.
"""

import math

import numpy as np
import pytest
import torch

from srnbook import SRN
from srnbook.tasks import (
    TASKS,
    TEMPORAL_CLASSES,
    TEMPORAL_SYMBOLS,
    TOLERANCE,
    Batch,
    adding,
    adding_slides,
    chance_baseline,
    make_task,
    multiplication,
    success,
    success_rate,
    temporal_order,
    xor,
)

# (u, o, kind) of every task
SHAPES = {
    "adding": (2, 1, "regression"),
    "adding_slides": (2, 1, "regression"),
    "multiplication": (2, 1, "regression"),
    "xor": (2, 2, "classification"),
    "temporal_order": (8, 4, "classification"),
    "temporal_order_3bit": (8, 8, "classification"),
    "parity": (4, 2, "classification"),
}
PAIR_TASKS = ("adding", "multiplication", "xor")  # the (value, marker) layout of H&S, experiment 4


def _valid(batch):
    """(B, T_max) bool: the steps before each length."""
    return torch.arange(batch.x.shape[1]) < batch.lengths[:, None]


def _marked_steps(batch, k, marks=None):
    """(B, k): the 0-based steps whose marker is 1 (or where ``marks`` is true), checking there are k."""
    marks = batch.x[..., 1] == 1 if marks is None else marks
    assert (marks.sum(dim=1) == k).all()
    return torch.nonzero(marks)[:, 1].reshape(len(batch), k)  # row-major: sorted in each row


# ---------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", sorted(TASKS))
def test_shapes_dtypes_and_padding(name):
    u, o, kind = SHAPES[name]
    b = make_task(name, 64, 30, seed=0)
    assert isinstance(b, Batch) and len(b) == 64 and b.kind == kind and b.task == name
    assert b.x.dtype == torch.float32 and b.y.dtype == torch.float32
    assert b.lengths.dtype == torch.int64 and b.positions.dtype == torch.int64
    assert b.x.shape == (64, int(b.lengths.max()), u)
    assert b.y.shape == (64, o)
    assert (b.x[~_valid(b)] == 0).all()  # zero after each length
    assert torch.isfinite(b.x).all() and torch.isfinite(b.y).all()


def test_an_srn_reads_a_batch_and_is_scored_at_each_last_step():
    b = adding(16, 20, seed=4)
    out = SRN(2, 5, 1, activation="tanh", output="identity")(b.x, b.lengths)
    end = b.at_end(out.y)
    assert end.shape == (16, 1)
    for i in range(16):
        assert torch.equal(end[i], out.y[i, b.lengths[i] - 1])
    assert success(b, out.y).tolist() == success(b, end).tolist()
    assert 0.0 <= success_rate(b, out.y) <= 1.0


# ---------------------------------------------------------------------- lengths


@pytest.mark.parametrize("name", ["adding", "multiplication", "xor", "temporal_order", "temporal_order_3bit"])
def test_lengths_between_T_and_T_plus_T_over_10(name):
    T = 40
    lengths = make_task(name, 2000, T, seed=1).lengths
    assert lengths.min() >= T and lengths.max() <= T + T // 10
    assert set(lengths.tolist()) == set(range(T, T + T // 10 + 1))  # every length occurs
    fixed = make_task(name, 50, T, seed=1, variable_length=False).lengths
    assert fixed.tolist() == [T] * 50


def test_slides_sequences_have_length_T():
    b = adding_slides(100, 17, seed=0)
    assert b.lengths.tolist() == [17] * 100 and b.x.shape[1] == 17


# ---------------------------------------------------------------------- the marker/value tasks


@pytest.mark.parametrize("name", PAIR_TASKS)
def test_two_marks_in_the_ranges_of_hochreiter_and_schmidhuber(name):
    T = 30
    b = make_task(name, 3000, T, seed=2)
    markers, valid = b.x[..., 1], _valid(b)
    steps = _marked_steps(b, 2)  # exactly two marks ...
    assert (steps[:, 1] < T // 2).all()  # ... both among the first T/2 steps ...
    assert (steps[:, 0] < 10).all()  # ... at least one among the first ten
    assert torch.equal(b.positions, steps)
    # -1 at the first step (unless marked) and at the last one, 0 elsewhere
    expected = torch.zeros_like(markers)
    expected[:, 0] = -1
    expected[torch.arange(len(b)), b.lengths - 1] = -1
    unmarked = valid & (markers != 1)
    assert torch.equal(markers[unmarked], expected[unmarked])
    # the first step is marked with probability 1/10 + (9/10)/(T/2 - 1) ~ 0.164
    assert 0.13 < (steps[:, 0] == 0).float().mean() < 0.20
    # the first mark is uniform over the first ten steps: every one of them is used
    assert set(steps[:, 0].tolist()) == set(range(10))


@pytest.mark.parametrize("name", PAIR_TASKS)
@pytest.mark.parametrize("T", [10, 15, 19])
def test_below_T_20_the_first_mark_comes_from_the_first_half(name, T):
    b = make_task(name, 2000, T, seed=5, variable_length=False)
    steps = _marked_steps(b, 2)
    assert (steps[:, 1] < T // 2).all()  # the minimal lag is still T/2
    assert set(steps.flatten().tolist()) == set(range(T // 2))  # every step of the first half is used


@pytest.mark.parametrize("k", [2, 3])
def test_temporal_order_at_T_10_keeps_E_first_and_the_ranges_apart(k):
    b = temporal_order(2000, 10, n_markers=k, seed=8, variable_length=False)
    symbols = b.x.argmax(dim=2)
    assert (symbols[:, 0] == TEMPORAL_SYMBOLS.index("E")).all()
    first = b.positions[:, 0] + 1  # 1-based
    assert (first == 2).all()  # the range [1, 2] starts after E
    assert (b.positions[:, 1:] > b.positions[:, :-1]).all()
    assert set(b.labels.tolist()) == set(range(2**k))


def test_adding_target_is_the_scaled_sum_of_the_marked_values():
    b = adding(2000, 24, seed=3)
    values = b.x[..., 0][_valid(b)]
    assert values.min() >= -1 and values.max() <= 1 and values.min() < -0.99 and values.max() > 0.99
    marks = b.x[..., 1] == 1
    assert (marks.sum(dim=1) == 2).all()
    expected = 0.5 + torch.where(marks, b.x[..., 0], 0).sum(dim=1) / 4
    assert (b.y[:, 0] - expected).abs().max() < 1e-6
    assert b.y.min() >= 0 and b.y.max() <= 1
    # a mark on the first step carries the value 0 (H&S: "we set X1 to zero")
    assert marks[:, 0].any() and (b.x[marks[:, 0], 0, 0] == 0).all()


def test_multiplication_target_is_the_product_of_the_marked_values():
    b = multiplication(2000, 24, seed=3)
    values = b.x[..., 0][_valid(b)]
    assert values.min() >= 0 and values.max() <= 1
    marks = b.x[..., 1] == 1
    assert (marks.sum(dim=1) == 2).all()
    expected = torch.where(marks, b.x[..., 0], 1).prod(dim=1)
    assert (b.y[:, 0] - expected).abs().max() < 1e-6
    assert marks[:, 0].any() and (b.x[marks[:, 0], 0, 0] == 1).all()  # H&S: "we set X1 to 1.0"


def test_xor_values_are_bits_and_the_class_is_their_xor():
    b = xor(2000, 24, seed=3)
    values = b.x[..., 0][_valid(b)]
    assert set(values.unique().tolist()) == {0.0, 1.0}
    marks = b.x[..., 1] == 1
    assert (marks.sum(dim=1) == 2).all()
    ones = torch.where(marks, b.x[..., 0], 0).sum(dim=1)  # how many marked values are 1
    assert torch.equal(b.labels, (ones == 1).long())
    assert torch.equal(b.y.sum(dim=1), torch.ones(2000))  # one-hot
    assert 0.45 < b.labels.float().mean() < 0.55


def test_slides_variant_one_mark_in_each_half_and_the_plain_sum():
    T = 15
    b = adding_slides(2000, T, seed=5)
    markers, values = b.x[..., 1], b.x[..., 0]
    assert set(markers.unique().tolist()) == {0.0, 1.0}  # no -1 markers
    assert values.min() >= 0 and values.max() <= 1
    steps = _marked_steps(b, 2)
    assert (steps[:, 0] < T // 2).all() and (steps[:, 1] >= T // 2).all()
    assert set(steps[:, 0].tolist()) == set(range(T // 2)) and set(steps[:, 1].tolist()) == set(range(T // 2, T))
    expected = torch.where(markers == 1, values, 0).sum(dim=1)
    assert (b.y[:, 0] - expected).abs().max() < 1e-6
    # the slides' example: values 0.7 and 0.4 marked, output 1.1
    x = torch.zeros(1, 4, 2)
    x[0, :, 0] = torch.tensor([0.3, 0.7, 0.4, 0.6])
    x[0, [1, 2], 1] = 1
    example = Batch(x, torch.tensor([[1.1]]), torch.tensor([4]), "regression", "adding_slides",
                    torch.tensor([[1, 2]]))
    assert success(example, torch.tensor([[0.7 + 0.4]])).tolist() == [True]


# ---------------------------------------------------------------------- temporal order


@pytest.mark.parametrize("k, ranges", [(2, [(10, 20), (50, 60)]), (3, [(10, 20), (33, 43), (66, 76)])])
def test_temporal_order_layout_and_classes(k, ranges):
    T = 100  # the setting of Hochreiter & Schmidhuber, tasks 6a and 6b
    b = temporal_order(1000, T, n_markers=k, seed=6)
    valid = _valid(b)
    assert torch.equal(b.x.sum(dim=2), valid.float())  # one symbol per valid step
    symbols = b.x.argmax(dim=2)
    E, B, X, Y = (TEMPORAL_SYMBOLS.index(s) for s in "EBXY")
    rows = torch.arange(len(b))
    assert (symbols[:, 0] == E).all() and (symbols[rows, b.lengths - 1] == B).all()
    relevant = (symbols == X) | (symbols == Y)
    steps = _marked_steps(b, k, relevant)
    assert torch.equal(b.positions, steps)
    for j, (lo, hi) in enumerate(ranges):
        assert ((lo <= steps[:, j] + 1) & (steps[:, j] + 1 <= hi)).all()  # the paper's 1-based positions
    inner = valid & ~relevant
    inner[:, 0] = False
    inner[rows, b.lengths - 1] = False
    assert (symbols[inner] < 4).all()  # a, b, c, d everywhere else
    bits = (symbols.gather(1, steps) == Y).long()  # Y = 1, the first relevant symbol most significant
    assert torch.equal(b.labels, (bits * 2 ** torch.arange(k - 1, -1, -1)).sum(dim=1))
    seen = set(b.labels.tolist())
    assert seen == set(range(2**k)) and len(TEMPORAL_CLASSES[k]) == 2**k
    assert TEMPORAL_CLASSES[2][1] == "R"  # X, Y -> R: class 0b01


# ---------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", sorted(TASKS))
def test_same_seed_same_batch_other_seed_other_batch(name):
    a, b = make_task(name, 50, 25, seed=7), make_task(name, 50, 25, seed=7)
    for field in ("x", "y", "lengths", "positions"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    c = make_task(name, 50, 25, seed=8)
    assert a.x.shape != c.x.shape or not torch.equal(a.x, c.x)
    with pytest.raises(ValueError, match=r"seed must be a nonnegative integer below 2\*\*64"):
        make_task(name, 5, 25, seed=np.random.default_rng(3))  # one seed rule: an integer


def test_make_task_is_the_registry():
    assert torch.equal(make_task("adding", 5, 20, seed=3).x, adding(5, 20, seed=3).x)
    assert torch.equal(make_task("temporal_order", 5, 20, seed=3, n_markers=3).x,
                       make_task("temporal_order_3bit", 5, 20, seed=3).x)


# ---------------------------------------------------------------------- chance baselines

# Monte Carlo with a fixed seed (the outcome is deterministic); the bounds are 6 standard errors.
N_MC = 40_000


def _check_baseline(name, T, **options):
    base = chance_baseline(name, T, **options)
    b = make_task(name, N_MC, T, seed=11, **options)
    mean = torch.tensor(base.mean, dtype=torch.float64)
    sq = ((b.y.double() - mean) ** 2).mean(dim=1)
    assert abs(sq.mean().item() - base.mse) <= 6 * sq.std().item() / math.sqrt(N_MC) + 1e-12
    assert abs(b.y.double().mean(dim=0) - mean).max() < 6 * b.y.double().std(dim=0).max() / math.sqrt(N_MC)
    constant = torch.tensor(base.best_constant).expand(N_MC, -1)
    rate, p = success_rate(b, constant), base.success_rate
    assert abs(rate - p) < 6 * math.sqrt(p * (1 - p) / N_MC)
    return base


def test_adding_baseline():
    base = _check_baseline("adding", 20)
    # Var(0.5 + (X1 + X2)/4) = 2 (1/3) / 16 = 1/24 for X ~ U[-1, 1], less the marks on step 1:
    # with T = 20 each of the two values is 0 with probability 1/10
    assert base.mse == pytest.approx((2 * 0.9 / 3) / 16) and base.mse < 1 / 24
    assert base.best_constant == (0.5,)
    assert chance_baseline("adding", 10_000).mse == pytest.approx((0.9 / 3 + 1 / 3) / 16, rel=1e-3)


def test_adding_baseline_at_T_10():
    # the first mark is drawn among the first 5 steps: step 1 is marked more often
    base = _check_baseline("adding", 10)
    assert base.mse == pytest.approx(((1 - 1 / 5) / 3 + (1 - (4 / 5) / 4) / 3) / 16)


def test_multiplication_baseline():
    base = _check_baseline("multiplication", 20)
    assert base.best_constant == (TOLERANCE,) and 0.2 < base.success_rate < 0.3


def test_slides_baseline():
    base = _check_baseline("adding_slides", 10)
    assert base.mse == pytest.approx(1 / 6) and base.success_rate == pytest.approx(0.0784)


@pytest.mark.parametrize("name, options, classes", [("xor", {}, 2), ("temporal_order", {}, 4),
                                                    ("temporal_order", {"n_markers": 3}, 8)])
def test_classification_baselines(name, options, classes):
    base = _check_baseline(name, 20, **options)
    assert base.success_rate == pytest.approx(1 / classes)
    assert base.mse == pytest.approx((1 / classes) * (1 - 1 / classes))


def test_parity_baseline():
    base = _check_baseline("parity", 10)
    assert base.best_constant == (0.0, 1.0)
    assert base.success_rate == pytest.approx(sum((1 + 0.5**L) / 2 for L in (10, 11)) / 2)


def test_parity_labels_are_the_mlregtest_automaton():
    from srnbook.dfa import mlregtest

    b = make_task("parity", 200, 12, seed=2)
    dfa = mlregtest("04.04.Zp.2.1.0")
    for i in range(200):
        word = "".join("abcd"[k] for k in b.x[i, : b.lengths[i]].argmax(1).tolist())
        assert dfa.accepts(word) == bool(b.labels[i]) == (word.count("c") % 2 == 0)
    assert b.positions.shape == (200, 0)
    assert 0.4 < b.labels.float().mean() < 0.6


# ---------------------------------------------------------------------- success


def test_success_on_hand_made_regression_predictions():
    b = adding(6, 20, seed=9)
    y = b.y.double()
    pred = (y + torch.tensor([[0.039], [-0.039], [0.041], [-0.041], [0.0], [float("nan")]])).float()
    assert success(b, pred).tolist() == [True, True, False, False, True, False]
    assert success_rate(b, pred) == pytest.approx(3 / 6)
    assert success(b, pred, tol=0.05).tolist() == [True] * 5 + [False]
    # outputs at every step: only the last valid one counts
    seq = torch.full((6, b.x.shape[1], 1), 100.0)
    seq[torch.arange(6), b.lengths - 1] = b.y
    assert success(b, seq).all()


def test_success_on_hand_made_classification_predictions():
    b = temporal_order(8, 20, seed=9)
    right = torch.nn.functional.one_hot(b.labels, 4).float()
    wrong = torch.nn.functional.one_hot((b.labels + 1) % 4, 4).float()
    assert success(b, right).all() and not success(b, wrong).any()
    assert success(b, 5 * right - 1).all()  # any scale: the argmax counts
    assert success_rate(b, torch.cat([right[:2], wrong[2:]])) == pytest.approx(2 / 8)
    nan = right.clone()
    nan[0, 3] = float("nan")
    assert success(b, nan).tolist() == [False] + [True] * 7
    with pytest.raises(ValueError, match="labels exist for classification tasks only"):
        adding(2, 20).labels


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", sorted(TASKS))
@pytest.mark.parametrize("n", [0, -3, 2.0, True])
def test_n_must_be_a_positive_integer(name, n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_task(name, n, 30)


@pytest.mark.parametrize("name, smallest", [("adding", 10), ("multiplication", 10), ("xor", 10),
                                            ("temporal_order", 10), ("temporal_order_3bit", 10),
                                            ("adding_slides", 2)])
def test_T_too_small_for_the_marks(name, smallest):
    with pytest.raises(ValueError, match=f"T must be at least {smallest} for '{name}'"):
        make_task(name, 4, smallest - 1)
    with pytest.raises(ValueError, match=f"T must be at least {smallest} for '{name}'"):
        chance_baseline(name, smallest - 1)
    assert len(make_task(name, 4, smallest)) == 4
    with pytest.raises(ValueError, match="T must be a positive integer"):
        make_task(name, 4, 30.0)


def test_unknown_task():
    with pytest.raises(ValueError, match="name must be one of 'adding', .* got 'addition'"):
        make_task("addition", 4, 30)
    with pytest.raises(ValueError, match="name must be one of"):
        chance_baseline("majority", 30)


@pytest.mark.parametrize("n_markers", [1, 4, 2.0, True, "2"])
def test_bad_n_markers(n_markers):
    with pytest.raises(ValueError, match="n_markers must be 2 .* or 3"):
        temporal_order(4, 30, n_markers=n_markers)
    with pytest.raises(ValueError, match="n_markers must be 2 .* or 3"):
        chance_baseline("temporal_order", 30, n_markers=n_markers)


def test_bad_arguments_of_the_scoring_functions():
    b = adding(3, 20)
    with pytest.raises(ValueError, match=r"prediction must have shape \(B, o\) = \(3, 1\)"):
        success(b, torch.zeros(4, 1))
    with pytest.raises(ValueError, match="prediction must have 2 or 3 dimensions"):
        success(b, torch.zeros(3))
    with pytest.raises(ValueError, match=r"prediction must have shape \(B, T, o\) with B = 3"):
        success(b, torch.zeros(3, 5, 1))  # shorter than the sequences
    with pytest.raises(ValueError, match="batch must be a srnbook.tasks.Batch"):
        success((b.x, b.y), b.y)
    with pytest.raises(ValueError, match=r"tol must be a finite number in \(0, inf\]"):
        success(b, b.y, tol=-0.1)
    with pytest.raises(ValueError, match="variable_length must be True or False"):
        adding(3, 20, variable_length="yes")


# ---------------------------------------------------------------------- sizes and seeds (issue 20)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_a_batch_beyond_the_memory_limit_is_refused_before_it_is_drawn(name):
    with pytest.raises(ValueError, match=r"n and T: a batch of 1000000000000 sequences of length 10 would need"):
        make_task(name, 10**12, 10)
    with pytest.raises(ValueError, match=r"n and T: a batch of 2 sequences of length 1000000000000 would need"):
        make_task(name, 2, 10**12)


@pytest.mark.parametrize("seed", [None, -1, 2**64, 1.5, "0", np.random.default_rng(0), [0, 1]])
def test_one_seed_rule_an_integer_in_0_to_2_to_the_64(seed):
    with pytest.raises(ValueError, match=r"seed must be a nonnegative integer below 2\*\*64"):
        adding(2, 10, seed=seed)
    assert torch.equal(adding(2, 10, seed=2**64 - 1).x, adding(2, 10, seed=np.uint64(2**64 - 1)).x)


def test_an_option_the_generator_does_not_take_is_refused():
    with pytest.raises(ValueError, match="n_markers is not an option of task 'adding'"):
        make_task("adding", 2, 10, n_markers=3)
    with pytest.raises(ValueError, match="variable_length is not an option of task 'adding_slides'"):
        make_task("adding_slides", 2, 10, variable_length=False)


def test_chance_baselines_of_any_length_in_closed_form():
    assert chance_baseline("parity", 10**12).success_rate == 0.5
    with pytest.raises(ValueError, match="n_markers must be 2"):
        chance_baseline("adding", 100, n_markers=5)  # checked even where it is not used
