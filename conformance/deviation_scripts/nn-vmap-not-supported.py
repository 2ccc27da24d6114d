"""torch.func.vmap has no batching rule for some torch.nn.functional calls and raises."""
import sys

import torch
import torch.nn.functional as F

calls = {"rrelu(training=False)": lambda x: F.rrelu(x, 0.1, 0.3, training=False),
         "gaussian_nll_loss": lambda x: F.gaussian_nll_loss(x, torch.zeros_like(x), torch.ones_like(x))}
missing = []
for name, fn in calls.items():
    try:
        torch.func.vmap(fn)(torch.randn(2, 3, dtype=torch.float64))
        print(f"torch {torch.__version__}: vmap of {name} computed")
    except (RuntimeError, ValueError) as error:
        print(f"torch {torch.__version__}: vmap of {name} raises: {str(error).splitlines()[0]}")
        missing.append(name)
sys.exit(1 if missing else 0)
