"""Input checks shared by the package (in the spirit of scikit-learn's ``check_array``).

The contract of every public callable: each argument is checked where it enters, and a
bad one raises :class:`ValueError` (a wrong value) or :class:`ArgumentTypeError` (a
wrong type: a ``TypeError`` that is also a ``ValueError``, like scikit-learn's
``InvalidParameterError``) whose message names the argument, says what was expected and
shows what was given. ``tests/api_contract.py`` checks the contract with generated bad
inputs over the whole public API.

Sizes: before an allocation or an enumeration that could be large, :func:`check_memory`
compares what it would need with one package-wide limit, :func:`get_memory_limit`
(default 4 GiB; ``SRNBOOK_MEMORY_LIMIT`` in the environment, or :func:`set_memory_limit`).

Seeds: every ``seed`` argument is a non-negative integer below :math:`2^{64}`
(:func:`check_seed`); the same seed gives the same result. The few initializers that draw
from a stream the caller owns (``srnbook.gradients.init_*``) take ``generator``, a
``torch.Generator`` or ``None`` for torch's global generator, as ``torch.nn.init`` does.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. A ``TypeError``, and also a ``ValueError`` so that
    ``except ValueError`` catches every bad argument (as scikit-learn's
    ``InvalidParameterError``)."""


def _shown(value) -> str:
    """``value`` as a message shows it: short, with its type when that says more."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})" if not isinstance(value, (int, float, str)) or \
        isinstance(value, bool) else text


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer (a NumPy integer too, not a bool) in
    ``[low, high]``; else an error naming ``name``."""
    if not _is_int(value):
        raise ArgumentTypeError(f"{name} must be an integer, got {_shown(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            expected = f"an integer >= {low}"
        elif low is None:
            expected = f"an integer <= {high}"
        else:
            expected = f"an integer in [{low}, {high}]"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def check_float(value, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (open at an
    end with ``low_open``/``high_open``); else an error naming ``name``."""
    if not _is_real(value):
        raise ArgumentTypeError(f"{name} must be a real number, got {_shown(value)}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{left}{lo}, {hi}{right}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return value


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer (or >= 0 with ``allow_zero``), else raise."""
    if not _is_int(value):
        raise ArgumentTypeError(f"{name} must be {'a nonnegative' if allow_zero else 'a positive'} "
                                f"integer, got {_shown(value)}")
    if value < (0 if allow_zero else 1):
        kind = "a nonnegative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return int(value)


def check_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite number > 0 (or >= 0 with ``allow_zero``), else raise."""
    kind = "a nonnegative" if allow_zero else "a positive"
    if not _is_real(value):
        raise ArgumentTypeError(f"{name} must be {kind} finite number, got {_shown(value)}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {kind} finite number, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
    if not isinstance(value, str) and all(isinstance(c, str) for c in choices):
        options = ", ".join(repr(c) for c in choices)
        raise ArgumentTypeError(f"{name} must be one of {options}, got {_shown(value)}")
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_tensor(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...],
    dtype: torch.dtype | None = None,
    finite: bool = True,
) -> torch.Tensor:
    """Check that ``x`` is a floating-point tensor with ``ndim`` dimensions.

    If ``dtype`` is given, ``x`` must have exactly that dtype (nothing is cast
    silently). With ``finite=True`` NaN and infinite entries are rejected.
    """
    if not isinstance(x, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if x.dim() not in ndims:
        expected = " or ".join(str(n) for n in ndims)
        raise ValueError(
            f"{name} must have {expected} dimensions, got shape {tuple(x.shape)}"
        )
    if dtype is not None and x.dtype != dtype:
        raise ValueError(f"{name} must have dtype {dtype}, got {x.dtype}")
    if dtype is None and x.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{name} must have a floating-point dtype, got {x.dtype}")
    if finite and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_bool(value, name: str) -> bool:
    """``value`` as a bool; a ValueError naming ``name`` if it is not ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


SEED_BOUND = 2**64


def check_seed(seed, name: str = "seed") -> int:
    """The package's one seed rule: ``seed`` is an integer in :math:`[0, 2^{64})` (what
    ``torch.Generator.manual_seed`` takes); returned as an ``int``."""
    if not _is_int(seed):
        raise ArgumentTypeError(f"{name} must be a nonnegative integer below 2**64, got {_shown(seed)}")
    if not 0 <= int(seed) < SEED_BOUND:
        raise ValueError(f"{name} must be a nonnegative integer below 2**64, got {int(seed)}")
    return int(seed)


def check_dtype(dtype, name: str = "dtype", *, allowed=FLOAT_DTYPES) -> torch.dtype:
    """``dtype`` if it is one of the ``allowed`` torch dtypes (floating point by default)."""
    if not isinstance(dtype, torch.dtype):
        raise ArgumentTypeError(f"{name} must be a torch.dtype, got {_shown(dtype)}")
    if dtype not in allowed:
        options = ", ".join(str(d) for d in allowed)
        raise ValueError(f"{name} must be one of {options}, got {dtype}")
    return dtype


def check_instance(value, name: str, types, expected: str | None = None):
    """``value`` if it is an instance of ``types``; else an :class:`ArgumentTypeError`."""
    if not isinstance(value, types):
        if expected is None:
            kinds = types if isinstance(types, tuple) else (types,)
            expected = " or ".join(t.__name__ for t in kinds)
        raise ArgumentTypeError(f"{name} must be {expected}, got {_shown(value)}")
    return value


def check_callable(value, name: str):
    """``value`` if it is callable; else an :class:`ArgumentTypeError`."""
    if not callable(value):
        raise ArgumentTypeError(f"{name} must be a function, got {_shown(value)}")
    return value


def check_int_tensor(x, name: str, *, ndim: int | tuple[int, ...], low: int | None = None,
                     high: int | None = None) -> torch.Tensor:
    """``x`` as an int64 tensor if it is an integer tensor with ``ndim`` dimensions and
    entries in ``[low, high]``; else an error naming ``name``."""
    if not isinstance(x, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be an integer torch.Tensor, got {type(x).__name__}")
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if x.dim() not in ndims:
        expected = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have {expected} dimensions, got shape {tuple(x.shape)}")
    if x.dtype not in INT_DTYPES:
        raise ValueError(f"{name} must have an integer dtype, got {x.dtype}")
    if x.numel() and low is not None and int(x.min()) < low:
        raise ValueError(f"{name} must have entries >= {low}, got {int(x.min())}")
    if x.numel() and high is not None and int(x.max()) > high:
        raise ValueError(f"{name} must have entries <= {high}, got {int(x.max())}")
    return x.long()


# ---------------------------------------------------------------- sizes

_DEFAULT_MEMORY_LIMIT = 4 * 2**30
_memory_limit = [int(os.environ.get("SRNBOOK_MEMORY_LIMIT", _DEFAULT_MEMORY_LIMIT))]


def get_memory_limit() -> int:
    """The largest allocation, in bytes, that the package makes without being asked to
    (default 4 GiB, or ``SRNBOOK_MEMORY_LIMIT`` from the environment)."""
    return _memory_limit[0]


def set_memory_limit(nbytes: int) -> int:
    """Set the package's memory limit to ``nbytes`` bytes; returns the previous limit."""
    nbytes = check_positive_int(nbytes, "nbytes")
    previous, _memory_limit[0] = _memory_limit[0], nbytes
    return previous


def _gib(nbytes: float) -> str:
    if nbytes >= 2**80:
        return "more than 2**80 bytes"
    return f"{nbytes / 2**30:.3g} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.3g} MiB"


def check_memory(nbytes: float, what: str, name: str) -> None:
    """Refuse, before allocating, what would need more than :func:`get_memory_limit` bytes.

    ``what`` says what would be allocated; ``name`` the argument that asks for it.
    """
    limit = get_memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{name}: {what} would need {_gib(nbytes)}, more than the package's memory limit "
            f"of {_gib(limit)} (srnbook.set_memory_limit raises it)")


def check_float_sequence(values, name: str, **interval) -> list[float]:
    """``values`` as a list of floats if it is a nonempty list, tuple or 1-D tensor of finite
    real numbers, each in the interval of :func:`check_float` (``low``, ``high``, ...)."""
    if isinstance(values, torch.Tensor) and values.dim() == 1 and values.dtype in FLOAT_DTYPES + INT_DTYPES:
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        raise ArgumentTypeError(f"{name} must be a nonempty list of numbers, got {_shown(values)}")
    if len(values) == 0:
        raise ValueError(f"{name} must be a nonempty list of numbers, got {values!r}")
    return [check_float(v, f"{name}[{i}]", **interval) for i, v in enumerate(values)]
