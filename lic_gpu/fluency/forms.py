"""A word's parts of speech and inflected forms, from lemminflect (:class:`Inflector`)."""
from __future__ import annotations

# Nouns whose gender a swap must keep (a man is not swapped for a woman): Inflector.gender
MALE_NOUNS = frozenset("""
man boy father son brother husband uncle nephew king prince grandfather grandson dad daddy gentleman
sir lord mister boyfriend groom bridegroom widower actor waiter host hero steward monk emperor duke
count fiance lad guy male stepfather stepson fella
""".split())
FEMALE_NOUNS = frozenset("""
woman girl mother daughter sister wife aunt niece queen princess grandmother granddaughter mum mom
mummy mommy lady madam mistress girlfriend bride widow actress waitress hostess heroine stewardess nun
empress duchess countess fiancee lass gal female stepmother stepdaughter
""".split())


# Penn tags of the words a swap may replace, with lemminflect's universal POS for each.
SWAPPABLE_TAGS = {"NN": "NOUN", "NNS": "NOUN", "VB": "VERB", "VBD": "VERB", "VBG": "VERB", "VBN": "VERB",
                  "VBP": "VERB", "VBZ": "VERB", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "RB": "ADV",
                  "RBR": "ADV", "RBS": "ADV"}
POS_NAMES = ("NOUN", "VERB", "ADJ", "ADV")


BASE_TAGS = frozenset({"NN", "VB", "VBP", "JJ", "RB"})


class Inflector:
    """lemminflect's look-ups, memoised: which forms a word can be, and a word in a wanted form.

    lemminflect (MIT) ships its English lemma and inflection tables in the wheel; a word it does not
    know has no forms here, so it is never used as a replacement. Only a lemma's first (preferred)
    spelling of a form counts: lemminflect also lists mass-noun plurals (``talk`` as a plural of
    ``talk``) and rare variants, which read as errors in most sentences.
    """

    def __init__(self) -> None:
        import lemminflect  # noqa: F401  (loads its tables on first use)

        self._lm = lemminflect
        self._forms: dict[str, frozenset[tuple[str, str]]] = {}
        self._as: dict[tuple[str, str], str | None] = {}

    def forms(self, word: str) -> frozenset[tuple[str, str]]:
        """``{(upos, penn), ...}`` that the lowercase ``word`` is the preferred spelling of (empty when
        lemminflect does not know it)."""
        word = word.lower()
        out = self._forms.get(word)
        if out is None:
            found = set()
            plural_of_other = False
            for upos, lemmas in self._lm.getAllLemmas(word).items():
                if upos not in POS_NAMES:
                    continue
                for lemma in lemmas:
                    infl = dict(self._lm.getAllInflections(lemma, upos))
                    if "VBD" in infl and "VBN" not in infl:
                        infl["VBN"] = infl["VBD"]  # lemminflect leaves out a participle equal to the past
                    if upos == "NOUN" and infl.get("NNS", ())[:1] == infl.get("NN", ())[:1]:
                        infl.pop("NNS", None)  # a mass noun (fun, advice) has no plural
                    if upos == "NOUN" and lemma != word and infl.get("NNS", ())[:1] == (word,):
                        plural_of_other = True
                    for penn, forms in infl.items():
                        if forms and forms[0] == word:
                            found.add((upos, penn))
                    if lemma == word and upos in ("ADJ", "ADV"):
                        found.add((upos, "JJ" if upos == "ADJ" else "RB"))
                    if lemma == word and upos == "NOUN" and "NN" not in infl:
                        found.add((upos, "NN"))
            if plural_of_other:
                found.discard(("NOUN", "NN"))  # minutes, things: a plural, not lemminflect's plural-only lemma
            out = self._forms[word] = frozenset(found)
        return out

    def lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """lemminflect's ``{upos: (lemma, ...)}`` for the lowercase ``word``."""
        return self._lm.getAllLemmas(word.lower())

    def gender(self, word: str) -> str | None:
        """``"male"``, ``"female"`` or ``None`` for a noun (by its lemmas: ``daughters`` is female)."""
        low = word.lower()
        names = {low, *self._lm.getAllLemmas(low, "NOUN").get("NOUN", ())}
        if names & MALE_NOUNS:
            return "male"
        if names & FEMALE_NOUNS:
            return "female"
        return None

    def as_form(self, word: str, penn: str) -> str | None:
        """``word`` (lowercase) in the form Penn tag ``penn`` asks for, or ``None``.

        The word itself when it is that form. Otherwise it is re-inflected from its lemma, but only
        when the word is clearly of the wanted part of speech: it has no other, or it is itself an
        inflected form of it (``laughing`` -> ``laughed``; not ``well`` -> ``welled``, not ``sitting``
        as a noun).
        """
        key = (word.lower(), penn)
        if key in self._as:
            return self._as[key]
        upos = SWAPPABLE_TAGS.get(penn)
        out = None
        forms = self.forms(key[0])
        if upos is not None and forms:
            own = {p for u, p in forms if u == upos}
            other_inflected = any(u != upos and p not in BASE_TAGS for u, p in forms)
            if penn in own and not (own <= BASE_TAGS and other_inflected):
                out = key[0]
            elif own and (not own <= BASE_TAGS or {u for u, _ in forms} == {upos}):
                for lemma in self._lm.getAllLemmas(key[0], upos).get(upos, ()):
                    infl = self._lm.getAllInflections(lemma, upos)
                    wanted = infl.get(penn) or (infl.get("VBD") if penn == "VBN" else None)
                    if penn == "NNS" and wanted and wanted[:1] == infl.get("NN", ())[:1]:
                        continue  # a mass noun in a plural slot: "the fun were tired"
                    if wanted:
                        out = wanted[0]
                        break
        self._as[key] = out
        return out
