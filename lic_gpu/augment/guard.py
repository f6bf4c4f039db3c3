"""Swap guards: refuse replacements that would change a sentence's rating (issue 8).

Word vectors put antonyms close together (``joy -> sadness``, ``hell -> heaven``), so a
nearest-neighbour swap can move a sentence to another level of the very emotion it is meant to
stay in. In ``mode=diverse`` the sampler asks every guard ``guard(cls, old_word, new_word)`` for
each candidate neighbour; a returned string is the refusal reason and is counted per reason in
``AugmentResult.refusals``.

Rating-lean guard (``augment.guard.corpus``, reason ``"rating_lean"``)
    Learned from the user's own data, so it works for any ordinal emotion, not only valence.
    From the class x vocabulary counts of the emotion (merged over case) each word ``w`` gets

    * ``m_w`` -- the mean class level of its ``n_w`` occurrences,
    * a posterior mean shrunk toward the corpus mean level ``mu`` with ``alpha`` pseudo-counts
      spread as the class prior (additive/Dirichlet smoothing): ``(n_w m_w + alpha mu) / (n_w + alpha)``,
    * its *lean*: that posterior mean minus ``mu``, divided by ``tau``, the spread of true word
      means across the vocabulary.

    ``alpha = sigma^2 / tau^2`` (``prior_strength: auto``) comes from an empirical-Bayes moment
    estimate over words seen at least twice: ``tau^2 = mean (m_w - mu)^2 - mean sigma^2 / n_w``,
    with ``sigma^2`` the class-level variance of all tokens. A word seen once or twice is pulled
    almost to 0 (no evidence, no lean), a word seen hundreds of times keeps its mean: rare words
    cannot block or license swaps on noise. Leans are in units of ``tau``, so one ``margin``
    means the same on a 3-class and a 9-class emotion.

    Words that are not in the corpus (most replacements come from the vectors' vocabulary) take
    the similarity-weighted mean lean of their ``neighbours`` nearest corpus words seen at least
    twice (cosine at least ``min_neighbour_similarity``), looked up on first sight and cached;
    :meth:`RatingLeanGuard.prefetch` does many words in one search. Words with no such neighbour,
    or not in the vectors, count as lean 0.

    ``model: regression`` (default ``neighbours``) replaces the neighbour average by a linear model:
    a weighted ridge regression (closed form, ``ridge`` relative to the Gram diagonal) of each corpus
    word's raw standardised mean level on its unit vector, weight ``n_w / (n_w + alpha)``, fitted once
    per emotion in ``prepare``. Every corpus word with a vector is then shrunk toward its *prediction*
    instead of toward 0, with ``alpha / s^2`` pseudo-counts (``s`` the residual spread in units of
    ``tau``), and absent words take the prediction (one batched matrix product in ``prefetch``).
    On EmoBank with GloVe 6B-50d the vectors explain little of the corpus lean (weighted R^2 0.09
    arousal, 0.16 valence) and the flip rate is within noise of ``neighbours``.

    A swap is refused when ``|lean(new) - lean(old)| > margin``. Classes are taken as ordered
    levels (their numeric value; non-numeric labels use their sorted rank). ``prepare`` does the
    tensor maths once per emotion; a call is two dict look-ups. A new row inherits *every* rating
    of its source, so :meth:`RatingLeanGuard.prepare_many` can check several emotions at once.
    With ``emotions: all``, :meth:`RatingLeanGuard.prepare` (``emotion, lic, others={other column:
    LicResult}``) does so; with ``emotions: augmented`` (default) it checks ``emotion`` only.

Lexicon guard (``augment.guard.lexicon``, reason ``"lexicon_flip"``)
    VADER's valence lexicon (``vader_lexicon.txt`` from vaderSentiment, MIT): refuse a swap when
    both words are in the lexicon, both valences are outside ``[-dead_zone, dead_zone]``, and their
    signs differ. English valence only (other languages rarely match, so it rarely refuses).
    On by default: on EmoBank the corpus guard alone cuts polarity flips but not to the 1 % that
    issue 8 asks (a sentence-level corpus lean also absorbs context: ``alert`` leans negative
    because it appears in bad news); benchmarks/results/swap_quality.md measures both.
    ``keep_affect`` (off by default): a word the lexicon rates that strongly is never replaced (``"affect_word"``).

:func:`lic_gpu.report.quality.swap_quality` measures the polarity-flip rate (and junk) of a list of ``(old, new)`` swaps.

Config: ``augment.guard`` (its options and their defaults are in ``conf/augment/diverse.yaml``; what a
call leaves out is taken from there).
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

import torch

from lic_gpu.io.conf_files import (
    FROM_CONFIG,
    FromConfig,
    augment_defaults,
    default_option,
    given_or_default,
    with_defaults,
)
from lic_gpu.errors import LicGpuError
from lic_gpu.validators import check_bool
from lic_gpu.augment.guard_options import (  # noqa: F401  (the checks are read from here too)
    _GUARD_KEYS,
    _CORPUS_KEYS,
    _LEXICON_KEYS,
    _section,
    _check_number,
    check_margin,
    check_prior_strength,
    check_neighbours,
    check_min_neighbour_similarity,
    check_choice,
    check_ridge,
    check_dead_zone,
    check_keep_affect,
)
from lic_gpu.augment.lexicon_guard import LexiconGuard, is_flip, load_valence_lexicon, vader_lexicon_path  # noqa: F401
from lic_gpu.augment.lean import cached_neighbour_leans
from lic_gpu.augment.lean import (
    ALPHA_BOUNDS,
    class_levels,
    fit_lean_regression,
    merge_case,
    neighbour_leans,  # noqa: F401
    word_leans,
)

log = logging.getLogger(__name__)

MODELS = ("neighbours", "regression")
EMOTION_SCOPES = ("augmented", "all")
# Corpus words seen fewer times are not used as neighbours for words absent from the corpus.
FALLBACK_MIN_COUNT = 2


# ---------------------------------------------------------------- the guards


@runtime_checkable
class SwapGuard(Protocol):
    """What the pipeline, the sampler and the evaluation ask of a swap guard.

    ``prepare(emotion, lic, others)`` once per emotion before any swap is checked (``others``: the
    class x word counts of the other rating columns, passed only when ``needs_other_ratings``);
    ``prefetch(words)`` with every candidate replacement, so look-ups can be batched; then
    ``guard(cls, old_word, new_word)`` per candidate: a refusal reason (counted in ``summary.json``)
    or ``None``.
    """

    reason: str
    needs_other_ratings: bool

    def prepare(self, emotion: str, lic, others: Mapping[str, Any] | None = None) -> None: ...

    def prefetch(self, words: Iterable[str]) -> None: ...

    def __call__(self, cls, old_word: str, new_word: str) -> str | None: ...


class _LeanTable:
    """The leans of one emotion: corpus words from the counts, others through their corpus neighbours."""

    def __init__(
        self,
        lean: dict[str, float],
        corpus_vectors,
        corpus_leans,
        store,
        neighbours: int,
        min_similarity: float,
        stats: dict,
        regression: tuple[torch.Tensor, float] | None = None,
    ):
        self.lean_of = lean
        self.corpus_vectors, self.corpus_leans = corpus_vectors, corpus_leans
        self.store, self.neighbours, self.min_similarity = store, neighbours, min_similarity
        self.stats = stats
        self.regression = regression  # (coef, bias): lean predicted from the vector, model=regression

    def prefetch(self, words: Iterable[str]) -> None:
        todo = [w for w in dict.fromkeys(x.lower() for x in words) if w not in self.lean_of]
        if not todo:
            return
        rows = [self.store.resolve(w) if self.store is not None else None for w in todo]
        # sorted: a word's lean depends (in the last bits) on its batch and place in it, and the words
        # come from sets, whose order changes between processes; sorted, runs agree and can be cached
        found = sorted((w, r) for w, r in zip(todo, rows) if r is not None)
        for w, r in zip(todo, rows):
            if r is None:
                self.lean_of[w] = 0.0
        if found and self.regression is not None:
            vecs = self.store.vectors
            q = vecs[torch.tensor([r for _, r in found], dtype=torch.long, device=vecs.device)]
            coef, bias = self.regression
            leans = (q.to(torch.float64).cpu() @ coef + bias).tolist()
        elif found and self.corpus_vectors is not None:
            vecs = self.store.vectors
            q = vecs[torch.tensor([r for _, r in found], dtype=torch.long, device=vecs.device)]
            # the same inputs as a run before (a warm re-run): its answer from disk (lean.cached_neighbour_leans)
            leans = cached_neighbour_leans(
                getattr(self.store, "neighbour_cache_dir", None),
                q,
                self.corpus_vectors,
                self.corpus_leans,
                self.neighbours,
                self.min_similarity,
                lambda x: neighbour_leans(
                    x, self.corpus_vectors, self.corpus_leans, self.neighbours, self.min_similarity
                ),
            ).tolist()
        else:
            leans = [0.0] * len(found)
        for (w, _), v in zip(found, leans):
            self.lean_of[w] = v
        self.stats["fallback_words"] += len(found)

    def lean(self, word: str) -> float:
        v = self.lean_of.get(word)
        if v is None:
            key = word.lower()
            v = self.lean_of.get(key)
            if v is None:
                self.prefetch((key,))
                v = self.lean_of[key]
            self.lean_of[word] = v  # the original-case spelling too: the next look-up is one dict hit
        return v


class RatingLeanGuard:
    """Refuse a swap whose replacement leans toward another level than the word it replaces.

    Parameters
    ----------
    store : EmbeddingStore or None
        For words not in the corpus (their nearest corpus words); None: such words lean 0.
    margin : refuse when ``|lean(new) - lean(old)| > margin`` (units of ``tau``)
    prior_strength : "auto" or pseudo-counts ``alpha``
    neighbours, min_neighbour_similarity : the fallback for words not in the corpus (model=neighbours)
    model : "neighbours" or "regression" (lean predicted from the vector, see the module docstring)
    ridge : the regression's penalty, relative to the mean diagonal of its weighted Gram matrix
    emotions : "augmented" or "all"; with "all", :meth:`prepare_ratings` also checks its ``extra`` columns
    stats : dict filled per emotion with the fitted ``mu, sigma, tau, alpha`` and word counts
        (``build_guards`` shares it with the run summary)

    Options left out are ``augment.guard.corpus``'s in ``conf/augment/diverse.yaml``.
    """

    reason = "rating_lean"

    def __init__(
        self,
        store=None,
        margin: float | FromConfig = FROM_CONFIG,
        prior_strength: float | str | FromConfig = FROM_CONFIG,
        neighbours: int | FromConfig = FROM_CONFIG,
        min_neighbour_similarity: float | FromConfig = FROM_CONFIG,
        stats: dict | None = None,
        model: str | FromConfig = FROM_CONFIG,
        ridge: float | FromConfig = FROM_CONFIG,
        emotions: str | FromConfig = FROM_CONFIG,
    ):
        conf = augment_defaults("diverse")["guard"]["corpus"]  # options left out: augment.guard.corpus
        margin = given_or_default(margin, conf, "margin")
        neighbours = given_or_default(neighbours, conf, "neighbours")
        min_neighbour_similarity = given_or_default(min_neighbour_similarity, conf, "min_neighbour_similarity")
        model = given_or_default(model, conf, "model")
        ridge = given_or_default(ridge, conf, "ridge")
        emotions = given_or_default(emotions, conf, "emotions")
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}; got {model!r}")
        if emotions not in EMOTION_SCOPES:
            raise ValueError(f"emotions must be one of {EMOTION_SCOPES}; got {emotions!r}")
        self.model, self.ridge, self.scope = model, float(ridge), emotions
        self.store = store
        self.margin = float(margin)
        self.prior_strength = conf["prior_strength"] if prior_strength is FROM_CONFIG else prior_strength
        self.neighbours = int(neighbours)
        self.min_neighbour_similarity = float(min_neighbour_similarity)
        self.stats = {} if stats is None else stats
        self.emotions: list[str] = []
        self._tables: list[_LeanTable] = []

    def _table(self, emotion: str, lic) -> _LeanTable:
        counts, words = merge_case(lic.counts, lic.vocab)
        levels = class_levels(lic.classes)
        lean, fit = word_leans(counts, levels, self.prior_strength)
        lean = lean.cpu()
        corpus_vectors = corpus_leans = None
        keep, rows = [], []
        if self.store is not None:
            # Words seen once lean ~0 after shrinkage: as fallback neighbours they would only
            # dilute the evidence (and double the search).
            seen = (counts.sum(dim=0) >= FALLBACK_MIN_COUNT).tolist()
            for j, w in enumerate(words):
                r = self.store.resolve(w) if seen[j] else None
                if r is not None:
                    keep.append(j)
                    rows.append(r)
            if rows:
                vecs = self.store.vectors
                corpus_vectors = vecs[torch.tensor(rows, dtype=torch.long, device=vecs.device)]
                corpus_leans = lean[torch.tensor(keep, dtype=torch.long)]
        regression = None
        extra: dict = {}
        if self.model == "regression" and rows and fit["tau"] > 0:
            lean, regression, extra = self._regression_leans(counts, words, levels, lean, fit, keep, corpus_vectors)
        stats = (
            {k: round(v, 6) for k, v in fit.items()}
            | {
                "model": self.model,
                "corpus_words": len(words),
                "fallback_neighbour_pool": len(rows),
                "fallback_words": 0,
            }
            | extra
        )
        self.stats[emotion] = stats
        log.info(
            "rating-lean guard for %s: alpha=%.1f tau=%.4g over %d words (%s)",
            emotion,
            fit["alpha"],
            fit["tau"],
            len(words),
            self.model,
        )
        return _LeanTable(
            dict(zip(words, lean.tolist())),
            corpus_vectors,
            corpus_leans,
            self.store,
            self.neighbours,
            self.min_neighbour_similarity,
            stats,
            regression,
        )

    def _regression_leans(self, counts, words, levels, eb_lean, fit, keep, corpus_vectors):
        """model=regression: fit lean ~ vector on corpus words, shrink each word toward its prediction.

        Target: a word's raw mean level in lean units, ``z = (m_w - mu) / tau`` (noise variance
        ``alpha / n_w`` in those units); weight ``n_w / (n_w + alpha)`` (the inverse of its total
        variance ``1 + alpha / n_w``: true-mean spread plus sampling noise), on corpus words seen at
        least ``FALLBACK_MIN_COUNT`` times that have a vector. The residual spread ``s^2`` (moment
        estimate, as for ``tau``) sets the new prior strength ``alpha / s^2``: the better the vectors
        predict the lean, the less evidence a word needs to keep its prediction. Corpus words with a
        vector (seen once included) get ``(n z + alpha_r pred) / (n + alpha_r)``; words without one keep
        the shrink-to-0 lean.
        """
        n = counts.sum(dim=0).to(torch.float64).cpu()
        alpha, tau, mu = fit["alpha"], fit["tau"], fit["mu"]
        c = counts.to(torch.float64).cpu()
        z = ((c * levels[:, None]).sum(dim=0) / n.clamp_min(1) - mu) / tau
        idx = torch.tensor(keep, dtype=torch.long)
        nk, zk = n[idx], z[idx]
        x = corpus_vectors.to(torch.float64).cpu()
        coef, bias = fit_lean_regression(x, zk, nk / (nk + alpha), self.ridge)
        pred = x @ coef + bias
        s2 = float(((zk - pred) ** 2).mean() - (alpha / nk).mean())
        s2 = min(1.0, max(alpha / ALPHA_BOUNDS[1], s2))
        alpha_r = alpha / s2 if self.prior_strength == "auto" else alpha
        lean = eb_lean.clone().to(torch.float64)
        lean[idx] = (nk * zk + alpha_r * pred) / (nk + alpha_r)
        # words seen once (not in the fit, not fallback neighbours) shrink toward their prediction too
        kept = set(keep)
        once = [
            (j, r)
            for j, w in enumerate(words)
            if j not in kept and n[j] > 0
            for r in (self.store.resolve(w),)
            if r is not None
        ]
        if once:
            vecs = self.store.vectors
            jo = torch.tensor([j for j, _ in once], dtype=torch.long)
            po = vecs[torch.tensor([r for _, r in once], dtype=torch.long, device=vecs.device)]
            po = po.to(torch.float64).cpu() @ coef + bias
            lean[jo] = (n[jo] * z[jo] + alpha_r * po) / (n[jo] + alpha_r)
        w = nk / (nk + alpha)
        r2 = 1.0 - float((w * (zk - pred) ** 2).sum() / (w * (zk - (w * zk).sum() / w.sum()) ** 2).sum())
        extra = {
            "regression_r2": round(r2, 4),
            "residual_spread": round(math.sqrt(s2), 4),
            "alpha_regression": round(alpha_r, 3),
            "ridge": self.ridge,
        }
        return lean, (coef, bias), extra

    @property
    def needs_other_ratings(self) -> bool:
        """With ``emotions: all`` a swap is also checked against every other rating column."""
        return self.scope == "all"

    def prepare(self, emotion: str, lic, others: Mapping[str, Any] | None = None) -> None:
        """Leans of every corpus word for ``emotion``, from ``lic.counts`` (a :class:`LicResult`).

        ``others`` maps other rating columns to an object with ``counts`` (K, V), ``classes`` and
        ``vocab`` (a :class:`LicResult` of that column's labels over the same sentences, or any such
        namespace); they are checked too with ``emotions: all``, ignored with ``emotions: augmented``.
        """
        others = {e: v for e, v in (others or {}).items() if e != emotion}
        if self.scope == "all" and others:
            self.prepare_many({emotion: lic} | others)
        else:
            self.prepare_many({emotion: lic})

    def prepare_many(self, lics: Mapping[str, Any]) -> None:
        """Check swaps against several emotions at once (``{emotion: LicResult}``).

        A new row inherits every rating of its source, so a swap made for arousal should not move
        valence either; a swap is refused when it moves any of these emotions by more than ``margin``.
        """
        if not lics:
            raise ValueError("prepare_many needs at least one emotion")
        self.emotions = list(lics)
        self._tables = [self._table(e, lic) for e, lic in lics.items()]

    def prefetch(self, words: Iterable[str]) -> None:
        """Leans of many words not in the corpus in one search per emotion (cached for the calls)."""
        if not self._tables:
            raise RuntimeError("RatingLeanGuard.prefetch before prepare(emotion, lic)")
        words = list(words)
        for t in self._tables:
            t.prefetch(words)

    def lean(self, word: str, emotion: str | None = None) -> float:
        """The lean of ``word`` (case-insensitive) in ``emotion`` (default: the first prepared)."""
        if not self._tables:
            raise RuntimeError("RatingLeanGuard.lean before prepare(emotion, lic)")
        i = 0 if emotion is None else self.emotions.index(emotion)
        return self._tables[i].lean(word)

    def __call__(self, cls, old_word: str, new_word: str) -> str | None:
        if not self._tables:
            raise RuntimeError("RatingLeanGuard called before prepare(emotion, lic)")
        for t in self._tables:
            if abs(t.lean(new_word) - t.lean(old_word)) > self.margin:
                return self.reason
        return None


# ---------------------------------------------------------------- config


def build_guards(aug_cfg: dict, store=None, stopwords=frozenset()) -> tuple[list, dict[str, Any]]:
    """The guards ``augment.guard`` asks for, and a description for ``summary.json``.

    Parameters
    ----------
    aug_cfg : the ``augment`` config group as a plain dict (guard options under ``"guard"``)
    store : EmbeddingStore, for the corpus guard's fallback on words not in the corpus
    stopwords : unused (the sampler drops stopword replacements before any guard); kept for the contract

    Returns
    -------
    (guards, info); ``info["corpus"]["emotions"]`` is filled in as each emotion is prepared.
    """
    mode = aug_cfg.get("mode") or default_option("augment", "augment")
    guard_cfg = _section(aug_cfg.get("guard"), "augment.guard", _GUARD_KEYS)
    for part, keys in (("corpus", _CORPUS_KEYS), ("lexicon", _LEXICON_KEYS)):
        if part in guard_cfg:
            guard_cfg[part] = _section(guard_cfg[part], f"augment.guard.{part}", keys)
    # options left out are the YAML's (augment/<mode>.yaml, the guard options of augment/diverse.yaml)
    guard_cfg = with_defaults(augment_defaults(mode)["guard"], guard_cfg)
    enabled = check_bool(guard_cfg["enabled"], "augment.guard.enabled")
    corpus_cfg, lexicon_cfg = guard_cfg["corpus"], guard_cfg["lexicon"]
    # Validate everything, even what is switched off, so a typo never waits for the day it is used.
    corpus_on = check_bool(corpus_cfg["enabled"], "augment.guard.corpus.enabled")
    margin = check_margin(corpus_cfg["margin"])
    prior = check_prior_strength(corpus_cfg["prior_strength"])
    neighbours = check_neighbours(corpus_cfg["neighbours"])
    min_sim = check_min_neighbour_similarity(corpus_cfg["min_neighbour_similarity"])
    model = check_choice(corpus_cfg["model"], "augment.guard.corpus.model", MODELS)
    ridge = check_ridge(corpus_cfg["ridge"])
    scope = check_choice(corpus_cfg["emotions"], "augment.guard.corpus.emotions", EMOTION_SCOPES)
    lexicon_on = check_bool(lexicon_cfg["enabled"], "augment.guard.lexicon.enabled")
    dead_zone = check_dead_zone(lexicon_cfg["dead_zone"])
    keep_affect = check_keep_affect(lexicon_cfg["keep_affect"])
    path = lexicon_cfg.get("path")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise LicGpuError(f"augment.guard.lexicon.path must be a file path or null; got {path!r}")

    info: dict[str, Any] = {"enabled": enabled, "guards": []}
    if enabled and mode == "seed":
        # the notebook's rule takes the top-1 neighbour unchecked: building guards would only cost time
        return [], {"enabled": False, "guards": [], "note": "mode=seed is the notebook's rule and uses no guard"}
    if not enabled:
        return [], info
    guards: list = []
    if corpus_on:
        stats: dict = {}
        guards.append(
            RatingLeanGuard(
                store, margin, prior, neighbours, min_sim, stats=stats, model=model, ridge=ridge, emotions=scope
            )
        )
        info["guards"].append(RatingLeanGuard.reason)
        info["corpus"] = {
            "margin": margin,
            "prior_strength": prior,
            "model": model,
            "ridge": ridge,
            "emotions_checked": scope,
            "neighbours": neighbours,
            "min_neighbour_similarity": min_sim,
            "emotions": stats,
        }
    if lexicon_on:
        lex = load_valence_lexicon(str(path) if path else None)
        guards.append(LexiconGuard(lex, dead_zone, keep_affect))
        info["guards"].append(LexiconGuard.reason)
        if keep_affect is not None:
            info["guards"].append(LexiconGuard.affect_reason)
        info["lexicon"] = {
            "source": str(path) if path else "vaderSentiment/vader_lexicon.txt",
            "entries": len(lex),
            "dead_zone": dead_zone,
            "keep_affect": keep_affect,
        }
    return guards, info
