"""The tutorial networks: each as a torch ``nn.Module`` and a NumPy twin.

``ZOO`` maps a short name to a :class:`NetworkSpec`::

    spec = ZOO["cifar"]
    module = spec.build()                 # seeded; size knobs as keyword overrides
    twin = spec.twin(module)              # NumPy, float64 (dtype=np.float32 to time it)
    x, y = spec.batch(spec.default_batch, seed=0)
    loss = loss_fn(spec.loss)(module(torch.from_numpy(x).float()), torch.from_numpy(y))
    twin.gradients(x, y)                  # hand-written backward, keyed like named_parameters()

One module per tutorial: :mod:`.learning_pytorch`, :mod:`.blitz`,
:mod:`.d2l_blocks`, :mod:`.course`, :mod:`.tips`.
"""

from __future__ import annotations

from torchconform.networks import blitz, course, d2l_blocks, learning_pytorch, tips
from torchconform.networks.core import (
    LOSSES,
    OptimSpec,
    draw_dropout_masks,
    loss_fn,
    numpy_loss,
    use_dropout_masks,
)
from torchconform.networks.spec import NetworkSpec
from torchconform.networks.twin import NetworkTwin as Twin

ZOO: dict[str, NetworkSpec] = {
    spec.name: spec
    for module in (learning_pytorch, blitz, d2l_blocks, course, tips)
    for spec in module.SPECS
}

__all__ = [
    "LOSSES", "NetworkSpec", "OptimSpec", "Twin", "ZOO",
    "draw_dropout_masks", "loss_fn", "numpy_loss", "use_dropout_masks",
]
