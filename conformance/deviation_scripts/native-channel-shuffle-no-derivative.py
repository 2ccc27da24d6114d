"""torch.nn.functional.native_channel_shuffle has no derivative (channel_shuffle has)."""
import sys

import torch
import torch.nn.functional as F

x = torch.randn(1, 4, 2, dtype=torch.float64, requires_grad=True)
(want,) = torch.autograd.grad(F.channel_shuffle(x, 2).sum(), x)
print(f"torch {torch.__version__}: channel_shuffle gradient {want.flatten().tolist()}")
try:
    (got,) = torch.autograd.grad(F.native_channel_shuffle(x, 2).sum(), x)
    print(f"torch {torch.__version__}: native_channel_shuffle gradient {got.flatten().tolist()}")
    sys.exit(0)
except RuntimeError as error:
    print(f"torch {torch.__version__}: native_channel_shuffle gradient raises: {error}")
    sys.exit(1)
