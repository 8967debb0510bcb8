"""examples/xinghe is loaded by the tests so that it never goes stale, and keeps the size the docs promise."""

from __future__ import annotations

import csv
from pathlib import Path

from groupid.sources.ldap import load_config
from groupid.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xinghe"


def depth(departments, code):
    by_code = {d.code: d for d in departments}
    level = 1
    while by_code[code].parent:
        code = by_code[code].parent
        level += 1
    return level


def test_example_is_valid_and_realistic():
    group = load_spec(EXAMPLE)
    companies = {c.code: c for c in group.companies}
    assert len(companies) >= 4
    second_level = [c for c in companies.values() if c.parent and companies[c.parent].parent]
    assert second_level, "a second-level subsidiary"
    assert any(c.uscc is None for c in companies.values()), "an entity outside the mainland, without USCC"
    assert len(group.departments) >= 25
    assert max(depth(group.departments, d.code) for d in group.departments) >= 3
    assert len(group.roles) >= 6
    assert sum(1 for r in group.roles if r.composites) >= 3


def test_example_org_csv_is_gbk_as_excel_writes_it():
    data = (EXAMPLE / "org.csv").read_bytes()
    data.decode("gbk")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        raise AssertionError("org.csv should stay GBK so that the example exercises encoding detection")


def test_example_hr_export_references_the_org():
    group = load_spec(EXAMPLE)
    departments = {d.code: d.company for d in group.departments}
    with open(EXAMPLE / "hr" / "employees.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 40
    ids = {row["工号"] for row in rows}
    assert len(ids) == len(rows)
    for row in rows:
        assert departments[row["部门编码"]] == row["公司编码"], row["工号"]
        assert not row["直属上级工号"] or row["直属上级工号"] in ids, row["工号"]


def test_example_directory_configs_load_and_map_to_the_spec():
    """Both example source configs load whole, and every role and company code they name is the spec's."""
    group = load_spec(EXAMPLE)
    roles = {role.name for role in group.roles}
    companies = {company.code for company in group.companies}
    for name, kind in (("openldap.yaml", "openldap"), ("active-directory.yaml", "active_directory")):
        config = load_config(EXAMPLE / "ldap" / name)
        assert config.type == kind
        assert config.managed_roles and config.managed_roles <= roles, name
        assert set(config.values.get("company", {}).values()) <= companies, name
