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
        steps = super().create(vals_list)
        steps.criteria_id._mark_changed()
        return steps

    def write(self, vals):
        """Changed steps are checked again, as new ones are: a write stores no
        domain its author could not have applied."""
        if "filter_values" in vals or "mode" in vals:
            Filter = self.env["crm.segment.filter.mixin"]
            for step in self:
                mode = vals.get("mode", step.mode)
                values = Filter._filter_normalize(
                    vals.get("filter_values", step.filter_values), mode
                )
                step_vals = {**vals, "filter_values": values}
                if "description" not in vals:
                    step_vals["description"] = Filter._filter_describe(mode, values)
                super(CrmSegmentCriteriaStep, step).write(step_vals)
        else:
            super().write(vals)
        self.criteria_id._mark_changed()
        return True

    def unlink(self):
        criteria = self.criteria_id
        result = super().unlink()
        criteria.exists()._mark_changed()
        return result
