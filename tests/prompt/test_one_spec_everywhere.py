"""One prompt value drives validation during training AND the evaluation; validation scores as eval does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from sam2_video.config import build, compose_config
from sam2_video.data.batch import collate_clips
from sam2_video.data.synthetic import generate_dataset
from sam2_video.pipeline.assemble import make_planner, prompt_spec_of
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.training.module import build_module
from sam2_video.training.val_metrics import ClipMetricAccumulator, ValidationProtocol


@pytest.fixture(scope="module")
def square_root(tmp_path_factory):
    """Synthetic videos at the debug model's 128 x 128, so clip pixels = video pixels."""
    root = tmp_path_factory.mktemp("square")
    generate_dataset(root, num_videos=4, num_frames=6, size=(128, 128), seed=0)
    return root


def _cfg(root, tmp_path, *overrides):
    return compose_config(["sam2=debug", f"data.root={root}", "data.num_workers=0", "data.clip_length=4",
                           f"output_dir={tmp_path / 'out'}", "logger=none", "trainer=cpu", *overrides])


@pytest.mark.parametrize("kind, extra", [("box", ["prompt.box_jitter=0.3"]),
                                         ("point", ["prompt.num_neg_points=2", "prompt.neg_region=image"])])
def test_one_prompt_value_drives_validation_and_evaluation(square_root, tmp_path, kind, extra):
    cfg = _cfg(square_root, tmp_path, f"prompt.kind={kind}", *extra)
    module = build_module(cfg)
    assert module.val_prompt_kind == kind and module.prompt == build(cfg.prompt)
    settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    assert not hasattr(settings, "prompt_type") and "prompt_type" not in cfg.eval  # no second copy of the prompt
    spec = prompt_spec_of(cfg)
    assert spec == module.prompt and spec.kind == kind

    dm = build(cfg.data)
    dm.setup("validate")
    planner = make_planner(settings, module.model, dm.video_index("val"), spec)  # what baseline_eval.py plans with
    evaluation_prompt = planner.factory
    assert evaluation_prompt.spec is spec
    item = dm.datasets["val"][0]  # window 0: the first validation video from frame 0
    video = dm.video_index("val").videos[0]
    assert item.video_id == video.video_id
    gt = video.load_mask_stack(0, item.object_ids.tolist())
    for i, tid in enumerate(item.object_ids.tolist()):
        ref = evaluation_prompt(gt[i], video.video_id, tid, 0)
        assert ref.kind == kind
        if kind == "box":
            np.testing.assert_allclose(item.boxes[i].numpy(), ref.box)
        else:
            keep = item.point_labels[i] >= 0
            np.testing.assert_allclose(item.point_coords[i][keep].numpy(), ref.points)
            np.testing.assert_array_equal(item.point_labels[i][keep].numpy(), ref.labels)

    # the validation forward feeds exactly those prompts, as the kind the evaluation uses
    seen = {}
    original = module.model.prepare_prompt_inputs

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.update(out["point_inputs_per_frame"].get(0, {}), masks=0 in out["mask_inputs_per_frame"])
        return out

    module.model.prepare_prompt_inputs = spy
    module.eval()
    with torch.no_grad():
        module.validation_step(collate_clips([item]), 0)
    assert not seen["masks"]
    if kind == "box":
        assert seen["point_labels"].tolist() == [[2, 3]] * len(item.object_ids)
        torch.testing.assert_close(seen["point_coords"].reshape(-1, 4), item.boxes)
    else:
        torch.testing.assert_close(seen["point_coords"], item.point_coords)


def test_validation_scoring_follows_the_eval_keys(square_root, tmp_path):
    cfg = _cfg(square_root, tmp_path, "eval.threshold=0.3", "eval.non_overlap=false", "eval.skip_first_last=false")
    module = build_module(cfg)
    assert module.validation == ValidationProtocol(threshold=0.3, non_overlap=False, skip_first_last=False,
                                                   bound_th=cfg.eval.bound_th)


def _scores(logits, gt, prompt_frames, **protocol):
    acc = ClipMetricAccumulator(ValidationProtocol(**protocol))
    o = gt.shape[1]
    acc.update(logits, gt, np.zeros(o, dtype=np.int64), np.arange(1, o + 1), ["clip"], np.asarray(prompt_frames))
    return acc.compute()


def test_validation_frame_protocol_threshold_and_non_overlap():
    t_len, h, w = 6, 32, 32
    gt = np.zeros((t_len, 2, h, w), dtype=bool)
    gt[:, 0, 4:14, 4:14] = True
    gt[:, 1, 18:28, 18:28] = True
    logits = torch.where(torch.from_numpy(gt), 3.0, -3.0)  # perfect
    logits[0] = -3.0  # frame 0 (the prompt frame) and the last frame are wrong: not scored by default
    logits[-1] = -3.0
    logits[2, 0, 18:28, 18:28] = 3.0  # frame 2: object 0 also claims object 1's square, at logit 3 < 5
    logits[2, 1, 18:28, 18:28] = 5.0
    assert _scores(logits, gt, [0, 0], non_overlap=True)["jf"] == pytest.approx(1.0)  # object 1 wins its pixels ...
    assert _scores(logits, gt, [0, 0], non_overlap=True, threshold=0.96)["j"] < 1.0  # ... logit 3 < logit(0.96)
    assert _scores(logits, gt, [0, 0], non_overlap=False)["j"] < 1.0  # without the rule object 0 leaks
    assert _scores(logits, gt, [0, 0], skip_first_last=False)["j"] < 1.0  # first / last frame scored
    logits[1] = -3.0
    assert _scores(logits, gt, [0, 0])["j"] < 1.0
    assert _scores(logits, gt, [1, 1])["jf"] == pytest.approx(1.0)  # prompted on frame 1: scored from frame 2
