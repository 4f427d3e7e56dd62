"""A supervisor imports a GBK CSV with Chinese headers through the upload pages."""

from playwright.sync_api import expect

from careloop.customers.models import Customer
from e2e.conftest import login

CUSTOMERS_CSV = (
    "客户编号,姓名,性别,手机,省份,城市,行业,标签,备用列\n"
    "K001,欧阳娜娜,女,139 0000 1111,浙江,杭州,零售,VIP、老客户,x\n"
    "K002,陈建国,男,13900002222,江苏,南京,制造业,企业客户,y\n"
    "K003,刘洋,男,+86 139-0000-3333,广东,深圳,互联网,,z\n"
)


def test_supervisor_imports_gbk_csv(page, live_server, supervisor_zhao, tmp_path, shot):
    path = tmp_path / "客户名单.csv"
    path.write_bytes(CUSTOMERS_CSV.encode("gbk"))

    login(page, live_server, supervisor_zhao)
    page.get_by_text("更多", exact=True).click()  # the top navigation's menu
    page.get_by_role("link", name="数据导入").click()
    expect(page.get_by_role("heading", name="数据导入", exact=True)).to_be_visible()
    page.get_by_label("类型").select_option("customers")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()

    expect(page.get_by_text("未识别,将忽略")).to_be_visible()  # 备用列
    expect(page.get_by_role("cell", name="欧阳娜娜")).to_be_visible()
    shot(page, "import-preview")

    page.get_by_role("button", name="试运行").click()
    expect(page.get_by_text("试运行完成(未写入)")).to_be_visible()
    expect(page.get_by_text("新增 3")).to_be_visible()
    assert Customer.objects.count() == 0

    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_text("导入完成")).to_be_visible()
    expect(page.get_by_text("新增 3")).to_be_visible()
    shot(page, "import-done")

    page.get_by_role("link", name="客户", exact=True).click()
    expect(page.locator("tr.customer-row")).to_have_count(3)
    expect(page.get_by_role("link", name="欧阳娜娜 女士")).to_be_visible()
    assert Customer.objects.get(external_id="K003").phone == "+8613900003333"


def test_bad_file_shows_row_and_column(page, live_server, supervisor_zhao, tmp_path, shot):
    path = tmp_path / "bad.csv"
    path.write_text(
        "客户编号,姓名,手机\nK001,张三,12345\nK002,李四,13900002222\n", encoding="utf-8-sig"
    )
    login(page, live_server, supervisor_zhao)
    page.goto(f"{live_server.url}/imports/upload/")
    page.get_by_label("类型").select_option("customers")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_text("有 1 个错误,未写入任何数据")).to_be_visible()
    error_row = page.locator("tr", has_text="12345")
    expect(error_row).to_contain_text("2")
    expect(error_row).to_contain_text("手机")
    shot(page, "import-errors")
    assert Customer.objects.count() == 0
