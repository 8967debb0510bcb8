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
        ["group.yaml:5: the key 'name' appears twice in this mapping (first on line 4)"],
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
        ["org.csv:1: column '部门名称' not found; the header has: '部门编码', '名称', '公司编码'"],
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
         "org.csv": "a,b,c\nD1,财务部,BX\nD2,caf\xe9,BX\n".encode()[:-9] + b"\xe9,BX\n"},
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
         "people.yaml": b"people: []\n" + b"# \xff\n"},
        [
            "group.yaml:3: company BX: uscc '91350100M000100Y44': check character is '4', expected '3'",
            "group.yaml:4: departments: `from:` 'org.csv': no such file",
            "people.yaml:2: not UTF-8; save YAML files as UTF-8",
            "roles.yaml:1: roles: `from:` 'roles.csv': no such file",
        ],
    ),
    "true or false where a code belongs": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: true, name: 甲公司, parent: BX}\n"},
        ["group.yaml:4: company: code: true was read as true/false; put it in quotes"],
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
        [
            "empty.yaml:1: the file is empty; expected a mapping with keys group, companies, departments, roles, people, apps, federation",
            "group.yaml:1: `group:` must be a mapping with code, name and realm",
        ],
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
        ("utf-8", "部门编码,部门名称,公司编码\r\nD1,财务部,BX\r\n".encode()),
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




# Text Keycloak would store as given but that hides what it says, or that Keycloak cannot store at all, and
# layouts Keycloak would refuse: each is a problem of validation, never a surprise of apply.
LONG = "长" * 256
REFUSED = {
    "a right-to-left override in a name, with its position": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: \"北辰\\u202e集团\"}\n"},
        ["group.yaml:3: company BX: name: U+202E RIGHT-TO-LEFT OVERRIDE at character 3"],
    ),
    "control characters in codes, escaped in the label, at either end too": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "  - {code: \"BX\\x1b[31m\", name: 甲, parent: BX}\n"
         + "  - {code: \"BX-B\\x1f\", name: 乙, parent: BX}\n"},
        ["group.yaml:4: company BX\\x1b[31m: code: U+001B control character at character 3",
         "group.yaml:5: company BX-B\\x1f: code: U+001F control character at character 5"],
    ),
    "C1, DEL and isolates in the other text fields": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: beichen, description: \"a\\u2066b\"}\n"
         + "companies:\n  - {code: BX, name: 北辰集团有限公司, region: \"上海\\x85\", uscc: \"91350100M000100Y43\\u202c\","
         + " email_domains: [\"bx.example.cn\\u2069\"]}\n"
         + "roles:\n  - {name: \"r\\x7f\", description: ok}\n  - {name: r2, description: \"\\x9b2J\"}\n"
         + "people:\n  - {employee_id: E1, name: 张三, company: BX, title: \"经理\\u202d\"}\n"},
        ["group.yaml:1: group: description: U+2066 LEFT-TO-RIGHT ISOLATE at character 2",
         "group.yaml:3: company BX: email_domains.0: U+2069 POP DIRECTIONAL ISOLATE at character 14",
         "group.yaml:3: company BX: region: U+0085 control character at character 3",
         "group.yaml:3: company BX: uscc: U+202C POP DIRECTIONAL FORMATTING at character 19",
         "group.yaml:5: role r\\x7f: name: U+007F control character at character 2",
         "group.yaml:6: role r2: description: U+009B control character at character 1",
         "group.yaml:8: person E1: title: U+202D LEFT-TO-RIGHT OVERRIDE at character 3"],
    ),
    "a control character in a CSV cell": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + "departments: {from: org.csv, columns: {code: a, name: b, company: c}}\n",
         "org.csv": "a,b,c\nD1,财务\u2067部,BX\n"},
        ["org.csv:2: department D1: name: U+2067 RIGHT-TO-LEFT ISOLATE at character 3"],
    ),
    "empty once trimmed": (
        {"group.yaml": GROUP + "companies:\n  - {code: BX, name: \"\\u3000 \"}\n"
         + "departments:\n  - {code: D1, name: '', company: BX}\n"},
        ["group.yaml:3: company BX: name: must not be empty", "group.yaml:5: department D1: name: must not be empty"],
    ),
    "names, descriptions and attribute values longer than Keycloak stores": (
        {"group.yaml": f"group: {{code: BX, name: {LONG}, realm: beichen}}\ncompanies:\n"
         + f"  - {{code: BX, name: 甲, region: {LONG}}}\n  - {{code: {'X' * 256}, name: 乙, parent: BX}}\n"
         + f"roles:\n  - {{name: {'r' * 256}}}\n  - {{name: r, description: {LONG}, client: {'c' * 256}}}\n"
         + f"people:\n  - {{employee_id: E1, name: 张三, company: BX, email: {'a' * 251}@x.cn}}\n"},
        ["group.yaml:1: group: name: is 256 characters long; Keycloak stores at most 255",
         "group.yaml:3: company BX: region: is 256 characters long; Keycloak stores at most 255",
         f"group.yaml:4: company {'X' * 40}…: code: is 256 characters long; Keycloak stores at most 255",
         f"group.yaml:6: role {'r' * 40}…: name: is 256 characters long; Keycloak stores at most 255",
         "group.yaml:7: role r: client: is 256 characters long; Keycloak stores at most 255",
         "group.yaml:7: role r: description: is 256 characters long; Keycloak stores at most 255",
         "group.yaml:9: person E1: email: is 256 characters long; Keycloak stores at most 255"],
    ),
    "a realm name longer than Keycloak can create": (
        {"group.yaml": f"group: {{code: BX, name: 北辰集团, realm: {'b' * 238}}}\n"},
        ["group.yaml:1: group: realm: is 238 characters long; Keycloak stores at most 237"],
    ),
    "the master realm, in any case": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: Master, topology: realm-per-company,"
         " public_url: 'https://sso.example.cn'}\ncompanies:\n" + ROOT
         + "  - {code: BX-A, name: 甲, parent: BX, own_realm: true, realm: master}\n"},
        ["group.yaml:1: group: realm: 'Master' is Keycloak's own administration realm; groupid never manages it",
         "group.yaml:4: company BX-A: realm: 'master' is Keycloak's own administration realm; groupid never manages it"],
    ),
    "realm per company: no public_url, a shared realm, a realm set without own_realm": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: beichen, topology: realm-per-company}\ncompanies:\n" + ROOT
         + "  - {code: BX-A, name: 甲, parent: BX, own_realm: true}\n"
         + "  - {code: BX-B, name: 乙, parent: BX, own_realm: true, realm: beichen-bx-a}\n"
         + "  - {code: BX-C, name: 丙, parent: BX, realm: beichen-c}\n"},
        ["group.yaml:1: group: topology realm-per-company links the company realms to the group realm through the"
         " URL people reach Keycloak at: set public_url, e.g. https://sso.example.cn",
         "group.yaml:5: company BX-B: realm 'beichen-bx-a' is already used by company BX-A",
         "group.yaml:6: company BX-C: realm is set but own_realm is not true"],
    ),
    "realm per company: realm names too long for Keycloak or for the link between them": (
        {"group.yaml": f"group: {{code: BX, name: 北辰集团, realm: {'g' * 120}, topology: realm-per-company,"
         " public_url: 'https://sso.example.cn'}\ncompanies:\n" + ROOT
         + f"  - {{code: {'A' * 120}, name: 甲, parent: BX, own_realm: true}}\n"
         + f"  - {{code: BX-B, name: 乙, parent: BX, own_realm: true, realm: {'b' * 111}}}\n"},
        [f"group.yaml:4: company {'A' * 40}…: the realm it gets, <group realm>-<code>, is 241 characters long;"
         " Keycloak stores at most 237: give it a shorter realm:",
         f"group.yaml:5: company BX-B: realm '{'b' * 40}'… (111 characters) and the group realm '{'g' * 40}'… (120"
         " characters) are too long together: the link between them redirects to"
         " /realms/<realm>/broker/<group realm>/endpoint, 256 characters, and Keycloak stores at most 255;"
         " shorten one of them"],
    ),
    "organizations: one name, an alias that differs only in case, one email domain": (
        {"group.yaml": "group: {code: BX, name: 北辰集团, realm: beichen, topology: organizations}\ncompanies:\n"
         + "  - {code: BX, name: 北辰集团有限公司, email_domains: [bx.example.cn]}\n"
         + "  - {code: BX-A, name: 北辰集团有限公司, parent: BX}\n  - {code: bx, name: 小写, parent: BX}\n"
         + "  - {code: BX-C, name: 丙, parent: BX, email_domains: [BX.example.cn]}\n"},
        ["group.yaml:4: company BX-A: name '北辰集团有限公司' is already used by company BX (group.yaml:3);"
         " each company's organization needs a name of its own",
         "group.yaml:5: company bx: code 'bx' gives the organization alias 'bx', as company BX does;"
         " codes must differ in more than upper and lower case",
         "group.yaml:6: company BX-C: email domain 'bx.example.cn' is already used by company BX"],
    ),
    "a huge bad value is quoted cut short": (
        {"group.yaml": GROUP + "companies:\n" + ROOT + f"  - {{code: BX-A, name: 甲, parent: BX, email_domains: [{'x' * 5000}]}}\n"},
        [f"group.yaml:4: company BX-A: email_domains.0: '{'x' * 40}'… (5000 characters) is not a valid email domain"],
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_validation_refuses_what_keycloak_would(tmp_path, case):
    files, expected = REFUSED[case]
    assert problems(tmp_path, files) == expected


def test_ends_are_trimmed_and_empty_optional_text_is_absent(tmp_path):
    group = load_spec(write(tmp_path, {"group.yaml": "group: {code: ' BX ', name: 北辰集团, realm: beichen, description: '  '}\n"
                                       "companies:\n  - {code: BX, name: \"\\u3000北辰集团有限公司 \", region: ' '}\n"
                                       "  - {code: BX-A, name: 甲, parent: ' BX'}\n"}))
    assert (group.code, group.description) == ("BX", None)
    assert (group.companies[0].name, group.companies[0].region) == ("北辰集团有限公司", None)
    assert group.companies[1].parent == "BX"


def test_a_tab_is_a_control_character_even_at_the_end(tmp_path):
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, {"group.yaml": GROUP + "companies:\n  - {code: BX, name: 甲}\n  - {code: BX-A, name: 乙, parent: \"BX\\t\"}\n"}))
    assert [p.message for p in caught.value.problems] == ["company BX-A: parent: U+0009 control character at character 3"]


def test_values_at_keycloaks_limits_validate(tmp_path):
    group = load_spec(write(tmp_path, {"group.yaml": f"group: {{code: BX, name: {'长' * 255}, realm: {'b' * 237}}}\n"
                                       f"companies:\n  - {{code: {'X' * 255}, name: {'甲' * 255}, region: {'区' * 255}}}\n"
                                       f"roles:\n  - {{name: {'r' * 255}, description: {'描' * 255}}}\n"}))
    assert len(group.realm) == 237 and len(group.companies[0].code) == 255
