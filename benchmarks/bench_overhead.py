"""Per-primitive overhead of the AD core on 0-d values (CPU time, median of repeats).

A chain of 999 primitives (``x <- sin(x) + 0.5 x``, 333 times) on a NumPy float64:
microseconds per primitive for plain NumPy, forward mode (``jvp``), recording the
reverse tape, and the backward sweep, next to autograd's gradient when installed.
CPU time (``time.process_time``) is used so that other processes on a shared machine
do not inflate the figures.

Usage::

    python benchmarks/bench_overhead.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402
from autodiff._reverse import ReverseTrace  # noqa: E402
from autodiff._tracer import new_level  # noqa: E402

N_OPS = 999


def chain(xnp, x):
    for _ in range(N_OPS // 3):
        x = xnp.sin(x) + 0.5 * x
    return x


def median_cpu(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        f()
        times.append(time.process_time() - start)
    return sorted(times)[repeat // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    args = parser.parse_args()
    x = np.float64(0.3)

    def record():
        trace = ReverseTrace(new_level())
        return trace, chain(np, trace.new_input(x))

    per_op = {
        "NumPy alone": median_cpu(lambda: chain(np, x), args.repeat),
        "forward (jvp)": median_cpu(lambda: ad.jvp(lambda v: chain(np, v), (x,), (1.0,)),
                                    args.repeat),
        "reverse record": median_cpu(record, args.repeat),
        "grad (record + sweep)": median_cpu(lambda: ad.grad(lambda v: chain(np, v))(x),
                                            args.repeat),
    }
    per_op["sweep"] = per_op["grad (record + sweep)"] - per_op["reverse record"]
    try:
        import autograd
        import autograd.numpy as agnp

        grad_ag = autograd.grad(lambda v: chain(agnp, v))
        per_op["autograd grad"] = median_cpu(lambda: grad_ag(x), args.repeat)
    except ImportError:
        print("autograd: skipped (not installed)")
    print(f"per-primitive overhead, {N_OPS} primitives on a 0-d float64 (CPU time)")
    for name, seconds in per_op.items():
        print(f"  {name:24s} {seconds / N_OPS * 1e6:7.2f} us")
    if "autograd grad" in per_op:
        ratio = per_op["grad (record + sweep)"] / per_op["autograd grad"]
        print(f"  grad / autograd grad     {ratio:7.3f}")


if __name__ == "__main__":
    main()
