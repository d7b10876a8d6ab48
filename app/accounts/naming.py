"""Chinese company-name normalisation: the key under which two spellings are one company.

`温州市华信眼镜有限公司`, `华信眼镜(温州)有限公司` and `浙江 华信眼镜股份有限公司` all key to
`华信眼镜`: legal-form suffixes, a leading province or city, a bracketed place name, bracket
width, spacing and letter case do not make a different company.
"""
import re
import unicodedata

PROVINCES = ("浙江省", "江苏省", "上海市", "浙江", "江苏", "上海")
CITIES = ("温州市", "无锡市", "宁波市", "杭州市", "苏州市", "常州市", "台州市", "金华市", "嘉兴市", "绍兴市",
          "温州", "无锡", "宁波", "杭州", "苏州", "常州", "台州", "金华", "嘉兴", "绍兴")
COUNTIES = ("瑞安市", "乐清市", "永嘉县", "平阳县", "苍南县", "龙港市", "江阴市", "宜兴市",
            "瓯海区", "鹿城区", "龙湾区", "洞头区", "梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区",
            "瑞安", "乐清", "永嘉", "平阳", "苍南", "龙港", "江阴", "宜兴", "瓯海", "鹿城", "龙湾")
PLACES = PROVINCES + CITIES + COUNTIES
SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "总公司", "分公司", "公司",
            "co.,ltd.", "co.,ltd", "co.ltd", "co ltd", "company limited", "limited", "ltd.", "ltd", "inc.", "inc")

# The suffixes as they read after spacing and punctuation are removed from a key.
_SUFFIX_KEYS = tuple(dict.fromkeys(s.replace(" ", "").replace(",", "").replace(".", "") for s in SUFFIXES))
_SPACE = re.compile(r"[\s\u3000·•・,，.。、]+")
_BRACKETED = re.compile(r"[(\[【〔]([^)\]】〕]*)[)\]】〕]")


def clean_text(value: str | None) -> str:
    """Full-width to half-width, trimmed, inner runs of spaces collapsed (for any imported text)."""
    if value is None:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()


def name_key(name: str) -> str:
    key = unicodedata.normalize("NFKC", name or "").lower().strip()
    # A bracketed place name, "(温州)", is an address, not part of the name; other bracketed
    # words such as "(眼镜)" stay, without their brackets.
    key = _BRACKETED.sub(lambda m: "" if m.group(1).strip() in PLACES else m.group(1), key)
    key = _SPACE.sub("", key)
    changed = True
    while changed:
        changed = False
        # One legal form per pass, longest first: "有限公司" must not go on to lose "公司" and
        # leave "...有限"; a key that is only a legal form ("有限公司") is left alone.
        for suffix in _SUFFIX_KEYS:
            if key.endswith(suffix) and len(key) > len(suffix) and key not in _SUFFIX_KEYS:
                key, changed = key[: -len(suffix)], True
                break
        for place in PLACES:
            if key.startswith(place) and len(key) > len(place) + 1:
                key, changed = key[len(place):], True
    return key or (name or "").strip()


def name_parts(name: str) -> list[str]:
    """A company's name cut where a line may break: leading place names, the name itself, the legal
    form (`温州市` `鹿城科达镜业` `有限公司`), so a narrow column never splits `有限公司` or a place."""
    rest, head, tail = (name or "").strip(), [], []
    changed = True
    while changed:
        changed = False
        for place in PLACES:
            if rest.startswith(place) and len(rest) > len(place) + 1:
                head.append(place)
                rest, changed = rest[len(place):], True
                break
    for suffix in SUFFIXES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            tail, rest = [suffix], rest[: -len(suffix)]
            break
    return [*head, rest, *tail] if rest else [*head, *tail]
