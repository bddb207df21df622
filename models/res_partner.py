# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

CORRESPONDENCE_TYPES = [
    ("email", "E-mail"),
    ("hard_copy", "Hard Copy"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    job_responsibility_ids = fields.Many2many(
        "crm.job.responsibility",
        "crm_job_responsibility_partner_rel",
        "partner_id",
        "job_responsibility_id",
        string="Job Responsibilities",
    )
    business_relation_ids = fields.Many2many(
        "crm.business.relation",
        "crm_business_relation_partner_rel",
        "partner_id",
        "business_relation_id",
        string="Business Relations",
        help="Business relations of a company; its persons match through it.",
    )
    mailing_group_ids = fields.Many2many(
        "crm.mailing.group",
        "crm_mailing_group_partner_rel",
        "partner_id",
        "mailing_group_id",
        string="Mailing Groups",
    )
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Preferred Correspondence",
        help="How this contact prefers to receive letters from campaigns.",
    )
    exclude_from_segment = fields.Boolean(
        string="Exclude from Segments",
        help="Contacts marked here are left out when contacts are added to a "
        "segment, unless the filter says to ignore the exclusion.",
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "partner_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")

    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner._origin, 0)

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
