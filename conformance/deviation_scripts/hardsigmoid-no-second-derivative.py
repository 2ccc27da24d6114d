"""The second derivative of hardsigmoid raises (aten::hardsigmoid_backward has no derivative); it is 0 off the kinks."""
import sys

import torch
import torch.nn.functional as F

x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
(first,) = torch.autograd.grad(F.hardsigmoid(x), x, create_graph=True)
want = 0.0  # hardsigmoid is linear on (-3, 3)
print(f"torch {torch.__version__}")
try:
    (second,) = torch.autograd.grad(first, x)
except (NotImplementedError, RuntimeError) as error:
    print(f"hardsigmoid'' at 0.5 (autograd.grad twice): raises {error}; expected {want}")
    sys.exit(1)
print(f"hardsigmoid'' at 0.5 (autograd.grad twice): torch {second.item()!r}; expected {want}")
sys.exit(0 if second.item() == want else 1)
