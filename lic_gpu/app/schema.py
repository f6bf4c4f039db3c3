"""The configs' structured schemas (Hydra's "schema" pattern) and the resolvers the YAML uses.

Registered in Hydra's ConfigStore when this module is imported; imports nothing of lic_gpu, so every
other config module can import it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf


# Every field is MISSING: the values, defaults included, live in the YAML only (conf/). A schema gives
# the keys and their types; each group's YAML names its schema first in its defaults list, so a value
# of the wrong type fails when Hydra composes. Fields are in the YAML's order (the config echoed in
# summary.json and report.md keeps it). Union-typed options (a string or a number, a list or a name)
# are Any and checked by lic_gpu's validators.

# ---------------------------------------------------------------- data/


@dataclass
class DemoData:
    kind: str = MISSING
    encoding: str = MISSING
    tokenizer: str = MISSING
    binning: Any = MISSING
    rating_columns: Optional[List[str]] = MISSING
    label_kind: str = MISSING
    split_column: Optional[str] = MISSING
    augment_splits: List[str] = MISSING


@dataclass
class CsvData:
    kind: str = MISSING
    path: str = MISSING
    text_column: str = MISSING
    rating_columns: Optional[List[str]] = MISSING
    non_rating_columns: Optional[List[str]] = MISSING
    id_columns: Optional[List[str]] = MISSING
    rename: Any = MISSING  # {old: new} or null (Any: a {...} override replaces the null, typed dicts merge)
    encoding: str = MISSING
    tokenizer: str = MISSING
    binning: Any = MISSING
    sep: Optional[str] = MISSING
    label_kind: str = MISSING
    split_column: Optional[str] = MISSING
    augment_splits: List[str] = MISSING
    max_rows: int = MISSING
    max_bytes: int = MISSING


@dataclass
class EmobankData:
    kind: str = MISSING
    path: str = MISSING
    encoding: str = MISSING
    tokenizer: str = MISSING
    binning: Any = MISSING
    rating_columns: Optional[List[str]] = MISSING
    sep: Optional[str] = MISSING
    label_kind: str = MISSING
    split_column: Optional[str] = MISSING
    augment_splits: List[str] = MISSING
    max_rows: int = MISSING
    max_bytes: int = MISSING


@dataclass
class SeedCsvData:
    kind: str = MISSING
    words_csv: str = MISSING
    ratings_csv: str = MISSING
    id_columns: Optional[List[str]] = MISSING
    text_column: str = MISSING
    rating_columns: Optional[List[str]] = MISSING
    non_rating_columns: Optional[List[str]] = MISSING
    encoding: str = MISSING
    ratings_encoding: Optional[str] = MISSING
    tokenizer: str = MISSING
    binning: Any = MISSING
    sep: Optional[str] = MISSING
    label_kind: str = MISSING
    split_column: Optional[str] = MISSING
    augment_splits: List[str] = MISSING
    max_rows: int = MISSING
    max_bytes: int = MISSING


# ---------------------------------------------------------------- embeddings/


@dataclass
class Embeddings:
    source: str = MISSING
    format: str = MISSING
    dtype: str = MISSING
    limit: Optional[int] = MISSING
    cache_dir: Any = MISSING  # null, false or a folder
    lowercase_fallback: bool = MISSING
    allow_tf32: bool = MISSING
    neighbour_cache: Any = MISSING  # true, false or a folder
    trust_shared_cache: bool = MISSING
    allow_pickle: bool = MISSING  # format=gensim_kv only: a pickle can run code


# ---------------------------------------------------------------- augment/


@dataclass
class RareWords:
    max_rank_ratio: Any = MISSING  # a number >= 1 or null
    free_rank: int = MISSING


@dataclass
class Grammar:
    enabled: bool = MISSING
    tagger: str = MISSING
    spacy_model: str = MISSING
    pos: List[str] = MISSING
    inflect: bool = MISSING
    bare_nouns: bool = MISSING
    tag_cache: Any = MISSING  # true, false or a folder


@dataclass
class CorpusGuard:
    enabled: bool = MISSING
    margin: float = MISSING
    prior_strength: Any = MISSING  # auto or a number
    model: str = MISSING
    ridge: float = MISSING
    emotions: str = MISSING
    neighbours: int = MISSING
    min_neighbour_similarity: float = MISSING


@dataclass
class LexiconGuard:
    enabled: bool = MISSING
    dead_zone: float = MISSING
    path: Optional[str] = MISSING
    keep_affect: Optional[float] = MISSING


@dataclass
class Guard:
    enabled: bool = MISSING
    # null where a mode switches the guards off without naming them (augment/seed.yaml)
    corpus: Optional[CorpusGuard] = None
    lexicon: Optional[LexiconGuard] = None


@dataclass
class Augment:
    mode: str = MISSING
    sampling_strategy: Any = MISSING  # auto, a fraction or {class: size}
    k: int = MISSING
    max_swaps: int = MISSING
    min_similarity: float = MISSING
    max_per_source: Optional[int] = MISSING
    attempts_per_row: int = MISSING
    protect: bool = MISSING
    rare_words: RareWords = MISSING
    thesaurus: Optional[str] = MISSING
    wordnet: Any = MISSING  # true, related or false
    reciprocal: bool = MISSING
    grammar: Grammar = MISSING
    guard: Guard = MISSING
    min_fluency: Optional[float] = MISSING
    encoder: bool = MISSING
    encoder_min_fluency: Optional[float] = MISSING


# ---------------------------------------------------------------- caps/


@dataclass
class NoCaps:
    kind: str = MISSING
    region: Any = MISSING  # {emotion: [lo, hi]} or null
    cap_per_class: Optional[int] = MISSING
    emotions: Optional[List[str]] = MISSING


@dataclass
class RectangleCaps:
    kind: str = MISSING
    cap_per_class: Optional[int] = MISSING
    region: Any = MISSING  # null: notebook_region (a mapping given on the command line replaces, never merges)
    notebook_region: Any = MISSING
    emotions: Optional[List[str]] = MISSING


# ---------------------------------------------------------------- the primary configs


@dataclass
class LicConfig:
    method: str = MISSING
    dtype: str = MISSING


@dataclass
class StopwordsConfig:
    source: str = MISSING
    extra: List[str] = MISSING
    remove: List[str] = MISSING


@dataclass
class ReportConfig:
    enabled: bool = MISSING
    top_words: int = MISSING
    swap_samples: int = MISSING
    quality_sample: int = MISSING
    max_panels: int = MISSING
    min_word_sentences: int = MISSING
    subject_column: Optional[str] = MISSING
    max_table_rows: int = MISSING


@dataclass
class OutputConfig:
    format: str = MISSING


@dataclass
class AugmentApp:
    """``conf/augment.yaml``: the main job."""

    data: Any = MISSING
    embeddings: Any = MISSING
    augment: Any = MISSING
    caps: Any = MISSING
    emotion: Any = MISSING  # a column name or a list of names
    device: str = MISSING
    seed: int = MISSING
    verbose: bool = MISSING
    lic: LicConfig = MISSING
    stopwords: StopwordsConfig = MISSING
    output: OutputConfig = MISSING
    report: ReportConfig = MISSING


@dataclass
class GroupConfig:
    column: str = MISSING
    prefix_sep: Optional[str] = MISSING


@dataclass
class TfidfConfig:
    ngram_max: int = MISSING
    min_df: int = MISSING
    C: float = MISSING
    max_iter: int = MISSING


@dataclass
class MlpConfig:
    hidden: int = MISSING
    epochs: int = MISSING
    batch_size: int = MISSING
    lr: float = MISSING
    weight_decay: float = MISSING


@dataclass
class RidgeConfig:
    alpha: float = MISSING


@dataclass
class StudyConfig:
    """``conf/study/*.yaml``: the points of the evaluation (learning curve x budgets)."""

    fractions: List[float] = MISSING
    budgets: Any = MISSING  # [sampling_strategy, ...]
    per_source: List[int] = MISSING


@dataclass
class EvaluateApp:
    """``conf/evaluate.yaml``: the evaluation."""

    data: Any = MISSING
    embeddings: Any = MISSING
    augment: Any = MISSING
    augment_seed: Any = MISSING
    study: Any = MISSING
    emotion: Any = MISSING
    device: str = MISSING
    threads: Optional[int] = MISSING
    seeds: List[int] = MISSING
    test_size: float = MISSING
    group: GroupConfig = MISSING
    methods: List[str] = MISSING
    cheap_baselines: List[str] = MISSING
    comparisons: Any = MISSING  # [[method, baseline], ...]
    classifiers: List[str] = MISSING
    regressors: List[str] = MISSING
    tfidf: TfidfConfig = MISSING
    mlp: MlpConfig = MISSING
    ridge: RidgeConfig = MISSING
    guard: Any = MISSING  # an augment.guard mapping or null
    lic: LicConfig = MISSING
    stopwords: StopwordsConfig = MISSING
    out_dir: Optional[str] = MISSING
    verbose: bool = MISSING


# (group, name, node): the base node each YAML names first in its defaults list
SCHEMAS = (
    (None, "augment_schema", AugmentApp),
    (None, "evaluate_schema", EvaluateApp),
    ("data", "base_demo", DemoData),
    ("data", "base_csv", CsvData),
    ("data", "base_emobank", EmobankData),
    ("data", "base_seed_csv", SeedCsvData),
    ("embeddings", "base_embeddings", Embeddings),
    ("augment", "base_augment", Augment),
    ("caps", "base_none", NoCaps),
    ("caps", "base_rectangle", RectangleCaps),
    ("study", "base_study", StudyConfig),
)


def run_id() -> str:
    """This process's id and 4 random hex digits: ``${lic_gpu.run_id:}`` in ``hydra.run.dir`` keeps
    two runs started in the same second (on one machine or several) out of each other's folder."""
    global _RUN_ID
    if _RUN_ID is None:
        _RUN_ID = f"{os.getpid()}-{os.urandom(2).hex()}"
    return _RUN_ID


_RUN_ID: str | None = None


def register() -> None:
    """Put the schemas into Hydra's ConfigStore and the resolvers ``lic_gpu.run_id`` and
    ``lic_gpu.safe_name`` into OmegaConf (idempotent)."""
    store = ConfigStore.instance()
    for group, name, node in SCHEMAS:
        store.store(group=group, name=name, node=node)
    if not OmegaConf.has_resolver("lic_gpu.run_id"):
        OmegaConf.register_new_resolver("lic_gpu.run_id", run_id, use_cache=True)
    if not OmegaConf.has_resolver("lic_gpu.safe_name"):
        # a sweep job's folder is named after its overrides (emotion=../x): a safe name, never a path
        OmegaConf.register_new_resolver("lic_gpu.safe_name", _safe_name)


def _safe_name(value: Any) -> str:
    """A sweep job's folder name from its overrides (``${hydra.overrides.task}``, or a text): the overrides
    sorted as Hydra's ``override_dirname`` sorts them, except that a path's value is its last part and comes
    after the others (``emotion=valence,data.path=ratings.csv``, not a long path that pushes the swept value
    past the name's length limit); as a safe file name, never a path."""
    from lic_gpu.io.file_names import safe_file_name

    if isinstance(value, str):
        return safe_file_name(value)
    swept = set(filter(None, os.environ.get(SWEPT_KEYS_ENV, "").split(",")))
    first: list[str] = []
    plain: list[str] = []
    paths: list[str] = []
    for line in map(str, value):
        key, eq, val = line.partition("=")
        path = bool(eq) and ("/" in val or "\\" in val)
        if path:
            line = f"{key}={val.rstrip('/').replace(chr(92), '/').rsplit('/', 1)[-1]}"
        (first if key.lstrip("+~") in swept else paths if path else plain).append(line)
    return safe_file_name(",".join(sorted(first) + sorted(plain) + sorted(paths)))


# the keys a sweep's command line sweeps (set by lic_gpu.app.entry.run_hydra_app): their values name each
# job's folder first, so a long list of other overrides cannot cut them off
SWEPT_KEYS_ENV = "LIC_GPU_SWEPT_KEYS"


def note_swept_keys(args: list[str]) -> None:
    """Put the keys the command line sweeps (``emotion=arousal,valence``) into :data:`SWEPT_KEYS_ENV` for the
    jobs' folder names (:func:`_safe_name`; launchers' worker processes inherit it). Nothing for a single run."""
    if not any(a in ("-m", "--multirun") for a in args):
        return
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser, keys = OverridesParser.create(), []
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            continue
        try:
            (o,) = parser.parse_overrides([arg])
        except Exception:  # noqa: BLE001  Hydra reports its own syntax errors
            continue
        if o.is_sweep_override():
            keys.append(o.key_or_group)
    os.environ[SWEPT_KEYS_ENV] = ",".join(keys)


register()
