# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmTrackingMixin(models.AbstractModel):
    """Opens and clicks of the e-mails of a logged segment or a campaign
    entry: their interactions through ``_tracking_interaction_field``."""

    _name = "crm.tracking.mixin"
    _description = "Opens and Clicks of Campaign E-mails"

    _tracking_interaction_field = None

    email_count = fields.Integer(string="E-mails", compute="_compute_tracking")
    opened_count = fields.Integer(string="Opened", compute="_compute_tracking")
    clicked_count = fields.Integer(string="Clicked", compute="_compute_tracking")
    opened_ratio = fields.Float(string="Opened (%)", compute="_compute_tracking")
    clicked_ratio = fields.Float(string="Clicked (%)", compute="_compute_tracking")

    def _compute_tracking(self):
        Interaction = self.env["crm.interaction"]
        fname = self._tracking_interaction_field
        groups = Interaction._tracking_groups([(fname, "in", self._origin.ids)], fname)
        for record in self:
            record.update(Interaction._tracking_values(groups.get(record._origin)))
