# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        """Replies to campaign e-mails go to the contact's response."""
        if routes and any(
            route[0] == "crm.interaction" and route[1] for route in routes
        ):
            routes = self.env["crm.interaction"]._route_campaign_replies(
                message, message_dict, routes
            )
        return super()._message_route_process(message, message_dict, routes)
