"""The inspect command: counts, problems and rendered clips."""

from __future__ import annotations

import json

from sam2_video.data.inspect import main


def test_inspect_json_reports_counts_and_renders(synthetic_dir, tmp_path, capsys):
    rc = main([str(synthetic_dir / "val.json"), "--image-size", "64", "--clip-length", "4", "--out", str(tmp_path / "png")])
    out = capsys.readouterr().out
    assert rc == 0 and "problems: 0" in out
    assert "videos 1  frames 10" in out and "1 ellipse" in out and "clips: 3 of 4 frames" in out
    assert len(list((tmp_path / "png").glob("*.png"))) >= 1


def test_inspect_yaml_with_overrides(synthetic_dir, tmp_path, capsys):
    from sam2_video.config import CONFIG_DIR

    rc = main([str(CONFIG_DIR / "data" / "coco.yaml"), f"data.root={synthetic_dir}", "model.image_size=64",
               "data.clip_length=4", "--split", "train", "--num-clips", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "== train:" in out and "== val" not in out
    assert len(list(tmp_path.glob("train_*.png"))) == 1


def test_inspect_reports_problem(synthetic_dir, tmp_path, capsys):
    data = json.loads((synthetic_dir / "val.json").read_text())
    data["categories"].append({"id": 9, "name": "ghost"})
    (tmp_path / "bad.json").write_text(json.dumps(data))
    rc = main([str(tmp_path / "bad.json"), "--image-root", str(synthetic_dir)])
    out = capsys.readouterr().out
    assert rc == 2 and "PROBLEM:" in out and "category 9 ('ghost') has no annotation" in out
