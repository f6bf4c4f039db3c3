"""Tokenisers that can put a sentence back together exactly, and the stopword list."""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Sequence

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

# Kept whole, first: URLs, e-mail addresses, @mentions, #hashtags, and numbers with their inner
# separators and a letter suffix (1,400  3.5  01:39  12/05/2020  10003-9562  1990s  20th  3pm), so a
# swap can neither break nor glue them. English clitics are split off as the usual taggers expect
# (didn't -> did n't, we'd -> we 'd, can't -> ca n't); other inner apostrophes stay (o'clock,
# rock'n'roll) and inner hyphens are split off as punctuation; anything else that is not a space is
# a one-character punctuation token.
# The alternatives, in their order of precedence (the first that matches at a place wins).
_URL = r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]}]"
_MAIL = r"[\w.+-]*\w@\w[\w-]*(?:\.[\w-]+)+"
_NUMBER = r"\d+(?:[.,:/-]\d+)*[^\W\d_]*"
_NEGATION = r"[^\W_]+?(?=n[\'\u2019]t\b)|n[\'\u2019]t\b"
_CLITIC = r"[\'\u2019](?:s|re|ve|d|ll|m)\b"
_WORD = r"[^\W_]+(?:[\'\u2019](?!(?:s|re|ve|d|ll|m|t)\b)[^\W_]+)*"
_FLAGS = re.UNICODE | re.IGNORECASE


def _pattern(url: bool = True, mail: bool = True, negation: bool = True, apostrophe: bool = True) -> str:
    """The tokeniser's pattern; an alternative that cannot match a text (it lacks the character the
    alternative needs) may be left out for it: the matches stay the same, found in half the time."""
    alts = [_URL] if url else []
    alts += [_MAIL, r"[@#]\w+"] if mail else [r"#\w+"]
    alts.append(_NUMBER)
    alts += [_NEGATION] if negation else []
    alts += [_CLITIC, _WORD] if apostrophe else [r"[^\W_]+"]
    alts.append(r"_+|[^\w\s]")
    return "|".join(alts)


_WORD_RE = re.compile(_pattern(), _FLAGS)
_WS_RE = re.compile(r"\S+")
# The same pattern as one capturing group: ``split`` then gives gaps and tokens alternately in one
# pass in C (a third faster than collecting ``finditer``'s matches; no alternative matches "").
_WORD_SPLIT_RE = re.compile(f"({_WORD_RE.pattern})", _FLAGS)
# ... and one per set of alternatives a text can need (see _split_pattern_for)
_SPLIT_RES: dict[tuple[bool, bool, bool, bool], re.Pattern] = {}


def _split_pattern_for(text: str) -> re.Pattern:
    """The splitting pattern without the alternatives ``text`` cannot match: no URL without ``://``
    or ``www.``, no e-mail or @mention without ``@``, no ``n't`` without ``n'``, no clitic and no
    inner apostrophe without an apostrophe (every test case-insensitive, as the pattern is)."""
    low = text.lower()
    apostrophe = "'" in text or "\u2019" in text
    need = (
        "://" in text or "www." in low,
        "@" in text,
        apostrophe and ("n'" in low or "n\u2019" in low),
        apostrophe,
    )
    pattern = _SPLIT_RES.get(need)
    if pattern is None:
        pattern = _SPLIT_RES[need] = re.compile(f"({_pattern(*need)})", _FLAGS)
    return pattern


@dataclass(frozen=True)
class Tokenised:
    """Tokens plus the text between them, so ``detokenise`` gives the sentence back to the byte.

    ``gaps`` has ``len(tokens) + 1`` entries: before the first token, between tokens, after the last.
    """

    tokens: tuple[str, ...]
    gaps: tuple[str, ...]

    def detokenise(self, tokens: Sequence[str] | None = None) -> str:
        """Join ``tokens`` (default: the original ones) with the original gaps."""
        toks = self.tokens if tokens is None else tokens
        if len(toks) != len(self.tokens):
            raise ValueError("detokenise needs exactly as many tokens as were split")
        parts = [""] * (2 * len(toks) + 1)
        parts[0::2] = self.gaps
        parts[1::2] = toks
        return "".join(parts)


def _split(pattern: re.Pattern, text: str) -> Tokenised:
    tokens, gaps, last = [], [], 0
    for m in pattern.finditer(text):
        gaps.append(text[last : m.start()])
        tokens.append(m.group())
        last = m.end()
    gaps.append(text[last:])
    return Tokenised(tuple(tokens), tuple(gaps))


# Memoised: a run splits each sentence several times (classes, generation, the quality measure, the
# figures); a Tokenised is immutable, so sharing one answer is safe. Bounded for big corpora.
@lru_cache(maxsize=1 << 16)
def whitespace_tokenise(text: str) -> Tokenised:
    """The notebook's ``str.split()``: tokens are runs of non-space characters."""
    return _split(_WS_RE, text)


@lru_cache(maxsize=1 << 16)
def words_tokenise(text: str) -> Tokenised:
    """Words with punctuation split off; apostrophes inside words are kept (``don't``)."""
    parts = _split_pattern_for(text).split(text)
    return Tokenised(tuple(parts[1::2]), tuple(parts[0::2]))


TOKENISERS = {"whitespace": whitespace_tokenise, "words": words_tokenise}


def resolve_tokenizer(name: str, mode: str) -> str:
    """``data.tokenizer=auto``: the notebook's ``whitespace`` in seed mode, ``words`` otherwise."""
    if name == "auto":
        return "whitespace" if mode == "seed" else "words"
    return name


def check_tokeniser(name: str):
    """Return the tokeniser function called ``name``."""
    try:
        return TOKENISERS[name]
    except (KeyError, TypeError):
        raise LicGpuError(f"data.tokenizer must be one of {sorted(TOKENISERS) + ['auto']}; got {name!r}") from None


_PUNCT_EDGE_RE = re.compile(r"^([^\w]*)(.*?)([^\w]*)$", re.UNICODE | re.DOTALL)


def split_edge_punctuation(token: str) -> tuple[str, str, str]:
    """``'"Hello,'`` -> ``('"', 'Hello', ',')``; a token of punctuation only is all prefix."""
    m = _PUNCT_EDGE_RE.match(token)
    assert m is not None  # every part of the pattern may be empty, so it matches any string
    pre, core, post = m.group(1), m.group(2), m.group(3)
    if not core:
        return token, "", ""
    return pre, core, post


@lru_cache(maxsize=1)
def packaged_stopwords() -> frozenset[str]:
    """The English list shipped with the package (the same words as nltk's English list)."""
    text = resources.files("lic_gpu").joinpath("resources/stopwords_english.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.split() if w.strip())


def _nltk_data_dirs() -> list[str]:
    """Where nltk looks for its data by default (``nltk.data.path`` as nltk builds it), without
    importing nltk: ``import nltk`` costs ~1.5 s (it pulls in scipy.stats)."""
    nltk = sys.modules.get("nltk")
    if nltk is not None and hasattr(nltk, "data"):
        return list(nltk.data.path)  # already imported: take its path, with any user additions
    dirs = [os.path.expanduser(d) for d in os.environ.get("NLTK_DATA", "").split(os.pathsep) if d]
    dirs.append(os.path.expanduser("~/nltk_data"))
    dirs += [
        os.path.join(sys.prefix, "nltk_data"),
        os.path.join(sys.prefix, "share", "nltk_data"),
        os.path.join(sys.prefix, "lib", "nltk_data"),
    ]
    if os.name == "nt":
        dirs += [
            os.path.join(os.environ.get("APPDATA", "C:\\"), "nltk_data"),
            r"C:\nltk_data",
            r"D:\nltk_data",
            r"E:\nltk_data",
        ]
    else:
        dirs += ["/usr/share/nltk_data", "/usr/local/share/nltk_data", "/usr/lib/nltk_data", "/usr/local/lib/nltk_data"]
    return dirs


def nltk_stopwords_installed() -> bool:
    """Whether nltk's stopwords corpus is in one of nltk's data folders."""
    return any(
        os.path.exists(os.path.join(d, "corpora", name))
        for d in _nltk_data_dirs()
        for name in ("stopwords", "stopwords.zip")
    )


@lru_cache(maxsize=1)
def nltk_stopwords() -> frozenset[str] | None:
    """nltk's English stopwords when its data is installed, else ``None`` (no download is tried;
    nltk is only imported when its data folders hold the corpus)."""
    if not nltk_stopwords_installed():
        return None
    try:
        from nltk.corpus import stopwords

        return frozenset(stopwords.words("english"))
    except (LookupError, ImportError, OSError):
        return None


STOPWORD_SOURCES = ("auto", "nltk", "packaged", "none")


def load_stopwords(
    source: str = "auto", extra: Iterable[str] = (), remove: Iterable[str] = ()
) -> tuple[frozenset[str], str]:
    """Build the stopword set.

    Parameters
    ----------
    source : {"auto", "nltk", "packaged", "none"}
        ``auto`` takes nltk's list when its data is installed and the packaged copy otherwise.
    extra, remove : iterables of str
        Words to add to / take out of the list (lower-cased).

    Returns
    -------
    (frozenset of str, str)
        The words and where they came from (for the run summary).
    """
    if source not in STOPWORD_SOURCES:
        raise LicGpuError(f"stopwords.source must be one of {list(STOPWORD_SOURCES)}; got {source!r}")
    if source == "none":
        words: frozenset[str] = frozenset()
        origin = "none"
    elif source == "packaged":
        words, origin = packaged_stopwords(), "packaged"
    else:
        nl = nltk_stopwords()
        if nl is None and source == "nltk":
            raise LicGpuError(
                "stopwords.source='nltk' but nltk's stopwords data is not installed; "
                "run python -m nltk.downloader stopwords, or use stopwords.source=packaged"
            )
        words, origin = (nl, "nltk") if nl is not None else (packaged_stopwords(), "packaged")
    kept = (set(words) | {w.lower() for w in extra}) - {w.lower() for w in remove}
    return frozenset(kept), origin
