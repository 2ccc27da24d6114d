"""Second and third derivatives of torch.sinc and torch.special.i1 at and
next to 0, where their backward formulas divide by x, against mpmath."""
import sys

import mpmath as mp
import torch

mp.mp.dps = 50
CASES = [("sinc", torch.sinc, lambda z: mp.sinc(mp.pi * z), 0.0, 2),
         ("sinc", torch.sinc, lambda z: mp.sinc(mp.pi * z), 1e-8, 2),
         ("sinc", torch.sinc, lambda z: mp.sinc(mp.pi * z), 1e-5, 3),
         ("i1", torch.special.i1, lambda z: mp.besseli(1, z), 0.0, 3),
         ("i1", torch.special.i1, lambda z: mp.besseli(1, z), 1e-7, 3),
         ("i1e", torch.special.i1e, lambda z: mp.besseli(1, z) * mp.exp(-z), 1e-6, 3)]
wrong = 0
for name, fn, reference, at, order in CASES:
    x = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    d = fn(x)
    for level in range(order):
        (d,) = torch.autograd.grad(d, x, create_graph=level < order - 1)
    want = float(mp.diff(reference, mp.mpf(at), order))
    ok = abs(d.item() - want) <= 1e-9 * abs(want)
    wrong += not ok
    print(f"torch {torch.__version__}: derivative {order} of {name} at {at}: {d.item()!r}, mpmath {want!r}"
          f"{'' if ok else '  <- wrong'}")
sys.exit(1 if wrong else 0)
