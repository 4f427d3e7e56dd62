"""POST /api/v1/emotion/classify."""

import pytest

from careloop.accounts.tests.apiclient import ApiClient, api_as

pytestmark = pytest.mark.django_db


def test_classify(agent_li):
    response = api_as(agent_li).post(
        "/emotion/classify", {"texts": ["再不处理我就去12315，还要发微博曝光", "谢谢"]}
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first == {
        "text": "再不处理我就去12315，还要发微博曝光",
        "emotion": "angry",
        "polarity": "negative",
        "intensity": 0.75,
        "high_risk": True,
        "cues": ["12315", "发微博", "曝光"],
        "risk_kinds": ["regulator", "public"],
    }
    assert (second["emotion"], second["high_risk"]) == ("satisfied", False)


def test_token_required():
    response = ApiClient().post("/emotion/classify", {"texts": ["你好"]})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"texts": []}, 400, "请提供至少一段文本"),
        ({"texts": ["x" * 5001]}, 400, "第 1 段文本超过 5000 字"),
        ({"text": "你好"}, 422, "字段 texts 无效:Field required"),
    ],
)
def test_bad_body(agent_li, body, status, message):
    response = api_as(agent_li).post("/emotion/classify", body)
    assert response.status_code == status
    assert response.json()["message"] == message
    assert response.json()["field"] == "texts"


def test_contact_api_returns_its_emotion(agent_li, team_east):
    from careloop.customers.tests.factories import make_customer

    zhang = make_customer("张三", team=team_east)
    api = api_as(agent_li)
    response = api.post(
        f"/customers/{zhang.pk}/interactions",
        {"kind": "complaint", "channel": "phone", "text": "再不退款我就去消协"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["emotion"], body["high_risk"], body["emotion_cues"]) == ("angry", True, "消协")
    listed = api.get(f"/customers/{zhang.pk}/interactions").json()
    assert listed["items"][0]["emotion_cues"] == "消协"
