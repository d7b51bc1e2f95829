r"""Memory in outer products: the linear associator, Hebb's and Oja's rules, the Hopfield network.

Wayman & Mathew (report on fast weights, sections 4 and 8, following Haykin 2009)
introduce associative memory as the storage of *key* -> *value* pairs in a matrix built
from outer products -- "the generalization of Hebb's postulate of learning", in Haykin's
words -- relate it to Hebb's rule, and announce the Hopfield network as the
autoassociative case. This
module makes each step computable.

**The linear associator** (Anderson 1972; Kohonen 1972; the seed's section 4.1, after
Anderson 1995). Keys :math:`f_i \in \mathbb{R}^{d_f}` and values :math:`g_i \in \mathbb{R}^{d_g}`
are stored in

.. math::

    A = \eta \sum_{i=1}^{n} g_i f_i^\top, \qquad
    A f_j = \eta \Bigl( \underbrace{g_j\, (f_j^\top f_j)}_{\text{signal}}
          + \underbrace{\textstyle\sum_{i \ne j} g_i\, (f_i^\top f_j)}_{\text{crosstalk}} \Bigr),

so recall is exact (:math:`A f_j = g_j`, with :math:`\eta = 1`) when the keys are
orthonormal, and the *crosstalk* of correlated keys is the price of superposition.

* :func:`associator`, :func:`recall` -- :math:`A` and :math:`A f`;
* :func:`crosstalk` -- signal, crosstalk and recall error of every stored pair;
* :func:`correlated_keys` -- unit keys with a prescribed pairwise correlation.

**Hebbian learning** (Hebb 1949; Oja 1982). A linear neuron :math:`y = w^\top x` with
Hebb's rule :math:`\Delta w = \eta\, y\, x` grows without bound along the top eigenvector
of the input correlation matrix :math:`C = \mathbb{E}[x x^\top]`; Oja's rule
:math:`\Delta w = \eta\, y\, (x - y\, w)` converges to that eigenvector with unit norm.

* :func:`gaussian_inputs` -- seeded zero-mean inputs with a given :math:`C`;
* :func:`hebb`, :func:`oja` -- the two rules on a sequence of inputs;
* :func:`hebb_flow`, :func:`oja_flow` -- their averaged (continuous-time) forms, in closed form.

All four return a :class:`Learning`: the weight trajectory, its norm and its alignment
with the top eigenvector, on one time axis :math:`t = \eta k`.

**The Hopfield network** (Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985; Hertz,
Krogh & Palmer 1991, ch. 2). :math:`N` binary units :math:`s_i \in \{-1, +1\}` store
:math:`P` patterns :math:`\xi^\mu` in :math:`W = \frac1N \sum_\mu \xi^\mu \xi^{\mu\top}`
(zero diagonal), and recall by :math:`s_i \leftarrow \operatorname{sgn}(\sum_j W_{ij} s_j + b_i)`.

* :func:`random_patterns`, :func:`hopfield_weights`, :func:`hopfield_energy`, :func:`overlap`;
* :func:`synchronous`, :func:`asynchronous` -- recall dynamics, returning a :class:`Recall`;
* :func:`corrupt` -- flip a given fraction of the bits of a pattern;
* :func:`bit_error_probability` -- the crosstalk estimate
  :math:`P_{error} = \tfrac12 \operatorname{erfc}\bigl(1/\sqrt{2\alpha}\bigr)` at load :math:`\alpha = P/N`;
* :func:`capacity_curve` -- measured retrieval against the load, with the collapse near
  :math:`\alpha_c \approx 0.138`.

Notation. The book's :math:`W` is the recurrent matrix of the SRN (Definition 1); the
Hopfield network is such a recurrent network (with :math:`\sigma = \operatorname{sgn}`, no
input), and its :math:`W` and bias :math:`b` are the book's. Keys, values and the Hebbian
neuron are not recurrent: they keep the seed's letters :math:`f, g, A, w`.

Remarks on the seed (Wayman & Mathew, sections 4.1 and 8). With thanks for a clear
introduction, four points need care:

1. In the recall of :math:`f_j` from :math:`A = \sum_i g_i f_i^\top` the seed writes
   :math:`\sum_{k \ne j} g_k f_k^\top f_j + \eta\, g_j \propto g_j`. The factor :math:`\eta`
   belongs to the single-pair example :math:`A = \eta g f^\top`, not to this sum; the last
   term is :math:`g_j (f_j^\top f_j) = \|f_j\|^2 g_j`; and the sum over :math:`k \ne j` --
   the crosstalk -- is zero only because the keys are orthogonal, which the display leaves
   implicit. It is exactly the term that survives for correlated keys (:func:`crosstalk`).
2. From :math:`y_i = \sum_j w_{ij} x_j`, :math:`\Delta w_{ij} = \alpha x_j y_i` the seed derives
   :math:`\frac{d}{dt} W = C W`. With :math:`y = W x` the rule is
   :math:`\Delta W = \alpha\, y x^\top = \alpha\, W x x^\top`, so the limit is
   :math:`\frac{d}{dt} W = W C`; the seed's matrix display, which lays out
   :math:`dw_{ij}/dt` in row :math:`j`, column :math:`i`, is correct and reads
   :math:`\frac{d}{dt} W^\top = C W^\top` (each neuron's weight vector obeys
   :math:`\dot w = C w`). Moreover a single step gives the rank-one
   :math:`x x^\top` of the current input, not a fixed :math:`C`: the linear ODE holds
   for the *average* over inputs, :math:`C = \mathbb{E}[x x^\top]`, in the limit of slow
   learning (the averaging argument of Oja 1982).
3. "The simple example of autoassociative memory would correspond to the weights matrix
   initially being the zero matrix and having only one update": with
   :math:`y = W x` and :math:`W = 0` the rule never moves (:math:`y = 0`). The associator
   is Hebb's rule with the output *clamped* to the value, :math:`\Delta A = \eta\, g f^\top`.
   The example of section 4.1 is heteroassociative (key :math:`f`, value :math:`g`); it is
   autoassociative when :math:`g_i = f_i`.
4. Section 8 is still a stub. It presents the Hopfield network as "an application of the
   additive model of the neuron", which fits the graded-response network of Hopfield
   (1984) (treated in :mod:`srnbook.stability`); the associative memory studied here is
   the earlier network of two-state units (Hopfield 1982), its high-gain limit. The
   section cites Yegnanarayana (2004), who is missing from the reference list.

References
----------
* Amit, D. J., Gutfreund, H. & Sompolinsky, H. (1985). Storing infinite numbers of patterns
  in a spin-glass model of neural networks. *Physical Review Letters* 55(14), 1530-1533.
  doi:10.1103/PhysRevLett.55.1530
* Anderson, J. A. (1972). A simple neural network generating an interactive memory.
  *Mathematical Biosciences* 14(3-4), 197-220. doi:10.1016/0025-5564(72)90075-2
* Anderson, J. A. (1995). *An Introduction to Neural Networks*. MIT Press, Cambridge, MA.
* Bruck, J. (1990). On the convergence properties of the Hopfield model.
  *Proceedings of the IEEE* 78(10), 1579-1585.
* Fyfe, C. (2000). *Artificial Neural Networks and Information Theory*, edition 1.2
  (lecture notes; cited by Wayman & Mathew for Hebb's rule).
* Goles-Chacc, E., Fogelman-Soulie, F. & Pellegrin, D. (1985). Decreasing energy functions
  as a tool for studying threshold networks. *Discrete Applied Mathematics* 12(3), 261-277.
* Haykin, S. (2009). *Neural Networks and Learning Machines*, 3rd ed. Pearson Education,
  Upper Saddle River, NJ.
* Hebb, D. O. (1949). *The Organization of Behavior: A Neuropsychological Theory*. Wiley, New York.
* Hertz, J., Krogh, A. & Palmer, R. G. (1991). *Introduction to the Theory of Neural
  Computation*. Santa Fe Institute Studies in the Sciences of Complexity, Lecture Notes
  vol. 1. Addison-Wesley, Redwood City, CA.
* Hopfield, J. J. (1982). Neural networks and physical systems with emergent collective
  computational abilities. *Proceedings of the National Academy of Sciences of the USA*
  79(8), 2554-2558. doi:10.1073/pnas.79.8.2554
* Kohonen, T. (1972). Correlation matrix memories. *IEEE Transactions on Computers*
  C-21(4), 353-359. doi:10.1109/TC.1972.5008975
* McEliece, R. J., Posner, E. C., Rodemich, E. R. & Venkatesh, S. S. (1987). The capacity of
  the Hopfield associative memory. *IEEE Transactions on Information Theory* 33(4), 461-482.
  doi:10.1109/TIT.1987.1057328
* Oja, E. (1982). Simplified neuron model as a principal component analyzer.
  *Journal of Mathematical Biology* 15(3), 267-273. doi:10.1007/BF00275687
* Wayman, E. A. & Mathew, A. CSE847 project intermediate report: an analysis and
  verification of the efficacy of using Fast Weights with RNNs. Michigan State University.

Work in ``torch.float64``: the Hopfield dynamics compare local fields with zero.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ._validation import (ArgumentTypeError, check_choice, check_dtype, check_float, check_float_sequence,
                          check_instance, check_int, check_memory, check_positive_float, check_positive_int,
                          check_seed, check_tensor)

Tensor = torch.Tensor
F64 = torch.float64

__all__ = [
    "Crosstalk",
    "Learning",
    "Recall",
    "Capacity",
    "associator",
    "recall",
    "crosstalk",
    "correlated_keys",
    "gaussian_inputs",
    "hebb",
    "oja",
    "hebb_flow",
    "oja_flow",
    "random_patterns",
    "hopfield_weights",
    "hopfield_energy",
    "overlap",
    "synchronous",
    "asynchronous",
    "corrupt",
    "bit_error_probability",
    "capacity_curve",
    "plot_crosstalk",
    "plot_hebb_oja",
    "plot_pattern_rows",
    "plot_energy_descent",
    "plot_capacity",
    "plot_recall_frame",
]

#: A 2-D input correlation matrix for the Hebb/Oja examples: eigenvalues 3 (along
#: :math:`(1, 1)/\sqrt2`) and 1 (along :math:`(1, -1)/\sqrt2`).
DEFAULT_CORRELATION = ((2.0, 1.0), (1.0, 2.0))

#: The retrieval capacity of the Hopfield network for large :math:`N` (Amit, Gutfreund &
#: Sompolinsky 1985): retrieval states exist for :math:`\alpha = P/N < \alpha_c`.
ALPHA_C = 0.138

#: The default loads of :func:`capacity_curve`: 0.025, 0.05, ..., 0.3.
DEFAULT_ALPHAS = tuple(round(0.025 * k, 3) for k in range(1, 13))


# ---------------------------------------------------------------------- checks


def _check_fraction(value, name: str) -> float:
    return check_float(value, name, low=0, high=1)


def _check_matrix(M, name: str, *, square: bool = False) -> Tensor:
    M = check_tensor(M, name, ndim=2)
    if M.shape[0] == 0 or M.shape[1] == 0 or (square and M.shape[0] != M.shape[1]):
        kind = "a square (N, N)" if square else "a nonempty 2-D"
        raise ValueError(f"{name} must be {kind} matrix, got shape {tuple(M.shape)}")
    return M


def _check_vector(v, name: str, like: Tensor, like_name: str) -> Tensor:
    """A vector with one entry per column of ``like``, in its dtype."""
    v = check_tensor(v, name, ndim=1)
    n = like.shape[-1]
    if v.shape != (n,) or v.dtype != like.dtype:
        raise ValueError(f"{name} must have shape ({n},) and the dtype of {like_name} ({like.dtype}), "
                         f"got shape {tuple(v.shape)} and dtype {v.dtype}")
    return v


def _check_correlation(C) -> Tensor:
    C = _check_matrix(C, "C", square=True)
    values = C.detach()
    scale = float(values.abs().max()) or 1.0
    if float((values - values.T).abs().max()) > 1e-12 * scale:
        raise ValueError("C must be symmetric (a correlation matrix E[x x^T])")
    if float(torch.linalg.eigvalsh((values + values.T) / 2).min()) < -1e-12 * scale:
        raise ValueError("C must be positive semidefinite (a correlation matrix E[x x^T])")
    return (C + C.T) / 2


def _check_spins(s, name: str, *, ndim, like: Tensor | None = None, like_name: str = "") -> Tensor:
    r"""States of :math:`\pm 1` units; with ``like``, as many units as its last dimension, in its dtype."""
    s = check_tensor(s, name, ndim=ndim)
    if s.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(s.shape)}")
    if like is not None and (s.shape[-1] != like.shape[-1] or s.dtype != like.dtype):
        raise ValueError(f"{name} must have {like.shape[-1]} units in its last dimension and the dtype of "
                         f"{like_name} ({like.dtype}), got shape {tuple(s.shape)} and dtype {s.dtype}")
    if not bool((s.abs() == 1).all()):
        raise ValueError(f"{name} must contain only -1 and +1 (binary units)")
    return s


def _check_hopfield(W, b) -> tuple[Tensor, Tensor]:
    W = _check_matrix(W, "W", square=True)
    n = W.shape[0]
    b = torch.zeros(n, dtype=W.dtype) if b is None else _check_vector(b, "b", W, "W")
    return W, b


# ---------------------------------------------------------------------- the linear associator


def associator(keys: Tensor, values: Tensor, eta: float = 1.0) -> Tensor:
    r"""The outer-product memory :math:`A = \eta \sum_i g_i f_i^\top` of Anderson (1972) and Kohonen (1972).

    ``keys`` is ``(n, d_f)`` with the key :math:`f_i` in row :math:`i`, ``values`` is
    ``(n, d_g)`` with the value :math:`g_i` in row :math:`i`; the result is the
    ``(d_g, d_f)`` matrix :math:`A = \eta\, G^\top F` (Wayman & Mathew, section 4.1, after
    Anderson 1995). It is Hebb's rule with the output clamped to the value: one step
    :math:`\Delta A = \eta\, g_i f_i^\top` per pair, starting from :math:`A = 0`.
    ``eta > 0``; a memory that overflows the dtype is refused.
    """
    keys, values = _check_pairs(keys, values)
    eta = check_positive_float(eta, "eta")
    A = eta * values.T @ keys
    if not bool(torch.isfinite(A).all()):
        raise ValueError(f"eta = {eta!r} makes the memory A overflow {keys.dtype}")
    return A


def _check_pairs(keys, values) -> tuple[Tensor, Tensor]:
    keys = _check_matrix(keys, "keys")
    values = _check_matrix(values, "values")
    (n, d_f), d_g = keys.shape, values.shape[1]
    check_memory(2 * (d_g * d_f + n * (n + d_g)) * keys.element_size(), "the memory A and the Gram matrix",
                 "keys and values")
    if values.shape[0] != keys.shape[0] or values.dtype != keys.dtype:
        raise ValueError(f"values must have one row per key ({keys.shape[0]}) and the dtype of keys "
                         f"({keys.dtype}), got shape {tuple(values.shape)} and dtype {values.dtype}")
    return keys, values


def recall(A: Tensor, key: Tensor) -> Tensor:
    r"""Recall :math:`A f` from the memory ``A`` (``(d_g, d_f)``) for a key ``(d_f,)`` or a batch ``(m, d_f)``.

    For orthonormal keys and :math:`\eta = 1`, :math:`A f_j = g_j` exactly (see :func:`crosstalk`).
    """
    A = _check_matrix(A, "A")
    key = check_tensor(key, "key", ndim=(1, 2))
    if key.shape[-1] != A.shape[1] or key.numel() == 0 or key.dtype != A.dtype:
        raise ValueError(f"key must have {A.shape[1]} components (the columns of A) and the dtype of A "
                         f"({A.dtype}), got shape {tuple(key.shape)} and dtype {key.dtype}")
    return key @ A.T


class Crosstalk(NamedTuple):
    r"""The recall of every stored pair of :math:`A = \sum_i g_i f_i^\top`, split as in section 4.1.

    Row :math:`j` of each attribute is about the recall of pair :math:`j`.

    Attributes
    ----------
    recalled: ``(n, d_g)`` :math:`A f_j`.
    signal: ``(n, d_g)`` :math:`g_j\, (f_j^\top f_j)`.
    crosstalk: ``(n, d_g)`` :math:`\sum_{i \ne j} g_i\, (f_i^\top f_j)`; ``recalled = signal + crosstalk``.
    error: ``(n,)`` the recall error :math:`\|A f_j - g_j\|_2` (for unit keys, the norm of the crosstalk).
    """

    recalled: Tensor
    signal: Tensor
    crosstalk: Tensor
    error: Tensor


def crosstalk(keys: Tensor, values: Tensor) -> Crosstalk:
    r"""Signal, crosstalk and error of recalling each stored pair from :math:`A = \sum_i g_i f_i^\top`.

    With the Gram matrix :math:`K_{ij} = f_i^\top f_j` of the keys,

    .. math::

        A f_j = \sum_i g_i\, K_{ij} = g_j K_{jj} + \sum_{i \ne j} g_i K_{ij}.

    For orthonormal keys :math:`K = I`: no crosstalk and exact recall. For unit keys with
    pairwise correlation :math:`c` (:func:`correlated_keys`) the crosstalk is
    :math:`c \sum_{i \ne j} g_i`, of norm :math:`c \sqrt{n - 1}` when the values are orthonormal.
    """
    keys, values = _check_pairs(keys, values)
    A = associator(keys, values)
    gram = keys @ keys.T
    diag = gram.diagonal()
    signal = diag.unsqueeze(1) * values
    cross = (gram - torch.diag(diag)) @ values  # K is symmetric: row j is sum_i K_ji g_i
    recalled = keys @ A.T
    return Crosstalk(recalled, signal, cross, torch.linalg.vector_norm(recalled - values, dim=1))


def correlated_keys(n: int, d: int, correlation: float, seed: int = 0, dtype: torch.dtype = F64) -> Tensor:
    r"""``n`` unit keys in :math:`\mathbb{R}^d` (rows) with every pairwise inner product equal to ``correlation``.

    The Gram matrix :math:`K = (1 - c) I + c\, \mathbf{1}\mathbf{1}^\top` has eigenvalues
    :math:`1 - c` and :math:`1 + (n-1) c`, so it is a Gram matrix exactly when
    :math:`-1/(n-1) \le c \le 1`. The keys are :math:`F = K^{1/2} Q^\top`, with the
    symmetric square root

    .. math:: K^{1/2} = \sqrt{1-c}\, I + \frac{\sqrt{1+(n-1)c} - \sqrt{1-c}}{n}\, \mathbf{1}\mathbf{1}^\top

    and :math:`Q` a ``(d, n)`` random orthonormal frame (seeded); hence :math:`d \ge n`.
    ``correlation = 0`` gives orthonormal keys. ``dtype`` is a floating-point dtype.
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    if d < n:
        raise ValueError(f"d must be at least n = {n} to fit the keys, got {d}")
    dtype = check_dtype(dtype)
    check_memory(4 * d * n * torch.finfo(dtype).bits // 8, "the keys", "d")
    c = check_float(correlation, "correlation", low=-1.0 / (n - 1) if n > 1 else -1.0, high=1)
    generator = torch.Generator().manual_seed(check_seed(seed))
    Q, _ = torch.linalg.qr(torch.randn(d, n, generator=generator, dtype=dtype))
    root = math.sqrt(1 - c) * torch.eye(n, dtype=dtype) \
        + (math.sqrt(max(1 + (n - 1) * c, 0.0)) - math.sqrt(1 - c)) / n * torch.ones(n, n, dtype=dtype)
    return root @ Q.T


# ---------------------------------------------------------------------- Hebb and Oja


class Learning(NamedTuple):
    r"""A weight trajectory of a linear neuron :math:`y = w^\top x` under a Hebbian rule.

    Attributes
    ----------
    t: ``(K+1,)`` times: :math:`t_k = \eta k` after :math:`k` inputs for :func:`hebb` and
        :func:`oja`, the given times for the flows (one axis for both).
    w: ``(K+1, n)`` the weights :math:`w(t_k)`.
    norm: ``(K+1,)`` :math:`\|w(t_k)\|_2`.
    alignment: ``(K+1,)`` :math:`|\cos \angle(w, u_1)| = |u_1^\top w| / \|w\|` (the sign of
        an eigenvector is arbitrary).
    eigenvalues: ``(n,)`` the eigenvalues of :math:`C`, largest first.
    eigenvector: ``(n,)`` the unit top eigenvector :math:`u_1` of :math:`C`.
    """

    t: Tensor
    w: Tensor
    norm: Tensor
    alignment: Tensor
    eigenvalues: Tensor
    eigenvector: Tensor


def _learning(t: Tensor, w: Tensor, C: Tensor) -> Learning:
    eigenvalues, U = torch.linalg.eigh(C)
    u1 = U[:, -1]
    norm = torch.linalg.vector_norm(w, dim=1)
    alignment = (w @ u1).abs() / norm
    return Learning(t, w, norm, alignment, eigenvalues.flip(0), u1)


def gaussian_inputs(samples: int, C=DEFAULT_CORRELATION, seed: int = 0) -> Tensor:
    r"""``samples`` independent inputs :math:`x \sim \mathcal{N}(0, C)`, as rows of a ``(samples, n)`` tensor.

    ``C`` (a tensor, or nested sequences of numbers; default :data:`DEFAULT_CORRELATION`)
    is the correlation matrix :math:`\mathbb{E}[x x^\top]` (the inputs have zero mean, so
    it is also their covariance). :math:`x = U \Lambda^{1/2} z` with :math:`C = U \Lambda U^\top`
    and :math:`z \sim \mathcal{N}(0, I)`, so a singular :math:`C` is allowed.
    """
    samples = check_positive_int(samples, "samples")
    if not isinstance(C, torch.Tensor):
        try:
            C = torch.tensor(C, dtype=F64)
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(f"C must be a square matrix of numbers, got {C!r}") from None
    C = _check_correlation(C)
    check_memory(2 * samples * C.shape[0] * C.element_size(), "the inputs", "samples")
    generator = torch.Generator().manual_seed(check_seed(seed))
    eigenvalues, U = torch.linalg.eigh(C)
    root = U * eigenvalues.clamp(min=0).sqrt()
    return torch.randn(samples, C.shape[0], generator=generator, dtype=C.dtype) @ root.T


def _check_rule(x, w0, eta) -> tuple[Tensor, Tensor, float]:
    x = _check_matrix(x, "x")
    w0 = _check_vector(w0, "w0", x, "x")
    if not bool(w0.any()):
        raise ValueError("w0 must be nonzero (a zero weight vector never learns under these rules)")
    return x, w0, check_positive_float(eta, "eta")


def _finite_weights(w: Tensor, rule: str, eta: float) -> Tensor:
    """``w`` ``(K+1, n)`` if finite; else the error of a run that overflowed."""
    bad = ~torch.isfinite(w).all(1)
    if bool(bad.any()):
        k = int(bad.nonzero()[0])
        raise ValueError(f"{rule}'s weights overflow {w.dtype} after {k} inputs x with eta = {eta!r}: "
                         f"use fewer inputs or a smaller eta")
    return w


def hebb(x: Tensor, w0: Tensor, eta: float = 0.001) -> Learning:
    r"""Hebb's rule (Hebb 1949) for one linear neuron, on the inputs ``x`` (``(K, n)``, one per row).

    .. math:: y_k = w_k^\top x_k, \qquad w_{k+1} = w_k + \eta\, y_k\, x_k .

    (For a layer :math:`y = W x` the rule is :math:`\Delta W = \eta\, y x^\top`, this update
    for each row.) Averaged over inputs with correlation :math:`C = \mathbb{E}[x x^\top]`,
    :math:`\mathbb{E}[w_{k+1} \mid w_k] = (I + \eta C) w_k`: in the time :math:`t = \eta k`
    this is the flow :math:`\dot w = C w` of :func:`hebb_flow`, whose norm grows like
    :math:`e^{\lambda_1 t}` along the top eigenvector :math:`u_1`. Nothing bounds it: the
    weights overflow if the run is long enough (Wayman & Mathew, section 4.1, after Fyfe 2000):
    such a run is refused (a ``ValueError``) rather than returned with infinite weights.

    The eigenvectors of the returned :class:`Learning` are those of the sample
    correlation :math:`\hat C = \frac1K \sum_k x_k x_k^\top`, the matrix the rule sees.
    """
    x, w, eta = _check_rule(x, w0, eta)
    out = [w]
    for xk in x:
        w = w + eta * (w @ xk) * xk
        out.append(w)
    t = eta * torch.arange(len(out), dtype=x.dtype)
    return _learning(t, _finite_weights(torch.stack(out), "Hebb", eta), x.T @ x / x.shape[0])


def oja(x: Tensor, w0: Tensor, eta: float = 0.001) -> Learning:
    r"""Oja's rule (Oja 1982) for one linear neuron, on the inputs ``x`` (``(K, n)``, one per row).

    .. math:: y_k = w_k^\top x_k, \qquad w_{k+1} = w_k + \eta\, y_k\, (x_k - y_k\, w_k).

    It is Hebb's rule followed by a renormalization :math:`w \leftarrow (w + \eta y x)/\|w + \eta y x\|`,
    expanded to first order in :math:`\eta` (Oja 1982): the decay :math:`-\eta y^2 w` stops
    the growth. Averaged, :math:`\dot w = C w - (w^\top C w)\, w` (:func:`oja_flow`), whose
    stable equilibria are :math:`\pm u_1` when :math:`\lambda_1 > \lambda_2`: the neuron
    finds the first principal component of its inputs, with :math:`\|w\| = 1`. With a
    constant :math:`\eta` the weights keep fluctuating around :math:`\pm u_1` by an amount
    that shrinks with :math:`\eta`. Too large an :math:`\eta` makes the iteration diverge: such a
    run is refused.

    Eigenvectors as in :func:`hebb` (of the sample correlation of ``x``).
    """
    x, w, eta = _check_rule(x, w0, eta)
    out = [w]
    for xk in x:
        y = w @ xk
        w = w + eta * y * (xk - y * w)
        out.append(w)
    t = eta * torch.arange(len(out), dtype=x.dtype)
    return _learning(t, _finite_weights(torch.stack(out), "Oja", eta), x.T @ x / x.shape[0])


def _check_flow(C, w0, times) -> tuple[Tensor, Tensor, Tensor]:
    C = _check_correlation(C)
    w0 = _check_vector(w0, "w0", C, "C")
    times = check_tensor(times, "times", ndim=1)
    if times.dtype != C.dtype or times.numel() == 0 or bool((times < 0).any()):
        raise ValueError(f"times must be a nonempty 1-D tensor of nonnegative times in the dtype of C "
                         f"({C.dtype}), got shape {tuple(times.shape)} and dtype {times.dtype}")
    return C, w0, times


def hebb_flow(C: Tensor, w0: Tensor, times: Tensor) -> Learning:
    r"""The averaged Hebb rule :math:`\dot w = C w`, :math:`w(0) = w_0`, solved exactly at ``times``.

    With :math:`C = \sum_k \lambda_k u_k u_k^\top` (:math:`\lambda_1 \ge \lambda_2 \ge \dots \ge 0`),

    .. math::

        w(t) = e^{C t} w_0 = \sum_k e^{\lambda_k t}\, (u_k^\top w_0)\, u_k ,

    so for :math:`u_1^\top w_0 \ne 0` and :math:`\lambda_1 > \lambda_2`,
    :math:`\frac{d}{dt} \log \|w(t)\| \to \lambda_1` (exponential growth at the rate of
    the top eigenvalue) and :math:`w(t)/\|w(t)\| \to \pm u_1`. For a layer
    :math:`y = W x` every row of :math:`W` follows this flow: :math:`\dot W = W C`
    (see the module's remark 2 on the seed's :math:`\dot W = C W`).

    ``C`` is a symmetric positive semidefinite ``(n, n)`` tensor, ``w0`` ``(n,)`` and
    ``times`` a 1-D tensor of nonnegative times, all of one dtype. Times at which
    :math:`w(t)` overflows the dtype are refused.
    """
    C, w0, times = _check_flow(C, w0, times)
    eigenvalues, U = torch.linalg.eigh(C)
    w = (torch.exp(times.unsqueeze(1) * eigenvalues) * (U.T @ w0)) @ U.T
    if not bool(torch.isfinite(w).all()):
        raise ValueError(f"times must stay below the overflow of e^(C t) w0 in {C.dtype}, "
                         f"got times up to {float(times.max()):g}")
    return _learning(times, w, C)


def oja_flow(C: Tensor, w0: Tensor, times: Tensor) -> Learning:
    r"""The averaged Oja rule :math:`\dot w = C w - (w^\top C w)\, w`, :math:`w(0) = w_0`, solved exactly at ``times``.

    With :math:`v(t) = e^{C t} w_0` (the Hebbian flow of :func:`hebb_flow`),

    .. math:: w(t) = \frac{v(t)}{\sqrt{1 - \|w_0\|^2 + \|v(t)\|^2}} .

    (Check: write :math:`w = v/s`; the equation holds iff
    :math:`s\dot s = v^\top C v = \tfrac12 \frac{d}{dt}\|v\|^2`, i.e.
    :math:`s^2 = \|v\|^2 + 1 - \|w_0\|^2`.) Oja's flow is the Hebbian flow renormalized:
    its direction is that of :math:`e^{Ct} w_0`, and :math:`\|w\| \to 1`, so
    :math:`w(t) \to \operatorname{sgn}(u_1^\top w_0)\, u_1` when :math:`\lambda_1 > \lambda_2`
    and :math:`u_1^\top w_0 \ne 0` (Oja 1982). The formula is evaluated with the factor
    :math:`e^{\lambda_1 t}` divided out, so it does not overflow at large :math:`t`.
    """
    C, w0, times = _check_flow(C, w0, times)
    eigenvalues, U = torch.linalg.eigh(C)
    top = eigenvalues[-1]
    scaled = torch.exp(times.unsqueeze(1) * (eigenvalues - top)) * (U.T @ w0)  # e^{-lambda_1 t} U^T v(t)
    denominator = (1 - w0 @ w0) * torch.exp(-2 * top * times) + (scaled * scaled).sum(1)
    w = (scaled @ U.T) / denominator.sqrt().unsqueeze(1)
    return _learning(times, w, C)


# ---------------------------------------------------------------------- the Hopfield network


def random_patterns(P: int, N: int, seed: int = 0, dtype: torch.dtype = F64) -> Tensor:
    """``P`` random patterns of ``N`` binary units, ``(P, N)``, each entry -1 or +1 with probability 1/2,
    in the floating-point ``dtype``."""
    P = check_positive_int(P, "P")
    N = check_positive_int(N, "N")
    dtype = check_dtype(dtype)
    check_memory(16 * P * N, "the patterns", "P and N")
    generator = torch.Generator().manual_seed(check_seed(seed))
    return (2 * torch.randint(0, 2, (P, N), generator=generator) - 1).to(dtype)


def hopfield_weights(patterns: Tensor) -> Tensor:
    r"""The Hebbian weights of a Hopfield network storing ``patterns`` (``(P, N)``, entries :math:`\pm 1`).

    .. math:: W = \frac1N \sum_{\mu=1}^{P} \xi^\mu \xi^{\mu\top}, \qquad W_{ii} = 0,

    symmetric with a zero diagonal: the outer-product memory of :func:`associator` with
    the patterns as their own keys (autoassociation), scaled by :math:`1/N` as in Amit,
    Gutfreund & Sompolinsky (1985) and Hertz, Krogh & Palmer (1991). Hopfield (1982)
    writes the same rule for units :math:`V_i \in \{0, 1\}`,
    :math:`T_{ij} = \sum_s (2V_i^s - 1)(2V_j^s - 1)`, :math:`T_{ii} = 0`.
    """
    patterns = _check_spins(patterns, "patterns", ndim=2)
    check_memory(2 * patterns.shape[1] ** 2 * patterns.element_size(), "the (N, N) weights", "patterns")
    W = patterns.T @ patterns / patterns.shape[1]
    return W.fill_diagonal_(0.0)


def hopfield_energy(W: Tensor, s: Tensor, b: Tensor | None = None) -> Tensor:
    r"""Hopfield's (1982) energy :math:`E(s) = -\tfrac12\, s^\top W s - b^\top s` of binary states.

    ``s`` is ``(N,)`` or any batch ``(..., N)`` (up to 3 dimensions, e.g. a batch of
    trajectories) of :math:`\pm1` entries; returns a tensor of shape ``s.shape[:-1]``.
    A threshold :math:`\theta_i` (unit :math:`i` turns on when its input exceeds it) is a
    bias :math:`b_i = -\theta_i`.

    For a symmetric :math:`W` with :math:`W_{ii} \ge 0`, flipping unit :math:`i` against its
    local field :math:`h_i = \sum_j W_{ij} s_j + b_i` changes the energy by
    :math:`\Delta E = -2 |h_i| - 2 W_{ii} < 0`: the asynchronous dynamics only go downhill
    (:func:`asynchronous`).
    """
    W, b = _check_hopfield(W, b)
    s = _check_spins(s, "s", ndim=(1, 2, 3), like=W, like_name="W")
    return -0.5 * ((s @ W.T) * s).sum(-1) - s @ b


def overlap(s: Tensor, pattern: Tensor) -> Tensor:
    r"""The overlap :math:`m = \frac1N \xi^\top s \in [-1, 1]` of states with patterns.

    ``s`` and ``pattern`` broadcast over their leading dimensions.

    :math:`m = 1` is perfect recall, :math:`m = -1` the reversed pattern (also a fixed
    point: :math:`E(-s) = E(s)` without bias), and a fraction :math:`q` of wrong bits gives
    :math:`m = 1 - 2q`.
    """
    s = _check_spins(s, "s", ndim=(1, 2, 3))
    pattern = _check_spins(pattern, "pattern", ndim=(1, 2, 3), like=s, like_name="s")
    try:
        torch.broadcast_shapes(s.shape[:-1], pattern.shape[:-1])
    except RuntimeError:
        raise ValueError(f"s and pattern must broadcast over their leading dimensions, got shapes "
                         f"{tuple(s.shape)} and {tuple(pattern.shape)}") from None
    pairs = math.prod(torch.broadcast_shapes(s.shape[:-1], pattern.shape[:-1]))
    check_memory(pairs * s.shape[-1] * s.element_size(), "the products of s and pattern", "s and pattern")
    return (s * pattern).sum(-1) / s.shape[-1]


def corrupt(pattern: Tensor, fraction: float, seed: int = 0) -> Tensor:
    r"""A copy of ``pattern`` (``(N,)`` or a batch ``(B, N)``) with ``round(fraction * N)`` bits flipped.

    The flipped units are drawn uniformly without replacement, independently for each
    row (seeded). The overlap with the original is :math:`m = 1 - 2\,\mathrm{round}(fN)/N`.
    """
    pattern = _check_spins(pattern, "pattern", ndim=(1, 2))
    fraction = _check_fraction(fraction, "fraction")
    generator = torch.Generator().manual_seed(check_seed(seed))
    rows = pattern.reshape(-1, pattern.shape[-1])
    N = rows.shape[1]
    flips = round(fraction * N)
    chosen = torch.rand(rows.shape, generator=generator).argsort(dim=1)[:, :flips]
    sign = torch.ones_like(rows).scatter_(1, chosen, -1.0)
    return (rows * sign).reshape(pattern.shape)


class Recall(NamedTuple):
    r"""A run of the Hopfield dynamics from ``s0`` (``(N,)`` or a batch ``(B, N)``).

    Attributes
    ----------
    state: the final state, shaped like ``s0``.
    steps: int64, ``()`` or ``(B,)``: the number of synchronous steps, or asynchronous
        sweeps, that changed the state before it settled on its fixed point or 2-cycle
        (the transient length; 0 when ``s0`` is already a fixed point).
    period: int64, like ``steps``: 1 if the run ended on a fixed point, 2 on a 2-cycle
        (synchronous updates only), 0 if it had not settled within the budget.
    trajectory: the states visited, index 0 being ``s0``: ``(K+1, N)`` or ``(B, K+1, N)``,
        one state per synchronous step, per asynchronous sweep, or (``record="update"``)
        per single-unit update. A batch runs until all its members have settled.
    """

    state: Tensor
    steps: Tensor
    period: Tensor
    trajectory: Tensor

    @property
    def converged(self) -> Tensor:
        """Whether the run ended on a fixed point."""
        return self.period == 1


def _tolerance(W: Tensor, b: Tensor) -> Tensor:
    r"""Local fields within rounding error of 0 count as 0.

    The bound is :math:`|h_i| \le N \varepsilon \max_k (\sum_j |W_{kj}| + |b_k|)`.

    One number per network: shape ``(1, 1)`` for ``W`` ``(N, N)``, ``(T, 1, 1)`` for ``(T, N, N)``.
    """
    N = W.shape[-1]
    bound = (W.abs().sum(-1) + b.abs()).amax(-1)
    return (N * torch.finfo(W.dtype).eps * bound)[..., None, None]


def _update(s: Tensor, h: Tensor, tol: Tensor) -> Tensor:
    r""":math:`\operatorname{sgn}(h)`, keeping :math:`s` where :math:`h` is zero (to within ``tol``)."""
    return torch.where(s * h < -tol, -s, s)


def synchronous(W: Tensor, s0: Tensor, b: Tensor | None = None, max_steps: int = 100) -> Recall:
    r"""Synchronous (parallel) Hopfield dynamics: every unit at once,

    .. math:: s_{t+1} = \operatorname{sgn}(W s_t + b),

    with :math:`\operatorname{sgn}(0)` keeping the unit's state. For a symmetric :math:`W` this
    ends, from any :math:`s_0`, on a fixed point or on a **2-cycle** (Goles-Chacc,
    Fogelman-Soulie & Pellegrin 1985; Bruck 1990): the energy :math:`E` need not decrease
    along the way (on a 2-cycle :math:`s_t \ne s_{t+1}` and the dynamics never stop). Example:
    store one pattern :math:`\xi` and start from :math:`\xi` with half of its bits flipped;
    every unit then sees a field against its own state, and the whole network flips back and
    forth between :math:`s_0` and :math:`-s_0`. The run stops at the first fixed point
    (``period`` 1) or 2-cycle (``period`` 2), or after ``max_steps`` steps (``period`` 0).
    """
    W, b = _check_hopfield(W, b)
    s = _check_spins(s0, "s0", ndim=(1, 2), like=W, like_name="W")
    max_steps = check_positive_int(max_steps, "max_steps")
    single = s.dim() == 1
    s = s.reshape(-1, W.shape[0])
    tol = _tolerance(W, b)
    steps = torch.zeros(s.shape[0], dtype=torch.long)
    period = torch.zeros(s.shape[0], dtype=torch.long)
    states, previous = [s], None
    for t in range(max_steps):
        new = _update(s, s @ W.T + b, tol)
        fixed = (new == s).all(1) & (period == 0)
        steps[fixed], period[fixed] = t, 1
        if previous is not None:
            cycle = (new == previous).all(1) & (period == 0)
            steps[cycle], period[cycle] = t - 1, 2
        previous, s = s, new
        states.append(s)
        if bool((period > 0).all()):
            break
    trajectory = torch.stack(states, dim=1)
    if single:
        return Recall(s[0], steps[0], period[0], trajectory[0])
    return Recall(s, steps, period, trajectory)


RECORD = ("sweep", "update")


def _fields(W: Tensor, b: Tensor, S: Tensor, net: Tensor) -> Tensor:
    """Local fields :math:`h = W s + b` of states ``S`` ``(M, N)`` in networks ``net`` ``(M,)`` (sorted)."""
    nets, counts = torch.unique_consecutive(net, return_counts=True)
    blocks = S.split(counts.tolist())
    return torch.cat([block @ W[t].T + b[t] for t, block in zip(nets.tolist(), blocks)])


def _asynchronous(W: Tensor, b: Tensor, S: Tensor, net: Tensor, generator: torch.Generator,
                  max_sweeps: int, record: str | None) -> tuple[Tensor, Tensor, Tensor, list[Tensor]]:
    r"""Asynchronous sweeps of ``M`` states ``S`` ``(M, N)``, state ``m`` in network ``net[m]`` of
    ``W`` ``(T, N, N)``, ``b`` ``(T, N)``. Returns ``(final, steps, period, recorded states)``.

    ``net`` must be sorted. Each sweep visits the units of every unsettled state in its own
    random order. The local fields are computed at the start of each sweep and, after a
    flip of unit :math:`i`, updated by :math:`-2 s_i W_{:, i}`: at most :math:`N` updates,
    whose rounding the tolerance of :func:`_tolerance` covers. Settled states are left out
    of later sweeps.
    """
    M, N = S.shape
    S = S.clone()
    columns = W.transpose(1, 2).reshape(-1, N)  # columns[t * N + i] = W[t, :, i]
    tol = _tolerance(W, b).flatten()  # one per network
    steps = torch.zeros(M, dtype=torch.long)
    settled = torch.zeros(M, dtype=torch.bool)
    states = [S.clone()] if record else []
    for _ in range(max_sweeps):
        active = (~settled).nonzero().squeeze(1)
        s, nets = S[active], net[active]
        h, t = _fields(W, b, s, nets), -tol[nets]
        starts = N * torch.arange(len(active))
        # visiting order: row k holds the flat index (into s and h) of the k-th unit of every state
        order = torch.rand(len(active), N, generator=generator).argsort(dim=1)
        order = (order + starts.unsqueeze(1)).T.contiguous()
        column_of = N * nets - starts  # flat index into s -> row of columns
        s_flat, h_flat = s.view(-1), h.view(-1)
        flipped = torch.zeros(len(active), dtype=torch.bool)
        for k in range(N):
            index = order[k]
            s_i = s_flat.index_select(0, index)
            who = (s_i * h_flat.index_select(0, index) < t).nonzero().squeeze(1)
            if len(who):
                old, unit = s_i.index_select(0, who), index.index_select(0, who)
                s_flat.index_copy_(0, unit, -old)
                # h <- h - 2 s_i W[:, i] for the states that flipped unit i
                rows = columns.index_select(0, unit + column_of.index_select(0, who))
                h.index_add_(0, who, rows.mul_((-2 * old).unsqueeze(1)))
                flipped[who] = True
            if record == "update":
                S[active] = s
                states.append(S.clone())
        S[active] = s
        steps[active] += flipped
        settled[active] = ~flipped
        if record == "sweep":
            states.append(S.clone())
        if bool(settled.all()):
            break
    return S, steps, settled.long(), states


def asynchronous(W: Tensor, s0: Tensor, b: Tensor | None = None, max_sweeps: int = 100, seed: int = 0,
                 record: str = "sweep") -> Recall:
    r"""Asynchronous Hopfield dynamics (Hopfield 1982): one unit at a time,

    .. math:: s_i \leftarrow \operatorname{sgn}\Bigl(\sum_j W_{ij} s_j + b_i\Bigr),

    each *sweep* visiting all :math:`N` units once in a fresh random order (seeded;
    independent for each state of a batch). A unit whose local field :math:`h_i` is zero
    keeps its state (fields within rounding error of zero, :math:`|h_i| \le N \varepsilon
    \max_k (\sum_j |W_{kj}| + |b_k|)`, count as zero).

    For a symmetric :math:`W` with :math:`W_{ii} \ge 0`, each flip changes the energy of
    :func:`hopfield_energy` by :math:`-2|h_i| - 2W_{ii} < 0`, and the energy of the finitely
    many states is bounded below: the run ends on a fixed point (Hopfield 1982), which for
    :math:`W_{ii} = 0` is a local minimum of :math:`E` with respect to single flips. The run
    stops after the first sweep that flips nothing (``period`` 1) or after ``max_sweeps``
    sweeps (``period`` 0); ``steps`` counts the sweeps that flipped something.

    ``record`` is ``"sweep"`` (one state per sweep in ``trajectory``) or ``"update"`` (one
    state after every single-unit update, to follow the energy step by step).
    """
    W, b = _check_hopfield(W, b)
    s = _check_spins(s0, "s0", ndim=(1, 2), like=W, like_name="W")
    max_sweeps = check_positive_int(max_sweeps, "max_sweeps")
    record = check_choice(record, "record", RECORD)
    generator = torch.Generator().manual_seed(check_seed(seed))
    single = s.dim() == 1
    S = s.reshape(-1, W.shape[0])
    net = torch.zeros(S.shape[0], dtype=torch.long)
    final, steps, period, states = _asynchronous(W.unsqueeze(0), b.unsqueeze(0), S, net, generator,
                                                 max_sweeps, record)
    trajectory = torch.stack(states, dim=1)  # (B, K+1, N)
    if single:
        return Recall(final[0], steps[0], period[0], trajectory[0])
    return Recall(final, steps, period, trajectory)


# ---------------------------------------------------------------------- capacity


def bit_error_probability(alpha):
    r"""The crosstalk estimate of the probability that a bit of a stored pattern is unstable.

    Present the stored pattern :math:`\xi^\nu`; the local field of unit :math:`i` is
    :math:`h_i = \xi_i^\nu + \frac1N \sum_{\mu \ne \nu} \sum_{j \ne i} \xi_i^\mu \xi_j^\mu \xi_j^\nu`,
    signal plus a crosstalk that is, for random patterns, approximately Gaussian with mean 0
    and variance :math:`P/N = \alpha`. The bit flips when the crosstalk outweighs the signal:

    .. math::

        P_{error} = \Pr\bigl[\mathcal{N}(0, \alpha) > 1\bigr]
                  = \tfrac12 \Bigl(1 - \operatorname{erf}\sqrt{N / 2P}\Bigr)
                  = \tfrac12 \operatorname{erfc}\bigl(1/\sqrt{2\alpha}\bigr) = 1 - \Phi\bigl(1/\sqrt{\alpha}\bigr)

    (Hertz, Krogh & Palmer 1991, ch. 2; :math:`\Phi` is the standard normal
    distribution function). It gives :math:`P_{error} \approx 0.0036` at
    :math:`\alpha = 0.138`. It describes the first update only: the flipped bits change the
    fields of the others, and the full calculation of Amit, Gutfreund & Sompolinsky (1985)
    is needed for the collapse at :math:`\alpha_c \approx 0.138` (see :func:`capacity_curve`).

    ``alpha`` is a positive number (returns a float) or a tensor of them.
    """
    if isinstance(alpha, torch.Tensor):
        alpha = check_tensor(alpha, "alpha", ndim=(0, 1))
        if bool((alpha <= 0).any()):
            raise ValueError("alpha must contain only positive loads P/N")
        return 0.5 * torch.special.erfc(1 / torch.sqrt(2 * alpha))
    alpha = check_positive_float(alpha, "alpha")
    return 0.5 * math.erfc(1 / math.sqrt(2 * alpha))


class Capacity(NamedTuple):
    r"""Retrieval in Hopfield networks against the load :math:`\alpha = P/N` (:func:`capacity_curve`).

    Each attribute has one entry per load.

    Attributes
    ----------
    alpha: ``(K,)`` the loads :math:`P/N` actually used (:math:`P` is an integer).
    patterns: ``(K,)`` int64 the numbers of patterns :math:`P`.
    stable_bits: ``(K,)`` the fraction of bits of the stored patterns that the update rule
        leaves unchanged; compare with :math:`1 - P_{error}` (:func:`bit_error_probability`).
    fixed_points: ``(K,)`` the fraction of stored patterns that are exact fixed points.
    overlap: ``(K,)`` the mean overlap :math:`m = \xi^\top s / N` of the final state of an
        asynchronous recall started from the pattern with a fraction ``noise`` of its
        bits flipped.
    retrieved: ``(K,)`` the fraction of those recalls with :math:`m \ge` ``threshold``.
    """

    alpha: Tensor
    patterns: Tensor
    stable_bits: Tensor
    fixed_points: Tensor
    overlap: Tensor
    retrieved: Tensor


def capacity_curve(N: int = 200, alphas=DEFAULT_ALPHAS, trials: int = 10, seed: int = 0, *,
                   noise: float = 0.05, threshold: float = 0.9, max_sweeps: int = 30) -> Capacity:
    r"""Measure how well a Hopfield network of ``N`` units retrieves its patterns at each load :math:`\alpha = P/N`.

    For each load, ``trials`` independent networks each store :math:`P = \max(1,
    \mathrm{round}(\alpha N))` random patterns (:func:`random_patterns`,
    :func:`hopfield_weights`). For every stored pattern :math:`\xi^\mu`:

    * *stability* (one update, no dynamics): which bits the update rule keeps,
      :math:`\xi^\mu_i h_i(\xi^\mu) \ge 0`; this is what :func:`bit_error_probability` predicts;
    * *retrieval* (the dynamics): :func:`asynchronous` from :func:`corrupt` (:math:`\xi^\mu`,
      ``noise``) until a fixed point (or ``max_sweeps``), and the overlap :math:`m` of the
      final state with :math:`\xi^\mu`.

    The retrieval overlap is the quantity of Amit, Gutfreund & Sompolinsky (1985): for large
    :math:`N` a retrieval state with :math:`m \ge 0.967` exists below
    :math:`\alpha_c \approx 0.138` (:data:`ALPHA_C`; Hopfield 1982 had estimated 0.15 from
    simulations with :math:`N \le 100`) and disappears above it, where :math:`m` drops
    abruptly to the small overlaps of spin-glass states. At :math:`N = 200` the transition is
    smoothed by finite size but visible. The fraction of patterns that are *exact* fixed
    points, about :math:`(1 - P_{error})^N`, vanishes for large :math:`N` at any fixed load
    (exact storage of most patterns needs :math:`P \lesssim N / (2 \ln N)`, McEliece et al.
    1987): retrieval below :math:`\alpha_c` is retrieval with a few wrong bits.

    ``alphas`` is a nonempty list (or 1-D tensor) of positive loads, ``noise`` and ``threshold``
    are in :math:`[0, 1]`. ``threshold`` is the overlap above which a recall counts as retrieved.
    Runs in about a
    second for the defaults on one core (all the networks are run as one batch).
    """
    N = check_positive_int(N, "N")
    loads = check_float_sequence(alphas, "alphas", low=0, low_open=True)
    trials = check_positive_int(trials, "trials")
    check_memory(trials * sum(8.0 * N * (N + 8 * max(1.0, alpha * N)) for alpha in loads),
                 "the networks and their patterns", "N, alphas and trials")
    noise = _check_fraction(noise, "noise")
    threshold = _check_fraction(threshold, "threshold")
    max_sweeps = check_positive_int(max_sweeps, "max_sweeps")
    generator = torch.Generator().manual_seed(check_seed(seed))
    counts = [max(1, round(alpha * N)) for alpha in loads]
    weights, starts, stored, stable = [], [], [], []
    for P in counts:  # trials networks of P patterns for each load
        xi = (2 * torch.randint(0, 2, (trials, P, N), generator=generator) - 1).to(F64)
        W = xi.transpose(1, 2) @ xi / N
        W.diagonal(dim1=1, dim2=2).zero_()
        bits = _update(xi, xi @ W, _tolerance(W, torch.zeros(trials, N, dtype=F64))) == xi  # W = W^T
        stable.append(bits)
        weights.append(W)
        stored.append(xi.reshape(-1, N))
        chosen = torch.rand(trials * P, N, generator=generator).argsort(dim=1)[:, :round(noise * N)]
        starts.append(stored[-1] * torch.ones(trials * P, N, dtype=F64).scatter_(1, chosen, -1.0))
    # every network of every load in one batch: state (load k, trial r, pattern mu) runs in network k * trials + r
    net = torch.cat([torch.arange(trials).repeat_interleave(P) + k * trials for k, P in enumerate(counts)])
    W = torch.cat(weights)
    final, _, _, _ = _asynchronous(W, torch.zeros(W.shape[0], N, dtype=F64), torch.cat(starts), net,
                                   generator, max_sweeps, None)
    m = (final * torch.cat(stored)).sum(1) / N
    groups = torch.cat([torch.full((trials * P,), k) for k, P in enumerate(counts)])
    overlaps = [m[groups == k] for k in range(len(counts))]
    return Capacity(torch.tensor(counts, dtype=F64) / N, torch.tensor(counts),
                    torch.stack([bits.double().mean() for bits in stable]),
                    torch.stack([bits.all(2).double().mean() for bits in stable]),
                    torch.stack([mk.mean() for mk in overlaps]),
                    torch.stack([(mk >= threshold).double().mean() for mk in overlaps]))


# ---------------------------------------------------------------------- figures of the chapter


def _pyplot():
    import matplotlib.pyplot as plt  # imported on first use: the model code needs no plotting

    return plt


def _figure_width() -> float:
    from .plotting import FIGURE_WIDTH  # imports matplotlib: on first use, as _pyplot

    return FIGURE_WIDTH


def _np(x):
    """``x`` as a NumPy array if it is a tensor (matplotlib converts tensors with a deprecated call)."""
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else x


def plot_crosstalk(measured: dict):
    r"""Recall error of the linear associator against the key correlation :math:`c`.

    ``measured`` maps the number of pairs :math:`n` to ``(cs, errors)``, the correlations
    and the measured largest recall errors; lines are :math:`|c|\sqrt{n - 1}`.
    """
    if not isinstance(measured, dict) or not measured:
        raise ArgumentTypeError(f"measured must be a nonempty dict n -> (cs, errors), "
                                f"got {type(measured).__name__}")
    for n, pair in measured.items():
        check_positive_int(n, "measured's keys (numbers of pairs n)")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"measured[{n!r}] must be a pair (cs, errors)")
        cs = check_float_sequence(pair[0], f"measured[{n!r}][0]", low=-1, high=1)
        if len(check_float_sequence(pair[1], f"measured[{n!r}][1]", low=0)) != len(cs):
            raise ValueError(f"measured[{n!r}] must have as many errors as correlations")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    for k, (n, (cs, es)) in enumerate(measured.items()):
        ax.plot(cs, es, "o", ms=3.5, color=f"C{k}", label=f"measured, $n = {n}$")
        ax.plot(cs, [abs(c) * math.sqrt(n - 1) for c in cs], "-", lw=0.9, color=f"C{k}")
    ax.set(xlabel="key correlation $c$", ylabel=r"recall error $\|A f_j - g_j\|$",
           title=r"crosstalk of correlated keys (lines: $|c|\sqrt{n-1}$)")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def plot_hebb_oja(runs: dict, flows: dict, times: Tensor, w0: Tensor):
    r"""Hebb's and Oja's rules, one panel above the other.

    ``runs`` and ``flows`` map ``"Hebb"`` and ``"Oja"`` to the :class:`Learning` of the
    sampled rule and of its averaged flow (on ``times``), both from ``w0``. Top: the
    norms (log scale); middle: the alignment with :math:`u_1`; bottom: Oja's weights in
    the plane, with the unit circle and the direction :math:`u_1` (dashed). The neuron has two
    inputs (``w0`` is ``(2,)``), and ``times`` is the time axis of the flows.
    """
    runs = _check_rules(runs, "runs")
    flows = _check_rules(flows, "flows")
    times = check_tensor(times, "times", ndim=1)
    w0 = check_tensor(w0, "w0", ndim=1)
    for name, flow in flows.items():
        if times.shape != flow.t.shape or times.dtype != flow.t.dtype:
            raise ValueError(f"times must be the time axis of flows[{name!r}] (shape {tuple(flow.t.shape)}, "
                             f"dtype {flow.t.dtype}), got shape {tuple(times.shape)} and dtype {times.dtype}")
    if w0.shape != (2,) or w0.dtype != runs["Oja"].w.dtype or runs["Oja"].w.shape[1] != 2:
        raise ValueError(f"w0 must be the (2,) start of the runs (dtype {runs['Oja'].w.dtype}), "
                         f"got shape {tuple(w0.shape)} and dtype {w0.dtype}")
    times, w0 = times.detach(), w0.detach()
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(_figure_width(), 8.0), height_ratios=(2.2, 2.2, 3.0))
    for k, name in enumerate(runs):
        for ax, key in zip(axes[:2], ("norm", "alignment")):
            ax.plot(_np(runs[name].t), _np(getattr(runs[name], key)), color=f"C{k}", lw=0.8,
                    label=f"{name}, samples")
            ax.plot(_np(times), _np(getattr(flows[name], key)), "--", color="black" if k else "0.5",
                    lw=1, label=f"{name}, flow")
    axes[0].set(yscale="log", xlabel=r"$t = \eta k$", ylabel=r"$\|w\|$", title="norm")
    axes[1].set(xlabel=r"$t = \eta k$", ylabel=r"$|u_1^\top w| / \|w\|$",
                title="alignment with $u_1$")
    axes[1].legend(fontsize=8, loc="lower right")
    circle = torch.linspace(0, 2 * math.pi, 200)
    axes[2].plot(_np(torch.cos(circle)), _np(torch.sin(circle)), color="0.8", lw=0.8)
    path = _np(runs["Oja"].w)
    axes[2].plot(path[:, 0], path[:, 1], color="C1", lw=0.6)
    u1 = runs["Oja"].eigenvector
    axes[2].plot(*_np(1.3 * u1[:, None] * torch.tensor([-1.0, 1.0])), "--", color="0.4", lw=0.8)
    axes[2].plot(*_np(w0), "o", color="C1", ms=4)
    axes[2].set(aspect="equal", xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), xlabel="$w[1]$",
                ylabel="$w[2]$", title="Oja's weights (dashed: $u_1$)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _check_rules(learning, name: str) -> dict:
    if not isinstance(learning, dict) or set(learning) != {"Hebb", "Oja"} \
            or not all(isinstance(v, Learning) for v in learning.values()):
        raise ArgumentTypeError(f"{name} must be a dict with the keys 'Hebb' and 'Oja' and Learning values, "
                                f"got {type(learning).__name__}")
    return learning


def plot_pattern_rows(stages: dict, side: int = 10):
    r"""A grid of :math:`\pm 1` patterns: one row per entry of ``stages`` (label -> ``(k, side**2)``
    states, the same ``k`` for every row), one column per pattern, black for :math:`+1`."""
    if not isinstance(stages, dict) or not stages:
        raise ArgumentTypeError(f"stages must be a nonempty dict label -> states, "
                                f"got {type(stages).__name__}")
    side = check_positive_int(side, "side")
    columns = None
    for label, states in stages.items():
        states = _check_spins(states, f"stages[{label!r}]", ndim=2)
        if states.shape[1] != side * side or columns not in (None, states.shape[0]):
            raise ValueError(f"stages[{label!r}] must have shape (k, side**2) = (k, {side * side}) with the "
                             f"same k for every label, got {tuple(states.shape)}")
        columns = states.shape[0]
    plt = _pyplot()
    fig, axes = plt.subplots(len(stages), columns, figsize=(5.2, 5.6), squeeze=False)
    for row, (label, states) in zip(axes, stages.items()):
        for ax, s in zip(row, states):
            ax.imshow(_np(s.reshape(side, side)), cmap="gray_r", vmin=-1, vmax=1)
            ax.set(xticks=[], yticks=[])
            ax.spines[:].set_visible(True)
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout(h_pad=0.3, w_pad=0.3)
    plt.close(fig)
    return fig


def plot_energy_descent(E: Tensor, pattern_energy: float, corrupted: int, N: int):
    r"""Hopfield's energy after every single-unit update of asynchronous runs.

    ``E`` is ``(runs, 1 + updates)``; the first ``corrupted`` runs (blue) start from
    corrupted patterns, the others (red) from random states. The time axis counts sweeps of
    ``N`` updates; the dashed line is ``pattern_energy``, the mean energy of the patterns.
    ``0 <= corrupted <=`` the number of runs, and ``N`` divides the number of updates.
    """
    E = check_tensor(E, "E", ndim=2).detach()
    if E.numel() == 0:
        raise ValueError(f"E must not be empty, got shape {tuple(E.shape)}")
    pattern_energy = check_float(pattern_energy, "pattern_energy")
    corrupted = check_int(corrupted, "corrupted", low=0, high=E.shape[0])
    N = check_positive_int(N, "N")
    if (E.shape[1] - 1) % N:
        raise ValueError(f"N must divide the number of updates E.shape[1] - 1 = {E.shape[1] - 1} "
                         f"(whole sweeps of N updates), got {N}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    sweeps = _np(torch.arange(E.shape[1]) / N)
    for k, E_k in enumerate(E):
        ax.plot(sweeps, _np(E_k), color="C0" if k < corrupted else "C3", lw=0.8, alpha=0.8)
    ax.axhline(pattern_energy, color="0.3", ls="--", lw=0.8)
    ax.set(xlabel=f"sweeps ({N} updates each)", ylabel="$E(s)$",
           title="asynchronous: corrupted patterns (blue), random states (red)")
    plt.close(fig)
    return fig


def plot_capacity(curves: dict, overlap_of: int | None = None):
    r"""Capacity curves of :func:`capacity_curve` for several network sizes.

    ``curves`` maps :math:`N` to a :class:`Capacity`. Top: the fraction of recalls
    retrieved against the load (and, dashed, the mean final overlap for
    :math:`N =` ``overlap_of``, default the largest). Bottom: the fraction of unstable bits
    of the stored patterns after one update, with the crosstalk estimate
    :func:`bit_error_probability`. Dotted: :math:`\alpha_c` (:data:`ALPHA_C`).
    """
    if not isinstance(curves, dict) or not curves \
            or not all(isinstance(c, Capacity) for c in curves.values()):
        raise ArgumentTypeError(f"curves must be a nonempty dict N -> Capacity, got {type(curves).__name__}")
    for N in curves:
        check_positive_int(N, "curves' keys (network sizes N)")
    overlap_of = max(curves) if overlap_of is None else overlap_of
    if isinstance(overlap_of, bool) or overlap_of not in curves:
        raise ValueError(f"overlap_of must be None or one of the sizes {sorted(curves)} of curves, "
                         f"got {overlap_of!r}")
    plt = _pyplot()
    fig, (upper, lower) = plt.subplots(2, 1, figsize=(_figure_width(), 5.6), sharex=True)
    for k, (N, c) in enumerate(curves.items()):
        upper.plot(_np(c.alpha), _np(c.retrieved), "o-", ms=3, lw=1, color=f"C{k}",
                   label=f"retrieved, $N = {N}$")
        lower.plot(_np(c.alpha), _np(1 - c.stable_bits), "o", ms=3.5, color=f"C{k}",
                   label=f"measured, $N = {N}$")
    c = curves[overlap_of]
    colour = f"C{list(curves).index(overlap_of)}"
    upper.plot(_np(c.alpha), _np(c.overlap), "--", color=colour, lw=1,
               label=f"mean overlap, $N = {overlap_of}$")
    top = max(float(c.alpha.max()) for c in curves.values())
    alphas = torch.linspace(0.02, top, 100, dtype=F64)
    lower.plot(_np(alphas), _np(bit_error_probability(alphas)), color="black", lw=1,
               label=r"$\frac{1}{2}\mathrm{erfc}(1/\sqrt{2\alpha})$")
    for ax in (upper, lower):
        ax.axvline(ALPHA_C, color="0.4", ls=":", lw=1)
    lower.set_xlabel(r"load $\alpha = P/N$")
    upper.set(ylabel="fraction / overlap",
              title=rf"recall from 5% noise (dotted: $\alpha_c = {ALPHA_C}$)")
    lower.set(yscale="log", ylim=(1e-5, 0.1), ylabel="unstable bits",
              title="one update from the stored patterns")
    upper.legend(fontsize=8, loc="lower left")
    lower.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_recall_frame(stored: Tensor, key: Tensor, result: Recall, alpha: float,
                      curve: Capacity, key_title: str = "key"):
    r"""One frame of the chapter's load slider: a :math:`20 \times 20` pattern, the key, the
    state where asynchronous recall (``result``) stopped, and the retrieved fraction of
    ``curve`` against the load with ``alpha`` marked (dotted: :data:`ALPHA_C`).

    ``stored`` and ``key`` are ``(N,)`` states with :math:`N` a square, ``result`` the
    :class:`Recall` of one state, ``alpha`` the load in :math:`(0, 1]`."""
    stored = _check_spins(stored, "stored", ndim=1).detach()
    side = math.isqrt(stored.numel())
    if side * side != stored.numel():
        raise ValueError(f"stored must have a square number of units (an image), got {stored.numel()}")
    key = _check_spins(key, "key", ndim=1, like=stored, like_name="stored").detach()
    result = check_instance(result, "result", Recall, "a Recall (of one state)")
    _check_spins(result.state, "result.state", ndim=1, like=stored, like_name="stored")
    alpha = check_float(alpha, "alpha", low=0, high=1, low_open=True)
    curve = check_instance(curve, "curve", Capacity, "a Capacity (from capacity_curve)")
    key_title = check_instance(key_title, "key_title", str, "a string")
    plt = _pyplot()
    fig, named = plt.subplot_mosaic([["stored", "key", "recalled"], ["curve"] * 3], figsize=(_figure_width(), 4.6),
                                    height_ratios=(1.2, 1))
    axes = [named[name] for name in ("stored", "key", "recalled", "curve")]
    titles = ("stored", key_title, "recalled")
    for ax, s, title in zip(axes, (stored, key, result.state), titles):
        ax.imshow(_np(s.reshape(side, side)), cmap="gray_r", vmin=-1, vmax=1)
        ax.set(xticks=[], yticks=[], title=title)
        ax.spines[:].set_visible(True)
    axes[3].plot(_np(curve.alpha), _np(curve.retrieved), "o-", ms=3, color="C2")
    axes[3].axvline(ALPHA_C, color="0.4", ls=":", lw=1)
    axes[3].axvline(alpha, color="C3", lw=1.5)
    axes[3].set(xlabel=r"load $\alpha$", ylabel=f"retrieved, $N = {stored.numel()}$",
                ylim=(-0.05, 1.05))
    steps = int(result.steps)
    P = round(alpha * stored.numel())
    fig.suptitle(rf"$\alpha = {alpha:g}$ ($P = {P}$): overlap "
                 rf"$m = {float(overlap(result.state, stored)):.3f}$ after {steps} "
                 f"sweep{'s' if steps != 1 else ''}", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
