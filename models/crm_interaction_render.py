# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Rendering of logged interactions: subjects, bodies, and the Word documents
merged for each contact.

One place for what logging and delivery render: ``{{ expression }}``
placeholders go through ``mail.render.mixin`` in its sandbox, in the
environment of the user who logs the segment (never as superuser), so record
rules apply to everything an expression reads.  Each expression is rendered
for all contacts of a group (same text, language, salesperson) in one call of
the renderer on the whole record set.  The placeholders of Word documents
render the same way; their classic merge fields are filled in here.

Which expressions a text may use follows ``mail.template``, decided when the
text is saved: only a *Mail Template Editor* may save an interaction template
(subject, bodies, Word document) with expressions beyond simple field paths
(``crm.interaction.template.lang``), so the templates render like a
``mail.template``.  Subjects typed on a segment or a line, and Word documents
attached to a segment, render in restricted mode: Odoo's simple field paths
(``{{ object.name }}``) only, evaluated by nobody, whoever logs the segment.

``{{ unsubscribe_url }}`` is not rendered: the delivery puts each contact's
signed unsubscribe link there (``add_unsubscribe_link``), next to the RFC 8058
headers of every campaign e-mail (``unsubscribe_headers``).
"""

import base64
import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, html_escape
from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import test_python_expr

from ..tools import docx_merge, html_render
from .res_partner import UNSUBSCRIBE_ROUTE

TEMPLATE_EDITOR_GROUP = "mail.group_mail_template_editor"
# The classic merge field names of Word letters
MERGE_FIELD_NAMES = (
    "ContactNo",
    "ContactName",
    "CompanyName",
    "Name2",
    "Address",
    "Address2",
    "PostCode",
    "City",
    "County",
    "Country",
    "JobTitle",
    "Phone",
    "Mobile",
    "Email",
    "VATNo",
    "HomePage",
    "Salutation",
    "InformalSalutation",
    "SalespersonCode",
    "SalespersonName",
    "SalespersonJobTitle",
    "SalespersonPhone",
    "SalespersonEmail",
    "DocumentDate",
    "CampaignNo",
    "CampaignDescription",
    "SegmentNo",
    "SegmentDescription",
    "Description",
    "Subject",
    "CompanyOwnName",
    "CompanyOwnAddress",
    "CompanyOwnVAT",
    "CompanyOwnRegistrationNo",
    "CompanyOwnPhone",
    "CompanyOwnBank",
)
UNSUBSCRIBE_EXPRESSION = "unsubscribe_url"
# the placeholder as written, and as an HTML sanitizer may leave it in an href
UNSUBSCRIBE_PLACEHOLDERS = (
    "{{ unsubscribe_url }}",
    "{{unsubscribe_url}}",
    "%7B%7B%20unsubscribe_url%20%7D%7D",
    "%7B%7Bunsubscribe_url%7D%7D",
)


def add_unsubscribe_link(body, url, label):
    """``body`` with its unsubscribe placeholders replaced by ``url``, or with a
    link appended at the end when it has none."""
    body = str(body or "")
    if any(placeholder in body for placeholder in UNSUBSCRIBE_PLACEHOLDERS):
        for placeholder in UNSUBSCRIBE_PLACEHOLDERS:
            body = body.replace(placeholder, str(html_escape(url)))
        return body
    if UNSUBSCRIBE_ROUTE + "?" in body:
        return body  # has its link already
    # written as the HTML sanitizer writes it: the body stays sanitized
    link = Markup('<p style="font-size:small"><a href="%s">%s</a></p>') % (url, label)
    return str(Markup(body) + link)


def unsubscribe_headers(url):
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "list",
    }


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
    def _is_simple_expression(self, expression):
        """Whether ``expression`` is one of Odoo's simple field paths on a
        contact (``object.name``), the only ones mail.render.mixin renders
        without evaluating anything."""
        # Odoo 18.0: the very test mail.render.mixin's _render_template makes
        # to render without evaluating (the public mail_allowed_qweb_expressions
        # is only its list: the same test keeps both in step); checked on 18.0
        return self.env["ir.qweb"]._is_expression_allowed(expression, "res.partner")

    @api.model
    def _unsafe_expressions(self, expressions):
        """The expressions that go beyond Odoo's simple field paths."""
        return [
            expression
            for expression in expressions
            if not self._is_simple_expression(expression)
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
        simple field path in an untrusted text.  ``{{ unsubscribe_url }}`` is
        filled in per e-mail, not rendered."""
        expressions = [e for e in expressions if e.strip() != UNSUBSCRIBE_EXPRESSION]
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
            if not trusted and not self._is_simple_expression(expression):
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

    @api.model
    def _documents(self, segment, template, lang):
        """Word documents to merge for a line: [{key, name, data, trusted}].

        The template's row for the language, else its default-language row,
        else the segment's .docx attachments.  Cached per call chain in the
        ``crm_log_document_cache`` context dict.
        """
        cache = self.env.context.get("crm_log_document_cache")
        key = (segment.id, template.id, lang)
        if cache is not None and key in cache:
            return cache[key]
        rows = template.language_ids
        candidates = (
            rows.filtered(lambda r: r.lang == lang)[:1]
            | rows.filtered(lambda r: r.lang == template.lang)[:1]
        )
        documents = []
        for row in candidates:
            if row.word_document:
                trusted, where = row._word_document_trust()
                documents = [
                    {
                        "key": ("row", row.id),
                        "name": row.word_document_name or f"{template.code}.docx",
                        "data": base64.b64decode(
                            row.with_context(bin_size=False).word_document
                        ),
                        "trusted": trusted,
                        "where": where,
                    }
                ]
                break
        if not documents:
            documents = [
                {
                    "key": ("attachment", attachment.id),
                    "name": attachment.name,
                    "data": attachment.raw,
                    # anyone with access to the segment may have uploaded it
                    "trusted": False,
                }
                for attachment in segment.attachment_ids
                if is_docx_name(attachment.name)
            ]
        if cache is not None:
            cache[key] = documents
        return documents

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
        when the logging user is a template editor.  ``{{ unsubscribe_url }}``
        is left as it is.

        :return: {expression: {partner_id: text}}
        """
        kept = {e for e in expressions if e.strip() != UNSUBSCRIBE_EXPRESSION}
        result = {}
        if not trusted:
            renderer = self.env["mail.render.mixin"].with_context(lang=lang)
            for expression in kept:
                if not self._is_simple_expression(expression):
                    self._raise_untrusted(expression, where)
                # only simple field paths reach it: mail.render.mixin renders
                # them in its static mode, which evaluates nothing
                result[expression] = renderer._render_template(
                    "{{ " + expression + " }}",
                    "res.partner",
                    partner_ids,
                    engine="inline_template",
                )
        else:
            renderer = self.env["mail.template"].with_context(lang=lang)
            add_context = self._render_context(segment, salesperson)
            for expression in kept:
                result[expression] = renderer._render_template(
                    "{{ " + expression + " }}",
                    "res.partner",
                    partner_ids,
                    engine="inline_template",
                    add_context=add_context,
                )
        for expression in set(expressions) - kept:
            # left as it is: the delivery puts each contact's link there
            result[expression] = dict.fromkeys(partner_ids, "{{ unsubscribe_url }}")
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

    # -------------------------------------------------------------------------
    # WORD MERGE
    # -------------------------------------------------------------------------
    @api.model
    def _docx_to_html(self, data):
        """A merged Word document as an e-mail body."""
        return docx_merge.docx_to_html(data)

    @api.model
    def _merge_documents(self, segment, interactions):
        """Merge the Word documents for each interaction's contact.

        :return: {interaction_id: [(file name, merged .docx bytes)]}
        """
        render = self.with_context(crm_log_document_cache={})
        groups = {}
        for interaction in interactions:
            documents = render._documents(
                segment, interaction.template_id, interaction.lang
            )
            for document in documents:
                group_key = (document["key"], interaction.user_id, interaction.lang)
                groups.setdefault(group_key, (document, []))[1].append(interaction)
        result = {}
        parsed = {}
        for (doc_key, salesperson, lang), (document, members) in groups.items():
            if doc_key not in parsed:
                parsed[doc_key] = docx_merge.DocxTemplate(document["data"])
            template = parsed[doc_key]
            placeholders = template.placeholders()
            members = self.env["crm.interaction"].concat(*members)
            partners = members.partner_id
            values = self._render_expressions(
                segment,
                placeholders["expressions"],
                partners.ids,
                salesperson,
                lang,
                document["trusted"],
                document.get("where") or document["name"],
            )
            fields_by_interaction = self._get_merge_field_values(segment, members)
            stem = document["name"].rsplit(".", 1)[0]
            for interaction in members:
                expressions = {
                    expression: by_partner.get(interaction.partner_id.id, "")
                    for expression, by_partner in values.items()
                }
                data = template.merge(
                    expressions, fields_by_interaction[interaction.id]
                )
                name = safe_filename(f"{stem} - {interaction.partner_id.name}.docx")
                result.setdefault(interaction.id, []).append((name, data))
        return result

    @api.model
    def _get_merge_field_values(self, segment, interactions):
        """Values of the classic Word merge fields for each interaction.

        :return: {interaction_id: {field name: text}}
        """
        today = fields.Date.context_today(segment)
        own = self._get_company_merge_values(segment.company_id)
        campaign = segment.campaign_id
        result = {}
        for interaction in interactions:
            partner = interaction.partner_id
            lang = interaction.lang or partner.lang or self.env.lang
            env = self.with_context(lang=lang).env
            salesperson = interaction.user_id or segment.user_id
            title = partner.title.with_context(lang=lang)
            title_text = title.shortcut or title.name
            if title_text:
                salutation = env._(
                    "Dear %(title)s %(name)s", title=title_text, name=partner.name
                )
            else:
                salutation = env._("Dear %(name)s", name=partner.name)
            first_name = (partner.name or "").split(" ")[0]
            company_name = (
                partner.commercial_company_name
                if partner.commercial_partner_id != partner
                else ""
            ) or ""
            result[interaction.id] = {
                "ContactNo": partner.ref or str(partner.id),
                "ContactName": partner.name or "",
                "CompanyName": company_name,
                "Name2": partner.company_name or "",
                "Address": partner.street or "",
                "Address2": partner.street2 or "",
                "PostCode": partner.zip or "",
                "City": partner.city or "",
                "County": partner.state_id.name or "",
                "Country": partner.country_id.with_context(lang=lang).name or "",
                "JobTitle": partner.function or "",
                "Phone": partner.phone or "",
                "Mobile": partner.mobile or "",
                "Email": partner.email or "",
                "VATNo": partner.vat or "",
                "HomePage": partner.website or "",
                "Salutation": salutation,
                "InformalSalutation": env._("Dear %(name)s", name=first_name),
                "SalespersonCode": salesperson.partner_id.ref
                or salesperson.login
                or "",
                "SalespersonName": salesperson.name or "",
                "SalespersonJobTitle": salesperson.partner_id.function or "",
                "SalespersonPhone": salesperson.phone or "",
                "SalespersonEmail": salesperson.email or "",
                "DocumentDate": format_date(env, today, lang_code=lang),
                "CampaignNo": campaign.code or "",
                "CampaignDescription": campaign.name or "",
                "SegmentNo": segment.name or "",
                "SegmentDescription": segment.description or "",
                "Description": interaction.description or "",
                "Subject": interaction.subject or "",
                **own,
            }
        return result

    @api.model
    def _get_company_merge_values(self, company):
        """The merge fields of the logging company itself."""
        company_address = ", ".join(
            part
            for part in company.partner_id._display_address(without_company=True).split(
                "\n"
            )
            if part.strip()
        )
        # the company's own account, never one another company recorded on
        # the same partner
        bank = company.partner_id.sudo().bank_ids.filtered(
            lambda b: not b.company_id or b.company_id == company
        )[:1]
        return {
            "CompanyOwnName": company.name or "",
            "CompanyOwnAddress": company_address,
            "CompanyOwnVAT": company.vat or "",
            "CompanyOwnRegistrationNo": company.company_registry or "",
            "CompanyOwnPhone": company.phone or "",
            "CompanyOwnBank": bank.acc_number or "",
        }
