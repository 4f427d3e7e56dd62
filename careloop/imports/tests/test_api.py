"""/api/v1/imports: upload → 202 with the job, poll it; supervisors and admins only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from careloop.accounts.services import user_create
from careloop.accounts.tests.apiclient import ApiClient, api_as
from careloop.customers.models import Customer, Order
from careloop.imports.models import ImportJob
from careloop.imports.tests.factories import CUSTOMERS_ZH, ORDERS_ZH, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_file(api, rows=CUSTOMERS_ZH, kind="customers", name="客户.csv", **form):
    data = {"kind": kind, "file": SimpleUploadedFile(name, csv_bytes(rows)), **form}
    return api.post("/imports", data, content_type=MULTIPART_CONTENT)


def test_supervisor_imports_customers_then_orders(
    supervisor_zhao, django_capture_on_commit_callbacks
):
    api = api_as(supervisor_zhao)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = api.get(f"/imports/{job_id}").json()
    assert (body["kind"], body["file_name"], body["status"]) == ("customers", "客户.csv", "done")
    assert (body["created"], body["error_count"], body["created_by"]) == (2, 0, "zhao")
    assert body["progress"] == {"processed": 2, "total": 2, "percent": 100}
    assert body["mapping"] and body["finished_at"].endswith("+08:00")
    assert Customer.objects.filter(team=supervisor_zhao.team).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        orders = post_file(api, ORDERS_ZH, kind="orders", name="订单.csv")
    assert api.get(f"/imports/{orders.json()['id']}").json()["created"] == 3
    assert Order.objects.count() == 3
    listed = api.get("/imports").json()
    assert listed["count"] == 2
    assert [j["kind"] for j in listed["items"]] == ["orders", "customers"]


def test_dry_run_writes_nothing(admin_wang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api_as(admin_wang), dry_run="true")
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.dry_run, job.created) == ("done", True, 2)
    assert not Customer.objects.exists()


def test_errors_name_row_column_and_value(admin_wang, django_capture_on_commit_callbacks):
    bad = [CUSTOMERS_ZH[0], CUSTOMERS_ZH[1], ["C9", "王五", "男", "12", *[""] * 7]]
    api = api_as(admin_wang)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(api, bad).json()["id"]
    body = api.get(f"/imports/{job_id}").json()
    assert (body["status"], body["error_count"], body["created"]) == ("failed", 1, 0)
    error = body["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (3, "手机", "12")
    assert "第 3 行" in error["message"]
    assert not Customer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(api, bad, skip_invalid="true").json()["id"]
    body = api.get(f"/imports/{job_id}").json()
    assert (body["status"], body["created"], body["skipped"]) == ("done", 1, 1)


def test_job_is_202_and_pending_until_the_worker_runs(supervisor_zhao):
    response = post_file(api_as(supervisor_zhao))
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["progress"]["percent"]) == ("pending", 0)


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"kind": "widgets"}, 422, "kind"),
        ({"name": "客户.pdf"}, 400, "file"),
        ({"dry_run": "maybe"}, 422, "dry_run"),
    ],
)
def test_upload_refusals_name_the_field(supervisor_zhao, form, status, field):
    response = post_file(api_as(supervisor_zhao), **form)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert not ImportJob.objects.exists()


def test_missing_file_is_422(supervisor_zhao):
    api = api_as(supervisor_zhao)
    response = api.post("/imports", {"kind": "customers"}, content_type=MULTIPART_CONTENT)
    assert (response.status_code, response.json()["field"]) == (422, "file")


def test_agents_get_403_json(agent_li, supervisor_zhao):
    job = ImportJob.objects.create(
        kind="orders", file="/x/1.csv", original_name="1.csv", created_by=supervisor_zhao
    )
    api = api_as(agent_li)
    for response in (post_file(api), api.get("/imports"), api.get(f"/imports/{job.pk}")):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert ImportJob.objects.count() == 1


def test_other_supervisors_job_is_404(supervisor_zhao, team_south, admin_wang):
    job_id = post_file(api_as(supervisor_zhao)).json()["id"]
    other = user_create(username="sun", password="pw-123456789", role="supervisor", team=team_south)
    response = api_as(other).get(f"/imports/{job_id}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api_as(other).get("/imports").json()["count"] == 0
    assert api_as(admin_wang).get(f"/imports/{job_id}").status_code == 200


def test_list_query_count(supervisor_zhao, django_assert_num_queries):
    for i in range(30):
        ImportJob.objects.create(
            kind="orders", file=f"/x/{i}.csv", original_name=f"{i}.csv", created_by=supervisor_zhao
        )
    api = api_as(supervisor_zhao)
    api.get("/me")
    with django_assert_num_queries(3):  # token + user, COUNT, one page with creators joined
        response = api.get("/imports", {"limit": 30})
    assert len(response.json()["items"]) == 30


def test_openapi_documents_the_upload():
    paths = ApiClient().get("/openapi.json").json()["paths"]
    assert "multipart/form-data" in paths["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert "/api/v1/imports/{job_id}" in paths
