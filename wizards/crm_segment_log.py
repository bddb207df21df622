# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import email_normalize


class CrmSegmentLog(models.TransientModel):
    _name = "crm.segment.log"
    _description = "Log Segment"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    send = fields.Boolean(
        string="Send Attachments",
        help="Send the e-mails and produce the letters while logging.",
    )
    create_follow_up = fields.Boolean(string="Create Follow-up Segment")
    missing_email_partner_ids = fields.Many2many(
        "res.partner",
        string="Contacts without E-mail",
        compute="_compute_missing_email_partner_ids",
        help="Contacts of e-mail lines that have no valid e-mail address.",
    )
    missing_email = fields.Selection(
        [
            ("hard_copy", "Switch them to hard copy"),
            ("skip", "Leave them out of the segment"),
        ],
        string="If No E-mail Address",
        help="What to do with the contacts of e-mail lines that have no valid "
        "e-mail address when sending.",
    )

    @api.depends("segment_id")
    def _compute_missing_email_partner_ids(self):
        for wizard in self:
            lines = wizard.segment_id.line_ids.filtered(
                lambda line: (
                    line.correspondence_type == "email"
                    and not email_normalize(line.partner_id.email or "")
                )
            )
            wizard.missing_email_partner_ids = lines.partner_id

    def action_log(self):
        self.ensure_one()
        logged_id = self.segment_id.log_segment(
            send=self.send,
            create_follow_up=self.create_follow_up,
            missing_email=self.missing_email or False,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.logged.segment",
            "res_id": logged_id,
            "view_mode": "form",
            "target": "current",
        }
