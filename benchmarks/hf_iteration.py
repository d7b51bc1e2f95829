"""Hessian-free iterations per CPU second, where the time goes, and the floating-point rate
(a benchmark, not a test).

Run: ``python benchmarks/hf_iteration.py [--iterations N]``. The setting of the chapter's
experiment: temporal order at T = 100, an SRN with d = 100 tanh units and Martens & Sutskever's
initialization, gradient minibatch 1000, curvature minibatch 100 (its first sequences), check
minibatch 300, CG at most 250 iterations, one torch thread. Two implementations of the
curvature products run the same iterations from the same start, interleaved:

* ``before``: the products through ``torch.func.jvp``/``vjp`` of the network function, the
  curvature batch's forward pass and ``vjp`` built twice per iteration (once for G, once for
  G + lambda mu G_S), as the optimizer did before issue 22;
* ``after``: ``_fused_products`` (the R-operator recursion and back-propagation written out,
  one forward pass per iteration), the optimizer's default.

Each phase (gradient, curvature set-up, CG products, loss evaluations) is timed with
``time.process_time`` around the optimizer's own functions, and its floating-point work counted
from the matrix products it does (2 m n k per product; the elementwise work is left out). The
limit is what this machine's matrix products reach: a batch of B x d times d x d products (the
step-by-step work of the recurrence) and one large product, timed in the same run.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import defaultdict

import numpy as np
import torch

import srnbook.optim.hessian_free as hfm
from srnbook.optim.hessian_free import HessianFree, Minibatch
from srnbook.training import _draw, make_model

warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=DeprecationWarning)

T, D, GRAD, CURV, CHECK = 100, 100, 1000, 100, 300


def old_products(model, theta, x, target, loss, lengths, h0):
    """The implementation before issue 22: torch.func products, the set-up done twice."""
    plain = hfm._functional_products(model, theta, x, target, loss, lengths, h0)
    damped = hfm._functional_products(model, theta, x, target, loss, lengths, h0)
    return lambda v, beta: (damped if beta > 0 else plain)(v, beta)


class Meter:
    """CPU seconds and call counts of wrapped functions."""

    def __init__(self):
        self.seconds, self.calls = defaultdict(float), defaultdict(int)

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            self.seconds[name] += time.process_time() - start
            self.calls[name] += 1
            return out
        return timed


def run(products, iterations: int, meter: Meter) -> float:
    """``iterations`` HF iterations with ``products`` as the curvature-product factory; the CPU seconds."""
    model = make_model("temporal_order", D, "tanh", "martens_sutskever", 0)
    hf = HessianFree(model, loss="cross_entropy", damping=0.04, structural_damping=0.03,
                     curvature_size=CURV, check_size=CHECK, cg_max_iters=250)

    def factory(*args):
        setup = meter.wrap("curvature set-up (forward pass)", products)
        return meter.wrap("CG products (G + lambda mu G_S) v", setup(*args))

    saved = hfm._curvature_products, hfm._loss_of_theta, hfm._grad_and_value

    def loss_of_theta(*args):
        f = saved[1](*args)
        timed = meter.wrap("loss evaluations (backtracking, rho, line search)", f)
        # inside the gradient (grad enabled) the call belongs to the gradient's time
        return lambda theta: f(theta) if torch.is_grad_enabled() else timed(theta)

    hfm._curvature_products, hfm._loss_of_theta = factory, loss_of_theta
    hfm._grad_and_value = meter.wrap("gradient (forward + backward)", saved[2])
    try:
        start = time.process_time()
        for k in range(iterations):
            batch = _draw("temporal_order", GRAD + CHECK, T, np.random.default_rng([0, 0, k]))
            hf.step(lambda: Minibatch(batch.x, batch.y))
            meter.calls["iterations"] += 1
            meter.calls["CG iterations"] += hf.state["hf"]["cg_iterations"]
        return time.process_time() - start
    finally:
        hfm._curvature_products, hfm._loss_of_theta, hfm._grad_and_value = saved


def matmul_rate(m: int, k: int, n: int, repeats: int = 200) -> float:
    """GFLOP/s of an (m x k) @ (k x n) float32 product on one thread (median of ``repeats``)."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * m * k * n / float(np.median(times)) / 1e9


def flops(meter: Meter) -> dict[str, float]:
    """Matrix-product work of each phase (float32 multiply-adds x 2), from the call counts.

    The gradient of f on G sequences: forward W h (T products B x d x d), the input and output
    projections, backward W^T delta and dL/dW: about 3 x 2 G T d^2. A curvature product on C
    sequences: R-forward (dW h and W dh) and backward (W^T delta, dL/dW): 4 x 2 C T d^2; the
    set-up is one forward pass, 2 C T d^2. A loss evaluation on the check batch: 2 K T d^2.
    """
    unit = 2 * T * D * D
    n_loss = meter.calls["loss evaluations (backtracking, rho, line search)"]
    return {
        "gradient (forward + backward)": 3 * unit * GRAD * meter.calls["gradient (forward + backward)"],
        "curvature set-up (forward pass)": unit * CURV * meter.calls["curvature set-up (forward pass)"],
        "CG products (G + lambda mu G_S) v": 4 * unit * CURV * meter.calls["CG products (G + lambda mu G_S) v"],
        "loss evaluations (backtracking, rho, line search)": unit * CHECK * n_loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=4, help="HF iterations per implementation")
    args = parser.parse_args()
    torch.set_num_threads(1)
    meters = {"before": Meter(), "after": Meter()}
    cpu = {"before": 0.0, "after": 0.0}
    for _ in range(2):  # interleaved halves
        for name, products in (("before", old_products), ("after", hfm._curvature_products)):
            cpu[name] += run(products, args.iterations // 2 or 1, meters[name])
    small, large = matmul_rate(CURV, D, D), matmul_rate(CURV * T, D, D, repeats=20)
    print(f"torch {torch.__version__}, 1 thread, float32; temporal order T={T}, d={D}; gradient batch "
          f"{GRAD}, curvature batch {CURV}, check batch {CHECK}; CG at most 250 iterations")
    print(f"this machine's matrix products: ({CURV} x {D}) @ ({D} x {D}) at {small:.1f} GFLOP/s, "
          f"({CURV * T} x {D}) @ ({D} x {D}) at {large:.1f} GFLOP/s")
    for name, m in meters.items():
        its, cg = m.calls["iterations"], m.calls["CG iterations"]
        work = flops(m)
        print(f"\n{name}: {its} HF iterations, {cg} CG iterations, {cpu[name]:.1f} CPU s: "
              f"{its / cpu[name]:.4f} HF iterations per CPU second, {cg / cpu[name]:.2f} CG iterations per CPU second")
        print(f"{'phase':>52} {'CPU s':>7} {'share':>6} {'calls':>6} {'ms/call':>8} {'GFLOP/s':>8}")
        for phase, seconds in m.seconds.items():
            calls = m.calls[phase]
            print(f"{phase:>52} {seconds:>7.2f} {seconds / cpu[name]:>6.1%} {calls:>6} "
                  f"{1000 * seconds / calls:>8.2f} {work[phase] / seconds / 1e9:>8.2f}")
        total = sum(work.values())
        print(f"{'all counted work':>52} {cpu[name]:>7.2f} {'':>6} {'':>6} {'':>8} {total / cpu[name] / 1e9:>8.2f}")
    g_ratio = (meters["before"].seconds["CG products (G + lambda mu G_S) v"]
               / meters["before"].calls["CG products (G + lambda mu G_S) v"]) / (
        meters["after"].seconds["CG products (G + lambda mu G_S) v"]
        / meters["after"].calls["CG products (G + lambda mu G_S) v"])
    rate = {k: meters[k].calls["iterations"] / cpu[k] for k in cpu}
    print(f"\nHF iterations per CPU second: after / before = {rate['after'] / rate['before']:.2f}; "
          f"one curvature product: before / after = {g_ratio:.2f}")


if __name__ == "__main__":
    main()
