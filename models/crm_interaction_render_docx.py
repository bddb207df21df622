# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Rendering of logged interactions, continued: the Word documents merged for
each contact (their placeholders render through ``crm.interaction.render``
like subjects and bodies; the classic merge fields are filled in here)."""

import base64

from odoo import api, fields, models
from odoo.tools import format_date

from ..tools import docx_merge
from .crm_interaction_render import is_docx_name, safe_filename

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


class CrmInteractionRender(models.AbstractModel):
    _inherit = "crm.interaction.render"

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
                documents = [
                    {
                        "key": ("row", row.id),
                        "name": row.word_document_name or f"{template.code}.docx",
                        "data": base64.b64decode(
                            row.with_context(bin_size=False).word_document
                        ),
                        "trusted": True,
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
                document["name"],
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
        company = segment.company_id
        company_partner = company.partner_id
        company_address = ", ".join(
            part
            for part in company_partner._display_address(without_company=True).split(
                "\n"
            )
            if part.strip()
        )
        bank = company_partner.sudo().bank_ids[:1].acc_number or ""
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
                "CompanyOwnName": company.name or "",
                "CompanyOwnAddress": company_address,
                "CompanyOwnVAT": company.vat or "",
                "CompanyOwnRegistrationNo": company.company_registry or "",
                "CompanyOwnPhone": company.phone or "",
                "CompanyOwnBank": bank,
            }
        return result
