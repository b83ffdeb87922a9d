"""Solve the 50-dimensional Rosenbrock function with every method and plot the energies.

Own solvers (``gd``, ``nesterov``, ``adam``, ``lbfgs``, ``newton-cg``) and SciPy's
(``L-BFGS-B``, ``trust-ncg``) through :func:`autodiff.optimize.minimize`, all with AD
derivatives.  Writes ``<out>/rosenbrock.png`` (energy against iteration, log scale).

Run: ``python examples/rosenbrock_methods.py --out results/optimize``
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from autodiff.optimize import minimize  # noqa: E402


def rosenbrock(x):
    """Extended Rosenbrock function, written with plain NumPy."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


RUNS = {
    "gd": dict(maxiter=5000),
    "nesterov": dict(maxiter=5000),
    "adam": dict(maxiter=5000, options={"learning_rate": 0.1}),
    "lbfgs": dict(options={"gtol": 1e-8, "ftol": 0}),
    "newton-cg": dict(options={"gtol": 1e-8, "ftol": 0}),
    "L-BFGS-B": dict(options={"gtol": 1e-8, "ftol": 0}),
    "trust-ncg": dict(tol=1e-10),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/optimize"),
                        help="output folder (created)")
    parser.add_argument("--n", type=int, default=50, help="dimension (even)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    x0 = np.tile([-1.2, 1.0], args.n // 2)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    print(f"{'method':<10} {'nit':>6} {'nfev':>6} {'f(x*)':>11} {'max|x*-1|':>10} "
          f"{'time':>7}  stop")
    for method, kwargs in RUNS.items():
        start = time.perf_counter()
        res = minimize(rosenbrock, x0, method, **kwargs)
        elapsed = time.perf_counter() - start
        print(f"{method:<10} {res.nit:>6} {res.nfev:>6} {res.fun:>11.3e} "
              f"{np.max(np.abs(res.x - 1.0)):>10.2e} {elapsed:>6.2f}s  {res.stop_reason}")
        energy = np.maximum(res.history["energy"], 1e-20)
        ax.semilogy(np.arange(energy.size), energy, label=method)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("energy f(x_k)")
    ax.set_title(f"Rosenbrock, n = {args.n}")
    ax.legend()
    fig.tight_layout()
    path = args.out / "rosenbrock.png"
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
