"""The evaluation job: a composed ``evaluate`` config in, the evaluation's files out (``run_evaluate``)."""
from __future__ import annotations

import logging
import platform
import time
from pathlib import Path

import torch

from lic_gpu.evaluation.experiment import evaluate
from lic_gpu.evaluation.report import write_outputs
from lic_gpu.conf_files import primary_default
from lic_gpu.evaluation.settings import EvalSettings

log = logging.getLogger(__name__)


def settings_from_config(cfg) -> EvalSettings:
    """Plain :class:`EvalSettings` from a composed ``evaluate`` config."""
    from omegaconf import OmegaConf

    def plain(node):
        return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node

    emotion = plain(cfg.emotion)
    lic_cfg = plain(cfg.get("lic")) or {}
    group = plain(cfg.get("group")) or {}
    data = plain(cfg.data)
    comparisons = plain(cfg.get("comparisons"))
    return EvalSettings(
        emotions=[emotion] if isinstance(emotion, str) else list(emotion),
        seeds=plain(cfg.seeds), test_size=cfg.test_size,
        group_column=group.get("column", "auto"), group_prefix_sep=group.get("prefix_sep"),
        binning=data.get("binning", "auto"), label_kind=data.get("label_kind", "auto"),
        sampling_strategy=plain(cfg.sampling_strategy),
        methods=plain(cfg.methods), classifiers=plain(cfg.classifiers),
        lic_method=lic_cfg.get("method", "seed"), lic_dtype=lic_cfg.get("dtype", "float64"),
        augment_seed=plain(cfg.augment_seed), augment_diverse=plain(cfg.augment),
        guard_cfg=plain(cfg.get("guard")), tfidf=plain(cfg.get("tfidf")) or {}, mlp=plain(cfg.get("mlp")) or {},
        comparisons=comparisons if comparisons is not None else primary_default("evaluate", "comparisons"))


def run_evaluate(cfg, out_dir: str | Path | None = None) -> dict:
    """Run the evaluation for a composed config; returns what ``metrics.json`` holds.

    ``out_dir``: argument, else ``cfg.out_dir``, else Hydra's run folder.
    """
    import sys

    from lic_gpu.device import resolve_device
    from lic_gpu.embeddings import EmbeddingStore
    from lic_gpu.guard import build_guards
    from lic_gpu.run_setup import load_corpus
    from lic_gpu.fluency import build_grammar, load_thesaurus
    from lic_gpu.text import check_tokeniser, load_stopwords, resolve_tokenizer
    from lic_gpu.threads import set_torch_threads
    from omegaconf import OmegaConf

    t_start = time.perf_counter()
    if out_dir is None:
        out_dir = cfg.get("out_dir")
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    settings = settings_from_config(cfg)
    set_torch_threads(cfg.get("threads"))
    choice = resolve_device(cfg.device)
    data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
    # one tokenisation for every method: the words tokenizer (auto would give seed mode its own)
    tokenise = check_tokeniser(resolve_tokenizer(data_cfg.get("tokenizer", "auto"), "diverse"))
    sw = OmegaConf.to_container(cfg.stopwords, resolve=True) if cfg.get("stopwords") else {}
    stopwords, sw_origin = load_stopwords(sw.get("source", "auto"), sw.get("extra") or (), sw.get("remove") or ())
    corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
    corpus.require_emotions(settings.emotions, settings.label_kind)
    tokenised = [tokenise(t) for t in corpus.texts]
    emb_cfg = OmegaConf.to_container(cfg.embeddings, resolve=True)
    store = EmbeddingStore.load(device=choice.device, **emb_cfg)
    log.info("vectors: %s", store.source)
    guards, guard_info = [], {"enabled": False}
    if "lic_diverse_guard" in settings.methods:
        guard_aug = {**settings.augment_diverse}
        if settings.guard_cfg is not None:
            guard_aug["guard"] = settings.guard_cfg
        guards, guard_info = build_guards(guard_aug, store=store, stopwords=stopwords)
    grammar, grammar_info = build_grammar(settings.augment_diverse)
    thesaurus = load_thesaurus(settings.augment_diverse.get("thesaurus"), grammar.inflector if grammar else None)
    guard_info = dict(guard_info, grammar=grammar_info, thesaurus=thesaurus.name if thesaurus else None)
    result = evaluate(corpus, tokenised, settings, store, stopwords, choice.device, guards,
                      fluency={"grammar": grammar, "thesaurus": thesaurus})
    wall = time.perf_counter() - t_start
    meta = {"corpus": corpus.source, "n_rows": len(corpus.frame),
            "command": "python scripts/evaluate.py " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("evaluate.py") else "",
            "device": str(choice.device) + (f" (asked {choice.requested}: {choice.fallback_reason})"
                                            if choice.fallback_reason else ""),
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "vectors": store.source, "stopwords": sw_origin, "guard": guard_info,
            "wall_s": round(wall, 1), "when": time.strftime("%Y-%m-%d %H:%M"),
            "config": OmegaConf.to_container(cfg, resolve=True)}
    payload = write_outputs(Path(out_dir), result, settings, meta)
    log.info("evaluation written to %s (%.0f s)", out_dir, wall)
    return payload
