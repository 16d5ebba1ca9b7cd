"""Read a COCO clip JSON (see docs/architecture.md) into a validated `VideoIndex`.

Instance identity across frames: ``track_id``, else ``instance_id``, else ``category_id`` (only when
no annotation of the file has an id key and each category has at most one instance per frame).
Every malformed input raises one `DatasetError` naming the JSON, the image / annotation id and the fix.
Parsed indexes are cached per (file, mtime, size, options).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from loguru import logger
from pycocotools import mask as mask_utils

from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.data.mask_sources import RleMask
from sam2_video.errors import DatasetError

INSTANCE_KEYS = ("track_id", "instance_id")
_CACHE: dict[tuple, VideoIndex] = {}
_CACHE_SIZE = 8


def _is_int(x: Any) -> bool:
    """True for ints and integer-valued floats (JSON writers sometimes emit 3.0), never for bools."""
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def load_coco_index(
    json_path: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    *,
    check_files: bool = True,
    allow_empty_categories: bool = False,
) -> VideoIndex:
    """Parse and validate ``json_path``; ``image_root`` defaults to the JSON's folder.

    ``check_files`` verifies that every frame file exists (a stat per frame).
    ``allow_empty_categories`` turns "category with no annotation" from an error into a warning.
    """
    path = Path(json_path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: annotation JSON not found; set data.root=... or data.train_path/data.val_path"
        )
    root = Path(image_root) if image_root is not None else path.parent
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, str(root.resolve()), check_files, allow_empty_categories)
    if key in _CACHE:
        return _CACHE[key]
    index = _parse(path, root, check_files=check_files, allow_empty_categories=allow_empty_categories)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = index
    return index


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not valid JSON ({e}); fix or regenerate the file") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: top level must be an object with images/annotations/categories")
    for k in ("images", "annotations", "categories"):
        if not isinstance(data.get(k), list):
            raise DatasetError(f"{path}: missing list '{k}'; a COCO clip JSON needs images, annotations and categories")
    return data


def _parse_categories(path: Path, cats: list) -> dict[int, str]:
    out: dict[int, str] = {}
    for c in cats:
        cid = c.get("id") if isinstance(c, dict) else None
        if not _is_int(cid):
            raise DatasetError(f"{path}: category {c!r} has no integer 'id'; give every category an int id and a name")
        cid = int(cid)
        if cid in out:
            raise DatasetError(f"{path}: category id {cid} appears twice in categories; make category ids unique")
        out[cid] = str(c.get("name", cid))
    return out


def _check_file_name(path: Path, root: Path, iid: Any, file_name: Any) -> Path:
    if not isinstance(file_name, str) or not file_name:
        raise DatasetError(f"{path}: image id {iid} has no 'file_name'; add the frame path relative to data.image_root")
    norm = os.path.normpath(file_name)
    if os.path.isabs(norm) or norm == ".." or norm.startswith(".." + os.sep):
        raise DatasetError(
            f"{path}: image id {iid}: file_name {file_name!r} escapes the image root {root}; "
            "file_name must be a path relative to data.image_root (no leading '/' or '..')"
        )
    return root / norm


def _parse_images(path: Path, root: Path, images: list) -> dict[Any, dict]:
    """image id -> {video, order, path, h, w}; checks ids, video keys, order and file names."""
    out: dict[Any, dict] = {}
    for im in images:
        if not isinstance(im, dict) or "id" not in im:
            raise DatasetError(f"{path}: image entry {str(im)[:80]} has no 'id'; give every image a unique id")
        iid = im["id"]
        if iid in out:
            raise DatasetError(f"{path}: image id {iid} appears twice in images; make image ids unique")
        for k in ("video_id", "order_in_video"):
            if im.get(k) is None:
                raise DatasetError(
                    f"{path}: image id {iid} has no '{k}'; every image needs video_id and order_in_video "
                    "(the frame's index in its video), see docs/data.md"
                )
        order = im["order_in_video"]
        if not _is_int(order):
            raise DatasetError(
                f"{path}: image id {iid} has non-integer order_in_video {order!r}; use the integer frame index"
            )
        h, w = im.get("height"), im.get("width")
        if not (_is_int(h) and _is_int(w) and h > 0 and w > 0):
            raise DatasetError(f"{path}: image id {iid} lacks a positive integer height/width; add the frame size")
        out[iid] = {
            "video": str(im["video_id"]),
            "order": int(order),
            "path": _check_file_name(path, root, iid, im.get("file_name")),
            "h": int(h),
            "w": int(w),
        }
    return out


def _check_orders_and_files(path: Path, root: Path, images: dict[Any, dict], check_files: bool) -> None:
    seen: dict[tuple[str, int], Any] = {}
    for iid, im in images.items():
        k = (im["video"], im["order"])
        if k in seen:
            raise DatasetError(
                f"{path}: video {im['video']!r} has two frames with order_in_video {im['order']} "
                f"(image ids {seen[k]} and {iid}); make order_in_video unique within each video"
            )
        seen[k] = iid
    if check_files:
        missing = [(iid, im["path"]) for iid, im in images.items() if not os.path.exists(im["path"])]
        if missing:
            iid, p = missing[0]
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise DatasetError(
                f"{path}: image id {iid}: frame file {p} not found{more}; set data.image_root to the folder "
                f"that file_name is relative to (now {root})"
            )


def _to_rle(path: Path, aid: Any, iid: Any, seg: Any, h: int, w: int) -> dict:
    """Any COCO segmentation -> compressed RLE dict, checking its size against the image."""
    where = f"{path}: annotation id {aid} (image id {iid})"
    if isinstance(seg, dict) and "counts" in seg and "size" in seg:
        if list(seg["size"]) != [h, w]:
            raise DatasetError(
                f"{where}: RLE size {list(seg['size'])} differs from the image size [{h}, {w}]; "
                "encode the mask at the image resolution or fix images[].height/width"
            )
        if isinstance(seg["counts"], list):
            return mask_utils.frPyObjects(seg, h, w)
        return {"size": [h, w], "counts": seg["counts"]}
    if isinstance(seg, list) and seg and all(isinstance(p, list) for p in seg):
        for p in seg:
            if len(p) < 6 or len(p) % 2:
                raise DatasetError(
                    f"{where}: polygon with {len(p)} numbers; a polygon needs >= 3 (x, y) points "
                    "(pycocotools reads 4 numbers as a box), fix or drop it"
                )
        return mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    raise DatasetError(
        f"{where}: segmentation is neither an RLE dict (size, counts) nor a list of polygons; fix the annotation"
    )


def _track_key(path: Path, anns: list) -> str | None:
    """The instance-id key used by all annotations, or None for the category fallback."""
    used = Counter(next((k for k in INSTANCE_KEYS if a.get(k) is not None), None) for a in anns)
    keys = [k for k in used if k is not None]
    if not keys:
        return None
    key = keys[0]
    if len(keys) > 1 or used.get(None):
        bad = next(a for a in anns if a.get(key) is None)
        raise DatasetError(
            f"{path}: annotation id {bad.get('id')} has no '{key}' while others do; give every annotation "
            f"a '{key}' (stable across frames) or none (one instance per category)"
        )
    return key


def _parse(path: Path, root: Path, *, check_files: bool, allow_empty_categories: bool) -> VideoIndex:
    data = _read_json(path)
    categories = _parse_categories(path, data["categories"])
    images = _parse_images(path, root, data["images"])
    _check_orders_and_files(path, root, images, check_files)
    anns = data["annotations"]
    for a in anns:
        if not isinstance(a, dict) or "id" not in a:
            raise DatasetError(f"{path}: annotation {str(a)[:80]} has no 'id'; give every annotation a unique id")
    key = _track_key(path, anns)

    objects: dict[Any, dict[int, RleMask]] = defaultdict(dict)  # image id -> track id -> mask
    track_cat: dict[tuple[str, int], int] = {}
    per_cat: Counter = Counter()
    ann_ids: set = set()
    seen: set[tuple[Any, int]] = set()  # (image id, track id)
    n_empty = 0
    for a in anns:
        aid, iid, cid = a["id"], a.get("image_id"), a.get("category_id")
        if aid in ann_ids:
            raise DatasetError(f"{path}: annotation id {aid} appears twice; make annotation ids unique")
        ann_ids.add(aid)
        if iid not in images:
            raise DatasetError(
                f"{path}: annotation id {aid} points at unknown image_id {iid!r}; remove it or add the image"
            )
        if not _is_int(cid) or int(cid) not in categories:
            raise DatasetError(
                f"{path}: annotation id {aid} (image id {iid}) has category_id {cid!r}, not in categories "
                f"{sorted(categories)}; add the category or fix the annotation"
            )
        cid = int(cid)
        per_cat[cid] += 1
        im = images[iid]
        tid = a[key] if key else cid
        if not _is_int(tid):
            raise DatasetError(f"{path}: annotation id {aid} has non-integer {key} {tid!r}; use integer track ids")
        tid = int(tid)
        if (iid, tid) in seen:
            fix = (
                "two annotations of one track in one frame: merge them or fix the ids"
                if key
                else "several instances of one category in one frame: add track_id to tell them apart"
            )
            raise DatasetError(f"{path}: annotation id {aid}: image id {iid} already has {key or 'category'} {tid}; {fix}")
        seen.add((iid, tid))
        prev = track_cat.setdefault((im["video"], tid), cid)
        if prev != cid:
            raise DatasetError(
                f"{path}: annotation id {aid}: track {tid} of video {im['video']!r} has category {cid} here but "
                f"{prev} elsewhere; a track must keep one category"
            )
        rle = _to_rle(path, aid, iid, a.get("segmentation"), im["h"], im["w"])
        if int(mask_utils.area(rle)) == 0:
            n_empty += 1
            continue
        objects[iid][tid] = RleMask(rle)

    empty_cats = [c for c in categories if per_cat[c] == 0]
    if empty_cats:
        c = empty_cats[0]
        msg = (
            f"{path}: category {c} ({categories[c]!r}) has no annotation"
            + (f" (and {len(empty_cats) - 1} more: {empty_cats[1:6]})" if len(empty_cats) > 1 else "")
        )
        if not allow_empty_categories:
            raise DatasetError(msg + "; remove it from categories or set data.allow_empty_categories=true")
        logger.warning(msg + " (allowed by allow_empty_categories)")
    if n_empty:
        logger.info(f"{path}: {n_empty} annotations have empty masks; their objects count as absent in those frames")

    videos = _build_videos(images, objects, track_cat)
    n_tracks = sum(len(v.categories) for v in videos)
    logger.info(
        f"Loaded {path}: {len(videos)} videos, {len(images)} frames, {len(anns)} annotations, {n_tracks} tracks"
        + ("" if key else " (instance id = category_id)")
    )
    return VideoIndex(videos=videos, categories=categories, source=str(path))


def _build_videos(images: dict, objects: dict, track_cat: dict) -> list[VideoRecord]:
    by_video: dict[str, list[FrameRecord]] = {}
    for iid, im in images.items():
        fr = FrameRecord(
            image_path=im["path"],
            order=im["order"],
            image_id=iid,
            height=im["h"],
            width=im["w"],
            objects=dict(sorted(objects.get(iid, {}).items())),
        )
        by_video.setdefault(im["video"], []).append(fr)
    cats: dict[str, dict[int, int]] = defaultdict(dict)
    for (vid, tid), c in sorted(track_cat.items()):
        cats[vid][tid] = c
    videos = []
    for vid, frames in by_video.items():
        frames.sort(key=lambda f: f.order)
        videos.append(VideoRecord(video_id=vid, frames=frames, categories=dict(cats[vid])))
    return videos
