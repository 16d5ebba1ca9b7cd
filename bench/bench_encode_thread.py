"""``eval.encode_thread`` on vs off, in one process: our evaluation chain on the same video, interleaved.

    OMP_NUM_THREADS=1 python bench/bench_encode_thread.py          # debug SAM2, 60 frames 240x320, 8 runs each
    OMP_NUM_THREADS=1 python bench/bench_encode_thread.py --quick  # tiny sizes (what the test runs)

With the thread, the next ``eval.encode_batch`` frames are decoded, resized and encoded on a worker
thread while the current batch is tracked (another core). Reported per object count: wall and process
CPU ms per frame (best and median of the runs), the wall speed-up and the CPU cost. The masks are the
same either way (tests/pipeline/test_chain_meta_parity.py); this only measures time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_eval import FolderSource, FramePrompt, build_chain, build_model, disc_frame, disc_masks  # noqa: E402
from bench_eval import plain_chain_settings, settings_of  # noqa: E402


def ab(chain, folder: Path, num_frames: int, hw: tuple[int, int], objects: int, runs: int) -> dict:
    """Wall / CPU ms per frame of ``runs`` runs with and without the worker thread, alternating."""
    masks0 = disc_masks(0, *hw, 3)[:objects]
    prompts = {o + 1: FramePrompt("mask", mask=masks0[o]) for o in range(objects)}
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for r in range(runs + 1):  # the first pair warms up
        for thread in (False, True) if r % 2 == 0 else (True, False):
            chain.encode_thread = thread
            t0, c0 = time.perf_counter(), time.process_time()
            for frame in chain.frames(FolderSource(folder), lambda t: prompts if t == 0 else {}, num_frames):
                bool(frame.masks.any())
            if r:
                times[thread].append(((time.perf_counter() - t0) / num_frames * 1e3,
                                      (time.process_time() - c0) / num_frames * 1e3))
    row = {"objects": objects}
    for thread, name in ((False, "off"), (True, "on")):
        wall, cpu = [w for w, _ in times[thread]], [c for _, c in times[thread]]
        row.update({f"{name}_wall_best": min(wall), f"{name}_wall_median": statistics.median(wall),
                    f"{name}_cpu_median": statistics.median(cpu)})
    row["wall_speedup"] = row["off_wall_median"] / row["on_wall_median"]
    row["cpu_cost"] = row["on_cpu_median"] / row["off_cpu_median"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--hw", type=int, nargs=2, default=[240, 320], help="video height width")
    ap.add_argument("--runs", type=int, default=8, help="timed runs per setting")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.frames, args.hw, args.runs = 12, [64, 80], 1
    cfg, model = build_model("debug", encode_thread="true")
    settings = settings_of(cfg)
    chain = build_chain(cfg, model, plain_chain_settings(settings), settings)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for t in range(args.frames):
            Image.fromarray(disc_frame(t, *args.hw, 3)).save(Path(tmp) / f"{t:05d}.jpg", quality=95)
        for objects in (1, 3):
            rows.append(r := ab(chain, Path(tmp), args.frames, tuple(args.hw), objects, args.runs))
            print(f"{objects} object(s): worker thread {r['on_wall_median']:.2f} ms/frame (best {r['on_wall_best']:.2f}), "
                  f"without {r['off_wall_median']:.2f} (best {r['off_wall_best']:.2f}) -> {r['wall_speedup']:.2f}x "
                  f"wall; CPU {r['on_cpu_median']:.2f} vs {r['off_cpu_median']:.2f} ms/frame ({r['cpu_cost']:.2f}x)")
    if args.json:
        args.json.write_text(json.dumps({"torch_threads": torch.get_num_threads(), "frames": args.frames,
                                         "hw": args.hw, "runs": args.runs, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
