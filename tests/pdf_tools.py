"""Reading PDFs back in tests with pypdfium2 (a pure wheel), so no test needs poppler installed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium


def pdf_pages(path: Path | str) -> int:
    """How many pages the PDF has."""
    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def pdf_text(path: Path | str) -> str:
    """All text of every page, pages separated by form feeds (as pdftotext does)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        parts = []
        for page in doc:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
        return "\f".join(parts)
    finally:
        doc.close()


def pdf_page_gray(path: Path | str, page: int, dpi: int = 40) -> np.ndarray:
    """Page `page` (1-based, like pdftoppm -f) rendered in greyscale at `dpi`, as floats 0-255."""
    doc = pdfium.PdfDocument(str(path))
    try:
        pdf_page = doc[page - 1]
        bitmap = pdf_page.render(scale=dpi / 72, grayscale=True)
        try:
            return np.asarray(bitmap.to_pil().convert("L"), dtype=float)
        finally:
            bitmap.close()  # children before their parents, or pypdfium2 warns
            pdf_page.close()
    finally:
        doc.close()


def pdf_text_boxes(path: Path | str) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Per page, each run of text pdfium groups into one rectangle: (its text, (left, bottom, right, top))
    in points. For tests of what is printed where (a stamp never over a marking)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in doc:
            textpage = page.get_textpage()
            boxes = []
            for i in range(textpage.count_rects()):
                rect = textpage.get_rect(i)
                found = textpage.get_text_bounded(*rect).strip()
                if found:
                    boxes.append((found, tuple(float(v) for v in rect)))
            textpage.close()
            page.close()
            pages.append(boxes)
        return pages
    finally:
        doc.close()


def overlapping(boxes: list[tuple[str, tuple[float, float, float, float]]], needle: str
                ) -> list[tuple[str, str]]:
    """Pairs (text holding ``needle``, other text) whose rectangles overlap on one page."""
    def meets(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5

    mine = [(t, r) for t, r in boxes if needle in t]
    return [(t, o) for t, r in mine for o, q in boxes if needle not in o and meets(r, q)]
