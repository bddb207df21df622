# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Delivery of interactions, as a service (``crm.interaction.delivery``), in
the manner of Odoo's ``account.move.send``: the logging batches and the
interactions' Resend call it with the interactions to deliver.

E-mails: one ``mail.mail`` per interaction (or per address, with *one e-mail
per address*), created by ``mail.mail.create`` in one batched value list as
Odoo's mass-mode composer creates them, with the body rendered by
``crm.interaction.render``, the merged Word documents, the other attachments
of the segment and each contact's unsubscribe link and headers; blacklisted
addresses are not mailed.  Letters: one printable PDF and one zip of merged
Word letters per batch, attached to the logged segment.

The test e-mail of a segment line is built by the same code
(``_prepare_test_email_values``), for the user's own address, without any
interaction.
"""

import io
import zipfile

from odoo import Command, models
from odoo.tools import SQL, email_normalize, is_html_empty

from .crm_interaction_render import (
    add_unsubscribe_link,
    is_docx_name,
    unsubscribe_headers,
)

LETTER_REPORT = "crm_campaign_segment.action_report_crm_logged_segment_letters"
MAX_LISTED = 10
DOCX_MIMETYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


def _list_names(records):
    names = records[:MAX_LISTED].mapped("display_name")
    if len(records) > MAX_LISTED:
        names.append(
            records.env._("and %(count)s more", count=len(records) - MAX_LISTED)
        )
    return ", ".join(names)


class CrmInteractionDelivery(models.AbstractModel):
    _name = "crm.interaction.delivery"
    _description = "Interaction Delivery"

    # -------------------------------------------------------------------------
    # E-MAILS
    # -------------------------------------------------------------------------
    def _deliver(self, interactions):
        """Deliver these interactions by their correspondence type."""
        self._deliver_email(interactions)
        self._deliver_letter(interactions)

    def _deliver_email(self, records):
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
        emails = records.filtered(lambda i: i.correspondence_type == "email")
        for logged, interactions in emails.grouped("logged_segment_id").items():
            self._deliver_email_segment(interactions, logged.segment_id)

    def _blacklisted(self, interactions):
        """The interactions whose contact's address is blacklisted."""
        if not interactions:
            return interactions
        emails = set(interactions.partner_id.mapped("email_normalized")) - {False}
        if not emails:
            return interactions.browse()
        blacklisted = set(
            interactions.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", list(emails))])
            .mapped("email")
        )
        return interactions.filtered(
            lambda i: i.partner_id.email_normalized in blacklisted
        )

    def _deliver_email_segment(self, interactions, segment):
        """Queue the e-mails of these interactions of ``segment`` (one batch).

        With *one e-mail per address*, the first interaction of an address
        in the logged segment gets the e-mail; the later ones share it.
        """
        covered = self._consent_covered(interactions)
        if not covered:
            self._queue_segment_emails(interactions, segment)
            return
        covered_records = interactions.browse(list(covered))
        self._queue_segment_emails(interactions - covered_records, segment)
        interactions.env.flush_all()
        interactions.env.execute_query(
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

    def _queue_segment_emails(self, batch, segment):
        """Queue one ``mail.mail`` per interaction of ``segment`` (one batch):
        all of them, but those whose address is blacklisted."""
        if not batch:
            return
        blacklisted = self._blacklisted(batch)
        if blacklisted:
            blacklisted._set_delivery_status(
                "error", batch.env._("The e-mail address is blacklisted: not sent.")
            )
            for logged, records in blacklisted.grouped("logged_segment_id").items():
                logged._message_log(
                    body=batch.env._(
                        "Not e-mailed, address blacklisted: %(contacts)s",
                        contacts=_list_names(records.partner_id),
                    )
                )
        interactions = batch - blacklisted
        if not interactions:
            return
        bodies, merged = self._email_bodies(interactions, segment)
        by_interaction = self._create_merged_attachments(interactions, merged)
        other_attachments = self._other_attachments(segment)
        mails = (
            batch.env["mail.mail"]
            .sudo()
            # a valid default state: mail.mail's default_get then keeps the
            # context as it is instead of making a new one per e-mail
            .with_context(
                mail_create_nolog=True, mail_notrack=True, default_state="outgoing"
            )
            .create(
                self._prepare_mail_values(
                    interactions, segment, bodies, by_interaction, other_attachments.ids
                )
            )
        )
        self._update_delivery(
            interactions,
            {
                interaction_id: (
                    mail_id,
                    (by_interaction.get(interaction_id) or [None])[0],
                )
                for interaction_id, mail_id in zip(
                    interactions.ids, mails.ids, strict=True
                )
            },
        )

    def _email_bodies(self, interactions, segment):
        """The bodies of the e-mails of these interactions of ``segment``, and
        the merged Word documents they attach.

        The body is the template's row for the contact's language, rendered
        for the contact; the Word documents are merged for the contact and
        attached when the segment says so, else, when the row has no e-mail
        body, the merged documents become the body.

        :return: ({interaction_id: body}, {interaction_id: [(file name,
            merged .docx bytes)]})
        """
        render = interactions.env["crm.interaction.render"]
        # sanitized as the message's body, once per text (the chatter shows it)
        body_field = interactions.env["mail.message"]._fields["body"]
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
        return bodies, merged

    def _other_attachments(self, segment):
        """The segment's attachments that go with every e-mail as they are
        (the Word documents are merged)."""
        return segment.attachment_ids.filtered(lambda a: not is_docx_name(a.name))

    def _docx_attachment_values(self, name, data):
        """The values of the attachment of a merged Word document."""
        return {"name": name, "raw": data, "mimetype": DOCX_MIMETYPE}

    def _create_merged_attachments(self, interactions, merged):
        """Attach the merged Word documents to their interactions.

        :return: {interaction_id: [attachment ids]}
        """
        attachment_vals, owners = [], []
        for interaction in interactions:
            for name, data in merged.get(interaction.id, []):
                attachment_vals.append(
                    {
                        **self._docx_attachment_values(name, data),
                        "res_model": "crm.interaction",
                        "res_id": interaction.id,
                    }
                )
                owners.append(interaction.id)
        if not attachment_vals:
            return {}
        attachments = interactions.env["ir.attachment"].create(attachment_vals)
        by_interaction = {}
        for owner, attachment in zip(owners, attachments, strict=True):
            by_interaction.setdefault(owner, []).append(attachment.id)
        return by_interaction

    def _prepare_mail_values(
        self, interactions, segment, bodies, by_interaction, other_ids
    ):
        """Values of the e-mails of these interactions (extension point).

        Computed once per batch: the sender of each salesperson, the reply-to
        (``_notify_get_reply_to`` on the whole batch), the record names.
        Every campaign e-mail carries its contact's unsubscribe link, in the
        body and in the ``List-Unsubscribe`` headers (RFC 8058), and, when
        its template tracks them, short links and a tracking image
        (``crm.interaction.tracking``).
        """
        Message = interactions.env["mail.message"]
        interactions.env.flush_all()
        # plain values of the batch in one query (no record per field access)
        rows = interactions.env.execute_query(
            SQL(
                "SELECT id, user_id, partner_id, subject FROM crm_interaction "
                "WHERE id = ANY(%s)",
                interactions.ids,
            )
        )
        values_by_id = {row[0]: row[1:] for row in rows}
        senders, reply_to = self._mail_senders(
            interactions, segment, {row[1] for row in rows}
        )
        names = {record.id: record.display_name for record in interactions.sudo()}
        # the author mail.message's create would compute for each e-mail
        author_id = interactions.env.user.partner_id.id
        vals_list = []
        for interaction_id in interactions.ids:
            user_id, partner_id, subject = values_by_id[interaction_id]
            email_from = senders[user_id]
            values = {
                "model": interactions._name,
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
        self._add_unsubscribe_links(interactions, vals_list)
        # short links and the tracking image, once the unsubscribe link is in
        interactions.env["crm.interaction.tracking"]._track_emails(
            interactions, vals_list
        )
        return vals_list

    def _mail_senders(self, interactions, segment, user_ids):
        """The sender of each salesperson (``None``: the segment's, else its
        company's), and the reply-to of these interactions per sender
        (``_notify_get_reply_to`` once per sender on the whole batch).

        :return: ({user id or None: email_from}, {email_from: {id: reply-to}})
        """
        senders = self._mail_sender_addresses(segment, user_ids)
        reply_to = {
            email_from: interactions.sudo()._notify_get_reply_to(default=email_from)
            for email_from in set(senders.values())
        }
        return senders, reply_to

    def _mail_sender_addresses(self, segment, user_ids):
        """{user id or None: the sender of that salesperson's e-mails}: the
        salesperson's address, else the segment's salesperson's, else its
        company's."""
        default_from = (
            segment.user_id.email_formatted
            or segment.company_id.email_formatted
            or segment.env.user.email_formatted
        )
        Users = segment.env["res.users"]
        return {
            user_id: (Users.browse(user_id).email_formatted if user_id else None)
            or default_from
            for user_id in user_ids
        }

    def _add_unsubscribe_links(self, interactions, vals_list):
        """Put each contact's unsubscribe link into the body of its e-mail and
        into its ``List-Unsubscribe`` headers."""
        labels = {}
        urls = self._consent_unsubscribe_urls(interactions)
        for interaction, values in zip(interactions, vals_list, strict=True):
            url = urls[interaction.id]
            lang = interaction.lang or interactions.env.lang
            if lang not in labels:
                labels[lang] = interactions.with_context(lang=lang).env._("Unsubscribe")
            self._add_unsubscribe_link(values, url, labels[lang])

    def _add_unsubscribe_link(self, values, url, label):
        """Put the unsubscribe link ``url`` into the body of the e-mail of
        ``values`` and into its ``List-Unsubscribe`` headers."""
        body = add_unsubscribe_link(values.get("body_html"), url, label)
        values.update(
            {
                "body": body,
                "body_html": body,
                "headers": repr(unsubscribe_headers(url)),
            }
        )

    def _update_delivery(self, interactions, values):
        """Link e-mails and documents, delivery in progress, in one statement
        on the addon's own table (engine fields, written by no one else).

        :param values: {interaction_id: (mail_id, attachment_id)}
        """
        if not values:
            return
        interactions.env.flush_all()
        keys = list(values)
        interactions.env.execute_query(
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
        interactions.browse(list(values)).invalidate_recordset(
            ["mail_id", "attachment_id", "delivery_status", "delivery_error"]
        )

    def _update_column(self, interactions, column, values):
        """Set ``column`` of many interactions to per-record values, in SQL."""
        if not values:
            return
        interactions.env.flush_all()
        rows = SQL(", ").join(
            SQL("(%s, %s)", key, value) for key, value in values.items()
        )
        interactions.env.execute_query(
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
        interactions.browse(list(values)).invalidate_recordset([column])

    # -------------------------------------------------------------------------
    # TEST E-MAIL
    # -------------------------------------------------------------------------
    def _send_test_email(self, line, template):
        """Send the e-mail of segment ``line`` (with ``template``) to the
        current user; write no interaction, change no consent."""
        values = self._prepare_test_email_values(line, template)
        mail = self.env["mail.mail"].sudo().create(values)
        mail.send(raise_exception=False)
        return mail

    def _prepare_test_email_values(self, line, template):
        """The values of the e-mail the interaction of ``line`` would get,
        built by the delivery's own code (body, merged Word documents, other
        attachments, sender, unsubscribe link and headers), for the current
        user's address.

        The interaction is only a draft in memory; the unsubscribe link is
        the user's own, so that it unsubscribes nobody else.
        """
        segment = line.segment_id
        user = self.env.user
        salesperson = line.user_id or segment.user_id
        interaction = self.env["crm.interaction"].new(
            {
                **template._get_interaction_values(),
                "partner_id": line.partner_id.id,
                "user_id": salesperson.id,
                "lang": line.lang,
                "correspondence_type": "email",
                "subject": self._render_test_subject(line, template, salesperson),
            }
        )
        bodies, merged = self._email_bodies(interaction, segment)
        sender = self._mail_sender_addresses(segment, [salesperson.id or None])
        values = {
            "subject": self.env._("[Test] %(subject)s", subject=interaction.subject),
            "body_html": bodies.get(interaction.id) or "",
            "email_from": sender[salesperson.id or None],
            "email_to": user.email_formatted,
            "auto_delete": True,
            # the merged documents belong to the e-mail: deleted with it
            "attachment_ids": [
                Command.create(
                    {
                        **self._docx_attachment_values(name, data),
                        "res_model": "mail.message",
                    }
                )
                for name, data in merged.get(interaction.id, [])
            ]
            + [Command.link(a.id) for a in self._other_attachments(segment)],
        }
        url = user.partner_id._consent_unsubscribe_url(
            user.email, template.mailing_group_id
        )
        lang = line.lang or self.env.lang
        label = self.with_context(lang=lang).env._("Unsubscribe")
        self._add_unsubscribe_link(values, url, label)
        return values

    def _render_test_subject(self, line, template, salesperson):
        """The subject of the test e-mail of ``line``, rendered as logging
        renders it."""
        segment = line.segment_id
        render = self.env["crm.interaction.render"]
        source = render._subject_source(
            segment, template, line.lang, line.subject or segment.subject
        )
        items = [
            (
                "subject",
                line.partner_id.id,
                (salesperson or self.env.user).id,
                line.lang,
                source,
            )
        ]
        return render._render_texts(segment, items, escape=False).get("subject") or ""

    # -------------------------------------------------------------------------
    # LETTERS
    # -------------------------------------------------------------------------
    def _deliver_letter(self, records):
        """Letters for the hard-copy interactions, per logged segment.

        The letter bodies are merged for each contact, the QWeb letter report
        renders them into one printable PDF in one call, and the merged Word
        letters go into one zip; both are attached to the logged segment and
        posted in its chatter.
        """
        letters = records.filtered(lambda i: i.correspondence_type == "hard_copy")
        for logged, interactions in letters.grouped("logged_segment_id").items():
            self._deliver_letter_segment(interactions, logged)

    def _deliver_letter_segment(self, interactions, logged):
        segment = logged.segment_id
        render = interactions.env["crm.interaction.render"]
        bodies = render._render_rows(segment, interactions, "letter_body", escape=True)
        self._update_column(interactions, "body_html", bodies)
        merged = render._merge_documents(segment, interactions)
        # One call, one document: all letters of the batch in one report of
        # the logged segment (wkhtmltopdf runs once per batch).
        content, report_type = (
            interactions.env["ir.actions.report"]
            .with_context(crm_letter_interaction_ids=interactions.ids)
            ._render_qweb_pdf(LETTER_REPORT, logged.ids)
        )
        label = f"{logged.name} {interactions[0].id}-{interactions[-1].id}"
        attachment_vals = [
            {
                "name": interactions.env._("Letters %(batch)s", batch=label)
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
                for index, interaction in enumerate(interactions, start=1):
                    for name, data in merged.get(interaction.id, []):
                        archive.writestr(f"{index:05d} {name}", data)
            attachment_vals.append(
                {
                    "name": interactions.env._("Word letters %(batch)s", batch=label)
                    + ".zip",
                    "raw": buffer.getvalue(),
                    "res_model": "crm.logged.segment",
                    "res_id": logged.id,
                    "mimetype": "application/zip",
                }
            )
        attachments = interactions.env["ir.attachment"].create(attachment_vals)
        logged._message_log(
            body=interactions.env._(
                "%(count)s letters to print.", count=len(interactions)
            ),
            attachment_ids=attachments.ids,
        )
        self._update_column(
            interactions,
            "attachment_id",
            dict.fromkeys(interactions.ids, attachments[0].id),
        )
        interactions._set_delivery_status("delivered")

    # -------------------------------------------------------------------------
    # ONE E-MAIL PER ADDRESS, UNSUBSCRIBE LINKS
    # -------------------------------------------------------------------------
    def _consent_unsubscribe_urls(self, interactions):
        """{interaction id: signed unsubscribe URL of its e-mail}, signed in
        one pass (secret and base URL read once)."""
        sign = interactions.env["res.partner"].sudo()._consent_signer()
        interactions.env.flush_all()
        rows = interactions.env.execute_query(
            SQL(
                "SELECT id, partner_id, template_id, date FROM crm_interaction "
                "WHERE id = ANY(%s)",
                interactions.ids,
            )
        )
        partners = (
            interactions.env["res.partner"]
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
        templates = interactions.env["crm.interaction.template"].sudo()
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

    def _consent_covered(self, records):
        """{interaction id: id of the first interaction of its address} of these
        e-mail interactions that another one of their logged segment covers.

        Per address of the batch: its contacts (the ORM, on the index of
        normalized addresses), their line in the segment, the line's
        interaction, each found by a probe of a unique index from the
        batch's own values: the plan, and the time per batch, do not depend
        on the size of the job nor on the tables' statistics.
        """
        result = {}
        for logged, interactions in records.grouped("logged_segment_id").items():
            if logged.one_email_per_address and logged.segment_id:
                result.update(self._consent_covered_in(interactions, logged))
        return result

    def _consent_covered_in(self, interactions, logged):
        emails = {
            interaction.id: interaction.partner_id.email_normalized
            for interaction in interactions
            if interaction.partner_id.email_normalized
        }
        if not emails:
            return {}
        partners = (
            interactions.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(
                [("email_normalized", "in", list(set(emails.values())))],
                ["email_normalized"],
            )
        )
        interactions.env.flush_all()
        rows = interactions.env.execute_query(
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
