"""Train-step time of our SAM2VideoModule vs Meta's SAM2Train + MultiStepMultiMasksAndIous, same inputs.

    python bench/bench_train.py                                   # debug (128 px) and sam2.1_tiny@512, CPU
    python bench/bench_train.py --configs debug --steps 40 --prompts mask
    python bench/bench_train.py --quick                           # tiny run (what the test runs)
    python bench/bench_train.py --device cuda --precision bf16 --configs sam2.1_tiny@1024 sam2.1_base_plus@512
    python bench/bench_train.py --configs debug --profile 15      # + torch.profiler top ops of both paths

A config is ``VARIANT[@IMAGE_SIZE]`` (configs/sam2/). Both paths get the same weights, trainable modules,
ClipBatches (real pipeline, prefetched: loading not timed), prompt-kind draws (same ``rng`` seed),
torch seed per step, gradient clipping and AdamW. A step:

* ours: ``module.training_step`` + backward + clip + ``module.configure_optimizers()``'s optimizer /
  LR-scheduler step (not Lightning's loop); Meta: ``SAM2Train(batch.to_sam2())`` + the sam2.1 MOSE
  YAML's ``MultiStepMultiMasksAndIous`` + backward + Meta's ``GradientClipper`` + AdamW step.
Steps alternate (ours, Meta, Meta, ours, ...) so CPU contention hits both alike; warm-up dropped.
Reported: median step times; ours / Meta = median of per-step ratios (step i of both does the same work)
and of summed times; loader rate (``bench_loader.measure``, train, 0 workers). Target: ours / Meta <= 1.0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import sys
import tempfile
import time
import warnings
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import yaml
from hydra.utils import instantiate
from loguru import logger
from omegaconf import DictConfig, OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import sync  # noqa: E402,F401  (bench/measure.py; bench_memory imports it from here)
from sam2_video.config import build, compose_config
from sam2_video.data.synthetic import generate_dataset
from sam2_video.model.meta import meta_model_tree
from sam2_video.training.module import build_module

MOSE_YAML = "configs/sam2.1_training/sam2.1_hiera_b+_MOSE_finetune.yaml"
PROMPT_MIXES = {"mix": None, "mask": "{point: 0.0, box: 0.0, mask: 1.0}"}  # mix = the config's (Meta's default)


def parse_config(spec: str) -> tuple[str, int | None]:
    """``"sam2.1_tiny@512"`` -> ``("sam2.1_tiny", 512)``; no ``@`` keeps the variant's own size."""
    variant, _, size = spec.partition("@")
    return variant, int(size) if size else None


def compose(spec: str, root: Path, out: Path, args, extra: tuple[str, ...] = ()) -> DictConfig:
    """The composed config for ``VARIANT[@SIZE]`` on the synthetic data at ``root``."""
    variant, size = parse_config(spec)
    overrides = [f"sam2={variant}", f"data.root={root}", "data.num_workers=0", f"data.clip_length={args.frames}",
                 f"data.clip_stride={args.frames}", f"model.max_objects={args.objects}",
                 f"data.batch_size={args.batch_size}", f"output_dir={out}", "logger=none", f"seed={args.seed}"]
    overrides += list(extra)
    if size:
        overrides.append(f"model.image_size={size}")
    if PROMPT_MIXES[args.prompts]:
        overrides.append(f"prompt.train.mix={PROMPT_MIXES[args.prompts]}")
    return compose_config(overrides + list(args.override))


def official_meta_loss():
    """Meta's loss exactly as the sam2.1 MOSE fine-tune YAML builds it (``trainer.loss.all``)."""
    text = resources.files("sam2").joinpath(MOSE_YAML).read_text()
    return instantiate(OmegaConf.create(yaml.safe_load(text)["trainer"]["loss"]["all"]))


def build_ours(cfg, device):
    """Our LightningModule and its step function (optimiser + scheduler from configure_optimizers)."""
    torch.manual_seed(cfg.seed)
    module = build_module(cfg).to(device)
    module.train()
    module._trainer = SimpleNamespace(estimated_stepping_batches=1000)  # what configure_optimizers reads
    try:
        conf = module.configure_optimizers()
    finally:
        module._trainer = None  # self.log() is then a no-op (no Lightning loop here)
    opt, sched = conf["optimizer"], conf["lr_scheduler"]["scheduler"]
    params = [p for g in opt.param_groups for p in g["params"]]
    clip = float(cfg.trainer.gradient_clip_val or 0)

    def step(batch, i, autocast):
        with autocast():
            loss = module.training_step(batch, i)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(params, clip)  # what Lightning's gradient_clip_val does
        opt.step()
        sched.step()
        return loss

    return module, step


def build_meta(cfg, ours_model, device):
    """Meta's SAM2Train with ``ours_model``'s weights / trainable flags, and its step function."""
    from training.optimizer import GradientClipper
    tree = meta_model_tree(cfg.model, "training.model.sam2.SAM2Train")
    tree.update(build(cfg.prompt).train.sam2train_kwargs())  # the training prompting ours was built with
    meta = instantiate(OmegaConf.create(tree)).to(device)
    meta.load_state_dict(ours_model.state_dict())
    trainable = {n: p.requires_grad for n, p in ours_model.named_parameters()}
    for n, p in meta.named_parameters():
        p.requires_grad = trainable[n]
    meta.rng = np.random.default_rng(cfg.seed)
    meta.train()
    loss_fn = official_meta_loss()
    opt = torch.optim.AdamW([p for p in meta.parameters() if p.requires_grad], lr=cfg.optim.lr,
                            weight_decay=cfg.optim.weight_decay)
    clipper = GradientClipper(max_norm=float(cfg.trainer.gradient_clip_val or 0) or None)

    def step(batch, i, autocast):
        with autocast():
            outs = meta(batch.to_sam2())
            loss = loss_fn(outs, batch.masks)["core_loss"]
        if not math.isfinite(loss.item()):  # Meta's Trainer._run_step does this check every step
            raise RuntimeError(f"Meta path: non-finite loss at step {i}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        clipper(meta)
        opt.step()
        return loss

    return meta, step


def loader_rate(dm, clips: int) -> float | None:
    """Train-loader clips/s via bench_loader.measure (None when that script is unavailable)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from bench_loader import measure
    except ImportError as exc:
        logger.warning(f"bench_loader.measure unavailable ({exc}); loader rate skipped")
        return None
    return measure(dm, "train", clips)


def run_config(spec: str, args, device: torch.device) -> dict:
    """Time ``spec``'s steps, ours and Meta's alternating; returns the result row."""
    variant, _ = parse_config(spec)
    small = variant == "debug"
    warmup = args.warmup if args.warmup is not None else (3 if small else 1)
    steps = args.steps if args.steps is not None else (20 if small else 2)
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_dataset(Path(tmp) / "data", num_videos=args.videos, num_frames=2 * args.frames,
                                size=tuple(args.src_size), seed=0, num_objects=args.objects)
        cfg = compose(spec, root, Path(tmp) / "out", args)
        dm = build(cfg.data)
        dm.prepare_data()
        dm.setup("fit")
        it, batches = iter(dm.train_dataloader()), []
        while len(batches) < min(warmup + steps, args.prefetch):
            try:
                batches.append(next(it).to(device))
            except StopIteration:
                it = iter(dm.train_dataloader())
        module, ours_step = build_ours(cfg, device)
        meta, meta_step = build_meta(cfg, module.model, device)
        paths = {"ours": ours_step, "meta": meta_step}
        if args.feature_cache:  # a third path: ours with model.feature_cache (frozen encoder, same batches)
            cached, paths["cache"] = build_ours(compose(spec, root, Path(tmp) / "out", args,
                                                        ("model.feature_cache.enabled=true",)), device)
            warmup = max(warmup, len(batches))  # every timed step then reads cached features (epoch >= 2)
        if args.precision == "bf16":
            autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16)  # noqa: E731
        else:
            autocast = contextlib.nullcontext
        wall = {k: [] for k in paths}
        cpu = {k: [] for k in paths}
        losses = {k: [] for k in paths}
        logger.info(f"{spec}: {cfg.model.image_size} px, {args.frames} frames, {batches[0].num_objects} objects, "
                    f"{warmup} warm-up + {steps} timed steps per path")
        for i in range(warmup + steps):
            order = list(paths) if i % 2 == 0 else list(paths)[::-1]
            for name in order:
                torch.manual_seed(args.seed + i)  # same dropout / sampling seed for both paths
                sync(device)
                t0, c0 = time.perf_counter(), time.process_time()
                loss = float(paths[name](batches[i % len(batches)], i, autocast).detach())
                sync(device)
                dt, dc = time.perf_counter() - t0, time.process_time() - c0
                if i >= warmup:
                    wall[name].append(dt)
                    cpu[name].append(dc)
                losses[name].append(loss)
                logger.info(f"{spec} step {i} {name}: {dt:.3f} s wall, {dc:.3f} s CPU, loss {loss:.4f}")
        if args.profile:
            profile_step(paths, batches[0], autocast, args.profile, device)
        rate = loader_rate(dm, args.loader_clips) if args.loader_clips > 0 else None
        trainable = sum(p.numel() for p in module.model.parameters() if p.requires_grad)
    ours_s = statistics.median(wall["ours"])
    clips_per_s = args.batch_size / ours_s
    cache = {}
    if args.feature_cache:
        cache = {"cache_s": statistics.median(wall["cache"]),
                 "cache_speedup": statistics.median(a / b for a, b in zip(wall["ours"], wall["cache"]))}
    return {**cache, "config": spec, "image_size": int(cfg.model.image_size), "frames": args.frames,
            "objects": int(batches[0].num_objects), "batch_size": args.batch_size, "trainable_params": trainable,
            "warmup": warmup, "steps": steps, "ours_s": ours_s, "meta_s": statistics.median(wall["meta"]),
            "ratio": paired_ratio(wall), "ratio_of_sums": sum(wall["ours"]) / sum(wall["meta"]),
            "ours_cpu_s": statistics.median(cpu["ours"]), "meta_cpu_s": statistics.median(cpu["meta"]),
            "cpu_ratio": paired_ratio(cpu), "wall": wall, "cpu": cpu, "losses": losses,
            "loader_clips_per_s": rate, "loader_over_step": rate / clips_per_s if rate else None}


def paired_ratio(times: dict[str, list[float]]) -> float:
    """Median over timed steps of ours / Meta (step i of both paths does the same work)."""
    return statistics.median(a / b for a, b in zip(times["ours"], times["meta"]))


def profile_step(paths, batch, autocast, top: int, device: torch.device) -> None:
    """Print the ``top`` ops by self CPU time of one step of each path."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    for name, fn in paths.items():
        with profile(activities=acts) as prof:
            fn(batch, 10_000, autocast)
        print(f"\n--- torch.profiler: one {name} step (top {top} by self CPU time) ---")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", nargs="+", default=["debug", "sam2.1_tiny@512"], help="VARIANT[@IMAGE_SIZE] ...")
    ap.add_argument("--quick", action="store_true", help="tiny run: debug model, 4 frames, 1 + 2 steps (tests)")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--objects", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None, help="timed steps per path (default: 20 debug, 2 others)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps per path (default: 3 debug, 1 others)")
    ap.add_argument("--prompts", choices=tuple(PROMPT_MIXES), default="mix",
                    help="mix: the config's point/box/mask mix (Meta's default); mask: mask prompts only")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", choices=("32", "bf16"), default="32", help="bf16: autocast (as Meta's amp)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (CPU)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--videos", type=int, default=4, help="synthetic videos generated")
    ap.add_argument("--src-size", type=int, nargs=2, default=[480, 854], help="synthetic frame H W")
    ap.add_argument("--prefetch", type=int, default=4, help="batches loaded before timing (cycled)")
    ap.add_argument("--loader-clips", type=int, default=8, help="clips timed for the loader rate (0: skip)")
    ap.add_argument("--profile", type=int, default=0, help="also print the top-N torch.profiler ops of one step")
    ap.add_argument("--feature-cache", action="store_true",
                    help="also time ours with model.feature_cache (cached frozen-encoder features) and report the speed-up")
    ap.add_argument("--override", nargs="*", default=[],
                    help="extra Hydra overrides, e.g. model.trainable_modules=[all]")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args()
    if args.quick:
        args.configs, args.frames, args.warmup, args.steps = ["debug"], 4, 1, 2
        args.videos, args.src_size, args.prefetch, args.loader_clips = 2, [96, 128], 2, 2
        args.feature_cache = True
    logger.remove()
    logger.add(sys.stderr, level=args.log_level)
    warnings.filterwarnings("ignore", message=".*self.log.*")  # no Lightning loop: self.log is a no-op
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    rows = [run_config(spec, args, device) for spec in args.configs]
    print(f"\ntrain step, ours vs Meta: {args.device}, precision {args.precision}, {args.threads} thread(s), "
          f"prompts {args.prompts}, batch {args.batch_size}, median of timed steps")
    print(f"{'config':<18}{'px':>5}{'T':>3}{'O':>3}{'steps':>6}{'ours s':>9}{'Meta s':>9}{'ours/Meta':>11}"
          f"{'sum':>8}{'CPU ours/Meta':>15}{'steps/s':>9}{'loader clips/s':>16}{'loader/step':>13}")
    for r in rows:
        rate = f"{r['loader_clips_per_s']:.2f}" if r["loader_clips_per_s"] else "n/a"
        over = f"{r['loader_over_step']:.1f}x" if r["loader_over_step"] else "n/a"
        print(f"{r['config']:<18}{r['image_size']:>5}{r['frames']:>3}{r['objects']:>3}{r['steps']:>6}"
              f"{r['ours_s']:>9.3f}{r['meta_s']:>9.3f}{r['ratio']:>10.3f}x{r['ratio_of_sums']:>7.3f}x"
              f"{r['cpu_ratio']:>14.3f}x{1 / r['ours_s']:>9.3f}{rate:>16}{over:>13}")
    for r in rows:
        if "cache_speedup" in r:
            print(f"{r['config']}: with model.feature_cache {r['cache_s']:.3f} s/step, "
                  f"speed-up {r['cache_speedup']:.2f}x over ours without it")
    print("ratio ours/Meta (target <= 1.0), wall (CPU): "
          + ", ".join(f"{r['config']} {r['ratio']:.3f}x ({r['cpu_ratio']:.3f}x)" for r in rows))
    if args.json:
        meta = {"device": args.device, "precision": args.precision, "threads": args.threads, "prompts": args.prompts}
        args.json.write_text(json.dumps({**meta, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
