"""OCR of scanned PDFs: seconds per A4 page and character error rate, on pages this script renders.

    .venv/bin/python bench/bench_ocr.py [--pages 3] [--dpi 150] [--noise 0.005]

Each page is plan text (a numbered section with wrapped paragraphs, as a plan prints) drawn in a CJK
serif font on an A4 canvas at ``--dpi``, with salt-and-pepper ``--noise`` and a slight blur like a
photocopy, saved as an image-only PDF and read by ``read_plan`` (RapidOCR on ONNX Runtime, CPU). The
first page also pays the models' load; the per-page figure is taken over the others. Prints numbers;
asserts nothing (the README quotes them with the machine's load).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PARAGRAPHS = [
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，完整、准确、全面贯彻新发展理念，"
    "加快构建新发展格局，着力推动高质量发展，全面提升知识产权创造、运用、保护、管理和服务水平。",
    "到2025年，知识产权保护体系更加完善，每万人口高价值发明专利拥有量达到3.6件，知识产权质押融资登记金额"
    "新增12亿元，知识产权保护社会满意度保持在80分以上，专利密集型产业增加值占地区生产总值比重明显提高。",
    "健全知识产权行政执法和司法保护衔接机制，加强重点领域、关键环节的知识产权保护，严厉打击侵权假冒违法行为，"
    "完善知识产权纠纷多元化解机制，推进知识产权仲裁调解组织建设（市市场监管局牵头，市法院、市司法局等按职责分工负责）。",
]


def page_lines(n: int) -> list[str]:
    """The lines of page ``n``: a heading, a sub-heading and the paragraphs wrapped at 36 characters.
    Each page's first and last lines differ from the other pages' (the paragraphs turn round, the last
    names the page): lines repeated at the edges of most pages are running headers to the PDF reader."""
    cn = "一二三四五六七八九十"[n % 10]
    lines = [f"{cn}、重点任务第{n + 1}部分", f"（{cn}）强化知识产权全链条保护"]
    turned = PARAGRAPHS[n % len(PARAGRAPHS) :] + PARAGRAPHS[: n % len(PARAGRAPHS)]
    for paragraph in [*turned, f"以上为重点任务的第{cn}部分。"]:
        text = "　　" + paragraph
        lines += [text[i : i + 36] for i in range(0, len(text), 36)]
    return lines


def render(pages: int, dpi: int, noise: float) -> tuple[bytes, str]:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    font = ImageFont.truetype(str(FONT), int(dpi * 0.16))  # about 11.5 pt, the body size of a plan
    rng = np.random.default_rng(0)
    images, expected = [], []
    for n in range(pages):
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        lines = page_lines(n)
        for i, line in enumerate(lines):
            draw.text((int(dpi * 0.9), int(dpi * 1.0) + i * int(dpi * 0.3)), line, font=font, fill=0)
        pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(0.6))).copy()
        flips = rng.random(pixels.shape) < noise
        pixels[flips] = 255 - pixels[flips]
        images.append(Image.fromarray(pixels))
        expected.append("\n".join(line.strip("　") for line in lines))
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue(), "\n".join(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--noise", type=float, default=0.005, help="share of pixels flipped (salt and pepper)")
    args = parser.parse_args()

    from indexer import ocr
    from indexer.load import load_source

    if not FONT.exists() or not ocr.available():
        sys.exit("needs fonts-noto-cjk and rapidocr_onnxruntime")
    data, expected = render(args.pages, args.dpi, args.noise)
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scan.pdf"
        path.write_bytes(data)
        start = time.perf_counter()
        with ocr.reporting(lambda done, total: stamps.append(time.perf_counter())):
            source = load_source(path)
        total = time.perf_counter() - start
    per_page = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    later = per_page[1:] or per_page
    load_avg = os.getloadavg()[0]
    print(
        f"pages: {args.pages} at {args.dpi} dpi, noise {args.noise:.1%}; cores: {os.cpu_count()}; load average {load_avg:.2f}"
    )
    print(f"first page (models load included): {per_page[0]:.1f} s")
    print(f"per page after it: mean {sum(later) / len(later):.1f} s, max {max(later):.1f} s")
    print(f"whole document: {total:.1f} s; OCR'd pages: {source.ocr_pages}")
    print(f"character error rate: {ocr.character_error_rate(expected, source.text):.2%} ({len(''.join(expected.split()))} characters)")


if __name__ == "__main__":
    main()
