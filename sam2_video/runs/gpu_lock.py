"""One GPU per launcher job on a multi-GPU machine: ``gpu_slot(lock_dir, job_num)``.

Launchers that place jobs themselves (``submitit_slurm``: SLURM gives each job its own GPUs) leave one
GPU visible per job and nothing is done here. Local launchers (``joblib``, ``submitit_local``, ``basic``)
show every GPU to every job; then each job holds an exclusive ``flock`` on one GPU's lock file in
``lock_dir`` for as long as it runs and sees only that GPU (``CUDA_VISIBLE_DEVICES``). With no more
parallel jobs than GPUs a free one always exists; with more, a job waits for GPU ``job_num % n``.
The locks are the kernel's: a job that dies releases its GPU.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator, Optional


def visible_gpus() -> list[str]:
    """Ids of the GPUs this process may use (``CUDA_VISIBLE_DEVICES`` order), empty without CUDA."""
    try:
        import torch

        n = torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no CUDA runtime at all
        n = 0
    vis = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [x.strip() for x in vis.split(",") if x.strip()] if vis else [str(i) for i in range(n)]
    return ids[:n]


@contextlib.contextmanager
def gpu_slot(lock_dir: str | Path, job_num: int, gpus: Optional[list[str]] = None) -> Iterator[Optional[str]]:
    """The GPU id this job owns while inside the block (None: zero or one GPU visible, nothing to pin)."""
    gpus = visible_gpus() if gpus is None else gpus
    if len(gpus) <= 1:
        yield None
        return
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    order = gpus[job_num % len(gpus):] + gpus[:job_num % len(gpus)]  # spread the first picks
    for blocking in (False, True):
        for gpu in order if not blocking else order[:1]:
            fh = open(Path(lock_dir) / f"gpu{gpu}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                fh.close()
                continue
            try:
                yield gpu
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
