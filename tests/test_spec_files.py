"""Reading input files with care (groupid.files) and YAML safely (groupid.documents), and how a spec uses both."""

from __future__ import annotations

import os
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from groupid import files
from groupid.documents import MAX_ALIASED, MAX_DEPTH, PlainInt, as_written, key_line, load_yaml
from groupid.errors import ConfigurationError, Location, SourceError, SpecError
from groupid.files import read_file, read_json, resolve_inside
from groupid.sources.hr import load_mapping
from groupid.spec import load_spec

GROUP = "group: {code: BX, name: 北辰集团, realm: beichen}\ncompanies:\n  - {code: BX, name: 北辰集团有限公司}\n"
DEPARTMENTS = "departments: {{from: {}, columns: {{code: CODE, name: NAME, company: CO}}}}\n"
CSV = "CODE,NAME,CO\nD1,财务部,BX\n"
HR = Path(__file__).parent / "data" / "hr"


def spec_problems(spec: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    return [str(p).replace(f"{spec}/", "") for p in caught.value.problems]


def refusal(data: str | bytes) -> str:
    with pytest.raises(SourceError) as caught:
        load_yaml(data.encode() if isinstance(data, str) else data, "f.yaml", ["a", "b"])
    return str(caught.value)


# --- read_file ---------------------------------------------------------------------------------------------


def test_read_file_reads_a_regular_file_and_follows_a_link_given_on_the_command_line(tmp_path):
    (tmp_path / "real.csv").write_bytes(b"a,b\n")
    (tmp_path / "latest.csv").symlink_to("real.csv")
    assert read_file(tmp_path / "latest.csv") == b"a,b\n"
    assert read_file(tmp_path / "real.csv", "shown.csv") == b"a,b\n"


def test_a_fifo_is_refused_at_once_without_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^shown.csv: a named pipe \(FIFO\), not a regular file$") as caught:
        read_file(tmp_path / "pipe.csv", "shown.csv")
    assert time.monotonic() - started < 1
    assert caught.value.where == Location("shown.csv") and caught.value.reason.startswith("a named pipe")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/null", "a character device, not a regular file"),
        ("/dev/zero", "a character device, not a regular file"),
        ("/proc/self/environ", "not a regular file: it holds"),
        ("/", "a directory, not a file"),
        ("/nonexistent/x.csv", "no such file"),
    ],
)
def test_what_is_not_a_regular_file_is_refused(path, message):
    if not os.path.exists(path) and "nonexistent" not in path:
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(SourceError) as caught:
        read_file(path)
    assert caught.value.reason.startswith(message)
    assert "GROUPID" not in str(caught.value)  # /proc/self/environ is refused, never quoted


def test_broken_and_looping_links_are_named_as_such(tmp_path):
    (tmp_path / "broken.csv").symlink_to("gone.csv")
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    with pytest.raises(SourceError, match="a broken symbolic link"):
        read_file(tmp_path / "broken.csv")
    with pytest.raises(SourceError, match="a symbolic link loop"):
        read_file(tmp_path / "a.csv")


def test_the_size_cap_is_settable_and_refuses_a_large_file_unread(tmp_path, monkeypatch):
    sparse = tmp_path / "huge.csv"
    with open(sparse, "wb") as handle:
        handle.truncate(3 * 1024 * 1024)
    monkeypatch.setenv(files.MAX_FILE_VARIABLE, "2")
    assert files.max_file_bytes() == 2 * 1024 * 1024
    with pytest.raises(SourceError, match=r"3.0 MB, more than the limit of 2.0 MB; set GROUPID_MAX_FILE_MB"):
        read_file(sparse)
    monkeypatch.setenv(files.MAX_FILE_VARIABLE, "4")
    assert len(read_file(sparse)) == 3 * 1024 * 1024


def test_a_file_that_lies_about_its_size_is_read_no_further_than_the_cap(monkeypatch):
    """/proc/self/environ says it holds 0 bytes: reading stops one byte past the cap, whatever it holds."""
    monkeypatch.setenv(files.MAX_FILE_VARIABLE, str(16 / 1024 / 1024))  # 16 bytes
    monkeypatch.setenv("GROUPID_PADDING", "x" * 200)
    read = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, count: read.append(count) or real_read(fd, count))
    with pytest.raises(SourceError, match="more than the limit of 16 bytes"):
        read_file("/proc/self/environ")
    assert sum(read) <= 17


@pytest.mark.parametrize("value", ["lots", "0", "-5", "inf", "nan"])
def test_a_size_cap_that_is_not_a_positive_number_is_a_configuration_error(monkeypatch, value):
    monkeypatch.setenv(files.MAX_FILE_VARIABLE, value)
    with pytest.raises(ConfigurationError, match="GROUPID_MAX_FILE_MB must be a positive number of megabytes"):
        files.max_file_bytes()


def test_the_default_cap_holds_a_large_real_export():
    assert files.max_file_bytes() >= 3 * 30 * 1024 * 1024  # a 100,000-person export is 20-30 MB


def test_read_json_names_the_line_and_refuses_deep_nesting(tmp_path):
    (tmp_path / "plan.json").write_text('{"a": 1,\n "b": }', encoding="utf-8")
    with pytest.raises(SourceError, match=r"plan.json:2: not valid JSON .*; expected a plan"):
        read_json(tmp_path / "plan.json", "a plan")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(SourceError, match="nested too deeply"):
        read_json(tmp_path / "deep.json", "a plan")
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(SourceError, match="named pipe"):
        read_json(tmp_path / "fifo.json", "a plan")


# --- resolve_inside ----------------------------------------------------------------------------------------


def test_paths_inside_the_directory_resolve_and_may_be_links_within_it(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "org.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "link.csv").symlink_to("sub/org.csv")
    assert resolve_inside(tmp_path, "sub/org.csv") == (tmp_path / "sub" / "org.csv").resolve()
    assert resolve_inside(tmp_path, "./sub/../link.csv") == (tmp_path / "sub" / "org.csv").resolve()


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("/etc/passwd", "an absolute path"),
        ("/proc/self/environ", "an absolute path"),
        ("../outside.csv", "outside the spec directory (it climbs out with ..)"),
        ("sub/../../outside.csv", "outside the spec directory"),
        ("out.csv", "a symbolic link that leads outside the spec directory"),
        ("", "not a file name"),
        ("a\0b", "not a file name"),
        ("missing.csv", "no such file"),
    ],
)
def test_paths_that_leave_the_directory_are_refused(tmp_path, written, message):
    spec = tmp_path / "spec"
    (spec / "sub").mkdir(parents=True)
    (tmp_path / "outside.csv").write_text(CSV, encoding="utf-8")
    (spec / "out.csv").symlink_to("../outside.csv")
    with pytest.raises(SourceError) as caught:
        resolve_inside(spec, written)
    assert caught.value.reason.startswith(message) and caught.value.where is None


# --- the spec's files --------------------------------------------------------------------------------------


def write(root: Path, content: dict[str, str | bytes]) -> Path:
    for name, text in content.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else textwrap.dedent(text).encode())
    return root


def test_from_paths_are_refused_at_the_line_of_from(tmp_path):
    spec = write(tmp_path / "spec", {"group.yaml": GROUP + DEPARTMENTS.format("/proc/self/environ")
                                     + "roles: {from: ../roles.csv, columns: {name: N}}\n"})
    assert spec_problems(spec) == [
        "group.yaml:4: departments: `from:` '/proc/self/environ': an absolute path; name a file inside the spec "
        "directory, relative to it",
        "group.yaml:5: roles: `from:` '../roles.csv': outside the spec directory (it climbs out with ..); only "
        "files inside it are read",
    ]


def test_a_single_yaml_file_spec_reads_csv_beside_it(tmp_path):
    write(tmp_path, {"one.yaml": GROUP + DEPARTMENTS.format("org.csv"), "org.csv": CSV})
    assert [d.code for d in load_spec(tmp_path / "one.yaml").departments] == ["D1"]


def test_yaml_entries_of_the_spec_directory_that_are_not_readable_files_are_reported(tmp_path):
    spec = write(tmp_path / "spec", {"group.yaml": GROUP, "outside.yaml": "roles: []\n"})
    spec = tmp_path / "spec"
    (tmp_path / "elsewhere.yaml").write_text("roles: []\n", encoding="utf-8")
    (spec / "away.yaml").symlink_to("../elsewhere.yaml")
    (spec / "broken.yaml").symlink_to("gone.yaml")
    (spec / "loop.yml").symlink_to("loop.yml")
    (spec / "folder.yaml").mkdir()
    os.mkfifo(spec / "pipe.yaml")
    (spec / ".#group.yaml").symlink_to("user@host.1234")  # an editor's lock file: not part of the spec
    (spec / "same.yaml").symlink_to("outside.yaml")  # a link within the spec directory is fine
    assert spec_problems(spec) == [
        "away.yaml: a symbolic link that leads outside the spec directory; only files inside it are read",
        "broken.yaml: a broken symbolic link (it points at nothing)",
        "folder.yaml: a directory, not a file",
        "loop.yml: a symbolic link loop",
        "pipe.yaml: a named pipe (FIFO), not a regular file",
    ]


def test_an_unreadable_yaml_file_does_not_add_that_no_file_defines_group(tmp_path):
    spec = write(tmp_path, {"group.yaml": b"group: {code: BX, name: \xff}\n"})
    assert spec_problems(spec) == ["group.yaml:1: not UTF-8; save YAML files as UTF-8"]


def test_the_header_listed_in_a_message_is_cut_and_escaped(tmp_path):
    header = ",".join(["CODE", "\x1b]8;;http://evil\x07LINK", "x" * 500, *[f"H{i}" for i in range(30)]])
    spec = write(tmp_path, {"group.yaml": GROUP + DEPARTMENTS.format("org.csv"), "org.csv": header + "\n1\n"})
    (message,) = spec_problems(spec)
    assert message.startswith("org.csv:1: columns 'NAME', 'CO' not found; the header has: 'CODE', '\\x1b]8;;http")
    assert "\x1b" not in message and "\x07" not in message
    assert "… (500 characters)" in message and message.endswith("and 21 more")
    assert len(message) < 700


# --- codes stay as written ---------------------------------------------------------------------------------

WRITTEN_CODES = ["0x1F", "0o17", "1_000", "1e3", "0b101", "1.10", "001", "2024-03-05", "12e-1", "0.5", "0X1f", "1E3"]


@pytest.mark.parametrize("code", WRITTEN_CODES)
def test_codes_stay_as_written(tmp_path, code):
    spec = write(tmp_path, {"group.yaml": GROUP + f"departments:\n  - {{code: {code}, name: 部, company: BX}}\n"
                            f"  - {{code: D2, name: 二部, company: BX, parent: {code}}}\n"})
    group = load_spec(spec)
    assert [(d.code, d.parent) for d in group.departments] == [(code, None), ("D2", code)]


def test_texts_in_lists_and_the_group_stay_as_written_while_other_fields_keep_their_type(tmp_path):
    spec = write(tmp_path, {"group.yaml": "group: {code: 007, name: 1.10, realm: beichen, default_roles: [0x1F]}\n"
                            "companies:\n  - {code: BX, name: 甲, own_realm: true, email_domains: [x.cn]}\n"
                            "roles:\n  - {name: 0x1F, composites: [010]}\n  - {name: 010}\n"
                            "people:\n  - {employee_id: 0001, name: 张三, company: BX, start_date: 2024-03-05}\n"})
    group = load_spec(spec)
    assert (group.code, group.name, group.default_roles) == ("007", "1.10", ["0x1F"])
    assert [(r.name, r.composites) for r in group.roles] == [("0x1F", ["010"]), ("010", [])]
    assert group.companies[0].own_realm is True
    person = group.people[0]
    assert person.employee_id == "0001" and person.start_date == date(2024, 3, 5)


def test_numbers_still_work_where_a_number_belongs(tmp_path):
    mapping = (HR / "mapping.yaml").read_text(encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        mapping + "policy: {workers: 0x10, guard: {max_leavers: 1_000, max_leaver_share: 1e-1}}\n", encoding="utf-8"
    )
    policy = load_mapping(tmp_path / "mapping.yaml").policy
    assert (policy.workers, policy.guard.max_leavers, policy.guard.max_leaver_share) == (16, 1000, 0.1)


# --- the YAML loader ---------------------------------------------------------------------------------------


def test_plain_scalars_keep_the_text_they_are_written_as():
    document = load_yaml(b"a: {b: 0x1F, c: '0x1F', d: 2024-13-45, e: ~, f: true, g: .inf}\n", "f.yaml", [])
    inner = document["a"]
    assert isinstance(inner["b"], PlainInt) and inner["b"] == 31 and as_written(inner["b"]) == "0x1F"
    assert inner["c"] == "0x1F" and inner["d"] == "2024-13-45"  # a date YAML cannot read stays text
    assert (inner["e"], inner["f"], as_written(inner["g"])) == (None, True, ".inf")
    assert as_written("text") == "text" and as_written(5) == 5


def test_keys_are_text_as_written():
    document = load_yaml(b"values: {1: one, 01: zero-one, true: yes, ~: none}\n", "f.yaml", [])
    assert list(document["values"]) == ["1", "01", "true", "~"]


def test_merge_keys_work_and_own_keys_win():
    document = load_yaml(
        b"base: &base {company: BX, parent: D0}\nextra: &extra {roles: [a], company: BY}\n"
        b"d1: {<<: *base, code: D1, parent: D9}\nd2:\n  <<: [*base, *extra]\n  code: D2\n",
        "f.yaml", [],
    )
    assert document["d1"] == {"company": "BX", "parent": "D9", "code": "D1"}
    assert document["d2"] == {"company": "BX", "parent": "D0", "roles": ["a"], "code": "D2"}
    assert key_line(document["d2"], "roles") == 5 and key_line(document["d2"], "code") == 6
    assert key_line(document["d1"], "company") == 3


def test_a_merge_key_in_a_company_list_is_read(tmp_path):
    """It used to end in an internal KeyError."""
    spec = write(tmp_path, {"group.yaml": GROUP + "  - &sub {code: BX-A, name: 甲, parent: BX, region: 上海}\n"
                            "  - {<<: *sub, code: BX-B, name: 乙}\n"})
    companies = load_spec(spec).companies
    assert [(c.code, c.parent, c.region) for c in companies][1:] == [("BX-A", "BX", "上海"), ("BX-B", "BX", "上海")]
    assert companies[2].where("region").line == 5


def test_an_alias_bomb_is_refused_at_once():
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.monotonic()
    message = refusal("\n".join(bomb) + "\n")
    assert time.monotonic() - started < 1
    assert message.startswith("f.yaml:6: aliases stand for more than 100,000 values") and "alias bomb" in message


def test_aliases_within_the_bound_are_fine():
    text = "base: &b {x: 1, y: 2}\nitems:\n" + "".join(f"  - {{<<: *b, n: {i}}}\n" for i in range(2000))
    assert len(load_yaml(text.encode(), "f.yaml", [])["items"]) == 2000
    assert MAX_ALIASED >= 2000 * 5


def test_a_duplicate_key_is_refused_before_its_value_is_read():
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [" + ",".join(["*a"] * 10) + "]\nc: *b\nc: " + "[" * 1000 + "\n"
    assert refusal(bomb) == "f.yaml:4: the key 'c' appears twice in this mapping (first on line 3)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", f"f.yaml:1: nested more than {MAX_DEPTH} levels deep"),
        ("".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n", "f.yaml:65: nested more than"),
        ("a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 100)), "f.yaml:64: the alias nests"),
    ],
    ids=["flow", "block", "through aliases"],
)
def test_deep_nesting_is_refused_with_its_line(text, message):
    assert refusal(text).startswith(message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "f.yaml:1: the file is empty; expected a mapping with keys a, b"),
        (b"# only\n# comments\n", "f.yaml:1: the file holds only comments; expected a mapping with keys a, b"),
        (b"- 1\n- 2\n", "f.yaml:1: expected a mapping with keys a, b; the file holds a list"),
        (b"\n\nplain text\n", "f.yaml:3: expected a mapping with keys a, b; the file holds a single value"),
        (b"a: 1\n---\nb: 2\n", "f.yaml:2: a second YAML document starts here (`---`); a file holds one document"),
        (b"a:\n\tb: 1\n", "f.yaml:2: YAML syntax error: a tab character where YAML expects spaces"),
        (b"a: 1\nb: x\x00y\n", "f.yaml:2: holds the control character \\x00 (column 5)"),
        (b"a: \x1b[31mred\n", "f.yaml:1: holds the control character \\x1b (column 4)"),
        ("a: 1\nb: 北辰\n".encode("gbk"), "f.yaml:2: not UTF-8; save YAML files as UTF-8"),
        (b"%YAML 1.3\n---\na: 1\n", "f.yaml:1: YAML syntax error: an unsupported %YAML version"),
        (b"a: !!python/object/apply:os.system [ls]\n", "f.yaml:1: the tag '!!python/object/apply:os.system' is not"),
        (b"a: !!binary aGVsbG8=\n", "f.yaml:1: the tag '!!binary' is not supported"),
        (b"a: &x [*x]\n", "f.yaml:1: the alias *x stands for a list or mapping that holds it (a loop)"),
        (b"a: *nowhere\n", "f.yaml:1: the alias *nowhere names no anchor defined above it"),
        (b"? [a]\n: 1\n", "f.yaml:1: a key must be text, not a list"),
        (b"a: 1\n<<: [1, 2]\n", "f.yaml:2: a merge key (<<) takes a mapping or a list of mappings"),
        (b"a: {b: 1\n", "f.yaml:2: YAML syntax error: while parsing a flow mapping expected ',' or '}'"),
    ],
)
def test_what_is_not_one_plain_mapping_is_refused_with_file_and_line(data, message):
    assert refusal(data).startswith(message)


def test_no_message_quotes_a_large_value():
    long_value = "秘" * 50_000
    assert len(refusal(f"a: {long_value}\na: {long_value}\n")) < 100
    assert len(refusal(f'a: "{long_value}\n')) < 200
    assert len(refusal("? " + "k" * 50_000 + "\n: 1\n? " + "k" * 50_000 + "\n: 2\n")) < 200


def test_the_mapping_file_is_read_by_the_same_loader(tmp_path):
    os.mkfifo(tmp_path / "mapping.yaml")
    with pytest.raises(SourceError, match="mapping.yaml: a named pipe"):
        load_mapping(tmp_path / "mapping.yaml")
    (tmp_path / "dup.yaml").write_text("key: employee_id\nkey: name\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"dup.yaml:2: the key 'key' appears twice"):
        load_mapping(tmp_path / "dup.yaml")
