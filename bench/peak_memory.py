"""Peak GPU memory of named blocks, shared by the benchmarks (bench_eval.py, bench_stream.py)."""

from __future__ import annotations

import contextlib

import torch


class PeakMemory:
    """Peak GPU memory (MiB) allocated by torch during ``with peak.of(name):`` blocks, max over blocks;
    ``None`` on CPU."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.mib = device, {}

    @contextlib.contextmanager
    def of(self, name: str):
        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            yield
        finally:
            peak = torch.cuda.max_memory_allocated(self.device) / 2**20 if cuda else None
            self.mib[name] = max(peak, self.mib.get(name) or 0.0) if cuda else None
