"""Products: matmul and einsum (the primitives); dot, vdot, inner, outer and
tensordot are composed from them and from shape operations.

A constant ``scipy.sparse`` operand is handed to the sparse product registered in
:data:`autodiff._registry.SPARSE_PRODUCTS` by :mod:`autodiff.scipy.sparse`.
"""

from __future__ import annotations

import builtins
import math
import string

import numpy as np

from .._registry import SPARSE_PRODUCTS, declare, implements, register_primitive
from .._shapes import batch_size, ndim_of, normalize_axis, shape_of, unbroadcast
from .._tracer import Primitive, Tracer, bind, set_rules
from ._shape import reshape, transpose


def _as_matrices(a_ndim: int, b_ndim: int, a, b):
    """Promote 1-D operands of matmul to matrices, as NumPy does."""
    a2 = np.reshape(a, (1,) + shape_of(a)) if a_ndim == 1 else a
    b2 = np.reshape(b, shape_of(b) + (1,)) if b_ndim == 1 else b
    return a2, b2


def _matmul_cotangent_matrix(g, a_ndim, b_ndim):
    """Cotangent of the promoted (matrix) product from that of the real product."""
    shape = shape_of(g)
    if a_ndim == 1:
        shape = shape[:-1] + (1,) + shape[-1:] if b_ndim != 1 else shape + (1,)
    if b_ndim == 1:
        shape = shape + (1,)
    return np.reshape(g, shape)


def _matmul_vjp_a(ans, a, b):
    def vjp(g):
        a_nd, b_nd = ndim_of(a), ndim_of(b)
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        g2 = _matmul_cotangent_matrix(g, a_nd, b_nd)
        ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
        return np.reshape(unbroadcast(ga, shape_of(a2)), shape_of(a))

    return vjp


def _matmul_vjp_b(ans, a, b):
    if ndim_of(a) == 2 and ndim_of(b) == 1:  # matrix @ vector: b_bar = g @ A
        return lambda g: np.matmul(g, a)

    def vjp(g):
        a_nd, b_nd = ndim_of(a), ndim_of(b)
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        g2 = _matmul_cotangent_matrix(g, a_nd, b_nd)
        gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
        return np.reshape(unbroadcast(gb, shape_of(b2)), shape_of(b))

    return vjp


def _matmul_jvp(which):
    def jvp(t, ans, a, b):
        a_nd, b_nd = ndim_of(a), ndim_of(b)
        # Common layouts as one plain matrix product (k tangents stacked as rows).
        if which == 1 and a_nd == 2 and b_nd == 1:  # A @ t_b for each row t_b
            return np.matmul(t, np.transpose(a))
        if which == 0 and a_nd == 1 and b_nd == 2:  # t_a @ B for each row t_a
            return np.matmul(t, b)
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        k = batch_size(t)
        rank = builtins.max(ndim_of(a2), ndim_of(b2))
        operand = a2 if which == 0 else b2
        # Align the tangent's batch axis in front of every broadcast batch dimension.
        t2 = np.reshape(t, (k,) + (1,) * (rank - ndim_of(operand)) + shape_of(operand))
        out = np.matmul(t2, b2) if which == 0 else np.matmul(a2, t2)
        return np.reshape(out, (k,) + shape_of(ans))

    return jvp


matmul_ = declare(
    np.matmul, "matmul",
    vjps=[_matmul_vjp_a, _matmul_vjp_b],
    jvps=[_matmul_jvp(0), _matmul_jvp(1)],
)


def _is_sparse(x) -> bool:
    return type(x).__module__.startswith("scipy.sparse")


@implements(np.matmul)
def matmul(a, b, out=None, **kwargs):
    if out is not None:
        raise TypeError("matmul(..., out=...) writes in place, which is not differentiable")
    if _is_sparse(a):
        return SPARSE_PRODUCTS["matmul"](a, b)
    if _is_sparse(b):
        return SPARSE_PRODUCTS["rmatmul"](a, b)
    return matmul_(a, b)


@implements(methods=("__matmul__",))
def _matmul_operator(self, other):
    if _is_sparse(other):
        return SPARSE_PRODUCTS["rmatmul"](self, other)
    return bind(matmul_, (self, other), {})


@implements(methods=("__rmatmul__",))
def _rmatmul_operator(self, other):
    if _is_sparse(other):
        return SPARSE_PRODUCTS["matmul"](other, self)
    return bind(matmul_, (other, self), {})


@implements(np.dot, methods=("dot",))
def dot(a, b, out=None):
    if out is not None:
        raise TypeError("dot(..., out=...) writes in place, which is not differentiable")
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    if ndim_of(b) <= 2 or _is_sparse(a):
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


@implements(np.vdot)
def vdot(a, b):
    return np.sum(reshape(a, (-1,)) * reshape(b, (-1,)))


@implements(np.inner)
def inner(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def outer(a, b, out=None):
    if out is not None:
        raise TypeError("outer(..., out=...) writes in place, which is not differentiable")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = list(normalize_axis(axes_a, na))
        axes_b = list(normalize_axis(axes_b, nb))
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    sa, sb = shape_of(a), shape_of(b)
    m = math.prod(sa[i] for i in free_a)
    k = math.prod(sa[i] for i in axes_a)
    p = math.prod(sb[i] for i in free_b)
    a2 = reshape(transpose(a, free_a + axes_a), (m, k))
    b2 = reshape(transpose(b, axes_b + free_b), (k, p))
    return reshape(matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


# --- einsum -------------------------------------------------------------------
def parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Spell out an einsum specification with explicit letters and output."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, rhs = subscripts.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: {len(inputs)} subscripts for {len(shapes)} operands")
    used = set(subscripts) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ell_ndim = builtins.max(
        (len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes) if "..." in sub), default=0)
    ell = "".join(spare[:ell_ndim])
    explicit = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_ndim - n:] if n else "")
        if len(sub) != len(shape):
            raise ValueError(f"einsum: subscripts '{sub}' do not match an operand of shape {shape}")
        explicit.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(explicit)
        once = (c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(sorted(once))
    return explicit, out


def _take_diagonals(operands, inputs):
    """Operands whose subscripts repeat a letter ('ii', 'iij') replaced by their
    (differentiable) diagonals, so that every letter appears once per operand."""
    operands, inputs = list(operands), list(inputs)
    for n, sub in enumerate(inputs):
        while len(set(sub)) != len(sub):
            c = next(ch for ch in sub if sub.count(ch) > 1)
            first = sub.index(c)
            second = sub.index(c, first + 1)
            operands[n] = np.diagonal(operands[n], axis1=first, axis2=second)
            sub = sub[:first] + sub[first + 1:second] + sub[second + 1:] + c
        inputs[n] = sub
    return operands, inputs


def _sublists_to_subscripts(args):
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` -> ``("ab,bc->ac", op0, op1)``."""
    def letters(sublist):
        return "".join("..." if i is Ellipsis else string.ascii_letters[int(i)] for i in sublist)

    operands, sublists = list(args[0::2]), list(args[1::2])
    output = None
    if len(operands) > len(sublists):  # an odd count: the output sublist is last
        output = operands.pop()
    subscripts = ",".join(letters(s) for s in sublists)
    if output is not None:
        subscripts += "->" + letters(output)
    return subscripts, operands


def _einsum_impl(*operands, spec):
    inputs, out = spec
    return np.einsum(",".join(inputs) + "->" + out, *operands)


def _einsum_cotangent(i, g, operands, spec):
    """Cotangent of operand ``i``: contract ``g`` with the others, then sum or broadcast
    back to the operand's shape (its size-1 axes may have been broadcast)."""
    inputs, out = spec
    target = inputs[i]
    others = [s for j, s in enumerate(inputs) if j != i]
    others_ops = [o for j, o in enumerate(operands) if j != i]
    present = set(out).union(*others)
    reduced = "".join(c for c in target if c in present)
    r = einsum_(g, *others_ops, spec=([out] + others, reduced))
    shape = shape_of(operands[i])
    r_shape = iter(shape_of(r))
    kept = tuple(next(r_shape) if c in present else 1 for c in target)
    if kept != shape_of(r):
        r = np.reshape(r, kept)
    summed = tuple(n for n, (m, k) in enumerate(zip(shape, kept)) if m == 1 and k != 1)
    if summed:
        r = np.sum(r, axis=summed, keepdims=True)
    return np.broadcast_to(r, shape) if shape_of(r) != shape else r


def _einsum_vjp(which, ans, operands, kwargs):
    spec = kwargs["spec"]
    return lambda g: tuple(_einsum_cotangent(i, g, operands, spec) for i in which)


def _einsum_jvp(tangents, ans, operands, kwargs):
    inputs, out = kwargs["spec"]
    batch = next(c for c in string.ascii_letters if c not in "".join(inputs) + out)
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        subs = list(inputs)
        subs[i] = batch + subs[i]
        ops = list(operands)
        ops[i] = t
        term = einsum_(*ops, spec=(subs, batch + out))
        total = term if total is None else total + term
    return total


einsum_ = register_primitive(set_rules(
    Primitive(_einsum_impl, "einsum"), vjp=_einsum_vjp, jvp=_einsum_jvp))


@implements(np.einsum)
def einsum(*args, **kwargs):
    """``np.einsum`` in the string or the sublist form; a letter repeated inside one
    operand takes its diagonal (``'ii->'`` is the trace)."""
    if not builtins.any(isinstance(a, Tracer) for a in args):
        return np.einsum(*args, **kwargs)
    kwargs.pop("optimize", None)
    if kwargs:
        raise NotImplementedError(f"einsum options {sorted(kwargs)} are not supported on "
                                  "traced arrays")
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _sublists_to_subscripts(args)
    inputs, out = parse_einsum(subscripts, [shape_of(o) for o in operands])
    operands, inputs = _take_diagonals(operands, inputs)
    for c in out:
        if builtins.sum(sub.count(c) for sub in inputs) == 0:
            raise ValueError(f"einsum: output subscript '{c}' does not appear in the inputs")
    return einsum_(*operands, spec=(inputs, out))
