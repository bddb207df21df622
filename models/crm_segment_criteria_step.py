# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .crm_segment_step import STEP_MODES


class CrmSegmentCriteriaStep(models.Model):
    _name = "crm.segment.criteria.step"
    _description = "Saved Segment Criteria Step"
    _order = "criteria_id, sequence, id"

    criteria_id = fields.Many2one(
        "crm.segment.criteria", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=1)
    mode = fields.Selection(STEP_MODES, required=True)
    filter_values = fields.Json()
    description = fields.Text(string="Filter")

    @api.model_create_multi
    def create(self, vals_list):
        """Saved steps given over RPC are checked like applied ones, and
        described in words when they come without a description."""
        Filter = self.env["crm.segment.filter.mixin"]
        for vals in vals_list:
            mode = vals.get("mode")
            values = Filter._filter_normalize(vals.get("filter_values"), mode)
            vals["filter_values"] = values
            if not vals.get("description"):
                vals["description"] = Filter._filter_describe(mode, values)
        return super().create(vals_list)
