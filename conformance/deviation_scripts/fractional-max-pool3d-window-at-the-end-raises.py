"""fractional_max_pool3d refuses output + kernel - 1 == input, which fractional_max_pool2d accepts."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

plane = np.arange(27.0).reshape(3, 3, 3)
# windows of 2 starting at 0 and 1 in each dimension (the last window starts at input - kernel)
expected = np.array([[[plane[t:t + 2, h:h + 2, w:w + 2].max() for w in (0, 1)] for h in (0, 1)] for t in (0, 1)])
x = torch.arange(27.0, dtype=torch.float64).reshape(1, 1, 3, 3, 3)
print("2-d, same sizes:", tuple(F.fractional_max_pool2d(x[0], 2, output_size=2).shape))
try:
    got = F.fractional_max_pool3d(x, 2, output_size=2, _random_samples=torch.zeros(1, 1, 3, dtype=torch.float64))
except RuntimeError as exc:
    print(f"torch {torch.__version__}: fractional_max_pool3d(3x3x3, 2, output_size=2) raised: {exc}")
    print(f"numpy windows give:\n{expected}")
    sys.exit(1)
ok = np.array_equal(got[0, 0].numpy(), expected)
print(f"torch {torch.__version__}: {got[0, 0].numpy().tolist()}; numpy: {expected.tolist()}: {'agree' if ok else 'differ'}")
sys.exit(0 if ok else 1)
