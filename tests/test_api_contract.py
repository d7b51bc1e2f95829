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


# torch's forward-mode AD (used by some callables) loads its decompositions with
# torch.jit.script on first use, which warns about itself
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_public_callable_keeps_the_input_contract(name, one_torch_thread):
    others = [o for o in run_example(EXAMPLES[name]) if o.outcome == "other"]
    assert not others, "\n".join(f"{o.argument} [{o.kind}]: {o.detail}" for o in others)


# The engine itself: each outcome is recognised (a checker that cannot fail checks nothing).


def _outcomes(fn, **good):
    from tests.api_contract import Example

    return {(o.argument, o.kind): o.outcome for o in run_example(Example("probe", lambda: (fn, good)))}


def test_a_checked_argument_gives_clear_errors():
    from srnbook._validation import check_positive_int

    def checked(n):
        return check_positive_int(n, "n")

    outcomes = _outcomes(checked, n=3)
    assert outcomes[("n", "negative")] == "clear error"
    assert outcomes[("n", "wrong type")] == "clear error"
    assert outcomes[("n", "numpy int")] == "accepted by design"


def test_a_silent_answer_an_error_from_torch_and_an_unnamed_error_are_other():
    import torch

    def silent(n):
        return n * 2

    def from_torch(n):
        return torch.zeros(n, n)

    def unnamed(n):
        if not isinstance(n, int) or n < 1:
            raise ValueError("bad input")
        return n

    assert _outcomes(silent, n=3)[("n", "negative")] == "other"
    assert _outcomes(from_torch, n=3)[("n", "fraction")] == "other"
    assert _outcomes(unnamed, n=3)[("n", "negative")] == "other"


def test_a_call_that_does_not_return_is_other(monkeypatch):
    import tests.api_contract as contract

    monkeypatch.setattr(contract, "TIME_LIMIT", 0.2)

    def spins(n):
        while n:
            pass
        return n

    assert _outcomes(spins, n=0)[("n", "negative")] == "other"


# Words, by hypothesis: the alphabet is checked on every path a word takes.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LETTERS = "abcdefgh"


@st.composite
def automaton_and_text(draw):
    """A random DFA over the first k letters, and a text over all eight letters."""
    from srnbook.dfa import DFA

    k = draw(st.integers(1, 4))
    dfa = DFA(*_random_tables(draw, draw(st.integers(1, 5)), k), alphabet=tuple(LETTERS[:k]))
    return dfa, draw(st.text(alphabet=LETTERS, max_size=8))


def _random_tables(draw, n, k):
    import numpy as np

    delta = np.array(draw(st.lists(st.integers(0, n - 1), min_size=n * k, max_size=n * k))).reshape(n, k)
    accepting = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return delta, accepting


@settings(max_examples=60, deadline=None)
@given(automaton_and_text())
def test_a_word_is_read_the_same_way_or_refused_by_name_on_every_path(case):
    from srnbook.ssrn import dfa_to_ssrn

    dfa, text = case
    net = dfa_to_ssrn(dfa)
    if set(text) <= set(dfa.alphabet):
        expected = dfa.accepts(text)
        assert dfa.accepts_many([text, text]).tolist() == [expected, expected]
        assert net.accepts([text]).tolist() == [expected]
        return
    for call, argument in ((lambda: dfa.accepts(text), "word"), (lambda: dfa.run(text), "word"),
                           (lambda: dfa.accepts_many([text]), "words"), (lambda: net.accepts([text]), "words")):
        with pytest.raises(ValueError, match=argument):
            call()
    with pytest.raises(ValueError, match="words"):
        dfa.accepts_many(text)  # a bare string is not a list of words
