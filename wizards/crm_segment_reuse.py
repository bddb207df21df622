# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmSegmentReuse(models.TransientModel):
    """Replay saved criteria, or add the contacts of a logged segment.

    When the segment already has steps, the form asks for a confirmation
    (the button's ``confirm``); ``action_apply`` itself does not ask, so RPC
    clients call it directly. Reused steps are added on top of the segment's
    current lines, each one undoable with Go Back.
    """

    _name = "crm.segment.reuse"
    _description = "Reuse Criteria or Logged Segment"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    segment_has_steps = fields.Boolean(compute="_compute_segment_has_steps")
    reuse_type = fields.Selection(
        [("criteria", "Saved Criteria"), ("logged_segment", "Logged Segment")],
        required=True,
        default="criteria",
    )
    criteria_id = fields.Many2one("crm.segment.criteria", string="Saved Criteria")
    logged_segment_id = fields.Many2one("crm.logged.segment")
    ignore_exclusion = fields.Boolean(
        help="Also add contacts marked 'Exclude from Segments' since. Archived "
        "contacts are always left out.",
    )

    @api.depends("segment_id")
    def _compute_segment_has_steps(self):
        for wizard in self:
            wizard.segment_has_steps = bool(wizard.segment_id.step_ids)

    def action_apply(self):
        self.ensure_one()
        segment = self.segment_id
        if self.reuse_type == "criteria":
            if not self.criteria_id:
                raise UserError(self.env._("Choose the saved criteria to reuse."))
            segment._reuse_criteria(self.criteria_id)
        else:
            if not self.logged_segment_id:
                raise UserError(self.env._("Choose the logged segment to reuse."))
            segment._reuse_logged_segment(
                self.logged_segment_id, ignore_exclusion=self.ignore_exclusion
            )
        return {"type": "ir.actions.act_window_close"}
