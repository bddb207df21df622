# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class CrmCampaignStatisticsPeriod(models.Model):
    """The statistics period one user picked for one campaign.

    Written through the campaign's fields ``statistics_date_from`` and
    ``statistics_date_to`` only (``utm.campaign._inverse_statistics_period``),
    for the user who writes them: each user sees the statistics of their own
    period, and no other user's.
    """

    _name = "crm.campaign.statistics.period"
    _description = "Campaign Statistics Period"

    campaign_id = fields.Many2one(
        "utm.campaign", required=True, ondelete="cascade", readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", readonly=True
    )
    date_from = fields.Date(string="Statistics From", readonly=True)
    date_to = fields.Date(string="Statistics To", readonly=True)

    _sql_constraints = [
        (
            "campaign_user_unique",
            "UNIQUE(campaign_id, user_id)",
            "A user has one statistics period per campaign.",
        ),
    ]

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for period in self:
            period.campaign_id._check_statistics_range(period.date_from, period.date_to)
