"""A tiny PDF writer for tests: pages of Chinese (or any) text lines, no fonts needed.

pypdf cannot lay out text, and a real CJK font is megabytes, so this writes the PDF by hand: one Type0
font with Identity-H encoding whose glyphs are never embedded, and a ToUnicode CMap that maps each
2-byte CID back to its character. Text extractors (pypdf's ``extract_text`` included) only need the
CMap, so the text round-trips although a viewer would show blank boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
FONT_SIZE = 12
LINE_HEIGHT = 20
LEFT, TOP = 72, 770


def make_pdf(pages: Sequence[Sequence[str | tuple[float, float, str]]], glyph_by_glyph: bool = False) -> bytes:
    """A PDF with one page per item of ``pages``, each line drawn top to bottom; ``[]`` is a blank page.

    Two leading spaces on a line are drawn as an indent (the text starts further right) rather than
    as characters, like a paragraph's first line in a typeset plan. An item ``(x, y, text)`` is drawn
    where it says instead, in points from the page's left and top, in the order given (a table's cells
    as a browser prints them: cell after cell, a cell's wrapped lines one under the other).

    ``glyph_by_glyph`` draws each line as Chromium prints a page: one Tj a glyph, the font resource
    switched every two glyphs (/F1, /F2: one font under two names), and every third glyph placed by
    the pen's move after the glyph before instead of by a Td from the line's start.
    """
    chars = sorted({ch for page in pages for line in page for ch in _text(line).lstrip(" ")})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}  # CID 0 is .notdef

    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(content: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(content)}{extra} >>\nstream\n".encode() + content + b"\nendstream"

    catalog = add(b"")  # filled in once the page tree exists
    tree = add(b"")
    to_unicode = add(stream(_to_unicode_cmap(cid)))
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /TestCJK /Flags 4 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
    )
    descendant = add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestCJK "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 1000 /CIDToGIDMap /Identity >>".encode()
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /TestCJK /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>".encode()
    )
    kids = []
    for page in pages:
        ops = []
        for n, line in enumerate(page):
            if isinstance(line, tuple):
                x, top, text = line
                y = PAGE_HEIGHT - top
            else:
                text = line.lstrip(" ")
                x, y = LEFT + (len(line) - len(text)) * FONT_SIZE / 2, TOP - n * LINE_HEIGHT
            if glyph_by_glyph:
                ops.append(_glyphs(text, x, y, cid))
                continue
            hexes = "".join(f"{cid[ch]:04X}" for ch in text)
            ops.append(f"BT /F1 {FONT_SIZE} Tf {x:g} {y:g} Td <{hexes}> Tj ET")
        content = add(stream("\n".join(ops).encode("ascii")))
        kids.append(add(
            f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 {font} 0 R /F2 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
        ))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode()
    objects[tree - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    )
    return _serialize(objects, root=catalog)


def _glyphs(text: str, x: float, y: float, cid: dict[str, int]) -> str:
    ops, placed = [f"BT {x:g} {y:g} Td"], 0  # placed: the glyph the line matrix was last moved to
    for i, ch in enumerate(text):
        if i % 4 in (0, 2):
            ops.append(f"/F{1 + i // 2 % 2} {FONT_SIZE} Tf")
        if i % 3 != 2:  # else the glyph goes where the glyph before left the pen (every glyph is 1 em)
            ops.append(f"{(i - placed) * FONT_SIZE:g} 0 Td")
            placed = i
        ops.append(f"<{cid[ch]:04X}> Tj")
    return " ".join([*ops, "ET"])


def _text(line: str | tuple[float, float, str]) -> str:
    return line[2] if isinstance(line, tuple) else line


def _to_unicode_cmap(cid: dict[str, int]) -> bytes:
    # bfchar blocks hold at most 100 entries each (PDF reference, 5.9.2).
    items = sorted(cid.items(), key=lambda item: item[1])
    blocks = []
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        entries = "\n".join(f"<{c:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch, c in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


def _serialize(objects: list[bytes], root: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypt_pdf(data: bytes, user_password: str, owner_password: str | None = None) -> bytes:
    """``data`` encrypted with pypdf (RC4-128, which needs no crypto library)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password or user_password or "owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
