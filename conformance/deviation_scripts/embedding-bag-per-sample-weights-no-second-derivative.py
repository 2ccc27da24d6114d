"""embedding_bag with per_sample_weights has no second derivative."""
import sys

import torch
import torch.nn.functional as F

D = torch.float64
weight = torch.randn(4, 2, dtype=D, requires_grad=True)
psw = torch.randn(5, dtype=D, requires_grad=True)
indices, offsets = torch.tensor([0, 2, 2, 3, 1]), torch.tensor([0, 2])
out = F.embedding_bag(indices, weight, offsets, mode="sum", per_sample_weights=psw)
first = torch.autograd.grad(out.sum(), (weight, psw), create_graph=True)
try:
    second = torch.autograd.grad(first[1].sum(), weight)
    print(f"torch {torch.__version__}: d/dweight of sum(d/dpsw) = {second[0].tolist()}")
    sys.exit(0)
except RuntimeError as error:
    print(f"torch {torch.__version__}: second derivative raises: {error}")
    sys.exit(1)
