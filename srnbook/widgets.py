"""Interactive elements that also work in the static HTML book, with no kernel.

A widget whose callback runs Python needs a kernel. A widget whose frames are
computed beforehand does not: :func:`frame_slider` renders one image per slider
position, stacks them in an :class:`ipywidgets.Stack`, and links the slider to the
stack in the browser (:func:`ipywidgets.jslink`). The notebook is stored with its
widget state, so the HTML book shows the same slider, and moving it switches
frames without Python.

:class:`DFAStepper` goes further: an anywidget whose JavaScript runs the saturated
SRN itself, so stepping through any word works in the browser, kernel or not.
The book ships anywidget's front end (``book/_static/vendor/anywidget``) so the
static pages load it with no network.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Iterable
from typing import Callable, Sequence

import anywidget
import ipywidgets as widgets
import numpy as np
import torch
import traitlets

from ._validation import ArgumentTypeError, _shown, check_callable, check_instance, check_int
from .plotting import figure_png

MAX_SCALES = 1000  # the most slider positions of DFAStepper's scale

_STATIC = Path(__file__).parent / "static"


class FrameSlider(widgets.VBox):
    """A slider above a stack of precomputed images (see :func:`frame_slider`), linked in the
    browser: moving the ``slider`` selects the child of ``stack`` at its index."""

    def __init__(self, slider: widgets.SelectionSlider, stack: widgets.Stack):
        check_instance(slider, "slider", widgets.SelectionSlider, "an ipywidgets.SelectionSlider")
        check_instance(stack, "stack", widgets.Stack, "an ipywidgets.Stack")
        if len(stack.children) != len(slider.options):
            raise ValueError(f"stack must have one child per position of slider ({len(slider.options)}), "
                             f"got {len(stack.children)}")
        super().__init__([slider, stack])
        self.link = widgets.jslink((slider, "index"), (stack, "selected_index"))  # runs in the browser

    def __repr__(self) -> str:  # short and stable, unlike the default (it would print the PNGs)
        slider = self.children[0]
        return f"FrameSlider({slider.description!r}, {len(slider.options)} frames)"


def frame_slider(values: Sequence, render: Callable, description: str = "",
                 value=None, readout_format: str = "") -> FrameSlider:
    """A slider over ``values`` that shows the figure ``render(v)`` for the selected value.

    Parameters
    ----------
    values
        The slider's positions, in order: a nonempty list of finite numbers or strings
        (labels), distinct once formatted.
    render
        ``v -> matplotlib Figure``; called once per value, now.
    description
        The slider's label (any text).
    value
        The initial position, one of ``values`` (default: the first value).
    readout_format
        A format spec for the displayed value, e.g. ``".1f"`` (default ``""``: ``str``).
    """
    values = _check_values(values)
    check_callable(render, "render")
    check_instance(description, "description", str, "a string")
    check_instance(readout_format, "readout_format", str, "a format spec (a string such as '.1f')")
    if value is None:
        value = values[0]
    index = next((i for i, v in enumerate(values)  # a string matches a string, a number a number (not a bool)
                  if (isinstance(v, str) and isinstance(value, str) or _is_number(v) and _is_number(value))
                  and v == value), None)
    if index is None:
        raise ValueError(f"value must be one of values, got {_shown(value)}")
    labels = []
    for i, v in enumerate(values):
        try:
            labels.append(format(v, readout_format) if readout_format else str(v))
        except (TypeError, ValueError) as error:
            raise ValueError(f"readout_format {readout_format!r} cannot format values[{i}] = {v!r}: "
                             f"{error}") from None
    if len(set(labels)) != len(labels):
        raise ValueError("values must have distinct labels under readout_format")
    frames = [widgets.Image(value=figure_png(_figure(render, v)), format="png") for v in values]
    stack = widgets.Stack(frames, selected_index=index)
    slider = widgets.SelectionSlider(options=labels, index=index, description=description,
                                     continuous_update=True,
                                     layout=widgets.Layout(width="100%", max_width="420px"),  # fits a phone
                                     style={"description_width": "initial"})
    return FrameSlider(slider, stack)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _check_values(values) -> list:
    """``values`` as a nonempty list of finite numbers or strings (a bare string or number is refused)."""
    if isinstance(values, (str, bytes, dict, set, frozenset)) or not isinstance(values, Iterable):
        raise ArgumentTypeError(f"values must be a list of slider positions (numbers or strings), "
                                f"got {_shown(values)}")
    values = list(values)
    if not values:
        raise ValueError("values must contain at least one slider position")
    for i, v in enumerate(values):
        if not (isinstance(v, str) or (_is_number(v) and np.isfinite(v))):
            raise ValueError(f"values[{i}] must be a finite number or a string, got {_shown(v)}")
    return values


def _figure(render: Callable, value):
    """``render(value)``, checked to be a matplotlib Figure."""
    from matplotlib.figure import Figure

    fig = render(value)
    if not isinstance(fig, Figure):
        raise ValueError(f"render must return a matplotlib Figure, got {_shown(fig)} for the value {value!r}")
    return fig


class DFAStepper(anywidget.AnyWidget):
    r"""Step a DFA and its saturated SRN side by side, letter by letter (the book's signature widget).

    ``DFAStepper(dfa, word="", activation="sigmoid")`` shows the DFA drawn with its
    current state highlighted, the word with a cursor, the compiled SSRN's
    pre-activation :math:`a_t` and hidden vector :math:`h_t` as heatmaps (one row per
    state, one column per letter, as in the construction), and the output
    :math:`y_t`. Buttons step, go back and reset; a text box changes the word; a
    slider sets the weight scale :math:`J` from 1 (blurred hidden values: on long
    words the network drifts away from the DFA) up to the smallest :math:`J` at which
    every value is exactly 0 or 1 in float32 (and ``J`` itself, if given).

    The status line measures how far :math:`h_t` is from the code of the DFA's state
    (the construction's vector: 1 at the unit of the state reached and the letter read,
    the activation's lower bound, 0 or -1, elsewhere; :math:`h_0` before any letter), as
    :math:`\max_i |h_{t,i} - \text{code}_i|`, and says that the network has lost the
    state once that distance reaches half the range (rounding the units to the bounds no
    longer gives the code back). An invalid word clears the display.

    The stepping runs in the browser (JavaScript, float32 arithmetic like torch's),
    on the SSRN's weights at :math:`J = 1` scaled by :math:`J`; so the widget works
    in JupyterLab and in the static HTML book alike, with no kernel. The synced
    traits ``word``, ``position`` and ``J_index`` (into ``J_values``) can be set from
    Python.

    ``word`` is a string (or a sequence of symbols) over the DFA's alphabet, ``position``
    0 to its length, ``J`` ``None`` or a positive scale whose multiples stay finite in
    float32, ``n_scales`` 1 to 1000 slider positions.
    """

    _esm = _STATIC / "dfa_stepper.js"
    _css = _STATIC / "dfa_stepper.css"

    word = traitlets.Unicode("").tag(sync=True)
    position = traitlets.Int(0).tag(sync=True)
    J_index = traitlets.Int(0).tag(sync=True)
    J_values = traitlets.List(traitlets.Float()).tag(sync=True)
    saturating_J = traitlets.Float().tag(sync=True)
    alphabet = traitlets.List(traitlets.Unicode()).tag(sync=True)
    delta = traitlets.List().tag(sync=True)
    accepting = traitlets.List(traitlets.Bool()).tag(sync=True)
    activation = traitlets.Unicode().tag(sync=True)
    svg = traitlets.Unicode().tag(sync=True)
    U1 = traitlets.List().tag(sync=True)
    W1 = traitlets.List().tag(sync=True)
    V1 = traitlets.List().tag(sync=True)
    b1 = traitlets.List().tag(sync=True)
    c1 = traitlets.List().tag(sync=True)
    h0 = traitlets.List().tag(sync=True)

    def __init__(self, dfa, word="", activation: str = "sigmoid", J: float | None = None,
                 n_scales: int = 25, position: int = 0):
        from .dfa import DFA
        from .ssrn import _check_activation, _check_scale, dfa_to_ssrn, saturating_scale

        check_instance(dfa, "dfa", DFA, "an srnbook.dfa.DFA")
        check_int(n_scales, "n_scales", low=1, high=MAX_SCALES)
        symbols = dfa._encode(word, "word")  # raises on unknown symbols
        position = check_int(position, "position")
        if not 0 <= position <= len(symbols):
            raise ValueError(f"position must be in [0, {len(symbols)}] (the word's length), got {position}")
        activation = _check_activation(activation)
        if J is not None:  # the browser computes in float32: J times the weights must stay finite
            _check_scale(J, dfa.n_states * dfa.n_symbols, activation, torch.float32)
            J = float(J)
        unit = dfa_to_ssrn(dfa, activation=activation, J=1.0)
        J_sat = saturating_scale(activation, torch.float32)
        given = {J_sat} if J is None else {J_sat, J}  # the slider shows J exactly as given
        values = sorted({float(v) for v in np.geomspace(1.0, J_sat, n_scales)} | given)
        index = values.index(J_sat if J is None else J)
        net = unit.srn
        joiner = "" if all(len(s) == 1 for s in dfa.alphabet) else " "
        super().__init__(
            word=joiner.join(dfa.alphabet[i] for i in symbols), position=position, J_index=index,
            J_values=values, saturating_J=J_sat, alphabet=list(dfa.alphabet),
            delta=dfa.delta.tolist(), accepting=[bool(f) for f in dfa.accepting],
            activation=activation, svg=dfa.to_svg(),
            U1=net.U.tolist(), W1=net.W.tolist(), V1=net.V.tolist(),
            b1=net.b.tolist(), c1=net.c.tolist(), h0=unit.h0.tolist())

    @property
    def J(self) -> float:
        """The weight scale currently selected by the slider."""
        return self.J_values[self.J_index]

    def __repr__(self) -> str:  # short and stable (the default would print every trait)
        return (f"DFAStepper({len(self.delta)} states, alphabet {tuple(self.alphabet)}, "
                f"word {self.word!r}, position {self.position}, J = {self.J:.4g})")


def lstm_stepper(model, x, marked=(), description: str = "step t") -> FrameSlider:
    r"""A slider over the steps of one sequence that shows an LSTM's gates and cell states up to that step.

    Each frame is :func:`srnbook.plotting.plot_lstm_step`: the inputs, the input gates :math:`i_t`,
    the forget gates :math:`f_t` (if the LSTM has them), the output gates :math:`o_t` and the cell
    states :math:`c_t`, with the steps in ``marked`` outlined. The frames are computed now
    (:func:`frame_slider`), so the slider also works in the static HTML book.

    Parameters
    ----------
    model
        An :class:`srnbook.gated.LSTM`, or a :class:`srnbook.gated.Readout` of one (then the frame's
        title gives its output at the last step).
    x
        ``(T, u)`` inputs of one sequence, in the model's dtype, finite.
    marked
        Steps to outline (1-based integers in :math:`[1, T]`), e.g. the marked steps of the adding problem.
    description
        The slider's label.
    """
    from .gated import Readout, lstm_trace
    from .plotting import plot_lstm_step

    check_instance(description, "description", str, "a string")
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a (T, u) tensor of one sequence, got {_shown(x)}")
    trace = lstm_trace(model, x.unsqueeze(0))
    prediction = None
    if isinstance(model, Readout):
        with torch.no_grad():
            prediction = float(model(x.detach().unsqueeze(0)).y[0, -1, 0])
    T = x.shape[0]
    plot_lstm_step(trace, x.detach(), T, marked)  # checks marked before the frames are drawn
    return frame_slider(list(range(1, T + 1)),
                        lambda t: plot_lstm_step(trace, x.detach(), t, marked,
                                                 prediction if t == T else None),
                        description=description, value=T)
