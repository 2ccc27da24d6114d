"""torch.func.vmap of torch.imag of a conjugate view raises, so vmap of the
VJP of hfft(complex(re, im)) raises; each sample's VJP without vmap works."""
import sys

import torch

batch = torch.randn(3, 4, dtype=torch.complex128)
print(f"torch {torch.__version__}: imag(conj(z)) per sample works: {torch.imag(batch[0].conj())}")


def f(re, im):
    y = torch.fft.hfft(torch.complex(re, im), n=6)
    return y + y ** 3 / 3


def vjp(re, im):
    _, pullback = torch.func.vjp(f, re, im)
    return pullback(torch.ones(6, dtype=torch.float64))


re, im = torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
print("per-sample VJP w.r.t. im, sample 0:", vjp(re[0], im[0])[1])
failed = False
for what, fn, args in [("vmap(lambda t: t.conj().imag)", lambda t: t.conj().imag, (batch,)),
                       ("vmap of the VJP of hfft(complex(re, im))", vjp, (re, im))]:
    try:
        torch.func.vmap(fn)(*args)
        print(f"{what}: ok")
    except RuntimeError as exc:
        print(f"{what} raised: {exc}")
        failed = True
sys.exit(1 if failed else 0)
