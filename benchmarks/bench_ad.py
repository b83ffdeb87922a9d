"""Benchmark of the AD core against autograd (and JAX / PyTorch when installed).

Runs the seven workloads of ``ANCHORS.md`` (``slides``, ``chain``, ``tv``,
``logreg``, ``rosen_hess``, ``tv_hvp``, ``tall_jacfwd``), each three ways: the
function alone in NumPy, its derivative with autograd and with this project
(``ad.grad``, ``ad.hessian``, ``ad.hvp``, ``ad.jacfwd``).  Before timing, our
derivative is checked against autograd's with ``numpy.allclose``.  A second table
times our derivative under ``ad.stage`` (generated straight-line NumPy code), checked
against the unstaged one to 1e-12, as a ratio over f alone (scalar workloads) or
over the unstaged derivative (array workloads); these three are timed first in each
process, before autograd (or JAX, PyTorch) has allocated anything there.

Timing: every figure is the median of several samples (a sample runs the call
enough times to last 20 ms, as ``timeit`` does); samples of the implementations
are taken in interleaved rounds, and the ratio ours / autograd is the median of
the per-round ratios, so that load changes on a shared machine cancel out.  The
ratio is compared with the project's target.

Each workload runs in a fresh interpreter by default.  Large arrays are fresh
memory for glibc's allocator, and whether a process pays page faults for them
depends on what it allocated and freed before (the mmap threshold adapts); on
small VMs (about 4.5 us per 4 KiB page) this moves the ratios by up to 2x.  A
fresh process per workload makes the figures independent of the order of the
workloads; ``--pin-malloc`` fixes glibc's thresholds so that the figures show
compute rather than page faults.

Usage::

    python benchmarks/bench_ad.py [--only NAME ...] [--budget SECONDS] [--in-process]
                                  [--pin-malloc]

BLAS is pinned to one thread (``OPENBLAS_NUM_THREADS=1``) before NumPy is
imported, as the anchors were measured that way.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

# Run from a checkout without relying on the package being installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd  # noqa: E402
import autograd.numpy as agnp  # noqa: E402

import autodiff as ad  # noqa: E402

#: Ratio ours / autograd that each workload should reach.
TARGETS = {
    "slides": 0.2,
    "chain": 0.12,
    "tv": 0.3,
    "logreg": 1.0,
    "rosen_hess": 0.05,
    "tv_hvp": 0.75,
    "tv_hvp_replay": 0.3,
    "tall_jacfwd": 0.25,
}
#: ``ad.stage`` of our derivative: ratio staged / f alone to reach (scalar workloads) ...
STAGED_OVER_F = {"slides": 5.0, "chain": 4.0}
#: ... and staged / unstaged (array workloads: no slower than the interpreters).
STAGED_OVER_OURS = 1.0
#: Staged chain against PyTorch eager (when installed): at least this many times faster.
STAGED_VS_TORCH = 5.0
#: Optional frameworks timed when importable: column name -> module.
FRAMEWORKS = {"JAX eager": "jax", "JAX jit": "jax", "PyTorch eager": "torch"}
#: Tolerances of the agreement check with autograd.
RTOL, ATOL = 1e-7, 1e-9
#: glibc settings of ``--pin-malloc``: big arrays come from the heap, which is never
#: trimmed, so repeated calls reuse memory instead of page-faulting fresh pages.
PINNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


# --- the workloads, written once against a NumPy-like namespace -------------------
def slides(xnp, x1, x2):
    """f(x1, x2) = ln x1 + x1 x2 - sin x2."""
    return xnp.log(x1) + x1 * x2 - xnp.sin(x2)


def chain(xnp, x):
    """x <- sin(x) + 0.5 x, 1000 times."""
    for _ in range(1000):
        x = xnp.sin(x) + 0.5 * x
    return x


def tv(xnp, u, f):
    """0.5 ||u - f||^2 + 0.1 sum sqrt(dx^2 + dy^2 + 1e-4), forward differences.

    The differences are zero on the last row / column (Neumann boundary).
    """
    zero_row = xnp.zeros((1, u.shape[1]))
    zero_col = xnp.zeros((u.shape[0], 1))
    dx = xnp.concatenate([u[1:, :] - u[:-1, :], zero_row], axis=0)
    dy = xnp.concatenate([u[:, 1:] - u[:, :-1], zero_col], axis=1)
    r = u - f
    return 0.5 * xnp.sum(r * r) + 0.1 * xnp.sum(xnp.sqrt(dx * dx + dy * dy + 1e-4))


def logreg(xnp, w, X, y, lam):
    """Mean logistic loss of X w with labels y in {-1, +1}, plus lam/2 ||w||^2."""
    margins = y * (X @ w)
    return xnp.mean(xnp.logaddexp(0.0, -margins)) + 0.5 * lam * xnp.sum(w * w)


def rosen(xnp, x):
    """The n-dimensional Rosenbrock function."""
    a = x[1:] - x[:-1] * x[:-1]
    b = 1.0 - x[:-1]
    return xnp.sum(100.0 * a * a + b * b)


def tall(xnp, p, X):
    """p -> sin(X p) * (X p)."""
    z = X @ p
    return xnp.sin(z) * z


def make_data(name: str, rng: np.random.Generator) -> dict:
    """The inputs of workload ``name`` (plain NumPy arrays and floats)."""
    if name == "slides":
        return {"x1": 2.0, "x2": 5.0}
    if name == "chain":
        return {"x": 0.3}
    if name in ("tv", "tv_hvp", "tv_hvp_replay"):
        f = rng.random((512, 512))
        return {"f": f, "u": f + 0.1 * rng.standard_normal((512, 512)),
                "v": rng.standard_normal((512, 512))}
    if name == "logreg":
        X = rng.standard_normal((10000, 500)) / np.sqrt(500)
        w_true = rng.standard_normal(500)
        y = np.where(X @ w_true + 0.5 * rng.standard_normal(10000) > 0, 1.0, -1.0)
        return {"X": X, "y": y, "w": 0.1 * rng.standard_normal(500), "lam": 1e-3}
    if name == "rosen_hess":
        return {"x": 1.0 + 0.3 * rng.standard_normal(200)}
    if name == "tall_jacfwd":
        return {"X": rng.standard_normal((200000, 8)), "p": rng.standard_normal(8)}
    raise ValueError(f"unknown workload {name!r}; choose from {', '.join(TARGETS)}")


@dataclass
class Workload:
    """One benchmark: plain function, autograd and our derivative (each a thunk)."""

    name: str
    plain: Callable[[], object]
    autograd: Callable[[], object]
    ours: Callable[[], object]
    others: dict[str, Callable[[], object]] = field(default_factory=dict)


def build(name: str, d: dict, wrap: Callable = lambda transform: transform) -> Workload:
    """The three callables of workload ``name`` on inputs ``d``.

    ``wrap`` is applied to our derivative function (``ad.stage`` for the staged row).
    """
    if name == "slides":
        ours = wrap(ad.grad(lambda a, b: slides(np, a, b), argnums=(0, 1)))
        theirs = autograd.grad(lambda ab: slides(agnp, ab[0], ab[1]))
        return Workload(name, lambda: slides(np, d["x1"], d["x2"]),
                        lambda: theirs((d["x1"], d["x2"])), lambda: ours(d["x1"], d["x2"]))
    if name == "chain":
        ours = wrap(ad.grad(lambda x: chain(np, x)))
        theirs = autograd.grad(lambda x: chain(agnp, x))
        return Workload(name, lambda: chain(np, d["x"]), lambda: theirs(d["x"]),
                        lambda: ours(d["x"]))
    if name == "tv":
        ours = wrap(ad.grad(lambda u: tv(np, u, d["f"])))
        theirs = autograd.grad(lambda u: tv(agnp, u, d["f"]))
        return Workload(name, lambda: tv(np, d["u"], d["f"]), lambda: theirs(d["u"]),
                        lambda: ours(d["u"]))
    if name == "logreg":
        X, y, lam = d["X"], d["y"], d["lam"]
        ours = wrap(ad.grad(lambda w: logreg(np, w, X, y, lam)))
        theirs = autograd.grad(lambda w: logreg(agnp, w, X, y, lam))
        return Workload(name, lambda: logreg(np, d["w"], X, y, lam), lambda: theirs(d["w"]),
                        lambda: ours(d["w"]))
    if name == "rosen_hess":
        ours = wrap(ad.hessian(lambda x: rosen(np, x)))
        theirs = autograd.hessian(lambda x: rosen(agnp, x))  # reverse-over-reverse
        return Workload(name, lambda: rosen(np, d["x"]), lambda: theirs(d["x"]),
                        lambda: ours(d["x"]))
    if name == "tv_hvp":
        ours = wrap(ad.hvp(lambda u: tv(np, u, d["f"])))
        grad_ag = autograd.grad(lambda u: tv(agnp, u, d["f"]))
        theirs = autograd.grad(lambda u, v: agnp.sum(grad_ag(u) * v))  # reverse-over-reverse
        return Workload(name, lambda: tv(np, d["u"], d["f"]), lambda: theirs(d["u"], d["v"]),
                        lambda: ours(d["u"], d["v"]))
    if name == "tv_hvp_replay":
        # Newton-CG's situation: many products at one point.  ad.linearize records the
        # forward-over-reverse evaluation once; each product replays its tangent sweep.
        _, linear_map = ad.linearize(ad.grad(lambda u: tv(np, u, d["f"])), d["u"])
        ours = wrap(linear_map)  # staged: the tangent sweep alone, as generated code
        grad_ag = autograd.grad(lambda u: tv(agnp, u, d["f"]))
        theirs = autograd.grad(lambda u, v: agnp.sum(grad_ag(u) * v))  # reverse-over-reverse
        return Workload(name, lambda: tv(np, d["u"], d["f"]), lambda: theirs(d["u"], d["v"]),
                        lambda: ours(d["v"]))
    if name == "tall_jacfwd":
        X, p = d["X"], d["p"]
        ours = wrap(ad.jacfwd(lambda p: tall(np, p, X)))
        jvp_maker = autograd.make_jvp(lambda p: tall(agnp, p, X))
        basis = np.eye(p.size)

        def theirs():  # autograd has no batched forward mode: one JVP per column
            jvp_at = jvp_maker(p)
            return np.stack([jvp_at(e)[1] for e in basis], axis=1)

        return Workload(name, lambda: tall(np, p, X), theirs, lambda: ours(p))
    raise ValueError(f"unknown workload {name!r}; choose from {', '.join(TARGETS)}")


# --- optional third-party frameworks ----------------------------------------------
def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def add_jax(w: Workload, d: dict) -> None:
    """Attach JAX eager and jit derivatives (float64) on the same inputs."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    a = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in d.items()}
    if w.name == "slides":
        fun, args = jax.grad(lambda x1, x2: slides(jnp, x1, x2), argnums=(0, 1)), (2.0, 5.0)
    elif w.name == "chain":
        fun, args = jax.grad(lambda x: chain(jnp, x)), (a["x"],)
    elif w.name == "tv":
        fun, args = jax.grad(lambda u: tv(jnp, u, a["f"])), (a["u"],)
    elif w.name == "logreg":
        fun = jax.grad(lambda w: logreg(jnp, w, a["X"], a["y"], a["lam"]))
        args = (a["w"],)
    elif w.name == "rosen_hess":
        fun, args = jax.hessian(lambda x: rosen(jnp, x)), (a["x"],)
    elif w.name in ("tv_hvp", "tv_hvp_replay"):
        grad_tv = jax.grad(lambda u: tv(jnp, u, a["f"]))
        fun, args = (lambda u, v: jax.jvp(grad_tv, (u,), (v,))[1]), (a["u"], a["v"])
    else:
        fun, args = jax.jacfwd(lambda p: tall(jnp, p, a["X"])), (a["p"],)
    jitted = jax.jit(fun)
    w.others["JAX eager"] = lambda: jax.block_until_ready(fun(*args))
    w.others["JAX jit"] = lambda: jax.block_until_ready(jitted(*args))


class _TorchNumpy:
    """Just enough of a NumPy namespace over torch for the workloads."""

    def __init__(self, torch):
        self.torch = torch
        self.log, self.sin, self.sqrt = torch.log, torch.sin, torch.sqrt
        self.sum, self.mean = torch.sum, torch.mean

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64)

    def concatenate(self, arrays, axis=0):
        return self.torch.cat(arrays, dim=axis)

    def logaddexp(self, a, b):
        return self.torch.logaddexp(self.torch.as_tensor(a, dtype=self.torch.float64), b)


def add_torch(w: Workload, d: dict) -> None:
    """Attach PyTorch eager derivatives (``torch.func``, float64, one thread)."""
    import torch
    import torch.func

    torch.set_num_threads(1)
    tnp = _TorchNumpy(torch)
    a = {k: torch.as_tensor(v, dtype=torch.float64) if isinstance(v, (np.ndarray, float))
         else v for k, v in d.items()}
    if w.name == "slides":
        fun = torch.func.grad(lambda x1, x2: slides(tnp, x1, x2), argnums=(0, 1))
        args = (a["x1"], a["x2"])
    elif w.name == "chain":
        fun, args = torch.func.grad(lambda x: chain(tnp, x)), (a["x"],)
    elif w.name == "tv":
        fun, args = torch.func.grad(lambda u: tv(tnp, u, a["f"])), (a["u"],)
    elif w.name == "logreg":
        fun = torch.func.grad(lambda w: logreg(tnp, w, a["X"], a["y"], d["lam"]))
        args = (a["w"],)
    elif w.name == "rosen_hess":
        fun, args = torch.func.hessian(lambda x: rosen(tnp, x)), (a["x"],)
    elif w.name in ("tv_hvp", "tv_hvp_replay"):
        grad_tv = torch.func.grad(lambda u: tv(tnp, u, a["f"]))
        fun, args = (lambda u, v: torch.func.jvp(grad_tv, (u,), (v,))[1]), (a["u"], a["v"])
    else:
        fun, args = torch.func.jacfwd(lambda p: tall(tnp, p, a["X"])), (a["p"],)
    w.others["PyTorch eager"] = lambda: fun(*args)


# --- timing ----------------------------------------------------------------------
def time_calls(funs: list[Callable[[], object]], *,
               budget: float) -> tuple[list[float], list[list[float]]]:
    """Seconds per call of each ``fun()``, spending about ``budget`` seconds.

    Like ``timeit``: a sample loops ``number`` calls, with ``number`` chosen per
    function so that a sample lasts at least 20 ms.  Samples are taken in rounds,
    one per function in turn, so that changes of machine load during the run
    affect all functions alike; 7 to 25 rounds fit the budget.

    Returns
    -------
    medians : list of float
        Median seconds per call of each function.
    samples : list of list of float
        Per-round seconds per call (same order), for paired ratios.
    """
    numbers, per_round = [], 0.0
    for fun in funs:
        fun()  # warm-up (caches, lazy imports, JIT compilation)
        start = time.perf_counter()
        fun()
        second = max(time.perf_counter() - start, 1e-9)
        number = max(1, int(0.02 / second))
        numbers.append(number)
        per_round += second * number
    rounds = int(min(25, max(7, budget / per_round)))
    samples: list[list[float]] = [[] for _ in funs]
    for _ in range(rounds):
        for fun, number, out in zip(funs, numbers, samples):
            t0 = time.perf_counter()
            for _ in range(number):
                fun()
            out.append((time.perf_counter() - t0) / number)
    return [statistics.median(s) for s in samples], samples


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median over rounds of ``numerator / denominator`` (robust to load drifts)."""
    return statistics.median(n / d for n, d in zip(numerator, denominator))


def _as_array(result) -> np.ndarray:
    if isinstance(result, (tuple, list)):
        return np.concatenate([np.ravel(np.asarray(r, dtype=float)) for r in result])
    return np.asarray(result, dtype=float)


def measure(name: str, budget: float) -> dict:
    """Check and time workload ``name`` in this process; a JSON-ready summary."""
    data = make_data(name, np.random.default_rng(0))
    w = build(name, data)
    staged = build(name, data, wrap=ad.stage).ours
    ours, staged_out = _as_array(w.ours()), _as_array(staged())
    staged_same = staged_out.shape == ours.shape and bool(
        np.allclose(staged_out, ours, rtol=1e-12, atol=1e-12))
    # The staged code is timed against ours (and f) before any other framework runs in
    # this process: what autograd, JAX or PyTorch allocate and free leaves glibc's heap
    # in a state that moves array workloads by up to 2x either way (module docstring).
    staged_times, staged_samples = time_calls([w.plain, w.ours, staged], budget=budget / 2)
    skipped = []
    for module, attach in (("jax", add_jax), ("torch", add_torch)):
        if _installed(module):
            attach(w, data)
        else:
            skipped.append(module)
    theirs = _as_array(w.autograd())
    same_shape = ours.shape == theirs.shape
    agree = same_shape and bool(np.allclose(ours, theirs, rtol=RTOL, atol=ATOL))
    max_diff = float(np.max(np.abs(ours - theirs), initial=0.0)) if same_shape else None
    others = list(w.others)
    times, samples = time_calls([w.plain, w.autograd, w.ours, *w.others.values()],
                                budget=budget / 2)
    return {
        "name": name, "plain": times[0], "autograd": times[1], "ours": times[2],
        "ratio": paired_ratio(samples[2], samples[1]), "agree": agree, "max_diff": max_diff,
        "staged": staged_times[2],
        "staged_over_f": paired_ratio(staged_samples[2], staged_samples[0]),
        "staged_over_ours": paired_ratio(staged_samples[2], staged_samples[1]),
        "staged_same": staged_same, "others": dict(zip(others, times[3:])), "skipped": skipped,
    }


def measure_in_child(name: str, budget: float, env: dict[str, str]) -> dict:
    """Run :func:`measure` for ``name`` in a fresh interpreter with ``env``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name,
           "--budget", str(budget)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
    raise RuntimeError(f"workload {name} failed (exit code {proc.returncode}):\n{tail}")


# --- main ---------------------------------------------------------------------------
def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2e}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(TARGETS),
                        help="run only these workloads")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="seconds spent timing each workload (all implementations)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every workload in this process (figures then depend on "
                             "the order of the workloads; handy for profiling)")
    parser.add_argument("--pin-malloc", action="store_true",
                        help="fix glibc's mmap/trim thresholds (MALLOC_MMAP_THRESHOLD_, "
                             "MALLOC_TRIM_THRESHOLD_) so that page faults on fresh memory "
                             "drop out of the figures (diagnostic; the anchors were not "
                             "measured that way)")
    parser.add_argument("--child", metavar="NAME", choices=list(TARGETS),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if args.pin_malloc:
        env.update(PINNED_MALLOC)
        if args.in_process and any(os.environ.get(k) != v for k, v in PINNED_MALLOC.items()):
            # glibc reads these variables at start-up only: restart with them set.
            script = str(Path(__file__).resolve())
            os.execve(sys.executable, [sys.executable, script, *sys.argv[1:]], env)

    if args.child:
        print("RESULT " + json.dumps(measure(args.child, args.budget)), flush=True)
        return 0

    names = args.only or list(TARGETS)
    print("AD core benchmark: derivative time in seconds, median of repeats "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"numpy {np.__version__}, autograd {_version('autograd')}, "
          f"{'one process' if args.in_process else 'one process per workload'}"
          f"{', malloc pinned' if args.pin_malloc else ''})")
    for module in sorted(set(FRAMEWORKS.values())):
        if not _installed(module):
            print(f"{module}: skipped: not installed")
    columns = [c for c, module in FRAMEWORKS.items() if _installed(module)]
    print(f"agrees: numpy.allclose(ours, autograd, rtol={RTOL:g}, atol={ATOL:g}) "
          "(max abs difference in brackets)")
    print()
    header = (f"{'workload':<12} {'f alone':>9} {'autograd':>9} {'ours':>9} "
              f"{'ours/ag':>8} {'target':>7} {'reached':>8} {'agrees':>16}")
    header += "".join(f" {c:>14}" for c in columns)
    print(header)
    print("-" * len(header), flush=True)

    failures, disagreements, missed, staged_missed, staged_rows = [], [], [], [], []
    for name in names:
        try:
            r = (measure(name, args.budget) if args.in_process
                 else measure_in_child(name, args.budget, env))
        except Exception as exc:  # report and go on with the other workloads
            print(f"{name:<12} FAILED: {exc}", flush=True)
            failures.append(name)
            continue
        staged_rows.append(r)
        reached = r["ratio"] <= TARGETS[name]
        if not reached:
            missed.append(name)
        if not r["agree"]:
            disagreements.append(name)
        diff = "?" if r["max_diff"] is None else f"{r['max_diff']:.0e}"
        agrees = f"{'yes' if r['agree'] else 'NO'} ({diff})"
        line = (f"{name:<12} {_fmt(r['plain']):>9} {_fmt(r['autograd']):>9} "
                f"{_fmt(r['ours']):>9} {r['ratio']:>8.3f} {TARGETS[name]:>7.2f} "
                f"{'yes' if reached else 'no':>8} {agrees:>16}")
        line += "".join(f" {_fmt(r['others'].get(c)):>14}" for c in columns)
        print(line, flush=True)
    print()
    print("ad.stage (generated code) on the same workloads; staged == unstaged to 1e-12:")
    header2 = (f"{'workload':<12} {'staged':>9} {'staged/f':>9} {'staged/ours':>12} "
               f"{'target':>14} {'reached':>8} {'same':>5}")
    print(header2)
    print("-" * len(header2))
    for r in staged_rows:
        name = r["name"]
        if name in STAGED_OVER_F:
            ratio, target = r["staged_over_f"], STAGED_OVER_F[name]
            label = f"staged/f<={target:g}"
        else:
            ratio, target = r["staged_over_ours"], STAGED_OVER_OURS
            label = f"st/ours<={target:g}"
        ok = ratio <= target
        if not ok:
            staged_missed.append(name)
        if not r["staged_same"]:
            disagreements.append(name + " (staged)")
        print(f"{name:<12} {_fmt(r['staged']):>9} {r['staged_over_f']:>9.2f} "
              f"{r['staged_over_ours']:>12.3f} {label:>14} {'yes' if ok else 'no':>8} "
              f"{'yes' if r['staged_same'] else 'NO':>5}")
        if name == "chain":
            torch_time = r["others"].get("PyTorch eager")
            if torch_time is None:
                print("  staged chain vs PyTorch eager: skipped (torch not installed)")
            else:
                speedup = torch_time / r["staged"]
                print(f"  staged chain vs PyTorch eager: {speedup:.1f}x faster "
                      f"(target >= {STAGED_VS_TORCH:g}x: "
                      f"{'yes' if speedup >= STAGED_VS_TORCH else 'no'})")
    print()
    print(f"derivatives agree with autograd: "
          f"{'yes' if not disagreements else 'NO: ' + ', '.join(disagreements)}; "
          f"targets reached: {len(names) - len(missed) - len(failures)}/{len(names)}"
          + (f" (missed: {', '.join(missed)})" if missed else "")
          + (f"; failed: {', '.join(failures)}" if failures else "")
          + f"; staged targets reached: {len(staged_rows) - len(staged_missed)}/"
            f"{len(staged_rows)}" + (f" (missed: {', '.join(staged_missed)})"
                                     if staged_missed else ""))
    return 1 if failures or disagreements else 0


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
