# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Consent in campaign e-mails: the unsubscribe link and the RFC 8058 headers
of every e-mail, and one e-mail per address."""

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, email_normalize

from .res_partner_consent import UNSUBSCRIBE_ROUTE

UNSUBSCRIBE_EXPRESSION = "unsubscribe_url"
# the placeholder as written, and as an HTML sanitizer may leave it in an href
UNSUBSCRIBE_PLACEHOLDERS = (
    "{{ unsubscribe_url }}",
    "{{unsubscribe_url}}",
    "%7B%7B%20unsubscribe_url%20%7D%7D",
    "%7B%7Bunsubscribe_url%7D%7D",
)


def add_unsubscribe_link(body, url, label):
    """``body`` with its unsubscribe placeholders replaced by ``url``, or with a
    link appended at the end when it has none."""
    body = str(body or "")
    if any(placeholder in body for placeholder in UNSUBSCRIBE_PLACEHOLDERS):
        for placeholder in UNSUBSCRIBE_PLACEHOLDERS:
            body = body.replace(placeholder, str(escape(url)))
        return body
    if UNSUBSCRIBE_ROUTE + "?" in body:
        return body  # has its link already
    # written as the HTML sanitizer writes it: the body stays sanitized
    link = Markup('<p style="font-size:small"><a href="%s">%s</a></p>') % (url, label)
    return str(Markup(body) + link)


def unsubscribe_headers(url):
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "list",
    }


class CrmInteractionRender(models.AbstractModel):
    _inherit = "crm.interaction.render"

    @api.model
    def _check_expressions(self, expressions, where, trusted):
        """``{{ unsubscribe_url }}`` is filled in per e-mail, not rendered."""
        expressions = [e for e in expressions if e.strip() != UNSUBSCRIBE_EXPRESSION]
        return super()._check_expressions(expressions, where, trusted)

    @api.model
    def _render_expressions(
        self, segment, expressions, partner_ids, salesperson, lang, trusted, where
    ):
        kept = {e for e in expressions if e.strip() != UNSUBSCRIBE_EXPRESSION}
        result = super()._render_expressions(
            segment, kept, partner_ids, salesperson, lang, trusted, where
        )
        for expression in set(expressions) - kept:
            # left as it is: the delivery puts each contact's link there
            result[expression] = dict.fromkeys(partner_ids, "{{ unsubscribe_url }}")
        return result


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
        # read by primary key: a join would scan every contact
        emails = dict(
            (partner_id, normalized or email_normalize(email or "") or "")
            for partner_id, normalized, email in self.env.execute_query(
                SQL(
                    "SELECT id, email_normalized, email FROM res_partner "
                    "WHERE id = ANY(%s)",
                    list({row[1] for row in rows}),
                )
            )
        )
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
    def _deliver_email_segment(self, segment, mail_ids=None):
        """With *one e-mail per address*, the first interaction of an address
        in the logged segment gets the e-mail; the later ones share it."""
        covered = self._consent_covered()
        if not covered:
            return super()._deliver_email_segment(segment, mail_ids=mail_ids)
        covered_records = self.browse(list(covered))
        result = super(CrmInteraction, self - covered_records)._deliver_email_segment(
            segment, mail_ids=mail_ids
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
        e-mail interactions that another one of their logged segment covers."""
        logged = self.logged_segment_id.filtered("one_email_per_address")
        if not logged:
            return {}
        self.env.flush_all()
        # per address of the batch, the first e-mail interaction of its logged
        # segment: contacts of the address, their line in the segment, its
        # interaction (unique index lookups, whatever the statistics of a
        # table that grows while the job runs: a time per batch independent
        # of the job's size)
        rows = self.env.execute_query(
            SQL(
                """
                WITH mine AS (
                    SELECT i.id, i.logged_segment_id, ls.segment_id,
                           p.email_normalized
                      FROM crm_interaction i
                      JOIN crm_logged_segment ls
                        ON ls.id = i.logged_segment_id AND ls.id = ANY(%(logged)s)
                      JOIN res_partner p ON p.id = i.partner_id
                     WHERE i.id = ANY(%(ids)s) AND p.email_normalized IS NOT NULL
                )
                SELECT mine.id, firsts.first_id
                  FROM mine
                  CROSS JOIN LATERAL (
                      SELECT MIN(o.id) AS first_id
                        FROM res_partner op
                        JOIN crm_segment_line l
                          ON l.segment_id = mine.segment_id AND l.partner_id = op.id
                        JOIN crm_interaction o
                          ON o.logged_segment_id = mine.logged_segment_id
                         AND o.segment_line_id = l.id
                       WHERE op.email_normalized = mine.email_normalized
                         AND o.correspondence_type = 'email'
                         AND o.canceled IS NOT TRUE
                  ) firsts
                 WHERE firsts.first_id != mine.id
                """,
                ids=self.ids,
                logged=logged.ids,
            )
        )
        return dict(rows)

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
