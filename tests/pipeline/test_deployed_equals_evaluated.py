"""What is evaluated is what is deployed: baseline_eval.py's evaluation, predict.py and the stream are
assemblies of one pipeline, so the same frames, prompts file and weights give pixel-equal masks.

The video's frames are named 1.jpg ... 12.jpg (no zero padding: a lexicographic sort would run
1, 10, 11, 12, 2, ...), object 2 first appears on the 4th frame, and the prompts file is the one the
evaluation wrote: any path that ordered frames differently or prompted differently would differ.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from sam2_video.config import compose_config
from sam2_video.data.mask_io import davis_palette
from sam2_video.model.checkpoint import save_official
from tests.conftest import make_debug_model, shapes_video

T = 12


@pytest.fixture(scope="module")
def davis(tmp_path_factory):
    """A DAVIS-layout dataset of one video, frames 1.jpg .. 12.jpg; its debug checkpoint."""
    root = tmp_path_factory.mktemp("davis")
    frames, masks = shapes_video(T, 64, 80)
    (root / "JPEGImages" / "vid").mkdir(parents=True)
    (root / "Annotations" / "vid").mkdir(parents=True)
    (root / "ImageSets" / "2017").mkdir(parents=True)
    for t in range(T):
        Image.fromarray(frames[t]).save(root / "JPEGImages" / "vid" / f"{t + 1}.jpg", quality=95)
        labels = np.zeros(frames.shape[1:3], np.uint8)
        labels[masks[t, 0]] = 1
        if t >= 3:  # object 2 appears on the 4th frame
            labels[masks[t, 1]] = 2
        png = Image.fromarray(labels)
        png.putpalette(davis_palette())
        png.save(root / "Annotations" / "vid" / f"{t + 1}.png")
    (root / "ImageSets" / "2017" / "val.txt").write_text("vid\n")
    (root / "ImageSets" / "2017" / "train.txt").write_text("vid\n")
    ckpt = root / "debug.pt"
    save_official(make_debug_model(compose_config(["sam2=debug"])), ckpt)
    return root, ckpt


def _cfg(davis, out, *extra, name="config"):
    root, ckpt = davis
    return compose_config(["sam2=debug", "data=davis", f"data.root={root}", f"model.checkpoint_path={ckpt}",
                           "eval.encode_batch=1", "eval.report=false", "stream.progress=false",
                           f"output_dir={out}", *extra], config_name=name)


def _masks(folder):
    return {p.stem: np.array(Image.open(p)) for p in sorted(folder.glob("*.png"))}


def _run_all(davis, tmp_path, *chain):
    from sam2_video.eval.evaluate import evaluate
    from sam2_video.predict.run import predict
    from sam2_video.stream.run import run_stream

    root = davis[0]
    evaluate(_cfg(davis, tmp_path / "eval", *chain))
    prompts = tmp_path / "eval" / "prompts" / "vid.json"
    frames = root / "JPEGImages" / "vid"
    deployed = ["predict.chain=deployed"] if chain else []
    predict(_cfg(davis, tmp_path / "predict", f"predict.input={frames}", f"predict.prompts={prompts}",
                 "predict.save_video=false", *deployed, *chain, name="predict"))
    run_stream(_cfg(davis, tmp_path / "stream", "stream.source=folder", f"stream.path={frames}",
                    "stream.seed=prompts", f"stream.prompts_file={prompts}", *chain))
    return [_masks(tmp_path / d / "masks" / "vid") for d in ("eval", "predict", "stream")], prompts


def test_evaluation_predict_and_stream_give_pixel_equal_masks(davis, tmp_path):
    (ev, pr, st), prompts = _run_all(davis, tmp_path)
    doc = json.loads(prompts.read_text())
    assert sorted(doc["frames"]) == ["0", "3"] and list(doc["frames"]["3"]) == ["2"]  # object 2 on the 4th frame
    assert ev.keys() == pr.keys() == st.keys() == {str(t) for t in range(1, T + 1)}
    differ = [k for k in ev if not (np.array_equal(ev[k], pr[k]) and np.array_equal(ev[k], st[k]))]
    assert not differ, differ
    assert all((ev[str(t)] == 2).sum() == 0 for t in range(1, 4)) and (ev["5"] == 2).any()  # late object
    assert any((m == 1).any() for m in ev.values())


def test_the_deployed_chain_is_measurable_and_equal_in_every_path(davis, tmp_path):
    """eval.chain=deployed runs the stream's memory cadence and stages in the evaluation."""
    chain = ["eval.chain=deployed", "stream.memory_every=2", "stream.ema_alpha=0.5", "stream.fill_holes=20",
             "stream.open_radius=1"]
    (ev, pr, st), _ = _run_all(davis, tmp_path, *chain)
    differ = [k for k in ev if not (np.array_equal(ev[k], pr[k]) and np.array_equal(ev[k], st[k]))]
    assert not differ, differ
    (plain, _, _), _ = _run_all(davis, tmp_path / "plain")
    assert any(not np.array_equal(ev[k], plain[k]) for k in ev)  # the stages acted
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["run"]["chain"] == "deployed"
