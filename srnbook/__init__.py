"""srnbook: the package behind the interactive textbook on simple recurrent networks.

Public API
----------
SRN, SRNOutput, BPTT
    The simple recurrent network of Definition 1 and its explicit backward pass.
flatten_parameters, unflatten_parameters, load_flat_parameters
    theta = vec(P) and back.
Activation, get_activation, saturation_threshold
    Elementwise activations, their derivatives, and where they saturate.
DFA
    Deterministic finite automata (Definition 3): running, minimizing, comparing.
"""

from .activations import Activation, get_activation, saturation_threshold
from .dfa import DFA
from .srn import (
    BPTT,
    SRN,
    SRNOutput,
    flatten_parameters,
    load_flat_parameters,
    unflatten_parameters,
)

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "BPTT",
    "DFA",
    "SRN",
    "SRNOutput",
    "flatten_parameters",
    "get_activation",
    "load_flat_parameters",
    "saturation_threshold",
    "unflatten_parameters",
]
