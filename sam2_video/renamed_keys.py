"""Config keys that were removed in favour of another key: one table, read where a key can arrive.

- command-line overrides (``sam2_video.config.compose``, before Hydra reports an unknown key);
- a YAML file that still sets the key (``sam2_video.validation`` and ``EvalSettings.from_config``);
- the results table (``sam2_video.results``): old runs' columns are shown under the current name.

A removed key is refused with one line naming the key to use instead (docs/migration.md).
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
