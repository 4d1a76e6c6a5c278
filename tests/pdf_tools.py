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
