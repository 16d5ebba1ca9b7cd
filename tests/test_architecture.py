"""The dependency direction of docs/architecture.md: a subpackage never imports a higher layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "sam2_video"
LAYERS = {"errors": -1, "atomic": -1, "config": -1, "cli": -1, "safe_paths": -1,
          "prompt": 0, "model": 1, "data": 1, "video": 1, "convert": 1, "inference": 2, "eval": 3,
          "training": 4, "validation": 4, "autoprompt": 5, "refiner": 5, "stream": 5}


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sam2_video."):
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("sam2_video.")]
    return out


def test_every_subpackage_of_the_table_exists():
    assert {p.stem for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()} >= set(LAYERS)


def test_imports_only_go_downward():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        if top not in LAYERS:
            continue
        for name in _imports(path):
            dep = name.split(".")[1]
            if dep in LAYERS and dep != top and LAYERS[dep] > LAYERS[top]:
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not upward, "imports against the layer order of docs/architecture.md:\n" + "\n".join(upward)
