"""Invalid specs and the exact messages they must produce; every problem is reported at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from groupid.errors import SourceError, SpecError
from groupid.spec import load_spec

GROUP = "group: {code: BX, name: 北辰集团, realm: beichen}\n"
ROOT = "  - {code: BX, name: 北辰集团有限公司, uscc: 91350100M000100Y43}\n"


def write(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    spec = write(tmp_path, files)
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    prefix = f"{spec}/"
    return [str(p).replace(prefix, "") for p in caught.value.problems]


INVALID = {
    "company cycle": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "  - {code: BX-A, name: 甲公司, parent: BX-B}\n  - {code: BX-B, name: 乙公司, parent: BX-A}\n"},
        ["group.yaml:4: company BX-A: parent 'BX-B' forms a cycle BX-A -> BX-B -> BX-A"],
    ),
    "unknown key with a suggestion": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX-A, name: 甲公司, parnet: BX}\n"},
        ["group.yaml:4: company BX-A: unknown key 'parnet'; did you mean 'parent'?"],
    ),
    "unknown key without a close match lists the allowed keys": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "departments:\n  - {code: D1, name: 财务部, company: BX, leader: 张三}\n"},
        ["group.yaml:5: department D1: unknown key 'leader'; allowed: code, name, company, parent, roles"],
    ),
    "unknown section": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "departmnets: []\n"},
        ["group.yaml:4: unknown section 'departmnets'; did you mean 'departments'?"],
    ),
    "unknown group key": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: beichen, topolgy: groups}\n"},
        ["group.yaml:1: group: unknown key 'topolgy'; did you mean 'topology'?"],
    ),
    "bad topology": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: beichen, topology: flat}\n"},
        ["group.yaml:1: group: topology: Input should be 'groups', 'organizations' or 'realm-per-company' (got 'flat')"],
    ),
    "invalid realm name": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: Bei Chen}\n"},
        ["group.yaml:1: group: realm: 'Bei Chen' is not a valid realm name (lower-case letters, digits, '_', '-')"],
    ),
    "missing required key": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX-A, parent: BX}\n"},
        ["group.yaml:4: company BX-A: missing required key 'name'"],
    ),
    "unknown parent company with a suggestion": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX-A, name: 甲公司, parent: BXX}\n"},
        ["group.yaml:4: company BX-A: parent 'BXX' is not a known company; did you mean 'BX'?"],
    ),
    "USCC check character": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 北辰集团有限公司, uscc: 91350100M000100Y44}\n"},
        ["group.yaml:3: company BX: uscc '91350100M000100Y44': check character is '4', expected '3'"],
    ),
    "USCC length and alphabet": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 甲, uscc: '9135010'}\n  - {code: BY, name: 乙, uscc: 91350100M000100I43}\n"},
        [
            "group.yaml:3: company BX: uscc '9135010': must be 18 characters, has 7",
            "group.yaml:4: company BY: uscc '91350100M000100I43': contains 'I'; only digits and ABCDEFGHJKLMNPQRTUWXY are allowed",
        ],
    ),
    "duplicate code, also across companies and departments": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX, name: 重复}\n"
         + "departments:\n  - {code: BX, name: 财务部, company: BX}\n"},
        [
            "group.yaml:4: company BX: code 'BX' is already used by company BX (group.yaml:3)",
            "group.yaml:6: department BX: code 'BX' is already used by company BX (group.yaml:3)",
        ],
    ),
    "department parent in another company": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX-A, name: 甲公司, parent: BX}\n"
         + "departments:\n  - {code: A-HR, name: 人事部, company: BX-A}\n  - {code: HR-1, name: 招聘组, company: BX, parent: A-HR}\n"},
        ["group.yaml:7: department HR-1: parent 'A-HR' belongs to company BX-A, not BX"],
    ),
    "department cycle": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "departments:\n"
         "  - {code: D1, name: 一部, company: BX, parent: D3}\n  - {code: D2, name: 二部, company: BX, parent: D1}\n"
         "  - {code: D3, name: 三部, company: BX, parent: D2}\n"},
        ["group.yaml:5: department D1: parent 'D3' forms a cycle D1 -> D3 -> D2 -> D1"],
    ),
    "sibling departments with the same name": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "departments:\n  - {code: D1, name: 财务部, company: BX}\n  - {code: D2, name: 财务部, company: BX}\n"},
        ["group.yaml:6: department D2: name '财务部' is already used under BX by department D1 (group.yaml:5)"],
    ),
    "role composite cycle and unknown composite": (
        {"group.yaml": GROUP + "roles:\n  - {name: a, composites: [b]}\n  - {name: b, composites: [a, c]}\n"},
        [
            "group.yaml:3: role a: composite 'b' forms a cycle a -> b -> a",
            "group.yaml:4: role b: composite 'c' is not a known role",
        ],
    ),
    "name with a slash": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 北辰/集团}\n"},
        ["group.yaml:3: company BX: name: '北辰/集团' must not contain '/'"],
    ),
    "YAML syntax error with its line": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 北辰\n"},
        ["group.yaml:4: YAML syntax error: while parsing a flow mapping expected ',' or '}', but got '<stream end>'"],
    ),
    "duplicate YAML key": (
        {"group.yaml": GROUP + "companies:\n  - code: BX\n    name: 北辰\n    name: 又一个\n"},
        ["group.yaml:5: YAML syntax error: while constructing a mapping found duplicate key \"name\" with value \"又一个\" (original value: \"北辰\")"],
    ),
    "no group": (
        {"companies.yaml": "companies:\n" + ROOT},
        ["{spec}: no file defines `group:` (code, name, realm)"],
    ),
    "group defined twice": (
        {"a.yaml": GROUP, "b.yaml": GROUP},
        ["b.yaml:1: `group:` is defined again (first at a.yaml:1)"],
    ),
    "CSV: missing column": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, company: 公司编码}}\n",
         "org.csv": "部门编码,名称,公司编码\nD1,财务部,BX\n"},
        ["org.csv:1: column '部门名称' not found; the header has: 部门编码, 名称, 公司编码"],
    ),
    "CSV: unknown field in the column mapping": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, company: 公司编码, leader: 负责人}}\n",
         "org.csv": "部门编码,部门名称,公司编码,负责人\nD1,财务部,BX,张三\n"},
        ["group.yaml:4: departments: columns: 'leader' is not a department field; allowed: code, name, company, parent, roles"],
    ),
    "CSV: errors name the row": (
        {"group.yaml": GROUP + "companies:\n" + ROOT
         + "departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, parent: 上级, company: 公司编码}}\n",
         "org.csv": "部门编码,部门名称,上级,公司编码\nD1,财务部,,BX\nD2,审计部,D9,BX\nD3,,,BX\n"},
        [
            "org.csv:3: department D2: parent 'D9' is not a known department",
            "org.csv:4: department D3: missing required key 'name'",
        ],
    ),
    "CSV: undecodable, with the line where it stops being text": (
        {"group.yaml": GROUP + "departments: {from: org.csv, columns: {code: a, name: b, company: c}}\n",
         "org.csv": "a,b,c\nD1,财务部,BX\nD2,caf\xe9,BX\n".encode("utf-8")[:-9] + b"\xe9,BX\n"},
        ["org.csv: cannot decode the file as UTF-8, GBK or GB18030 (line 3, byte 0xe9); save it as UTF-8 or name its encoding with `encoding:`"],
    ),
    "CSV: an unclosed quote is an error, not a swallowed file": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "departments: {from: org.csv, columns: {code: a, name: b, company: c}}\n",
         "org.csv": 'a,b,c\nD1,"财务部,BX\nD2,人事部,BX\n'},
        ["org.csv:2: cannot parse: unexpected end of data"],
    ),
    "CSV: a mapped column twice in the header": (
        {"group.yaml": GROUP + "departments: {from: org.csv, columns: {code: a, name: b, company: c}}\n",
         "org.csv": "a,b,c,b\nD1,财务部,BX,x\n"},
        ["org.csv:1: column 'b' appears more than once in the header"],
    ),
    "CSV: `from:` must be a file name and headers text": (
        {"group.yaml": GROUP + "departments: {from: 123, columns: {code: a}}\nroles: {from: r.csv, columns: {name: null}}\n"},
        [
            "group.yaml:2: departments: `from:` and `encoding:` must be text",
            "group.yaml:3: roles: columns: name: the header must be text",
        ],
    ),
    "unreadable files do not hide the other problems": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 甲, uscc: 91350100M000100Y44}\n"
         + "departments: {from: org.csv, columns: {code: a, name: b, company: c}}\n",
         "roles.yaml": "roles: {from: roles.csv, columns: {name: a}}\n",
         "people.yaml": "people: []\n".encode("utf-8") + b"# \xff\n"},
        [
            "group.yaml:3: company BX: uscc '91350100M000100Y44': check character is '4', expected '3'",
            "people.yaml:2: not UTF-8; save YAML files as UTF-8",
            "org.csv: no such file",
            "roles.csv: no such file",
        ],
    ),
    "numbers and dates where codes belong": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: 1.10, name: 甲公司, parent: BX}\n  - {code: 2023-03-05, name: 乙公司}\n"},
        [
            "group.yaml:4: company: code: 1.1 was read as a number; put it in quotes, as written in the file",
            "group.yaml:5: company: code: 2023-03-05 was read as a date; put it in quotes, as written in the file",
        ],
    ),
    "a department chain deeper than the limit": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "departments:\n"
         + "".join(f"  - {{code: D{i}, name: 部{i}, company: BX{', parent: D' + str(i - 1) if i else ''}}}\n" for i in range(40))},
        ["group.yaml:34: department D29: sits 31 levels deep; at most 30 are allowed"],
    ),
    "a person who is their own manager": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "people:\n  - {employee_id: E1, name: 张三, company: BX, manager: E1}\n"},
        ["group.yaml:5: person E1: manager 'E1' forms a cycle E1 -> E1"],
    ),
    "group that is not a mapping, reported once": (
        {"group.yaml": "group:\n", "empty.yaml": ""},
        ["group.yaml:1: `group:` must be a mapping with code, name and realm"],
    ),
    "every problem at once, across files": (
        {"a.yaml": GROUP + "companies:\n" + ROOT + "  - {code: BX-A, name: 甲公司, parent: BX, uscc: 91350100M000100Y44}\n",
         "b.yaml": "departments:\n  - {code: D1, name: 财务部, company: BX-Z}\n  - {code: D2, name: 人事部, company: BX, parnet: D1}\n"},
        [
            "a.yaml:4: company BX-A: uscc '91350100M000100Y44': check character is '4', expected '3'",
            "b.yaml:2: department D1: company 'BX-Z' is not a known company; did you mean 'BX-A'?",
            "b.yaml:3: department D2: unknown key 'parnet'; did you mean 'parent'?",
        ],
    ),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_invalid_spec_reports_every_problem(tmp_path, case):
    files, expected = INVALID[case]
    expected = [e.replace("{spec}", str(tmp_path)) for e in expected]
    assert problems(tmp_path, files) == expected


def test_problems_name_the_spec_path_as_given(tmp_path, monkeypatch):
    write(tmp_path / "spec", {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 甲, uscc: '1'}\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_spec("spec")
    assert str(caught.value.problems[0]).startswith("spec/group.yaml:3: company BX: uscc '1'")


def test_numeric_codes_keep_their_leading_zeros(tmp_path):
    spec = write(tmp_path, {"group.yaml": GROUP + "companies:\n  - {code: 001, name: 甲公司}\n  - {code: 1002, name: 乙公司, parent: 001}\n"})
    group = load_spec(spec)
    assert [(c.code, c.parent) for c in group.companies] == [("001", None), ("1002", "001")]


def test_missing_spec_directory(tmp_path):
    with pytest.raises(SourceError, match="no such file or directory"):
        load_spec(tmp_path / "nope")


def test_directory_without_yaml(tmp_path):
    with pytest.raises(SourceError, match=r"no \*\.yaml files here"):
        load_spec(tmp_path)


def test_sections_split_over_files_are_concatenated(tmp_path):
    spec = write(tmp_path, {
        "00-group.yaml": GROUP + "companies:\n" + ROOT,
        "10-more.yaml": "companies:\n  - {code: BX-A, name: 甲公司, parent: BX}\n",
        "20-roles.yml": "roles:\n  - {name: employee}\n  - {name: manager, composites: [employee]}\n",
    })
    group = load_spec(spec)
    assert [c.code for c in group.companies] == ["BX", "BX-A"]
    assert [r.name for r in group.roles] == ["employee", "manager"]
    assert group.companies[1].where("parent").line == 2


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("utf-8", "部门编码,部门名称,公司编码\r\nD1,财务部,BX\r\n".encode("utf-8")),
        ("utf-8-sig", "部门编码,部门名称,公司编码\nD1,财务部,BX\n".encode("utf-8-sig")),
        ("gbk", "部门编码,部门名称,公司编码\nD1,财务部,BX\n".encode("gbk")),
        # 䶮 is in GB 18030 but not in GBK: some personal names exist only there
        ("gb18030", "部门编码,部门名称,公司编码\nD1,䶮字部,BX\n".encode("gb18030")),
    ],
)
def test_csv_sources_in_each_encoding(tmp_path, encoding, data):
    spec = write(tmp_path, {
        "group.yaml": GROUP + "companies:\n" + ROOT
        + "departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, company: 公司编码}}\n",
        "org.csv": data,
    })
    group = load_spec(spec)
    assert [(d.code, d.company) for d in group.departments] == [("D1", "BX")]
    assert group.departments[0].name.endswith("部")
    assert str(group.departments[0].where()) == f"{spec}/org.csv:2"


