# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging a segment: the checks made before anything is written, the
logged segment's header, then its job (``crm.logged.segment``) logs the lines.

Placeholders are checked here, before anything is written, with the rules of
``crm.interaction.render``: interaction templates may use what a template editor
saved in them; subjects typed on the segment or its lines and Word documents
attached to the segment only simple field paths.  An expression that is not
allowed, or that does not compile, is refused with the contacts concerned.
"""

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, is_html_empty

from .crm_interaction_render import is_docx_name

MAX_LISTED = 10


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        compute="_compute_logged_segment_id",
        help="The logged segment created when this segment was logged.",
    )
    log_job_state = fields.Selection(
        [("queued", "Logging in Progress"), ("error", "Error"), ("done", "Done")],
        string="Logging Status",
        compute="_compute_logged_segment_id",
    )
    log_progress = fields.Float(
        string="Logging Progress (%)", compute="_compute_logged_segment_id"
    )

    def _compute_logged_segment_id(self):
        for segment in self:
            logged = segment.logged_segment_ids.sorted("id")[-1:]
            segment.logged_segment_id = logged
            segment.log_job_state = logged.job_state
            segment.log_progress = logged.log_progress

    # -------------------------------------------------------------------------
    # PUBLIC API
    # -------------------------------------------------------------------------
    def log_segment(
        self,
        send=False,
        create_follow_up=False,
        missing_email=False,
        one_email_per_address=True,
    ):
        """Log the segment: one interaction per line, deliveries when ``send``.

        Everything is checked before anything is written.  Above the
        ``crm_campaign_segment.background_threshold`` system parameter the
        interactions and deliveries are made in the background, batch by batch.

        :param bool send: send the e-mails and produce the letters
        :param bool create_follow_up: create "Follow-up on segment ..."
        :param missing_email: what to do with e-mail lines whose contact has
            no valid address: ``"hard_copy"`` (switch them to hard copy) or
            ``"skip"`` (leave them out of the segment); without it such lines
            are refused when sending
        :param bool one_email_per_address: contacts sharing an address get
            one e-mail (each still gets its interaction)
        :return: the id of the logged segment
        """
        self.ensure_one()
        self.check_access("write")
        self._log_lock()
        missing_lines = self._log_check(send, missing_email)
        segment = self
        segment._log_apply_missing_email(missing_lines, missing_email)
        # consent: e-mail lines opted out or blacklisted are left out
        left_out = segment._log_consent_leave_out()
        logged = segment._log_create_header(send, create_follow_up)
        logged.sudo().write(
            {
                "one_email_per_address": bool(one_email_per_address),
                "consent_excluded_count": left_out,
            }
        )
        params = self.env["ir.config_parameter"].sudo()
        threshold = int(
            params.get_param("crm_campaign_segment.background_threshold", 5000)
        )
        if logged.line_total > threshold:
            # protected field: the engine writes it as superuser
            logged.sudo().job_state = "queued"
            logged._log_enqueue()
            return logged.id
        logged.with_env(segment.env)._log_run()
        return logged.id

    @api.model
    def _cron_log_segments(self):
        """Kept for databases whose cron (``noupdate``) still calls it on
        segments: the job belongs to ``crm.logged.segment``."""
        return self.env["crm.logged.segment"]._cron_log_segments()

    # -------------------------------------------------------------------------
    # CHECKS
    # -------------------------------------------------------------------------
    def _log_lock(self):
        """Lock the segment row; a second user logging it gets a clear error."""
        self.ensure_one()
        self.env.flush_all()
        self._log_lock_segment()
        self.invalidate_recordset(["state"])
        if self.state != "draft":
            raise UserError(
                self.env._(
                    "Segment %(segment)s is logged already: it cannot be logged twice.",
                    segment=self.display_name,
                )
            )

    def _log_list(self, records):
        names = records[:MAX_LISTED].mapped("display_name")
        if len(records) > MAX_LISTED:
            names.append(
                self.env._("and %(count)s more", count=len(records) - MAX_LISTED)
            )
        return ", ".join(names)

    def _log_check(self, send, missing_email):
        """Check everything logging needs; raise a UserError, write nothing.

        Set-based: the lines are counted and grouped in SQL, never loaded one
        by one, so that checking a large segment stays quick.

        :return: the e-mail lines whose contact has no valid address
        """
        self.ensure_one()
        if not self.description:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no description: describe it before "
                    "logging it.",
                    segment=self.name,
                )
            )
        Line = self.env["crm.segment.line"]
        if not Line.search_count([("segment_id", "=", self.id)], limit=1):
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no lines: add contacts before logging it.",
                    segment=self.display_name,
                )
            )
        if not self.interaction_template_id:
            no_template = [
                ("segment_id", "=", self.id),
                ("interaction_template_id", "=", False),
            ]
            count = Line.search_count(no_template)
            if count:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s: every line needs an interaction "
                        "template. Lines without one: %(contacts)s.",
                        segment=self.display_name,
                        contacts=self._log_list_lines(
                            Line.search(no_template, limit=MAX_LISTED), count
                        ),
                    )
                )
        if missing_email not in (False, None, "hard_copy", "skip"):
            raise UserError(
                self.env._(
                    "Unknown choice %(choice)s for contacts without an e-mail "
                    "address: use 'hard_copy' or 'skip'.",
                    choice=missing_email,
                )
            )
        missing = self._log_missing_email_lines()
        if send and missing and not missing_email:
            raise UserError(
                self.env._(
                    "Segment %(segment)s: these contacts have no valid e-mail "
                    "address for their e-mail line: %(contacts)s. Choose to switch "
                    "them to hard copy or to leave them out.",
                    segment=self.display_name,
                    contacts=self._log_list(missing.partner_id),
                )
            )
        skipped = missing if send and missing_email == "skip" else missing.browse()
        switched = missing if send and missing_email == "hard_copy" else Line
        self._log_check_deliveries(send, switched, skipped)
        return missing if send else missing.browse()

    def _log_list_lines(self, lines, count):
        """Name the contacts of the first lines of ``count`` lines."""
        names = lines[:MAX_LISTED].partner_id.mapped("display_name")
        if count > MAX_LISTED:
            names.append(self.env._("and %(count)s more", count=count - MAX_LISTED))
        return ", ".join(names)

    def _log_missing_email_lines(self, limit=None):
        """E-mail lines whose contact has no valid e-mail address, in line order.

        SQL preselects the contacts without a normalized address or with
        several addresses; only those are checked in Python, with the same
        strict rule as before (``email_normalize``).
        """
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.id, p.email
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.segment_id = %(segment)s
                   AND l.correspondence_type = 'email'
                   AND (p.email_normalized IS NULL
                        OR LENGTH(p.email) - LENGTH(REPLACE(p.email, '@', '')) > 1)
                 ORDER BY l.id
                """,
                segment=self.id,
            )
        )
        ids = [line_id for line_id, email in rows if not email_normalize(email or "")]
        return self.env["crm.segment.line"].browse(ids[:limit] if limit else ids)

    def _log_line_groups(self, switched, skipped):
        """The lines grouped by what logging them needs, in one query.

        :return: list of dicts (template, lang, ctype, subject, count, line_ids
            = the first line ids of the group, enough to name contacts)
        """
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(l.interaction_template_id, %(template)s),
                       l.lang,
                       CASE WHEN l.id = ANY(%(switched)s) THEN 'hard_copy'
                            ELSE l.correspondence_type END,
                       NULLIF(l.subject, ''),
                       COUNT(*),
                       (ARRAY_AGG(l.id ORDER BY l.id))[1:%(listed)s]
                  FROM crm_segment_line l
                 WHERE l.segment_id = %(segment)s
                   AND NOT l.id = ANY(%(skipped)s)
                 GROUP BY 1, 2, 3, 4
                 ORDER BY MIN(l.id)
                """,
                template=self.interaction_template_id.id or None,
                switched=switched.ids,
                skipped=skipped.ids,
                listed=MAX_LISTED + 1,
                segment=self.id,
            )
        )
        Template = self.env["crm.interaction.template"]
        return [
            {
                "template": Template.browse(template_id),
                "lang": lang,
                "ctype": ctype,
                "subject": subject,
                "count": count,
                "line_ids": line_ids,
            }
            for template_id, lang, ctype, subject, count, line_ids in rows
        ]

    def _log_check_deliveries(self, send, switched, skipped):
        """Check subjects, bodies, documents and placeholders of the lines.

        Subjects are rendered on every interaction, so their placeholders are
        always checked; the rest only when sending.
        """
        problems = {"subject": [], "document": [], "letter": [], "empty": []}
        sources = {}
        render = self.env["crm.interaction.render"].with_context(
            crm_log_document_cache={}
        )
        other_attachments = any(
            not is_docx_name(name) for name in self.attachment_ids.mapped("name")
        )
        for group in self._log_line_groups(switched, skipped):
            ctype, template, lang = group["ctype"], group["template"], group["lang"]
            subject, trusted, where = render._subject_source(
                self, template, lang, group["subject"] or self.subject
            )
            if subject:
                sources[("subject", subject, trusted)] = (subject, where, trusted)
            if not send or ctype not in ("email", "hard_copy"):
                continue
            row = template._get_language(lang)
            documents = render._documents(self, template, lang)
            if ctype == "email":
                if not subject:
                    problems["subject"].append(group)
                if self.send_word_as_attachment and not documents:
                    problems["document"].append(group)
                elif (
                    is_html_empty(row.body_html)
                    and not documents
                    and not other_attachments
                ):
                    # without a body, the merged Word document is the body
                    problems["empty"].append(group)
                if row.body_html:
                    sources[("body", row.id)] = (
                        row.body_html,
                        template.display_name,
                        True,
                    )
            else:
                if not documents and not row.letter_body:
                    problems["letter"].append(group)
                if row.letter_body:
                    sources[("letter", row.id)] = (
                        row.letter_body,
                        template.display_name,
                        True,
                    )
            if (
                ctype == "hard_copy"
                or self.send_word_as_attachment
                or is_html_empty(row.body_html)
            ):
                for document in documents:
                    sources[document["key"]] = (
                        document,
                        document["name"],
                        document["trusted"],
                    )
        self._log_raise_problems(problems)
        render._check_sources(self, sources.values())

    def _log_group_summary(self, groups):
        """(template of the first failing line, languages) of failing groups."""
        first = min(groups, key=lambda group: min(group["line_ids"]))
        langs = ", ".join(sorted({group["lang"] or "-" for group in groups}))
        return first["template"].display_name, langs

    def _log_group_contacts(self, groups):
        """Name the contacts of the lines of ``groups``, in line order."""
        line_ids = sorted(line_id for group in groups for line_id in group["line_ids"])
        return self._log_list_lines(
            self.env["crm.segment.line"].browse(line_ids[:MAX_LISTED]),
            sum(group["count"] for group in groups),
        )

    def _log_raise_problems(self, problems):
        if problems["subject"]:
            raise UserError(
                self.env._(
                    "Segment %(segment)s: e-mails need a subject, on the segment or "
                    "in the template's language row. Missing for: %(contacts)s.",
                    segment=self.display_name,
                    contacts=self._log_group_contacts(problems["subject"]),
                )
            )
        for key, label in (
            ("document", self.env._("A Word (.docx) document to attach")),
            ("letter", self.env._("A Word (.docx) document or a letter body")),
        ):
            if problems[key]:
                failing = problems[key]
                template, langs = self._log_group_summary(failing)
                raise UserError(
                    self.env._(
                        "Segment %(segment)s: %(what)s is missing for language "
                        "%(langs)s (template %(template)s). Add it to the template's "
                        "language row or attach it to the segment. Contacts: "
                        "%(contacts)s.",
                        segment=self.display_name,
                        what=label,
                        langs=langs,
                        template=template,
                        contacts=self._log_group_contacts(failing),
                    )
                )
        if problems["empty"]:
            failing = problems["empty"]
            template, langs = self._log_group_summary(failing)
            raise UserError(
                self.env._(
                    "Segment %(segment)s: the e-mails of template %(template)s in "
                    "language %(langs)s would have neither a body nor an "
                    "attachment. Write an e-mail body in the template's language "
                    "row or attach a document. Contacts: %(contacts)s.",
                    segment=self.display_name,
                    template=template,
                    langs=langs,
                    contacts=self._log_group_contacts(failing),
                )
            )

    # -------------------------------------------------------------------------
    # WRITING
    # -------------------------------------------------------------------------
    def _log_apply_missing_email(self, missing_lines, missing_email):
        """Apply the user's choice for e-mail lines without an address."""
        if not missing_lines:
            return
        contacts = self._log_list(missing_lines.partner_id)
        if missing_email == "hard_copy":
            missing_lines.write({"correspondence_type": "hard_copy"})
            body = self.env._(
                "Switched to hard copy (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        else:
            missing_lines.unlink()
            body = self.env._(
                "Left out of the segment (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        self._message_log(body=body)

    def _log_create_header(self, send, create_follow_up):
        """Create the logged segment and its campaign entries; mark as logged.

        The header's engine fields (segment, send, job state, trust) are
        protected against RPC writes: the engine creates it as superuser,
        for the logging user.
        """
        self.ensure_one()
        Line = self.env["crm.segment.line"]
        line_domain = [("segment_id", "=", self.id)]
        logged = (
            self.env["crm.logged.segment"]
            .sudo()
            .create(
                {
                    "segment_id": self.id,
                    "description": self.description,
                    "company_id": self.company_id.id,
                    "user_id": self.env.uid,
                    "send": bool(send),
                    "create_follow_up": bool(create_follow_up),
                    "line_total": Line.search_count(line_domain),
                    "job_state": "done",
                }
            )
            .sudo(False)
        )
        if self.campaign_id:
            campaigns = self.campaign_id
        else:
            templates = self.interaction_template_id.union(
                *(
                    template
                    for [template] in Line._read_group(
                        line_domain, ["interaction_template_id"]
                    )
                )
            )
            campaigns = templates.campaign_id
        self.env["crm.campaign.entry"].sudo().create(
            [
                {
                    "campaign_id": campaign.id,
                    "logged_segment_id": logged.id,
                    "description": self.description,
                    "company_id": self.company_id.id,
                    "date": logged.date,
                }
                for campaign in campaigns
            ]
        )
        # engine field: written as superuser, for the logging user
        self.sudo().write({"state": "logged"})
        return logged

    def _log_lock_segment(self):
        """Lock the segment row for this transaction, or raise a UserError."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.execute_query(
                    SQL(
                        "SELECT id FROM crm_segment WHERE id = %s FOR UPDATE NOWAIT",
                        self.id,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged by another user right now. "
                    "Try again in a moment.",
                    segment=self.display_name,
                )
            ) from None
