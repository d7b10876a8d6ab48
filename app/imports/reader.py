"""Reading a member directory as an association secretary sends it: CSV in any of the encodings
Excel saves in China, or an .xlsx workbook; refusing what is not one of those before parsing it.
"""
import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.accounts.naming import clean_text

ENCODINGS = {"utf-8-sig": "UTF-8", "gb18030": "GBK / GB18030"}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# A member directory has a few dozen columns. Wider rows (after their empty tail) are refused, so
# the work per row stays bounded whatever the file holds.
MAX_COLUMNS = 200
# What a broken workbook raises while it is read: a bad CRC or truncated deflate data included.
BROKEN_WORKBOOK = (KeyError, ValueError, IndexError, ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError)
# A real directory workbook unpacks to a few MB; a zip bomb to gigabytes.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 250
MAX_ENTRIES = 2_000


class ImportFileError(Exception):
    """A file Grove refuses, with the message the user sees."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def kind_of(filename: str, data: bytes) -> str:
    """'csv' or 'xlsx', from the name and the first bytes; anything else is refused."""
    suffix = Path(filename or "").suffix.lower()
    if not data:
        raise ImportFileError(_l("The file is empty."))
    if suffix in (".xls", ".et", ".numbers", ".ods", ".xlsm", ".xlsb"):
        raise ImportFileError(_l("Save the workbook as .xlsx (Excel workbook) or .csv and upload that."))
    if suffix == ".xlsx":
        if not data.startswith(b"PK"):
            raise ImportFileError(_l("This file is not an Excel workbook (.xlsx), whatever its name says."))
        return "xlsx"
    if suffix in (".csv", ".txt", ".tsv"):
        if data.startswith(b"PK") or b"\x00" in data[:8192]:
            raise ImportFileError(_l("This file is not a CSV text file, whatever its name says."))
        return "csv"
    raise ImportFileError(_l("Upload a CSV file or an Excel workbook (.xlsx)."))


def check_xlsx(data: bytes) -> None:
    """Refuse zip bombs and broken or hostile workbooks before openpyxl opens them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ImportFileError(_l("This workbook has too many parts to be a member directory."))
            unpacked = 0
            for entry in entries:
                unpacked += entry.file_size
                if entry.file_size > MAX_UNPACKED or unpacked > MAX_UNPACKED or (
                        entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO
                        and entry.file_size > 1024 * 1024):
                    raise ImportFileError(_l("This workbook unpacks to far more data than a directory holds; "
                                             "it was refused as unsafe."))
            names = {e.filename for e in entries}
            if "xl/workbook.xml" not in names:
                raise ImportFileError(_l("This file is not an Excel workbook (.xlsx), whatever its name says."))
            for entry in entries:
                if entry.filename.endswith(".xml") or entry.filename.endswith(".rels"):
                    with archive.open(entry) as part:
                        if b"<!DOCTYPE" in part.read(4096).upper().replace(b"<!doctype", b"<!DOCTYPE"):
                            raise ImportFileError(_l("This workbook contains XML declarations Grove does not "
                                                     "accept; it was refused as unsafe."))
    except zipfile.BadZipFile:
        raise ImportFileError(_l("This file is not an Excel workbook (.xlsx), whatever its name says.")) from None


def detect_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_rows(data: bytes, kind: str, encoding: str | None = None):
    """(encoding used, iterator over rows as lists of raw strings) of a file's bytes."""
    if kind == "csv":
        encoding = encoding or detect_encoding(data)
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ImportFileError(_l("The file cannot be read as %(encoding)s; choose another encoding.",
                                     encoding=ENCODINGS.get(encoding, encoding))) from None
        text = text.lstrip("\ufeff")
        sample = text[:8192]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t，")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = ","
        return encoding, _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return "", _xlsx_rows(data)


def _csv_rows(reader):
    """The rows of a CSV reader; a malformed file (a field beyond the csv module's limit) is refused."""
    try:
        yield from reader
    except csv.Error:
        raise ImportFileError(_l("This CSV file cannot be read: a cell is far too long or the quoting is broken."
                                 )) from None


def _xlsx_rows(data: bytes):
    """Rows of the first worksheet. The sheet XML is streamed directly (openpyxl takes over 3 s for a
    10,000-row directory); openpyxl reads what the streaming reader does not understand."""
    try:
        rows = _stream_xlsx(data)
        first = next(rows, None)
    except BROKEN_WORKBOOK:
        yield from _openpyxl_rows(data)
        return
    if first is not None:
        yield first
    try:
        yield from rows
    except BROKEN_WORKBOOK as error:
        raise ImportFileError(_l("This workbook cannot be read; save it again from Excel as .xlsx.")) from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """Paths of the first worksheet and of the shared strings, from the workbook's relationships."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    sheet = next(el for el in workbook.iter() if _local(el.tag) == "sheet")
    rel_id = next(v for k, v in sheet.attrib.items() if _local(k) == "id")
    targets, shared = {}, None
    for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter():
        if _local(rel.tag) != "Relationship":
            continue
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
        if rel.get("Type", "").endswith("/sharedStrings"):
            shared = target
    return targets[rel_id], shared


def _text_of(element) -> str:
    """The text of a shared or inline string, rich-text runs joined, phonetic guides left out."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else text


def _cell_value(cell, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    value = formula = inline = None
    for child in cell:
        tag = _local(child.tag)
        if tag == "v":
            value = child.text
        elif tag == "f":
            formula = child.text or "(formula)"
        elif tag == "is":
            inline = child
    if formula is not None:
        return "=" + formula
    if kind == "inlineStr":
        return _text_of(inline) if inline is not None else ""
    if value is None:
        return ""
    if kind == "s":
        return shared[int(value)]
    if kind in ("str", "e"):
        return value
    if kind == "b":
        return "1" if value == "1" else "0"
    return _number(value)


def _stream_xlsx(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_path, shared_path = _first_sheet(archive)
        shared: list[str] = []
        if shared_path and shared_path in archive.namelist():
            with archive.open(shared_path) as part:
                for _event, element in ET.iterparse(part):
                    if _local(element.tag) == "si":
                        shared.append(_text_of(element))
                        element.clear()
        with archive.open(sheet_path) as part:
            expected = 1
            for _event, element in ET.iterparse(part):
                if _local(element.tag) != "row":
                    continue
                number = int(element.get("r") or expected)
                while expected < number:
                    yield []
                    expected += 1
                cells: list[str] = []
                for cell in element:
                    if _local(cell.tag) != "c":
                        continue
                    ref = cell.get("r")
                    column = _column(ref) if ref else len(cells)
                    cells.extend([""] * (column - len(cells)))
                    cells.append(_cell_value(cell, shared))
                yield cells
                expected = number + 1
                element.clear()


def _openpyxl_rows(data: bytes):
    import openpyxl
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on broken files
        raise ImportFileError(_l("This workbook cannot be opened; save it again from Excel as .xlsx.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(_l("This workbook cannot be read; save it again from Excel as .xlsx.")) from None
    finally:
        workbook.close()


FIELDS = (
    ("name", _l("Company name")),
    ("short_name", _l("Short name")),
    ("contact_name", _l("Contact person")),
    ("title", _l("Job title")),
    ("department", _l("Department")),
    ("phone", _l("Phone")),
    ("email", _l("E-mail")),
    ("wechat", _l("WeChat ID")),
    ("address", _l("Address")),
    ("city", _l("City")),
    ("district", _l("District")),
    ("products", _l("Products")),
    ("employees", _l("Employees")),
    ("equipment", _l("Equipment on site")),
    ("background", _l("Notes / background")),
)
FIELD_KEYS = {k for k, _label in FIELDS}

# Header words as directories spell them, most specific first.
ALIASES = {
    "name": ("企业名称", "公司名称", "单位名称", "会员单位", "会员名称", "会员企业", "会员", "企业全称", "公司全称",
             "单位全称", "厂名", "企业", "公司", "单位",
             "company name", "company", "member", "name of company", "enterprise"),
    "short_name": ("简称", "企业简称", "公司简称", "short name", "abbreviation"),
    "contact_name": ("联系人", "联系人姓名", "负责人", "法人代表", "法定代表人", "法人", "会员代表", "姓名",
                     "contact person", "contact name", "contact", "representative"),
    "title": ("职务", "职位", "职称", "title", "position", "job title"),
    "department": ("部门", "department", "dept"),
    "phone": ("手机", "手机号", "手机号码", "移动电话", "联系电话", "联系方式", "电话", "固话", "座机",
              "mobile", "phone", "telephone", "tel", "cell"),
    "email": ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "mail"),
    "wechat": ("微信", "微信号", "wechat", "weixin"),
    "address": ("企业地址", "公司地址", "通讯地址", "详细地址", "地址", "厂址", "address"),
    "city": ("城市", "所在城市", "所在地", "city"),
    "district": ("区县", "所在区", "县区", "区域", "district", "county"),
    "products": ("主营产品", "主要产品", "主营业务", "经营范围", "产品", "主营", "products", "main products",
                 "product", "business scope"),
    "employees": ("员工人数", "职工人数", "员工数", "人数", "员工", "企业规模", "规模", "employees", "staff",
                  "headcount", "number of employees"),
    "equipment": ("主要设备", "设备情况", "设备", "equipment", "machines"),
    "background": ("备注", "说明", "简介", "企业简介", "notes", "remarks", "note", "comments"),
}


def _norm_header(text: str) -> str:
    return re.sub(r"[\s:：*（）()]+", "", clean_text(text).lower())


class Vocabulary:
    """The fields one kind of file holds, the header words that name each (most specific first),
    and the key field every data row fills (a directory's company name), by which a header row
    is told from the title lines above it."""

    def __init__(self, fields: tuple, aliases: dict[str, tuple[str, ...]], key: str):
        self.fields = fields
        self.keys = frozenset(k for k, _label in fields)
        self.key = key
        # Each alias normalised once.
        self.aliases = tuple((name, tuple(_norm_header(a) for a in words)) for name, words in aliases.items())
        self.guess_field = lru_cache(maxsize=4096)(self._guess_field)

    def _guess_field(self, header: str) -> str | None:
        """The field a column header names, in Chinese or English; None when unsure."""
        h = _norm_header(header[:200])
        if not h:
            return None
        for fieldname, aliases in self.aliases:
            if h in aliases:
                return fieldname
        best = None
        for fieldname, aliases in self.aliases:
            for a in aliases:
                if len(a) >= 2 and a in h and (best is None or len(a) > best[1]):
                    best = (fieldname, len(a))
        return best[0] if best else None

    def guess_mapping(self, header: list[str]) -> dict[str, str]:
        """{column index as text: field} for the columns recognised, each field used once."""
        mapping: dict[str, str] = {}
        for i, h in enumerate(header):
            f = self.guess_field(h)
            if f and f not in mapping.values():
                mapping[str(i)] = f
        return mapping

    def looks_like_header(self, row: list[str]) -> bool:
        """A header names the key column in a few characters; a data row holds a longer value there."""
        mapping = self.guess_mapping(row)
        key_columns = [int(i) for i, f in mapping.items() if f == self.key]
        return bool(key_columns) and len(_norm_header(row[key_columns[0]])) <= 8


DIRECTORY = Vocabulary(FIELDS, ALIASES, key="name")
guess_field = DIRECTORY.guess_field
guess_mapping = DIRECTORY.guess_mapping


@dataclass
class Table:
    header: list[str]
    header_row: int  # 1-based row number in the file
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number in the file, cells)
    skipped_headers: int = 0


def _without_empty_tail(row: list[str]) -> list[str]:
    """The row without the empty cells spreadsheets leave after the last column."""
    end = len(row)
    while end and not str(row[end - 1]).strip():
        end -= 1
    return row if end == len(row) else row[:end]


def _blank(row: list[str]) -> bool:
    return not any(str(c).strip() for c in row)


def read_table(rows, limit: int | None = None, max_rows: int = MAX_ROWS, vocabulary: Vocabulary = DIRECTORY) -> Table:
    """Find the header row (directories often start with a title line), then collect the data rows,
    skipping blank rows and header rows repeated on every printed page."""
    pending: list[tuple[int, list[str]]] = []
    table = None
    for number, row in enumerate(rows, start=1):
        if _blank(row):
            continue
        row = _without_empty_tail(row)
        if len(row) > MAX_COLUMNS:
            raise ImportFileError(_l("Row %(row)s has %(n)s columns; a member directory has at most %(max)s. "
                                     "Remove the extra columns and upload the file again.",
                                     row=number, n=len(row), max=MAX_COLUMNS))
        if table is None:
            pending.append((number, row))
            if vocabulary.looks_like_header(row):
                table = Table(header=[clean_text(c) for c in row], header_row=number)
            elif len(pending) >= 20:
                # No header Grove recognises: the first line is the header, the user maps it.
                first, header = pending[0]
                table = Table(header=[clean_text(c) for c in header], header_row=first, rows=pending[1:])
            continue
        if [clean_text(c) for c in row[:len(table.header)]] == table.header[:len(row)]:
            table.skipped_headers += 1
            continue
        table.rows.append((number, row))
        if limit and len(table.rows) >= limit:
            break
        if len(table.rows) > max_rows:
            raise ImportFileError(_l("The file has more than %(n)s rows; split it or use the command line.",
                                     n=max_rows))
    if table is None:
        if not pending:
            raise ImportFileError(_l("The file has no rows."))
        number, row = pending[0]
        table = Table(header=[clean_text(c) for c in row], header_row=number)
        table.rows = pending[1:]
    return table
