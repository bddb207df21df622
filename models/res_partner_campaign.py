# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    campaign_target_ids = fields.One2many(
        "crm.campaign.target",
        "partner_id",
        string="Campaign Target Groups",
        readonly=True,
        help="The campaigns whose prices this customer gets while they are active.",
    )
    segment_line_ids = fields.One2many(
        "crm.segment.line", "partner_id", string="Segment Lines", readonly=True
    )
