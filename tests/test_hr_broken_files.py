"""Broken and hostile HR exports: each gives a SourceError naming the file (and the line or row where there is
one), or a rejected row when only one row is bad — never another exception, never a hang."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from groupid.errors import SourceError
from groupid.sources.hr import Mapping, read_people, tables

COLUMNS = {"employee_id": "工号", "name": "姓名", "company": "公司"}
XLSX = Mapping(source={"format": "xlsx"}, columns=COLUMNS)
JSON = Mapping(source={"format": "json"}, columns=COLUMNS)
JSONL = Mapping(source={"format": "jsonl"}, columns=COLUMNS)


def workbook(*rows, build=None) -> bytes:
    """A workbook whose first sheet holds ``rows``; ``build(book)`` may change it before it is saved."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if build:
        build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = workbook(["工号", "姓名", "公司"], ["1", "张伟", "BC"], ["2", "李娜", "BC"])


def rezip(data: bytes, change) -> bytes:
    """``data`` with each part replaced by ``change(name, content)`` (None drops the part)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            content = change(part.filename, source.read(part.filename))
            if content is not None:
                archive.writestr(part.filename, content)
    return out.getvalue()


def sheet_xml(change):
    return lambda name, content: change(content) if name == "xl/worksheets/sheet1.xml" else content


def read(tmp_path: Path, data: bytes | str, mapping: Mapping = XLSX, name: str = "e.xlsx"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return read_people(path, mapping)


def refused(tmp_path: Path, data: bytes | str, message: str, mapping: Mapping = XLSX, name: str = "e.xlsx") -> str:
    with pytest.raises(SourceError) as caught:
        read(tmp_path, data, mapping, name)
    text = str(caught.value)
    assert text.startswith(str(tmp_path / name)), text
    assert re.search(message, text), text
    assert len(text) < 400, text  # never the file's contents
    return text


def rows(result) -> list[tuple[int, object]]:
    return [(row.where.line, getattr(row, "values", None) or list(row.reasons)) for row in result.rows]


# --- XLSX ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (GOOD[: len(GOOD) // 2], "not a zip archive, or a truncated one"),
        ("工号,姓名,公司\n1,张伟,BC\n".encode("gbk"), "a text file, not an Excel workbook .*format: csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "an old .xls file or a password-protected workbook"),
        (rezip(GOOD, lambda name, content: None if name == "xl/workbook.xml" else content),
         "not a readable Excel workbook .*xl/workbook.xml"),
        (rezip(GOOD, sheet_xml(lambda content: content[:-30])), "not a readable Excel workbook"),
        (rezip(GOOD, lambda name, content: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", content)
               if name == "xl/workbook.xml" else content), "the workbook has no sheets"),
        (workbook(), r"e\.xlsx:1: sheet 'Sheet' has no header row"),
        (rezip(GOOD, sheet_xml(lambda content: b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + content)),
         "part 'xl/worksheets/sheet1.xml' declares a DTD"),
    ],
    ids=["empty", "truncated", "csv", "xls", "no-workbook-part", "broken-xml", "no-sheets", "empty-sheet", "dtd"],
)
def test_a_broken_workbook_is_a_source_error(tmp_path, data, message):
    refused(tmp_path, data, message)


def test_a_chart_is_not_a_sheet_of_data(tmp_path):
    def add_chart(book):
        chart = BarChart()
        chart.add_data(Reference(book.active, min_col=1, min_row=1, max_row=2))
        book.create_chartsheet("图表").add_chart(chart)

    data = workbook(["工号", "姓名", "公司"], ["1", "张伟", "BC"], build=add_chart)
    mapping = Mapping(source={"format": "xlsx", "sheet": "图表"}, columns=COLUMNS)
    refused(tmp_path, data, "sheet '图表' is a chart, not a table", mapping)


def test_a_missing_sheet_lists_the_sheets_there_are(tmp_path):
    mapping = Mapping(source={"format": "xlsx", "sheet": "花名册"}, columns=COLUMNS)
    refused(tmp_path, GOOD, "no sheet '花名册'; the workbook has: 'Sheet'", mapping)


def test_any_corruption_is_a_source_error(tmp_path):
    """Whatever openpyxl, zipfile or the XML parser raise on a damaged file, the reader says SourceError."""
    positions = range(0, len(GOOD), max(1, len(GOOD) // 150))
    outcomes = set()
    for position in positions:
        for data in (GOOD[:position], GOOD[:position] + bytes([GOOD[position] ^ 0xFF]) + GOOD[position + 1:]):
            try:
                read(tmp_path, data)
                outcomes.add("read")
            except SourceError:
                outcomes.add("refused")
    assert "refused" in outcomes


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path):
    spaces = b" " * (4 << 20)  # compresses a thousand times
    data = rezip(GOOD, sheet_xml(lambda content: content.replace(b"<sheetData>", b"<sheetData>" + spaces)))
    assert len(data) < 100_000
    refused(tmp_path, data, r"part 'xl/worksheets/sheet1.xml' would expand \d+ times its compressed size "
                            r"\(at most 200\)")


def test_a_workbook_that_expands_past_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "XLSX_MAX_EXPANDED", 4096)
    refused(tmp_path, GOOD, r"would expand to 0 MB, more than 0 MB")
    monkeypatch.setattr(tables, "XLSX_MAX_PARTS", 3)
    refused(tmp_path, GOOD, r"the workbook has \d+ parts, more than 3")


def test_a_sheet_is_read_whole_whatever_size_it_claims(tmp_path):
    """Tools write wrong dimensions; read-only openpyxl would stop at the claimed last row."""
    def grow(book):
        book.active.cell(row=40, column=1, value="40")
        book.active.cell(row=40, column=2, value="王")
        book.active.cell(row=40, column=3, value="BC")
        book.active.cell(row=40, column=500, value="far right, under no header")

    data = rezip(workbook(["工号", "姓名", "公司", None, None], ["1", "张伟", "BC"], build=grow),
                 sheet_xml(lambda content: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', content)))
    assert rows(read(tmp_path, data)) == [(2, {"employee_id": "1", "name": "张伟", "company": "BC"}),
                                          (40, {"employee_id": "40", "name": "王", "company": "BC"})]


def test_numbers_keep_the_text_the_sheet_shows(tmp_path):
    def pad(book):
        book.active["A2"].number_format = book.active["A5"].number_format = "000000"

    data = workbook(["工号", "姓名", "公司"], [123, "张伟", "BC"], [456, "李娜", 7.5],
                    [110101199003074513, "王芳", "BC"], ["77", "赵敏", "BC"], build=pad)
    assert rows(read(tmp_path, data)) == [
        (2, {"employee_id": "000123", "name": "张伟", "company": "BC"}),  # 工号 formatted 000000
        (3, {"employee_id": "456", "name": "李娜", "company": "7.5"}),
        # Excel keeps 15 digits: the 18-digit number typed into it has lost its last ones
        (4, ["employee_id (工号): a number of more than 15 digits, which a spreadsheet does not keep exactly; "
             "store the column as text"]),
        (5, {"employee_id": "77", "name": "赵敏", "company": "BC"}),  # a text cell shows as typed, whatever its format
    ]


def test_an_unmapped_column_cannot_reject_a_row(tmp_path):
    data = workbook(["工号", "姓名", "公司", "身份证号"], ["1", "张伟", "BC", 110101199003074513])
    assert rows(read(tmp_path, data)) == [(2, {"employee_id": "1", "name": "张伟", "company": "BC"})]


# --- JSON and JSON Lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, r"e\.json:1: not an export: nested more than 100 levels deep"),
        ('[\n{"工号": "1"},\n{"x": ' + "[" * 5000 + "]" * 5000 + "}]", r"e\.json:3: not an export: nested more"),
        ("5", "expected a JSON list of objects, one per person; the file holds a number"),
        ('"花名册"', "the file holds a string"),
        ('{"工号": "1"}', "the file holds an object"),
        ("null", "the file holds null"),
        ('[\n{"工号": }]', r"e\.json:2: not valid JSON"),
    ],
    ids=["deep", "deep-value", "number", "string", "object", "null", "invalid"],
)
def test_a_json_file_that_is_no_export_is_a_source_error(tmp_path, text, message):
    refused(tmp_path, text, message, JSON, "e.json")


def test_a_bad_json_item_or_value_rejects_its_row(tmp_path):
    text = ('\n[\n{"工号": "1", "姓名": "张伟", "公司": "BC", "地址": {"unmapped": "ignored"}},\n'
            '{"工号": {"a": 1}, "姓名": ["张"], "公司": "BC"},\n'
            '{"工号": "3", "工号 ": "4", "姓名": "王", "公司": "BC"},\n'
            '42]')
    assert rows(read(tmp_path, text, JSON, "e.json")) == [
        (3, {"employee_id": "1", "name": "张伟", "company": "BC"}),
        (4, ["employee_id (工号): an object, not a single value", "name (姓名): a list, not a single value"]),
        (5, ["employee_id (工号): the key appears more than once in the object"]),  # json would keep "4"
        (6, ["expected an object with the column names as keys, found a number"]),
    ]


def test_a_bad_json_line_rejects_that_line(tmp_path):
    text = ('{"工号": "1", "姓名": "张伟", "公司": "BC"}\n\n"text"\n[1, 2]\n{oops\n'
            '{"x": ' + "[" * 5000 + "]" * 5000 + '}\n{"工号": "2", "姓名": "\\ud800", "公司": "BC"}\n')
    assert rows(read(tmp_path, text, JSONL, "e.jsonl")) == [
        (1, {"employee_id": "1", "name": "张伟", "company": "BC"}),
        (3, ["expected an object with the column names as keys, found a string"]),
        (4, ["expected an object with the column names as keys, found a list"]),
        (5, ["not valid JSON: Expecting property name enclosed in double quotes"]),
        (6, ["not an export: nested more than 100 levels deep"]),
        (7, ["name (姓名): a lone surrogate U+D800 at position 1, not a character"]),
    ]


def test_a_part_read_whole_is_capped_below_the_sheets(tmp_path, monkeypatch):
    """openpyxl streams worksheets but holds the shared strings whole: they have a cap of their own."""
    strings = b"".join(b"<si><t>s%d</t></si>" % number for number in range(20_000))
    declare = b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-' \
              b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'

    def add_strings(name, content):
        if name == "[Content_Types].xml":
            return content.replace(b"</Types>", declare)
        return content

    out = io.BytesIO(rezip(GOOD, add_strings))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                                 b'2006/main">' + strings + b"</sst>")
    monkeypatch.setattr(tables, "XLSX_MAX_PART", 100_000)
    refused(tmp_path, out.getvalue(), r"part 'xl/sharedStrings.xml' takes 0 MB, more than 0 MB")
    big_sheet = rezip(GOOD, sheet_xml(lambda content: content.replace(b"<sheetData>", b"<sheetData>" + b" " * 200_000)))
    assert len(read(tmp_path, big_sheet).people) == 2  # a worksheet may be larger: it is streamed
