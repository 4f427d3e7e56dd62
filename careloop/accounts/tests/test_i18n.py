"""The UI is Chinese by default and switches to English; the English catalog is complete."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def choose_language(client, code: str, next_url: str = "/") -> None:
    response = client.post(reverse("set_language"), {"language": code, "next": next_url})
    assert response.status_code == 302


def nav(page: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)


def po_entries() -> list[dict]:
    """Each entry of django.po as {"msgctxt", "msgid", "msgid_plural", "msgstr": [...], "flags"}."""
    entries, entry, field = [], None, None
    lines = (CATALOG / "django.po").read_text(encoding="utf-8").splitlines()
    for line in [*lines, ""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry or {"msgctxt": "", "msgid": "", "msgid_plural": "", "msgstr": [], "flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif m := re.match(r'(msgctxt|msgid|msgid_plural|msgstr)(?:\[\d+\])? (".*")$', line):
            field = m.group(1)
            if field == "msgstr":
                entry["msgstr"].append("")
            line = m.group(2)
        if line.startswith('"'):
            text = ast.literal_eval(line)  # a PO string escapes like a Python one
            if field == "msgstr":
                entry["msgstr"][-1] += text
            else:
                entry[field] += text
    return entries


def test_customer_list_is_chinese_by_default(client, supervisor_zhao):
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="zh-CN">' in page
    assert "<h1>客户</h1>" in page and "搜索" in page and "退出" in page
    assert "数据导入" in nav(page) and "疑似重复" in nav(page)
    assert "Customers" not in page and "Search" not in page


def test_customer_list_in_english_after_choosing_english(client, supervisor_zhao):
    client.force_login(supervisor_zhao)
    choose_language(client, "en", reverse("customers:list"))
    page = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Customers</h1>" in page and "Search" in page and "Sign out" in page
    assert ">Customers</a>" in nav(page) and ">Import</a>" in nav(page)
    assert ">Possible duplicates</a>" in nav(page)
    assert not re.search(r"[\u4e00-\u9fff]", nav(page))
    assert "搜索" not in page and "退出" not in page and "没有符合条件的客户" not in page
    assert "No customers match your filters" in page


def test_english_sticks_and_chinese_comes_back(client, agent_li):
    client.force_login(agent_li)
    choose_language(client, "en")
    assert "Customers" in client.get(reverse("customers:list")).content.decode()
    choose_language(client, "zh-hans")
    page = client.get(reverse("customers:list")).content.decode()
    assert "<h1>客户</h1>" in page and "Customers" not in page


def test_login_page_in_english(client):
    assert "登录 CareLoop" in client.get(reverse("accounts:login")).content.decode()
    choose_language(client, "en", reverse("accounts:login"))
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in to CareLoop" in page and "Username" in page and "Password" in page
    assert "登录" not in page and "用户名" not in page and "密码" not in page


def test_failed_login_says_so_in_english(client, agent_li):
    choose_language(client, "en", reverse("accounts:login"))
    response = client.post(reverse("accounts:login"), {"username": "li", "password": "wrong"})
    assert "Incorrect username or password" in response.content.decode()


def test_every_msgid_is_translated():
    entries = po_entries()
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert len(messages) > 250
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"]) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    plurals = [e for e in messages if e["msgid_plural"]]
    assert plurals and all(len(e["msgstr"]) == 2 for e in plurals)


def test_translations_keep_their_placeholders():
    wrong = [
        e["msgid"]
        for e in po_entries()[1:]
        for s in e["msgstr"]
        if sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(e["msgid"]))
    ]
    assert wrong == []


def test_compiled_catalog_matches_the_po_file():
    """django.mo is committed: a machine without gettext still shows English."""
    with (CATALOG / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for e in po_entries()[1:]:
        if e["msgid_plural"]:
            assert compiled.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr"][0]
            assert compiled.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr"][1]
        elif e["msgctxt"]:
            assert compiled.pgettext(e["msgctxt"], e["msgid"]) == e["msgstr"][0], e["msgid"]
        else:
            assert compiled.gettext(e["msgid"]) == e["msgstr"][0], e["msgid"]
