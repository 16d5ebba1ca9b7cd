"""Every documented config key is checked (type and range) before a run writes anything."""

from __future__ import annotations

import copy
import functools

import pytest

from sam2_video.config import CONFIG_DIR, compose_config
from sam2_video.errors import ConfigError
from sam2_video.validation import validate_eval, validate_train
from sam2_video.validation.checks import check_relations, check_types
from sam2_video.validation.schema import ALL

BASE = ["sam2=debug", "trainer=cpu", "logger=none", "output_dir=/tmp/unused-validation"]


@functools.lru_cache(maxsize=1)
def _base():
    return compose_config(BASE)


def cfg_with(*overrides: str):
    """The base config with ``key=value`` overrides typed as Hydra types them (one composition per session)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    if any("=" not in o or "/" in o.split("=", 1)[0] or o.split("=", 1)[0] in ("trainer", "data", "sam2") for o in overrides):
        return compose_config([*BASE, *overrides])
    cfg = copy.deepcopy(_base())
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        OmegaConf.update(cfg, o.key_or_group, o.value(), merge=False)
    return cfg


BAD_TRAIN = [
    ("trainer.max_epochs=abc", "trainer.max_epochs"),
    ("trainer.max_epochs=2.5", "trainer.max_epochs"),
    ("trainer.max_steps=-7", "trainer.max_steps"),
    ("trainer.accumulate_grad_batches=0", "trainer.accumulate_grad_batches"),
    ("trainer.precision=17", "trainer.precision"),
    ("trainer.precision=fp8", "trainer.precision"),
    ("trainer.gradient_clip_val=-1", "trainer.gradient_clip_val"),
    ("trainer.limit_train_batches=0", "trainer.limit_train_batches"),
    ("trainer.max_time=5min", "trainer.max_time"),
    ("trainer.accelerator=quantum", "trainer.accelerator"),
    ("trainer.log_every_n_steps=0", "trainer.log_every_n_steps"),
    ("data.clip_length=abc", "data.clip_length"),
    ("data.clip_length=0", "data.clip_length"),
    ("data.clip_length=1", "data.clip_length"),  # default trainable modules are memory-only
    ("data.batch_size=0", "data.batch_size"),
    ("data.num_workers=-1", "data.num_workers"),
    ("data.resize_mode=stretch", "data.resize_mode"),
    ("prompt.neg_region=ring", "prompt.neg_region"),
    ("prompt.num_pos_points=-1", "prompt.num_pos_points"),
    ("prompt.kind=scribble", "prompt.kind"),
    ("prompt.train.mix.box=-0.5", "prompt.train.mix.box"),
    ("prompt.train.prob_to_sample_from_gt=2", "prompt.train.prob_to_sample_from_gt"),
    ("prompt.train.num_init_cond_frames=0", "prompt.train.num_init_cond_frames"),
    ("data.augment.hflip_p=1.5", "data.augment.hflip_p"),
    ("data.augment.scale=[1.2,0.8]", "data.augment.scale"),
    ("model.image_size=100", "model.image_size"),
    ("model.image_size=-128", "model.image_size"),
    ("model.image_size=abc", "model.image_size"),
    ("model.num_maskmem=0", "model.num_maskmem"),
    ("model.max_objects=0", "model.max_objects"),
    ("model.multimask_output_for_tracking=maybe", "model.multimask_output_for_tracking"),
    ("optim.lr=-1e-4", "optim.lr"),
    ("optim.lr=0", "optim.lr"),
    ("optim.lr=fast", "optim.lr"),
    ("optim.weight_decay=-0.1", "optim.weight_decay"),
    ("optim.scheduler.name=linear", "optim.scheduler.name"),
    ("optim.scheduler.warmup_steps=-5", "optim.scheduler.warmup_steps"),
    ("optim.lr_multipliers.image_encoder=-1", "optim.lr_multipliers.image_encoder"),
    ("loss.weight_dict.loss_mask=-20", "loss.weight_dict.loss_mask"),
    ("loss.weight_dict.loss_dice=abc", "loss.weight_dict.loss_dice"),
    ("loss.focal_gamma=-2", "loss.focal_gamma"),
    ("loss.focal_alpha=3", "loss.focal_alpha"),
    ("callbacks.mode=biggest", "callbacks.mode"),
    ("seed=-1", "seed"),
    ("seed=abc", "seed"),
    ("log_level=LOUD", "log_level"),
    ("deterministic=sometimes", "deterministic"),
]

BAD_EVAL = [
    ("eval.threshold=abc", "eval.threshold"),
    ("eval.threshold=1.5", "eval.threshold"),
    ("eval.threshold=0", "eval.threshold"),
    ("eval.thresholds.stop=1.0", "eval.thresholds.stop"),
    ("eval.split=holdout", "eval.split"),
    ("eval.reprompt_every=-1", "eval.reprompt_every"),
    ("eval.max_videos=0", "eval.max_videos"),
    ("eval.bound_th=0", "eval.bound_th"),
    ("eval.autocast=fp4", "eval.autocast"),
    ("eval.save_masks=yes", "eval.save_masks"),
    ("eval.thresholds.start=0.97", "eval.thresholds.start"),  # > stop (0.95)
    ("eval.thresholds.step=0", "eval.thresholds.step"),
    ("eval.device=tpu", "eval.device"),
    ("model.image_size=100", "model.image_size"),
    ("data.clip_length=abc", "data.clip_length"),
]


@pytest.mark.parametrize("override,key", BAD_TRAIN)
def test_bad_training_value_names_its_key(override, key):
    with pytest.raises(ConfigError) as err:
        validate_train(cfg_with(override), warn=False)
    line = str(err.value)
    assert line.startswith(f"{key}=") and "\n" not in line


@pytest.mark.parametrize("override,key", BAD_EVAL)
def test_bad_eval_value_names_its_key(override, key):
    with pytest.raises(ConfigError) as err:
        validate_eval(cfg_with(override))
    assert str(err.value).startswith(f"{key}=")


def test_cuda_requests_refused_without_a_gpu():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    for override, key in (("trainer.accelerator=gpu", "trainer.accelerator"), ("trainer=gpu", "trainer.accelerator")):
        with pytest.raises(ConfigError, match=f"^{key}="):
            validate_train(cfg_with(override), warn=False)
    with pytest.raises(ConfigError, match="^eval.device="):
        validate_eval(cfg_with("eval.device=cuda"))
    with pytest.raises(ConfigError, match="^eval.device="):
        validate_train(cfg_with("eval.device=cuda:1"), warn=False)


def test_paths_the_run_reads_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="^model.checkpoint_path="):
        validate_eval(cfg_with(f"model.checkpoint_path={tmp_path / 'missing.pt'}"))
    with pytest.raises(ConfigError, match="^ckpt_path="):
        validate_train(cfg_with(f"ckpt_path={tmp_path / 'missing.ckpt'}"), warn=False)


def test_mistyped_root_with_synthetic_data_is_refused(tmp_path):
    """data=synthetic generates only under paths.data_dir; elsewhere a missing root is a typo."""
    typo = tmp_path / "data" / "endovs18"
    with pytest.raises(ConfigError, match="^data.root=.*does not exist"):
        validate_train(cfg_with(f"paths.root_dir={tmp_path}", f"data.root={typo}"), warn=False)
    # the default location (and any folder under paths.data_dir) is still generated on first use
    validate_train(cfg_with(f"paths.root_dir={tmp_path}"), warn=False)
    validate_train(cfg_with(f"paths.root_dir={tmp_path}", f"data.root={tmp_path}/datasets/mine"), warn=False)


def _all_named_configs() -> list[tuple[str, list[str]]]:
    """Every group option and named config shipped in configs/ (composed the way users do)."""
    cases = []
    for group in ("sam2", "data", "loss", "optim", "trainer", "callbacks", "logger", "eval", "experiment"):
        for p in sorted((CONFIG_DIR / group).glob("*.yaml")):
            if not p.name.startswith("_"):
                cases.append(("config", [f"{group}={p.stem}"]))
    for p in sorted((CONFIG_DIR / "combo").rglob("*.yaml"))[:6] + sorted(CONFIG_DIR.glob("*.yaml")):
        cases.append((p.relative_to(CONFIG_DIR).with_suffix("").as_posix(), []))
    return cases


def _accepts(cases) -> None:
    for name, overrides in cases:
        cfg = compose_config(["output_dir=/tmp/unused", *overrides], config_name=name)
        try:
            check_types(cfg)
            check_relations(cfg, training=True)
        except ConfigError as exc:
            raise AssertionError(f"{name} {overrides}: {exc}") from None


def test_main_configs_pass_the_checks():
    """No false alarms on the configs users start from (the demo, a dataset group, a combo)."""
    _accepts([("config", ["experiment=demo"]), ("config", ["data=endovis18"]), ("combo/endovis18/1", [])])


@pytest.mark.slow
def test_every_shipped_config_passes_the_checks():
    """No false alarms: the values of every shipped config are accepted (devices aside)."""
    _accepts(_all_named_configs())


def test_schema_covers_every_documented_eval_and_trainer_key():
    """Each leaf of the eval / trainer / optim / loss defaults has a rule (new keys need one)."""
    from omegaconf import OmegaConf

    cfg = cfg_with()
    skip = {"trainer._target_", "trainer.default_root_dir", "optim.optimizer._target_", "optim.optimizer._partial_",
            "optim.scheduler._target_", "loss._target_", "prompt._target_", "prompt._convert_",
            "prompt.train._target_"}
    for top in ("eval", "trainer", "optim", "loss", "prompt"):
        flat = OmegaConf.to_container(cfg[top], resolve=False)
        stack = [(top, flat)]
        while stack:
            prefix, node = stack.pop()
            for k, v in node.items():
                key = f"{prefix}.{k}"
                if isinstance(v, dict) and v:
                    stack.append((key, v))
                elif key not in skip:
                    assert key in ALL or f"{prefix}.*" in ALL, f"{key} has no rule in sam2_video/validation/schema.py"


def test_cpu_memory_warning_before_training():
    from sam2_video.validation.environment import cpu_training_bytes, warn_cpu_memory

    big = compose_config(["trainer=cpu", "output_dir=/tmp/unused"])  # sam2.1_tiny at 1024 px
    assert cpu_training_bytes(big) > 16e9
    assert warn_cpu_memory(big, available=8e9)
    assert not warn_cpu_memory(cfg_with(), available=8e9)  # debug model at 128 px
    assert not warn_cpu_memory(compose_config(["trainer=cpu", "output_dir=/x"]), available=1e12)


def test_missing_data_paths_named_before_the_run(tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "train.json").write_text("{}")
    with pytest.raises(ConfigError, match="^data.val_path=.*no val split"):
        validate_train(cfg_with("data.synthetic=null", f"data.root={tmp_path / 'ds'}"), warn=False)
    with pytest.raises(ConfigError, match="^data.test_path="):  # eval.split=test names the test key
        validate_eval(cfg_with("data.synthetic=null", f"data.root={tmp_path / 'ds'}", "eval.split=test"))
    with pytest.raises(ConfigError, match="^data.root=.*not found"):
        validate_eval(cfg_with("data.synthetic=null", f"data.root={tmp_path / 'nope'}"))
    with pytest.raises(ConfigError, match="^data.val_path=.*not found"):
        validate_eval(cfg_with(f"data.val_path={tmp_path / 'v.json'}"))
    with pytest.raises(ConfigError, match="^data.image_root="):
        validate_eval(cfg_with(f"data.image_root={tmp_path / 'frames'}"))


def test_classes_built_from_yaml_raise_config_error():
    """Bypassing the checks, the configured classes themselves refuse bad values with a ConfigError."""
    from omegaconf import OmegaConf

    from sam2_video.config import build
    from sam2_video.data.resize import geometry
    from sam2_video.prompt.sampler import PromptGenerator
    from sam2_video.training.optim import LRSchedule
    from sam2_video.training.val_metrics import ValidationProtocol

    for make in (lambda: LRSchedule(name="linear"), lambda: PromptGenerator(neg_region="ring"),
                 lambda: PromptGenerator(num_pos_points=-1), lambda: ValidationProtocol(threshold=2.0),
                 lambda: geometry((10, 10), 32, "stretch")):
        with pytest.raises(ConfigError):
            make()
    node = OmegaConf.create({"_target_": "sam2_video.training.optim.LRSchedule", "nmae": "cosine"})
    with pytest.raises(ConfigError):  # unknown key under a node: TypeError inside instantiate
        build(node)


def test_every_documented_key_refuses_a_wrong_type():
    """Fuzz: each key of the schema present in the default tree, set to a value of the wrong kind,
    is one ConfigError naming that key (never another exception)."""
    from omegaconf import OmegaConf

    from sam2_video.validation.checks import _ABSENT, _expand, value_at
    from sam2_video.validation.rules import Bool, Num, OneOf, Seq, Text

    base = _base()
    checked = 0
    for pattern, rule in ALL.items():
        for key in _expand(base, pattern):
            current = value_at(base, key)
            if current is _ABSENT or isinstance(current, (dict, list)) and not isinstance(rule, Seq):
                continue
            wrong = {Num: "abc", Bool: "maybe", OneOf: "no-such-choice", Seq: 5, Text: 7}.get(type(rule))
            if wrong is None or rule.ok(wrong):
                continue
            cfg = copy.deepcopy(base)
            OmegaConf.update(cfg, key, wrong, merge=False)
            with pytest.raises(ConfigError) as err:
                check_types(cfg)
            assert str(err.value).startswith(f"{key}="), (key, str(err.value))
            checked += 1
    assert checked > 100
