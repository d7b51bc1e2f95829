"""Time of exact DFA extraction (srnbook.ssrn.ssrn_to_dfa) on large compiled SSRNs (a benchmark, not a test).

Run: ``python benchmarks/extraction.py [--cases 1000x4 31x64] [--repeats 3]``.
For each case ``QxK`` it compiles ``DFA.random(Q, K)`` into an SSRN with ``d = Q K``
hidden units (sigmoid and tanh, float32), extracts it back with ``ssrn_to_dfa`` and
checks the result is equivalent. It prints the median times and their ratio to one
``SRN.forward`` over a batch that computes as many hidden vectors as the extraction
does (one per reachable hidden vector and letter): ``B = 1000`` words of ``T``
steps with ``B * T`` equal to that number, rounded. The case ``31x64`` has the size of
the 31-state MLRegTest automata over 64 letters (d = 1,984): issue 18's target is 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from srnbook.dfa import DFA
from srnbook.ssrn import dfa_to_ssrn, ssrn_to_dfa


def seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def hidden_vectors(dfa: DFA) -> int:
    """The number of distinct hidden vectors of the compiled SSRN reachable from h0: h0 and the units (delta(q, j), j)."""
    reachable, frontier = {0}, [0]
    while frontier:
        frontier = [int(r) for q in frontier for r in dfa.delta[q] if int(r) not in reachable]
        reachable.update(frontier)
    units = {(int(dfa.delta[q, j]), j) for q in reachable for j in range(dfa.n_symbols)}
    return len(units | {(0, 0)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["1000x4", "31x64"],
                        help="automata as STATESxSYMBOLS")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, median of {args.repeats} runs")
    print(f"{'case':>8} {'minimal':>7} {'d':>6} {'activation':>10} {'J':>8} {'build s':>8} {'extract s':>10} "
          f"{'forward s':>10} {'ratio':>6}")
    for case in args.cases:
        states, symbols = (int(x) for x in case.split("x"))
        dfa = DFA.random(states, symbols, seed=args.seed)
        minimal = dfa.minimize()
        for activation in ("sigmoid", "tanh"):
            build, model = seconds(lambda: dfa_to_ssrn(dfa, activation))
            extracted = ssrn_to_dfa(model)  # warm-up, and the correctness check
            assert extracted.equivalent(dfa) is None and extracted.n_states == minimal.n_states
            steps = hidden_vectors(dfa) * symbols  # the hidden vectors the extraction computes
            B = 1000
            T = max(1, round(steps / B))
            x = torch.nn.functional.one_hot(torch.randint(0, symbols, (B, T)), symbols).to(model.dtype)
            times = {"extract": [], "forward": []}
            for _ in range(args.repeats):
                times["extract"].append(seconds(lambda: ssrn_to_dfa(model))[0])
                with torch.inference_mode():
                    times["forward"].append(seconds(lambda: model.srn(x, h0=model.h0))[0])
            ext, fwd = statistics.median(times["extract"]), statistics.median(times["forward"])
            print(f"{case:>8} {minimal.n_states:>7} {states * symbols:>6} {activation:>10} {model.J:>8.4g} "
                  f"{build:>8.2f} {ext:>10.2f} {fwd:>10.2f} {ext / fwd:>6.2f}   (forward: B={B}, T={T})")


if __name__ == "__main__":
    main()
