"""Latency / accuracy sweeps of the stream: collect runs, find the Pareto front, plot it.

Run the grid as a Hydra multirun, then collect it::

    python -m sam2_video.stream -m sam2=debug model.image_size=64,96,128 stream.memory_every=1,3,5 \\
        stream.ema_alpha=0,0.7 stream.max_memory=null,2 hydra.sweep.dir=outputs/multirun/stream_grid
    python -m sam2_video.stream.sweep outputs/multirun/stream_grid --name stream_grid

The collector reads every stream run's summary.json below the folder (its axes from
``.hydra/overrides.yaml``) and writes ``sweeps/<name>/results.json`` (every point + the front),
``results.md`` and ``pareto.png`` (accuracy vs ms/frame, the front highlighted; ``--latency
cpu_ms_per_frame`` ranks by process CPU time instead of wall clock, steadier on a shared machine). A point is on the
front when no other point is at least as fast and at least as accurate, and strictly better in one.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Optional, Sequence

from loguru import logger

from sam2_video.atomic import atomic_path, write_json, write_text
from sam2_video.errors import ConfigError
from sam2_video.metrics.table_io import jsonable, markdown_table
from sam2_video.results import parse_overrides

ACCURACY = ("JF", "J", "F", "dice", "iou")
XLABELS = {"ms_per_frame": "latency, ms/frame end to end, wall clock (decode + SAM2 + refiner + post + memory)",
           "cpu_ms_per_frame": "latency, CPU ms/frame (process CPU time of SAM2 + refiner + post + memory)"}
LABELS = {"JF": "J&F (mean of region J and boundary F)", "dice": "Dice", "iou": "IoU", "J": "J (region IoU)",
          "F": "boundary F"}


def read_points(root: str | Path) -> list[dict]:
    """One point per stream run below ``root``: its overrides, accuracy and ms/frame."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; pass the multirun folder of the sweep")
    points = []
    for path in sorted(root.rglob("summary.json")):
        try:
            s = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            logger.warning(f"{path}: unreadable; skipped")
            continue
        if (s.get("run") or {}).get("task") != "stream":
            continue
        run = path.parent
        overrides = run / ".hydra" / "overrides.yaml"
        axes = {}
        if overrides.is_file():
            import yaml

            axes = parse_overrides(yaml.safe_load(overrides.read_text()) or [])
        axes = {k: v for k, v in axes.items() if not k.startswith(("output_dir", "hydra", "paths", "data."))}
        o = s["overall"]
        points.append({"run": run.relative_to(root).as_posix() or ".", "settings": axes,
                       "ms_per_frame": o.get("ms_per_frame"), "fps": o.get("fps"),
                       "cpu_ms_per_frame": o.get("cpu_ms_per_frame"),
                       **{m: o.get(m) for m in ACCURACY}})
    if not points:
        raise ConfigError(f"{root}: no stream runs (summary.json of python -m sam2_video.stream) below it")
    keys = {k for p in points for k in p["settings"]}
    varying = {k for k in keys if len({p["settings"].get(k) for p in points}) > 1}
    for p in points:  # the axes: overrides that differ between points
        p["settings"] = {k: v for k, v in p["settings"].items() if k in varying}
    return points


def pareto_front(points: Sequence[dict], y: str = "JF", x: str = "ms_per_frame") -> list[int]:
    """Indices of the points on the front (min ``x``, max ``y``), by increasing ``x``."""
    ok = [i for i, p in enumerate(points) if _finite(p.get(x)) and _finite(p.get(y))]
    front, best = [], -math.inf
    for i in sorted(ok, key=lambda i: (points[i][x], -points[i][y])):
        if points[i][y] > best:
            front.append(i)
            best = points[i][y]
    return front


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _label(settings: dict) -> str:
    short = {"stream.memory_every": "K", "stream.ema_alpha": "ema", "model.image_size": "px",
             "stream.max_memory": "mem", "stream.autoprompt_every": "ap", "stream.refiner_onnx": "ref"}
    return " ".join(f"{short.get(k, k.split('.')[-1])}={v}" for k, v in settings.items())


def plot(points: Sequence[dict], front: Sequence[int], target: Path, y: str, title: str, x: str = "ms_per_frame") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    xs = [p[x] for p in points]
    ys = [p[y] for p in points]
    on = set(front)
    ax.scatter([x for i, x in enumerate(xs) if i not in on], [v for i, v in enumerate(ys) if i not in on],
               c="0.6", s=28, label="other settings (see results.md)")
    fx, fy = [xs[i] for i in front], [ys[i] for i in front]
    ax.step(fx, fy, where="post", c="tab:red", lw=1.5, alpha=0.7)
    ax.scatter(fx, fy, c="tab:red", s=60, edgecolors="k", zorder=5, label="Pareto front")
    for n, i in enumerate(front):  # front points labelled (all points: results.md), offsets alternate
        ax.annotate(_label(points[i]["settings"]), (xs[i], ys[i]), textcoords="offset points",
                    xytext=(6, 6 if n % 2 == 0 else -12), fontsize=7,
                    zorder=4, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_xlabel(XLABELS[x])
    ax.set_ylabel(LABELS.get(y, y))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return target


def collect(root: str | Path, name: str, out_root: str | Path = "sweeps", y: str = "JF", x: str = "ms_per_frame") -> dict:
    """Write ``<out_root>/<name>/results.json``, ``results.md`` and ``pareto.png``; returns the results."""
    if y not in ACCURACY:
        raise ConfigError(f"--metric {y}: use one of {ACCURACY}")
    if x not in XLABELS:
        raise ConfigError(f"--latency {x}: use one of {sorted(XLABELS)}")
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"--name {name!r}: use a plain folder name, e.g. stream_grid")
    points = read_points(root)
    front = pareto_front(points, y, x)
    for i, p in enumerate(points):
        p["on_front"] = i in front
    out = Path(out_root) / name
    result = {"name": name, "source": str(root), "x": x, "y": y, "points": points,
              "front": [points[i] for i in front]}
    write_json(out / "results.json", jsonable(result))
    rows = [{"settings": _label(p["settings"]) or p["run"], "ms/frame": p["ms_per_frame"],
             "CPU ms/frame": p["cpu_ms_per_frame"], y: p[y], "dice": p["dice"], "F": p["F"],
             "front": "yes" if p["on_front"] else ""}
            for p in sorted(points, key=lambda p: p[x] if _finite(p[x]) else math.inf)]
    write_text(out / "results.md", markdown_table(rows, ["settings", "ms/frame", "CPU ms/frame", y, "dice", "F", "front"]))
    plot(points, front, out / "pareto.png", y, f"{name}: {len(points)} settings, {len(front)} on the front", x)
    logger.info(f"{out}: {len(points)} points, front: " + "; ".join(
        f"{_label(points[i]['settings'])} ({points[i][x]:.1f} ms, {y} {points[i][y]:.3f})" for i in front))
    return result


def main(argv: Optional[Sequence[str]] = None) -> None:
    from sam2_video.cli import exit_on_user_error, setup_console

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", help="multirun folder of the sweep (holds the runs' summary.json)")
    p.add_argument("--name", required=True, help="sweeps/<name>/ receives results.json, results.md, pareto.png")
    p.add_argument("--out", default="sweeps", help="parent folder (default sweeps)")
    p.add_argument("--metric", default="JF", help=f"accuracy axis: one of {ACCURACY}")
    p.add_argument("--latency", default="ms_per_frame", help=f"latency axis: one of {sorted(XLABELS)}")
    args = p.parse_args(argv)
    setup_console()
    with exit_on_user_error():
        collect(args.root, args.name, args.out, args.metric, args.latency)


if __name__ == "__main__":
    main()
