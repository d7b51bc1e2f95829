"""Cost of one K-FAC step against one SGD step (a benchmark, not a test).

Run: ``python benchmarks/kfac_step.py [--repeats N]``. An SRN with d = 128 tanh units, u = 8
inputs, o = 4 identity outputs, a Gaussian likelihood (squared error) at every step, T = 50,
minibatch B = 32, float32, one torch thread. Every candidate step includes the forward pass, the
loss and ``loss.backward()`` on the same minibatch; then

* ``SGD``: ``torch.optim.SGD.step()``;
* ``KFAC, inverse_every=1``: ``srnbook.optim.KFAC.step(x=x)``, i.e. the statistics refreshed on the
  batch (a forward pass, one sampled output gradient back-propagated, the moments of U, W, V),
  the eigendecompositions of the damped factors, and the preconditioned update of every layer;
* ``KFAC, inverse_every=10``: the same with the eigendecompositions recomputed every 10th step,
  timed over blocks of 10 consecutive steps (the amortized cost of a step),

for each temporal model of the recurrent block W (``independent``, ``option1``, ``option2``). The
optimizers run on separate copies of one model, interleaved, and the median times and their
ratios to the SGD step are printed.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from srnbook import SRN
from srnbook.optim import KFAC
from srnbook.optim.kfac import TEMPORAL, nll_loss

BLOCK = 10  # steps per timed block for inverse_every = 10


def step_fn(model: SRN, opt, x: torch.Tensor, y: torch.Tensor):
    """One optimizer step, forward and backward included."""
    is_kfac = isinstance(opt, KFAC)

    def run():
        opt.zero_grad(set_to_none=True)
        if is_kfac:  # the statistics reuse the loss's forward pass
            out = model(x)
            (0.5 * ((out.y - y) ** 2).sum() / x.shape[0]).backward()  # nll_loss, "gaussian"
            opt.step(x=x, output=out)
        else:
            nll_loss(model, x, y, "gaussian").backward()
            opt.step()
    return run


def seconds(fn, steps: int = 1) -> float:
    """Seconds per step of ``steps`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed steps (blocks for inverse_every=10)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    B, T, u, d, o = 32, 50, 8, 128, 4
    base = SRN(u, d, o, activation="tanh", output="identity")
    x, y = torch.randn(B, T, u), torch.randn(B, T, o)
    lr = 1e-3  # small: hundreds of steps on one batch must not diverge

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, float32, B={B}, T={T}, u={u}, "
          f"d={d} (tanh), o={o}, median of {args.repeats} runs")
    print(f"{'temporal':>12} {'candidate':>24} {'median ms':>10} {'ratio to SGD':>13}")
    for temporal in TEMPORAL:
        m_sgd, m_k1, m_k10 = (copy.deepcopy(base) for _ in range(3))
        candidates = {
            "SGD": (step_fn(m_sgd, torch.optim.SGD(m_sgd.parameters(), lr=lr), x, y), 1),
            "KFAC, inverse_every=1": (step_fn(m_k1, KFAC(m_k1, lr=lr, temporal=temporal), x, y), 1),
            f"KFAC, inverse_every={BLOCK}": (
                step_fn(m_k10, KFAC(m_k10, lr=lr, temporal=temporal, inverse_every=BLOCK), x, y), BLOCK),
        }
        for fn, _ in candidates.values():  # warm-up (and K-FAC's first statistics)
            fn()
        times = {name: [] for name in candidates}
        for _ in range(args.repeats):
            for name, (fn, steps) in candidates.items():
                times[name].append(seconds(fn, steps))
        ref = statistics.median(times["SGD"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{temporal:>12} {name:>24} {1000 * med:>10.2f} {med / ref:>13.2f}")


if __name__ == "__main__":
    main()
