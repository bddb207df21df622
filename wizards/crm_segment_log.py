# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmSegmentLog(models.TransientModel):
    _name = "crm.segment.log"
    _description = "Log Segment"

    segment_id = fields.Many2one("crm.segment", required=True, ondelete="cascade")
    send = fields.Boolean(
        string="Send Attachments",
        help="Send the e-mails and produce the letters while logging.",
    )
    create_follow_up = fields.Boolean(string="Create Follow-up Segment")
