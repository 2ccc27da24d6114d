"""max_pool2d with a window wholly in the padding returns an index outside the input plane (backward writes there)."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

x = torch.tensor([[[[0.3]], [[-1.2]]]], dtype=torch.float64)  # shape (1, 2, 1, 1)
out, indices = F.max_pool2d(x, (1, 2), 1, (0, 1), (1, 2), return_indices=True)
plane = x[0, 0].numel()
bad = indices.numpy().ravel()
print(f"torch {torch.__version__}: max_pool2d(x of shape (1, 2, 1, 1), (1, 2), 1, (0, 1), (1, 2)) = "
      f"{out.numpy().ravel().tolist()}, indices {bad.tolist()}; an index must lie in [0, {plane}) "
      "(backward, not run here, scatters the gradient there)")
sys.exit(0 if np.all((bad >= 0) & (bad < plane)) else 1)
