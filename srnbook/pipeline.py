r"""A saturated SRN learned from labelled words: train, extract, compile, verify.

Gradient descent does not reach a saturated network (the chapter "Learning saturated SRNs"),
but it does not have to. :func:`learn_ssrn` chains four steps, each done by a tool the book
already has:

1. **train** an ordinary SRN on the words (:func:`train_srn`: tanh, :math:`d` units, the
   cross-entropy of the logit :math:`z = V h_T + c`, Adam with clipped gradients, stopped
   once it fits every training word);
2. **extract** a DFA from it with L* (:func:`srnbook.lstar.lstar`), the network answering the
   membership queries and sampled words the equivalence queries;
3. **compile** the DFA into a saturated SRN (:func:`srnbook.dfa_to_ssrn`);
4. **verify**: the compiled network's accuracy on the given words and on longer ones, its
   saturation, and, when the target is known, the equivalence of the DFA with it.

The guarantee is the compiler's: the compiled network computes the extracted DFA exactly,
at every length. What is *not* guaranteed is that this DFA is the language the words came
from: L* returns the minimal DFA that agrees with the trained network on the words it asked,
and a network that is wrong on some word the sampling never met passes that error on.

The other routes the chapter measures are built from the same pieces: options of
:func:`train_srn` (``curriculum``; ``shape_penalty``, a soft pull towards the compiled shape
measured by :func:`shape_deviation`), and two ways to push a trained network itself towards
saturation, :func:`normalized_steps` and :func:`jump_scale`.
"""

from __future__ import annotations

import copy
import math
import time
from typing import NamedTuple, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ._validation import (ArgumentTypeError, _shown, check_bool, check_choice, check_float, check_instance, check_int,
                          check_memory, check_positive_float, check_positive_int, check_seed, check_tensor)
from .dfa import DFA
from .extraction import equivalent_on_nonempty, smallest_on_nonempty
from .learning import _logits
from .lstar import lstar, network_membership, sampling_equivalence
from .sampling import Words
from .srn import SRN
from .ssrn import SSRN, dfa_to_ssrn

Tensor = torch.Tensor

__all__ = ["LearnedSSRN", "Training", "extract_lstar", "jump_scale", "learn_ssrn", "normalized_steps",
           "shape_deviation", "train_srn"]


# ---------------------------------------------------------------------- training


def shape_deviation(srn: SRN, n_symbols: int) -> Tensor:
    r"""Squared distance of ``srn``'s :math:`(U, W, b)` to the shape of a compiled SSRN (section 7.3).

    With :math:`k` = ``n_symbols`` and :math:`d = |Q|k`: the shape has
    :math:`U = u[\mathrm{Id}_k; \dots; \mathrm{Id}_k]`, columns of :math:`W` equal by groups of
    :math:`k`, and :math:`b = 0` (:class:`srnbook.ConstrainedSRN`). The distance to it is

    .. math::

       \lVert U - \bar u\,[\mathrm{Id}; \dots]\rVert^2 + \lVert W - \bar W\rVert^2 + \lVert b\rVert^2,

    :math:`\bar u` the mean of the entries where :math:`[\mathrm{Id}; \dots]` is 1 and
    :math:`\bar W` the matrix whose columns are their group's mean: the distance to the nearest
    network of that shape. Differentiable; a penalty :math:`\mu` times it pulls a network
    towards the shape without imposing it.
    """
    check_instance(srn, "srn", SRN, "a srnbook.SRN")
    k = check_positive_int(n_symbols, "n_symbols")
    d = srn.hidden_size
    if srn.input_size != k or d % k:
        raise ValueError(f"srn must have input size n_symbols={k} and a hidden size that is a multiple of it, "
                         f"got input size {srn.input_size} and hidden size {d}")
    mask = torch.eye(k, dtype=srn.U.dtype).repeat(d // k, 1)
    u = (srn.U * mask).sum() / mask.sum()
    groups = srn.W.reshape(d, d // k, k)
    return (((srn.U - u * mask) ** 2).sum() + ((groups - groups.mean(2, keepdim=True)) ** 2).sum()
            + (srn.b ** 2).sum())


def _check_words(words, name: str = "words") -> Words:
    if not isinstance(words, Words):
        raise ArgumentTypeError(f"{name} must be srnbook.sampling.Words, got {_shown(words)}")
    if len(words) == 0 or (words.lengths == 0).any():
        raise ValueError(f"{name} must hold at least one word and no empty word (an SRN answers after a letter)")
    return words


def _check_h0(h0, d: int, dtype: torch.dtype) -> Tensor:
    if h0 is None:
        return torch.zeros(d, dtype=dtype)
    h0 = check_tensor(h0, "h0", ndim=1, dtype=dtype)
    if h0.shape[0] != d:
        raise ValueError(f"h0 must have shape ({d},), got {tuple(h0.shape)}")
    return h0


class Training(NamedTuple):
    """A trained network and how training went."""

    srn: SRN
    h0: Tensor
    epochs: int  # epochs run
    train_accuracy: float  # on every training word, at the end
    cpu_seconds: float
    snapshots: dict  # epoch -> a copy of the network after it (the epochs of ``keep`` that were run)


def train_srn(words: Words, *, hidden: int = 32, epochs: int = 200, lr: float = 0.005, batch_size: int = 64,
              clip: float = 1.0, curriculum: bool = False, shape_penalty: float = 0.0, seed: int = 0,
              h0: Tensor | None = None, keep: Sequence[int] = ()) -> Training:
    r"""Train a tanh SRN to accept the positive words of ``words``: the recipe of :func:`learn_ssrn`.

    Loss: the binary cross-entropy of the logit :math:`z = V h_T + c` of each word (the output
    is the identity), plus ``shape_penalty`` times :func:`shape_deviation`; Adam with learning
    rate ``lr``, minibatches of ``batch_size`` words, gradients clipped to norm ``clip``.
    Every 5 epochs the accuracy on all training words is measured, and training stops once it
    is 1 (or after ``epochs``).

    ``curriculum``: the words are shown by increasing length, in five stages: first only the
    shortest fifth of the words, then the shortest two fifths, and so on; a stage ends when its
    words are all fit or after a fifth of ``epochs``. ``shape_penalty`` > 0 needs ``hidden`` a multiple of the alphabet size.
    ``h0`` (default zeros) is the initial state, ``(hidden,)``. ``seed`` fixes the
    initialization and the minibatch order. ``keep``: epochs (0 is the initialization) after which
    a copy of the network is kept in ``Training.snapshots``; training is the same with or without.
    """
    words = _check_words(words)
    hidden = check_positive_int(hidden, "hidden")
    k = len(words.alphabet)
    check_memory(4 * 4 * hidden * (hidden + k + 2), f"an SRN of {hidden} units and its Adam moments", "hidden")
    epochs = check_positive_int(epochs, "epochs")
    lr = check_float(lr, "lr", low=0.0, high=1e6, low_open=True)
    batch_size = check_positive_int(batch_size, "batch_size")
    clip = check_positive_float(clip, "clip")
    curriculum = check_bool(curriculum, "curriculum")
    shape_penalty = check_positive_float(shape_penalty, "shape_penalty", allow_zero=True)
    seed = check_seed(seed)
    if shape_penalty and hidden % k:
        raise ValueError(f"hidden must be a multiple of the alphabet size {k} when shape_penalty > 0, got {hidden}")
    h0 = _check_h0(h0, hidden, torch.float32)
    if not isinstance(keep, (list, tuple, range)):
        raise ArgumentTypeError(f"keep must be a list of epochs, got {_shown(keep)}")
    keep = {check_int(e, f"keep[{i}]", low=0, high=epochs) for i, e in enumerate(keep)}
    check_memory(words.symbols.size * (k + 3 * hidden) * 4, f"the inputs and hidden states of {len(words)} words",
                 "words")
    start = time.process_time()
    torch.manual_seed(seed)
    srn = SRN(k, hidden, 1, "tanh", output="identity")
    x, lengths = words.one_hot()
    y = torch.from_numpy(words.labels.astype(np.float32))
    order = np.argsort(words.lengths, kind="stable")
    optimizer = torch.optim.Adam(srn.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    stage, since = (1 if curriculum else 5), 0  # the shortest stage/5 of the words are shown
    accuracy, epoch = 0.0, 0
    snapshots = {0: copy.deepcopy(srn)} if 0 in keep else {}
    for epoch in range(1, epochs + 1):
        pool = torch.from_numpy(order[:math.ceil(len(order) * stage / 5)].copy())
        pool = pool[torch.randperm(len(pool), generator=generator)]
        for batch in pool.split(batch_size):
            lb = lengths[batch]
            z = _logits(srn, x[batch, :int(lb.max())], lb, h0)
            loss = F.binary_cross_entropy_with_logits(z, y[batch])
            if shape_penalty:
                loss = loss + shape_penalty * shape_deviation(srn, k)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(srn.parameters(), clip)
            optimizer.step()
        since += 1
        if epoch in keep:
            snapshots[epoch] = copy.deepcopy(srn)
        if epoch % 5 == 0 or epoch == epochs:
            shown = order[:math.ceil(len(order) * stage / 5)]
            fit = _accuracy(srn, x[shown], lengths[shown], words.labels[shown], h0) == 1.0
            if stage < 5 and (fit or since >= epochs // 5):
                stage, since = stage + 1, 0
            elif stage == 5 and fit:
                accuracy = 1.0
                break
    else:
        accuracy = _accuracy(srn, x, lengths, words.labels, h0)
    return Training(srn, h0, epoch, accuracy, time.process_time() - start, snapshots)


def _accuracy(srn: SRN, x: Tensor, lengths: Tensor, labels: np.ndarray, h0: Tensor) -> float:
    with torch.no_grad():
        z = _logits(srn, x, lengths, h0)
    return float(((z > 0).numpy() == labels).mean())


def normalized_steps(srn: SRN, words: Words, *, steps: int = 500, size: float = 0.5,
                     h0: Tensor | None = None) -> SRN:
    r"""A copy of ``srn`` after ``steps`` normalized gradient steps
    :math:`\theta \leftarrow \theta - \eta\, \nabla L / \lVert \nabla L \rVert_2` (:math:`\eta` = ``size``)
    on the cross-entropy of all of ``words``.

    The step keeps its length however small the gradient, so it escapes the bounded-step
    estimate of the chapter (the loss near a saturated network is :math:`O(e^{-J})`, and so is
    an ordinary step). A zero gradient stops the steps.
    """
    check_instance(srn, "srn", SRN, "a srnbook.SRN")
    words = _check_words(words)
    if len(words.alphabet) != srn.input_size:
        raise ValueError(f"words must be over {srn.input_size} symbols (srn's inputs), got {len(words.alphabet)}")
    steps = check_positive_int(steps, "steps")
    size = check_positive_float(size, "size")
    h0 = _check_h0(h0, srn.hidden_size, srn.W.dtype)
    srn = copy.deepcopy(srn)
    x, lengths = words.one_hot(srn.W.dtype)
    y = torch.from_numpy(words.labels.astype(np.float32)).to(srn.W.dtype)
    params = list(srn.parameters())
    for _ in range(steps):
        z = _logits(srn, x, lengths, h0)
        grads = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, y), params)
        norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        if not norm > 0:
            break
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= size * g / norm
    return srn


def jump_scale(srn: SRN, factor: float) -> SRN:
    r"""A copy of ``srn`` with :math:`U`, :math:`W` and :math:`b` multiplied by ``factor``: every
    pre-activation :math:`a_t = U x_t + W h_{t-1} + b` is multiplied by it for the same hidden
    vectors (the readout :math:`V, c` is kept). A trained network whose units are near
    :math:`\pm 1` with a margin becomes exactly saturated past the saturating scale."""
    check_instance(srn, "srn", SRN, "a srnbook.SRN")
    factor = check_float(factor, "factor", low=0.0, low_open=True)
    srn = copy.deepcopy(srn)
    with torch.no_grad():
        for name in ("U", "W", "b"):
            getattr(srn, name).mul_(factor)
    return srn


# ---------------------------------------------------------------------- the pipeline


class LearnedSSRN(NamedTuple):
    """What :func:`learn_ssrn` returns."""

    ssrn: SSRN  # the compiled, saturated network
    dfa: DFA  # the extracted automaton it computes
    network: SRN  # the trained SRN the automaton was extracted from
    measurements: dict  # see learn_ssrn


def learn_ssrn(words: Words, *, test_words: Words | None = None, target: DFA | None = None,
               activation: str = "tanh", hidden: int = 32, epochs: int = 200, lr: float = 0.005,
               curriculum: bool = False, epsilon: float = 0.01, failure: float = 0.01,
               tolerance: float = 0.01, max_length: int | None = None, max_states: int = 200, seed: int = 0) -> LearnedSSRN:
    r"""A saturated SRN learned from labelled words: train (:func:`train_srn`), extract (L*), compile, verify.

    Parameters
    ----------
    words
        Labelled training words (:class:`srnbook.sampling.Words`, none empty).
    test_words
        Optional labelled words to verify on, typically longer than every training word.
    target
        Optional :class:`srnbook.DFA` of the language, to check the extracted DFA against it
        (on nonempty words: the words never say whether the empty word is in the language).
    activation
        The compiled network's :math:`\sigma`: ``"tanh"`` or ``"sigmoid"`` (the trained one is tanh).
    hidden, epochs, lr, curriculum, seed
        The training recipe (:func:`train_srn`).
    epsilon, failure, tolerance, max_length
        The equivalence queries (:func:`srnbook.lstar.sampling_equivalence`): words of up to
        ``max_length`` letters (default: the longest training word); the DFA is accepted when it
        differs from the network on at most a fraction ``tolerance`` of them, which certifies a
        disagreement below ``tolerance + epsilon`` with confidence :math:`1 - \gamma`.
    max_states
        The largest automaton L* may build.

    Returns
    -------
    LearnedSSRN
        ``ssrn``, ``dfa``, ``network`` and ``measurements``, a dict: ``epochs``,
        ``train_seconds`` and ``extract_seconds`` (CPU), ``network_train_accuracy``,
        ``membership_queries``, ``equivalence_queries``, ``sampled_words``, ``disagreement``
        (of the DFA with the network on the last sample), ``states``,
        ``dfa_train_accuracy`` (the DFA on ``words``), ``saturation`` (of the compiled network
        on ``words``, and on ``test_words`` if given: 1 means every hidden value is on a bound),
        ``ssrn_train_accuracy``, and with ``test_words`` ``network_test_accuracy`` and
        ``ssrn_test_accuracy``, with ``target`` ``equivalent`` (bool) and ``counterexample``
        (a shortest nonempty word where the DFA and the target differ, or ``None``).
    """
    words = _check_words(words)
    if test_words is not None and not isinstance(test_words, Words):
        raise ArgumentTypeError(f"test_words must be None or srnbook.sampling.Words, got {_shown(test_words)}")
    if test_words is not None and (test_words.alphabet != words.alphabet or (test_words.lengths == 0).any()):
        raise ValueError("test_words must be over the alphabet of words and hold no empty word")
    if target is not None:
        check_instance(target, "target", DFA, "a srnbook.DFA")
        if target.alphabet != words.alphabet:
            raise ValueError(f"target must have the alphabet of words {words.alphabet!r}, got {target.alphabet!r}")
    check_choice(activation, "activation", ("tanh", "sigmoid"))
    max_length = int(words.lengths.max()) if max_length is None else check_positive_int(max_length, "max_length")
    _check_queries(epsilon, failure, tolerance, max_states)
    training = train_srn(words, hidden=hidden, epochs=epochs, lr=lr, curriculum=curriculum, seed=seed)
    found = extract_lstar(training.srn, words.alphabet, training.h0, known=words, epsilon=epsilon, failure=failure,
                          tolerance=tolerance, max_length=max_length, max_states=max_states, seed=seed)
    ssrn = dfa_to_ssrn(found["dfa"], activation)
    measurements = {"epochs": training.epochs, "train_seconds": training.cpu_seconds,
                    "network_train_accuracy": training.train_accuracy,
                    **{key: value for key, value in found.items() if key != "dfa"},
                    **_verify(ssrn, words, test_words, target, training.srn, training.h0)}
    return LearnedSSRN(ssrn, found["dfa"], training.srn, measurements)


def extract_lstar(srn: SRN, alphabet: Sequence[str], h0: Tensor | None = None, *, known: Words | None = None,
                  epsilon: float = 0.01, failure: float = 0.01, tolerance: float = 0.01, max_length: int = 20,
                  max_states: int = 200, seed: int = 0) -> dict:
    r"""The DFA of a trained network by L* (:func:`srnbook.lstar.lstar`): step 2 of :func:`learn_ssrn`.

    The network answers the membership queries (:func:`srnbook.lstar.network_membership`); an
    equivalence query first checks the words ``known`` (the training words: the network fits
    them, so a disagreement there is the hypothesis's error), then samples words of up to
    ``max_length`` letters with the ``tolerance``, ``epsilon`` and ``failure`` of
    :func:`srnbook.lstar.sampling_equivalence`. The automaton is then reduced to the smallest
    one with the same answers on nonempty words (:func:`srnbook.extraction.smallest_on_nonempty`).

    Returns a dict: ``dfa``, ``states``, ``membership_queries``, ``equivalence_queries``,
    ``sampled_words``, ``disagreement`` (with the network, on the last sample) and
    ``extract_seconds`` (CPU).
    """
    check_instance(srn, "srn", SRN, "a srnbook.SRN")
    if not isinstance(alphabet, (list, tuple)):
        raise ArgumentTypeError(f"alphabet must be a sequence of {srn.input_size} distinct symbols, "
                                f"got {_shown(alphabet)}")
    _check_queries(epsilon, failure, tolerance, max_states)
    start = time.process_time()
    member = network_membership(srn, alphabet, h0)  # checks alphabet and h0
    if known is not None and _check_words(known, "known").alphabet != tuple(alphabet):
        raise ValueError(f"known must be over the alphabet {tuple(alphabet)!r}, got words over {known.alphabet!r}")
    equivalence = sampling_equivalence(member, len(alphabet), epsilon=epsilon, failure=failure,
                                       tolerance=tolerance, max_length=max_length, seed=seed,
                                       known=None if known is None else _indices(known))
    result = lstar(member, alphabet, equivalence, max_states=max_states)
    dfa = smallest_on_nonempty(result.dfa)
    return {"dfa": dfa, "states": dfa.n_states, "membership_queries": result.membership_queries,
            "equivalence_queries": result.equivalence_queries, "sampled_words": equivalence.sampled,
            "disagreement": equivalence.disagreement,
            "extract_seconds": time.process_time() - start}


def _check_queries(epsilon, failure, tolerance, max_states) -> None:
    check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    check_float(failure, "failure", low=0.0, high=1.0, low_open=True, high_open=True)
    check_float(tolerance, "tolerance", low=0.0, high=1.0, high_open=True)
    check_positive_int(max_states, "max_states")


def _verify(ssrn: SSRN, words: Words, test_words: Words | None = None, target: DFA | None = None,
           network: SRN | None = None, h0: Tensor | None = None) -> dict:
    """The checks of :func:`learn_ssrn` on a compiled network (keys as listed there). The compiled
    network runs in length buckets (:meth:`srnbook.SSRN.run`), one pass per set of words."""
    from .extraction import network_answers
    from .saturation import saturation_level

    def run(given: Words) -> tuple[float, float]:  # accuracy and saturation of the compiled network
        y, states = ssrn._outputs_and_states(_tuples(given))
        return (float(((y > ssrn.threshold).numpy() == given.labels).mean()),
                saturation_level(states, ssrn.activation))

    out = {"dfa_train_accuracy": float((ssrn.dfa.accepts_many(_tuples(words)) == words.labels).mean())}
    out["ssrn_train_accuracy"], out["saturation"] = run(words)
    if test_words is not None:
        out["ssrn_test_accuracy"], beta = run(test_words)
        out["saturation"] = min(out["saturation"], beta)
        if network is not None:
            out["network_test_accuracy"] = float((network_answers(network, test_words, h0) ==
                                                  test_words.labels).mean())
    if target is not None:
        word = equivalent_on_nonempty(ssrn.dfa, target)
        out["equivalent"] = word is None
        out["counterexample"] = None if word is None else list(word)
    return out


def _indices(words: Words) -> list:
    return [tuple(row[:n]) for row, n in zip(words.symbols.tolist(), words.lengths.tolist())]


def _tuples(words: Words) -> list:
    symbols = words.alphabet
    return [tuple(symbols[j] for j in row[:n]) for row, n in zip(words.symbols.tolist(), words.lengths)]
