r"""Angluin's L*: the minimal DFA of a black box, learned from membership and equivalence queries.

A *teacher* answers two kinds of queries about an unknown language :math:`L` over
:math:`\Sigma` (Angluin 1987):

* a **membership query** asks whether a word :math:`w` is in :math:`L`;
* an **equivalence query** proposes a DFA :math:`H` and gets back a *counterexample*, a word on
  which :math:`H` and :math:`L` differ, or nothing.

L* keeps an *observation table*: a prefix-closed set :math:`S` of access words :math:`p`, a set
:math:`E` of experiments :math:`e` (the empty word among them), and for every
:math:`p \in S \cup S\Sigma` the *row* :math:`r(p) = (\mathbb 1[p e \in L])_{e \in E}`. Two
words with different rows lead to different states of every DFA of :math:`L`. The table is
*closed* when every row of :math:`S\Sigma` is the row of some :math:`p \in S`; a closed table
defines the hypothesis with one state per row of :math:`S`,

.. math::

   \delta(r(p), a) = r(p a), \qquad r(p) \text{ accepting} \iff p \in L,

and each counterexample adds one suffix to :math:`E`, found by the binary search of Rivest &
Schapire (1993). The rows of :math:`S` stay distinct, so the table never needs Angluin's
consistency check; every counterexample adds at least one state; the hypothesis never has more
states than the minimal DFA of :math:`L`, and when no counterexample comes back it *is* that DFA.

Here the teacher is a trained network (:func:`network_membership`: its answer on each word,
in batches), and the equivalence query is answered by sampling (:func:`sampling_equivalence`):
the :math:`i`-th query draws

.. math::

   N_i = \Bigl\lceil \tfrac{1}{\epsilon}\bigl(\ln \tfrac{1}{\gamma} + i \ln 2\bigr) \Bigr\rceil

words and returns one on which hypothesis and network differ. If the search stops, the DFA
disagrees with the network on a set of words of probability at most :math:`\epsilon` under the
sampling law, with confidence at least :math:`1 - \gamma` (Angluin 1987, section 4: the failure
probabilities :math:`\gamma 2^{-i}` of the queries sum to at most :math:`\gamma`). A teacher
that errs now and then is met with a tolerance :math:`\tau` (Hoeffding's bound instead of
Angluin's).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import numpy as np
import torch

from ._validation import (ArgumentTypeError, _shown, check_callable, check_float, check_instance,
                          check_memory, check_positive_int, check_seed)
from .dfa import DFA
from .ssrn import _last, _one_hot, _resolve, length_buckets

Tensor = torch.Tensor
Word = tuple  # a word as a tuple of symbol indices

__all__ = ["LStarResult", "lstar", "network_membership", "sampling_equivalence"]


class LStarResult(NamedTuple):
    """What :func:`lstar` learned, and what it asked."""

    dfa: DFA  # the last hypothesis, minimal, states numbered breadth-first
    membership_queries: int  # distinct words asked
    equivalence_queries: int  # hypotheses proposed (the last one was accepted)
    counterexamples: list  # the counterexamples received, as tuples of symbols


def lstar(member: Callable, alphabet: Sequence[str], equivalence: Callable, *, max_states: int = 500,
          max_rounds: int = 200) -> LStarResult:
    r"""Learn the minimal DFA of a language from a teacher (Angluin's L*, Rivest & Schapire's counterexamples).

    Parameters
    ----------
    member
        Membership queries in batches: called with a list of words (tuples of symbol indices
        into ``alphabet``, the empty word included), returns one bool per word. Each distinct
        word is asked once.
    alphabet
        The symbols, a nonempty sequence of distinct strings.
    equivalence
        Equivalence queries: called with a hypothesis :class:`srnbook.DFA`, returns ``None``
        (accepted) or a counterexample, a sequence of symbol indices on which the hypothesis is
        wrong. :func:`sampling_equivalence` makes one.
    max_states, max_rounds
        Limits: a hypothesis with more than ``max_states`` states, or more than ``max_rounds``
        equivalence queries, stops the search with a ``ValueError`` that says how far it got (a
        teacher that is not a regular language, or a noisy one, can make L* grow without end).

    Returns
    -------
    LStarResult
        The accepted hypothesis (minimal for the teacher's answers on the words asked), the
        numbers of membership and equivalence queries, and the counterexamples.
    """
    check_callable(member, "member")
    check_callable(equivalence, "equivalence")
    if isinstance(alphabet, str) or not isinstance(alphabet, (list, tuple)) or not alphabet \
            or len(set(alphabet)) != len(alphabet) or not all(isinstance(s, str) for s in alphabet):
        raise ArgumentTypeError(f"alphabet must be a nonempty sequence of distinct strings, got {_shown(alphabet)}")
    alphabet = tuple(alphabet)
    max_states = check_positive_int(max_states, "max_states")
    max_rounds = check_positive_int(max_rounds, "max_rounds")
    k = len(alphabet)
    answers: dict[Word, bool] = {}

    def ask(words) -> None:
        new = list(dict.fromkeys(w for w in words if w not in answers))
        if not new:
            return
        got = np.asarray(member(new))
        if got.shape != (len(new),):
            raise ValueError(f"member must return one answer per word: asked {len(new)} words, "
                             f"got an array of shape {got.shape}")
        answers.update(zip(new, (bool(a) for a in got)))

    S: list[Word] = [()]
    E: list[Word] = [()]
    counterexamples = []
    for rounds in range(1, max_rounds + 1):
        while True:  # fill the table and close it
            ask([s + e for s in S for e in E] + [s + (a,) + e for s in S for a in range(k) for e in E])
            row = {s: tuple(answers[s + e] for e in E) for s in S}
            states = {r: i for i, r in enumerate(row[s] for s in S)}
            missing = next((s + (a,) for s in S for a in range(k)
                            if tuple(answers[s + (a,) + e] for e in E) not in states), None)
            if missing is None:
                break
            S.append(missing)
            if len(S) > max_states:
                raise ValueError(f"L* stopped: the hypothesis needs more than max_states={max_states} states "
                                 f"after {rounds - 1} counterexamples; raise max_states if the language "
                                 "should be that large")
        delta = np.array([[states[tuple(answers[s + (a,) + e] for e in E)] for a in range(k)] for s in S])
        hypothesis = DFA(delta, np.array([answers[s] for s in S]), alphabet)
        counterexample = equivalence(hypothesis)
        if counterexample is None:
            return LStarResult(hypothesis.minimize(), len(answers), rounds, counterexamples)
        counterexample = _check_counterexample(counterexample, k)
        ask([counterexample])
        if bool(hypothesis.accepts([alphabet[j] for j in counterexample])) == answers[counterexample]:
            raise ValueError(f"equivalence returned {counterexample!r}, on which the hypothesis already "
                             "answers like member: not a counterexample")
        counterexamples.append(tuple(alphabet[j] for j in counterexample))
        E.append(_distinguishing_suffix(counterexample, S, hypothesis, ask, answers))
    raise ValueError(f"L* stopped after max_rounds={max_rounds} equivalence queries with "
                     f"{len(S)} states; raise max_rounds")


def _distinguishing_suffix(word: Word, S: list, hypothesis: DFA, ask, answers: dict) -> Word:
    r"""Rivest & Schapire's suffix: with :math:`[u]` the access word of the state the hypothesis reaches
    on :math:`u`, :math:`\alpha(i) = \mathbb 1[\,[w_{<i}]\, w_{\ge i} \in L]` differs at :math:`i = 0`
    (the word itself) and :math:`i = |w|` (the hypothesis's answer); a binary search finds :math:`i`
    with :math:`\alpha(i) \ne \alpha(i+1)`, and :math:`w_{> i}` (letters after position :math:`i`)
    separates :math:`[w_{<i}]\,w_i` from the state the hypothesis sends it to."""
    states = [0]
    for j in word:
        states.append(int(hypothesis.delta[states[-1], j]))

    def alpha(i: int) -> bool:
        query = S[states[i]] + word[i:]
        ask([query])
        return answers[query]

    low, high = 0, len(word)  # alpha(low) != alpha(high)
    first = alpha(0)
    while high - low > 1:
        middle = (low + high) // 2
        if alpha(middle) == first:
            low = middle
        else:
            high = middle
    return word[high:]


def _check_known(known, k: int) -> list:
    if known is None:
        return []
    if not isinstance(known, (list, tuple)):
        raise ArgumentTypeError(f"known must be None or a list of words (sequences of symbol indices), "
                                f"got {_shown(known)}")
    return [_check_counterexample(w, k, "known") for w in known]


def _check_counterexample(word, k: int, name: str = "equivalence") -> Word:
    try:
        word = tuple(int(j) for j in word)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must give words as sequences of symbol indices, "
                                f"got {_shown(word)}") from None
    if any(j < 0 or j >= k for j in word):
        raise ValueError(f"{name} gave a word with symbol indices outside [0, {k}): {word!r}")
    return word


def network_membership(model, alphabet: Sequence[str] | None = None, h0: Tensor | None = None, *,
                       threshold: float | None = None) -> Callable[[list], np.ndarray]:
    r"""Membership queries answered by a network: ``member(words)`` is whether :math:`\hat y` > ``threshold``
    after each word's last letter (at :math:`h_0` for the empty word).

    ``model``: an :class:`srnbook.SSRN` or an :class:`srnbook.SRN` with one output, as for
    :func:`srnbook.ssrn_to_dfa` (which also sets the defaults of ``alphabet``, ``h0`` and
    ``threshold``). The words (tuples of symbol indices) run in length buckets, as in
    :meth:`srnbook.SSRN.run`.
    """
    srn, alphabet, h0, threshold = _resolve(model, alphabet, h0, threshold)
    k, d = srn.input_size, srn.hidden_size
    from .srn import OUTPUTS

    def member(words: list) -> np.ndarray:
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        if len(words) and int(lengths.max()) > 0 and (min(min(w) for w in words if w) < 0 or
                                                      max(max(w) for w in words if w) >= k):
            raise ValueError(f"words must hold symbol indices in [0, {k})")
        check_memory(int(lengths.sum()) * d * srn.W.element_size() * 2, f"the hidden states of {len(words)} words",
                     "words")
        y = np.empty(len(words))
        with torch.inference_mode():
            y[lengths == 0] = float(OUTPUTS[srn.output](srn.V @ h0 + srn.c)[0])
            for index in length_buckets(lengths, d):
                x, lens = _one_hot([np.asarray(words[i], dtype=np.int64) for i in index], k, srn.W.dtype)
                y[index] = _last(srn(x, lengths=lens, h0=h0).y, lens)[:, 0].double().numpy()
        return y > threshold

    return member


def sampling_equivalence(member: Callable, n_symbols: int, *, epsilon: float = 1e-3, failure: float = 0.01,
                         tolerance: float = 0.0, max_length: int = 20, seed: int = 0,
                         known: Sequence | None = None) -> Callable[[DFA], Word | None]:
    r"""Equivalence queries answered by sampling words, each of a length uniform in
    :math:`\{0, \dots, \text{max\_length}\}` with letters uniform in :math:`\Sigma`.

    With ``tolerance`` 0 (Angluin's test), the :math:`i`-th query draws :math:`N_i` words (module
    docstring) and returns the shortest one on which the hypothesis and ``member`` differ, or
    ``None``; ``None`` certifies, with confidence at least :math:`1 - \gamma` over all queries
    together, that the accepted DFA differs from ``member`` on a set of probability at most
    :math:`\epsilon` under this law.

    With ``tolerance`` :math:`\tau > 0` (a teacher known to err now and then, such as a network),
    the hypothesis is accepted when it differs from ``member`` on at most a fraction :math:`\tau`
    of :math:`N_i = \lceil (\ln\frac1\gamma + i\ln 2)/(2\epsilon^2) \rceil` words; by Hoeffding's
    inequality the accepted DFA then differs from ``member`` with probability below
    :math:`\tau + \epsilon`, with confidence at least :math:`1 - \gamma`. Otherwise the first
    disagreeing word drawn is returned: a hypothesis that misses a state disagrees on many
    words, a teacher's rare errors on few, so a random disagreement points at the hypothesis's
    error far more often than the shortest one would (short words are few, and an error of the
    teacher among them would be returned every time).

    ``known``: words (sequences of symbol indices) checked first at every query, in full; the
    shortest one on which the hypothesis and ``member`` differ is returned. With the training
    words of a network that fits them, these counterexamples are free of the network's errors.

    The returned callable counts its queries in ``.queries``, the words it drew in ``.sampled``
    and keeps the last disagreement rate in ``.disagreement``.
    """
    check_callable(member, "member")
    k = check_positive_int(n_symbols, "n_symbols")
    known = _check_known(known, k)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    failure = check_float(failure, "failure", low=0.0, high=1.0, low_open=True, high_open=True)
    tolerance = check_float(tolerance, "tolerance", low=0.0, high=1.0, high_open=True)
    max_length = check_positive_int(max_length, "max_length", allow_zero=True)
    first = math.ceil((math.log(1 / failure) + math.log(2)) / (2 * epsilon ** 2 if tolerance else epsilon))
    check_memory(first * (max_length + 1) * 16, f"{first} sampled words of up to {max_length} letters",
                 "max_length")
    rng = np.random.default_rng(check_seed(seed))

    def equivalence(hypothesis: DFA) -> Word | None:
        check_instance(hypothesis, "hypothesis", DFA, "a srnbook.DFA")
        if hypothesis.n_symbols != k:
            raise ValueError(f"hypothesis must have {k} symbols, got {hypothesis.n_symbols}")
        equivalence.queries += 1
        if known:
            state = np.zeros(len(known), dtype=np.int64)
            for t in range(known_letters.shape[1]):
                going = known_lengths > t
                state[going] = hypothesis.delta[state[going], known_letters[going, t]]
            wrong = np.flatnonzero(hypothesis.accepting[state] != known_answers())
            if len(wrong):
                return known[int(wrong[np.argmin(known_lengths[wrong])])]
        log_term = math.log(1 / failure) + equivalence.queries * math.log(2)
        m = math.ceil(log_term / (2 * epsilon ** 2) if tolerance else log_term / epsilon)
        check_memory(m * (max_length + 1) * 8, f"{m} sampled words of up to {max_length} letters", "epsilon")
        lengths = rng.integers(0, max_length + 1, size=m)
        letters = rng.integers(0, k, size=(m, max_length))
        words = [tuple(row[:n]) for row, n in zip(letters.tolist(), lengths.tolist())]
        equivalence.sampled += m
        state = np.zeros(m, dtype=np.int64)
        for t in range(max_length):  # the hypothesis on every word at once
            going = lengths > t
            state[going] = hypothesis.delta[state[going], letters[going, t]]
        wrong = np.flatnonzero(hypothesis.accepting[state] != np.asarray(member(words)))
        equivalence.disagreement = len(wrong) / m
        if len(wrong) <= tolerance * m:
            return None
        if tolerance:  # a random disagreement: an error of the hypothesis more often than of the teacher
            return words[int(wrong[0])]
        return words[int(wrong[np.argmin(lengths[wrong])])]

    if known:
        known_lengths = np.array([len(w) for w in known], dtype=np.int64)
        known_letters = np.zeros((len(known), max(1, int(known_lengths.max()))), dtype=np.int64)
        for i, w in enumerate(known):
            known_letters[i, :len(w)] = w
    cache = []

    def known_answers() -> np.ndarray:
        if not cache:
            cache.append(np.asarray(member(known)))
        return cache[0]

    equivalence.queries = 0
    equivalence.sampled = 0
    equivalence.disagreement = None
    return equivalence
