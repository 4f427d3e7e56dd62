"""/api/v1/emotion/classify: the emotion of contact texts, for integrators (a phone system
can flag a high-risk caller before an agent picks up)."""

from ninja import Router, Schema

from careloop.emotion.services import emotion_classify

router = Router(tags=["emotion"])


class ClassifyIn(Schema):
    texts: list[str]


class EmotionOut(Schema):
    text: str
    emotion: str  # angry / anxious / confused / dissatisfied / neutral / satisfied
    polarity: str  # negative / neutral / positive
    intensity: float  # 0–1
    high_risk: bool
    cues: list[str]
    risk_kinds: list[str]  # leave / regulator / public / legal / abuse


@router.post("/emotion/classify", response=list[EmotionOut])
def classify_texts(request, payload: ClassifyIn):
    """One result per text, in order. At most 200 texts of 5,000 characters each."""
    return emotion_classify(texts=payload.texts)
