"""torch.func.vmap has no batching rule for some torch.nn.functional calls and raises."""
import sys

import torch
import torch.nn.functional as F

calls = {"rrelu(training=False)": lambda x: F.rrelu(x, 0.1, 0.3, training=False)}
missing = []
for name, fn in calls.items():
    try:
        torch.func.vmap(fn)(torch.randn(2, 3, dtype=torch.float64))
        print(f"torch {torch.__version__}: vmap of {name} computed")
    except RuntimeError as error:
        print(f"torch {torch.__version__}: vmap of {name} raises: {str(error).splitlines()[0]}")
        missing.append(name)
sys.exit(1 if missing else 0)
