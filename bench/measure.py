"""How the benchmarks measure: peak GPU memory of named blocks, GPU sync before reading a clock, and the
accumulated wall time of a wrapped callable (bench_eval.py, bench_stream.py)."""

from __future__ import annotations

import contextlib
import time

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


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall times cover it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Timed:
    """Accumulate the wall time of a callable (an instance attribute wrapper)."""

    def __init__(self, fn) -> None:
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return self.fn(*a, **kw)
        finally:
            self.seconds += time.perf_counter() - t0
