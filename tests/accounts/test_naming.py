"""Chinese company names: spellings that are one company share one key."""
import pytest

from app.accounts.naming import clean_text, name_key


@pytest.mark.parametrize("name", [
    "温州市华信眼镜有限公司",
    "温州华信眼镜有限公司",
    "华信眼镜(温州)有限公司",
    "华信眼镜（温州）有限公司",
    "浙江 华信眼镜股份有限公司",
    "浙江省温州市华信眼镜有限责任公司",
    "华信眼镜股份公司",
    "华信眼镜",
    "  华信　眼镜  ",
    "华信·眼镜有限公司",
    "【温州】华信眼镜有限公司",
])
def test_spellings_of_one_company_share_a_key(name):
    assert name_key(name) == "华信眼镜"


@pytest.mark.parametrize("name,key", [
    ("Huaxin Optical Co., Ltd.", "huaxinoptical"),
    ("HUAXIN OPTICAL CO.,LTD", "huaxinoptical"),
    ("Huaxin Optical Company Limited", "huaxinoptical"),
    ("Huaxin Inc.", "huaxin"),
    ("ＨＵＡＸＩＮ　Ｏｐｔｉｃａｌ", "huaxinoptical"),
])
def test_latin_names_ignore_case_width_spacing_and_legal_form(name, key):
    assert name_key(name) == key


def test_a_bracketed_word_that_is_not_a_place_stays():
    assert name_key("华信(眼镜)有限公司") == "华信眼镜"
    assert name_key("华信(光学)有限公司") != name_key("华信有限公司")


def test_county_prefixes_and_nested_places():
    assert name_key("瑞安市宏达汽摩配件有限公司") == "宏达汽摩配件"
    assert name_key("浙江省温州市瓯海区宏达汽摩配件有限公司") == "宏达汽摩配件"
    assert name_key("无锡市远东电器有限公司") == name_key("江苏远东电器股份有限公司") == "远东电器"


def test_different_companies_keep_different_keys():
    assert name_key("温州华信眼镜有限公司") != name_key("温州华信光学有限公司")
    assert name_key("温州明光笔业有限公司") != name_key("温州明光眼镜有限公司")


def test_a_name_that_is_only_a_place_or_a_suffix_is_kept():
    assert name_key("温州") == "温州"
    assert name_key("有限公司") == "有限公司"
    assert name_key("温州公司") == "温州"
    assert name_key("") == ""


def test_suffix_and_place_are_stripped_repeatedly_but_the_core_survives():
    assert name_key("温州温州华信有限公司有限公司") == "华信"
    assert name_key("温州华") == "温州华"  # a one-character remainder is not stripped to nothing useful


@pytest.mark.parametrize("raw,clean", [
    (None, ""),
    ("  华信  眼镜 ", "华信 眼镜"),
    ("ＡＢＣ　１２３", "ABC 123"),
    ("（温州）", "(温州)"),
    ("a\t\nb", "a b"),
    (42, "42"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
