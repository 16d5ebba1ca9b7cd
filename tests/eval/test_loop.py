"""The one evaluation loop: entry points agree, planners and outputs plug in, summary.json round-trips."""

from __future__ import annotations

import json
import math

import pytest
import torch
from omegaconf import OmegaConf

from sam2_video.errors import DatasetError
from sam2_video.eval.evaluate import evaluate_index
from sam2_video.pipeline.assemble import build_chain, plain_chain_settings
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.pipeline.jobs import index_jobs
from sam2_video.pipeline.planners.gt import GtPlanner
from sam2_video.pipeline.planners.gt_prompts import EvalPromptFactory
from sam2_video.pipeline.run import Sink, run_videos
from sam2_video.metrics.summary import EvalSummary
from sam2_video.prompt import PromptSpec


def _settings(cfg, **kw) -> EvalSettings:
    s = EvalSettings.from_config({**OmegaConf.to_container(cfg.eval, resolve=True), **kw})
    return s


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def test_summary_json_round_trips(synth_cfg, synth_index, debug_model, tmp_path):
    s = _settings(synth_cfg, max_videos=2, report=False, save_masks=False)
    summary = evaluate_index(debug_model, synth_index, s, tmp_path)
    back = EvalSummary.read(tmp_path)
    assert _same(back.to_dict(), summary.to_dict())
    assert back.metric("JF") == pytest.approx(summary["overall"]["JF"])
    (tmp_path / "bad.json").write_text(json.dumps({"per_video": {}}))
    with pytest.raises(DatasetError, match="bad.json"):
        EvalSummary.read(tmp_path / "bad.json")


class _FirstObjectOnly(GtPlanner):
    """A planner of another kind: evaluates only the lowest track id of each video."""

    def plan(self, record):
        plan = super().plan(record)
        keep = plan.track_ids[:1]
        plan.category_ids = plan.category_ids[: len(keep)]
        plan.first_frame = {t: plan.first_frame[t] for t in keep}
        plan.prompt_frames = {t: plan.prompt_frames[t] for t in keep}
        plan.track_ids = keep
        return plan


class _Counter(Sink):
    def __init__(self) -> None:
        self.frames, self.videos, self.committed = 0, [], False

    def start_video(self, video) -> None:
        self.videos.append((video.video_id, list(video.plan.track_ids)))

    def frame(self, r) -> None:
        assert r.levels.shape == r.gt.shape and r.levels.shape[0] == len(r.video.plan.track_ids)
        self.frames += 1

    def commit(self) -> None:
        self.committed = True


def test_planner_and_outputs_plug_into_the_loop(synth_cfg, synth_index, debug_model):
    s = _settings(synth_cfg, max_videos=3)
    counter = _Counter()
    videos = synth_index.videos[:3]
    chain = build_chain(synth_cfg, debug_model, plain_chain_settings(s), s)
    res = run_videos(chain, index_jobs(videos, _FirstObjectOnly(EvalPromptFactory(PromptSpec()))), [counter],
                     class_ids=[1, 2, 3])
    assert counter.committed and counter.frames == sum(len(v.frames) for v in videos) == res.frames
    assert all(len(tids) <= 1 for _, tids in counter.videos)
    assert len(res.objects) == sum(len(t) for _, t in counter.videos) >= 1
    full = run_videos(chain, index_jobs(videos, GtPlanner(EvalPromptFactory(PromptSpec()))), class_ids=[1, 2, 3])
    assert len(full.objects) > len(res.objects)  # the plan, not the loop, chose the objects


def test_baseline_eval_and_grid_search_agree_from_the_command_line(scripts, synth_root, synth_overrides, tmp_path,
                                                                   run_cli):
    """Random weights (sam2=debug, no checkpoint): both entry points build the same model from the seed."""
    common = ["sam2=debug", f"data.root={synth_root}", *synth_overrides, "eval.max_videos=2", "eval.report=false",
              "eval.save_masks=false"]
    out = tmp_path / "eval"
    grid = scripts("grid_search_threshold")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # both runs on the same kernels: the same floats
    try:
        assert run_cli("baseline_eval.py", *common, "eval.threshold=0.5", f"output_dir={out}", cwd=tmp_path).returncode == 0
        assert grid.main(["--output-dir", str(tmp_path / "grid"), "--thresholds", "0.3,0.5", *common]) == 0
    finally:
        torch.set_num_threads(threads)
    overall = EvalSummary.read(out).overall
    row = json.loads((tmp_path / "grid" / "best_thresholds.json").read_text())
    table = {float(r["threshold"]): r for r in _csv(tmp_path / "grid" / "thresholds.csv")}
    for m in ("JF", "J", "F", "dice", "challenge_iou"):
        assert float(table[0.5][m] or "nan") == pytest.approx(overall[m], abs=1e-6, nan_ok=True), m
    assert row["best"]


def _csv(path):
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
