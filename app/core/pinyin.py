"""Names in the order Chinese readers expect: by pinyin, stored as a sort key column.

`sort_key("重庆")` is `"chong qing"`: tone-less pinyin of each character (pypinyin's phrase
dictionary reads polyphones in context: 重庆 chong, 银行 hang), one syllable per word, so
安徽 ("an hui") sorts before 北京 ("bei jing") and 西安 ("xi an") before 先锋 ("xian feng"), as in
a dictionary. Latin names keep their letters in lower case and fall among the pinyin ("Acme"
before "an hui"); digits come first. A person's name reads its surname as a surname (曾 zeng,
单 shan, 解 xie), which the everyday reading gets wrong.

A model declares the column with `sort_key_column("name")`: a context default fills it on
every INSERT, including Core bulk inserts such as the directory import (`insert(table)` with a
list of rows), and `keep_sort_key(Model.name, "name_sort")` sets it whenever the ORM sets the
name. A Core `update()` that changes a name must set the key too (none does today).
"""
import re
import unicodedata

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import mapped_column

KEY_LENGTH = 200

# The key is ASCII: compared byte by byte ("C") on PostgreSQL whatever the database's locale, whose
# collation would skip the spaces between syllables and sort differently from SQLite.
SortKey = sa.String(KEY_LENGTH).with_variant(postgresql.VARCHAR(KEY_LENGTH, collation="C"), "postgresql")

# Surnames whose reading as a surname differs from the everyday one (compound ones first).
SURNAMES = {
    "单于": "chan yu", "尉迟": "yu chi", "万俟": "mo qi", "长孙": "zhang sun",
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "盖": "ge",
    "查": "zha", "乐": "yue", "翟": "zhai", "覃": "qin", "缪": "miao", "召": "shao", "秘": "bi",
    "种": "chong", "员": "yun", "黑": "he", "薄": "bo", "藏": "zang", "折": "she", "句": "gou",
    "颉": "xie", "隗": "wei", "繁": "po", "阚": "kan",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _latin(text: str) -> str:
    """Lower case without accents or punctuation: "Müller & Co." reads "muller co"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain.lower()).strip()


def sort_key(name: str | None, *, person: bool = False) -> str:
    """The pinyin sort key of a name (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    words = []
    if person:
        for surname in (text[:2], text[:1]):
            if surname and surname in SURNAMES:
                words.append(SURNAMES[surname])
                text = text[len(surname):]
                break
    for chunk in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        if word := _latin(chunk):
            words.append(word)
    return " ".join(words)[:KEY_LENGTH]


def sort_key_default(source: str, *, person: bool = False):
    """A column default that computes the key from the row's `source` column as it is inserted."""
    def default(context) -> str:
        return sort_key(context.get_current_parameters().get(source), person=person)
    return default


def sort_key_column(source: str, *, person: bool = False, index: bool = False):
    """The sort key column of a model, filled from `source` on every INSERT (ORM or Core)."""
    return mapped_column(SortKey, default=sort_key_default(source, person=person), server_default="", index=index)


def keep_sort_key(attribute, target: str, *, person: bool = False) -> None:
    """Whenever the ORM sets `attribute` (a name), set the sort key `target` of the same object."""
    @sa.event.listens_for(attribute, "set")
    def _set(obj, value, oldvalue, initiator):
        setattr(obj, target, sort_key(value, person=person))
