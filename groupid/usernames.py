"""Usernames for people from the HR export: pinyin of the Chinese name, and a few other strategies.

Keycloak stores usernames in lower case, so everything here produces lower-case ASCII. The pinyin strategy
reads the family name as a *surname*: pypinyin has no surname mode (python-pinyin#297) and reads 单 as
``dan``, 曾 as ``ceng``, 覃 as ``tan`` and 翟 as ``di``, so surnames go through :data:`SURNAME_READINGS`
first. Names transliterated into Chinese characters (买买提·艾力) are read character by character, with
:data:`TRANSLITERATION_READINGS` where pypinyin's reading is not the sound the character stands for.

Uniqueness is handled by :class:`UsernameAllocator`. Keeping a person's username stable across runs is the
caller's job: existing users keep the username they have, and new people are allocated in a stable order
(sorted by employee ID), so that two 张伟 get ``zhangwei`` and ``zhangwei2`` the same way every time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from groupid import limits
from groupid.text import lowercase

# Every compound surname has two characters, so split_name only looks at the first two. The list holds the
# compound surnames of the 百家姓 and a few common others (独孤, 拓跋, 呼延), in simplified characters.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 万俟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 西门 "
    "百里 呼延 澹台 公冶 宗政 濮阳 太史 申屠 钟离 闻人 赫连 拓跋 第五 东郭 淳于 单于 司空 左丘 公羊 梁丘 "
    "谷梁 榖梁 乐正 巫马 漆雕 壤驷 公良 亓官 羊舌 闾丘 段干 鲜于 东门 南门 仉督 仲孙 公西 司寇 太叔 夹谷 "
    "子车 宰父 颛孙".split()
)

# Traditional forms of the characters of SURNAME_READINGS and COMPOUND_SURNAMES (區, 萬俟, 歐陽: names from
# Hong Kong, Macao and Taiwan), so that those surnames are found and read as surnames too. Only characters
# whose reading is the same in both forms are listed: 適 (shi) is not the surname 适 (kuo).
_SIMPLIFIED = str.maketrans(
    "單區蓋樂員繆種闞長頡萬遲孫歐陽馬諸東軒轅獨宮門臺鍾鐘離聞連穀駟閭鮮夾車顓",
    "单区盖乐员缪种阚长颉万迟孙欧阳马诸东轩辕独宫门台钟钟离闻连谷驷闾鲜夹车颛",
)

# Only readings that differ from pypinyin's default (lazy_pinyin, Style.NORMAL) are listed: an entry that
# agreed with the default would be dead weight, and tests/test_usernames.py checks that each one is needed.
# Surnames such as 沈 华 任 葛 尉 (single 尉 is wei; only 尉迟 is yu-chi) and 宓 (mi) already come out right.
# Checked against the published lists of surname readings (百家姓 with pinyin; lists of 多音字 surnames such as
# 单 shan, 仇 qiu, 朴 piao, 秘 bi, 适 kuo, 长 chang but 长孙 zhangsun). Where a surname has two readings of its
# own (覃 qin/tan, 盖 ge/gai, 隗 wei/kui, 蔚 yu/wei, 乐 yue/le) the table keeps one; "姓从主人": a person who
# reads theirs the other way keeps the username they have, or gets one set by hand.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "翟": "zhai",
    "乐": "yue",
    "召": "shao",
    "繁": "po",
    "员": "yun",
    "隗": "wei",
    "缪": "miao",
    "种": "chong",
    "阚": "kan",
    "秘": "bi",
    "句": "gou",
    "能": "nai",
    "粘": "nian",
    "率": "shuai",
    "薄": "bo",
    "祭": "zhai",
    "折": "she",
    "乜": "nie",
    "角": "jue",
    "黑": "he",
    "洗": "xian",
    "都": "du",
    "蔚": "yu",
    "重": "chong",
    "便": "pian",
    "卜": "bu",
    "佴": "nai",
    "长": "chang",
    "适": "kuo",
    "釐": "xi",
    "炅": "gui",
    "番": "pan",
    "么": "yao",
    "颉": "xie",
    "乐正": "yuezheng",
    "子车": "ziju",
}

# A transliterated name (Uyghur, Kazakh and other names written in Chinese characters) uses each character
# for one sound, whatever the character means: 阿不都 is Abdu-, 阿卜杜拉 Abdulla, 阿勒泰 Altay, 喀什 Kashgar.
# Listed are the characters whose sound there is not pypinyin's reading of them alone (dou, bo, lei, shen).
TRANSLITERATION_READINGS: dict[str, str] = {
    "都": "du",
    "卜": "bu",
    "勒": "le",
    "什": "shi",
}

# Separators between the parts of a transliterated name (买买提·艾力). ASCII "." counts only in names that
# contain Chinese characters, so that "John F. Kennedy" stays a Latin name.
NAME_DOTS = "·•‧・∙⋅."
_DOT_SPLIT = re.compile(f"[{re.escape(NAME_DOTS)}]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
_NOT_USERNAME = re.compile(r"[^a-z0-9]")
_NOT_LOGIN = re.compile(r"[^a-z0-9._-]")

MIN_LENGTH = 3
MAX_LENGTH = limits.USER_FIELD


def _normalise(name: str) -> str:
    """Fold full-width letters, digits and spaces (ＡＢＣ, U+3000) to ASCII and trim the ends."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _ascii_fold(text: str) -> str:
    """Lower-case ``text`` and drop accents (José → jose), so Latin names keep their letters."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _has_han(text: str) -> bool:
    """Tell whether ``text`` contains a Chinese character."""
    return bool(_HAN.search(text))


def _dot_parts(name: str) -> list[str]:
    """Split a Chinese-written transliterated name on its dots; a plain name gives one part."""
    if not _has_han(name):
        return [name]
    return [part for part in (p.strip() for p in _DOT_SPLIT.split(name)) if part]


def split_name(name: str) -> tuple[str, str]:
    """Split a person's name into ``(family, given)``.

    * Chinese names: a compound surname (欧阳, 尉迟, …) when the name starts with one and has more after
      it, else the first character. 欧阳振华 → ("欧阳", "振华"), 张伟 → ("张", "伟").
    * Names written with a middle dot (买买提·艾力): common HR practice in China treats the first part as the
      person's own name and the last as the father's name, which serves as the family name. So the family
      is the last part and the given name is the rest, joined with "·": ("艾力", "买买提").
    * Latin names ("John Smith"): the family name is the last word.

    Full-width characters and surrounding spaces are normalised first. An empty name gives ("", "").
    """
    text = _normalise(name)
    parts = _dot_parts(text)
    if len(parts) > 1:
        return parts[-1], "·".join(parts[:-1])
    if not _has_han(text):
        words = text.split()
        return (words[-1], " ".join(words[:-1])) if words else ("", "")
    text = text.replace(" ", "")  # "张 伟" is 张伟 typed with a gap
    if text[:2].translate(_SIMPLIFIED) in COMPOUND_SURNAMES and len(text) > 2:
        return text[:2], text[2:]
    return text[:1], text[1:]


PINYIN_CACHE = 1 << 16
"""Readings remembered: names recur (a group of 100,000 has hundreds of 张伟), and pypinyin takes tens of
microseconds a name."""


@lru_cache(maxsize=PINYIN_CACHE)
def _pinyin(text: str) -> str:
    """Toneless pinyin of ``text`` ('ü' as 'v'), keeping ASCII letters and digits and dropping the rest."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, strict=False, v_to_u=False, errors="default")
    return _NOT_USERNAME.sub("", _ascii_fold("".join(syllables)))


@lru_cache(maxsize=PINYIN_CACHE)
def surname_pinyin(surname: str) -> str:
    """Read ``surname`` as a surname: 单 → "shan", 曾 → "zeng", 尉迟 → "yuchi", 區 → "ou", 张 → "zhang".

    Readings that pypinyin gets wrong for surnames come from :data:`SURNAME_READINGS`; the rest (including
    compound surnames pypinyin's phrase table knows) come from pypinyin. Traditional forms are read as their
    simplified ones.
    """
    key = _normalise(surname).replace(" ", "").translate(_SIMPLIFIED)
    if key in SURNAME_READINGS:
        return SURNAME_READINGS[key]
    return _pinyin(key)


@lru_cache(maxsize=PINYIN_CACHE)
def _transliterated(text: str) -> str:
    """Read a transliterated name character by character: each stands for a sound, not for a word."""
    return "".join(TRANSLITERATION_READINGS.get(char) or _pinyin(char) for char in text)


def name_to_username(name: str, fallback: str = "") -> str:
    """Turn a person's name into a username of lower-case ASCII letters and digits.

    The Chinese surname is read as a surname (单雄信 → "shanxiongxin"), the given name by pypinyin, and the
    result keeps the order in which the name is written: 买买提·艾力 → "maimaitiaili", 阿不都·热合曼 →
    "abudureheman", John Smith → "johnsmith". Characters that cannot be converted are dropped. When nothing
    is left, the cleaned ``fallback`` (for instance the employee ID) is returned instead.
    """
    text = _normalise(name)
    parts = _dot_parts(text)
    if len(parts) > 1:
        # A transliterated name has no Chinese surname to read specially.
        username = "".join(_transliterated(part) for part in parts)
    elif not _has_han(text):
        username = _pinyin(text)
    else:
        family, given = split_name(text)
        username = surname_pinyin(family) + _pinyin(given)
    return username or _NOT_USERNAME.sub("", _ascii_fold(_normalise(fallback)))


def name_fields(name: str) -> dict[str, str]:
    """Pinyin pieces of ``name`` for :func:`username_from_template`.

    Keys: ``family_pinyin`` (read as a surname), ``given_pinyin`` and ``given_initials`` (first letter of
    each character, or of each word of a Latin name). 欧阳振华 → "ouyang", "zhenhua", "zh".
    """
    family, given = split_name(name)
    if len(_dot_parts(_normalise(name))) > 1:
        family_pinyin, given_pinyin, read = _transliterated(family), _transliterated(given), _transliterated
    else:
        # the given name whole, so that polyphones read in context as in name_to_username
        family_pinyin, given_pinyin, read = surname_pinyin(family), _pinyin(given), _pinyin
    given_syllables = [s for s in (read(unit) for unit in _syllables(given)) if s]
    return {
        "family_pinyin": family_pinyin,
        "given_pinyin": given_pinyin,
        "given_initials": "".join(s[0] for s in given_syllables),
    }


def _syllables(text: str) -> list[str]:
    """Units that each give one initial: characters of Chinese text, words of Latin text."""
    return list(text.replace(" ", "").replace("·", "")) if _has_han(text) else text.split()


def _clean_login(text: str) -> str:
    """Lower-case ``text`` and keep the characters Keycloak usernames commonly use: a-z 0-9 . _ -."""
    return _NOT_LOGIN.sub("", _ascii_fold(_normalise(text))).strip("._-")


def username_from_employee_id(employee_id: str) -> str:
    """Use the employee ID as the username, lower-cased: "XH000001" → "xh000001"."""
    return _clean_login(employee_id)


def username_from_email(email: str) -> str:
    """Use the local part of an e-mail address, without a "+tag": "Zhang.Wei+hr@x.cn" → "zhang.wei"."""
    local = _normalise(email).rpartition("@")[0] or _normalise(email)
    return _clean_login(local.split("+", 1)[0])


def username_from_template(template: str, fields: Mapping[str, object]) -> str:
    """Fill a :meth:`str.format` template and clean the result.

    "{family_pinyin}{given_initials}{employee_id}" with the fields of :func:`name_fields` plus an
    ``employee_id`` gives for instance "ouyangzhxh000001". A missing field raises KeyError.
    """
    return _clean_login(template.format_map(fields))


STRATEGIES: dict[str, Callable[..., str]] = {
    "pinyin": name_to_username,
    "employee_id": username_from_employee_id,
    "email": username_from_email,
    "template": username_from_template,
}


class UsernameAllocator:
    """Hand out usernames that are not taken yet, deterministically.

    For a base of three or more characters the candidates are ``base``, ``base2``, ``base3`` …; a shorter
    base is too short for Keycloak on its own, so its candidates carry a number zero-padded to reach three
    characters: "li" → "li1", "li2" …, "x" → "x01", "x02" …. Candidates longer than 255 characters have the
    base cut so the number still fits. The result depends on the call order for the same base, so callers
    allocate in a stable order (sorted by employee ID) and let existing users keep their username.
    """

    def __init__(self, existing: Iterable[str] = ()) -> None:
        """Start with the usernames already in use (compared in lower case, as Keycloak stores them)."""
        self._taken = {lowercase(username) for username in existing}

    def __contains__(self, username: str) -> bool:
        """Tell whether ``username`` is taken."""
        return username.lower() in self._taken

    def allocate(self, base: str) -> str:
        """Return the first free candidate for ``base`` and mark it taken; an empty base raises ValueError."""
        base = base.strip().lower()
        if not base:
            raise ValueError("cannot allocate a username from an empty base")
        for candidate in _candidates(base):
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate
        raise AssertionError("unreachable: the candidates never end")


def _candidates(base: str) -> Iterable[str]:
    """Yield the candidate usernames for ``base`` in the order :class:`UsernameAllocator` tries them."""
    number = 1
    if len(base) >= MIN_LENGTH:
        yield base[:MAX_LENGTH]
        number = 2  # "zhangwei2" is the second 张伟, as people say it
    while True:
        suffix = str(number).zfill(MIN_LENGTH - len(base)) if len(base) < MIN_LENGTH else str(number)
        yield base[: MAX_LENGTH - len(suffix)] + suffix
        number += 1
