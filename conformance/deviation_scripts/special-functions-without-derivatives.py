"""Most of torch.special has no derivative: backward raises and torch.func
transforms give zero (Bessel, Airy, orthogonal polynomials) or raise (zeta with
respect to s, gammainc/gammaincc with respect to a)."""
import sys

import scipy.special as sc
import torch

S = torch.special
x = torch.tensor([0.5, 1.5], dtype=torch.float64)
CASES = {  # name: (function of one tensor, its derivative from SciPy)
    "bessel_j0": (S.bessel_j0, lambda v: -sc.j1(v)),
    "modified_bessel_k0": (S.modified_bessel_k0, lambda v: -sc.k1(v)),
    "spherical_bessel_j0": (S.spherical_bessel_j0, lambda v: sc.spherical_jn(0, v, derivative=True)),
    "airy_ai": (S.airy_ai, lambda v: sc.airy(v)[1]),
    "legendre_polynomial_p(x, 3)": (lambda t: S.legendre_polynomial_p(t, 3), lambda v: (15 * v ** 2 - 3) / 2),
    "zeta(s, 1.5) wrt s": (lambda s: S.zeta(s + 2, torch.full_like(s, 1.5)), None),
    "gammainc(a, 1.5) wrt a": (lambda a: S.gammainc(a, torch.full_like(a, 1.5)), None),
}
missing = 0
for name, (fn, derivative) in CASES.items():
    want = derivative(x.numpy()) if derivative else "(no closed form printed)"
    leaf = x.clone().requires_grad_()
    try:
        got = torch.autograd.grad(fn(leaf).sum(), leaf)[0].numpy()
    except (RuntimeError, NotImplementedError) as exc:
        got, missing = f"raises: {str(exc).splitlines()[0]}", missing + 1
    try:
        tangent = torch.func.jvp(fn, (x,), (torch.ones_like(x),))[1].numpy()
    except (RuntimeError, NotImplementedError) as exc:
        tangent = f"raises: {str(exc).splitlines()[0][:60]}"
    print(f"torch {torch.__version__} {name} at {x.tolist()}: backward {got}; jvp {tangent}; true {want}")
sys.exit(1 if missing else 0)
