"""A word's parts of speech and inflected forms, from lemminflect (:class:`Inflector`)."""

from __future__ import annotations

import lic_gpu.fluency.answer_store as answer_store

# Nouns whose gender a swap must keep (a man is not swapped for a woman): Inflector.gender
MALE_NOUNS = frozenset(
    """
man boy father son brother husband uncle nephew king prince grandfather grandson dad daddy gentleman
sir lord mister boyfriend groom bridegroom widower actor waiter host hero steward monk emperor duke
count fiance lad guy male stepfather stepson fella
""".split()
)
FEMALE_NOUNS = frozenset(
    """
woman girl mother daughter sister wife aunt niece queen princess grandmother granddaughter mum mom
mummy mommy lady madam mistress girlfriend bride widow actress waitress hostess heroine stewardess nun
empress duchess countess fiancee lass gal female stepmother stepdaughter
""".split()
)
# Compounds on -man / -woman (spokesman, chairwoman) carry the gender too; these -man words do not.
NOT_GENDERED_MAN = frozenset(
    "human superhuman inhuman german roman shaman talisman ottoman caiman cayman doberman".split()
)

# Closed classes of nouns whose members are neighbours in any word-vector space but not substitutes.
# Body parts sit in idioms and fixed scenes (my heart was pounding -> my stomach was pounding, clasped
# hands -> clasped fingers): in the blind readings one such swap in four was fluent, against three in five
# of the others. A person swapped for an animal (the baby cried -> the pet cried) changes what the story
# is about, and so does one animal for another (horses -> dogs in the stables, "a fire killing 39 cats" ->
# elephants). Inflector.kind names the class; the sampler refuses body part -> body part, animal -> animal
# and person <-> animal.
BODY_PARTS = frozenset(
    """
head face eye ear nose mouth lip tongue tooth teeth throat neck shoulder arm elbow wrist hand finger thumb
fist palm chest breast heart lung stomach belly tummy back spine hip leg knee ankle foot feet toe skin
brain liver kidney bone muscle cheek chin forehead jaw tail paw wing
""".split()
)
PEOPLE = frozenset(
    """
person people man woman child kid baby infant toddler newborn boy girl teenager teen adult mother father
parent daughter son brother sister grandmother grandfather grandparent aunt uncle niece nephew cousin
husband wife friend neighbour neighbor colleague
""".split()
)
# Nouns for groups of people: a person -> group swap (people -> families, a worker -> a team) changes
# who the sentence is about; blind readers failed it ("people were screaming -> families were ...")
GROUPS = frozenset(
    """
family group team crowd community couple audience population society tribe clan household staff crew
committee board gang mob band class club party union
""".split()
)
# Family relations and colours: neighbours in every vector space, never substitutes. A relation swapped for
# another changes who is who ("my sister gave birth ... I'm an aunt" -> "my mother gave birth", "nieces ->
# aunts", "daughter -> granddaughter"); a colour for another changes the facts or a name ("dark hair ->
# gray hair", "Black Monday -> White Monday"). Blind readers failed such rows in every reading; they were
# 3-8 % of the default's new rows (EmoBank, the demo).
KIN = frozenset(
    """
mother father parent mom mum dad daughter son child brother sister sibling grandmother grandfather
grandparent grandma grandpa granny grandson granddaughter grandchild aunt uncle niece nephew cousin husband
wife spouse stepmother stepfather stepson stepdaughter fiance fiancee bride groom boyfriend girlfriend
widow widower
""".split()
)
COLOURS = frozenset(
    """
black white red blue green yellow brown gray grey pink purple orange violet scarlet crimson maroon navy
turquoise beige golden silver blond blonde
""".split()
)
# Units of measure and money: one for another changes the quantity (`six feet -> six meters`, `20 dollars -> 20
# euros`), as a time unit would (time units are protected outright: lic_gpu/fluency/protected.py).
UNITS = frozenset(
    """
inch foot feet yard mile metre meter centimetre centimeter millimetre millimeter kilometre kilometer km cm mm
gram gramme kilogram kilogramme kilo kg pound lb ounce oz ton tonne litre liter millilitre milliliter pint quart
gallon acre hectare degree celsius fahrenheit calorie mph dollar euro euros kilos cent penny pence yen rupee quid buck
""".split()
)
ANIMALS = frozenset(
    """
animal pet dog puppy cat kitten horse pony cow bull pig sheep lamb goat chicken hen duck goose bird rabbit
mouse rat wolf fox bear lion tiger elephant deer monkey ape camel donkey fish whale dolphin shark snake frog
""".split()
)

# The commonest English antonym pairs of adjectives and nouns (by lemma): word vectors put them
# next to each other (low -> high), and a swap to the opposite changes what the row means. The
# lexicon and rating-lean guards catch the emotional ones; these are mostly neutral.
ANTONYM_PAIRS = tuple(
    tuple(p.split("/"))
    for p in """
high/low big/small large/small long/short tall/short wide/narrow thick/thin heavy/light fast/slow
quick/slow early/late old/new old/young hot/cold warm/cool warm/cold hard/soft hard/easy difficult/easy
strong/weak rich/poor full/empty open/closed first/last best/worst good/bad better/worse happy/sad
light/dark bright/dark clean/dirty wet/dry loud/quiet noisy/quiet safe/dangerous cheap/expensive
right/wrong right/left true/false real/fake same/different present/absent public/private
positive/negative major/minor inner/outer upper/lower top/bottom front/back north/south east/west
northern/southern eastern/western up/down in/out nice/nasty kind/cruel polite/rude friendly/hostile
calm/excited calm/angry brave/afraid alive/dead living/dead win/loss victory/defeat success/failure
friend/enemy love/hate joy/sorrow peace/war war/peace beginning/end start/end morning/evening day/night
summer/winter spring/autumn birth/death male/female man/woman boy/girl husband/wife son/daughter
increase/decrease rise/fall profit/loss gain/loss maximum/minimum more/less most/least many/few
wise/foolish smart/stupid clever/stupid nice/mean deep/shallow near/far close/far sharp/dull
cool/hot
""".split()
)
ANTONYMS = frozenset(ANTONYM_PAIRS) | frozenset((b, a) for a, b in ANTONYM_PAIRS)


# Penn tags of the words a swap may replace, with lemminflect's universal POS for each.
SWAPPABLE_TAGS = {
    "NN": "NOUN",
    "NNS": "NOUN",
    "VB": "VERB",
    "VBD": "VERB",
    "VBG": "VERB",
    "VBN": "VERB",
    "VBP": "VERB",
    "VBZ": "VERB",
    "JJ": "ADJ",
    "JJR": "ADJ",
    "JJS": "ADJ",
    "RB": "ADV",
    "RBR": "ADV",
    "RBS": "ADV",
}
POS_NAMES = ("NOUN", "VERB", "ADJ", "ADV")


BASE_TAGS = frozenset({"NN", "VB", "VBP", "JJ", "RB"})


def _answer(value) -> dict[str, tuple[str, ...]]:
    if not all(isinstance(v, list) for v in value.values()):
        raise TypeError("not a lemminflect answer")
    return {k: tuple(v) for k, v in value.items()}


# lemminflect's answers, kept per process (lemminflect deep-copies each answer) and between runs
# (lic_gpu.fluency.answer_store): a warm run then never loads lemminflect's tables (~0.4 s)
LEMMAS = answer_store.AnswerBook("lemminflect lemmas", lambda: answer_store.version("lemminflect"), _answer)
INFLECTIONS = answer_store.AnswerBook("lemminflect inflections", lambda: answer_store.version("lemminflect"), _answer)


class Inflector:
    """lemminflect's look-ups, memoised: which forms a word can be, and a word in a wanted form.

    lemminflect (MIT) ships its English lemma and inflection tables in the wheel; a word it does not
    know has no forms here, so it is never used as a replacement. Only a lemma's first (preferred)
    spelling of a form counts: lemminflect also lists mass-noun plurals (``talk`` as a plural of
    ``talk``) and rare variants, which read as errors in most sentences.
    """

    def __init__(self) -> None:
        self._lemminflect = None  # imported at the first answer that is not kept yet
        self._forms: dict[str, frozenset[tuple[str, str]]] = {}
        self._as: dict[tuple[str, str], str | None] = {}

    @property
    def _lm(self):
        if self._lemminflect is None:
            self._lemminflect = _import_lemminflect()
        return self._lemminflect

    def _lemmas_of(self, word: str, upos: str | None = None) -> dict[str, tuple[str, ...]]:
        # lemminflect deep-copies its answer on every call; the checks ask about the same few thousand
        # words tens of thousands of times a run, so each answer is kept (read-only here), shared by
        # every Inflector (lemminflect's tables are global)
        key = (word, upos or "")
        out = LEMMAS.get(key)
        if out is None:
            out = LEMMAS.put(key, self._lm.getAllLemmas(word) if upos is None else self._lm.getAllLemmas(word, upos))
        return out

    def _inflections_of(self, lemma: str, upos: str) -> dict[str, tuple[str, ...]]:
        """lemminflect's ``{penn: (form, ...)}`` of ``lemma`` as ``upos``, kept like the lemmas."""
        out = INFLECTIONS.get((lemma, upos))
        if out is None:
            out = INFLECTIONS.put((lemma, upos), self._lm.getAllInflections(lemma, upos))
        return out

    def forms(self, word: str) -> frozenset[tuple[str, str]]:
        """``{(upos, penn), ...}`` that the lowercase ``word`` is the preferred spelling of (empty when
        lemminflect does not know it)."""
        word = word.lower()
        out = self._forms.get(word)
        if out is None:
            found = set()
            plural_of_other = False
            for upos, lemmas in self._lemmas_of(word).items():
                if upos not in POS_NAMES:
                    continue
                for lemma in lemmas:
                    infl = dict(self._inflections_of(lemma, upos))
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
        return dict(self._lemmas_of(word.lower()))  # a copy: the caller may change it

    def same_lemma(self, a: str, b: str) -> bool:
        """Whether two words share a lemma, in any part of speech: ``got -> gotten``, ``laid -> lay``,
        ``later -> late`` are one word in two forms (the Porter stem does not see irregular forms)."""
        la = {x for lemmas in self._lemmas_of(a.lower()).values() for x in lemmas}
        lb = {x for lemmas in self._lemmas_of(b.lower()).values() for x in lemmas}
        return bool(la & lb)

    def gender(self, word: str) -> str | None:
        """``"male"``, ``"female"`` or ``None`` for a noun (by its lemmas: ``daughters`` is female)."""
        low = word.lower()
        names = {low, *self._lemmas_of(low, "NOUN").get("NOUN", ())}
        if names & MALE_NOUNS:
            return "male"
        if names & FEMALE_NOUNS:
            return "female"
        for name in names:  # spokeswoman -> spokesman would leave "Susan, a spokesman"
            if name.endswith("woman"):  # the lemmas hold the singular of spokeswomen
                return "female"
            if name.endswith("man") and len(name) > 4 and name not in NOT_GENDERED_MAN and not name.endswith("human"):
                return "male"
        return None

    def kind(self, word: str) -> str | None:
        """``"body"``, ``"person"`` or ``"animal"`` for a noun of those closed classes (by its lemmas),
        else ``None``."""
        names = {word.lower(), *self._lemmas_of(word.lower(), "NOUN").get("NOUN", ())}
        for kind, members in (("body", BODY_PARTS), ("person", PEOPLE), ("animal", ANIMALS)):
            if names & members:
                return kind
        return None

    def _group(self, word: str) -> bool:
        return self._in(word, GROUPS)

    def _in(self, word: str, members: frozenset[str]) -> bool:
        """Whether ``word`` or one of its noun lemmas (``nieces`` -> ``niece``) is in ``members``."""
        names = {word.lower(), *self._lemmas_of(word.lower(), "NOUN").get("NOUN", ())}
        return bool(names & members)

    def not_a_substitute(self, old: str, new: str) -> bool:
        """Whether ``new`` is a sibling body part or another animal than ``old`` (``horses -> dogs``),
        crosses between people and animals, or between a person and a group of people (``people ->
        families``), or is another family relation (``sister -> mother``), colour (``black -> white``) or unit
        of measure or money (``feet -> meters``, ``dollars -> euros``)."""
        kinds = {self.kind(old), self.kind(new)}
        if kinds == {"body"} or kinds == {"animal"} or kinds == {"person", "animal"}:
            return True
        if self._in(old, KIN) and self._in(new, KIN):
            return True
        if old.lower() in COLOURS and new.lower() in COLOURS:
            return True
        if self._in(old, UNITS) and self._in(new, UNITS):
            return True
        return (self.kind(old) == "person" and self._group(new)) or (self.kind(new) == "person" and self._group(old))

    def opposite(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` are (forms of) an antonym pair of :data:`ANTONYM_PAIRS`."""
        la = {a.lower(), *(x for v in self._lemmas_of(a.lower()).values() for x in v)}
        lb = {b.lower(), *(x for v in self._lemmas_of(b.lower()).values() for x in v)}
        return any((x, y) in ANTONYMS for x in la for y in lb)

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
                for lemma in self._lemmas_of(key[0], upos).get(upos, ()):
                    infl = self._inflections_of(lemma, upos)
                    wanted = infl.get(penn) or (infl.get("VBD") if penn == "VBN" else None)
                    if penn == "NNS" and wanted and wanted[:1] == infl.get("NN", ())[:1]:
                        continue  # a mass noun in a plural slot: "the fun were tired"
                    if wanted:
                        out = wanted[0]
                        break
        self._as[key] = out
        return out


def _import_lemminflect():
    """lemminflect, imported without importing spaCy.

    lemminflect's ``__init__`` imports spaCy (when installed) only to register ``Token._.lemma`` and
    ``Token._.inflect``, which lic_gpu never uses; that import costs ~0.6 s of every run, also of a
    re-run whose tags all come from the tag cache and which would otherwise never load spaCy. Where
    spaCy is already imported, lemminflect is imported as usual. Its tables load on first use.
    """
    import sys

    if "lemminflect" in sys.modules or "spacy" in sys.modules:
        import lemminflect

        return lemminflect
    blocker = _NoSpacy()  # ``import spacy`` raises ImportError, which lemminflect passes over
    sys.meta_path.insert(0, blocker)
    try:
        import lemminflect
    finally:
        sys.meta_path.remove(blocker)
    return lemminflect


class _NoSpacy:
    """An import finder that refuses spaCy (and leaves ``sys.modules`` as it was, which lemminflect
    checks)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "spacy" or name.startswith("spacy."):
            raise ModuleNotFoundError(f"{name} is not imported by lic_gpu here", name=name)
        return None
