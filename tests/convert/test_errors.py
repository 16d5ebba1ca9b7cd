"""Each bad input: exit status 2, one log line naming the file and the fix, and no output at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from loguru import logger
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def errors():
    lines: list[str] = []
    handler = logger.add(lines.append, level="ERROR", format="{message}")
    yield lines
    logger.remove(handler)


def _run(script, name, argv, tmp_path, errors):
    out = tmp_path / "out"
    rc = script(name)(argv + ["--output-file", str(out / "x.json"), "--image-root", str(out / "images")])
    assert rc == 2
    assert len(errors) == 1 and "\n" not in errors[0].rstrip("\n")
    assert not out.exists(), sorted(out.rglob("*"))  # no JSON, no frames, no temp folders
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]
    return errors[0]


def _e17(raw, tmp_path):
    return raw.endovis17(tmp_path / "raw", videos={1: ["Left_Prograsp_Forceps_labels", "Bipolar_Forceps_labels"],
                                                   2: ["Other_labels"]})


def test_frame_without_label(raw, tmp_path, script, errors):
    root = _e17(raw, tmp_path)
    label = root / "instrument_dataset_2" / "ground_truth" / "Other_labels" / "frame001.png"
    label.unlink()
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert "frame001.png" in msg and "no label" in msg and str(label) in msg


def test_missing_folder(raw, tmp_path, script, errors):
    root = _e17(raw, tmp_path)
    for p in sorted((root / "instrument_dataset_2" / "left_frames").iterdir()):
        p.unlink()
    (root / "instrument_dataset_2" / "left_frames").rmdir()
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert "missing folder" in msg and "instrument_dataset_2/left_frames" in msg


def test_missing_input_dir(tmp_path, script, errors):
    (tmp_path / "raw").mkdir()
    msg = _run(script, "convert_cholecseg8k_to_coco", ["--input-dir", str(tmp_path / "raw" / "nope")], tmp_path, errors)
    assert "nope" in msg


@pytest.mark.parametrize("what", ["frame", "label"])
def test_mixed_sizes(raw, tmp_path, script, errors, what):
    root = _e17(raw, tmp_path)
    if what == "frame":
        bad = root / "instrument_dataset_1" / "left_frames" / "frame002.png"
        raw.save(bad, raw.frame_rgb(0, 60, 80))
    else:
        bad = root / "instrument_dataset_1" / "ground_truth" / "Bipolar_Forceps_labels" / "frame001.png"
        raw.save(bad, np.zeros((64, 81), np.uint8))
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert "mixed sizes" in msg and str(bad) in msg


def test_unknown_colour_endovis18(raw, tmp_path, script, errors):
    root = raw.endovis18(tmp_path / "raw", seqs=(1, 2))
    bad = root / "seq_2" / "labels" / "frame001.png"
    rgb = np.asarray(Image.open(bad).convert("RGB")).copy()
    rgb[0, 0] = (9, 9, 9)
    raw.save(bad, rgb)
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root), "--task", "scene"], tmp_path, errors)
    assert str(bad) in msg and "(9, 9, 9)" in msg and "labels.json" in msg


def test_unknown_grey_cholecseg8k(raw, tmp_path, script, errors):
    root = raw.cholecseg8k(tmp_path / "raw")
    bad = root / "video12" / "video12_00000" / "frame_1_endo_watershed_mask.png"
    grey = np.asarray(Image.open(bad)).copy()
    grey[5, 5] = 77
    raw.save(bad, grey)
    msg = _run(script, "convert_cholecseg8k_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert str(bad) in msg and "[77]" in msg


def test_missing_watershed_mask(raw, tmp_path, script, errors):
    root = raw.cholecseg8k(tmp_path / "raw")
    (root / "video01" / "video01_00160" / "frame_161_endo_watershed_mask.png").unlink()
    msg = _run(script, "convert_cholecseg8k_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert "frame_161_endo.png has no label" in msg


def test_unknown_part_value_and_instrument_folder(raw, tmp_path, script, errors):
    root = _e17(raw, tmp_path)
    bad = root / "instrument_dataset_1" / "ground_truth" / "Bipolar_Forceps_labels" / "frame000.png"
    lab = raw.e17_label(0, 0)
    lab[0, 0] = 40
    raw.save(bad, lab)
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root), "--task", "parts"], tmp_path, errors)
    assert str(bad) in msg and "[40]" in msg
    errors.clear()
    (root / "instrument_dataset_2" / "ground_truth" / "Other_labels").rename(
        root / "instrument_dataset_2" / "ground_truth" / "Mystery_labels")
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root)], tmp_path, errors)
    assert "Mystery_labels" in msg


def test_davis_rgb_annotation_and_missing_annotations(raw, tmp_path, script, errors):
    root = raw.davis(tmp_path / "raw")
    bad = root / "Annotations" / "car" / "00001.png"
    Image.open(bad).convert("RGB").save(bad)
    msg = _run(script, "convert_video_folder_to_coco", ["--input-dir", str(root), "--layout", "davis"], tmp_path, errors)
    assert str(bad) in msg and "palettised" in msg


@pytest.mark.parametrize("argv,needle", [
    (["--split", "fold7"], "fold7"),
    (["--val-videos", "42"], "'42'"),
    (["--val-videos", "1,2"], "no training video"),
    (["--crop"], "does not fit"),
])
def test_bad_options(raw, tmp_path, script, errors, argv, needle):
    root = _e17(raw, tmp_path)
    msg = _run(script, "convert_endovis_to_coco", ["--input-dir", str(root)] + argv, tmp_path, errors)
    assert needle in msg


def test_scripts_run_as_programs(raw, tmp_path):
    """The thin wrappers work as commands: exit 0 on success, 2 with a one-line error otherwise."""
    root = _e17(raw, tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    cmd = [sys.executable, str(REPO / "data" / "convert_endovis_to_coco.py"), "--input-dir", str(root),
           "--output-file", str(tmp_path / "o" / "ev.json")]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "o" / "ev.json").is_file() and (tmp_path / "o" / "instrument_dataset_1" / "00000.png").is_file()
    bad = subprocess.run(cmd[:-1] + [str(tmp_path / "p" / "ev.json"), "--split", "fold9"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "fold9" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "p").exists()
