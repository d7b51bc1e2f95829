"""Interactive elements that also work in the static HTML book, with no kernel.

A widget whose callback runs Python needs a kernel. A widget whose frames are
computed beforehand does not: :func:`frame_slider` renders one image per slider
position, stacks them in an :class:`ipywidgets.Stack`, and links the slider to the
stack in the browser (:func:`ipywidgets.jslink`). The notebook is stored with its
widget state, so the HTML book shows the same slider, and moving it switches
frames without Python.
"""

from __future__ import annotations

from typing import Callable, Sequence

import ipywidgets as widgets

from .plotting import figure_png


class FrameSlider(widgets.VBox):
    """A slider above a stack of precomputed images (see :func:`frame_slider`)."""

    def __repr__(self) -> str:  # short and stable, unlike the default (it would print the PNGs)
        slider = self.children[0]
        return f"FrameSlider({slider.description!r}, {len(slider.options)} frames)"


def frame_slider(values: Sequence, render: Callable, description: str = "",
                 value=None, readout_format: str = "") -> FrameSlider:
    """A slider over ``values`` that shows the figure ``render(v)`` for the selected value.

    Parameters
    ----------
    values
        The slider's positions (numbers or labels), in order.
    render
        ``v -> matplotlib Figure``; called once per value, now.
    description
        The slider's label.
    value
        The initial position (default: the first value).
    readout_format
        A format spec for the displayed value, e.g. ``".1f"`` (default: ``str``).
    """
    values = list(values)
    if not values:
        raise ValueError("values must contain at least one slider position")
    if value is None:
        value = values[0]
    if value not in values:
        raise ValueError(f"value must be one of values, got {value!r}")
    labels = [format(v, readout_format) if readout_format else str(v) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError("values must have distinct labels under readout_format")
    frames = [widgets.Image(value=figure_png(render(v)), format="png") for v in values]
    index = values.index(value)
    stack = widgets.Stack(frames, selected_index=index)
    slider = widgets.SelectionSlider(options=labels, index=index, description=description,
                                     continuous_update=True,
                                     layout=widgets.Layout(width="420px"),
                                     style={"description_width": "initial"})
    box = FrameSlider([slider, stack])
    box.link = widgets.jslink((slider, "index"), (stack, "selected_index"))  # runs in the browser
    return box
