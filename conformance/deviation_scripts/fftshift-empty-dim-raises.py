"""torch.fft.fftshift(x, dim=()) raises where numpy.fft.fftshift(a, axes=()) returns a."""
import sys

import numpy as np
import torch

print(f"numpy: {np.fft.fftshift(np.arange(3.0), axes=())}")
try:
    print(f"torch {torch.__version__}: {torch.fft.fftshift(torch.arange(3.0), dim=())}")
except RuntimeError as exc:
    print(f"torch {torch.__version__}: fftshift(x, dim=()) raised: {exc}")
    sys.exit(1)
