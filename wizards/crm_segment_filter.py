# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..models.crm_segment_step import FILTER_MODES


class CrmSegmentFilter(models.TransientModel):
    """Add, reduce or refine a segment's contacts with the filter language of
    ``crm.segment.filter.mixin``."""

    _name = "crm.segment.filter"
    _inherit = "crm.segment.filter.mixin"
    _description = "Add, Reduce or Refine Segment Contacts"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    mode = fields.Selection(FILTER_MODES, required=True, default="add")

    def action_apply(self):
        self.ensure_one()
        self.segment_id._apply_step(self.mode, self._filter_values())
        return {"type": "ir.actions.act_window_close"}
