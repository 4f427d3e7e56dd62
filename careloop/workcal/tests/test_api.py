"""/api/v1/calendar/working-days and /care-holidays."""

import pytest

from careloop.accounts.tests.apiclient import api_as

pytestmark = pytest.mark.django_db


def test_working_days_over_the_spring_festival(agent_li):
    response = api_as(agent_li).get(
        "/calendar/working-days", {"start": "2026-02-12", "end": "2026-02-25"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "start": "2026-02-12",
        "end": "2026-02-25",
        "count": 5,
        "working_days": ["2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25"],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-12", "end": "2026-02-01"}, "end"),
        ({"start": "2026-01-01", "end": "2028-01-02"}, "end"),
    ],
)
def test_bad_ranges_name_the_field(agent_li, params, field):
    response = api_as(agent_li).get("/calendar/working-days", params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_bad_date_is_a_validation_error(agent_li):
    response = api_as(agent_li).get("/calendar/working-days", {"start": "2026-02-30", "end": "x"})
    assert response.status_code == 422


def test_care_holidays(agent_li):
    response = api_as(agent_li).get("/calendar/care-holidays", {"year": 2027})
    assert response.json() == [
        {"code": "new_year", "name": "元旦", "day": "2027-01-01"},
        {"code": "spring_festival", "name": "春节", "day": "2027-02-06"},
        {"code": "dragon_boat", "name": "端午节", "day": "2027-06-09"},
        {"code": "mid_autumn", "name": "中秋节", "day": "2027-09-15"},
    ]
    assert api_as(agent_li).get("/calendar/care-holidays", {"year": 1800}).status_code == 400


def test_token_required(client):
    assert (
        client.get("/api/v1/calendar/working-days?start=2026-01-01&end=2026-01-02").status_code
        == 401
    )
