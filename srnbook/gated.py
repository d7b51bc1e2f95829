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
    check_choice,
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


# ---------------------------------------------------------------------- a gated layer with a readout


class ReadoutOutput(NamedTuple):
    """What :meth:`Readout.forward` returns.

    Attributes
    ----------
    y: ``(B, T, o)`` outputs :math:`\\hat y_1, \\dots, \\hat y_T` (zero at padded steps).
    states: the layer's own output (:class:`LSTMOutput`, :class:`GRUOutput` or :class:`SCRNOutput`).
    """

    y: Tensor
    states: NamedTuple


class Readout(nn.Module):
    r"""A gated layer read out linearly: :math:`\hat y_t = V h_t + b_y` (SCRN: :math:`V [h_t; s_t] + b_y`).

    The network the book trains on the long-lag tasks (:func:`srnbook.training.make_gated_model`):
    the layer's states go through one linear map, with no output squashing (the outputs are the
    prediction of a regression task or the logits of a classification task, as for
    :func:`srnbook.training.make_model`'s SRNs).

    Parameters
    ----------
    layer
        An :class:`LSTM`, :class:`GRU` or :class:`SCRN`.
    output_size
        The size :math:`o` of each output.

    Examples
    --------
    >>> net = Readout(GRU(2, 3), 1)
    >>> tuple(net(torch.zeros(4, 5, 2)).y.shape)
    (4, 5, 1)
    """

    def __init__(self, layer: nn.Module, output_size: int):
        super().__init__()
        if not isinstance(layer, (LSTM, GRU, SCRN)):
            raise ArgumentTypeError(f"layer must be an srnbook.gated LSTM, GRU or SCRN, "
                                    f"got {type(layer).__name__}")
        o = check_positive_int(output_size, "output_size")
        width = layer.hidden_size + (layer.context_size if isinstance(layer, SCRN) else 0)
        dtype = next(layer.parameters()).dtype
        check_memory(o * (width + 1) * dtype.itemsize, "the readout's parameters", "output_size")
        self.layer = layer
        self.readout = nn.Linear(width, o, dtype=dtype)

    @property
    def input_size(self) -> int:
        return self.layer.input_size

    @property
    def output_size(self) -> int:
        return self.readout.out_features

    def forward(self, x: Tensor, lengths=None) -> ReadoutOutput:
        r"""``y[:, t - 1]`` :math:`= V h_t + b_y` for ``x`` ``(B, T, u)`` and optional ``lengths`` ``(B,)``."""
        states = self.layer(x, lengths)
        h = torch.cat([states.h, states.s], -1) if isinstance(self.layer, SCRN) else states.h
        y = self.readout(h)
        masks = _step_masks(lengths, x.shape[0], x.shape[1], x.device)  # checked by the layer already
        if masks is not None:
            y = torch.where(masks.transpose(0, 1), y, 0.0)  # zero at padded steps, like the states
        return ReadoutOutput(y, states)


# ---------------------------------------------------------------------- Jacobians of the carried state


def _check_recurrent(model) -> nn.Module:
    """``model``: an :class:`~srnbook.srn.SRN`, :class:`LSTM`, :class:`GRU` or :class:`SCRN`."""
    from .srn import SRN

    if not isinstance(model, (SRN, LSTM, GRU, SCRN)):
        raise ArgumentTypeError(f"model must be an srnbook SRN, LSTM, GRU or SCRN, got {type(model).__name__}")
    return model


def _state_layout(model) -> tuple[int, slice]:
    """The size :math:`D` of the carried state and the slice of its memory part."""
    if isinstance(model, LSTM):
        d = model.hidden_size
        return 2 * d, slice(d, 2 * d)  # (h, c): the cells
    if isinstance(model, SCRN):
        d, k = model.hidden_size, model.context_size
        return d + k, slice(d, d + k)  # (h, s): the context units
    return model.hidden_size, slice(0, model.hidden_size)  # SRN, GRU: h


def _rows(v: Tensor, A: Tensor) -> Tensor:
    """``diag(v) A`` for a batch: ``v`` ``(B, n)``, ``A`` ``(n, m)`` -> ``(B, n, m)``."""
    return v.unsqueeze(-1) * A


def _step_jacobian(model, x: Tensor, s: Tensor, truncated: bool) -> tuple[Tensor, Tensor]:
    """One step from the carried state ``s`` ``(B, D)`` with input ``x`` ``(B, u)``: the new state
    ``(B, D)`` and the step's Jacobian ``(B, D, D)``, in closed form (the tests check it with autograd)."""
    if isinstance(model, LSTM):
        d = model.hidden_size
        h, c = s[:, :d], s[:, d:]
        z = x @ model.weight_ih.t() + model.bias + h @ model.weight_hh.t()
        R = model.weight_hh.chunk(4 if model.forget_gate else 3, dim=0)
        if model.forget_gate:
            (zi, zf, zg, zo), (Ri, Rf, Rg, Ro) = z.chunk(4, dim=1), R
            f = torch.sigmoid(zf)
        else:
            (zi, zg, zo), (Ri, Rg, Ro) = z.chunk(3, dim=1), R
            f = torch.ones_like(c)
        i, g, o = torch.sigmoid(zi), torch.tanh(zg), torch.sigmoid(zo)
        c_new = f * c + i * g
        tc = torch.tanh(c_new)
        h_new = o * tc
        dc_dc = torch.diag_embed(f)  # the carousel: I without the forget gate
        if truncated:
            dc_dh = s.new_zeros(s.shape[0], d, d)
            dh_dh = s.new_zeros(s.shape[0], d, d)
        else:
            dc_dh = _rows(g * i * (1 - i), Ri) + _rows(i * (1 - g ** 2), Rg)
            if model.forget_gate:
                dc_dh = dc_dh + _rows(c * f * (1 - f), Rf)
            dh_dh = _rows(tc * o * (1 - o), Ro) + (o * (1 - tc ** 2)).unsqueeze(-1) * dc_dh
        dh_dc = (o * (1 - tc ** 2)).unsqueeze(-1) * dc_dc
        M = torch.cat([torch.cat([dh_dh, dh_dc], 2), torch.cat([dc_dh, dc_dc], 2)], 1)
        return torch.cat([h_new, c_new], 1), M
    if isinstance(model, GRU):
        h = s
        pr, pz, pn = (x @ model.weight_ih.t() + model.bias_ih).chunk(3, dim=1)
        qr, qz, qn = (h @ model.weight_hh.t() + model.bias_hh).chunk(3, dim=1)
        Rr, Rz, Rn = model.weight_hh.chunk(3, dim=0)
        r, z = torch.sigmoid(pr + qr), torch.sigmoid(pz + qz)
        n = torch.tanh(pn + r * qn)
        dr = _rows(r * (1 - r), Rr)
        dz = _rows(z * (1 - z), Rz)
        dn = (1 - n ** 2).unsqueeze(-1) * (qn.unsqueeze(-1) * dr + _rows(r, Rn))
        M = torch.diag_embed(z) + (h - n).unsqueeze(-1) * dz + (1 - z).unsqueeze(-1) * dn
        return (1 - z) * n + z * h, M
    if isinstance(model, SCRN):
        d, k, a = model.hidden_size, model.context_size, model.alpha
        h, ctx = s[:, :d], s[:, d:]
        ctx_new = (1 - a) * (x @ model.B.t()) + a * ctx
        h_new = torch.sigmoid(ctx_new @ model.P.t() + x @ model.A.t() + h @ model.R.t())
        slope = h_new * (1 - h_new)
        top = torch.cat([_rows(slope, model.R), a * _rows(slope, model.P)], 2)
        bottom = torch.cat([s.new_zeros(s.shape[0], k, d),
                            a * torch.eye(k, dtype=s.dtype, device=s.device).expand(s.shape[0], k, k)], 2)
        return torch.cat([h_new, ctx_new], 1), torch.cat([top, bottom], 1)
    a = x @ model.U.t() + s @ model.W.t() + model.b  # SRN
    h_new = model.activation.fn(a)
    return h_new, _rows(model.activation.derivative(a, h_new), model.W)


def state_jacobians(model: nn.Module, x: Tensor, *, truncated: bool = False) -> Tensor:
    r"""The Jacobians :math:`\partial s_T/\partial s_{T-n}` of the carried state, for every lag :math:`n`.

    The carried state :math:`s_t` is what one step passes to the next: :math:`h_t` for an
    :class:`~srnbook.srn.SRN` and a :class:`GRU`, the pair :math:`(h_t, c_t)` for an :class:`LSTM`
    and :math:`(h_t, s_t)` for an :class:`SCRN` (in that order: ``D`` = :math:`d`, :math:`2d`,
    :math:`d + k` numbers). One step is a map :math:`s_t = F_t(s_{t-1})` with Jacobian
    :math:`M_t = \partial F_t/\partial s_{t-1}` (``D x D``, through every gate), and by the chain rule

    .. math::

        \frac{\partial s_T}{\partial s_{T-n}} = M_T M_{T-1} \cdots M_{T-n+1}, \qquad
        \frac{\partial s_T}{\partial s_T} = I .

    Each block is a partial derivative with the rest of :math:`s_{T-n}` held: the block
    :math:`\partial c_T/\partial c_k` of an LSTM holds :math:`h_k` (it does not follow :math:`c_k`
    through :math:`h_k = o_k \odot \tanh(c_k)`), so that at lag 1 it is exactly
    :math:`\operatorname{diag}(f_T)` (:math:`I` without the forget gate).

    Parameters
    ----------
    model
        An :class:`~srnbook.srn.SRN`, :class:`LSTM`, :class:`GRU` or :class:`SCRN`.
    x
        ``(B, T, u)`` inputs (no padding) in the model's dtype, finite; the initial state is zero.
    truncated
        LSTM only: cut the dependence of the gates and the cell input on :math:`h_{t-1}` (treat
        :math:`W h_{t-1}` as a constant), as the truncated gradient of Hochreiter & Schmidhuber
        (1997) does. Then :math:`\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)`, and
        :math:`I` along the 1997 carousel, at every step.

    Returns
    -------
    Tensor
        ``(B, T + 1, D, D)``, detached: entry ``[i, n]`` is :math:`\partial s_T/\partial s_{T-n}`
        for sequence ``i`` (:math:`n = T` is the initial state :math:`s_0`).

    Examples
    --------
    >>> torch.manual_seed(0)
    >>> J = state_jacobians(LSTM(2, 3, forget_gate=False), torch.randn(1, 5, 2), truncated=True)
    >>> bool(torch.allclose(J[0, 5, 3:, 3:], torch.eye(3)))  # dc_T/dc_0 = I
    True
    """
    model = _check_recurrent(model)
    truncated = check_bool(truncated, "truncated")
    if truncated and not isinstance(model, LSTM):
        raise ValueError(f"truncated=True cuts the gates' dependence on h and applies to an LSTM only, "
                         f"got a {type(model).__name__}")
    dtype = next(model.parameters()).dtype
    D, _ = _state_layout(model)
    x, B, T = _check_input(x, model.input_size, dtype, D)
    check_memory(2 * B * (T + 1) * D * D * dtype.itemsize, f"the {B} x {T + 1} Jacobians of size {D} x {D}", "x")
    states, steps = [x.new_zeros(B, D)], []
    with torch.no_grad():
        for t in range(T):  # M_{t+1} = dF_{t+1}/ds_t, at s_t and the input x_{t+1} (x[:, t] in code)
            state, M = _step_jacobian(model, x[:, t], states[-1], truncated)
            states.append(state)
            steps.append(M)
        out = x.new_empty(B, T + 1, D, D)
        out[:, 0] = torch.eye(D, dtype=dtype, device=x.device)
        for n in range(1, T + 1):
            out[:, n] = out[:, n - 1] @ steps[T - n]
    return out.detach()


def cell_jacobian_norms(model: nn.Module, x: Tensor, *, part: str = "memory", ord=2,
                        truncated: bool = False) -> Tensor:
    r"""Norms of :math:`\partial s_T/\partial s_{T-n}` against the lag :math:`n`: how much of an error
    signal at the last step reaches each earlier state.

    With the Jacobians of :func:`state_jacobians`, entry ``[i, n]`` is the norm of

    * ``part="memory"``: the block of the unit that carries memory: :math:`\partial c_T/\partial c_{T-n}`
      for an :class:`LSTM` (with :math:`h_{T-n}` held), :math:`\partial s_T/\partial s_{T-n}` of the
      context units of an :class:`SCRN` (exactly :math:`\alpha^n I`), :math:`\partial h_T/\partial h_{T-n}`
      for a :class:`GRU` and an :class:`~srnbook.srn.SRN`;
    * ``part="state"``: the whole Jacobian of the carried state (:math:`(h, c)`, :math:`(h, s)` or :math:`h`).

    Parameters
    ----------
    model
        An :class:`~srnbook.srn.SRN`, :class:`LSTM`, :class:`GRU` or :class:`SCRN`.
    x
        ``(B, T, u)`` inputs (no padding) in the model's dtype, finite.
    part
        ``"memory"`` (default) or ``"state"``.
    ord
        The matrix norm (:func:`srnbook.gradients.matrix_norm`): ``2`` (spectral, default),
        ``"fro"``, ``"max"``, ``1`` or ``math.inf``.
    truncated
        As in :func:`state_jacobians` (LSTM only).

    Returns
    -------
    Tensor
        ``(B, T + 1)`` norms, entry ``[i, n]`` for lag :math:`n` (1 at :math:`n = 0` for ``ord`` 2).

    Examples
    --------
    >>> torch.manual_seed(0)
    >>> norms = cell_jacobian_norms(SCRN(2, 3, 4, alpha=0.5), torch.randn(2, 3, 2))
    >>> [round(v, 4) for v in norms[0].tolist()]
    [1.0, 0.5, 0.25, 0.125]
    """
    from .gradients import _check_ord, _matrix_norm

    model = _check_recurrent(model)
    check_choice(part, "part", ("memory", "state"))
    ord = _check_ord(ord)
    J = state_jacobians(model, x, truncated=truncated)
    if part == "memory":
        _, memory = _state_layout(model)
        J = J[..., memory, memory]
    return _matrix_norm(J, ord)


class LSTMTrace(NamedTuple):
    """What :func:`lstm_trace` returns: the gates and states of an LSTM at every step, ``(B, T, d)`` each.

    Attributes
    ----------
    i: input gates :math:`i_t`.
    f: forget gates :math:`f_t` (all ones for the 1997 LSTM, which has none).
    g: cell inputs :math:`g_t`.
    o: output gates :math:`o_t`.
    c: cell states :math:`c_t`.
    h: hidden states :math:`h_t`.
    """

    i: Tensor
    f: Tensor
    g: Tensor
    o: Tensor
    c: Tensor
    h: Tensor


def lstm_trace(model: nn.Module, x: Tensor) -> LSTMTrace:
    r"""Run an :class:`LSTM` over ``x`` and record its gates :math:`i_t, f_t, o_t`, cell input :math:`g_t`
    and states :math:`c_t, h_t` at every step (the equations of the module docstring).

    Parameters
    ----------
    model
        An :class:`LSTM`, or a :class:`Readout` whose layer is one.
    x
        ``(B, T, u)`` inputs (no padding) in the model's dtype, finite; the initial state is zero.

    Returns
    -------
    LSTMTrace
        ``(i, f, g, o, c, h)``, each ``(B, T, d)`` and detached; step :math:`t` is index ``t - 1``.

    Examples
    --------
    >>> torch.manual_seed(0)
    >>> trace = lstm_trace(LSTM(2, 3, forget_gate=False), torch.randn(4, 5, 2))
    >>> tuple(trace.o.shape), bool((trace.f == 1).all())
    ((4, 5, 3), True)
    """
    layer = model.layer if isinstance(model, Readout) else model
    if not isinstance(layer, LSTM):
        raise ArgumentTypeError(f"model must be an srnbook LSTM or a Readout of one, got {type(model).__name__}"
                                + (f" of a {type(layer).__name__}" if isinstance(model, Readout) else ""))
    d = layer.hidden_size
    x, B, T = _check_input(x, layer.input_size, layer.weight_hh.dtype, 12 * d)
    h, c = x.new_zeros(B, d), x.new_zeros(B, d)
    rows = {name: [] for name in LSTMTrace._fields}
    with torch.no_grad():
        for t in range(T):
            z = x[:, t] @ layer.weight_ih.t() + layer.bias + h @ layer.weight_hh.t()
            if layer.forget_gate:
                zi, zf, zg, zo = z.chunk(4, dim=1)
                f = torch.sigmoid(zf)
            else:
                zi, zg, zo = z.chunk(3, dim=1)
                f = torch.ones_like(c)
            i, g, o = torch.sigmoid(zi), torch.tanh(zg), torch.sigmoid(zo)
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, value in zip(LSTMTrace._fields, (i, f, g, o, c, h)):
                rows[name].append(value)
    return LSTMTrace(*(torch.stack(rows[name], 1).detach() for name in LSTMTrace._fields))
