"""The architecture of docs/architecture.md, enforced: every module of sam2_video is placed in a layer,
imports only go downward, the assemblies (eval / predict / stream / refiner / autoprompt) never import
each other, SAM2 is stepped frame by frame only inside the pipeline (and the inference core under it),
there are no import circles, files stay under 300 lines, and the frames-to-masks code did not grow
when the three frame loops became one pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "sam2_video"
LAYERS = {"__init__": -1, "errors": -1, "atomic": -1, "config": -1, "cli": -1, "safe_paths": -1, "registry": -1,
          "renamed_keys": -1, "typed_node": -1,
          "prompt": 0,
          "model": 1, "data": 1, "video": 1, "convert": 1, "validation": 1, "combos": 1,
          "inference": 2, "metrics": 2, "autoprompt": 2,
          "pipeline": 3, "runs": 3, "results": 3, "results_plots": 3, "results_render": 3,
          "eval": 4, "predict": 4, "stream": 4,
          "training": 5,
          "refiner": 6}
ASSEMBLIES = {"eval", "predict", "stream", "refiner", "autoprompt"}  # never import each other
STEPPING = {"encode_many", "write_memory", "track_step", "propagate_in_video"}  # SAM2, frame by frame
SOURCES = {"FolderSource", "VideoFileSource", "RecordSource", "IteratorSource", "open_source"}
LOOP_HOME = {"pipeline", "inference"}
MAX_LINES = 300
# eval + predict + stream + inference/propagate.py + autoprompt/planner.py + refiner/letterbox.py before
# the redesign (commit 19eb507): the code that is now pipeline + metrics + eval + predict + stream
LINES_BEFORE_REDESIGN = 4778


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _top(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _imports(path: Path, top_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sam2_video."):
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("sam2_video.")]
    return out


def test_every_module_is_placed_in_a_layer():
    unplaced = sorted({_top(p) for p in _modules()} - set(LAYERS))
    assert not unplaced, f"modules missing from LAYERS (and docs/architecture.md): {unplaced}"
    assert {_top(p) for p in _modules()} >= set(LAYERS) - {"__init__"}


def test_imports_only_go_downward_and_assemblies_never_import_each_other():
    bad = []
    for path in _modules():
        top = _top(path)
        for name in _imports(path):
            dep = name.split(".")[1]
            if dep == top or dep not in LAYERS:
                continue
            if LAYERS[dep] > LAYERS[top]:
                bad.append(f"{path.relative_to(ROOT)} imports {name} (upward)")
            elif top in ASSEMBLIES and dep in ASSEMBLIES:
                bad.append(f"{path.relative_to(ROOT)} imports {name} (sideways between assemblies)")
    assert not bad, "imports against docs/architecture.md:\n" + "\n".join(bad)


def test_only_the_pipeline_steps_sam2_through_frames():
    """Outside the pipeline (and the inference core under it), nothing steps SAM2 frame by frame or
    loops over a frame source: every path runs ``sam2_video.pipeline``."""
    bad = []
    for path in _modules():
        if _top(path) in LOOP_HOME:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name) and node.id == "TrackingSession":
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} uses TrackingSession")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "step" \
                    and "session" in ast.unparse(node.func.value).lower():
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} steps a tracking session")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STEPPING:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}()")
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Call):
                f = node.iter.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if name in SOURCES:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} loops over a frame source")
    assert not bad, "frame loops outside sam2_video.pipeline:\n" + "\n".join(bad)


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for path in _modules():
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        graph[name] = {m for m in _imports(path, top_level_only=True)}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]) if dep in stack else f"{node} -> {dep}")
            elif not state.get(dep):
                visit(dep, stack + [dep])
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node, [node])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_files_stay_small():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"files over {MAX_LINES} lines: {long}"


def test_the_frames_to_masks_code_did_not_grow():
    parts = ("pipeline", "metrics", "eval", "predict", "stream")
    lines = sum(len(p.read_text().splitlines()) for p in _modules() if _top(p) in parts)
    lines += len((ROOT / "registry.py").read_text().splitlines())
    assert lines <= LINES_BEFORE_REDESIGN, f"{lines} lines of frames-to-masks code, {LINES_BEFORE_REDESIGN} before"
