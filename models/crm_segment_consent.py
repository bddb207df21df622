# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging honours consent: e-mail lines of contacts who opted out of the
template's topic, or whose address is blacklisted, are left out; the review
counts what goes out per channel before anything is written."""

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_interaction_render import add_unsubscribe_link, unsubscribe_headers
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


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    # -------------------------------------------------------------------------
    # CONSENT
    # -------------------------------------------------------------------------
    def _log_consent_excluded_lines(self):
        """E-mail lines left out for consent, in line order.

        :return: {"blacklisted": lines, "opted_out": lines}; a line whose
            address is blacklisted counts there only
        """
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.id, b.id IS NOT NULL
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN crm_interaction_template t
                    ON t.id = COALESCE(l.interaction_template_id, %(template)s)
                  LEFT JOIN mail_blacklist b
                    ON b.email = p.email_normalized AND b.active
                 WHERE l.segment_id = %(segment)s
                   AND l.correspondence_type = 'email'
                   AND (b.id IS NOT NULL
                        OR EXISTS (
                            SELECT 1 FROM crm_mailing_group_opt_out_rel o
                             WHERE o.partner_id = l.partner_id
                               AND o.mailing_group_id = t.mailing_group_id))
                 ORDER BY l.id
                """,
                template=self.interaction_template_id.id or None,
                segment=self.id,
            )
        )
        Line = self.env["crm.segment.line"]
        return {
            "blacklisted": Line.browse([i for i, black in rows if black]),
            "opted_out": Line.browse([i for i, black in rows if not black]),
        }

    def _log_consent_leave_out(self):
        """Take the e-mail lines left out for consent out of the segment before
        its interactions are written, and say so in its chatter.

        :return: the number of lines left out
        """
        self.ensure_one()
        excluded = self._log_consent_excluded_lines()
        lines = excluded["blacklisted"] | excluded["opted_out"]
        if not lines:
            return 0
        parts = []
        for key, label in (
            ("blacklisted", self.env._("address blacklisted")),
            ("opted_out", self.env._("opted out of the topic")),
        ):
            if excluded[key]:
                parts.append(
                    self.env._(
                        "%(reason)s: %(contacts)s",
                        reason=label,
                        contacts=self._log_list(excluded[key].partner_id),
                    )
                )
        self.message_post(
            body=self.env._(
                "Left out of the segment (no consent to e-mail): %(details)s",
                details="; ".join(parts),
            )
        )
        count = len(lines)
        lines.unlink()
        return count

    # -------------------------------------------------------------------------
    # REVIEW
    # -------------------------------------------------------------------------
    def log_review(self, send=True, missing_email=False, one_email_per_address=True):
        """What logging would do, without writing anything.

        :return: dict with ``emails`` and ``letters`` (going out),
            ``interactions``, and the e-mail lines left out: ``blacklisted``,
            ``opted_out``, ``no_address`` (no valid address, left out or
            switched to hard copy per ``missing_email``), ``shared_address``
            (covered by another contact's e-mail), and ``message`` (the same
            in words)
        """
        self.ensure_one()
        self.check_access("read")
        excluded = self._log_consent_excluded_lines()
        left_out = excluded["blacklisted"] | excluded["opted_out"]
        missing = self._log_missing_email_lines()
        self.env.flush_all()
        [(email_lines, letter_lines, total, addresses)] = self.env.execute_query(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE l.correspondence_type = 'email'
                                          AND NOT l.id = ANY(%(missing)s)),
                       COUNT(*) FILTER (WHERE l.correspondence_type = 'hard_copy'),
                       COUNT(*),
                       COUNT(DISTINCT p.email_normalized) FILTER (
                           WHERE l.correspondence_type = 'email'
                             AND NOT l.id = ANY(%(missing)s))
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.segment_id = %(segment)s AND NOT l.id = ANY(%(left_out)s)
                """,
                missing=missing.ids,
                left_out=left_out.ids,
                segment=self.id,
            )
        )
        shared = email_lines - addresses if one_email_per_address else 0
        switched = len(missing) if missing_email == "hard_copy" else 0
        skipped = len(missing) if missing_email == "skip" else 0
        result = {
            "emails": (email_lines - shared) if send else 0,
            "letters": (letter_lines + switched) if send else 0,
            "interactions": total - len(left_out) - skipped,
            "blacklisted": len(excluded["blacklisted"]),
            "opted_out": len(excluded["opted_out"]),
            "no_address": len(missing),
            "shared_address": shared if send else 0,
        }
        result["message"] = self.env._(
            "%(emails)s e-mails and %(letters)s letters go out, %(interactions)s "
            "interactions are logged. E-mail lines left out: %(blacklisted)s "
            "blacklisted, %(opted_out)s opted out of the topic; %(no_address)s "
            "without a valid address; %(shared_address)s covered by the e-mail "
            "of another contact with the same address.",
            **result,
        )
        return result

    def action_send_test_email(self, line):
        """Send the merged e-mail of ``line`` (a line or its id) to the current
        user; log nothing.

        The interaction is only a draft in memory: no interaction, no logged
        segment, no change to the segment.
        """
        self.ensure_one()
        if isinstance(line, int):
            line = self.env["crm.segment.line"].browse(line)
        line.ensure_one()
        if line.segment_id != self:
            raise UserError(self.env._("Choose a line of this segment."))
        user = self.env.user
        if not user.email:
            raise UserError(
                self.env._("Your user has no e-mail address to send the test to.")
            )
        template = line.interaction_template_id or self.interaction_template_id
        if not template:
            raise UserError(self.env._("The line has no interaction template."))
        self._log_check_deliveries(True, self.env["crm.segment.line"], line.browse())
        render = self.env["crm.interaction.render"]
        row = template._get_language(line.lang)
        subject_source = render._subject_source(
            self,
            template,
            line.lang,
            line.subject or self.subject,
        )
        salesperson = line.user_id or self.user_id or user
        subject = (
            render._render_texts(
                self,
                [
                    (
                        "subject",
                        line.partner_id.id,
                        salesperson.id,
                        line.lang,
                        subject_source,
                    )
                ],
                escape=False,
            ).get("subject")
            or ""
        )
        body = ""
        if row.body_html:
            body = render._render_texts(
                self,
                [
                    (
                        "body",
                        line.partner_id.id,
                        salesperson.id,
                        line.lang,
                        (
                            row.body_html,
                            True,  # checked when the row was saved
                            template.display_name,
                        ),
                    )
                ],
                escape=True,
            ).get("body", "")
        # the link of the test e-mail unsubscribes nobody: it is the user's own
        url = user.partner_id._consent_unsubscribe_url(
            user.email, template.mailing_group_id
        )
        label = self.with_context(lang=line.lang or self.env.lang).env._("Unsubscribe")
        body = add_unsubscribe_link(Markup(body), url, label)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._("[Test] %(subject)s", subject=subject),
                    "body_html": body,
                    "email_from": (self.user_id or user).email_formatted,
                    "email_to": user.email_formatted,
                    "headers": repr(unsubscribe_headers(url)),
                    "auto_delete": True,
                }
            )
        )
        mail.send(raise_exception=False)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Test e-mail for %(contact)s sent to %(email)s.",
                    contact=line.partner_id.display_name,
                    email=user.email,
                ),
                "sticky": False,
            },
        }
