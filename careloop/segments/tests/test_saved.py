"""Saved segments: the customers they hold, for each role and for the planner (no user)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_customer
from careloop.segments.models import SavedSegment
from careloop.segments.selectors import saved_segment_count, saved_segment_customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(team_east, team_south, agent_li):
    """Two 华东 manufacturers in team east (one dormant A), one in team south."""
    a = make_customer("张三", team=team_east, region="华东", industry="制造业")
    b = make_customer("李四", team=team_east, region="华东", industry="制造业", owner=agent_li)
    c = make_customer("王五", team=team_south, region="华东", industry="制造业")
    make_customer("赵六", team=team_east, region="华南", industry="制造业")
    Customer.objects.filter(pk__in=[a.pk, c.pk]).update(lifecycle="dormant", tier="A")
    return a, b, c


def test_team_segment_holds_only_its_team_even_for_the_planner(people, team_east):
    a, b, _c = people
    segment = SavedSegment.objects.create(
        name="华东 制造业", team=team_east, filters={"region": "华东", "industry": "制造业"}
    )
    assert list(saved_segment_customers(segment=segment)) == [b, a]
    assert saved_segment_count(segment=segment) == 2


def test_global_segment_holds_every_team(people):
    a, _b, c = people
    segment = SavedSegment.objects.create(
        name="沉睡 A", filters={"region": "华东", "lifecycle": "dormant", "tier": "A"}
    )
    assert list(saved_segment_customers(segment=segment)) == [c, a]


def test_user_scope_narrows_a_global_segment(people, supervisor_zhao, agent_chen):
    a, _b, c = people
    segment = SavedSegment.objects.create(name="沉睡", filters={"lifecycle": "dormant"})
    assert list(saved_segment_customers(segment=segment, user=supervisor_zhao)) == [a]
    assert list(saved_segment_customers(segment=segment, user=agent_chen)) == [c]


def test_segment_composes_as_a_subquery(people, team_east):
    segment = SavedSegment.objects.create(name="华东", team=team_east, filters={"region": "华东"})
    ids = saved_segment_customers(segment=segment).values("id")
    with CaptureQueriesContext(connection) as ctx:
        n = Customer.objects.filter(pk__in=ids, industry="制造业").count()
    assert n == 2
    assert len(ctx) == 1
