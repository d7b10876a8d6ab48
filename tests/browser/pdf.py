"""Printed pages read back with pypdfium2 (a pinned wheel), so no system PDF tools are needed."""
from pathlib import Path

import pypdfium2 as pdfium


def render_pages(pdf: Path, dpi: int = 60) -> list[Path]:
    """Each page of `pdf` as a PNG beside it (`name-1.png`, `name-2.png`, ...), to look at."""
    for old in pdf.parent.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(str(pdf))
    paths = []
    for number, page in enumerate(document, start=1):
        path = pdf.with_name(f"{pdf.stem}-{number}.png")
        page.render(scale=dpi / 72).to_pil().save(path)
        paths.append(path)
    document.close()
    return paths


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of `pdf`."""
    document = pdfium.PdfDocument(str(pdf))
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    return texts
