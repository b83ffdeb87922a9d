"""The transforms: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, jacobian,
hessian, hvp and checkpoint."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from ._forward import ForwardTrace, ForwardTracer
from ._pytree import tree_flatten, tree_unflatten
from ._reverse import ReverseTrace, ReverseTracer
from ._tracer import Primitive, Tracer, VJPsForEveryOperand, base_value, new_level, shape_of

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "jacobian",
           "hessian", "hvp", "checkpoint"]

#: Largest Jacobian/Hessian (in bytes) that jacfwd/jacrev/hessian will build.
MAX_DENSE_BYTES = 2 * 1024**3
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


# --- argument handling ---------------------------------------------------------------
def _as_float_leaf(x, where: str):
    """Validate a differentiated leaf: floating arrays and scalars only."""
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype == bool):
        raise TypeError(f"{where}: cannot differentiate with respect to a boolean input")
    if isinstance(x, (int, np.integer)) or (
            isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.integer)):
        kind = type(x).__name__ if not isinstance(x, np.ndarray) else f"{x.dtype} array"
        raise TypeError(
            f"{where}: input is an integer ({kind}); derivatives need floating-point inputs. "
            "Pass x.astype(float) or a float literal such as 2.0.")
    if isinstance(x, float) and not isinstance(x, np.floating):
        return np.float64(x)
    if isinstance(x, (np.ndarray, np.floating)):
        if not np.issubdtype(x.dtype, np.inexact):
            raise TypeError(f"{where}: input of dtype {x.dtype} cannot be differentiated")
        return x
    if isinstance(x, (list, tuple)):
        raise TypeError(f"{where}: internal error, unexpected container leaf")
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.inexact):
        raise TypeError(f"{where}: input of type {type(x).__name__} cannot be differentiated")
    return arr


def _argnums_tuple(argnums, nargs: int, where: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"{where}: argnums={argnums} but the function got {nargs} arguments")
    return tuple(n % nargs for n in nums)


def _cast_like(value, like):
    """Return ``value`` with the floating dtype of ``like`` (tracers are left alone)."""
    if isinstance(value, Tracer) or isinstance(like, Tracer):
        return value
    dtype = np.result_type(like)
    if np.result_type(value) != dtype:
        value = np.asarray(value).astype(dtype)
    return value


def _zeros_like(x):
    v = base_value(x)
    return np.zeros(np.shape(v), dtype=np.result_type(v))


# --- reverse mode ------------------------------------------------------------------------
def _reverse_call(f, args, argnums, where, kwargs):
    """Evaluate ``f`` on a fresh reverse trace; return (trace, out, wrapped leaves, treedefs)."""
    trace = ReverseTrace(new_level())
    args = list(args)
    inputs, treedefs = [], []
    for n in argnums:
        leaves, td = tree_flatten(args[n])
        wrapped = [trace.new_input(_as_float_leaf(x, where)) for x in leaves]
        inputs.append(wrapped)
        treedefs.append(td)
        args[n] = tree_unflatten(td, wrapped)
    return trace, f(*args, **kwargs), inputs, treedefs


def _sweep(trace, out, cotangent, inputs, treedefs, consume=False):
    """Backward sweep from ``out``; adjoints per differentiated argument (pytrees)."""
    flat = [x for group in inputs for x in group]
    if isinstance(out, ReverseTracer) and out._trace is trace:
        adjoints = trace.backward(out, cotangent, flat, consume=consume)
    else:
        adjoints = [None] * len(flat)
    results, pos = [], 0
    for group, td in zip(inputs, treedefs):
        leaves = []
        for x in group:
            a = adjoints[pos]
            pos += 1
            leaves.append(_zeros_like(x.primal) if a is None else _cast_like(a, x.primal))
        results.append(tree_unflatten(td, leaves))
    return results


def _primal_out(out, trace):
    return out.primal if isinstance(out, ReverseTracer) and out._trace is trace else out


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Callable:
    """Return a function computing ``f``'s value and gradient in one reverse sweep.

    Parameters
    ----------
    f : callable
        Function returning a scalar (or ``(scalar, aux)`` when ``has_aux``).
    argnums : int or tuple of int, optional
        Positional argument(s) to differentiate; a tuple gives a tuple of gradients.
    has_aux : bool, optional
        ``f`` returns ``(value, aux)``; ``aux`` is returned alongside, undifferentiated.

    Returns
    -------
    callable
        ``(*args) -> (value, grad)`` or ``((value, aux), grad)``; gradients have
        the structure and floating dtype of their arguments.  Plugs into
        ``scipy.optimize.minimize(..., jac=True)``.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> value, g = ad.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> float(value), g
    (5.0, array([2., 4.]))
    """
    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "value_and_grad")
        trace, out, inputs, treedefs = _reverse_call(f, args, nums, "grad", kwargs)
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("has_aux=True needs f to return a pair (value, aux)")
            out, aux = out
        value = _primal_out(out, trace)
        if shape_of(value) != ():
            raise TypeError(
                f"grad requires a scalar output, but f returned shape {shape_of(value)}; "
                "use ad.jacobian / ad.jacrev for the full Jacobian or ad.vjp for a "
                "vector-Jacobian product")
        if not np.issubdtype(np.result_type(base_value(value)), np.inexact):
            raise TypeError("grad requires a floating-point output")
        seed = np.ones((), dtype=np.result_type(base_value(value)))[()]
        grads = _sweep(trace, out, seed, inputs, treedefs, consume=True)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        if has_aux:
            return (value, aux), g
        return value, g

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return a function computing the gradient of scalar-valued ``f`` (reverse mode).

    Parameters
    ----------
    f : callable
        Function of arrays/pytrees returning a scalar.
    argnums : int or tuple of int, optional
        Which positional arguments to differentiate.
    has_aux : bool, optional
        ``f`` returns ``(value, aux)``; the gradient function returns ``(grad, aux)``.

    Returns
    -------
    callable
        Same signature as ``f``, returning the gradient (same structure and dtype
        as the differentiated argument).

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> f = lambda x1, x2: np.log(x1) + x1 * x2 - np.sin(x2)
    >>> ad.grad(f, argnums=(0, 1))(2.0, 5.0)
    (np.float64(5.5), np.float64(1.7163378145367738))
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        out, g = vg(*args, **kwargs)
        return (g, out[1]) if has_aux else g

    return grad_f


def vjp(f: Callable, *primals, has_aux: bool = False):
    """Evaluate ``f(*primals)`` and return its vector-Jacobian product function.

    Returns
    -------
    out : pytree
        ``f(*primals)``.
    vjp_fn : callable
        ``vjp_fn(cotangent) -> tuple`` of cotangents, one per primal, each with
        that primal's structure.  May be called many times (the tape is reused).
    """
    trace, out, inputs, treedefs = _reverse_call(
        f, primals, tuple(range(len(primals))), "vjp", {})
    if has_aux:
        out, aux = out
    out_leaves, out_td = tree_flatten(out)

    def vjp_fn(cotangent):
        ct_leaves, ct_td = tree_flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise ValueError("vjp_fn: cotangent structure does not match the output")
        total = None
        for o, ct in zip(out_leaves, ct_leaves):
            if np.shape(base_value(ct)) != shape_of(_primal_out(o, trace)):
                raise ValueError(
                    f"vjp_fn: cotangent of shape {np.shape(base_value(ct))} for an output of shape "
                    f"{shape_of(_primal_out(o, trace))}")
            grads = _sweep(trace, o, ct, inputs, treedefs)
            total = grads if total is None else [
                tree_unflatten(tree_flatten(a)[1],
                               [x + y for x, y in zip(tree_flatten(a)[0], tree_flatten(b)[0])])
                for a, b in zip(total, grads)]
        return tuple(total)

    primal_out = tree_unflatten(out_td, [_primal_out(o, trace) for o in out_leaves])
    return (primal_out, vjp_fn, aux) if has_aux else (primal_out, vjp_fn)


# --- forward mode -------------------------------------------------------------------------
def _unwrap_forward(out, trace, k):
    if isinstance(out, ForwardTracer) and out._trace is trace:
        return out.primal, out.tangent
    v = base_value(out) if not isinstance(out, Tracer) else out
    shape = shape_of(out)
    dtype = np.result_type(base_value(out))
    dtype = dtype if np.issubdtype(dtype, np.inexact) else np.float64
    return out, np.zeros((k,) + shape, dtype=dtype) if v is not None else None


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
        ``f(*primals)`` and ``J @ tangents`` with the structure of the output.

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
    p_leaves = [_as_float_leaf(p, "jvp") for p in p_leaves]
    batched = []
    for p, t in zip(p_leaves, t_leaves):
        if shape_of(t) != shape_of(p):
            raise ValueError(
                f"jvp: tangent shape {shape_of(t)} does not match primal {shape_of(p)}")
        t = t if isinstance(t, Tracer) else np.asarray(t, dtype=np.result_type(base_value(p)))
        batched.append(np.reshape(t, (1,) + shape_of(t)))
    out_leaves, out_td, trace = _run_forward(f, p_leaves, p_td, batched, 1)
    outs, tans = [], []
    for o in out_leaves:
        primal, tangent = _unwrap_forward(o, trace, 1)
        outs.append(primal)
        tans.append(tangent[0])
    return tree_unflatten(out_td, outs), tree_unflatten(out_td, tans)


def _run_forward(f, p_leaves, p_td, batched, k):
    trace = ForwardTrace(new_level())
    wrapped = [ForwardTracer(trace, p, t) for p, t in zip(p_leaves, batched)]
    out = f(*tree_unflatten(p_td, wrapped))
    out_leaves, out_td = tree_flatten(out)
    return out_leaves, out_td, trace


def _check_dense_size(n_out: int, n_in: int, itemsize: int, what: str, hint: str):
    size = n_out * n_in * itemsize
    if size > MAX_DENSE_BYTES:
        raise MemoryError(
            f"{what} would have {n_out} x {n_in} entries ({size / 2**30:.1f} GiB); {hint}")


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Jacobian by forward mode: all input directions pushed in one batched sweep.

    ``jacfwd(f)(x).shape == out.shape + x.shape``.  Best for tall Jacobians (more
    outputs than inputs).  Very large inputs are processed in chunks of directions.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "jacfwd")
        results = [_jacfwd_one(f, args, kwargs, n) for n in nums]
        return results[0] if isinstance(argnums, int) else tuple(results)

    return jac_f


def _jacfwd_one(f, args, kwargs, n):
    leaves, td = tree_flatten(args[n])
    leaves = [_as_float_leaf(x, "jacfwd") for x in leaves]
    sizes = [math.prod(shape_of(x)) for x in leaves]
    total = sum(sizes)
    dtype = np.result_type(*[base_value(x) for x in leaves]) if leaves else np.float64
    size = max(total, 1)
    chunk = max(1, min(size, max(FORWARD_MIN_BATCH, FORWARD_BATCH_ELEMENTS // size),
                       FORWARD_MAX_ELEMENTS // size))

    def call(*leaves_in):
        a = list(args)
        a[n] = tree_unflatten(td, leaves_in)
        return f(*a, **kwargs)

    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    pieces, out_td, out_shapes = [], None, None
    for start in range(0, max(total, 1), chunk):
        stop = min(start + chunk, total)
        k = stop - start
        batched = []
        for x, lo, size in zip(leaves, offsets[:-1], sizes):
            basis = np.zeros((k, size), dtype=dtype)
            rows = np.arange(k)
            cols = rows + start - lo
            hit = (cols >= 0) & (cols < size)
            basis[rows[hit], cols[hit]] = 1
            batched.append(basis.reshape((k,) + shape_of(x)))
        trace = ForwardTrace(new_level())
        wrapped = [ForwardTracer(trace, p, t) for p, t in zip(leaves, batched)]
        out_leaves, out_td = tree_flatten(call(*wrapped))
        if out_shapes is None:
            out_shapes = [shape_of(_unwrap_forward(o, trace, k)[0]) for o in out_leaves]
            n_out = sum(math.prod(s) for s in out_shapes)
            _check_dense_size(n_out, total, np.dtype(dtype).itemsize, "the Jacobian",
                              "use ad.jvp or ad.vjp products instead")
        pieces.append([_unwrap_forward(o, trace, k)[1] for o in out_leaves])
    outs = []
    for j, oshape in enumerate(out_shapes):
        tangent = pieces[0][j] if len(pieces) == 1 else np.concatenate([p[j] for p in pieces], 0)
        # tangent: (total,) + oshape -> oshape + (total,), then split per input leaf.
        tangent = np.moveaxis(tangent, 0, -1)
        per_leaf = [
            np.reshape(tangent[..., lo:lo + size], oshape + shape_of(x))
            for x, lo, size in zip(leaves, offsets[:-1], sizes)
        ]
        outs.append(tree_unflatten(td, per_leaf))
    return tree_unflatten(out_td, outs)


def jacrev(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Jacobian by reverse mode: one backward sweep of a single tape per output entry.

    ``jacrev(f)(x).shape == out.shape + x.shape``.  Best for wide Jacobians (fewer
    outputs than inputs).
    """
    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        trace, out, inputs, treedefs = _reverse_call(f, args, nums, "jacrev", kwargs)
        out_leaves, out_td = tree_flatten(out)
        n_in = sum(math.prod(shape_of(x.primal)) for g in inputs for x in g)
        results_per_out = []
        for o in out_leaves:
            value = _primal_out(o, trace)
            oshape = shape_of(value)
            m = math.prod(oshape)
            _check_dense_size(m, n_in, np.result_type(base_value(value)).itemsize,
                              "the Jacobian", "use ad.vjp or ad.jvp products instead")
            rows = []
            seed_dtype = np.result_type(base_value(value))
            for i in range(m):
                seed = np.zeros(m, dtype=seed_dtype)
                seed[i] = 1
                rows.append(_sweep(trace, o, seed.reshape(oshape), inputs, treedefs))
            per_arg = []
            for a, (group, td) in enumerate(zip(inputs, treedefs)):
                leaves_rows = [tree_flatten(r[a])[0] for r in rows]
                per_leaf = []
                for j, x in enumerate(group):
                    xs = shape_of(x.primal)
                    stacked = np.stack([lr[j] for lr in leaves_rows]) if m else np.zeros((0,) + xs)
                    per_leaf.append(np.reshape(stacked, oshape + xs))
                per_arg.append(tree_unflatten(td, per_leaf))
            results_per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        return tree_unflatten(out_td, results_per_out)

    return jac_f


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, mode: str = "auto") -> Callable:
    """Jacobian of ``f``, choosing forward or reverse mode.

    Parameters
    ----------
    mode : {"auto", "fwd", "rev"}
        ``"auto"`` uses forward mode when the output has more entries than the
        differentiated inputs (a tall Jacobian) and reverse mode otherwise; it
        evaluates ``f`` once more to count the outputs.
    """
    if mode not in ("auto", "fwd", "rev", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'fwd' or 'rev', got {mode!r}")
    fwd, rev = jacfwd(f, argnums), jacrev(f, argnums)
    if mode in ("fwd", "forward"):
        return fwd
    if mode in ("rev", "reverse"):
        return rev

    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "jacobian")
        n_in = sum(math.prod(shape_of(x)) for n in nums for x in tree_flatten(args[n])[0])
        out = f(*args, **kwargs)
        n_out = sum(math.prod(shape_of(o)) for o in tree_flatten(out)[0])
        return (fwd if n_out > n_in else rev)(*args, **kwargs)

    return jac_f


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Hessian by forward-over-reverse: ``jacfwd(grad(f))``.

    ``hessian(f)(x).shape == x.shape + x.shape``; all n directions go through one
    batched forward sweep of the gradient computation.  Raises ``MemoryError``
    (suggesting :func:`hvp`) when the dense Hessian would be too large.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    @functools.wraps(f)
    def hess_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "hessian")
        n_in = sum(math.prod(shape_of(x)) for n in nums for x in tree_flatten(args[n])[0])
        leaves = [x for n in nums for x in tree_flatten(args[n])[0]]
        itemsize = np.result_type(*[base_value(x) for x in leaves]).itemsize if leaves else 8
        _check_dense_size(n_in, n_in, max(itemsize, 4), "the Hessian",
                          "use ad.hvp(f)(x, v) for Hessian-vector products instead")
        return jacfwd(grad(f, argnums), argnums)(*args, **kwargs)

    return hess_f


def hvp(f: Callable, argnums: int = 0) -> Callable:
    """Hessian-vector product by forward-over-reverse, in SciPy's ``hessp`` order.

    Returns ``h(x, v, *args)`` computing ``H(x) @ v`` where H is the Hessian of
    ``f`` in its argument ``argnums`` (``x``) and ``args`` are the remaining
    arguments; ``v`` has the structure of ``x``.  No Hessian is formed: the cost
    is a small constant times a gradient.

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
    def hvp_f(x, v, *args, **kwargs):
        def grad_at(y):
            full = list(args)
            full.insert(argnums, y)
            return g(*full, **kwargs)

        return jvp(grad_at, (x,), (v,))[1]

    return hvp_f


# --- checkpointing ---------------------------------------------------------------------------
def checkpoint(f: Callable) -> Callable:
    """Recompute ``f`` in the backward sweep instead of storing its intermediates.

    Under reverse mode the call to ``f`` is recorded as one tape entry; its
    internal values are discarded and recomputed when the sweep reaches it.  ``f``
    takes arrays as positional arguments and returns one array.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> step = ad.checkpoint(lambda x: np.sin(x) + 0.5 * x)
    >>> round(float(ad.grad(lambda x: np.sum(step(step(x))))(np.array(1.0))), 4)
    0.7566
    """
    prim = Primitive(f, name=f"checkpoint({getattr(f, '__name__', 'f')})")

    def maker_for(i):
        def maker(ans, *args):
            return lambda g: vjp(f, *args)[1](g)[i]
        return maker

    def joint_jvp(tangents, ans, *args):
        k = next(shape_of(t)[0] for t in tangents if t is not None)
        full = [np.zeros((k,) + shape_of(a), dtype=np.result_type(base_value(ans))) if t is None
                else t for t, a in zip(tangents, args)]
        trace = ForwardTrace(new_level())
        out = f(*[ForwardTracer(trace, a, t) for a, t in zip(args, full)])
        return _unwrap_forward(out, trace, k)[1]

    prim.vjps = VJPsForEveryOperand(maker_for)
    prim.jvp_joint = joint_jvp
    return functools.wraps(f)(lambda *args: prim(*args))
