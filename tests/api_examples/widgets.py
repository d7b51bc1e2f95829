"""Examples for srnbook.widgets."""

import torch
import ipywidgets
import matplotlib.pyplot as plt

from srnbook import widgets as m
from srnbook.dfa import even_as
from tests.api_contract import example

ANY_TEXT = "the slider's label: any text, none included"


def _figure(v):
    fig = plt.figure(figsize=(0.3, 0.3), dpi=10)
    fig.text(0, 0, str(v))
    return fig


@example("srnbook.widgets.frame_slider",
         valid={"values": {"negative inside": "a slider position may be any finite number"},
                "description": {"unknown string": ANY_TEXT, "empty string": ANY_TEXT, "unknown symbol": ANY_TEXT},
                "readout_format": {"empty string": "'' shows each value with str (the default)"}})
def _():
    return m.frame_slider, dict(values=[0.5, 1.0], render=_figure, description="t", value=1.0,
                                readout_format=".1f")


@example("srnbook.widgets.FrameSlider")
def _():
    slider = ipywidgets.SelectionSlider(options=["1", "2"])
    stack = ipywidgets.Stack([ipywidgets.Label("1"), ipywidgets.Label("2")])
    return m.FrameSlider, dict(slider=slider, stack=stack)


@example("srnbook.widgets.DFAStepper",
         valid={"position": {"zero": "position 0: before the first letter"}})
def _():
    return m.DFAStepper, dict(dfa=even_as(), word="aba", activation="sigmoid", J=2.0, n_scales=5, position=1)


@example("srnbook.widgets.lstm_stepper", valid={"description": {"unknown string": "any text is a label",
                                                                "empty string": "a slider without a label"},
                                                "marked": {"empty": "no step outlined"}})
def _():
    from srnbook.gated import LSTM

    torch.manual_seed(0)
    return m.lstm_stepper, dict(model=LSTM(2, 3), x=torch.randn(3, 2), marked=[1], description="step t")
