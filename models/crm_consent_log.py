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

    # the log outlives its contact and topic: it proves what was agreed
    partner_id = fields.Many2one(
        "res.partner", string="Contact", index=True, ondelete="set null", readonly=True
    )
    email = fields.Char(string="E-mail", readonly=True)
    mailing_group_id = fields.Many2one(
        "crm.mailing.group",
        string="Topic",
        ondelete="set null",
        readonly=True,
        help="The topic opted in or out of; empty: all campaign e-mail.",
    )
    topic_name = fields.Char(
        readonly=True,
        help="The topic's code and description when the row was written: it "
        "stays when the topic is renamed or deleted.",
    )
    action = fields.Selection(CONSENT_ACTIONS, required=True, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    source = fields.Selection(CONSENT_SOURCES, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        readonly=True,
        help="The company of the topic, else of the contact; empty: shared by "
        "all companies (a blacklisted address, a shared contact).",
    )
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
        Topic = self.env["crm.mailing.group"].sudo()
        Partner = self.env["res.partner"].sudo()
        for vals in vals_list:
            topic = Topic.browse(vals.get("mailing_group_id"))
            if topic and not vals.get("topic_name"):
                vals["topic_name"] = topic.display_name
            if "company_id" not in vals:
                vals["company_id"] = (
                    topic.company_id
                    or Partner.browse(vals.get("partner_id")).company_id
                ).id
        return self.sudo().create(vals_list)
