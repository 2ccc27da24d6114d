"""torch.nn.functional.soft_margin_loss overflows to inf (gradient nan) for a large margin violation."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

failed = False
for dtype, z in [(torch.float32, 100.0), (torch.float64, 800.0)]:
    x = torch.tensor([-z], dtype=dtype, requires_grad=True)
    loss = F.soft_margin_loss(x, torch.ones(1, dtype=dtype), reduction="sum")
    loss.backward()
    want_loss, want_grad = np.logaddexp(0.0, z), -1.0  # log(1 + exp(z)) and -sigmoid(z)
    print(f"torch {torch.__version__} {dtype}: soft_margin_loss(-{z}, 1) = {loss.item()!r} (want {want_loss!r}), "
          f"gradient {x.grad.item()!r} (want {want_grad!r})")
    failed |= not (np.isclose(loss.item(), want_loss, rtol=1e-6) and np.isclose(x.grad.item(), want_grad, rtol=1e-6))
sys.exit(1 if failed else 0)
