"""Input checks shared by the package (in the spirit of scikit-learn's ``check_array``).

Every public function validates what it is given and raises ``ValueError`` whose
message names the offending argument and says what was expected.
"""

from __future__ import annotations

import math

import numpy as np
import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer (or >= 0 with ``allow_zero``), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        kind = "a nonnegative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return value


def check_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite number > 0 (or >= 0 with ``allow_zero``), else raise."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        kind = "a nonnegative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} finite number, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
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
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
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


def check_seed(seed) -> int:
    """``seed`` as a nonnegative int; a ValueError naming ``seed`` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a nonnegative integer, got {seed!r}")
    return seed
