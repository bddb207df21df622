# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Word (.docx) merge engine for letter templates.

Pure Python (``zipfile`` + ``lxml``), no Odoo import, so that it can be
tested on its own.  Two kinds of placeholders are supported:

* inline expressions ``{{ object.name }}`` typed in the text.  Word often
  splits such text over several runs (spelling marks, formatting changes,
  revision ids); the engine works on the concatenated text of each paragraph
  so the split does not matter.  The replacement takes the formatting of the
  run where the placeholder starts.
* Word mail-merge fields (``MERGEFIELD ContactName``), either simple
  (``w:fldSimple``) or complex (``w:fldChar`` begin / ``w:instrText`` /
  separate / result / end).  The whole field is replaced by a plain run
  carrying the value, formatted like the field result.

The main document, every header and footer (all sections, first-page and
even-page ones), footnotes and endnotes are merged; since every ``w:p`` of
these parts is visited, tables (nested too) and text boxes are covered.
Everything else in the package is copied unchanged.

Values containing newlines become line breaks (``w:br``), tabs become
``w:tab``.

Typical use::

    found = find_placeholders(data)
    # evaluate found["expressions"], compute found["fields"] ...
    result = merge_docx(data, {"object.name": "Ann"}, {"ContactName": "Ann"})

For many recipients, parse the template once with :class:`DocxTemplate`
and call :meth:`DocxTemplate.merge` for each of them.

:func:`docx_to_html` turns a (merged) document into simple HTML, e.g. to
use it as an e-mail body.
"""

import bisect
import copy
import html
import io
import re
import zipfile

from lxml import etree

__all__ = [
    "DocxMergeError",
    "DocxTemplate",
    "docx_to_html",
    "find_placeholders",
    "is_docx",
    "merge_docx",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _w(tag):
    return f"{{{W_NS}}}{tag}"


W_DOCUMENT = _w("document")
W_P = _w("p")
W_R = _w("r")
W_T = _w("t")
W_RPR = _w("rPr")
W_BR = _w("br")
W_TAB = _w("tab")
W_FLDSIMPLE = _w("fldSimple")
W_INSTR = _w("instr")
W_FLDCHAR = _w("fldChar")
W_FLDCHARTYPE = _w("fldCharType")
W_INSTRTEXT = _w("instrText")

# Containers whose runs are not part of the paragraph's visible text:
# nested paragraphs (text boxes are visited as paragraphs of their own),
# tracked deletions and the duplicate fallback of alternate content.
_SKIPPED_CONTAINERS = frozenset(
    {W_P, _w("del"), _w("moveFrom"), f"{{{MC_NS}}}Fallback"}
)
# Run children that neither carry text nor interrupt a placeholder.
_NEUTRAL_RUN_CHILDREN = frozenset({W_RPR, _w("lastRenderedPageBreak")})

# Content types (suffixes) of the parts that hold text to merge.
_MAIN_CT_SUFFIX = ".main+xml"
_OTHER_CT_SUFFIXES = (".header+xml", ".footer+xml", ".footnotes+xml", ".endnotes+xml")
_DEFAULT_MAIN_PART = "word/document.xml"

# Marks a position that a placeholder cannot span (tab, break, field
# character, drawing, ...).  It can not occur in XML text.
_BARRIER = "\x00"
_PLACEHOLDER_RE = re.compile(r"\{\{([^\x00]*?)\}\}")
_INVALID_XML_CHARS_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
)
_SPECIAL_CHARS_RE = re.compile(r"(\n|\t)")
_SMART_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u00ab": '"',  # « (Norwegian, French... autocorrect)
        "\u00bb": '"',  # »
        "\u00a0": " ",  # non-breaking space
    }
)
# Field instruction tokens: "quoted text", \switch or bare word.
_INSTR_TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\\[^\s"])|([^\s"]+)')


class DocxMergeError(Exception):
    """Raised when the given data is not a usable Word (.docx) document."""


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _parse_xml(blob):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(blob, parser)


def _natural_key(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _normalize_expression(text):
    """Key under which an inline expression is reported and looked up.

    Surrounding spaces are stripped, and the typographic quotes and
    non-breaking spaces Word's autocorrect puts in typed text are turned
    back into plain ones, so that the expression can be evaluated.
    """
    return text.translate(_SMART_QUOTES).strip()


def _to_text(value):
    if value is None or value is False:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif not isinstance(value, str):
        value = str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _INVALID_XML_CHARS_RE.sub("", value)


def _set_text(t_element, text):
    t_element.text = text
    t_element.set(XML_SPACE, "preserve")


def _new_text_element(text):
    t_element = etree.Element(W_T)
    _set_text(t_element, text)
    return t_element


def _value_elements(text):
    """Run content (w:t, w:br, w:tab) for a value that may hold \\n and \\t."""
    elements = []
    for piece in _SPECIAL_CHARS_RE.split(text):
        if piece == "\n":
            elements.append(etree.Element(W_BR))
        elif piece == "\t":
            elements.append(etree.Element(W_TAB))
        elif piece:
            elements.append(_new_text_element(piece))
    return elements


def _expand_specials(t_element):
    """Split a w:t whose text holds \\n or \\t into w:t / w:br / w:tab."""
    text = t_element.text or ""
    if "\n" not in text and "\t" not in text:
        return
    elements = _value_elements(text)
    previous = t_element
    for element in elements:
        previous.addnext(element)
        previous = element
    t_element.getparent().remove(t_element)


def _is_empty_run(run):
    return all(child.tag == W_RPR for child in run)


def _iter_runs(element):
    """Yield the runs of a paragraph in document order.

    Runs inside hyperlinks, simple fields, content controls, insertions...
    are included; runs of nested paragraphs (text boxes) and deleted text
    are not.  Runs are not descended into.
    """
    for child in element:
        tag = child.tag
        if tag == W_R:
            yield child
        elif isinstance(tag, str) and tag not in _SKIPPED_CONTAINERS:
            yield from _iter_runs(child)


def _iter_simple_fields(element):
    """Yield the w:fldSimple elements of a paragraph (outermost only)."""
    for child in element:
        tag = child.tag
        if tag == W_FLDSIMPLE:
            yield child
        elif isinstance(tag, str) and tag != W_R and tag not in _SKIPPED_CONTAINERS:
            yield from _iter_simple_fields(child)


# ---------------------------------------------------------------------------
# Inline {{ expression }} placeholders
# ---------------------------------------------------------------------------


class _ParagraphText:
    """Concatenated w:t text of a paragraph, mapped back to its elements."""

    __slots__ = ("elements", "starts", "text")

    def __init__(self, paragraph):
        pieces = []
        self.starts = []
        self.elements = []
        position = 0
        for run in _iter_runs(paragraph):
            for child in run:
                tag = child.tag
                if tag == W_T:
                    text = child.text or ""
                    if not text:
                        continue
                    element = child
                elif tag in _NEUTRAL_RUN_CHILDREN:
                    continue
                else:
                    text, element = _BARRIER, None
                pieces.append(text)
                self.starts.append(position)
                self.elements.append(element)
                position += len(text)
        self.text = "".join(pieces)

    def locate(self, position):
        """Return (segment index, offset in segment) of a text position."""
        index = bisect.bisect_right(self.starts, position) - 1
        return index, position - self.starts[index]


def _paragraph_expressions(paragraph):
    text = _ParagraphText(paragraph)
    if "{{" not in text.text:
        return []
    return [
        _normalize_expression(m.group(1)) for m in _PLACEHOLDER_RE.finditer(text.text)
    ]


def _replace_expressions(paragraph, expressions):
    text = _ParagraphText(paragraph)
    if "{{" not in text.text:
        return
    matches = list(_PLACEHOLDER_RE.finditer(text.text))
    if not matches:
        return
    emptied = []
    to_expand = []
    # Work from the end so that offsets of earlier matches stay valid.
    for match in reversed(matches):
        raw = match.group(1)
        key = _normalize_expression(raw)
        value = expressions.get(key)
        if value is None and raw.strip() != key:
            value = expressions.get(raw.strip())
        value = _to_text(value)
        first, first_offset = text.locate(match.start())
        last, last_offset = text.locate(match.end() - 1)
        last_offset += 1
        first_element = text.elements[first]
        current = first_element.text or ""
        if first == last:
            _set_text(
                first_element, current[:first_offset] + value + current[last_offset:]
            )
        else:
            _set_text(first_element, current[:first_offset] + value)
            for index in range(first + 1, last):
                _set_text(text.elements[index], "")
                emptied.append(text.elements[index])
            last_element = text.elements[last]
            _set_text(last_element, (last_element.text or "")[last_offset:])
            emptied.append(last_element)
        emptied.append(first_element)
        if "\n" in value or "\t" in value:
            to_expand.append(first_element)
    for t_element in set(to_expand):
        if t_element.getparent() is not None:
            _expand_specials(t_element)
    for t_element in emptied:
        run = t_element.getparent()
        if run is None or t_element.text:
            continue
        run.remove(t_element)
        if _is_empty_run(run) and run.getparent() is not None:
            run.getparent().remove(run)


# ---------------------------------------------------------------------------
# Word MERGEFIELDs
# ---------------------------------------------------------------------------


class _MergeField:
    """A parsed MERGEFIELD instruction."""

    __slots__ = ("after", "before", "name", "text_format")

    def __init__(self, name, text_format=None, before="", after=""):
        self.name = name
        self.text_format = text_format
        self.before = before
        self.after = after

    @classmethod
    def parse(cls, instruction):
        """Return a _MergeField, or None when not a MERGEFIELD instruction."""
        tokens = []
        for quoted, switch, word in _INSTR_TOKEN_RE.findall(instruction or ""):
            if switch:
                tokens.append(("switch", switch[1:].lower()))
            elif word:
                tokens.append(("word", word))
            else:
                tokens.append(("text", re.sub(r"\\(.)", r"\1", quoted)))
        if len(tokens) < 2 or tokens[0][0] != "word" or tokens[1][0] == "switch":
            return None
        if tokens[0][1].upper() != "MERGEFIELD":
            return None
        field = cls(tokens[1][1].strip())
        if not field.name:
            return None
        rest = tokens[2:]
        for index, (kind, value) in enumerate(rest):
            if (
                kind != "switch"
                or index + 1 >= len(rest)
                or rest[index + 1][0] == "switch"
            ):
                continue
            argument = rest[index + 1][1]
            if value == "*":
                field.text_format = argument.lower()
            elif value == "b":
                field.before = argument
            elif value == "f":
                field.after = argument
        return field

    def render(self, value):
        text = _to_text(value)
        if not text:
            return ""
        if self.text_format == "upper":
            text = text.upper()
        elif self.text_format == "lower":
            text = text.lower()
        elif self.text_format == "firstcap":
            text = text[:1].upper() + text[1:]
        elif self.text_format == "caps":
            text = re.sub(
                r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), text
            )
        return _to_text(self.before) + text + _to_text(self.after)


class _ComplexField:
    """A w:fldChar begin ... end field found in one paragraph."""

    __slots__ = (
        "begin",
        "begin_char",
        "end",
        "end_char",
        "instr",
        "replaceable",
        "result_run",
        "separated",
    )

    def __init__(self, begin, begin_char, replaceable):
        self.begin = begin  # index of the run in the paragraph's run list
        self.begin_char = begin_char
        self.end = None
        self.end_char = None
        self.instr = []
        self.separated = False
        self.result_run = None
        # Not nested in the instruction of an enclosing field.
        self.replaceable = replaceable


def _complex_fields(runs):
    """Complete complex fields of a paragraph, in order of their end."""
    stack = []
    fields = []
    for index, run in enumerate(runs):
        for child in run:
            tag = child.tag
            if tag == W_FLDCHAR:
                kind = child.get(W_FLDCHARTYPE)
                if kind == "begin":
                    replaceable = all(field.separated for field in stack)
                    stack.append(_ComplexField(index, child, replaceable))
                elif kind == "separate" and stack:
                    stack[-1].separated = True
                elif kind == "end" and stack:
                    field = stack.pop()
                    field.end = index
                    field.end_char = child
                    fields.append(field)
            elif stack:
                field = stack[-1]
                if tag == W_INSTRTEXT and not field.separated:
                    field.instr.append(child.text or "")
                elif tag == W_T and field.separated and field.result_run is None:
                    field.result_run = run
    return fields


def _paragraph_field_names(paragraph):
    names = []
    for simple in _iter_simple_fields(paragraph):
        field = _MergeField.parse(simple.get(W_INSTR))
        if field:
            names.append(field.name)
    for complex_field in _complex_fields(list(_iter_runs(paragraph))):
        field = _MergeField.parse("".join(complex_field.instr))
        if field:
            names.append(field.name)
    return names


def _field_value(field, fields):
    return field.render(fields.get(field.name.lower()))


def _new_run(run_properties, value):
    run = etree.Element(W_R)
    if run_properties is not None:
        run.append(copy.deepcopy(run_properties))
    for element in _value_elements(value):
        run.append(element)
    return run


def _replace_simple_fields(paragraph, fields):
    for simple in list(_iter_simple_fields(paragraph)):
        field = _MergeField.parse(simple.get(W_INSTR))
        if field is None:
            continue
        first_run = next(_iter_runs(simple), None)
        run_properties = first_run.find(W_RPR) if first_run is not None else None
        simple.getparent().replace(
            simple, _new_run(run_properties, _field_value(field, fields))
        )


def _replace_complex_fields(paragraph, fields):
    runs = list(_iter_runs(paragraph))
    if not runs:
        return
    candidates = []
    for complex_field in _complex_fields(runs):
        if not complex_field.replaceable:
            continue
        field = _MergeField.parse("".join(complex_field.instr))
        if field is not None:
            candidates.append((complex_field, field))
    if not candidates:
        return
    # Drop fields nested in another replaced one (their runs go anyway).
    candidates.sort(key=lambda item: item[0].begin)
    selected = []
    for complex_field, field in candidates:
        if selected and complex_field.begin <= selected[-1][0].end:
            continue
        selected.append((complex_field, field))
    for complex_field, field in reversed(selected):
        _replace_complex_field(runs, complex_field, _field_value(field, fields))


def _replace_complex_field(runs, complex_field, value):
    begin_run = runs[complex_field.begin]
    end_run = runs[complex_field.end]
    format_run = (
        complex_field.result_run if complex_field.result_run is not None else begin_run
    )
    run_properties = format_run.find(W_RPR)
    if begin_run is end_run:
        # Whole field inside one run: swap its children for the value.
        children = list(begin_run)
        start = children.index(complex_field.begin_char)
        stop = children.index(complex_field.end_char)
        anchor = children[start]
        for element in _value_elements(value):
            anchor.addprevious(element)
        for child in children[start : stop + 1]:
            begin_run.remove(child)
        if _is_empty_run(begin_run):
            begin_run.getparent().remove(begin_run)
        return
    begin_run.addnext(_new_run(run_properties, value))
    for run in runs[complex_field.begin : complex_field.end + 1]:
        children = list(run)
        if run is begin_run:
            removed = children[children.index(complex_field.begin_char) :]
        elif run is end_run:
            removed = children[: children.index(complex_field.end_char) + 1]
        else:
            removed = children
        for child in removed:
            if child.tag != W_RPR:
                run.remove(child)
        if _is_empty_run(run) and run.getparent() is not None:
            run.getparent().remove(run)


# ---------------------------------------------------------------------------
# Package handling
# ---------------------------------------------------------------------------


def _text_part_names(zip_file):
    """Names of the parts to merge: main document first, then the others."""
    names = set(zip_file.namelist())
    main = None
    others = []
    if "[Content_Types].xml" in names:
        content_types = _parse_xml(zip_file.read("[Content_Types].xml"))
        for override in content_types.iter(f"{{{CT_NS}}}Override"):
            name = (override.get("PartName") or "").lstrip("/")
            content_type = override.get("ContentType") or ""
            if "wordprocessingml" not in content_type and "ms-word" not in content_type:
                continue
            if content_type.endswith(_MAIN_CT_SUFFIX):
                main = main or name
            elif content_type.endswith(_OTHER_CT_SUFFIXES):
                others.append(name)
    if main not in names:
        main = _DEFAULT_MAIN_PART if _DEFAULT_MAIN_PART in names else None
    if main is None:
        raise DocxMergeError(
            "The file is not a Word document: it has no main document part."
        )
    others = sorted(
        {name for name in others if name in names and name != main}, key=_natural_key
    )
    return [main] + others


def _clone_zip_info(info, compress_type=None):
    clone = zipfile.ZipInfo(info.filename, info.date_time)
    clone.external_attr = info.external_attr
    if compress_type is None:
        compress_type = info.compress_type
    if compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        compress_type = zipfile.ZIP_DEFLATED
    clone.compress_type = compress_type
    return clone


class DocxTemplate:
    """A parsed Word template, merged any number of times.

    Parsing happens once in the constructor; each :meth:`merge` works on a
    copy of the parsed parts, so the template itself is never modified.
    """

    def __init__(self, data):
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes) or not data:
            raise DocxMergeError("No Word document was given.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zip_file:
                part_names = _text_part_names(zip_file)
                self._entries = [
                    (info, zip_file.read(info)) for info in zip_file.infolist()
                ]
        except DocxMergeError:
            raise
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            etree.XMLSyntaxError,
            EOFError,
            OSError,
            ValueError,
            KeyError,
            NotImplementedError,
        ) as error:
            raise DocxMergeError(
                f"The file is not a valid Word document (.docx): {error}"
            ) from error
        self._parts = {}
        blobs = {info.filename: blob for info, blob in self._entries}
        for name in part_names:
            try:
                self._parts[name] = _parse_xml(blobs[name])
            except (etree.XMLSyntaxError, ValueError) as error:
                raise DocxMergeError(
                    f"The Word document is damaged: part {name} can not be read "
                    f"({error})."
                ) from error
        self._main_part = part_names[0]
        if self._parts[self._main_part].tag != W_DOCUMENT:
            raise DocxMergeError(
                "The file is not a Word document: its main part is not a document."
            )

    def _ordered_parts(self):
        return [self._parts[self._main_part]] + [
            root for name, root in self._parts.items() if name != self._main_part
        ]

    def placeholders(self):
        """See :func:`find_placeholders`."""
        expressions = {}
        fields = {}
        for root in self._ordered_parts():
            for paragraph in root.iter(W_P):
                for expression in _paragraph_expressions(paragraph):
                    if expression:
                        expressions.setdefault(expression, None)
                for name in _paragraph_field_names(paragraph):
                    fields.setdefault(name.lower(), name)
        return {"expressions": list(expressions), "fields": list(fields.values())}

    def merge(self, expressions=None, fields=None):
        """See :func:`merge_docx`."""
        expressions = dict(expressions or {})
        fields = {str(name).lower(): value for name, value in (fields or {}).items()}
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zip_file:
            for info, blob in self._entries:
                root = self._parts.get(info.filename)
                if root is None:
                    zip_file.writestr(_clone_zip_info(info), blob)
                    continue
                root = copy.deepcopy(root)
                _merge_part(root, expressions, fields)
                blob = etree.tostring(
                    root, xml_declaration=True, encoding="UTF-8", standalone=True
                )
                zip_file.writestr(_clone_zip_info(info, zipfile.ZIP_DEFLATED), blob)
        return output.getvalue()


def _merge_part(root, expressions, fields):
    for paragraph in list(root.iter(W_P)):
        # Inline expressions first: values put in the text are never
        # mistaken for placeholders, and fields are structural anyway.
        _replace_expressions(paragraph, expressions)
        _replace_simple_fields(paragraph, fields)
        _replace_complex_fields(paragraph, fields)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def is_docx(data):
    """Tell whether ``data`` (bytes) is a readable Word (.docx) document."""
    try:
        DocxTemplate(data)
    except DocxMergeError:
        return False
    return True


def find_placeholders(data):
    """List the placeholders of a Word document.

    :param bytes data: the .docx file content
    :return: ``{"expressions": [...], "fields": [...]}``: the unique inner
        texts of the ``{{ ... }}`` placeholders (stripped, typographic quotes
        made plain) and the unique MERGEFIELD names (first spelling kept,
        compared without case), each in order of appearance, main document
        first, then headers, footers, footnotes and endnotes.
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

W_BODY = _w("body")
W_TBL = _w("tbl")
W_TR = _w("tr")
W_TC = _w("tc")
W_SDT = _w("sdt")
W_SDT_CONTENT = _w("sdtContent")
W_CUSTOM_XML = _w("customXml")
W_VAL = _w("val")
# Paragraph styles rendered as HTML headings (style ids, compared lowercased).
_HEADING_STYLES = {"heading1": "h1", "heading2": "h2", "heading3": "h3"}
_OFF_VALUES = frozenset({"0", "false", "off", "none"})


def _toggle_on(run_properties, tag):
    """Whether a run property such as w:b is set (and not switched off)."""
    if run_properties is None:
        return False
    element = run_properties.find(_w(tag))
    if element is None:
        return False
    return (element.get(W_VAL) or "true").lower() not in _OFF_VALUES


def _run_html(run):
    parts = []
    for child in run:
        tag = child.tag
        if tag == W_T:
            parts.append(html.escape(child.text or ""))
        elif tag in (W_BR, _w("cr")):
            parts.append("<br/>")
        elif tag == W_TAB:
            parts.append("\t")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
    text = "".join(parts)
    if not text:
        return ""
    run_properties = run.find(W_RPR)
    for tag, html_tag in (("u", "u"), ("i", "em"), ("b", "strong")):
        if _toggle_on(run_properties, tag):
            text = f"<{html_tag}>{text}</{html_tag}>"
    return text


def _paragraph_html(paragraph):
    html_tag = "p"
    style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
    if style is not None:
        html_tag = _HEADING_STYLES.get((style.get(W_VAL) or "").lower(), "p")
    content = "".join(_run_html(run) for run in _iter_runs(paragraph))
    return f"<{html_tag}>{content or '<br/>'}</{html_tag}>"


def _iter_block_children(element, tags):
    """Children of ``element`` with one of ``tags``, through content controls."""
    for child in element:
        if child.tag in tags:
            yield child
        elif child.tag in (W_SDT, W_SDT_CONTENT, W_CUSTOM_XML):
            yield from _iter_block_children(child, tags)


def _blocks_html(container):
    """HTML of the paragraphs and tables of a body or table cell."""
    parts = []
    for block in _iter_block_children(container, (W_P, W_TBL)):
        if block.tag == W_P:
            parts.append(_paragraph_html(block))
        else:
            parts.append(_table_html(block))
    return "".join(parts)


def _table_html(table):
    rows = []
    for row in _iter_block_children(table, (W_TR,)):
        cells = []
        for cell in _iter_block_children(row, (W_TC,)):
            span = cell.find(f"{_w('tcPr')}/{_w('gridSpan')}")
            colspan = span.get(W_VAL) if span is not None else None
            attribute = (
                f' colspan="{int(colspan)}"'
                if colspan and colspan.isdigit() and int(colspan) > 1
                else ""
            )
            cells.append(f"<td{attribute}>{_blocks_html(cell)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table>{''.join(rows)}</table>"


def docx_to_html(data):
    """Simple HTML of the main text of a Word document, e.g. for an e-mail body.

    Paragraphs become ``<p>`` (styles Heading1 to Heading3 become ``<h1>`` to
    ``<h3>``), bold, italic and underlined runs ``<strong>``, ``<em>`` and
    ``<u>``, line breaks ``<br/>``, tables ``<table>`` with their rows and
    cells (nested tables too).  All text is HTML-escaped.  Headers, footers,
    footnotes, text boxes, images and deleted text are left out.

    :param bytes data: the .docx file content
    :return: the HTML text (str)
    :raise DocxMergeError: if ``data`` is not a valid .docx file
    """
    template = DocxTemplate(data)
    root = template._parts[template._main_part]
    body = root.find(W_BODY)
    if body is None:
        return ""
    return _blocks_html(body)
