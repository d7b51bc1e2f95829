"""The input contract of the public API, checked by generated bad inputs.

Every public callable of the package (the names in ``srnbook.__all__`` and each module's
public functions, classes and methods) has one *example*: a function returning the
callable and a good set of keyword arguments (``tests/api_examples/``). From the good
call, each argument in turn is replaced by bad values chosen from the good value's type
(None, a wrong type, NaN and infinities, negatives, zero, huge sizes, a tensor with a
dimension too many or too few, the wrong dtype, a NaN entry, a bare string for a list
of words, a symbol outside the alphabet, ...). Each call ends in one of three outcomes:

* **clear error**: a ``ValueError`` or ``TypeError`` raised by the package's own code
  (not from inside torch or numpy) whose message names the argument;
* **accepted by design**: the call returned, and either the value is a valid variant
  (an ``int`` where a ``float`` is expected, a NumPy integer, a tensor that requires
  grad, ...) or the example declares the value valid, with a reason;
* **other**: anything else: a silent answer to a bad value, an error from inside torch
  or numpy, an error that does not name the argument, another exception type, or a
  call that does not return within the time limit.

``python -m tests.api_contract`` prints the table of outcomes per module.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
import re
import signal
import sys
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

import srnbook

PACKAGE_DIR = Path(srnbook.__file__).resolve().parent
TIME_LIMIT = 10.0
"""Seconds one call may take before it counts as a hang."""

# Modules whose public names are not entry points of the library.
NOT_API = {
    "srnbook.experiments": "experiments run from the command line (python -m srnbook.experiments),"
                           " whose argparse options and configurations tests/test_experiments.py checks",
}


# --------------------------------------------------------------------------- examples


@dataclasses.dataclass
class Example:
    """A good call of one public callable, and what the contract allows of it.

    ``make()`` returns ``(callable, kwargs)``, built afresh for every call. ``valid``
    maps an argument to the bad-value kinds that are in fact valid for it (with a
    reason); ``long`` lists arguments whose huge values are valid budgets that simply
    run long (a call still running at a 1 s limit, or stopped first by another of its own
    limits, counts as accepted).
    """

    name: str
    make: Callable[[], tuple[Callable, dict]]
    valid: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    long: dict[str, str] = dataclasses.field(default_factory=dict)
    fixed: dict[str, str] = dataclasses.field(default_factory=dict)


SEED_RULE = {"zero": "0 is a seed (the package's one seed rule: integers in [0, 2**64))",
             "huge": "10**12 is a seed (the package's one seed rule: integers in [0, 2**64))"}
"""Bad-value kinds that every ``seed`` argument takes (``srnbook._validation.check_seed``);
an example states a narrower rule in its own ``valid``."""

EXAMPLES: dict[str, Example] = {}
RECORDS: dict[str, str] = {}


def example(name: str, *, valid: dict | None = None, long: dict | None = None,
            fixed: dict | None = None):
    """Register the decorated function as the example of the public callable ``name``.

    ``valid``: ``{argument: {kind: reason}}``, bad-value kinds that are valid for the
    argument. ``long``: ``{argument: reason}``, arguments whose huge values are budgets.
    ``fixed``: ``{argument: reason}``, arguments not varied (for instance ``self``-like
    arguments that select the object under test).
    """
    def register(make):
        if name in EXAMPLES:
            raise ValueError(f"two examples for {name}")
        EXAMPLES[name] = Example(name, make, valid or {}, long or {}, fixed or {})
        return make
    return register


def record(name: str, reason: str = "a record of results: plain fields, built by the package"):
    """Declare ``name`` a record type (a dataclass or named tuple of results), not an entry point."""
    RECORDS[name] = reason


def load_examples() -> dict[str, Example]:
    """Import every module of ``tests/api_examples`` (which registers the examples)."""
    import tests.api_examples as package

    # The first torch optimizer of a process imports torch._dynamo (seconds): not inside
    # a timed call, where a time limit could cut the import off halfway.
    import torch._dynamo  # noqa: F401

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return EXAMPLES


# --------------------------------------------------------------------------- public API


def public_modules() -> list:
    """Every public module of the package, apart from :data:`NOT_API`."""
    modules = [srnbook]
    for info in pkgutil.walk_packages(srnbook.__path__, "srnbook."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts):
            continue
        if any(info.name == m or info.name.startswith(m + ".") for m in NOT_API):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _own_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items() if not n.startswith("_")
                 and (inspect.isfunction(obj) or inspect.isclass(obj))
                 and getattr(obj, "__module__", None) == module.__name__]
    return list(names)


def public_callables() -> dict[str, Callable]:
    """Qualified name -> callable, for every public function, class and method.

    A class counts once for its constructor and once per public method it defines
    (properties are attributes, and exception classes are raised, not called: neither
    is an entry point). A name re-exported by a package
    (``srnbook.SRN``) is the object of its home module (``srnbook.srn.SRN``).
    """
    found: dict[str, Callable] = {}
    seen: set[int] = set()
    for module in public_modules():
        for name in _own_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            home = getattr(obj, "__module__", module.__name__) or module.__name__
            if not home.startswith("srnbook") or (inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue  # not the package's, or an exception class: raised, not called
            seen.add(id(obj))
            qualified = f"{home}.{obj.__qualname__}"
            found[qualified] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)) or inspect.isfunction(member):
                        found[f"{qualified}.{attr}"] = getattr(obj, attr)
    return dict(sorted(found.items()))


def module_of(name: str) -> str:
    """The module part of a qualified name (``srnbook.dfa.DFA.run`` -> ``srnbook.dfa``)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in sys.modules and inspect.ismodule(sys.modules[".".join(parts[:i])]):
            return ".".join(parts[:i])
    return parts[0]


# --------------------------------------------------------------------------- bad values

BAD = "bad"
VARIANT = "variant"  # a valid variant of a good value: must return or give a clear error


class _Opaque:
    """A value of a type no argument takes."""

    def __repr__(self):
        return "<opaque object>"


def _is_word_list(value) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) > 0
            and all(isinstance(w, str) for w in value)) or (
        isinstance(value, (list, tuple)) and len(value) > 0
        and all(isinstance(w, tuple) and all(isinstance(s, str) for s in w) for w in value))


def _with_first(t: torch.Tensor, value) -> torch.Tensor:
    t = t.detach().clone().contiguous()
    if t.numel():
        t.view(-1)[0] = value
    return t


def bad_values(good, none_is_valid: bool) -> list[tuple[str, str, Any]]:
    """``(kind, BAD or VARIANT, value)`` for an argument whose good value is ``good``."""
    out: list[tuple[str, str, Any]] = []
    if not none_is_valid and good is not None:
        out.append(("none", BAD, None))
    out.append(("wrong type", BAD, _Opaque()))
    if isinstance(good, (bool, np.bool_)):
        out += [("int for bool", BAD, 2), ("string for bool", BAD, "no")]
    elif isinstance(good, (int, np.integer)):
        out += [("negative", BAD, -1), ("zero", BAD, 0), ("fraction", BAD, 1.5),
                ("string", BAD, str(int(good))), ("bool", BAD, True), ("huge", BAD, 10**12),
                ("nan", BAD, math.nan), ("numpy int", VARIANT, np.int64(good))]
    elif isinstance(good, float):
        out += [("nan", BAD, math.nan), ("inf", BAD, math.inf), ("-inf", BAD, -math.inf),
                ("negative", BAD, -1.0), ("zero", BAD, 0.0), ("huge", BAD, 1e300),
                ("string", BAD, repr(good)), ("bool", BAD, True)]
        if float(good).is_integer():
            out.append(("int for float", VARIANT, int(good)))
        out.append(("numpy float", VARIANT, np.float64(good)))
    elif isinstance(good, str):
        out += [("unknown string", BAD, "no-such-value"), ("empty string", BAD, "")]
        if len(good) > 0 and good.isalpha() and good.islower() and len(good) <= 4:
            out.append(("unknown symbol", BAD, good + "§"))
    elif isinstance(good, torch.dtype):
        out += [("integer dtype", BAD, torch.int64), ("dtype as string", BAD, str(good))]
    elif isinstance(good, torch.Tensor):
        t = good.detach()
        out.append(("extra dimension", BAD, t.unsqueeze(0)))
        out.append(("missing dimension", BAD, t.flatten() if t.dim() >= 2 else t.sum()))
        if t.dim() >= 1 and t.shape[0] > 0:
            out.append(("empty", BAD, t[:0]))
        if t.is_floating_point():
            out += [("integer dtype", BAD, t.round().long()), ("nan entry", BAD, _with_first(t, math.nan)),
                    ("inf entry", BAD, _with_first(t, math.inf)),
                    ("other precision", BAD, t.float() if t.dtype == torch.float64 else t.double()),
                    ("requires grad", VARIANT, t.clone().requires_grad_(True))]
        elif t.dtype != torch.bool:
            out += [("float dtype", BAD, t.double()), ("negative entry", BAD, _with_first(t, -1)),
                    ("huge entry", BAD, _with_first(t, 2**40)), ("uint8", VARIANT, t.to(torch.uint8))
                    if t.min() >= 0 and t.max() < 256 else ("int32", VARIANT, t.int())]
    elif isinstance(good, np.ndarray):
        out.append(("extra dimension", BAD, good[None]))
        if good.dtype.kind == "f":
            bad = good.copy()
            bad.flat[0] = math.nan
            out += [("nan entry", BAD, bad), ("string dtype", BAD, good.astype(str))]
        elif good.dtype.kind in "iu" and good.size:
            bad = good.astype(np.int64)
            bad.flat[0] = -1
            huge = good.astype(np.int64)
            huge.flat[0] = 2**40
            out += [("negative entry", BAD, bad), ("huge entry", BAD, huge),
                    ("float dtype", BAD, good.astype(float) + 0.5)]
    elif _is_word_list(good):
        first = good[0]
        if isinstance(first, str):
            out.append(("bare string", BAD, "".join(good)))
            out.append(("unknown symbol", BAD, [first + "§", *good[1:]]))
        else:
            out.append(("bare string", BAD, "".join(first)))
            out.append(("unknown symbol", BAD, [(*first, "§"), *good[1:]]))
        out.append(("None inside", BAD, [None, *good[1:]]))
    elif isinstance(good, (list, tuple)) and not hasattr(good, "_fields") and good and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in good):
        out += [("nan inside", BAD, type(good)([math.nan, *good[1:]])),
                ("negative inside", BAD, type(good)([-1, *good[1:]])),
                ("string inside", BAD, type(good)(["1", *good[1:]])),
                ("bare number", BAD, good[0]), ("empty", BAD, type(good)())]
    elif callable(good) and not inspect.isclass(good):
        out.append(("number for function", BAD, 3))
    return out


# --------------------------------------------------------------------------- one call


class CallTimeout(BaseException):
    """Raised in the calling thread when a call runs past :data:`TIME_LIMIT`."""


@contextmanager
def time_limit(seconds: float):
    def on_alarm(signum, frame):
        raise CallTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class Outcome:
    callable: str
    argument: str
    kind: str
    outcome: str  # "clear error", "accepted by design", "other"
    detail: str = ""


def _origin(error: BaseException) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename if tb is not None else "<unknown>"


def _in_package(filename: str) -> bool:
    try:
        Path(filename).resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return False
    return True


def _call(fn: Callable, kwargs: dict):
    sig = _signature(fn)
    args, rest = [], dict(kwargs)
    if sig is not None:
        for p in sig.parameters.values():
            if p.kind is p.POSITIONAL_ONLY and p.name in rest:
                args.append(rest.pop(p.name))
    return fn(*args, **rest)


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _names(message: str, argument: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", message) is not None


def classify(ex: Example, argument: str, kind: str, role: str, fn: Callable, kwargs: dict) -> Outcome:
    """Run one call and sort its result into the three outcomes."""
    reason = ex.valid.get(argument, {}).get(kind) or (SEED_RULE.get(kind) if argument == "seed" else None)
    if kind == "huge" and argument in ex.long:  # a budget: it runs past the limit, or another
        reason = ex.long[argument]              # limit of the call stops it first
    try:
        with np.errstate(all="ignore"):
            with time_limit(TIME_LIMIT if not (kind == "huge" and argument in ex.long) else 1.0):
                _call(fn, kwargs)
    except CallTimeout:
        if kind == "huge" and argument in ex.long:
            return Outcome(ex.name, argument, kind, "accepted by design", ex.long[argument])
        return Outcome(ex.name, argument, kind, "other", f"still running after {TIME_LIMIT:g} s")
    except (ValueError, TypeError) as error:
        message = str(error)
        where = _origin(error)
        if not _in_package(where):
            return Outcome(ex.name, argument, kind, "other",
                           f"{type(error).__name__} from {_short(where)}: {message[:160]}")
        if not _names(message, argument):
            return Outcome(ex.name, argument, kind, "other",
                           f"{type(error).__name__} does not name {argument!r}: {message[:160]}")
        return Outcome(ex.name, argument, kind, "clear error", f"{type(error).__name__}: {message[:160]}")
    except Exception as error:  # noqa: BLE001 - every other exception is an outcome to report
        where = _origin(error)
        return Outcome(ex.name, argument, kind, "other",
                       f"{type(error).__name__} from {_short(where)}: {str(error)[:160]}")
    if role == VARIANT:
        return Outcome(ex.name, argument, kind, "accepted by design", "a valid variant of the good value")
    if reason is not None:
        return Outcome(ex.name, argument, kind, "accepted by design", reason)
    return Outcome(ex.name, argument, kind, "other", "returned an answer to a bad value")


def _short(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "srnbook", "lib"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + (1 if anchor != "srnbook" else 0):])
    return filename


@contextmanager
def same_random_state():
    """Every call starts from the same random state (torch, NumPy and ``random`` seeded
    with 0), whatever ran before it in the process, and leaves the caller's state as it was:
    an outcome does not depend on the order in which pytest-xdist runs the examples."""
    import random

    state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        np.random.seed(0)
        random.seed(0)
        try:
            yield
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])


def run_example(ex: Example) -> list[Outcome]:
    """The good call (which must return), then every bad value of every argument."""
    try:
        with same_random_state():
            fn, good = ex.make()
            with time_limit(TIME_LIMIT):
                _call(fn, good)
    except BaseException as error:  # noqa: BLE001
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return [Outcome(ex.name, "", "good call", "other", f"the good call failed: {detail[:300]}")]
    outcomes = [Outcome(ex.name, "", "good call", "accepted by design", "the example's good call")]
    sig = _signature(fn)
    params = sig.parameters if sig is not None else {}
    for argument, value in good.items():
        if argument in ex.fixed:
            continue
        none_is_valid = argument in params and params[argument].default is None
        for kind, role, bad in bad_values(value, none_is_valid):
            with same_random_state():
                fn2, kwargs = ex.make()
                kwargs = dict(kwargs)
                kwargs[argument] = bad
                outcomes.append(classify(ex, argument, kind, role, fn2, kwargs))
    if sig is not None and any(p.kind is p.VAR_KEYWORD for p in params.values()):
        with same_random_state():
            fn2, kwargs = ex.make()
            kwargs = dict(kwargs)
            kwargs["no_such_option"] = 1
            outcomes.append(classify(ex, "no_such_option", "unknown option", BAD, fn2, kwargs))
    return outcomes


# --------------------------------------------------------------------------- the table


def outcome_table(outcomes: list[Outcome], names: list[str]) -> str:
    """Markdown table: per module, callables and calls covered and the three outcomes."""
    rows: dict[str, Counter] = {}
    for name in names:
        rows.setdefault(module_of(name), Counter())["callables"] += 1
    for o in outcomes:
        row = rows.setdefault(module_of(o.callable), Counter())
        row["calls"] += 1
        row[o.outcome] += 1
    header = "| module | callables | calls | clear error | accepted by design | other |"
    lines = [header, "|---|---:|---:|---:|---:|---:|"]
    total = Counter()
    for module, row in sorted(rows.items()):
        total.update(row)
        lines.append(f"| `{module}` | {row['callables']} | {row['calls']} | {row['clear error']} "
                     f"| {row['accepted by design']} | {row['other']} |")
    lines.append(f"| **all** | {total['callables']} | {total['calls']} | {total['clear error']} "
                 f"| {total['accepted by design']} | {total['other']} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only callables whose name contains one of these")
    parser.add_argument("--others", action="store_true", help="list every 'other' outcome")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    examples = load_examples()
    names = list(public_callables())
    chosen = [n for n in names if not args.names or any(s in n for s in args.names)]
    missing = [n for n in chosen if n not in examples and n not in RECORDS]
    outcomes: list[Outcome] = []
    for name in chosen:
        if name in examples:
            outcomes += run_example(examples[name])
    print(outcome_table(outcomes, [n for n in chosen if n not in RECORDS]))
    print(f"\nrecords (not entry points): {sum(n in RECORDS for n in chosen)}")
    if missing:
        print(f"\nno example ({len(missing)}):", *missing, sep="\n  ")
    others = [o for o in outcomes if o.outcome == "other"]
    if args.others:
        for o in others:
            print(f"{o.callable}({o.argument}) [{o.kind}]: {o.detail}")
    return 1 if others or missing else 0


if __name__ == "__main__":
    # the examples register in the module ``tests.api_contract``, not in ``__main__``
    from tests.api_contract import main as registered_main

    raise SystemExit(registered_main(sys.argv[1:]))
