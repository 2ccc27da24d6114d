"""Higher derivatives of torch.special.erfcx, i0e and i1e for large x and of
torch.special.log_ndtr for very negative x, against mpmath (50 digits)."""
import sys

import mpmath as mp
import torch

mp.mp.dps = 50
CASES = [("erfcx", torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 1000.0, 2),
         ("erfcx", torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 100.0, 3),
         ("erfcx", torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 1000.0, 3),
         ("log_ndtr", torch.special.log_ndtr, lambda z: mp.log(mp.ncdf(z)), -40.0, 3),
         ("log_ndtr", torch.special.log_ndtr, lambda z: mp.log(mp.ncdf(z)), -100.0, 3),
         ("i0e", torch.special.i0e, lambda z: mp.besseli(0, z) * mp.exp(-z), 1e4, 3),
         ("i1e", torch.special.i1e, lambda z: mp.besseli(1, z) * mp.exp(-z), 1e4, 3)]
wrong = 0
for name, fn, reference, at, order in CASES:
    x = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    d = fn(x)
    for level in range(order):
        (d,) = torch.autograd.grad(d, x, create_graph=level < order - 1)
    want = float(mp.diff(reference, mp.mpf(at), order))
    error = abs(d.item() - want) / abs(want)
    wrong += error > 1e-9
    print(f"torch {torch.__version__}: derivative {order} of {name} at {at}: {d.item()!r}, mpmath {want!r} "
          f"(relative error {error:.2g})")
sys.exit(1 if wrong else 0)
