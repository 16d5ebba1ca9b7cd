"""`ClipDataModule`: train / val clip loaders and whole-video indexes, built by ``instantiate(cfg.data)``."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import cv2
import lightning as L
import numpy as np
import torch
from loguru import logger
from torch.utils.data import DataLoader, Subset

from sam2_video.data.augment import Augmentation
from sam2_video.data.batch import collate_clips
from sam2_video.data.clip_dataset import ClipDataset, ObjectSelection, ShortVideo
from sam2_video.data.index import VideoIndex
from sam2_video.data.resize import ResizeMode
from sam2_video.data.sampler import ClipSampler
from sam2_video.data.sources import FORMATS, DatasetFormat, default_split_path, load_index
from sam2_video.data.synthetic import SyntheticSpec
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.prompt import PromptSpec

SPLITS = ("train", "val", "test")


class ClipDataModule(L.LightningDataModule):
    """Clips for training / validation and `VideoIndex` access for full-video evaluation.

    Paths: ``root`` (then ``<root>/train.json`` / ``<root>/val.json`` for COCO, see
    `sam2_video.data.sources`) or explicit ``train_path`` / ``val_path`` (/ ``test_path``).
    ``synthetic``: when set, `prepare_data` generates that dataset into ``root`` if it is missing.
    Training clips use ``augment`` and random starts; validation clips are deterministic windows
    with ``val_clip_stride`` (default ``clip_length``) and no augmentation, at most ``val_max_clips`` of
    them (evenly spaced; None: all). ``prompt``: the run's
    ``PromptSpec`` (``data.prompt: ${prompt}``): training clips use its training sampler, validation
    clips the evaluation's prompts.
    """

    def __init__(
        self,
        *,
        format: DatasetFormat = "coco",
        root: str | None = None,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        image_root: str | None = None,
        image_size: int = 1024,
        clip_length: int = 8,
        clip_stride: int | None = None,
        val_clip_stride: int | None = None,
        val_max_clips: int | None = None,
        max_objects: int = 3,
        batch_size: int = 1,
        val_batch_size: int | None = None,
        num_workers: int = 0,
        pin_memory: bool | str = "auto",
        resize_mode: ResizeMode = "square",
        object_selection: ObjectSelection = "first_frame",
        short_video: ShortVideo = "error",
        allow_empty_categories: bool = False,
        check_files: bool = True,
        reduced_decode: bool = True,
        category_names: Mapping[int, str] | None = None,
        prompt: PromptSpec | None = None,
        augment: Augmentation | None = None,
        seed: int = 0,
        synthetic: SyntheticSpec | None = None,
    ) -> None:
        super().__init__()
        if format not in FORMATS:
            raise ConfigError(f"data.format must be one of {FORMATS}, got {format!r}")
        if batch_size < 1 or num_workers < 0:
            raise ConfigError(f"data.batch_size must be >= 1 and data.num_workers >= 0 (got {batch_size}, {num_workers})")
        self.format = format
        self.root = Path(root) if root else None
        self.paths = {"train": train_path, "val": val_path, "test": test_path}
        self.image_root = image_root
        self.image_size = int(image_size)
        self.clip_length = int(clip_length)
        self.clip_stride = clip_stride
        self.val_clip_stride = val_clip_stride
        if val_max_clips is not None and int(val_max_clips) < 1:
            raise ConfigError(f"data.val_max_clips={val_max_clips}: use null (every validation clip) or a number >= 1")
        self.val_max_clips = None if val_max_clips is None else int(val_max_clips)
        self.max_objects = int(max_objects)
        self.batch_size = int(batch_size)
        self.val_batch_size = int(val_batch_size or batch_size)
        self.num_workers = int(num_workers)
        if pin_memory not in (True, False, "auto"):
            raise ConfigError(f"data.pin_memory={pin_memory!r}: use true, false or auto (pinned when CUDA is available)")
        self.pin_memory = torch.cuda.is_available() if pin_memory == "auto" else bool(pin_memory)
        self.resize_mode = resize_mode
        self.object_selection = object_selection
        self.short_video = short_video
        self.allow_empty_categories = bool(allow_empty_categories)
        self.check_files = bool(check_files)
        self.reduced_decode = bool(reduced_decode)
        self.category_names = dict(category_names) if category_names else None
        self.prompt = prompt if prompt is not None else PromptSpec(seed=seed)
        self.augment = augment
        self.seed = int(seed)
        self.synthetic = synthetic
        self._indexes: dict[str, VideoIndex] = {}
        self.datasets: dict[str, ClipDataset] = {}

    # ------------------------------------------------------------------------------------------ paths
    def split_path(self, split: str) -> Path:
        """The file / folder describing ``split``; ConfigError when neither it nor ``root`` is set."""
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r}; use one of {SPLITS}")
        explicit = self.paths[split]
        if explicit:
            return Path(explicit)
        if self.root is None:
            raise ConfigError(
                f"no path for the {split} split: set data.root=... or data.train_path/data.val_path"
                + ("/data.test_path" if split == "test" else "")
            )
        if not self.root.exists() and self.synthetic is None:
            raise ConfigError(
                f"data.root={self.root} does not exist: set data.root=... or data.train_path/data.val_path"
            )
        return default_split_path(self.format, self.root, split)

    def prepare_data(self) -> None:
        """Generate the synthetic dataset into ``root`` when configured and missing."""
        if self.synthetic is None:
            return
        if self.root is None:
            raise ConfigError("data.synthetic needs data.root (where to generate the dataset)")
        if (self.root / "train.json").exists() and (self.root / "val.json").exists():
            logger.debug(f"synthetic dataset present at {self.root}")
            return
        if self.root.exists() and any(self.root.iterdir()):
            raise ConfigError(
                f"{self.root} exists but has no train.json/val.json; delete it to regenerate the synthetic data "
                "or point data.root elsewhere"
            )
        self.synthetic.generate(self.root)  # an empty root folder is fine

    # ----------------------------------------------------------------------------------------- indexes
    def video_index(self, split: str) -> VideoIndex:
        """The whole-video index of ``split`` ("train", "val" or "test"), e.g. for full-video evaluation."""
        if split not in self._indexes:
            if self.synthetic is not None and not self.split_path(split).exists():
                self.prepare_data()
            self._indexes[split] = load_index(
                self.format,
                self.split_path(split),
                root=self.root,
                image_root=self.image_root,
                check_files=self.check_files,
                allow_empty_categories=self.allow_empty_categories,
                category_names=self.category_names,
            )
        return self._indexes[split]

    @property
    def categories(self) -> dict[int, str]:
        """Category id -> name, from the train split (val must agree on shared ids)."""
        cats = dict(self.video_index("train").categories)
        for cid, name in self.video_index("val").categories.items():
            if cats.setdefault(cid, name) != name:
                raise DatasetError(
                    f"category {cid} is {cats[cid]!r} in {self.split_path('train')} but {name!r} in "
                    f"{self.split_path('val')}; use the same categories in every split"
                )
        return cats

    # ---------------------------------------------------------------------------------------- datasets
    def make_dataset(self, split: str, train: bool | None = None) -> ClipDataset:
        """A `ClipDataset` over ``split`` (training behaviour for "train" unless ``train`` says otherwise)."""
        train = split == "train" if train is None else train
        return ClipDataset(
            self.video_index(split),
            image_size=self.image_size,
            clip_length=self.clip_length,
            clip_stride=self.clip_stride if train else self.val_clip_stride,
            max_objects=self.max_objects,
            resize_mode=self.resize_mode,
            object_selection=self.object_selection,
            short_video=self.short_video,
            train=train,
            prompt=self.prompt,
            augment=self.augment if train else None,
            seed=self.seed,
            reduced_decode=self.reduced_decode,
        )

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "fit"):
            self.datasets.setdefault("train", self.make_dataset("train"))
        if stage in (None, "fit", "validate") and "val" not in self.datasets:
            self.datasets["val"] = self.val_subset(self.make_dataset("val"))
        if stage == "test":
            self.datasets.setdefault("test", self.make_dataset("test"))

    def val_subset(self, ds: ClipDataset) -> ClipDataset | Subset:
        """``val_max_clips`` evenly spaced validation clips (the same ones every validation), or all."""
        if self.val_max_clips is None or self.val_max_clips >= len(ds):
            return ds
        keep = sorted({int(round(x)) for x in np.linspace(0, len(ds) - 1, self.val_max_clips)})
        logger.info(f"validation on {len(keep)} of {len(ds)} clips (data.val_max_clips={self.val_max_clips})")
        return Subset(ds, keep)

    def _loader(self, split: str, train: bool) -> DataLoader:
        if split not in self.datasets:
            ds = self.make_dataset(split)
            self.datasets[split] = self.val_subset(ds) if split == "val" else ds
        ds = self.datasets[split]
        if self.num_workers > 0:
            # OpenCV's thread pool does not survive fork(): a forked worker touching an inherited pool
            # (even cv2.setNumThreads) can hang. Single-threaded cv2 here means no pool to inherit; the
            # workers supply the parallelism.
            cv2.setNumThreads(1)
        return DataLoader(
            ds,
            batch_size=self.batch_size if train else self.val_batch_size,
            sampler=ClipSampler(len(ds), seed=self.seed, shuffle=True) if train else None,
            shuffle=False,
            collate_fn=collate_clips,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
            drop_last=False,
            # validation / test: the loader's seed draw comes from its own generator, not torch's global
            # stream, so validating does not shift training's random draws
            generator=None if train else torch.Generator().manual_seed(self.seed),
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)
