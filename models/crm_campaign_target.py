# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class CrmCampaignTarget(models.Model):
    """A customer of a campaign's target group.

    Built by ``utm.campaign.action_activate_prices()`` from the contacts of the
    campaign's target interactions (their commercial partners), removed by
    ``action_deactivate_prices()``: only the engine writes it.
    """

    _name = "crm.campaign.target"
    _description = "Campaign Target Group"
    _order = "campaign_id, partner_id"

    campaign_id = fields.Many2one(
        "utm.campaign", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    date_start = fields.Date(related="campaign_id.date_start")
    date_end = fields.Date(related="campaign_id.date_end")
    prices_active = fields.Boolean(related="campaign_id.prices_active")

    _sql_constraints = [
        (
            "campaign_partner_unique",
            "UNIQUE(campaign_id, partner_id)",
            "A customer is in a campaign's target group only once.",
        ),
    ]

    @api.depends("campaign_id", "partner_id")
    def _compute_display_name(self):
        for target in self:
            target.display_name = (
                f"{target.campaign_id.display_name} - {target.partner_id.display_name}"
            )
