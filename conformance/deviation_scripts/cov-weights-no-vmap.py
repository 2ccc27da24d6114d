"""torch.cov with batched aweights cannot run under torch.func.vmap."""
import sys

import numpy as np
import torch

x = torch.tensor([[[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]], [[2.0, 0.0, 1.0], [1.0, 1.0, -1.0]]], dtype=torch.float64)
w = torch.tensor([[1.0, 2.0, 0.5], [0.5, 1.0, 1.5]], dtype=torch.float64)
try:
    got = torch.func.vmap(lambda a, b: torch.cov(a, aweights=b))(x, w)
except RuntimeError as exc:
    print(f"torch {torch.__version__}: vmap of cov with aweights raises: {str(exc).splitlines()[0]}")
    sys.exit(1)
want = np.stack([np.cov(a, aweights=b) for a, b in zip(x.numpy(), w.numpy())])
print(f"torch {torch.__version__}: vmap of cov with aweights:\n{got}\nNumPy:\n{want}")
sys.exit(0 if np.allclose(got.numpy(), want) else 1)
