"""The refiner stage: one decoding rule (argmax over background + C classes) and one letterbox shared
with the refiner's training; PyTorch and ONNX backends give equal masks; late objects; errors name keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2_video.errors import CheckpointError, ConfigError
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.letterbox import Letterbox
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import IteratorSource
from sam2_video.pipeline.stages.refiner import Refiner, class_map, class_margins, onnx_backend, torch_backend
from sam2_video.prompt import FramePrompt
from sam2_video.refiner.export import export_onnx
from sam2_video.refiner.model import TinyRefiner
from tests.conftest import shapes_video


def test_margins_are_positive_exactly_where_argmax_picks_the_class():
    x = torch.randn(2, 4, 9, 11)
    classes, margins = class_map(x), class_margins(x)
    for c in range(1, 4):
        assert torch.equal(margins[:, c - 1] > 0, classes == c)


def _net(num_classes: int) -> TinyRefiner:
    torch.manual_seed(0)
    return TinyRefiner(num_classes=num_classes, width=8, num_blocks=1, boundary_head=False).eval()


def test_stage_feeds_the_refiner_what_training_feeds_it():
    """The frame letterboxed by the training's Letterbox (area filter), the prior per class (max over the
    class's objects, clipped), absent classes and the padding at the absent logit."""
    seen = {}

    def spy(image, prior):
        seen.update(image=image, prior=prior)
        return np.zeros((1, 4, *image.shape[2:]), np.float32)

    frame = (np.random.default_rng(0).random((30, 50, 3)) * 255).astype(np.uint8)
    logits = torch.full((2, 30, 50), 50.0)
    Refiner(spy, (24, 24), 3, clip=20.0, absent_logit=-20.0)(frame, logits, [1, 3])
    box = Letterbox.fit((30, 50), (24, 24))
    np.testing.assert_allclose(seen["image"][0], box.image(frame).transpose(2, 0, 1) / 255.0, atol=1e-6)
    prior = seen["prior"][0]
    assert (prior[[0, 2], : box.new_h, : box.new_w] == 20.0).all()  # clipped
    assert (prior[1] == -20.0).all() and (prior[:, box.new_h:] == -20.0).all()  # absent class, padding


def _stream(model, frames, masks, refiner):
    prompts = {0: {1: FramePrompt("mask", mask=masks[0, 0])},
               2: {2: FramePrompt("box", box=np.array([30, 30, 62, 62], np.float32))}}  # object 2 starts late
    chain = Chain(model, StreamSettings(progress=False), refiner)
    return list(chain.frames(IteratorSource(list(frames), "v"), lambda t: prompts.get(t, {}), len(frames)))


def test_onnx_and_pytorch_refiners_give_equal_masks_in_the_stream_with_a_late_object(debug_model, tmp_path):
    frames, masks = shapes_video(5)
    net = _net(3)  # 3 classes; the video's objects are classes 1 and 2, object 2 appears on frame 2
    path = export_onnx(net, tmp_path / "refiner.onnx", (48, 64))
    run, hw, classes = onnx_backend(path, "stream.refiner_onnx")
    assert hw == (48, 64) and classes == 3
    a = _stream(debug_model, frames, masks, Refiner(run, hw, classes))
    b = _stream(debug_model, frames, masks, Refiner(torch_backend(net), hw, 3))
    plain = _stream(debug_model, frames, masks, None)
    assert [f.object_ids for f in a] == [f.object_ids for f in b] == [[1], [1], [1, 2], [1, 2], [1, 2]]
    for fa, fb in zip(a, b):
        assert np.array_equal(fa.masks, fb.masks)
        torch.testing.assert_close(fa.logits, fb.logits, atol=1e-3, rtol=1e-3)
    assert any(not np.array_equal(fa.masks, fp.masks) for fa, fp in zip(a, plain))  # the refiner acted


def test_refiner_errors_name_the_key(tmp_path):
    from sam2_video.config import compose_config
    from sam2_video.pipeline.stages.refiner_load import build_refiner

    cfg = compose_config(["sam2=debug", "refiner=default"])
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    s = StreamSettings(refiner_checkpoint=str(tmp_path / "junk.ckpt"))
    with pytest.raises(CheckpointError, match=r"^stream\.refiner_checkpoint=.*junk\.ckpt"):
        build_refiner(cfg, s)
    net = TinyRefiner(num_classes=2, width=int(cfg.refiner.net.width), num_blocks=int(cfg.refiner.net.num_blocks))
    torch.save({"state_dict": {f"net.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "ok.ckpt")
    ref = build_refiner(cfg, StreamSettings(refiner_checkpoint=str(tmp_path / "ok.ckpt")))
    assert ref.num_classes == 2
    with pytest.raises(ConfigError, match="object 7 is class 7"):
        ref.classes([7])
    with pytest.raises(ConfigError, match=r"^stream\.refiner_onnx=.*nope\.onnx"):
        build_refiner(cfg, StreamSettings(refiner_onnx=str(tmp_path / "nope.onnx")))
