"""The training set of every method: the train originals as they are, with class weights, randomly
oversampled, LIC-augmented (seed, diverse, diverse + guard, diverse with another per-source limit),
the random-position ablation, and LIC diverse combined with class weights or with oversampling.

Every method but ``none`` works towards the same class targets, the point's budget (a
``sampling_strategy``): oversampling adds duplicates up to them, class weights give each row of class
``c`` the weight ``target_c / n_c`` (what oversampling gives in expectation), the LIC methods ask for
the rows that are missing and get what the filters allow, and the combinations fill what LIC leaves
of the gap with weights or duplicates."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.settings import PER_SOURCE_PREFIX, EvalSettings, is_lic_method
from lic_gpu.lic import LIC_DTYPES, LicResult, compute_lic
from lic_gpu.augment import AugmentResult, ClassReport, LicAugmenter, NewRow, Swap, apply_swaps, dedup_key
from lic_gpu.augment.strategy import check_sampling_strategy
from lic_gpu.text import Tokenised, split_edge_punctuation
from lic_gpu.timing import StageTimer


@dataclass
class TrainingSet:
    """Texts and classes to fit on, with the original row behind each, and optional sample weights."""

    method: str
    texts: list[str]
    labels: np.ndarray
    sources: np.ndarray
    sample_weight: np.ndarray | None = None
    n_added: int = 0
    info: dict = field(default_factory=dict)
    n_new_text: int = 0  # added rows that are new sentences (not duplicates)


def originals_set(method: str, corpus_texts: Sequence[str], rows: np.ndarray, labels: np.ndarray) -> TrainingSet:
    """The train originals as they are."""
    return TrainingSet(method, [corpus_texts[r] for r in rows], labels.copy(), rows.copy())


def class_targets(sizes: Mapping[Any, int], budget: Any) -> dict[Any, int]:
    """Target size per class for a budget (``sampling_strategy``): the size plus the rows it asks for."""
    missing = check_sampling_strategy(budget, dict(sizes))
    return {c: int(n) + int(missing[c]) for c, n in sizes.items()}


def target_weights(labels: np.ndarray, targets: Mapping[Any, int]) -> np.ndarray:
    """Per row ``max(target_c, n_c) / n_c``: each class weighs what it would after oversampling to its
    target (1 for a class at or above it)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    per_class = np.array([max(int(targets.get(int(c), 0)), int(n)) / int(n) for c, n in zip(classes, counts)])
    return per_class[inverse]


def with_new_rows(base: TrainingSet, method: str, new_rows: Sequence[NewRow], info: dict | None = None) -> TrainingSet:
    """``base`` plus generated rows (their class and source row kept)."""
    texts = base.texts + [r.text for r in new_rows]
    labels = np.concatenate([base.labels, np.array([r.cls for r in new_rows], dtype=np.int64)])
    sources = np.concatenate([base.sources, np.array([r.source_row for r in new_rows], dtype=np.int64)])
    return TrainingSet(
        method,
        texts,
        labels,
        sources,
        n_added=len(new_rows),
        info=info or {},
        n_new_text=sum(bool(r.swaps) for r in new_rows),
    )


def oversample_rows(
    word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]],
    corpus_texts: Sequence[str],
    strategy: Any,
    rng: np.random.Generator,
    have: Mapping[Any, int] | None = None,
) -> list[NewRow]:
    """Random oversampling: exact duplicates of train rows, drawn with replacement, up to the class targets.

    ``have``: rows per class the training set holds already besides the originals (new LIC rows); only
    the rest of the gap is duplicated.
    """
    sizes = {c: len(v) for c, v in word_dict.items()}
    targets = class_targets(sizes, strategy)
    out = []
    for cls, samples in word_dict.items():
        need = targets[cls] - sizes[cls] - int((have or {}).get(cls, 0))
        if need <= 0:
            continue
        rows = np.array([r for _, r in samples], dtype=np.int64)
        for r in rng.choice(rows, size=need, replace=True).tolist():
            out.append(NewRow(cls, int(r), corpus_texts[r], ()))
    return out


def augment_info(result: AugmentResult) -> dict:
    """Per class requested/generated and the swaps per new row, for ``metrics.json``."""
    swaps = Counter(len(r.swaps) for r in result.rows)
    return {
        "classes": {
            str(c): {"before": rep.before, "requested": rep.requested, "generated": rep.generated}
            for c, rep in result.classes.items()
        },
        "swaps_per_row": {str(k): v for k, v in sorted(swaps.items())},
        "refusals": dict(result.refusals),
    }


class RandomPositionAugmenter(LicAugmenter):
    """The ablation "does LIC matter?": LIC diverse's swap budget, positions chosen at random.

    :meth:`match_budget` copies, row by row, a diverse-mode result: the same class, the same source
    sentence and the same number of swaps; only which tokens are swapped differs. A position is
    eligible when its token is not a stopword and its word (edge punctuation stripped) has at least one
    neighbour passing the same filters as diverse mode (``k``, ``min_similarity``, the junk filter,
    the guards); LIC is never looked at. The replacement is drawn uniformly among those neighbours, as
    diverse mode draws it. Every position LIC diverse can pick is eligible here too, so the budget can
    always be met; only a run of duplicate sentences (``attempts_per_row`` of them) can lose a row.
    """

    def match_budget(
        self,
        template: AugmentResult,
        word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]],
        tokenised: Sequence[Tokenised],
        lic: LicResult | None = None,
    ) -> AugmentResult:
        """Rows with ``template``'s class, source and swap count, swapped at random eligible positions.

        Parameters
        ----------
        template : a diverse-mode :class:`AugmentResult` of the same word dict
        word_dict : class -> [(tokens, row_id), ...] (for the duplicate check)
        tokenised : row_id -> Tokenised
        lic : only to record the LIC of the replaced words in the swaps (0 without it)

        Returns
        -------
        AugmentResult (inputs unchanged)
        """
        t0 = time.perf_counter()
        requested = Counter(r.cls for r in template.rows)
        reports = {c: ClassReport(before=len(v), requested=requested.get(c, 0)) for c, v in word_dict.items()}
        result = AugmentResult(rows=[], classes=reports)
        sources = sorted({r.source_row for r in template.rows})
        words = {
            split_edge_punctuation(tok)[1]
            for row in sources
            for tok in tokenised[row].tokens
            if tok.lower() not in self.stopwords
        }
        words = {w for w in words if self.is_source_word(w)}
        table = self.neighbour_table(r for r in map(self.store.resolve, words) if r is not None)
        tags = self.tag_sources({row: tokenised[row].tokens for row in sources})
        result.timings_s["neighbours"] = time.perf_counter() - t0
        rng = np.random.default_rng([self.seed, 7919])
        existing = {dedup_key(" ".join(t.tokens)) for t in tokenised}
        positions: dict[tuple[Any, int], list] = {}
        choices: dict[Any, dict] = {}
        for trow in template.rows:
            cls, src, n_swaps = trow.cls, trow.source_row, sum(s.kind == "swap" for s in trow.swaps)
            key = (cls, src)
            if key not in positions:
                positions[key] = self.candidate_positions(
                    cls, tokenised[src].tokens, tags.get(src), table, result.refusals, choices.setdefault(cls, {})
                )
            eligible = positions[key]
            n_swaps = min(n_swaps, len(eligible))
            if n_swaps == 0:
                continue
            tokens = tokenised[src].tokens
            for _ in range(self.attempts_per_row):
                reports[cls].attempts += 1
                picked = sorted(int(i) for i in rng.choice(len(eligible), size=n_swaps, replace=False))
                chosen = [eligible[i] for i in picked]
                picks = [p.choices[int(rng.integers(len(p.choices)))] for p in chosen]
                new_tokens, swaps = apply_swaps(tokens, chosen, picks)
                if lic is not None:
                    swaps = tuple(
                        Swap(s.pos, s.old, s.new, s.cosine, lic.get(cls, tokens[s.pos], 0.0), s.kind) for s in swaps
                    )
                dedup = dedup_key(" ".join(new_tokens))
                if dedup in existing:
                    continue
                existing.add(dedup)
                result.rows.append(NewRow(cls, src, tokenised[src].detokenise(new_tokens), swaps))
                reports[cls].generated += 1
                break
        for cls, rep in reports.items():
            if rep.generated < rep.requested:
                rep.shortfall_reason = f"{rep.requested - rep.generated} row(s) gave only duplicate sentences"
        result.timings_s["generate"] = time.perf_counter() - t0 - result.timings_s["neighbours"]
        return result


def make_augmenter(
    options: Mapping[str, Any],
    store,
    stopwords: frozenset[str],
    strategy: Any,
    seed: int,
    guards: Sequence = (),
    cls=LicAugmenter,
    grammar=None,
    thesaurus=None,
    **overrides,
) -> LicAugmenter:
    """A LicAugmenter (or the ablation) from an ``augment`` mapping; ``strategy`` overrides its targets,
    ``overrides`` any other option (``max_per_source``)."""
    return cls.from_options(
        options,
        store,
        stopwords,
        guards=guards,
        grammar=grammar,
        thesaurus=thesaurus,
        seed=seed,
        progress=False,
        sampling_strategy=strategy,
        **overrides,
    )


def train_lic(word_dict, settings: EvalSettings, device, where: str) -> LicResult:
    """LIC of a train word dict (an error naming ``where`` when it is undefined for every word)."""
    lic = compute_lic(word_dict, device=device, dtype=LIC_DTYPES[settings.lic_dtype], method=settings.lic_method)
    if lic.n_defined == 0:
        raise LicGpuError(
            f"{where}: LIC is undefined for every word of the train part ({len(word_dict)} "
            "classes); with two classes use lic.method=log_odds"
        )
    return lic


def training_sets(
    methods,
    settings: EvalSettings,
    word_dict,
    train_rows: np.ndarray,
    y_train,
    texts,
    tokenised,
    emotion,
    seed,
    budget,
    store,
    stopwords,
    guards,
    timer: StageTimer,
    fluency,
    lic: LicResult | None = None,
    per_source: Sequence[int] = (),
) -> list[TrainingSet]:
    """One training set per method at one budget, from the train rows only (``word_dict`` holds them
    only; the ablation copies ``lic_diverse``'s rows, the combinations add to them).

    Parameters
    ----------
    methods : names from :data:`METHODS` (``none`` is budget-free: the caller may fit it once)
    train_rows, y_train : the train originals and their classes
    budget : the class targets (a ``sampling_strategy``)
    lic : LIC of ``word_dict`` (needed by every LIC method)
    per_source : other ``max_per_source`` values for LIC diverse (methods ``lic_diverse_per_source_<n>``)
    """
    ctx = _SetInputs(
        settings,
        word_dict,
        texts,
        tokenised,
        emotion,
        seed,
        budget,
        store,
        stopwords,
        guards,
        timer,
        fluency,
        lic,
        originals_set("none", texts, train_rows, y_train),
        class_targets({c: len(v) for c, v in word_dict.items()}, budget),
    )
    out = []
    names = list(methods) + [f"{PER_SOURCE_PREFIX}{n}" for n in per_source]
    for method in names:
        if is_lic_method(method) and lic is None:
            raise LicGpuError(f"method {method} needs the train part's LIC")
        t0 = time.perf_counter()
        if method in _FROM_DIVERSE:
            res = ctx.diverse_rows()
            t0 = time.perf_counter()
            ts = _FROM_DIVERSE[method](ctx, method, res)
        elif method.startswith(PER_SOURCE_PREFIX):
            ts = ctx.augmented(
                method, settings.augment_diverse, max_per_source=int(method[len(PER_SOURCE_PREFIX) :]), **fluency
            )
        elif method in _FRESH:
            ts = _FRESH[method](ctx, method)
        else:
            raise LicGpuError(f"unknown method {method!r}")
        if method != "lic_diverse":  # lic_diverse's rows are timed where they are made
            timer.add(f"train_set[{method}]", t0)
        out.append(ts)
    return out


@dataclass
class _SetInputs:
    """What every method's training set is built from, at one budget (``training_sets``' arguments)."""

    settings: EvalSettings
    word_dict: Any
    texts: Any
    tokenised: Any
    emotion: Any
    seed: Any
    budget: Any
    store: Any
    stopwords: Any
    guards: Any
    timer: StageTimer
    fluency: Any
    lic: LicResult | None
    base: TrainingSet
    targets: Any
    _diverse: AugmentResult | None = None

    def train_lic(self) -> LicResult:
        """The train part's LIC; training_sets refuses a LIC method without one before building any."""
        if self.lic is None:
            raise LicGpuError("the LIC methods need the train part's LIC")
        return self.lic

    def diverse_rows(self) -> AugmentResult:
        """LIC diverse's rows at this budget, made once (timed as ``train_set[lic_diverse]``)."""
        if self._diverse is None:
            t0 = time.perf_counter()
            aug = make_augmenter(
                self.settings.augment_diverse, self.store, self.stopwords, self.budget, self.seed, **self.fluency
            )
            self._diverse = aug.fit_resample(self.word_dict, self.train_lic(), self.tokenised)
            self.timer.add("train_set[lic_diverse]", t0)
        return self._diverse

    def augmented(self, method: str, augment_settings, *guards, **options) -> TrainingSet:
        """The originals plus the rows of one augmenter made for ``method``."""
        aug = make_augmenter(augment_settings, self.store, self.stopwords, self.budget, self.seed, *guards, **options)
        res = aug.fit_resample(self.word_dict, self.train_lic(), self.tokenised)
        return with_new_rows(self.base, method, res.rows, augment_info(res))


def _class_weight_set(ctx: _SetInputs, method: str) -> TrainingSet:
    base = ctx.base
    return TrainingSet(
        "class_weight", base.texts, base.labels, base.sources, sample_weight=target_weights(base.labels, ctx.targets)
    )


def _oversample_set(ctx: _SetInputs, method: str) -> TrainingSet:
    rows = oversample_rows(ctx.word_dict, ctx.texts, ctx.budget, np.random.default_rng([ctx.seed, 1]))
    return with_new_rows(ctx.base, method, rows, _duplicates_info(ctx.word_dict, rows))


def _guarded_set(ctx: _SetInputs, method: str) -> TrainingSet:
    for guard in ctx.guards:
        guard.prepare(ctx.emotion, ctx.lic)  # train-only LIC: the guard learns nothing from the test part
    return ctx.augmented(method, ctx.settings.augment_diverse, ctx.guards, **ctx.fluency)


# methods whose set is made on its own
_FRESH = {
    "none": lambda ctx, method: ctx.base,
    "class_weight": _class_weight_set,
    "oversample": _oversample_set,
    "lic_seed": lambda ctx, method: ctx.augmented(method, ctx.settings.augment_seed),
    "lic_diverse_guard": _guarded_set,
}


def _diverse_set(ctx: _SetInputs, method: str, res: AugmentResult) -> TrainingSet:
    return with_new_rows(ctx.base, method, res.rows, augment_info(res))


def _random_positions_set(ctx: _SetInputs, method: str, res: AugmentResult) -> TrainingSet:
    abl = make_augmenter(  # cls= below makes it a RandomPositionAugmenter
        ctx.settings.augment_diverse,
        ctx.store,
        ctx.stopwords,
        ctx.budget,
        ctx.seed,
        cls=RandomPositionAugmenter,
        **ctx.fluency,
    )
    assert isinstance(abl, RandomPositionAugmenter)
    ablation = abl.match_budget(res, ctx.word_dict, ctx.tokenised, ctx.lic)
    return with_new_rows(ctx.base, method, ablation.rows, augment_info(ablation))


def _diverse_class_weight_set(ctx: _SetInputs, method: str, res: AugmentResult) -> TrainingSet:
    ts = with_new_rows(ctx.base, method, res.rows, augment_info(res))
    ts.sample_weight = target_weights(ts.labels, ctx.targets)
    return ts


def _diverse_oversample_set(ctx: _SetInputs, method: str, res: AugmentResult) -> TrainingSet:
    made = Counter(r.cls for r in res.rows)
    dups = oversample_rows(ctx.word_dict, ctx.texts, ctx.budget, np.random.default_rng([ctx.seed, 2]), have=made)
    info = augment_info(res)
    info["duplicates"] = _duplicates_info(ctx.word_dict, dups)["classes"]
    return with_new_rows(ctx.base, method, list(res.rows) + dups, info)


# methods built on LIC diverse's rows at the same budget (made once, shared)
_FROM_DIVERSE = {
    "lic_diverse": _diverse_set,
    "random_positions": _random_positions_set,
    "lic_diverse_class_weight": _diverse_class_weight_set,
    "lic_diverse_oversample": _diverse_oversample_set,
}


def _duplicates_info(word_dict, rows: Sequence[NewRow]) -> dict:
    made = Counter(r.cls for r in rows)
    return {
        "classes": {
            str(c): {"before": len(v), "requested": made.get(c, 0), "generated": made.get(c, 0)}
            for c, v in word_dict.items()
        }
    }
