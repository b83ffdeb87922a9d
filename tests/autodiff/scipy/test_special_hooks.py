"""SciPy's own ``scipy.special.logsumexp``, ``softmax`` and ``log_softmax`` called on
traced values (the hooks of :mod:`autodiff.scipy._special_hooks`)."""

import contextlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
from autodiff.scipy import _special_hooks

RELEASE = _special_hooks._scipy_release()
ALL_THREE = ("scipy.special.logsumexp", "scipy.special.softmax", "scipy.special.log_softmax")
#: What takes traced values on each verified release.  1.15's log_softmax zeroes the
#: infinite entries of its shift in place (x_max[~np.isfinite(x_max)] = 0).
EXPECTED_HOOKED = {
    (1, 15): ("scipy.special.logsumexp", "scipy.special.softmax"),
    (1, 16): ALL_THREE,
    (1, 17): ALL_THREE,
    (1, 18): ALL_THREE,
}
#: A SciPy release newer than those read keeps the clear errors (tested below); the
#: tests of the hooked calls are skipped there, with this reason.
VERIFIED = RELEASE in _special_hooks.VERIFIED_SCIPY
needs_hooks = pytest.mark.skipif(
    not VERIFIED, reason=f"SciPy {RELEASE[0]}.{RELEASE[1]}'s _logsumexp.py has not been read: "
    "the hooks are not installed and SciPy's logsumexp/softmax/log_softmax raise the error "
    "naming autodiff.scipy.special (test_an_unread_release_keeps_the_clear_errors)")


@pytest.fixture
def rng():
    return np.random.default_rng(11)


@pytest.mark.skipif(VERIFIED, reason="the installed SciPy release has been read (hooked)")
def test_an_unread_release_keeps_the_clear_errors():
    # A new SciPy release: read its scipy/special/_logsumexp.py, check the flow described
    # in autodiff/scipy/_special_hooks.py, then add its layout to LAYOUTS (and
    # HOOKED_RELEASES, EXPECTED_HOOKED).  Until then its calls must not drop derivatives.
    assert _special_hooks.hooked_functions() == ()
    for name in ALL_THREE:
        f = getattr(sc, name.rpartition(".")[2])
        with pytest.raises(TypeError, match=f"autodiff.scipy.special.{f.__name__}"):
            ad.grad(lambda x, f=f: np.sum(f(x)))(np.array([0.5, 1.5, -0.3]))


@needs_hooks
def test_hooks_are_installed_for_a_verified_scipy():
    assert _special_hooks.hooked_functions() == EXPECTED_HOOKED[RELEASE]
    assert set(EXPECTED_HOOKED) == set(_special_hooks.VERIFIED_SCIPY)
    module = sys.modules["scipy.special._logsumexp"]
    for name in _special_hooks.LAYOUTS[RELEASE]:
        hooked = getattr(module, name)
        assert getattr(hooked, "__wrapped__", None) is not None or name == "xpx", name


def log_softmax_of_a_tracer():
    """What calling SciPy's log_softmax on a traced array (of one or more dimensions)
    does on the installed release: works, or raises the error naming ours."""
    if RELEASE == (1, 15):
        return pytest.raises(TypeError, match=r"in-place assignment .* It was called from "
                             r"scipy\.special\.log_softmax: use "
                             r"autodiff\.scipy\.special\.log_softmax instead")
    return contextlib.nullcontext()


def test_an_unverified_layout_or_release_is_left_alone(monkeypatch):
    import types

    stand_in = types.ModuleType("stand_in")
    stand_in.array_namespace = stand_in.xp_promote = stand_in._logsumexp = len
    monkeypatch.setattr(_special_hooks, "_scipy_release", lambda: (1, 17))
    assert not _special_hooks.install(stand_in)  # no xpx: not the layout the hooks know
    assert stand_in.array_namespace is len and not hasattr(stand_in, "_autodiff_hooks")
    stand_in.xpx = types.ModuleType("xpx")
    monkeypatch.setattr(_special_hooks, "_scipy_release", lambda: (9, 99))
    assert not _special_hooks.install(stand_in)  # all the names, but an unread release
    assert stand_in.array_namespace is len and not hasattr(stand_in, "_autodiff_hooks")


@needs_hooks
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_of_a_tracer(rng, axis, keepdims):
    a = rng.standard_normal((3, 4))
    f = lambda a: sc.logsumexp(a, axis=axis, keepdims=keepdims)  # noqa: E731
    ad.check_grads(f, (a,), order=2)
    out, _ = ad.jvp(f, (a,), (np.ones_like(a),))
    np.testing.assert_allclose(out, f(a), rtol=1e-14)
    assert np.shape(out) == np.shape(f(a))


@needs_hooks
def test_logsumexp_gradient_is_the_softmax(rng):
    a = rng.standard_normal(5)
    np.testing.assert_allclose(ad.grad(lambda a: sc.logsumexp(a))(a), sc.softmax(a),
                               rtol=1e-13)


@needs_hooks
@pytest.mark.parametrize("traced", ["a", "b", "both"])
def test_logsumexp_with_weights(rng, traced):
    a = rng.standard_normal((3, 4))
    b = rng.uniform(0.5, 2.0, (3, 4)) * np.array([1.0, -0.3, 1.0, 1.0])  # one negative column
    if traced == "a":
        f, args = (lambda a: sc.logsumexp(a, axis=1, b=b)), (a,)
    elif traced == "b":
        f, args = (lambda b: sc.logsumexp(a, axis=1, b=b)), (b,)
    else:
        f, args = (lambda a, b: sc.logsumexp(a, axis=1, b=b)), (a, b)
    np.testing.assert_allclose(f(*args), sc.logsumexp(a, axis=1, b=b), rtol=1e-14)
    ad.check_grads(f, args, order=2)


@needs_hooks
def test_logsumexp_weights_broadcast_against_the_input(rng):
    a, b = rng.standard_normal(4), rng.uniform(0.5, 2.0, (3, 4))
    f = lambda a: sc.logsumexp(a, axis=-1, b=b)  # noqa: E731
    np.testing.assert_allclose(f(a), sc.logsumexp(a, axis=-1, b=b), rtol=1e-14)
    ad.check_grads(f, (a,), order=2)


@needs_hooks
def test_logsumexp_return_sign(rng):
    a = rng.standard_normal((3, 4))
    b = np.array([[1.0, -2.0, 0.5, 0.1], [-1.0, -1.0, 0.2, 0.1], [0.3, 0.1, 0.2, 0.1]])
    out, sign = sc.logsumexp(a, axis=1, b=b, return_sign=True)
    traced_out, traced_sign = ad.jvp(lambda a: sc.logsumexp(a, axis=1, b=b, return_sign=True),
                                     (a,), (np.ones_like(a),))[0]
    np.testing.assert_allclose(traced_out, out, rtol=1e-13)
    np.testing.assert_array_equal(traced_sign, sign)
    assert np.any(sign < 0) and np.any(sign > 0)
    ad.check_grads(lambda a: sc.logsumexp(a, axis=1, b=b, return_sign=True)[0], (a,), order=2)


@needs_hooks
def test_logsumexp_large_inputs_give_finite_gradients():
    # SciPy's direct log(sum(exp(a))) overflows here; the derivative never meets it.
    a = np.array([1000.0, 1000.0, 999.0])
    g = ad.grad(lambda a: sc.logsumexp(a))(a)
    np.testing.assert_allclose(g, sc.softmax(a), rtol=1e-14)
    h = ad.hessian(lambda a: sc.logsumexp(a))(a)
    assert np.all(np.isfinite(h))


@needs_hooks
def test_zero_weight_drops_an_infinite_term():
    a = np.array([1.0, np.inf, 2.0])
    b = np.array([1.0, 0.0, 1.0])
    g = ad.grad(lambda a: sc.logsumexp(a, b=b))(a)
    np.testing.assert_allclose(g, [sc.expit(-1.0), 0.0, sc.expit(1.0)], rtol=1e-14)


@needs_hooks
def test_derivative_with_respect_to_a_zero_weight():
    # d/db_i log(sum(b exp(a))) = exp(a_i) / sum(b exp(a)), also at b_i = 0.
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 2.0])
    expected = np.exp(a) / np.sum(b * np.exp(a))
    np.testing.assert_allclose(ad.grad(lambda b: sc.logsumexp(a, b=b))(b), expected,
                               rtol=1e-14)
    ad.check_grads(lambda b: sc.logsumexp(a, b=b), (b,), order=2)
    # Where that ratio overflows (or a is not finite) the term is dropped: no NaN.
    total = np.exp(1.0) + 2.0 * np.exp(2.0)  # the kept terms of a = [1, big, 2]
    for big in (1000.0, np.inf, np.nan):
        a_big = np.array([1.0, big, 2.0])
        np.testing.assert_allclose(ad.grad(lambda b: sc.logsumexp(a_big, b=b))(b),
                                   [np.exp(1.0) / total, 0.0, np.exp(2.0) / total],
                                   rtol=1e-14)
        np.testing.assert_allclose(ad.grad(lambda a: sc.logsumexp(a, b=b))(a_big),
                                   [np.exp(1.0) / total, 0.0, 2.0 * np.exp(2.0) / total],
                                   rtol=1e-14)


@needs_hooks
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_softmax_family_of_a_tracer(rng, name, axis):
    f = lambda x: getattr(sc, name)(x, axis=axis)  # noqa: E731
    x = rng.standard_normal((3, 4))
    if name == "log_softmax":
        with log_softmax_of_a_tracer() as refused:
            ad.jvp(f, (x,), (np.ones_like(x),))
        if refused is not None:  # SciPy 1.15
            return
    out, _ = ad.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(out, f(x), rtol=1e-13)
    ad.check_grads(f, (x,), order=2)


@needs_hooks
def test_log_softmax_with_a_minus_infinite_entry():
    # SciPy updates the shift with xpx.at(x_max, ~isfinite(x_max)).set(0) on every call
    # with an axis: done functionally (np.where) on a traced shift.
    x = np.array([[1.0, 2.0, -np.inf], [0.5, -1.0, 3.0]])
    with log_softmax_of_a_tracer() as refused:
        ad.jvp(lambda x: sc.log_softmax(x, axis=1), (x,), (np.ones_like(x),))
    if refused is not None:  # SciPy 1.15
        return
    out = ad.jvp(lambda x: sc.log_softmax(x, axis=1), (x,), (np.ones_like(x),))[0]
    np.testing.assert_array_equal(out, sc.log_softmax(x, axis=1))
    g = ad.grad(lambda x: sc.log_softmax(x, axis=1)[0, 0])(x)
    np.testing.assert_allclose(g[0], np.eye(3)[0] - sc.softmax(x[0]), rtol=1e-14)
    np.testing.assert_array_equal(g[1], 0.0)


@needs_hooks
def test_plain_calls_are_bit_identical_to_scipy(rng):
    a = rng.standard_normal((5, 6)) * 30.0
    b = rng.uniform(-1.0, 2.0, (5, 6))
    module = sys.modules["scipy.special._logsumexp"]
    # The same numbers as SciPy's own core, called without the hooks.
    hooked = module.array_namespace
    assert hooked.__wrapped__ is not hooked
    for call in (lambda: sc.logsumexp(a), lambda: sc.logsumexp(a, axis=0, keepdims=True),
                 lambda: sc.logsumexp(a, axis=1, b=b, return_sign=True),
                 lambda: sc.softmax(a, axis=1), lambda: sc.log_softmax(a, axis=0),
                 lambda: sc.logsumexp([1.0, 2.0], b=[1.0, -1.0], return_sign=True)):
        hooked_result = call()
        with _without_hooks(module):
            reference = call()
        for h, r in zip(np.atleast_1d(hooked_result), np.atleast_1d(reference)):
            np.testing.assert_array_equal(h, r)
            assert type(h) is type(r)


@pytest.mark.skipif(RELEASE != (1, 15), reason="SciPy 1.15's softmax and log_softmax only")
def test_scipy_1_15_softmax_family_validation():
    # 1.15 calls _asarray_validated(x, check_finite=False): the hook passes a tracer
    # through for that call only; any other call form is SciPy's, which refuses it.
    module = sys.modules["scipy.special._logsumexp"]
    x = np.array([0.3, -1.0, 2.0])
    ad.jvp(lambda x: module._asarray_validated(x, check_finite=False) * 1.0, (x,), (x,))
    with pytest.raises(TypeError, match="would drop its derivative"):
        ad.jvp(lambda x: module._asarray_validated(x), (x,), (x,))
    # A 0-d log_softmax has no shift to write into: it works (the value is 0).
    g = ad.grad(lambda x: sc.log_softmax(x))(np.float64(0.7))
    assert g == 0.0
    with log_softmax_of_a_tracer():
        ad.grad(lambda x: sc.log_softmax(x)[0])(x)
    # softmax stages (nothing is computed on values).
    staged = ad.stage(ad.grad(lambda x: sc.softmax(x)[0]))
    np.testing.assert_allclose(staged(x), ad.grad(lambda x: sc.softmax(x)[0])(x), rtol=1e-14)


@needs_hooks
def test_staging_refuses_scipys_logsumexp_and_stages_autodiffs():
    # SciPy's wrapper handles shapes and infinities on the values, which staging would
    # freeze into the generated code: a clear StagingError, never a frozen value.
    x = np.array([0.3, -1.0, 2.0])
    with pytest.raises(ad.StagingError, match="frozen"):
        ad.stage(ad.grad(lambda x: sc.logsumexp(x)))(x)
    staged = ad.stage(ad.grad(lambda x: ad.scipy.special.logsumexp(x)))
    np.testing.assert_allclose(staged(x), sc.softmax(x), rtol=1e-14)
    np.testing.assert_allclose(staged(2.0 * x), sc.softmax(2.0 * x), rtol=1e-14)


class _without_hooks:
    """SciPy's original module globals, for the duration of a ``with`` block."""

    def __init__(self, module):
        self.module = module

    def __enter__(self):
        names = _special_hooks.LAYOUTS[RELEASE]
        self.saved = {n: getattr(self.module, n) for n in names}
        for n, hooked in self.saved.items():
            setattr(self.module, n, hooked._module if n == "xpx" else hooked.__wrapped__)

    def __exit__(self, *exc):
        for n, v in self.saved.items():
            setattr(self.module, n, v)


_IMPORT_ORDER_SCRIPT = """
import numpy as np
{first}
{second}
x = np.array([0.5, -1.0, 2.0])
g = ad.grad(lambda x: logsumexp(x, b=np.array([1.0, 2.0, 0.5])))(x)
w = np.array([1.0, 2.0, 0.5]) * np.exp(x)
np.testing.assert_allclose(g, w / w.sum(), rtol=1e-13)
h = ad.grad(lambda x: np.sum(softmax(x) * np.arange(3.0)))(x)
s = np.exp(x) / np.exp(x).sum()
np.testing.assert_allclose(h, s * (np.arange(3.0) - s @ np.arange(3.0)), rtol=1e-13)
print("ok")
"""


@needs_hooks
@pytest.mark.parametrize("scipy_first", [True, False])
def test_either_import_order(scipy_first):
    scipy_import = "from scipy.special import logsumexp, softmax"
    autodiff_import = "import autodiff as ad"
    first, second = ((scipy_import, autodiff_import) if scipy_first
                     else (autodiff_import, scipy_import))
    script = textwrap.dedent(_IMPORT_ORDER_SCRIPT).format(first=first, second=second)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
