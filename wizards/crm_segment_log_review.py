# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Review before logging: what goes out per channel, what is left out and
why, and a test e-mail of a line to the current user."""

from odoo import api, fields, models


class CrmSegmentLog(models.TransientModel):
    _inherit = "crm.segment.log"

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

    def action_send_test_email(self):
        self.ensure_one()
        return self.segment_id.action_send_test_email(self.test_line_id)
