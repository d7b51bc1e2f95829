"""Cost of one exact Gauss-Newton-vector product against one gradient (a benchmark, not a test).

Run: ``python benchmarks/gnvp_cost.py [--repeats N]``. In the setting of Martens & Sutskever
(2011): an SRN with d = 100 tanh units, T = 100 steps, a squared loss on the last step, a
minibatch of B = 100 sequences (u = 2 inputs, o = 1 output, as in the addition problem), float32,
one torch thread. In one process, interleaving the candidates, it times

* one gradient: forward pass, loss and ``loss.backward()``, for ``SRN(grad="autograd")`` and for
  the default ``SRN(grad="bptt")`` (the explicit back-propagation through time);
* one product :math:`(G + \\beta G_S) v` of ``srnbook.optim.hessian_free.gauss_newton_operator``
  applied to a random ``v``, with structural damping off (:math:`\\beta = 0`) and on, the operator
  built beforehand (as Hessian-free optimization does once per step before tens of CG
  iterations), by the two implementations: *written out* (the default for sequences of one
  length from the zero state: the R-operator recursion and back-propagation in explicit loops,
  ``_fused_products``) and *torch.func* (``jvp``/``vjp`` of the network function, used with
  ``lengths`` or ``h0``, and for every product before issue 22), the latter selected here by
  passing ``lengths`` equal to T for every sequence;
* building each operator (the forward pass; for torch.func also its ``vjp``), once per HF step,

and prints the median times and their ratios to each gradient. The issue's target: one product
costs at most 1.5 gradients. The headline ratio is the default product against the default
model's gradient (``grad="bptt"``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from srnbook import SRN
from srnbook.optim.hessian_free import gauss_newton_operator

# torch's forward-mode AD loads its decompositions with torch.jit.script on first use
warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=DeprecationWarning)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gradient(model: SRN, x: torch.Tensor, y: torch.Tensor):
    """One forward + backward pass of the last-step squared loss (1/2B) sum ||z_T - y||^2."""
    def run():
        model.zero_grad(set_to_none=True)
        z = model(x).y[:, -1]  # identity output: y_hat = z
        loss = 0.5 * ((z - y) ** 2).sum() / x.shape[0]
        loss.backward()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed runs per candidate (median reported)")
    parser.add_argument("--structural", type=float, default=0.3, help="beta = lambda * mu when damping is on")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    B, T, u, d, o = 100, 100, 2, 100, 1
    auto = SRN(u, d, o, activation="tanh", output="identity", grad="autograd")
    bptt = SRN(u, d, o, activation="tanh", output="identity")
    bptt.load_state_dict(auto.state_dict())
    x, y = torch.randn(B, T, u), torch.randn(B, o)
    v = torch.randn(sum(p.numel() for p in auto.parameters()))
    candidates = {"gradient, autograd": gradient(auto, x, y), "gradient, bptt": gradient(bptt, x, y)}
    full = torch.full((B,), T)
    for name, kw in (("written out", {}), ("torch.func", {"lengths": full})):
        G = gauss_newton_operator(bptt, None, x, y, loss="squared", **kw)
        Gs = gauss_newton_operator(bptt, None, x, y, loss="squared", structural=args.structural, **kw)
        candidates[f"Gv, {name}"] = lambda G=G: G(v)
        candidates[f"(G+{args.structural:g}G_S)v, {name}"] = lambda Gs=Gs: Gs(v)
        candidates[f"build operator, {name}"] = lambda kw=kw: gauss_newton_operator(
            bptt, None, x, y, loss="squared", **kw)
    for fn in candidates.values():  # warm-up
        fn()
    times = {name: [] for name in candidates}
    for _ in range(args.repeats):
        for name, fn in candidates.items():
            times[name].append(seconds(fn))
    med = {name: statistics.median(ts) for name, ts in times.items()}

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, float32, B={B}, T={T}, u={u}, "
          f"d={d} (tanh), o={o}, last-step squared loss, median of {args.repeats} runs")
    ref_a, ref_b = med["gradient, autograd"], med["gradient, bptt"]
    print(f"{'':>30} {'median ms':>10} {'/ grad autograd':>16} {'/ grad bptt':>12}")
    for name, m in med.items():
        print(f"{name:>30} {1000 * m:>10.2f} {m / ref_a:>16.2f} {m / ref_b:>12.2f}")
    print(f"one Gauss-Newton-vector product = {med['Gv, written out'] / ref_b:.2f} gradients (written out, the "
          f"default; target: at most 1.5); {med['Gv, torch.func'] / ref_b:.2f} through torch.func")


if __name__ == "__main__":
    main()
