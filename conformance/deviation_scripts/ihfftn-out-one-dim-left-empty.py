"""torch.fft.ihfftn(x, dim=[1], out=out) leaves an empty out tensor empty."""
import sys

import numpy as np
import torch

x = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
out = torch.empty(0, dtype=torch.complex128)
returned = torch.fft.ihfftn(x, dim=[1], out=out)
expected = np.fft.ihfft(x.numpy(), axis=1)
print(f"torch {torch.__version__}: out shape {tuple(out.shape)}, returned shape {tuple(returned.shape)}")
print(f"numpy.fft.ihfft(x, axis=1): shape {expected.shape}")
ok = out.shape == expected.shape and np.allclose(out.numpy(), expected)
sys.exit(0 if ok else 1)
