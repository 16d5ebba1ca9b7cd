"""The pipeline's chain (the one frame loop of every path) equals Meta's SAM2VideoPredictor on the same
weights and prompts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2_video.inference.geometry import FrameGeometry
from sam2_video.prompt import FramePrompt
from sam2_video.inference.session import TrackingSession
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import IteratorSource
from sam2_video.model.checkpoint import save_official
from sam2_video.model.meta import build_meta_video_predictor


@pytest.fixture(scope="module")
def meta_predictor(debug_cfg, debug_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "debug.pt"
    save_official(debug_model, path)
    return build_meta_video_predictor(debug_cfg.model, path)


def _run(model, frames, prompts, encode_batch=1):
    chain = Chain(model, StreamSettings(progress=False), encode_batch=encode_batch)
    return list(chain.frames(IteratorSource(list(frames)), lambda t: prompts.get(t, {}), len(frames)))


def _ours(model, frames, prompts):
    return {f.index: (f.object_ids, f.logits if f.object_ids else None) for f in _run(model, frames, prompts)}


def _iou(a: torch.Tensor, b: torch.Tensor) -> float:
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def _compare(ref: dict, ours: dict, obj_ids: list[int], start: int = 0):
    nonempty = 0
    for t, logits in ref.items():
        ids, mine = ours[t]
        assert ids == obj_ids
        for i in range(len(obj_ids)):
            a, b = logits[i] > 0, mine[i] > 0
            assert _iou(a, b) >= 0.999, f"frame {t} object {obj_ids[i]}: IoU {_iou(a, b)}"
            nonempty += int(a.any())
        torch.testing.assert_close(mine, logits, atol=1e-3, rtol=1e-3)
    assert nonempty > len(ref)  # the comparison is not between empty masks
    for t in range(start):
        assert ours[t][1] is None


@pytest.mark.parametrize("kind", ["mask", "point", "box"])
def test_equals_meta_predictor(meta_predictor, debug_model, jpeg_video, kind):
    folder, frames, masks = jpeg_video
    n_obj = 3 if kind == "mask" else 2
    state = meta_predictor.init_state(str(folder))
    prompts = {}
    for o in range(n_obj):
        m = masks[0, o]
        ys, xs = np.nonzero(m)
        if kind == "mask":
            meta_predictor.add_new_mask(state, 0, o + 1, m)
            prompts[o + 1] = FramePrompt("mask", mask=m)
        elif kind == "point":
            pts = np.array([[xs.mean(), ys.mean()], [xs.min() - 3.0, ys.min() - 3.0]], np.float32)
            lab = np.array([1, 0], np.int32)
            meta_predictor.add_new_points_or_box(state, 0, o + 1, points=pts, labels=lab)
            prompts[o + 1] = FramePrompt("point", points=pts, labels=lab)
        else:
            box = np.array([xs.min(), ys.min(), xs.max(), ys.max()], np.float32)
            meta_predictor.add_new_points_or_box(state, 0, o + 1, box=box)
            prompts[o + 1] = FramePrompt("box", box=box)
    ref = {t: m[:, 0].clone() for t, _, m in meta_predictor.propagate_in_video(state)}
    ours = _ours(debug_model, frames, {0: prompts})
    _compare(ref, ours, list(range(1, n_obj + 1)))


def test_object_appearing_later_equals_separate_meta_run(meta_predictor, debug_model, jpeg_video):
    """Objects first prompted on frame 3 start there (Meta's vos_inference per-object semantics)."""
    folder, frames, masks = jpeg_video
    state = meta_predictor.init_state(str(folder))
    meta_predictor.add_new_mask(state, 3, 7, masks[3, 1])
    ref = {t: m[:, 0].clone() for t, _, m in meta_predictor.propagate_in_video(state, start_frame_idx=3)}
    ours = _ours(debug_model, frames, {0: {1: FramePrompt("mask", mask=masks[0, 0])},
                                       3: {7: FramePrompt("mask", mask=masks[3, 1])}})
    for t, logits in ref.items():
        ids, mine = ours[t]
        assert ids == [1, 7]
        assert _iou(logits[0] > 0, mine[1] > 0) >= 0.999
    assert ours[2][0] == [1]


def test_memory_stays_bounded(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    geo = FrameGeometry(*frames.shape[1:3], debug_model.image_size)
    session = TrackingSession(debug_model, geo, num_frames=len(frames))
    session.horizon = 3
    sizes = []
    for t in range(len(frames)):
        session.step(session.encode(t, frames[t]), {1: FramePrompt("mask", mask=masks[0, 0])} if t == 0 else None)
        sizes.append(session.memory_sizes()[0])
    assert max(n for _, n in sizes) == 3 and all(c == 1 for c, _ in sizes)


def test_group_prompt_contract(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    geo = FrameGeometry(*frames.shape[1:3], debug_model.image_size)
    p = {0: {1: FramePrompt("mask", mask=masks[0, 0]), 2: FramePrompt("mask", mask=masks[0, 1])},
         2: {1: FramePrompt("mask", mask=masks[2, 0])}}
    with pytest.raises(ValueError, match="first prompted together"):
        _run(debug_model, frames, p)


def test_batched_encoding_changes_nothing(debug_model, jpeg_video):
    """Encoding frames in batches (3: a partial last batch too) gives the per-frame results."""
    _, frames, masks = jpeg_video
    prompts = {1: {1: FramePrompt("mask", mask=masks[1, 0])}}
    runs = [[f.low_res for f in _run(debug_model, frames, prompts, b)] for b in (1, 3, 8)]
    assert len(frames) % 3 != 0 and all(r[0] is None for r in runs)
    for run in runs[1:]:
        for a, b in zip(runs[0][1:], run[1:]):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
            assert torch.equal(a > 0, b > 0)


def test_encoding_on_a_worker_thread_changes_nothing(debug_model, jpeg_video):
    """``encode_thread``: the next batch is read and encoded on a worker while this one is tracked. Same
    frames, errors, masks and order as without it, with a frame that fails to decode, a prompt after
    frame 0, ``max_frames``, and a consumer that stops early (the worker is then shut down)."""
    import threading
    _, frames, masks = jpeg_video
    items = list(frames[:4]) + [OSError("grab failed")] + list(frames[4:])  # frame 4 fails to decode
    prompts = {1: {1: FramePrompt("mask", mask=masks[1, 0])}}

    def run(thread: bool, max_frames=None, stop_after=None):
        chain = Chain(debug_model, StreamSettings(progress=False, max_frames=max_frames), encode_batch=3,
                      encode_thread=thread)
        out = []
        for f in chain.frames(IteratorSource(items), lambda t: prompts.get(t, {}), len(items)):
            out.append((f.index, f.error is not None, f.object_ids, f.masks))
            if stop_after is not None and f.index == stop_after:
                break
        return out

    for kwargs in ({}, {"max_frames": 7}, {"stop_after": 5}):
        plain, threaded = run(False, **kwargs), run(True, **kwargs)
        assert [x[:3] for x in threaded] == [x[:3] for x in plain]
        assert any(x[1] for x in plain) and sum(x[3] is not None and x[3].any() for x in plain) >= 3
        for a, b in zip(plain, threaded):
            assert (a[3] is None and b[3] is None) or np.array_equal(a[3], b[3])
    assert len(run(True, max_frames=7)) == 7
    assert not [t for t in threading.enumerate() if t.name.startswith("encode-ahead")]


def test_a_source_error_on_the_worker_thread_reaches_the_caller(debug_model, jpeg_video):
    """A source that fails while the worker reads it: the caller gets that error (not a hang), and the
    worker is shut down."""
    import threading
    _, frames, masks = jpeg_video

    def broken():
        yield from frames[:5]
        raise RuntimeError("camera unplugged")

    chain = Chain(debug_model, StreamSettings(progress=False), encode_batch=3, encode_thread=True)
    seen = []
    with pytest.raises(RuntimeError, match="camera unplugged"):
        for f in chain.frames(IteratorSource(broken()), lambda t: {1: FramePrompt("mask", mask=masks[0, 0])}
                              if t == 0 else {}):
            seen.append(f.index)
    assert seen == [0, 1, 2]  # frames 3-4 were read with the failing batch, whose error comes first
    assert not [t for t in threading.enumerate() if t.name.startswith("encode-ahead")]
