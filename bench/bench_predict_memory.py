"""predict.py's memory does not grow with the video's length: peak RSS of a 2,000-frame video file vs a
200-frame one (target: ratio <= 1.1). The video is decoded lazily, one frame at a time, by the
pipeline's source; masks, COCO RLE and the overlay video stream to disk.

    python bench/bench_predict_memory.py                    # 200 vs 2000 frames, 96 x 128, debug SAM2
    python bench/bench_predict_memory.py --lengths 50 500   # quicker

Each length runs ``predict.py`` in a fresh subprocess (the same command a user types, prompts file
at frame 0) and reads the child's peak RSS (``ru_maxrss`` of the waited-for child).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def write_video(path: Path, num_frames: int, h: int, w: int) -> None:
    """A moving disc on noise, H.264 (PyAV through the project's overlay writer)."""
    from sam2_video.video.writer import OverlayVideoWriter

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:h, :w]
    with OverlayVideoWriter(path, fps=25) as out:
        for t in range(num_frames):
            img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
            cy, cx = h / 2 + 20 * np.sin(t / 15), w / 2 + 30 * np.cos(t / 20)
            img[(yy - cy) ** 2 + (xx - cx) ** 2 < 15 ** 2] = (230, 60, 60)
            out.write_frame(img)


def peak_rss_mb(num_frames: int, work: Path, h: int, w: int) -> tuple[float, float]:
    video = work / f"v{num_frames}.mp4"
    write_video(video, num_frames, h, w)
    prompts = work / "prompts.json"
    prompts.write_text(json.dumps({"frames": {"0": {"1": {"box": [w / 2 - 20, h / 2 - 20, w / 2 + 20, h / 2 + 20]}}}}))
    cmd = [sys.executable, str(REPO / "predict.py"), "sam2=debug", f"predict.input={video}",
           f"predict.prompts={prompts}", f"output_dir={work / f'out{num_frames}'}", "log_level=WARNING"]
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after <= before:  # ru_maxrss of children is the max over all children so far: keep lengths ascending
        raise RuntimeError("child peak RSS not above the earlier children's; run the lengths in ascending order")
    return after / 1024, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", type=int, nargs=2, default=[200, 2000])
    ap.add_argument("--size", type=int, nargs=2, default=[96, 128], metavar=("H", "W"))
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    short, long_ = sorted(args.lengths)
    with tempfile.TemporaryDirectory() as tmp:
        # the longer run first would hide the shorter one's peak (children's maxrss is a running max),
        # so each length is measured in its own helper process
        res = {}
        for n in (short, long_):
            code = (f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); from pathlib import Path; "
                    f"import bench_predict_memory as b; "
                    f"import json; print(json.dumps(b.peak_rss_mb({n}, Path({tmp!r}), {args.size[0]}, {args.size[1]})))")
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO)
            res[n] = json.loads(out.stdout.strip().splitlines()[-1])
    result = {"frames": [short, long_], "peak_rss_mb": [round(res[short][0], 1), round(res[long_][0], 1)],
              "seconds": [round(res[short][1], 1), round(res[long_][1], 1)],
              "ratio": round(res[long_][0] / res[short][0], 3), "target": 1.1, "size": args.size}
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if result["ratio"] <= 1.1 else 1


if __name__ == "__main__":
    sys.exit(main())
