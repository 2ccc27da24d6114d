"""One tutorial network described once: how torch builds it, how its NumPy
twin is assembled, its data, loss, optimizer and FLOP count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from torchconform.networks.core import OptimSpec
from torchconform.networks.twin import Block, NetworkTwin


@dataclass(frozen=True)
class NetworkSpec:
    """A tutorial network and everything needed to check it against its twin.

    Fields:

    - ``name``: short key in :data:`torchconform.networks.ZOO` and in test ids.
    - ``title``: human-readable name for reports.
    - ``source``: the tutorial it comes from, as ``"<file> §<section>"``.
    - ``build(**overrides) -> nn.Module``: the torch network in float32 on CPU,
      parameters drawn from a fixed seed (wrap constructors in
      :func:`~torchconform.networks.core.seeded`); keyword overrides change size
      knobs (hidden width, depth).
    - ``blocks(twin, module) -> Block``: the twin's structure, made on every
      parameter load so a block can copy state from the module.
    - ``batch(n, seed) -> (x, y)``: ``n`` float64 inputs and their targets
      (float64 or int64 class indices, as ``loss`` needs).
    - ``default_batch``: the tutorial's batch size.
    - ``loss``: one of :data:`~torchconform.networks.core.LOSSES`, the same name
      for torch (:func:`~torchconform.networks.core.loss_fn`) and NumPy.
    - ``optimizer``: the tutorial's optimizer, for torch and NumPy alike.
    - ``flops(batch, **overrides) -> {"forward": int, "backward": int}``: FLOPs
      of one step in the convention of ``torch.utils.flop_counter``.
    - ``has_dropout``: whether training draws dropout masks.

    The loss and optimizer are given once here; :meth:`twin` hands them to the twin.
    """

    name: str
    title: str
    source: str
    build: Callable[..., torch.nn.Module]
    blocks: Callable[[NetworkTwin, torch.nn.Module], Block]
    batch: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    default_batch: int
    loss: str
    optimizer: OptimSpec
    flops: Callable[..., dict[str, int]]
    has_dropout: bool = False

    def twin(self, module: torch.nn.Module, dtype=np.float64) -> NetworkTwin:
        """The NumPy twin of ``module`` (built by :attr:`build`), its parameters
        copied and computing in ``dtype`` (float64 to check, float32 to time)."""
        return NetworkTwin(module, self.blocks, loss=self.loss, optimizer=self.optimizer, dtype=dtype)
