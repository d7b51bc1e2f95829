"""Forward+backward time of srnbook.SRN against torch.nn.RNN (a benchmark, not a test).

Run: ``python benchmarks/srn_speed.py [--repeats N]``. For each sequence length it
times one forward and backward pass (loss = sum of the hidden states) of
``SRN(sigmoid)``, ``SRN(tanh)`` and ``torch.nn.RNN(tanh)`` at B=64, u=8, d=128, in
one process, interleaving the models, and prints the median times and their
ratios to ``nn.RNN``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from srnbook import SRN


def time_step(model, x: torch.Tensor) -> float:
    """Seconds for one forward + backward pass."""
    start = time.perf_counter()
    out = model(x)
    h = out.h if hasattr(out, "h") else out[0]
    h.sum().backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed runs per model (median reported)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()

    torch.manual_seed(0)
    B, u, d = 64, 8, 128
    models = {
        "SRN(sigmoid)": SRN(u, d, 1, activation="sigmoid"),
        "SRN(tanh)": SRN(u, d, 1, activation="tanh"),
        "nn.RNN(tanh)": torch.nn.RNN(u, d, nonlinearity="tanh", batch_first=True),
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, B={B}, u={u}, d={d}, "
          f"median of {args.repeats} runs")
    print(f"{'T':>6} {'model':>14} {'median ms':>10} {'ratio to nn.RNN':>16}")
    for T in args.lengths:
        x = torch.randn(B, T, u)
        times = {name: [] for name in models}
        for name, model in models.items():  # warm-up
            time_step(model, x)
        for _ in range(args.repeats):
            for name, model in models.items():
                model.zero_grad(set_to_none=True)
                times[name].append(time_step(model, x))
        ref = statistics.median(times["nn.RNN(tanh)"])
        for name in models:
            med = statistics.median(times[name])
            print(f"{T:>6} {name:>14} {1000 * med:>10.2f} {med / ref:>16.2f}")


if __name__ == "__main__":
    main()
