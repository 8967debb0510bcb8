"""Tests for groupid.usernames: surname readings, name splitting, strategies and collision handling."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from groupid.usernames import (
    COMPOUND_SURNAMES,
    STRATEGIES,
    SURNAME_READINGS,
    TRANSLITERATION_READINGS,
    UsernameAllocator,
    name_fields,
    name_to_username,
    split_name,
    surname_pinyin,
    username_from_email,
    username_from_employee_id,
    username_from_template,
)

EMPLOYEES = Path(__file__).resolve().parent.parent / "examples" / "xinghe" / "hr" / "employees.csv"

NAMES = {
    "单雄信": ("单", "雄信", "shanxiongxin"),
    "曾国藩": ("曾", "国藩", "zengguofan"),
    "解缙": ("解", "缙", "xiejin"),
    "仇英": ("仇", "英", "qiuying"),
    "朴成浩": ("朴", "成浩", "piaochenghao"),
    "区嘉欣": ("区", "嘉欣", "oujiaxin"),
    "查良镛": ("查", "良镛", "zhaliangyong"),
    "盖玉兰": ("盖", "玉兰", "geyulan"),
    "覃志强": ("覃", "志强", "qinzhiqiang"),
    "翟建国": ("翟", "建国", "zhaijianguo"),
    "欧阳振华": ("欧阳", "振华", "ouyangzhenhua"),
    "尉迟文轩": ("尉迟", "文轩", "yuchiwenxuan"),
    "万俟晨阳": ("万俟", "晨阳", "moqichenyang"),
    "诸葛明远": ("诸葛", "明远", "zhugemingyuan"),
    "上官婉清": ("上官", "婉清", "shangguanwanqing"),
    "单于平": ("单于", "平", "chanyuping"),
    "乐正子春": ("乐正", "子春", "yuezhengzichun"),
    "尉缭": ("尉", "缭", "weiliao"),
    "买买提·艾力": ("艾力", "买买提", "maimaitiaili"),
    "吕": ("吕", "", "lv"),
    "张伟": ("张", "伟", "zhangwei"),
    "John Smith": ("Smith", "John", "johnsmith"),
}

COMPOUND_READINGS = {
    "欧阳": "ouyang", "司马": "sima", "诸葛": "zhuge", "上官": "shangguan", "东方": "dongfang",
    "皇甫": "huangfu", "尉迟": "yuchi", "万俟": "moqi", "公孙": "gongsun", "慕容": "murong",
    "长孙": "zhangsun", "宇文": "yuwen", "司徒": "situ", "令狐": "linghu", "夏侯": "xiahou",
    "轩辕": "xuanyuan", "端木": "duanmu", "独孤": "dugu", "南宫": "nangong", "西门": "ximen",
    "百里": "baili", "呼延": "huyan", "澹台": "tantai", "公冶": "gongye", "宗政": "zongzheng",
    "濮阳": "puyang", "太史": "taishi", "申屠": "shentu", "钟离": "zhongli", "闻人": "wenren",
    "赫连": "helian", "拓跋": "tuoba", "第五": "diwu", "东郭": "dongguo", "淳于": "chunyu",
    "单于": "chanyu", "司空": "sikong", "左丘": "zuoqiu", "公羊": "gongyang", "梁丘": "liangqiu",
    "谷梁": "guliang", "乐正": "yuezheng", "巫马": "wuma", "漆雕": "qidiao", "壤驷": "rangsi",
    "公良": "gongliang", "亓官": "qiguan", "羊舌": "yangshe", "闾丘": "lvqiu", "段干": "duangan",
    "鲜于": "xianyu", "榖梁": "guliang", "东门": "dongmen", "南门": "nanmen", "仉督": "zhangdu",
    "仲孙": "zhongsun", "公西": "gongxi", "司寇": "sikou", "太叔": "taishu", "夹谷": "jiagu", "子车": "ziju",
    "宰父": "zaifu", "颛孙": "zhuansun",
}

# Surname readings as published lists of 多音字 surnames give them (百家姓 with pinyin; "姓氏读音辨正"), for the
# characters pypinyin reads otherwise on their own. Where a surname has two readings of its own (覃, 盖, 隗, 蔚,
# 乐) the list gives the one the table keeps.
PUBLISHED_READINGS = {
    "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha", "曾": "zeng", "乐": "yue",
    "秘": "bi", "褚": "chu", "句": "gou", "阚": "kan", "繁": "po", "乜": "nie", "员": "yun", "祭": "zhai",
    "洗": "xian", "燕": "yan", "宿": "su", "缪": "miao", "眭": "sui", "适": "kuo", "釐": "xi", "能": "nai",
    "都": "du", "宓": "mi", "长": "chang", "翟": "zhai", "召": "shao", "种": "chong", "薄": "bo", "卜": "bu",
    "万俟": "moqi", "尉迟": "yuchi", "长孙": "zhangsun", "澹台": "tantai", "令狐": "linghu", "单于": "chanyu",
    "皇甫": "huangfu", "乐正": "yuezheng", "子车": "ziju",
}


@pytest.mark.parametrize(("name", "family", "given"), [(n, f, g) for n, (f, g, _) in NAMES.items()])
def test_split_name(name: str, family: str, given: str) -> None:
    assert split_name(name) == (family, given)


@pytest.mark.parametrize(("name", "username"), [(n, u) for n, (_, _, u) in NAMES.items()])
def test_name_to_username(name: str, username: str) -> None:
    assert name_to_username(name) == username


@pytest.mark.parametrize(("surname", "reading"), sorted(SURNAME_READINGS.items()))
def test_each_surname_reading_is_needed_and_used(surname: str, reading: str) -> None:
    # An entry that pypinyin already reads the same way would be dead weight in the table.
    assert "".join(lazy_pinyin(surname, style=Style.NORMAL)) != reading
    assert name_to_username(surname + "明") == reading + "ming"


@pytest.mark.parametrize(("surname", "reading"), sorted(COMPOUND_READINGS.items()))
def test_compound_surnames(surname: str, reading: str) -> None:
    assert split_name(surname + "明") == (surname, "明")
    assert surname_pinyin(surname) == reading
    assert name_to_username(surname + "明") == reading + "ming"


def test_every_compound_surname_is_tested() -> None:
    assert set(COMPOUND_READINGS) == COMPOUND_SURNAMES


@pytest.mark.parametrize(("surname", "reading"), sorted(PUBLISHED_READINGS.items()))
def test_surnames_read_as_published(surname: str, reading: str) -> None:
    assert surname_pinyin(surname) == reading


def test_mi_is_read_mi_not_fu() -> None:
    # 宓 as a surname is mì (现代汉语词典; the 百家姓 "宓蓬全郗"); fú is its reading in 宓羲, not the surname
    assert "宓" not in SURNAME_READINGS
    assert name_to_username("宓秀兰") == "mixiulan"
    assert name_fields("宓秀兰")["family_pinyin"] == "mi"


@pytest.mark.parametrize(("name", "username"), [
    ("阿不都热合曼·吐尔逊", "abudurehemantuerxun"),  # 阿不都 Abdu-, not "abudou"
    ("热合曼·阿不都拉", "rehemanabudula"),
    ("阿卜杜拉·艾合买提", "abudulaaihemaiti"),  # 卜 bu, not "bo" as in 萝卜
    ("努尔兰·阿不都哈力克", "nuerlanabuduhalike"),
    ("吐尔逊·买买提", "tuerxunmaimaiti"),
    ("古丽米热·热合曼", "gulimirereheman"),
    ("艾力·阿勒泰", "ailialetai"),  # 勒 le, not "lei"
    ("阿不都什库尔·艾力", "abudushikueraili"),  # 什 shi, not "shen"
    ("米热古丽·热和曼", "miregulireheman"),  # 和 he alone, not "huo" as in 热和
])
def test_transliterated_names_read_each_character_as_its_sound(name: str, username: str) -> None:
    assert name_to_username(name) == username
    fields = name_fields(name)  # the template pieces read the same way; the name is written given name first
    assert fields["given_pinyin"] + fields["family_pinyin"] == username


@pytest.mark.parametrize(("char", "reading"), sorted(TRANSLITERATION_READINGS.items()))
def test_each_transliteration_reading_is_needed(char: str, reading: str) -> None:
    assert "".join(lazy_pinyin(char, style=Style.NORMAL)) != reading
    assert name_to_username(f"艾{char}·买买提") == f"ai{reading}maimaiti"


@pytest.mark.parametrize(("name", "family", "username"), [
    ("區嘉欣", "區", "oujiaxin"),
    ("單雄信", "單", "shanxiongxin"),
    ("萬俟晨陽", "萬俟", "moqichenyang"),
    ("尉遲文軒", "尉遲", "yuchiwenxuan"),
    ("歐陽振華", "歐陽", "ouyangzhenhua"),
    ("澹臺明", "澹臺", "tantaiming"),
    ("繆思", "繆", "miaosi"),
])
def test_traditional_characters_are_read_as_surnames_too(name: str, family: str, username: str) -> None:
    assert split_name(name)[0] == family
    assert name_to_username(name) == username


def test_single_surname_reads_like_pypinyin_when_not_listed() -> None:
    assert surname_pinyin("张") == "zhang"
    assert surname_pinyin("沈") == "shen"


def test_full_width_and_spaces_are_trimmed() -> None:
    assert name_to_username("\u3000 单雄信 ") == "shanxiongxin"
    assert name_to_username("张 伟") == "zhangwei"
    assert split_name(" 欧阳 振华\u3000") == ("欧阳", "振华")
    assert name_to_username("Ｊｏｈｎ\u3000Ｓｍｉｔｈ") == "johnsmith"


@pytest.mark.parametrize("name", ["买买提•艾力", "买买提‧艾力", "买买提・艾力", "买买提.艾力", "买买提 · 艾力", "买买提∙艾力",
                                  "买买提⋅艾力", "买买提．艾力"])
def test_every_middle_dot_splits(name: str) -> None:
    assert split_name(name) == ("艾力", "买买提")
    assert name_to_username(name) == "maimaitiaili"


def test_three_part_dotted_name_keeps_written_order() -> None:
    assert split_name("阿卜杜·热合曼·买买提") == ("买买提", "阿卜杜·热合曼")


def test_latin_names() -> None:
    assert split_name("John F. Kennedy") == ("Kennedy", "John F.")
    assert name_to_username("John F. Kennedy") == "johnfkennedy"
    assert name_to_username("José García") == "josegarcia"
    assert split_name("Madonna") == ("Madonna", "")


def test_unconvertible_characters_dropped_and_fallback_used() -> None:
    assert name_to_username("张伟😀") == "zhangwei"
    assert name_to_username("😀", fallback="XH000001") == "xh000001"
    assert name_to_username("") == ""


def test_allocator_resolves_collisions_in_order() -> None:
    allocator = UsernameAllocator(["LiNa"])
    assert allocator.allocate("zhangwei") == "zhangwei"
    assert allocator.allocate("zhangwei") == "zhangwei2"
    assert allocator.allocate("zhangwei") == "zhangwei3"
    assert allocator.allocate("lina") == "lina2"
    assert "zhangwei3" in allocator


def test_allocator_skips_taken_numbered_names() -> None:
    allocator = UsernameAllocator(["zhangwei", "zhangwei2"])
    assert allocator.allocate("zhangwei") == "zhangwei3"


def test_allocator_pads_short_bases_to_three_characters() -> None:
    allocator = UsernameAllocator(["li1"])
    assert allocator.allocate("li") == "li2"
    assert allocator.allocate("x") == "x01"
    assert allocator.allocate("x") == "x02"


def test_allocator_caps_length_and_rejects_empty() -> None:
    allocator = UsernameAllocator()
    long = "a" * 300
    assert allocator.allocate(long) == "a" * 255
    second = allocator.allocate(long)
    assert second == "a" * 254 + "2" and len(second) == 255
    with pytest.raises(ValueError):
        allocator.allocate("  ")


def test_other_strategies() -> None:
    assert username_from_employee_id(" XH000001 ") == "xh000001"
    assert username_from_email("Zhang.Wei+hr@Xinghe.example.cn") == "zhang.wei"
    fields = {**name_fields("欧阳振华"), "employee_id": "XH000001"}
    assert fields["family_pinyin"] == "ouyang" and fields["given_initials"] == "zh"
    template = "{family_pinyin}{given_initials}{employee_id}"
    assert username_from_template(template, fields) == "ouyangzhxh000001"
    assert name_fields("单雄信")["family_pinyin"] == "shan"
    assert set(STRATEGIES) == {"pinyin", "employee_id", "email", "template"}
    assert STRATEGIES["pinyin"]("曾国藩") == "zengguofan"


def test_example_hr_export_gives_unique_ascii_usernames() -> None:
    with EMPLOYEES.open(encoding="utf-8-sig", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["工号"])
    allocator = UsernameAllocator()
    usernames = [allocator.allocate(name_to_username(row["姓名"], fallback=row["工号"])) for row in rows]
    assert rows and all(re.fullmatch(r"[a-z0-9]{3,255}", u) for u in usernames)
    assert len(set(usernames)) == len(usernames)
    by_name = dict(zip((row["姓名"] for row in rows), usernames))
    assert by_name["单丽娟"] == "shanlijuan" and by_name["买买提·艾力"] == "maimaitiaili"
    assert sorted(u for u in usernames if u.startswith("zhangwei")) == ["zhangwei", "zhangwei2"]
