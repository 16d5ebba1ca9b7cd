"""Every bash command in README.md and docs/*.md, executed on generated data (slow).

Placeholders become generated files: /data/<dataset> -> the synthetic dataset (data=synthetic),
/ckpt/*.pt and <run>/checkpoints/model_official.pt -> a debug checkpoint written by a one-step
``train.py experiment=demo`` (``experiment=autosam2_demo`` for a prompt-free <run>), full-size models ->
``sam2=debug`` on the CPU, outputs -> tmp. Commands that cannot run here are skipped with the reason
of ``SKIP`` (one table). A failing command is reported with its last output line.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

SKIP: list[tuple[str, str]] = [  # (regex on the command, why it is not executed here)
    (r"^make ", "builds the venv / runs the whole suite (what CI runs)"),
    (r"/raw/|\bRAW\b|\[--", "a converter on a raw dataset download, or a usage synopsis (tests/convert cover converters)"),
    (r"trainer=(gpu|ddp)|multi_gpu_train|^srun|--device cuda", "needs CUDA GPUs"),
    (r"^trtexec", "TensorRT is not installed here"),
    (r"(^| )\.\.\.( |$)|data=\.\.\.", "a fragment of the command above (elided with ...)"),
    (r"bench_memory\.py", "a 19-minute CPU benchmark (docs/benchmarks.md)"),
    (r"(?<!python) -m |--multirun", "a Hydra multirun of the commands above (tests/runs cover multiruns)"),
    (r"multi_baseline_eval\.py", "evaluates every shipped combo with sam2.1_tiny at 1024 px (GPU work)"),
    (r"sam2_video\.results|sam2_video\.stream\.sweep", "reads the outputs of a multirun above"),
    (r"case\d*\.(mp4|json)|prompts\.json|/videos/|/frames/", "needs a user's video and prompts file"),
    (r"/data/lab/", "a user's folder of image / mask pairs (tests/validation/test_refiner_checks.py runs this "
                    "command's regex on generated pairs)"),
    (r"^export |hparams_search=", "SLURM / Optuna sweep settings (tests/runs cover the launchers and the sweeper)"),
    (r"experiment=autosam2_polyp", "PolypGen's one-category encoder on the three-category synthetic data cannot match "
                                   "(tests/autoprompt/test_polyp_gen.py trains it on a generated PolypGen tree)"),
]
DATASETS = ("endovis17", "endovis18", "cholecseg8k", "polyp_gen", "polyp", "coco", "davis")
HYDRA_SCRIPTS = ("train.py", "baseline_eval.py", "predict.py", "train_refiner.py", "sam2_video.stream",
                 "sam2_video.refiner.make_data", "grid_search_threshold.py")
FAST = {  # overrides that make each entry point a short CPU run with the debug model
    "train.py": ["trainer=cpu", "trainer.max_steps=1", "trainer.limit_val_batches=1", "evaluate_after_training=false",
                 "logger=none", "callbacks.val_vis.count=0"],
    "baseline_eval.py": ["eval.max_videos=1", "eval.device=cpu", "eval.report=false"],
    "predict.py": ["eval.device=cpu"],
    "train_refiner.py": ["trainer=cpu", "trainer.max_steps=2", "logger=none"],
    "sam2_video.stream": ["stream.max_videos=1", "stream.max_frames=4", "eval.device=cpu"],
    "sam2_video.refiner.make_data": [],
    "grid_search_threshold.py": ["eval.max_videos=1", "eval.device=cpu"],
}


def documented_commands() -> list[tuple[str, str]]:
    """(doc file name, command) for every non-comment line of every bash block."""
    out = []
    for doc in DOCS:
        for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", doc.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = re.sub(r"\s+#.*$", "", line).strip()
                if line and not line.startswith("#"):
                    out.append((doc.name, re.sub(r"\s+", " ", line)))
    return out


def skip_reason(command: str) -> str | None:
    return next((why for pattern, why in SKIP if re.search(pattern, command)), None)


def entry_point(args: list[str]) -> str | None:
    if args[:2] == ["python", "-m"]:
        return args[2]
    return Path(args[1]).name if len(args) > 1 and args[0] == "python" else None


def localise(args: list[str], script: str, tmp: Path, ckpts: dict[str, Path]) -> list[str]:
    """The command with placeholders replaced (see the module docstring) and the FAST overrides added."""
    auto = any("autosam2" in a for a in args)
    out = []
    for a in args:
        key, _, value = a.partition("=")
        if key in ("data.root", "data.image_root", "data.val_path", "refiner.work_dir") or \
                (key == "data" and value in DATASETS) or key in ("model.image_size", "model.auto_prompt.category_ids"):
            continue
        if key == "model.checkpoint_path":  # a run of this project (<run>/...) or Meta's SAM2 file (/ckpt/...)
            a = f"{key}={ckpts['auto' if auto and '<run>' in value else 'plain']}"
        elif key == "sam2":
            a = "sam2=debug"
        elif key in ("output_dir", "refiner.folder.images", "refiner.folder.masks"):
            a = f"{key}={tmp / value.strip('/')}"
        out.append(a)
    for i, a in enumerate(out[:-1]):
        if a in ("--output-dir", "--output-file"):
            out[i + 1] = str(tmp / out[i + 1].strip("/"))
    if script in HYDRA_SCRIPTS:
        out += ["sam2=debug", "data=synthetic", f"paths.root_dir={tmp}", *FAST.get(script, [])]
    return out


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Debug checkpoints from one-step trainings (plain, and prompt-free with its encoder file)."""
    root = tmp_path_factory.mktemp("ckpts")
    out = {}
    for name, experiment in (("plain", "demo"), ("auto", "autosam2_demo")):
        run_dir = root / name
        subprocess.run([sys.executable, str(REPO / "train.py"), f"experiment={experiment}", *FAST["train.py"],
                        f"paths.root_dir={root}", f"output_dir={run_dir}"], cwd=REPO, check=True,
                       capture_output=True, timeout=900, env=dict(os.environ, OMP_NUM_THREADS="1"))
        out[name] = run_dir / "checkpoints" / "model_official.pt"
    return out


COMMANDS = documented_commands()


@pytest.mark.slow
@pytest.mark.parametrize("doc,command", COMMANDS, ids=[f"{d}:{i}" for i, (d, _) in enumerate(COMMANDS)])
def test_documented_command_runs(doc, command, tmp_path, checkpoints):
    why = skip_reason(command)
    if why:
        pytest.skip(why)
    args = shlex.split(command)
    script = entry_point(args)
    assert script, f"{doc}: not a python command: {command}"
    args = localise(args, script, tmp_path, checkpoints)
    argv = [sys.executable, *args[1:]] if args[1] == "-m" else [sys.executable, str(REPO / args[1]), *args[2:]]
    out = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1200,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    last = (out.stderr.strip().splitlines() or ["<no output>"])[-1]
    assert out.returncode == 0, f"{doc}: {command}\n  ran: {shlex.join(argv[1:])}\n  exit {out.returncode}: {last}"


def test_every_documented_command_is_run_or_skipped_with_a_reason():
    """The table stays complete: each command is either an entry point this test runs or skipped."""
    assert len(COMMANDS) > 30
    for doc, command in COMMANDS:
        assert skip_reason(command) or entry_point(shlex.split(command)), (doc, command)
