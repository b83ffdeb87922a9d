"""Forward-mode transforms: jvp, linearize, jacfwd; and those built on both modes:
jacobian, hessian (forward-over-reverse) and hvp."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from ._arguments import (
    argnums_tuple,
    as_float_leaf,
    cast_like,
    check_dense_size,
    check_holomorphic_inputs,
    check_real_output,
    dtype_of,
    float_dtype_of,
    same_shape,
)
from ._forward import ForwardTrace, ForwardTracer, LinearizeTrace, LinearizeTracer
from ._gc import gc_paused
from ._pytree import tree_flatten, tree_unflatten
from ._reverse_transforms import grad, jacrev
from ._shapes import shape_of
from ._tracer import Tracer, base_value, new_level

__all__ = ["jvp", "linearize", "jacfwd", "jacobian", "hessian", "hvp"]

#: Directions pushed per forward sweep of jacfwd/hessian.  A batch whose tangents of
#: the input stay under ``FORWARD_BATCH_ELEMENTS`` (128 KiB of float64: glibc's
#: default mmap threshold) is allocated from the heap and reused across the sweep's
#: temporaries instead of being page-faulted in afresh, which measured ~2x faster
#: on Hessians of a few hundred variables; at least ``FORWARD_MIN_BATCH`` directions
#: go per sweep so the per-operation overhead stays amortised, and at most
#: ``FORWARD_MAX_ELEMENTS`` tangent entries bound the memory.
FORWARD_BATCH_ELEMENTS = 2**14
FORWARD_MIN_BATCH = 64
FORWARD_MAX_ELEMENTS = 2**24


def output_tangent(out, trace, k):
    """(primal, batched tangent) of an output of a forward trace (zeros if constant)."""
    if isinstance(out, ForwardTracer) and out._trace is trace:
        return out.primal, cast_like(out.tangent, out.primal)
    return out, np.zeros((k,) + shape_of(out), dtype=float_dtype_of(out))


def _batched_tangents(p_leaves, t_leaves, where):
    batched = []
    for p, t in zip(p_leaves, t_leaves):
        same_shape(t, p, where)
        if not isinstance(t, Tracer):
            if np.iscomplexobj(t) and not np.iscomplexobj(base_value(p)):
                raise TypeError(f"{where}: a complex tangent for a real input (dtype "
                                f"{dtype_of(p)}); pass the input as "
                                "complex, x.astype(complex), to move it off the real line")
            t = np.asarray(t, dtype=float_dtype_of(p))
        batched.append(np.reshape(t, (1,) + shape_of(t)))
    return batched


@gc_paused
def jvp(f: Callable, primals: Sequence, tangents: Sequence):
    """Jacobian-vector product of ``f`` at ``primals`` along ``tangents`` (forward mode).

    Parameters
    ----------
    f : callable
        Function of ``len(primals)`` positional arguments (pytrees allowed).
    primals, tangents : tuple
        Points and directions, with matching structures and shapes.

    Returns
    -------
    out, out_tangent
        ``f(*primals)`` and ``J @ tangents`` with the structure (and floating dtype)
        of the output.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.jvp(np.sin, (0.0,), (2.0,))
    (np.float64(0.0), np.float64(2.0))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError("jvp: primals and tangents must have the same length")
    p_leaves, p_td = tree_flatten(primals)
    t_leaves, t_td = tree_flatten(tangents)
    if p_td != t_td:
        raise ValueError("jvp: tangents must have the same structure as primals")
    p_leaves = [as_float_leaf(p, "jvp") for p in p_leaves]
    batched = _batched_tangents(p_leaves, t_leaves, "jvp")
    trace = ForwardTrace(new_level())
    wrapped = [ForwardTracer(trace, p, t) for p, t in zip(p_leaves, batched)]
    out_leaves, out_td = tree_flatten(f(*tree_unflatten(p_td, wrapped)))
    outs, tans = [], []
    for o in out_leaves:
        primal, tangent = output_tangent(o, trace, 1)
        outs.append(primal)
        tans.append(tangent[0])
    return tree_unflatten(out_td, outs), tree_unflatten(out_td, tans)


@gc_paused
def linearize(f: Callable, *primals):
    """Evaluate ``f`` once and return its value and its linear map (JAX's ``linearize``).

    The evaluation is recorded; ``f_jvp(*tangents)`` then pushes tangents through
    the recorded values only, without evaluating ``f`` again.  Use it when many
    Jacobian-vector products are needed at one point, e.g. Hessian-vector products
    in Newton-CG: ``_, hvp_at_x = ad.linearize(ad.grad(f), x)``.

    Returns
    -------
    out : pytree
        ``f(*primals)``.
    f_jvp : callable
        ``f_jvp(*tangents) -> J @ tangents`` with the output's structure.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> y, f_jvp = ad.linearize(lambda x: np.sin(x) * x, np.array([0.5, 1.0]))
    >>> np.allclose(f_jvp(np.array([1.0, 0.0])), [np.cos(0.5) * 0.5 + np.sin(0.5), 0.0])
    True
    """
    p_leaves, p_td = tree_flatten(tuple(primals))
    p_leaves = [as_float_leaf(p, "linearize") for p in p_leaves]
    trace = LinearizeTrace(new_level())
    wrapped = [trace.new_input(p) for p in p_leaves]
    out_leaves, out_td = tree_flatten(f(*tree_unflatten(p_td, wrapped)))
    traced = [isinstance(o, LinearizeTracer) and o._trace is trace for o in out_leaves]
    values = [o.primal if t else o for o, t in zip(out_leaves, traced)]

    @gc_paused
    def f_jvp(*tangents):
        t_leaves, t_td = tree_flatten(tuple(tangents))
        if t_td != p_td:
            raise ValueError("linearize: tangents must have the structure of the primals")
        batched = _batched_tangents(p_leaves, t_leaves, "linearize")
        indices = [o.index for o, t in zip(out_leaves, traced) if t]
        replayed = iter(trace.replay(batched, indices))
        result = []
        for v, t in zip(values, traced):
            tangent = next(replayed) if t else None
            if tangent is None:
                tangent = np.zeros((1,) + shape_of(v), dtype=float_dtype_of(v))
            result.append(cast_like(tangent[0], v))
        return tree_unflatten(out_td, result)

    return tree_unflatten(out_td, values), f_jvp


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0,
           holomorphic: bool = False) -> Callable:
    """Jacobian by forward mode: all input directions pushed in one batched sweep.

    ``jacfwd(f)(x).shape == out.shape + x.shape``.  Best for tall Jacobians (more
    outputs than inputs).  Large inputs are processed in chunks of directions: ``f``
    is then evaluated once and its recorded operations are replayed for each chunk
    (as :func:`linearize` does), which keeps its intermediate values for the
    duration of the call, as reverse mode keeps its tape.  With a tuple ``argnums``
    and pytree outputs the result nests as in JAX: output structure outside, a tuple
    over ``argnums`` inside.  Complex inputs need
    ``holomorphic=True`` (then the entries are ``df_i/dz_j``), as in JAX.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    @functools.wraps(f)
    @gc_paused
    def jac_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), "jacfwd")
        per_arg = [_jacfwd_one(f, args, kwargs, n, holomorphic) for n in nums]
        out_td = per_arg[0][0]
        if isinstance(argnums, int):
            return tree_unflatten(out_td, per_arg[0][1])
        per_out = [tuple(results[j] for _, results in per_arg)
                   for j in range(len(per_arg[0][1]))]
        return tree_unflatten(out_td, per_out)

    return jac_f


def _basis_batch(leaves, sizes, offsets, start, k, dtype):
    """Tangents of the leaves for directions ``start .. start + k`` of the basis."""
    batched = []
    rows = np.arange(k)
    for x, lo, size in zip(leaves, offsets[:-1], sizes):
        basis = np.zeros((k, size), dtype=dtype)
        cols = rows + start - lo
        hit = (cols >= 0) & (cols < size)
        basis[rows[hit], cols[hit]] = 1
        batched.append(basis.reshape((k,) + shape_of(x)))
    return batched


def _swept(f, args, kwargs, n, td, leaves, basis, chunks, check):
    """One forward sweep of ``f`` per chunk of directions: (out treedef, values, tangents).

    ``check(values)`` runs once the output values are known, before the next chunk.
    """
    pieces, out_td, out_values = [], None, None
    for start, k in chunks:
        trace = ForwardTrace(new_level())
        wrapped = [ForwardTracer(trace, p, t) for p, t in zip(leaves, basis(start, k))]
        a = list(args)
        a[n] = tree_unflatten(td, wrapped)
        out_leaves, out_td = tree_flatten(f(*a, **kwargs))
        results = [output_tangent(o, trace, k) for o in out_leaves]
        if out_values is None:
            out_values = [v for v, _ in results]
            check(out_values)
        pieces.append([t for _, t in results])
    return out_td, out_values, pieces


def _replayed(f, args, kwargs, n, td, leaves, basis, chunks, check):
    """:func:`_swept` for several chunks: ``f`` is evaluated (and its Python run) once,
    recorded by :class:`LinearizeTrace`, and each chunk of directions is replayed."""
    trace = LinearizeTrace(new_level())
    a = list(args)
    a[n] = tree_unflatten(td, [trace.new_input(p) for p in leaves])
    out_leaves, out_td = tree_flatten(f(*a, **kwargs))
    traced = [isinstance(o, LinearizeTracer) and o._trace is trace for o in out_leaves]
    out_values = [o.primal if t else o for o, t in zip(out_leaves, traced)]
    check(out_values)
    indices = [o.index for o, t in zip(out_leaves, traced) if t]
    pieces = []
    for start, k in chunks:
        replayed = iter(trace.replay(basis(start, k), indices))
        tangents = []
        for v, t in zip(out_values, traced):
            tangent = next(replayed) if t else None
            if tangent is None:
                tangent = np.zeros((k,) + shape_of(v), dtype=float_dtype_of(v))
            tangents.append(cast_like(tangent, v))
        pieces.append(tangents)
    return out_td, out_values, pieces


def _jacfwd_one(f, args, kwargs, n, holomorphic=False):
    """(output treedef, [Jacobian of each output leaf w.r.t. argument n, as a pytree])."""
    leaves, td = tree_flatten(args[n])
    leaves = [as_float_leaf(x, "jacfwd") for x in leaves]
    check_holomorphic_inputs(leaves, "jacfwd", holomorphic)
    sizes = [math.prod(shape_of(x)) for x in leaves]
    total = sum(sizes)
    dtype = np.result_type(*[base_value(x) for x in leaves]) if leaves else np.float64
    size = max(total, 1)
    chunk = max(1, min(size, max(FORWARD_MIN_BATCH, FORWARD_BATCH_ELEMENTS // size),
                       FORWARD_MAX_ELEMENTS // size))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    chunks = [(start, min(start + chunk, total) - start if total else 1)
              for start in range(0, size, chunk)]

    def check(out_values):
        if holomorphic:
            for v in out_values:
                check_real_output(v, "jacfwd", True)
        n_out = sum(math.prod(shape_of(v)) for v in out_values)
        check_dense_size(n_out, total, np.dtype(dtype).itemsize, "the Jacobian",
                         "use ad.jvp or ad.vjp products instead")

    sweeps = _replayed if len(chunks) > 1 else _swept
    out_td, out_values, pieces = sweeps(
        f, args, kwargs, n, td, leaves,
        lambda start, k: _basis_batch(leaves, sizes, offsets, start, k, dtype), chunks, check)
    jacobians = []
    for j, value in enumerate(out_values):
        oshape = shape_of(value)
        tangent = pieces[0][j] if len(pieces) == 1 else np.concatenate([p[j] for p in pieces])
        tangent = np.moveaxis(tangent[:total], 0, -1)  # (total,) + oshape -> oshape + (total,)
        per_leaf = [np.reshape(tangent[..., lo:lo + s], oshape + shape_of(x))
                    for x, lo, s in zip(leaves, offsets[:-1], sizes)]
        jacobians.append(tree_unflatten(td, per_leaf))
    return out_td, jacobians


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, mode: str = "auto",
             holomorphic: bool = False) -> Callable:
    """Jacobian of ``f``, choosing forward or reverse mode.

    Parameters
    ----------
    mode : {"auto", "fwd", "rev"}
        ``"auto"`` uses forward mode when the output has more entries than the
        differentiated inputs (a tall Jacobian) and reverse mode otherwise; it
        evaluates ``f`` once more to count the outputs.
    holomorphic : bool
        Complex-differentiable ``f`` of complex inputs: entries ``df_i/dz_j``.
    """
    if mode not in ("auto", "fwd", "rev", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'fwd' or 'rev', got {mode!r}")
    fwd, rev = jacfwd(f, argnums, holomorphic), jacrev(f, argnums, holomorphic)
    if mode in ("fwd", "forward"):
        return fwd
    if mode in ("rev", "reverse"):
        return rev

    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), "jacobian")
        n_in = sum(math.prod(shape_of(x)) for n in nums for x in tree_flatten(args[n])[0])
        out = f(*args, **kwargs)
        n_out = sum(math.prod(shape_of(o)) for o in tree_flatten(out)[0])
        return (fwd if n_out > n_in else rev)(*args, **kwargs)

    return jac_f


def hessian(f: Callable, argnums: int | Sequence[int] = 0,
            holomorphic: bool = False) -> Callable:
    """Hessian by forward-over-reverse: ``jacfwd(grad(f))``.

    ``hessian(f)(x).shape == x.shape + x.shape``; all n directions go through one
    batched forward sweep of the gradient computation.  With a tuple ``argnums``
    the result is ``H[i][j] = d^2 f / dx_i dx_j`` as in JAX.  Raises ``MemoryError``
    (suggesting :func:`hvp`) when the dense Hessian would be too large.  A real
    function of complex inputs has no complex Hessian matrix: use :func:`hvp` (which
    accepts complex inputs) or ``holomorphic=True`` for a holomorphic ``f``.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    jac_of_grad = jacfwd(grad(f, argnums, holomorphic=holomorphic), argnums, holomorphic)

    @functools.wraps(f)
    @gc_paused
    def hess_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), "hessian")
        leaves = [x for n in nums for x in tree_flatten(args[n])[0]]
        n_in = sum(math.prod(shape_of(x)) for x in leaves)
        itemsize = np.result_type(*[base_value(x) for x in leaves]).itemsize if leaves else 8
        check_dense_size(n_in, n_in, max(itemsize, 4), "the Hessian",
                         "use ad.hvp(f)(x, v) for Hessian-vector products instead")
        return jac_of_grad(*args, **kwargs)

    return hess_f


def hvp(f: Callable, argnums: int = 0) -> Callable:
    """Hessian-vector product by forward-over-reverse, in SciPy's ``hessp`` order.

    Returns ``h(x, v, *args)`` computing ``H(x) @ v`` where H is the Hessian of
    ``f`` in its argument ``argnums`` (``x``) and ``args`` are the remaining
    arguments; ``v`` has the structure of ``x``.  No Hessian is formed: the cost
    is a small constant times a gradient.  For many products at one ``x``, use
    ``ad.linearize(ad.grad(f), x)`` and call its linear map.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> h = ad.hvp(lambda x: np.sum(x ** 3))
    >>> h(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    if not isinstance(argnums, int):
        raise TypeError("hvp: argnums must be a single int")
    g = grad(f, argnums)

    @functools.wraps(f)
    @gc_paused
    def hvp_f(x, v, *args, **kwargs):
        def grad_at(y):
            full = list(args)
            full.insert(argnums, y)
            return g(*full, **kwargs)

        return jvp(grad_at, (x,), (v,))[1]

    return hvp_f
