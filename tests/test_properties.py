"""Property-based tests (issue 7): random word dicts and ratings through LIC, the sampler and assembly.

Whatever the input, the only exception is :class:`LicGpuError`; the counts add up; and every new
row carries exactly its source row's ratings and ids.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from lic_gpu import compute_lic
from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.io.data import Corpus
from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.augment.guard import build_guards
from lic_gpu.io.frames import assemble, emotion_frame
from lic_gpu.app.pipeline import augment_emotion
from lic_gpu.augment import LicAugmenter
from lic_gpu.augment.strategy import check_sampling_strategy
from lic_gpu.text import load_stopwords, words_tokenise

from helpers import PLAIN_FILTERS

STOP = load_stopwords("packaged")[0]
FAMILIES = [
    ["calm", "quiet", "peaceful", "serene", "gentle"],
    ["panic", "terror", "alarm", "fright", "dread"],
    ["ran", "raced", "sprinted", "dashed", "rushed"],
    ["tea", "coffee", "cocoa", "juice", "milk"],
]
# Tokens a tokeniser can hand over: words in the vectors (also capitalised or with punctuation
# attached, as the whitespace tokeniser leaves them), stopwords, unknown words, punctuation, numbers.
IN_VOCAB = [w for fam in FAMILIES for w in fam]
POOL = IN_VOCAB + ["Calm", "PANIC", "tea.", "ran,", "the", "and", "we", "I", "zqx", "blorf", "!", ",", "3", "u.s."]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def toy_store():
    rng = np.random.default_rng(0)
    words, vecs = [], []
    for i, fam in enumerate(FAMILIES):
        centre = np.zeros(12)
        centre[i] = 1.0
        for w in fam:
            words.append(w)
            vecs.append(centre + 0.2 * rng.standard_normal(12))
    words += ["the", "3", "u.s.", "calmer", "we", "zero"]
    vecs += list(rng.standard_normal((5, 12))) + [np.zeros(12)]  # a zero vector too
    return EmbeddingStore.from_array(words, np.array(vecs))


STORE = toy_store()

tokens = st.lists(st.sampled_from(POOL), min_size=0, max_size=8)
classes = st.lists(st.integers(1, 9), min_size=1, max_size=5, unique=True)


@st.composite
def word_dicts(draw):
    """{class: [(tokens, row_id), ...]} with unique row ids, as build_word_dict makes them."""
    out, row = {}, 0
    for c in sorted(draw(classes)):
        sents = draw(st.lists(tokens, min_size=1, max_size=6))
        out[c] = [(s, row + i) for i, s in enumerate(sents)]
        row += len(sents)
    return out


augmenter_options = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["seed", "diverse"]),
        "sampling_strategy": st.sampled_from(["auto", 0.5, 1.0]),
        "k": st.integers(1, 6),
        "max_swaps": st.integers(1, 3),
        "min_similarity": st.sampled_from([-1.0, 0.0, 0.3, 0.9]),
        "max_per_source": st.sampled_from([None, 1, 3]),
        "attempts_per_row": st.integers(1, 5),
        "seed": st.integers(0, 3),
    }
)


def quiet_lic(word_dict, method):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LIC is undefined with two classes")
        return compute_lic(word_dict, method=method)


@SETTINGS
@given(word_dicts(), st.sampled_from(["seed", "log_odds"]))
def test_lic_on_random_word_dicts(word_dict, method):
    before = copy.deepcopy(word_dict)
    lic = quiet_lic(word_dict, method)
    assert word_dict == before
    vocab = {t for v in word_dict.values() for s, _ in v for t in s}
    assert lic.values.shape == (len(word_dict), len(vocab)) and set(lic.vocab) == vocab
    assert lic.classes == sorted(word_dict)
    assert int(lic.counts.sum()) == sum(len(s) for v in word_dict.values() for s, _ in v)
    assert all(math.isfinite(v) for v in lic.to_dict().values())
    if method == "seed" and len(word_dict) < 3:
        assert lic.n_defined == 0


@SETTINGS
@given(word_dicts(), st.sampled_from(["seed", "log_odds"]), augmenter_options)
def test_sampler_on_random_word_dicts(word_dict, method, options):
    before = copy.deepcopy(word_dict)
    lic = quiet_lic(word_dict, method)
    try:
        # made-up words: no language model has seen them, so the swap score (and its extra slots) is off
        result = LicAugmenter(STORE, STOP, **{**PLAIN_FILTERS, "min_fluency": None, **options}).fit_resample(
            word_dict, lic
        )
    except LicGpuError:
        return
    assert word_dict == before
    event(f"rows generated: {bool(result.rows)}")
    requested = check_sampling_strategy(options["sampling_strategy"], {c: len(v) for c, v in word_dict.items()})
    per_class = {c: 0 for c in word_dict}
    texts = {c: {" ".join(s) for s, _ in v} for c, v in word_dict.items()}
    for row in result.rows:
        per_class[row.cls] += 1
        sources = {r: s for s, r in word_dict[row.cls]}
        assert row.source_row in sources  # made from a sentence of its own class
        assert row.swaps and all(s.lic > 0 for s in row.swaps)
        if options["mode"] == "diverse":
            assert row.text not in texts[row.cls]  # never a copy of an existing sentence
    for c, rep in result.classes.items():
        assert rep.before == len(word_dict[c])
        assert rep.requested == requested[c]
        assert rep.generated == per_class[c] <= rep.requested
        assert rep.generated == rep.requested or rep.shortfall_reason
    assert result.n_candidate_words_in_vocab <= result.n_candidate_words
    if options["mode"] == "diverse":
        assert len({(r.cls, r.text) for r in result.rows}) == len(result.rows)


# ---------------------------------------------------------------- through assemble


@st.composite
def corpora(draw):
    n = draw(st.integers(2, 24))
    texts = [" ".join(draw(tokens)) for _ in range(n)]
    arousal = draw(st.lists(st.one_of(st.integers(1, 5).map(float), st.just(np.nan)), min_size=n, max_size=n))
    valence = draw(
        st.lists(
            st.one_of(st.floats(1, 7, allow_nan=False).map(lambda x: round(x, 2)), st.just(np.nan)),
            min_size=n,
            max_size=n,
        )
    )
    subs = [f"s{draw(st.integers(0, 3))}" for _ in range(n)]
    frame = pd.DataFrame(
        {"sub": subs, "text": texts, "arousal": arousal, "valence": valence, "note": [f"n{i}" for i in range(n)]}
    )
    return Corpus(frame, "text", ("sub",), ("arousal", "valence"), "hypothesis corpus")


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return (pd.isna(a) and pd.isna(b)) or float(a) == float(b)


@SETTINGS
@given(corpora(), st.sampled_from(["seed", "log_odds"]), augmenter_options, st.booleans())
def test_new_rows_inherit_their_source_ratings(corpus, method, options, guarded):
    snapshot = corpus.frame.copy()
    tokenised = [words_tokenise(t) for t in corpus.texts]
    guards = build_guards({"mode": options["mode"]}, store=STORE)[0] if guarded else []
    augmenter = LicAugmenter(STORE, STOP, **{**PLAIN_FILTERS, **options, "guards": guards})
    runs = []
    for emo in ("arousal", "valence"):
        try:
            runs.append(augment_emotion(corpus, tokenised, emo, augmenter, torch.device("cpu"), lic_method=method))
        except LicGpuError as err:
            assert "\n" not in str(err)
    assume(runs)
    frame, cls = assemble(corpus, runs)
    pd.testing.assert_frame_equal(corpus.frame, snapshot)  # the input is not changed
    n = len(corpus.frame)
    n_new = sum(len(r.result.rows) for r in runs)
    event(f"rows generated: {n_new > 0}")
    assert len(frame) == len(cls) == n + n_new
    assert frame["row_id"].tolist() == list(range(n + n_new))
    columns = ["sub", "arousal", "valence", "note"]
    original = corpus.frame
    for i in range(n):  # originals as they were
        assert all(_same(frame.at[i, c], original.at[i, c]) for c in columns + ["text"])
    labels = {r.emotion: r.labels for r in runs}
    new = frame.iloc[n:]
    # ids that identify the rows stay unique: a new row's last id column is its own (frames.new_row_ids)
    renumbered = bool(corpus.id_columns) and not original.duplicated(list(corpus.id_columns)).any()
    inherited = [c for c in columns if not (renumbered and c == corpus.id_columns[-1])]
    if renumbered:
        assert not frame.duplicated(list(corpus.id_columns)).any()
    for (_, row), c_row in zip(new.iterrows(), cls.iloc[n:].itertuples(index=False)):
        src = int(row["source_row"])
        assert all(_same(row[c], original.at[src, c]) for c in inherited), (row, original.loc[src])
        # Its class for the emotion it was made for is its source's class.
        assert getattr(c_row, row["augmented_for"]) == labels[row["augmented_for"]].iloc[src]
    for r in runs:
        ef = emotion_frame(frame, r.emotion)
        ec = pd.concat([cls.iloc[:n], cls.iloc[n:][(frame["augmented_for"] == r.emotion).iloc[n:].to_numpy()]])
        assert len(ef) == len(ec)
        counts = ec[r.emotion].value_counts()
        for c, rep in r.result.classes.items():
            assert counts.get(c, 0) == rep.before + rep.generated
            assert rep.generated <= rep.requested
        made = [row.text for row in r.result.rows]
        assert ef.loc[ef["is_augmented"], "text"].tolist() == made


@pytest.mark.parametrize("binning", ["auto", "round_half_up", [0.5, 2.5, 4.5, 7.5]])
@SETTINGS
@given(st.lists(st.one_of(st.floats(1, 7, allow_nan=False), st.just(np.nan)), min_size=1, max_size=30))
def test_class_labels_only_raise_the_documented_error(binning, values):
    series = pd.Series(values, dtype=float)
    try:
        cl = class_labels(series, "arousal", binning)
    except LicGpuError as err:
        assert "\n" not in str(err) and "arousal" in str(err)
        return
    assert cl.n_missing == int(series.isna().sum())
    assert cl.labels.isna().tolist() == series.isna().tolist()
    wd = build_word_dict([words_tokenise("x")] * len(values), cl.labels)
    assert sum(len(v) for v in wd.values()) == int(series.notna().sum())
