"""A synthetic corporate group for the sync benchmark: a spec directory and an HR export of its people.

What it writes under the output directory::

    spec/group.yaml      the group (realm, topology groups) and its companies, as in examples/xinghe
    spec/roles.yaml      a handful of realm roles
    spec/org.csv         the department tree (部门编码, 部门名称, 上级部门编码, 公司编码, 角色)
    hr/employees.csv     the HR export (花名册), UTF-8 with a BOM as Excel writes it
    hr/mapping.yaml      its mapping, in the shape of examples/xinghe/hr/mapping.yaml

By default 50 companies (the group, 7 subsidiaries, 42 sub-subsidiaries), 5,000 departments four levels
deep within their companies (department names repeat across the tree, as in real groups), and 100,000
people. Each person has an employee ID, a Chinese name drawn from common surnames (compound ones and those
read differently as surnames among them) and given names, so that names such as 张伟 recur hundreds of times,
a company and department, a title, a manager (the head of the department, whose own manager is the head of
the department above, up to the company's head and the group's), a mobile in one of the forms HR systems
write, a unique email, a start date, status 在职 and an employment type. A 身份证号 column (national ID,
fake values) is there too and is not mapped, as in a real export.

:func:`change_export` writes a copy of an export with a share of its people changed (a new title, or another
department of their company), for a re-sync that has something to do.

Everything is drawn from one seeded random generator, so the same arguments give the same files. People are
written as they are drawn; the generator holds the departments and the email local parts used so far (for
their uniqueness), not the people.

    .venv/bin/python bench/hr_data.py OUT_DIR [--people 100000] [--departments 5000] [--companies 50]
    .venv/bin/groupid validate OUT_DIR/spec
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

from plan_scale import ROLES, company_departments
from pypinyin import Style, lazy_pinyin

from groupid.uscc import ALPHABET, check_character
from groupid.usernames import surname_pinyin

GROUP_CODE = "XC"
GROUP_NAME = "星辰控股集团"
REALM = "xingchen"
DOMAIN = "xingchen.example.cn"
DEPARTMENT_LEVELS = 4
EPOCH = date(2000, 1, 1)  #: the earliest start date

# (surname, weight): the common ones by rough frequency, then rarer ones that read differently as a surname,
# then compound surnames.
SURNAMES = (
    ("王", 70), ("李", 70), ("张", 65), ("刘", 55), ("陈", 50), ("杨", 35), ("黄", 25), ("赵", 25), ("吴", 20),
    ("周", 20), ("徐", 16), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 12), ("何", 11), ("高", 10),
    ("林", 10), ("罗", 9), ("郑", 9), ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6),
    ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 6), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("袁", 5),
    ("潘", 4), ("于", 4), ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 3), ("吕", 3), ("丁", 3), ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3),
    ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 2),
    ("夏", 2), ("韦", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2),
    ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2),
    ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2),
    ("万", 2), ("钱", 2), ("严", 2), ("覃", 1), ("武", 1), ("戴", 1), ("莫", 1), ("孔", 1), ("向", 1),
    ("单", 1), ("解", 1), ("仇", 1), ("朴", 1), ("区", 1), ("查", 1), ("盖", 1), ("翟", 1), ("缪", 1),
    ("乐", 1), ("尉", 1), ("折", 1), ("那", 1), ("繁", 1), ("种", 1), ("冼", 1), ("晁", 1),
    ("欧阳", 1), ("司马", 1), ("诸葛", 1), ("上官", 1), ("尉迟", 1), ("万俟", 1), ("皇甫", 1), ("司徒", 1),
    ("东方", 1), ("令狐", 1), ("慕容", 1), ("长孙", 1), ("宇文", 1), ("公孙", 1), ("夏侯", 1), ("独孤", 1),
)
# Whole given names that recur (伟, 芳, 秀英 …) make most of the collisions; the rest are drawn character by
# character.
COMMON_GIVEN = (
    ("伟", 30), ("芳", 25), ("娜", 22), ("秀英", 20), ("敏", 20), ("静", 20), ("丽", 18), ("强", 18),
    ("磊", 17), ("军", 16), ("洋", 15), ("勇", 15), ("艳", 14), ("杰", 14), ("娟", 13), ("涛", 13),
    ("明", 12), ("超", 12), ("秀兰", 11), ("霞", 11), ("平", 10), ("刚", 10), ("桂英", 9), ("建华", 8),
    ("建国", 8), ("志强", 7), ("婷", 7), ("浩", 7), ("欣怡", 6), ("子涵", 6), ("宇轩", 6), ("梓萱", 5),
)
GIVEN_CHARACTERS = (
    "嘉子梓浩宇轩晨辰博文俊杰一诺欣怡雨涵思彤佳琪雅静婷婉清振华明远晓雯建国海峰玉兰思远志伟国庆红霞丽华"
    "永刚秀梅春燕金凤立新德胜文博天佑若曦语嫣泽楷子墨书瑶诗涵紫萱梦琪慧敏淑珍凤英桂芝玉珍秀珍宏伟鹏飞"
    "晓东晓峰海燕海涛建军建平建新卫东卫国振宇宇航昊然皓轩睿哲一鸣昕怡可馨"
)
# Transliterated minority names, written with a middle dot as Chinese HR systems record them.
DOTTED_NAMES = ("买买提·艾力", "阿依古丽·吐尔逊", "热依汗古丽·艾买提", "艾尔肯·吐尔洪", "古丽娜尔·阿不都")
TITLES = {
    "研发部": ("软件工程师", "高级软件工程师", "架构师", "测试工程师"), "财务部": ("会计", "出纳", "财务分析师"),
    "人力资源部": ("招聘专员", "薪酬专员", "HRBP"), "市场部": ("市场专员", "品牌经理"), "销售部": ("销售代表", "大客户经理"),
    "法务部": ("法务专员", "律师"), "审计部": ("审计专员",), "信息技术部": ("系统管理员", "运维工程师"),
}
STAFF_TITLES = ("专员", "高级专员", "主管", "助理", "工程师", "高级工程师", "分析师", "经理")
EMPLOYMENT_TYPES = (("正式", 85), ("劳务派遣", 8), ("外包", 5), ("顾问", 2))
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "157",
                   "158", "159", "166", "177", "180", "181", "182", "186", "187", "188", "189", "199")
INDUSTRIES = ("科技", "制造", "金融", "物流", "地产", "能源", "医药", "零售", "文旅", "农业", "传媒", "环保")
CITIES = ("上海", "北京", "深圳", "杭州", "苏州", "成都", "武汉", "南京", "西安", "重庆", "广州", "天津", "长沙",
          "郑州", "青岛", "厦门", "合肥", "济南", "沈阳", "大连", "昆明", "南宁", "福州", "宁波", "无锡")
REGION_CODES = ("310000", "110000", "440300", "330100", "320500", "510100", "420100", "320100", "610100")

HEADERS = ("工号", "姓名", "公司编码", "部门编码", "职位", "直属上级工号", "手机", "邮箱", "入职日期", "离职日期",
           "在职状态", "员工类型", "身份证号")
ORG_HEADERS = ("部门编码", "部门名称", "上级部门编码", "公司编码", "角色")
MAPPING = """\
# 基准测试用的 HR 花名册映射（与 examples/xinghe/hr/mapping.yaml 同形）；“身份证号”列故意不映射
source: {format: csv, encoding: auto}
key: employee_id
columns: {employee_id: 工号, name: 姓名, company: 公司编码, department: 部门编码, title: 职位, manager: 直属上级工号,
          phone: 手机, email: 邮箱, start_date: 入职日期, end_date: 离职日期, status: 在职状态, employment_type: 员工类型}
values: {status: {在职: active, 离职: terminated, 待入职: pending}}
scope: 'employment_type ne "实习"'
"""


@dataclass(frozen=True)
class Generated:
    """The files written, and what they hold."""

    spec: Path
    export: Path
    mapping: Path
    companies: int
    departments: int
    people: int
    seconds: float


@dataclass
class _Company:
    code: str
    name: str
    parent: str | None
    region: str
    uscc: str
    domain: str


def generate(out: Path | str, people: int = 100_000, departments: int = 5_000, companies: int = 50,
             seed: int = 1, as_of: date = date(2026, 1, 1)) -> Generated:
    """Write the spec and the HR export under ``out`` (created if missing); start dates are before ``as_of``."""
    if people < 1 or companies < 1 or departments < companies:
        raise ValueError("need at least one person, one company and a department per company")
    started = time.perf_counter()
    out = Path(out)
    spec, hr = out / "spec", out / "hr"
    spec.mkdir(parents=True, exist_ok=True)
    hr.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    firms = _companies(companies, rng)
    units = _departments(firms, departments)
    _write_spec(spec, firms, units)
    (hr / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    export = hr / "employees.csv"
    with open(export, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        written = 0
        for row in _people(firms, units, people, rng, as_of):
            writer.writerow(row)
            written += 1
    return Generated(spec, export, hr / "mapping.yaml", len(firms), len(units), written, time.perf_counter() - started)


@dataclass(frozen=True)
class Changed:
    """An export with some people changed (:func:`change_export`)."""

    export: Path
    titles: int  #: people whose title changed
    moves: int  #: people moved to another department of their company


def change_export(export: Path, into: Path, share: float = 0.01) -> Changed:
    """A copy of ``export`` at ``into`` with ``share`` of its people changed, spread evenly over it: every other
    one gets a new title, the others move to the next department (that has people) of their company; a person
    whose company has one such department gets a new title instead. The manager column stays as it is."""
    with open(export, encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    title, department, company = (header.index(name) for name in ("职位", "部门编码", "公司编码"))
    departments: dict[str, list[str]] = {}
    for row in rows:
        codes = departments.setdefault(row[company], [])
        if row[department] not in codes:
            codes.append(row[department])
    count = max(1, round(len(rows) * share)) if rows else 0
    step = len(rows) / count if count else 1
    titles = moves = 0
    for n in range(count):
        row = rows[int(step * n + step / 2)]  # away from the first row, the group's head
        codes = departments[row[company]]
        if n % 2 and len(codes) > 1:
            row[department] = codes[(codes.index(row[department]) + 1) % len(codes)]
            moves += 1
        else:
            row[title] = STAFF_TITLES[(STAFF_TITLES.index(row[title]) + 1) % len(STAFF_TITLES)] \
                if row[title] in STAFF_TITLES else STAFF_TITLES[0]
            titles += 1
    with open(into, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return Changed(into, titles, moves)


# -- the group ---------------------------------------------------------------------------------------------


def _companies(count: int, rng: random.Random) -> list[_Company]:
    """The group, its subsidiaries (about a seventh of the rest) and theirs, parents before children."""
    firms = [_company(GROUP_CODE, f"{GROUP_NAME}有限公司", None, "上海", rng)]
    middle = max(1, round((count - 1) / 7)) if count > 1 else 0
    for i in range(middle):
        firms.append(_company(f"{GROUP_CODE}{i + 1:02d}", f"星辰{INDUSTRIES[i % len(INDUSTRIES)]}"
                              f"{'' if i < len(INDUSTRIES) else i // len(INDUSTRIES) + 1}有限公司",
                              GROUP_CODE, CITIES[i % len(CITIES)], rng))
    for j in range(count - 1 - middle):
        parent = firms[1 + j % middle]
        nth = j // middle  # the how-many-th child of that parent: its city is unique among the siblings
        city = CITIES[nth % len(CITIES)] + ("" if nth < len(CITIES) else str(nth // len(CITIES) + 1))
        name = parent.name.replace("有限公司", f"（{city}）有限公司")
        firms.append(_company(f"{parent.code}-{nth + 1:02d}", name, parent.code, city, rng))
    return firms


def _company(code: str, name: str, parent: str | None, region: str, rng: random.Random) -> _Company:
    first17 = "91" + rng.choice(REGION_CODES) + "".join(rng.choice(ALPHABET) for _ in range(9))
    domain = DOMAIN if parent is None else f"{code.lower()}.{DOMAIN}"
    return _Company(code, name, parent, region, first17 + check_character(first17), domain)


def _departments(firms: list[_Company], total: int) -> list[dict]:
    """``total`` departments shared out over the companies, four levels deep in each, parents first."""
    units: list[dict] = []
    for index, firm in enumerate(firms):
        share = total // len(firms) + (1 if index < total % len(firms) else 0)
        units += company_departments(firm.code, share, DEPARTMENT_LEVELS)
    return units


def _write_spec(spec: Path, firms: list[_Company], units: list[dict]) -> None:
    lines = [
        "# 基准测试用的虚构集团（由 bench/hr_data.py 生成；如有雷同纯属巧合）",
        f"group: {{code: {GROUP_CODE}, name: {GROUP_NAME}, realm: {REALM}, topology: groups, default_roles: [employee]}}",
        "",
        "companies:",
    ]
    for firm in firms:
        parent = f", parent: {firm.parent}" if firm.parent else ""
        lines.append(f"  - {{code: {firm.code}, name: {firm.name}{parent}, uscc: {firm.uscc}, region: {firm.region}, "
                     f"email_domains: [{firm.domain}]}}")
    lines += ["", "departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, parent: 上级部门编码, "
                  "company: 公司编码, roles: 角色}}", ""]
    (spec / "group.yaml").write_text("\n".join(lines), encoding="utf-8")
    roles = ["roles:"]
    for role in ROLES:
        composites = f", composites: [{', '.join(role['composites'])}]" if role.get("composites") else ""
        roles.append(f"  - {{name: {role['name']}, description: {role['description']}{composites}}}")
    (spec / "roles.yaml").write_text("\n".join(roles) + "\n", encoding="utf-8")
    with open(spec / "org.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORG_HEADERS)
        for unit in units:
            writer.writerow((unit["code"], unit["name"], unit["parent"] or "", unit["company"], ";".join(unit["roles"])))


# -- the people --------------------------------------------------------------------------------------------


def _headcounts(units: list[dict], people: int, rng: random.Random) -> list[int]:
    """People per department: uneven (weights 1–6), adding up to ``people``."""
    weights = [rng.randint(1, 6) for _ in units]
    scale = people / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(len(units)), people - sum(counts)):  # the remainder, one each
        counts[i] += 1
    return counts


def _people(firms: list[_Company], units: list[dict], people: int, rng: random.Random,
            as_of: date) -> Iterator[tuple[str, ...]]:
    """The rows of the export, department by department, parents first, each department's head first."""
    counts = _headcounts(units, people, rng)
    by_code = {firm.code: firm for firm in firms}
    company_head: dict[str, str] = {}  # company code -> employee ID of the company's head
    boss: dict[str, str] = {}  # department code -> its head, or the nearest head above it
    names = _NameDrawer(rng)
    days = (as_of - EPOCH).days
    employment_types = _Weighted(rng, EMPLOYMENT_TYPES)
    sequence = 0
    for unit, count in zip(units, counts):
        firm = by_code[unit["company"]]
        above = boss.get(unit["parent"]) if unit["parent"] else None
        if above is None:
            above = company_head.get(firm.code) or _parent_head(firm, by_code, company_head)
        head = None
        for _ in range(count):
            sequence += 1
            employee_id = f"{GROUP_CODE}{sequence:06d}"
            if head is None:
                head, manager = employee_id, above
                company_head.setdefault(firm.code, employee_id)
                title = "总经理" if company_head[firm.code] == employee_id else f"{unit['name'].rstrip('0123456789')}负责人"
            else:
                manager = head
                title = rng.choice(TITLES.get(unit["name"].rstrip("0123456789"), STAFF_TITLES))
            name, local = names.draw()
            start = EPOCH + timedelta(days=rng.randrange(days))
            yield (employee_id, name, firm.code, unit["code"], title, manager or "", _mobile(sequence, rng),
                   f"{local}@{firm.domain}", _date_text(start, rng), "", "在职", employment_types.draw(),
                   f"000000{1960 + sequence % 45}{sequence % 12 + 1:02d}{sequence % 28 + 1:02d}{sequence % 10000:04d}")
        boss[unit["code"]] = head or above or ""


def _parent_head(firm: _Company, by_code: dict[str, _Company], company_head: dict[str, str]) -> str | None:
    """The head of the nearest company above ``firm`` that has one."""
    parent = firm.parent
    while parent and parent not in company_head:
        parent = by_code[parent].parent
    return company_head.get(parent) if parent else None


class _Weighted:
    """Draws from ``(value, weight)`` pairs (the cumulative weights computed once, not at every draw)."""

    def __init__(self, rng: random.Random, choices):
        self.rng = rng
        self.values = [value for value, _ in choices]
        self.cumulative = list(accumulate(weight for _, weight in choices))

    def draw(self) -> str:
        return self.rng.choices(self.values, cum_weights=self.cumulative)[0]


class _NameDrawer:
    """Draws Chinese names; gives each a unique email local part (its pinyin, then a number: zhangwei23)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = _Weighted(rng, SURNAMES)
        self.common = _Weighted(rng, COMMON_GIVEN)
        self.used: Counter[str] = Counter()
        self.pinyin: dict[str, str] = {}  # memo: pypinyin takes tens of microseconds a name

    def draw(self) -> tuple[str, str]:
        """A name, and its email local part."""
        rng = self.rng
        if rng.random() < 0.002:
            name = rng.choice(DOTTED_NAMES)
            local = ".".join(self._pinyin(part) for part in name.split("·"))
        else:
            surname = self.surnames.draw()
            roll = rng.random()
            if roll < 0.35:
                given = self.common.draw()
            elif roll < 0.55:
                given = rng.choice(GIVEN_CHARACTERS)
            else:
                given = rng.choice(GIVEN_CHARACTERS) + rng.choice(GIVEN_CHARACTERS)
            name = surname + given
            local = self._pinyin(surname, surname=True) + self._pinyin(given)
        self.used[local] += 1
        n = self.used[local]
        return name, local if n == 1 else f"{local}{n}"

    def _pinyin(self, text: str, surname: bool = False) -> str:
        key = ("姓" if surname else "") + text
        if key not in self.pinyin:
            self.pinyin[key] = surname_pinyin(text) if surname else "".join(lazy_pinyin(text, style=Style.NORMAL)).replace("ü", "v")
        return self.pinyin[key]


def _mobile(sequence: int, rng: random.Random) -> str:
    """A mainland mobile, unique per person, in the forms HR exports carry (mostly bare 11 digits)."""
    digits = rng.choice(MOBILE_PREFIXES) + f"{(sequence * 7919 + 12345) % 100_000_000:08d}"
    form = rng.random()
    if form < 0.85:
        return digits
    if form < 0.90:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if form < 0.95:
        return f"0086-{digits}"
    return f"86 {digits}"


def _date_text(day: date, rng: random.Random) -> str:
    """A date as HR exports write them: mostly 2023-03-05, some 2023/3/5 and 2023年3月5日."""
    form = rng.random()
    if form < 0.85:
        return day.isoformat()
    if form < 0.95:
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write spec/ and hr/ into")
    parser.add_argument("--people", type=int, default=100_000, help="people in the export (default 100000)")
    parser.add_argument("--departments", type=int, default=5_000, help="departments (default 5000)")
    parser.add_argument("--companies", type=int, default=50, help="companies (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random draws (default 1)")
    args = parser.parse_args(argv)
    done = generate(args.out, args.people, args.departments, args.companies, args.seed)
    print(f"{done.companies} companies, {done.departments:,} departments, {done.people:,} people "
          f"in {done.seconds:.1f} s: spec {done.spec}, export {done.export}, mapping {done.mapping}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
