"""End-to-end evaluation on the synthetic dataset with the debug model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sam2_video.errors import DatasetError
from omegaconf import OmegaConf
from PIL import Image

from sam2_video.eval.evaluate import evaluate_index
from sam2_video.metrics.metrics import boundary_f_measure, region_similarity
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.eval.threshold import search_index
from sam2_video.prompt import PromptSpec


def _settings(cfg, **kw) -> EvalSettings:
    s = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    for k, v in kw.items():
        setattr(s, k, v)
    s.validate()
    return s


@pytest.fixture(scope="module")
def eval_run(synth_cfg, synth_index, debug_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    summary = evaluate_index(debug_model, synth_index, _settings(synth_cfg, save_rle=True, num_worst_frames=2), out)
    return out, summary


def test_outputs_exist_and_are_consistent(eval_run, synth_index):
    out, summary = eval_run
    for name in ("summary.json", "metrics_per_frame.csv", "metrics_per_object.csv", "metrics_per_video.csv",
                 "metrics_per_category.csv", "endovis_per_class.csv", "results_coco.json", "report.md",
                 "report/per_category.png", "report/jf_over_time.png", "report/worst_00.png"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*partial*"))
    saved = json.loads((out / "summary.json").read_text())
    assert saved["overall"]["num_objects"] == summary["overall"]["num_objects"] > 0
    frames = pd.read_csv(out / "metrics_per_frame.csv")
    n_rows = sum(len(v) * len(v.categories) for v in synth_index.videos)
    assert len(frames) == n_rows
    # pooled J&F recomputed from the per-frame table: per object mean over scored frames, then mean
    scored = frames[frames.scored == 1]
    per_obj = scored.groupby(["video_id", "object_id"])[["J", "F"]].mean()
    assert summary["overall"]["J"] == pytest.approx(per_obj.J.mean(), abs=1e-5)
    assert summary["overall"]["JF"] == pytest.approx((per_obj.J.mean() + per_obj.F.mean()) / 2, abs=1e-5)
    # protocol: prompt frame and last frame are not scored
    for (vid, oid), g in frames.groupby(["video_id", "object_id"]):
        first = g[g.prompted == 1].frame.min()
        assert set(g[g.scored == 1].frame) == set(range(first + 1, g.frame.max()))
    assert len(json.loads((out / "results_coco.json").read_text())) > 0


def test_png_masks_match_the_table(eval_run, synth_index):
    out, _ = eval_run
    frames = pd.read_csv(out / "metrics_per_frame.csv", dtype={"frame_name": str})
    video = synth_index.videos[0]
    mapping = json.loads((out / "masks" / video.video_id / "objects.json").read_text())["png_value_to_track_id"]
    for t in (1, 4):
        png = Image.open(out / "masks" / video.video_id / f"{t:05d}.png")
        assert png.mode == "P"
        labels = np.array(png)
        gt = video.load_masks(t)
        for value, tid in mapping.items():
            row = frames[(frames.video_id == video.video_id) & (frames.frame == t) & (frames.object_id == tid)].iloc[0]
            pred = labels == int(value)
            g = gt.get(tid, np.zeros_like(pred))
            assert row.J == pytest.approx(region_similarity(pred, g), abs=1e-6)
            assert row.F == pytest.approx(boundary_f_measure(pred, g), abs=1e-6)
            assert row.pred_area == pred.sum()


def test_threshold_search_equals_evaluation_at_same_threshold(eval_run, synth_cfg, synth_index, debug_model, tmp_path):
    _, summary = eval_run
    res = search_index(debug_model, synth_index, _settings(synth_cfg), tmp_path, [0.3, 0.5, 0.7])
    row = next(r for r in res["table"] if r["threshold"] == 0.5)
    for m in ("JF", "J", "F", "dice", "J_recall", "challenge_iou", "endovis_iou", "mciou", "ternaus_dice"):
        assert row[m] == pytest.approx(summary["overall"][m], abs=1e-9), m
    for name in ("thresholds.csv", "thresholds.md", "thresholds.png", "best_thresholds.json"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / ".logits").exists()
    best = json.loads((tmp_path / "best_thresholds.json").read_text())["best"]
    assert best["JF"]["threshold"] in (0.3, 0.5, 0.7)


@pytest.mark.parametrize("kind", ["point", "box"])
def test_reprompting_and_prompt_kinds(synth_cfg, synth_index, debug_model, tmp_path, kind):
    s = _settings(synth_cfg, reprompt_every=3, save_masks=False, report=True, num_worst_frames=0, max_videos=1)
    summary = evaluate_index(debug_model, synth_index, s, tmp_path, prompt=PromptSpec(kind=kind, num_neg_points=1))
    recorded = json.loads((tmp_path / "summary.json").read_text())["prompt"]  # the prompt the run used
    assert recorded == summary.prompt == PromptSpec(kind=kind, num_neg_points=1).record()
    assert "prompt_type" not in recorded and "prompt_type" not in summary.settings
    assert f"- prompt: {kind} (" in (tmp_path / "report.md").read_text()
    frames = pd.read_csv(tmp_path / "metrics_per_frame.csv")
    assert not (tmp_path / "masks").exists()
    for _, g in frames.groupby("object_id"):
        first = g[g.prompted == 1].frame.min()
        assert set(g[g.prompted == 1].frame) == set(range(first, 8, 3))
        assert not (g.scored & g.prompted).any()


def test_failing_run_leaves_no_partial_outputs(synth_cfg, synth_index, debug_model, tmp_path, monkeypatch):
    (tmp_path / "summary.json").write_text("{}")  # a stale summary from an earlier run
    video = synth_index.videos[-1]
    original = type(video).load_image

    def broken(self, t):
        if self is video and t == 3:
            raise OSError("disk gone")
        return original(self, t)

    monkeypatch.setattr(type(video), "load_image", broken)
    with pytest.raises(DatasetError, match=f"video {video.video_id} frame 3 .*disk gone"):
        evaluate_index(debug_model, synth_index, _settings(synth_cfg, save_rle=True), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("geometry,resize_mode", [("meta", "square"), ("data", "letterbox"), ("data", "square")])
def test_geometries_round_trip_the_prompt_mask(synth_cfg, synth_index, debug_model, tmp_path, geometry, resize_mode):
    s = _settings(synth_cfg, geometry=geometry, save_masks=False, report=False, max_videos=1)
    evaluate_index(debug_model, synth_index, s, tmp_path, resize_mode=resize_mode)
    frames = pd.read_csv(tmp_path / "metrics_per_frame.csv")
    prompted = frames[(frames.prompted == 1) & (frames.gt_area >= 100)]
    assert len(prompted) > 0 and (prompted.J > 0.85).all()  # mask prompt -> mask output, through the resize
