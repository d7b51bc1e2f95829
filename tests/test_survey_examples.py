"""The bad inputs named by the survey of issue 20, each now a clear error or a right answer.

Each case was once a silent wrong answer, an error from inside torch or numpy, or an
allocation of gigabytes; the message must name the argument (and, for a size, say how
much the call would need). The generated contract test (tests/test_api_contract.py)
covers the classes of defects; these are the survey's own examples.
"""

import math
import re

import pytest
import torch

import srnbook
from srnbook import DFA, SRN, dfa_to_ssrn, saturation_threshold, ssrn_to_dfa
from srnbook.dfa import even_as
from srnbook.optim.hessian_free import levenberg_marquardt
from srnbook.saturation import all_words, scaled
from srnbook.ssrn import length_buckets, noise_robustness, scale_sweep
from srnbook.stability import flip_flop
from srnbook.tasks import make_task

NEEDS = r"would need ([\d.e+]+ [GM]iB|more than 2\*\*80 bytes)"


def refuses(call, *patterns):
    """``call()`` raises ValueError (or TypeError) whose message matches every pattern."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for pattern in patterns:
        assert re.search(pattern, str(info.value)), f"{pattern!r} not in {str(info.value)!r}"


SILENT_ANSWERS = {
    "a J whose 3J overflows float32": (lambda: dfa_to_ssrn(even_as(), J=1.2e38), ["J"]),
    "a NaN threshold": (lambda: ssrn_to_dfa(dfa_to_ssrn(even_as()), threshold=math.nan), ["threshold"]),
    "a bare string for a list of words (DFA)": (lambda: even_as().accepts_many("abba"), ["words"]),
    "a bare string for a list of words (noise)": (
        lambda: noise_robustness(even_as(), words="abba"), ["words"]),
    "a bare string for a list of words (scales)": (
        lambda: scale_sweep(even_as(), scales=[2.0], words="abba"), ["words"]),
    "a code of the wrong length": (lambda: dfa_to_ssrn(even_as()).decode(torch.zeros(7)), ["h"]),
    "an integer dtype that truncates 1.5": (lambda: flip_flop(torch.int64), ["dtype"]),
    "an infinite scale": (lambda: scaled(SRN(2, 3, 1), math.inf), ["J"]),
    "a string for a number": (lambda: saturation_threshold(torch.tanh, "0.5", torch.float32), ["limit"]),
    "a NaN threshold of the damping rule": (lambda: levenberg_marquardt(1.0, 0.1, low=math.nan), ["low"]),
    "zero groups": (lambda: length_buckets([3, 2], 4, groups=0), ["groups"]),
}

SIZES = {
    "SRN(2, 60000, 1): 14 GB of weights": (lambda: SRN(2, 60000, 1), ["hidden_size", NEEDS]),
    "DFA.random(10**9, 2)": (lambda: DFA.random(10**9, 2), ["n_states", NEEDS]),
    "dfa_to_ssrn of a 100,000-state DFA": (lambda: dfa_to_ssrn(DFA.random(100_000, 2)), ["dfa", NEEDS]),
    "all_words(2, 10**9)": (lambda: all_words(2, 10**9), [NEEDS]),
    "a task batch of 10**9 sequences": (lambda: make_task("adding", 10**9, 100), [NEEDS]),
}


@pytest.mark.parametrize("case", list(SILENT_ANSWERS))
def test_a_silent_answer_of_the_survey_is_now_a_clear_error(case):
    call, patterns = SILENT_ANSWERS[case]
    refuses(call, *patterns)


@pytest.mark.parametrize("case", list(SIZES))
def test_a_huge_request_says_how_much_it_would_need_before_allocating(case):
    call, patterns = SIZES[case]
    refuses(call, *patterns)


def test_an_srn_with_nan_weights_is_not_extracted_as_an_automaton():
    net = dfa_to_ssrn(even_as())
    with torch.no_grad():
        net.srn.W[0, 0] = math.nan
    refuses(lambda: ssrn_to_dfa(net), "model")


def test_integer_lengths_of_any_dtype_are_read_as_lengths():
    m = SRN(2, 3, 1)
    x = torch.randn(2, 4, 2)
    expected = m(x, lengths=torch.tensor([4, 2])).h_last
    assert torch.equal(m(x, lengths=torch.tensor([4, 2], dtype=torch.uint8)).h_last, expected)


def test_the_explicit_bptt_takes_inputs_that_require_grad_and_double_backward():
    explicit = SRN(2, 3, 1, dtype=torch.float64, grad="bptt")
    recorded = SRN(2, 3, 1, dtype=torch.float64, grad="autograd")
    recorded.load_state_dict(explicit.state_dict())
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    first, second = [], []
    for m in (explicit, recorded):
        (gx,) = torch.autograd.grad(m(x).y.pow(2).sum(), x, create_graph=True)
        (ggx,) = torch.autograd.grad(gx.pow(2).sum(), x)
        first.append(gx)
        second.append(ggx)
    assert torch.allclose(*first) and torch.allclose(*second)


def test_every_seed_follows_one_rule():
    for call in (lambda seed: DFA.random(3, 2, seed=seed),
                 lambda seed: make_task("adding", 4, 10, seed=seed),
                 lambda seed: srnbook.sample_words(even_as(), 4, seed=seed)):
        for bad in (-1, 1.5, None, "0", 2**64):
            refuses(lambda: call(bad), "seed must be a nonnegative integer below 2\\*\\*64")
        call(0)
        call(2**64 - 1)


def test_max_states_counts_states_a_two_state_automaton_fits_in_three():
    assert ssrn_to_dfa(dfa_to_ssrn(even_as()), max_states=3).n_states == 2
