"""K = 1, no refiner / EMA / post-processing / re-prompting: the stream's masks are the evaluation's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sam2_video.eval.evaluate import evaluate_index
from sam2_video.pipeline.chain import Chain
from sam2_video.stream.run import stream_index


@pytest.fixture(scope="module")
def eval_dir(stream_cfg, synth_videos, debug_model, tmp_path_factory):
    from omegaconf import OmegaConf

    from sam2_video.pipeline.eval_settings import EvalSettings

    out = tmp_path_factory.mktemp("eval")
    s = EvalSettings.from_config(OmegaConf.to_container(stream_cfg.eval, resolve=True))
    s.report = False
    s.encode_batch = 1  # per-frame image encoding, as a live stream must: bit-exact (batched: equal up to rounding)
    return out, evaluate_index(debug_model, synth_videos, s, out)


def _masks(folder):
    return {p.relative_to(folder).as_posix(): np.array(Image.open(p)) for p in sorted(folder.rglob("*.png"))}


def test_plain_stream_equals_full_video_evaluation(eval_dir, synth_videos, debug_model, settings, tmp_path):
    ev_out, ev_summary = eval_dir
    s, es = settings()
    summary = stream_index(Chain(debug_model, s), synth_videos, es, tmp_path)
    ours, theirs = _masks(tmp_path / "masks"), _masks(ev_out / "masks")
    assert ours.keys() == theirs.keys() and len(ours) == sum(len(v) for v in synth_videos.videos)
    differ = [k for k in ours if not np.array_equal(ours[k], theirs[k])]
    assert not differ, differ[:5]
    assert any(m.any() for m in ours.values())
    for key in ("JF", "J", "F", "dice", "challenge_iou"):
        assert summary["overall"][key] == pytest.approx(ev_summary["overall"][key], abs=1e-12), key
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["overall"]["ms_per_frame"] > 0 and saved["run"]["task"] == "stream"
    frames = pd.read_csv(tmp_path / "frames.csv")
    last = frames.frame == frames.groupby("video_id").frame.transform("max")
    assert set(frames.memory_written[(frames.prompted == 0) & ~last]) == {1}
    assert set(frames.memory_written[last]) == {0}  # nothing would read the last frame's memory
    assert {"decode_ms", "sam2_ms", "refiner_ms", "post_ms", "memory_ms", "total_ms", "confidence"} <= set(frames.columns)


def test_memory_cadence_changes_the_masks_and_skips_writes(synth_videos, debug_model, settings, tmp_path):
    s, es = settings(memory_every=3, max_videos=2)
    stream_index(Chain(debug_model, s), synth_videos, es, tmp_path)
    frames = pd.read_csv(tmp_path / "frames.csv")
    tracked = frames[frames.prompted == 0].drop_duplicates(["video_id", "frame"])
    first = frames[frames.prompted == 1].groupby("video_id").frame.min()
    for _, r in tracked.iterrows():
        expected = (r.frame - first[r.video_id]) % 3 == 0 and r.frame < frames.frame.max()
        assert r.memory_written == int(expected), (r.video_id, r.frame)
