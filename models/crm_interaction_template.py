# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .res_partner import CORRESPONDENCE_TYPES

INFORMATION_FLOWS = [("outbound", "Outbound"), ("inbound", "Inbound")]
INITIATED_BY = [("us", "Us"), ("them", "Them")]
EVALUATIONS = [
    ("very_positive", "Very Positive"),
    ("positive", "Positive"),
    ("neutral", "Neutral"),
    ("negative", "Negative"),
    ("very_negative", "Very Negative"),
]
RESPONSE_TEMPLATE_XMLID = "crm_campaign_segment.interaction_template_resp"


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
    # opens and clicks of its e-mails (crm.interaction.tracking)
    track_links = fields.Boolean(
        string="Track Opens and Clicks",
        default=True,
        help="The links of the e-mails of this template go through Odoo's link "
        "tracker and each e-mail carries a tracking image: opens and clicks "
        "are counted per contact, campaign and link.",
    )
    click_is_response = fields.Boolean(
        string="A Click Is a Response",
        help="The first click of a contact on a link of an e-mail of this "
        "template registers a campaign response to it, with the evaluation "
        "below, as a registered response does.",
    )
    click_response_evaluation = fields.Selection(
        EVALUATIONS,
        string="Evaluation of a Click",
        help="The evaluation of the response a click registers; a positive "
        "one opens an opportunity by the shipped automated action.",
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

    def _get_interaction_values(self):
        """The values an interaction takes from this template: the one
        template-to-values rule of the form, of ``create`` over RPC, of
        logging a segment and of responses (each adds what is its own)."""
        self.ensure_one()
        values = {
            "template_id": self.id,
            "description": self.name,
            "cost": self.unit_cost,
            "duration": self.unit_duration,
            "information_flow": self.information_flow,
            "initiated_by": self.initiated_by,
            "correspondence_type": self.correspondence_type,
            "campaign_target": self.campaign_target,
            "campaign_response": self.campaign_response,
        }
        if self.campaign_id:
            values["campaign_id"] = self.campaign_id.id
        return values

    def _get_language(self, lang):
        """Return the language row for ``lang``, else the default one."""
        self.ensure_one()
        rows = self.language_ids
        return (
            rows.filtered(lambda r: r.lang == lang)[:1]
            or rows.filtered(lambda r: r.lang == self.lang)[:1]
        )

    @api.model
    def _ensure_response_template(self):
        """Make sure the default template of campaign responses exists.

        Run on install and on every update: a database where a shared ``RESP``
        template was created by hand keeps it and gets it as the default,
        instead of failing on the unique code.
        """
        if self.env.ref(RESPONSE_TEMPLATE_XMLID, raise_if_not_found=False):
            return
        template = self.with_context(active_test=False).search(
            [("code", "=", "RESP"), ("company_id", "=", False)], limit=1
        )
        if not template:
            template = self.with_context(lang="en_US").create(
                {
                    "code": "RESP",
                    "name": "Campaign response",
                    "unit_cost": 0.0,
                    "unit_duration": 0.25,
                    "information_flow": "inbound",
                    "initiated_by": "them",
                    "lang": "en_US",
                }
            )
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": RESPONSE_TEMPLATE_XMLID, "record": template, "noupdate": True}]
        )
