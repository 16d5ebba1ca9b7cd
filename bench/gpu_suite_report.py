"""The markdown table of ``bench/gpu_suite.py``'s results (``gpu_suite.md``), from its JSON document.

One row per measured figure: | measure | setting | ours | Meta | ratio | peak GPU MiB (ours / Meta) | note |.
Ratios: train / eval = ours / Meta speed (> 1: ours faster); stream = K=1 / K=5 time per frame;
refiner = share of one SAM2 frame. A part that failed, timed out or did not run is one row saying so.
"""

from __future__ import annotations

HEADER = ("| measure | setting | ours | Meta | ratio | peak GPU MiB (ours / Meta) | note |\n"
          "|---|---|---|---|---|---|---|")


def _f(x, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def _mib(*xs) -> str:
    return "n/a (CPU)" if all(x is None for x in xs) else " / ".join(_f(x, ".0f") for x in xs)


def _train(r: dict) -> list[str]:
    setting = (f"{r['config'].split('@')[0]} {r['image_size']} px, {r['precision']}, {r['frames']} frames, "
               f"{r['objects']} objects, batch {r['batch_size']}")
    return [f"| train steps/s | {setting} | {r['ours_steps_per_s']:.2f} | {r['meta_steps_per_s']:.2f} | "
            f"{r['speed_ours_over_meta']:.2f}x | {_mib(r['ours_peak_gpu_mib'], r['meta_peak_gpu_mib'])} | "
            f"median of {r['steps']} steps after {r['warmup']} warm-up; ratio = median paired step time Meta / ours |"]


def _eval(r: dict) -> list[str]:
    rows = []
    for s in r["rows"]:
        setting = f"{r['variant']} {r['image_size']} px, {s['frames']} frames {s['hw'][0]}x{s['hw'][1]} JPEG"
        rows.append(f"| eval frames/s | {setting}, {s['objects']} object(s) | {s['ours_fps']:.1f} | "
                    f"{s['meta_fps']:.1f} | {s['speedup']:.2f}x | {_mib(s['ours_peak_mib'], s['meta_peak_mib'])} | "
                    f"best of repeats; Meta = init_state + add_new_mask + propagate_in_video, not compiled |")
    rows.append(f"| eval frames/s (reference) | sam2.1_tiny, A100, torch.compile (Meta's published figure) | - | "
                f"{r['meta_published_fps']:.1f} | - | - | not measured here: Meta's README |")
    return rows


def _stream(r: dict) -> list[str]:
    return [f"| stream ms/frame | {r['model']}, K=1, {r['frames']} frames | {r['ms_K1']:.1f} | - | - | "
            f"{_mib(r['peak_gpu_mib_K1'])} | runner's end-to-end mean (median {_f(r['median_ms_K1'], '.1f')}) |",
            f"| stream ms/frame | {r['model']}, K=5, {r['frames']} frames | {r['ms_K5']:.1f} | - | "
            f"{r['speedup']:.2f}x | {_mib(r['peak_gpu_mib_K5'])} | ratio = K=1 / K=5 ms per frame "
            f"(median {_f(r['median_ms_K5'], '.1f')}) |"]


def _refiner(r: dict) -> list[str]:
    setting = f"C={r['classes']}, {r['resolution'][0]}x{r['resolution'][1]}, batch 1"
    note = r.get("onnxruntime_provider_note") or r["onnxruntime_provider"]
    rows = [f"| refiner ms | PyTorch, {setting} | {r['torch_ms']:.2f} | - | {r['share_torch']:.3f}x | "
            f"{_mib(r['torch_peak_gpu_mib'])} | ratio = share of one {r['sam2']} frame ({r['sam2_frame_ms']:.1f} ms) |",
            f"| refiner ms | onnxruntime, {setting} | {r['onnxruntime_ms']:.2f} | - | {r['share_onnxruntime']:.3f}x | "
            f"{_mib(r.get('onnxruntime_gpu_mib'))} | {note}; numpy in / out |"]
    if r.get("onnxruntime_iobinding_ms") is not None:
        rows.append(f"| refiner ms | onnxruntime, IO bound on the GPU, {setting} | {r['onnxruntime_iobinding_ms']:.2f} "
                    f"| - | {r['onnxruntime_iobinding_ms'] / r['sam2_frame_ms']:.3f}x | - | no host copies timed |")
    return rows


RENDER = {"train": _train, "eval": _eval, "stream": _stream, "refiner": _refiner}


def environment_lines(env: dict) -> list[str]:
    pk = env.get("packages", {})
    gpu = (f"{env['gpu']} ({env['gpu_memory_gib']} GiB, sm {env['compute_capability']}), driver {env['driver']}"
           if env.get("gpu") else f"no GPU: {env['device']}")
    return [f"- device: {gpu}; {env['cpu_count']} CPUs, {env['torch_threads']} torch threads",
            f"- torch {env['torch']}, CUDA {env['cuda']}, cuDNN {env['cudnn']}; sam2 {pk.get('sam2')}, "
            f"onnxruntime {pk.get('onnxruntime-gpu') or pk.get('onnxruntime')}; python {env['python']}",
            f"- date {env['date']}, commit {env.get('git_commit')}"]


def markdown(doc: dict) -> str:
    """The report: environment lines, the command, then the table (every planned part has a row)."""
    lines = [f"# GPU suite{' (--quick)' if doc['quick'] else ''}", "", *environment_lines(doc["env"]),
             f"- command: `{doc['command']}`; {doc.get('total_seconds', 0):.0f} s"
             + ("" if doc.get("complete") else " (incomplete: still running or stopped)"), "", HEADER]
    for name in doc["planned"]:
        res = doc["parts"].get(name)
        kind = name.split("@")[0]
        if res is None:
            lines.append(f"| {kind} | {name} | - | - | - | - | not run (yet) |")
        elif res["status"] != "ok":
            lines.append(f"| {kind} | {name} | - | - | - | - | {res['status']}: {res.get('error', '').replace('|', '/')} |")
        else:
            try:
                lines += RENDER[kind](res)
            except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
                lines.append(f"| {kind} | {name} | - | - | - | - | measured, row not rendered ({exc!r}); see the JSON |")
    return "\n".join(lines) + "\n"
