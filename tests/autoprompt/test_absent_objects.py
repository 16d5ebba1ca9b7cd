"""Prompt-free training: categories absent from a whole clip become empty objects (object-score supervision).

Only an auto-only training mix adds them; prompted training and validation clips stay as they were.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from sam2_video.data.augment import Augmentation
from sam2_video.data.batch import collate_clips
from sam2_video.data.clip_dataset import ClipDataset
from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.index import VideoIndex
from sam2_video.prompt import PromptSpec, TrainPrompting

AUTO = PromptSpec(train=TrainPrompting(mix={"auto": 1.0}, num_init_cond_frames=1, num_frames_to_correct=1))
PROMPTED = PromptSpec()  # Meta's mix: point / box / mask
ABSENT_CAT = 3


def _without(video, keep) -> object:
    """The video with only the tracks ``keep(track_id)`` accepts (frames' object dicts filtered)."""
    frames = [dataclasses.replace(f, objects={k: o for k, o in f.objects.items() if keep(k)}) for f in video.frames]
    return dataclasses.replace(video, frames=frames)


@pytest.fixture(scope="module")
def index(synthetic_root) -> VideoIndex:
    """Synthetic train split (categories 1..3 in every video), edited: video 0 without category 3,
    video 1 without any object (a negative video); the index still lists all three categories."""
    src = load_coco_index(synthetic_root / "train.json")
    v0, v1 = src.videos[:2]
    videos = [_without(v0, lambda k: v0.categories[k] != ABSENT_CAT), _without(v1, lambda k: False), *src.videos[2:]]
    return VideoIndex(videos, dict(src.categories), src.source)


def _dataset(index, prompt, clip_length=3, train=True, size=64):
    return ClipDataset(index, image_size=size, clip_length=clip_length, train=train, prompt=prompt,
                       augment=Augmentation() if train else None, seed=1)


def _visible_categories(video, start: int, length: int) -> set[int]:
    """Categories with a non-empty source mask in any frame of the clip (decoded, not the index's lists)."""
    tids = video.track_ids
    seen = set()
    for t in range(start, start + length):
        stack = video.load_mask_stack(t, tids)  # (N, H, W)
        seen |= {video.categories[tid] for tid, m in zip(tids, stack) if m.any()}
    return seen


def test_absent_categories_are_appended_as_empty_objects(index):
    auto, prompted = _dataset(index, AUTO), _dataset(index, PROMPTED)
    negative = index.videos[1].video_id
    assert negative in {index.videos[vi].video_id for vi, _ in auto.windows}  # object-free windows train
    assert negative not in {index.videos[vi].video_id for vi, _ in prompted.windows}  # as before: left out
    checked = set()
    for k, (vi, start) in enumerate(auto.windows):
        video = index.videos[vi]
        item = auto.load_clip(video, start, np.random.default_rng([7, k]))  # the one clip builder
        n = len(item.object_ids) - int((item.object_ids < 0).sum())  # selected (present) objects come first
        assert (item.object_ids[:n] >= 0).all() and (item.object_ids[n:] < 0).all()
        added = item.category_ids[n:].tolist()
        assert added == sorted({1, 2, 3} - _visible_categories(video, start, 3))
        assert item.object_ids[n:].tolist() == [-c for c in added]
        assert not item.masks[:, n:].any() and (item.point_labels[n:] == -1).all() and not item.boxes[n:].any()
        assert (item.prompt_frames[n:] == 0).all()
        if (vi, start) in prompted.windows:  # the present objects: exactly the prompted dataset's clip (same draws)
            p = prompted.load_clip(video, start, np.random.default_rng([7, k]))
            assert torch.equal(p.frames, item.frames) and torch.equal(p.masks, item.masks[:, :n])
            for f in ("object_ids", "category_ids", "point_coords", "point_labels", "boxes", "prompt_frames"):
                assert torch.equal(getattr(p, f), getattr(item, f)[:n]), f
        checked.add((item.video_id, tuple(added)))
    assert (index.videos[0].video_id, (ABSENT_CAT,)) in checked
    assert (negative, (1, 2, 3)) in checked


@pytest.mark.parametrize("prompt,train", [(PROMPTED, True), (PromptSpec(train=TrainPrompting(mix={"mask": 0.5, "auto": 0.5})), True),
                                          (AUTO, False)])
def test_only_prompt_free_training_adds_absent_objects(index, prompt, train):
    ds = _dataset(index, prompt, train=train)
    assert ds.absent_category_ids == []
    for k in range(len(ds)):
        item = ds[(k, 0)] if train else ds[k]
        assert (item.object_ids >= 0).all() and item.masks.flatten(2).any(-1).any(0).all()


# ---------------------------------------------------------------- PolypGen-style negative sequences
@pytest.fixture
def polyp_root(tmp_path):
    """polyp_gen layout: train = seq1 (polyp in every frame) + seq2_neg (no polyp); valid = seq3."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    for split, list_name, seqs in (("train", "train_list.txt", ["seq1", "seq2_neg"]), ("valid", "val_list.txt", ["seq3"])):
        for seq in seqs:
            (tmp_path / split / "images" / seq).mkdir(parents=True)
            (tmp_path / split / "masks" / seq).mkdir(parents=True)
            for t in range(4):
                Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
                    tmp_path / split / "images" / seq / f"{t}.jpg")
                fg = ((yy - 30 - 2 * t) ** 2 + (xx - 30) ** 2 < 120) & (not seq.endswith("_neg"))
                Image.fromarray(fg.astype(np.uint8) * 255).save(tmp_path / split / "masks" / seq / f"{t}.png")
        (tmp_path / split / list_name).write_text("\n".join(seqs) + "\n")
    return tmp_path


@pytest.mark.parametrize("clip_length", [1, 2])  # image mode (negative frames) / video mode
def test_negative_only_clip_gives_a_finite_loss_with_object_score_signal(make_cfg, polyp_root, clip_length):
    from sam2_video.config import build
    from sam2_video.training.losses import CORE_LOSS_KEY
    from sam2_video.training.module import build_module

    cfg = make_cfg("experiment=autosam2_polyp", f"data.root={polyp_root}", "model.image_size=128",
                   "model.auto_prompt.encoder.hidden=16", f"data.clip_length={clip_length}", "data.batch_size=8",
                   "data.augment=null")
    dm = build(cfg.data)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    negative = torch.tensor([v.startswith("seq2_neg") for v in batch.video_ids])[batch.obj_to_clip]  # (O,)
    assert negative.any() and (~negative).any()  # both kinds of clips in the batch
    assert (batch.object_ids[negative] == -1).all() and not batch.masks[:, negative].any()
    assert (batch.category_ids == 1).all()
    module = build_module(cfg).train()
    only_neg = [i for i, v in enumerate(batch.video_ids) if v.startswith("seq2_neg")]
    items = [dm.datasets["train"][(k, 0)] for k in range(len(dm.datasets["train"]))]
    neg_batch = collate_clips([it for it in items if it.video_id.startswith("seq2_neg")][:2])
    assert only_neg and neg_batch.num_objects == 2 and not neg_batch.masks.any()
    losses = module.loss(module(neg_batch), neg_batch.masks)
    assert torch.isfinite(losses[CORE_LOSS_KEY])
    assert float(losses["loss_class"].detach()) > 0 and float(losses[CORE_LOSS_KEY].detach()) > 0
    assert float(losses["loss_mask"].detach()) == 0 and float(losses["loss_dice"].detach()) == 0  # mask terms zeroed: absent
    losses[CORE_LOSS_KEY].backward()
    grads = [p.grad for p in module.model.auto_prompt.parameters() if p.grad is not None]
    assert grads and any(bool(g.abs().sum() > 0) for g in grads)  # the "absent" signal reaches the encoder


def test_training_on_an_absent_category_lowers_its_object_score(make_cfg, index):
    """Prompt-free steps on a clip without category 3, from the same start: with the absent object in
    the batch, category 3's object-score logit ends lower than without it (what training did before)
    and lower than the present categories' (the learned prompt is class-aware)."""
    from sam2_video.training.losses import CORE_LOSS_KEY
    from sam2_video.training.module import build_module

    cfg = make_cfg("experiment=autosam2", "model.auto_prompt.encoder.hidden=16", "data.clip_length=2")
    ds = ClipDataset(index, image_size=int(cfg.model.image_size), clip_length=2, train=True, prompt=AUTO)  # no augment
    item = ds.load_clip(index.videos[0], 0, np.random.default_rng(0))
    full = collate_clips([item])
    absent = full.object_ids < 0  # (O,) the appended objects (category 3, and any other absent from the clip)
    assert ABSENT_CAT in full.category_ids[absent].tolist() and (~absent).sum() >= 1
    present_only = collate_clips([dataclasses.replace(
        item, masks=item.masks[:, ~absent], object_ids=item.object_ids[~absent], category_ids=item.category_ids[~absent],
        point_coords=item.point_coords[~absent], point_labels=item.point_labels[~absent], boxes=item.boxes[~absent],
        prompt_frames=item.prompt_frames[~absent])])

    def trained_scores(batch) -> torch.Tensor:
        """(O,) frame-0 object-score logits of ``full``'s objects after a few steps on ``batch``."""
        module = build_module(cfg).train()  # same seed: same start
        opt = torch.optim.Adam([p for p in module.model.parameters() if p.requires_grad], lr=0.1)
        for _ in range(8):
            loss = module.loss(module(batch), batch.masks)[CORE_LOSS_KEY]
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            return module(full, prompt_kind="auto")[0]["multistep_object_score_logits"][-1][:, 0]

    with_absent, without = trained_scores(full), trained_scores(present_only)
    assert (with_absent[absent] < without[absent] - 0.1).all(), (with_absent, without)
    assert with_absent[~absent].min() > with_absent[absent].max() + 0.1, with_absent
