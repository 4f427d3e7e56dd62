"""A lexicon classifier for Chinese contact texts: rules over jieba words, offline, CPU only.

The words live in this folder (`emotion.txt`, `risk.txt`, `modifiers.txt`, UTF-8, one term per
line) and ship with the package. A text is
1. normalised: NFKC (full-width letters and digits), traditional → simplified (OpenCC `t2s`),
   lower case — cues are reported as written in the original text where the lengths agree;
2. cut into words by jieba, with every lexicon term added to its dictionary so that 不满意 or
   再也不买 stay one word (no HMM guessing: every word that matters is in the dictionary);
3. read clause by clause (，。！？；, line breaks): a negator (不, 没有, 不会 …) negates the next
   few words of its clause until a consequence word (就, 否则, 不然) — so 不会去投诉12315 is no
   threat but 再不解决我就去12315 is; an intensifier (太, 非常, 简直 …) or diminisher (有点)
   multiplies the next emotion word; after a contrast (但是, 可是) words weigh 1.5×;
4. scored: the emotion is the category with the highest weight (at least MIN_SCORE, else
   neutral); a risk cue makes the text high-risk — strong cues (12315, 起诉, 曝光, 销户,
   insults) on their own, weak ones (退货, 退款, 微博) only right after an intent word
   (我要退货, 给我退款, 发到微博). Anger alone is not high-risk.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from careloop.emotion.classifier import NEGATIVE, EmotionResult, polarity_of

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_CHARS = 5000  # longer texts are read up to here (contacts are capped at 5000 on entry)
MIN_SCORE = 0.6  # below this, no emotion: 请问 alone is a question, not confusion
NEGATION_SCOPE = 4  # words after a negator that it negates (within the clause)
MODIFIER_SCOPE = 3  # words after an intensifier that it reaches
INTENT_WINDOW = 2  # a weak risk cue counts when an intent word is at most this many words before
CONTRAST_WEIGHT = 1.5
NEGATED_SATISFIED = 0.8  # 不太满意 counts as dissatisfied, a little weaker than 不满意
USER_WORD_FREQ = 200_000  # jieba frequency of lexicon terms: they win over shorter cuts
ROLE_WORD_FREQ = 2_000  # … and of multi-character modifiers, unless jieba knows them better
CLAUSE_BREAKS = frozenset("，,。.！!？?；;：:、\n\r\t …~～")
MARKS = frozenset("!?！？")
# Tie-break between equal scores: the more serious emotion wins.
SEVERITY = ("angry", "dissatisfied", "anxious", "confused", "satisfied")


@dataclass(frozen=True)
class Term:
    emotion: str = ""  # a category of emotion.txt, or "" for a pure risk cue
    weight: float = 0.0
    risk: str = ""  # a kind of risk.txt
    strong: bool = False


@dataclass
class Lexicon:
    terms: dict[str, Term]
    roles: dict[str, frozenset[str]]  # modifiers: negator, consequence, intent, contrast, …
    factors: dict[str, float]  # intensifier / diminisher factors

    @classmethod
    def load(cls, folder: Path = HERE) -> Lexicon:
        terms: dict[str, Term] = {}
        for term, category, weight in _rows(folder / "emotion.txt", 3):
            emotion = "" if category == "neutral" else category
            terms[term] = Term(emotion=emotion, weight=float(weight))
        for term, kind, strength in _rows(folder / "risk.txt", 3):
            old = terms.get(term, Term())
            terms[term] = Term(old.emotion, old.weight, risk=kind, strong=strength == "strong")
        roles: dict[str, set[str]] = defaultdict(set)
        factors: dict[str, float] = {}
        for row in _rows(folder / "modifiers.txt", 2, optional=1):
            term, role = row[0], row[1]
            roles[term].add(role)
            if len(row) > 2:
                factors[term] = float(row[2])
        return cls(terms, {t: frozenset(r) for t, r in roles.items()}, factors)

    def words(self) -> list[str]:
        return [*self.terms, *self.roles]


def _rows(path: Path, size: int, *, optional: int = 0) -> list[list[str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if not size <= len(parts) <= size + optional:
            raise ValueError(f"{path.name}:{number}: expected {size} fields: {line!r}")
        rows.append(parts)
    return rows


class LexiconClassifier:
    """`classify(texts)` by lexicon and rules; jieba and OpenCC load on first use."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or HERE
        self._ready = threading.Lock()
        self._cut = None
        self._t2s = None
        self.lexicon: Lexicon | None = None

    def warm_up(self) -> None:
        """Load the lexicon, jieba's dictionary (shipped with jieba) and OpenCC's tables."""
        if self._cut is not None:
            return
        with self._ready:
            if self._cut is not None:
                return
            import jieba
            import opencc

            jieba.setLogLevel(logging.WARNING)
            lexicon = Lexicon.load(self.folder)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in lexicon.terms:
                # ASCII runs (12315, sb, sue) already come out whole; in the dictionary they
                # would be cut out of longer runs (usb → u/sb, issue → is/sue, 123150).
                if not word.isascii():
                    tokenizer.add_word(word, USER_WORD_FREQ)
            for word in lexicon.roles:  # 给我, 不会 …: one word, so that 给我退款 reads as intent
                if len(word) > 1 and not word.isascii():
                    tokenizer.add_word(word, max(tokenizer.FREQ.get(word, 0), ROLE_WORD_FREQ))
            self.lexicon = lexicon
            self._t2s = opencc.OpenCC("t2s").convert
            cut = tokenizer.lcut
            self._cut = lambda text: cut(text, HMM=False)

    def classify(self, texts: Sequence[str]) -> list[EmotionResult]:
        self.warm_up()
        return [self.classify_one(text) for text in texts]

    def normalise(self, text: str) -> str:
        return self._t2s(unicodedata.normalize("NFKC", text)).lower()

    def classify_one(self, text: str) -> EmotionResult:
        self.warm_up()
        text = text or ""
        head = text[:MAX_CHARS]
        if not head.strip():
            return EmotionResult(text, "neutral", "neutral", 0.0, False, [], [])
        norm = self.normalise(head)
        # Cues are quoted from the original text (消協, not 消协) where the lengths agree.
        reading = _Reading(self.lexicon, head if len(norm) == len(head) else norm)
        at = 0
        for word in self._cut(norm):
            reading.feed(word, at)
            at += len(word)
        return reading.result(text)


class _Reading:
    """The state of one text read word by word."""

    def __init__(self, lexicon: Lexicon, quoted: str):
        self.lexicon = lexicon
        self.quoted = quoted  # the text cues are quoted from, aligned with the words
        self.scores: dict[str, float] = defaultdict(float)
        self.emotion_cues: dict[str, list[str]] = defaultdict(list)
        self.risk_kinds: list[str] = []
        self.risk_cues: list[str] = []
        self.marks = 0  # ! and ? count
        self.contrast = 1.0
        self.new_clause()

    def new_clause(self) -> None:
        self.negated = 0  # words left in the negation's scope
        self.negation_at = 0  # where the negator starts, to report 不太满意 as one cue
        self.factor, self.factor_left = 1.0, 0
        self.position = 0  # words of the clause so far
        self.intent_at = -99  # position of the last intent word

    def feed(self, word: str, at: int) -> None:
        if word in CLAUSE_BREAKS or word.isspace():
            if word in MARKS:
                self.marks += 1
            self.new_clause()
            return
        self.position += 1
        roles = self.lexicon.roles.get(word, frozenset())
        term = self.lexicon.terms.get(word)
        if roles and term is None:
            self.modifier(word, at, roles)
            return
        if term is not None:
            self.cue(term, at, at + len(word))
        self.negated = max(0, self.negated - 1)
        self.factor_left = max(0, self.factor_left - 1)

    def modifier(self, word: str, at: int, roles: frozenset[str]) -> None:
        if "intent" in roles:
            self.intent_at = self.position
        if "contrast" in roles:
            self.contrast = CONTRAST_WEIGHT
            self.negated = 0
        if "consequence" in roles:
            self.negated = 0
        if "negator" in roles:
            self.negated, self.negation_at = NEGATION_SCOPE, at
            return
        if word in self.lexicon.factors:
            self.factor, self.factor_left = self.lexicon.factors[word], MODIFIER_SCOPE
            return
        self.negated = max(0, self.negated - 1)
        self.factor_left = max(0, self.factor_left - 1)

    def cue(self, term: Term, start: int, end: int) -> None:
        negated = self.negated > 0
        surface = self.quoted[start:end]
        intended = term.strong or self.position - self.intent_at <= INTENT_WINDOW
        if term.risk and not negated and intended:
            if term.risk not in self.risk_kinds:
                self.risk_kinds.append(term.risk)
            if surface not in self.risk_cues:
                self.risk_cues.append(surface)
        if not term.emotion:
            return
        emotion, weight = term.emotion, term.weight * self.contrast
        if self.factor_left:
            weight *= self.factor
        if negated:
            if emotion != "satisfied":
                return  # 不生气, 没有失望: nothing
            emotion, weight = "dissatisfied", weight * NEGATED_SATISFIED
            surface = self.quoted[self.negation_at : end]
        self.scores[emotion] += weight
        if surface not in self.emotion_cues[emotion]:
            self.emotion_cues[emotion].append(surface)

    def result(self, text: str) -> EmotionResult:
        best = max(SEVERITY, key=lambda e: (self.scores.get(e, 0.0), -SEVERITY.index(e)))
        score = self.scores.get(best, 0.0)
        emotion = best if score >= MIN_SCORE else "neutral"
        high_risk = bool(self.risk_kinds)
        if set(self.risk_kinds) - {"leave"}:
            emotion = "angry"  # threatening a regulator, the media or a lawsuit, or abuse
        elif high_risk and emotion not in NEGATIVE:
            emotion = "dissatisfied"  # a calm "我要退货" is still a customer about to leave
        cues = list(self.risk_cues)
        for cue in self.emotion_cues.get(emotion, ()):
            if cue not in cues:
                cues.append(cue)
        return EmotionResult(
            text=text,
            emotion=emotion,
            polarity=polarity_of(emotion, high_risk=high_risk),
            intensity=self.intensity(emotion, score if emotion == best else 0.0),
            high_risk=high_risk,
            cues=cues,
            risk_kinds=list(self.risk_kinds),
        )

    def intensity(self, emotion: str, score: float) -> float:
        """0–1: grows with the weight of the emotion words, ! and ?, and risk."""
        if emotion == "neutral":
            return 0.0
        value = 1.0 - math.exp(-score / 3.0)
        value *= 1.0 + 0.1 * min(self.marks, 5)
        if self.risk_kinds:
            floor = 0.85 if "abuse" in self.risk_kinds else 0.7
            value = max(value, floor) + 0.05 * (len(self.risk_kinds) - 1)
        return round(min(value, 1.0), 2)
