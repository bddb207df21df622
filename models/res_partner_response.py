# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_register_campaign_response(self, campaign_id, evaluation=None):
        """Register a response of this contact to a campaign (by its id).

        The response answers the latest campaign interaction sent to the
        contact (or, for a company, to one of its persons).  Returns the ids of
        the new responses.
        """
        self.ensure_one()
        campaign = self.env["utm.campaign"].browse(campaign_id).exists()
        return self.env["crm.interaction"]._register_partner_response(
            self, campaign, evaluation=evaluation
        )
