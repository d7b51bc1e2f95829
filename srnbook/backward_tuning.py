r"""Backward tuning (Viéville): weights of a recurrent network from a forward simulation,
backward multipliers and one linear system per unit.

Notation (chapter "Backward tuning"). Every variable :math:`n` of the network obeys, at every
step :math:`t = 1, \dots, T`,

.. math::
    h_n(t) = \phi_{n0}(t) + \sum_{d=1}^{D_n} W_{nd}\, \phi_{nd}(t),

where the kernels :math:`\phi_{nd}(t)` depend on values computed before :math:`h_n(t)` (earlier
steps, or earlier in the same step) and on the inputs :math:`x_m(t-1)`; :math:`\phi_{n0}` is the
fixed *firmware*, the sum the *learnware*, linear in the weights. A unit type defines its kernels
and their derivatives. The types here have two variables per unit: an auxiliary one
:math:`a_n(t)` computed first, from :math:`h(t-1)` and :math:`x(t-1)`, then the state
:math:`h_n(t)`, from :math:`a(t)`, :math:`h(t-1)` and :math:`x(t-1)`; :math:`h(0) = 0`.

* :class:`LinearNonLinear`: :math:`a_n(t) = \alpha_n + \sum_{n'} W_{nn'} h_{n'}(t-1) + \sum_m W_{nm} x_m(t-1)`,
  :math:`h_n(t) = \zeta(a_n(t)) + \gamma_n h_n(t-1)`.
* :class:`IntegrateAndFire`: :math:`z_n(t) = k_n (h_n(t-1) - 1)` (sharpness :math:`k_n = 1/\epsilon_n`),
  :math:`h_n(t) = \gamma_n (1 - \zeta(z_n(t))) h_n(t-1) + \alpha_n + \sum_{n'} W_{nn'} \zeta(z_{n'}(t)) + \sum_m W_{nm} x_m(t-1)`.

:math:`\zeta` is the logistic sigmoid. The criterion is
:math:`C(W) = \sum_{t} \sum_{k < K} \tfrac{\kappa}{2} (h_k(t) - o_k(t))^2 + \mathcal R(W)` on the
:math:`K` observed units (default :math:`\kappa = 1/T`). The three steps of :func:`fit`:
:func:`simulate` (forward), :func:`backward_errors` (the Lagrange multipliers
:math:`\varepsilon_{nt} = \partial C / \partial h_n(t)`, by an explicit backward recursion) and
:func:`normal_equation_step` (each variable's weights fitted by least squares to the target
:math:`h_n(t) - \varepsilon_{nt}/\kappa`), then a line search. :func:`fit_bptt` is the baseline:
L-BFGS-B (scipy) or Adam on the gradient that autograd gives through the same simulation.
Source: Viéville's slides "Recurrent neural network weight estimation through backward tuning"
(Inria Mnemosyne) and the Mnemonas library, https://vthierry.github.io/mnemonas.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from ._validation import (ArgumentTypeError, check_bool, check_callable, check_choice, check_float,
                          check_instance, check_int, check_memory, check_positive_float, check_positive_int,
                          check_seed, check_tensor)

Tensor = torch.Tensor

__all__ = ["GatedUnit", "IntegrateAndFire", "LinearNonLinear", "UNIT_TYPES", "Weights", "Trajectory", "Betas", "FitResult",
           "make_unit", "init_weights", "project", "reverse_engineering", "simulate", "criterion", "regularization", "betas",
           "backward_errors", "gradient", "normal_equation_step", "fit", "fit_bptt", "decay_fit"]


class Weights(NamedTuple):
    """The weights of a network: ``aux`` (N, D_a) of the auxiliary variables, ``main`` (N, D_x) of the states."""

    aux: Tensor
    main: Tensor


class Trajectory(NamedTuple):
    """A simulation: ``h`` (T + 1, N) with ``h[0] = 0`` the initial state, ``a`` (T + 1, N) the auxiliaries (``a[0] = 0``)."""

    h: Tensor
    a: Tensor


class Betas(NamedTuple):
    r"""The coefficients :math:`\beta` of the backward recursion, each (T, N, N), row ``t - 1`` for step ``t``.

    ``ax[t-1, n, n'] = d a_n(t) / d h_{n'}(t-1)``, ``xx[t-1, n, n'] = d h_n(t) / d h_{n'}(t-1)`` (with
    :math:`a(t)` held fixed) and ``xa[t-1, n, n'] = d h_n(t) / d a_{n'}(t)``.
    """

    ax: Tensor
    xx: Tensor
    xa: Tensor


def _zeta(z: Tensor) -> Tensor:
    return torch.sigmoid(z)


def _dzeta(z: Tensor) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s)


def _diag(v: Tensor) -> Tensor:
    return torch.diag_embed(v)


class LinearNonLinear:
    r"""The linear-nonlinear unit: :math:`h_n(t) = \zeta(a_n(t)) + \gamma_n h_n(t-1)`.

    Auxiliary :math:`a_n(t) = \alpha_n + \sum_{n'} W_{nn'} h_{n'}(t-1) + \sum_m W_{nm} x_m(t-1)`: kernels
    :math:`(1, h(t-1), x(t-1))`, weights ``aux = [alpha, W_rec, W_in]``, firmware 0. State: firmware
    :math:`\zeta(a_n(t))`, one kernel :math:`h_n(t-1)` with weight ``main = [gamma]``,
    :math:`\gamma_n \in [0, 0.999]`. ``fixed_offset=True`` keeps :math:`\alpha` fixed (the slides' run).
    """

    name = "lnl"

    def __init__(self, n_units: int, n_inputs: int, fixed_offset: bool = True):
        self.n_units, self.n_inputs = _check_sizes(n_units, n_inputs, lambda N, M: 2 + N + M)
        self.fixed_offset = check_bool(fixed_offset, "fixed_offset")
        self.aux_size, self.main_size = 1 + self.n_units + self.n_inputs, 1

    def aux_kernels(self, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        """Firmware (..., N) and kernels (..., N, D_a) of :math:`a(t)` from :math:`h(t-1)` (``x_prev``,
        (N,) or (T, N)) and :math:`x(t-1)` (``i_prev``, (M,) or (T, M)), float64."""
        _check_values((1, 2), x_prev=(x_prev, self.n_units), i_prev=(i_prev, self.n_inputs))
        return self._aux_kernels(x_prev, i_prev)

    def _aux_kernels(self, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        row = torch.cat([torch.ones_like(x_prev[..., :1]), x_prev, i_prev], -1)
        return torch.zeros_like(x_prev), row.unsqueeze(-2).expand(*row.shape[:-1], self.n_units, row.shape[-1])

    def main_kernels(self, a: Tensor, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        r"""Firmware :math:`\zeta(a(t))` and kernel :math:`h(t-1)`, shapes (..., N) and (..., N, 1);
        arguments as for :meth:`aux_kernels`, ``a`` like ``x_prev``."""
        _check_values((1, 2), a=(a, self.n_units), x_prev=(x_prev, self.n_units),
                      i_prev=(i_prev, self.n_inputs))
        return self._main_kernels(a, x_prev, i_prev)

    def _main_kernels(self, a: Tensor, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        return _zeta(a), x_prev.unsqueeze(-1)

    def betas(self, weights: Weights, traj: Trajectory) -> Betas:
        r""":math:`\partial a_n(t)/\partial h_{n'}(t-1) = W_{nn'}`, :math:`\partial h_n(t)/\partial h_n(t-1) = \gamma_n`,
        :math:`\partial h_n(t)/\partial a_n(t) = \zeta'(a_n(t))`."""
        return self._betas(_check_weights(self, weights), _check_traj(self, traj))

    def _betas(self, weights: Weights, traj: Trajectory) -> Betas:
        T, N = traj.h.shape[0] - 1, self.n_units
        w_rec = weights.aux[:, 1:1 + N]
        return Betas(w_rec.expand(T, N, N), _diag(weights.main[:, 0]).expand(T, N, N), _diag(_dzeta(traj.a[1:])))

    def bounds(self) -> tuple[Weights, Weights]:
        """Lower and upper bounds of the weights (``gamma`` in [0, 0.999])."""
        N = self.n_units
        inf = math.inf
        lower = Weights(torch.full((N, self.aux_size), -inf, dtype=torch.float64), torch.zeros(N, 1, dtype=torch.float64))
        upper = Weights(torch.full((N, self.aux_size), inf, dtype=torch.float64), torch.full((N, 1), 0.999, dtype=torch.float64))
        return lower, upper

    def fixed(self) -> Weights:
        """Boolean masks of the weights that are not learned (the offsets if ``fixed_offset``)."""
        aux = torch.zeros(self.n_units, self.aux_size, dtype=torch.bool)
        aux[:, 0] = self.fixed_offset
        return Weights(aux, torch.zeros(self.n_units, 1, dtype=torch.bool))


class IntegrateAndFire:
    r"""The approximate integrate-and-fire unit (our reading of the slides' spiking unit).

    Auxiliary :math:`z_n(t) = k_n (h_n(t-1) - 1)`: one kernel :math:`h_n(t-1) - 1` whose weight is the
    sharpness ``aux = [k]``, :math:`k_n = 1/\epsilon_n \in [0, 100]`. State: no firmware, kernels
    :math:`((1 - \zeta(z_n(t))) h_n(t-1), 1, \zeta(z(t)), x(t-1))`, weights
    ``main = [gamma, alpha, W_rec, W_in]``, :math:`\gamma_n \in [0, 0.999]`: the unit resets
    when its potential crosses 1 and :math:`\zeta(z_n(t))` is its smooth spike.
    """

    name = "iaf"

    def __init__(self, n_units: int, n_inputs: int):
        self.n_units, self.n_inputs = _check_sizes(n_units, n_inputs, lambda N, M: 3 + N + M)
        self.aux_size, self.main_size = 1, 2 + self.n_units + self.n_inputs

    def aux_kernels(self, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        """Firmware 0 and kernel :math:`h_n(t-1) - 1`, shapes (..., N) and (..., N, 1); arguments as for
        :meth:`LinearNonLinear.aux_kernels`."""
        _check_values((1, 2), x_prev=(x_prev, self.n_units), i_prev=(i_prev, self.n_inputs))
        return self._aux_kernels(x_prev, i_prev)

    def _aux_kernels(self, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros_like(x_prev), (x_prev - 1).unsqueeze(-1)

    def main_kernels(self, a: Tensor, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        """Firmware 0 and kernels (..., N, 2 + N + M) of :math:`h(t)`; arguments as for
        :meth:`LinearNonLinear.main_kernels`."""
        _check_values((1, 2), a=(a, self.n_units), x_prev=(x_prev, self.n_units),
                      i_prev=(i_prev, self.n_inputs))
        return self._main_kernels(a, x_prev, i_prev)

    def _main_kernels(self, a: Tensor, x_prev: Tensor, i_prev: Tensor) -> tuple[Tensor, Tensor]:
        N = self.n_units
        s = _zeta(a)
        own = ((1 - s) * x_prev).unsqueeze(-1)
        shared = torch.cat([torch.ones_like(x_prev[..., :1]), s, i_prev], -1)
        shared = shared.unsqueeze(-2).expand(*shared.shape[:-1], N, shared.shape[-1])
        return torch.zeros_like(x_prev), torch.cat([own, shared], -1)

    def betas(self, weights: Weights, traj: Trajectory) -> Betas:
        r""":math:`\partial z_n(t)/\partial h_n(t-1) = k_n`, :math:`\partial h_n(t)/\partial h_n(t-1) = \gamma_n (1 - \zeta(z_n(t)))`,
        :math:`\partial h_n(t)/\partial z_{n'}(t) = W_{nn'} \zeta'(z_{n'}(t)) - [n = n']\, \gamma_n \zeta'(z_n(t)) h_n(t-1)`."""
        return self._betas(_check_weights(self, weights), _check_traj(self, traj))

    def _betas(self, weights: Weights, traj: Trajectory) -> Betas:
        T, N = traj.h.shape[0] - 1, self.n_units
        z, x_prev = traj.a[1:], traj.h[:-1]
        gamma, w_rec = weights.main[:, 0], weights.main[:, 2:2 + N]
        dz = _dzeta(z)
        xa = w_rec * dz.unsqueeze(-2) - _diag(gamma * dz * x_prev)
        return Betas(_diag(weights.aux[:, 0]).expand(T, N, N), _diag(gamma * (1 - _zeta(z))), xa)

    def bounds(self) -> tuple[Weights, Weights]:
        """Lower and upper bounds: sharpness in [0, 100], ``gamma`` in [0, 0.999]."""
        N, D = self.n_units, self.main_size
        lo = torch.full((N, D), -math.inf, dtype=torch.float64)
        hi = torch.full((N, D), math.inf, dtype=torch.float64)
        lo[:, 0], hi[:, 0] = 0.0, 0.999
        return (Weights(torch.zeros(N, 1, dtype=torch.float64), lo),
                Weights(torch.full((N, 1), 100.0, dtype=torch.float64), hi))

    def fixed(self) -> Weights:
        """Boolean masks of the weights that are not learned (none)."""
        return Weights(torch.zeros(self.n_units, 1, dtype=torch.bool),
                       torch.zeros(self.n_units, self.main_size, dtype=torch.bool))


class GatedUnit:
    r"""The slides' "general notation" unit with gates (LSTM-like): forward dynamics, kernels and their derivatives.

    Per unit, six variables computed in this order at step :math:`t` (:math:`\zeta` the logistic sigmoid):

    * :math:`g_n(t) = \sum_{n'} W^g_{nn'} h_{n'}(t-1) + \sum_m W^g_{nm} x_m(t-1)`;
    * for :math:`q \in \{o, f, i\}` (output, forget, memorize):
      :math:`y^q_n(t) = W^q_n s_n(t-1) + \sum_{n'} W^q_{nn'} h_{n'}(t-1) + \sum_m W^q_{nm} x_m(t-1)`
      (the slides write :math:`y^c_{n'}(t-1)` in the sum; we read it as the unit outputs :math:`h_{n'}(t-1)`);
    * :math:`s_n(t) = \zeta(y^f_n(t))\, s_n(t-1) + \zeta(y^i_n(t)) \tanh(g_n(t))` (firmware only);
    * :math:`h_n(t) = \zeta(y^o_n(t)) \tanh(s_n(t))` (firmware only).

    The gates are linear in their weights (kernels :math:`(h(t-1), x(t-1))` for :math:`g` and
    :math:`(s_n(t-1), h(t-1), x(t-1))` for the modulations); the state and the output are firmware.
    Only the forward step, the kernels and the step's derivatives are implemented: :func:`fit` handles the
    two-variable types :class:`LinearNonLinear` and :class:`IntegrateAndFire`.
    """

    name = "gated"
    GATES = ("g", "o", "f", "i")

    def __init__(self, n_units: int, n_inputs: int):
        self.n_units, self.n_inputs = _check_sizes(n_units, n_inputs, lambda N, M: 4 * (1 + N + M))
        N, M = self.n_units, self.n_inputs
        self.sizes = {"g": N + M, "o": 1 + N + M, "f": 1 + N + M, "i": 1 + N + M}

    def init_weights(self, seed: int, scale: float | None = None) -> dict:
        """Weights ``{"g": (N, N + M), "o"/"f"/"i": (N, 1 + N + M)}``, entries :math:`\\mathcal N(0, s^2)`, :math:`s = 0.5/\\sqrt N`."""
        seed = check_seed(seed)
        s = 0.5 / math.sqrt(self.n_units) if scale is None else check_positive_float(scale, "scale")
        g = torch.Generator().manual_seed(seed)
        return {q: s * torch.randn(self.n_units, d, generator=g, dtype=torch.float64) for q, d in self.sizes.items()}

    def kernels(self, gate: str, h_prev: Tensor, s_prev: Tensor, x_prev: Tensor) -> Tensor:
        """The kernels (N, D) of ``gate`` (one of ``GATES``) from :math:`h(t-1)`, :math:`s(t-1)` (each
        (N,)) and :math:`x(t-1)` ((M,)), float64."""
        check_choice(gate, "gate", self.GATES)
        self._check_step(h_prev, s_prev, x_prev)
        return self._kernels(gate, h_prev, s_prev, x_prev)

    def _check_step(self, h_prev: Tensor, s_prev: Tensor, x_prev: Tensor) -> None:
        _check_values(1, h_prev=(h_prev, self.n_units), s_prev=(s_prev, self.n_units),
                      x_prev=(x_prev, self.n_inputs))

    def _check_weights(self, weights) -> dict:
        """``weights`` as :meth:`init_weights` gives them: float64 ``(N, D_q)`` per gate ``q``."""
        if not isinstance(weights, dict) or set(weights) != set(self.GATES):
            raise ArgumentTypeError(f"weights must be a dict with keys {', '.join(self.GATES)} "
                                    f"(see init_weights), got {_brief(weights)}")
        for q, D in self.sizes.items():
            check_tensor(weights[q], f"weights[{q!r}]", ndim=2, dtype=torch.float64)
            if tuple(weights[q].shape) != (self.n_units, D):
                raise ValueError(f"weights[{q!r}] must have shape {(self.n_units, D)}, "
                                 f"got {tuple(weights[q].shape)}")
        return weights

    def _kernels(self, gate: str, h_prev: Tensor, s_prev: Tensor, x_prev: Tensor) -> Tensor:
        N = self.n_units
        shared = torch.cat([h_prev, x_prev]).expand(N, N + self.n_inputs)
        return shared if gate == "g" else torch.cat([s_prev.unsqueeze(-1), shared], -1)

    def step(self, weights: dict, h_prev: Tensor, s_prev: Tensor, x_prev: Tensor) -> dict:
        """One step: every variable at :math:`t` (``g``, ``o``, ``f``, ``i``, ``s``, ``h``, each (N,));
        ``weights`` as :meth:`init_weights` gives them, the others as for :meth:`kernels`."""
        self._check_weights(weights)
        self._check_step(h_prev, s_prev, x_prev)
        return self._step(weights, h_prev, s_prev, x_prev)

    def _step(self, weights: dict, h_prev: Tensor, s_prev: Tensor, x_prev: Tensor) -> dict:
        out = {q: (weights[q] * self._kernels(q, h_prev, s_prev, x_prev)).sum(-1) for q in self.GATES}
        out["s"] = torch.sigmoid(out["f"]) * s_prev + torch.sigmoid(out["i"]) * torch.tanh(out["g"])
        out["h"] = torch.sigmoid(out["o"]) * torch.tanh(out["s"])
        return out

    def simulate(self, weights: dict, inputs: Tensor) -> dict:
        """Every variable over time, each (T + 1, N) with row 0 the zero initial value; ``inputs`` (T, M)."""
        self._check_weights(weights)
        inputs = _check_inputs(self, inputs)
        N = self.n_units
        rows = {q: [torch.zeros(N, dtype=torch.float64)] for q in (*self.GATES, "s", "h")}
        for x_prev in inputs:
            new = self._step(weights, rows["h"][-1], rows["s"][-1], x_prev)
            for q, v in new.items():
                rows[q].append(v)
        return {q: torch.stack(v) for q, v in rows.items()}

    def derivatives(self, weights: dict, values: dict, h_prev: Tensor, s_prev: Tensor) -> dict:
        r"""The :math:`\beta` of one step, explicit: ``{(target, source): (N, N) matrix}``.

        Sources ``"h-"`` and ``"s-"`` are :math:`h(t-1)`, :math:`s(t-1)`; the others are values of step :math:`t`
        (``values`` as returned by :meth:`step`). Diagonal entries: :math:`\partial s_n/\partial s_n(t-1) = \zeta(y^f_n)`,
        :math:`\partial s_n/\partial y^f_n = \zeta'(y^f_n) s_n(t-1)`, :math:`\partial s_n/\partial y^i_n = \zeta'(y^i_n)\tanh g_n`,
        :math:`\partial s_n/\partial g_n = \zeta(y^i_n)(1 - \tanh^2 g_n)`, :math:`\partial h_n/\partial y^o_n = \zeta'(y^o_n)\tanh s_n`,
        :math:`\partial h_n/\partial s_n = \zeta(y^o_n)(1 - \tanh^2 s_n)`; the gates: :math:`\partial y^q_n/\partial h_{n'}(t-1) = W^q_{nn'}`,
        :math:`\partial y^q_n/\partial s_n(t-1) = W^q_n`.
        """
        self._check_weights(weights)
        if not isinstance(values, dict) or not set((*self.GATES, "s", "h")) <= set(values):
            raise ArgumentTypeError(f"values must be the dict that step returns, got {_brief(values)}")
        _check_values(1, **{f"values[{q!r}]": (values[q], self.n_units) for q in (*self.GATES, "s", "h")})
        _check_values(1, h_prev=(h_prev, self.n_units), s_prev=(s_prev, self.n_units))
        N, d = self.n_units, torch.diag
        out = {("g", "h-"): weights["g"][:, :N]}
        for q in ("o", "f", "i"):
            out[(q, "h-")] = weights[q][:, 1:1 + N]
            out[(q, "s-")] = d(weights[q][:, 0])
        tg, ts = torch.tanh(values["g"]), torch.tanh(values["s"])
        out[("s", "s-")] = d(torch.sigmoid(values["f"]))
        out[("s", "f")] = d(_dzeta(values["f"]) * s_prev)
        out[("s", "i")] = d(_dzeta(values["i"]) * tg)
        out[("s", "g")] = d(torch.sigmoid(values["i"]) * (1 - tg ** 2))
        out[("h", "o")] = d(_dzeta(values["o"]) * ts)
        out[("h", "s")] = d(torch.sigmoid(values["o"]) * (1 - ts ** 2))
        return out


UNIT_TYPES = {"lnl": LinearNonLinear, "iaf": IntegrateAndFire}
"""The unit types by name."""


def make_unit(kind: str, n_units: int, n_inputs: int = 1):
    """A unit type by name, ``"lnl"`` or ``"iaf"``, for ``n_units`` units and ``n_inputs`` inputs."""
    check_choice(kind, "kind", tuple(UNIT_TYPES))
    return UNIT_TYPES[kind](n_units, n_inputs)


def project(unit, weights: Weights, reference: Weights | None = None) -> Weights:
    """``weights`` clipped into the unit's bounds, fixed entries reset to ``reference`` (if given)."""
    _check_unit(unit)
    weights = _check_weights(unit, weights)
    if reference is not None:
        reference = _check_weights(unit, reference, "reference")
    return _project(unit, weights, reference)


def _project(unit, weights: Weights, reference: Weights | None = None) -> Weights:
    lower, upper = unit.bounds()
    fixed = unit.fixed()
    out = []
    for w, lo, hi, f, r in zip(weights, lower, upper, fixed, reference or weights):
        w = torch.minimum(torch.maximum(w, lo), hi)
        out.append(torch.where(f, r, w))
    return Weights(*out)


def init_weights(unit, seed: int, scale: float | None = None) -> Weights:
    r"""Random weights: every weight :math:`\mathcal N(0, s^2)`, :math:`s = 0.5/\sqrt N` by default.

    Then the leaks are :math:`\gamma_n = \min(|w|, 0.999)`, the LNL offsets 0 if fixed, and the IAF
    sharpness :math:`k_n` is drawn uniformly in [5, 20] (a normal draw of scale :math:`s` would give
    units that never spike). ``seed`` is an integer in :math:`[0, 2^{64})`.
    """
    _check_unit(unit)
    seed = check_seed(seed)
    N = unit.n_units
    s = 0.5 / math.sqrt(N) if scale is None else check_positive_float(scale, "scale")
    g = torch.Generator().manual_seed(seed)
    aux = s * torch.randn(N, unit.aux_size, generator=g, dtype=torch.float64)
    main = s * torch.randn(N, unit.main_size, generator=g, dtype=torch.float64)
    main[:, 0] = main[:, 0].abs().clamp(max=0.999)
    if isinstance(unit, LinearNonLinear):
        aux[:, 0] = torch.where(unit.fixed().aux[:, 0], torch.zeros(N, dtype=torch.float64), aux[:, 0])
    else:
        aux[:, 0] = 5 + 15 * torch.rand(N, generator=g, dtype=torch.float64)
    return Weights(aux, main)


# ---------------------------------------------------------------------- checks


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_sizes(n_units, n_inputs, per_unit) -> tuple[int, int]:
    """``(N, M)`` checked, and the ``N * per_unit(N, M)`` float64 weights held to the memory limit."""
    N = check_positive_int(n_units, "n_units")
    M = check_positive_int(n_inputs, "n_inputs")
    check_memory(8 * N * per_unit(N, M), f"the weights of {N} units with {M} inputs",
                 "n_units" if N >= M else "n_inputs")
    return N, M


def _check_unit(unit):
    return check_instance(unit, "unit", (LinearNonLinear, IntegrateAndFire),
                          "a LinearNonLinear or an IntegrateAndFire (see make_unit)")


def _check_values(ndim, **values) -> None:
    """Each ``name=(tensor, size)``: finite float64 ``(size,)`` (or ``(T, size)``, T >= 1, if ``ndim``
    allows 2), all with one leading shape."""
    lead = None
    for name, (v, size) in values.items():
        check_tensor(v, name, ndim=ndim, dtype=torch.float64)
        if v.shape[-1] != size or 0 in v.shape:
            shapes = f"({size},)" if ndim == 1 else f"({size},) or (T, {size}) with T >= 1"
            raise ValueError(f"{name} must have shape {shapes}, got {tuple(v.shape)}")
        if lead is None:
            lead = name, tuple(v.shape[:-1])
        elif tuple(v.shape[:-1]) != lead[1]:
            raise ValueError(f"{name} must have the leading shape of {lead[0]}, {lead[1]}, "
                             f"got {tuple(v.shape[:-1])}")


def _check_pair(value, name: str, shapes, dtype=torch.float64, finite: bool = True) -> Weights:
    """``value`` as a :class:`Weights` of two tensors of ``dtype`` and the given ``shapes``."""
    if not isinstance(value, tuple) or len(value) != 2:
        raise ArgumentTypeError(f"{name} must be a Weights(aux, main) pair, got {type(value).__name__}")
    for part, w, shape in (("aux", value[0], shapes[0]), ("main", value[1], shapes[1])):
        if not isinstance(w, Tensor):
            raise ArgumentTypeError(f"{name}.{part} must be a torch.Tensor, got {type(w).__name__}")
        if dtype.is_floating_point:
            check_tensor(w, f"{name}.{part}", ndim=2, dtype=dtype, finite=finite)
        elif w.dtype != dtype or w.dim() != 2:
            raise ValueError(f"{name}.{part} must be a 2-dimensional {dtype} tensor, got {w.dtype} of shape "
                             f"{tuple(w.shape)}")
        if tuple(w.shape) != tuple(shape):
            raise ValueError(f"{name}.{part} must have shape {tuple(shape)}, got {tuple(w.shape)}")
    return Weights(*value)


def _check_weights(unit, weights, name: str = "weights") -> Weights:
    return _check_pair(weights, name, ((unit.n_units, unit.aux_size), (unit.n_units, unit.main_size)))


def _check_inputs(unit, inputs: Tensor) -> Tensor:
    check_tensor(inputs, "inputs", ndim=2, dtype=torch.float64)
    if inputs.shape[1] != unit.n_inputs or inputs.shape[0] < 1:
        raise ValueError(f"inputs must have shape (T, {unit.n_inputs}) with T >= 1, got {tuple(inputs.shape)}")
    return inputs


def _check_targets(unit, T: int, targets: Tensor) -> Tensor:
    check_tensor(targets, "targets", ndim=2, dtype=torch.float64)
    if targets.shape[0] != T or not 1 <= targets.shape[1] <= unit.n_units:
        raise ValueError(f"targets must have shape (T, K) with T = {T} (the inputs' length) and "
                         f"1 <= K <= {unit.n_units}, got {tuple(targets.shape)}")
    return targets


def _check_traj(unit, traj, T: int | None = None) -> Trajectory:
    """``traj`` as :func:`simulate` returns it: float64 ``h`` and ``a`` ``(T + 1, N)``, T >= 1 (``T`` if
    given)."""
    if not isinstance(traj, tuple) or len(traj) != 2:
        raise ArgumentTypeError(f"traj must be a Trajectory(h, a) (see simulate), got {type(traj).__name__}")
    for name, v in (("traj.h", traj[0]), ("traj.a", traj[1])):
        check_tensor(v, name, ndim=2, dtype=torch.float64)
        rows = v.shape[0] if T is None else T + 1
        if tuple(v.shape) != (rows, unit.n_units) or rows < 2:
            steps = "T >= 1" if T is None else f"T = {T} (the length of the inputs)"
            raise ValueError(f"{name} must have shape (T + 1, {unit.n_units}) with {steps}, "
                             f"got {tuple(v.shape)}")
    if traj[0].shape != traj[1].shape:
        raise ValueError(f"traj.a must have the shape of traj.h, {tuple(traj[0].shape)}, "
                         f"got {tuple(traj[1].shape)}")
    return Trajectory(*traj)


def _check_errors(unit, errors, T: int) -> tuple[Tensor, Tensor]:
    """``errors`` as :func:`backward_errors` returns them: two float64 ``(T, N)`` tensors."""
    if not isinstance(errors, tuple) or len(errors) != 2:
        raise ArgumentTypeError(f"errors must be the pair (states, auxiliaries) of backward_errors, "
                                f"got {type(errors).__name__}")
    for name, e in (("errors[0]", errors[0]), ("errors[1]", errors[1])):
        check_tensor(e, name, ndim=2, dtype=torch.float64)
        if tuple(e.shape) != (T, unit.n_units):
            raise ValueError(f"{name} must have shape {(T, unit.n_units)}, got {tuple(e.shape)}")
    return errors


def _check_regularization(ridge, sparse, sparse_eps) -> dict:
    return dict(ridge=check_positive_float(ridge, "ridge", allow_zero=True),
                sparse=check_positive_float(sparse, "sparse", allow_zero=True),
                sparse_eps=check_positive_float(sparse_eps, "sparse_eps"))


def _check_state(unit, weights, traj, inputs) -> tuple[Weights, Trajectory, Tensor]:
    """The unit, its weights, a trajectory and the inputs it was simulated on, checked together."""
    _check_unit(unit)
    weights = _check_weights(unit, weights)
    inputs = _check_inputs(unit, inputs)
    return weights, _check_traj(unit, traj, inputs.shape[0]), inputs


def _check_finite(value: Tensor, unscaled: Tensor, name: str, scale: float) -> Tensor:
    """Refuse ``value`` = ``scale`` times ``unscaled`` where only the scale makes it overflow."""
    if math.isfinite(float(unscaled.detach())) and not math.isfinite(float(value.detach())):
        raise ValueError(f"{name} = {scale!r} is too large: its product overflows float64")
    return value


# ---------------------------------------------------------------------- the three steps


def simulate(unit, weights: Weights, inputs: Tensor, perturbation: tuple[Tensor, Tensor] | None = None) -> Trajectory:
    r"""Step 1, the forward simulation: :math:`a(t)` then :math:`h(t)` for :math:`t = 1, \dots, T`, from :math:`h(0) = 0`.

    ``inputs`` (T, M): row ``t - 1`` holds :math:`x(t-1)`. Differentiable (autograd) in the weights.
    ``perturbation = (delta_x, delta_a)``, each (T, N), is added to every value as soon as it is
    computed (so that autograd gives :math:`\partial C/\partial h_n(t)` as the gradient in ``delta_h``).
    """
    _check_unit(unit)
    weights = _check_weights(unit, weights)
    inputs = _check_inputs(unit, inputs)
    T, N = inputs.shape[0], unit.n_units
    if perturbation is not None:
        if not isinstance(perturbation, tuple) or len(perturbation) != 2:
            raise ValueError("perturbation must be a pair (delta_x, delta_a)")
        for name, d in (("delta_x", perturbation[0]), ("delta_a", perturbation[1])):
            check_tensor(d, f"perturbation {name}", ndim=2, dtype=torch.float64)
            if tuple(d.shape) != (T, N):
                raise ValueError(f"perturbation {name} must have shape {(T, N)}, got {tuple(d.shape)}")
    return _simulate(unit, weights, inputs, perturbation)


def _simulate(unit, weights: Weights, inputs: Tensor, perturbation=None) -> Trajectory:
    T, N = inputs.shape[0], unit.n_units
    if perturbation is None:
        dx = da = torch.zeros(T, N, dtype=torch.float64)
    else:
        dx, da = perturbation
    x = [torch.zeros(N, dtype=torch.float64)]
    a = [torch.zeros(N, dtype=torch.float64)]
    for t, i_prev in enumerate(inputs):
        f0, phi = unit._aux_kernels(x[-1], i_prev)
        a.append(f0 + (weights.aux * phi).sum(-1) + da[t])
        f0, phi = unit._main_kernels(a[-1], x[-1], i_prev)
        x.append(f0 + (weights.main * phi).sum(-1) + dx[t])
    return Trajectory(torch.stack(x), torch.stack(a))


def _kappa(kappa, T: int) -> float:
    return 1.0 / T if kappa is None else check_positive_float(kappa, "kappa")


def regularization(weights: Weights, fixed: Weights, ridge: float = 0.0, sparse: float = 0.0,
                   sparse_eps: float = 1e-3, reference: Weights | None = None) -> Tensor:
    r""":math:`\mathcal R(W) = \sum_{nd} \tfrac{\mu}{2} W_{nd}^2 + \nu W_{nd}^2 / (\epsilon + |\hat W_{nd}|)` over learned weights.

    ``ridge`` is :math:`\mu \ge 0`, ``sparse`` is :math:`\nu \ge 0`, ``sparse_eps`` :math:`\epsilon > 0`, and
    :math:`\hat W` is ``reference`` (default: ``weights`` themselves). ``fixed`` holds the boolean masks of
    the weights that are not learned (``unit.fixed()``), of the shapes of ``weights``.
    """
    shapes = tuple(tuple(w.shape) for w in weights) if _is_pair(weights) else ((0, 0), (0, 0))
    weights = _check_pair(weights, "weights", shapes)
    fixed = _check_pair(fixed, "fixed", shapes, dtype=torch.bool)
    if reference is not None:
        reference = _check_pair(reference, "reference", shapes)
    reg = _check_regularization(ridge, sparse, sparse_eps)
    total = _regularization(weights, fixed, reference=reference, **reg)
    unscaled = _regularization(weights, fixed, 1.0, 1.0, reg["sparse_eps"], reference)
    if math.isfinite(float(unscaled.detach())) and not math.isfinite(float(total.detach())):
        raise ValueError(f"ridge = {ridge!r} and sparse = {sparse!r} are too large: the regularization "
                         "overflows float64")
    return total


def _is_pair(value) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(w, Tensor) for w in value)


def _regularization(weights: Weights, fixed: Weights, ridge: float = 0.0, sparse: float = 0.0,
                    sparse_eps: float = 1e-3, reference: Weights | None = None) -> Tensor:
    total = torch.zeros((), dtype=torch.float64)
    for w, f, r in zip(weights, fixed, reference or weights):
        w = torch.where(f, torch.zeros_like(w), w)
        total = total + 0.5 * ridge * (w ** 2).sum() + sparse * (w ** 2 / (sparse_eps + r.detach().abs())).sum()
    return total


def criterion(unit, weights: Weights, inputs: Tensor, targets: Tensor, kappa: float | None = None,
              traj: Trajectory | None = None, ridge: float = 0.0, sparse: float = 0.0) -> Tensor:
    r""":math:`C(W) = \sum_{t=1}^T \sum_{k<K} \tfrac{\kappa}{2} (h_k(t) - o_k(t))^2 + \mathcal R(W)`.

    ``targets`` (T, K) holds :math:`o_k(t)` of the observed units :math:`k = 0, \dots, K-1`;
    :math:`\kappa = 1/T` by default. A scalar tensor (differentiable through :func:`simulate`).
    ``traj``, if given, is the simulation of ``weights`` on ``inputs`` (:func:`simulate`).
    ``kappa``, ``ridge`` and ``sparse`` are refused where they alone make :math:`C` overflow.
    """
    _check_unit(unit)
    weights = _check_weights(unit, weights)
    inputs = _check_inputs(unit, inputs)
    T = inputs.shape[0]
    targets = _check_targets(unit, T, targets)
    traj = _simulate(unit, weights, inputs) if traj is None else _check_traj(unit, traj, T)
    kappa = _kappa(kappa, T)
    reg = _check_regularization(ridge, sparse, 1e-3)
    squares = 0.5 * ((traj.h[1:, :targets.shape[1]] - targets) ** 2).sum()
    _check_finite(kappa * squares, squares, "kappa", kappa)
    if reg["ridge"] or reg["sparse"]:
        regularization(weights, unit.fixed(), reg["ridge"], reg["sparse"])  # refuses an overflow
    return _criterion(unit, weights, targets, kappa, traj, reg["ridge"], reg["sparse"])


def _criterion(unit, weights: Weights, targets: Tensor, kappa: float, traj: Trajectory, ridge: float = 0.0,
               sparse: float = 0.0) -> Tensor:
    K = targets.shape[1]
    fit_term = 0.5 * kappa * ((traj.h[1:, :K] - targets) ** 2).sum()
    if ridge == 0 and sparse == 0:
        return fit_term
    return fit_term + _regularization(weights, unit.fixed(), ridge, sparse)


def betas(unit, weights: Weights, traj: Trajectory) -> Betas:
    r"""The coefficients :math:`\beta^{nt}_{n't'} = \partial\phi_{n0t}/\partial h_{n'}(t') + \sum_d W_{nd}\, \partial\phi_{ndt}/\partial h_{n'}(t')`.

    From the unit type's explicit kernel derivatives (no autograd); see :class:`Betas`.
    """
    return _check_unit(unit).betas(weights, traj)


def backward_errors(unit, weights: Weights, traj: Trajectory, targets: Tensor, kappa: float | None = None,
                    tiny: float = 0.0, huge: float | None = None) -> tuple[Tensor, Tensor]:
    r"""Step 2, backward tuning: the multipliers :math:`\varepsilon` of the states and of the auxiliaries, each (T, N).

    Stationarity of the Lagrangian in :math:`h_{n'}(t')` gives, from :math:`t = T` down to 1,

    .. math::
        \varepsilon^h(t) = \rho'(h(t)) + \beta_{hh}(t+1)^\top \varepsilon^h(t+1) + \beta_{ah}(t+1)^\top \varepsilon^a(t+1),
        \qquad \varepsilon^a(t) = \beta_{ha}(t)^\top \varepsilon^h(t),

    with :math:`\rho'_{kt} = \kappa (h_k(t) - o_k(t))` on observed units, 0 elsewhere. Then
    :math:`\varepsilon_{nt} = \partial C/\partial h_n(t)`, the total derivative. The slides' guards
    apply to the propagated sums: entries below ``tiny`` in absolute value are zeroed and entries
    are saturated at ``huge`` (defaults: off; ``tiny`` must be below ``huge``). ``kappa`` is refused
    where it alone makes :math:`\rho'` overflow.
    """
    _check_unit(unit)
    weights = _check_weights(unit, weights)
    traj = _check_traj(unit, traj)
    T = traj.h.shape[0] - 1
    targets = _check_targets(unit, T, targets)
    kappa = _kappa(kappa, T)
    tiny, huge = _check_guards(tiny, huge)
    residual = (traj.h[1:, :targets.shape[1]] - targets).abs().max()
    _check_finite(kappa * residual, residual, "kappa", kappa)
    return _backward_errors(unit, weights, traj, targets, kappa, tiny, huge)


def _check_guards(tiny, huge) -> tuple[float, float | None]:
    tiny = check_positive_float(tiny, "tiny", allow_zero=True)
    if huge is not None:
        huge = check_positive_float(huge, "huge")
        if tiny >= huge:
            raise ValueError(f"tiny must be below huge ({huge!r}), got {tiny!r}")
    return tiny, huge


def _backward_errors(unit, weights: Weights, traj: Trajectory, targets: Tensor, kappa: float, tiny: float,
                     huge: float | None) -> tuple[Tensor, Tensor]:
    T = traj.h.shape[0] - 1
    K = targets.shape[1]
    rho = torch.zeros(T, unit.n_units, dtype=torch.float64)
    rho[:, :K] = kappa * (traj.h[1:, :K] - targets)
    b = unit._betas(weights, traj)
    bxx_t, bax_t, bxa_t = b.xx.transpose(1, 2), b.ax.transpose(1, 2), b.xa.transpose(1, 2)
    ex = torch.zeros(T, unit.n_units, dtype=torch.float64)
    ea = torch.zeros(T, unit.n_units, dtype=torch.float64)
    for j in range(T - 1, -1, -1):
        if j + 1 < T:
            back = _guard(bxx_t[j + 1] @ ex[j + 1] + bax_t[j + 1] @ ea[j + 1], tiny, huge)
            ex[j] = rho[j] + back
        else:
            ex[j] = rho[j]
        ea[j] = _guard(bxa_t[j] @ ex[j], tiny, huge)
    return ex, ea


def _guard(v: Tensor, tiny: float, huge: float | None) -> Tensor:
    if tiny > 0:
        v = torch.where(v.abs() < tiny, torch.zeros_like(v), v)
    if huge is not None:
        v = v.clamp(-huge, huge)
    return v


def _blocks(unit, traj: Trajectory, inputs: Tensor):
    """Firmware and kernels over all steps: [(phi0 (T, N), phi (T, N, D), values (T, N)) for aux, main]."""
    x_prev = traj.h[:-1]
    f_a, phi_a = unit._aux_kernels(x_prev, inputs)
    f_x, phi_x = unit._main_kernels(traj.a[1:], x_prev, inputs)
    return [(f_a, phi_a, traj.a[1:]), (f_x, phi_x, traj.h[1:])]


def gradient(unit, weights: Weights, traj: Trajectory, inputs: Tensor, errors: tuple[Tensor, Tensor],
             ridge: float = 0.0, sparse: float = 0.0, sparse_eps: float = 1e-3) -> Weights:
    r""":math:`\partial C/\partial W_{nd} = \sum_t \phi_{nd}(t)\, \varepsilon_{nt} + \partial\mathcal R/\partial W_{nd}`, zero on fixed weights.

    ``traj`` is the simulation of ``weights`` on ``inputs``, ``errors`` the pair returned by
    :func:`backward_errors` (states, auxiliaries).
    """
    weights, traj, inputs = _check_state(unit, weights, traj, inputs)
    errors = _check_errors(unit, errors, inputs.shape[0])
    return _gradient(unit, weights, traj, inputs, errors, **_check_regularization(ridge, sparse, sparse_eps))


def _gradient(unit, weights: Weights, traj: Trajectory, inputs: Tensor, errors: tuple[Tensor, Tensor],
              ridge: float = 0.0, sparse: float = 0.0, sparse_eps: float = 1e-3) -> Weights:
    fixed = unit.fixed()
    grads = []
    for (_, phi, _), e, w, f in zip(_blocks(unit, traj, inputs), (errors[1], errors[0]), weights, fixed):
        g = torch.einsum("tnd,tn->nd", phi, e) + ridge * w + 2 * sparse * w / (sparse_eps + w.abs())
        grads.append(torch.where(f, torch.zeros_like(g), g))
    return Weights(*grads)


def normal_equation_step(unit, weights: Weights, traj: Trajectory, inputs: Tensor, errors: tuple[Tensor, Tensor],
                         kappa: float | None = None, ridge: float = 0.0, sparse: float = 0.0,
                         sparse_eps: float = 1e-3, rcond: float = 1e-6) -> Weights:
    r"""Step 3: for every variable, the weights minimizing
    :math:`\sum_t \tfrac{\kappa}{2}(\phi_{n0}(t) + \sum_d W_{nd}\phi_{nd}(t) - \tilde h_n(t))^2 + \mathcal R(W)`,
    :math:`\tilde h_n(t) = h_n(t) - \varepsilon_{nt}/\kappa`.

    The normal equations :math:`A_n W_n = b_n`, :math:`A_{n,dd'} = \sum_t \kappa \phi_{nd}\phi_{nd'} + \mathrm{diag}(\mu + 2\nu/(\epsilon + |\hat W_{nd}|))`,
    :math:`b_{n,d} = \sum_t \phi_{nd} (\kappa (h_n(t) - \phi_{n0}(t)) - \varepsilon_{nt})` (the slides write
    :math:`+\varepsilon`: their multipliers have the opposite sign), solved in the least-squares sense
    (``torch.linalg.lstsq``, driver ``gelsd``, relative cut-off ``rcond`` in (0, 1)) so that a singular
    :math:`A_n` is allowed. Fixed weights keep their values (their terms move to the right-hand side). Not
    projected. Arguments as for :func:`gradient`.
    """
    weights, traj, inputs = _check_state(unit, weights, traj, inputs)
    errors = _check_errors(unit, errors, inputs.shape[0])
    kappa = _kappa(kappa, inputs.shape[0])
    rcond = _check_rcond(rcond)
    D = max(unit.aux_size, unit.main_size)
    check_memory(3 * 8 * unit.n_units * D * (D + inputs.shape[0]), "the normal equations", "unit")
    new = _normal_equation_step(unit, weights, traj, inputs, errors, kappa, rcond=rcond,
                                **_check_regularization(ridge, sparse, sparse_eps))
    if not all(bool(torch.isfinite(w).all()) for w in new):
        raise ValueError(f"kappa = {kappa!r}, ridge = {ridge!r} and sparse = {sparse!r}: the normal "
                         "equations overflow float64")
    return new


def _check_rcond(rcond) -> float:
    return check_float(rcond, "rcond", low=0.0, high=1.0, low_open=True, high_open=True)


def _normal_equation_step(unit, weights: Weights, traj: Trajectory, inputs: Tensor, errors, kappa: float,
                          ridge: float = 0.0, sparse: float = 0.0, sparse_eps: float = 1e-3,
                          rcond: float = 1e-6) -> Weights:
    out = []
    for (f0, phi, values), e, w, fixed in zip(_blocks(unit, traj, inputs), (errors[1], errors[0]), weights,
                                              unit.fixed()):
        A = kappa * torch.einsum("tnd,tne->nde", phi, phi)
        A = A + torch.diag_embed(ridge + 2 * sparse / (sparse_eps + w.abs()))
        b = torch.einsum("tnd,tn->nd", phi, kappa * (values - f0) - e)
        w_fixed = torch.where(fixed, w, torch.zeros_like(w))
        b = b - (A @ w_fixed.unsqueeze(-1)).squeeze(-1)
        keep = (~fixed).to(A.dtype)
        A = A * keep.unsqueeze(-1) * keep.unsqueeze(-2) + torch.diag_embed(1 - keep)
        b = torch.where(fixed, w, b)
        if not (bool(torch.isfinite(A).all()) and bool(torch.isfinite(b).all())):
            return Weights(*(torch.full_like(v, math.nan) for v in weights))  # overflow: no step
        solution = torch.linalg.lstsq(A, b.unsqueeze(-1), rcond=rcond, driver="gelsd").solution.squeeze(-1)
        out.append(torch.where(fixed, w, solution))
    return Weights(*out)


class FitResult(NamedTuple):
    """What :func:`fit` and :func:`fit_bptt` return.

    ``history``: the criterion before the first iteration and after each; ``steps``: per iteration,
    ``"normal"`` (line search on the normal-equation step), ``"gradient"`` (the fallback) or the
    optimizer's name; ``status``: ``"converged"``, ``"max_iterations"``, ``"stalled"`` (no step decreased
    the criterion), ``"evaluations"`` (the budget of criterion evaluations ran out) or ``"failed: ..."``;
    ``lambdas``: the accepted line-search step per iteration; ``evaluations``: the number of forward
    simulations (for BPTT: forward and backward passes).
    """

    weights: Weights
    history: list
    steps: list
    status: str
    lambdas: list
    evaluations: int


def _combine(w: Weights, v: Weights, lam: float) -> Weights:
    return Weights(*(a + lam * (b - a) for a, b in zip(w, v)))


def fit(unit, weights: Weights, inputs: Tensor, targets: Tensor, *, max_iterations: int = 100,
        tolerance: float = 1e-6, kappa: float | None = None, ridge: float = 0.0, sparse: float = 0.0,
        halvings: int = 8, expansions: int = 3, learning_rate: float = 1.0, rcond: float = 1e-6,
        tiny: float = 0.0, huge: float | None = None, callback=None,
        relaxation: float = 1.0) -> FitResult:
    r"""The three-step loop: simulate, backward errors, normal equations; until :math:`C <` ``tolerance``.

    Line search: :math:`W \leftarrow W + \lambda (W^{\mathrm{new}} - W)` with the first :math:`\lambda` of
    :math:`1, 1/2, \dots, 2^{-\text{halvings}}` that lowers :math:`C` (a forward simulation each); if
    :math:`\lambda = 1` does, :math:`\lambda = 2, 4, \dots, 2^{\text{expansions}}` are tried while :math:`C`
    keeps decreasing (an extrapolation beyond the new weights, our addition). If none
    does, the fallback is a gradient step :math:`W - \eta\, \partial C/\partial W` with :math:`\eta`
    halved until :math:`C` decreases (at most 30 times; :math:`\eta` starts at ``learning_rate`` and
    doubles after a success). Constrained weights are clipped after each step.
    ``rcond`` is passed to :func:`normal_equation_step`, ``tiny`` and ``huge`` to :func:`backward_errors`.
    ``callback(k, weights, traj)`` is called before each iteration and at the end.
    ``relaxation`` :math:`s` replaces :math:`\kappa` by :math:`s\kappa` in the normal equations only
    (the criterion keeps :math:`\kappa`): with no regularization the step is divided by :math:`s`.
    ``halvings`` is at most 1074 and ``expansions`` at most 1023 (beyond, :math:`2^{\mp k}` leaves
    float64); ``rcond`` is in (0, 1).
    """
    _check_unit(unit)
    weights = _project(unit, _check_weights(unit, weights))
    inputs = _check_inputs(unit, inputs)
    targets = _check_targets(unit, inputs.shape[0], targets)
    max_iterations = check_positive_int(max_iterations, "max_iterations")
    check_positive_float(tolerance, "tolerance")
    halvings = check_int(halvings, "halvings", low=1, high=1074)
    expansions = check_int(expansions, "expansions", low=0, high=1023)
    rcond = _check_rcond(rcond)
    eta = check_positive_float(learning_rate, "learning_rate")
    kappa = _kappa(kappa, inputs.shape[0])
    step_kappa = kappa * check_positive_float(relaxation, "relaxation")
    if not math.isfinite(step_kappa):
        raise ValueError(f"relaxation = {relaxation!r} times kappa = {kappa!r} overflows float64")
    reg = dict(ridge=check_positive_float(ridge, "ridge", allow_zero=True),
               sparse=check_positive_float(sparse, "sparse", allow_zero=True))
    tiny, huge = _check_guards(tiny, huge)
    if callback is not None:
        check_callable(callback, "callback")

    evaluations = 0

    def evaluate(w):
        nonlocal evaluations
        evaluations += 1
        traj = _simulate(unit, w, inputs)
        return traj, float(_criterion(unit, w, targets, kappa, traj, **reg))

    with torch.no_grad():
        traj, c = evaluate(weights)
        history, steps, lambdas, status = [c], [], [], "max_iterations"
        for k in range(max_iterations):
            if callback is not None:
                callback(k, weights, traj)
            if not math.isfinite(c):
                status = "failed: the criterion is not finite"
                break
            if c < tolerance:
                status = "converged"
                break
            errors = _backward_errors(unit, weights, traj, targets, kappa, tiny, huge)
            accepted = None
            new = _normal_equation_step(unit, weights, traj, inputs, errors, step_kappa, **reg, rcond=rcond)
            if all(bool(torch.isfinite(w).all()) for w in new):
                lam = 1.0
                for _ in range(halvings + 1):
                    trial = _project(unit, _combine(weights, new, lam), weights)
                    t_traj, t_c = evaluate(trial)
                    if math.isfinite(t_c) and t_c < c:
                        accepted = (trial, t_traj, t_c, "normal", lam)
                        break
                    lam /= 2
                for _ in range(expansions if accepted is not None and accepted[4] == 1.0 else 0):
                    lam = 2 * accepted[4]
                    trial = _project(unit, _combine(weights, new, lam), weights)
                    t_traj, t_c = evaluate(trial)
                    if not (math.isfinite(t_c) and t_c < accepted[2]):
                        break
                    accepted = (trial, t_traj, t_c, "normal", lam)
            if accepted is None:
                grad = _gradient(unit, weights, traj, inputs, errors, **reg)
                for _ in range(30):
                    trial = _project(unit, Weights(*(w - eta * g for w, g in zip(weights, grad))), weights)
                    t_traj, t_c = evaluate(trial)
                    if math.isfinite(t_c) and t_c < c:
                        accepted = (trial, t_traj, t_c, "gradient", eta)
                        eta *= 2
                        break
                    eta /= 2
            if accepted is None:
                status = "stalled"
                break
            weights, traj, c, step, lam = accepted
            history.append(c)
            steps.append(step)
            lambdas.append(lam)
        else:
            if c < tolerance:
                status = "converged"
        if callback is not None and status != "converged":
            callback(len(steps), weights, traj)
    return FitResult(weights, history, steps, status, lambdas, evaluations)


def fit_bptt(unit, weights: Weights, inputs: Tensor, targets: Tensor, *, max_iterations: int = 100,
             tolerance: float = 1e-6, kappa: float | None = None, method: str = "lbfgs",
             lr: float | None = None, max_evaluations: int | None = None) -> FitResult:
    r"""The baseline: back-propagation through time (autograd through :func:`simulate`) with L-BFGS-B or Adam.

    The same criterion and the same budget of iterations as :func:`fit`. ``"lbfgs"`` is
    ``scipy.optimize.minimize(method="L-BFGS-B")`` over the learned weights, with the bounds of the
    constrained ones, the gradient from autograd, and at most ``max_evaluations`` forward-backward passes
    (default ``5 * max_iterations``; status ``"evaluations"`` when they run out). ``"adam"`` is
    ``torch.optim.Adam`` with ``lr`` (default 0.01), constrained weights clipped after each step; a run
    whose criterion stops being finite ends with status ``"failed: the criterion is not finite"``.
    ``lr`` is used by ``"adam"`` only and ``max_evaluations`` by ``"lbfgs"`` only; each is checked either way.
    """
    from scipy.optimize import minimize

    _check_unit(unit)
    weights = _project(unit, _check_weights(unit, weights))
    inputs = _check_inputs(unit, inputs)
    targets = _check_targets(unit, inputs.shape[0], targets)
    max_iterations = check_positive_int(max_iterations, "max_iterations")
    check_positive_float(tolerance, "tolerance")
    check_choice(method, "method", ("lbfgs", "adam"))
    lr = 0.01 if lr is None else check_positive_float(lr, "lr")
    max_evaluations = 5 * max_iterations if max_evaluations is None else check_positive_int(
        max_evaluations, "max_evaluations")
    kappa = _kappa(kappa, inputs.shape[0])
    free = [~f for f in unit.fixed()]
    evaluations = 0

    def unpack(theta: Tensor) -> Weights:
        out, i = [], 0
        for w, f in zip(weights, free):
            k = int(f.sum())
            out.append(w.masked_scatter(f, theta[i:i + k]))
            i += k
        return Weights(*out)

    def value_and_grad(theta: Tensor) -> tuple[Tensor, Tensor]:
        nonlocal evaluations
        evaluations += 1
        theta = theta.detach().requires_grad_(True)
        w = unpack(theta)
        c = _criterion(unit, w, targets, kappa, _simulate(unit, w, inputs))
        (g,) = torch.autograd.grad(c, theta)
        return c.detach(), g

    theta0 = torch.cat([w[f] for w, f in zip(weights, free)])
    def value(w: Weights) -> float:
        return float(_criterion(unit, w, targets, kappa, _simulate(unit, w, inputs)).detach())

    history = [value(weights)]
    status = "max_iterations"
    if history[0] < tolerance:
        return FitResult(weights, history, [], "converged", [], evaluations)
    if method == "lbfgs":
        lower, upper = unit.bounds()
        lo = torch.cat([b[f] for b, f in zip(lower, free)]).tolist()
        hi = torch.cat([b[f] for b, f in zip(upper, free)]).tolist()
        bounds = [(None if math.isinf(a) else a, None if math.isinf(b) else b) for a, b in zip(lo, hi)]
        cache = {}

        def fun(x):
            c, g = value_and_grad(torch.from_numpy(x.copy()))
            cache[x.tobytes()] = float(c)
            return float(c), g.numpy()

        def callback(intermediate_result):
            x = intermediate_result.x
            c = cache.get(x.tobytes())
            if c is None:
                with torch.no_grad():
                    c = value(unpack(torch.from_numpy(x.copy())))
            history.append(c)
            if c < tolerance:
                raise StopIteration

        result = minimize(fun, theta0.numpy(), jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
                          options={"maxiter": max_iterations, "maxfun": max_evaluations, "ftol": 0.0,
                                   "gtol": 0.0})
        theta = torch.from_numpy(result.x.copy())
        if history[-1] < tolerance:
            status = "converged"
        elif len(history) <= max_iterations and evaluations >= max_evaluations:
            status = "evaluations"
        elif len(history) <= max_iterations:
            status = "stalled"
    else:
        theta = theta0.clone()
        opt_param = theta.clone().requires_grad_(True)
        opt = torch.optim.Adam([opt_param], lr=lr)
        for _ in range(max_iterations):
            _, g = value_and_grad(opt_param)
            opt_param.grad = g
            opt.step()
            with torch.no_grad():
                opt_param.copy_(torch.cat([w[f] for w, f in zip(_project(unit, unpack(opt_param)), free)]))
                history.append(value(unpack(opt_param)))
            if not math.isfinite(history[-1]):
                status = "failed: the criterion is not finite"
                break
            if history[-1] < tolerance:
                status = "converged"
                break
        theta = opt_param.detach()
    steps = [method] * (len(history) - 1)
    return FitResult(unpack(theta), history, steps, status, [], evaluations)


def reverse_engineering(kind: str, n_units: int, seed: int, T: int | None = None):
    r"""The slides' reverse-engineering problem: a root network's unit 0 is to be reproduced by a blind one.

    One input, :math:`x(t) \sim \mathcal N(0, 1)` i.i.d., :math:`T = 2N(N+1)` steps by default; root
    weights from :func:`init_weights` with seed ``2 * seed``, blind weights with seed ``2 * seed + 1``
    (so ``seed`` is an integer in :math:`[0, 2^{63})`).
    Returns ``(unit, root, blind, inputs, targets)`` with ``targets`` (T, 1) the root's :math:`h_0(t)`.
    """
    unit = make_unit(kind, n_units, 1)
    seed = check_seed(seed)
    if seed >= 2**63:
        raise ValueError(f"seed must be below 2**63 (the networks use the seeds 2 * seed and 2 * seed + 1), "
                         f"got {seed}")
    N = unit.n_units
    T = 2 * N * (N + 1) if T is None else check_positive_int(T, "T")
    D = max(unit.aux_size, unit.main_size)
    check_memory(8 * T * N * (D + 4), f"simulating {T} steps", "T" if T >= N else "n_units")
    g = torch.Generator().manual_seed((10_000 + seed) % 2**64)
    inputs = torch.randn(T, 1, generator=g, dtype=torch.float64)
    root = init_weights(unit, 2 * seed)
    blind = init_weights(unit, 2 * seed + 1)
    with torch.no_grad():
        targets = _simulate(unit, root, inputs).h[1:, :1].clone()
    return unit, root, blind, inputs, targets


def decay_fit(history) -> dict:
    r"""The table's quantities from a criterion history :math:`c(0), \dots, c(K-1)`.

    ``iterations`` = :math:`K` (values recorded, the initial one included), ``minimum`` = :math:`\min_k c(k)`,
    and the fit :math:`c(k) \approx \beta + a e^{-k/\tau}`: ``tau`` from the weighted least-squares
    line through :math:`\log|c(k) - c(k-1)|` against :math:`k` (slope :math:`-1/\tau`; zero differences
    skipped; ``None`` if fewer than two differences or the slope is not negative), and ``bias`` =
    :math:`\beta`, the weighted mean over :math:`k` of :math:`c(k) - (c(k-1) - c(k))/(e^{1/\tau} - 1)`.
    Both weight sample :math:`k` by :math:`k` (recent samples count more, as in Mnemonas'
    ``ExponentialDecayFit``, whose exact weights we do not reproduce).
    """
    expected = "history must be a nonempty sequence of finite numbers"
    if not isinstance(history, (list, tuple, np.ndarray)) or np.ndim(history) != 1 or len(history) == 0:
        raise ArgumentTypeError(f"{expected}, got {_brief(history)}")
    for v in list(history):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ArgumentTypeError(f"{expected}, got an entry {_brief(v)}")
        if not math.isfinite(v):
            raise ValueError(f"{expected}, got an entry {v!r}")
    c = np.asarray(history, dtype=float)
    out = {"iterations": int(c.size), "minimum": float(c.min()), "tau": None, "bias": None}
    diff = c[:-1] - c[1:]
    k = np.arange(1, c.size)
    keep = np.abs(diff) > 0
    if keep.sum() < 2:
        return out
    slope = np.polyfit(k[keep], np.log(np.abs(diff[keep])), 1, w=np.sqrt(k[keep]))[0]
    if not slope < 0:
        return out
    tau = -1.0 / slope
    out["tau"] = float(tau)
    out["bias"] = float(np.average(c[1:] - diff / math.expm1(1.0 / tau), weights=k))
    return out
