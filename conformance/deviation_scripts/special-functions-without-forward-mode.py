"""torch.igamma(a, x) with respect to x and torch.special.zeta(s, q) with
respect to q have a reverse-mode derivative but no forward-mode one."""
import sys

import numpy as np
import scipy.special as sc
import torch

a, x = torch.tensor([0.5, 3.0], dtype=torch.float64), torch.tensor([0.7, 2.6], dtype=torch.float64)
CASES = {  # name: (function of one tensor, its derivative: DLMF 8.8.13 and 25.11.17)
    "igamma(a, x) wrt x": (lambda t: torch.igamma(a, t),
                           np.exp((a.numpy() - 1) * np.log(x.numpy()) - x.numpy() - sc.gammaln(a.numpy()))),
    "zeta(3, q) wrt q": (lambda t: torch.special.zeta(3.0, t), -3 * sc.zeta(4.0, x.numpy())),
}
missing = 0
for name, (fn, want) in CASES.items():
    leaf = x.clone().requires_grad_()
    grad = torch.autograd.grad(fn(leaf).sum(), leaf)[0].numpy()
    try:
        tangent = torch.func.jvp(fn, (x,), (torch.ones_like(x),))[1].numpy()
        missing += not np.allclose(tangent, want, rtol=1e-12)
    except NotImplementedError as exc:
        tangent, missing = f"raises: {str(exc).splitlines()[0]}", missing + 1
    print(f"torch {torch.__version__} {name} at {x.tolist()}: backward {grad}; jvp {tangent}; true {want}")
sys.exit(1 if missing else 0)
