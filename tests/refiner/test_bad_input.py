"""Bad input: one line naming the file, exit 2 from the CLI, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_video.config import compose_config
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.refiner.dataset import TripletDataset
from sam2_video.refiner.index import INDEX_FILE, read_index
from sam2_video.refiner.make_data import make_data
from sam2_video.refiner.priors import PRIOR_DIR, prior_path
from sam2_video.refiner.sources import records_from_folder
from tests.refiner.test_priors_resume import _overrides

ROOT = Path(__file__).resolve().parents[2]


def _bad_mask(masks: Path) -> Path:
    bad = masks / "case2" / "frame_001.png"
    lab = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    lab[0, 0] = 3
    cv2.imwrite(str(bad), lab)
    return bad


def test_cli_exits_2_with_one_line_naming_the_file(pair_folder, tmp_path, monkeypatch, capsys):
    from sam2_video.refiner import make_data as cli

    images, masks = pair_folder
    bad, work = _bad_mask(masks), tmp_path / "w"
    monkeypatch.setattr(sys, "argv", ["make_data", *_overrides(images, masks, work, tmp_path), "refiner.num_classes=2",
                                      f"hydra.run.dir={tmp_path / 'h'}"])
    with pytest.raises(SystemExit) as exc:
        cli.main()  # logs to the (captured) sys.stderr
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "ERROR" in line]
    assert exc.value.code == 2 and "Traceback" not in err
    assert len(lines) == 1 and str(bad) in lines[0] and "class id 3" in lines[0]
    assert not (work / INDEX_FILE).exists() and not (work / "prompts").exists() and not (work / PRIOR_DIR).exists()


@pytest.mark.slow
def test_mask_id_above_c_exits_2_naming_the_file(pair_folder, tmp_path):
    images, masks = pair_folder
    bad = _bad_mask(masks)
    work = tmp_path / "w"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "sam2_video.refiner.make_data", *_overrides(images, masks, work, tmp_path),
                          "refiner.num_classes=2", f"hydra.run.dir={tmp_path / 'h'}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2
    errors = [line for line in res.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and str(bad) in errors[0] and "class id 3" in errors[0]
    assert "Traceback" not in res.stderr
    assert not (work / INDEX_FILE).exists() and not (work / "prompts").exists() and not (work / PRIOR_DIR).exists()


def test_size_mismatch_and_unreadable_files_are_named(pair_folder):
    images, masks = pair_folder
    small = masks / "case1" / "frame_000.png"
    cv2.imwrite(str(small), np.zeros((10, 10), np.uint8))
    with pytest.raises(DatasetError, match=f"{small}: mask is 10x10 but its image is 64x48"):
        records_from_folder(images, masks)
    cv2.imwrite(str(small), np.zeros((48, 64), np.uint8))
    broken = images / "case3" / "frame_002.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=f"{broken}: cannot read image"):
        records_from_folder(images, masks)
    broken.unlink()
    rgb_mask = masks / "case4" / "frame_000.png"
    cv2.imwrite(str(rgb_mask), np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(DatasetError, match=f"{rgb_mask}: mask must be a single-channel"):
        records_from_folder(images, masks)


def test_priors_of_another_resolution_or_class_count_are_refused(pair_folder, tmp_path):
    work = tmp_path / "w"
    ov = _overrides(*pair_folder, work, tmp_path)
    make_data(compose_config(ov))
    with pytest.raises(ConfigError, match="params.json: priors there were made with other settings"):
        make_data(compose_config([*ov, "refiner.resolution=[64,64]"]))
    records, meta = read_index(work)
    # a single file of another shape (params.json removed): named, and nothing else is rewritten
    odd = prior_path(work, records[3].key)
    np.save(odd, np.zeros((2, 64, 64), np.float16))
    (work / PRIOR_DIR / "params.json").unlink()
    with pytest.raises(DatasetError, match=f"{odd}: prior is float16 \\(2, 64, 64\\) but this run needs float16 \\(2, 48, 64\\)"):
        make_data(compose_config(ov))
    # the training data refuses a prior with another class count, naming the file
    np.save(odd, np.zeros((3, 48, 64), np.float16))
    ds = TripletDataset(records, meta, work, (48, 64), -20.0)
    with pytest.raises(DatasetError, match=str(odd)):
        ds[3]
    assert ds[2]["prior"].shape == (2, 48, 64)
