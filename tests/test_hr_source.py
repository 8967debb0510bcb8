"""Reading HR exports: the mapping file, normalisation, duplicates, scope, and every supported format."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from groupid.errors import SourceError
from groupid.sources.hr import (
    Mapping,
    Scope,
    excel_date,
    load_mapping,
    normalise_email,
    normalise_phone,
    parse_date,
    read_people,
    to_half_width,
    translate,
)
from groupid.sources.hr.normalise import (
    MAX_ATTRIBUTE,
    MAX_NAME,
    PLAUSIBLE_SERIALS,
    normalise_value,
    refuse_hidden,
)
from groupid.sources.tabular import read_csv

HR = Path(__file__).parent.parent / "examples" / "xinghe" / "hr"
EXPORT, MAPPING = HR / "employees.csv", HR / "mapping.yaml"
NATIONAL_ID = "身份证号"


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping(MAPPING)


@pytest.fixture(scope="module")
def example(mapping):
    return read_people(EXPORT, mapping)


@pytest.fixture(scope="module")
def table():
    return read_csv(EXPORT)


PLAIN = {"employee_id": "工号", "name": "工号", "company": "工号"}
"""The fewest columns a mapping may have, all read from one column."""


def _with_source(mapping: Mapping, **source) -> Mapping:
    return mapping.model_copy(update={"source": mapping.source.model_copy(update=source)})


def _by_id(rows) -> dict[str, dict]:
    return {row.employee_id: row.values for row in rows.people}


def _write_csv(path: Path, header: list[str], records: list[dict[str, str]], encoding: str) -> Path:
    lines = [",".join(header)] + [",".join(record[h] for h in header) for record in records]
    path.write_text("\r\n".join(lines) + "\r\n", encoding=encoding)
    return path


def _records(table) -> list[dict[str, str]]:
    return [dict(row.cells) for row in table.rows]


# --- normalisation, one function at a time -------------------------------------------------------------------


def test_half_width_folds_full_width_ascii_but_keeps_chinese():
    assert to_half_width("ＡＢｃ１２３（）－＠　张䶮") == "ABc123()-@ 张䶮"
    # NFKC would turn this compatibility ideograph into U+8C48; a name must stay as written
    assert to_half_width("\uf900") == "\uf900"


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5679", "+8613812345679"),
        ("0086-13812345680", "+8613812345680"),
        ("86 13812345681", "+8613812345681"),
        ("１３８１２３４５６８２", "+8613812345682"),
        ("+852 9123 4567", "+85291234567"),
        ("00853 6612 3456", "+85366123456"),
        ("+886 912 345 678", "+886912345678"),
    ],
)
def test_phone_to_e164(written, e164):
    assert normalise_phone(written) == e164


@pytest.mark.parametrize("written", ["12812345678", "1381234567", "021-12345678", "+1 415 555 0100", "+852 123", "phone"])
def test_phone_rejected(written):
    with pytest.raises(ValueError, match="neither a mainland mobile"):
        normalise_phone(written)


def test_email_lower_cased():
    assert normalise_email(" LiNa@Tech.Xinghe.Example.CN ") == "lina@tech.xinghe.example.cn"


@pytest.mark.parametrize("written", ["a@b", "foo", "a@@b.cn", "a b@c.cn", "@x.cn", "a@.cn"])
def test_email_rejected(written):
    with pytest.raises(ValueError, match="not an e-mail address"):
        normalise_email(written)


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2023-03-05", date(2023, 3, 5)),
        ("2023/3/5", date(2023, 3, 5)),
        ("2023年3月5日", date(2023, 3, 5)),
        ("2023.3.5", date(2023, 3, 5)),
        ("２０２３-０３-０５", date(2023, 3, 5)),
        ("2023-03-05 00:00:00", date(2023, 3, 5)),
        ("45000", date(2023, 3, 15)),
    ],
)
def test_dates(written, day):
    assert parse_date(written) == day


@pytest.mark.parametrize("written", ["2023-02-30", "2023/3-5", "05.03.2023", "March 5", "60", "0", "3.5"])
def test_date_rejected(written):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(written)


def test_excel_serials_around_the_phantom_leap_day():
    assert excel_date(1) == date(1900, 1, 1)
    assert excel_date(59) == date(1900, 2, 28)
    assert excel_date(61) == date(1900, 3, 1)
    with pytest.raises(ValueError):
        excel_date(60)  # 1900-02-29, which Excel counts but never was


@pytest.mark.parametrize("written", ["2024", "1", "18263", "73416", "2958465"])
def test_a_bare_number_is_a_serial_only_in_the_plausible_range(written):
    """2024 is a year typed alone, not 1905-07-16: refused, unless the column is said to hold serials."""
    with pytest.raises(ValueError, match=f"'{written}' is not a date: a bare number is read as an Excel serial only "
                                         "between 18264 \\(1950-01-01\\) and 73415 \\(2100-12-31\\)"):
        parse_date(written)
    assert parse_date(written, serial=True) == excel_date(int(written))


def test_the_plausible_range_is_1950_to_2100():
    assert (parse_date("18264"), parse_date("73415")) == (date(1950, 1, 1), date(2100, 12, 31))
    assert excel_date(PLAUSIBLE_SERIALS.start - 1) == date(1949, 12, 31)


@pytest.mark.parametrize("written", ["٤٥٠٠٠", "४५०००", "٢٠٢٣-٠٣-٠٥"])
def test_digits_of_other_scripts_are_not_read_as_numbers(written):
    """int() reads ٤٥٠٠٠ (Arabic-Indic) as 45000; a date column must not."""
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(written)
    with pytest.raises(ValueError, match="neither a mainland mobile"):
        normalise_phone("١٣٨١٢٣٤٥٦٧٨")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("XH\x1b[31m01", "U+001B control character at position 3"),
        ("张\x85伟", "U+0085 .* at position 2"),
        ("BC\u202eHCET", "U+202E RIGHT-TO-LEFT OVERRIDE at position 3"),
        ("  \u2066张伟", "U+2066 LEFT-TO-RIGHT ISOLATE at position 3"),  # counted in the cell as written
        ("a\x00", "U+0000 .* at position 2"),
        ("x\ud800", "a lone surrogate U+D800 at position 2"),
    ],
)
def test_control_characters_are_refused_with_their_position(cell, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        refuse_hidden(cell)


def test_trimmed_whitespace_is_not_a_control_character():
    refuse_hidden("\t 张伟\u3000\r\n")  # what trimming removes anyway


def test_lengths_beyond_keycloaks_limits_are_refused():
    assert normalise_value("name", "张" * MAX_NAME) == "张" * MAX_NAME
    with pytest.raises(ValueError, match="longer than Keycloak allows \\(at most 255 characters\\)"):
        normalise_value("name", "张" * (MAX_NAME + 1))
    assert normalise_value("title", "x" * MAX_ATTRIBUTE)
    with pytest.raises(ValueError, match="at most 2048 characters"):
        normalise_value("title", "x" * (MAX_ATTRIBUTE + 1))
    assert normalise_email("a" * 64 + "@x.cn")
    with pytest.raises(ValueError, match="longer than Keycloak allows .*65 before the @"):
        normalise_email("a" * 65 + "@x.cn")
    with pytest.raises(ValueError, match="longer than Keycloak allows \\(257 characters, 1 before the @"):
        normalise_email("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 60 + ".cn")


def test_a_long_value_is_quoted_short():
    with pytest.raises(ValueError) as caught:
        normalise_value("title", "x" * 100_000)
    assert len(str(caught.value)) < 200


def test_translate_names_the_unknown_value():
    assert translate("在职", {"在职": "active"}) == "active"
    with pytest.raises(ValueError, match="unknown value '停薪留职'"):
        translate("停薪留职", {"在职": "active"})


# --- scope ------------------------------------------------------------------------------------------------------

FIELDS = ["employee_id", "title", "email", "status", "start_date", "employment_type"]
ROW = {"employee_id": "XH1", "title": "研发工程师", "email": None, "status": "active",
       "start_date": date(2020, 5, 18), "employment_type": "正式"}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ('employment_type eq "正式"', True),
        ('employment_type ne "正式"', False),
        ('title co "工程"', True),
        ('title sw "研发"', True),
        ('title ew "经理"', False),
        ("email pr", False),
        ("title pr", True),
        ('email eq "x@y.cn"', False),
        ('email ne "x@y.cn"', True),
        ('start_date gt "2020-01-01"', True),
        ('start_date lt "2020/1/1"', False),
        ('start_date ge "2020-05-18" and start_date le "2020-05-18"', True),
        ('employee_id gt "XH0" and employee_id lt "XH2"', True),
        ('status eq "terminated" or title co "工程"', True),
        ('not (status eq "active")', False),
        ('not (status eq "active" and employment_type eq "实习") and (email pr or title pr)', True),
    ],
)
def test_scope_operators(scope, expected):
    assert Scope(scope, FIELDS).matches(ROW) is expected


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ('employment_type eq', "ends too early"),
        ('title eq "x" junk', "unexpected 'junk'"),
        ('title ~ "x"', "Illegal character"),
        ('employment eq "x"', "'employment' is not a mapped field; did you mean 'employment_type'"),
        ('start_date gt "soon"', "is not a date"),
        ('start_date co "2020"', "compares text"),
        ('emails[type eq "work"]', "complex attributes"),
    ],
)
def test_scope_errors(scope, message):
    with pytest.raises(ValueError, match=message):
        Scope(scope, FIELDS)


def test_bad_scope_names_the_mapping_file_and_line(tmp_path):
    text = MAPPING.read_text(encoding="utf-8").replace('ne "实习"', 'ne')
    (tmp_path / "mapping.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=r"mapping\.yaml:9: scope: cannot parse the filter"):
        load_mapping(tmp_path / "mapping.yaml")


# --- the mapping file -------------------------------------------------------------------------------------------


def test_mapping_of_the_example(mapping):
    assert mapping.source.format == "csv" and mapping.key == "employee_id"
    assert NATIONAL_ID not in mapping.columns.values()
    assert mapping.values["status"]["待入职"] == "pending"
    # no policy: section: the safe defaults (nothing deleted, absentees are leavers, guards on)
    assert mapping.policy.leavers.delete_after_days is None and mapping.policy.absent == "leaver"
    assert (mapping.policy.guard.max_leavers, mapping.policy.guard.max_leaver_share) == (20, 0.05)


COLUMNS = "columns: {employee_id: 工号, name: 姓名, company: 公司}\n"


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        (COLUMNS + "extra: 1\n", r"m\.yaml:2: unknown key 'extra'"),
        ("columns: {employee_id: 工号, name: 姓名, company: 公司, phon: 手机}\n",
         r"m\.yaml:1: columns: 'phon' is not a person field; did you mean 'phone'"),
        ("source: {format: xls}\n" + COLUMNS, r"m\.yaml:1: source: format: .*'xls'"),
        ("source: {sheat: x}\n" + COLUMNS, r"m\.yaml:1: source: unknown key 'sheat'; did you mean 'sheet'"),
        ("columns: {name: 姓名}\n", r"m\.yaml:1: columns: every person needs employee_id, name, company; "
                                   r"map employee_id, company too"),
        (COLUMNS + "key: mail\n", r"m\.yaml:2: key: 'mail' is not in columns"),
        (COLUMNS + "values: {status: {在职: active}}\n", r"m\.yaml:2: values: 'status' is not in columns"),
        ("columns: [工号\n", r"m\.yaml:2: YAML syntax error"),
        ("- 工号\n", r"m\.yaml(:1)?: expected a mapping"),
        (COLUMNS + "policy: {futur_joiners: wait}\n",
         r"m\.yaml:2: policy: unknown key 'futur_joiners'; did you mean 'future_joiners'"),
        (COLUMNS + "policy:\n  leavers: {memberships: drop}\n",
         r"m\.yaml:3: policy: leavers: memberships: .*'remove' or 'keep' \(got 'drop'\)"),
        (COLUMNS + "policy: {username: {strategy: template}}\n",
         r"m\.yaml:2: policy: username: template: is required with strategy: template"),
    ],
)
def test_mapping_errors(tmp_path, yaml, message):
    (tmp_path / "m.yaml").write_text(yaml, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        load_mapping(tmp_path / "m.yaml")


# --- the example export -----------------------------------------------------------------------------------------


def test_example_counts(example):
    assert len(example) == 60
    assert len(example.people) == 57
    assert example.rejected == []
    assert [row.employee_id for row in example.out_of_scope] == ["XH000110", "XH000211", "XH000312"]


def test_example_values_are_normalised(example):
    people = _by_id(example)
    assert people["XH000006"]["phone"] == "+8613812345682"  # full-width digits
    assert people["XH000501"]["phone"] == "+85291234567"
    assert people["XH000102"]["email"] == "lina@tech.xinghe.example.cn"
    assert people["XH000501"]["email"] == "chenjiahao@hk.xinghe.example.cn"  # surrounding spaces
    assert people["XH000013"]["start_date"] == date(2023, 3, 15)  # Excel serial 45000
    assert people["XH000003"]["start_date"] == date(2012, 4, 9)  # 2012年4月9日
    assert people["XH000210"]["end_date"] == date(2024, 12, 31)
    assert people["XH000114"]["status"] == "terminated"
    assert people["XH000115"]["status"] == "pending"
    assert people["XH000012"]["phone"] is None
    assert example.people[0].where.line == 2


def test_rows_share_one_copy_of_each_value(example):
    # a large export repeats codes, titles and managers' IDs thousands of times: each is held once
    people = [row.values for row in example.people]
    companies = {}
    for values in people:
        kept = companies.setdefault(values["company"], values["company"])
        assert values["company"] is kept
    assert len(companies) < len(people)


def test_a_lazy_table_gives_the_rows_and_problems_of_a_whole_one(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("工号,姓名\r\nA1,张三\r\nA2,李四,多余\r\n\r\n\"A3\",\"王\r\n五\"\r\nA4,赵六\r\n", encoding="utf-8-sig")
    whole, lazy = read_csv(path), read_csv(path, lazy=True)
    assert lazy.header == whole.header and lazy.encoding == whole.encoding == "utf-8-sig"
    assert lazy.problems == []  # nothing is parsed before the rows are asked for
    assert list(lazy.rows) == whole.rows and [row.where.line for row in whole.rows] == [2, 5, 7]
    assert lazy.problems == whole.problems and [problem.where.line for problem in whole.problems] == [3]
    assert list(lazy.rows) == []  # given once


def test_national_id_never_in_any_output(example, table, tmp_path, mapping):
    ids = [row.cells[NATIONAL_ID] for row in table.rows]
    bad = _write_csv(tmp_path / "bad.csv", table.header, [{**r, "手机": "12"} for r in _records(table)], "utf-8")
    for rows in (example, read_people(bad, mapping)):
        assert all(NATIONAL_ID not in row.values for row in rows.people)
        dumped = repr(rows.rows)
        assert NATIONAL_ID not in dumped and not any(value in dumped for value in ids)
    assert len(read_people(bad, mapping).rejected) == 57


# --- formats: the same data in every format gives the same rows -------------------------------------------------


def _same_rows(rows, example):
    assert _by_id(rows) == _by_id(example)
    assert [row.employee_id for row in rows.out_of_scope] == [row.employee_id for row in example.out_of_scope]
    assert rows.rejected == []


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_chinese_encodings(tmp_path, table, mapping, example, encoding):
    path = _write_csv(tmp_path / "e.csv", table.header, _records(table), encoding)
    rows = read_people(path, mapping)
    assert rows.encoding == "gbk"  # this data holds no character beyond GBK, so GBK decodes either file
    _same_rows(rows, example)


def test_gb18030_only_name(tmp_path, table, mapping):
    records = _records(table)
    records[0]["姓名"] = "刘䶮"  # 䶮 (U+4DAE) is in GB 18030 but not in GBK
    rows = read_people(_write_csv(tmp_path / "e.csv", table.header, records, "gb18030"), mapping)
    assert rows.encoding == "gb18030"
    assert rows.people[0].values["name"] == "刘䶮"


def test_xlsx(tmp_path, table, mapping, example):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    book.create_sheet("说明", 0).append(["not the data"])
    sheet.append(table.header)
    for record in _records(table):
        cells = dict(record)
        if cells["工号"] == "XH000013":
            cells["入职日期"] = 45000  # a date cell Excel exported as its serial number
        elif cells["入职日期"] == "2008-06-18":
            cells["入职日期"] = datetime(2008, 6, 18)  # a real date cell
        if cells["手机"].isdigit():
            cells["手机"] = float(cells["手机"])  # a phone typed as a number
        sheet.append([cells[h] for h in table.header])
    book.save(tmp_path / "e.xlsx")
    rows = read_people(tmp_path / "e.xlsx", _with_source(mapping, format="xlsx", sheet="花名册"))
    _same_rows(rows, example)
    assert rows.people[0].where.line == 2


def test_xlsx_keeps_leading_zeros_of_text_cells(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["工号", "姓名"])
    book.active.append(["000123", "张伟"])
    book.active.append([456, "李娜"])
    book.save(tmp_path / "e.xlsx")
    mapping = Mapping(source={"format": "xlsx"}, columns={"employee_id": "工号", "name": "姓名", "company": "工号"})
    assert [row.employee_id for row in read_people(tmp_path / "e.xlsx", mapping)] == ["000123", "456"]


def test_xlsx_missing_sheet(tmp_path, mapping):
    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    with pytest.raises(SourceError, match="no sheet '花名册'"):
        read_people(tmp_path / "e.xlsx", _with_source(mapping, format="xlsx", sheet="花名册"))


def test_json_and_jsonl(tmp_path, table, mapping, example):
    records = _records(table)
    (tmp_path / "e.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    (tmp_path / "e.jsonl").write_text(lines + "\n", encoding="utf-8")
    as_json = read_people(tmp_path / "e.json", _with_source(mapping, format="json"))
    as_jsonl = read_people(tmp_path / "e.jsonl", _with_source(mapping, format="jsonl"))
    _same_rows(as_json, example)
    _same_rows(as_jsonl, example)
    assert [row.where.line for row in as_jsonl.rows[:2]] == [1, 2]
    assert [row.where.line for row in as_json.rows[:2]] == [2, 17]  # each object starts on its own line


def test_json_errors(tmp_path, mapping):
    (tmp_path / "e.json").write_text('{"工号": "1"}', encoding="utf-8")
    with pytest.raises(SourceError, match="expected a JSON list"):
        read_people(tmp_path / "e.json", _with_source(mapping, format="json"))
    (tmp_path / "e.json").write_text('[\n{"工号": }]', encoding="utf-8")
    with pytest.raises(SourceError, match=r"e\.json:2: not valid JSON"):
        read_people(tmp_path / "e.json", _with_source(mapping, format="json"))


def test_jsonl_bad_line_is_a_rejected_row(tmp_path):
    (tmp_path / "e.jsonl").write_text('{"工号": "1"}\n{oops\n', encoding="utf-8")
    rows = read_people(tmp_path / "e.jsonl", Mapping(source={"format": "jsonl"}, columns=PLAIN))
    assert [row.employee_id for row in rows.people] == ["1"]
    assert rows.rejected[0].where.line == 2 and "not valid JSON" in rows.rejected[0].reasons[0]


def test_missing_column_is_a_source_error(tmp_path, table, mapping):
    header = [h for h in table.header if h != "手机"]
    path = _write_csv(tmp_path / "e.csv", header, _records(table), "utf-8")
    with pytest.raises(SourceError, match="column '手机' not found"):
        read_people(path, mapping)


# --- rejected rows ----------------------------------------------------------------------------------------------


def _one_row(tmp_path, table, mapping, **changes):
    record = {**_records(table)[1], **changes}
    return read_people(_write_csv(tmp_path / "one.csv", table.header, [record], "utf-8"), mapping).rows[0]


def test_a_national_id_in_the_phone_column_is_masked_in_the_reason(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 手机="110101199003074513", 邮箱="110101199003074513")
    assert "110101199003074513" not in " ".join(row.reasons)
    assert row.reasons[0].startswith("phone (手机): '110*************13' is neither")


def test_bad_row_is_rejected_with_every_reason(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 手机="12345", 邮箱="a@b", 入职日期="2023-02-30", 在职状态="停薪留职")
    assert row.employee_id == "XH000002"
    assert len(row.reasons) == 4
    assert row.reasons[0].startswith("phone (手机): '*****' is neither")  # personal values are masked
    assert row.reasons[1] == "email (邮箱): '***' is not an e-mail address"
    assert row.reasons[2].startswith("start_date (入职日期): '2023-02-30' is not a date")
    assert row.reasons[3].startswith("status (在职状态): unknown value '停薪留职'")
    assert not hasattr(row, "values")  # nothing half-normalised is handed on


def test_row_without_key_is_rejected(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 工号=" ")
    assert row.employee_id is None and row.reasons == ("employee_id (工号) is empty",)


def test_out_of_scope_row_is_not_rejected_for_other_fields(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 员工类型="实习", 手机="12345")
    assert type(row).__name__ == "OutOfScope"


def test_duplicate_ids_reject_every_row(tmp_path, table, mapping):
    records = _records(table)
    records[5]["工号"] = records[9]["工号"] = records[0]["工号"]
    rows = read_people(_write_csv(tmp_path / "e.csv", table.header, records, "utf-8"), mapping)
    assert [(row.where.line, row.employee_id) for row in rows.rejected] == [(2, "XH000001"), (7, "XH000001"), (11, "XH000001")]
    assert rows.rejected[0].reasons == ("employee_id XH000001 appears more than once (also on line 7, 11)",)
    assert rows.rejected[1].reasons == ("employee_id XH000001 appears more than once (also on line 2, 11)",)
    assert len(rows.people) == 54


def test_an_end_date_before_the_start_date_rejects_the_row(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 入职日期="2021-03-05", 离职日期="2020-01-01")
    assert row.reasons == ("end_date (离职日期) 2020-01-01 is before start_date (入职日期) 2021-03-05",)
    assert type(_one_row(tmp_path, table, mapping, 入职日期="2021-03-05", 离职日期="2021-03-05")).__name__ == "SourceRow"


def test_a_year_in_a_date_column_rejects_the_row_unless_the_mapping_says_serials(tmp_path, table, mapping):
    row = _one_row(tmp_path, table, mapping, 入职日期="2024")
    assert row.reasons[0].startswith("start_date (入职日期): '2024' is not a date: a bare number")
    serials = _with_source(mapping, serial_dates=("start_date",))
    assert _one_row(tmp_path, table, serials, 入职日期="2024").values["start_date"] == date(1905, 7, 16)
    assert _one_row(tmp_path, table, mapping, 入职日期="45000").values["start_date"] == date(2023, 3, 15)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"工号": "XH\u202e100"}, "employee_id (工号): U+202E RIGHT-TO-LEFT OVERRIDE at position 3"),
        ({"姓名": "张\x1b]8;;http://x\x07伟"}, "name (姓名): U+001B control character at position 2"),
        ({"部门编码": "XH-TECH\x85-RD"}, "department (部门编码): U+0085 control character at position 8"),
        ({"公司编码": "\u2067XH"}, "company (公司编码): U+2067 RIGHT-TO-LEFT ISOLATE at position 1"),
        ({"姓名": "张" * 256}, "name (姓名): '张张张"),
        ({"职位": "x" * 2049}, "title (职位): 'xxx"),
    ],
)
def test_hidden_characters_and_overlong_values_reject_the_row(tmp_path, table, mapping, cells, reason):
    row = _one_row(tmp_path, table, mapping, **cells)
    assert type(row).__name__ == "Rejection"
    assert row.reasons[0].startswith(reason)
    assert "\x1b" not in row.reasons[0] and "\u202e" not in row.reasons[0] and len(row.reasons[0]) < 200


def test_codes_stay_as_written(tmp_path):
    """A JSON number is the text it is written in: 1e3 is not 1000.0, 0.10 is not 0.1."""
    (tmp_path / "e.json").write_text('[{"工号": 1e3, "公司": 0.10, "部门": "0x1F", "级别": "1_000"}]', encoding="utf-8")
    mapping = Mapping(source={"format": "json"}, columns={"employee_id": "工号", "name": "部门", "company": "公司",
                                                          "department": "部门", "title": "级别"})
    values = read_people(tmp_path / "e.json", mapping).people[0].values
    assert (values["employee_id"], values["company"], values["department"], values["title"]) == (
        "1e3", "0.10", "0x1F", "1_000")


# --- the mapping is checked whole when it loads ----------------------------------------------------------------

MAPPED = "columns: {employee_id: 工号, name: 姓名, company: 公司, start_date: 入职日期, status: 状态}\n"


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        (MAPPED + "policy:\n  username: {strategy: template, template: '{name}{employee_id}'}\n",
         r"m\.yaml:3: policy: username: template: 'name' is not a field a template may use; allowed: {family_pinyin}"),
        (MAPPED + "policy:\n  username:\n    strategy: template\n    template: '{employee_id!x}'\n",
         r"m\.yaml:5: policy: username: template: .*Unknown conversion specifier x"),
        (MAPPED + "policy: {username: {strategy: template, template: '{'}}\n",
         r"m\.yaml:2: policy: username: template: '{' is not a valid template"),
        (MAPPED + "policy: {username: {strategy: template, template: '{employee_id:d}'}}\n",
         r"m\.yaml:2: .*Unknown format code 'd'"),
        (MAPPED + "policy: {username: {strategy: template, template: 'admin'}}\n",
         r"m\.yaml:2: .*names no field: every account would get the same username"),
        (MAPPED + "policy: {username: {strategy: template, template: '{employee_id:>99999999}'}}\n",
         r"m\.yaml:2: .*widths and precisions go up to 255"),
        (MAPPED + "policy:\n  username: {strategy: template, template: '{family_pinyin}{email}'}\n",
         r"m\.yaml:3: policy: username: template: uses {email}, but email is not in columns"),
        (MAPPED + "policy:\n  username:\n    strategy: email\n",
         r"m\.yaml:4: policy: username: strategy: email needs email in columns"),
        (MAPPED + "source:\n  serial_dates: [start_date, birthday]\n",
         r"m\.yaml:3: source: serial_dates: 'birthday' is not a date field"),
        (MAPPED + "source:\n  serial_dates:\n    - end_date\n",
         r"m\.yaml:4: source: serial_dates: 'end_date' is not in columns"),
        (MAPPED + "source:\n  format: csv\n  sheet: 花名册\n", r"m\.yaml:4: source: sheet: is for format: xlsx, not csv"),
        (MAPPED + "source: {encoding: utf-9}\n", r"m\.yaml:2: source: encoding: unknown encoding 'utf-9'"),
        (MAPPED + "source: {encoding: rot13}\n", r"m\.yaml:2: source: encoding: unknown encoding 'rot13'"),
        (MAPPED + "values:\n  status:\n    在职: activ\n",
         r"m\.yaml:4: values: status: '在职' becomes 'activ', which is not a status; expected one of active"),
        (MAPPED + "values:\n  status: {在职: active, ' 在职': terminated}\n",
         r"m\.yaml:3: values: status: ' 在职' is listed twice, with different values"),
        (MAPPED + "values: {status: {在职: active}}\nscope: 'status eq \"在职\"'\n",
         r"m\.yaml:3: scope: status is compared after translation: '在职' is not one of active"),
        (MAPPED + "scope: '" + " and ".join(["status pr"] * 60) + "'\n", r"m\.yaml:2: scope: the filter nests more than 50"),
        (MAPPED + "scope: 'department eq \"x\"'\n", r"m\.yaml:2: scope: 'department' is not a mapped field"),
        ("columns: {employee_id: 工号, name: 姓名, company: 公司, phone: ''}\n", r"m\.yaml:1: columns: the column name is empty"),
        # numbers in the policy are numbers: YAML's true is not one day, "20" is not twenty
        (MAPPED + "policy:\n  leavers: {delete_after_days: true}\n",
         r"m\.yaml:3: policy: leavers: delete_after_days: Input should be a valid integer"),
        (MAPPED + "policy:\n  leavers: {delete_after_days: 99999999999}\n",
         r"m\.yaml:3: policy: leavers: delete_after_days: Input should be less than or equal to 36500"),
        (MAPPED + "policy: {guard: {max_leavers: '20'}}\n", r"m\.yaml:2: policy: guard: max_leavers: Input should be"),
    ],
)
def test_a_mapping_is_checked_whole_when_it_loads(tmp_path, yaml, message):
    (tmp_path / "m.yaml").write_text(yaml, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        load_mapping(tmp_path / "m.yaml")


def test_values_keys_are_compared_as_cells_are(tmp_path):
    """Cells are trimmed and folded to half width before the values: table is looked up; so are its keys."""
    (tmp_path / "m.yaml").write_text(MAPPED + "values: {status: {' 在职 ': active, ＡＢ: pending}}\n", encoding="utf-8")
    assert load_mapping(tmp_path / "m.yaml").values["status"] == {"在职": "active", "AB": "pending"}


def test_the_template_fields_are_those_planning_fills():
    from groupid.policy import TEMPLATE_FIELDS
    from groupid.usernames import name_fields

    assert set(TEMPLATE_FIELDS) == set(name_fields("欧阳振华")) | {"employee_id", "email"}
