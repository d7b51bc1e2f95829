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
    plot_decay_and_memory,
    plot_gradient_bounds,
    plot_hidden_states,
    plot_jacobian_norms,
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
        lambda: plot_jacobian_norms({"a": torch.rand(6, 6), "b": torch.rand(6, 6) * 1e-40}),
        lambda: plot_gradient_bounds({"a": torch.rand(6)}, {"a": {"bound": torch.ones(6)}}, title="t"),
        lambda: plot_decay_and_memory(torch.rand(6), torch.rand(3, 6), title="t"),
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


def test_markdown_table_escapes_bars_so_that_cells_do_not_split():
    """|Q| in a cell would end the cell: outside math the bar is escaped, inside math it is
    written \\vert (\\| would be TeX's norm bar)."""
    from markdown_it import MarkdownIt

    from srnbook.tables import markdown_table

    table = markdown_table(["|Q|", "$|v^T g|$"], [["a|b", r"$\|g\|_2$"]])
    assert table.data.splitlines()[0] == r"| \|Q\| | $\vert v^T g\vert $ |"
    assert table.data.splitlines()[2] == r"| a\|b | $\Vert g\Vert _2$ |"
    cells = [t for t in MarkdownIt().enable("table").parse(table.data) if t.type == "inline"]
    assert [c.content for c in cells] == ["|Q|", r"$\vert v^T g\vert $", "a|b", r"$\Vert g\Vert _2$"]


def test_markdown_table_with_a_caption_is_a_numbered_myst_table():
    from srnbook.tables import markdown_table

    lines = markdown_table(["x"], [[1]], caption="Sizes.", name="tbl-sizes").data.splitlines()
    assert lines[:3] == [":::{table} Sizes.", ":name: tbl-sizes", ""] and lines[-1] == ":::"
    with pytest.raises(ValueError, match="needs a caption"):
        markdown_table(["x"], [[1]], name="tbl-sizes")
    with pytest.raises(ValueError, match="name must be a label"):
        markdown_table(["x"], [[1]], caption="Sizes.", name="two words")


# ---------------------------------------------------------------------- the DFA stepper

from srnbook.dfa import DFA, even_as, tomita  # noqa: E402
from srnbook.ssrn import dfa_to_ssrn, saturating_scale  # noqa: E402
from srnbook.widgets import DFAStepper  # noqa: E402


def test_dfa_stepper_sends_the_ssrn_at_unit_scale_and_the_dfa_to_the_browser():
    w = DFAStepper(even_as(), "aba")
    unit = dfa_to_ssrn(even_as(), J=1.0)
    assert w.U1 == unit.srn.U.tolist() and w.W1 == unit.srn.W.tolist() and w.V1 == unit.srn.V.tolist()
    assert w.h0 == unit.h0.tolist() and w.b1 == [0.0] * 4 and w.c1 == [0.0]
    assert w.delta == [[1, 0], [0, 1]] and w.accepting == [True, False] and w.alphabet == ["a", "b"]
    assert 'class="dfa-state' in w.svg and w.word == "aba" and w.position == 0


def test_dfa_stepper_scales_run_from_1_to_the_saturating_scale():
    w = DFAStepper(tomita(4), "0001", activation="tanh", n_scales=10)
    J_sat = saturating_scale("tanh", torch.float32)
    assert w.J_values[0] == 1.0 and w.J_values[-1] == J_sat and w.saturating_J == J_sat
    assert w.J_values == sorted(w.J_values) and len(w.J_values) >= 10
    assert w.J == J_sat  # default: saturated
    given = DFAStepper(tomita(4), activation="tanh", n_scales=10, J=1.5)
    assert given.J == 1.5 and 1.5 in given.J_values, "the slider starts at J exactly as given"
    assert set(w.J_values) < set(given.J_values) and given.J_values == sorted(given.J_values)
    assert repr(w).startswith("DFAStepper(4 states, alphabet ('0', '1'), word '0001'")


def test_dfa_stepper_joins_multi_character_symbols_with_spaces():
    d = DFA([[0, 0]], [True], ("ab", "c"))
    assert DFAStepper(d, ["ab", "c", "ab"]).word == "ab c ab"


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("not a dfa",), {}, "dfa must be an srnbook.dfa.DFA"),
        ((even_as(), "abz"), {}, "unknown symbol 'z'"),
        ((even_as(), "ab"), {"position": 3}, r"position must be in \[0, 2\]"),
        ((even_as(),), {"n_scales": 0}, "n_scales"),
        ((even_as(),), {"activation": "relu"}, "activation"),
        ((even_as(),), {"J": 0.0}, "J must be a positive finite number"),
        ((even_as(),), {"J": "big"}, "J must be a positive finite number"),
    ],
)
def test_dfa_stepper_rejects_bad_arguments_by_name(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        DFAStepper(*args, **kwargs)
