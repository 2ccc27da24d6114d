"""torch.as_strided_scatter's reverse-mode gradient with respect to its input
keeps the cotangent where src overwrites the input and drops it elsewhere:
inverted. Forward mode and central differences agree with each other."""
import sys

import numpy as np
import torch


def scatter(x, src):
    return torch.as_strided_scatter(x, src, (2, 2), (1, 2), 1)  # overwrites positions 1, 2, 3, 4


x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
src = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
g = torch.arange(1.0, 7.0, dtype=torch.float64)
(by_autograd,) = torch.autograd.grad(scatter(x, src), x, g)

# central differences of <g, out> with respect to each element of x
h = 1e-3
by_differences = np.array([
    float(((scatter(x.detach() + h * e, src.detach()) - scatter(x.detach() - h * e, src.detach())) * g).sum()) / (2 * h)
    for e in torch.eye(6, dtype=torch.float64)])
by_jvp = np.array([float((torch.func.jvp(scatter, (x.detach(), src.detach()), (e, torch.zeros(2, 2, dtype=torch.float64)))[1]
                          * g).sum()) for e in torch.eye(6, dtype=torch.float64)])
print(f"torch {torch.__version__}")
print("autograd d<g, out>/dx:       ", by_autograd.tolist())
print("central differences:         ", by_differences.round(12).tolist())
print("forward mode (jvp) per unit: ", by_jvp.tolist())
sys.exit(0 if np.allclose(by_autograd.numpy(), by_differences) else 1)
