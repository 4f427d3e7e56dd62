"""Stream the rows of a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file.

`open_table(path)` yields a `Table`: the header row and an iterator over the data rows as lists
(CSV: strings; XLSX: strings, numbers or datetimes). Nothing reads the whole file into memory.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from careloop.core.errors import DomainError

SNIFF_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(DomainError):
    code, status = "unreadable_file", 400


@dataclass
class Table:
    header: list[str]
    rows: Iterator[list]
    total_estimate: int  # data rows, for progress bars (exact for CSV without multi-line cells)
    encoding: str


def detect_encoding(head: bytes) -> str:
    """BOM → utf-8-sig; strict UTF-8 on the first chunk; otherwise gb18030 (a superset of GBK)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the chunk is still UTF-8.
        if exc.start < len(head) - 3:
            return "gb18030"
    return "utf-8"


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


@contextmanager
def open_table(path: str | Path) -> Iterator[Table]:
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(_("找不到文件:%(path)s") % {"path": path}, field="file")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(XLSX_MAGIC):
        with _open_xlsx(path) as table:
            yield table
        return
    encoding = detect_encoding(head)
    total = max(0, _count_lines(path) - 1)
    with path.open("r", encoding=encoding, newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, [])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise UnreadableFile(
                _("无法读取文件:%(error)s") % {"error": exc}, field="file"
            ) from exc
        if not any(h.strip() for h in header):
            raise UnreadableFile(_("文件是空的或第 1 行没有表头"), field="file")
        yield Table(header=header, rows=_guard(reader), total_estimate=total, encoding=encoding)


def _guard(reader) -> Iterator[list]:
    try:
        yield from reader
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFile(
            _("第 %(row)s 行无法读取:%(error)s") % {"row": reader.line_num, "error": exc},
            field="file",
        ) from exc


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(
            _("无法读取 Excel 文件:%(error)s") % {"error": exc}, field="file"
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = ["" if v is None else str(v) for v in next(rows, ())]
        while header and not header[-1].strip():
            header.pop()
        if not header:
            raise UnreadableFile(_("文件是空的或第 1 行没有表头"), field="file")
        total = max(0, (sheet.max_row or 1) - 1)
        yield Table(header=header, rows=_xlsx_rows(rows), total_estimate=total, encoding="xlsx")
    finally:
        book.close()


def _xlsx_rows(rows) -> Iterator[list]:
    for values in rows:
        yield ["" if v is None else v for v in values]
