"""Specification of the figures and the stepper of the gated units chapter (srnbook.plotting, srnbook.widgets)."""

import matplotlib.pyplot as plt
import pytest
import torch

from srnbook.gated import LSTM, lstm_trace
from srnbook.plotting import plot_gradient_flow, plot_lstm_step, plot_success_curves
from srnbook.widgets import FrameSlider, lstm_stepper

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_gradient_flow_one_axes_log_scale():
    fig = plot_gradient_flow({"a": torch.tensor([1.0, 0.1, 0.0]), "b": [1.0, 1.0, 1.0]})
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 3  # two curves and the line at 1
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="profiles"):
        plot_gradient_flow({"a": [1.0, -1.0]})


def test_success_curves_one_panel_per_task():
    runs = [{"task": task, "network": net, "history": [[256, 0.1, 0.2], [512, 0.05, 0.995]]}
            for task in ("adding", "temporal_order") for net in ("gru", "srn")]
    fig = plot_success_curves(runs, target=0.99, labels={"gru": "GRU"})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="history"):
        plot_success_curves([{"task": "adding", "network": "gru", "history": [[1, 2]]}])
    with pytest.raises(ValueError, match="success rates"):
        plot_success_curves([{"task": "adding", "network": "gru", "history": [[1, 0.1, 1.5]]}])


def test_lstm_step_rows_and_checks():
    torch.manual_seed(0)
    x = torch.randn(1, 6, 2)
    for forget_gate, rows in ((False, 4), (True, 5)):
        trace = lstm_trace(LSTM(2, 3, forget_gate=forget_gate), x)
        fig = plot_lstm_step(trace, x[0], 3, [1, 4], prediction=0.5)
        assert len(fig.axes) == rows
    with pytest.raises(ValueError, match="step"):
        plot_lstm_step(trace, x[0], 7)
    with pytest.raises(ValueError, match="marked"):
        plot_lstm_step(trace, x[0], 2, [0])


def test_lstm_stepper_has_one_frame_per_step():
    torch.manual_seed(0)
    widget = lstm_stepper(LSTM(2, 3, forget_gate=False), torch.randn(4, 2), marked=[2])
    assert isinstance(widget, FrameSlider)
    assert len(widget.children[1].children) == 4 and widget.children[0].index == 3
    with pytest.raises(ValueError, match="x"):
        lstm_stepper(LSTM(2, 3), torch.randn(1, 4, 2))
