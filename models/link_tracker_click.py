# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LinkTrackerClick(models.Model):
    _inherit = "link.tracker.click"

    interaction_id = fields.Many2one(
        "crm.interaction",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The campaign interaction whose e-mail held the clicked link.",
    )
