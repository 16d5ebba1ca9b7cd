"""Frame sources, bad input (bad frames, short / broken videos, wrong ONNX refiners) and the refiner stage."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from sam2_video.errors import ConfigError, DatasetError
from sam2_video.prompt import FramePrompt
from sam2_video.stream.run import stream_source
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import FolderSource, IteratorSource, VideoFileSource
from tests.conftest import shapes_video

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def _seeder(masks):
    return lambda t: {1: FramePrompt("mask", mask=masks[0, 0]), 2: FramePrompt("box", box=np.array([30, 30, 62, 62], np.float32))} if t == 0 else {}


def _run(model, source, masks, out, refiner=None, **kw):
    s = StreamSettings(source="folder", path="x", seed="auto", progress=False, **kw)
    return stream_source(Chain(model, s, refiner), source, _seeder(masks), [1, 2], {1: 0, 2: 0}, out)


def test_bad_frame_mid_stream_is_skipped_and_the_rest_written(debug_model, tmp_path):
    frames, masks = shapes_video(6)
    for t, img in enumerate(frames):
        Image.fromarray(img).save(tmp_path / f"{t:05d}.png")
    (tmp_path / "00003.png").write_bytes(b"not a png")
    summary = _run(debug_model, FolderSource(tmp_path), masks, tmp_path / "out", save_video=True)
    t = summary["timing"]
    assert [s["frame"] for s in t["skipped"]] == [3] and summary["overall"]["num_frames"] == 6
    pngs = sorted(p.stem for p in (tmp_path / "out" / "masks" / tmp_path.name).glob("*.png"))
    assert pngs == ["00000", "00001", "00002", "00004", "00005"]
    rows = pd.read_csv(tmp_path / "out" / "frames.csv")
    assert rows[rows.frame == 3].error.str.contains("could not|cannot|Unidentified", case=False).all()
    assert len(rows[rows.frame != 3]) == 5 * 2 and (tmp_path / "out" / "videos" / f"{tmp_path.name}.mp4").is_file()


def test_camera_iterator_with_a_failed_grab_and_early_end(debug_model, tmp_path):
    frames, masks = shapes_video(5)
    items = [frames[0], frames[1], OSError("camera hiccup"), frames[3]]
    s = StreamSettings(source="folder", path="x", seed="auto", progress=False, expected_frames=5)
    summary = stream_source(Chain(debug_model, s), IteratorSource(items, "cam"), _seeder(masks), [1, 2], {1: 0, 2: 0},
                            tmp_path)
    assert summary["timing"]["skipped"][0]["error"].startswith("OSError: camera hiccup")
    assert summary["timing"]["ended_early"] == [{"stream": "cam", "frames": 4, "expected": 5}]
    assert len(list((tmp_path / "masks" / "cam").glob("*.png"))) == 3
    assert json.loads((tmp_path / "summary.json").read_text())["overall"]["ms_per_frame"] > 0


def test_video_file_source_and_a_truncated_file(tmp_path):
    from sam2_video.video.writer import OverlayVideoWriter

    frames, _ = shapes_video(8)
    with OverlayVideoWriter(tmp_path / "v.mp4", fps=5) as w:
        for f in frames:
            w.write_frame(f)
    got = list(VideoFileSource(tmp_path / "v.mp4"))
    assert len(got) == 8 and got[0].image.shape == frames[0].shape and all(g.error is None for g in got)
    data = (tmp_path / "v.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    try:
        cut = list(VideoFileSource(tmp_path / "cut.mp4"))
    except DatasetError as exc:  # moov atom at the end: the file cannot be opened at all
        assert "cut.mp4" in str(exc) and "\n" not in str(exc)
    else:  # or it decodes up to the cut and reports the error as the last frame
        assert len(cut) < 8 and (cut[-1].error is not None or len(cut) < 8)


def _export(tmp_path, name, channels, hw, fn):
    class Net(torch.nn.Module):
        def forward(self, image, prior):
            return fn(prior) + 0.0 * image[:, :1]

    path = tmp_path / name
    torch.onnx.export(Net(), (torch.rand(1, 3, *hw), torch.randn(1, channels, *hw)), str(path), opset_version=17,
                      dynamo=False, input_names=["image", "prior"], output_names=["logits"])
    return path


@pytest.mark.slow
@pytest.mark.parametrize("override,key", [("stream.memory_every=0", "stream.memory_every"),
                                          ("stream.ema_alpha=1.0", "stream.ema_alpha")])
def test_cli_refuses_bad_values_with_one_line(tmp_path, override, key):
    r = subprocess.run([sys.executable, "-m", "sam2_video.stream", "sam2=debug", f"output_dir={tmp_path / 'o'}",
                        override], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr[-2000:]
    errors = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and key in errors[0] and not (tmp_path / "o").exists()


@pytest.mark.slow
def test_cli_streams_a_folder_from_a_prompts_file_and_refuses_a_missing_one(tmp_path):
    frames, masks = shapes_video(5)
    (tmp_path / "frames").mkdir()
    for t, img in enumerate(frames):
        Image.fromarray(img).save(tmp_path / "frames" / f"{t:05d}.jpg")
    Image.fromarray(masks[0, 0].astype(np.uint8) * 255).save(tmp_path / "m1.png")
    (tmp_path / "p.json").write_text(json.dumps({"frame": 0, "objects": {"1": {"mask": "m1.png"},
                                                                          "2": {"box": [30, 30, 62, 62], "points": [[45, 48]]}}}))
    base = [sys.executable, "-m", "sam2_video.stream", "sam2=debug", "stream.source=folder", "stream.seed=prompts",
            f"stream.path={tmp_path / 'frames'}", "stream.progress=false"]
    r = subprocess.run([*base, f"stream.prompts_file={tmp_path / 'p.json'}", f"output_dir={tmp_path / 'out'}"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = pd.read_csv(tmp_path / "out" / "frames.csv")
    assert sorted(set(rows.object_id)) == [1, 2] and len(rows) == 10
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["run"]["task"] == "stream"
    r = subprocess.run([*base, f"stream.prompts_file={tmp_path / 'nope.json'}", f"output_dir={tmp_path / 'o2'}"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    errors = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert r.returncode == 2 and len(errors) == 1 and "nope.json" in errors[0] and not (tmp_path / "o2").exists()


@pytest.mark.parametrize("override,accepted", [("stream.max_memory=0", False), ("stream.max_memory=null", True),
                                               ("stream.max_cond_memory=0", False), ("stream.max_cond_memory=null", True),
                                               ("stream.max_cond_memory=2", True)])
def test_config_schema_and_stream_settings_agree_on_memory_caps(override, accepted):
    from sam2_video.config import compose_config
    from sam2_video.validation.checks import check_types

    cfg = compose_config([override])
    for check in (lambda: check_types(cfg), lambda: StreamSettings.from_config(cfg.stream)):
        if accepted:
            check()
        else:
            with pytest.raises(ConfigError, match=override.split("=")[0]):
                check()


def test_top_level_stream_script_help_and_refusal(run_cli, tmp_path):
    help_ = run_cli("stream.py", "--help")
    assert help_.returncode == 0
    assert "frame by frame" in help_.stdout and "stream: " in help_.stdout  # its own description, then Hydra's groups
    out = run_cli("stream.py", "stream.ema_alpha=1.0", f"output_dir={tmp_path / 'run'}")
    assert out.returncode == 2 and "stream.ema_alpha" in out.stderr and not (tmp_path / "run").exists()
