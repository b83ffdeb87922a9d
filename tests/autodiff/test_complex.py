"""Complex numbers and ``numpy.fft``: values, the autograd/JAX convention, holomorphic
derivatives, the errors that point to ``holomorphic=True``, and two programs written
the way people write them (a power spectrum, a split-step wave simulation) compared
with finite differences: value, gradient, a JVP and an HVP."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import numerical
from autodiff._reverse import ReverseTrace
from autodiff._tracer import new_level

rng = np.random.default_rng(7)


def cnormal(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def fd_directional(f, x, v, eps=1e-6):
    """Central difference of ``f`` at ``x`` along ``v`` (any dtype)."""
    return (np.asarray(f(x + eps * v)) - np.asarray(f(x - eps * v))) / (2 * eps)


# --- values -------------------------------------------------------------------------------
VALUE_CASES = [
    np.real, np.imag, np.conj, np.angle, np.abs, np.exp, np.log, np.sqrt, np.sin,
    np.tanh, lambda z: z.real, lambda z: z.imag, lambda z: z.conj(), lambda z: z ** 2.5,
    lambda z: np.linalg.norm(z), lambda z: np.linalg.norm(z, 1), np.var, np.std,
    lambda z: np.vdot(z, z[::-1]), lambda z: np.angle(z, deg=True), np.fft.fft, np.fft.ifft,
    np.fft.irfft, lambda z: np.fft.fft(z, n=7, norm="ortho"), np.fft.fftshift,
    lambda z: np.fft.ifftshift(z), lambda z: np.outer(z, z) @ z, lambda z: np.sum(z * 1j),
]


@pytest.mark.parametrize("f", VALUE_CASES)
def test_values_equal_numpys_on_complex_inputs(f):
    z = cnormal(6)
    expected = f(z)
    out, tangent = ad.jvp(f, (z,), (np.zeros_like(z),))
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)
    assert np.result_type(out) == np.result_type(expected)
    assert np.result_type(tangent) == np.result_type(expected)
    _, vjp_fn = ad.vjp(f, z)
    assert np.result_type(vjp_fn(np.ones_like(expected))[0]) == np.complex128


def test_fft_values_on_real_inputs_and_2d():
    x = rng.standard_normal((4, 6))
    for f in (np.fft.rfft, np.fft.rfft2, np.fft.fft2, np.fft.fftn, np.fft.rfftn,
              lambda x: np.fft.irfft2(np.fft.rfft2(x), s=x.shape),
              lambda x: np.fft.fftshift(np.fft.fft2(x), axes=0)):
        out, _ = ad.jvp(f, (x,), (np.zeros_like(x),))
        np.testing.assert_allclose(out, f(x), rtol=1e-12, atol=1e-12)


# --- the convention ---------------------------------------------------------------------
def test_grad_of_a_real_function_follows_autograd_and_jax():
    # JAX and autograd: grad(abs(z)**2)(3+4j) == 6-8j  (df/dx - i df/dy).
    g = ad.grad(lambda z: np.abs(z) ** 2)(3.0 + 4.0j)
    assert g == pytest.approx(6.0 - 8.0j)
    assert isinstance(g, np.complex128)
    assert ad.grad(np.real)(1.0 + 2.0j) == 1.0
    assert ad.grad(np.imag)(1.0 + 2.0j) == -1.0j


REAL_OF_COMPLEX = [
    lambda z: np.sum(np.abs(z) ** 2),
    lambda z: np.sum(np.angle(z) * np.real(z)),
    lambda z: np.real(np.sum(np.exp(z) * np.conj(z))),
    lambda z: np.imag(np.prod(z)),
    lambda z: np.linalg.norm(np.fft.fft(z) * np.arange(6)),
    lambda z: np.sum(np.fft.irfft(z, n=9) ** 2),
    lambda z: np.real(np.vdot(z, np.sin(z))),
    lambda z: np.abs(np.linalg.det(np.outer(z[:3], z[3:]) + 3 * np.eye(3))),
]


@pytest.mark.parametrize("f", REAL_OF_COMPLEX)
def test_grad_of_real_functions_matches_differences_in_both_real_directions(f):
    z = cnormal(6)
    expected = numerical.gradient(f, z)  # df/dx - i df/dy, one real direction at a time
    np.testing.assert_allclose(ad.grad(f)(z), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ad.jacrev(f)(z), expected, rtol=1e-6, atol=1e-7)
    # forward mode along each real direction of one entry
    for direction in (1.0, 1.0j):
        v = np.zeros(6, complex)
        v[2] = direction
        _, tangent = ad.jvp(f, (z,), (v,))
        assert np.isrealobj(tangent)
        assert tangent == pytest.approx(fd_directional(f, z, v), rel=1e-6, abs=1e-7)


def test_real_inputs_get_real_cotangents():
    x = rng.standard_normal(8)
    power = lambda x: np.sum(np.abs(np.fft.fft(x * (1 + 2j))) ** 2)  # noqa: E731
    g = ad.grad(power)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, numerical.gradient(power, x), rtol=1e-6)
    gx, gy = ad.grad(lambda x, y: np.abs(np.sum(np.exp(x + 1j * y))), argnums=(0, 1))(
        x[:3], x[3:6])
    assert gx.dtype == gy.dtype == np.float64


def test_complex64_stays_complex64():
    z = cnormal(4).astype(np.complex64)
    g = ad.grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 2 * np.conj(z), rtol=1e-6)


def test_real_inputs_record_nothing_for_real_and_conj():
    trace = ReverseTrace(new_level())
    x = trace.new_input(np.ones(3))
    assert np.real(x) is x and np.conj(x) is x and x.real is x
    assert not isinstance(np.imag(x), ad.Tracer)
    assert len(trace.tape) == 1


# --- holomorphic derivatives --------------------------------------------------------------
@pytest.mark.parametrize("f, df", [
    (np.sin, np.cos), (np.exp, np.exp), (lambda z: z ** 3, lambda z: 3 * z ** 2),
    (np.log, lambda z: 1 / z), (lambda z: 1 / (1 + z * z), lambda z: -2 * z / (1 + z * z) ** 2),
])
def test_holomorphic_grad_is_the_complex_derivative(f, df):
    z = 0.3 + 0.8j
    assert ad.grad(f, holomorphic=True)(z) == pytest.approx(df(z))
    value, g = ad.value_and_grad(f, holomorphic=True)(z)
    assert value == pytest.approx(f(z)) and g == pytest.approx(df(z))
    zs = np.array([0.3 + 0.8j, -1.1 + 0.2j, 0.5 - 0.4j])
    expected = np.diag(df(zs))
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        np.testing.assert_allclose(jac(f, holomorphic=True)(zs), expected, rtol=1e-12)


def test_holomorphic_jacobian_of_fft_is_the_dft_matrix_and_hessian():
    z = cnormal(5)
    dft = np.fft.fft(np.eye(5), axis=0)
    np.testing.assert_allclose(ad.jacfwd(np.fft.fft, holomorphic=True)(z), dft, atol=1e-12)
    np.testing.assert_allclose(ad.jacrev(np.fft.fft, holomorphic=True)(z), dft, atol=1e-12)
    np.testing.assert_allclose(ad.jacobian(np.fft.ifft, holomorphic=True)(z),
                               np.linalg.inv(dft), atol=1e-12)
    h = ad.hessian(lambda z: np.sum(z ** 3), holomorphic=True)(z)
    np.testing.assert_allclose(h, np.diag(6 * z), rtol=1e-12)


def test_batched_fft_tangents_with_k_equal_to_a_dimension():
    # jacfwd pushes k = 4 tangents through an input with an axis of length 4.
    x = rng.standard_normal((4, 1))
    for f in (lambda x: np.fft.fft(x, axis=0), lambda x: np.fft.rfft(x, axis=0),
              lambda x: np.fft.irfft(np.fft.fft(x, axis=0), n=4, axis=0),
              lambda x: np.fft.fftshift(np.fft.fft2(x * (1 + 1j)))):
        fwd = ad.jacfwd(f)(x)
        rev = np.real(ad.jacrev(lambda x: np.real(f(x)))(x)) + 1j * np.real(
            ad.jacrev(lambda x: np.imag(f(x)))(x))
        np.testing.assert_allclose(fwd, rev, atol=1e-12)


# --- errors ----------------------------------------------------------------------------------
def test_grad_of_a_complex_output_suggests_holomorphic():
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.grad(np.exp)(1.0 + 1.0j)
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.grad(lambda x: np.sum(np.fft.fft(x)))(np.ones(4))
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.jacrev(np.fft.fft)(np.ones(4))
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.jacfwd(np.exp)(np.ones(2, complex))
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.hessian(lambda z: np.sum(np.abs(z) ** 2))(np.ones(2, complex))
    with pytest.raises(TypeError, match="complex inputs"):
        ad.grad(np.exp, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="complex output"):
        ad.grad(np.abs, holomorphic=True)(1.0 + 1j)


def test_real_jacobians_of_complex_outputs_of_real_inputs_work_forward():
    x = rng.standard_normal(4)
    np.testing.assert_allclose(ad.jacfwd(np.fft.fft)(x), np.fft.fft(np.eye(4), axis=0),
                               atol=1e-12)


# --- check_grads catches wrong complex rules -----------------------------------------------
def test_check_grads_catches_a_conjugated_rule():
    # A rule written in the other convention (VJP g * conj(f'(z)), PyTorch's) is wrong
    # here, and so is a conj whose VJP forgets to conjugate: both are caught.
    @ad.primitive
    def cexp(z):
        return np.exp(z)

    ad.defvjp(cexp, lambda ans, z: lambda g: g * np.conj(ans))
    ad.defjvp(cexp, lambda t, ans, z: t * ans)
    z = cnormal(3)
    with pytest.raises(AssertionError, match="reverse"):
        ad.check_grads(cexp, (z,), modes=("rev",), order=1)
    ad.check_grads(cexp, (z,), modes=("fwd",), order=1)

    @ad.primitive
    def my_conj(z):
        return np.conj(z)

    ad.defvjp(my_conj, lambda ans, z: lambda g: g)
    ad.defjvp(my_conj, lambda t, ans, z: np.conj(t))
    with pytest.raises(AssertionError, match="reverse"):
        ad.check_grads(my_conj, (z,), modes=("rev",), order=1)


def test_check_grads_catches_a_rule_wrong_only_along_the_imaginary_direction():
    @ad.primitive
    def re_part(z):
        return np.real(z)

    # d Re(z) = Re(t): a JVP of t (complex) is right along x only
    ad.defvjp(re_part, lambda ans, z: lambda g: g * (1 + 1j))
    ad.defjvp(re_part, lambda t, ans, z: np.real(t) + np.imag(t))
    with pytest.raises(AssertionError, match="forward"):
        ad.check_grads(re_part, (cnormal(3),), modes=("fwd",), order=1)
    with pytest.raises(AssertionError, match="reverse"):
        ad.check_grads(re_part, (cnormal(3),), modes=("rev",), order=1)


def test_numerical_gradient_of_complex_inputs():
    z = cnormal(3)
    np.testing.assert_allclose(numerical.gradient(lambda z: np.sum(np.abs(z) ** 2), z),
                               2 * np.conj(z), rtol=1e-7)
    np.testing.assert_allclose(numerical.jacobian(np.exp, z, holomorphic=True),
                               np.diag(np.exp(z)), rtol=1e-7)
    with pytest.raises(ValueError, match="holomorphic"):
        numerical.jacobian(np.exp, z)


# --- code as people write it -----------------------------------------------------------------
def spectral_loss(signal, target_db):
    """Mean squared error of a Hann-windowed power spectrum in decibels."""
    window = np.hanning(len(signal))
    spectrum = np.fft.rfft(signal * window)
    power = (spectrum.real ** 2 + spectrum.imag ** 2) / len(signal)
    db = 10 * np.log10(power + 1e-3)
    return np.mean((db - target_db) ** 2)


def wave_loss(potential, psi0, target, steps=12, dt=0.02, length=10.0, coupling=0.7):
    """Split-step Fourier integration of a nonlinear Schrodinger equation
    ``i psi_t = -psi_xx / 2 + (V + g |psi|^2) psi`` and the distance of the final
    field from a target."""
    n = psi0.shape[0]
    k = 2 * np.pi * np.fft.fftfreq(n, d=length / n)
    half_kinetic = np.exp(-0.25j * k ** 2 * dt)
    psi = psi0
    for _ in range(steps):
        psi = np.fft.ifft(half_kinetic * np.fft.fft(psi))
        psi = psi * np.exp(-1j * (potential + coupling * np.abs(psi) ** 2) * dt)
        psi = np.fft.ifft(half_kinetic * np.fft.fft(psi))
    return np.sum(np.abs(psi - target) ** 2) * (length / n)


def _check_value_grad_jvp_hvp(f, x, v, rtol=1e-6):
    value, g = ad.value_and_grad(f)(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-13)
    np.testing.assert_allclose(g, numerical.gradient(f, x), rtol=rtol, atol=1e-8)
    _, tangent = ad.jvp(f, (x,), (v,))
    assert tangent == pytest.approx(fd_directional(f, x, v), rel=rtol, abs=1e-8)
    hv = ad.hvp(f)(x, v)
    expected = fd_directional(ad.grad(f), x, v, eps=1e-5)
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-6)


def test_power_spectrum_with_rfft():
    signal = np.sin(np.linspace(0, 6 * np.pi, 32)) + 0.3 * rng.standard_normal(32)
    target = rng.uniform(-10.0, 0.0, 17)
    f = lambda s: spectral_loss(s, target)  # noqa: E731
    _check_value_grad_jvp_hvp(f, signal, rng.standard_normal(32))
    ad.check_grads(f, (signal,), order=2)


def test_complex_wave_simulation():
    n = 16
    x = np.linspace(-5, 5, n, endpoint=False)
    psi0 = np.exp(-x ** 2) * np.exp(1j * 0.5 * x)
    potential = 0.1 * x ** 2
    target = np.exp(-(x - 0.5) ** 2 + 0.2j)
    # in the (real) potential
    f_v = lambda v: wave_loss(v, psi0, target)  # noqa: E731
    _check_value_grad_jvp_hvp(f_v, potential, rng.standard_normal(n))
    # in the (complex) initial field: both real directions, and a complex HVP
    f_psi = lambda p: wave_loss(potential, p, target)  # noqa: E731
    _check_value_grad_jvp_hvp(f_psi, psi0, cnormal(n))
    ad.check_grads(lambda v, p: wave_loss(v, p, target, steps=3), (potential, psi0), order=2)


def test_sign_of_complex_values_is_differentiable_and_constant_on_reals():
    z = cnormal(4)
    np.testing.assert_allclose(ad.jvp(np.sign, (z,), (z,))[0], np.sign(z))
    ad.check_grads(np.sign, (z,), order=2)
    assert ad.grad(lambda x: np.sign(x) * x)(-2.0) == -1.0


def test_complex_tangent_for_a_real_input_is_an_error():
    with pytest.raises(TypeError, match="complex tangent"):
        ad.jvp(np.sin, (1.0,), (1j,))
