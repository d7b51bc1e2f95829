"""Examples for srnbook.learning."""

import torch
import torch._dynamo  # noqa: F401  the first optimizer imports it (seconds): here, outside the timed calls

from srnbook import learning as m
from srnbook.dfa import even_as
from srnbook.sampling import balanced_dataset
from tests.api_contract import example, record

record("srnbook.learning.Distance")
record("srnbook.learning.History")
record("srnbook.learning.PairResult")
record("srnbook.learning.ScalePoint")



def _words(n=6, seed=0):
    w = balanced_dataset(even_as(), n, 2.0, seed=seed)
    return w[w.lengths > 0]


def _zy():
    return torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.0, 0.0, 1.0])


@example("srnbook.learning.ConstrainedSRN")
def _():
    return m.ConstrainedSRN, dict(n_states=2, n_symbols=2, activation="tanh", output="identity", grad="bptt",
                                  dtype=torch.float64)


@example("srnbook.learning.ConstrainedSRN.extra_repr")
def _():
    return m.ConstrainedSRN(2, 2).extra_repr, {}


@example("srnbook.learning.ConstrainedSRN.reset_parameters")
def _():
    return m.ConstrainedSRN(2, 2).reset_parameters, {}


@example("srnbook.learning.ConstrainedSRN.to_srn")
def _():
    return m.ConstrainedSRN(2, 2).to_srn, {}


@example("srnbook.learning.History.to_dict")
def _():
    return m.History(epoch=[0], loss=[0.5]).to_dict, {}


@example("srnbook.learning.effective_parameters")
def _():
    return m.effective_parameters, dict(model=m.ConstrainedSRN(2, 2))


@example("srnbook.learning.target_parameters")
def _():
    return m.target_parameters, dict(dfa=even_as(), activation="tanh", J=10.0)


@example("srnbook.learning.bce")
def _():
    z, y = _zy()
    return m.bce, dict(z=z, y=y)


@example("srnbook.learning.nth_root_loss", valid={
    "n": {"huge": "the loss is defined for every n > 0 (it tends to 1 as n grows) and computed without overflow"}})
def _():
    z, y = _zy()
    return m.nth_root_loss, dict(z=z, y=y, n=3.0)


@example("srnbook.learning.inverse_norm", valid={"lam": {"zero": "lam = 0 turns the regularizer off"}})
def _():
    return m.inverse_norm, dict(parameters=[torch.tensor([3.0, 4.0]), torch.tensor([[1.0]])], lam=2.0)


@example("srnbook.learning.training_loss", valid={
    "lam": {"zero": "lam = 0 turns the regularizer off"},
    "n": {"huge": "the loss is defined for every n > 0 (it tends to 1 as n grows) and computed without overflow"}})
def _():
    z, y = _zy()
    return m.training_loss, dict(name="bce_inverse_norm", z=z, y=y, parameters=[torch.tensor([3.0, 4.0])],
                                 lam=2.0, n=3.0)


@example("srnbook.learning.logits")
def _():
    model = m.ConstrainedSRN(2, 2)
    x = torch.nn.functional.one_hot(torch.tensor([[0, 1, 1], [1, 0, 0]]), 2).float()
    return m.logits, dict(model=model, x=x, lengths=torch.tensor([3, 2]), h0=torch.tensor([1.0, 0.0, 0.0, 0.0]))


@example("srnbook.learning.matching_distance", valid={
    "max_permutations": {"huge": "a cap above the number of relabellings ((|Q| - 1)! = 2 here) enumerates them "
                                 "all; the enumeration itself is guarded by the memory limit"}})
def _():
    target = m.target_parameters(even_as(), "sigmoid", 5.0)
    theta = {k: 0.5 * v for k, v in target.items()}
    return m.matching_distance, dict(theta=theta, target=target, n_states=2, fix_initial=False,
                                     max_permutations=100)


@example("srnbook.learning.permute_states")
def _():
    params = m.target_parameters(even_as(), "sigmoid", 5.0)
    return m.permute_states, dict(params=params, permutation=[1, 0], n_states=2)


@example("srnbook.learning.train_pair",
         valid={"lam": {"zero": "lam = 0 turns the inverse-norm regularizer off"},
                "n": {"huge": "the Nth root loss is defined for every n > 0 (lam and n are checked, though "
                              "only one loss uses each)"},
                "batch_size": {"huge": "a batch larger than the training set is the whole set (full-batch "
                                       "training)"},
                "eval_every": {"huge": "evaluates only before training and after the last epoch"},
                "max_permutations": {"huge": "a cap above the number of relabellings enumerates them all; "
                                             "the enumeration itself is guarded by the memory limit"},
                "keep": {"empty": "no snapshots (the default)"}},
         long={"epochs": "a training budget: a huge one is valid and simply trains long"})
def _():
    return m.train_pair, dict(dfa=even_as(), train_words=_words(), test_words=_words(4, 1), activation="tanh",
                              loss="bce_inverse_norm", optimizer="adam", lr=0.01, epochs=1, batch_size=8, lam=1.0,
                              n=2.0, seed=1, eval_every=1, max_permutations=10, progress=False, keep=(1,))


@example("srnbook.learning.gradient_by_scale")
def _():
    return m.gradient_by_scale, dict(dfa=even_as(), scales=[2.0, 5.0], words=_words(), activation="tanh",
                                     dtype=torch.float64)


@example("srnbook.learning.scale_growth",
         valid={"every": {"huge": "a period longer than the run records the start only"}},
         long={"steps": "a budget of gradient steps: a huge one is valid and simply runs long"})
def _():
    return m.scale_growth, dict(dfa=even_as(), words=_words(), J0=2.0, steps=3, lr=1.0, activation="sigmoid",
                                every=2)
