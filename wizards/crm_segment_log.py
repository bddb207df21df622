# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

# contacts listed in the wizard; the count gives the total
MISSING_LISTED = 80


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
        help="Contacts of e-mail lines that have no valid e-mail address (the "
        "first ones; the count gives the total).",
    )
    missing_email_count = fields.Integer(
        string="Contacts without E-mail (Count)",
        compute="_compute_missing_email_partner_ids",
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
    one_email_per_address = fields.Boolean(
        string="One E-mail per Address",
        default=True,
        help="Contacts sharing an e-mail address get one e-mail; each still "
        "gets its interaction.",
    )

    @api.depends("segment_id")
    def _compute_missing_email_partner_ids(self):
        for wizard in self:
            segment = wizard.segment_id._origin
            lines = segment._log_missing_email_lines() if segment else segment.line_ids
            wizard.missing_email_count = len(lines)
            wizard.missing_email_partner_ids = lines[:MISSING_LISTED].partner_id

    def action_log(self):
        self.ensure_one()
        logged_id = self.segment_id.log_segment(
            send=self.send,
            create_follow_up=self.create_follow_up,
            missing_email=self.missing_email or False,
            one_email_per_address=self.one_email_per_address,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.logged.segment",
            "res_id": logged_id,
            "view_mode": "form",
            "target": "current",
        }
