r"""Learning saturated SRNs from data: the report's heuristic (section 7.3) and its measurements (section 9).

Notation of the book (Definition 1): a word is read as one-hot letters
:math:`x_1, \dots, x_T`, :math:`h_t = \sigma(U x_t + W h_{t-1} + b)` and the
acceptance score is the logit :math:`z = V h_T + c`, :math:`\hat y = \mathrm{sigmoid}(z)`.
A DFA :math:`(\Sigma, Q, q_0, \delta, F)` compiles into the SSRN
:math:`\theta^\star = \mathrm{vec}(U^\star, W^\star, V^\star, 0, 0)` of section 7.2
(:func:`srnbook.dfa_to_ssrn`), with :math:`d = |Q||\Sigma|` hidden units, unit
:math:`i = q|\Sigma| + j` standing for "in state :math:`q`, having read letter :math:`j`".

* :class:`ConstrainedSRN` is the report's constrained network: :math:`U = u\,[\mathrm{Id}; \dots; \mathrm{Id}]`,
  :math:`W` with equal columns by groups of :math:`|\Sigma|`, negative initial :math:`W`, zero biases;
  :meth:`ConstrainedSRN.to_srn` gives the unconstrained SRN with the same initial function.
* :func:`bce`, :func:`inverse_norm` and :func:`nth_root_loss` are the three losses of section 9.
* :func:`matching_distance` is the distance to the target SSRN and to the line through 0 and it,
  minimized over relabellings of the states (the report's section 10 notes that relabelled
  states give equivalent networks).
* :func:`train_pair` trains a constrained SRN and an unconstrained one from the same initialization
  on the same minibatches, recording the metrics of section 9.
* :func:`gradient_by_scale` and :func:`scale_growth` measure why gradient descent does not reach
  a saturated network (section 4 and Mitarchuk et al. 2024).
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from ._validation import (ArgumentTypeError, check_bool, check_choice, check_dtype, check_float,
                          check_instance, check_int, check_int_tensor, check_memory, check_positive_float,
                          check_positive_int, check_seed, check_tensor)
from .dfa import DFA
from .sampling import Words
from .activations import get_activation
from .srn import OUTPUTS, SRN, flatten_parameters
from .ssrn import dfa_to_ssrn

Tensor = torch.Tensor

LOSSES = ("bce", "bce_inverse_norm", "nth_root")
OPTIMIZERS = ("adam", "sgd")
ACTIVATIONS = ("sigmoid", "tanh")

__all__ = [
    "ACTIVATIONS",
    "ConstrainedSRN",
    "Distance",
    "History",
    "LOSSES",
    "PairResult",
    "ScalePoint",
    "bce",
    "effective_parameters",
    "gradient_by_scale",
    "inverse_norm",
    "logits",
    "matching_distance",
    "nth_root_loss",
    "permute_states",
    "scale_growth",
    "target_parameters",
    "train_pair",
    "training_loss",
]


# ---------------------------------------------------------------------- the constrained SRN


class ConstrainedSRN(SRN):
    r"""The constrained SRN of section 7.3: the shape of a compiled SSRN, with free values.

    With :math:`k = |\Sigma|` and :math:`d = |Q| k`,

    * :math:`U = u\,[\mathrm{Id}_k; \dots; \mathrm{Id}_k]` (:math:`|Q|` blocks), :math:`u` one learnable scalar;
    * :math:`W = M \otimes \mathbf 1_k^\top`: column :math:`m` of :math:`W` is column :math:`\lfloor m/k \rfloor`
      of a learnable :math:`M \in \mathbb R^{d \times |Q|}`, so the columns are equal by groups of :math:`k`
      (a factor :math:`k` fewer parameters in :math:`W`);
    * :math:`V \in \mathbb R^{1 \times d}` free; :math:`b = 0` and :math:`c = 0`, not learned.

    It is an :class:`srnbook.SRN` whose :math:`U, W, b, c` are computed from :math:`(u, M)`, so
    everything that takes an SRN (the forward pass, :func:`srnbook.ssrn_to_dfa`, ...) takes it.
    The compiled SSRN of any DFA with these :math:`|Q|` and :math:`k` is one of these networks
    (:math:`u = 2J`), for tanh too: :math:`W\mathcal B^{-1}` keeps equal columns by groups.

    The initialization follows the report: :math:`M` negative, here uniform in
    :math:`[-1/\sqrt d, 0]`; :math:`u` uniform in :math:`[0, 1/\sqrt d]`; :math:`V` uniform in
    :math:`[-1/\sqrt d, 1/\sqrt d]` (the range of :class:`torch.nn.RNN`).

    Parameters
    ----------
    n_states
        :math:`|Q|`.
    n_symbols
        :math:`|\Sigma|`.
    activation
        ``"sigmoid"`` or ``"tanh"``.
    output
        :math:`g`; ``"identity"`` (default) makes :math:`\hat y` the logit :math:`z` the losses take.
    grad, dtype
        As for :class:`srnbook.SRN`.
    """

    def __init__(self, n_states: int, n_symbols: int, activation: str = "sigmoid", *, output: str = "identity",
                 grad: str = "bptt", dtype: torch.dtype | None = None):
        n_states = check_positive_int(n_states, "n_states")
        k = check_positive_int(n_symbols, "n_symbols")
        check_choice(activation, "activation", ACTIVATIONS)
        dtype = None if dtype is None else check_dtype(dtype, "dtype")
        itemsize = torch.empty((), dtype=dtype).element_size()
        d = n_states * k
        largest = "n_states" if n_states >= k else "n_symbols"
        check_memory((d * n_states + 2 * d + d * k) * itemsize, f"a constrained SRN of d = {d} units",
                     largest)
        nn.Module.__init__(self)  # not SRN.__init__: U, W, b and c are not free tensors here
        self.activation = get_activation(activation)
        self.output = check_choice(output, "output", tuple(OUTPUTS))
        self.grad = check_choice(grad, "grad", ("bptt", "autograd"))
        d = n_states * k
        self.n_states, self.n_symbols = n_states, k
        self.u = nn.Parameter(torch.empty((), dtype=dtype))
        self.M = nn.Parameter(torch.empty(d, n_states, dtype=dtype))
        self.V = nn.Parameter(torch.empty(1, d, dtype=dtype))
        self.register_buffer("blocks", torch.eye(k, dtype=self.V.dtype).repeat(n_states, 1), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """:math:`u \\sim U[0, 1/\\sqrt d]`, :math:`M \\sim U[-1/\\sqrt d, 0]`, :math:`V \\sim U[-1/\\sqrt d, 1/\\sqrt d]`."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            self.u.uniform_(0.0, bound)
            self.M.uniform_(-bound, 0.0)
            self.V.uniform_(-bound, bound)

    @property
    def U(self) -> Tensor:
        return self.u * self.blocks

    @property
    def W(self) -> Tensor:
        return self.M.repeat_interleave(self.n_symbols, dim=1)

    @property
    def b(self) -> Tensor:
        return self.V.new_zeros(self.V.shape[1])

    @property
    def c(self) -> Tensor:
        return self.V.new_zeros(1)

    @property
    def hidden_size(self) -> int:
        return self.V.shape[1]

    @property
    def input_size(self) -> int:
        return self.n_symbols

    def extra_repr(self) -> str:
        return f"|Q|={self.n_states}, |Sigma|={self.n_symbols}, " + super().extra_repr()

    def to_srn(self) -> SRN:
        """An unconstrained :class:`srnbook.SRN` computing the same function (section 10's "same initialization")."""
        srn = SRN(self.input_size, self.hidden_size, 1, self.activation.name, output=self.output, grad=self.grad,
                  dtype=self.V.dtype)
        with torch.no_grad():
            for name in ("U", "W", "V", "b", "c"):
                getattr(srn, name).copy_(getattr(self, name))
        return srn


def effective_parameters(model: SRN) -> dict[str, np.ndarray]:
    r"""The matrices :math:`(U, W, V, b, c)` the network computes with, as float64 arrays (for either kind of SRN)."""
    if not isinstance(model, SRN):
        raise ValueError(f"model must be a srnbook.SRN, got {type(model).__name__}")
    with torch.no_grad():
        return {name: getattr(model, name).detach().double().numpy().copy() for name in ("U", "W", "V", "b", "c")}


def target_parameters(dfa: DFA, activation: str = "sigmoid", J: float | None = None) -> dict[str, np.ndarray]:
    r""":math:`\theta^\star`: the SSRN of ``dfa`` compiled at scale ``J`` (default: the float32 saturating one), float64."""
    check_choice(activation, "activation", ACTIVATIONS)
    return effective_parameters(dfa_to_ssrn(dfa, activation, J).srn)


# ---------------------------------------------------------------------- losses (section 9)


def _check_pair(z, y) -> tuple[Tensor, Tensor]:
    """``z`` ``(m,)`` finite logits, ``m >= 1``; ``y`` ``(m,)`` labels 0 and 1 of the dtype of ``z``."""
    z = check_tensor(z, "z", ndim=1)
    if z.shape[0] == 0:
        raise ValueError("z must hold at least one logit (the losses are means over the words)")
    y = check_tensor(y, "y", ndim=1)
    if y.dtype != z.dtype:
        raise ValueError(f"y must have the dtype of z, {z.dtype}, got {y.dtype}")
    if y.shape != z.shape:
        raise ValueError(f"y must have the shape of z, {tuple(z.shape)}, got {tuple(y.shape)}")
    if bool(((y != 0) & (y != 1)).any()):
        raise ValueError("y must hold labels 0 and 1")
    return z, y


def bce(z: Tensor, y: Tensor) -> Tensor:
    r"""Binary cross-entropy of the logits: :math:`\frac1m\sum_i -y_i\log\hat y_i - (1-y_i)\log(1-\hat y_i)`, :math:`\hat y = \mathrm{sigmoid}(z)`.

    Computed from :math:`z` (``binary_cross_entropy_with_logits``), so a saturated
    :math:`\hat y` never takes the logarithm of 0. Its derivative is :math:`(\hat y_i - y_i)/m`.
    """
    z, y = _check_pair(z, y)
    return F.binary_cross_entropy_with_logits(z, y)


def nth_root_loss(z: Tensor, y: Tensor, n: float = 2.0) -> Tensor:
    r"""The report's Nth root loss: :math:`\frac1m\sum_i (1-y_i)\,\hat y_i^{1/n} + y_i\,(1-\hat y_i)^{1/n}`.

    Section 9: the logarithm of the cross-entropy replaced by an :math:`n`-th root, "a loss
    which penalizes even small deviations" (:math:`n = 1` is the mean absolute error). With
    :math:`\hat y = \mathrm{sigmoid}(z)`, :math:`\hat y^{1/n} = e^{\log\mathrm{sigmoid}(z)/n}` and
    :math:`(1-\hat y)^{1/n} = e^{\log\mathrm{sigmoid}(-z)/n}`, so the derivative in :math:`z`,
    :math:`\frac{1}{nm}\big[(1-y)\,\hat y^{1/n}(1-\hat y) - y\,(1-\hat y)^{1/n}\hat y\big]`, is finite
    even where :math:`\hat y` rounds to 0 or 1 (the derivative in :math:`\hat y` is not, for :math:`n > 1`).
    """
    z, y = _check_pair(z, y)
    n = check_positive_float(n, "n")
    return _nth_root(z, y, n)


def _nth_root(z: Tensor, y: Tensor, n: float) -> Tensor:
    up = torch.exp(F.logsigmoid(z) / n)  # yhat^(1/n)
    down = torch.exp(F.logsigmoid(-z) / n)  # (1 - yhat)^(1/n)
    return ((1 - y) * up + y * down).mean()


def inverse_norm(parameters, lam: float = 1.0) -> Tensor:
    r"""The report's regularizer :math:`\lambda / \|\theta\|_2`, :math:`\theta` every parameter given, flattened.

    Added to the BCE it "helps the network to learn big parameters": its gradient
    :math:`-\lambda\,\theta / \|\theta\|^3` points outwards along :math:`\theta`.

    ``parameters``: an iterable (a list, ``model.parameters()``) of finite floating-point
    tensors of one dtype, not all zero; ``lam`` is refused where :math:`\lambda/\|\theta\|`
    would overflow that dtype.
    """
    lam = check_positive_float(lam, "lam", allow_zero=True)
    parameters = _check_tensors(parameters, "parameters")
    norm = torch.sqrt(sum((p ** 2).sum() for p in parameters))
    value = float(norm.detach())
    if value == 0.0:
        raise ValueError("parameters must not all be zero: 1/||theta|| is infinite")
    if not math.isfinite(value) or lam / value > torch.finfo(norm.dtype).max:
        raise ValueError(f"lam = {lam!r} over ||theta|| = {value:.4g} overflows {norm.dtype}")
    return lam / norm


def _check_tensors(parameters, name: str) -> list[Tensor]:
    """``parameters`` as a nonempty list of finite floating-point tensors of one dtype."""
    if isinstance(parameters, Tensor) or not hasattr(parameters, "__iter__"):
        raise ArgumentTypeError(f"{name} must be an iterable of tensors (a list, model.parameters()), "
                                f"got {type(parameters).__name__}")
    parameters = list(parameters)
    if not parameters:
        raise ValueError(f"{name} must hold at least one tensor")
    for p in parameters:
        if not isinstance(p, Tensor):
            raise ArgumentTypeError(f"{name} must hold tensors, got a {type(p).__name__}")
        check_tensor(p, f"{name} entries", ndim=p.dim())
    if len({p.dtype for p in parameters}) != 1:
        raise ValueError(f"{name} must all have one dtype, got {sorted({str(p.dtype) for p in parameters})}")
    return parameters


def training_loss(name: str, z: Tensor, y: Tensor, parameters=(), *, lam: float = 1.0, n: float = 2.0) -> Tensor:
    """The loss ``name`` of :data:`LOSSES`: ``"bce"``, ``"bce_inverse_norm"`` (BCE + lam/||theta||) or
    ``"nth_root"``.

    ``parameters`` and ``lam`` are used by ``"bce_inverse_norm"`` only, ``n`` by ``"nth_root"``
    only; the numbers ``lam`` and ``n`` are checked whatever the loss.
    """
    check_choice(name, "name", LOSSES)
    check_positive_float(lam, "lam", allow_zero=True)
    check_positive_float(n, "n")
    if name == "bce":
        return bce(z, y)
    if name == "nth_root":
        return nth_root_loss(z, y, n)
    return bce(z, y) + inverse_norm(parameters, lam)


def _loss(name: str, z: Tensor, y: Tensor, parameters, lam: float, n: float) -> Tensor:
    """:func:`training_loss` of checked arguments (in the training loop)."""
    if name == "nth_root":
        return _nth_root(z, y, n)
    loss = F.binary_cross_entropy_with_logits(z, y)
    if name == "bce_inverse_norm":
        loss = loss + lam / torch.sqrt(sum((p ** 2).sum() for p in parameters))
    return loss


# ---------------------------------------------------------------------- distance to the target


class Distance(NamedTuple):
    """Distances from :math:`\\theta` to the target and to the line through 0 and the target (min over relabellings)."""

    target: float
    line: float
    permutation: tuple[int, ...]  # the relabelling q -> permutation[q] of the target that is nearest
    exact: bool  # False: the minimum over relabellings was searched by local moves (an upper bound)


def _blocks(params: dict, n: int, k: int):
    """Per-state views: ``U (n, k, u)``, ``W (n, k, n, k)``, ``V (o, n, k)``, ``b (n, k)``."""
    U = params["U"].reshape(n, k, -1)
    W = params["W"].reshape(n, k, n, k)
    V = params["V"].reshape(-1, n, k)
    b = params["b"].reshape(n, k)
    return U, W, V, b


def _parameter_shape(params, name: str) -> tuple[int, int, int]:
    """``(u, d, o)`` read from ``params["U"]`` ``(d, u)`` and ``params["V"]`` ``(o, d)``."""
    if not isinstance(params, dict) or set(params) != {"U", "W", "V", "b", "c"}:
        raise ArgumentTypeError(f"{name} must be a dict with keys U, W, V, b, c (see effective_parameters), "
                                f"got {type(params).__name__}")
    U, V = np.shape(params["U"]), np.shape(params["V"])
    if len(U) != 2 or len(V) != 2:
        raise ValueError(f"{name}['U'] and {name}['V'] must be matrices, got shapes {U} and {V}")
    return U[1], U[0], V[0]


def _check_parameters(params, name: str, shape: tuple[int, int, int] | None = None) -> dict[str, np.ndarray]:
    """``params`` as float64 arrays of the shapes of an SRN ``(u, d, o)`` (by default, read from
    ``params``)."""
    own = _parameter_shape(params, name)
    u, d, o = own if shape is None else shape
    expected = {"U": (d, u), "W": (d, d), "V": (o, d), "b": (d,), "c": (o,)}
    out = {}
    for key, want in expected.items():
        value = np.asarray(params[key], dtype=np.float64)
        if value.shape != want:
            raise ValueError(f"{name}[{key!r}] must have shape {want}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{name}[{key!r}] contains NaN or infinite values")
        out[key] = value
    return out


def _overlaps(theta: dict, target: dict, n: int, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    r"""``A, C, s0`` with :math:`\theta\cdot\pi(\theta^\star) = s_0 + \sum_q A_{q\pi(q)} + \sum_{q,q'} C_{qq'\pi(q)\pi(q')}`.

    :math:`\pi(\theta^\star)` moves the units of state :math:`q` of the target to state
    :math:`\pi(q)`, keeping their letter: rows of :math:`U^\star, W^\star` and :math:`b^\star`,
    columns of :math:`W^\star` and :math:`V^\star`.
    """
    U, W, V, b = _blocks(theta, n, k)
    Us, Ws, Vs, bs = _blocks(target, n, k)
    A = (np.einsum("qju,rju->qr", Us, U) + np.einsum("oqj,orj->qr", Vs, V) + np.einsum("qj,rj->qr", bs, b))
    C = np.einsum("qjpl,rjsl->qprs", Ws, W)
    return A, C, float(theta["c"] @ target["c"])


def _scores(A, C, s0, perms: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    q = np.arange(n)
    linear = A[q[None, :], perms].sum(1)
    quadratic = C[q[None, :, None], q[None, None, :], perms[:, :, None], perms[:, None, :]].sum((1, 2))
    return s0 + linear + quadratic


def _local_search(A, C, s0, start: np.ndarray, sign: float, fixed: int) -> tuple[float, np.ndarray]:
    """Best-improvement pairwise swaps maximizing ``sign * score`` from ``start`` (states < ``fixed`` stay)."""
    perm = start.copy()
    best = sign * _scores(A, C, s0, perm[None])[0]
    n = len(perm)
    while True:
        swaps = [(i, j) for i in range(fixed, n) for j in range(i + 1, n)]
        if not swaps:
            return sign * best, perm
        candidates = np.repeat(perm[None], len(swaps), 0)
        for row, (i, j) in enumerate(swaps):
            candidates[row, [i, j]] = candidates[row, [j, i]]
        scores = sign * _scores(A, C, s0, candidates)
        top = int(np.argmax(scores))
        if scores[top] <= best + 1e-12 * max(1.0, abs(best)):
            return sign * best, perm
        best, perm = scores[top], candidates[top]


def matching_distance(theta: dict, target: dict, n_states: int, *, fix_initial: bool = True,
                      max_permutations: int = 50_000) -> Distance:
    r"""Distances from :math:`\theta` to the target SSRN :math:`\theta^\star`, invariant to relabelling the states.

    A relabelling :math:`\pi` of the states of the DFA gives an equivalent SSRN
    :math:`\pi(\theta^\star)` (the units of state :math:`q` move to state :math:`\pi(q)`).
    With the initial state :math:`h_0 = e_0` held fixed (``fix_initial``), the relabellings
    that keep :math:`q_0` are the symmetries. So

    .. math::

        d_{\mathrm{target}} = \min_\pi \|\theta - \pi(\theta^\star)\|_2, \qquad
        d_{\mathrm{line}} = \min_\pi \min_{\alpha\in\mathbb R} \|\theta - \alpha\,\pi(\theta^\star)\|_2
        = \min_\pi \sqrt{\|\theta\|^2 - (\theta\cdot\pi(\theta^\star))^2/\|\theta^\star\|^2}.

    Both depend on :math:`\pi` only through :math:`s(\pi) = \theta\cdot\pi(\theta^\star)`, a quadratic
    assignment objective (the :math:`W` term moves rows and columns). It is evaluated for every
    relabelling when there are at most ``max_permutations`` of them (exact); otherwise the
    maximum of :math:`s` (and of :math:`-s`) is searched by pairwise swaps from the identity,
    and ``exact`` is False (the distances are then upper bounds).

    Parameters
    ----------
    theta, target
        Dicts of arrays ``U (d, |Σ|)``, ``W (d, d)``, ``V (o, d)``, ``b (d,)``, ``c (o,)`` with
        :math:`d = |Q||\Sigma|`, as :func:`effective_parameters` and :func:`target_parameters` give.
    n_states
        :math:`|Q|`; :math:`|\Sigma| = d / |Q|`.
    fix_initial
        Keep :math:`q_0` in place (default), or minimize over all :math:`|Q|!` relabellings.
    max_permutations
        The largest number of relabellings enumerated (the enumeration is also held to the
        package's memory limit, :func:`srnbook.get_memory_limit`).
    """
    n = check_positive_int(n_states, "n_states")
    fix_initial = check_bool(fix_initial, "fix_initial")
    max_permutations = check_positive_int(max_permutations, "max_permutations")
    target = _check_parameters(target, "target")
    u, d, o = _parameter_shape(target, "target")
    if d % n:
        raise ValueError(f"n_states must divide the hidden size d = {d}, got {n}")
    theta = _check_parameters(theta, "theta", (u, d, o))
    k = d // n
    check_memory(16 * n**4, f"the overlaps of n_states={n} states ({n}**4 numbers)", "n_states")
    A, C, s0 = _overlaps(theta, target, n, k)
    fixed = 1 if fix_initial else 0
    count = math.factorial(n - fixed)
    if count <= max_permutations:
        check_memory(count * n * (40 * n + 64),
                     f"enumerating the {count} relabellings of n_states={n} states", "max_permutations")
        rest = np.array(list(itertools.permutations(range(fixed, n))), dtype=np.int64).reshape(count, n - fixed)
        perms = np.concatenate([np.zeros((count, fixed), dtype=np.int64), rest], axis=1)
        scores = _scores(A, C, s0, perms)
        hi, lo = int(np.argmax(scores)), int(np.argmin(scores))
        s_max, p_max, s_min, p_min, exact = scores[hi], perms[hi], scores[lo], perms[lo], True
    else:
        identity = np.arange(n)
        s_max, p_max = _local_search(A, C, s0, identity, 1.0, fixed)
        s_min, p_min = _local_search(A, C, s0, identity, -1.0, fixed)
        exact = False
    norm_theta = sum(float((v ** 2).sum()) for v in theta.values())
    norm_target = sum(float((v ** 2).sum()) for v in target.values())
    to_target = math.sqrt(max(norm_theta + norm_target - 2 * s_max, 0.0))
    s_line, p_line = (s_max, p_max) if abs(s_max) >= abs(s_min) else (s_min, p_min)
    to_line = math.sqrt(max(norm_theta - s_line ** 2 / norm_target, 0.0))
    return Distance(to_target, to_line, tuple(int(q) for q in p_max), exact)


def permute_states(params: dict, permutation, n_states: int) -> dict[str, np.ndarray]:
    r""":math:`\pi(\theta)`: the network with the units of state :math:`q` moved to state ``permutation[q]``.

    ``params`` as :func:`effective_parameters` gives them; ``permutation`` a sequence of the
    integers :math:`0, \dots, |Q| - 1`.
    """
    params = _check_parameters(params, "params")
    n = check_positive_int(n_states, "n_states")
    d = params["W"].shape[0]
    if d % n:
        raise ValueError(f"n_states must divide the hidden size d = {d}, got {n}")
    if not isinstance(permutation, (list, tuple, np.ndarray)) or np.ndim(permutation) != 1:
        raise ArgumentTypeError(f"permutation must be a list of the integers 0..{n - 1}, got {permutation!r}")
    perm = np.array([check_int(q, "permutation entries") for q in list(permutation)], dtype=np.int64)
    if sorted(perm.tolist()) != list(range(n)):
        raise ValueError(f"permutation must be a permutation of 0..{n - 1}, got {perm.tolist()!r}")
    k = d // n
    units = (perm[:, None] * k + np.arange(k)[None, :]).ravel()  # old unit q*k+j goes to units[q*k+j]
    inverse = np.empty(d, dtype=np.int64)
    inverse[units] = np.arange(d)  # new unit i came from old unit inverse[i]
    return {"U": params["U"][inverse], "W": params["W"][np.ix_(inverse, inverse)], "V": params["V"][:, inverse],
            "b": params["b"][inverse], "c": params["c"].copy()}


# ---------------------------------------------------------------------- training beside each other


@dataclass
class History:
    """The metrics of section 9, one entry per evaluation (after ``epoch`` epochs)."""

    epoch: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_l2: list = field(default_factory=list)
    grad_linf: list = field(default_factory=list)
    distance: list = field(default_factory=list)
    line_distance: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {key: list(value) for key, value in self.__dict__.items()}


@dataclass
class PairResult:
    """The two trained networks and their histories, keyed ``"constrained"`` and ``"plain"``."""

    models: dict
    histories: dict
    h0: Tensor
    exact_distance: bool
    snapshots: dict = field(default_factory=dict)
    """``{epoch: {"constrained": model, "plain": model}}``: copies taken after the epochs in ``keep``."""


def _encode(words: Words, dtype: torch.dtype, name: str) -> tuple[Tensor, Tensor, Tensor]:
    if not isinstance(words, Words):
        raise ValueError(f"{name} must be srnbook.sampling.Words (from sample_words or balanced_dataset), "
                         f"got {type(words).__name__}")
    if len(words) == 0 or (words.lengths == 0).any():
        raise ValueError(f"{name} must hold at least one word and no empty word (the SRN reads at least one letter)")
    nbytes = words.symbols.size * len(words.alphabet) * dtype.itemsize
    check_memory(nbytes, "the one-hot encoding of the words", name)
    x, lengths = words.one_hot(dtype)
    return x, lengths, torch.from_numpy(words.labels.astype(np.float64)).to(dtype)


def logits(model: SRN, x: Tensor, lengths: Tensor, h0: Tensor | None = None) -> Tensor:
    """:math:`z = V h_T + c` of each word: the output at its last letter of ``model``, an SRN with
    ``output="identity"``. ``x`` ``(B, T, |Σ|)``, ``lengths`` ``(B,)`` integers in :math:`[1, T]`,
    ``h0`` ``(d,)`` or ``(B, d)`` (``None``: zeros), as :meth:`srnbook.SRN.forward` takes them."""
    check_instance(model, "model", SRN, "a srnbook.SRN")
    if model.output != "identity":
        raise ValueError("model must have output='identity' (its output is then the logit z), "
                         f"got {model.output!r}")
    lengths = check_int_tensor(lengths, "lengths", ndim=1, low=1)
    return _logits(model, x, lengths, h0)


def _logits(model: SRN, x: Tensor, lengths: Tensor, h0: Tensor | None) -> Tensor:
    """:func:`logits` of checked ``model`` and int64 ``lengths`` (the SRN checks the rest)."""
    out = model(x, lengths, h0)
    return out.y.gather(1, (lengths - 1).view(-1, 1, 1)).view(-1)


def _flat_grad(model: nn.Module) -> Tensor:
    r""":math:`\nabla_\theta L` in the order of :func:`srnbook.flatten_parameters` (after ``backward()``)."""
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def _evaluate(model, loss_fn, data, test, h0, target, n_states, history, epoch, max_permutations):
    x, lengths, y = data
    model.zero_grad()
    z = _logits(model, x, lengths, h0)
    loss = loss_fn(model, z, y)
    loss.backward()
    grad = _flat_grad(model)
    distance = matching_distance(effective_parameters(model), target, n_states, max_permutations=max_permutations)
    with torch.no_grad():
        test_z = _logits(model, test[0], test[1], h0)
    history.epoch.append(epoch)
    history.loss.append(float(loss.detach()))
    history.grad_l2.append(float(grad.norm()))
    history.grad_linf.append(float(grad.abs().max()))
    history.distance.append(distance.target)
    history.line_distance.append(distance.line)
    history.train_accuracy.append(float(((z > 0).to(y.dtype) == y).double().mean()))
    history.test_accuracy.append(float(((test_z > 0).to(test[2].dtype) == test[2]).double().mean()))
    model.zero_grad()
    return distance.exact


def train_pair(dfa: DFA, train_words: Words, test_words: Words, activation: str = "tanh", *, loss: str = "bce",
               optimizer: str = "adam", lr: float = 0.01, epochs: int = 50, batch_size: int = 100, lam: float = 1.0,
               n: float = 2.0, seed: int = 0, eval_every: int = 1, max_permutations: int = 50_000,
               progress: bool = False, keep=()) -> PairResult:
    r"""Train the constrained SRN and an unconstrained SRN from the same initialization (sections 7.3, 9, 10).

    Both networks have :math:`d = |Q||\Sigma|` units (:math:`|Q|` of the minimal DFA), the
    initial state :math:`h_0` of the compiled SSRN (:math:`e_0`, or :math:`\mathcal B e_0` for tanh)
    and the identity output, so that :math:`\hat y` is the logit :math:`z`. The unconstrained one
    starts at :meth:`ConstrainedSRN.to_srn` (the same function, biases then free). At every
    step both see the same minibatch. Every ``eval_every`` epochs (and before training) each
    :class:`History` records the loss on the whole training set, the :math:`\ell_2` and
    :math:`\ell_\infty` norms of its gradient (in each network's own parameters), the distances
    of :func:`matching_distance` to the SSRN compiled from ``dfa`` with the same activation,
    and the accuracies on the training and test words.

    Parameters
    ----------
    dfa
        The target automaton (it fixes :math:`|Q|`, :math:`|\Sigma|` and the target SSRN).
    train_words, test_words
        Labelled words from :func:`srnbook.balanced_dataset`, none empty.
    activation
        ``"tanh"`` (the report's) or ``"sigmoid"``.
    loss
        One of :data:`LOSSES`; ``lam`` weighs :func:`inverse_norm`, ``n`` is the root of :func:`nth_root_loss`.
    optimizer, lr, epochs, batch_size
        ``"adam"`` or ``"sgd"``, its learning rate, passes over the data, minibatch size.
    seed
        Seeds the initialization and the minibatch order.
    keep
        Epochs in :math:`[0, \text{epochs}]` (0 = the initialization) after which a copy of both
        networks is kept in ``PairResult.snapshots``; training is the same with or without them.

    ``lam`` and ``n`` are checked whatever the loss (each is used by one loss only);
    ``batch_size`` may exceed the number of training words (full-batch training). The
    networks are float32: ``lam`` and ``lr`` must be representable in float32 (``lr`` / 0.1, Adam's
    first step, for ``"adam"``), and a run whose logits stop being finite stops with a ``ValueError``.
    """
    check_instance(dfa, "dfa", DFA, "a srnbook.DFA")
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(loss, "loss", LOSSES)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    top = torch.finfo(torch.float32).max
    adam_step = 1 - 0.9  # Adam's first step is lr / (1 - beta1): the bound keeps it a float32
    lr = check_float(lr, "lr", low=0.0, high=top * (adam_step if optimizer == "adam" else 1.0), low_open=True)
    lam = check_float(lam, "lam", low=0.0, high=top)
    n = check_positive_float(n, "n")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_every = check_positive_int(eval_every, "eval_every")
    seed = check_seed(seed)
    max_permutations = check_positive_int(max_permutations, "max_permutations")
    progress = check_bool(progress, "progress")
    keep = _check_keep(keep, epochs)
    dfa = dfa.minimize()
    for name, words in (("train_words", train_words), ("test_words", test_words)):
        if isinstance(words, Words) and set(words.alphabet) != set(dfa.alphabet):
            raise ValueError(f"{name} must be over the DFA's alphabet {dfa.alphabet!r}, got {words.alphabet!r}")
    dtype = torch.float32
    data = _encode(train_words, dtype, "train_words")
    test = _encode(test_words, dtype, "test_words")
    compiled = dfa_to_ssrn(dfa, activation)
    target, h0 = effective_parameters(compiled.srn), compiled.h0.to(dtype)

    torch.manual_seed(seed)
    constrained = ConstrainedSRN(dfa.n_states, dfa.n_symbols, activation)
    models = {"constrained": constrained, "plain": constrained.to_srn()}
    make = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    optimizers = {key: make(model.parameters(), lr=lr) for key, model in models.items()}
    histories = {key: History() for key in models}

    def loss_fn(model, z, y):
        if not bool(torch.isfinite(z).all()):
            raise ValueError(f"training diverged: the logits are no longer finite (lr = {lr!r} is too large "
                             "for this run)")
        return _loss(loss, z, y, model.parameters(), lam, n)

    snapshots = {}
    if 0 in keep:
        snapshots[0] = copy.deepcopy(models)
    exact = True
    for key, model in models.items():
        exact &= _evaluate(model, loss_fn, data, test, h0, target, dfa.n_states, histories[key], 0, max_permutations)
    rng = np.random.default_rng(seed)
    x, lengths, y = data
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, miniters=1):
        order = torch.from_numpy(rng.permutation(len(y)))
        for start in range(0, len(y), batch_size):
            rows = order[start:start + batch_size]
            top = int(lengths[rows].max())
            xb, lb, yb = x[rows, :top], lengths[rows], y[rows]
            for key, model in models.items():
                optimizers[key].zero_grad()
                loss_fn(model, _logits(model, xb, lb, h0), yb).backward()
                optimizers[key].step()
        if epoch in keep:
            snapshots[epoch] = copy.deepcopy(models)
        if epoch % eval_every == 0 or epoch == epochs:
            for key, model in models.items():
                exact &= _evaluate(model, loss_fn, data, test, h0, target, dfa.n_states, histories[key], epoch,
                                   max_permutations)
    return PairResult(models, histories, h0, exact, snapshots)


def _check_keep(keep, epochs: int) -> set[int]:
    if not isinstance(keep, (list, tuple, set, frozenset, range, np.ndarray)):
        raise ArgumentTypeError(f"keep must be a collection of epochs, got {type(keep).__name__}")
    return {check_int(e, "keep entries", low=0, high=epochs) for e in keep}


# ---------------------------------------------------------------------- why gradient descent does not get there


class ScalePoint(NamedTuple):
    """The BCE on compiled SSRNs at scale ``J`` and its gradient."""

    J: float
    loss: float
    grad_l2: float
    grad_linf: float
    zero: bool  # every entry of the gradient is exactly 0


def _ssrn_loss(srn: SRN, data, h0) -> Tensor:
    x, lengths, y = data
    h = srn(x, lengths, h0).h_last
    z = (h @ srn.V.t() + srn.c).view(-1)  # the logit; the SSRN's own output is sigma(z) or tanh(z)
    return bce(z, y)


def gradient_by_scale(dfa: DFA, scales, words: Words, activation: str = "sigmoid",
                      dtype: torch.dtype = torch.float32) -> list[ScalePoint]:
    r"""The BCE of the SSRN compiled from ``dfa`` at each scale :math:`J`, and the norms of its gradient.

    The SSRN classifies every word correctly at every scale large enough, and its loss and
    gradient shrink like :math:`e^{-J}`: every :math:`\partial L/\partial\theta` carries a
    factor :math:`\hat y - y` or :math:`\sigma'(a_t)` evaluated at a pre-activation of size
    :math:`J` or more. In floating point both reach exactly 0 past the saturation threshold
    (for the sigmoid in float32, :math:`J \ge 88.72`, :func:`srnbook.saturating_scale`).

    ``scales``: a nonempty sequence (or array) of positive numbers; ``dtype`` float32 or float64.
    """
    check_instance(dfa, "dfa", DFA, "a srnbook.DFA")
    if not isinstance(scales, (list, tuple, np.ndarray)) or np.ndim(scales) != 1 or len(scales) == 0:
        raise ArgumentTypeError(f"scales must be a nonempty list of positive numbers, got {_brief(scales)}")
    scales = [check_positive_float(J, "scales entries") for J in list(scales)]
    check_choice(activation, "activation", ACTIVATIONS)
    dtype = check_dtype(dtype, "dtype", allowed=(torch.float32, torch.float64))
    data = _encode(words, dtype, "words")
    points = []
    for J in scales:
        try:
            ssrn = dfa_to_ssrn(dfa, activation, J, dtype)
        except ValueError as error:
            raise ValueError(f"scales: {error}") from error
        ssrn.srn.zero_grad()
        loss = _ssrn_loss(ssrn.srn, data, ssrn.h0)
        loss.backward()
        grad = _flat_grad(ssrn.srn)
        points.append(ScalePoint(ssrn.J, float(loss.detach()), float(grad.norm()), float(grad.abs().max()),
                                 bool((grad == 0).all())))
    return points


def scale_growth(dfa: DFA, words: Words, J0: float = 1.0, steps: int = 1000, lr: float = 1.0,
                 activation: str = "sigmoid", every: int = 10) -> dict:
    r"""Gradient descent started on the compiled SSRN at scale :math:`J_0`, in the right direction.

    :math:`\theta_0 = \theta^\star(J_0)` already classifies the words; plain gradient descent
    :math:`\theta \leftarrow \theta - \eta\nabla L` then only grows the scale. Returns the
    effective scale :math:`J_t = J_0\,\theta_t\cdot\theta_0/\|\theta_0\|^2` (the component along the
    target's direction), the loss, :math:`\|\nabla L\|` and the norm of each parameter tensor
    (``"norms"``: name -> list) every ``every`` steps. Because
    :math:`\|\nabla L\| \approx C e^{-J}`, :math:`dJ/dt \propto e^{-J}` and
    :math:`J_t \approx \log(t)` + const: a bounded step reaches scale :math:`J` only after
    a number of steps exponential in :math:`J` (the consequence of Mitarchuk et al. 2024
    that a bounded-step gradient descent does not reach a saturated network). float64.

    ``J0`` is refused where :math:`\|\theta_0\|^2` overflows float64; a step ``lr`` that makes
    the parameters overflow stops the run with a ``ValueError``.
    """
    check_instance(dfa, "dfa", DFA, "a srnbook.DFA")
    steps = check_positive_int(steps, "steps")
    every = check_positive_int(every, "every")
    lr = check_positive_float(lr, "lr")
    J0 = check_positive_float(J0, "J0")
    check_choice(activation, "activation", ACTIVATIONS)
    data = _encode(words, torch.float64, "words")
    ssrn = dfa_to_ssrn(dfa, activation, J0, torch.float64)
    srn, h0 = ssrn.srn, ssrn.h0
    theta0 = flatten_parameters(srn).detach()
    if not math.isfinite(float(theta0 @ theta0)):
        raise ValueError(f"J0 = {J0!r} is too large: the squared norm of the compiled network overflows "
                         "float64")
    out = {"step": [], "J": [], "loss": [], "grad_l2": [], "norms": {name: [] for name, _ in srn.named_parameters()}}
    for t in range(steps + 1):
        srn.zero_grad()
        loss = _ssrn_loss(srn, data, h0)
        loss.backward()
        if t % every == 0:
            theta = flatten_parameters(srn).detach()
            grad = _flat_grad(srn)
            out["step"].append(t)
            out["J"].append(float(J0 * theta @ theta0 / (theta0 @ theta0)))
            out["loss"].append(float(loss.detach()))
            out["grad_l2"].append(float(grad.norm()))
            for name, p in srn.named_parameters():
                out["norms"][name].append(float(p.detach().norm()))
        if t < steps:
            with torch.no_grad():
                for p in srn.parameters():
                    p -= lr * p.grad
                theta = flatten_parameters(srn)
                if not math.isfinite(float(theta @ theta)):
                    raise ValueError(f"lr = {lr!r} is too large: the parameters overflow float64 after "
                                     f"{t + 1} steps")
    return out


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
