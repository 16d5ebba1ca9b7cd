"""Video-level train / val splits: resolve user tokens (``3``, ``seq_3``, ``video01``) to video ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from loguru import logger

from sam2_video.errors import ConfigError


def parse_video_list(text: str | Sequence[str] | None) -> list[str] | None:
    """``"1,3, seq_5"`` or ``["1", "3"]`` -> ``["1", "3", "seq_5"]``; None stays None."""
    if text is None:
        return None
    parts = [text] if isinstance(text, str) else list(text)
    tokens = [t.strip() for p in parts for t in str(p).split(",") if t.strip()]
    if not tokens:
        raise ConfigError("--val-videos is empty: give comma-separated video names or numbers")
    return tokens


def _names(aliases: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    return {vid: {vid, *map(str, extra)} for vid, extra in aliases.items()}


def _norm(token: str) -> str:
    return str(int(token)) if token.isdigit() else token


def present_only(tokens: Sequence[str], aliases: Mapping[str, Iterable[str]], split: str) -> list[str]:
    """For a predefined split: drop (with a warning) validation videos that were not converted."""
    names = _names(aliases)
    kept = [t for t in tokens if any(_norm(t) in keys for keys in names.values())]
    if len(kept) < len(tokens):
        logger.warning("split {}: validation videos {} are not in the input; using {}",
                       split, [t for t in tokens if t not in kept], kept)
    if not kept:
        raise ConfigError(f"split {split}: none of its validation videos {list(tokens)} is in the input: "
                          "use --val-videos or convert the full dataset")
    return kept


def resolve_val_videos(tokens: Iterable[str] | None, aliases: Mapping[str, Iterable[str]]) -> set[str] | None:
    """Video ids selected by ``tokens``; each token must match an id or one of its aliases.

    ``aliases`` maps each video id to extra names (e.g. its number, its parent video). Both the
    train and the val side must end up non-empty.
    """
    if tokens is None:
        return None
    names = _names(aliases)
    chosen: set[str] = set()
    for token in map(_norm, tokens):
        hits = {vid for vid, keys in names.items() if token in keys}
        if not hits:
            known = ", ".join(list(aliases)[:12]) + (", ..." if len(aliases) > 12 else "")
            raise ConfigError(f"validation video {token!r} matches no converted video ({known}): fix --val-videos / --split")
        chosen |= hits
    if len(chosen) == len(names):
        raise ConfigError("the validation split takes every video, leaving no training video: fix --val-videos / --split")
    return chosen
