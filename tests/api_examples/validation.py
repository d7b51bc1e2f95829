"""Examples for the package-wide settings of srnbook._validation (exported by srnbook)."""

import srnbook
from tests.api_contract import example


def _restoring_set(nbytes):
    """set_memory_limit, with the previous limit put back (the engine calls it many times)."""
    previous = srnbook.set_memory_limit(nbytes)
    srnbook.set_memory_limit(previous)
    return previous


_restoring_set.__wrapped__ = srnbook.set_memory_limit


@example("srnbook._validation.set_memory_limit",
         valid={"nbytes": {"huge": "a limit of 1 TB is the user's to choose (it is a limit, not an allocation)"}})
def _():
    return _restoring_set, dict(nbytes=2**32)


@example("srnbook._validation.get_memory_limit")
def _():
    return srnbook.get_memory_limit, {}
