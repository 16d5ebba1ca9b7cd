"""Evaluation speed vs Meta's SAM2VideoPredictor, and memory flatness in video length.

    python bench/bench_eval.py                 # debug SAM2 on CPU: 60 frames, 1 and 3 objects; 200 vs 2000 frames
    python bench/bench_eval.py --quick         # tiny sizes (what the test runs)
    python bench/bench_eval.py --skip-memory --profile   # speed only + where the 1-object time goes (--json out.json)
    python bench/bench_eval.py --skip-memory --meta-threads 2   # Meta on 2 torch threads: the cores ours uses
    python bench/bench_eval.py --device cuda --variant sam2.1_tiny --image-size 1024 --hw 480 854 --skip-memory

Speed: frames/s of our evaluation chain (``pipeline.assemble.build_chain`` with the evaluation's
plain chain settings, from the composed config: frames read lazily from JPEG, masks at the video's
size on the host; ``eval.encode_thread``: the next 8 frames decoded + encoded on a 2nd thread) vs Meta's ``init_state`` + ``add_new_mask`` + ``propagate_in_video`` on the
same weights, video and mask prompts; best of ``--repeats`` interleaved runs. On CUDA both run under
bf16 autocast (ours: ``eval.autocast=auto``; Meta: ``torch.autocast`` as in Meta's README) and the
peak GPU memory of each run is recorded. Memory: a full ``evaluate_index`` run (metrics, CSV,
PNGs) on a synthetic video generated on the fly, each length in a fresh subprocess: peak RSS and
tracemalloc peak (Python + numpy) during the run (debug SAM2, CPU). Targets: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import PeakMemory, Timed, sync  # noqa: E402  (bench/measure.py)
from sam2_video.config import compose_config
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.checkpoint import save_official
from sam2_video.model.meta import build_meta_video_predictor
# Package internals this script drives (kept here, in one place: the frame-loop redesign may rename them).
from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.eval.evaluate import evaluate_index
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.session import TrackingSession
from sam2_video.pipeline.assemble import build_chain, plain_chain_settings, settings_of
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.pipeline.source import FolderSource
from sam2_video.prompt import FramePrompt

def build_model(variant: str = "debug", image_size: int | None = None, device: str = "cpu",
                encode_batch: int = 8, encode_thread: str = "auto"):
    """(config, SAM2) of ``variant`` at ``image_size`` (None: the variant's own) on ``device``: random
    weights, object-score bias raised so that masks are not empty; ``cfg.eval`` holds the device."""
    overrides = [f"sam2={variant}", f"eval.device={device}", f"eval.encode_batch={encode_batch}",
                 f"eval.encode_thread={encode_thread}"]
    cfg = compose_config(overrides + ([f"model.image_size={image_size}"] if image_size else []))
    torch.manual_seed(0)
    model = build_sam2_model(cfg.model).eval()
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    return cfg, model.to(device)


def disc_masks(t: int, h: int, w: int, n: int) -> np.ndarray:
    """(n, H, W) bool: n discs bouncing around (deterministic in t)."""
    yy, xx = np.ogrid[:h, :w]
    out = np.zeros((n, h, w), bool)
    for i in range(n):
        r = 0.12 * min(h, w) * (1 + 0.3 * i)
        cy = r + abs((17 + 23 * i + 2.0 * t) % (2 * (h - 2 * r)) - (h - 2 * r))
        cx = r + abs((11 + 31 * i + 3.0 * t) % (2 * (w - 2 * r)) - (w - 2 * r))
        out[i] = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return out


def disc_frame(t: int, h: int, w: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(t)
    img = (rng.random((h, w, 3)) * 70).astype(np.uint8)
    for i, m in enumerate(disc_masks(t, h, w, n)):
        img[m] = ((80 * i + 200) % 256, (150 * i + 60) % 256, (90 * i + 120) % 256)
    return img


class OnTheFlyVideo(VideoRecord):
    """A VideoRecord whose frames and masks are generated when asked (nothing on disk)."""

    def __init__(self, num_frames: int, h: int, w: int, n: int) -> None:
        frames = [FrameRecord(Path(f"{t:05d}.jpg"), t, t, h, w, {i + 1: None for i in range(n)}) for t in range(num_frames)]
        super().__init__("onthefly", frames, {i + 1: 1 + i % 3 for i in range(n)})
        self.h, self.w, self.n = h, w, n

    def load_image(self, t: int) -> np.ndarray:
        return disc_frame(t, self.h, self.w, self.n)

    def load_masks(self, t, track_ids=None):
        m = disc_masks(t, self.h, self.w, self.n)
        return {i + 1: m[i] for i in range(self.n) if track_ids is None or i + 1 in track_ids}

    def load_mask_stack(self, t: int, track_ids: list[int]) -> np.ndarray:
        m = disc_masks(t, self.h, self.w, self.n)
        return m[[tid - 1 for tid in track_ids]]


def bench_speed(cfg, model, num_frames: int, hw: tuple[int, int], objects: int, repeats: int,
                meta_threads: int | None = None) -> dict:
    """Frames/s of ours and Meta's on one ``num_frames`` video at ``hw`` with ``objects`` mask prompts
    (``meta_threads``: Meta's torch threads, e.g. the cores ours uses with its encode-ahead thread)."""
    device = next(model.parameters()).device
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else contextlib.nullcontext
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "video"
        folder.mkdir()
        for t in range(num_frames):
            Image.fromarray(disc_frame(t, *hw, 3)).save(folder / f"{t:05d}.jpg", quality=95)
        save_official(model, Path(tmp) / "w.pt")
        meta = build_meta_video_predictor(cfg.model, Path(tmp) / "w.pt", device=str(device))
        settings = settings_of(cfg)  # the evaluation's chain: SAM2 alone, memory every frame
        chain = build_chain(cfg, model, plain_chain_settings(settings), settings)
        masks0 = disc_masks(0, *hw, 3)[:objects]
        prompts = {o + 1: FramePrompt("mask", mask=masks0[o]) for o in range(objects)}

        def run_meta() -> None:
            with torch.inference_mode(), autocast():
                state = meta.init_state(str(folder))
                for o in range(objects):
                    meta.add_new_mask(state, 0, o + 1, masks0[o])
                for _, _, logits in meta.propagate_in_video(state):
                    bool((logits > 0).any())  # read back to the host, as an evaluation does

        def run_ours() -> None:  # masks come back on the host
            for frame in chain.frames(FolderSource(folder), lambda t: prompts if t == 0 else {}, num_frames):
                bool(frame.masks.any())

        times, cpu = {"meta": float("inf"), "ours": float("inf")}, {"meta": float("inf"), "ours": float("inf")}
        peak = PeakMemory(device)
        threads = torch.get_num_threads()
        run_meta(), run_ours()  # warm-up
        for _ in range(repeats):  # interleaved, best of each: robust to load drifting on shared machines
            for name, fn in (("meta", run_meta), ("ours", run_ours)):
                torch.set_num_threads((name == "meta" and meta_threads) or threads)
                sync(device)
                with peak.of(name):
                    t0, c0 = time.perf_counter(), time.process_time()
                    fn()
                    sync(device)
                    times[name] = min(times[name], time.perf_counter() - t0)
                    cpu[name] = min(cpu[name], time.process_time() - c0)  # steadier than wall on a shared host
        del meta
    return {"objects": objects, "frames": num_frames, "hw": list(hw), "image_size": int(model.image_size),
            "encode_thread": chain.encode_thread, "meta_threads": meta_threads or torch.get_num_threads(),
            "meta_fps": num_frames / times["meta"], "ours_fps": num_frames / times["ours"],
            "speedup": times["meta"] / times["ours"], "cpu_speedup": cpu["meta"] / cpu["ours"],
            "meta_peak_mib": peak.mib["meta"], "ours_peak_mib": peak.mib["ours"]}


def profile_one_object(model, num_frames: int, hw: tuple[int, int], repeats: int, encode_batch: int = 8) -> dict:
    """Where our 1-object time goes, per frame (ms, best of ``repeats``): JPEG decode, resize +
    normalisation, image encoder, per-frame feature preparation, SAM heads + memory attention,
    memory encoder, logits to the video resolution + host read-out."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for t in range(num_frames):
            Image.fromarray(disc_frame(t, *hw, 3)).save(folder / f"{t:05d}.jpg", quality=95)
        mask0 = disc_masks(0, *hw, 3)[0]
        best: dict[str, float] = {}
        for _ in range(repeats + 1):  # the first run warms up
            parts = {k: 0.0 for k in ("decode", "resize_normalise", "image_encoder", "logits_to_video")}
            hooks = {name: Timed(getattr(model, name)) for name in
                     ("_prepare_backbone_features", "_track_step", "_encode_new_memory")}
            for name, h in hooks.items():
                setattr(model, name, h)
            try:
                geo = FrameGeometry(*hw, model.image_size)
                session = TrackingSession(model, geo, num_frames=num_frames)
                t_all = time.perf_counter()
                encoded: dict = {}
                for t in range(num_frames):
                    t0 = time.perf_counter()
                    chunk = [] if t in encoded else list(range(t, min(t + encode_batch, num_frames)))
                    imgs = [np.array(Image.open(folder / f"{k:05d}.jpg").convert("RGB")) for k in chunk]
                    t1 = time.perf_counter()
                    xs = [geo.image(img) for img in imgs]
                    t2 = time.perf_counter()
                    if chunk:  # the image encoder runs encode_batch frames at a time, like VideoPropagator
                        encoded = dict(zip(chunk, session.encode_many(chunk, xs)))
                    feats = encoded.pop(t)
                    t3 = time.perf_counter()
                    out = session.step(feats, {1: FramePrompt("mask", mask=mask0)} if t == 0 else None,
                                       False if t == num_frames - 1 else None)
                    t4 = time.perf_counter()
                    (geo.logits(out.low_res_logits) > 0).any()
                    t5 = time.perf_counter()
                    for k, d in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t5 - t4)):
                        parts[k] += d
                total = time.perf_counter() - t_all
            finally:
                for name in hooks:
                    delattr(model, name)
            parts.update({"feature_preparation": hooks["_prepare_backbone_features"].seconds,
                          "heads_and_memory_attention": hooks["_track_step"].seconds,
                          "memory_encoder": hooks["_encode_new_memory"].seconds})
            parts["other"] = total - sum(parts.values())
            parts["total"] = total
            if not best or total < best["total"]:
                best = dict(parts)
    return {k: 1000.0 * v / num_frames for k, v in best.items()}


def memory_child(num_frames: int, hw: tuple[int, int], objects: int) -> dict:
    """Run a full evaluation of an on-the-fly video; report peak RSS and tracemalloc peak."""
    _, model = build_model()  # the debug SAM2 on CPU
    video = OnTheFlyVideo(num_frames, *hw, objects)
    index = VideoIndex([video], {1: "a", 2: "b", 3: "c"}, "on-the-fly")
    settings = EvalSettings(report=False, save_masks=True, num_worst_frames=3)
    with tempfile.TemporaryDirectory() as tmp:
        evaluate_index(model, VideoIndex([OnTheFlyVideo(4, *hw, objects)], index.categories, "warm-up"),
                       settings, Path(tmp) / "warm")  # warm-up: lazy imports, allocator pools
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        t0 = time.perf_counter()
        evaluate_index(model, index, settings, Path(tmp) / "run")
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"frames": num_frames, "peak_rss_mb": rss1 / 1024, "rss_growth_mb": (rss1 - rss0) / 1024,
            "tracemalloc_peak_mb": peak / 2**20, "seconds": seconds}


def bench_memory(sizes: list[int], hw: tuple[int, int], objects: int) -> list[dict]:
    out = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--memory-child", str(n), "--hw", str(hw[0]), str(hw[1]),
               "--objects", str(objects)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def speed_rows(cfg, model, num_frames: int, hw: tuple[int, int], repeats: int,
               objects: tuple[int, ...] = (1, 3), meta_threads: int | None = None) -> list[dict]:
    """:func:`bench_speed` with 1 and 3 objects (what the table reports)."""
    return [bench_speed(cfg, model, num_frames, hw, n, repeats, meta_threads) for n in objects]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--frames", type=int, default=60, help="frames of the speed video")
    ap.add_argument("--hw", type=int, nargs=2, default=[240, 320], help="video height width")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--memory-sizes", type=int, nargs=2, default=[200, 2000])
    ap.add_argument("--objects", type=int, default=3, help="objects in the memory runs")
    ap.add_argument("--skip-memory", action="store_true", help="speed only (no 200 / 2000-frame memory runs)")
    ap.add_argument("--profile", action="store_true", help="also break down the 1-object time per frame")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--encode-batch", type=int, default=8, help="our frames per image-encoder call (eval.encode_batch)")
    ap.add_argument("--encode-thread", choices=("auto", "true", "false"), default="auto", help="eval.encode_thread")
    ap.add_argument("--meta-threads", type=int, default=None, help="Meta's torch threads (default: ours)")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (speed and profile; memory runs: CPU)")
    ap.add_argument("--variant", default="debug", help="SAM2 config of the speed runs (configs/sam2/)")
    ap.add_argument("--image-size", type=int, default=None, help="model.image_size (default: the variant's)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child, tuple(args.hw), args.objects)))
        return
    if args.quick:
        args.frames, args.repeats, args.memory_sizes, args.hw = 6, 1, [10, 30], [64, 80]
    cfg, model = build_model(args.variant, args.image_size, args.device, args.encode_batch, args.encode_thread)
    speed = speed_rows(cfg, model, args.frames, tuple(args.hw), args.repeats, meta_threads=args.meta_threads)
    result = {"speed": speed, "encode_batch": args.encode_batch, "torch_threads": torch.get_num_threads(),
              "device": args.device, "variant": args.variant, "image_size": int(model.image_size)}
    print(f"{args.variant} at {model.image_size} px on {args.device}, video {args.hw[0]}x{args.hw[1]}, torch threads: "
          f"ours {torch.get_num_threads()} + encode thread {speed[0]['encode_thread']}, Meta {speed[0]['meta_threads']}:")
    for s in speed:
        print(f"{s['objects']} object(s), {s['frames']} frames: Meta {s['meta_fps']:.1f} fps, "
              f"ours {s['ours_fps']:.1f} fps -> {s['speedup']:.2f}x (CPU time {s['cpu_speedup']:.2f}x)")
    if args.profile:
        result["profile_1_object_ms_per_frame"] = prof = profile_one_object(model, args.frames, tuple(args.hw),
                                                                            args.repeats, args.encode_batch)
        print("1 object, ms per frame: " + ", ".join(f"{k} {v:.2f}" for k, v in prof.items()))
    if not args.skip_memory:
        memory = bench_memory(args.memory_sizes, tuple(args.hw), args.objects)
        small, big = memory
        result.update({"memory": memory, "memory_ratio_rss": big["peak_rss_mb"] / small["peak_rss_mb"],
                       "memory_ratio_tracemalloc": big["tracemalloc_peak_mb"] / small["tracemalloc_peak_mb"]})
        for m in memory:
            print(f"{m['frames']} frames: peak RSS {m['peak_rss_mb']:.0f} MB (+{m['rss_growth_mb']:.1f} MB during "
                  f"eval), tracemalloc peak {m['tracemalloc_peak_mb']:.2f} MB, {m['seconds']:.1f} s")
        print(f"memory ratio {big['frames']}/{small['frames']}: RSS {result['memory_ratio_rss']:.3f}, "
              f"tracemalloc {result['memory_ratio_tracemalloc']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
