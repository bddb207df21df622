# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging honours consent: e-mail lines of contacts who opted out of the
template's topic, or whose address is blacklisted, are left out; the review
counts what goes out per channel before anything is written."""

from odoo import fields, models
from odoo.exceptions import AccessError

from .crm_logged_segment import field_labels

CONSENT_ENGINE_FIELDS = {"one_email_per_address", "consent_excluded_count"}


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    one_email_per_address = fields.Boolean(
        readonly=True,
        help="Contacts sharing an e-mail address got one e-mail; each has its "
        "interaction.",
    )
    consent_excluded_count = fields.Integer(
        string="Left Out (Consent)",
        readonly=True,
        help="E-mail lines left out when logging: opted out of the topic or "
        "address blacklisted.",
    )

    def _check_protected_fields(self, fields_written):
        """Only the engine writes what logging did about consent."""
        refused = set(fields_written) & CONSENT_ENGINE_FIELDS
        if refused and not self.env.su:
            raise AccessError(
                self.env._(
                    "Logged segments: %(fields)s can only be set by logging the "
                    "segment.",
                    fields=field_labels(self, refused),
                )
            )
        return super()._check_protected_fields(fields_written)
