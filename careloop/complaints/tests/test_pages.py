import pytest
from django.urls import reverse

from careloop.complaints import services
from careloop.complaints.models import Complaint

from .factories import at, department, frozen, make_customer, make_ticket


@pytest.fixture
def east_customer(supervisor_zhao):
    return make_customer("张伟", team=supervisor_zhao.team, phone="13812345678")


def test_list_shows_the_team_s_complaints_with_masked_phones(
    client, outbox, agent_li, agent_chen, east_customer, django_assert_num_queries
):
    for _i in range(30):
        make_ticket(customer=east_customer)
    make_ticket(customer=make_customer("外组客户", team=agent_chen.team))
    client.force_login(agent_li)
    with django_assert_num_queries(6):  # session, user, departments, team, count, page
        response = client.get(reverse("complaints:list"))
    body = response.content.decode()
    assert body.count('class="complaint-row"') == 25
    assert "共 30 条投诉" in body
    assert "138****5678" in body and "13812345678" not in body
    assert "外组客户" not in body


def test_list_filters_overdue_and_severity(client, outbox, agent_li, east_customer):
    with frozen("2026-11-25 09:00") as t:
        late = make_ticket(customer=east_customer, severity="A")
        make_ticket(customer=east_customer, severity="C")
        t.set("2026-11-25 12:00")
        client.force_login(agent_li)
        overdue = client.get(reverse("complaints:list"), {"overdue": "1"}).content.decode()
        severity = client.get(reverse("complaints:list"), {"severity": "C"}).content.decode()
    assert overdue.count('class="complaint-row"') == 1 and late.number in overdue
    assert severity.count('class="complaint-row"') == 1 and late.number not in severity


def test_department_member_sees_complaints_with_a_step_for_their_department(
    client, outbox, agent_li, agent_chen, east_customer
):
    logistics = department("物流")
    logistics.members.add(agent_chen)
    with frozen("2026-11-25 09:00"):
        complaint = make_ticket(customer=east_customer)
        make_ticket(customer=east_customer)
        services.complaint_solution_set(
            complaint=complaint, user=agent_li, solution_type="process", solution="重新发货"
        )
        services.complaint_step_add(
            complaint=complaint,
            user=agent_li,
            title="补发",
            department=logistics,
            deadline=services.clock.now(),
        )
    client.force_login(agent_chen)
    body = client.get(reverse("complaints:list")).content.decode()
    assert body.count('class="complaint-row"') == 1 and complaint.number in body
    assert client.get(reverse("complaints:detail", args=[complaint.pk])).status_code == 200


def test_ticket_outside_the_scope_is_404(client, outbox, agent_chen, east_customer):
    complaint = make_ticket(customer=east_customer)
    client.force_login(agent_chen)
    assert client.get(reverse("complaints:detail", args=[complaint.pk])).status_code == 404
    response = client.post(reverse("complaints:respond", args=[complaint.pk]))
    assert response.status_code == 404


def test_new_complaint_form_creates_the_ticket(client, outbox, agent_li, east_customer):
    client.force_login(agent_li)
    page = client.get(reverse("complaints:new"))
    assert "登记投诉" in page.content.decode()
    response = client.post(
        reverse("complaints:new"),
        {
            "phone": "138-1234-5678",
            "channel": "phone",
            "severity": "A",
            "category": "停机",
            "description": "设备无法启动,产线停了",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.customer == east_customer
    assert complaint.assignee == agent_li


def test_new_complaint_form_names_the_bad_field(client, outbox, agent_li):
    client.force_login(agent_li)
    response = client.post(
        reverse("complaints:new"),
        {"phone": "123", "channel": "phone", "severity": "A", "description": "坏了"},
    )
    assert response.status_code == 200
    assert "手机号码无效:123" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_ticket_page_shows_timers(client, outbox, agent_li, east_customer):
    with frozen("2026-11-25 09:00") as t:
        complaint = make_ticket(customer=east_customer, severity="A")
        t.set("2026-11-25 09:40")
        client.force_login(agent_li)
        body = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
        assert "剩余 1 小时 20 分" in body
        t.set("2026-11-25 11:35")
        body = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
        assert "已超时 35 分" in body


def test_resolve_without_progress_update_shows_the_rule(client, outbox, agent_li, east_customer):
    complaint = make_ticket(customer=east_customer)
    client.force_login(agent_li)
    client.post(
        reverse("complaints:solution", args=[complaint.pk]),
        {"solution_type": "cognitive", "solution": "发送使用视频"},
        HTTP_HX_REQUEST="true",
    )
    response = client.post(
        reverse("complaints:resolve", args=[complaint.pk]), HTTP_HX_REQUEST="true"
    )
    assert "解决前至少要向客户发送一次进度通知" in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.stage) == ("open", "solution")


def test_full_lifecycle_through_the_page_forms(client, outbox, agent_li, east_customer):
    complaint = make_ticket(customer=east_customer)
    client.force_login(agent_li)
    url = lambda name: reverse(f"complaints:{name}", args=[complaint.pk])  # noqa: E731
    hx = {"HTTP_HX_REQUEST": "true"}
    client.post(url("respond"), {"note": "已致电"}, **hx)
    client.post(
        url("diagnose"),
        {
            "nature": "emotion",
            "what_happened": "快递员态度差",
            "expected_outcome": "道歉",
            "reported_before": "true",
            "root_cause": "people",
        },
        **hx,
    )
    client.post(
        url("solution"),
        {
            "solution_type": "compensation",
            "solution": "致歉并补偿",
            "options": "20 元券|20\n退运费|12",
        },
        **hx,
    )
    complaint.refresh_from_db()
    option = complaint.options.order_by("position").last()
    client.post(url("option"), {"option": option.pk}, **hx)
    client.post(url("progress"), {"text": "已向快递公司投诉", "channel": "sms"}, **hx)
    client.post(url("resolve"), **hx)
    response = client.post(url("confirm"), {"satisfied": "yes", "note": "满意"}, **hx)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.stage) == ("closed", "closed")
    assert complaint.chosen_option == option
    assert complaint.reported_before is True
    assert "回访确认满意" in response.content.decode()


def test_supervisor_lists_the_complaints_escalated_to_them(
    client, outbox, supervisor_zhao, east_customer
):
    with frozen("2026-11-25 09:00") as t:
        late = make_ticket(customer=east_customer, severity="A")
        make_ticket(customer=east_customer, severity="C")
        t.set("2026-11-25 11:30")
        services.complaint_sla_watch()
    client.force_login(supervisor_zhao)
    body = client.get(reverse("complaints:list"), {"mine": "1"}).content.decode()
    assert body.count('class="complaint-row"') == 1 and late.number in body
    assert "已升级" in body


def test_attachments_download_only_within_scope(
    client, outbox, agent_li, agent_chen, east_customer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = services.Attachment(name="漏水.jpg", content=b"\xff\xd8jpeg")
    complaint = make_ticket(customer=east_customer, attachments=[photo])
    item = complaint.attachments.get()
    url = reverse("complaints:attachment", args=[complaint.pk, item.pk])
    client.force_login(agent_li)
    assert url in client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    response = client.get(url)
    assert b"".join(response.streaming_content) == b"\xff\xd8jpeg"
    client.force_login(agent_chen)
    assert client.get(url).status_code == 404


def test_intake_for_another_team_s_customer_hands_it_over(client, outbox, agent_chen):
    make_customer("张伟", team=None, phone="13812345678", owner=None)
    client.force_login(agent_chen)
    response = client.post(
        reverse("complaints:new"),
        {"phone": "13812345678", "channel": "phone", "severity": "C", "description": "咨询"},
        follow=True,
    )
    assert "该客户属于其他团队,投诉已转由该团队处理" in response.content.decode()
    assert Complaint.objects.count() == 1


def test_department_head_sees_the_complaints_of_their_department(
    client, outbox, agent_chen, east_customer
):
    head_dept = department("质检部", head=agent_chen)
    complaint = make_ticket(customer=east_customer)
    make_ticket(customer=east_customer)
    Complaint.objects.filter(pk=complaint.pk).update(department=head_dept)
    client.force_login(agent_chen)
    body = client.get(reverse("complaints:list")).content.decode()
    assert body.count('class="complaint-row"') == 1 and complaint.number in body


def test_stage_form_names_the_missing_field(client, outbox, agent_li, east_customer):
    complaint = make_ticket(customer=east_customer)
    client.force_login(agent_li)
    response = client.post(
        reverse("complaints:diagnose", args=[complaint.pk]),
        {"nature": "fact", "root_cause": "goods", "expected_outcome": "换新"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "发生了什么:这个字段是必填项。" in body
    assert 'id="ticket"' in body and "<html" not in body  # the partial only
    complaint.refresh_from_db()
    assert (complaint.nature, complaint.stage) == ("", "new")


def test_step_form_takes_the_browser_s_datetime_local_value(
    client, outbox, agent_li, east_customer
):
    complaint = make_ticket(customer=east_customer)
    services.complaint_solution_set(
        complaint=complaint, user=agent_li, solution_type="process", solution="补发"
    )
    client.force_login(agent_li)
    response = client.post(
        reverse("complaints:step_add", args=[complaint.pk]),
        {"title": "补发快递", "owner": agent_li.pk, "deadline": "2026-11-26T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert 'class="step-row"' in response.content.decode()
    step = complaint.steps.get()
    assert (step.owner, step.deadline) == (agent_li, at("2026-11-26 10:00"))
    complaint.refresh_from_db()
    assert complaint.stage == "executing"
