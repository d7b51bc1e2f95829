"""Specification of srnbook.fastweights: the associative retrieval task, the fast-weights RNN, iRNN, LSTM, training.

The task is checked on the tensors it returns (tokens, one-hot x, y), the targets
recomputed from the strings; the fast-weights step against the paper's equations
written out by hand.
"""

import json
import math

import numpy as np
import pytest
import torch

import srnbook.gated

from srnbook.fastweights import (
    DEFAULT_PAIRS,
    IRNN,
    MODELS,
    N_SYMBOLS,
    PAPER_SPLITS,
    SYMBOLS,
    FastWeightsRNN,
    LSTMNet,
    RetrievalBatch,
    RetrievalResult,
    RetrievalSplits,
    associative_retrieval,
    classifier_head,
    count_parameters,
    decode,
    distinct_sequences,
    encode,
    fast_weights,
    make_retrieval_model,
    retrieval_error,
    retrieval_splits,
    train_retrieval,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

F64 = torch.float64


def ln(v, gain, bias, eps=1e-5):
    """Layer normalization written out: gain * (v - mean) / sqrt(var + eps) + bias, biased variance."""
    mu = v.mean()
    var = ((v - mu) ** 2).mean()
    return gain * (v - mu) / torch.sqrt(var + eps) + bias


def relu(v):
    return torch.clamp(v, min=0)


def random_fw(d=3, u=2, seed=0, **kw):
    """A float64 fast-weights RNN without embedding and with every parameter random (not the default init)."""
    torch.manual_seed(seed)
    m = FastWeightsRNN(u, d, embedding=None, head_size=4, dtype=F64, **kw)
    with torch.no_grad():
        for p in (m.U, m.W, m.b):
            p.copy_(torch.randn(p.shape, dtype=F64))
        if m.ln is not None:
            m.ln.weight.copy_(1 + 0.3 * torch.randn(d, dtype=F64))
            m.ln.bias.copy_(0.3 * torch.randn(d, dtype=F64))
    return m


# ---------------------------------------------------------------------- the task


def test_symbols_and_the_papers_examples():
    assert len(SYMBOLS) == N_SYMBOLS == 37 and len(set(SYMBOLS)) == 37
    assert SYMBOLS[:26] == "abcdefghijklmnopqrstuvwxyz" and SYMBOLS[26:36] == "0123456789" and SYMBOLS[36] == "?"
    b = encode(["c9k8j3f1??c", "j0a5s5z2??a"])  # Ba et al. (2016), section 4.1
    assert b.y.tolist() == [9, 5] and b.query_pair.tolist() == [0, 1] and b.pairs == 4
    assert decode(b) == decode(b.x) == decode(b.tokens) == b.strings() == ["c9k8j3f1??c", "j0a5s5z2??a"]
    assert encode("c9k8j3f1??f").y.tolist() == [1]


def test_format_of_a_batch():
    K = 5
    b = associative_retrieval(2000, pairs=K, seed=3)
    T = 2 * K + 3
    assert isinstance(b, RetrievalBatch) and len(b) == 2000
    assert b.tokens.shape == (2000, T) and b.tokens.dtype == torch.int64
    assert b.y.shape == (2000,) and b.y.dtype == torch.int64 and b.y.min() >= 0 and b.y.max() <= 9
    x = b.x
    assert x.shape == (2000, T, 37) and x.dtype == torch.float32
    assert torch.equal(x.sum(dim=2), torch.ones(2000, T)) and torch.equal(x.argmax(dim=2), b.tokens)
    for s, y, q in zip(b.strings(), b.y.tolist(), b.query_pair.tolist()):
        keys, values = s[0:2 * K:2], s[1:2 * K:2]
        assert keys.isalpha() and values.isdigit() and s[2 * K:2 * K + 2] == "??"
        assert len(set(keys)) == K  # distinct keys
        assert s[-1] in keys and keys.index(s[-1]) == q  # the query is one of the keys
        assert int(values[q]) == y  # the target is the value of the queried key
    assert torch.equal(encode(b.strings()).y, b.y)


def test_targets_queries_and_keys_are_balanced():
    n, K = 50_000, DEFAULT_PAIRS
    b = associative_retrieval(n, seed=1)
    digits = torch.bincount(b.y, minlength=10) / n
    assert (digits - 0.1).abs().max() < 0.006  # ~4.5 standard deviations
    queries = torch.bincount(b.query_pair, minlength=K) / n
    assert (queries - 1 / K).abs().max() < 0.01
    keys = torch.bincount(b.tokens[:, 0:2 * K:2].reshape(-1), minlength=26) / (n * K)
    assert (keys - 1 / 26).abs().max() < 0.003


def test_same_seed_same_data():
    a, b = associative_retrieval(100, seed=7), associative_retrieval(100, seed=7)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.y, b.y)
    assert not torch.equal(a.tokens, associative_retrieval(100, seed=8).tokens)
    s, t = (retrieval_splits(pairs=2, sizes=(300, 50, 80), seed=2) for _ in range(2))
    assert all(torch.equal(p.tokens, q.tokens) and torch.equal(p.y, q.y) for p, q in zip(s, t))


def rows(batch):
    return {tuple(r) for r in batch.tokens.tolist()}


def test_small_splits_are_disjoint_and_without_repeats():
    s = retrieval_splits(pairs=2, sizes=(20_000, 2_000, 3_000), seed=0)  # 130,000 distinct sequences
    assert isinstance(s, RetrievalSplits) and [len(p) for p in s] == [20_000, 2_000, 3_000]
    sets = [rows(p) for p in s]
    assert [len(r) for r in sets] == [20_000, 2_000, 3_000]  # each split without repeats
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    for p in s:
        assert torch.equal(encode(p.strings()).y, p.y)


def test_paper_splits():
    s = retrieval_splits(seed=0)
    assert PAPER_SPLITS == (100_000, 10_000, 20_000) and [len(p) for p in s] == list(PAPER_SPLITS)
    assert s.train.tokens.shape[1] == 2 * DEFAULT_PAIRS + 3 == 11
    everything = torch.cat([p.tokens for p in s]).numpy()
    assert len(np.unique(everything, axis=0)) == 130_000


def test_distinct_sequences():
    assert distinct_sequences(1) == 26 * 10
    assert distinct_sequences(4) == 26 * 25 * 24 * 23 * 10**4 * 4
    # all of them for K = 1, drawn from
    assert len(rows(associative_retrieval(20_000, pairs=1, seed=0))) == 260


# ---------------------------------------------------------------------- models: shapes, gradients, parameters


@pytest.mark.parametrize("name", list(MODELS))
def test_shapes_of_every_model(name):
    m = make_retrieval_model(name, 12, seed=0)
    b = associative_retrieval(5, seed=0)
    out = m(b.x)
    assert out.logits.shape == (5, 10) and out.h.shape == (5, 11, 12) and out.h_last.shape == (5, 12)
    assert torch.equal(out.h_last, out.h[:, -1]) and out.A is None
    if name == "fast_weights":
        assert m(b.x, return_fast_weights=True).A.shape == (5, 11, 12, 12)


@pytest.mark.parametrize("name", list(MODELS))
def test_gradients_reach_every_parameter(name):
    m = make_retrieval_model(name, 10, seed=0)
    b = associative_retrieval(64, seed=0)
    torch.nn.functional.cross_entropy(m(b.x).logits, b.y).backward()
    for pname, p in m.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, pname


def test_fast_weights_gradients_with_more_inner_steps_and_no_layer_norm():
    for options in ({"inner_steps": 3}, {"layer_norm": False}):
        m = make_retrieval_model("fast_weights", 8, seed=1, **options)
        b = associative_retrieval(32, seed=1)
        torch.nn.functional.cross_entropy(m(b.x).logits, b.y).backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_seeded_models_and_the_global_generator():
    state = torch.random.get_rng_state()
    a, b = make_retrieval_model("lstm", 6, seed=4), make_retrieval_model("lstm", 6, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = make_retrieval_model("lstm", 6, seed=5)
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_classifier_head_is_a_relu_layer_then_ten_logits():
    head = classifier_head(20)
    assert [type(l).__name__ for l in head] == ["Linear", "ReLU", "Linear"]
    assert (head[0].in_features, head[0].out_features, head[2].out_features) == (20, 100, 10)


def test_parameter_counts():
    d, e, u = 20, 100, 37
    head = d * 100 + 100 + 100 * 10 + 10
    embed = u * e
    assert count_parameters(make_retrieval_model("fast_weights", d)) == embed + e * d + d + d * d + 2 * d + head
    assert count_parameters(make_retrieval_model("irnn", d)) == embed + e * d + d * d + 2 * d + head
    assert count_parameters(make_retrieval_model("lstm", d)) == embed + 4 * (e * d + d * d + d) + head  # one bias per gate
    m = make_retrieval_model("fast_weights", d, embedding=None)
    assert count_parameters(m) == sum(p.numel() for p in m.parameters()) == u * d + d + d * d + 2 * d + head


def test_irnn_starts_from_the_identity():
    m = make_retrieval_model("irnn", 7, seed=0)
    assert isinstance(m, IRNN) and isinstance(m.rnn, torch.nn.RNN) and m.rnn.nonlinearity == "relu"
    assert torch.equal(m.W, torch.eye(7)) and torch.equal(m.b, torch.zeros(7))
    assert 0 < m.U.std() < 0.002  # N(0, 0.001^2)
    assert torch.equal(make_retrieval_model("irnn", 7, w_scale=0.5).W, 0.5 * torch.eye(7))
    # with W = I, b = 0 and nonnegative inputs U x_t, each ReLU unit adds up its inputs
    m = IRNN(7, 7, embedding=None)
    with torch.no_grad():
        m.rnn.weight_ih_l0.copy_(torch.eye(7))
    x = torch.rand(2, 4, 7)
    torch.testing.assert_close(m(x).h, x.cumsum(dim=1))


def test_fast_weights_defaults_and_lstm():
    m = make_retrieval_model("fast_weights", 6)
    assert isinstance(m, FastWeightsRNN)
    assert (m.lam, m.eta, m.inner_steps, m.ln is not None) == (0.95, 0.5, 1, True)
    assert torch.equal(m.W, 0.05 * torch.eye(6)) and torch.equal(m.b, torch.zeros(6))
    assert m.U.abs().max() <= 1 / math.sqrt(6)
    assert m.embed.in_features == 37 and m.embed.out_features == 100 and m.embed.bias is None
    lstm = make_retrieval_model("lstm", 6)
    assert isinstance(lstm, LSTMNet) and isinstance(lstm.lstm, srnbook.gated.LSTM)


# ---------------------------------------------------------------------- the fast-weights step, by hand


@pytest.mark.parametrize("layer_norm", [True, False])
@pytest.mark.parametrize("S", [1, 2])
def test_one_step_against_a_hand_computation(S, layer_norm):
    lam, eta = 0.9, 0.5
    m = random_fw(d=3, u=2, lam=lam, eta=eta, inner_steps=S, layer_norm=layer_norm)
    U, W, b = m.U.detach(), m.W.detach(), m.b.detach()
    if layer_norm:
        g, beta = m.ln.weight.detach(), m.ln.bias.detach()
        LN = lambda v: ln(v, g, beta)  # noqa: E731
    else:
        LN = lambda v: v  # noqa: E731
    x = torch.randn(1, 3, 2, dtype=F64, generator=torch.Generator().manual_seed(5))
    x1, x2, x3 = x[0]
    # step 1: h(0) = 0 and A(0) = 0, so every inner step gives f(LN[U x + b])
    h1 = relu(LN(U @ x1 + b))
    A1 = eta * torch.outer(h1, h1)
    # step 2: z = W h(1) + U x(2) + b, h_0 = f(z), h_{s+1} = f(LN[z + A(1) h_s])
    z2 = W @ h1 + U @ x2 + b
    if S == 1:
        h2 = relu(LN(z2 + A1 @ relu(z2)))
    else:
        h2 = relu(LN(z2 + A1 @ relu(LN(z2 + A1 @ relu(z2)))))
    A2 = lam * A1 + eta * torch.outer(h2, h2)
    # step 3, the same with A(2)
    z3 = W @ h2 + U @ x3 + b
    h3 = relu(z3)
    for _ in range(S):
        h3 = relu(LN(z3 + A2 @ h3))
    out = m(x, return_fast_weights=True)
    torch.testing.assert_close(out.h[0], torch.stack([h1, h2, h3]), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out.A[0, 0], A1, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out.A[0, 1], A2, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out.logits[0], m.head(h3), rtol=1e-12, atol=1e-12)


def test_a_step_with_numbers():
    # U = I, W = 0.05 I (the default), b = 0, no layer norm, lam = 0.95, eta = 0.5
    m = FastWeightsRNN(2, 2, embedding=None, layer_norm=False, dtype=F64)
    with torch.no_grad():
        m.U.copy_(torch.eye(2, dtype=F64))
    x = torch.tensor([[[1.0, 0.0], [1.0, 1.0]]], dtype=F64)
    # h(1) = (1, 0), A(1) = 0.5 h(1) h(1)^T = [[0.5, 0], [0, 0]]
    # z = 0.05 h(1) + x(2) = (1.05, 1) = h_0; A(1) h_0 = (0.525, 0); h_1 = (1.575, 1)
    torch.testing.assert_close(m(x).h[0, 1], torch.tensor([1.575, 1.0], dtype=F64))
    m.inner_steps = 2  # A(1) h_1 = (0.7875, 0); h_2 = (1.8375, 1)
    torch.testing.assert_close(m(x).h[0, 1], torch.tensor([1.8375, 1.0], dtype=F64))


def test_every_step_uses_the_previous_fast_weights():
    m = random_fw(d=4, u=3, seed=2, inner_steps=1)
    x = torch.randn(2, 6, 3, dtype=F64)
    out = m(x, return_fast_weights=True)
    g, beta = m.ln.weight.detach(), m.ln.bias.detach()
    for i in range(2):
        for t in range(1, 6):
            z = m.W.detach() @ out.h[i, t - 1] + m.U.detach() @ x[i, t] + m.b.detach()
            expected = relu(ln(z + out.A[i, t - 1] @ relu(z), g, beta))
            torch.testing.assert_close(out.h[i, t], expected, rtol=1e-12, atol=1e-12)


def test_fast_weights_closed_form_and_attention_reading():
    lam, eta = 0.8, 0.5
    h = torch.rand(2, 5, 3, dtype=F64)
    A = fast_weights(h, lam, eta)
    assert A.shape == (2, 5, 3, 3)
    for t in range(5):
        closed = sum(eta * lam ** (t - tau) * torch.einsum("bi,bj->bij", h[:, tau], h[:, tau])
                     for tau in range(t + 1))
        torch.testing.assert_close(A[:, t], closed, rtol=1e-12, atol=1e-12)
        # A h = eta sum lam^(t - tau) h(tau) (h(tau) . h): attention to the recent past
        q = torch.randn(2, 3, dtype=F64)
        attention = sum(eta * lam ** (t - tau) * h[:, tau] * (h[:, tau] * q).sum(1, keepdim=True)
                        for tau in range(t + 1))
        torch.testing.assert_close(torch.einsum("bij,bj->bi", A[:, t], q), attention, rtol=1e-12, atol=1e-12)
    # the model's A is the fast_weights of its hidden states
    m = random_fw(d=3, u=2, lam=lam, eta=eta)
    out = m(torch.randn(2, 4, 2, dtype=F64), return_fast_weights=True)
    torch.testing.assert_close(out.A, fast_weights(out.h, lam, eta))
    # lam = 0 keeps the last state only; eta = 0 leaves the slow network
    torch.testing.assert_close(fast_weights(h, 0.0, 1.0)[:, 3], torch.einsum("bi,bj->bij", h[:, 3], h[:, 3]))
    assert torch.equal(fast_weights(h, 0.9, 0.0), torch.zeros(2, 5, 3, 3, dtype=F64))


# ---------------------------------------------------------------------- training


def test_a_tiny_training_run_reduces_the_loss():
    splits = retrieval_splits(pairs=2, sizes=(2000, 500, 500), seed=0)
    m = make_retrieval_model("fast_weights", 20, seed=0)
    before = retrieval_error(m, splits.valid)
    r = train_retrieval(m, splits, max_sequences=64 * 60, batch_size=64, eval_every=640, seed=0)
    assert isinstance(r, RetrievalResult)
    assert (r.sequences_seen, r.steps, len(r.history), r.diverged) == (3840, 60, 6, False)
    first, last = r.history[0], r.history[-1]
    assert last[0] == 3840 and last[1] < first[1] - 0.1  # the training loss goes down
    assert r.valid_error == last[3] < before - 0.1 and r.test_error == last[4] == retrieval_error(m, splits.test)
    assert r.best_valid_error == min(row[3] for row in r.history)
    assert all(0 <= v <= 1 for row in r.history for v in row[2:])


def test_training_is_seeded_and_json_able():
    splits = retrieval_splits(pairs=2, sizes=(256, 64, 64), seed=1)
    runs = [train_retrieval(make_retrieval_model("irnn", 8, seed=0), splits, max_sequences=320, batch_size=32,
                            eval_every=160, seed=3) for _ in range(2)]
    assert runs[0].history == runs[1].history and len(runs[0].history) == 2
    summary = json.loads(json.dumps(runs[0].summary()))
    assert "wall_seconds" not in summary and summary["sequences_seen"] == 320
    r = train_retrieval(make_retrieval_model("lstm", 8), splits, max_sequences=10**6, batch_size=32,
                        budget_seconds=1e-9, seed=0)
    assert r.steps == 1 and len(r.history) == 1  # the CPU budget stops it after one step


# ---------------------------------------------------------------------- bad inputs


def fw(**kw):
    return FastWeightsRNN(37, 4, **kw)


SPLITS = retrieval_splits(pairs=2, sizes=(40, 8, 8), seed=0)

BAD = [
    (lambda: associative_retrieval(0), "n"),
    (lambda: associative_retrieval(3, pairs=27), "pairs"),  # 26 distinct letters at most
    (lambda: associative_retrieval(3, pairs=0), "pairs"),
    (lambda: associative_retrieval(3, pairs=2.0), "pairs"),
    (lambda: retrieval_splits(pairs=1), "sizes"),  # 130,000 sequences out of 260
    (lambda: retrieval_splits(pairs=2, sizes=(10, 0, 5)), "sizes"),
    (lambda: retrieval_splits(pairs=2, sizes=(10, 5)), "sizes"),
    (lambda: distinct_sequences(30), "pairs"),
    (lambda: encode("c9c8??c"), "strings"),  # repeated key
    (lambda: encode("c9k8??z"), "strings"),  # query not among the keys
    (lambda: encode("c9k8?c"), "strings"),  # wrong length
    (lambda: encode("c9k8!?c"), "strings"),  # unknown symbol
    (lambda: encode("C9k8??c"), "strings"),
    (lambda: encode("9ck8??c"), "strings"),  # digit where a key belongs
    (lambda: encode(["c9k8??c", "c9k8j1??c"]), "strings"),
    (lambda: encode([]), "strings"),
    (lambda: decode(torch.zeros(2, 3)), "x"),
    (lambda: decode(torch.tensor([[40]])), "x"),
    (lambda: decode("c9??c"), "x"),
    (lambda: fw(lam=1.5), "lam"),
    (lambda: fw(lam=-0.1), "lam"),
    (lambda: fw(lam=float("nan")), "lam"),
    (lambda: fw(eta=-1.0), "eta"),
    (lambda: fw(inner_steps=0), "inner_steps"),
    (lambda: fw(inner_steps=1.0), "inner_steps"),
    (lambda: fw(layer_norm="yes"), "layer_norm"),
    (lambda: fw(w_scale=-1.0), "w_scale"),
    (lambda: fw(embedding=0), "embedding"),
    (lambda: FastWeightsRNN(37, 0), "hidden_size"),
    (lambda: IRNN(37, 4, input_std=-1.0), "input_std"),
    (lambda: LSTMNet(0, 4), "input_size"),
    (lambda: classifier_head(4, head_size=0), "head_size"),
    (lambda: fw()(torch.zeros(2, 11)), "x"),  # not (B, T, u)
    (lambda: fw()(torch.zeros(2, 11, 36)), "x"),  # u != 37
    (lambda: fw()(torch.zeros(2, 11, 37, dtype=torch.int64)), "x"),  # tokens, not one-hot floats
    (lambda: fw()(torch.zeros(2, 11, 37, dtype=F64)), "x"),  # dtype of the parameters
    (lambda: fw()(torch.full((2, 11, 37), math.nan)), "x"),
    (lambda: fw()(torch.zeros(0, 11, 37)), "x"),
    (lambda: fw()(torch.zeros(2, 11, 37), return_fast_weights=1), "return_fast_weights"),
    (lambda: IRNN()(torch.zeros(2, 11, 5)), "x"),
    (lambda: LSTMNet()(torch.zeros(2, 11)), "x"),
    (lambda: fast_weights(torch.zeros(5, 3)), "h"),
    (lambda: fast_weights(torch.zeros(1, 5, 3), lam=2.0), "lam"),
    (lambda: make_retrieval_model("gru", 4), "name"),
    (lambda: make_retrieval_model("irnn", 4, seed=-1), "seed"),
    (lambda: count_parameters("model"), "model"),
    (lambda: retrieval_error(fw(), "batch"), "batch"),
    (lambda: train_retrieval(fw(), SPLITS.train, max_sequences=8), "splits"),
    (lambda: train_retrieval("model", SPLITS, max_sequences=8), "model"),
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=0), "max_sequences"),
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=8, batch_size=0), "batch_size"),
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=8, batch_size=41), "batch_size"),  # > the 40 in train
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=8, lr=0.0), "lr"),
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=8, seed=-2), "seed"),
    (lambda: train_retrieval(fw(), SPLITS, max_sequences=8, budget_seconds=-1.0), "budget_seconds"),
]


@pytest.mark.parametrize("call, name", BAD, ids=[f"{i}-{name}" for i, (_, name) in enumerate(BAD)])
def test_bad_inputs_raise_named_value_errors(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# ---------------------------------------------------------------------- the input contract (issue 20)


SEEDED = {
    "associative_retrieval": lambda seed: associative_retrieval(2, pairs=2, seed=seed),
    "retrieval_splits": lambda seed: retrieval_splits(pairs=2, sizes=(4, 2, 2), seed=seed),
    "make_retrieval_model": lambda seed: make_retrieval_model("irnn", 3, seed=seed),
    "train_retrieval": lambda seed: train_retrieval(make_retrieval_model("irnn", 3, embedding=3, head_size=3),
                                                    SPLITS, max_sequences=8, batch_size=8, eval_every=8, seed=seed),
}


@pytest.mark.parametrize("name", SEEDED)
@pytest.mark.parametrize("seed", [np.random.default_rng(0), None, -1, 2**64, 1.0, True, "0"],
                         ids=["generator", "none", "negative", "2**64", "float", "bool", "string"])
def test_every_seed_is_an_integer_below_2_to_the_64(name, seed):
    with pytest.raises(ValueError, match=r"\bseed must be a nonnegative integer below 2\*\*64"):
        SEEDED[name](seed)


@pytest.mark.parametrize("name", SEEDED)
def test_the_largest_seed_and_numpy_integers_are_seeds(name):
    SEEDED[name](2**64 - 1)
    SEEDED[name](np.uint64(7))


def test_the_same_integer_seed_gives_the_same_task():
    assert torch.equal(associative_retrieval(5, seed=np.int64(3)).tokens, associative_retrieval(5, seed=3).tokens)


@pytest.mark.parametrize("name, option", [("irnn", "lam"), ("lstm", "w_scale"), ("lstm", "input_std"),
                                          ("fast_weights", "input_std"), ("irnn", "no_such_option")])
def test_make_retrieval_model_refuses_an_option_the_model_does_not_take(name, option):
    with pytest.raises(ValueError, match=rf"options \['{option}'\] are not options of the model '{name}'"):
        make_retrieval_model(name, 4, **{option: 1})


def test_make_retrieval_model_passes_the_options_the_model_takes():
    m = make_retrieval_model("fast_weights", 4, lam=0.5, inner_steps=2, embedding=None)
    assert m.lam == 0.5 and m.inner_steps == 2 and m.embed is None


@pytest.mark.parametrize("call, name", [
    (lambda: associative_retrieval(10**9), "n"),
    (lambda: retrieval_splits(pairs=4, sizes=(10**9, 10, 10)), "sizes"),
    (lambda: FastWeightsRNN(37, 10**6), "hidden_size"),
    (lambda: FastWeightsRNN(10**9, 4), "input_size"),
    (lambda: IRNN(37, 4, embedding=10**10), "embedding"),
    (lambda: LSTMNet(37, 4, head_size=10**10), "head_size"),
    (lambda: classifier_head(4, 4, classes=10**11), "classes"),
    (lambda: make_retrieval_model("lstm", 10**6), "hidden_size"),
])
def test_sizes_beyond_the_memory_limit_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: .* would need .* more than the package's memory limit"):
        call()


def test_fast_weights_beyond_the_memory_limit_are_refused(one_mebibyte):
    h = torch.zeros(64, 11, 20)  # A would be 64 * 11 * 20 * 20 floats, 1.1 MiB
    with pytest.raises(ValueError, match=r"^h: the fast weights .* would need"):
        fast_weights(h)
    x = associative_retrieval(64, seed=0).x
    with pytest.raises(ValueError, match=r"^return_fast_weights: the fast weights .* would need"):
        FastWeightsRNN(37, 20)(x, return_fast_weights=True)
    FastWeightsRNN(37, 20)(x)  # without them, the same call fits


@pytest.mark.parametrize("call, name", [
    (lambda: FastWeightsRNN(37, 4, eta=1e300), "eta"),  # float32 weights: eta * lam^k would be inf
    (lambda: FastWeightsRNN(37, 4, w_scale=1e39), "w_scale"),
    (lambda: IRNN(37, 4, input_std=1e39), "input_std"),
    (lambda: fast_weights(torch.ones(1, 3, 2), eta=2e38), "eta"),  # |A| up to eta * T * max|h|^2
    (lambda: train_retrieval(make_retrieval_model("irnn", 3), SPLITS, max_sequences=8, lr=1e39), "lr"),
])
def test_scales_whose_results_overflow_the_dtype_are_refused(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_a_scale_the_dtype_holds_is_accepted():
    assert torch.isfinite(fast_weights(torch.ones(1, 3, 2, dtype=F64), eta=2e38)).all()


def test_a_retrieval_batch_checks_that_tokens_and_answers_agree():
    b = encode(["c9k8j3f1??c", "j0a5s5z2??a"])
    RetrievalBatch(b.tokens.to(torch.uint8), b.y.int(), b.query_pair)  # any integer dtype, stored as int64
    with pytest.raises(ValueError, match=r"\by must be the digit that follows the query key"):
        RetrievalBatch(b.tokens, b.y.flip(0), b.query_pair)
    with pytest.raises(ValueError, match=r"\bquery_pair must give the pair whose key is the query"):
        RetrievalBatch(b.tokens, b.y, b.query_pair.flip(0))
    with pytest.raises(ValueError, match=r"\btokens must be sequences of the task"):
        RetrievalBatch(b.tokens[:, [0, 1, 0, 3, 4, 5, 6, 7, 8, 9, 10]], b.y, b.query_pair)  # c9c8...: a repeated key
    with pytest.raises(ValueError, match=r"\btokens must hold at least one sequence"):
        RetrievalBatch(b.tokens[:0], b.y[:0], b.query_pair[:0])
    with pytest.raises(ValueError, match=r"\bindex must select at least one sequence"):
        b[2:]


def test_decode_reads_one_hot_inputs_only_if_they_are_one_hot():
    b = encode("c9k8j3f1??c")
    assert decode(b.x) == ["c9k8j3f1??c"]
    with pytest.raises(ValueError, match=r"\bx must be one-hot"):
        decode(0.5 * b.x)
    with pytest.raises(ValueError, match=r"\bx must hold at least one sequence"):
        decode(b.tokens[:0])


def test_training_and_evaluation_check_the_model_on_one_sequence():
    with pytest.raises(ValueError, match=r"\bmodel must take \(B, T, 37\) float32 one-hot inputs"):
        retrieval_error(make_retrieval_model("irnn", 3, dtype=F64), SPLITS.test)
    with pytest.raises(ValueError, match=r"\bmodel must return an output whose logits are \(B, 10\)"):
        train_retrieval(make_retrieval_model("lstm", 3, classes=4), SPLITS, max_sequences=8)
    with pytest.raises(ValueError, match=r"\bsplits must hold three RetrievalBatch"):
        train_retrieval(make_retrieval_model("lstm", 3), RetrievalSplits(SPLITS.train, SPLITS.valid, "test"),
                        max_sequences=8)
