"""Every derivative order of every differentiable ``torch.fft`` family
(issue 14, item 4), against nested central differences of ``numpy.fft``
(``scipy.fft`` for the 2-d and n-d Hermitian transforms NumPy lacks).

Each row uses non-default ``n``/``s`` (padding or truncating), ``dim`` and
``norm`` (``"ortho"``, ``"forward"``); a second row of a family changes
what its derivative does (an odd output length of a complex-to-real
transform, which has no Nyquist bin). ``fftfreq``/``rfftfreq`` take no
tensor and are not differentiable.

A complex input is two real inputs (its real and imaginary parts), combined
inside both twins, so the derivative is the real-linear map of the
transform, also where it is not complex-linear: a complex-to-real transform
(``irfft``, ``hfft`` and their 2-d/n-d forms) reads only the real part of
its DC bin (and of the Nyquist bin for an even output length), so the
derivative with respect to those imaginary parts is 0 in ``numpy.fft`` and
in the mathematics.

Every transform is linear, so its own second and third derivatives are 0
and a central difference of order three cannot tell 0 from its rounding
noise (about 1e-6 at inputs of size 1). Each row therefore differentiates
the transform followed by the fixed polynomial ``y + y**3 / 3`` (complex
multiplication for a complex result): its first derivative is the
transform's VJP or JVP applied to ``(1 + y**2) g``, and its second and
third derivatives differentiate the transform's backward itself (the
backward of a backward, where a wrong double-backward formula shows),
with a third derivative large against the noise.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import torch
from hypothesis import given, strategies as st

from torchconform import oracle
from torchconform.derivative_orders import ORDERS, Differentiable, budgeted, check, params
from torchconform.references import finite_diff

pytestmark = [pytest.mark.area("fft"), pytest.mark.capability("grad")]


def _complex_torch(re: torch.Tensor, im: torch.Tensor) -> torch.Tensor:
    return torch.complex(re, im)


def _complex_numpy(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    return re + 1j * im


#: hfft's VJP is a conjugate view, whose imaginary part (torch.complex's
#: backward) vmap cannot batch (known deviation vmap-imag-of-conjugate-view)
WITHOUT_VMAP = tuple(order for order in ORDERS if order != "vmap")


def swell(y):
    """``y + y**3 / 3`` of a tensor or an array (real or complex): a fixed
    smooth map after a linear transform, so that its higher derivatives
    exercise the transform's backward (see the module docstring)."""
    return y + y * y * y / 3


def complex_row(name: str, kwargs: dict, shape: tuple[int, ...], reference=np.fft, variant: str = "",
                orders: tuple[str, ...] = tuple(ORDERS)) -> Differentiable:
    """A row of ``torch.fft.<name>`` on a complex input of ``shape`` (two
    real inputs), with ``kwargs`` for both libraries."""
    short = name.rpartition(".")[2]
    fn, ref = getattr(torch.fft, short), getattr(reference, short)
    return Differentiable(
        name, lambda re, im: swell(fn(_complex_torch(re, im), **kwargs)),
        lambda re, im: swell(ref(_complex_numpy(re, im), **_numpy_kwargs(short, kwargs))), shapes=(shape, shape),
        variant=variant, orders=orders)


def real_row(name: str, kwargs: dict, shape: tuple[int, ...], reference=np.fft, variant: str = "") -> Differentiable:
    """A row of ``torch.fft.<name>`` on a real input of ``shape``."""
    short = name.rpartition(".")[2]
    fn, ref = getattr(torch.fft, short), getattr(reference, short)
    return Differentiable(name, lambda x: swell(fn(x, **kwargs)), lambda x: swell(ref(x, **_numpy_kwargs(short, kwargs))),
                          shapes=(shape,), variant=variant)


def _numpy_kwargs(short: str, kwargs: dict) -> dict:
    # torch spells NumPy's axis/axes dim (the shifts take axes, an int too)
    out = dict(kwargs)
    if "dim" in out:
        dim = out.pop("dim")
        out["axes" if isinstance(dim, tuple) or short.endswith("shift") else "axis"] = dim
    return out


ROWS = [
    complex_row("torch.fft.fft", dict(n=5, dim=0, norm="ortho"), (3, 2)),
    complex_row("torch.fft.ifft", dict(n=3, dim=-1, norm="forward"), (2, 4)),
    complex_row("torch.fft.fft2", dict(s=(4, 2), norm="forward"), (3, 3)),
    complex_row("torch.fft.ifft2", dict(s=(3, 3), dim=(1, 0), norm="ortho"), (2, 3)),
    complex_row("torch.fft.fftn", dict(s=(3, 2), dim=(2, 0), norm="ortho"), (2, 1, 3)),
    complex_row("torch.fft.ifftn", dict(norm="forward"), (2, 1, 3)),
    real_row("torch.fft.rfft", dict(n=6, dim=0, norm="ortho"), (3, 2)),
    real_row("torch.fft.rfft", dict(n=3, norm="forward"), (2, 5), variant="n=3"),
    # m = 4 bins: n = 6 has a Nyquist bin (its imaginary part ignored), n = 7 none
    complex_row("torch.fft.irfft", dict(n=6, dim=0, norm="ortho"), (4, 2)),
    complex_row("torch.fft.irfft", dict(n=7, dim=-1, norm="forward"), (2, 4), variant="n=7"),
    complex_row("torch.fft.irfft", dict(n=3), (4,), variant="n=3"),
    real_row("torch.fft.rfft2", dict(s=(4, 4), norm="forward"), (3, 3)),
    complex_row("torch.fft.irfft2", dict(s=(3, 4), norm="ortho"), (3, 3)),
    complex_row("torch.fft.irfft2", dict(s=(2, 5), dim=(1, 0), norm="forward"), (3, 2), variant="s=(2,5),dim=(1,0)"),
    real_row("torch.fft.rfftn", dict(dim=(0, 2), norm="ortho"), (2, 2, 3)),
    complex_row("torch.fft.irfftn", dict(s=(2, 4), dim=(0, 1), norm="forward"), (2, 3)),
    complex_row("torch.fft.hfft", dict(n=6, norm="ortho"), (4,), orders=WITHOUT_VMAP),
    complex_row("torch.fft.hfft", dict(n=5, dim=0, norm="forward"), (3, 2), variant="n=5", orders=WITHOUT_VMAP),
    real_row("torch.fft.ihfft", dict(n=5, dim=0, norm="forward"), (3, 2)),
    complex_row("torch.fft.hfft2", dict(s=(3, 4), norm="ortho"), (2, 3), reference=scipy.fft),
    real_row("torch.fft.ihfft2", dict(s=(2, 4), norm="forward"), (3, 3), reference=scipy.fft),
    complex_row("torch.fft.hfftn", dict(s=(2, 5), dim=(0, 2), norm="forward"), (2, 1, 3), reference=scipy.fft),
    real_row("torch.fft.ihfftn", dict(norm="ortho"), (2, 1, 4), reference=scipy.fft),
    real_row("torch.fft.fftshift", dict(), (3, 4)),
    complex_row("torch.fft.fftshift", dict(dim=1), (2, 3), variant="complex,dim=1"),
    real_row("torch.fft.ifftshift", dict(dim=(0, 1)), (3, 4)),
]


@pytest.mark.parametrize(("op", "order"), params(ROWS))
@budgeted
@given(data=st.data())
def test_fft_derivatives_match_finite_differences(op, order, device, data):
    check(op, order, device, data)


def test_vmap_of_hfft_vjp_through_a_complex_input(device):
    """Known deviation vmap-imag-of-conjugate-view: ``vmap`` of the VJP of
    ``hfft(complex(re, im))`` with a cotangent that depends on the sample
    (here through ``swell``) raises; each sample's VJP is NumPy's."""
    row = ROWS[[str(r) for r in ROWS].index("torch.fft.hfft")]
    rng = np.random.default_rng(5)
    re, im = rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, (2, 4))
    g = rng.uniform(-1, 1, 6)

    def vjp(*primals):
        _, pullback = torch.func.vjp(row.torch_fn, *primals)
        return pullback(torch.tensor(g, device=device))

    got = torch.func.vmap(vjp)(torch.tensor(re, device=device), torch.tensor(im, device=device))
    for k in range(2):
        want = finite_diff.directional_gradient(row.numpy_fn, [re[k], im[k]], g, [], 0)
        for name, tensor, expected in zip(("re", "im"), got, want):
            oracle.assert_matches(tensor[k], expected, torch.float64, kind="finite_difference",
                                  what=f"vmap sample {k}: d/d{name} of hfft(complex(re, im))")
