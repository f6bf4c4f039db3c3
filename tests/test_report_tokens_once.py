"""The report's word counts reuse the run's own tokens (benchmarks/results/scale.md: on corpora over
the tokeniser's 65 536-sentence memo, splitting every sentence again cost ~25 s per 1 M rows)."""

from __future__ import annotations

import pytest

from lic_gpu.io.data import load_demo
from lic_gpu.report import figures
from lic_gpu.text import check_tokeniser


@pytest.mark.parametrize("name", ["words", "whitespace"])
def test_sentence_counts_from_tokens_match_counts_from_texts(name):
    texts = load_demo().frame["label"].tolist()
    tokenise = check_tokeniser(name)
    tokenised = [tokenise(t) for t in texts]

    def never(_text):
        raise AssertionError("the sentences were split again")

    from_tokens = figures.sentence_counts(texts, never, tokenised)
    assert from_tokens == figures.sentence_counts(texts, tokenise)
    assert len(from_tokens) > 100


def test_run_hands_its_tokens_to_the_report(tmp_path):
    from lic_gpu.app.augment_job import run_augment
    from lic_gpu.app.config import compose_config
    import lic_gpu.app.outputs as outputs

    captured = {}
    real = figures.sentence_counts

    def spy(texts, tokenise=None, tokenised=None):
        captured["texts"], captured["tokenised"] = texts, tokenised
        return real(texts, tokenise, tokenised)

    mp = pytest.MonkeyPatch()
    mp.setattr(outputs.figures, "sentence_counts", spy)
    try:
        run_augment(compose_config(["device=cpu", "augment=seed"]), tmp_path / "out")
    finally:
        mp.undo()
    texts, tokenised = captured["texts"], captured["tokenised"]
    whitespace = check_tokeniser("whitespace")  # seed mode splits as the notebook's str.split
    assert tokenised is not None and len(tokenised) == len(texts) == len(load_demo().frame)
    assert all(t.tokens == whitespace(s).tokens for t, s in zip(tokenised, texts))
