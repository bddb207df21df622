# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Rendering of logged interactions: subjects, bodies, Word documents (merged
in ``crm_interaction_render_docx``, on the same model).

One place for what logging and delivery render: ``{{ expression }}``
placeholders go through ``mail.render.mixin`` in its sandbox, in the
environment of the user who logs the segment (never as superuser), so record
rules apply to everything an expression reads.  Each expression is rendered
for all contacts of a group (same text, language, salesperson) in one call of
the renderer on the whole record set.

Which expressions a text may use follows ``mail.template``, decided when the
text is saved: only a *Mail Template Editor* may save an interaction template
(subject, bodies, Word document) with expressions beyond simple field paths
(``crm.interaction.template.lang``), so the templates render like a
``mail.template``.  Subjects typed on a segment or a line, and Word documents
attached to a segment, render in restricted mode: Odoo's simple field paths
(``{{ object.name }}``) only, evaluated by nobody, whoever logs the segment.
"""

import re

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import html_escape
from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import test_python_expr

from ..tools import docx_merge, html_render

TEMPLATE_EDITOR_GROUP = "mail.group_mail_template_editor"


def is_docx_name(name):
    return (name or "").lower().endswith(".docx")


def safe_filename(text):
    return re.sub(r"[^\w.\- ]+", "_", text or "").strip() or "document"


class CrmInteractionRender(models.AbstractModel):
    _name = "crm.interaction.render"
    _description = "Interaction Rendering"

    # -------------------------------------------------------------------------
    # TRUST
    # -------------------------------------------------------------------------
    @api.model
    def _may_save_dynamic(self):
        """Whether the current user may save expressions beyond simple field
        paths: the superuser (data files) and *Mail Template Editors*."""
        return self.env.su or self.env.user.has_group(TEMPLATE_EDITOR_GROUP)

    @api.model
    def _unsafe_expressions(self, expressions):
        """The expressions that go beyond Odoo's simple field paths."""
        QWeb = self.env["ir.qweb"]
        return [
            expression
            for expression in expressions
            if not QWeb._is_expression_allowed(expression, "res.partner")
        ]

    @api.model
    def _text_expressions(self, text):
        return [
            expression
            for __, expression, __ in parse_inline_template(str(text or ""))
            if expression
        ]

    @api.model
    def _raise_untrusted(self, expression, where):
        raise UserError(
            self.env._(
                "The placeholder {{ %(expression)s }} in %(where)s may only be used "
                "in interaction templates saved by a member of %(group)s; subjects "
                "typed on segments or lines and Word documents attached to "
                "segments may only use simple fields such as {{ object.name }}. "
                "Move it to the interaction template.",
                expression=expression,
                where=where,
                group=self.env.ref(TEMPLATE_EDITOR_GROUP).sudo().full_name,
            )
        )

    @api.model
    def _check_expressions(self, expressions, where, trusted):
        """Refuse an expression that does not compile, or that goes beyond a
        simple field path in an untrusted text."""
        QWeb = self.env["ir.qweb"]
        for expression in expressions:
            error = test_python_expr(expression, mode="eval")
            if error:
                raise UserError(
                    self.env._(
                        "The placeholder {{ %(expression)s }} in %(where)s is not a "
                        "valid expression: %(error)s",
                        expression=expression,
                        where=where,
                        error=error,
                    )
                )
            if not trusted and not QWeb._is_expression_allowed(
                expression, "res.partner"
            ):
                self._raise_untrusted(expression, where)

    @api.model
    def _check_sources(self, segment, sources):
        """Check the placeholders of texts and Word documents.

        :param sources: iterable of (text or document dict, where, trusted)
        """
        for source, where, trusted in sources:
            if isinstance(source, dict):
                try:
                    placeholders = docx_merge.find_placeholders(source["data"])
                except docx_merge.DocxMergeError as error:
                    raise UserError(
                        self.env._(
                            "Segment %(segment)s: %(name)s is not a valid Word "
                            "(.docx) document: %(error)s",
                            segment=segment.display_name,
                            name=source["name"],
                            error=str(error),
                        )
                    ) from None
                expressions = placeholders["expressions"]
            else:
                expressions = [
                    expression
                    for __, expression, __ in parse_inline_template(str(source))
                    if expression
                ]
            self._check_expressions(expressions, where, trusted)

    # -------------------------------------------------------------------------
    # SOURCES
    # -------------------------------------------------------------------------
    @api.model
    def _subject_source(self, segment, template, lang, line_subject):
        """The subject text of a line, whether it is trusted, and where it is.

        The template's row for the contact's own language wins (subjects are
        picked per language), then the line's subject (else the segment's),
        then the template's default-language row.

        :return: (text, trusted, where)
        """
        rows = template.language_ids
        own = rows.filtered(lambda r: r.lang == lang)[:1]
        if own.subject:
            # template rows are checked when saved (see _may_save_dynamic)
            return own.subject, True, template.display_name
        if line_subject:
            return line_subject, False, segment.display_name
        default = rows.filtered(lambda r: r.lang == template.lang)[:1]
        return (
            default.subject or False,
            True,
            template.display_name,
        )

    # -------------------------------------------------------------------------
    # RENDERING
    # -------------------------------------------------------------------------
    @api.model
    def _render_context(self, segment, salesperson):
        return {
            "segment": segment,
            "campaign": segment.campaign_id,
            "company": segment.company_id,
            "salesperson": salesperson,
        }

    @api.model
    def _render_expressions(
        self, segment, expressions, partner_ids, salesperson, lang, trusted, where
    ):
        """Render each expression for all contacts in one call per expression.

        A trusted text renders like a ``mail.template``; any other text only
        renders Odoo's simple field paths, without evaluating anything, even
        when the logging user is a template editor.

        :return: {expression: {partner_id: text}}
        """
        result = {}
        if not trusted:
            renderer = self.env["mail.render.mixin"].with_context(lang=lang)
            QWeb = self.env["ir.qweb"]
            for expression in expressions:
                if not QWeb._is_expression_allowed(expression, "res.partner"):
                    self._raise_untrusted(expression, where)
                result[expression] = renderer._render_template_inline_template_regex(
                    "{{ " + expression + " }}", "res.partner", partner_ids
                )
            return result
        renderer = self.env["mail.template"].with_context(lang=lang)
        add_context = self._render_context(segment, salesperson)
        for expression in expressions:
            result[expression] = renderer._render_template(
                "{{ " + expression + " }}",
                "res.partner",
                partner_ids,
                engine="inline_template",
                add_context=add_context,
            )
        return result

    @api.model
    def _render_texts(self, segment, items, escape, sanitize=None):
        """Render texts with ``{{ ... }}`` placeholders for many contacts.

        Each text is parsed once; each expression is rendered for all contacts
        of a (text, trust, salesperson, language) group in one call; values
        are HTML-escaped in HTML bodies.  With ``sanitize`` (an HTML field),
        the results are sanitized as that field would, once per text where
        it can (``tools.html_render``).

        :param items: iterable of (key, partner_id, user_id, lang,
            (text, trusted, where))
        :return: {key: text}
        """
        groups = {}
        for key, partner_id, user_id, lang, (text, trusted, where) in items:
            group_key = (str(text), trusted, where, user_id, lang)
            groups.setdefault(group_key, []).append((key, partner_id))
        result = {}
        Users = self.env["res.users"]
        for (text, trusted, where, user_id, lang), members in groups.items():
            parsed = parse_inline_template(text)
            expressions = {expr for __, expr, __ in parsed if expr}
            if not expressions:
                value = text if sanitize is None else self._sanitize(sanitize, text)
                for key, __ in members:
                    result[key] = value
                continue
            partner_ids = list(dict.fromkeys(partner_id for __, partner_id in members))
            values = self._render_expressions(
                segment,
                expressions,
                partner_ids,
                Users.browse(user_id),
                lang,
                trusted,
                where,
            )
            if sanitize is not None:
                rendered = html_render.render_sanitized(
                    parsed,
                    values,
                    members,
                    lambda html, field=sanitize: self._sanitize(field, html),
                )
                if rendered is not None:
                    result.update(rendered)
                    continue
            for key, partner_id in members:
                parts = []
                for string, expression, default in parsed:
                    parts.append(string)
                    if expression:
                        value = values[expression].get(partner_id)
                        value = value or default or ""
                        parts.append(html_escape(value) if escape else value)
                result[key] = "".join(str(part) for part in parts)
                if sanitize is not None:
                    result[key] = self._sanitize(sanitize, result[key])
        return result

    @api.model
    def _sanitize(self, field, html):
        """``html`` as the HTML ``field`` would store it (sanitized)."""
        return str(field.convert_to_column(html, self.env[field.model_name]) or "")

    @api.model
    def _render_rows(self, segment, interactions, field, escape, sanitize=None):
        """Render a field of the language rows (bodies) per interaction.

        :return: {interaction_id: text}
        """
        rows = {}
        items = []
        for interaction in interactions:
            key = (interaction.template_id, interaction.lang)
            if key not in rows:
                row = interaction.template_id._get_language(interaction.lang)
                rows[key] = (
                    (
                        row[field],
                        True,
                        interaction.template_id.display_name,
                    )
                    if row and row[field]
                    else None
                )
            if rows[key]:
                items.append(
                    (
                        interaction.id,
                        interaction.partner_id.id,
                        interaction.user_id.id,
                        interaction.lang,
                        rows[key],
                    )
                )
        return self._render_texts(segment, items, escape, sanitize=sanitize)
