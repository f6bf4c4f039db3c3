"""The Porter stemmer, without importing nltk.

:func:`porter_stem` gives exactly the output of nltk's ``PorterStemmer().stem(word)`` in its default
``NLTK_EXTENSIONS`` mode (lower-casing first) for every string. It exists because ``import nltk``,
even ``from nltk.stem import PorterStemmer``, costs about 1.5 s at start-up (nltk's package
``__init__`` imports scipy.stats), and this project needs nothing else from nltk at run time.

The algorithm is M. F. Porter, "An algorithm for suffix stripping", *Program* 14(3), 130-137 (1980),
with the departures from the paper that nltk's ``NLTK_EXTENSIONS`` mode makes (nltk, the Natural
Language Toolkit, https://www.nltk.org): a pool of irregular forms, words of one or two characters
left alone, ``ies``/``ied`` on four-letter words, ``y -> i`` only after a consonant, the extra
step-2 rules ``fulli`` and ``logi``, ``bli -> ble`` in place of ``abli -> able``, ``alli`` tried
first, and a two-letter vowel-consonant stem counted as ``*o``.

A speed trick that must stay bit-exact with nltk, kept in this module alone and tested against nltk
on all 400k GloVe words (``tests/test_porter.py``); see also :mod:`lic_gpu.augment.weighted_draw`.
"""

from __future__ import annotations

import functools

__all__ = ["porter_stem"]

# nltk's irregular forms: the word (after lower-casing) -> its stem, before any rule.
_IRREGULAR = {
    "sky": "sky",
    "skies": "sky",
    "dying": "die",
    "lying": "lie",
    "tying": "tie",
    "news": "news",
    "innings": "inning",
    "inning": "inning",
    "outings": "outing",
    "outing": "outing",
    "cannings": "canning",
    "canning": "canning",
    "howe": "howe",
    "proceed": "proceed",
    "exceed": "exceed",
    "succeed": "succeed",
}


class _CVTable(dict):
    """``str.translate`` table: a, e, i, o, u -> ``v``; ``y`` stays ``y``; any other character -> ``c``."""

    def __missing__(self, code: int) -> str:
        self[code] = "c"
        return "c"


_CV_TABLE = _CVTable({ord(v): "v" for v in "aeiou"})
_CV_TABLE[ord("y")] = "y"


def _cv(s: str) -> str:
    """``s`` as a string of ``c`` (consonant) and ``v`` (vowel), one letter per character.

    Porter's definition: a, e, i, o, u are vowels; ``y`` is a vowel after a consonant and a
    consonant otherwise (at the start or after a vowel); everything else is a consonant.
    """
    cv = s.translate(_CV_TABLE)
    if "y" not in cv:
        return cv
    out = []
    prev = "v"  # a leading y is a consonant
    for ch in cv:
        if ch == "y":
            ch = "v" if prev == "c" else "c"
        out.append(ch)
        prev = ch
    return "".join(out)


def _measure(s: str) -> int:
    """Porter's m: the number of vowel-run/consonant-run pairs in ``[C](VC){m}[V]``."""
    return _cv(s).count("vc")


def _has_vowel(s: str) -> bool:
    """Porter's ``*v*``: whether ``s`` contains a vowel."""
    return "v" in _cv(s)


def _ends_consonant(s: str) -> bool:
    """Whether the last character of (non-empty) ``s`` is a consonant."""
    last = s[-1]
    if last in "aeiou":
        return False
    return last != "y" or _cv(s)[-1] == "c"


def _ends_cvc(s: str, cv: str) -> bool:
    """Condition ``*o`` for ``s`` (whose c/v string is ``cv``); nltk also accepts a bare ``vc``."""
    if len(s) >= 3:
        return cv[-3:] == "cvc" and s[-1] not in "wxy"
    return cv == "vc"


def _step1b_tidy(stem: str) -> str:
    """Step 1b's follow-up once ``ed`` or ``ing`` has been removed."""
    if stem.endswith(("at", "bl", "iz")):
        return stem + "e"
    if len(stem) >= 2 and stem[-1] == stem[-2] and _ends_consonant(stem):
        return stem if stem[-1] in "lsz" else stem[:-1]
    if stem.endswith("*d"):
        # nltk tests its double-consonant rule (spelt "*d") as a literal suffix as well.
        return stem[:-2] + "d"
    cv = _cv(stem)
    if cv.count("vc") == 1 and _ends_cvc(stem, cv):
        return stem + "e"
    return stem


def _rule_table(rules: tuple[tuple[str, str], ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Group ``(suffix, replacement)`` rules by their suffix's last two letters, keeping their order.

    Within a step the first rule whose suffix matches decides (its condition failing means no
    change), so only the rules sharing the word's last two letters need trying.
    """
    table: dict[str, list[tuple[str, str]]] = {}
    for rule in rules:
        table.setdefault(rule[0][-2:], []).append(rule)
    return {key: tuple(group) for key, group in table.items()}


_STEP2 = _rule_table(
    (
        ("ational", "ate"),
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("izer", "ize"),
        ("bli", "ble"),
        ("alli", "al"),
        ("entli", "ent"),
        ("eli", "e"),
        ("ousli", "ous"),
        ("ization", "ize"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("aliti", "al"),
        ("iviti", "ive"),
        ("biliti", "ble"),
        ("fulli", "ful"),
        ("logi", "log"),
    )
)
_STEP3 = _rule_table(
    (
        ("icate", "ic"),
        ("ative", ""),
        ("alize", "al"),
        ("iciti", "ic"),
        ("ical", "ic"),
        ("ful", ""),
        ("ness", ""),
    )
)
_STEP4 = _rule_table(
    tuple(
        (suffix, "")
        for suffix in (
            "al",
            "ance",
            "ence",
            "er",
            "ic",
            "able",
            "ible",
            "ant",
            "ement",
            "ment",
            "ent",
            "ion",
            "ou",
            "ism",
            "ate",
            "iti",
            "ous",
            "ive",
            "ize",
        )
    )
)


def _step2(w: str) -> str:
    """Step 2 (m > 0): ``ational -> ate``, ``bli -> ble``, ``logi -> log`` and the rest."""
    for suffix, replacement in _STEP2.get(w[-2:], ()):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            if suffix == "logi":
                # The 'l' stays with the stem, so that 'geologi' and 'theologi' shorten too.
                return stem + replacement if "vc" in _cv(w[:-3]) else w
            if "vc" not in _cv(stem):
                return w
            if suffix == "alli":
                # nltk applies 'alli -> al' first and then step 2 again ('...tionalli').
                return _step2(stem + replacement)
            return stem + replacement
    return w


def _step3(w: str) -> str:
    """Step 3 (m > 0): ``icate -> ic``, ``ative ->``, ``ness ->`` and the rest."""
    for suffix, replacement in _STEP3.get(w[-2:], ()):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            return stem + replacement if "vc" in _cv(stem) else w
    return w


def _step4(w: str) -> str:
    """Step 4 (m > 1): remove ``al``, ``ance``, ... ``ize``; ``ion`` only after ``s`` or ``t``."""
    for suffix, _ in _STEP4.get(w[-2:], ()):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem[-1] in "st"):
                return stem
            return w
    return w


@functools.lru_cache(maxsize=1 << 16)
def porter_stem(word: str) -> str:
    """The Porter stem of ``word``, lower-cased; equal to nltk's ``PorterStemmer().stem(word)``.

    Cached; ``porter_stem.__wrapped__`` is the uncached function.
    """
    w = word.lower()
    irregular = _IRREGULAR.get(w)
    if irregular is not None:
        return irregular
    if len(word) <= 2:  # nltk measures the word as given, before lower-casing
        return w

    return _step5(_step4(_step3(_step2(_step1(w)))))


def _step1(w: str) -> str:
    """Steps 1a (plurals), 1b (-eed, -ed, -ing) and 1c (y -> i)."""
    if w.endswith("s"):
        if w.endswith("ies"):
            w = w[:-1] if len(w) == 4 else w[:-2]
        elif w.endswith("sses"):
            w = w[:-2]
        elif not w.endswith("ss"):
            w = w[:-1]

    # nltk: -ied -> -ie on four letters, else -i.
    if w.endswith("ied"):
        w = w[:-1] if len(w) == 4 else w[:-2]
    elif w.endswith("eed"):
        if "vc" in _cv(w[:-3]):
            w = w[:-1]
    elif w.endswith("ed"):
        if _has_vowel(w[:-2]):
            w = _step1b_tidy(w[:-2])
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w = _step1b_tidy(w[:-3])

    # Step 1c (nltk): y -> i after a consonant that is not the first letter.
    if w.endswith("y") and len(w) > 2 and _ends_consonant(w[:-1]):
        w = w[:-1] + "i"
    return w


def _step5(w: str) -> str:
    """Step 5a: drop a final e when m > 1, or m = 1 and not *o; step 5b: -ll -> -l when m > 1."""
    if w.endswith("e"):
        stem = w[:-1]
        cv = _cv(stem)
        m = cv.count("vc")
        if m > 1 or (m == 1 and not _ends_cvc(stem, cv)):
            w = stem
    if w.endswith("ll") and _measure(w[:-1]) > 1:
        w = w[:-1]
    return w
