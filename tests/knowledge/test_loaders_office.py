from datetime import date

import docx
import pytest

from knowledge.loaders import load_file
from minfu.errors import DocumentLoadError


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF whose text is `lines`, written by hand: a CID font with a ToUnicode map."""
    chars = sorted({ch for line in lines for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    content = "".join(
        f"BT /F1 12 Tf 50 {780 - 20 * n} Td <{''.join(f'{cid[ch]:04X}' for ch in line)}> Tj ET\n"
        for n, line in enumerate(lines)
    ).encode()
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n"
        + "".join(f"<{cid[ch]:04X}> <{ord(ch):04X}>\n" for ch in chars)
        + "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H"
        b" /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_is_read_with_wrapped_lines_joined(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(
        minimal_pdf(
            [
                "关于促进中小企业发展的通知",
                "沪经信发〔2024〕3号",
                "一、总体要求",
                "为了促进本市中小企业健康发展，优化营商环境，",
                "制定本通知。",
                "二、施行日期",
                "本通知自2024年5月1日起施行。",
            ]
        )
    )
    [loaded] = load_file(path)
    doc = loaded.document
    assert (doc.title, doc.doc_number, doc.effective_from) == (
        "关于促进中小企业发展的通知",
        "沪经信发〔2024〕3号",
        date(2024, 5, 1),
    )
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("一、总体要求",), "为了促进本市中小企业健康发展，优化营商环境，制定本通知。"),
        (("二、施行日期",), "本通知自2024年5月1日起施行。"),
    ]


def test_damaged_or_empty_pdf_is_a_load_error(tmp_path):
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4\nthis is not a pdf body")
    with pytest.raises(DocumentLoadError) as error:
        load_file(damaged)
    assert "PDF" in error.value.reason and "damaged.pdf" in error.value.message
    empty = tmp_path / "scan.pdf"
    empty.write_bytes(minimal_pdf([]))
    with pytest.raises(DocumentLoadError, match="没有可提取的文字"):
        load_file(empty)


def test_docx_headings_from_styles_paragraphs_and_tables(tmp_path):
    document = docx.Document()
    document.add_heading("闵行区企业服务指南", level=0)
    document.add_heading("第一部分 开办企业", level=1)
    document.add_paragraph("企业开办全程网办，一般1个工作日办结。")
    document.add_heading("（一）名称登记", level=2)
    document.add_paragraph("名称可以自主申报。")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, (("事项", "时限"), ("设立登记", "1个工作日")), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    path = tmp_path / "guide.docx"
    document.save(str(path))
    [loaded] = load_file(path)
    assert loaded.document.title == "闵行区企业服务指南"
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("第一部分 开办企业",), "企业开办全程网办，一般1个工作日办结。"),
        (("第一部分 开办企业", "（一）名称登记"), "名称可以自主申报。"),
        (("第一部分 开办企业", "（一）名称登记"), "事项 | 时限"),
        (("第一部分 开办企业", "（一）名称登记"), "设立登记 | 1个工作日"),
    ]


def test_damaged_docx_is_a_load_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DocumentLoadError, match="DOCX"):
        load_file(path)


def test_html_headings_and_paragraphs_without_scripts_or_navigation(tmp_path):
    page = """<!doctype html><html><head><meta charset="gbk"><title>站点 - 政策</title>
    <style>p { color: red }</style><script>var x = "不要读我";</script></head>
    <body><nav><a href="/">首页</a> <a href="/zc">政策</a></nav>
    <article><h1>关于支持人才发展的若干措施</h1><p>闵人社发〔2025〕7号</p>
    <h2>一、支持对象</h2><p>在本区就业的<strong>高层次人才</strong>。</p>
    <h3>（一）认定标准</h3><p>具有博士学位。<br>或具有高级职称。</p></article>
    <footer>版权所有</footer></body></html>"""
    path = tmp_path / "talent.html"
    path.write_bytes(page.encode("gbk"))
    [loaded] = load_file(path)
    doc = loaded.document
    assert (doc.title, doc.doc_number) == ("关于支持人才发展的若干措施", "闵人社发〔2025〕7号")
    assert [(s.path, s.text) for s in loaded.sections] == [
        (("一、支持对象",), "在本区就业的高层次人才。"),
        (("一、支持对象", "（一）认定标准"), "具有博士学位。"),
        (("一、支持对象", "（一）认定标准"), "或具有高级职称。"),
    ]
    assert not any(word in s.text for s in loaded.sections for word in ("不要读我", "首页", "版权所有", "color"))


def test_html_with_text_in_bare_divs_is_read_line_by_line(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>某某通知</title></head><body><div>一、工作目标</div>"
        "<div>到2026年底，实现企业诉求<span>“一口受理”</span>。</div></body></html>",
        encoding="utf-8",
    )
    [loaded] = load_file(path)
    assert loaded.document.title == "某某通知"
    assert [(s.path, s.text) for s in loaded.sections] == [(("一、工作目标",), "到2026年底，实现企业诉求“一口受理”。")]
