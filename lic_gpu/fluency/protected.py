"""Tokens a swap never replaces and never uses as a replacement (:func:`protected_reason`)."""

from __future__ import annotations

import re
from functools import lru_cache


NEGATIONS = frozenset(
    """
not no never none nobody nothing nowhere neither nor without cannot n't nay nope
hardly barely scarcely seldom rarely lack lacks lacking lacked
""".split()
)

PRONOUNS = frozenset(
    """
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves one oneself
this that these those who whom whose which what whoever whatever whichever
someone somebody something anyone anybody anything everyone everybody everything
no-one noone nobody nothing
""".split()
)

NUMBER_WORDS = frozenset(
    """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
hundreds thousand thousands million millions billion billions trillion dozen dozens half twice
first second third fourth fifth sixth seventh eighth ninth tenth once
""".split()
)

TIME_WORDS = frozenset(
    """
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec today tonight tomorrow
yesterday am pm a.m. p.m. second seconds minute minutes hour hours day days week weeks weekend weekends
month months year years decade decades century centuries fortnight fortnights spring springs summer summers
autumn autumns winter winters morning mornings afternoon afternoons evening evenings night nights noon midnight
""".split()
)

QUANTIFIERS = frozenset(
    """
many several numerous various countless multiple much lots plenty few fewer less least enough each every
""".split()
)

# Nouns that name a man or a woman: a swap may not change the gender (daughter -> brother leaves a
# "she" behind, women -> men rewrites the story). Plurals are found through their lemma.
_URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_PLAIN_WORD_RE = re.compile(r"^[^\W\d_]+(?:['\u2019-][^\W\d_]+)*$", re.UNICODE)

PROTECTED_CLASSES = (
    "punctuation",
    "negation",
    "pronoun",
    "quantifier",
    "number",
    "time",
    "url",
    "email",
    "mention",
    "hashtag",
)


def protected_reason(token: str) -> str | None:
    """Why ``token`` may neither be replaced nor be a replacement, or ``None`` when it may.

    The classes are :data:`PROTECTED_CLASSES`; a token that is not a plain word (letters with
    inner apostrophes or hyphens) is ``punctuation`` unless it is a number, URL, e-mail, @mention
    or #hashtag.
    """
    return _protected_reason(token)


@lru_cache(maxsize=1 << 16)
def _protected_reason(token: str) -> str | None:
    if not _PLAIN_WORD_RE.match(token):
        if _URL_RE.match(token):
            return "url"
        if _EMAIL_RE.match(token):
            return "email"
        if token[:1] == "@" and len(token) > 1:
            return "mention"
        if token[:1] == "#" and len(token) > 1:
            return "hashtag"
        if any(ch.isdigit() for ch in token):
            return "number"
        return "punctuation"
    low = token.lower().replace("\u2019", "'")
    if low in NEGATIONS or low.endswith("n't"):
        return "negation"
    if low in PRONOUNS:
        return "pronoun"
    if low in QUANTIFIERS:
        return "quantifier"
    if low in NUMBER_WORDS:
        return "number"
    if low in TIME_WORDS:
        return "time"
    return None
