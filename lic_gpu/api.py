"""The Python API: :func:`augment_frame` for notebooks, :class:`LicResampler` for imbalanced-learn pipelines.

Both compose the command line's config (``conf/``, via :func:`lic_gpu.app.config.compose_config`), so every
default is the command line's; keyword options and Hydra ``overrides`` change it the same way
``key=value`` does on the command line. Both run the command line's own code
(:func:`lic_gpu.app.pipeline.augment_corpus`); nothing is written to disk except the caches.

    from lic_gpu import augment_frame
    out = augment_frame(df, text="sentence", emotion="arousal")           # originals + new rows

    from imblearn.pipeline import make_pipeline
    pipe = make_pipeline(LicResampler(), TfidfVectorizer(), LogisticRegression(max_iter=1000))
    cross_validate(pipe, texts, labels, cv=5)                             # augments each training fold only
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from lic_gpu.app.api_inputs import (
    check_numeric_labels,
    corpus_from_frame,
    check_overrides_literal,
    literal,
    shortfalls,
    user_names,
    warn_shortfalls,
)
from lic_gpu.errors import LicGpuError
from lic_gpu.io.resource_cache import reusing

# A DataFrame is a table: the API composes the command line's config for one table, ``data=csv``.
TABLE_DATA = "data=csv"
# Keyword option -> config path (anything else: ``overrides=["group.key=value", ...]``).
OPTION_PATHS = {
    "emotion": "emotion",
    "text": "data.text_column",
    "ids": "data.id_columns",
    "ratings": "data.rating_columns",
    "sampling_strategy": "augment.sampling_strategy",
    "k": "augment.k",
    "max_swaps": "augment.max_swaps",
    "min_similarity": "augment.min_similarity",
    "max_per_source": "augment.max_per_source",
    "attempts_per_row": "augment.attempts_per_row",
    "guard": "augment.guard.enabled",
    "min_fluency": "augment.min_fluency",
    "encoder": "augment.encoder",
    "encoder_min_fluency": "augment.encoder_min_fluency",
    "binning": "data.binning",
    "tokenizer": "data.tokenizer",
    "label_kind": "data.label_kind",
    "split_column": "data.split_column",
    "augment_splits": "data.augment_splits",
    "embeddings": "embeddings.source",
    "lic_method": "lic.method",
    "device": "device",
    "seed": "seed",
    "random_state": "seed",  # scikit-learn's name for the random seed (augment.mode=seed is another thing)
}
# ``mode`` chooses the augment config file (augment/seed.yaml, augment/diverse.yaml), as ``augment=seed`` does.
GROUP_OPTIONS = {"mode": "augment"}


def compose_options(options: Mapping[str, Any], overrides: Sequence[str] = ()):
    """The command line's composed ``augment`` config for a table (``data=csv``), with keyword ``options``
    and Hydra ``overrides`` applied (``data.path`` is the in-memory frame).

    Returns ``(cfg, sampling_strategy)``; a callable ``sampling_strategy`` cannot live in a config and
    is returned apart (None when the config's value stands).
    """
    from omegaconf import OmegaConf, open_dict
    from omegaconf.errors import OmegaConfBaseException

    from lic_gpu.app.config import compose_config, config_error_message

    unknown = [k for k in options if k not in OPTION_PATHS and k not in GROUP_OPTIONS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], [*OPTION_PATHS, *GROUP_OPTIONS], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; options are {sorted([*OPTION_PATHS, *GROUP_OPTIONS])}"
        raise LicGpuError(f"unknown option {unknown[0]!r}{hint} (other config keys: overrides=['group.key=value'])")
    check_overrides_literal(overrides)
    for k in GROUP_OPTIONS:
        if options.get(k) is not None and (not isinstance(options[k], str) or not options[k].isidentifier()):
            raise LicGpuError(f"{k} must be the name of a config file such as 'diverse' or 'seed'; got {options[k]!r}")
    groups = [f"{GROUP_OPTIONS[k]}={v}" for k, v in options.items() if k in GROUP_OPTIONS and v is not None]
    cfg = compose_config([TABLE_DATA, *groups, *overrides])
    strategy = None
    with open_dict(cfg):
        cfg.data.path = "<DataFrame>"
        for name, value in options.items():
            if name in GROUP_OPTIONS or value is None:
                continue
            if name == "sampling_strategy" and callable(value) and not isinstance(value, Mapping):
                strategy = value
                continue
            try:
                # taken literally: a '${...}' in a value from Python is text, never an interpolation
                OmegaConf.update(cfg, OPTION_PATHS[name], literal(value), merge=False)
            except OmegaConfBaseException as err:  # a value of the wrong type for the typed config
                raise LicGpuError(f"{name}={value!r}: {config_error_message(err)}") from None
    return cfg, strategy


def _caps(done, settings) -> pd.DataFrame:
    from lic_gpu.caps import apply_caps

    caps = settings.caps
    if caps["kind"] == "none":
        return done.frame
    return apply_caps(
        done.frame,
        done.classes,
        kind=caps["kind"],
        region=caps.get("region"),
        cap_per_class=caps.get("cap_per_class"),
        seed=settings.seed,
        emotions=caps.get("emotions"),
    ).frame


@contextmanager
def _logged_as(internal: str, shown: str) -> Iterator[None]:
    """lic_gpu's log lines made meanwhile say ``shown`` where they would name ``internal`` (a column the
    caller never made)."""
    made = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = made(*args, **kwargs)
        if record.name.startswith("lic_gpu"):
            text = record.getMessage()
            if internal in text:
                record.msg, record.args = text.replace(internal, shown), ()
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(made)


def augment_frame(
    df: pd.DataFrame,
    text: str | None = None,
    emotion: str | Sequence[str] | None = None,
    *,
    overrides: Sequence[str] = (),
    **options,
) -> pd.DataFrame:
    """Augment a DataFrame as the command line augments a table (``data=csv``); returns originals + new rows.

    Parameters
    ----------
    df : one row per sentence: the text column, the label column(s), anything else (kept; new rows copy it)
    text : the text column (None: ``data.text_column``, ``text``)
    emotion : the label column(s) to balance, ratings (ordinal) or category names such as joy, anger
        (None: the config's ``emotion``)
    overrides : Hydra overrides, e.g. ``["augment.guard.lexicon.enabled=false", "caps=rectangle"]``
    **options : ``mode`` (``diverse``/``seed``) and the keys of :data:`OPTION_PATHS`: ``ids`` (id
        columns; when they identify rows, new rows get unique ids; none given: a column called ``id`` or
        ``..._id`` that identifies every row is taken), ``ratings`` (rating columns; None:
        every numeric column), ``k``, ``max_swaps``, ``sampling_strategy`` (also a callable), ``device``,
        ``seed``, ``split_column``, ``label_kind`` ...; anything not given is the command line's default

    Returns
    -------
    DataFrame: the input rows (RangeIndex) then the new rows, with ``is_augmented, row_id, source_row,
    augmented_for, swaps``; capped when the config asks for caps. ``.attrs["lic_gpu"]`` holds the
    per-class report (requested, generated, shortfall reasons), the label kinds and ``shortfalls``.

    Classes that got fewer new rows than asked are one :class:`~lic_gpu.errors.LicGpuWarning`, a line
    per class naming it, the rows asked and made and why. Input columns named like the
    provenance columns are kept as ``previous_<name>`` (with a warning), as the command line does.
    Values are taken literally: a ``${...}`` in a keyword value is text, never an interpolation.
    """
    from lic_gpu.app.pipeline import augment_corpus
    from lic_gpu.app.run_setup import settings_from_config

    given = {"text": text, "emotion": emotion}
    check_overrides_literal(overrides)
    try:
        cfg, strategy = compose_options({**{k: v for k, v in given.items() if v is not None}, **options}, overrides)
        settings = settings_from_config(cfg, data_in_memory=True)
        if strategy is not None:
            settings.augment["sampling_strategy"] = strategy
        data = settings.data
        frame = df.rename(columns=dict(data["rename"])) if data.get("rename") else df
        corpus = corpus_from_frame(
            frame,
            data["text_column"],
            settings.emotions,
            id_columns=data.get("id_columns") or (),
            rating_columns=data.get("rating_columns"),
            non_rating_columns=data.get("non_rating_columns") or (),
        )
        with reusing():  # vectors, thesaurus and tagger loaded once per process (lic_gpu.io.resource_cache)
            done = augment_corpus(corpus, settings)
        out = _caps(done, settings).copy()
    except LicGpuError as err:  # in the caller's terms: text=, binning=, not data.text_column
        raise LicGpuError(user_names(str(err), OPTION_PATHS)) from None
    short = shortfalls(done.runs)
    warn_shortfalls(short, "augment_frame")
    for c in corpus.rating_columns:  # the caller's dtype back where it holds every value
        if c in frame.columns and out[c].notna().all() and isinstance(frame[c].dtype, np.dtype):
            out[c] = out[c].astype(frame[c].dtype)
    out.attrs["lic_gpu"] = {
        "label_kinds": dict(done.kinds),
        "splits": done.splits.as_dict(),
        "classes": {r.emotion: {c: rep.as_dict() for c, rep in r.result.classes.items()} for r in done.runs},
        "notes": {r.emotion: list(r.notes) for r in done.runs},
        "shortfalls": short,
    }
    return out


# LicResampler's parameters handed to the config as they are (besides ``mode`` and the random state)
_RESAMPLER_OPTIONS = (
    "sampling_strategy",
    "k",
    "max_swaps",
    "min_similarity",
    "max_per_source",
    "attempts_per_row",
    "guard",
    "label_kind",
    "binning",
    "embeddings",
    "device",
)
# LicResampler's parameters -> config paths (its errors name the parameters; the label is ``y``).
_RESAMPLER_PATHS = {k: v for k, v in OPTION_PATHS.items() if k in (*_RESAMPLER_OPTIONS, "seed")}


class LicResampler(BaseEstimator):
    """LIC-guided word-swap over-sampler for texts, in imbalanced-learn's ``fit_resample`` shape.

    Every parameter left at ``None`` takes the command line's default from ``conf/`` (the value is
    read when fitting, so ``get_params`` shows what was asked, not the defaults).

    Parameters
    ----------
    text_column : for a DataFrame ``X``: the text column (None: the only column, or ``data.text_column``); the
        other columns are copied into new rows
    mode : ``diverse`` or ``seed`` (the config file ``augment/<mode>.yaml``)
    sampling_strategy : ``auto``, ``not majority``, ``minority``, ``not minority``, ``all``, a float in
        (0, 1], a dict ``{class: size}`` or a callable ``y -> dict`` (imbalanced-learn's meanings)
    k, max_swaps, min_similarity, max_per_source, attempts_per_row : the ``augment`` options
    guard : swap guards on/off (``augment.guard.enabled``)
    label_kind : ``auto`` (numbers are ordinal ratings, anything else categories), ``ordinal`` or ``categorical``
    binning : how numeric labels become classes (``data.binning``)
    embeddings : word vectors (``embeddings.source``): ``glove-6b-50d``, a gensim-data name or a path
    device : ``auto``, ``cpu``, ``cuda`` ...
    random_state : int, the one source of randomness (scikit-learn's name; the config's ``seed``)
    seed : deprecated alias of ``random_state`` (a FutureWarning when set); not ``mode="seed"``
    overrides : further Hydra overrides, e.g. ``("augment.guard.lexicon.enabled=false",)``

    Attributes
    ----------
    sample_indices_ : for every output row, the position in ``X`` of its row (originals) or source (new rows)
    provenance_ : DataFrame, one row per output row: ``is_augmented, source_index, label, swaps``
    report_ : {class: {before, requested, generated, fill_rate, shortfall_reason ...}}; a short class also
        has ``shortfall``, the text of the :class:`~lic_gpu.errors.LicGpuWarning` it raised
    label_kind_ : ``ordinal`` or ``categorical``
    classes_ : the classes seen
    """

    _LABEL = "__lic_label__"

    def __init__(
        self,
        *,
        text_column: str | None = None,
        mode: str | None = None,
        sampling_strategy: Any = None,
        k: int | None = None,
        max_swaps: int | None = None,
        min_similarity: float | None = None,
        max_per_source: int | None = None,
        attempts_per_row: int | None = None,
        guard: bool | None = None,
        label_kind: str | None = None,
        binning: Any = None,
        embeddings: str | None = None,
        device: str | None = None,
        random_state: int | None = None,
        seed: int | None = None,
        overrides: Sequence[str] = (),
    ):
        self.text_column = text_column
        self.mode = mode
        self.sampling_strategy = sampling_strategy
        self.k = k
        self.max_swaps = max_swaps
        self.min_similarity = min_similarity
        self.max_per_source = max_per_source
        self.attempts_per_row = attempts_per_row
        self.guard = guard
        self.label_kind = label_kind
        self.binning = binning
        self.embeddings = embeddings
        self.device = device
        self.random_state = random_state
        self.seed = seed
        self.overrides = overrides

    def _options(self) -> dict[str, Any]:
        names = ("mode", *_RESAMPLER_OPTIONS)
        out = {n: getattr(self, n) for n in names if getattr(self, n) is not None}
        random_state = self._random_state()
        if random_state is not None:
            out["seed"] = random_state
        return out

    def _random_state(self) -> int | None:
        """``random_state``, or the deprecated ``seed`` (with a FutureWarning); both given must agree."""
        if self.seed is None:
            return self.random_state
        warnings.warn(
            "LicResampler(seed=...) is deprecated and will be removed; use random_state=... (scikit-learn's name)",
            FutureWarning,
            stacklevel=3,
        )
        if self.random_state is not None and self.random_state != self.seed:
            raise ValueError(
                f"LicResampler: random_state={self.random_state!r} and its deprecated alias "
                f"seed={self.seed!r} differ; give random_state only"
            )
        return self.seed

    def fit(self, X, y):
        """Validate ``X, y`` and return ``self`` (use :meth:`fit_resample`; a Pipeline does)."""
        self._check_inputs(X, y)
        return self

    def fit_resample(self, X, y):
        """Add LIC-guided new texts to the smaller classes.

        Parameters
        ----------
        X : sequence of texts (list, array, Series) or a DataFrame with a text column
        y : the class label of each text: ratings (numbers) or category names

        Returns
        -------
        X_res, y_res : the inputs' rows followed by the new rows, in the inputs' container types
        (a list stays a list, an array an array, a Series/DataFrame gets a new RangeIndex).
        """
        from lic_gpu.app.pipeline import augment_corpus
        from lic_gpu.app.run_setup import settings_from_config

        options = self._options()
        options["split_column"] = None  # the pipeline hands over the training fold alone
        check_overrides_literal(self.overrides)
        try:
            cfg, strategy = compose_options(options, self.overrides)
            settings = settings_from_config(cfg, emotion=self._LABEL, data_in_memory=True)
            frame, text, labels = self._check_inputs(X, y, settings.data["text_column"])
            numeric = pd.api.types.is_numeric_dtype(labels.dtype) and not pd.api.types.is_bool_dtype(labels.dtype)
            if numeric:
                check_numeric_labels(labels.to_numpy(dtype=float))
            if strategy is not None:
                settings.augment["sampling_strategy"] = strategy
            from lic_gpu.io.data import Corpus

            work = frame.assign(
                **{self._LABEL: labels.to_numpy(dtype=float) if numeric else labels.astype(str).to_numpy()}
            )
            corpus = Corpus(work, text, (), (self._LABEL,) if numeric else (), "LicResampler input")
            # one load per process across cross_validate's folds (lic_gpu.io.resource_cache); the run's log
            # lines name y, not the internal label column
            with reusing(), _logged_as(self._LABEL, "y"):
                done = augment_corpus(corpus, settings)
        except LicGpuError as err:  # in the caller's terms: y, binning=, never the internal label column
            said = user_names(str(err), _RESAMPLER_PATHS, label=self._LABEL).removeprefix("LicResampler input: ")
            raise LicGpuError(f"LicResampler: {said}") from None
        run = done.runs[0]
        out = done.frame
        n = len(frame)
        new = out.iloc[n:]
        self.label_kind_ = run.kind
        self.sample_indices_ = out["source_row"].to_numpy(dtype=np.int64)
        short = shortfalls(done.runs)
        self.report_ = {c: rep.as_dict() for c, rep in run.result.classes.items()}
        for s in short:  # the warning's text, where a caller reads the report
            self.report_[s["class"]]["shortfall"] = s["message"]
        warn_shortfalls(short, "LicResampler", what="y")
        self.classes_ = np.array(sorted(run.result.classes), dtype=object)
        back = {} if numeric else {str(v): v for v in pd.unique(labels)}  # names back to the caller's values
        new_labels = [back.get(row.cls, row.cls) if back else row.cls for row in run.result.rows]
        self.provenance_ = pd.DataFrame(
            {
                "is_augmented": out["is_augmented"].to_numpy(),
                "source_index": self.sample_indices_,
                "label": list(labels) + new_labels,
                "swaps": out["swaps"].to_numpy(),
            }
        )
        sources = self.sample_indices_[n:]
        return self._pack_X(X, frame, text, new[text].tolist(), sources), self._pack_y(y, labels, new_labels)

    # -- inputs and outputs in the caller's containers

    def _check_inputs(self, X, y, default_text: str = "text") -> tuple[pd.DataFrame, str, pd.Series]:
        if isinstance(X, pd.DataFrame):
            text = self.text_column
            if text is None:
                text = X.columns[0] if X.shape[1] == 1 else default_text
            if text not in X.columns:
                raise ValueError(
                    f"LicResampler: X has no text column {text!r}; columns are {list(X.columns)} (set text_column=)"
                )
            frame = X.reset_index(drop=True).copy()
            frame.columns = [str(c) for c in frame.columns]
            text = str(text)
        else:
            values = np.asarray(X, dtype=object)
            if values.ndim == 2 and values.shape[1] == 1:
                values = values[:, 0]
            if values.ndim != 1:
                raise ValueError(
                    f"LicResampler: X must be a sequence of texts or a DataFrame; got shape {values.shape}"
                )
            text = "text"
            frame = pd.DataFrame({text: values})
        bad = [i for i, t in enumerate(frame[text].tolist()) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"LicResampler: X[{bad[0]}] is not a text: {frame[text].iloc[bad[0]]!r}")
        labels = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y.to_numpy())
        if len(labels) != len(frame):
            raise ValueError(f"LicResampler: X has {len(frame)} rows but y has {len(labels)} labels")
        if labels.isna().any():
            raise ValueError(f"LicResampler: y has a missing label at position {int(np.flatnonzero(labels.isna())[0])}")
        return frame, text, labels

    @staticmethod
    def _pack_X(X, frame: pd.DataFrame, text: str, new_texts: list[str], sources: np.ndarray):
        if isinstance(X, pd.DataFrame):
            original = X.reset_index(drop=True)
            new = original.iloc[sources].reset_index(drop=True)
            text_label = X.columns[[str(c) for c in X.columns].index(text)]
            new[text_label] = new_texts
            from lic_gpu.io.frames import detect_id_columns, new_row_ids

            for c in detect_id_columns(original, [text_label]):  # an id column stays unique, as augment_frame's
                n = len(original)
                new[c] = new_row_ids(original[c], sources, np.arange(n, n + len(new), dtype=np.int64))
            return pd.concat([original, new], ignore_index=True)
        texts = frame[text].tolist() + new_texts
        if isinstance(X, pd.Series):
            return pd.Series(texts, name=X.name, dtype=object)
        if isinstance(X, np.ndarray):
            out = np.empty(len(texts), dtype=object)
            out[:] = texts
            return out.reshape(-1, 1) if X.ndim == 2 else out
        return texts

    def _pack_y(self, y, labels: pd.Series, new_labels: list):
        values = list(labels) + new_labels
        dtype = labels.dtype if pd.api.types.is_numeric_dtype(labels.dtype) else object
        if isinstance(y, pd.Series):
            return pd.Series(values, name=y.name, dtype=dtype)
        return np.asarray(values, dtype=dtype)
