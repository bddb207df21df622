# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Log Segment: the choices of logging, the review of what goes out per
channel, what is left out and why, and a test e-mail of a line to the current
user."""

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
    # review before logging
    review_email_count = fields.Integer(
        string="E-mails to Send", compute="_compute_review"
    )
    review_letter_count = fields.Integer(
        string="Letters to Print", compute="_compute_review"
    )
    review_blacklisted_count = fields.Integer(
        string="Left Out: Blacklisted", compute="_compute_review"
    )
    review_opted_out_count = fields.Integer(
        string="Left Out: Opted Out", compute="_compute_review"
    )
    review_no_address_count = fields.Integer(
        string="Without E-mail Address", compute="_compute_review"
    )
    review_shared_address_count = fields.Integer(
        string="Covered by a Shared Address", compute="_compute_review"
    )
    review_message = fields.Text(string="Review", compute="_compute_review")
    test_line_id = fields.Many2one(
        "crm.segment.line",
        string="Test E-mail For",
        domain="[('segment_id', '=', segment_id), "
        "('correspondence_type', '=', 'email')]",
        help="Send the merged e-mail of this line to yourself; nothing is logged.",
    )

    @api.depends("segment_id")
    def _compute_missing_email_partner_ids(self):
        for wizard in self:
            segment = wizard.segment_id._origin
            lines = (
                self.env["crm.segment.logging"]._log_missing_email_lines(segment)
                if segment
                else segment.line_ids
            )
            wizard.missing_email_count = len(lines)
            wizard.missing_email_partner_ids = lines[:MISSING_LISTED].partner_id

    @api.depends("segment_id", "send", "missing_email", "one_email_per_address")
    def _compute_review(self):
        for wizard in self:
            segment = wizard.segment_id._origin
            review = (
                segment.log_review(
                    send=wizard.send,
                    missing_email=wizard.missing_email or False,
                    one_email_per_address=wizard.one_email_per_address,
                )
                if segment
                else {}
            )
            wizard.review_email_count = review.get("emails", 0)
            wizard.review_letter_count = review.get("letters", 0)
            wizard.review_blacklisted_count = review.get("blacklisted", 0)
            wizard.review_opted_out_count = review.get("opted_out", 0)
            wizard.review_no_address_count = review.get("no_address", 0)
            wizard.review_shared_address_count = review.get("shared_address", 0)
            wizard.review_message = review.get("message", False)

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

    def action_send_test_email(self):
        self.ensure_one()
        return self.segment_id.action_send_test_email(self.test_line_id)
