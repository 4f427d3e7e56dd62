"""Every contact text is classified: typed in, noted, imported, or backfilled."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.accounts.models import AuditLog
from careloop.core.errors import DomainError
from careloop.customers.models import Interaction
from careloop.customers.services import customer_note_add, interaction_create
from careloop.customers.tests.factories import make_contact, make_customer
from careloop.emotion import services
from careloop.emotion.services import emotion_classify, interactions_classify
from careloop.emotion.tasks import interactions_classify_job
from careloop.imports.services import import_file
from careloop.imports.tests.factories import write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(team_east):
    return make_customer("张三", team=team_east, external_id="C001")


def test_interaction_create_classifies_the_text(zhang, agent_li):
    contact = interaction_create(
        actor=agent_li,
        customer=zhang,
        kind="complaint",
        channel="phone",
        text="再不处理就起诉你们！",
    )
    contact.refresh_from_db()
    assert (contact.emotion, contact.high_risk, contact.emotion_cues) == ("angry", True, "起诉")
    survey = interaction_create(actor=agent_li, customer=zhang, kind="survey", nps=9)
    survey.refresh_from_db()
    assert (survey.emotion, survey.high_risk, survey.emotion_cues) == ("neutral", False, "")


def test_note_is_classified(zhang, agent_li):
    note = customer_note_add(actor=agent_li, customer=zhang, text="客户说不太满意，要换别家")
    note.refresh_from_db()
    assert (note.emotion, note.high_risk) == ("dissatisfied", True)
    assert note.emotion_cues == "换别家、不太满意"
    assert note.get_emotion_display() == "不满"


def test_cues_are_stored_up_to_200_characters(zhang, agent_li):
    text = "，".join(["12315", "消协", "曝光", "起诉", "律师"] * 5 + [f"词{i}" for i in range(80)])
    contact = interaction_create(actor=agent_li, customer=zhang, kind="consult", text=text)
    assert contact.emotion_cues == "12315、消协、曝光、起诉、律师"


def interactions_csv(tmp_path, texts):
    rows = [["客户编号", "时间", "渠道", "类型", "内容"]]
    rows += [
        ["C001", f"2026-11-01 {9 + i // 60:02d}:{i % 60:02d}", "phone", "consult", t]
        for i, t in enumerate(texts)
    ]
    return write_csv(tmp_path, rows, "interactions.csv")


def test_import_classifies_each_chunk_in_one_call(tmp_path, zhang, monkeypatch):
    calls = []
    classify = services.classify
    monkeypatch.setattr(
        services, "classify", lambda texts: calls.append(len(texts)) or classify(texts)
    )
    texts = ["我要去消协投诉", "谢谢你们，问题解决了", "请问发货了吗", "再也不买了"]
    result = import_file(kind="interactions", path=interactions_csv(tmp_path, texts))
    assert (result.created, result.error_count) == (4, 0)
    assert calls == [4]
    got = dict(Interaction.objects.values_list("text", "emotion"))
    assert got == {
        "我要去消协投诉": "angry",
        "谢谢你们，问题解决了": "satisfied",
        "请问发货了吗": "neutral",
        "再也不买了": "dissatisfied",
    }
    high = Interaction.objects.filter(high_risk=True).order_by("text")
    assert list(high.values_list("text", "emotion_cues")) == [
        ("再也不买了", "再也不买"),
        ("我要去消协投诉", "消协"),
    ]
    again = import_file(kind="interactions", path=interactions_csv(tmp_path, texts))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_import_queries_do_not_grow_with_rows(tmp_path, zhang):
    counts = []
    for n in (3, 60):
        Interaction.objects.all().delete()
        path = interactions_csv(
            tmp_path, ["我要去12315"] * 1 + [f"第{i}次咨询" for i in range(n - 1)]
        )
        with CaptureQueriesContext(connection) as queries:
            assert import_file(kind="interactions", path=path).created == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Interaction.objects.filter(high_risk=True).count() == 1


def test_reimport_reclassifies_rows_written_before(tmp_path, zhang):
    texts = ["我要去消协投诉", "请问发货了吗"]
    import_file(kind="interactions", path=interactions_csv(tmp_path, texts))
    Interaction.objects.update(emotion="", high_risk=False, emotion_cues="")  # as before 0004
    again = import_file(kind="interactions", path=interactions_csv(tmp_path, texts))
    assert (again.created, again.updated, again.unchanged) == (0, 2, 0)
    assert Interaction.objects.filter(high_risk=True).get().text == "我要去消协投诉"


def test_dry_run_import_writes_nothing(tmp_path, zhang):
    result = import_file(
        kind="interactions", path=interactions_csv(tmp_path, ["我要去12315"]), dry_run=True
    )
    assert result.created == 1
    assert not Interaction.objects.exists()


def bypassing(zhang, *texts, when="2026-10-03"):
    """Rows written the way bulk paths write them: no emotion yet."""
    return [make_contact(zhang, "consult", when, text=t) for t in texts]


def test_backfill_classifies_unclassified_rows_in_batches(zhang):
    rows = bypassing(zhang, "我要去12315", "谢谢", "请问", "气死我了", "傻逼")
    assert set(Interaction.objects.values_list("emotion", flat=True)) == {""}
    with CaptureQueriesContext(connection) as queries:
        assert interactions_classify(batch=2) == 5
    # per batch of 2: one SELECT, one UPDATE (and the batch's savepoint pair); a last SELECT
    selects = [q for q in queries if q["sql"].startswith("SELECT")]
    updates = [q for q in queries if q["sql"].startswith("UPDATE")]
    assert (len(selects), len(updates)) == (4, 3)  # and one INSERT: the audit entry
    got = {i.text: (i.emotion, i.high_risk, i.emotion_cues) for i in Interaction.objects.all()}
    assert got == {
        "我要去12315": ("angry", True, "12315"),
        "谢谢": ("satisfied", False, "谢谢"),
        "请问": ("neutral", False, ""),
        "气死我了": ("angry", False, "气死我了"),
        "傻逼": ("angry", True, "傻逼"),
    }
    assert rows[0].pk in set(
        Interaction.objects.filter(high_risk=True).values_list("pk", flat=True)
    )
    assert interactions_classify() == 0  # nothing left to do
    assert interactions_classify(reclassify=True) == 0  # and nothing changed
    (entry,) = AuditLog.objects.filter(action="emotion.backfill")
    assert entry.detail == {"changed": 5, "high_risk": 2, "since": None, "reclassify": False}


def test_backfill_since_and_reclassify(zhang):
    old, new = (
        bypassing(zhang, "我要去12315", when="2026-01-01"),
        bypassing(zhang, "起诉你们", when="2026-11-01"),
    )
    assert interactions_classify(since=datetime(2026, 6, 1, tzinfo=UTC)) == 1
    old[0].refresh_from_db()
    new[0].refresh_from_db()
    assert (old[0].emotion, new[0].emotion) == ("", "angry")
    Interaction.objects.filter(pk=new[0].pk).update(high_risk=False)  # e.g. an older lexicon
    assert interactions_classify(reclassify=True) == 2
    assert Interaction.objects.filter(high_risk=True).count() == 2


def test_backfill_job(zhang):
    bypassing(zhang, "我要去12315", when="2026-01-01")
    bypassing(zhang, "律师函已经发了", when="2026-11-01")
    interactions_classify_job("2026-06-01T00:00:00+08:00")
    assert list(Interaction.objects.filter(high_risk=True).values_list("text", flat=True)) == [
        "律师函已经发了"
    ]
    interactions_classify_job()
    assert Interaction.objects.filter(high_risk=True).count() == 2


def test_partial_index_serves_recent_high_risk_contacts(zhang):
    """emotion_care reads high-risk contacts of the last 7 days through the partial index."""
    bypassing(zhang, "我要去12315")
    interactions_classify()
    qs = Interaction.objects.filter(
        high_risk=True, occurred_at__gte=datetime(2026, 9, 1, tzinfo=UTC)
    )
    assert list(qs.values_list("customer_id", flat=True)) == [zhang.pk]
    if connection.vendor == "sqlite":
        assert "interaction_high_risk" in qs.values("customer_id").explain()
    else:  # a few rows: the planner may scan; check the index is the partial one
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'interaction_high_risk'"
            )
            assert "WHERE high_risk" in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([], "请提供至少一段文本"),
        (["好"] * 201, "一次最多分析 200 段文本,收到 201 段"),
        (["好", "长" * 5001], "第 2 段文本超过 5000 字"),
    ],
)
def test_emotion_classify_refuses_bad_input(texts, message):
    with pytest.raises(DomainError) as exc:
        emotion_classify(texts=texts)
    assert (exc.value.message, exc.value.field) == (message, "texts")


def test_demo_contacts_carry_emotion():
    """The demo writes contacts in bulk; each chunk is classified before bulk_create."""
    from datetime import date

    from careloop.demo.generator import demo_generate

    demo_generate(customers=300, seed=11, as_of=date(2026, 11, 20))
    contacts = Interaction.objects.all()
    assert contacts.count() > 1000
    assert not contacts.filter(emotion="").exists()
    high = contacts.filter(high_risk=True)
    assert high.exists()
    assert all(cues for cues in high.values_list("emotion_cues", flat=True))
    assert contacts.filter(emotion="satisfied").exists()
