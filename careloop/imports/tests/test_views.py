import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.customers.models import Customer
from careloop.imports import services
from careloop.imports.models import ImportJob
from careloop.imports.tests.factories import CUSTOMERS_ZH, csv_bytes

pytestmark = pytest.mark.django_db


def upload(client, rows=CUSTOMERS_ZH, kind="customers", **extra):
    data = {"kind": kind, "file": SimpleUploadedFile("客户.csv", csv_bytes(rows)), **extra}
    return client.post(reverse("imports:upload"), data)


def test_supervisor_uploads_previews_and_imports(
    client, supervisor_zhao, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_zhao)
    page = client.get(reverse("imports:list"))
    assert "数据导入" in page.content.decode()
    response = upload(client, rows=[[*CUSTOMERS_ZH[0], "备注"], *CUSTOMERS_ZH[1:]])
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:preview", args=[job.pk])
    assert (tmp_path / "imports").is_dir() and job.file.startswith(str(tmp_path / "imports"))
    preview = client.get(response.url).content.decode()
    assert 'class="unknown"' in preview and "备注" in preview
    assert "张三" in preview and "试运行" in preview and "开始导入" in preview

    with django_capture_on_commit_callbacks(execute=True):
        dry = client.post(reverse("imports:run", args=[job.pk]), {"mode": "dry"})
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created) == ("done", True, 2)
    assert Customer.objects.count() == 0
    assert "试运行完成" in client.get(dry.url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        real = client.post(reverse("imports:run", args=[job.pk]), {"mode": "run"})
    second = ImportJob.objects.exclude(pk=job.pk).get()
    assert real.url == reverse("imports:job", args=[second.pk])
    body = client.get(real.url).content.decode()
    assert "导入完成" in body and "新增 2" in body
    assert Customer.objects.filter(team=supervisor_zhao.team).count() == 2
    partial = client.get(real.url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "hx-trigger" not in partial


def test_running_job_polls(client, supervisor_zhao, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_zhao)
    upload(client)
    job = ImportJob.objects.get()
    job.status = ImportJob.Status.RUNNING
    job.save()
    services._progress_put(job.pk, 5000, 10000)  # what the running import reports
    body = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body and 'role="progressbar"' in body
    assert 'aria-valuenow="50"' in body


def test_errors_are_listed_on_the_job_page(
    client, admin_wang, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin_wang)
    upload(
        client, rows=[CUSTOMERS_ZH[0], ["C1", "张三", "男", "12345", "", "", "", "", "", "", ""]]
    )
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:run", args=[job.pk]), {"mode": "run"})
    body = client.get(response.url).content.decode()
    assert "有 1 个错误,未写入任何数据" in body
    assert "不是有效的手机号码" in body and "12345" in body


def test_list_query_count(client, supervisor_zhao, django_assert_num_queries):
    for i in range(30):
        ImportJob.objects.create(
            kind="orders", file=f"/x/{i}.csv", original_name=f"{i}.csv", created_by=supervisor_zhao
        )
    client.force_login(supervisor_zhao)
    with django_assert_num_queries(5):  # session, user, count, user.team (menu), page
        response = client.get(reverse("imports:list"))
    assert response.content.decode().count('class="job-row"') == 25


def test_agents_get_403(client, agent_li, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(agent_li)
    assert client.get(reverse("imports:list")).status_code == 403
    assert upload(client).status_code == 403
    assert ImportJob.objects.count() == 0


def test_other_supervisors_job_is_404(client, supervisor_zhao, team_south, settings, tmp_path):
    from careloop.accounts.services import user_create

    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_zhao)
    upload(client)
    job = ImportJob.objects.get()
    other = user_create(username="sun", password="pw-123456789", role="supervisor", team=team_south)
    client.force_login(other)
    assert client.get(reverse("imports:preview", args=[job.pk])).status_code == 404


def test_upload_refuses_other_file_types(client, supervisor_zhao, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_zhao)
    data = {"kind": "orders", "file": SimpleUploadedFile("x.pdf", b"%PDF")}
    response = client.post(reverse("imports:upload"), data)
    assert "只支持 CSV 或 XLSX 文件" in response.content.decode()


def test_unreadable_file_fails_the_job(client, supervisor_zhao, settings, tmp_path):
    from careloop.imports.services import import_job_run

    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_zhao)
    upload(client)
    job = ImportJob.objects.get()
    (tmp_path / "imports").joinpath(job.file.rsplit("/", 1)[1]).unlink()
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.error_count) == ("failed", 1)
    assert job.errors[0]["message"].startswith("找不到文件")
