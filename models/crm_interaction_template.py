# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .res_partner import CORRESPONDENCE_TYPES

# an image pasted into an HTML body: <img src="data:image/png;base64,...">
INLINE_IMAGE = re.compile(
    r"""(?P<before><img\b[^>]*?\bsrc=["'])"""
    r"data:image/[\w.+-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)"
    r"""(?P<after>["'])""",
    re.IGNORECASE,
)

INFORMATION_FLOWS = [("outbound", "Outbound"), ("inbound", "Inbound")]
INITIATED_BY = [("us", "Us"), ("them", "Them")]


def _lang_get(self):
    return self.env["res.lang"].get_installed()


def check_not_logged(records, fname, model="crm.interaction"):
    """Refuse to delete ``records`` while logged history (interactions, or
    ``model``) refers to them through ``fname``: deleting would silently
    empty that history. Archiving keeps it."""
    if not records:
        return
    used = (
        records.env[model]
        .sudo()
        .with_context(active_test=False)
        ._read_group([(fname, "in", records.ids)], [fname], limit=1)
    )
    if used:
        raise UserError(
            records.env._(
                "%(kind)s %(record)s is used by logged interactions and cannot be "
                "deleted: archive it instead, so that their history keeps it.",
                kind=records.env["ir.model"]._get(records._name).name,
                record=records.browse(used[0][0].id).display_name,
            )
        )


class CrmInteractionTemplate(models.Model):
    _name = "crm.interaction.template"
    _description = "Interaction Template"
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(required=True)
    name = fields.Char(string="Description", required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company")
    group_id = fields.Many2one(
        "crm.interaction.group", string="Interaction Group", check_company=True
    )
    unit_cost = fields.Float(
        digits="Product Price", help="Cost of one interaction of this kind."
    )
    unit_duration = fields.Float(
        help="Time spent on one interaction of this kind, in hours."
    )
    information_flow = fields.Selection(INFORMATION_FLOWS, default="outbound")
    initiated_by = fields.Selection(INITIATED_BY, default="us")
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES, string="Correspondence Type (Default)"
    )
    ignore_partner_correspondence_type = fields.Boolean(
        string="Ignore Contact Correspondence Type",
        help="Use this template's correspondence type even when the contact "
        "prefers another one.",
    )
    campaign_id = fields.Many2one("utm.campaign")
    mailing_group_id = fields.Many2one(
        "crm.mailing.group",
        string="Topic",
        help="Contacts who opted out of this topic get no e-mail of this "
        "template; the unsubscribe link of its e-mails opts out of it.",
    )
    campaign_target = fields.Boolean(
        help="Interactions of this template make their contacts campaign targets."
    )
    campaign_response = fields.Boolean(
        help="Interactions of this template are responses to the campaign."
    )
    lang = fields.Selection(
        _lang_get,
        string="Language (Default)",
        default=lambda self: self.env.lang,
        help="Language used for contacts whose own language has no row below.",
    )
    language_ids = fields.One2many(
        "crm.interaction.template.lang", "template_id", string="Languages"
    )

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE NULLS NOT DISTINCT (code, company_id)",
            "An interaction template with this code already exists in this company.",
        ),
    ]

    @api.constrains("campaign_target", "campaign_response", "campaign_id")
    def _check_campaign_flags(self):
        for template in self:
            if (
                template.campaign_target or template.campaign_response
            ) and not template.campaign_id:
                raise ValidationError(
                    self.env._(
                        "Interaction template %(template)s: campaign target and "
                        "campaign response can only be set together with a campaign.",
                        template=template.display_name,
                    )
                )

    @api.onchange("campaign_id")
    def _onchange_campaign_id(self):
        if not self.campaign_id:
            self.campaign_target = False
            self.campaign_response = False

    def _compute_display_name(self):
        for template in self:
            template.display_name = f"{template.code} - {template.name}"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        check_not_logged(self, "template_id")

    def _get_language(self, lang):
        """Return the language row for ``lang``, else the default one."""
        self.ensure_one()
        rows = self.language_ids
        return (
            rows.filtered(lambda r: r.lang == lang)[:1]
            or rows.filtered(lambda r: r.lang == self.lang)[:1]
        )


class CrmInteractionTemplateLang(models.Model):
    _name = "crm.interaction.template.lang"
    _description = "Interaction Template Language"
    _order = "template_id, lang"

    template_id = fields.Many2one(
        "crm.interaction.template", required=True, ondelete="cascade", index=True
    )
    lang = fields.Selection(_lang_get, string="Language", required=True)
    subject = fields.Char()
    body_html = fields.Html(
        string="E-mail Body",
        sanitize="email_outgoing",
        help="Body of the e-mail. Placeholders such as {{ object.name }} are "
        "filled in for each contact.",
    )
    letter_body = fields.Html(
        sanitize="email_outgoing",
        help="Body of the printed letter. Placeholders such as "
        "{{ object.name }} are filled in for each contact.",
    )
    word_document = fields.Binary(attachment=True)
    word_document_name = fields.Char()

    _sql_constraints = [
        (
            "template_lang_unique",
            "UNIQUE(template_id, lang)",
            "An interaction template has at most one row per language.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._inline_images_to_urls(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._inline_images_to_urls(vals)
        return super().write(vals)

    @api.model
    def _inline_images_to_urls(self, vals):
        """Images pasted into a body (``data:`` URLs) become attachments, as
        in Odoo's Email Marketing: each e-mail and letter then links the
        same image instead of carrying it, and no message of a logged segment
        gets an attachment per image."""
        for fname in ("body_html", "letter_body"):
            html = vals.get(fname)
            if not html or "data:image/" not in html:
                continue
            images = {}

            def to_url(match, images=images):
                data = re.sub(r"\s+", "", match.group("data"))
                if data not in images:
                    attachment = (
                        self.env["ir.attachment"]
                        .sudo()
                        .create(
                            {
                                "name": f"image{len(images) + 1}",
                                "datas": data,
                                "res_model": self._name,
                            }
                        )
                    )
                    attachment.generate_access_token()
                    images[data] = (
                        f"/web/image/{attachment.id}"
                        f"?access_token={attachment.access_token}"
                    )
                return match.group("before") + images[data] + match.group("after")

            converted = INLINE_IMAGE.sub(to_url, str(html))
            vals[fname] = Markup(converted) if isinstance(html, Markup) else converted

    @api.constrains("word_document", "word_document_name")
    def _check_word_document(self):
        for row in self:
            name = row.word_document_name or ""
            if row.word_document and name and not name.lower().endswith(".docx"):
                raise ValidationError(
                    self.env._(
                        "The Word document of %(template)s (%(lang)s) must be a "
                        ".docx file, not %(name)s.",
                        template=row.template_id.display_name,
                        lang=row.lang,
                        name=name,
                    )
                )
