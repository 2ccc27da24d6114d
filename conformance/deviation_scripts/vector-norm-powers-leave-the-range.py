"""torch.linalg.vector_norm squares without scaling: the float32 2-norm of [1.5e-37, 1.5e-37] is 0."""
import math
import sys

import torch

got = torch.linalg.vector_norm(torch.tensor([1.5e-37, 1.5e-37])).item()
expected = 1.5e-37 * math.sqrt(2)
print(f"torch {torch.__version__}: vector_norm([1.5e-37, 1.5e-37]) in float32 = {got}; exact: {expected:.4g}")
sys.exit(0 if abs(got - expected) <= 1e-6 * expected else 1)
