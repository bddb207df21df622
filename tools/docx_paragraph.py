# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Placeholders of one Word paragraph: inline ``{{ expressions }}`` and MERGEFIELDs.

Works on the python-docx (lxml) elements of a paragraph, whichever story it
belongs to; :mod:`.docx_merge` opens, walks and saves the document.
"""

import bisect
import copy
import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

__all__ = [
    "W_P",
    "iter_runs",
    "merge_paragraph",
    "paragraph_expressions",
    "paragraph_field_names",
]

W_P = qn("w:p")
W_R = qn("w:r")
W_T = qn("w:t")
W_RPR = qn("w:rPr")
W_BR = qn("w:br")
W_TAB = qn("w:tab")
W_FLDSIMPLE = qn("w:fldSimple")
W_INSTR = qn("w:instr")
W_FLDCHAR = qn("w:fldChar")
W_FLDCHARTYPE = qn("w:fldCharType")
W_INSTRTEXT = qn("w:instrText")
XML_SPACE = qn("xml:space")

# Containers whose runs are not part of the paragraph's visible text:
# nested paragraphs (text boxes are visited as paragraphs of their own),
# tracked deletions and the duplicate fallback of alternate content.
_SKIPPED_CONTAINERS = frozenset(
    {
        W_P,
        qn("w:del"),
        qn("w:moveFrom"),
        "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
    }
)
# Run children that neither carry text nor interrupt a placeholder.
_NEUTRAL_RUN_CHILDREN = frozenset({W_RPR, qn("w:lastRenderedPageBreak")})

# Marks a position that a placeholder cannot span (tab, break, field
# character, drawing, ...).  It can not occur in XML text.
_BARRIER = "\x00"
_PLACEHOLDER_RE = re.compile(r"\{\{([^\x00]*?)\}\}")
_INVALID_XML_CHARS_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
)
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
_SPECIAL_CHARS_RE = re.compile(r"(\n|\t)")
_INSTR_TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\\[^\s"])|([^\s"]+)')

# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


def iter_runs(element):
    """Yield the runs of a paragraph in document order.

    Runs inside hyperlinks, simple fields, content controls, insertions...
    are included (python-docx's ``Paragraph.runs`` has only the direct
    ones); runs of nested paragraphs (text boxes) and deleted text are not.
    """
    for child in element:
        tag = child.tag
        if tag == W_R:
            yield child
        elif isinstance(tag, str) and tag not in _SKIPPED_CONTAINERS:
            yield from iter_runs(child)


def _iter_simple_fields(element):
    """Yield the w:fldSimple elements of a paragraph (outermost only)."""
    for child in element:
        tag = child.tag
        if tag == W_FLDSIMPLE:
            yield child
        elif isinstance(tag, str) and tag != W_R and tag not in _SKIPPED_CONTAINERS:
            yield from _iter_simple_fields(child)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


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


def _new_run(run_properties, value):
    """A python-docx run (``CT_R``) with a copy of ``run_properties`` holding
    ``value``: ``\\n`` becomes ``w:br`` and ``\\t`` becomes ``w:tab``, as
    python-docx's ``Run.text`` does (which goes character by character)."""
    r = OxmlElement("w:r")
    if run_properties is not None:
        r.append(copy.deepcopy(run_properties))
    for piece in _SPECIAL_CHARS_RE.split(value):
        if piece == "\n":
            r.add_br()
        elif piece == "\t":
            r.add_tab()
        elif piece:
            r.add_t(piece)
    return r


def _expand_specials(t_element):
    """Split a w:t whose text holds \\n or \\t into w:t / w:br / w:tab."""
    text = t_element.text or ""
    if "\n" not in text and "\t" not in text:
        return
    for element in list(_new_run(None, text)):
        t_element.addprevious(element)
    t_element.getparent().remove(t_element)


def _is_empty_run(run):
    return all(child.tag == W_RPR for child in run)


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
        for run in iter_runs(paragraph):
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


def paragraph_expressions(paragraph):
    text = _ParagraphText(paragraph).text
    if "{{" not in text:
        return []
    return [_normalize_expression(m.group(1)) for m in _PLACEHOLDER_RE.finditer(text)]


def _replace_expressions(paragraph, expressions):
    text = _ParagraphText(paragraph)
    if "{{" not in text.text:
        return
    matches = list(_PLACEHOLDER_RE.finditer(text.text))
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


def paragraph_field_names(paragraph):
    names = []
    for simple in _iter_simple_fields(paragraph):
        field = _MergeField.parse(simple.get(W_INSTR))
        if field:
            names.append(field.name)
    for complex_field in _complex_fields(list(iter_runs(paragraph))):
        field = _MergeField.parse("".join(complex_field.instr))
        if field:
            names.append(field.name)
    return names


def _field_value(field, fields):
    return field.render(fields.get(field.name.lower()))


def _replace_simple_fields(paragraph, fields):
    for simple in list(_iter_simple_fields(paragraph)):
        field = _MergeField.parse(simple.get(W_INSTR))
        if field is None:
            continue
        first_run = next(iter_runs(simple), None)
        run_properties = first_run.find(W_RPR) if first_run is not None else None
        simple.getparent().replace(
            simple, _new_run(run_properties, _field_value(field, fields))
        )


def _replace_complex_fields(paragraph, fields):
    runs = list(iter_runs(paragraph))
    if not runs:
        return
    candidates = []
    for complex_field in _complex_fields(runs):
        if not complex_field.replaceable:
            continue
        field = _MergeField.parse("".join(complex_field.instr))
        if field is not None:
            candidates.append((complex_field, field))
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
    if begin_run is end_run:
        # Whole field inside one run: swap its children for the value.
        children = list(begin_run)
        start = children.index(complex_field.begin_char)
        stop = children.index(complex_field.end_char)
        for element in list(_new_run(None, value)):
            children[start].addprevious(element)
        for child in children[start : stop + 1]:
            begin_run.remove(child)
        if _is_empty_run(begin_run):
            begin_run.getparent().remove(begin_run)
        return
    begin_run.addnext(_new_run(format_run.find(W_RPR), value))
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
# Both kinds
# ---------------------------------------------------------------------------


def merge_paragraph(paragraph, expressions, fields):
    # Inline expressions first: values put in the text are never mistaken
    # for placeholders, and fields are structural anyway.
    _replace_expressions(paragraph, expressions)
    _replace_simple_fields(paragraph, fields)
    _replace_complex_fields(paragraph, fields)
