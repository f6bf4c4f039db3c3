"""What both jobs (``augment`` and ``evaluate``) set up the same way from a composed config: the checked
options (:func:`lic_gpu.app.config.check_common`), the device, stopwords and tokeniser (:func:`job_setup`), the
corpus (:func:`load_corpus`) and the word vectors, on the CPU when they do not fit on the GPU
(:func:`load_store`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch

from lic_gpu.app.config import DATA_FILES  # (importing it registers the config schemas with Hydra)
from lic_gpu.io.data import Corpus, check_label_kind, load_csv, load_demo, load_emobank, load_seed_csv
from lic_gpu.device import DeviceChoice, resolve_device
from lic_gpu.errors import LicGpuError
from lic_gpu.lic import LIC_DTYPES, check_lic_method
from lic_gpu.text import check_tokeniser, load_stopwords, resolve_tokenizer
from lic_gpu.timing import StageTimer

log = logging.getLogger(__name__)


def load_corpus(kind: str, **options: Any) -> Corpus:
    """Dispatch on ``data.kind`` to the loaders in :mod:`lic_gpu.io.data`."""
    if kind not in DATA_FILES:
        raise LicGpuError(f"data.kind must be one of {list(DATA_FILES)}; got {kind!r}")
    if kind == "demo":
        return load_demo()
    if kind == "emobank":
        return load_emobank(
            options["path"],
            encoding=options["encoding"],
            sep=options.get("sep"),
            max_rows=options.get("max_rows"),
            max_bytes=options.get("max_bytes"),
        )
    if kind == "seed_csv":
        return load_seed_csv(
            options["words_csv"],
            options["ratings_csv"],
            id_columns=options.get("id_columns") or ("sub", "episode", "segment"),
            text_column=options["text_column"],
            rating_columns=options.get("rating_columns"),
            encoding=options["encoding"],
            ratings_encoding=options.get("ratings_encoding"),
            non_rating_columns=options.get("non_rating_columns") or (),
            sep=options.get("sep"),
            max_rows=options.get("max_rows"),
            max_bytes=options.get("max_bytes"),
        )
    return load_csv(
        options["path"],
        text_column=options["text_column"],
        rating_columns=options.get("rating_columns"),
        id_columns=options.get("id_columns") or (),
        encoding=options["encoding"],
        rename=options.get("rename") or None,
        non_rating_columns=options.get("non_rating_columns") or (),
        sep=options.get("sep"),
        max_rows=options.get("max_rows"),
        max_bytes=options.get("max_bytes"),
    )


@dataclass
class JobSetup:
    """What both jobs set up the same way from the options they share (:func:`job_setup`)."""

    emotions: list[str]
    choice: DeviceChoice
    data: dict
    tokenizer: str
    tokenise: Any
    lic_method: str
    lic_dtype: torch.dtype
    stopwords: frozenset
    stopwords_origin: str
    embeddings: dict
    inputs: dict  # option -> input file it names (never written)


def job_setup(common, mode: str) -> JobSetup:
    """The device, tokeniser, stopwords and LIC type of checked :class:`lic_gpu.app.config.CommonOptions`
    (``mode``: the augment mode, which chooses the tokenizer ``auto`` stands for)."""
    tokenizer = resolve_tokenizer(common.data["tokenizer"], mode)
    stopwords, sw_origin = load_stopwords(
        common.stopwords["source"], common.stopwords["extra"], common.stopwords["remove"]
    )
    return JobSetup(
        emotions=common.emotions,
        choice=resolve_device(common.device),
        data=dict(common.data),
        tokenizer=tokenizer,
        tokenise=check_tokeniser(tokenizer),
        lic_method=check_lic_method(common.lic["method"]),
        lic_dtype=LIC_DTYPES[common.lic["dtype"]],
        stopwords=stopwords,
        stopwords_origin=sw_origin,
        embeddings=dict(common.embeddings),
        inputs=dict(common.inputs),
    )


@dataclass
class RunSettings(JobSetup):
    """The plain arguments of a main-job run, read once from a composed config (the only place that reads it)."""

    augment: dict
    caps: dict
    seed: int
    report: dict
    output_format: str
    label_kind: str
    split_column: Any
    augment_splits: Any
    config_yaml: str = ""


def settings_from_config(cfg, emotion: Any = None, data_in_memory: bool = False) -> RunSettings:
    """Validate a composed ``augment`` config and turn it into :class:`RunSettings`.

    ``emotion`` replaces ``cfg.emotion`` (the Python API names its label column itself);
    ``data_in_memory``: the data is a DataFrame, not the file ``data.path`` names.
    """
    import dataclasses

    from omegaconf import OmegaConf

    from lic_gpu.app.config import check_options, plain_config
    from lic_gpu.io.formats import check_output_format

    if emotion is not None:
        cfg = cfg.copy()
        OmegaConf.update(cfg, "emotion", emotion, force_add=True)
    # Every option and the input files' existence are checked before any work.
    plain = plain_config(cfg)
    opts = check_options(plain, data_in_memory=data_in_memory)
    base = job_setup(opts.common, opts.augment["mode"])
    data_cfg = base.data
    output_cfg = plain.get("output") or {}
    return RunSettings(
        **{f.name: getattr(base, f.name) for f in dataclasses.fields(JobSetup)},
        augment=dict(opts.augment),
        caps=dict(opts.caps) or {"kind": "none"},
        seed=opts.seed,
        report=dict(opts.report),
        output_format=check_output_format(output_cfg["format"]),
        label_kind=check_label_kind(data_cfg["label_kind"]),
        split_column=data_cfg["split_column"],
        augment_splits=data_cfg["augment_splits"],
        config_yaml=OmegaConf.to_yaml(cfg),
    )


def load_store(emb_cfg: dict, choice: DeviceChoice, timer: StageTimer | None = None) -> tuple[Any, DeviceChoice]:
    """The word vectors of ``emb_cfg`` (the ``embeddings`` group) on the chosen device; when they do
    not fit there, on the CPU, and the returned :class:`DeviceChoice` says so (the one place this
    fallback happens, for both jobs)."""
    from lic_gpu.io.resource_cache import cached, file_key, frozen

    timer = timer or StageTimer()
    # the same vectors on the same device are read once per process (cross_validate fits one clone per fold)
    key = (
        frozen({k: v for k, v in emb_cfg.items() if k != "source"}),
        file_key(emb_cfg.get("source")),
        str(choice.device),
        choice.requested,
        choice.fallback_reason,
    )
    with timer("load_vectors"):
        return cached("vectors", key, lambda: _read_store(emb_cfg, choice))


def _read_store(emb_cfg: dict, choice: DeviceChoice) -> tuple[Any, DeviceChoice]:
    from lic_gpu.vectors.store import EmbeddingStore

    log.info("loading word vectors %s", emb_cfg.get("source"))
    try:
        store = EmbeddingStore.load(device=choice.device, **emb_cfg)
    except torch.OutOfMemoryError:
        if choice.device.type == "cpu":
            raise
        reason = (
            f"the word vectors do not fit in {choice.device} memory; using cpu "
            "(embeddings.dtype=float16 or embeddings.limit=N would keep them on the GPU)"
        )
        log.warning(reason)
        choice = DeviceChoice(torch.device("cpu"), choice.requested, reason)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        store = EmbeddingStore.load(device=choice.device, **emb_cfg)
    log.info("vectors: %s", store.source)  # names the file, the size, the dtype and the device
    return store, choice


def with_search_fallback(choice: DeviceChoice, store) -> DeviceChoice:
    """``choice`` with what the neighbour search gave up added to its fallback reason: after repeated
    out-of-memory errors on the GPU it searches the rest on the CPU (:mod:`lic_gpu.vectors.topk`), and the
    run's device record says so, as it does for vectors that do not fit."""
    import dataclasses

    notes = list(getattr(store, "search_notes", []))
    if not notes:
        return choice
    return dataclasses.replace(choice, fallback_reason="; ".join(r for r in (choice.fallback_reason, *notes) if r))
