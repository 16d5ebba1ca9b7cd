"""Prompt-free mode (AutoSAM2): a learned, class-aware prompt encoder in SAM2's conditioning step.

- encoder.py: ``FeaturePromptEncoder`` (SAM2's own features) / ``ImagePromptEncoder`` (own CNN).
- hook.py: ``AutoPromptSAM2``: the SAM2 hook (``_forward_sam_heads``), training with kind ``auto``.
- planner.py: evaluation plan: every category on every frame, frame 0 / every K / on collapse.
- checkpoint.py: the encoder file next to the official SAM2 file.
See docs/autosam2.md.
"""
