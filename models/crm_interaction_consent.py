# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Consent in campaign e-mails: the unsubscribe link and the RFC 8058 headers
of every e-mail, and one e-mail per address."""

from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, email_normalize

from .crm_interaction_render import add_unsubscribe_link, unsubscribe_headers


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    covered_by_id = fields.Many2one(
        "crm.interaction",
        string="E-mail Shared With",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="This contact shares its e-mail address with the contact of that "
        "interaction: one e-mail went to the address.",
    )

    def write(self, vals):
        if "covered_by_id" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "Interactions: the shared e-mail is set by logging the segment."
                )
            )
        return super().write(vals)

    def _consent_unsubscribe_url(self):
        """The signed unsubscribe URL of this interaction's e-mail."""
        self.ensure_one()
        return self._consent_unsubscribe_urls()[self.id]

    def _consent_unsubscribe_urls(self):
        """{interaction id: signed unsubscribe URL of its e-mail}, signed in
        one pass (secret and base URL read once)."""
        sign = self.env["res.partner"].sudo()._consent_signer()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT id, partner_id, template_id, date FROM crm_interaction "
                "WHERE id = ANY(%s)",
                self.ids,
            )
        )
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .browse(list({row[1] for row in rows}))
        )
        emails = {
            partner.id: partner.email_normalized
            or email_normalize(partner.email or "")
            or ""
            for partner in partners
        }
        templates = self.env["crm.interaction.template"].sudo()
        topics = {
            template_id: templates.browse(template_id).mailing_group_id.id
            for template_id in {row[2] for row in rows if row[2]}
        }
        return {
            interaction_id: sign(
                partner_id, emails[partner_id], topics.get(template_id), date
            )[0]
            for interaction_id, partner_id, template_id, date in rows
        }

    def _prepare_mail_values(self, segment, bodies, by_interaction, other_ids):
        """Every campaign e-mail carries its contact's unsubscribe link, in the
        body and in the ``List-Unsubscribe`` headers (RFC 8058)."""
        vals_list = super()._prepare_mail_values(
            segment, bodies, by_interaction, other_ids
        )
        labels = {}
        urls = self._consent_unsubscribe_urls()
        for interaction, values in zip(self, vals_list, strict=True):
            url = urls[interaction.id]
            lang = interaction.lang or self.env.lang
            if lang not in labels:
                labels[lang] = self.with_context(lang=lang).env._("Unsubscribe")
            body = add_unsubscribe_link(values.get("body_html"), url, labels[lang])
            values.update(
                {
                    "body": body,
                    "body_html": body,
                    "headers": repr(unsubscribe_headers(url)),
                }
            )
        return vals_list

    # -------------------------------------------------------------------------
    # ONE E-MAIL PER ADDRESS
    # -------------------------------------------------------------------------
    def _deliver_email_segment(self, segment):
        """With *one e-mail per address*, the first interaction of an address
        in the logged segment gets the e-mail; the later ones share it."""
        covered = self._consent_covered()
        if not covered:
            return super()._deliver_email_segment(segment)
        covered_records = self.browse(list(covered))
        result = super(CrmInteraction, self - covered_records)._deliver_email_segment(
            segment
        )
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_interaction c
                   SET covered_by_id = p.id, mail_id = p.mail_id,
                       delivery_status = p.delivery_status,
                       delivery_error = p.delivery_error,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int4[], %s::int4[]) AS v(id, first_id)
                  JOIN crm_interaction p ON p.id = v.first_id
                 WHERE c.id = v.id
                """,
                list(covered),
                list(covered.values()),
            )
        )
        covered_records.invalidate_recordset(
            ["covered_by_id", "mail_id", "delivery_status", "delivery_error"]
        )
        return result

    def _consent_covered(self):
        """{interaction id: id of the first interaction of its address} of these
        e-mail interactions that another one of their logged segment covers.

        Per address of the batch: its contacts (the ORM, on the index of
        normalized addresses), their line in the segment, the line's
        interaction, each found by a probe of a unique index from the
        batch's own values: the plan, and the time per batch, do not depend
        on the size of the job nor on the tables' statistics.
        """
        result = {}
        for logged, interactions in self.grouped("logged_segment_id").items():
            if logged.one_email_per_address and logged.segment_id:
                result.update(interactions._consent_covered_in(logged))
        return result

    def _consent_covered_in(self, logged):
        emails = {
            interaction.id: interaction.partner_id.email_normalized
            for interaction in self
            if interaction.partner_id.email_normalized
        }
        if not emails:
            return {}
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(
                [("email_normalized", "in", list(set(emails.values())))],
                ["email_normalized"],
            )
        )
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT u.email, o.id
                  FROM unnest(%(partners)s::int4[], %(emails)s::varchar[])
                       AS u(partner_id, email)
                 CROSS JOIN LATERAL (
                      SELECT l.id FROM crm_segment_line l
                       WHERE l.segment_id = %(segment)s
                         AND l.partner_id = u.partner_id
                       LIMIT 1) l
                 CROSS JOIN LATERAL (
                      SELECT i.id FROM crm_interaction i
                       WHERE i.logged_segment_id = %(logged)s
                         AND i.segment_line_id = l.id
                         AND i.correspondence_type = 'email'
                         AND i.canceled IS NOT TRUE
                       LIMIT 1) o
                """,
                partners=partners.ids,
                emails=[partner.email_normalized for partner in partners],
                segment=logged.segment_id.id,
                logged=logged.id,
            )
        )
        first = {}
        for email, interaction_id in rows:
            first[email] = min(first.get(email, interaction_id), interaction_id)
        return {
            interaction_id: first[email]
            for interaction_id, email in emails.items()
            if email in first and first[email] != interaction_id
        }

    def _cancel_outgoing_mails(self):
        """A queued e-mail shared with contacts whose interaction is not
        canceled still goes out to them."""
        mails = self.sudo().mail_id
        if not mails:
            return super()._cancel_outgoing_mails()
        still_used = (
            self.sudo()
            .search(
                [
                    ("mail_id", "in", mails.ids),
                    ("id", "not in", self.ids),
                    ("canceled", "=", False),
                ]
            )
            .mail_id
        )
        kept = self.filtered(lambda i: i.sudo().mail_id in still_used)
        return super(CrmInteraction, self - kept)._cancel_outgoing_mails()
