"""The Jupyter kernel that executes the chapters: ``python3`` of the virtual environment, with
its floating-point arithmetic pinned so that a chapter computes the same bits on any x86 CPU.

The chapters are stored executed and nbval compares a fresh run with the stored outputs, so a
training run that amplifies a last-bit difference (another SIMD width, another BLAS kernel,
another number of threads) would change the printed numbers. The kernel therefore runs with

* one thread (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, no dynamic adjustment): the same
  reduction order whatever the machine and its load;
* PyTorch's AVX2 kernels (``ATEN_CPU_CAPABILITY``), also on CPUs with AVX-512, and oneDNN
  limited to AVX2 (``ONEDNN_MAX_CPU_ISA``);
* MKL's conditional numerical reproducibility in its ``COMPATIBLE`` branch (``MKL_CBWR``),
  the one whose results Intel documents as identical on Intel and non-Intel processors.

``make setup`` runs ``python tests/chapter_kernel.py`` to install the kernel spec into ``.venv`` (it
replaces the default ``python3`` spec, so ``make notebooks``, nbval and JupyterLab all use it);
the root ``conftest.py`` refuses to run the chapters if the installed spec lacks these settings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_DYNAMIC": "FALSE",
    "MKL_DYNAMIC": "FALSE",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "COMPATIBLE",
}
KERNEL_NAME = "python3"


def spec_path(prefix: str = sys.prefix) -> Path:
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"


def install(prefix: str = sys.prefix) -> Path:
    """Write the kernel spec into ``prefix`` (the virtual environment) and return its path."""
    path = spec_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (srnbook)",
        "language": "python",
        "env": KERNEL_ENV,
        "metadata": {"debugger": True},
    }
    path.write_text(json.dumps(spec, indent=1) + "\n")
    return path


if __name__ == "__main__":
    print(f"kernel spec written to {install()}")
