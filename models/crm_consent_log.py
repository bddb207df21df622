# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Proof of consent: every opt-in and opt-out of campaign e-mail."""

from odoo import api, fields, models

CONSENT_ACTIONS = [("opt_in", "Opt-in"), ("opt_out", "Opt-out")]
CONSENT_SOURCES = [
    ("link", "Unsubscribe Link"),
    ("one_click", "One-Click Unsubscribe"),
    ("manual", "Manual"),
    ("import", "Import"),
]


class CrmConsentLog(models.Model):
    _name = "crm.consent.log"
    _description = "Consent Log"
    _order = "date desc, id desc"
    _rec_name = "email"

    partner_id = fields.Many2one(
        "res.partner", string="Contact", index=True, ondelete="cascade", readonly=True
    )
    email = fields.Char(string="E-mail", readonly=True)
    mailing_group_id = fields.Many2one(
        "crm.mailing.group",
        string="Topic",
        ondelete="set null",
        readonly=True,
        help="The topic opted in or out of; empty: all campaign e-mail.",
    )
    action = fields.Selection(CONSENT_ACTIONS, required=True, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    source = fields.Selection(CONSENT_SOURCES, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Recorded by",
        default=lambda self: self.env.uid,
        readonly=True,
    )

    @api.model
    def _record(self, vals_list):
        """Write consent rows; the addon's only way to write them (users may
        only read the log)."""
        return self.sudo().create(vals_list)
