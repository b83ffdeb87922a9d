"""Reverse-mode transforms: grad, value_and_grad, vjp and jacrev."""

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
    zeros_like,
)
from ._gc import gc_paused
from ._pytree import tree_flatten, tree_unflatten
from ._reverse import ReverseTrace, ReverseTracer
from ._shapes import shape_of
from ._tracer import base_value, new_level

__all__ = ["grad", "value_and_grad", "vjp", "jacrev"]


def reverse_call(f, args, argnums, where, kwargs):
    """Evaluate ``f`` on a fresh reverse trace; return (trace, out, wrapped leaves, treedefs)."""
    trace = ReverseTrace(new_level())
    args = list(args)
    inputs, treedefs = [], []
    for n in argnums:
        leaves, td = tree_flatten(args[n])
        wrapped = [trace.new_input(as_float_leaf(x, where)) for x in leaves]
        inputs.append(wrapped)
        treedefs.append(td)
        args[n] = tree_unflatten(td, wrapped)
    return trace, f(*args, **kwargs), inputs, treedefs


def _on_trace(out, trace) -> bool:
    return isinstance(out, ReverseTracer) and out._trace is trace


def sweep(trace, seeds, inputs, treedefs, consume=False):
    """Backward sweep from ``seeds`` ((output, cotangent) pairs); adjoints per argument."""
    seeds = [(o.index, ct) for o, ct in seeds if _on_trace(o, trace)]
    flat = [x for group in inputs for x in group]
    if seeds:
        adjoints = trace.backward(seeds, [x.index for x in flat], consume=consume)
    else:
        adjoints = [None] * len(flat)
    results, pos = [], 0
    for group, td in zip(inputs, treedefs):
        leaves = []
        for x in group:
            a = adjoints[pos]
            pos += 1
            leaves.append(zeros_like(x.primal) if a is None else cast_like(a, x.primal))
        results.append(tree_unflatten(td, leaves))
    return results


def primal_out(out, trace):
    return out.primal if _on_trace(out, trace) else out


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """Return a function computing ``f``'s value and gradient in one reverse sweep.

    Parameters
    ----------
    f : callable
        Function returning a real scalar (or ``(scalar, aux)`` when ``has_aux``).
    argnums : int or tuple of int, optional
        Positional argument(s) to differentiate; a tuple gives a tuple of gradients.
    has_aux : bool, optional
        ``f`` returns ``(value, aux)``; ``aux`` is returned alongside, undifferentiated.
    holomorphic : bool, optional
        ``f`` is a complex-differentiable function of complex inputs with a complex
        output; the result is the complex derivative ``f'(z)``.  Without it, a complex
        output is an error and complex inputs of a real ``f`` get the gradient
        ``df/dx - i df/dy`` (see :mod:`autodiff.numpy._complex`).

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
    @gc_paused
    def value_and_grad_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), "value_and_grad")
        trace, out, inputs, treedefs = reverse_call(f, args, nums, "grad", kwargs)
        if holomorphic:
            check_holomorphic_inputs([x for group in inputs for x in group], "grad", True)
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("has_aux=True needs f to return a pair (value, aux)")
            out, aux = out
        value = primal_out(out, trace)
        if shape_of(value) != ():
            raise TypeError(
                f"grad requires a scalar output, but f returned shape {shape_of(value)}; "
                "use ad.jacobian / ad.jacrev for the full Jacobian or ad.vjp for a "
                "vector-Jacobian product")
        check_real_output(value, "grad", holomorphic)
        seed = dtype_of(value).type(1)
        grads = sweep(trace, [(out, seed)], inputs, treedefs, consume=True)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((value, aux), g) if has_aux else (value, g)

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> Callable:
    """Return a function computing the gradient of scalar-valued ``f`` (reverse mode).

    Parameters
    ----------
    f : callable
        Function of arrays/pytrees returning a real scalar.
    argnums : int or tuple of int, optional
        Which positional arguments to differentiate.
    has_aux : bool, optional
        ``f`` returns ``(value, aux)``; the gradient function returns ``(grad, aux)``.
    holomorphic : bool, optional
        ``f`` maps complex inputs to a complex output and is complex-differentiable:
        the result is ``f'(z)``.  For a real ``f`` of complex ``z = x + iy`` (no flag)
        the result is ``df/dx - i df/dy``, the convention of autograd and JAX; step
        along its conjugate to descend.

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
    vg = value_and_grad(f, argnums, has_aux, holomorphic)

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

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> out, vjp_fn = ad.vjp(lambda x: x ** 2, np.array([1.0, 3.0]))
    >>> vjp_fn(np.array([1.0, 1.0]))
    (array([2., 6.]),)
    """
    trace, out, inputs, treedefs = gc_paused(reverse_call)(
        f, primals, tuple(range(len(primals))), "vjp", {})
    if has_aux:
        out, aux = out
    out_leaves, out_td = tree_flatten(out)

    @gc_paused
    def vjp_fn(cotangent):
        ct_leaves, ct_td = tree_flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise ValueError("vjp_fn: cotangent structure does not match the output")
        for o, ct in zip(out_leaves, ct_leaves):
            if shape_of(base_value(ct)) != shape_of(primal_out(o, trace)):
                raise ValueError(
                    f"vjp_fn: cotangent of shape {shape_of(base_value(ct))} for an output of "
                    f"shape {shape_of(primal_out(o, trace))}")
        return tuple(sweep(trace, list(zip(out_leaves, ct_leaves)), inputs, treedefs))

    result = tree_unflatten(out_td, [primal_out(o, trace) for o in out_leaves])
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jacrev(f: Callable, argnums: int | Sequence[int] = 0,
           holomorphic: bool = False) -> Callable:
    """Jacobian by reverse mode: one backward sweep of a single tape per output entry.

    ``jacrev(f)(x).shape == out.shape + x.shape``.  Best for wide Jacobians (fewer
    outputs than inputs).  With a tuple ``argnums`` and pytree outputs the result
    nests as in JAX: output structure outside, a tuple over ``argnums`` inside.
    Complex outputs need ``holomorphic=True`` (then the rows are ``df_i/dz``).

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.jacrev(lambda x: x[:1] * x[1:])(np.array([2.0, 3.0]))
    array([[3., 2.]])
    """
    @functools.wraps(f)
    @gc_paused
    def jac_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), "jacrev")
        trace, out, inputs, treedefs = reverse_call(f, args, nums, "jacrev", kwargs)
        if holomorphic:
            check_holomorphic_inputs([x for group in inputs for x in group], "jacrev", True)
        out_leaves, out_td = tree_flatten(out)
        n_in = sum(math.prod(shape_of(x.primal)) for g in inputs for x in g)
        results_per_out = []
        for o in out_leaves:
            value = primal_out(o, trace)
            oshape = shape_of(value)
            m = math.prod(oshape)
            dtype = dtype_of(value)
            if holomorphic or np.issubdtype(dtype, np.complexfloating):
                check_real_output(value, "jacrev", holomorphic)
            check_dense_size(m, n_in, dtype.itemsize, "the Jacobian",
                             "use ad.vjp or ad.jvp products instead")
            rows = []
            for i in range(m):
                seed = np.zeros(m, dtype=dtype)
                seed[i] = 1
                rows.append(sweep(trace, [(o, seed.reshape(oshape))], inputs, treedefs))
            per_arg = []
            for a, (group, td) in enumerate(zip(inputs, treedefs)):
                leaves_rows = [tree_flatten(r[a])[0] for r in rows]
                per_leaf = []
                for j, x in enumerate(group):
                    xs = shape_of(x.primal)
                    stacked = (np.stack([lr[j] for lr in leaves_rows]) if m
                               else np.zeros((0,) + xs))
                    per_leaf.append(np.reshape(stacked, oshape + xs))
                per_arg.append(tree_unflatten(td, per_leaf))
            results_per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        return tree_unflatten(out_td, results_per_out)

    return jac_f
