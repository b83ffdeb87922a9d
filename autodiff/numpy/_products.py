"""Products: matmul (the one primitive) and einsum; dot, tensordot, inner, outer,
trace and vdot are composed from them and from shape operations."""

from __future__ import annotations

import string

import numpy as np

from .._reverse import unbroadcast
from .._tracer import VJPsForEveryOperand, shape_of
from ._helpers import batch_size, make_primitive


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
        a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        g2 = _matmul_cotangent_matrix(g, a_nd, b_nd)
        ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
        return np.reshape(unbroadcast(ga, shape_of(a2)), shape_of(a))

    return vjp


def _matmul_vjp_b(ans, a, b):
    if len(shape_of(a)) == 2 and len(shape_of(b)) == 1:  # matrix @ vector: b_bar = g @ A
        return lambda g: np.matmul(g, a)

    def vjp(g):
        a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        g2 = _matmul_cotangent_matrix(g, a_nd, b_nd)
        gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
        return np.reshape(unbroadcast(gb, shape_of(b2)), shape_of(b))

    return vjp


def _matmul_jvp(which):
    def jvp(t, ans, a, b):
        a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
        # Common layouts as one plain matrix product (k tangents stacked as rows).
        if which == 1 and a_nd == 2 and b_nd == 1:  # A @ t_b for each row t_b
            return np.matmul(t, np.transpose(a))
        if which == 0 and a_nd == 1 and b_nd == 2:  # t_a @ B for each row t_a
            return np.matmul(t, b)
        a2, b2 = _as_matrices(a_nd, b_nd, a, b)
        k = batch_size(t)
        rank = max(len(shape_of(a2)), len(shape_of(b2)))
        operand = a2 if which == 0 else b2
        # Align the tangent's batch axis in front of every broadcast batch dimension.
        t2 = np.reshape(t, (k,) + (1,) * (rank - len(shape_of(operand))) + shape_of(operand))
        out = np.matmul(t2, b2) if which == 0 else np.matmul(a2, t2)
        return np.reshape(out, (k,) + shape_of(ans))

    return jvp


matmul = make_primitive(
    np.matmul, "matmul",
    vjps=[_matmul_vjp_a, _matmul_vjp_b],
    jvps=[_matmul_jvp(0), _matmul_jvp(1)],
)


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
    ell_ndim = max((len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes) if "..." in sub),
                   default=0)
    ell = "".join(spare[:ell_ndim])
    explicit = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_ndim - n:] if n else "")
        explicit.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(explicit)
        once = (c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(sorted(once))
    for sub in explicit:
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                f"einsum with a repeated index inside one operand ('{sub}', a diagonal or "
                "trace) is "
                "not differentiable here; use np.diagonal / np.trace instead")
    return explicit, out


def _einsum_impl(*operands, spec):
    inputs, out = spec
    return np.einsum(",".join(inputs) + "->" + out, *operands)


def _einsum_vjp(i):
    def maker(ans, *operands, spec):
        inputs, out = spec
        target = inputs[i]
        others = [s for j, s in enumerate(inputs) if j != i]
        others_ops = [o for j, o in enumerate(operands) if j != i]
        present = set(out).union(*others) if others else set(out)
        missing = [c for c in target if c not in present]

        def vjp(g):
            reduced = "".join(c for c in target if c not in missing)
            r = einsum_p(g, *others_ops, spec=([out] + others, reduced))
            if missing:  # indices summed only within this operand: broadcast back
                shape = shape_of(operands[i])
                keep = tuple(1 if c in missing else shape[n] for n, c in enumerate(target))
                r = np.broadcast_to(np.reshape(r, keep), shape)
            return r

        return vjp

    return maker


def _einsum_jvp(tangents, ans, *operands, spec):
    inputs, out = spec
    batch = next(c for c in string.ascii_letters if c not in "".join(inputs) + out)
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        subs = list(inputs)
        subs[i] = batch + subs[i]
        ops = list(operands)
        ops[i] = t
        term = einsum_p(*ops, spec=(subs, batch + out))
        total = term if total is None else total + term
    return total


einsum_p = make_primitive(_einsum_impl, "einsum")
einsum_p.vjps = VJPsForEveryOperand(_einsum_vjp)
einsum_p.jvp_joint = _einsum_jvp
