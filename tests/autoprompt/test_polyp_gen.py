"""Official PolypGen layout -> polyp_gen layout (seed 002), read back by data=polyp_gen; bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sam2_video.convert.polyp_gen import convert_polyp_gen
from sam2_video.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def _jpeg_mask(path: Path, fg: np.ndarray) -> None:
    Image.fromarray(fg.astype(np.uint8) * 255).save(path, quality=75)  # JPEG noise around the edges


@pytest.fixture
def official(tmp_path):
    root = tmp_path / "raw" / "PolypGen2021_MultiCenterData_v3"
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:48, :64]
    for s in (1, 2, 3):
        img_dir, mask_dir = [root / "sequenceData" / "positive" / f"seq{s}" / f"{k}_seq{s}" for k in ("images", "masks")]
        img_dir.mkdir(parents=True), mask_dir.mkdir(parents=True)
        for t in (1, 2, 10):  # natural order: 10 after 2
            Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(img_dir / f"C1_seq{s}_{t}.jpg")
            _jpeg_mask(mask_dir / f"C1_seq{s}_{t}_mask.jpg", (yy - 20 - t) ** 2 + (xx - 30) ** 2 < 100)
    neg = root / "sequenceData" / "negativeOnly" / "seq4_neg"
    neg.mkdir(parents=True)
    for t in (1, 2):
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(neg / f"neg_{t}.jpg")
    return root


def test_convert_and_load(tmp_path, official, make_cfg):
    out = tmp_path / "polyp_gen"
    splits = convert_polyp_gen(official.parent, out, val_sequences=["seq3", "seq4_neg"])
    assert splits == {"train": ["seq1", "seq2"], "valid": ["seq3", "seq4_neg"]}
    assert (out / "train" / "train_list.txt").read_text().split() == ["seq1", "seq2"]
    assert (out / "valid" / "val_list.txt").read_text().split() == ["seq3", "seq4_neg"]
    m = np.array(Image.open(out / "train" / "masks" / "seq1" / "C1_seq1_1.png"))
    assert set(np.unique(m).tolist()) == {0, 255}
    ref = np.array(Image.open(official / "sequenceData/positive/seq1/masks_seq1/C1_seq1_1_mask.jpg").convert("L"))
    assert np.array_equal(m > 0, ref >= 128) and (ref > 0).sum() > (m > 0).sum()  # half range, not > 0
    from sam2_video.eval.evaluate import load_index

    cfg = make_cfg("data=polyp_gen", f"data.root={out}")
    val = load_index(cfg, "val")
    assert [v.video_id for v in val.videos] == ["seq3", "seq4_neg"]
    assert [Path(f.image_path).stem for f in val.videos[0].frames] == ["C1_seq3_1", "C1_seq3_2", "C1_seq3_10"]
    assert all(not f.objects for f in val.videos[1].frames)  # negative frames: no polyp
    assert val.categories == {1: "polyp"}


def test_non_binary_mask_is_one_line_exit_2_no_output(tmp_path, official):
    bad = official / "sequenceData/positive/seq2/masks_seq2/C1_seq2_2_mask.jpg"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64), dtype=np.uint8)).save(bad)
    out = tmp_path / "polyp_gen"
    r = subprocess.run([sys.executable, "data/convert_polypgen.py", "--input-dir", str(official.parent),
                        "--output-dir", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    errors = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and "not binary" in errors[0] and "C1_seq2_2_mask" in errors[0]
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".polyp_gen")]


def test_empty_sequence_list_is_an_error(tmp_path, official, make_cfg):
    out = tmp_path / "polyp_gen"
    convert_polyp_gen(official.parent, out, val_sequences=["seq3"])
    (out / "valid" / "val_list.txt").write_text("# nothing\n")
    from sam2_video.eval.evaluate import evaluate

    cfg = make_cfg("data=polyp_gen", f"data.root={out}", "experiment=autosam2", "model.auto_prompt.category_ids=[1]",
                   f"output_dir={tmp_path / 'eval'}")
    with pytest.raises(UserError, match="video list is empty") as err:
        evaluate(cfg)
    assert "valid" in str(err.value) and not (tmp_path / "eval" / "summary.json").exists()
    with pytest.raises(UserError, match="no sequences"):  # the converter never writes an empty split
        convert_polyp_gen(official.parent, tmp_path / "x", val_sequences=["seq1", "seq2", "seq3", "seq4_neg"])
    with pytest.raises(UserError, match="val-sequences"):
        convert_polyp_gen(official.parent, tmp_path / "x", val_sequences=["seq9"])
