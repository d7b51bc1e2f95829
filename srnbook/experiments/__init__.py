"""Experiments behind the book's figures, run as ``python -m srnbook.experiments NAME``.

Each experiment is a module with ``QUICK`` and ``FULL`` configurations and a
``run(config) -> dict`` that returns a JSON-able result; :data:`EXPERIMENTS` maps
the names the command line accepts to those modules.
"""

from . import (backward_tuning, exact_learning, fastweights, fastweights_network, hessian_free, kfac, learning_ssrn,
               long_lags, reservoir_esn, vanishing, vanishing_sweep)

EXPERIMENTS = {"backward_tuning": backward_tuning, "exact_learning": exact_learning, "fastweights": fastweights,
               "fastweights_network": fastweights_network, "hessian_free": hessian_free,
               "kfac": kfac, "learning_ssrn": learning_ssrn, "long_lags": long_lags, "reservoir_esn": reservoir_esn,
               "vanishing": vanishing, "vanishing_sweep": vanishing_sweep}
"""The experiments by name."""

__all__ = ["EXPERIMENTS", "backward_tuning", "exact_learning", "fastweights", "fastweights_network", "hessian_free", "kfac",
           "learning_ssrn", "long_lags", "reservoir_esn", "vanishing",
           "vanishing_sweep"]
