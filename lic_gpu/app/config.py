"""Composing the configs from Python, and checking a composed config before any work.

``conf/`` is the one place defaults live. A checkout reads it at the top of the repository; a wheel
ships the same files as package data in ``lic_gpu/conf`` (``pyproject.toml`` maps ``conf/`` there).
:func:`lic_gpu.io.conf_files.config_dir` finds whichever exists, and :func:`compose_config` composes from
it, so the command line, :func:`lic_gpu.api.augment_frame` and :class:`lic_gpu.api.LicResampler`
share defaults.

The structured-config schemas (:mod:`lic_gpu.app.schema`, Hydra's "schema" pattern) are registered in
Hydra's ConfigStore, so a mistyped value (``seed=abc``, ``verbose=maybe``) or an unknown top-level key
fails at composition. :func:`plain_config` resolves a composed config
into plain containers and :func:`check_options` validates all of it with the library's validators,
in a fraction of a second, so a mistake is one line before data or vectors are read.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from hydra.experimental.callback import Callback
from omegaconf import OmegaConf

import lic_gpu.app.schema  # noqa: F401  (registers the schemas and resolvers)
from lic_gpu.io.conf_files import config_dir, group_options  # noqa: F401  (config_dir: part of this module's API)
from lic_gpu.errors import LicGpuError, Refused
from lic_gpu.augment.strategy import check_strategy_shape  # noqa: F401  (part of this module's API)
from lic_gpu.validators import check_bool


def compose_config(overrides: Sequence[str] = (), config_name: str = "augment"):
    """The composed config the command line would use with these overrides (Hydra's compose API).

    Unknown keys are a one-line :class:`~lic_gpu.errors.LicGpuError` with a suggestion, as on the
    command line. Works inside a running Hydra app too (its global state is put back afterwards).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    from lic_gpu.app.config_check import check_overrides

    lic_gpu.app.schema.register()  # idempotent; composition must never depend on import order
    overrides = list(overrides)
    folder = config_dir()
    check_overrides(overrides, config_name, folder)
    gh = GlobalHydra.instance()
    running = gh.hydra if gh.is_initialized() else None
    gh.clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(folder), job_name=config_name):
            return compose(config_name=config_name, overrides=overrides)
    except HydraException as err:
        from omegaconf.errors import OmegaConfBaseException

        first = (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(".")
        if isinstance(err.__cause__, OmegaConfBaseException):  # a value of the wrong type, as the command line says
            first += f": {config_error_message(err.__cause__)}"
        raise LicGpuError(f"config: {first}") from None
    finally:
        if running is not None:  # initialize_config_dir put back a copy of the cleared instance: fetch it anew
            GlobalHydra.instance().clear()
            GlobalHydra.instance().initialize(running)


# ---------------------------------------------------------------- the whole config, checked

# data options that name input files, per kind
DATA_FILES = {"demo": (), "seed_csv": ("words_csv", "ratings_csv"), "csv": ("path",), "emobank": ("path",)}


@dataclass(frozen=True)
class RunOptions:
    """Every option of the main job, checked; the groups stay plain dicts for the library calls.

    ``inputs`` maps an option (``data.path`` ...) to the file it names: these are never written.
    """

    emotions: list[str]
    device: str
    seed: int
    verbose: bool
    data: dict
    embeddings: dict
    augment: dict
    caps: dict
    lic: dict
    stopwords: dict
    report: dict
    inputs: dict[str, Path]
    common: "CommonOptions | None" = None  # the shared part, as both jobs set it up


def plain_config(cfg) -> dict:
    """A composed config's values (``hydra`` left out) as plain containers, interpolations resolved.

    A value that is not set (``???``) or whose interpolation fails (``${oc.env:NAME}`` without
    ``NAME``) is one :class:`LicGpuError` naming the key.
    """
    from omegaconf.errors import OmegaConfBaseException

    keys = [k for k in cfg if k != "hydra"]
    try:
        missing = []
        for key in keys:
            node = cfg._get_node(key)
            if OmegaConf.is_config(node):
                missing += list(OmegaConf.missing_keys(node))  # full keys (data.path)
            elif OmegaConf.is_missing(cfg, key):
                missing.append(key)
        if missing:
            missing.sort()
            raise LicGpuError(f"config value(s) {missing} must be set, e.g. {missing[0]}=PATH on the command line")
        out = {}
        for key in keys:
            value = cfg[key]
            out[key] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    except OmegaConfBaseException as err:
        raise LicGpuError(config_error_message(err)) from None
    return out


def config_error_message(err: Exception) -> str:
    """One line for an OmegaConf error: the key, and what is wrong with its value."""
    key = getattr(err, "full_key", None)
    text = str(getattr(err, "msg", None) or err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = re.sub(r"^\w+ raised while resolving interpolation: ", "", text).strip().strip('"').rstrip(".")
    if key:
        return f"config value {key}: {text}; fix it on the command line or in the config"
    return f"config: {text}"


@dataclass(frozen=True)
class CommonOptions:
    """The options both jobs (augment, evaluate) have, checked: ``emotion``, ``device``, ``verbose``,
    ``data``, ``embeddings``, ``lic``, ``stopwords``; ``inputs`` maps an option to the file it names."""

    emotions: list[str]
    device: str
    verbose: bool
    data: dict
    embeddings: dict
    lic: dict
    stopwords: dict
    inputs: dict[str, Path]


def check_common(plain: Mapping[str, Any], data_in_memory: bool = False) -> CommonOptions:
    """Validate the options both jobs share (see :func:`check_options`)."""
    from lic_gpu.device import check_device
    from lic_gpu.lic import LIC_DTYPES, check_lic_method
    from lic_gpu.text import load_stopwords

    emotions = check_emotions(plain.get("emotion"))
    device = check_device(plain["device"])
    verbose = _bool(plain["verbose"], "verbose")
    inputs: dict[str, Path] = {}
    data = _check_data(plain, data_in_memory, inputs)
    emb = _check_embeddings(plain, inputs)

    lic = _section(plain.get("lic"), "lic")
    check_lic_method(lic["method"])
    if lic["dtype"] not in LIC_DTYPES:
        raise LicGpuError(f"lic.dtype must be one of {sorted(LIC_DTYPES)}; got {lic.get('dtype')!r}")

    sw = _section(plain.get("stopwords"), "stopwords")
    for key in ("extra", "remove"):
        sw[key] = _names(sw.get(key) or [], f"stopwords.{key}")
    load_stopwords(sw["source"], sw["extra"], sw["remove"])

    return CommonOptions(emotions, device, verbose, data, emb, lic, sw, inputs)


def _check_data(plain: Mapping[str, Any], data_in_memory: bool, inputs: dict[str, Path]) -> dict:
    """The ``data`` section, checked; its input files are added to ``inputs``."""
    from lic_gpu.classes import check_binning
    from lic_gpu.text import check_tokeniser, resolve_tokenizer

    data = _section(plain.get("data"), "data")
    kind = data.get("kind")
    if kind not in DATA_FILES:
        raise LicGpuError(f"data.kind must be one of {list(DATA_FILES)}; got {kind!r}")
    _section(data, f"data (data={kind})", group_options("data", kind))
    for key in () if data_in_memory else DATA_FILES[kind]:  # the Python API hands over a DataFrame
        what = {"words_csv": "sentences", "ratings_csv": "ratings"}.get(key, "data")
        inputs[f"data.{key}"] = _input_file(data.get(key), f"data.{key}", f"{what} file not found")
    for key in ("text_column",):
        if key in data:
            data[key] = _name(data[key], f"data.{key}")
    for key in ("id_columns", "non_rating_columns"):
        if data.get(key) is not None:
            data[key] = _names(data[key], f"data.{key}")
    if data.get("rating_columns") is not None:
        data["rating_columns"] = _names(data["rating_columns"], "data.rating_columns")
    for key in ("encoding", "ratings_encoding"):
        if data.get(key) is not None:
            data[key] = _encoding(data[key], f"data.{key}")
    if data.get("rename"):
        if not isinstance(data["rename"], Mapping):
            raise LicGpuError(f"data.rename must map column names to new names; got {data['rename']!r}")
        data["rename"] = {_name(k, "data.rename"): _name(v, f"data.rename.{k}") for k, v in data["rename"].items()}
    check_tokeniser(resolve_tokenizer(data["tokenizer"], "diverse"))
    check_binning(data["binning"])
    return data


def _check_embeddings(plain: Mapping[str, Any], inputs: dict[str, Path]) -> dict:
    """The ``embeddings`` section, checked; a vector file is added to ``inputs``."""
    from lic_gpu.vectors.files import PACKAGED_GLOVE, check_format, check_limit
    from lic_gpu.vectors.names import resolve_source
    from lic_gpu.vectors.store import check_dtype

    emb = _section(plain.get("embeddings"), "embeddings", group_options("embeddings"))
    source = emb["source"]
    if isinstance(source, str) and source.strip():
        # a gensim-data name is a file in $GENSIM_DATA_DIR (or one error naming that folder)
        resolved = resolve_source(source)
        source = source if resolved == source else str(resolved)
    if source != PACKAGED_GLOVE:
        inputs["embeddings.source"] = _input_file(
            source,
            "embeddings.source",
            f"embeddings source {str(source)!r}: no such file",
            f"pass {PACKAGED_GLOVE!r}, a gensim-data name such as 'word2vec-google-news-300' or a path to a word-vector file",
        )
    check_format(emb["format"])
    check_dtype(emb["dtype"])
    check_limit(emb.get("limit"))
    for key in ("lowercase_fallback", "allow_tf32", "allow_pickle", "trust_shared_cache"):
        if key in emb:
            _bool(emb[key], f"embeddings.{key}")
    for key in ("cache_dir", "neighbour_cache"):
        value = emb.get(key)
        if value is not None and not isinstance(value, (bool, str)):
            raise LicGpuError(f"embeddings.{key} must be true, false or a folder; got {value!r}")
    return emb


def check_augment(value: Any, inputs: dict[str, Path] | None = None, name: str = "augment") -> dict:
    """Validate an ``augment`` group (``name``: where it sits, ``augment_seed`` in the evaluation); a
    lexicon file it names is added to ``inputs``."""
    from lic_gpu.augment.settings import AugmentSettings
    from lic_gpu.fluency import check_fluency_options
    from lic_gpu.augment.guard import build_guards

    inputs = {} if inputs is None else inputs
    aug = _section(value, name, group_options("augment"))
    AugmentSettings.from_options(aug)  # mode, the numbers, protect, reciprocal, rare_words: each validated once
    check_strategy_shape(aug["sampling_strategy"])
    build_guards(aug)  # validates every guard option and reads the lexicon file, if one is named
    check_fluency_options(aug)
    lexicon = ((aug.get("guard") or {}) if isinstance(aug.get("guard"), Mapping) else {}).get("lexicon")
    if isinstance(lexicon, Mapping) and lexicon.get("path"):
        inputs[f"{name}.guard.lexicon.path"] = Path(str(lexicon["path"])).expanduser()

    return aug


def check_options(plain: Mapping[str, Any], data_in_memory: bool = False) -> RunOptions:
    """Validate every option of a :func:`plain_config` of the main job; the first mistake is one
    LicGpuError that names the option and quotes its value. Reads no data file (it only checks that
    input files exist)."""
    from lic_gpu.caps import check_cap_emotions, check_caps
    from lic_gpu.report.quality import check_quality_sample

    common = check_common(plain, data_in_memory)
    emotions, inputs = common.emotions, dict(common.inputs)
    seed = check_seed(plain["seed"])
    aug = check_augment(plain.get("augment"), inputs)

    caps = _section(plain.get("caps") or {"kind": "none"}, "caps", group_options("caps"))
    if caps.get("kind") == "rectangle" and caps.get("region") is None:
        # the YAML's region is null so that a {...} override replaces it (Hydra merges into a mapping)
        caps["region"] = caps.pop("notebook_region", None)
    caps.pop("notebook_region", None)
    checked = check_caps(
        caps["kind"],
        caps.get("region"),
        caps.get("cap_per_class"),
        emotions_with_classes=emotions if caps.get("kind") == "rectangle" else None,
    )
    if checked["kind"] == "rectangle":
        check_cap_emotions(caps.get("emotions"), checked["region"])

    report = _section(plain.get("report"), "report")
    report["enabled"] = _bool(report["enabled"], "report.enabled")
    report["top_words"] = _int(report["top_words"], "report.top_words", 1)
    report["swap_samples"] = _int(report["swap_samples"], "report.swap_samples", 0)
    report["max_panels"] = _int(report["max_panels"], "report.max_panels", 1)
    report["min_word_sentences"] = _int(report["min_word_sentences"], "report.min_word_sentences", 1)
    report["quality_sample"] = check_quality_sample(report["quality_sample"])
    report["max_table_rows"] = _int(report["max_table_rows"], "report.max_table_rows", 1)
    subject = report["subject_column"]
    if subject is not None:
        report["subject_column"] = _name(subject, "report.subject_column")

    return RunOptions(
        emotions,
        common.device,
        seed,
        common.verbose,
        common.data,
        common.embeddings,
        aug,
        caps,
        common.lic,
        common.stopwords,
        report,
        inputs,
        dataclasses.replace(common, inputs=inputs),
    )


class RunFolderCheck(Callback):
    """Hydra callback (``hydra.callbacks`` in ``conf/augment.yaml``): after composition but before
    Hydra creates the run folder, its log and ``.hydra/``, check every option (the check the job
    starts with) and the folder (writable, no other run's outputs in it, not an input's place)."""

    def on_run_start(self, config, **kwargs) -> None:  # noqa: ARG002
        from omegaconf.errors import OmegaConfBaseException

        from lic_gpu.io.run_folder import prepare_run_folder

        try:
            opts = check_options(plain_config(config))
            run_dir = OmegaConf.select(config, "hydra.run.dir")
            prepare_run_folder(os.path.abspath(str(run_dir)), opts.emotions, opts.inputs, before_hydra=True)
        except OmegaConfBaseException as err:  # hydra.run.dir itself
            raise Refused(LicGpuError(config_error_message(err))) from None
        except LicGpuError as err:
            raise Refused(err) from err  # Hydra turns an Exception from a callback into a warning


def check_emotions(value: Any) -> list[str]:
    """``emotion``: a column name or a list of names -> a list without repeats (a number such as
    ``emotion=5`` names the column ``5``)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    ok = bool(items) and all(isinstance(e, (str, int)) and not isinstance(e, bool) and str(e).strip() for e in items)
    if not ok:
        raise LicGpuError(
            "emotion must be a rating column's name or a list of names, e.g. emotion=arousal "
            f"or emotion=[arousal,valence]; got {value!r}"
        )
    return list(dict.fromkeys(str(e) for e in items))


def check_seed(value: Any) -> int:
    """``seed``: an integer in [0, 2**63)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise LicGpuError(f"seed must be an integer from 0 to 2**63 - 1; got {value!r}")
    return value


def _section(value: Any, name: str, options: frozenset[str] | None = None) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise LicGpuError(f"{name} must be a group of options; got {value!r}")
    if options:
        unknown = sorted(str(k) for k in value if k not in options)
        if unknown:
            import difflib

            near = difflib.get_close_matches(unknown[0], sorted(options), n=1)
            hint = f"; did you mean {name.split(' ')[0]}.{near[0]}?" if near else f"; options are {sorted(options)}"
            raise LicGpuError(f"{name} has no option {unknown[0]!r}{hint}")
    return dict(value)


_bool = check_bool  # the one "must be true or false" (lic_gpu/validators.py)


def _int(value: Any, name: str, lowest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise LicGpuError(f"{name} must be an integer >= {lowest}; got {value!r}")
    return value


def _name(value: Any, name: str) -> str:
    """A column name: text (a number on the command line names the column of that name)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise LicGpuError(f"{name} must be a column name; got {value!r}")
    return str(value)


def _names(value: Any, name: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise LicGpuError(f"{name} must be a list of column names, e.g. {name}=[a,b]; got {value!r}")
    return [_name(v, name) for v in value]


def _encoding(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise LicGpuError(f"{name} must be an encoding such as utf-8 or latin1; got {value!r}")
    try:
        codecs.lookup(value)
    except LookupError:
        raise LicGpuError(f"{name}: unknown encoding {value!r} (try utf-8, latin1 or utf-16)") from None
    return value


def _input_file(value: Any, name: str, not_found: str, hint: str = "check the path") -> Path:
    """An input file that exists (relative paths start from the folder the command was run in)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise LicGpuError(f"{name} must be a file path; got {value!r}")
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise LicGpuError(
            f"{not_found}: {path} ({name}); {hint} (a relative path starts from the folder the command was run in)"
        )
    if path.is_dir():
        raise LicGpuError(f"{name}: {path} is a folder, not a file")
    return path
