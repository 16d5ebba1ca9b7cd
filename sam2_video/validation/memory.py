"""Peak CPU memory of a run, estimated from the resolved config before anything is built.

A model with physical terms, its coefficients fitted to peak resident memory measured on CPU
(``/usr/bin/time -v`` under ``ulimit -v``; the table in ``CALIBRATION``, debug model and sam2.1_tiny
at 128-512 px; never a full-size run without a cap):

- ``base``: the Python process (torch, sam2, Lightning, data loading);
- ``weights``: 4 bytes per parameter, + 12 per trainable one (gradient, two AdamW moments);
  parameter counts from the architecture keys (Hiera stages, widths, memory-attention layers);
- ``frames``: activations kept per frame and pixel, scaled by the Hiera width ``model.hiera.embed_dim``
  and the head width ``model.d_model`` (x ``data.batch_size`` x ``data.clip_length``);
- ``attention``: attention maps of the memory attention, quadratic in the tokens ``(image_size/16)^2``:
  per object, layer and frame, self-attention plus cross-attention to min(t, ``model.num_maskmem``)
  earlier frames;
- ``model.activation_checkpointing`` keeps a fraction of ``frames`` + ``attention``; training the image
  encoder (``model.trainable_modules`` with ``image_encoder`` / ``all``) keeps its activations too.

The evaluation (no gradients, frames read lazily) keeps ``base`` + weights + ``eval.encode_batch``
frames of encoder activations + one frame's attention maps per object (cross-attention to
``model.num_maskmem`` memories). Both models are fitted at <= 512 px and extrapolated beyond: the
attention term grows with the 4th power of ``model.image_size``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

# Fitted coefficients (bytes; non-negative least squares over CALIBRATION, tests/validation/test_memory_estimate.py)
BASE = 0.56e9
FRAME_BYTES_PER_PIXEL = {"embed_dim": 26.1, "d_model": 4.17}   # per pixel and frame, per unit of width
ENCODER_TRAINED = 28.0                                         # + per pixel, frame and embed_dim when Hiera trains
ATTENTION_BYTES = 14.8                                         # per attention-map entry (query x key)
CHECKPOINTING_KEEPS = 0.44                                     # share of frames + attention kept with checkpointing
EVAL_BASE = 0.54e9                                             # evaluation (no gradients), same method:
EVAL_WEIGHT_BYTES = 7.2                                        #   per parameter
EVAL_BYTES_PER_PIXEL = 4.54                                    #   per pixel, frame of eval.encode_batch and embed_dim
EVAL_ATTENTION_BYTES = 5.3                                     #   per attention-map entry of one frame

# (label, overrides, measured peak RSS in MB, entry point). Measured on a 2-core CPU machine with
#   ulimit -v 14000000; /usr/bin/time -v python train.py trainer=cpu trainer.max_steps=2 trainer.limit_val_batches=1
#   evaluate_after_training=false export_official=false callbacks.val_vis.count=0 logger=none <overrides>
# (data=synthetic: 3 objects per clip; default sam2.1_tiny unless sam2=debug).
CALIBRATION: tuple[tuple[str, str, float, str], ...] = (
    ("d128_t4", "sam2=debug data.clip_length=4", 562, "train"),
    ("d256_t4", "sam2=debug data.clip_length=4 model.image_size=256", 771, "train"),
    ("d256_t8", "sam2=debug data.clip_length=8 model.image_size=256", 1092, "train"),
    ("d256_t4_b2", "sam2=debug data.clip_length=4 model.image_size=256 data.batch_size=2", 1096, "train"),
    ("d512_t4", "sam2=debug data.clip_length=4 model.image_size=512", 1704, "train"),
    ("t128_t4", "data.clip_length=4 model.image_size=128", 1061, "train"),
    ("t256_t4", "data.clip_length=4 model.image_size=256", 1897, "train"),
    ("t256_t8", "data.clip_length=8 model.image_size=256", 3460, "train"),
    ("t384_t4", "data.clip_length=4 model.image_size=384", 3518, "train"),
    ("t256_t4_b2", "data.clip_length=4 model.image_size=256 data.batch_size=2", 2933, "train"),
    ("t256_t4_ac", "data.clip_length=4 model.image_size=256 model.activation_checkpointing=true", 1338, "train"),
    ("t512_t4", "data.clip_length=4 model.image_size=512", 6225, "train"),
    ("t256_t4_all", "data.clip_length=4 model.image_size=256 model.trainable_modules=[all]", 2958, "train"),
    ("t256_t4_all_ac", "data.clip_length=4 model.image_size=256 model.trainable_modules=[all] "
                       "model.activation_checkpointing=true", 2015, "train"),
    ("t512_t4_ac", "data.clip_length=4 model.image_size=512 model.activation_checkpointing=true", 3113, "train"),
    ("t512_t6", "data.clip_length=6 model.image_size=512", 10505, "train"),
    # python baseline_eval.py eval.max_videos=1 eval.report=false eval.save_masks=false eval.device=cpu <overrides>
    # (one synthetic video of 24 frames, 3 objects)
    # (measured before eval.encode_thread existed: one batch of features held at a time)
    ("e_d128", "sam2=debug eval.encode_thread=false", 556, "eval"),
    ("e_t256", "model.image_size=256 eval.encode_thread=false", 1055, "eval"),
    ("e_t512", "model.image_size=512 eval.encode_thread=false", 1866, "eval"),
    ("e_t512_eb2", "model.image_size=512 eval.encode_batch=2 eval.encode_thread=false", 1180, "eval"),
    ("e_t768", "model.image_size=768 eval.encode_thread=false", 3306, "eval"),  # not in the fit: estimate 3.56 GB (+8 %)
)

MEMORY_MODULES = ("memory_attention", "memory_encoder", "maskmem_tpos_enc", "obj_ptr_tpos_proj")


@dataclass(frozen=True)
class Footprint:
    """The config numbers the estimate reads (one place: ``Footprint.from_config``)."""

    variant: str
    image_size: int
    clip_length: int
    batch_size: int
    max_objects: int
    embed_dim: int
    stages: tuple[int, ...]
    channels: tuple[int, ...]
    d_model: int
    mem_dim: int
    attention_layers: int
    attention_ffn: int
    num_maskmem: int
    trainable: tuple[str, ...]
    checkpointing: bool
    encode_batch: int = 8
    encode_ahead: bool = True  # eval.encode_thread true / auto: a second batch is encoded while one is tracked

    @classmethod
    def from_values(cls, get) -> Optional["Footprint"]:
        """From ``get(key)`` (a config reader); None when a number is missing (nothing to estimate)."""
        trainable = get("model.trainable_modules")
        trainable = (trainable,) if isinstance(trainable, str) else tuple(trainable or ())
        ints = {k: get(k) for k in ("model.image_size", "data.clip_length", "data.batch_size", "model.max_objects",
                                    "model.hiera.embed_dim", "model.d_model", "model.mem_dim",
                                    "model.memory_attention_layers", "model.memory_attention_ffn", "model.num_maskmem")}
        stages, channels = get("model.hiera.stages"), get("model.backbone_channel_list")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in ints.values()) \
                or not isinstance(stages, list) or not isinstance(channels, list):
            return None
        enc = get("eval.encode_batch")
        return cls(variant=str(get("model.variant")), image_size=ints["model.image_size"],
                   clip_length=ints["data.clip_length"], batch_size=ints["data.batch_size"],
                   max_objects=ints["model.max_objects"], embed_dim=ints["model.hiera.embed_dim"],
                   stages=tuple(stages), channels=tuple(channels), d_model=ints["model.d_model"],
                   mem_dim=ints["model.mem_dim"], attention_layers=ints["model.memory_attention_layers"],
                   attention_ffn=ints["model.memory_attention_ffn"], num_maskmem=ints["model.num_maskmem"],
                   trainable=trainable, checkpointing=get("model.activation_checkpointing") is True,
                   encode_batch=enc if isinstance(enc, int) else 8, encode_ahead=get("eval.encode_thread") is not False)

    def with_(self, **changes: Any) -> "Footprint":
        return replace(self, **changes)


def parameter_counts(fp: Footprint) -> tuple[float, float]:
    """(total, trainable) parameters from the architecture keys (within a few % of the built model)."""
    trunk = sum(n * 12 * (fp.embed_dim * 2 ** i) ** 2 for i, n in enumerate(fp.stages))
    neck = sum(fp.channels) * fp.d_model
    d = fp.d_model
    attention = fp.attention_layers * (6 * d * d + 2 * fp.mem_dim * d + 2 * d * fp.attention_ffn)
    heads = 0.686e6 + 78.3 * d * d  # mask decoder, memory encoder, pointers (fitted to debug / sam2.1_tiny)
    total = trunk + neck + attention + heads
    names = set(fp.trainable)
    if "all" in names:
        return total, total
    trainable = (trunk + neck) * ("image_encoder" in names) + attention * ("memory_attention" in names)
    trainable += heads * bool(names - {"image_encoder", "memory_attention"})  # an upper bound for the small heads
    return total, trainable


def _trains_encoder(fp: Footprint) -> bool:
    return bool({"all", "image_encoder"} & set(fp.trainable))


def _attention_entries(fp: Footprint) -> float:
    """Attention-map entries (query x key) of one clip, over objects, layers and frames."""
    tokens = (fp.image_size / 16) ** 2
    memories = sum(min(t, fp.num_maskmem) for t in range(fp.clip_length))  # cross-attention to earlier frames
    frames = fp.clip_length + memories
    return fp.max_objects * fp.attention_layers * tokens * tokens * frames


def training_parts(fp: Footprint) -> dict[str, float]:
    """Bytes of each term of one CPU training step (see the module docstring)."""
    total, trainable = parameter_counts(fp)
    pixels = float(fp.image_size) ** 2 * fp.clip_length * fp.batch_size
    per_pixel = sum(FRAME_BYTES_PER_PIXEL[k] * getattr(fp, k) for k in FRAME_BYTES_PER_PIXEL)
    per_pixel += ENCODER_TRAINED * fp.embed_dim * _trains_encoder(fp)
    keep = CHECKPOINTING_KEEPS if fp.checkpointing else 1.0
    return {"base": BASE, "weights": 4 * total + 12 * trainable, "frames": keep * per_pixel * pixels,
            "attention": keep * ATTENTION_BYTES * fp.batch_size * _attention_entries(fp)}


def eval_parts(fp: Footprint) -> dict[str, float]:
    """Bytes of each term of the evaluation (no gradients) of one video."""
    total, _ = parameter_counts(fp)
    tokens = (fp.image_size / 16) ** 2
    attention = EVAL_ATTENTION_BYTES * fp.max_objects * tokens * tokens * (1 + fp.num_maskmem)
    held = fp.encode_batch * (2 if fp.encode_ahead and fp.encode_batch > 1 else 1)  # frames whose features are held
    frames = EVAL_BYTES_PER_PIXEL * fp.embed_dim * float(fp.image_size) ** 2 * held
    return {"base": EVAL_BASE, "weights": EVAL_WEIGHT_BYTES * total, "frames": frames, "attention": attention}


def training_bytes(fp: Footprint) -> float:
    return sum(training_parts(fp).values())


def eval_bytes(fp: Footprint) -> float:
    return sum(eval_parts(fp).values())


def describe(parts: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v / 1e9:.1f}" for k, v in parts.items() if v >= 0.05e9)
