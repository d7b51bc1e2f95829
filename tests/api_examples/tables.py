"""Examples for srnbook.tables."""

from srnbook import tables as m
from tests.api_contract import example

ANY_TEXT = "any text: the function's purpose is to make text safe in a table"


@example("srnbook.tables.escape_cell",
         valid={"text": {"unknown string": ANY_TEXT, "empty string": "an empty cell"}})
def _():
    return m.escape_cell, dict(text="a|b $|Q|$")


@example("srnbook.tables.markdown_table",
         valid={"header": {"unknown symbol": "a column title is any text"},
                "floatfmt": {"empty string": "'' prints floats with str, as format() does"},
                "caption": {"unknown string": "a caption is any text", "unknown symbol": "a caption is any text"},
                "name": {"unknown string": "'no-such-value' is a label of letters and '-', as name asks"}})
def _():
    return m.markdown_table, dict(header=["x", "y"], rows=[[1, 2.5]], floatfmt=".4g", caption="c", name="tbl-x")
