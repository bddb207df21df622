# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..models.crm_segment_line import EVALUATIONS


class CrmInteractionResponse(models.TransientModel):
    _name = "crm.interaction.response"
    _description = "Register Campaign Response"

    interaction_ids = fields.Many2many(
        "crm.interaction", string="Answered Interactions"
    )
    partner_id = fields.Many2one("res.partner", string="Contact")
    campaign_ids = fields.Many2many(
        "utm.campaign", compute="_compute_campaign_ids", string="Contact's Campaigns"
    )
    campaign_id = fields.Many2one(
        "utm.campaign",
        domain="[('id', 'in', campaign_ids)]",
        compute="_compute_campaign_id",
        store=True,
        readonly=False,
    )
    evaluation = fields.Selection(EVALUATIONS)

    @api.depends("partner_id", "interaction_ids")
    def _compute_campaign_ids(self):
        Interaction = self.env["crm.interaction"]
        for wizard in self:
            if wizard.interaction_ids or not wizard.partner_id:
                wizard.campaign_ids = wizard.interaction_ids.campaign_id
                continue
            wizard.campaign_ids = Interaction.search(
                [
                    ("campaign_id", "!=", False),
                    ("canceled", "=", False),
                    ("campaign_response", "=", False),
                    ("information_flow", "!=", "inbound"),
                    "|",
                    ("partner_id", "=", wizard.partner_id.id),
                    ("company_partner_id", "=", wizard.partner_id.id),
                ]
            ).campaign_id

    @api.depends("campaign_ids")
    def _compute_campaign_id(self):
        for wizard in self:
            if wizard.campaign_id not in wizard.campaign_ids:
                wizard.campaign_id = wizard.campaign_ids[:1]

    def action_register(self):
        """Register the responses, then show them."""
        self.ensure_one()
        if self.interaction_ids:
            ids = self.interaction_ids.action_register_response(
                evaluation=self.evaluation or None
            )
        else:
            ids = self.partner_id.action_register_campaign_response(
                self.campaign_id.id, evaluation=self.evaluation or None
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        if len(ids) == 1:
            action.update(
                {"res_id": ids[0], "view_mode": "form", "views": [(False, "form")]}
            )
        else:
            action["domain"] = [("id", "in", ids)]
        return action
