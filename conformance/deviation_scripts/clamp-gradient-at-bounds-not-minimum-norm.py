"""clamp, clamp_min and clamp_max pass gradient 1 at an input equal to a bound; the minimum-norm sub-gradient is 0."""
import sys

import torch
import torch.nn.functional as F

cases = [  # (what, function, inputs at the bounds, whether it is one of the deviating ops)
    ("clamp(x, -1, 1)", lambda t: torch.clamp(t, -1.0, 1.0), [-1.0, 1.0], True),
    ("clamp_min(x, 0)", lambda t: torch.clamp_min(t, 0.0), [0.0], True),
    ("clamp_max(x, 0.5)", lambda t: torch.clamp_max(t, 0.5), [0.5], True),
    ("relu(x) (for comparison)", F.relu, [0.0], False),
    ("hardtanh(x) (for comparison)", F.hardtanh, [-1.0, 1.0], False),
]
print(f"torch {torch.__version__}")
off = 0
for what, fn, at, deviating in cases:
    x = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    (got,) = torch.autograd.grad(fn(x).sum(), x)
    want = [0.0] * len(at)  # the (sub/super-)gradient of minimum norm at a kink of a clamp
    print(f"d {what} at {at}: torch {got.tolist()}, minimum norm {want}")
    off += deviating and got.tolist() != want
sys.exit(1 if off else 0)
