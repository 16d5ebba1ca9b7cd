"""Overlay videos: the writer (atomic, frame count, odd sizes) and ``baseline_eval.py eval.save_video=true``."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest

from sam2_video.data.visualize import comparison, draw_objects, object_color
from sam2_video.video.writer import OverlayVideoWriter, video_file_name


def _decode(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def _frames(t_len: int, h: int, w: int):
    rng = np.random.default_rng(0)
    for t in range(t_len):
        img = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        masks = np.zeros((2, h, w), bool)
        masks[0, 5:25, 5 + t:30 + t] = True
        masks[1, 30:45, 40:60] = True
        yield img, masks


def test_writer_frame_count_odd_size_and_atomicity(tmp_path):
    target = tmp_path / "v" / "clip.mp4"
    with OverlayVideoWriter(target, fps=5) as video:
        for img, masks in _frames(9, 51, 67):
            video.write(img, masks, [3, 7])
        assert not target.exists()  # only the hidden partial file while writing
    decoded = _decode(target)
    assert decoded.shape == (9, 52, 68, 3)  # padded to even sizes for yuv420p
    assert os.listdir(target.parent) == ["clip.mp4"]

    with pytest.raises(RuntimeError, match="boom"):
        with OverlayVideoWriter(tmp_path / "w" / "bad.mp4") as video:
            img, masks = next(_frames(1, 32, 32))
            video.write(img, masks, [1, 2])
            raise RuntimeError("boom")
    assert os.listdir(tmp_path / "w") == []  # no truncated video left
    with pytest.raises(ValueError, match="is 16x16"):
        video = OverlayVideoWriter(tmp_path / "x.mp4")
        video.write_frame(np.zeros((32, 32, 3), np.uint8))
        video.write_frame(np.zeros((16, 16, 3), np.uint8))
    video.abort()
    assert video_file_name("../a b/c") == "a_b_c.mp4" and video_file_name("..") == "video.mp4"


def test_colours_by_object_id_identical_in_ground_truth_and_prediction():
    rng = np.random.default_rng(1)
    img = (rng.random((60, 80, 3)) * 255).astype(np.uint8)
    gt = np.zeros((2, 60, 80), bool)
    gt[0, 10:30, 10:30] = True
    gt[1, 35:55, 40:75] = True
    pred = gt.copy()
    pred[1] = False  # object 2 missed: object 1 must keep its colour
    a, b = draw_objects(img, gt, [4, 9]), draw_objects(img, pred, [4, 9])
    assert np.array_equal(a[:32], b[:32])  # object 1's region is drawn identically
    strip = comparison(img, gt, pred, [4, 9])
    assert strip.shape[1] == 3 * 80 + 2 * 2
    # the outline is the object's palette colour (not blended with the texture)
    colours = {tuple(px) for px in a.reshape(-1, 3)}
    assert object_color(4) in colours and object_color(9) in colours
    assert object_color(4) != object_color(9)
    # the background is desaturated: less colourful than the input
    sat = lambda x: float((x.max(-1).astype(int) - x.min(-1)).mean())  # noqa: E731
    assert sat(a[:5, 35:]) < 0.6 * sat(img[:5, 35:])


def test_baseline_eval_save_video_writes_playable_mp4s(tmp_path, synth_index, synth_root, synth_overrides, run_cli):
    out = tmp_path / "eval"
    r = run_cli("baseline_eval.py", "sam2=debug", f"data.root={synth_root}", *synth_overrides, "eval.save_video=true",
                "eval.video_fps=4", "eval.max_videos=2", "eval.save_masks=false", "eval.num_worst_frames=1",
                f"output_dir={out}", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    records = synth_index.videos[:2]
    files = sorted(p.name for p in (out / "videos").iterdir())
    assert files == sorted(video_file_name(v.video_id) for v in records)
    report = (out / "report.md").read_text()
    for rec in records:
        path = out / "videos" / video_file_name(rec.video_id)
        frames = _decode(path)
        assert len(frames) == len(rec.frames)
        h, w = rec.frames[0].height, rec.frames[0].width
        assert frames.shape[1:3] == (h + h % 2, w + w % 2)
        with av.open(str(path)) as c:
            assert float(c.streams.video[0].average_rate) == 4.0
        assert f"(videos/{path.name})" in report
