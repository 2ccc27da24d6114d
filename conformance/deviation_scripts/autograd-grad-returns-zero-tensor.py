"""The second derivative of l1_loss by autograd.grad is a ZeroTensor, which .numpy() refuses."""
import sys

import torch
import torch.nn.functional as F

x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
t = torch.randn(2, 3, dtype=torch.float64) + 5
(first,) = torch.autograd.grad(F.l1_loss(x, t), x, create_graph=True)
(second,) = torch.autograd.grad((first * torch.ones_like(x)).sum(), x)
print(f"torch {torch.__version__}: d2 l1_loss: _is_zerotensor() = {second._is_zerotensor()}")
try:
    print(f"torch {torch.__version__}: second derivative {second.numpy().tolist()}")
    sys.exit(0)
except RuntimeError as error:
    print(f"torch {torch.__version__}: .numpy() of the second derivative raises: {error}")
    sys.exit(1)
