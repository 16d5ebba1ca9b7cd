"""The process-wide random streams (torch CPU / CUDA, NumPy's global, Python's ``random``), captured
and restored as one, so that validation inside a training run leaves training's draws untouched."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch


@dataclass(frozen=True)
class RandomStreams:
    """A snapshot of every global random stream a training step or a data loader may draw from."""

    torch_cpu: torch.Tensor  # torch.get_rng_state()
    torch_cuda: Optional[list[torch.Tensor]]  # one state per CUDA device; None when CUDA is not initialised
    numpy: Any  # np.random.get_state()
    python: Any  # random.getstate()

    @classmethod
    def capture(cls) -> "RandomStreams":
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
        return cls(torch.get_rng_state(), cuda, np.random.get_state(), random.getstate())

    def restore(self) -> None:
        torch.set_rng_state(self.torch_cpu)
        if self.torch_cuda is not None:
            torch.cuda.set_rng_state_all(self.torch_cuda)
        np.random.set_state(self.numpy)
        random.setstate(self.python)
