r"""Gated recurrent units: the LSTM (1997 and with a forget gate), the GRU and the SCRN.

Batch first, with ``lengths`` as in :meth:`srnbook.srn.SRN.forward`. Each model returns its
states only: an output layer (a :class:`torch.nn.Linear` on :math:`h_t`, and for the SCRN on
:math:`(h_t, s_t)`) is left to the user. :math:`\sigma` is the logistic sigmoid and
:math:`\odot` the elementwise product.

**LSTM** (Hochreiter & Schmidhuber 1997, and Gers, Schmidhuber & Cummins 2000). With input
:math:`x_t \in \mathbb{R}^u` and state :math:`(h_{t-1}, c_{t-1}) \in \mathbb{R}^d \times \mathbb{R}^d`,

.. math::

    i_t = \sigma(W_i x_t + R_i h_{t-1} + b_i), \quad
    f_t = \sigma(W_f x_t + R_f h_{t-1} + b_f), \quad
    g_t = \tanh(W_g x_t + R_g h_{t-1} + b_g), \quad
    o_t = \sigma(W_o x_t + R_o h_{t-1} + b_o),

.. math::

    c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).

Without the forget gate (the 1997 LSTM) :math:`f_t = 1`: :math:`c_t = c_{t-1} + i_t \odot g_t`,
the *constant error carousel*. The 1997 paper squashes the cell input with :math:`g \in [-2, 2]`
and the cell output with :math:`h \in [-1, 1]` (scaled sigmoids); here both are :math:`\tanh`,
as in most later work, and there are no peephole connections. With the forget gate the
model coincides with :class:`torch.nn.LSTM` (same gate order :math:`i, f, g, o`).

**GRU** (Cho et al. 2014), in :class:`torch.nn.GRU`'s formulation (the reset gate applied to
:math:`R_n h_{t-1} + b^h_n`, after the matrix product):

.. math::

    r_t = \sigma(W_r x_t + b^x_r + R_r h_{t-1} + b^h_r), \quad
    z_t = \sigma(W_z x_t + b^x_z + R_z h_{t-1} + b^h_z),

.. math::

    n_t = \tanh\bigl(W_n x_t + b^x_n + r_t \odot (R_n h_{t-1} + b^h_n)\bigr), \qquad
    h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.

**SCRN** (structurally constrained recurrent network, Mikolov et al. 2015): context units
:math:`s_t \in \mathbb{R}^k` that leak with a fixed rate :math:`\alpha`, beside ordinary
sigmoid hidden units,

.. math::

    s_t = (1 - \alpha) B x_t + \alpha s_{t-1}, \qquad
    h_t = \sigma(P s_t + A x_t + R h_{t-1}),

with :math:`B \in \mathbb{R}^{k \times u}`, :math:`A \in \mathbb{R}^{d \times u}`,
:math:`P \in \mathbb{R}^{d \times k}`, :math:`R \in \mathbb{R}^{d \times d}` and no biases, as
in the paper (whose output :math:`y_t = f(U h_t + V s_t)` is left to the user).

Lengths: sequence ``i`` is ``x[i, :lengths[i]]``; at padded steps the state is carried
unchanged (so ``h_last`` is the state after the last valid step), and the returned
sequences are zero there, as in :class:`srnbook.srn.SRNOutput`. The state at step
:math:`t` is in ``h[:, t - 1]`` (code indexes time from 0).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from ._validation import (
    ArgumentTypeError,
    check_bool,
    check_dtype,
    check_float,
    check_memory,
    check_positive_int,
    check_tensor,
)
from .srn import _check_lengths

Tensor = torch.Tensor


class LSTMOutput(NamedTuple):
    """What :meth:`LSTM.forward` returns (batch first; padded steps are zero).

    Attributes
    ----------
    h: ``(B, T, d)`` hidden states :math:`h_1, \\dots, h_T`.
    c: ``(B, T, d)`` cell states :math:`c_1, \\dots, c_T`.
    h_last: ``(B, d)`` the hidden state after each sequence's last valid step.
    c_last: ``(B, d)`` the cell state after each sequence's last valid step.
    """

    h: Tensor
    c: Tensor
    h_last: Tensor
    c_last: Tensor


class GRUOutput(NamedTuple):
    """What :meth:`GRU.forward` returns (batch first; padded steps are zero).

    Attributes
    ----------
    h: ``(B, T, d)`` hidden states :math:`h_1, \\dots, h_T`.
    h_last: ``(B, d)`` the hidden state after each sequence's last valid step.
    """

    h: Tensor
    h_last: Tensor


class SCRNOutput(NamedTuple):
    """What :meth:`SCRN.forward` returns (batch first; padded steps are zero).

    Attributes
    ----------
    h: ``(B, T, d)`` hidden states :math:`h_1, \\dots, h_T`.
    s: ``(B, T, k)`` context states :math:`s_1, \\dots, s_T`.
    h_last: ``(B, d)`` the hidden state after each sequence's last valid step.
    s_last: ``(B, k)`` the context state after each sequence's last valid step.
    """

    h: Tensor
    s: Tensor
    h_last: Tensor
    s_last: Tensor


# ---------------------------------------------------------------------- shared checks


def _factory_dtype(dtype) -> torch.dtype:
    """``dtype`` checked, or torch's default dtype for ``None``."""
    return torch.get_default_dtype() if dtype is None else check_dtype(dtype)


def _check_input(x, size: int, dtype: torch.dtype, units: int) -> tuple[Tensor, int, int]:
    """``x`` ``(B, T, size)`` of ``dtype``, finite, nonempty, its ``units`` states per step in memory."""
    x = check_tensor(x, "x", ndim=3, dtype=dtype)
    B, T, u = x.shape
    if u != size:
        raise ValueError(f"x must have shape (B, T, {size}), got {tuple(x.shape)}")
    if T == 0 or B == 0:
        raise ValueError(f"x must have at least one sequence and one step, got {tuple(x.shape)}")
    check_memory(3 * B * T * units * dtype.itemsize, f"the states of {B} sequences of {T} steps", "x")
    return x, B, T


def _check_state_part(value, name: str, batch: int, size: int, like: Tensor) -> Tensor:
    """An initial state ``(size,)`` (shared) or ``(batch, size)``, returned as ``(batch, size)``."""
    if value is None:
        return like.new_zeros(batch, size)
    value = check_tensor(value, name, ndim=(1, 2), dtype=like.dtype)
    if value.shape[-1] != size or (value.dim() == 2 and value.shape[0] != batch):
        raise ValueError(f"{name} must have shape ({size},) or ({batch}, {size}), got {tuple(value.shape)}")
    return value.expand(batch, size) if value.dim() == 1 else value


def _check_pair(state, names: tuple[str, str], batch: int, sizes: tuple[int, int], like: Tensor):
    """``state``: ``None`` (zeros) or a pair of initial states, each checked by :func:`_check_state_part`."""
    if state is None:
        return like.new_zeros(batch, sizes[0]), like.new_zeros(batch, sizes[1])
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise ArgumentTypeError(f"state must be None or a pair ({names[0]}, {names[1]}) of tensors, "
                                f"got {type(state).__name__}")
    return tuple(_check_state_part(v, f"state[{i}] ({n})", batch, s, like)
                 for i, (v, n, s) in enumerate(zip(state, names, sizes)))


def _step_masks(lengths, batch: int, steps: int, device) -> Tensor | None:
    """``(T, B, 1)`` booleans, true at valid steps :math:`t < T_i`; ``None`` without ``lengths``."""
    if lengths is None:
        return None
    lengths = _check_lengths(lengths, batch, steps, device)
    return (torch.arange(steps, device=device).unsqueeze(1) < lengths.unsqueeze(0)).unsqueeze(2)


def _keep(mask: Tensor | None, new: Tensor, old: Tensor) -> Tensor:
    """``new`` at valid steps, ``old`` (the carried state) at padded ones."""
    return new if mask is None else torch.where(mask, new, old)


def _stack(states: list[Tensor], masks: Tensor | None) -> Tensor:
    """The per-step states ``(B, d)`` as one ``(B, T, d)`` tensor, zero at padded steps."""
    out = torch.stack(states)
    if masks is not None:
        out = torch.where(masks, out, 0.0)
    return out.transpose(0, 1)


def _uniform_(module: nn.Module, hidden_size: int) -> None:
    """Every parameter uniform in :math:`[-1/\\sqrt d, 1/\\sqrt d]`, as :class:`torch.nn.LSTM` does."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        nn.init.uniform_(p, -bound, bound)


# ---------------------------------------------------------------------- LSTM


class LSTM(nn.Module):
    r"""The LSTM: :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t`, :math:`h_t = o_t \odot \tanh(c_t)`.

    The parameters are stacked by gate, in :class:`torch.nn.LSTM`'s order:
    ``weight_ih`` ``(G d, u)`` :math:`= [W_i; W_f; W_g; W_o]`, ``weight_hh`` ``(G d, d)``
    :math:`= [R_i; R_f; R_g; R_o]` and ``bias`` ``(G d,)`` :math:`= [b_i; b_f; b_g; b_o]`,
    with :math:`G = 4`; without the forget gate the :math:`f` rows are absent (:math:`G = 3`,
    order :math:`i, g, o`). From a :class:`torch.nn.LSTM`: ``weight_ih = weight_ih_l0``,
    ``weight_hh = weight_hh_l0``, ``bias = bias_ih_l0 + bias_hh_l0``. Initialized uniformly in
    :math:`[-1/\sqrt d, 1/\sqrt d]`, as :class:`torch.nn.LSTM`.

    Parameters
    ----------
    input_size
        The size :math:`u` of each input :math:`x_t`.
    hidden_size
        The number :math:`d` of memory cells (and of hidden units).
    forget_gate
        ``True`` (default): Gers, Schmidhuber & Cummins (2000), equal to :class:`torch.nn.LSTM`.
        ``False``: the 1997 LSTM, :math:`c_t = c_{t-1} + i_t \odot g_t` (with :math:`\tanh` for
        the 1997 squashing functions :math:`g \in [-2, 2]` and :math:`h \in [-1, 1]`; no peepholes).
    dtype
        Parameter dtype, a floating-point ``torch.dtype`` (default: torch's default dtype).
        Parameters over the package's memory limit are refused before they are allocated.

    Examples
    --------
    >>> out = LSTM(2, 3)(torch.zeros(4, 5, 2))
    >>> tuple(out.h.shape), tuple(out.c_last.shape)
    ((4, 5, 3), (4, 3))
    """

    def __init__(self, input_size: int, hidden_size: int, *, forget_gate: bool = True,
                 dtype: torch.dtype | None = None):
        super().__init__()
        u = check_positive_int(input_size, "input_size")
        d = check_positive_int(hidden_size, "hidden_size")
        self.forget_gate = check_bool(forget_gate, "forget_gate")
        dtype = _factory_dtype(dtype)
        gates = 4 if self.forget_gate else 3
        check_memory(gates * d * (u + d + 1) * dtype.itemsize, "the parameters",
                     f"LSTM(input_size={u}, hidden_size={d})")
        self.weight_ih = nn.Parameter(torch.empty(gates * d, u, dtype=dtype))
        self.weight_hh = nn.Parameter(torch.empty(gates * d, d, dtype=dtype))
        self.bias = nn.Parameter(torch.empty(gates * d, dtype=dtype))
        self.reset_parameters()

    @property
    def input_size(self) -> int:
        return self.weight_ih.shape[1]

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[1]

    def reset_parameters(self) -> None:
        """Draw every parameter uniformly in :math:`[-1/\\sqrt d, 1/\\sqrt d]`."""
        _uniform_(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"u={self.input_size}, d={self.hidden_size}, forget_gate={self.forget_gate}"

    def forward(self, x: Tensor, lengths=None, state=None) -> LSTMOutput:
        r"""Run the LSTM over a batch of sequences.

        Parameters
        ----------
        x
            ``(B, T, u)`` inputs, batch first, in the parameters' dtype, finite.
        lengths
            Optional ``(B,)`` integer tensor (or list of integers) with entries in :math:`[1, T]`;
            padded steps leave the state unchanged and are zero in ``h`` and ``c``.
        state
            Optional initial state ``(h0, c0)``, each ``(d,)`` (shared) or ``(B, d)``; zeros by default.

        Returns
        -------
        LSTMOutput
            ``(h, c, h_last, c_last)``.
        """
        d = self.hidden_size
        x, B, T = _check_input(x, self.input_size, self.weight_hh.dtype, 8 * d)
        h, c = _check_pair(state, ("h0", "c0"), B, (d, d), self.weight_hh)
        masks = _step_masks(lengths, B, T, x.device)
        p = (x @ self.weight_ih.t() + self.bias).transpose(0, 1)  # (T, B, G d): W x_t + b
        hs, cs = [], []
        for t in range(T):
            c_new, h_new = self._cell(p[t] + h @ self.weight_hh.t(), c)
            mask = None if masks is None else masks[t]
            h, c = _keep(mask, h_new, h), _keep(mask, c_new, c)
            hs.append(h)
            cs.append(c)
        return LSTMOutput(_stack(hs, masks), _stack(cs, masks), h, c)

    def _cell(self, z: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        """One step from the gate pre-activations ``z`` ``(B, G d)``: the new ``(c_t, h_t)``."""
        if self.forget_gate:
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        else:
            i, g, o = z.chunk(3, dim=1)
            c = c + torch.sigmoid(i) * torch.tanh(g)  # the constant error carousel
        return c, torch.sigmoid(o) * torch.tanh(c)


# ---------------------------------------------------------------------- GRU


class GRU(nn.Module):
    r"""Gated recurrent unit: :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}` (Cho et al. 2014).

    In :class:`torch.nn.GRU`'s formulation and gate order :math:`r, z, n` (module docstring):
    ``weight_ih`` ``(3d, u)``, ``weight_hh`` ``(3d, d)``, ``bias_ih`` ``(3d,)`` and ``bias_hh``
    ``(3d,)`` are ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0`` and ``bias_hh_l0`` of a
    :class:`torch.nn.GRU` (two biases, since :math:`b^h_n` sits inside the reset gate's product).
    Initialized uniformly in :math:`[-1/\sqrt d, 1/\sqrt d]`.

    Parameters
    ----------
    input_size
        The size :math:`u` of each input :math:`x_t`.
    hidden_size
        The number :math:`d` of hidden units.
    dtype
        Parameter dtype, a floating-point ``torch.dtype`` (default: torch's default dtype).
        Parameters over the package's memory limit are refused before they are allocated.
    """

    def __init__(self, input_size: int, hidden_size: int, *, dtype: torch.dtype | None = None):
        super().__init__()
        u = check_positive_int(input_size, "input_size")
        d = check_positive_int(hidden_size, "hidden_size")
        dtype = _factory_dtype(dtype)
        check_memory(3 * d * (u + d + 2) * dtype.itemsize, "the parameters",
                     f"GRU(input_size={u}, hidden_size={d})")
        self.weight_ih = nn.Parameter(torch.empty(3 * d, u, dtype=dtype))
        self.weight_hh = nn.Parameter(torch.empty(3 * d, d, dtype=dtype))
        self.bias_ih = nn.Parameter(torch.empty(3 * d, dtype=dtype))
        self.bias_hh = nn.Parameter(torch.empty(3 * d, dtype=dtype))
        self.reset_parameters()

    @property
    def input_size(self) -> int:
        return self.weight_ih.shape[1]

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[1]

    def reset_parameters(self) -> None:
        """Draw every parameter uniformly in :math:`[-1/\\sqrt d, 1/\\sqrt d]`."""
        _uniform_(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"u={self.input_size}, d={self.hidden_size}"

    def forward(self, x: Tensor, lengths=None, state: Tensor | None = None) -> GRUOutput:
        r"""Run the GRU over a batch of sequences.

        Parameters
        ----------
        x
            ``(B, T, u)`` inputs, batch first, in the parameters' dtype, finite.
        lengths
            Optional ``(B,)`` integer tensor (or list of integers) with entries in :math:`[1, T]`;
            padded steps leave the state unchanged and are zero in ``h``.
        state
            Optional initial state :math:`h_0`, ``(d,)`` (shared) or ``(B, d)``; zeros by default.

        Returns
        -------
        GRUOutput
            ``(h, h_last)``.
        """
        d = self.hidden_size
        x, B, T = _check_input(x, self.input_size, self.weight_hh.dtype, 5 * d)
        h = _check_state_part(state, "state", B, d, self.weight_hh)
        masks = _step_masks(lengths, B, T, x.device)
        p = (x @ self.weight_ih.t() + self.bias_ih).transpose(0, 1)  # (T, B, 3d): W x_t + b^x
        hs = []
        for t in range(T):
            pr, pz, pn = p[t].chunk(3, dim=1)
            qr, qz, qn = (h @ self.weight_hh.t() + self.bias_hh).chunk(3, dim=1)  # R h_{t-1} + b^h
            r, z = torch.sigmoid(pr + qr), torch.sigmoid(pz + qz)
            n = torch.tanh(pn + r * qn)
            h = _keep(None if masks is None else masks[t], (1 - z) * n + z * h, h)
            hs.append(h)
        return GRUOutput(_stack(hs, masks), h)


# ---------------------------------------------------------------------- SCRN


class SCRN(nn.Module):
    r"""Structurally constrained recurrent network: leaky context units beside sigmoid units.

    :math:`s_t = (1-\alpha) B x_t + \alpha s_{t-1}` and :math:`h_t = \sigma(P s_t + A x_t + R h_{t-1})`.

    Mikolov, Joulin, Chopra, Mathieu & Ranzato (2015): the context units :math:`s_t` are a
    leaky average of the projected inputs with a fixed rate :math:`\alpha` (not learned), so
    they keep slowly changing information that the fully recurrent units :math:`h_t` lose.
    Parameters ``B`` ``(k, u)``, ``A`` ``(d, u)``, ``P`` ``(d, k)``, ``R`` ``(d, d)`` (the matrix
    ``B`` is not the batch size ``B`` of the shapes), no biases; initialized uniformly in
    :math:`[-1/\sqrt d, 1/\sqrt d]`. The paper's output :math:`y_t = f(U h_t + V s_t)` is left
    to the user: for instance a :class:`torch.nn.Linear` on ``torch.cat([h, s], -1)``.

    Parameters
    ----------
    input_size
        The size :math:`u` of each input :math:`x_t`.
    hidden_size
        The number :math:`d` of hidden (sigmoid) units.
    context_size
        The number :math:`k` of context units.
    alpha
        The fixed leak rate :math:`\alpha \in [0, 1]` of the context units (default 0.95, as in
        the paper); :math:`\alpha = 0` makes :math:`s_t = B x_t`, :math:`\alpha = 1` keeps :math:`s_0`.
    dtype
        Parameter dtype, a floating-point ``torch.dtype`` (default: torch's default dtype).
        Parameters over the package's memory limit are refused before they are allocated.
    """

    def __init__(self, input_size: int, hidden_size: int, context_size: int, *, alpha: float = 0.95,
                 dtype: torch.dtype | None = None):
        super().__init__()
        u = check_positive_int(input_size, "input_size")
        d = check_positive_int(hidden_size, "hidden_size")
        k = check_positive_int(context_size, "context_size")
        self.alpha = check_float(alpha, "alpha", low=0.0, high=1.0)
        dtype = _factory_dtype(dtype)
        check_memory((k * u + d * u + d * k + d * d) * dtype.itemsize, "the parameters",
                     f"SCRN(input_size={u}, hidden_size={d}, context_size={k})")
        self.B = nn.Parameter(torch.empty(k, u, dtype=dtype))
        self.A = nn.Parameter(torch.empty(d, u, dtype=dtype))
        self.P = nn.Parameter(torch.empty(d, k, dtype=dtype))
        self.R = nn.Parameter(torch.empty(d, d, dtype=dtype))
        self.reset_parameters()

    @property
    def input_size(self) -> int:
        return self.A.shape[1]

    @property
    def hidden_size(self) -> int:
        return self.R.shape[0]

    @property
    def context_size(self) -> int:
        return self.B.shape[0]

    def reset_parameters(self) -> None:
        """Draw every parameter uniformly in :math:`[-1/\\sqrt d, 1/\\sqrt d]`."""
        _uniform_(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"u={self.input_size}, d={self.hidden_size}, k={self.context_size}, alpha={self.alpha}"

    def forward(self, x: Tensor, lengths=None, state=None) -> SCRNOutput:
        r"""Run the SCRN over a batch of sequences.

        Parameters
        ----------
        x
            ``(B, T, u)`` inputs, batch first, in the parameters' dtype, finite.
        lengths
            Optional ``(B,)`` integer tensor (or list of integers) with entries in :math:`[1, T]`;
            padded steps leave the state unchanged and are zero in ``h`` and ``s``.
        state
            Optional initial state ``(h0, s0)``, ``(d,)``/``(B, d)`` and ``(k,)``/``(B, k)``;
            zeros by default.

        Returns
        -------
        SCRNOutput
            ``(h, s, h_last, s_last)``.
        """
        d, k = self.hidden_size, self.context_size
        x, B, T = _check_input(x, self.input_size, self.R.dtype, 2 * (d + k))
        h, s = _check_pair(state, ("h0", "s0"), B, (d, k), self.R)
        masks = _step_masks(lengths, B, T, x.device)
        xt = x.transpose(0, 1)  # (T, B, u)
        drive_s = (1 - self.alpha) * (xt @ self.B.t())  # (1 - alpha) B x_t
        drive_h = xt @ self.A.t()  # A x_t
        hs, ss = [], []
        for t in range(T):
            s_new = drive_s[t] + self.alpha * s
            h_new = torch.sigmoid(s_new @ self.P.t() + drive_h[t] + h @ self.R.t())
            mask = None if masks is None else masks[t]
            h, s = _keep(mask, h_new, h), _keep(mask, s_new, s)
            hs.append(h)
            ss.append(s)
        return SCRNOutput(_stack(hs, masks), _stack(ss, masks), h, s)
