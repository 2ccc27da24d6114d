"""Some torch.nn.functional calls have no second derivative: their backward has no derivative of its own."""
import sys

import torch
import torch.nn.functional as F

D = torch.float64
x = torch.tensor([[0.3, -0.5, 0.9], [1.1, 0.2, -0.4]], dtype=D, requires_grad=True)
weight = torch.tensor([[0.5, -1.0], [0.25, 2.0], [1.5, 0.0], [-0.75, 1.0]], dtype=D, requires_grad=True)
psw = torch.tensor([0.5, -1.0, 2.0, 0.25, 1.5], dtype=D, requires_grad=True)
logits = torch.linspace(-1.0, 1.0, 12, dtype=D).reshape(4, 1, 3).requires_grad_()
calls = {
    "embedding_bag(mode='sum', per_sample_weights)": (
        lambda: F.embedding_bag(torch.tensor([0, 2, 2, 3, 1]), weight, torch.tensor([0, 2]), mode="sum",
                                per_sample_weights=psw), (weight, psw)),
    # p=2: piecewise quadratic, so its second derivative is non-zero
    "multi_margin_loss(p=2)": (lambda: F.multi_margin_loss(x, torch.tensor([2, 0]), p=2), (x,)),
    "multilabel_margin_loss": (lambda: F.multilabel_margin_loss(x, torch.tensor([[2, -1, 0], [0, 1, -1]])), (x,)),
    "ctc_loss": (lambda: F.ctc_loss(F.log_softmax(logits, -1), torch.tensor([[1, 2]]), torch.tensor([4]),
                                    torch.tensor([2])), (logits,)),
}
print(f"torch {torch.__version__}")
missing = 0
for name, (call, inputs) in calls.items():
    first = torch.autograd.grad(call().sum(), inputs, create_graph=True)
    try:
        torch.autograd.grad(sum((f * f).sum() for f in first), inputs, allow_unused=True)
        print(f"{name}: second derivative computed")
    except RuntimeError as error:
        print(f"{name}: second derivative raises: {error}")
        missing += 1
sys.exit(1 if missing else 0)
