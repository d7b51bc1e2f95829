r"""Automata extracted from trained SRNs: exactly when the states are finitely many, else by quantization.

:func:`srnbook.ssrn_to_dfa` explores the hidden vectors reachable from :math:`h_0` bit for bit;
it terminates when they are finitely many, as in a saturated network. A network trained by
gradient descent is almost never saturated: its hidden vectors are all distinct. The classic
remedy (Giles et al. 1992; Omlin & Giles 1996) splits the range :math:`[l, r]` of
:math:`\sigma` into ``levels`` equal intervals per unit, so the hidden space is cut into
:math:`\text{levels}^d` cells, and explores the cells breadth first from :math:`h_0`:

* the first hidden vector found in a cell represents it;
* from a cell's representative :math:`h` and letter :math:`j`, the network computes
  :math:`h' = \sigma(U e_j + b + W h)`; the transition goes to the cell of :math:`h'`
  (a new cell is represented by this :math:`h'`);
* a cell accepts iff its representative's output does.

:func:`extract_dfa` tries the exact extraction and falls back on the quantized one.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import torch

from ._validation import ArgumentTypeError, _is_int, _shown, check_int, check_memory, check_positive_int
from .dfa import DFA
from .saturation import BOUNDS
from .sampling import Words
from .srn import SRN
from .ssrn import ExtractionError, _explore, _resolve, ssrn_to_dfa

Tensor = torch.Tensor

__all__ = ["Extraction", "equivalent_on_nonempty", "extract_dfa", "network_answers", "quantized_dfa",
           "smallest_on_nonempty"]

MAX_LEVELS = 2**15 - 1  # the most intervals per unit: cells are stored as int16


def quantized_dfa(model, alphabet: Sequence[str] | None = None, h0: Tensor | None = None, *, levels: int = 2,
                  max_states: int = 5_000, threshold: float | None = None) -> DFA:
    r"""The minimal DFA of ``model``'s dynamics on the cells of a grid of ``levels`` intervals per unit.

    Cell of :math:`h`: :math:`\min(\lfloor \text{levels}\,(h_i - l)/(r - l)\rfloor, \text{levels} - 1)`
    for each unit :math:`i`, :math:`[l, r]` the range of :math:`\sigma` (sigmoid or tanh).
    Arguments as for :func:`srnbook.ssrn_to_dfa`; raises :class:`srnbook.ssrn.ExtractionError`
    when more than ``max_states`` cells are reached. ``levels`` is 1 to 32767 (a cell stores
    its interval per unit as an int16).
    """
    srn, alphabet, h0, threshold = _resolve(model, alphabet, h0, threshold)
    levels = check_int(levels, "levels", low=1, high=MAX_LEVELS)
    max_states = check_positive_int(max_states, "max_states")
    name = srn.activation.name
    if name not in BOUNDS:
        raise ValueError(f"model's activation must be 'sigmoid' or 'tanh' (a bounded range to cut), got {name!r}")
    lo, hi = BOUNDS[name]

    def cells(H: Tensor) -> list[bytes]:
        index = ((H - lo) / (hi - lo) * levels).floor().clamp(0, levels - 1).to(torch.int16)
        return [row.tobytes() for row in index.numpy()]

    return _explore(srn, alphabet, h0, threshold, cells, max_states,
                    f"more than max_states={max_states} cells are reachable with levels={levels}; "
                    "raise max_states or lower levels")


class Extraction(NamedTuple):
    """A DFA extracted from a network, and how."""

    dfa: DFA
    method: str  # "exact" (finitely many hidden vectors) or "quantized"
    levels: int | None = None  # the grid's intervals per unit (quantized only)
    agreement: float | None = None  # share of the given words on which the DFA answers like the network


def network_answers(model, words: Words, h0: Tensor | None = None, threshold: float | None = None) -> np.ndarray:
    r"""Whether ``model`` accepts each word: :math:`\hat y` > ``threshold`` after its last letter
    (no empty word).

    ``words`` (:class:`srnbook.sampling.Words`) must be over the model's alphabet (an SSRN's, in
    its order; for an SRN, as many symbols as inputs).
    """
    if not isinstance(words, Words):
        raise ArgumentTypeError(f"words must be srnbook.sampling.Words, got {_shown(words)}")
    if len(words) == 0 or (words.lengths == 0).any():
        raise ValueError("words must be srnbook.sampling.Words with at least one word and no empty word")
    srn, alphabet, h0, threshold = _resolve(model, words.alphabet if isinstance(model, SRN) else None, h0,
                                            threshold)
    if alphabet != words.alphabet:
        raise ValueError(f"words must be over the model's alphabet {alphabet!r}, "
                         f"got words over {words.alphabet!r}")
    n, width = words.symbols.shape
    check_memory(3 * n * width * srn.hidden_size * srn.W.element_size(),
                 f"the hidden states of {n} words of length up to {width}", "words")
    x, lengths = words._one_hot(srn.W.dtype, "words")
    with torch.no_grad():
        y = srn(x, lengths, h0).y  # the output ŷ at every step, (B, T, 1)
        return (y.gather(1, (lengths - 1).view(-1, 1, 1)).view(-1) > threshold).numpy()


def extract_dfa(model, alphabet: Sequence[str] | None = None, h0: Tensor | None = None, *,
                levels: int | Sequence[int] = 2, words: Words | None = None, max_exact: int = 2_000,
                max_states: int = 5_000) -> Extraction:
    r"""The DFA of ``model``: exact if it has finitely many reachable states, else read on a grid.

    :func:`srnbook.ssrn_to_dfa` is tried first, with at most ``max_exact`` states reachable
    from :math:`h_0` (states as it counts them: hidden vectors that accept alike and move
    alike are one state). Otherwise :func:`quantized_dfa` is run with each number of
    ``levels``; with ``words`` (:class:`srnbook.sampling.Words`), the grid whose DFA answers like
    the network on the most words is kept, ties going to the smaller DFA (the choice among
    consistent automata of Omlin & Giles 1996); without, the first grid that closes. Grids that
    reach more than ``max_states`` cells are skipped; if every grid does, the
    :class:`srnbook.ssrn.ExtractionError` of the last one is raised. ``levels``: a number of
    intervals per unit (1 to 32767) or a nonempty list of them.
    """
    max_exact = check_positive_int(max_exact, "max_exact")
    max_states = check_positive_int(max_states, "max_states")
    grids = _check_levels(levels)
    if words is not None and not isinstance(words, Words):
        raise ArgumentTypeError(f"words must be None or srnbook.sampling.Words, got {_shown(words)}")
    _, alphabet, _, _ = _resolve(model, alphabet, h0, None)
    if words is not None and words.alphabet != alphabet:
        raise ValueError(f"words must be over the alphabet {alphabet!r}, got words over {words.alphabet!r}")
    answers = None if words is None else network_answers(model, words, h0)
    listed = None if words is None else _listed(words)
    try:
        dfa = ssrn_to_dfa(model, alphabet, h0, max_states=max_exact)
        agreement = None if words is None else float((dfa.accepts_many(listed) == answers).mean())
        return Extraction(dfa, "exact", None, agreement)
    except ExtractionError:
        pass
    best, error = None, None
    for level in grids:
        try:
            dfa = quantized_dfa(model, alphabet, h0, levels=level, max_states=max_states)
        except ExtractionError as e:
            error = e
            continue
        if words is None:
            return Extraction(dfa, "quantized", level, None)
        agreement = float((dfa.accepts_many(listed) == answers).mean())
        if best is None or (agreement, -dfa.n_states) > (best.agreement, -best.dfa.n_states):
            best = Extraction(dfa, "quantized", level, agreement)
    if best is None:
        raise error
    return best


def _listed(words: Words) -> list:
    """``words`` as a list of strings (one-character symbols) or of tuples of symbols."""
    if all(len(s) == 1 for s in words.alphabet):
        return words.strings()
    symbols = words.alphabet
    return [tuple(symbols[j] for j in row[:n]) for row, n in zip(words.symbols.tolist(), words.lengths)]


def _check_levels(levels) -> list[int]:
    """``levels`` as a nonempty list of numbers of intervals (1 to :data:`MAX_LEVELS`)."""
    if _is_int(levels):
        return [check_int(levels, "levels", low=1, high=MAX_LEVELS)]
    if not isinstance(levels, (list, tuple)) or not levels:
        raise (ValueError if isinstance(levels, (list, tuple)) else ArgumentTypeError)(
            f"levels must be a positive integer or a nonempty list of them, got {_shown(levels)}")
    return [check_int(v, f"levels[{i}]", low=1, high=MAX_LEVELS) for i, v in enumerate(levels)]


def equivalent_on_nonempty(dfa: DFA, target: DFA) -> tuple[str, ...] | None:
    r"""``None`` if ``dfa`` and ``target`` agree on every nonempty word, else a shortest nonempty word where they differ.

    An SRN reads at least one letter before it answers, so the acceptance of the empty word by
    an extracted automaton (the output at :math:`h_0`) is never trained. The comparison gives
    ``dfa`` a fresh initial state with the transitions of its own and ``target``'s acceptance
    of the empty word, then calls :meth:`srnbook.DFA.equivalent`.
    """
    for name, value in (("dfa", dfa), ("target", target)):
        if not isinstance(value, DFA):
            raise ArgumentTypeError(f"{name} must be a srnbook.DFA, got {_shown(value)}")
    delta = np.vstack([dfa.delta[:1], dfa.delta]) + 1
    accepting = np.concatenate([[bool(target.accepting[0])], dfa.accepting])
    return DFA(delta, accepting, dfa.alphabet).equivalent(target)


def smallest_on_nonempty(dfa: DFA) -> DFA:
    r"""The smallest DFA that agrees with ``dfa`` on every nonempty word (minimal, states numbered breadth-first).

    A network's answer on the empty word (its output at :math:`h_0`) is never trained, and
    an automaton extracted from it may keep a separate initial state only because of it. Of
    the two automata that agree with ``dfa`` on nonempty words (a fresh initial state with
    :math:`q_0`'s transitions, accepting or not), the one with fewer states after
    minimization is returned, ``dfa``'s own choice on a tie.
    """
    if not isinstance(dfa, DFA):
        raise ArgumentTypeError(f"dfa must be a srnbook.DFA, got {_shown(dfa)}")
    delta = np.vstack([dfa.delta[:1], dfa.delta]) + 1
    own = bool(dfa.accepting[0])
    candidates = [DFA(delta, np.concatenate([[empty], dfa.accepting]), dfa.alphabet).minimize()
                  for empty in (own, not own)]
    return min(candidates, key=lambda d: d.n_states)
