"""SGD(momentum>0, fused=True) raises when a parameter gets its first gradient after another has a momentum buffer."""
import sys

import numpy as np
import torch

lr, momentum = 0.1, 0.9
p = [torch.nn.Parameter(torch.ones(3, dtype=torch.float64)) for _ in range(2)]
optimizer = torch.optim.SGD(p, lr=lr, momentum=momentum, fused=True)
grads = [[np.full(3, 0.5), None], [np.full(3, 0.5), np.full(3, 0.25)]]  # step 1: only p[0] has a gradient
want, buffers = [np.ones(3), np.ones(3)], [None, None]
for step in grads:  # the documented rule: b = g at the first step, else momentum * b + g; p -= lr * b
    for i, g in enumerate(step):
        if g is not None:
            buffers[i] = g.copy() if buffers[i] is None else momentum * buffers[i] + g
            want[i] = want[i] - lr * buffers[i]
print(f"torch {torch.__version__}")
try:
    for step in grads:
        for param, g in zip(p, step):
            param.grad = None if g is None else torch.tensor(g)
        optimizer.step()
except (TypeError, RuntimeError) as error:
    print(f"SGD(lr={lr}, momentum={momentum}, fused=True), p[1]'s first gradient at step 2: raises {error}")
    print(f"the rule (and fused=False) gives {[w.tolist() for w in want]}")
    sys.exit(1)
got = [param.detach().numpy() for param in p]
print(f"fused SGD gives {[g.tolist() for g in got]}; the rule {[w.tolist() for w in want]}")
sys.exit(0 if all(np.allclose(g, w, rtol=1e-14, atol=0) for g, w in zip(got, want)) else 1)
