r"""Saturated SRNs (SSRNs) and DFAs: compiling one into the other, both ways (section 7 of the report).

Notation is the report's (Definition 1, indices from 0): a word is read as one-hot
vectors :math:`x_1, \dots, x_T \in \{0, 1\}^{|\Sigma|}` and

.. math::

    h_t = \sigma(U x_t + W h_{t-1} + b), \qquad \hat y = g(V h_T + c).

* :func:`dfa_to_ssrn` builds the SSRN of section 7.2 (Mitarchuk et al. 2024) that
  simulates a DFA exactly in floating point, with the sigmoid or, through the
  change of basis of Property 1, with tanh.
* :func:`saturating_scale` is the smallest weight scale :math:`J` at which
  :math:`\sigma(\pm J)` is *exactly* a bound of :math:`\sigma` in a given dtype.
* :func:`ssrn_to_dfa` goes back: it explores the hidden vectors reachable from
  :math:`h_0` (exactly, bit for bit) and returns the minimal DFA they form.
* :func:`saturation` measures the :math:`\beta` of Definition 2 on data,
  :func:`stability_margin` evaluates the condition of section 7.1 and
  :func:`noise_robustness`, :func:`scale_sweep` and :func:`check_round_trip` make
  the chapter's measurements.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Sequence

import numpy as np
import torch

from ._validation import (ArgumentTypeError, _shown, check_choice, check_dtype, check_float,
                          check_float_sequence, check_instance, check_memory, check_positive_float,
                          check_positive_int, check_seed, check_tensor)
from .activations import saturation_threshold
from .dfa import DFA
from .saturation import BOUNDS, _check_finite_weights, _check_word_inputs, saturation_gap, saturation_level
from .srn import OUTPUTS, SRN, SRNOutput

Tensor = torch.Tensor

SSRN_ACTIVATIONS = ("sigmoid", "tanh")
DTYPES = (torch.float32, torch.float64)

__all__ = [
    "ExtractionError",
    "SSRN",
    "Stability",
    "NoisePoint",
    "SweepPoint",
    "check_round_trip",
    "random_words",
    "scale_sweep",
    "dfa_to_ssrn",
    "length_buckets",
    "noise_robustness",
    "saturating_scale",
    "saturation",
    "ssrn_to_dfa",
    "stability_margin",
    "tanh_basis",
    "tanh_basis_inverse",
]


# ---------------------------------------------------------------------- argument checks


def _check_activation(activation) -> str:
    return check_choice(activation, "activation", SSRN_ACTIVATIONS)


def _check_dtype(dtype) -> torch.dtype:
    return check_dtype(dtype, "dtype", allowed=DTYPES)


def _check_dfa(dfa, name: str = "dfa") -> DFA:
    return check_instance(dfa, name, DFA, "a srnbook.DFA")


def _check_J(J, name: str = "J") -> float:
    """``J`` as a float if it is a positive finite number."""
    return check_positive_float(J, name)


def _growth(d: int, activation: str) -> int:
    r"""A bound :math:`R` on :math:`|U x| + \sum_m |W_{im}| + |b_i|` and on :math:`\sum_m |V_{0m}| + |c|`,
    in units of :math:`J`, for the network of :func:`dfa_to_ssrn` (:math:`|h_m| \le 1`): every partial
    sum of a pre-activation is at most :math:`RJ` in magnitude. Sigmoid: :math:`2 + 3d`. tanh: the
    entries of :math:`W\mathcal B^{-1}` are at most :math:`\tfrac12(3 + 3d/(d - 2)) \le 6` for
    :math:`d \ge 3` (:math:`d = 2`: at most 8 in all)."""
    return 3 * d + 2 if activation == "sigmoid" else 6 * d + 2


def _check_scale(J, d: int, activation: str, dtype: torch.dtype, name: str = "J") -> float:
    """``J`` as the network stores it: positive, not rounded to 0 in ``dtype``, and small enough that
    the construction's multiples of it (:func:`_growth`) stay finite in ``dtype``; refused before
    anything is built."""
    J = _check_J(J, name)
    stored = float(torch.tensor(J, dtype=dtype))
    if stored == 0:
        raise ValueError(f"{name} must be a positive number representable in {dtype}, "
                         f"got {J!r} (it rounds to 0)")
    growth, top = _growth(d, activation), torch.finfo(dtype).max
    if stored * growth > top:
        raise ValueError(f"{name} = {J!r} is too large for {dtype}: the {activation} network of "
                         f"d = {d} units computes sums up to {growth}J, which overflow "
                         f"(use {name} <= {top / growth:.4g})")
    return stored


def _check_words(words, name: str = "words") -> list:
    """``words`` as a list (a bare string is refused, not read as one-letter words)."""
    if isinstance(words, (str, bytes)):
        raise ArgumentTypeError(f"{name} must be a list of words, got a single string {_shown(words)} "
                                "(wrap it in a list)")
    try:
        return list(words)
    except TypeError:
        raise ArgumentTypeError(f"{name} must be a list of words, got {_shown(words)}") from None


def _codes(dfa: DFA, words, *, nonempty: bool = False) -> list[np.ndarray]:
    """The symbol indices of each of ``words`` (:meth:`DFA.encode_many`: errors name ``words``); with
    ``nonempty``, at least one word must have a letter."""
    codes = dfa.encode_many(_check_words(words))
    if nonempty and not any(len(c) for c in codes):
        raise ValueError("words must contain at least one non-empty word")
    return codes


def _word_budget(n: int, max_length: int, n_name: str, length_name: str) -> None:
    """Refuse ``n`` random words of up to ``max_length`` letters (tuples of symbols) that would not fit
    in memory."""
    check_memory(n * (64 + 8 * max_length), f"{n} words of up to {max_length} letters",
                 f"{n_name}/{length_name}")


# ---------------------------------------------------------------------- saturation in floating point


@functools.lru_cache(maxsize=None)
def _saturating_scale(activation: str, dtype: torch.dtype) -> float:
    lo, hi = BOUNDS[activation]
    fn = getattr(torch, activation)
    return max(saturation_threshold(fn, hi, dtype), saturation_threshold(lambda x: fn(-x), lo, dtype))


def saturating_scale(activation: str = "sigmoid", dtype: torch.dtype = torch.float32) -> float:
    r"""The smallest float :math:`J` with :math:`\sigma(x) = r` and :math:`\sigma(-x) = l` exactly for all :math:`x \ge J`.

    Here :math:`[l, r]` is the range of :math:`\sigma` ([0, 1] for the sigmoid,
    [-1, 1] for tanh) and :math:`\sigma` is PyTorch's own CPU kernel evaluated
    in ``dtype``. This is the :math:`J` of section 7.2 ("since we are in finite
    precision, there exists a number J such that for all x >= J, sigma(x) = 1 and
    sigma(-x) = 0"), found by bisection over the representable floats with
    :func:`srnbook.activations.saturation_threshold` (saturation is monotone,
    so it also holds at :math:`3J, 5J, \dots`).

    ``torch.sigmoid`` computes :math:`1 / (1 + e^{-x})` in ``dtype`` (ATen's
    kernel, with a vectorized :math:`\exp`; it agrees with
    ``1 / (1 + torch.exp(-x))`` to within a few ulp). Hence

    * :math:`\sigma(x) = 1` as soon as :math:`e^{-x} \le u`, the unit roundoff
      (:math:`1 + u` rounds to 1): :math:`x \ge p \ln 2` with :math:`p` the
      significand precision, 16.6355 (float32) and 36.7368 (float64);
    * :math:`\sigma(-x) = 1/(1 + e^{x})` is 0 only once :math:`e^{x}` overflows
      to :math:`\infty`: :math:`x \ge \ln(\text{max float})`, 88.7228 (float32)
      and 709.7827 (float64). Below that the result is tiny but not zero
      (:math:`\sigma(-88.7228) \approx 2.9 \cdot 10^{-39}`, a subnormal).

    So the sigmoid's scale is set by underflow at 0, not by rounding at 1:
    88.72283935546875 in float32, 709.7827128933841 in float64 (the report quotes
    "x >= 89"). ``torch.tanh`` is odd and rounds to :math:`\pm 1` once
    :math:`2 e^{-2x} \le u/2`: 9.010840 (float32) and 19.061547 (float64).
    """
    return _saturating_scale(_check_activation(activation), _check_dtype(dtype))  # bisection, once


def _gamma(n: int, dtype: torch.dtype) -> float:
    r""":math:`\gamma_n = n u / (1 - n u)`: Higham's bound on the relative error of an ``n``-term sum, in any order."""
    u = torch.finfo(dtype).eps / 2
    return math.inf if n * u >= 1 else n * u / (1 - n * u)


# ---------------------------------------------------------------------- the tanh change of basis


def _check_basis_size(n, dtype) -> tuple[int, torch.dtype]:
    n = check_positive_int(n, "n")
    dtype = check_dtype(dtype, "dtype")
    check_memory(3 * n * n * (torch.finfo(dtype).bits // 8), f"three {n} x {n} matrices", "n")
    return n, dtype


def tanh_basis(n: int, dtype: torch.dtype = torch.float64) -> Tensor:
    r""":math:`\mathcal B_{\tanh} = 2\,\mathrm{Id}_n - \mathbf 1 \mathbf 1^\top`: 1 on the diagonal, -1 elsewhere (7.2).

    Column :math:`k` is the tanh version :math:`2 e_k - \mathbf 1` of the one-hot
    vector :math:`e_k`: :math:`h_{\tanh} = \mathcal B_{\tanh} h_{\mathrm{sig}}`.
    """
    n, dtype = _check_basis_size(n, dtype)
    return 2 * torch.eye(n, dtype=dtype) - torch.ones(n, n, dtype=dtype)


def tanh_basis_inverse(n: int, dtype: torch.dtype = torch.float64) -> Tensor:
    r""":math:`\mathcal B_{\tanh}^{-1} = \tfrac12(\mathrm{Id}_n - a_n \mathbf 1 \mathbf 1^\top)`, :math:`a_n = 1/(n-2)` (Property 1).

    For :math:`n = 2`, :math:`\mathcal B_{\tanh} = \begin{pmatrix} 1 & -1 \\ -1 & 1 \end{pmatrix}`
    is singular (appendix B) and this raises ``ValueError``; :func:`dfa_to_ssrn`
    then uses the affine map :math:`h_{\mathrm{sig}} = (h_{\tanh} + \mathbf 1)/2` instead.
    """
    n, dtype = _check_basis_size(n, dtype)
    if n == 2:
        raise ValueError("n must not be 2: the tanh basis matrix [[1, -1], [-1, 1]] is singular (Property 1)")
    a = 1.0 / (n - 2)
    return 0.5 * (torch.eye(n, dtype=dtype) - a * torch.ones(n, n, dtype=dtype))


# ---------------------------------------------------------------------- DFA -> SSRN


def _sigmoid_matrices(dfa: DFA, J: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The report's :math:`(U, W, V)` (float64, zero biases) for the sigmoid SSRN of ``dfa`` at scale ``J``.

    Hidden unit :math:`i = q |\Sigma| + j` stands for "in state :math:`q`, having
    just read letter :math:`j`"; ``state(i) = i // |Σ|``, ``letter(i) = i % |Σ|``.
    """
    n, k = dfa.delta.shape
    units = np.arange(n * k)
    state, letter = units // k, units % k
    U = 2 * J * (letter[:, None] == np.arange(k)[None, :])  # 2J [Id; ...; Id]
    # W[i, m] = -J if delta(state(m), letter(i)) = state(i): the transition from unit m's state on i's letter
    lands = dfa.delta[state[None, :], letter[:, None]] == state[:, None]
    W = np.where(lands, -J, -3 * J)
    V = np.where(dfa.accepting[state], J, -J)[None, :]
    return U.astype(np.float64), W, V.astype(np.float64)


def _tanh_parameters(W: np.ndarray, V: np.ndarray):
    r"""Move :math:`(W, V)` to the tanh basis: :math:`(W\mathcal B^{-1}, V\mathcal B^{-1}, 0, 0)` (affine map if d = 2).

    For :math:`d \ne 2`, :math:`W \mathcal B^{-1} = \tfrac12 (W - a_d (W \mathbf 1) \mathbf 1^\top)`,
    computed in closed form (same matrix as ``W @ tanh_basis_inverse(d)``, in
    :math:`O(d^2)`). For :math:`d = 2`, :math:`h_{\mathrm{sig}} = (h_{\tanh} + \mathbf 1)/2`
    gives :math:`W h_{\mathrm{sig}} = \tfrac12 W h_{\tanh} + \tfrac12 W \mathbf 1`:
    parameters :math:`(W/2, V/2, W\mathbf 1/2, V\mathbf 1/2)`.
    """
    d = W.shape[0]
    if d == 2:
        return W / 2, V / 2, W.sum(1) / 2, V.sum(1) / 2
    a = 1.0 / (d - 2)
    Wt = 0.5 * (W - a * W.sum(1, keepdims=True))
    Vt = 0.5 * (V - a * V.sum(1, keepdims=True))
    return Wt, Vt, np.zeros(d), np.zeros(V.shape[0])


def _sigmoid_saturates(J: float, dtype: torch.dtype) -> bool:
    r"""Whether every pre-activation the sigmoid construction can produce at ``J`` saturates exactly in ``dtype``.

    With :math:`h_{t-1}` exactly one-hot, every product in :math:`W h_{t-1}` is
    exact (one entry times 1, the others times 0), so whatever the summation
    order the pre-activations are exactly
    :math:`\mathrm{fl}(2J) + W_{im} \in \{J, \mathrm{fl}(2J - \mathrm{fl}(3J))\}` on the
    units of the letter read and :math:`W_{im} \in \{-J, -\mathrm{fl}(3J)\}` on the
    others; the output pre-activation is :math:`\pm J`.
    """
    j = torch.tensor(J, dtype=dtype)
    two, three = 2 * j, 3 * j  # the entries of U and -W as stored in dtype
    positive = j.reshape(1)
    negative = torch.stack([-j, two - three, -three])
    return bool((torch.sigmoid(positive) == 1).all() and (torch.sigmoid(negative) == 0).all())


def _tanh_error_ratio(dfa: DFA, dtype: torch.dtype) -> float:
    r"""A bound :math:`\rho`: every pre-activation of the tanh SSRN at scale :math:`J` is within :math:`\rho J` of its exact value.

    Unlike the sigmoid network, the tanh network sums :math:`d` nonzero terms
    :math:`W'_{im} h_m` (:math:`h_m = \pm 1`) that cancel down to :math:`\pm J` or
    :math:`-3J`, and the entries of :math:`W' = W\mathcal B^{-1}` are rounded. The
    rounding depends on the summation order, which MKL changes with the batch
    size. Higham's bound holds for every order: row :math:`i` is off by at most
    :math:`\gamma_{d+3} (|b_i| + |U_{ij}| + \sum_m |W'_{im}|)` from the sum of the
    stored terms, whose entries are off by at most :math:`u |W'_{im}|` (rounding
    to ``dtype``) plus :math:`2 u_{64} (|W_{im}| + a_d |(W\mathbf 1)_i|)` (computing
    them in float64); likewise for the output row. At :math:`J = 1`, everything
    scales with :math:`J`.
    """
    n, k = dfa.delta.shape
    d = n * k
    U, W, V = _sigmoid_matrices(dfa, 1.0)
    Wt, Vt, b, c = _tanh_parameters(W, V)
    u, u64 = torch.finfo(dtype).eps / 2, torch.finfo(torch.float64).eps / 2
    a = 1.0 / (d - 2) if d != 2 else 0.0

    def bound(M, M_tanh, bias, input_term):
        stored = (_gamma(d + 3, dtype) + u) * (np.abs(bias) + input_term + np.abs(M_tanh).sum(1))
        built = 2 * u64 * (np.abs(M).sum(1) + d * a * np.abs(M.sum(1)))
        return float((stored + built).max())

    return max(bound(W, Wt, b, 2.0), bound(V, Vt, c, 0.0))


def _smallest_scale(dfa: DFA, activation: str, dtype: torch.dtype) -> float:
    """The ``J`` chosen by ``dfa_to_ssrn(J=None)`` (see its docstring)."""
    t = torch.tensor(saturating_scale(activation, dtype), dtype=dtype)
    inf = torch.tensor(math.inf, dtype=dtype)
    if activation == "sigmoid":
        for _ in range(10_000):  # in float32 and float64 the loop stops at once: fl(3J) rounds harmlessly
            if _sigmoid_saturates(float(t), dtype):
                return float(t)
            t = torch.nextafter(t, inf)
        raise RuntimeError("no saturating scale found near the sigmoid's threshold")  # pragma: no cover
    rho = _tanh_error_ratio(dfa, dtype)
    if not rho < 1:
        raise ValueError(f"dfa is too large ({dfa.n_states * dfa.n_symbols} hidden units) for a tanh "
                         f"SSRN whose saturation is guaranteed in {dtype}; give J explicitly or use float64")
    J = torch.tensor(float(t) / (1 - rho), dtype=torch.float64).to(dtype)
    while float(J) * (1 - rho) < float(t):  # round up, not to nearest
        J = torch.nextafter(J, inf)
    return float(J)


@dataclass(eq=False)
class SSRN:
    r"""A saturated SRN compiled from a DFA by :func:`dfa_to_ssrn`, with its initial state.

    Attributes
    ----------
    srn
        The :class:`srnbook.SRN` (:math:`u = |\Sigma|`, :math:`d = |Q||\Sigma|`, :math:`o = 1`).
    dfa
        The DFA it simulates.
    J
        The weight scale (a float representable in the network's dtype).
    activation
        ``"sigmoid"`` or ``"tanh"``: :math:`\sigma`, and the output function :math:`g` too.
    h0
        The initial hidden state :math:`h_0`, shape ``(d,)``: it encodes :math:`q_0`.
    """

    srn: SRN
    dfa: DFA
    J: float
    activation: str
    h0: Tensor

    def __post_init__(self):
        srn = _check_finite_weights(self.srn, "srn")
        dfa = _check_dfa(self.dfa)
        self.activation = _check_activation(self.activation)
        check_dtype(srn.W.dtype, "srn's dtype", allowed=DTYPES)
        if (srn.input_size, srn.output_size) != (dfa.n_symbols, 1):
            raise ValueError(f"srn must have input size {dfa.n_symbols} (dfa's alphabet) and output size 1, "
                             f"got {srn.input_size} and {srn.output_size}")
        if (srn.activation.name, srn.output) != (self.activation, self.activation):
            raise ValueError(f"activation must be srn's activation and output function, got "
                             f"{self.activation!r} for an srn with {srn.activation.name!r} "
                             f"and {srn.output!r}")
        J = _check_J(self.J)
        if float(torch.tensor(J, dtype=srn.W.dtype)) != J:
            raise ValueError(f"J must be a float representable in the network's dtype {srn.W.dtype}, "
                             f"got {J!r}")
        self.J = J
        self.h0 = _check_hidden(self.h0, "h0", srn, ndim=1)

    @property
    def alphabet(self) -> tuple[str, ...]:
        return self.dfa.alphabet

    @property
    def dtype(self) -> torch.dtype:
        return self.srn.W.dtype

    @property
    def threshold(self) -> float:
        """Accept iff :math:`\\hat y` exceeds this, the middle of :math:`g`'s range: 1/2 (sigmoid) or 0 (tanh)."""
        lo, hi = BOUNDS[self.activation]
        return (lo + hi) / 2

    def __repr__(self) -> str:
        return (f"SSRN(activation={self.activation!r}, J={self.J!r}, d={self.srn.hidden_size}, "
                f"alphabet={self.alphabet!r}, dtype={self.dtype})")

    # ------------------------------------------------------------------ inputs

    def codes(self, words) -> list[np.ndarray]:
        """The symbol indices of each word (strings of one-character symbols, or sequences of symbols).

        :meth:`DFA.encode` word by word (the same ``ValueError`` naming an unknown symbol).
        """
        return _codes(self.dfa, words)

    def encode(self, words) -> tuple[Tensor, Tensor]:
        r"""One-hot inputs ``x``, ``(B, T, |Σ|)`` with ``T`` the longest length (at least 1), and the ``(B,)`` lengths.

        An unknown symbol raises ``ValueError`` naming it. Padded steps are zero;
        empty words have length 0 (:meth:`SRN.forward` needs lengths of at least 1:
        :meth:`run` handles empty words itself).
        """
        codes = self.codes(words)
        cells = len(codes) * max([1, *map(len, codes)]) * (self.dfa.n_symbols + 1)
        check_memory(cells * (8 + self.srn.W.element_size()), f"one-hot inputs of {len(codes)} words",
                     "words")
        return _one_hot(codes, self.dfa.n_symbols, self.dtype)

    # ------------------------------------------------------------------ running the network

    def run(self, words, *, max_elements: int = 2**23) -> Iterator[tuple[np.ndarray, Tensor, SRNOutput]]:
        r"""Run the non-empty ``words`` through ``self.srn.forward`` from :math:`h_0`, in length buckets.

        Yields ``(index, lengths, out)``: ``index`` the positions (in ``words``) of
        the words in this bucket, ``lengths`` their lengths and ``out`` the
        :class:`~srnbook.srn.SRNOutput` of the real forward pass. Words are sorted
        by length and cut into buckets (see :func:`length_buckets`) so that the
        padded work stays small; runs under :func:`torch.inference_mode`. ``max_elements``
        bounds the ``(B, T, d)`` tensors of one batch (a single longer word runs alone).
        """
        max_elements = check_positive_int(max_elements, "max_elements")
        return self._run(self.codes(words), max_elements)

    def _run(self, codes: list[np.ndarray], max_elements: int = 2**23) -> Iterator[tuple[np.ndarray, Tensor, SRNOutput]]:
        """:meth:`run` on words already encoded by :meth:`codes`."""
        lengths = np.array([len(c) for c in codes], dtype=np.int64)
        d, size = self.srn.hidden_size, self.srn.W.element_size()
        for index in length_buckets(lengths, d, max_elements=max_elements):
            steps = len(index) * int(lengths[index[0]])  # the longest word comes first
            check_memory(steps * (4 * d * size + 8 * (self.dfa.n_symbols + 2)),
                         f"a batch of {len(index)} words of up to {int(lengths[index[0]])} letters",
                         "words" if len(index) == 1 else "max_elements")
            x, lens = _one_hot([codes[i] for i in index], self.dfa.n_symbols, self.dtype)
            with torch.inference_mode():
                out = self.srn(x, lengths=lens, h0=self.h0)
            yield index, lens, out

    def readout(self, h: Tensor) -> Tensor:
        r""":math:`\hat y = g(V h + c)` for hidden vectors ``h`` of shape ``(..., d)``, computed as in :meth:`SRN.forward`."""
        srn = self.srn
        h = _check_hidden(h, "h", srn)
        with torch.inference_mode():
            flat = h.reshape(-1, srn.hidden_size)
            y = OUTPUTS[srn.output](torch.addmm(srn.c, flat, srn.V.t()))
        return y.reshape(*h.shape[:-1], srn.output_size)

    def outputs(self, words) -> Tensor:
        r"""The final output :math:`\hat y = g(V h_T + c)` of each word, shape ``(B,)`` (from :math:`h_0` if empty)."""
        return self._outputs_and_states(words, states=False)[0]

    def _outputs_and_states(self, words, states: bool = True) -> tuple[Tensor, Tensor | None]:
        r""":meth:`outputs` and, from the same forward pass, every hidden state :math:`h_t` (:math:`t \ge 1`)
        at the valid steps of ``words`` as an ``(N, d)`` tensor (``None`` unless ``states``)."""
        codes = self.codes(words)
        if states:
            check_memory(sum(map(len, codes)) * self.srn.hidden_size * self.srn.W.element_size() * 2,
                         "the hidden states of every letter of words", "words")
        y = torch.empty(len(codes), dtype=self.dtype)
        empty = [i for i, c in enumerate(codes) if len(c) == 0]
        if empty:
            y[empty] = self.readout(self.h0)[0]
        rows = []
        for index, lens, out in self._run(codes):
            y[torch.as_tensor(index)] = _last(out.y, lens)[:, 0]
            if states:
                rows.append(out.h[torch.arange(out.h.shape[1]) < lens[:, None]])
        if not states:
            return y, None
        return y, (torch.cat(rows) if rows else torch.empty(0, self.srn.hidden_size, dtype=self.dtype))

    def accepts(self, words) -> np.ndarray:
        r"""Whether the network accepts each word (:math:`\hat y > 1/2`, sigmoid; :math:`\hat y > 0`, tanh): a bool array."""
        return (self.outputs(words) > self.threshold).numpy()

    def trace(self, word) -> Tensor:
        r"""The hidden states :math:`h_0, h_1, \dots, h_T` along ``word``, shape ``(T + 1, d)``."""
        states = [self.h0.reshape(1, -1)]
        if len(self.dfa.encode(word)):
            (_, _, out), = self.run([word])
            states.append(out.h[0])
        return torch.cat(states).clone()

    def decode(self, h: Tensor) -> Tensor:
        r"""The DFA state each hidden vector encodes (group :math:`i // |\Sigma|` of its unit on), or -1 if none.

        ``h`` has shape ``(..., d)`` and the network's dtype; a vector encodes a state only
        if it is exactly one-hot (sigmoid) or exactly :math:`2 e_i - \mathbf 1` (tanh).
        """
        h = _check_hidden(h, "h", self.srn)
        lo, hi = BOUNDS[self.activation]
        on = h == hi
        valid = (on | (h == lo)).all(-1) & (on.sum(-1) == 1)
        state = on.to(torch.int64).argmax(-1) // self.dfa.n_symbols
        return torch.where(valid, state, torch.full_like(state, -1))


def _check_hidden(h, name: str, srn: SRN, ndim: int | None = None) -> Tensor:
    """``h`` if it is a finite tensor of hidden vectors of ``srn``: shape ``(..., d)`` (``(d,)`` with
    ``ndim=1``) and the network's dtype."""
    d = srn.hidden_size
    h = check_tensor(h, name, ndim=ndim if ndim is not None else tuple(range(1, 9)), dtype=srn.W.dtype)
    if h.shape[-1] != d:
        shape = "(d,)" if ndim == 1 else "(..., d)"
        raise ValueError(f"{name} must have shape {shape} with d = {d} hidden units, got {tuple(h.shape)}")
    return h


def _one_hot(codes: Sequence[np.ndarray], k: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    lengths = np.array([len(c) for c in codes], dtype=np.int64)
    T = max(1, int(lengths.max())) if len(codes) else 1
    idx = np.full((len(codes), T), k, dtype=np.int64)  # k = padding, dropped below
    if lengths.sum():
        rows = np.repeat(np.arange(len(codes)), lengths)
        cols = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        idx[rows, cols] = np.concatenate(codes)
    x = torch.nn.functional.one_hot(torch.from_numpy(idx), k + 1)[..., :k].to(dtype)
    return x, torch.from_numpy(lengths)


def _last(y: Tensor, lengths: Tensor) -> Tensor:
    """``y[i, lengths[i] - 1]`` for each row ``i``."""
    return y[torch.arange(y.shape[0]), lengths - 1]


STEP_COST = 1e5  # the fixed cost of one forward step (Python, kernel launches), in multiply-adds: ~5 us
ELEMENT_COST = 16  # the elementwise work per hidden value and step (sigma, copies, masks), in multiply-adds


def _check_lengths(lengths) -> np.ndarray:
    """``lengths`` as a 1-D int64 array of nonnegative integers."""
    try:
        array = np.asarray(lengths)
    except (TypeError, ValueError):  # ragged nested lists
        raise ArgumentTypeError(f"lengths must be a 1-D array of word lengths, "
                                f"got {_shown(lengths)}") from None
    if array.ndim != 1:
        raise ValueError(f"lengths must be a 1-D array of word lengths, got {_shown(lengths)}")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"lengths must hold integers, got dtype {array.dtype}")
    if array.size and int(array.min()) < 0:
        raise ValueError(f"lengths must be nonnegative, got {int(array.min())}")
    return array.astype(np.int64)


def length_buckets(lengths, width: int = 1, *, max_elements: int = 2**23, groups: int = 64) -> list[np.ndarray]:
    r"""Split the non-empty words into batches of similar lengths, for :meth:`SRN.forward`.

    A batch of ``B`` words padded to its longest length ``T`` costs about
    ``T * (STEP_COST + B * d * (d + ELEMENT_COST))`` (``d = width``): every step
    has a fixed overhead, then a ``(B, d) @ (d, d)`` product and elementwise work.
    Words are sorted by decreasing length and cut into at most ``groups`` groups of
    consecutive words; a dynamic program merges consecutive groups into the
    batches of least total cost. Few long batches win when ``d`` is small (the
    fixed cost dominates), tight ones when ``d`` is large (the cost is then close
    to the total length times :math:`d^2`). A batch whose ``(B, T, d)`` tensors
    would exceed ``max_elements`` entries runs in several pieces. Returns index
    arrays into ``lengths`` (a 1-D array or list of nonnegative integers), longest
    words first; zero lengths are left out.
    """
    lengths = _check_lengths(lengths)
    width = check_positive_int(width, "width")
    max_elements = check_positive_int(max_elements, "max_elements")
    groups = check_positive_int(groups, "groups")
    order = np.argsort(-lengths, kind="stable")
    order = order[lengths[order] > 0]
    if len(order) == 0:
        return []
    n = min(groups, len(order))
    check_memory(48 * n * n, f"the cost table of {n} groups of words", "groups")
    edges = np.unique(np.linspace(0, len(order), min(groups, len(order)) + 1).astype(np.int64))
    per_word = width * (width + ELEMENT_COST)

    n = len(edges) - 1
    T = lengths[order[edges[:-1]]].astype(np.float64)  # a batch starting at group i is padded to T[i]
    size = (edges[None, :] - edges[:-1, None]).astype(np.float64)  # words in groups i..j-1
    pieces = np.ceil(size / np.maximum(1, max_elements // (T * width)).astype(np.float64)[:, None])
    cost = T[:, None] * (pieces * STEP_COST + size * per_word)  # cost[i, j]: one batch of groups i..j-1
    best, cut = np.zeros(n + 1), np.zeros(n + 1, dtype=np.int64)
    for j in range(1, n + 1):  # least cost of the first j groups: a last batch i..j-1 after the best of i
        total = best[:j] + cost[:j, j]
        cut[j] = int(np.argmin(total))
        best[j] = total[cut[j]]
    cut = cut.tolist()
    spans, j = [], n
    while j:
        spans.append((cut[j], j))
        j = cut[j]
    batches = []
    for i, j in reversed(spans):
        index = order[edges[i]: edges[j]]
        cap = max(1, max_elements // (int(lengths[index[0]]) * width))
        batches.extend(index[s: s + cap] for s in range(0, len(index), cap))
    return batches


def dfa_to_ssrn(dfa: DFA, activation: str = "sigmoid", J: float | None = None,
                dtype: torch.dtype = torch.float32) -> SSRN:
    r"""The saturated SRN of section 7.2 that simulates ``dfa`` exactly in floating point.

    Hidden size :math:`d = |Q||\Sigma|`: unit :math:`i = q|\Sigma| + j` means "in
    state :math:`q`, having just read letter :math:`j`"; input size
    :math:`|\Sigma|` (one-hot letters), output size 1. With the sigmoid,

    * :math:`U = 2J\,[\mathrm{Id}_{|\Sigma|}; \dots; \mathrm{Id}_{|\Sigma|}]` (:math:`|Q|` blocks);
    * :math:`W_{im} = -J` if :math:`\delta(q_{m // |\Sigma|}, \Sigma_{i \% |\Sigma|}) = q_{i // |\Sigma|}`
      (a valid transition from unit :math:`m`'s state), :math:`-3J` otherwise, so
      the columns are equal by groups of :math:`|\Sigma|`;
    * :math:`V_{0i} = J` if :math:`q_{i // |\Sigma|} \in F`, else :math:`-J`; :math:`b = c = 0`;
    * :math:`g = \sigma`: accept iff :math:`\hat y > 1/2`.

    If :math:`h_{t-1} = e_m` and letter :math:`j` is read, the pre-activation of
    unit :math:`i` is :math:`2J - J = J` for the one unit
    :math:`(\delta(q, \Sigma_j), j)`, :math:`2J - 3J = -J` for the other units of
    letter :math:`j`, and :math:`-J` or :math:`-3J` for the units of other
    letters: at a saturating :math:`J`, :math:`h_t` is exactly one-hot again.

    **Initial state.** :math:`h_0 = e_0` (unit "state 0, letter 0" on): it encodes
    :math:`q_0`. The zero vector would not do: from :math:`h_0 = 0`,
    :math:`a_1 = U x_1` is :math:`2J` on the units of letter :math:`x_1` in *every*
    state group and 0 elsewhere, so :math:`h_1` has :math:`|Q|` units on, one per
    state, and the others at :math:`\sigma(0)` (1/2, not even saturated); the
    output (:math:`V h_1` sums :math:`\pm J` over the states) no longer follows the
    DFA: the even-a's SSRN started at 0 rejects "b".

    **tanh** (``activation="tanh"``): hidden values are -1/1 and
    :math:`h_{\tanh} = \mathcal B h_{\mathrm{sig}}` with
    :math:`\mathcal B = 2\,\mathrm{Id} - \mathbf 1\mathbf 1^\top` (:func:`tanh_basis`).
    For :math:`d \ne 2` the network is :math:`(U, W\mathcal B^{-1}, V\mathcal B^{-1}, 0, 0)`
    with :math:`\mathcal B^{-1}` from Property 1 (:func:`tanh_basis_inverse`),
    so every pre-activation equals the sigmoid network's; :math:`h_0 = \mathcal B e_0`,
    :math:`g = \tanh`, accept iff :math:`\hat y > 0`. For :math:`d = 2`,
    :math:`\mathcal B` is singular and the affine map
    :math:`h_{\mathrm{sig}} = (h_{\tanh} + \mathbf 1)/2` is used instead:
    :math:`(U, W/2, V/2, W\mathbf 1/2, V\mathbf 1/2)` (valid for every :math:`d`;
    the report's :math:`\mathcal B^{-1}` is kept for :math:`d \ne 2`).
    The output function of the SRN is the activation itself (``output="sigmoid"``
    or ``"tanh"``).

    Parameters
    ----------
    dfa
        A :class:`srnbook.DFA`.
    activation
        ``"sigmoid"`` (default) or ``"tanh"``.
    J
        The weight scale. ``None`` (default) picks the smallest one at which every
        hidden value and output is exactly a bound of :math:`\sigma` in ``dtype``,
        for every pre-activation the construction can produce:

        * sigmoid: the products in :math:`W h` are exact for one-hot :math:`h`, the
          pre-activations are exactly :math:`J, -J, -\mathrm{fl}(3J)` and
          :math:`\mathrm{fl}(2J - \mathrm{fl}(3J))`, and :math:`J` is the smallest
          float at which all of them saturate: :func:`saturating_scale`,
          88.72283935546875 in float32 and 709.7827128933841 in float64;
        * tanh: :math:`W\mathcal B^{-1} h` sums :math:`d` rounded nonzero terms in
          an order chosen by the BLAS (MKL changes it with the batch size), so the
          pre-activations are only within :math:`\rho J` of :math:`\pm J, -3J`, with
          :math:`\rho` Higham's bound for any summation order. ``J`` is the smallest
          float with :math:`J (1 - \rho) \ge` ``saturating_scale("tanh", dtype)``
          (9.010840 in float32): the smallest for which saturation is *guaranteed*
          whatever the batch shape. In float32 it is 9.010867 for the even-a's DFA
          (:math:`d = 4`), 9.0118 for :math:`d = 60`, 9.027 for :math:`d = 240` and
          17.2 for :math:`d = 4000` (the output row sums :math:`d` terms of size
          :math:`J/2`); in float64 it exceeds 19.061547 by less than :math:`10^{-7}` up to :math:`d = 4000`.
          The margin is not idle: at ``J = saturating_scale("tanh")`` exactly, some
          tanh networks leave hidden values a rounding error short of :math:`\pm 1`.

        An explicit ``J`` must stay nonzero in ``dtype``, and the sums the network
        computes, up to :math:`(3d + 2)J` (sigmoid) or :math:`(6d + 2)J` (tanh) in
        magnitude, must stay finite: a larger ``J`` is refused (in float32,
        ``J = 1.2e38`` gives :math:`3J = \infty`).
    dtype
        ``torch.float32`` (default) or ``torch.float64``. The network's
        :math:`d \times d` matrix :math:`W` is built in float64 first: a DFA whose
        :math:`W` would not fit in the package's memory limit is refused.

    Returns
    -------
    SSRN

    Examples
    --------
    >>> from srnbook.dfa import even_as
    >>> m = dfa_to_ssrn(even_as(), J=1.0)
    >>> m.srn.W
    Parameter containing:
    tensor([[-3., -3., -1., -1.],
            [-1., -1., -3., -3.],
            [-1., -1., -3., -3.],
            [-3., -3., -1., -1.]], requires_grad=True)
    >>> dfa_to_ssrn(even_as()).accepts(["", "a", "aba", "bab"]).tolist()
    [True, False, True, False]
    """
    dfa = _check_dfa(dfa)
    activation = _check_activation(activation)
    dtype = _check_dtype(dtype)
    n, k = dfa.delta.shape
    d = n * k
    if J is not None:
        J = _check_scale(J, d, activation, dtype)  # the scale as the network stores it
    entry = (17 if activation == "sigmoid" else 41) + torch.finfo(dtype).bits // 8  # float64 temporaries, W
    check_memory(entry * d * d, f"the {d} x {d} matrix W (d = {n} states x {k} letters) and its float64 "
                 "construction", "dfa")
    if J is None:
        J = _check_scale(_smallest_scale(dfa, activation, dtype), d, activation, dtype)
    U, W, V = _sigmoid_matrices(dfa, J)
    b, c = np.zeros(d), np.zeros(1)
    h0 = np.zeros(d)
    h0[0] = 1.0  # e_0: state q_0, letter 0
    if activation == "tanh":
        W, V, b, c = _tanh_parameters(W, V)
        h0 = 2 * h0 - 1  # B e_0
    output = activation  # g = sigma: "sigmoid" or "tanh"
    srn = SRN(k, d, 1, activation=activation, output=output, dtype=dtype)
    with torch.no_grad():
        for name, value in (("U", U), ("W", W), ("V", V), ("b", b), ("c", c)):
            getattr(srn, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return SSRN(srn, dfa, J, activation, torch.from_numpy(h0).to(dtype))


# ---------------------------------------------------------------------- SSRN -> DFA


class ExtractionError(ValueError):
    """The exploration of the states reachable from :math:`h_0` did not close within ``max_states``."""


def _check_alphabet(alphabet, size: int) -> tuple[str, ...]:
    """``alphabet`` as a tuple of ``size`` distinct non-empty strings (a bare string is refused)."""
    if isinstance(alphabet, str) or not isinstance(alphabet, (list, tuple)):
        raise ArgumentTypeError(f"alphabet must be a tuple or list of {size} symbols (strings), "
                                f"got {_shown(alphabet)}")
    alphabet = tuple(alphabet)
    if len(alphabet) != size:
        raise ValueError(f"alphabet must have {size} symbols (the input size), got {len(alphabet)}")
    if any(not isinstance(s, str) or not s for s in alphabet):
        raise ValueError(f"alphabet symbols must be non-empty strings, got {alphabet!r}")
    if len(set(alphabet)) != size:
        raise ValueError(f"alphabet has duplicate symbols: {alphabet!r}")
    return alphabet


def _resolve(model, alphabet, h0, threshold):
    """``(srn, alphabet, h0, threshold)`` for an SSRN or an SRN, checked: finite weights, an alphabet of
    ``u`` symbols, a finite ``h0`` of shape ``(d,)``, a finite ``threshold`` strictly inside the range of
    the output function (at or beyond a bound, acceptance is constant or hangs on exact saturation)."""
    if isinstance(model, SSRN):
        srn = model.srn
        if alphabet is None:
            alphabet = model.alphabet
        if h0 is None:
            h0 = model.h0
    elif isinstance(model, SRN):
        srn = model
        if alphabet is None:
            if srn.input_size > 26:
                raise ValueError(f"give an alphabet: the default (lowercase letters) has 26 symbols, "
                                 f"u = {srn.input_size}")
            alphabet = tuple(chr(ord("a") + j) for j in range(srn.input_size))
        if h0 is None:
            h0 = srn.W.new_zeros(srn.hidden_size)
    else:
        raise ArgumentTypeError(f"model must be an SSRN or a srnbook.SRN, got {_shown(model)}")
    _check_finite_weights(srn, "model")
    if srn.output_size != 1:
        raise ValueError(f"model must have output_size 1 (one acceptance score), got {srn.output_size}")
    if srn.output not in ("sigmoid", "tanh", "identity"):
        raise ValueError(f"model's output must be 'sigmoid', 'tanh' or 'identity', got {srn.output!r}")
    alphabet = _check_alphabet(alphabet, srn.input_size)
    h0 = check_tensor(h0, "h0", ndim=1, dtype=srn.W.dtype)
    if h0.shape[0] != srn.hidden_size:
        raise ValueError(f"h0 must have shape ({srn.hidden_size},), got {tuple(h0.shape)}")
    lo, hi = BOUNDS.get(srn.output, (None, None))
    if threshold is None:
        threshold = 0.5 if srn.output == "sigmoid" else 0.0
    threshold = check_float(threshold, "threshold", low=lo, high=hi, low_open=True, high_open=True)
    return srn, alphabet, h0, threshold


def _keys(H: Tensor) -> list[bytes]:
    """The exact bytes of each row of ``H``: two hidden vectors are one state iff they are bitwise equal."""
    return [row.tobytes() for row in H.contiguous().numpy()]


def ssrn_to_dfa(model, alphabet: Sequence[str] | None = None, h0: Tensor | None = None, *,
                max_states: int = 10_000, threshold: float | None = None) -> DFA:
    r"""The minimal DFA of an SRN whose hidden vectors reachable from :math:`h_0` are finitely many.

    A breadth-first search over hidden vectors: from a vector :math:`h` and letter
    :math:`j`, the next vector is :math:`\sigma(W h + U e_j + b)`, and two vectors are the
    same vector iff their bytes are equal in the model's precision. A vector accepts iff
    :math:`\hat y = g(V h + c)` exceeds ``threshold`` (default: 1/2 for a sigmoid output, 0
    otherwise, e.g. for a tanh SSRN).

    **States.** The *explored automaton* has one state per class of reachable vectors that
    accept alike and have bitwise-equal successors on every letter: such vectors accept the
    same words, so merging them is exact. In a compiled SSRN the :math:`|\Sigma|` vectors
    of one DFA state (one per last letter) are one state, and the explored automaton is the
    compiled DFA's reachable part. The DFA returned is its minimization
    (:meth:`DFA.minimize`), with at most as many states.

    The cost is close to one forward pass over the transitions the search discovers: each
    reachable vector is multiplied by :math:`W` once (the frontier in batches, one matrix
    product each), the :math:`|\Sigma|` successors of a vector come from one elementwise
    pass :math:`\sigma(W h + p_j)` over all letters, and vectors with bitwise-equal
    :math:`W h` share their successors (in a compiled sigmoid SSRN, the :math:`|\Sigma|`
    vectors of one DFA state do, so only :math:`|Q||\Sigma|` successors are computed). New
    vectors are found by hashing their bytes.

    Exactness caveat: :meth:`SRN.forward` computes :math:`W h_{t-1} + p_t` with one ``addmm``
    per step, which MKL may round differently from the product followed by the sum used here,
    and differently again with the number of rows; ``torch.sigmoid`` may round an element
    differently depending on its position in the tensor. These differences are a last-bit
    affair: a network whose hidden values are not all on the bounds of :math:`\sigma` is not a
    function of the bits of :math:`h` alone, and its extracted DFA may disagree with some
    forward passes. Saturated networks (every coordinate exactly on a bound, robustly) are
    extracted exactly.

    Parameters
    ----------
    model
        An :class:`SSRN` (its alphabet and :math:`h_0` are used) or an
        :class:`srnbook.SRN` with finite weights, output size 1 and output
        ``"sigmoid"``, ``"tanh"`` or ``"identity"`` (alphabet: the first :math:`u`
        lowercase letters; :math:`h_0 = 0`).
    alphabet, h0
        Override the defaults above: a tuple of :math:`u` distinct symbols, a finite
        vector of shape ``(d,)`` in the model's dtype.
    max_states
        The most states the explored automaton may have (see **States**; the DFA
        returned has at most as many): past it the exploration stops with
        :class:`ExtractionError`, whose message says how many states and hidden
        vectors were reached. Every vector but :math:`h_0` is a successor of a state, so
        about :math:`1 + |\Sigma|` ``max_states`` hidden vectors are explored at most.
    threshold
        Acceptance threshold on :math:`\hat y`: a finite number, strictly inside the range of
        the output function (:math:`(0, 1)` sigmoid, :math:`(-1, 1)` tanh).
    """
    srn, alphabet, h0, threshold = _resolve(model, alphabet, h0, threshold)
    max_states = check_positive_int(max_states, "max_states")

    def overflow(states: int, vectors: int) -> str:
        return (f"more than max_states={max_states} states are reachable from h0 ({states} states, "
                f"{vectors} distinct hidden vectors so far): the network may not be saturated; raise "
                "max_states if it should close")

    return _explore(srn, alphabet, h0, threshold, _keys, max_states, overflow, merge=True)


EXPLORE_ELEMENTS = 2**22  # hidden values computed per batch of the exploration (16 MiB in float32)


def _explore(srn: SRN, alphabet: tuple, h0: Tensor, threshold: float, keys, max_states: int,
             overflow, merge: bool = False) -> DFA:
    r"""Breadth-first search of the hidden vectors reachable from ``h0``, two vectors being one *key* iff
    ``keys`` gives them the same key; the first vector found with a key represents it. Returns the
    minimized DFA of the keys' transitions.

    The explored automaton's states, which ``max_states`` bounds, are the keys themselves, or, with
    ``merge``, the classes of keys that accept alike and go to the same keys on every letter (merging
    them is exact). Past ``max_states`` raises :class:`ExtractionError` with message ``overflow``, a
    string or a function of the number of states and of keys reached.

    The frontier is expanded in batches of representatives :math:`H` (:math:`m \times d`): one
    product :math:`A = H W^\top` per batch, so every key is multiplied by :math:`W` once. The
    successors of a row :math:`a` of :math:`A` on all letters, :math:`\sigma(a + p_j)` with
    :math:`p_j = U e_j + b`, are computed in one elementwise pass, and only for the rows not seen
    before: vectors with bitwise-equal :math:`W h` have the same successors (in a compiled SSRN the
    :math:`|\Sigma|` vectors of one DFA state do), so they share one expansion."""
    k, d = srn.input_size, srn.hidden_size
    rows = max(1, EXPLORE_ELEMENTS // (k * d))  # representatives per batch
    per_key = 2 * d * srn.W.element_size() + 200 + 40 * k  # its bytes in two dicts, its row of delta

    def fail(states: int):
        message = overflow(states, len(index)) if callable(overflow) else overflow
        raise ExtractionError(message)

    with torch.inference_mode():
        P = torch.addmm(srn.b, torch.eye(k, dtype=srn.W.dtype), srn.U.t())  # row j: U e_j + b
        W_t = srn.W.t()
        frontier = h0.reshape(1, -1).clone()
        index = {keys(frontier)[0]: 0}
        moves: dict[bytes, list[int]] = {}  # bytes of W h -> the keys reached on each letter
        delta, accepting, classes, outputs = [], [], {}, []
        while frontier.shape[0]:
            found = []
            for H in frontier.split(rows):
                drive = H @ W_t  # W h, one row per representative
                drive_keys = _keys(drive)
                y = OUTPUTS[srn.output](torch.addmm(srn.c, H, srn.V.t()))[:, 0]
                outputs.append(y)
                fresh, seen = [], set()  # rows whose W h is new: the first of each
                for row, key in enumerate(drive_keys):
                    if key not in moves and key not in seen:
                        seen.add(key)
                        fresh.append(row)
                if fresh:
                    successors = srn.activation.fn(drive[fresh][:, None, :] + P).reshape(-1, d)
                    targets, new = [], []
                    for row, key in enumerate(keys(successors)):  # row r k + j: fresh row r, letter j
                        q = index.get(key)
                        if q is None:
                            q = index[key] = len(index)
                            if not merge and q >= max_states:
                                fail(q + 1)
                            new.append(row)
                        targets.append(q)
                    for r, row in enumerate(fresh):
                        moves[drive_keys[row]] = targets[r * k:(r + 1) * k]
                    found.append(successors[new])
                for key, accepts in zip(drive_keys, (y > threshold).tolist()):
                    delta.extend(moves[key])
                    accepting.append(accepts)
                    if merge and classes.setdefault((tuple(moves[key]), accepts), len(classes)) >= max_states:
                        fail(len(classes))
            check_memory(len(index) * per_key, f"the {len(index)} hidden vectors explored so far",
                         "max_states")
            frontier = torch.cat(found) if found else frontier[:0]
        if not bool(torch.isfinite(torch.cat(outputs)).all()):  # a NaN or infinite entry of h makes y so
            raise ValueError("model: a hidden vector reachable from h0, or its output, has NaN or infinite "
                             "entries (the pre-activations overflow)")
    delta = np.array(delta, dtype=np.int64).reshape(-1, k)
    return DFA(delta, np.array(accepting, dtype=bool), alphabet).minimize()


# ---------------------------------------------------------------------- saturation and stability


def _hidden_states(model, words, h0) -> tuple[Tensor, str]:
    """All hidden states :math:`h_1, ..., h_T` at valid steps of ``words``, as an ``(N, d)`` tensor."""
    if isinstance(model, SSRN):
        if h0 is not None:
            raise ValueError(f"h0 must be None for an SSRN model (its own h0 is used), got {_shown(h0)}")
        return model._outputs_and_states(words)[1], model.activation
    if isinstance(model, SRN):
        _check_finite_weights(model, "model")
        name = model.activation.name
        if name not in BOUNDS:
            raise ValueError(f"model's activation must be 'sigmoid' or 'tanh' (Definition 2 needs a bounded one), "
                             f"got {name!r}")
        x = _check_word_inputs(model, words)
        with torch.inference_mode():
            h = model(x, h0=h0).h
        return h.reshape(-1, model.hidden_size), name
    raise ArgumentTypeError(f"model must be an SSRN or a srnbook.SRN, got {_shown(model)}")


def saturation(model, words, h0: Tensor | None = None) -> float:
    r"""The largest :math:`\beta` for which ``model`` is :math:`\beta`-saturated on ``words`` (Definition 2).

    :math:`\beta = m + \min_{t \ge 1,\, i} |h_t[i] - m|` over every hidden state of
    every word, :math:`m` the middle of :math:`\sigma`'s range (1/2 for the
    sigmoid, 0 for tanh); :math:`\beta = 1` iff every coordinate is exactly on a
    bound. ``model`` is an :class:`SSRN` (``words``: a list of words over its
    alphabet; empty words contribute nothing) or a :class:`srnbook.SRN` with
    sigmoid or tanh activation (``words``: a one-hot tensor ``(B, T, u)``,
    ``h0`` as in :meth:`SRN.forward`; an SSRN uses its own :math:`h_0`, and ``h0``
    must then be ``None``).
    """
    h, activation = _hidden_states(model, words, h0)
    if h.numel() == 0:
        raise ValueError("words must contain at least one non-empty word")
    return saturation_level(h, activation)


class Stability(NamedTuple):
    r"""The stability condition of section 7.1 for a :math:`\beta`-saturated SRN.

    ``norm_W`` is :math:`\|W\|_2`, the spectral norm; ``beta`` the saturation level
    :math:`\beta` used; ``beta_required`` the :math:`\beta` above which the condition
    holds (:math:`\sqrt{1 - 1/\|W\|}` for tanh; 0 (tanh) or 1/2 (sigmoid) when
    :math:`\|W\| \le 1` (tanh) or :math:`\le 4` (sigmoid), where any :math:`\beta` will
    do); ``contraction`` is :math:`\max \sigma' \cdot \|W\|_2` over :math:`\beta`-saturated
    states, :math:`(1 - \beta^2)\|W\|` (tanh) or :math:`\beta(1-\beta)\|W\|` (sigmoid);
    ``stable`` is ``contraction < 1``, i.e. ``beta > beta_required``.
    """

    norm_W: float
    beta: float
    beta_required: float
    contraction: float
    stable: bool


def stability_margin(model, beta: float | None = None, words=None) -> Stability:
    r"""Evaluate the condition :math:`\beta > \sqrt{1 - 1/\|W\|}` of section 7.1 (Mitarchuk et al. 2023, Theorem 3.3).

    :math:`\|W\|` is the spectral norm (the report's notation, appendix A). The
    condition says that the step :math:`h \mapsto \sigma(U x + W h + b)` is a
    contraction between states whose pre-activations are joined by a segment of
    :math:`\beta`-saturated values (same sign pattern; saturated endpoints alone do not
    suffice, since the segment between them may cross the steep middle): for tanh,
    :math:`\sigma'(a) = 1 - h^2 \le 1 - \beta^2` when :math:`|h| \ge \beta`, so the
    step is :math:`(1 - \beta^2)\|W\|`-Lipschitz, below 1 iff
    :math:`\beta > \sqrt{1 - 1/\|W\|}`. The sigmoid analogue uses
    :math:`\sigma' = h(1 - h) \le \beta(1 - \beta)` when :math:`|h - 1/2| \ge \beta - 1/2`:
    stable iff :math:`\beta(1 - \beta)\|W\| < 1`, i.e.
    :math:`\beta > \tfrac12 (1 + \sqrt{1 - 4/\|W\|})`.

    ``model`` is an :class:`SSRN` or a :class:`srnbook.SRN` with finite weights; ``beta``
    is given (a number in :math:`[m, \sigma_+]`), or measured with :func:`saturation` on
    ``words``: give one of the two, not both.
    """
    if isinstance(model, SSRN):
        srn, activation = model.srn, model.activation
    elif isinstance(model, SRN):
        srn, activation = model, model.activation.name
        if activation not in BOUNDS:
            raise ValueError(f"model's activation must be 'sigmoid' or 'tanh', got {activation!r}")
    else:
        raise ArgumentTypeError(f"model must be an SSRN or a srnbook.SRN, got {_shown(model)}")
    _check_finite_weights(srn, "model")
    if (beta is None) == (words is None):
        given = "both" if words is not None else "neither"
        raise ValueError(f"give beta or words (to measure beta on), not {given}: "
                         f"got beta={_shown(beta)} and words={_shown(words)}")
    lo, hi = BOUNDS[activation]
    if beta is None:
        beta = saturation(model, words)
    beta = check_float(beta, "beta", low=(lo + hi) / 2, high=hi)
    check_memory(4 * 8 * srn.hidden_size ** 2, f"the singular values of the {srn.hidden_size} x "
                 f"{srn.hidden_size} matrix W", "model")
    with torch.no_grad():
        norm = float(torch.linalg.matrix_norm(srn.W.detach().double(), ord=2))
    if activation == "tanh":
        required = math.sqrt(1 - 1 / norm) if norm > 1 else 0.0
        contraction = (1 - beta**2) * norm
    else:
        required = 0.5 * (1 + math.sqrt(1 - 4 / norm)) if norm > 4 else 0.5
        contraction = beta * (1 - beta) * norm
    return Stability(norm, float(beta), required, contraction, contraction < 1)


# ---------------------------------------------------------------------- noise experiment


class NoisePoint(NamedTuple):
    """One point of :func:`noise_robustness`: the noise level, the agreement with the DFA and the measured β."""

    sigma: float
    agreement: float
    beta: float


def noise_robustness(dfa: DFA, activation: str = "sigmoid", J: float | None = None, sigmas=(0.0, 0.1, 0.3, 1.0),
                     words=(), seed: int = 0, dtype: torch.dtype = torch.float32) -> list[NoisePoint]:
    r"""How the SSRN of ``dfa`` tolerates Gaussian noise on all its weights (section 7.1).

    One standard Gaussian draw :math:`N` (seeded) per parameter entry of
    ``dfa_to_ssrn(dfa, activation, J, dtype)``; for each :math:`s` in ``sigmas``
    the network :math:`P + sJ\,N` is evaluated (every entry of :math:`U, W, V, b, c`
    gets noise of standard deviation :math:`sJ`). ``sigmas`` is relative to the
    scale :math:`J`, so that sigmoid and tanh networks (whose :math:`J` differ
    tenfold) are compared at equal relative perturbation, and the noise keeps its
    direction as :math:`s` grows. The noisy network keeps :math:`h_0` and reads out
    as the SSRN does. Returns, per :math:`s`, the fraction of ``words`` (a list
    with at least one non-empty word) on which it agrees with the DFA, and its
    saturation :math:`\beta` on them (:func:`saturation`). ``sigmas`` is a nonempty
    list or 1-D array of nonnegative numbers whose noise stays finite in ``dtype``.
    """
    seed = check_seed(seed)
    sigmas = check_float_sequence(_as_list(sigmas), "sigmas", low=0)
    model = dfa_to_ssrn(dfa, activation, J, dtype)
    words = _check_words(words)
    _codes(dfa, words, nonempty=True)
    truth = dfa.accepts_many(words)
    generator = torch.Generator().manual_seed(seed)
    noise = [torch.randn(p.shape, generator=generator, dtype=torch.float64) for p in model.srn.parameters()]
    largest = max(float(n.abs().max()) for n in noise)
    d, top = model.srn.hidden_size, torch.finfo(dtype).max
    for i, s in enumerate(sigmas):  # the noisy sums stay below growth J + (d + 2) s J max|N|
        if model.J * (_growth(d, model.activation) + (d + 2) * s * largest) > top:
            raise ValueError(f"sigmas[{i}] = {s!r} is too large: noise of {s!r} J = {s * model.J:.3g} "
                             f"makes the network's sums overflow {dtype}")
    points = []
    for s in sigmas:
        noisy = copy.copy(model)
        noisy.srn = copy.deepcopy(model.srn)
        with torch.no_grad():
            for p, n in zip(noisy.srn.parameters(), noise):
                p.add_((n * (s * model.J)).to(p.dtype))
        y, h = noisy._outputs_and_states(words)  # one forward pass for both measurements
        agreement = float(((y > noisy.threshold).numpy() == truth).mean())
        points.append(NoisePoint(float(s), agreement, saturation_level(h, model.activation)))
    return points


# ---------------------------------------------------------------------- the chapter's measurements


def _as_list(values):
    """A 1-D NumPy array as a list (for :func:`check_float_sequence`); anything else unchanged."""
    return values.tolist() if isinstance(values, np.ndarray) and values.ndim == 1 else values


def random_words(dfa: DFA, n: int, max_length: int, seed: int = 0) -> list[tuple[str, ...]]:
    """``n`` words over ``dfa``'s alphabet with lengths uniform in ``[1, max_length]`` and uniform letters (seeded)."""
    dfa = _check_dfa(dfa)
    n = check_positive_int(n, "n")
    max_length = check_positive_int(max_length, "max_length")
    seed = check_seed(seed)
    _word_budget(n, max_length, "n", "max_length")
    rng = np.random.default_rng(seed)
    symbols = np.array(dfa.alphabet, dtype=object)
    return [tuple(symbols[rng.integers(0, dfa.n_symbols, size=L)].tolist())
            for L in rng.integers(1, max_length + 1, size=n)]


class SweepPoint(NamedTuple):
    """One point of :func:`scale_sweep`: the scale, the exact distance to saturation
    (:func:`srnbook.saturation.saturation_gap`), the agreement with the DFA."""

    J: float
    gap: float
    agreement: float
    saturating_J: float


def scale_sweep(dfa: DFA, scales, words, activations=SSRN_ACTIVATIONS,
                dtype: torch.dtype = torch.float32) -> dict[str, list[SweepPoint]]:
    r"""The SSRN of ``dfa`` at each scale :math:`J` in ``scales``, per activation: the
    largest distance of a hidden value to the nearest bound of :math:`\sigma` over
    ``words`` (0 iff exactly saturated; :math:`\sigma_+ - \beta` in Definition 2) and the
    share of ``words`` it classifies as the DFA does. ``scales``: a nonempty list or 1-D
    array of scales, each valid for :func:`dfa_to_ssrn`; ``activations``: a nonempty
    tuple of distinct names; ``words``: a list with at least one non-empty word."""
    dfa = _check_dfa(dfa)
    dtype = _check_dtype(dtype)
    if isinstance(activations, str) or not isinstance(activations, (list, tuple)):
        raise ArgumentTypeError(f"activations must be a tuple or list of names from {SSRN_ACTIVATIONS}, "
                                f"got {_shown(activations)}")
    activations = [check_choice(a, f"activations[{i}]", SSRN_ACTIVATIONS) for i, a in enumerate(activations)]
    if not activations or len(set(activations)) != len(activations):
        raise ValueError(f"activations must be a nonempty tuple of distinct names, got {activations!r}")
    scales = check_float_sequence(_as_list(scales), "scales", low=0, low_open=True)
    d = dfa.n_states * dfa.n_symbols
    for activation in activations:
        for i, J in enumerate(scales):
            _check_scale(J, d, activation, dtype, f"scales[{i}]")
    words = _check_words(words)
    _codes(dfa, words, nonempty=True)
    truth = dfa.accepts_many(words)
    sweep = {}
    for activation in activations:
        saturating = saturating_scale(activation, dtype)
        rows = []
        for J in scales:
            model = dfa_to_ssrn(dfa, activation, J=J, dtype=dtype)
            y, h = model._outputs_and_states(words)  # one forward pass for both measurements
            rows.append(SweepPoint(float(J), saturation_gap(h, activation),
                                   float(((y > model.threshold).numpy() == truth).mean()), saturating))
        sweep[activation] = rows
    return sweep


def check_round_trip(dfa: DFA, activation: str = "sigmoid", n_words: int = 200, max_length: int = 100,
                     seed: int = 0, dtype: torch.dtype = torch.float32) -> dict:
    r"""Compile ``dfa`` at the saturating scale, run it on random words, and extract it back.

    Returns ``states`` (:math:`|Q|`), ``agree`` (``.accepts`` equals the DFA on every
    word), ``one_hot`` (every hidden value exactly on a bound:
    :func:`srnbook.saturation.saturation_gap` is 0) and ``round_trip`` (``ssrn_to_dfa``
    of the network is equivalent to ``dfa`` with as many states as ``dfa.minimize()``).
    """
    dfa = _check_dfa(dfa)
    n_words = check_positive_int(n_words, "n_words")
    max_length = check_positive_int(max_length, "max_length")
    seed = check_seed(seed)
    _word_budget(n_words, max_length, "n_words", "max_length")
    model = dfa_to_ssrn(dfa, activation, dtype=dtype)
    words = random_words(dfa, n_words, max_length, seed)
    back = ssrn_to_dfa(model)
    y, h = model._outputs_and_states(words)  # one forward pass for both checks
    return {
        "states": dfa.n_states,
        "agree": bool(((y > model.threshold).numpy() == dfa.accepts_many(words)).all()),
        "one_hot": saturation_gap(h, activation) == 0.0,
        "round_trip": back.equivalent(dfa) is None and back.n_states == dfa.minimize().n_states,
    }
