"""torch.linalg.vecdot(ones(3), ones(1)) raises; it broadcasts once a batch dim exists."""
import sys

import numpy as np
import torch

print(f"numpy: {np.sum(np.ones(3) * np.ones(1), axis=-1)}")
print(f"torch {torch.__version__}: vecdot(ones(3), ones(2, 1)) = {torch.linalg.vecdot(torch.ones(3), torch.ones(2, 1))}")
try:
    print(f"torch: vecdot(ones(3), ones(1)) = {torch.linalg.vecdot(torch.ones(3), torch.ones(1))}")
except RuntimeError as exc:
    print(f"torch: vecdot(ones(3), ones(1)) raised: {exc}")
    sys.exit(1)
