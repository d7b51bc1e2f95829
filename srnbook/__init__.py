"""srnbook: the package behind the interactive textbook on simple recurrent networks.

Public API
----------
SRN, SRNOutput, BPTT
    The simple recurrent network of Definition 1 and its explicit backward pass.
flatten_parameters, unflatten_parameters, load_flat_parameters
    theta = vec(P) and back.
Activation, get_activation, saturation_threshold
    Elementwise activations, their derivatives, and where they saturate.
DFA, tomita
    Deterministic finite automata (Definition 3): running, minimizing, comparing,
    drawing; the Tomita grammars (MLRegTest automata: ``srnbook.dfa.mlregtest``).
sample_words, balanced_dataset
    Labelled words sampled from a DFA (report, section 8.1).
SSRN, dfa_to_ssrn, ssrn_to_dfa, saturating_scale, saturation
    A DFA compiled into a saturated SRN, the exact extraction back, and saturation.
ConstrainedSRN, extract_dfa
    Learning saturated SRNs from data (``srnbook.learning``: the report's constrained SRN, its
    losses and metrics) and reading automata back from trained networks (``srnbook.extraction``).
learn_ssrn
    A saturated SRN learned from labelled words: train, extract by L* (``srnbook.lstar``, a
    network as teacher), compile, verify (``srnbook.pipeline``).
DFAStepper
    The widget that steps a DFA and its saturated SRN side by side.
make_task, TASKS, success_rate, chance_baseline
    Long-range sequence tasks (adding, multiplication, XOR, temporal order, parity).
HessianFree, KFAC
    Second-order optimizers for SRNs (``srnbook.optim``): Hessian-free with structural
    damping, and K-FAC with the temporal models of Martens, Ba & Johnson (2018).
ArgumentTypeError, get_memory_limit, set_memory_limit
    The input contract: every public callable checks its arguments where they enter and
    raises ``ValueError`` (a bad value) or ``ArgumentTypeError`` (a ``TypeError`` for a
    bad type, also a ``ValueError``) naming the argument; nothing allocates more than the
    package's memory limit (default 4 GiB) without saying how much it would need; every
    ``seed`` is an integer in ``[0, 2**64)``.

The modules ``srnbook.gated`` (LSTM, with and without the forget gate, GRU and SCRN),
``srnbook.gradients`` (gradients through time), ``srnbook.stability``
(fixed points, basins, the latch dilemma), ``srnbook.memory`` (associative memory,
Hebb, Hopfield networks), ``srnbook.fastweights`` (fast weights and the associative
retrieval task), ``srnbook.reservoir`` (echo state networks), ``srnbook.backward_tuning``
(Viéville's three-step weight estimation), ``srnbook.training`` (the training loop) and
``srnbook.experiments`` (long runs, ``python -m srnbook.experiments``) are used by name.
"""

from ._validation import ArgumentTypeError, get_memory_limit, set_memory_limit
from .activations import Activation, get_activation, saturation_threshold
from .dfa import DFA, tomita
from .extraction import extract_dfa
from .learning import ConstrainedSRN
from .pipeline import learn_ssrn
from .sampling import balanced_dataset, sample_words
from .ssrn import SSRN, dfa_to_ssrn, saturating_scale, saturation, ssrn_to_dfa
from .tasks import TASKS, chance_baseline, make_task, success_rate
from .srn import (
    BPTT,
    SRN,
    SRNOutput,
    flatten_parameters,
    load_flat_parameters,
    unflatten_parameters,
)

from .optim import KFAC, HessianFree


def __getattr__(name: str):
    # DFAStepper is imported on first use: the widget stack (ipywidgets, anywidget,
    # matplotlib) takes longer to import than the rest of the package together.
    if name == "DFAStepper":
        from .widgets import DFAStepper

        return DFAStepper
    raise AttributeError(f"module 'srnbook' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Activation",
    "ArgumentTypeError",
    "BPTT",
    "ConstrainedSRN",
    "DFA",
    "DFAStepper",
    "HessianFree",
    "KFAC",
    "SRN",
    "SRNOutput",
    "SSRN",
    "TASKS",
    "balanced_dataset",
    "chance_baseline",
    "dfa_to_ssrn",
    "extract_dfa",
    "flatten_parameters",
    "get_activation",
    "get_memory_limit",
    "learn_ssrn",
    "load_flat_parameters",
    "make_task",
    "sample_words",
    "saturating_scale",
    "saturation",
    "saturation_threshold",
    "set_memory_limit",
    "ssrn_to_dfa",
    "success_rate",
    "tomita",
    "unflatten_parameters",
]
