"""The occlusion scenes as a training set (sam2_video.data.occlusion_dataset), read by the DAVIS loader."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sam2_video.errors import ConfigError
from sam2_video.data.occlusion_dataset import write_occlusion_dataset
from sam2_video.data.occlusion_scenes import occlusion_video


def test_occlusion_dataset_is_the_scenes_with_both_objects_annotated(tmp_path):
    from sam2_video.data.davis import load_davis_index

    out = write_occlusion_dataset(tmp_path / "occ", num_videos=3, num_frames=12, size=64, first_seed=7, num_val=1)
    assert (out / "ImageSets" / "2017" / "train.txt").read_text().split() == ["occ_00007", "occ_00008"]
    assert (out / "ImageSets" / "2017" / "val.txt").read_text().split() == ["occ_00009"]
    labels = np.stack([np.array(Image.open(out / "Annotations" / "occ_00008" / f"{t:05d}.png")) for t in range(12)])
    assert set(np.unique(labels)) <= {0, 1, 2} and (labels == 1).any() and (labels == 2).any()
    frames = sorted((out / "JPEGImages" / "occ_00008").iterdir())
    assert len(frames) == 12 and Image.open(frames[0]).size == (64, 64)
    # object 1 is the visible part of the tracked object of the scene with that seed (speeds differ per video)
    scene = occlusion_video(12, 64, seed=8, speed=5.0)
    assert np.array_equal(labels[0] == 1, scene.masks[0])
    index = load_davis_index(out, out / "ImageSets" / "2017" / "train.txt")  # what train.py data=davis reads
    assert [v.video_id for v in index.videos] == ["occ_00007", "occ_00008"]
    with pytest.raises(ConfigError, match="already exists"):
        write_occlusion_dataset(out, num_videos=3)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind
