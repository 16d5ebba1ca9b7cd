"""Config keys that were removed in favour of another key: one table, read where a key can arrive.

- command-line overrides (``sam2_video.config.compose``, before Hydra reports an unknown key);
- a YAML file that still sets the key (``sam2_video.validation`` and ``EvalSettings.from_config``);
- the results table (``sam2_video.results``): old runs' columns are shown under the current name.

A removed key is refused with one line naming the key to use instead (docs/migration.md). So are the
argparse flags of the simplified variants (seeds 001 / 002: ``--epochs 50``, ``--lr 1e-4``, ...):
``refuse_flags(argv, known)`` names the Hydra override for each (``trainer.max_epochs=50``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sam2_video.errors import ConfigError

# old dotted key -> the key to use now. The evaluation reads its prompt from the prompt group
# (sam2_video.prompt.PromptSpec), the one validation during training reads too.
RENAMED: dict[str, str] = {
    "eval.prompt_type": "prompt.kind",
    "eval.num_pos_points": "prompt.num_pos_points",
    "eval.num_neg_points": "prompt.num_neg_points",
    "eval.include_center": "prompt.include_center",
    "eval.box_jitter": "prompt.box_jitter",
    "eval.seed": "prompt.seed",
    "model.train_prompting.prompt_probs": "prompt.train.mix",
}
# whole nodes that moved: old prefix -> new prefix (a key below them keeps its name)
MOVED_NODES: dict[str, str] = {
    "model.train_prompting.": "prompt.train.",
    "data.prompt.": "prompt.",
}
# argparse flags of the simplified variants (seed 001 train.py, seed 002 train.py / inference.py) ->
# (the override to use, ``{}`` standing for the flag's value; whether the flag takes a value)
FLAGS: dict[str, tuple[str, bool]] = {
    "--epochs": ("trainer.max_epochs={}", True),
    "--max-epochs": ("trainer.max_epochs={}", True),
    "--batch-size": ("data.batch_size={}", True),
    "--lr": ("optim.lr={}", True),
    "--checkpoint": ("model.checkpoint_path={}", True),
    "--model-checkpoint": ("model.checkpoint_path={}", True),
    "--weights": ("model.checkpoint_path={} (a .ckpt / model_official.pt from train.py holds SAM2 and the "
                  "trained weights in one file)", True),
    "--model-config": ("model.config_path={}", True),
    "--data-path": ("data=davis data.root={}", True),
    "--dataset": ("data={}", True),
    "--output-dir": ("output_dir={}", True),
    "--gpu": ("trainer=gpu trainer.devices=[{}] (evaluation: eval.device=cuda:{})", True),
    "--cpu": ("trainer=cpu (evaluation: eval.device=cpu)", False),
    "--accelerator": ("trainer.accelerator={}", True),
    "--devices": ("trainer.devices={}", True),
    "--config": ("--config-name <name of a YAML inside configs/> (or --config-dir DIR --config-name NAME)", True),
    "--debug": ("log_level=DEBUG", False),
    "--no-wandb": ("nothing (W&B is off unless logger=wandb)", False),
    "--create-config": ("nothing to create (configs/ is the config; --cfg job --resolve prints it)", False),
}
_NO_VALUE = object()


def current_key(key: str) -> str:
    """The key to use for ``key`` today (``key`` itself when it was not renamed)."""
    if key in RENAMED:
        return RENAMED[key]
    for old, new in MOVED_NODES.items():
        if key.startswith(old):
            return new + key[len(old):]
    return key


def former_keys(key: str) -> list[str]:
    """The removed keys whose replacement is ``key`` (to read files written before the rename)."""
    return [old for old, new in RENAMED.items() if new == key]


def refuse_renamed(key: str, value: Any = _NO_VALUE) -> None:
    """ConfigError when ``key`` was removed: one line naming its replacement (with ``value`` if given)."""
    new = current_key(key)
    if new == key:
        return
    shown = "" if value is _NO_VALUE else f"={_plain(value)}"
    raise ConfigError(f"{key}{shown}: this key was removed; use {new}{shown or '=...'} instead (the prompt group is "
                      "read by training, validation during training and the evaluation; docs/migration.md)")


def check_overrides(overrides: Sequence[str]) -> None:
    """Command-line overrides (``eval.prompt_type=box``, ``+eval.seed=1``, ``~eval.box_jitter``)."""
    for item in overrides:
        key, sep, value = str(item).lstrip("+~").partition("=")
        refuse_renamed(key.strip(), value if sep else _NO_VALUE)


def refuse_flags(argv: Sequence[str], known: Sequence[str] = ()) -> None:
    """ConfigError for ``--flag [value]`` arguments that are not options of the script (``known``):
    one line naming the Hydra override for each flag of ``FLAGS`` (seeds 001 / 002)."""
    parts, unknown, i = [], [], 0
    while i < len(argv):
        arg = str(argv[i])
        i += 1
        name, eq, inline = arg.partition("=")
        if not arg.startswith("--") or arg == "--" or name in known or \
                sum(k.startswith(name) for k in known) == 1:
            continue  # an option of the script (argparse also takes a unique prefix of one)
        if name not in FLAGS:
            unknown.append(name)
            continue
        template, takes_value = FLAGS[name]
        value = inline if eq else ""
        if takes_value and not eq and i < len(argv) and not str(argv[i]).startswith("-"):
            value, i = str(argv[i]), i + 1
        value = value or "..."
        parts.append(f"{name}{' ' + value if takes_value else ''} -> {template.format(value, value)}")
    if parts:
        more = f"; {', '.join(unknown)}: no such option" if unknown else ""
        raise ConfigError(f"argparse flags of the simplified variant: {'; '.join(parts)}{more} (this script takes "
                          "Hydra overrides key=value; docs/migration.md)")
    if unknown:
        raise ConfigError(f"{', '.join(unknown)}: no such option; settings are Hydra overrides key=value "
                          "(--help lists the groups, --cfg job prints every key; docs/migration.md)")


def check_node(node: Any, prefix: str) -> None:
    """The keys of a plain mapping found at ``prefix`` (e.g. the ``eval`` node of a composed config)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            refuse_renamed(f"{prefix}.{key}", value)


def _plain(value: Any) -> str:
    """A value as the user would type it on the command line."""
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)
