"""torch.fft on CPU raises for an empty batch dim; numpy.fft returns the empty result."""
import sys

import numpy as np
import torch

expected = np.fft.fft(np.ones((2, 0), np.complex64), axis=0)
try:
    got = torch.fft.fft(torch.ones(2, 0, dtype=torch.complex64), dim=0)
except RuntimeError as exc:
    print(f"torch {torch.__version__}: torch.fft.fft(ones(2, 0), dim=0) raised: {exc}")
    print(f"numpy: shape {expected.shape}, dtype {expected.dtype}")
    sys.exit(1)
print(f"torch {torch.__version__}: shape {tuple(got.shape)}; numpy: shape {expected.shape}: agree")
