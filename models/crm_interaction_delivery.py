# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Delivery of logged interactions: e-mails, printed letters, resending."""

import io
import zipfile

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL, is_html_empty

from .crm_interaction_render import is_docx_name

LETTER_REPORT = "crm_campaign_segment.action_report_crm_logged_segment_letters"
MAX_LISTED = 10
DOCX_MIMETYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------
    def action_resend(self):
        """Send the failed e-mails of these interactions again.

        A mail that still exists is put back in the queue; an interaction
        whose mail is gone (address blacklisted then, mail deleted) is
        delivered anew.
        """
        failed = self.filtered(
            lambda i: (
                i.delivery_status == "error"
                and i.correspondence_type == "email"
                and not i.canceled
            )
        )
        if failed != self:
            raise UserError(
                self.env._(
                    "Interaction %(interaction)s cannot be resent: only e-mails "
                    "that failed and are not canceled can be resent.",
                    interaction=(self - failed)[:1].display_name,
                )
            )
        with_mail = failed.filtered(lambda i: i.sudo().mail_id)
        without_mail = failed - with_mail
        # refused before anything is queued again
        orphans = without_mail.filtered(lambda i: not i.logged_segment_id.segment_id)
        if orphans:
            raise UserError(
                self.env._(
                    "Interaction %(interaction)s cannot be resent: its segment "
                    "was deleted.",
                    interaction=orphans[:1].display_name,
                )
            )
        with_mail.sudo().mail_id.mark_outgoing()
        with_mail._set_delivery_status("in_progress")
        without_mail._deliver_email()
        return True

    # -------------------------------------------------------------------------
    # DELIVERY
    # -------------------------------------------------------------------------
    def _deliver(self):
        """Deliver these interactions by their correspondence type."""
        self._deliver_email()
        self._deliver_letter()

    def _deliver_email(self):
        """One ``mail.mail`` per e-mail interaction, queued in Odoo's mail engine.

        Subject (rendered when the interaction was logged) and body come from
        the template's row for the contact's language (else the template's
        default); the Word documents are merged for the contact and attached
        when the segment says so, else, when the row has no e-mail body, the
        merged documents become the body; other attachments go as they are.
        Blacklisted addresses are not mailed: their interactions get an error
        and the logged segment a message.

        The mails (and their messages) are created by ``mail.mail.create`` in
        one batched value list, as Odoo's mass-mode composer creates them,
        with sender, reply-to and record names computed once per batch.
        """
        emails = self.filtered(lambda i: i.correspondence_type == "email")
        for logged, interactions in emails.grouped("logged_segment_id").items():
            interactions._deliver_email_segment(logged.segment_id)

    def _blacklisted(self):
        """The interactions whose contact's address is blacklisted."""
        if not self:
            return self
        emails = set(self.partner_id.mapped("email_normalized")) - {False}
        if not emails:
            return self.browse()
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", list(emails))])
            .mapped("email")
        )
        return self.filtered(lambda i: i.partner_id.email_normalized in blacklisted)

    def _deliver_email_segment(self, segment):
        """Queue the e-mails of these interactions of ``segment`` (one batch)."""
        if not self:
            return
        blacklisted = self._blacklisted()
        if blacklisted:
            blacklisted._set_delivery_status(
                "error", self.env._("The e-mail address is blacklisted: not sent.")
            )
            for logged, records in blacklisted.grouped("logged_segment_id").items():
                logged._message_log(
                    body=self.env._(
                        "Not e-mailed, address blacklisted: %(contacts)s",
                        contacts=_list_names(records.partner_id),
                    )
                )
        interactions = self - blacklisted
        if not interactions:
            return
        render = self.env["crm.interaction.render"]
        # sanitized as the message's body, once per text (the chatter shows it)
        body_field = self.env["mail.message"]._fields["body"]
        bodies = render._render_rows(
            segment, interactions, "body_html", escape=True, sanitize=body_field
        )
        merged = {}
        if segment.send_word_as_attachment:
            merged = render._merge_documents(segment, interactions)
        else:
            empty = {
                (template, lang): is_html_empty(template._get_language(lang).body_html)
                for template, lang in {(i.template_id, i.lang) for i in interactions}
            }
            without_body = interactions.filtered(
                lambda i: empty[(i.template_id, i.lang)]
            )
            if without_body:
                for interaction_id, documents in render._merge_documents(
                    segment, without_body
                ).items():
                    bodies[interaction_id] = render._sanitize(
                        body_field,
                        "".join(render._docx_to_html(data) for __, data in documents),
                    )
        by_interaction = interactions._create_merged_attachments(merged)
        other_attachments = segment.attachment_ids.filtered(
            lambda a: not is_docx_name(a.name)
        )
        mails = (
            self.env["mail.mail"]
            .sudo()
            # a valid default state: mail.mail's default_get then keeps the
            # context as it is instead of making a new one per e-mail
            .with_context(
                mail_create_nolog=True, mail_notrack=True, default_state="outgoing"
            )
            .create(
                interactions._prepare_mail_values(
                    segment, bodies, by_interaction, other_attachments.ids
                )
            )
        )
        interactions._update_delivery(
            {
                interaction_id: (
                    mail_id,
                    (by_interaction.get(interaction_id) or [None])[0],
                )
                for interaction_id, mail_id in zip(
                    interactions.ids, mails.ids, strict=True
                )
            }
        )

    def _create_merged_attachments(self, merged):
        """Attach the merged Word documents to their interactions.

        :return: {interaction_id: [attachment ids]}
        """
        attachment_vals, owners = [], []
        for interaction in self:
            for name, data in merged.get(interaction.id, []):
                attachment_vals.append(
                    {
                        "name": name,
                        "raw": data,
                        "res_model": "crm.interaction",
                        "res_id": interaction.id,
                        "mimetype": DOCX_MIMETYPE,
                    }
                )
                owners.append(interaction.id)
        if not attachment_vals:
            return {}
        attachments = self.env["ir.attachment"].create(attachment_vals)
        by_interaction = {}
        for owner, attachment in zip(owners, attachments, strict=True):
            by_interaction.setdefault(owner, []).append(attachment.id)
        return by_interaction

    def _prepare_mail_values(self, segment, bodies, by_interaction, other_ids):
        """Values of the e-mails of these interactions (extension point).

        Computed once per batch: the sender of each salesperson, the reply-to
        (``_notify_get_reply_to`` on the whole batch), the record names.
        """
        Message = self.env["mail.message"]
        default_from = (
            segment.user_id.email_formatted
            or segment.company_id.email_formatted
            or self.env.user.email_formatted
        )
        self.env.flush_all()
        # plain values of the batch in one query (no record per field access)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, user_id, partner_id, subject
                  FROM crm_interaction
                 WHERE id = ANY(%s)
                """,
                self.ids,
            )
        )
        values_by_id = {row[0]: row[1:] for row in rows}
        Users = self.env["res.users"]
        senders = {
            user_id: Users.browse(user_id).email_formatted or default_from
            for user_id in {row[1] for row in rows if row[1]}
        }
        reply_to = {}
        for email_from in set(senders.values()) | (
            {default_from} if any(not row[1] for row in rows) else set()
        ):
            reply_to[email_from] = self.sudo()._notify_get_reply_to(default=email_from)
        names = {record.id: record.display_name for record in self.sudo()}
        # the author mail.message's create would compute for each e-mail
        author_id = self.env.user.partner_id.id
        vals_list = []
        for interaction_id in self.ids:
            user_id, partner_id, subject = values_by_id[interaction_id]
            email_from = senders.get(user_id, default_from)
            values = {
                "model": self._name,
                "res_id": interaction_id,
                "message_type": "email_outgoing",
            }
            body = bodies.get(interaction_id) or ""
            values.update(
                {
                    # rendered for the contact when the interaction was logged
                    "subject": subject,
                    "body": body,
                    "body_html": body,
                    "author_id": author_id,
                    "email_from": email_from,
                    "reply_to": reply_to[email_from][interaction_id],
                    "message_id": Message._get_message_id(values),
                    "record_name": names[interaction_id],
                    "recipient_ids": [partner_id],
                    "auto_delete": False,
                    "attachment_ids": by_interaction.get(interaction_id, [])
                    + other_ids,
                }
            )
            vals_list.append(values)
        return vals_list

    def _update_delivery(self, values):
        """Link e-mails and documents, delivery in progress, in one statement
        on the addon's own table (engine fields, written by no one else).

        :param values: {interaction_id: (mail_id, attachment_id)}
        """
        if not values:
            return
        self.env.flush_all()
        keys = list(values)
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_interaction i
                   SET mail_id = v.mail_id,
                       attachment_id = COALESCE(v.attachment_id, i.attachment_id),
                       delivery_status = 'in_progress',
                       delivery_error = NULL,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int4[], %s::int4[], %s::int4[])
                       AS v(id, mail_id, attachment_id)
                 WHERE i.id = v.id
                """,
                keys,
                [values[key][0] for key in keys],
                [values[key][1] for key in keys],
            )
        )
        self.browse(list(values)).invalidate_recordset(
            ["mail_id", "attachment_id", "delivery_status", "delivery_error"]
        )

    def _update_column(self, column, values):
        """Set ``column`` of many interactions to per-record values, in SQL."""
        if not values:
            return
        self.env.flush_all()
        rows = SQL(", ").join(
            SQL("(%s, %s)", key, value) for key, value in values.items()
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_interaction i
                   SET %(column)s = v.value
                  FROM (VALUES %(rows)s) AS v(id, value)
                 WHERE i.id = v.id AND i.id = ANY(%(ids)s)
                """,
                column=SQL.identifier(column),
                rows=rows,
                ids=list(values),
            )
        )
        self.browse(list(values)).invalidate_recordset([column])

    def _deliver_letter(self):
        """Letters for the hard-copy interactions, per logged segment.

        The letter bodies are merged for each contact, the QWeb letter report
        renders them into one printable PDF in one call, and the merged Word
        letters go into one zip; both are attached to the logged segment and
        posted in its chatter.
        """
        letters = self.filtered(lambda i: i.correspondence_type == "hard_copy")
        for logged, interactions in letters.grouped("logged_segment_id").items():
            interactions._deliver_letter_segment(logged)

    def _deliver_letter_segment(self, logged):
        segment = logged.segment_id
        render = self.env["crm.interaction.render"]
        bodies = render._render_rows(segment, self, "letter_body", escape=True)
        self._update_column("body_html", bodies)
        merged = render._merge_documents(segment, self)
        # One call, one document: all letters of the batch in one report of
        # the logged segment (wkhtmltopdf runs once per batch).
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(crm_letter_interaction_ids=self.ids)
            ._render_qweb_pdf(LETTER_REPORT, logged.ids)
        )
        label = f"{logged.name} {self[0].id}-{self[-1].id}"
        attachment_vals = [
            {
                "name": self.env._("Letters %(batch)s", batch=label)
                + f".{report_type}",
                "raw": content,
                "res_model": "crm.logged.segment",
                "res_id": logged.id,
                "mimetype": "application/pdf" if report_type == "pdf" else "text/html",
            }
        ]
        if merged:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for index, interaction in enumerate(self, start=1):
                    for name, data in merged.get(interaction.id, []):
                        archive.writestr(f"{index:05d} {name}", data)
            attachment_vals.append(
                {
                    "name": self.env._("Word letters %(batch)s", batch=label) + ".zip",
                    "raw": buffer.getvalue(),
                    "res_model": "crm.logged.segment",
                    "res_id": logged.id,
                    "mimetype": "application/zip",
                }
            )
        attachments = self.env["ir.attachment"].create(attachment_vals)
        logged._message_log(
            body=self.env._("%(count)s letters to print.", count=len(self)),
            attachment_ids=attachments.ids,
        )
        self._update_column("attachment_id", dict.fromkeys(self.ids, attachments[0].id))
        self._set_delivery_status("delivered")


def _list_names(records):
    names = records[:MAX_LISTED].mapped("display_name")
    if len(records) > MAX_LISTED:
        names.append(
            records.env._("and %(count)s more", count=len(records) - MAX_LISTED)
        )
    return ", ".join(names)
