"""Prior generation with the real (debug, random-weight) SAM2: interrupted / killed runs resume without
redoing finished files and without keeping torn ones."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sam2_video.config import compose_config
from sam2_video.refiner.index import read_index
from sam2_video.refiner.make_data import make_data
from sam2_video.refiner.priors import PRIOR_DIR, load_prior
from tests.refiner.conftest import shapes, write_pair

ROOT = Path(__file__).resolve().parents[2]


def _overrides(images: Path, masks: Path, work: Path, tmp: Path) -> list[str]:
    return ["experiment=refiner_demo", "refiner.source=folder", f"refiner.folder.images={images}",
            f"refiner.folder.masks={masks}", f"refiner.work_dir={work}", "refiner.resolution=[48,64]",
            f"paths.root_dir={tmp}", "logger=none"]


def _priors(work: Path) -> dict[str, Path]:
    return {p.relative_to(work / PRIOR_DIR).as_posix(): p for p in (work / PRIOR_DIR).rglob("*.npy")}


def test_interrupted_run_resumes_without_redoing(pair_folder, tmp_path):
    work = tmp_path / "w"
    ov = _overrides(*pair_folder, work, tmp_path)
    first = make_data(compose_config([*ov, "refiner.prior.max_frames=5"]))
    assert first["priors"]["written"] == 5 and not first["priors"]["complete"]
    done = _priors(work)
    assert len(done) == 5
    torn = sorted(done)[2]
    done[torn].write_bytes(done[torn].read_bytes()[:100])  # a file cut short (as a non-atomic writer would leave)
    kept = {k: p.stat().st_mtime_ns for k, p in done.items() if k != torn}

    second = make_data(compose_config(ov))
    records, meta = read_index(work)
    assert second["priors"]["complete"] and second["priors"]["skipped_verified"] == 4
    assert second["priors"]["written"] == len(records) - 4
    after = _priors(work)
    assert len(after) == len(records)
    assert {k: after[k].stat().st_mtime_ns for k in kept} == kept  # finished files not redone
    for p in after.values():
        assert load_prior(p, meta.num_classes, (48, 64)).dtype == np.float16
    summary = json.loads((work / PRIOR_DIR / "summary.json").read_text())
    assert summary["class_coverage"] == {"class_1": 18, "class_2": 18}


@pytest.mark.slow
def test_killed_subprocess_resumes(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    for v in range(10):
        for f in range(12):
            write_pair(images, masks, f"v{v}/{f:03d}", shapes(48, 64, 100 * v + f))
    work = tmp_path / "w"
    ov = _overrides(images, masks, work, tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sam2_video.refiner.make_data", *ov, f"hydra.run.dir={tmp_path / 'h'}"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and len(_priors(work)) < 10:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _priors(work)
    assert 10 <= len(done) < 120, "the run was not killed part-way"
    kept = {k: p.stat().st_mtime_ns for k, p in done.items()}
    for p in done.values():  # atomic writes: whatever exists is complete
        load_prior(p, 2, (48, 64))
    second = make_data(compose_config(ov))
    assert second["priors"]["skipped_verified"] == len(done) and second["priors"]["complete"]
    after = _priors(work)
    assert len(after) == 120 and {k: after[k].stat().st_mtime_ns for k in kept} == kept
    assert not list((work / PRIOR_DIR).rglob(".*"))  # no temporaries left behind
