# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HTML bodies rendered for many contacts and sanitized once per text.

Rendering a body then sanitizing it for each contact costs a parse of the
whole HTML per e-mail.  The body of a group of contacts differs only where
its placeholders are, so the text is sanitized once with a marker in place of
each placeholder whose value varies, and each contact's HTML-escaped values
are put in place of the markers, escaped as the sanitizer writes text.
Escaped text cannot open a tag, so the result is what sanitizing each
rendered body gives.  When a marker is
not left as plain text by the sanitizer (inside a tag, an attribute, a
comment, a style or script element), or not exactly once, the caller renders
and sanitizes each body instead.
"""

import re
import uuid

from markupsafe import escape

RAW_TEXT_ELEMENTS = ("script", "style", "textarea", "title", "xmp", "noscript")


def escape_text(value):
    """``value`` as text content, escaped as the sanitizer writes text: only
    ``&``, ``<`` and ``>`` (quotes need no escaping outside attributes)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inside_raw_text(html, position):
    before = html[:position].lower()
    for tag in RAW_TEXT_ELEMENTS:
        if before.count(f"<{tag}") > before.count(f"</{tag}"):
            return True
    return False


def render_sanitized(parsed, values, members, sanitize):
    """Render and sanitize one parsed text for many contacts.

    :param parsed: ``parse_inline_template`` of the text
    :param values: {expression: {partner_id: value}}
    :param members: list of (key, partner_id)
    :param sanitize: function sanitizing one HTML text
    :return: {key: sanitized HTML}, or None when the markers did not survive
        the sanitizer as plain text (render each body, then sanitize it)
    """
    salt = uuid.uuid4().hex[:12]
    markers, parts = [], []
    for string, expression, default in parsed:
        parts.append(str(string))
        if not expression:
            continue
        by_partner = values[expression]
        distinct = {
            str(by_partner.get(partner_id) or default or "")
            for __, partner_id in members
        }
        if len(distinct) == 1:
            parts.append(str(escape(distinct.pop())))
            continue
        parts.append(f"crmph{salt}n{len(markers)}x")
        markers.append((expression, default))
    skeleton = str(sanitize("".join(parts)) or "")
    if not markers:
        return dict.fromkeys((key for key, __ in members), skeleton)
    for index in range(len(markers)):
        marker = f"crmph{salt}n{index}x"
        position = skeleton.find(marker)
        if (
            position < 0
            or skeleton.count(marker) != 1
            or re.search(r"<[^>]*$", skeleton[:position])
            or _inside_raw_text(skeleton, position)
        ):
            return None
    pieces = re.split(rf"crmph{salt}n(\d+)x", skeleton)
    order = [int(index) for index in pieces[1::2]]
    texts = pieces[0::2]
    result = {}
    for key, partner_id in members:
        substitutes = [
            escape_text(values[expression].get(partner_id) or default or "")
            for expression, default in markers
        ]
        parts = [texts[0]]
        for index, text in zip(order, texts[1:], strict=True):
            parts += [substitutes[index], text]
        result[key] = "".join(parts)
    return result
