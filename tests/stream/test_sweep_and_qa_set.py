"""Sweep collection (results.json, Pareto front, plot) and the difficult-frames regression set."""

from __future__ import annotations

import json

import pytest

from sam2_video.errors import ConfigError
from sam2_video.pipeline.chain import Chain
from sam2_video.stream.run import stream_index
from sam2_video.stream.sweep import collect, pareto_front


def test_pareto_front_is_the_non_dominated_set():
    pts = [{"ms_per_frame": ms, "JF": jf} for ms, jf in [(10, 0.5), (20, 0.4), (30, 0.7), (15, 0.6), (30, 0.65), (5, 0.1)]]
    front = pareto_front(pts)
    assert [pts[i]["ms_per_frame"] for i in front] == [5, 10, 15, 30]
    for i in front:  # nothing is at least as fast and at least as good, and better in one
        assert not any(q["ms_per_frame"] <= pts[i]["ms_per_frame"] and q["JF"] >= pts[i]["JF"] and q != pts[i]
                       for q in pts)


def test_collect_sweep_runs(synth_videos, debug_model, settings, tmp_path):
    for n, (k, alpha) in enumerate([(1, 0.0), (3, 0.0), (3, 0.7)]):
        s, es = settings(memory_every=k, ema_alpha=alpha, max_videos=1, save_masks=False)
        run = tmp_path / "multirun" / str(n)
        stream_index(Chain(debug_model, s), synth_videos, es, run, {"task": "stream"})
        (run / ".hydra").mkdir()
        (run / ".hydra" / "overrides.yaml").write_text(
            f"- sam2=debug\n- stream.memory_every={k}\n- stream.ema_alpha={alpha}\n")
    result = collect(tmp_path / "multirun", "grid", tmp_path / "sweeps")
    saved = json.loads((tmp_path / "sweeps" / "grid" / "results.json").read_text())
    assert len(saved["points"]) == 3 and saved["front"] and saved == json.loads(json.dumps(saved))
    assert all(set(p["settings"]) == {"stream.memory_every", "stream.ema_alpha"} for p in saved["points"])
    assert (tmp_path / "sweeps" / "grid" / "pareto.png").stat().st_size > 10_000
    assert [p["on_front"] for p in result["points"]].count(True) == len(result["front"])
    with pytest.raises(ConfigError, match="no stream runs"):
        collect(tmp_path / "sweeps", "x", tmp_path / "sweeps2")


def test_difficult_frames_scored_and_compared(synth_videos, debug_model, settings, tmp_path):
    vid = synth_videos.videos[0].video_id
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"video_id,frame,note\n{vid},2,fast motion\n{vid},4,\n")
    s, es = settings(difficult_frames=str(pairs), save_masks=False)
    stream_index(Chain(debug_model, s), synth_videos, es, tmp_path / "before")
    before = json.loads((tmp_path / "before" / "difficult_frames.json").read_text())
    assert [(p["video_id"], p["frame"]) for p in before["pairs"]] == [(vid, 2), (vid, 4)]
    assert before["pairs"][0]["note"] == "fast motion" and 0 <= before["mean"]["JF"] <= 1
    # an earlier result that was better on frame 4: the current run regressed there
    better = dict(before)
    better["pairs"] = [dict(p) for p in before["pairs"]]
    better["pairs"][1]["JF"] = before["pairs"][1]["JF"] + 0.2
    (tmp_path / "earlier.json").write_text(json.dumps(better))
    s, es = settings(difficult_frames=str(pairs), compare_to=str(tmp_path / "earlier.json"), save_masks=False)
    summary = stream_index(Chain(debug_model, s), synth_videos, es, tmp_path / "after")
    comp = summary["difficult_frames"]["comparison"]
    assert comp["compared"] == 2 and [(r["video_id"], r["frame"]) for r in comp["regressions"]] == [(vid, 4)]
    assert comp["regressions"][0]["delta"] == pytest.approx(-0.2)
    bad = tmp_path / "bad.csv"
    bad.write_text("video,frm\nx,1\n")
    with pytest.raises(ConfigError, match="bad.csv"):
        stream_index(Chain(debug_model, settings(difficult_frames=str(bad))[0]), synth_videos, es, tmp_path / "bad")
