"""Video-level train / val splits: resolve user tokens (``3``, ``seq_3``, ``video01``) to video ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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


def resolve_val_videos(tokens: Iterable[str] | None, aliases: Mapping[str, Iterable[str]]) -> set[str] | None:
    """Video ids selected by ``tokens``; each token must match an id or one of its aliases.

    ``aliases`` maps each video id to extra names (e.g. its number, its parent video). Both the
    train and the val side must end up non-empty.
    """
    if tokens is None:
        return None
    names = {vid: {vid, *map(str, extra)} for vid, extra in aliases.items()}
    chosen: set[str] = set()
    for token in tokens:
        token = str(int(token)) if token.isdigit() else token
        hits = {vid for vid, keys in names.items() if token in keys}
        if not hits:
            known = ", ".join(list(aliases)[:12]) + (", ..." if len(aliases) > 12 else "")
            raise ConfigError(f"validation video {token!r} matches no converted video ({known}): fix --val-videos / --split")
        chosen |= hits
    if len(chosen) == len(names):
        raise ConfigError("the validation split takes every video, leaving no training video: fix --val-videos / --split")
    return chosen
