# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Let the interactions follow the state of their e-mails.

        The mail engine calls this right after each sending attempt, with the
        mail's final state written (``sent`` or ``exception``) and before an
        auto-deleted mail disappears, so this is the one place where both
        outcomes are known.  Bounces arrive later by inbound mail and are
        handled by ``crm.interaction._message_receive_bounce``.
        """
        interactions = (
            self.env["crm.interaction"].sudo().search([("mail_id", "in", self.ids)])
        )
        # a canceled interaction is never marked delivered
        interactions = interactions.filtered(lambda i: not i.canceled)
        if interactions:
            by_mail = interactions.grouped("mail_id")
            delivered = interactions.browse()
            failed_by_reason = {}
            for mail in self:
                records = by_mail.get(mail)
                if not records:
                    continue
                if mail.state == "sent":
                    delivered |= records
                    continue
                reason = (
                    mail.failure_reason
                    or failure_reason
                    or self.env._(
                        "The e-mail could not be sent (%(type)s).",
                        type=mail.failure_type or failure_type or "unknown",
                    )
                )
                failed_by_reason[reason] = (
                    failed_by_reason.get(reason, interactions.browse()) | records
                )
            delivered._set_delivery_status("delivered")
            for reason, records in failed_by_reason.items():
                records._set_delivery_status("error", reason)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
