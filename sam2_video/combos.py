"""Experiment combos: one small composing YAML per (dataset, prompt kind, loss, point counts).

Each combo ``configs/combo/<dataset>/<n>.yaml`` composes the root ``config`` through its defaults
list and sets only the values that differ, so it is usable as
``python train.py --config-name combo/<dataset>/<n>``. Numbering (the same for every dataset):
prompt kind (``prompt.kind``: point, box, mask, auto) is the outer loop, then loss, then, for point prompts only,
positive x negative point counts; all in canonical order, so the numbers depend only on the
chosen lists, never on their order on the command line. ``index.csv`` maps every number to its
settings. See docs/experiments.md.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from loguru import logger

from sam2_video.atomic import write_text
from sam2_video.config import CONFIG_DIR
from sam2_video.errors import ConfigError
from sam2_video.prompt import GT_PROMPT_KINDS

PROMPT_KINDS: tuple[str, ...] = GT_PROMPT_KINDS + ("auto",)  # GT prompts; auto: learned prompt (SAM2 frozen)
DEFAULT_DATASETS: tuple[str, ...] = ("endovis17", "endovis18", "cholecseg8k")
DEFAULT_LOSSES: tuple[str, ...] = ("official", "dice_main", "focal_main", "dice_only")
LOSS_ORDER: tuple[str, ...] = DEFAULT_LOSSES + ("equal",)  # canonical order; other presets follow A-Z
NON_DATASET_CONFIGS: frozenset[str] = frozenset({"coco"})  # base config the datasets compose
DEFAULT_OUTPUT_DIR = CONFIG_DIR / "combo"
INDEX_NAME = "index.csv"
INDEX_FIELDS: tuple[str, ...] = (
    "config_name", "dataset", "n", "prompt_kind", "loss", "num_pos_points", "num_neg_points", "file",
)


@dataclass(frozen=True)
class Combo:
    """One numbered setting; point counts are ``None`` for box and mask prompts."""

    n: int
    prompt_kind: str  # prompt.kind of the combo (validation, evaluation, and the only kind trained on)
    loss: str
    num_pos_points: int | None = None
    num_neg_points: int | None = None

    def describe(self) -> str:
        """``prompt=point, loss=official, pos_points=1, neg_points=0``."""
        text = f"prompt={self.prompt_kind}, loss={self.loss}"
        if self.prompt_kind == "point":
            text += f", pos_points={self.num_pos_points}, neg_points={self.num_neg_points}"
        return text


@dataclass
class GenerateReport:
    """What :func:`generate` did with each file (paths)."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # existing, different, no --force


def available(group: str) -> list[str]:
    """Option names of a config group (``configs/<group>/*.yaml``)."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml") if not p.stem.startswith("_"))


def _check(kind: str, values: Sequence[str], allowed: Iterable[str], flag: str) -> None:
    allowed = list(allowed)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ConfigError(f"{flag}: unknown {kind} {', '.join(unknown)}; choose from {', '.join(allowed)}")
    if not values:
        raise ConfigError(f"{flag}: give at least one {kind}")


def _ordered(values: Iterable[str], canonical: Sequence[str]) -> list[str]:
    """Unique values, in canonical order first, the rest alphabetically."""
    unique = set(values)
    return [v for v in canonical if v in unique] + sorted(unique - set(canonical))


def plan_combos(
    prompt_kinds: Sequence[str] = PROMPT_KINDS,
    losses: Sequence[str] = DEFAULT_LOSSES,
    num_pos_points: Sequence[int] = (1,),
    num_neg_points: Sequence[int] = (0,),
) -> list[Combo]:
    """Numbered combos: prompt kind (outer) x loss x (point prompts only) pos x neg point counts."""
    _check("prompt kind", prompt_kinds, PROMPT_KINDS, "--prompt-kinds")
    _check("loss", losses, available("loss"), "--losses")
    if not num_pos_points or min(num_pos_points) < 1 or not num_neg_points or min(num_neg_points) < 0:
        raise ConfigError("--num-pos-points must be >= 1 and --num-neg-points >= 0 (at least one value each)")
    points = list(itertools.product(sorted(set(num_pos_points)), sorted(set(num_neg_points))))
    combos: list[Combo] = []
    for prompt in _ordered(prompt_kinds, PROMPT_KINDS):
        for loss in _ordered(losses, LOSS_ORDER):
            for pos, neg in points if prompt == "point" else [(None, None)]:
                combos.append(Combo(len(combos) + 1, prompt, loss, pos, neg))
    return combos


def combo_yaml(dataset: str, combo: Combo) -> str:
    """The composing YAML text of one combo (deterministic)."""
    kinds = PROMPT_KINDS if combo.prompt_kind == "auto" else GT_PROMPT_KINDS  # GT rows: text as before auto existed
    probs = ", ".join(f"{k}: {1.0 if k == combo.prompt_kind else 0.0}" for k in kinds)
    counts = (f"num_pos_points: {combo.num_pos_points}, num_neg_points: {combo.num_neg_points}, "
              if combo.prompt_kind == "point" else "")
    lines = [
        "# @package _global_",
        f"# combo {dataset}/{combo.n}: {combo.describe()}",
        "# Generated by generate_combo_yamls.py (numbering: index.csv, docs/experiments.md); regenerate, do not edit.",
        "defaults:",
        "  - /config",
        f"  - override /data: {dataset}",
        f"  - override /loss: {combo.loss}",
        "  - _self_",
        f"task_name: combo_{dataset}_{combo.n}",
        f"prompt: {{kind: {combo.prompt_kind}, {counts}train: {{mix: {{{probs}}}}}}}",
    ]
    if combo.prompt_kind == "auto":  # prompt-free: train the prompt encoder only, one object per dataset category
        lines.append(f"model: {{trainable_modules: [auto_prompt], auto_prompt: {{enabled: true, "
                     f"category_ids: {dataset_category_ids(dataset)}}}}}")
    return "\n".join(lines) + "\n"


def dataset_category_ids(dataset: str) -> list[int]:
    """Category ids a dataset config declares (``data.category_names``; default [1])."""
    from sam2_video.config import compose_config

    names = compose_config([f"data={dataset}"]).data.get("category_names")
    return sorted(int(k) for k in names) if names else [1]


def _config_prefix(output_dir: Path) -> str | None:
    """``combo`` for ``configs/combo`` (the ``--config-name`` prefix), None outside ``configs/``."""
    try:
        return output_dir.resolve().relative_to(CONFIG_DIR).as_posix()
    except ValueError:
        return None


def _index_row(dataset: str, combo: Combo, prefix: str | None) -> dict[str, str]:
    row = {k: "" if v is None else str(v) for k, v in asdict(combo).items()}
    name = f"{dataset}/{combo.n}"
    row.update(dataset=dataset, file=f"{name}.yaml", config_name=f"{prefix}/{name}" if prefix else "")
    return row


def read_index(path: Path) -> list[dict[str, str]]:
    """Rows of an ``index.csv`` (empty when missing)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = [dict(row) for row in csv.DictReader(f)]
    for row in rows:  # index.csv files written before the column was named after prompt.kind
        if "prompt_type" in row:
            row.setdefault("prompt_kind", row.pop("prompt_type"))
    return rows


def _index_text(rows: Iterable[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=INDEX_FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (r["dataset"], int(r["n"]))):
        writer.writerow(row)
    return buf.getvalue()


def _write_if_changed(path: Path, text: str, force: bool, report: GenerateReport) -> bool:
    """Write ``text`` unless identical (unchanged) or different without ``force`` (skipped)."""
    if path.is_file():
        if path.read_text(encoding="utf-8") == text:
            report.unchanged.append(path)
            return True
        if not force:
            logger.warning(f"{path}: exists with different content; kept (use --force to overwrite)")
            report.skipped.append(path)
            return False
    write_text(path, text)
    report.written.append(path)
    return True


def generate(
    datasets: Sequence[str] = DEFAULT_DATASETS,
    prompt_kinds: Sequence[str] = PROMPT_KINDS,
    losses: Sequence[str] = DEFAULT_LOSSES,
    num_pos_points: Sequence[int] = (1,),
    num_neg_points: Sequence[int] = (0,),
    output_dir: str | Path = DEFAULT_OUTPUT_DIR,
    force: bool = False,
) -> GenerateReport:
    """Write ``<output_dir>/<dataset>/<n>.yaml`` for every combo and merge ``<output_dir>/index.csv``.

    Idempotent: identical files are not rewritten; different existing files are kept unless
    ``force``. The index keeps rows of earlier runs and lists each file as it is on disk.
    """
    _check("dataset", datasets, [d for d in available("data") if d not in NON_DATASET_CONFIGS], "--datasets")
    combos = plan_combos(prompt_kinds, losses, num_pos_points, num_neg_points)
    out = Path(output_dir)
    prefix = _config_prefix(out)
    index = {(r["dataset"], r["n"]): r for r in read_index(out / INDEX_NAME)}
    report = GenerateReport()
    for dataset in dict.fromkeys(datasets):
        for combo in combos:
            path = out / dataset / f"{combo.n}.yaml"
            if _write_if_changed(path, combo_yaml(dataset, combo), force, report):
                index[(dataset, str(combo.n))] = _index_row(dataset, combo, prefix)
    index_report = GenerateReport()
    _write_if_changed(out / INDEX_NAME, _index_text(index.values()), True, index_report)
    report.written += index_report.written
    logger.info(
        f"{out}: {len(report.written)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} kept (different; --force overwrites)"
    )
    return report


# ------------------------------------------------------------------ batch evaluation of combos
def combo_task_name(path: Path) -> str:
    """The ``task_name`` a combo YAML sets (train.py writes it into its run's config.yaml)."""
    from omegaconf import OmegaConf

    try:
        name = OmegaConf.load(path).get("task_name")
    except Exception:  # noqa: BLE001 - unreadable YAML: the evaluation reports it
        name = None
    return str(name) if name else path.stem


def same_content_key(path: Path) -> str:
    """A key equal for YAML files with the same content (comments and key order ignored)."""
    import json

    from omegaconf import OmegaConf

    try:
        return json.dumps(OmegaConf.to_container(OmegaConf.load(path)), sort_keys=True)
    except Exception:  # noqa: BLE001
        return str(path)


def trained_runs(runs_dir: str | Path) -> dict[str, Path]:
    """``task_name -> checkpoint`` of every finished train.py run under ``runs_dir`` (a multirun
    folder or any folder of runs): ``checkpoints/best.ckpt``, else ``last.ckpt``; the newest run wins."""
    from omegaconf import OmegaConf

    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise ConfigError(f"--runs {runs_dir}: no such folder; pass the folder of your train.py runs, e.g. outputs/multirun/<date>/<time>")
    found: dict[str, tuple[float, Path]] = {}
    for cfg_file in sorted(runs_dir.rglob("config.yaml")):
        if ".hydra" in cfg_file.parts:
            continue
        ckpts = [cfg_file.parent / "checkpoints" / n for n in ("best.ckpt", "last.ckpt")]
        ckpt = next((c for c in ckpts if c.is_file()), None)
        if ckpt is None:
            continue
        try:
            task = OmegaConf.load(cfg_file).get("task_name")
        except Exception:  # noqa: BLE001 - not one of our run configs
            continue
        if task and (task not in found or ckpt.stat().st_mtime > found[task][0]):
            found[str(task)] = (ckpt.stat().st_mtime, ckpt)
    return {task: ckpt for task, (_, ckpt) in found.items()}


def plan_batch(jobs: list, runs_dir: str | Path | None = None) -> tuple[list, list]:
    """(jobs to run, jobs left out) for ``multi_baseline_eval.py``: a combo found twice (e.g. also
    under configs/combo/generated/) runs once; with ``runs_dir`` each combo gets its own trained
    checkpoint (``model.checkpoint_path=...``) and combos without a trained run are left out."""
    seen: dict[str, str] = {}
    todo, left = [], []
    runs = trained_runs(runs_dir) if runs_dir is not None else None
    for job in jobs:
        path = job.config_dir / f"{job.name}.yaml"
        key = same_content_key(path)
        if key in seen:
            logger.info(f"{job.name}: same config as {seen[key]}, evaluated once")
            continue
        seen[key] = job.name
        if runs is not None:
            ckpt = runs.get(combo_task_name(path))
            if ckpt is None:
                job.status, job.error = "no_run", f"no trained run with task_name={combo_task_name(path)} under {runs_dir}"
                left.append(job)
                continue
            job.overrides = [*job.overrides, f"model.checkpoint_path={ckpt}"]
        todo.append(job)
    return todo, left
