# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Word (.docx) merge engine for letter templates, built on python-docx.

No Odoo import, so that it can be tested on its own.  A template is opened
with python-docx (:func:`docx.Document`), its stories are walked through
python-docx's document model and the merged copy is saved by python-docx.
Two kinds of placeholders are supported:

* inline expressions ``{{ object.name }}`` typed in the text.  Word often
  splits such text over several runs (spelling marks, formatting changes,
  revision ids); the engine works on the concatenated text of each paragraph
  so the split does not matter.  The replacement takes the formatting of the
  run where the placeholder starts.
* Word mail-merge fields (``MERGEFIELD ContactName``), either simple
  (``w:fldSimple``) or complex (``w:fldChar`` begin / ``w:instrText`` /
  separate / result / end).  The whole field is replaced by a plain run
  carrying the value, formatted like the field result.

The stories merged are the document body, the headers and footers of every
section (default, first-page and even-page ones) and the footnotes and
endnotes.  Every paragraph of a story is visited, so tables (nested too),
content controls and text boxes are covered.  Values containing newlines
become line breaks (``w:br``), tabs become ``w:tab``, as python-docx's
``Run.text`` does.

Typical use::

    found = find_placeholders(data)
    # evaluate found["expressions"], compute found["fields"] ...
    result = merge_docx(data, {"object.name": "Ann"}, {"ContactName": "Ann"})

For many recipients, parse the template once with :class:`DocxTemplate`
and call :meth:`DocxTemplate.merge` for each of them.

:func:`docx_to_html` turns a (merged) document into simple HTML through
python-docx's document model, e.g. to use it as an e-mail body.

The placeholders of one paragraph are found and replaced by
:mod:`.docx_paragraph`.
"""

import copy
import html
import io
import threading
import zipfile

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import Unmarshaller
from docx.opc.part import Part, PartFactory, XmlPart
from docx.opc.pkgreader import PackageReader
from docx.package import Package
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from .docx_paragraph import (
    W_P,
    iter_runs,
    merge_paragraph,
    paragraph_expressions,
    paragraph_field_names,
)

__all__ = [
    "DocxMergeError",
    "DocxTemplate",
    "docx_to_html",
    "find_placeholders",
    "is_docx",
    "merge_docx",
]

# Parts python-docx loads with its own part classes: the stories merged.
# Every other part stays as it was read (a plain python-docx ``Part``):
# never parsed, saved byte for byte.
_STORY_CONTENT_TYPES = frozenset({CT.WML_DOCUMENT_MAIN, CT.WML_HEADER, CT.WML_FOOTER})
# python-docx has no part class of its own for footnotes and endnotes: they
# are loaded as generic XML parts, whose element tree is merged and
# serialized again on save.
_NOTE_CONTENT_TYPES = frozenset({CT.WML_FOOTNOTES, CT.WML_ENDNOTES})

# Relationships of the main document to the note stories.
_NOTE_RELATIONSHIPS = (RT.FOOTNOTES, RT.ENDNOTES)
# What python-docx and the zip and XML layers raise on a file that is not a
# readable Word document.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    etree.LxmlError,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    NotImplementedError,
)


class DocxMergeError(Exception):
    """Raised when the given data is not a usable Word (.docx) document."""


# A Word document is a zip archive: what it unpacks to is bounded before it is
# read (a zip bomb of a few kilobytes would otherwise fill the memory).
MAX_UNPACKED_SIZE = 100 * 1024 * 1024
MAX_PARTS = 5000


def _check_unpacked_size(data):
    """Refuse archives that unpack to more than ``MAX_UNPACKED_SIZE`` bytes
    or hold more than ``MAX_PARTS`` files (Python's zip reader never
    inflates a member past the size its header declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except _READ_ERRORS as error:
        raise DocxMergeError("The file is not a Word (.docx) document.") from error
    if len(members) > MAX_PARTS or (
        sum(member.file_size for member in members) > MAX_UNPACKED_SIZE
    ):
        raise DocxMergeError("The Word document is too large once unpacked.")


# ---------------------------------------------------------------------------
# Opening and walking a document with python-docx
# ---------------------------------------------------------------------------


def _open_document(data):
    """The python-docx :class:`~docx.document.Document` of ``data`` (bytes).

    Opened like :func:`docx.Document` does, except that only the stories
    (body, headers, footers, notes) are parsed.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes) or not data:
        raise DocxMergeError("No Word document was given.")
    _check_unpacked_size(data)

    def part_factory(partname, content_type, reltype, blob, package):
        if content_type in _STORY_CONTENT_TYPES or reltype == RT.IMAGE:
            return PartFactory(partname, content_type, reltype, blob, package)
        if content_type in _NOTE_CONTENT_TYPES:
            return XmlPart.load(partname, content_type, blob, package)
        return Part(partname, content_type, blob, package)

    try:
        package = Package()
        Unmarshaller.unmarshal(
            PackageReader.from_file(io.BytesIO(data)), package, part_factory
        )
        document_part = package.main_document_part
    except _READ_ERRORS as error:
        raise DocxMergeError(
            f"The file is not a valid Word document (.docx): {error}"
        ) from error
    if document_part.content_type != CT.WML_DOCUMENT_MAIN:
        raise DocxMergeError(
            "The file is not a Word document: its main part is "
            f"{document_part.content_type}."
        )
    return document_part.document


def _story_parts(document):
    """The parts whose text is merged: body, headers and footers, notes.

    The main document part comes first, then the header and footer parts of
    each section in order (default, first-page, even-page), then the
    footnotes and endnotes.  A part shared by several sections comes once.
    """
    parts = [document.part]
    for section in document.sections:
        for header_footer in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            # A linked header or footer has no part of its own; asking for
            # its part would add one.
            if not header_footer.is_linked_to_previous:
                parts.append(header_footer.part)
    for rel in document.part.rels.values():
        if rel.reltype in _NOTE_RELATIONSHIPS and not rel.is_external:
            parts.append(rel.target_part)
    unique = []
    for part in parts:
        if isinstance(part, XmlPart) and all(part is not seen for seen in unique):
            unique.append(part)
    return unique


# ---------------------------------------------------------------------------
# Prepared template
# ---------------------------------------------------------------------------


class DocxTemplate:
    """A Word template parsed once, merged any number of times.

    The constructor opens the document with python-docx, finds its stories
    and remembers which of their paragraphs hold placeholders.  Each
    :meth:`merge` fills a copy of those stories, saves the document with
    python-docx and puts the template's own stories back, so the template
    is never modified.  Merges of one template are serialized by a lock.
    """

    def __init__(self, data):
        self._document = _open_document(data)
        self._lock = threading.Lock()
        self._stories = []  # (part, indexes of the paragraphs to merge)
        expressions = {}
        fields = {}
        for part in _story_parts(self._document):
            indexes = []
            for index, paragraph in enumerate(part.element.iter(W_P)):
                found = False
                for expression in paragraph_expressions(paragraph):
                    found = True
                    if expression:
                        expressions.setdefault(expression, None)
                for name in paragraph_field_names(paragraph):
                    found = True
                    fields.setdefault(name.lower(), name)
                if found:
                    indexes.append(index)
            if indexes:
                self._stories.append((part, indexes))
        self._placeholders = {
            "expressions": list(expressions),
            "fields": list(fields.values()),
        }

    def placeholders(self):
        """See :func:`find_placeholders`."""
        return {key: list(values) for key, values in self._placeholders.items()}

    def merge(self, expressions=None, fields=None):
        """See :func:`merge_docx`."""
        expressions = dict(expressions or {})
        fields = {str(name).lower(): value for name, value in (fields or {}).items()}
        output = io.BytesIO()
        with self._lock:
            originals = [(part, part.element) for part, __ in self._stories]
            try:
                for part, indexes in self._stories:
                    # XmlPart keeps its root in ``_element``, which its
                    # ``blob`` serializes on save.
                    merged = copy.deepcopy(part.element)
                    paragraphs = list(merged.iter(W_P))
                    for index in indexes:
                        merge_paragraph(paragraphs[index], expressions, fields)
                    part._element = merged
                self._document.save(output)
            finally:
                for part, element in originals:
                    part._element = element
        return output.getvalue()


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def is_docx(data):
    """Tell whether ``data`` (bytes) is a readable Word (.docx) document."""
    try:
        _open_document(data)
    except DocxMergeError:
        return False
    return True


def find_placeholders(data):
    """List the placeholders of a Word document.

    :param bytes data: the .docx file content
    :return: ``{"expressions": [...], "fields": [...]}``: the unique inner
        texts of the ``{{ ... }}`` placeholders (stripped, typographic quotes
        made plain) and the unique MERGEFIELD names (first spelling kept,
        compared without case), each in order of appearance, body first,
        then headers and footers section by section, footnotes and endnotes.
    :raise DocxMergeError: if ``data`` is not a valid .docx file
    """
    return DocxTemplate(data).placeholders()


def merge_docx(data, expressions, fields):
    """Return a copy of a Word document with its placeholders filled in.

    :param bytes data: the .docx template content
    :param dict expressions: value of each ``{{ expression }}`` keyed by the
        expression as returned by :func:`find_placeholders`; missing ones
        become empty
    :param dict fields: value of each MERGEFIELD keyed by field name
        (compared without case); missing ones become empty
    :return: the merged .docx file content (bytes)
    :raise DocxMergeError: if ``data`` is not a valid .docx file
    """
    return DocxTemplate(data).merge(expressions, fields)


# ---------------------------------------------------------------------------
# HTML conversion
# ---------------------------------------------------------------------------

# Paragraph styles rendered as HTML headings, by style id (compared
# lowercased): reading the style names would mean parsing the styles part.
_HEADING_STYLES = {"heading1": "h1", "heading2": "h2", "heading3": "h3"}


def _run_html(run):
    text = html.escape(run.text).replace("\n", "<br/>")
    if not text:
        return ""
    for on, tag in ((run.underline, "u"), (run.italic, "em"), (run.bold, "strong")):
        if on:
            text = f"<{tag}>{text}</{tag}>"
    return text


def _paragraph_html(paragraph):
    p = paragraph._element
    tag = _HEADING_STYLES.get((p.style or "").lower(), "p")
    content = "".join(_run_html(Run(r, paragraph)) for r in iter_runs(p))
    return f"<{tag}>{content or '<br/>'}</{tag}>"


def _table_html(table):
    rows = []
    seen = set()
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            element = cell._element
            if element is previous:
                continue  # the next grid columns of a horizontally merged cell
            previous = element
            # A vertically merged cell comes again in the rows below.
            content = "" if element in seen else _blocks_html(cell)
            seen.add(element)
            span = f' colspan="{cell.grid_span}"' if cell.grid_span > 1 else ""
            cells.append(f"<td{span}>{content}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table>{''.join(rows)}</table>"


def _blocks_html(container):
    """HTML of the paragraphs and tables of a body or table cell."""
    return "".join(
        _paragraph_html(block) if isinstance(block, Paragraph) else _table_html(block)
        for block in container.iter_inner_content()
        if isinstance(block, (Paragraph, Table))
    )


def docx_to_html(data):
    """Simple HTML of the main text of a Word document, e.g. for an e-mail body.

    The document is read with python-docx: paragraphs become ``<p>`` (styles
    Heading 1 to Heading 3 become ``<h1>`` to ``<h3>``), bold, italic and
    underlined runs ``<strong>``, ``<em>`` and ``<u>``, line breaks
    ``<br/>``, tables ``<table>`` with their rows and cells (nested tables
    too).  All text is HTML-escaped.  Headers, footers, footnotes, text
    boxes, images and deleted text are left out.

    :param bytes data: the .docx file content
    :return: the HTML text (str)
    :raise DocxMergeError: if ``data`` is not a valid .docx file
    """
    return _blocks_html(_open_document(data))
