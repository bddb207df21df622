# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.tools import email_normalize

from .res_partner_consent import CONSENT_ENGINE


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    def _add(self, email, message=None):
        record = super()._add(email, message=message)
        self._consent_log_manual(email, "opt_out")
        return record

    def _remove(self, email, message=None):
        record = super()._remove(email, message=message)
        self._consent_log_manual(email, "opt_in")
        return record

    def _consent_log_manual(self, email, action):
        """Log a blacklisting (or its removal) made by hand for every contact
        with the address; the addon's own opt-outs are logged by their caller."""
        normalized = email_normalize(email or "")
        if self.env.context.get(CONSENT_ENGINE) or not normalized:
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "=", normalized)])
        )
        self.env["crm.consent.log"]._record(
            [
                {
                    "partner_id": partner.id,
                    "email": normalized,
                    "action": action,
                    "source": "import"
                    if self.env.context.get("import_file")
                    else "manual",
                }
                for partner in partners
            ]
        )
