# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
import zipfile

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from odoo.tests.common import BaseCase, tagged
from odoo.tools.misc import file_open

from odoo.addons.crm_campaign_segment.tools import docx_merge


def _save(document):
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _open(data):
    return Document(io.BytesIO(data))


def _add_runs(paragraph, *pieces):
    """Add runs to a paragraph: each piece is a text or (text, bold)."""
    runs = []
    for piece in pieces:
        text, bold = piece if isinstance(piece, tuple) else (piece, None)
        run = paragraph.add_run(text)
        if bold is not None:
            run.bold = bold
        runs.append(run)
    return runs


def _add_simple_field(paragraph, name, italic=True):
    italic_xml = "<w:rPr><w:i/></w:rPr>" if italic else ""
    w = nsdecls("w")
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {w} w:instr=" MERGEFIELD {name} \\* MERGEFORMAT ">'
            f"<w:r>{italic_xml}<w:t>\u00ab{name}\u00bb</w:t></w:r></w:fldSimple>"
        )
    )


def _add_complex_field(paragraph, instr_pieces, result, bold_result=True):
    """Complex field as Word writes it, the instruction split in pieces."""
    w = nsdecls("w")
    xml = [f'<w:r {w}><w:fldChar w:fldCharType="begin"/></w:r>']
    for piece in instr_pieces:
        xml.append(
            f'<w:r {w}><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>'
        )
    xml.append(f'<w:r {w}><w:fldChar w:fldCharType="separate"/></w:r>')
    rpr = (
        "<w:rPr><w:b/><w:noProof/></w:rPr>"
        if bold_result
        else "<w:rPr><w:noProof/></w:rPr>"
    )
    xml.append(f"<w:r {w}>{rpr}<w:t>{result}</w:t></w:r>")
    xml.append(f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>')
    for run_xml in xml:
        paragraph._p.append(parse_xml(run_xml))


def _part_xml(data, name="word/document.xml"):
    with zipfile.ZipFile(io.BytesIO(data)) as zip_file:
        return zip_file.read(name).decode("utf-8")


def _with_notes(data, footnote, endnote, endnote_field):
    """Add a footnotes and an endnotes part (python-docx cannot write them)."""
    w = nsdecls("w")
    notes = {
        "footnotes": (
            f'<w:footnotes {w}><w:footnote w:id="1"><w:p>'
            f'<w:r><w:t xml:space="preserve">{footnote}</w:t></w:r>'
            "</w:p></w:footnote></w:footnotes>"
        ),
        "endnotes": (
            f'<w:endnotes {w}><w:endnote w:id="1"><w:p>'
            f"<w:r><w:t>{endnote} </w:t></w:r>"
            f'<w:fldSimple w:instr=" MERGEFIELD {endnote_field} ">'
            "<w:r><w:t>x</w:t></w:r></w:fldSimple>"
            "</w:p></w:endnote></w:endnotes>"
        ),
    }
    stream = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            content = source.read(name)
            if name == "[Content_Types].xml":
                content = content.decode("utf-8").replace(
                    "</Types>",
                    "".join(
                        f'<Override PartName="/word/{kind}.xml" ContentType="'
                        "application/vnd.openxmlformats-officedocument."
                        f'wordprocessingml.{kind}+xml"/>'
                        for kind in notes
                    )
                    + "</Types>",
                )
            elif name == "word/_rels/document.xml.rels":
                content = content.decode("utf-8").replace(
                    "</Relationships>",
                    "".join(
                        f'<Relationship Id="rIdNote{kind}" Type="http://schemas.'
                        "openxmlformats.org/officeDocument/2006/relationships/"
                        f'{kind}" Target="{kind}.xml"/>'
                        for kind in notes
                    )
                    + "</Relationships>",
                )
            target.writestr(name, content)
        for kind, xml in notes.items():
            target.writestr(f"word/{kind}.xml", xml)
    return stream.getvalue()


def _run_with_text(paragraph, text):
    for run in paragraph.runs:
        if text in run.text:
            return run
    raise AssertionError(f"no run with {text!r} in {paragraph.text!r}")


@tagged("post_install", "-at_install")
class TestWordMerge(BaseCase):
    """Tests of the Word (.docx) merge engine (no database needed)."""

    # -- inline {{ expressions }} -------------------------------------------

    def test_placeholder_split_over_runs_keeps_first_run_format(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_runs(paragraph, "Dear ", ("{{ obj", True), ("ect.name }}", False), "!")
        data = _save(document)

        result = _open(docx_merge.merge_docx(data, {"object.name": "Ann Smith"}, {}))

        paragraph = result.paragraphs[0]
        self.assertEqual(paragraph.text, "Dear Ann Smith!")
        self.assertTrue(_run_with_text(paragraph, "Ann Smith").bold)
        self.assertNotIn("{{", _part_xml(docx_merge.merge_docx(data, {}, {})))

    def test_placeholder_braces_in_separate_runs(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_runs(
            paragraph, "City: ", "{", "{ partner", ".city }", "}", " (", "{{a}}", ")"
        )
        data = _save(document)

        result = _open(
            docx_merge.merge_docx(data, {"partner.city": "Oslo", "a": "NO"}, {})
        )
        self.assertEqual(result.paragraphs[0].text, "City: Oslo (NO)")

    def test_placeholder_across_markup_and_hyperlink(self):
        document = Document()
        paragraph = document.add_paragraph()
        w = nsdecls("w")
        for xml in (
            '<w:r %s><w:t xml:space="preserve">Hi {{ ob</w:t></w:r>',
            '<w:proofErr %s w:type="spellStart"/>',
            '<w:bookmarkStart %s w:id="0" w:name="x"/>',
            (
                "<w:hyperlink %s>"
                "<w:r><w:rPr><w:i/></w:rPr><w:t>ject.na</w:t></w:r></w:hyperlink>"
            ),
            '<w:ins %s w:id="1" w:author="a"><w:r><w:t>me }}</w:t></w:r></w:ins>',
            (
                '<w:del %s w:id="2" w:author="a">'
                "<w:r><w:delText>{{ gone }}</w:delText></w:r></w:del>"
            ),
            "<w:r %s><w:t>{{ a</w:t><w:tab/><w:t>b }}</w:t></w:r>",
        ):
            paragraph._p.append(parse_xml(xml % w))
        data = _save(document)
        self.assertEqual(
            docx_merge.find_placeholders(data)["expressions"], ["object.name"]
        )
        xml = _part_xml(docx_merge.merge_docx(data, {"object.name": "Ann"}, {}))
        self.assertIn("Hi Ann", xml)
        self.assertNotIn("ject.na", xml)
        self.assertNotIn("me }}", xml)
        self.assertIn("{{ gone }}", xml)
        self.assertIn("{{ a", xml)
        self.assertIn("w:hyperlink", xml)

    def test_several_placeholders_and_missing_value(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_runs(paragraph, "{{ a }}-{{ b }}-{{ a }}", " and {{ missing }}.")
        result = _open(docx_merge.merge_docx(_save(document), {"a": "1", "b": "2"}, {}))
        self.assertEqual(result.paragraphs[0].text, "1-2-1 and .")

    def test_newline_and_tab_in_value(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_runs(paragraph, ("To: {{ object.address }} end", True))
        data = docx_merge.merge_docx(
            _save(document), {"object.address": "Main Street 1\n0150 Oslo\tNorway"}, {}
        )
        paragraph = _open(data).paragraphs[0]
        self.assertEqual(paragraph.text, "To: Main Street 1\n0150 Oslo\tNorway end")
        run_xml = paragraph.runs[0]._r
        self.assertEqual(len(run_xml.findall(qn("w:br"))), 1)
        self.assertEqual(len(run_xml.findall(qn("w:tab"))), 1)
        self.assertTrue(paragraph.runs[0].bold)
        self.assertNotIn("\n0150", _part_xml(data))

    def test_values_are_not_merged_again(self):
        document = Document()
        document.add_paragraph("{{ a }}")
        result = _open(
            docx_merge.merge_docx(_save(document), {"a": "{{ b }} & <x>"}, {"b": "no"})
        )
        self.assertEqual(result.paragraphs[0].text, "{{ b }} & <x>")

    def test_smart_quotes_are_normalized(self):
        document = Document()
        document.add_paragraph("Mail: {{ object.email or \u2018\u2019 }}")
        document.add_paragraph("E-post: {{ object.email or \u00ab\u00bb }}")
        data = _save(document)
        self.assertEqual(
            docx_merge.find_placeholders(data)["expressions"],
            ["object.email or ''", 'object.email or ""'],
        )
        result = _open(
            docx_merge.merge_docx(
                data, {"object.email or ''": "a@b.c", 'object.email or ""': "d@e.f"}, {}
            )
        )
        self.assertEqual(result.paragraphs[0].text, "Mail: a@b.c")
        self.assertEqual(result.paragraphs[1].text, "E-post: d@e.f")

    # -- MERGEFIELDs ---------------------------------------------------------

    def test_simple_field(self):
        document = Document()
        paragraph = document.add_paragraph("Name: ")
        _add_simple_field(paragraph, "ContactName")
        paragraph.add_run(".")
        data = docx_merge.merge_docx(_save(document), {}, {"contactname": "Ann"})

        paragraph = _open(data).paragraphs[0]
        self.assertEqual(paragraph.text, "Name: Ann.")
        self.assertTrue(_run_with_text(paragraph, "Ann").italic)
        self.assertNotIn("fldSimple", _part_xml(data))
        self.assertNotIn("MERGEFIELD", _part_xml(data))

    def test_complex_field_with_split_instruction(self):
        document = Document()
        paragraph = document.add_paragraph("Dear ")
        _add_complex_field(
            paragraph,
            [" MERGE", "FIELD Contact", "Name \\* MERGEFORMAT "],
            "\u00abContactName\u00bb",
        )
        paragraph.add_run(",")
        data = docx_merge.merge_docx(_save(document), {}, {"ContactName": "Ann"})

        paragraph = _open(data).paragraphs[0]
        self.assertEqual(paragraph.text, "Dear Ann,")
        self.assertTrue(_run_with_text(paragraph, "Ann").bold)
        xml = _part_xml(data)
        for text in ("fldChar", "instrText", "MERGEFIELD", "\u00ab"):
            self.assertNotIn(text, xml)

    def test_complex_field_missing_value_and_switches(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_complex_field(
            paragraph, [' MERGEFIELD City \\* Upper \\b "in " '], "\u00abCity\u00bb"
        )
        paragraph.add_run("|")
        _add_complex_field(paragraph, [" MERGEFIELD Unknown "], "\u00abUnknown\u00bb")
        data = docx_merge.merge_docx(_save(document), {}, {"CITY": "Oslo"})
        self.assertEqual(_open(data).paragraphs[0].text, "in OSLO|")

    def test_other_fields_are_kept(self):
        document = Document()
        paragraph = document.add_paragraph("Page ")
        _add_complex_field(paragraph, [" PAGE "], "1", bold_result=False)
        data = docx_merge.merge_docx(_save(document), {}, {"PAGE": "x"})
        xml = _part_xml(data)
        self.assertIn("PAGE", xml)
        self.assertEqual(xml.count("<w:fldChar "), 3)

    def test_field_value_with_newline(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_simple_field(paragraph, "Address")
        data = docx_merge.merge_docx(
            _save(document), {}, {"Address": "Street 1\r\nOslo"}
        )
        paragraph = _open(data).paragraphs[0]
        self.assertEqual(paragraph.text, "Street 1\nOslo")
        self.assertEqual(len(paragraph._p.findall(".//" + qn("w:br"))), 1)

    # -- document structure ----------------------------------------------------

    def test_tables_headers_footers_and_text_boxes(self):
        document = Document()
        section = document.sections[0]
        section.different_first_page_header_footer = True
        document.settings.odd_and_even_pages_header_footer = True
        section.header.paragraphs[0].text = "Header {{ h }}"
        section.first_page_header.paragraphs[0].text = "First {{ h }}"
        section.even_page_header.paragraphs[0].text = "Even {{ h }}"
        _add_simple_field(section.footer.paragraphs[0], "Phone")
        section.first_page_footer.paragraphs[0].text = "First footer {{ f }}"

        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "Cell {{ c }}"
        _add_complex_field(
            table.cell(0, 1).paragraphs[0],
            [" MERGEFIELD Subject "],
            "\u00abSubject\u00bb",
        )
        nested = table.cell(0, 1).add_table(rows=1, cols=1)
        nested.cell(0, 0).text = "Nested {{ n }}"

        paragraph = document.add_paragraph("Box: ")
        paragraph._p.append(
            parse_xml(
                "<w:r %s><w:pict><v:shape><v:textbox><w:txbxContent>"
                "<w:p><w:r><w:t>In box {{ n }}</w:t></w:r></w:p>"
                "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
                % (nsdecls("w") + ' xmlns:v="urn:schemas-microsoft-com:vml"')
            )
        )
        # A second section with its own header.
        document.add_section()
        second = document.sections[1]
        second.header.is_linked_to_previous = False
        second.header.paragraphs[0].text = "Second {{ h }}"
        data = _save(document)

        found = docx_merge.find_placeholders(data)
        self.assertEqual(set(found["expressions"]), {"h", "f", "c", "n"})
        self.assertEqual(found["expressions"][:2], ["c", "n"])
        self.assertEqual(sorted(found["fields"]), ["Phone", "Subject"])

        merged = docx_merge.merge_docx(
            data,
            {"h": "H", "f": "F", "c": "C", "n": "N"},
            {"phone": "123", "SUBJECT": "Chairs"},
        )
        result = _open(merged)
        first, second = result.sections
        self.assertEqual(first.header.paragraphs[0].text, "Header H")
        self.assertEqual(first.first_page_header.paragraphs[0].text, "First H")
        self.assertEqual(first.even_page_header.paragraphs[0].text, "Even H")
        self.assertEqual(first.footer.paragraphs[0].text, "123")
        self.assertEqual(first.first_page_footer.paragraphs[0].text, "First footer F")
        self.assertEqual(second.header.paragraphs[0].text, "Second H")
        table = result.tables[0]
        self.assertEqual(table.cell(0, 0).text, "Cell C")
        self.assertEqual(table.cell(0, 1).paragraphs[0].text, "Chairs")
        self.assertEqual(table.cell(0, 1).tables[0].cell(0, 0).text, "Nested N")
        self.assertIn("In box N", _part_xml(merged))
        with zipfile.ZipFile(io.BytesIO(merged)) as zip_file:
            for name in zip_file.namelist():
                if name.endswith(".xml"):
                    xml = zip_file.read(name).decode("utf-8")
                    self.assertNotIn("{{", xml, name)
                    self.assertNotIn("MERGEFIELD", xml, name)

    def test_footnotes_and_endnotes(self):
        document = Document()
        document.add_paragraph("Body {{ a }}")
        data = _with_notes(
            _save(document),
            footnote="Footnote {{ a }} ",
            endnote="Endnote",
            endnote_field="SegmentNo",
        )
        found = docx_merge.find_placeholders(data)
        self.assertEqual(found, {"expressions": ["a"], "fields": ["SegmentNo"]})
        merged = docx_merge.merge_docx(data, {"a": "A"}, {"segmentno": "SM00001"})
        self.assertEqual(_open(merged).paragraphs[0].text, "Body A")
        footnotes = _part_xml(merged, "word/footnotes.xml")
        self.assertIn("Footnote A", footnotes)
        self.assertNotIn("{{", footnotes)
        endnotes = _part_xml(merged, "word/endnotes.xml")
        self.assertIn("SM00001", endnotes)
        self.assertNotIn("MERGEFIELD", endnotes)
        self.assertEqual(docx_merge.docx_to_html(merged), "<p>Body A</p>")

    def test_other_parts_are_preserved(self):
        document = Document()
        document.add_paragraph("{{ a }}")
        document.core_properties.title = "Kept title"
        data = _save(document)
        merged = docx_merge.merge_docx(data, {"a": "b"}, {})
        with (
            zipfile.ZipFile(io.BytesIO(data)) as source,
            zipfile.ZipFile(io.BytesIO(merged)) as target,
        ):
            self.assertEqual(source.namelist(), target.namelist())
            for name in source.namelist():
                if name != "word/document.xml":
                    self.assertEqual(source.read(name), target.read(name), name)
        self.assertEqual(_open(merged).core_properties.title, "Kept title")

    def test_template_is_reusable(self):
        document = Document()
        document.add_paragraph("{{ a }}")
        template = docx_merge.DocxTemplate(_save(document))
        first = _open(template.merge({"a": "one"}, {}))
        second = _open(template.merge({"a": "two"}, {}))
        self.assertEqual(first.paragraphs[0].text, "one")
        self.assertEqual(second.paragraphs[0].text, "two")

    # -- placeholders discovery and validation ---------------------------------

    def test_find_placeholders(self):
        document = Document()
        paragraph = document.add_paragraph()
        _add_runs(paragraph, "{{ object.name }} ", ("{{ seg", True), "ment.name }}")
        _add_simple_field(paragraph, "ContactName")
        paragraph = document.add_paragraph("{{object.name}}")
        _add_complex_field(
            paragraph, [" MERGEFIELD  ", '"Post Code"', " \\* MERGEFORMAT "], "x"
        )
        _add_complex_field(paragraph, [" MERGEFIELD contactname "], "x")
        _add_complex_field(paragraph, [" DATE "], "x")
        document.sections[0].header.paragraphs[0].text = "{{ user.name }}"

        found = docx_merge.find_placeholders(_save(document))
        self.assertEqual(
            found["expressions"], ["object.name", "segment.name", "user.name"]
        )
        self.assertEqual(found["fields"], ["ContactName", "Post Code"])

    def test_invalid_input(self):
        for data in (
            b"",
            b"not a word file",
            None,
            self._zip({"a.txt": b"x"}),
            self._zip({"word/document.xml": b"<broken"}),
        ):
            with self.subTest(data=data):
                self.assertFalse(docx_merge.is_docx(data))
                with self.assertRaises(docx_merge.DocxMergeError):
                    docx_merge.merge_docx(data, {}, {})
                with self.assertRaises(docx_merge.DocxMergeError):
                    docx_merge.find_placeholders(data)
        self.assertTrue(docx_merge.is_docx(_save(Document())))

    @staticmethod
    def _zip(files):
        stream = io.BytesIO()
        with zipfile.ZipFile(stream, "w") as zip_file:
            for name, content in files.items():
                zip_file.writestr(name, content)
        return stream.getvalue()

    # -- demo templates ----------------------------------------------------------

    def test_demo_templates(self):
        for lang in ("en", "nb"):
            with self.subTest(lang=lang):
                with file_open(
                    f"crm_campaign_segment/demo/bus_letter_{lang}.docx", "rb"
                ) as f:
                    data = f.read()
                self.assertTrue(docx_merge.is_docx(data))
                found = docx_merge.find_placeholders(data)
                self.assertEqual(
                    found["expressions"],
                    ["object.name", "segment.campaign_id.title", "object.email or ''"],
                )
                self.assertEqual(
                    set(found["fields"]),
                    {
                        "DocumentDate",
                        "ContactName",
                        "CompanyName",
                        "Address",
                        "PostCode",
                        "City",
                        "Country",
                        "Salutation",
                        "Subject",
                        "SegmentNo",
                        "CampaignNo",
                        "SalespersonName",
                    },
                )
                fields = {name: f"<{name}>" for name in found["fields"]}
                fields["Address"] = "Main Street 1\nBuilding B"
                expressions = {expr: f"[{expr}]" for expr in found["expressions"]}
                merged = docx_merge.merge_docx(data, expressions, fields)

                with zipfile.ZipFile(io.BytesIO(merged)) as zip_file:
                    for name in zip_file.namelist():
                        if name.endswith(".xml"):
                            xml = zip_file.read(name).decode("utf-8")
                            for text in ("{{", "MERGEFIELD", "\u00ab"):
                                self.assertNotIn(text, xml, name)
                result = _open(merged)
                body = "\n".join(p.text for p in result.paragraphs)
                self.assertIn("<ContactName>", body)
                self.assertIn("Main Street 1\nBuilding B", body)
                self.assertIn("[object.name]", body)
                self.assertIn("[segment.campaign_id.title]", body)
                self.assertTrue(
                    _run_with_text(
                        next(p for p in result.paragraphs if "[object.name]" in p.text),
                        "[object.name]",
                    ).bold
                )
                self.assertEqual(result.tables[0].cell(1, 1).text, "<SegmentNo>")
                self.assertIn(
                    "<DocumentDate>", result.sections[0].header.paragraphs[0].text
                )
                self.assertIn(
                    "[object.email or '']", result.sections[0].footer.paragraphs[0].text
                )


@tagged("post_install", "-at_install")
class TestWordToHtml(BaseCase):
    """A merged Word document becomes the HTML body of an e-mail."""

    def test_docx_to_html(self):
        document = Document()
        document.add_heading("Offer <valid> now", level=1)
        paragraph = document.add_paragraph("Tom & Jerry ")
        paragraph.add_run("bold").bold = True
        paragraph.add_run(" ")
        italic = paragraph.add_run("italic")
        italic.italic = True
        italic.add_break()
        paragraph.add_run("under").underline = True
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "Price"
        table.cell(0, 1).text = "< 100 €"
        table.cell(1, 1).add_table(rows=1, cols=1).cell(0, 0).text = "nested"
        document.sections[0].header.paragraphs[0].text = "Header text"
        document.sections[0].footer.paragraphs[0].text = "Footer text"
        html = docx_merge.docx_to_html(_save(document))
        self.assertIn("<h1>Offer &lt;valid&gt; now</h1>", html)
        self.assertIn(
            "<p>Tom &amp; Jerry <strong>bold</strong> <em>italic<br/></em>"
            "<u>under</u></p>",
            html,
        )
        self.assertIn("<table><tr><td><p>Price</p></td>", html)
        self.assertIn("<td><p>&lt; 100 €</p></td></tr>", html)
        self.assertIn("<table><tr><td><p>nested</p></td></tr></table>", html)
        self.assertEqual(html.count("<tr>"), 3)
        self.assertNotIn("Header text", html)
        self.assertNotIn("Footer text", html)
        self.assertNotIn("<valid>", html)
        with self.assertRaises(docx_merge.DocxMergeError):
            docx_merge.docx_to_html(b"not a word file")

    def test_merged_cells_to_html(self):
        document = Document()
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Wide"
        table.cell(0, 2).merge(table.cell(1, 2)).text = "Tall"
        table.cell(1, 0).text = "A"
        table.cell(1, 1).text = "B"
        self.assertEqual(
            docx_merge.docx_to_html(_save(document)),
            '<table><tr><td colspan="2"><p>Wide</p></td><td><p>Tall</p></td></tr>'
            "<tr><td><p>A</p></td><td><p>B</p></td><td></td></tr></table>",
        )

    def test_merged_document_to_html(self):
        document = Document()
        document.add_paragraph("Dear {{ object.name }},")
        merged = docx_merge.merge_docx(
            _save(document), {"object.name": "Ann <Admin>"}, {}
        )
        self.assertEqual(
            docx_merge.docx_to_html(merged), "<p>Dear Ann &lt;Admin&gt;,</p>"
        )


@tagged("post_install", "-at_install")
class TestWordZipBomb(BaseCase):
    def test_archive_unpacking_too_large_is_refused_unread(self):
        """A few hundred kilobytes that would unpack to 200 MiB: refused from
        the sizes the archive declares, before anything is inflated."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("word/document.xml", "w", force_zip64=True) as part:
                block = b"\0" * (1024 * 1024)
                for __ in range(200):
                    part.write(block)
        bomb = buffer.getvalue()
        self.assertLess(len(bomb), 2 * 1024 * 1024)
        self.assertFalse(docx_merge.is_docx(bomb))
        with self.assertRaisesRegex(docx_merge.DocxMergeError, "too large"):
            docx_merge.find_placeholders(bomb)
