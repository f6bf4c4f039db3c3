"""The candidate checks' answers kept between runs (lic_gpu.augment.checks.remembered with a context):
a warm run answers every pair it has seen from the tag cache, with the very reasons the checks give,
and never reuses answers given under other settings, other vectors or other code."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from lic_gpu.augment.checks import Candidate, CandidateCheck, first_refusal, remembered
from lic_gpu.augment.parts import check_context
from lic_gpu.augment.settings import AugmentSettings
from lic_gpu.fluency.taggers import TagCache


@pytest.fixture
def answer_store(monkeypatch):
    """The answer books as in a new process with no store attached, the earlier tests' context books left out."""
    from lic_gpu.fluency import answer_store

    books = [book for book in answer_store._BOOKS if book not in answer_store._CONTEXT_BOOKS.values()]
    monkeypatch.setattr(answer_store, "_BOOKS", books)
    monkeypatch.setattr(answer_store, "_CONTEXT_BOOKS", {})
    monkeypatch.setattr(answer_store, "_STORE", [])
    return answer_store


def _new_process(answer_store, monkeypatch, cache):
    for book in answer_store._BOOKS:
        for name in ("known", "stored", "new"):
            monkeypatch.setattr(book, name, {})
        monkeypatch.setattr(book, "read", False)
    monkeypatch.setattr(answer_store, "_CONTEXT_BOOKS", {})
    monkeypatch.setattr(answer_store, "_STORE", [])
    answer_store.attach(cache)


def _chain(calls):
    def refuse(reason, first):
        def test(c):
            calls.append(c.new)
            return reason if c.new.startswith(first) else None

        return test

    return [
        CandidateCheck("similarity", lambda c: "below_min_similarity" if c.cosine < 0.5 else None),
        CandidateCheck("junk", refuse("stopword", "th")),
        CandidateCheck("thesaurus", refuse("not_in_thesaurus", "z")),
    ]


PAIRS = [
    Candidate(None, "happy", 7, new, cos)
    for new, cos in [("glad", 0.8), ("the", 0.9), ("zany", 0.7), ("joyful", 0.4), ("cheerful", 0.6)]
]


def test_a_warm_run_answers_from_the_kept_book_with_the_chains_reasons(answer_store, tmp_path, monkeypatch):
    cache = TagCache(tmp_path / "tags.sqlite")
    answer_store.attach(cache)
    calls: list[str] = []
    checks = _chain(calls)
    cold = remembered(checks, context="vectors A; settings 1")
    want = [first_refusal(checks, c) for c in PAIRS]
    assert [cold(c) for c in PAIRS] == want == [None, "stopword", "not_in_thesaurus", "below_min_similarity", None]
    answer_store.save()

    _new_process(answer_store, monkeypatch, cache)
    calls.clear()
    warm = remembered(_chain(calls), context="vectors A; settings 1")
    assert [warm(c) for c in PAIRS] == want
    assert calls == []  # every answer came from the cache
    # another context (settings, vectors or code) is another book: asked again
    other = remembered(_chain(calls), context="vectors A; settings 2")
    assert [other(c) for c in PAIRS] == want and calls
    answer_store.save()
    sources = [s for (s,) in cache._db.execute("SELECT source FROM answers") if s.startswith("cheap checks")]
    assert sorted(sources) == ["cheap checks: vectors A; settings 1", "cheap checks: vectors A; settings 2"]


def test_a_kept_answer_that_is_not_a_reason_is_asked_again(answer_store, tmp_path, monkeypatch):
    cache = TagCache(tmp_path / "tags.sqlite")
    planted = {"happy\x1f7\x1fglad": "stopword", "happy\x1f7\x1fthe": "ok", "happy\x1f7\x1fzany": 3}
    cache.put_answers("cheap checks: ctx", json.dumps(planted))
    _new_process(answer_store, monkeypatch, cache)
    calls: list[str] = []
    kept = remembered(_chain(calls), context="ctx")
    # a well-formed planted answer is used as the kept answer it claims to be (the tag cache's trust)
    assert kept(PAIRS[0]) == "stopword" and calls == []
    # answers that are not a reason of the checks are asked again
    assert kept(PAIRS[1]) == "stopword" and kept(PAIRS[2]) == "not_in_thesaurus" and calls == ["the", "zany", "zany"]


def test_without_a_store_the_answers_stay_in_the_process(answer_store):
    calls: list[str] = []
    kept = remembered(_chain(calls), context="ctx")
    assert [kept(c) for c in PAIRS] == [None, "stopword", "not_in_thesaurus", "below_min_similarity", None]
    answer_store.save()  # nothing attached: nothing written, nothing raised


def _store(identity="glove|float32", device="cpu"):
    return SimpleNamespace(identity=identity, device=SimpleNamespace(type=device))


STOP = frozenset({"the", "a"})


def test_the_context_names_everything_the_answers_depend_on():
    moby = SimpleNamespace(name="moby")
    base = AugmentSettings.from_options({})
    context = check_context(base, _store(), STOP, moby)
    assert context is not None and context == check_context(base, _store(), STOP, moby)
    changed = [
        check_context(AugmentSettings.from_options({"min_similarity": 0.6}), _store(), STOP, moby),
        check_context(AugmentSettings.from_options({"protect": False}), _store(), STOP, moby),
        check_context(AugmentSettings.from_options({"rare_words": {"free_rank": 100}}), _store(), STOP, moby),
        check_context(AugmentSettings.from_options({"wordnet": False}), _store(), STOP, moby),
        check_context(base, _store(), STOP, None),
        check_context(base, _store("glove|float16"), STOP, moby),
        check_context(base, _store(device="cuda"), STOP, moby),
        check_context(base, _store(), STOP | {"happy"}, moby),
    ]
    assert len({context, *changed}) == len(changed) + 1


def test_no_context_for_vectors_built_in_memory_or_a_thesaurus_file(tmp_path):
    base = AugmentSettings.from_options({})
    assert check_context(base, _store(identity=None), STOP, SimpleNamespace(name="moby")) is None
    assert check_context(base, _store(), STOP, SimpleNamespace(name=str(tmp_path / "mine.txt"))) is None


def test_a_book_past_its_limit_keeps_only_this_runs_answers(answer_store, tmp_path, monkeypatch):
    cache = TagCache(tmp_path / "tags.sqlite")
    monkeypatch.setattr(answer_store, "CONTEXT_BOOK_LIMIT", 4)
    old = {f"other\x1f{i}\x1fword": "stopword" for i in range(3)}
    cache.put_answers("cheap checks: ctx", json.dumps(old))
    _new_process(answer_store, monkeypatch, cache)
    kept = remembered(_chain([]), context="ctx")
    assert kept(PAIRS[0]) is None  # one new answer: 3 + 1 answers, within the limit
    answer_store.save()
    assert len(json.loads(cache.get_answers("cheap checks: ctx"))) == 4
    _new_process(answer_store, monkeypatch, cache)
    kept = remembered(_chain([]), context="ctx")
    assert [kept(c) for c in PAIRS[:3]] == [None, "stopword", "not_in_thesaurus"]  # 4 + 2 new: past it
    answer_store.save()
    assert sorted(json.loads(cache.get_answers("cheap checks: ctx"))) == sorted(
        f"happy\x1f7\x1f{c.new}" for c in PAIRS[:3]
    )
