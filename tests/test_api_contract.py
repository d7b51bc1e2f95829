"""The input contract of the public API (tests/api_contract.py), as specifications.

Every public callable has a good example; given bad values in place of each argument
in turn, it either raises a clear ``ValueError``/``TypeError`` naming the argument or
returns by design. "Other" outcomes (a silent answer, an error from inside torch or
numpy, a hang) fail the test. ``python -m tests.api_contract`` prints the table.
"""

import pytest

from tests.api_contract import RECORDS, load_examples, public_callables, run_example

EXAMPLES = load_examples()
PUBLIC = public_callables()


def test_every_public_callable_has_an_example_or_is_a_record():
    missing = [name for name in PUBLIC if name not in EXAMPLES and name not in RECORDS]
    assert missing == []


def test_every_example_names_a_public_callable():
    stale = [name for name in [*EXAMPLES, *RECORDS] if name not in PUBLIC]
    assert stale == []


def test_records_are_plain_records():
    import dataclasses

    for name in RECORDS:
        obj = PUBLIC[name]
        assert dataclasses.is_dataclass(obj) or hasattr(obj, "_fields"), name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_public_callable_keeps_the_input_contract(name, one_torch_thread):
    others = [o for o in run_example(EXAMPLES[name]) if o.outcome == "other"]
    assert not others, "\n".join(f"{o.argument} [{o.kind}]: {o.detail}" for o in others)
