"""Specification of srnbook.widgets and srnbook.plotting."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch

from srnbook.cost import cost_table
from srnbook.plotting import (
    figure_png,
    plot_activations,
    plot_cost,
    plot_hidden_states,
    plot_unfolded,
)
from srnbook.widgets import frame_slider


def line(v):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, v])
    return fig


def test_frame_slider_stacks_one_png_per_value_and_links_in_the_browser():
    w = frame_slider([1, 2, 3], line, description="slope", value=2)
    slider, stack = w.children
    assert isinstance(slider, widgets.SelectionSlider) and isinstance(stack, widgets.Stack)
    assert slider.options == ("1", "2", "3") and slider.index == 1 and stack.selected_index == 1
    assert all(bytes(f.value).startswith(b"\x89PNG") for f in stack.children)
    # the link is a widget of its own, so it runs in the browser (no kernel needed)
    assert isinstance(w.link, widgets.Widget)
    assert w.link.source == (slider, "index") and w.link.target == (stack, "selected_index")
    assert repr(w) == "FrameSlider('slope', 3 frames)"


@pytest.mark.parametrize(
    "args, match",
    [
        (([], line), "values must contain at least one"),
        (([1, 2], line, "", 5), "value must be one of values"),
        (([0.11, 0.12], line, "", None, ".1f"), "distinct labels"),
    ],
)
def test_frame_slider_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        frame_slider(*args)


@pytest.mark.parametrize(
    "make",
    [
        lambda: plot_activations(),
        lambda: plot_unfolded(3),
        lambda: plot_cost(cost_table([5, 10], [4, 8])),
        lambda: plot_hidden_states(torch.rand(2, 7, 3), title="t"),
    ],
)
def test_plots_return_closed_figures_that_render(make):
    fig = make()
    assert not plt.fignum_exists(fig.number)
    assert figure_png(fig).startswith(b"\x89PNG")


def test_markdown_table_formats_floats_and_checks_row_lengths():
    from srnbook.tables import markdown_table

    table = markdown_table(["x", "$f(x)$"], [[1, 0.123456], ["a", 2.0]], floatfmt=".2f")
    assert table.data.splitlines() == ["| x | $f(x)$ |", "|---|---|", "| 1 | 0.12 |", "| a | 2.00 |"]
    with pytest.raises(ValueError, match=r"rows\[0\] has 1 cells, expected 2"):
        markdown_table(["x", "y"], [[1]])
