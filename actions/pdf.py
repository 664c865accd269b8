"""What the two PDFs (the board pack and the evaluation report) share: an A4 landscape fpdf2 document with
a titled footer, and text made safe for the core fonts (Latin-1; other characters become their nearest ASCII).
"""

from __future__ import annotations

from fpdf import FPDF

ASCII = {
    "→": "->",
    "–": "-",
    "—": "-",
    "±": "+/-",
    "≥": ">=",
    "≤": "<=",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
}


def latin1(text) -> str:
    text = "" if text is None else str(text)
    for char, plain in ASCII.items():
        text = text.replace(char, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


class LandscapeDocument(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.pack_title = title
        self.set_auto_page_break(auto=True, margin=12)
        self.set_margins(12, 12, 12)
        self.set_title(title)

    def footer(self):
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, latin1(f"{self.pack_title} - page {self.page_no()}"), align="R")
