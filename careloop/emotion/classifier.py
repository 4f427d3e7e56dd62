"""The emotion interface: `classify(texts) -> [EmotionResult]`, one implementation behind it.

The implementation is chosen by the setting (or environment variable)
`CARELOOP_EMOTION_CLASSIFIER`, a dotted path to a class with a `classify(texts)` method; the
default is the lexicon classifier shipped in `careloop/emotion/lexicon/`. A trained model can be
swapped in later behind the same interface. Nothing here imports jieba: the classifier loads its
files the first time it is used, once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

DEFAULT_CLASSIFIER = "careloop.emotion.lexicon.LexiconClassifier"

EMOTIONS = ("angry", "anxious", "confused", "dissatisfied", "neutral", "satisfied")
NEGATIVE = frozenset({"angry", "anxious", "dissatisfied"})
RISK_KINDS = ("leave", "regulator", "public", "legal", "abuse")

EMOTION_LABELS = {
    "angry": _("愤怒"),
    "anxious": _("焦虑"),
    "confused": _("困惑"),
    "dissatisfied": _("不满"),
    "neutral": _("中性"),
    "satisfied": _("满意"),
}
POLARITY_LABELS = {"negative": _("负面"), "neutral": _("中性"), "positive": _("正面")}
RISK_LABELS = {
    "leave": _("扬言流失"),
    "regulator": _("扬言找监管部门"),
    "public": _("扬言曝光"),
    "legal": _("扬言起诉或报警"),
    "abuse": _("辱骂"),
}
CUES_SEPARATOR = "、"


@dataclass(frozen=True)
class EmotionResult:
    text: str
    emotion: str  # one of EMOTIONS
    polarity: str  # negative / neutral / positive
    intensity: float  # 0–1
    high_risk: bool
    cues: list[str] = field(default_factory=list)  # the words that drove the result
    # leave / regulator / public / legal / abuse
    risk_kinds: list[str] = field(default_factory=list)

    def as_dict(self, *, risk_kinds: bool = False) -> dict:
        """The CLI's JSON object (DESIGN.md §5); the API adds `risk_kinds`."""
        data = asdict(self)
        if not risk_kinds:
            del data["risk_kinds"]
        return data

    @property
    def cues_text(self) -> str:
        """The cues as stored on an interaction (`emotion_cues`, at most 200 characters)."""
        out = ""
        for cue in self.cues:
            joined = f"{out}{CUES_SEPARATOR}{cue}" if out else cue
            if len(joined) > 200:
                break
            out = joined
        return out


def polarity_of(emotion: str, *, high_risk: bool = False) -> str:
    if high_risk or emotion in NEGATIVE:
        return "negative"
    return "positive" if emotion == "satisfied" else "neutral"


class Classifier(Protocol):
    def classify(self, texts: Sequence[str]) -> list[EmotionResult]:
        """One result per text, in order; an empty text is neutral."""
        ...


_lock = threading.Lock()
_instances: dict[str, Classifier] = {}


def classifier_path() -> str:
    return (
        getattr(settings, "CARELOOP_EMOTION_CLASSIFIER", None)
        or os.environ.get("CARELOOP_EMOTION_CLASSIFIER")
        or DEFAULT_CLASSIFIER
    )


def get_classifier() -> Classifier:
    """The configured classifier, built once per process (its files load on first use)."""
    path = classifier_path()
    instance = _instances.get(path)
    if instance is None:
        with _lock:
            instance = _instances.get(path)
            if instance is None:
                instance = _instances[path] = import_string(path)()
    return instance


def classify(texts: Sequence[str]) -> list[EmotionResult]:
    """Classify contact texts (simplified or traditional Chinese) with the configured classifier."""
    if isinstance(texts, str):
        raise TypeError("classify() takes a sequence of texts, not one string")
    return get_classifier().classify(list(texts))
