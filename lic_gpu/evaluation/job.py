"""The evaluation job: a composed ``evaluate`` config in, the evaluation's files out (``run_evaluate``)."""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path
from typing import Any

import torch

from lic_gpu.evaluation.experiment import evaluate
from lic_gpu.evaluation.report import write_outputs
from lic_gpu.io.conf_files import primary_default
from lic_gpu.evaluation.settings import EvalSettings

log = logging.getLogger(__name__)


def settings_from_config(cfg) -> EvalSettings:
    """Plain :class:`EvalSettings` from a composed ``evaluate`` config (or its :func:`lic_gpu.app.config.plain_config`)."""
    from omegaconf import OmegaConf

    from lic_gpu.app.config import check_emotions, plain_config

    values = plain_config(cfg) if OmegaConf.is_config(cfg) else cfg
    comparisons = values.get("comparisons")
    study = values["study"]
    return EvalSettings(
        emotions=check_emotions(values.get("emotion")),
        seeds=values["seeds"],
        test_size=values["test_size"],
        group_column=values["group"]["column"],
        group_prefix_sep=values["group"]["prefix_sep"],
        binning=values["data"]["binning"],
        label_kind=values["data"]["label_kind"],
        fractions=study["fractions"],
        budgets=study["budgets"],
        per_source=study["per_source"],
        methods=values["methods"],
        classifiers=values["classifiers"],
        regressors=values["regressors"],
        cheap_baselines=values["cheap_baselines"],
        lic_method=values["lic"]["method"],
        lic_dtype=values["lic"]["dtype"],
        augment_seed=values["augment_seed"],
        augment_diverse=values["augment"],
        guard_cfg=values.get("guard"),
        tfidf=values.get("tfidf") or {},
        mlp=values.get("mlp") or {},
        ridge=values.get("ridge") or {},
        comparisons=comparisons if comparisons is not None else primary_default("evaluate", "comparisons"),
    )


def run_evaluate(cfg, out_dir: str | Path | None = None) -> dict:
    """Run the evaluation for a composed config; returns what ``metrics.json`` holds.

    ``out_dir``: argument, else ``cfg.out_dir``, else Hydra's run folder.
    """
    import sys

    from omegaconf import OmegaConf

    from lic_gpu.app.config import check_augment, check_common, plain_config
    from lic_gpu.classes import tokenise_all
    from lic_gpu.fluency import build_grammar, load_thesaurus
    from lic_gpu.augment.guard import build_guards
    from lic_gpu.app.run_setup import job_setup, load_corpus, load_store, with_search_fallback
    from lic_gpu.threads import set_torch_threads

    t_start = time.perf_counter()
    # the checks and the set-up the main job makes, so a mistake reads the same in both
    plain = plain_config(cfg)
    common = check_common(plain)
    for package in ("augment", "augment_seed"):
        check_augment(plain.get(package), dict(common.inputs), name=package)
    settings = settings_from_config(plain)
    if out_dir is None:
        out_dir = plain.get("out_dir")
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    set_torch_threads(plain.get("threads"))
    # one tokenisation for every method: the words tokenizer (auto would give seed mode its own)
    setup = job_setup(common, mode="diverse")
    data_cfg = dict(setup.data)
    corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
    corpus.require_emotions(settings.emotions, settings.label_kind)
    _say_split_not_used(corpus, data_cfg.get("split_column", "auto"))
    tokenised = tokenise_all(corpus.texts, setup.tokenise)
    store, choice = load_store(setup.embeddings, setup.choice)
    stopwords, sw_origin = setup.stopwords, setup.stopwords_origin
    guards: list = []
    guard_info: dict[str, Any] = {"enabled": False}
    if "lic_diverse_guard" in settings.methods:
        guard_aug = {**settings.augment_diverse}
        if settings.guard_cfg is not None:
            guard_aug["guard"] = settings.guard_cfg
        guards, guard_info = build_guards(guard_aug, store=store, stopwords=stopwords)
    grammar, grammar_info = build_grammar(settings.augment_diverse)
    thesaurus = load_thesaurus(settings.augment_diverse.get("thesaurus"), grammar.inflector if grammar else None)
    guard_info = dict(guard_info, grammar=grammar_info, thesaurus=thesaurus.name if thesaurus else None)
    result = evaluate(
        corpus,
        tokenised,
        settings,
        store,
        stopwords,
        choice.device,
        guards,
        fluency={"grammar": grammar, "thesaurus": thesaurus},
    )
    choice = with_search_fallback(choice, store)
    wall = time.perf_counter() - t_start
    meta = {
        "corpus": corpus.source,
        "n_rows": len(corpus.frame),
        "command": "python scripts/evaluate.py " + " ".join(sys.argv[1:])
        if sys.argv[0].endswith("evaluate.py")
        else "",
        "device": str(choice.device)
        + (f" (asked {choice.requested}: {choice.fallback_reason})" if choice.fallback_reason else ""),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "vectors": store.source,
        "stopwords": sw_origin,
        "guard": guard_info,
        "wall_s": round(wall, 1),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    payload = write_outputs(Path(out_dir), result, settings, meta)
    log.info("evaluation written to %s (%.0f s)", out_dir, wall)
    return payload


def _say_split_not_used(corpus, split_column) -> None:
    """One warning when the data has a split column: the study makes its own folds from every row (the
    augmentation honours the column; a user expects the evaluation to as well)."""
    from lic_gpu.io.splits import split_column_of

    column = split_column_of(corpus.frame, split_column)
    if column is None or column not in corpus.frame.columns:
        return
    values = sorted(corpus.frame[column].dropna().astype(str).str.strip().unique())
    shown = ", ".join(values[:6]) + (" ..." if len(values) > 6 else "")
    log.warning(
        "column %r of %s (%s) is not used: the study makes its own train/test folds from every row; to evaluate "
        "on one split alone (your training rows), give it a table of those rows",
        column,
        corpus.source,
        shown,
    )
