r"""The simple recurrent network (SRN) of Definition 1 and its backward pass, BPTT.

For inputs :math:`x_1, \dots, x_T \in \mathbb{R}^u` and an initial state
:math:`h_0 \in \mathbb{R}^d`, the SRN with parameters :math:`P = (U, W, V, b, c)`
computes, for :math:`t = 1, \dots, T`,

.. math::

    a_t = U x_t + W h_{t-1} + b, \qquad h_t = \sigma(a_t), \qquad
    \hat y_t = g(V h_t + c),

with :math:`U \in \mathbb{R}^{d \times u}`, :math:`W \in \mathbb{R}^{d \times d}`,
:math:`V \in \mathbb{R}^{o \times d}`, :math:`b \in \mathbb{R}^d`,
:math:`c \in \mathbb{R}^o`, an elementwise activation :math:`\sigma` and an output
function :math:`g` (Definition 1 of Franchi, Mitarchuk & Eyraud takes
:math:`g = \sigma`).

Backpropagation through time (the book's equation for :math:`\delta_t`): writing
:math:`\delta_t = \partial L / \partial a_t` and :math:`\bar h_t` for the *local*
gradient :math:`\partial L / \partial h_t` that reaches :math:`h_t` from the output
at step :math:`t` only,

.. math::

    \delta_T = \operatorname{diag}(\sigma'(a_T))\, \bar h_T, \qquad
    \delta_t = \operatorname{diag}(\sigma'(a_t))\,\bigl(\bar h_t + W^\top \delta_{t+1}\bigr),

and then :math:`\partial L/\partial W = \sum_t \delta_t h_{t-1}^\top`,
:math:`\partial L/\partial U = \sum_t \delta_t x_t^\top`,
:math:`\partial L/\partial b = \sum_t \delta_t` and
:math:`\partial L/\partial h_0 = W^\top \delta_1`. :class:`BPTT` implements
exactly this recursion; the output layer :math:`(V, c)` and the input projection
:math:`U x_t + b` are left to autograd, which differentiates them in one matrix
product over all time steps.

Forward mode (Pearlmutter's :math:`\mathcal R` operator, used for Gauss-Newton-vector products):
along a direction :math:`(\dot p, \dot W, \dot h_0)` of the recurrence's inputs
(:math:`\dot p_t = \dot U x_t + \dot b`),

.. math::

    \dot a_t = \dot p_t + \dot W h_{t-1} + W \dot h_{t-1}, \qquad
    \dot h_t = \sigma'(a_t) \odot \dot a_t,

one matrix product per step, from the stored :math:`a_t, h_t`: :meth:`BPTT.jvp` implements it, so
:func:`torch.func.jvp` works on the default SRN too.

Code indexes time from 0: ``h[:, t]`` is :math:`h_{t+1}`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from ._validation import (
    ArgumentTypeError,
    check_choice,
    check_dtype,
    check_instance,
    check_int_tensor,
    check_memory,
    check_positive_int,
    check_tensor,
)
from .activations import Activation, get_activation

Tensor = torch.Tensor

OUTPUTS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda z: torch.softmax(z, dim=-1),
    "identity": lambda z: z,
}


class SRNOutput(NamedTuple):
    """What :meth:`SRN.forward` returns (batch first; padded steps are zero).

    Attributes
    ----------
    h: ``(B, T, d)`` hidden states :math:`h_1, \\dots, h_T`.
    a: ``(B, T, d)`` pre-activations :math:`a_1, \\dots, a_T`.
    y: ``(B, T, o)`` outputs :math:`\\hat y_1, \\dots, \\hat y_T`.
    h_last: ``(B, d)`` the hidden state at each sequence's last valid step.
    """

    h: Tensor
    a: Tensor
    y: Tensor
    h_last: Tensor


class BPTT(torch.autograd.Function):
    r"""The recurrence :math:`a_t = p_t + W h_{t-1}`, :math:`h_t = \sigma(a_t)` with an explicit BPTT backward.

    ``forward(p, W, h0, activation)`` takes the time-major input projections
    ``p`` of shape ``(T, B, d)`` (:math:`p_t = U x_t + b`), the recurrent matrix
    ``W`` ``(d, d)``, the initial state ``h0`` ``(B, d)`` and an
    :class:`~srnbook.activations.Activation`; it returns ``(a, h)``, both
    ``(T, B, d)``. ``backward`` runs the recursion for :math:`\delta_t` given in
    the module docstring (row-vector form: ``delta[t] = s[t] * (gh[t] + delta[t+1] @ W)``)
    and returns :math:`\partial L/\partial p_t = \delta_t`,
    :math:`\partial L/\partial W` and :math:`\partial L/\partial h_0`. ``jvp`` runs the
    forward-mode recursion of the module docstring and returns :math:`(\dot a, \dot h)`.

    Higher derivatives: when autograd records the backward (``create_graph=True``, double
    backward, :func:`torch.autograd.gradgradcheck`) the recursion runs with differentiable
    operations, so the gradient can be differentiated again; otherwise it writes into
    preallocated buffers (the fast path). Called directly (not through ``apply``) with inputs
    that require grad, ``forward`` lets autograd record the recurrence.
    NaN or infinite entries of ``p``, ``W`` and ``h0`` (diverged parameters) propagate, as in
    every torch operation; :meth:`SRN.forward` checks its inputs ``x`` and ``h0``.
    """

    @staticmethod
    def forward(p: Tensor, W: Tensor, h0: Tensor, activation: Activation):
        _check_recurrence(p, W, h0, activation)
        if torch.is_grad_enabled() and (p.requires_grad or W.requires_grad or h0.requires_grad):
            return _recurrence_autograd(p, W, h0, activation)  # a direct call, recorded by autograd
        T = p.shape[0]
        a = torch.empty_like(p)
        h = torch.empty_like(p)
        W_t = W.t()
        prev = h0
        for t in range(T):
            torch.addmm(p[t], prev, W_t, out=a[t])  # a_t = p_t + W h_{t-1}
            h[t] = activation.fn(a[t])  # h_t = sigma(a_t)
            prev = h[t]
        return a, h

    @staticmethod
    def setup_context(ctx, inputs, output):
        if not isinstance(inputs, tuple) or len(inputs) != 4:
            raise ArgumentTypeError(f"inputs must be the tuple (p, W, h0, activation) given to forward, "
                                    f"got {type(inputs).__name__}")
        if not isinstance(output, tuple) or len(output) != 2:
            raise ArgumentTypeError(f"output must be the pair (a, h) returned by forward, "
                                    f"got {type(output).__name__}")
        _, W, h0, activation = inputs
        a, h = output
        ctx.activation = activation
        ctx.set_materialize_grads(False)  # an unused output gets None, not zeros
        ctx.save_for_backward(W, h0, a, h)
        ctx.save_for_forward(W, h0, a, h)

    @staticmethod
    def jvp(ctx, dp: Tensor | None, dW: Tensor | None, dh0: Tensor | None, d_activation=None):
        W, h0, a, h = ctx.saved_tensors
        _check_like(dp, "dp", a)
        _check_like(dW, "dW", W)
        _check_like(dh0, "dh0", h0)
        if d_activation is not None:
            raise ValueError(f"d_activation must be None (the activation has no tangent), "
                             f"got {d_activation!r}")
        T = a.shape[0]
        s = ctx.activation.derivative(a, h)
        drive = torch.zeros_like(a) if dp is None else dp  # p_t' + W' h_{t-1}
        if dW is not None:
            drive = drive + torch.cat([h0.unsqueeze(0), h[:-1]]) @ dW.t()
        W_t = W.t()
        prev = torch.zeros_like(h0) if dh0 is None else dh0
        da, dh = [], []
        for t in range(T):  # no out= here: the tangents may themselves be differentiated
            da.append(torch.addmm(drive[t], prev, W_t))  # a_t' = p_t' + W' h_{t-1} + W h_{t-1}'
            prev = s[t] * da[t]  # h_t' = sigma'(a_t) a_t'
            dh.append(prev)
        return torch.stack(da), torch.stack(dh)

    @staticmethod
    def backward(ctx, grad_a: Tensor | None, grad_h: Tensor | None):
        W, h0, a, h = ctx.saved_tensors
        _check_like(grad_a, "grad_a", a)
        _check_like(grad_h, "grad_h", h)
        T, d = a.shape[0], a.shape[2]
        if grad_h is None:
            grad_h = torch.zeros_like(h)
        s = ctx.activation.derivative(a, h)  # sigma'(a_t) for all t at once
        if torch.is_grad_enabled():  # create_graph: the backward itself is differentiated later
            delta = _deltas_differentiable(s, grad_a, grad_h, W)
        else:
            delta = _deltas(s, grad_a, grad_h, W)
        grad_W = delta[0].t() @ h0  # sum_t delta_t h_{t-1}^T
        if T > 1:
            grad_W = torch.addmm(grad_W, delta[1:].reshape(-1, d).t(), h[:-1].reshape(-1, d))
        grad_h0 = delta[0] @ W if ctx.needs_input_grad[2] else None  # W^T delta_1
        return delta, grad_W, grad_h0, None


def _deltas(s: Tensor, grad_a: Tensor | None, grad_h: Tensor, W: Tensor) -> Tensor:
    """:math:`\\delta_t` for every step, written into one buffer (no autograd: the fast path)."""
    T = s.shape[0]
    delta = torch.empty_like(s)
    torch.mul(s[T - 1], grad_h[T - 1], out=delta[T - 1])
    if grad_a is not None:  # a loss that reads a_t directly adds its own term
        delta[T - 1] += grad_a[T - 1]
    for t in range(T - 2, -1, -1):
        # delta_t = sigma'(a_t) * (local gradient + W^T delta_{t+1})
        back = torch.addmm(grad_h[t], delta[t + 1], W)
        torch.mul(s[t], back, out=delta[t])
        if grad_a is not None:
            delta[t] += grad_a[t]
    return delta


def _deltas_differentiable(s: Tensor, grad_a: Tensor | None, grad_h: Tensor, W: Tensor) -> Tensor:
    """The same recursion as :func:`_deltas` with out-of-place operations, for double backward."""
    deltas, later = [], None
    for t in range(s.shape[0] - 1, -1, -1):
        back = grad_h[t] if later is None else torch.addmm(grad_h[t], later, W)
        later = s[t] * back if grad_a is None else s[t] * back + grad_a[t]
        deltas.append(later)
    return torch.stack(deltas[::-1])


def _check_recurrence(p, W, h0, activation) -> None:
    """The arguments of :meth:`BPTT.forward`: ``p`` ``(T, B, d)``, ``W`` ``(d, d)``, ``h0`` ``(B, d)``."""
    p = check_tensor(p, "p", ndim=3, finite=False)
    T, B, d = p.shape
    if T == 0 or B == 0:
        raise ValueError(f"p must have at least one step and one sequence, got shape {tuple(p.shape)}")
    for name, value, shape in (("W", W, (d, d)), ("h0", h0, (B, d))):
        check_tensor(value, name, ndim=2, finite=False)
        if value.shape != shape or value.dtype != p.dtype:
            raise ValueError(f"{name} must have shape {shape} and the dtype of p, {p.dtype} (p has shape "
                             f"{tuple(p.shape)}), got {tuple(value.shape)} and {value.dtype}")
    check_instance(activation, "activation", Activation, "an srnbook.activations.Activation")


def _check_like(g, name: str, like: Tensor) -> None:
    """A gradient or tangent: ``None`` or a tensor shaped like ``like``, of its dtype (NaN propagates)."""
    if g is None:
        return
    check_tensor(g, name, ndim=like.dim(), dtype=like.dtype, finite=False)
    if g.shape != like.shape:
        raise ValueError(f"{name} must have shape {tuple(like.shape)}, got {tuple(g.shape)}")


def _recurrence_autograd(p: Tensor, W: Tensor, h0: Tensor, activation: Activation):
    """The same recurrence as :class:`BPTT`, differentiated by plain autograd (the reference)."""
    a_list, h_list = [], []
    prev = h0
    for t in range(p.shape[0]):
        a_t = p[t] + prev @ W.t()
        prev = activation.fn(a_t)
        a_list.append(a_t)
        h_list.append(prev)
    return torch.stack(a_list), torch.stack(h_list)


class SRN(nn.Module):
    r"""Simple recurrent network (Definition 1): :math:`h_t = \sigma(U x_t + W h_{t-1} + b)`, :math:`\hat y_t = g(V h_t + c)`.

    The parameters are initialized like those of :class:`torch.nn.RNN`:
    uniformly in :math:`[-1/\sqrt d, 1/\sqrt d]`.

    Parameters
    ----------
    input_size
        The size :math:`u` of each input vector :math:`x_t`.
    hidden_size
        The number :math:`d` of hidden units.
    output_size
        The size :math:`o` of each output :math:`\hat y_t`.
    activation
        The activation :math:`\sigma`, one of ``"sigmoid"`` (default, as in Definition 1), ``"tanh"``,
        ``"relu"``, ``"identity"``, or a callable (then give
        ``activation_derivative``).
    activation_derivative
        The derivative :math:`a \mapsto \sigma'(a)`, required when ``activation`` is a callable.
    output
        The output function :math:`g`, one of ``"sigmoid"`` (default), ``"tanh"``,
        ``"softmax"`` (over the last dimension) or ``"identity"``.
    grad
        ``"bptt"`` (default) differentiates the recurrence with the explicit
        :class:`BPTT`; ``"autograd"`` lets autograd record every step (the
        reference the tests compare against).
    dtype
        Parameter dtype, a floating-point ``torch.dtype`` (default: torch's default dtype).
        Parameters that would need more than the package's memory limit
        (:func:`srnbook.set_memory_limit`) are refused before they are allocated.

    Examples
    --------
    >>> m = SRN(2, 3, 1, activation="sigmoid")
    >>> out = m(torch.zeros(4, 5, 2))
    >>> tuple(out.h.shape), tuple(out.y.shape)
    ((4, 5, 3), (4, 5, 1))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        activation="sigmoid",
        *,
        activation_derivative=None,
        output: str = "sigmoid",
        grad: str = "bptt",
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        u = check_positive_int(input_size, "input_size")
        d = check_positive_int(hidden_size, "hidden_size")
        o = check_positive_int(output_size, "output_size")
        if activation_derivative is not None and isinstance(activation, (str, Activation)):
            raise ValueError(f"activation_derivative is only for a callable activation; activation "
                             f"{getattr(activation, 'name', activation)!r} has its own derivative")
        self.activation = get_activation(activation, activation_derivative)
        self.output = check_choice(output, "output", tuple(OUTPUTS))
        self.grad = check_choice(grad, "grad", ("bptt", "autograd"))
        dtype = torch.get_default_dtype() if dtype is None else check_dtype(dtype)
        check_memory(_parameter_bytes(u, d, o, dtype), "the parameters",
                     f"SRN(input_size={u}, hidden_size={d}, output_size={o})")
        factory = {"dtype": dtype}
        # Registered in the order of P = (U, W, V, b, c).
        self.U = nn.Parameter(torch.empty(d, u, **factory))
        self.W = nn.Parameter(torch.empty(d, d, **factory))
        self.V = nn.Parameter(torch.empty(o, d, **factory))
        self.b = nn.Parameter(torch.empty(d, **factory))
        self.c = nn.Parameter(torch.empty(o, **factory))
        self.reset_parameters()

    @property
    def input_size(self) -> int:
        return self.U.shape[1]

    @property
    def hidden_size(self) -> int:
        return self.W.shape[0]

    @property
    def output_size(self) -> int:
        return self.V.shape[0]

    def reset_parameters(self) -> None:
        """Draw every parameter uniformly in :math:`[-1/\\sqrt d, 1/\\sqrt d]`."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return (
            f"u={self.input_size}, d={self.hidden_size}, o={self.output_size}, "
            f"activation={self.activation.name!r}, output={self.output!r}"
        )

    def forward(self, x: Tensor, lengths=None, h0: Tensor | None = None) -> SRNOutput:
        r"""Run the SRN over a batch of sequences.

        Parameters
        ----------
        x
            ``(B, T, u)`` inputs, batch first, same dtype as the parameters.
        lengths
            Optional ``(B,)`` integer tensor (any integer dtype; a list or NumPy array of
            integers is converted) with entries in :math:`[1, T]`: sequence ``i`` is
            ``x[i, :lengths[i]]`` and the rest is padding. Padding has no effect on
            the results at valid steps nor on any gradient; hidden states,
            pre-activations and outputs at padded steps are returned as zeros.
        h0
            Optional initial state, ``(d,)`` (shared) or ``(B, d)``; zeros by default.

        Returns
        -------
        SRNOutput
            ``(h, a, y, h_last)``: every hidden state, pre-activation and output,
            and the last valid hidden state of each sequence.
        """
        dtype = self.W.dtype
        x = check_tensor(x, "x", ndim=3, dtype=dtype)
        B, T, u = x.shape
        if u != self.input_size:
            raise ValueError(f"x must have shape (B, T, {self.input_size}), got {tuple(x.shape)}")
        if T == 0 or B == 0:
            raise ValueError(f"x must have at least one sequence and one step, got {tuple(x.shape)}")
        check_memory(3 * B * T * (2 * self.hidden_size + self.output_size) * dtype.itemsize,
                     f"the states and outputs of {B} sequences of {T} steps", "x")
        h0 = self._initial_state(h0, B)
        lengths = None if lengths is None else _check_lengths(lengths, B, T, x.device)

        p = torch.addmm(self.b, x.transpose(0, 1).reshape(T * B, u), self.U.t()).view(T, B, -1)
        if self.grad == "bptt":
            a, h = BPTT.apply(p, self.W, h0, self.activation)
        else:
            a, h = _recurrence_autograd(p, self.W, h0, self.activation)
        z = torch.addmm(self.c, h.view(T * B, -1), self.V.t()).view(T, B, -1)  # V h_t + c
        y = OUTPUTS[self.output](z).transpose(0, 1)
        a, h = a.transpose(0, 1), h.transpose(0, 1)  # batch first again (views)
        if lengths is None:
            return SRNOutput(h, a, y, h[:, -1])
        last = (lengths - 1).view(B, 1, 1).expand(B, 1, h.shape[2])
        h_last = h.gather(1, last).squeeze(1)
        mask = torch.arange(T, device=x.device).unsqueeze(0) < lengths.unsqueeze(1)  # valid steps t < T_i
        m = mask.unsqueeze(2)  # where(), not a product with the mask: forward-mode AD (HF) decomposes that
        return SRNOutput(torch.where(m, h, 0.0), torch.where(m, a, 0.0), torch.where(m, y, 0.0), h_last)

    def _initial_state(self, h0, batch: int) -> Tensor:
        d = self.hidden_size
        if h0 is None:
            return self.W.new_zeros(batch, d)
        h0 = check_tensor(h0, "h0", ndim=(1, 2), dtype=self.W.dtype)
        if h0.shape[-1] != d or (h0.dim() == 2 and h0.shape[0] != batch):
            raise ValueError(f"h0 must have shape ({d},) or ({batch}, {d}), got {tuple(h0.shape)}")
        return h0.expand(batch, d) if h0.dim() == 1 else h0

    # ------------------------------------------------------------------ torch.nn.RNN

    def to_torch(self) -> tuple[nn.RNN, nn.Linear]:
        """Return an equivalent ``(torch.nn.RNN, torch.nn.Linear)`` pair (tanh or relu only).

        The RNN is batch first with ``weight_ih_l0 = U``, ``weight_hh_l0 = W``,
        ``bias_ih_l0 = b`` and ``bias_hh_l0 = 0``; the Linear holds ``(V, c)``
        (apply the output function :math:`g` yourself).
        """
        if self.activation.name not in ("tanh", "relu"):
            raise ValueError(
                f"torch.nn.RNN supports activation 'tanh' or 'relu'; this SRN uses {self.activation.name!r}"
            )
        rnn = nn.RNN(self.input_size, self.hidden_size, nonlinearity=self.activation.name,
                     batch_first=True, dtype=self.W.dtype)
        readout = nn.Linear(self.hidden_size, self.output_size, dtype=self.W.dtype)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(self.U)
            rnn.weight_hh_l0.copy_(self.W)
            rnn.bias_ih_l0.copy_(self.b)
            rnn.bias_hh_l0.zero_()
            readout.weight.copy_(self.V)
            readout.bias.copy_(self.c)
        return rnn, readout

    @classmethod
    def from_torch(cls, rnn: nn.RNN, readout: nn.Linear | None = None, *,
                   output_size: int | None = None, output: str = "identity", grad: str = "bptt") -> "SRN":
        """Build an SRN from a one-layer, unidirectional :class:`torch.nn.RNN`.

        ``U = weight_ih_l0``, ``W = weight_hh_l0``, ``b = bias_ih_l0 + bias_hh_l0``.
        ``(V, c)`` come from ``readout`` if given; otherwise ``output_size`` must be
        given (not both) and they are freshly initialized.
        """
        if not isinstance(rnn, nn.RNN):
            raise ArgumentTypeError(f"rnn must be a torch.nn.RNN, got {type(rnn).__name__}")
        if rnn.num_layers != 1 or rnn.bidirectional or rnn.proj_size:
            raise ValueError("rnn must have num_layers=1, bidirectional=False and no projection")
        if (readout is None) == (output_size is None):
            raise ValueError("give readout (a torch.nn.Linear) or output_size, not both")
        if readout is not None:
            if not isinstance(readout, nn.Linear) or readout.in_features != rnn.hidden_size:
                raise ArgumentTypeError(f"readout must be a torch.nn.Linear with "
                                        f"in_features={rnn.hidden_size}, got {readout!r}")
            if readout.weight.dtype != rnn.weight_hh_l0.dtype:
                raise ValueError(f"readout must have the dtype of rnn, {rnn.weight_hh_l0.dtype}, "
                                 f"got {readout.weight.dtype}")
            output_size = readout.out_features
        weight = rnn.weight_hh_l0
        model = cls(rnn.input_size, rnn.hidden_size, output_size, activation=rnn.nonlinearity,
                    output=output, grad=grad, dtype=weight.dtype)
        with torch.no_grad():
            model.U.copy_(rnn.weight_ih_l0)
            model.W.copy_(weight)
            model.b.zero_()
            if rnn.bias:
                model.b.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)
            if readout is not None:
                model.V.copy_(readout.weight)
                if readout.bias is None:
                    model.c.zero_()
                else:
                    model.c.copy_(readout.bias)
        return model


def _check_lengths(lengths, batch: int, steps: int, device) -> Tensor:
    """``lengths`` as a ``(B,)`` int64 tensor on ``device``, with entries in ``[1, steps]``."""
    if isinstance(lengths, (list, tuple, np.ndarray)):
        array = np.asarray(lengths)
        if array.dtype.kind not in "iu":
            raise ArgumentTypeError(f"lengths must be {batch} integers, got an array of dtype {array.dtype}")
        lengths = torch.from_numpy(array.astype(np.int64))
    lengths = check_int_tensor(lengths, "lengths", ndim=1)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},), one length per sequence of x, "
                         f"got {tuple(lengths.shape)}")
    if bool((lengths < 1).any()) or bool((lengths > steps).any()):
        raise ValueError(f"lengths must lie in [1, {steps}] (the number of steps of x), "
                         f"got {lengths.tolist()}")
    return lengths.to(device)


def _parameter_bytes(input_size: int, hidden_size: int, output_size: int, dtype: torch.dtype) -> int:
    """Bytes taken by the parameters :math:`(U, W, V, b, c)` of an SRN of these sizes."""
    u, d, o = input_size, hidden_size, output_size
    return (d * u + d * d + o * d + d + o) * dtype.itemsize


# ---------------------------------------------------------------------- flat parameters


def flatten_parameters(model: nn.Module) -> Tensor:
    r""":math:`\theta = \operatorname{vec}(P)`: every parameter of ``model``, concatenated.

    The order is that of ``model.named_parameters()`` (for an :class:`SRN`:
    ``U, W, V, b, c``) and each matrix is flattened row by row (PyTorch's order,
    not the column-major :math:`\operatorname{vec}` of linear algebra texts).
    """
    check_instance(model, "model", nn.Module, "a torch.nn.Module")
    params = [p.reshape(-1) for p in model.parameters()]
    if not params:
        raise ValueError(f"model must have parameters, got {type(model).__name__} with none")
    return torch.cat(params)


def unflatten_parameters(model: nn.Module, theta: Tensor) -> dict[str, Tensor]:
    """Split ``theta`` back into ``{name: tensor}`` shaped like ``model``'s parameters.

    The result can be passed to :func:`torch.func.functional_call`; the tensors are
    views of ``theta``, so gradients flow back to it. ``theta`` has the dtype of the
    parameters; NaN or infinite entries are kept as they are (an optimizer that diverged
    shows its parameters; the loss then reports them).
    """
    check_instance(model, "model", nn.Module, "a torch.nn.Module")
    params = dict(model.named_parameters())
    n = sum(p.numel() for p in params.values())
    dtype = next(iter(params.values())).dtype if params else None
    check_tensor(theta, "theta", ndim=1, dtype=dtype, finite=False)
    if theta.numel() != n:
        raise ValueError(f"theta must have {n} entries (the number of parameters), got {theta.numel()}")
    out, start = {}, 0
    for name, p in params.items():
        out[name] = theta[start:start + p.numel()].view_as(p)
        start += p.numel()
    return out


def load_flat_parameters(model: nn.Module, theta: Tensor) -> None:
    """Copy ``theta`` (as made by :func:`flatten_parameters`) into ``model``'s parameters.

    ``theta`` as for :func:`unflatten_parameters` (non-finite entries are copied as they are).
    """
    with torch.no_grad():
        for name, value in unflatten_parameters(model, theta).items():
            model.get_parameter(name).copy_(value)
