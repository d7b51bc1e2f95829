"""Specification of srnbook.activations: derivatives and saturation thresholds."""

import pytest
import torch

from srnbook import get_activation, saturation_threshold
from srnbook.activations import ACTIVATIONS

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_matches_autograd(name):
    act = get_activation(name)
    a = torch.linspace(-4, 4, 81, dtype=torch.float64).requires_grad_()
    a = a[a != 0].detach().requires_grad_()  # relu has no derivative at 0
    h = act(a)
    (expected,) = torch.autograd.grad(h.sum(), a)
    torch.testing.assert_close(act.derivative(a.detach(), h.detach()), expected)


def sigmoid_neg(x):
    return torch.sigmoid(-x)


CASES = [(torch.sigmoid, 1.0), (sigmoid_neg, 0.0), (torch.tanh, 1.0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, limit", CASES)
def test_threshold_is_the_first_float_that_saturates(fn, limit, dtype):
    x = torch.tensor(saturation_threshold(fn, limit, dtype), dtype=dtype)
    if dtype in (torch.float16, torch.bfloat16):  # nextafter in the 16-bit format itself
        below = (x.view(torch.int16) - 1).view(dtype)
    else:
        below = torch.nextafter(x, torch.zeros((), dtype=dtype))
    assert bool(fn(x) == limit)
    assert not bool(fn(below) == limit)
    assert bool((fn(x * torch.tensor([1.5, 2.0, 10.0], dtype=dtype)) == limit).all())


def test_float32_agrees_with_the_report():
    """Franchi, Mitarchuk & Eyraud (2024, section 7.1): in float32, sigma(x) = 1 and
    sigma(-x) = 0 for all x >= 89 (published claim)."""
    assert saturation_threshold(torch.sigmoid, 1.0, torch.float32) <= 89
    assert saturation_threshold(sigmoid_neg, 0.0, torch.float32) <= 89


def test_unreachable_limit_gives_infinity():
    assert saturation_threshold(torch.tanh, 2.0, torch.float32) == float("inf")
    assert saturation_threshold(torch.tanh, 2.0, torch.float16) == float("inf")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="dtype must be one of"):
        saturation_threshold(torch.tanh, 1.0, torch.int32)
    with pytest.raises(ValueError, match="activation must be one of"):
        get_activation("gelu")
    with pytest.raises(ValueError, match="activation must be one of .* or a callable"):
        get_activation(3)


# ---------------------------------------------------------------------- the input contract (issue 20)


def test_saturation_threshold_checks_its_arguments():
    """A string limit compared as fn(x) == '0.5' was never true: the answer was inf."""
    with pytest.raises(TypeError, match="limit must be a real number, got '0.5'"):
        saturation_threshold(torch.tanh, "0.5", torch.float32)
    for limit in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="limit must be a finite number"):
            saturation_threshold(torch.tanh, limit, torch.float32)
    with pytest.raises(ValueError, match="limit must be exactly representable in torch.float32"):
        saturation_threshold(torch.tanh, 0.1, torch.float32)
    with pytest.raises(TypeError, match="fn must map a tensor to a tensor of the same shape"):
        saturation_threshold(lambda x: 1.0, 1.0, torch.float32)
    with pytest.raises(TypeError, match="fn must be a function, got 3"):
        saturation_threshold(3, 1.0, torch.float32)


def test_an_activation_named_after_a_known_one_is_that_one():
    """The name decides the bounds of sigma and the torch.nn.RNN equivalent."""
    from srnbook.activations import Activation

    with pytest.raises(ValueError, match="fn must be the package's tanh"):
        Activation("tanh", torch.sigmoid, lambda a, h: h * (1 - h))
    with pytest.raises(ValueError, match="name must be one of"):
        Activation("gelu", torch.sigmoid, lambda a, h: h * (1 - h))
    assert Activation("custom", torch.sigmoid, lambda a, h: h * (1 - h)).name == "custom"


def test_a_derivative_is_refused_where_it_would_be_ignored():
    with pytest.raises(ValueError, match=r"derivative \(activation_derivative\) is only for a callable"):
        get_activation("tanh", lambda a: 1 - torch.tanh(a) ** 2)
    custom = get_activation(torch.sin, torch.cos)
    assert custom.name == "custom"
