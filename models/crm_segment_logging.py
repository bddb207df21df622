# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging a segment, as a service (``crm.segment.logging``), in the manner of
Odoo's ``account.move.send``: the segment's ``log_segment``, the cron and the
queue jobs of the logged segments call it with the records it works on.

Before anything is written: the checks.  Set-based, in SQL: a large segment
is checked as quickly as a small one.  Placeholders are checked with the
rules of ``crm.interaction.render``: interaction templates may use what a
template editor saved in them; subjects typed on the segment or its lines and
Word documents attached to the segment only simple field paths.  An
expression that is not allowed, or that does not compile, is refused with the
contacts concerned.  Logging honours consent: e-mail lines of contacts who
opted out of the template's topic, or whose address is blacklisted, are left
out.

Then the header (the ``crm.logged.segment``, its campaign entries) and the
job, which logs the lines batch by batch.  Each batch reads the next lines
after the cursor (one query on the addon's own tables), renders their
subjects per language group, creates their interactions through
``crm.interaction.create`` (one batched value list: the defaults, stored
computes, ``create`` overrides and automated actions of any installed addon
apply), has ``crm.interaction.delivery`` deliver them and moves the job's
cursor (the last segment line logged) in the same transaction.  A batch costs
a fixed number of statements, whatever the size of the segment, and every
query it runs is driven by a primary key or a unique index, so its plan does
not depend on table statistics.  After a crash the next batch starts after
the cursor of the last committed batch, so each line is logged exactly once
(the unique index on interactions makes sure of it) and e-mailed at most
once.

In the background, the ``ir.cron`` job logs one batch per run, after the job's
cursor; Odoo's cron runner loops while lines remain.  When OCA ``queue_job``
is installed, a queued logging job is fanned out instead: split into batches
of consecutive segment lines, each one a queue job on the
``crm_campaign_segment`` channel, which the job runner hands to as many
workers (and servers) as the channel's capacity allows.

Exactly once on both paths: a batch leaves out the lines whose interaction
exists (unique index on logged segment and line, which also refuses a second
one) and delivers only what it wrote; a crash rolls the whole batch back, and
a retry or a second worker on the same batch finds its lines logged and does
nothing.  Batches of one job share no row they write: progress is counted
from the interactions.
"""

import logging
import time
from datetime import timedelta

import psycopg2
import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, is_html_empty

from .crm_interaction_render import is_docx_name

_logger = logging.getLogger(__name__)

MAX_LISTED = 10
# context of the records a batch creates, as Odoo's own bulk code has it: no
# "created" message, no follower, no tracking per interaction
LOG_CREATE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}
LOG_CRON = "crm_campaign_segment.ir_cron_crm_segment_log"
# Odoo's cron runner calls the job up to 10 times per run
# (MAX_BATCH_PER_CRON_JOB): a run stays within the time budget when each call
# stays within a tenth of it
CRON_CALLS_PER_RUN = 10
# seconds per line of the last batch of each job in this process, by
# (database, job id): the next batch is sized to fit the budget
_SECONDS_PER_LINE = {}
# a job locked by another transaction is tried again after this delay
LOCKED_RETRY_DELAY = timedelta(minutes=1)
QUEUE_CHANNEL = "root.crm_campaign_segment"


class CrmSegmentLogging(models.AbstractModel):
    _name = "crm.segment.logging"
    _description = "Segment Logging"

    # -------------------------------------------------------------------------
    # LOG SEGMENT
    # -------------------------------------------------------------------------

    def _log_segment(
        self, segment, send, create_follow_up, missing_email, one_email_per_address
    ):
        """Log ``segment`` (``crm.segment.log_segment``, which documents the
        parameters): check, write the header, then log the lines now or queue
        the job.

        :return: the logged segment
        """
        self._log_lock_segment(segment)
        missing_lines = self._log_check(segment, send, missing_email)
        self._log_apply_missing_email(segment, missing_lines, missing_email)
        # consent: e-mail lines opted out or blacklisted are left out
        left_out = self._log_consent_leave_out(segment)
        logged = self._log_create_header(segment, send, create_follow_up)
        logged._as_engine().write(
            {
                "one_email_per_address": bool(one_email_per_address),
                "consent_excluded_count": left_out,
            }
        )
        params = segment.env["ir.config_parameter"].sudo()
        threshold = int(
            params.get_param("crm_campaign_segment.background_threshold", 5000)
        )
        if logged.line_total > threshold:
            # protected field: the engine writes it as superuser
            logged._as_engine().job_state = "queued"
            self._log_enqueue(logged)
            return logged
        self._log_run(logged.with_env(segment.env))
        return logged

    # -------------------------------------------------------------------------
    # CHECKS BEFORE LOGGING
    # -------------------------------------------------------------------------

    def _log_lock_segment(self, segment):
        """Lock the segment row; a second user logging it gets a clear error."""
        segment.ensure_one()
        segment.env.flush_all()
        self._log_lock_segment_row(segment)
        segment.invalidate_recordset(["state"])
        if segment.state != "draft":
            raise UserError(
                segment.env._(
                    "Segment %(segment)s is logged already: it cannot be logged twice.",
                    segment=segment.display_name,
                )
            )

    def _log_lock_segment_row(self, segment):
        """Lock the segment row for this transaction, or raise a UserError."""
        self._log_lock_row(
            segment,
            SQL("FOR UPDATE NOWAIT"),
            segment.env._(
                "Segment %(segment)s is being logged by another user right now. "
                "Try again in a moment.",
                segment=segment.display_name,
            ),
        )

    def _log_lock_row(self, record, mode, message):
        """Lock the row of ``record`` with ``mode`` (a ``NOWAIT`` lock) for
        this transaction, or raise a UserError with ``message``."""
        try:
            with record.env.cr.savepoint(flush=False):
                record.env.execute_query(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s %s",
                        SQL.identifier(record._table),
                        record.id,
                        mode,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(message) from None

    def _log_check(self, segment, send, missing_email):
        """Check everything logging needs; raise a UserError, write nothing.

        Set-based: the lines are counted and grouped in SQL, never loaded one
        by one, so that checking a large segment stays quick.

        :return: the e-mail lines whose contact has no valid address
        """
        segment.ensure_one()
        if not segment.description:
            raise UserError(
                segment.env._(
                    "Segment %(segment)s has no description: describe it before "
                    "logging it.",
                    segment=segment.name,
                )
            )
        Line = segment.env["crm.segment.line"]
        if not Line.search_count([("segment_id", "=", segment.id)], limit=1):
            raise UserError(
                segment.env._(
                    "Segment %(segment)s has no lines: add contacts before logging it.",
                    segment=segment.display_name,
                )
            )
        if not segment.interaction_template_id:
            no_template = [
                ("segment_id", "=", segment.id),
                ("interaction_template_id", "=", False),
            ]
            count = Line.search_count(no_template)
            if count:
                raise UserError(
                    segment.env._(
                        "Segment %(segment)s: every line needs an interaction "
                        "template. Lines without one: %(contacts)s.",
                        segment=segment.display_name,
                        contacts=self._log_list_lines(
                            Line.search(no_template, limit=MAX_LISTED), count
                        ),
                    )
                )
        if missing_email not in (False, None, "hard_copy", "skip"):
            raise UserError(
                segment.env._(
                    "Unknown choice %(choice)s for contacts without an e-mail "
                    "address: use 'hard_copy' or 'skip'.",
                    choice=missing_email,
                )
            )
        missing = self._log_missing_email_lines(segment)
        if send and missing and not missing_email:
            raise UserError(
                segment.env._(
                    "Segment %(segment)s: these contacts have no valid e-mail "
                    "address for their e-mail line: %(contacts)s. Choose to switch "
                    "them to hard copy or to leave them out.",
                    segment=segment.display_name,
                    contacts=self._log_list(missing.partner_id),
                )
            )
        skipped = missing if send and missing_email == "skip" else missing.browse()
        switched = missing if send and missing_email == "hard_copy" else Line
        self._log_check_deliveries(segment, send, switched, skipped)
        return missing if send else missing.browse()

    def _log_list(self, records):
        names = records[:MAX_LISTED].mapped("display_name")
        if len(records) > MAX_LISTED:
            names.append(
                self.env._("and %(count)s more", count=len(records) - MAX_LISTED)
            )
        return ", ".join(names)

    def _log_list_lines(self, lines, count):
        """Name the contacts of the first lines of ``count`` lines."""
        names = lines[:MAX_LISTED].partner_id.mapped("display_name")
        if count > MAX_LISTED:
            names.append(self.env._("and %(count)s more", count=count - MAX_LISTED))
        return ", ".join(names)

    def _log_missing_email_lines(self, segment, limit=None):
        """E-mail lines whose contact has no valid e-mail address, in line order.

        SQL preselects the contacts without a normalized address or with
        several addresses; only those are checked in Python, with the same
        strict rule as before (``email_normalize``).
        """
        segment.ensure_one()
        segment.env.flush_all()
        rows = segment.env.execute_query(
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
                segment=segment.id,
            )
        )
        ids = [line_id for line_id, email in rows if not email_normalize(email or "")]
        return segment.env["crm.segment.line"].browse(ids[:limit] if limit else ids)

    def _log_line_groups(self, segment, switched, skipped):
        """The lines grouped by what logging them needs, in one query.

        :return: list of dicts (template, lang, ctype, subject, count, line_ids
            = the first line ids of the group, enough to name contacts)
        """
        segment.ensure_one()
        segment.env.flush_all()
        rows = segment.env.execute_query(
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
                template=segment.interaction_template_id.id or None,
                switched=switched.ids,
                skipped=skipped.ids,
                listed=MAX_LISTED + 1,
                segment=segment.id,
            )
        )
        Template = segment.env["crm.interaction.template"]
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

    def _log_check_deliveries(self, segment, send, switched, skipped):
        """Check subjects, bodies, documents and placeholders of the lines.

        Subjects are rendered on every interaction, so their placeholders are
        always checked; the rest only when sending.
        """
        problems = {"subject": [], "document": [], "letter": [], "empty": []}
        sources = {}
        render = segment.env["crm.interaction.render"].with_context(
            crm_log_document_cache={}
        )
        other_attachments = any(
            not is_docx_name(name) for name in segment.attachment_ids.mapped("name")
        )
        for group in self._log_line_groups(segment, switched, skipped):
            ctype, template, lang = group["ctype"], group["template"], group["lang"]
            subject, trusted, where = render._subject_source(
                segment, template, lang, group["subject"] or segment.subject
            )
            if subject:
                sources[("subject", subject, trusted)] = (subject, where, trusted)
            if not send or ctype not in ("email", "hard_copy"):
                continue
            row = template._get_language(lang)
            documents = render._documents(segment, template, lang)
            if ctype == "email":
                if not subject:
                    problems["subject"].append(group)
                if segment.send_word_as_attachment and not documents:
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
                or segment.send_word_as_attachment
                or is_html_empty(row.body_html)
            ):
                for document in documents:
                    sources[document["key"]] = (
                        document,
                        document.get("where") or document["name"],
                        document["trusted"],
                    )
        self._log_raise_problems(segment, problems)
        render._check_sources(segment, sources.values())

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

    def _log_raise_problems(self, segment, problems):
        if problems["subject"]:
            raise UserError(
                segment.env._(
                    "Segment %(segment)s: e-mails need a subject, on the segment or "
                    "in the template's language row. Missing for: %(contacts)s.",
                    segment=segment.display_name,
                    contacts=self._log_group_contacts(problems["subject"]),
                )
            )
        for key, label in (
            ("document", segment.env._("A Word (.docx) document to attach")),
            ("letter", segment.env._("A Word (.docx) document or a letter body")),
        ):
            if problems[key]:
                failing = problems[key]
                template, langs = self._log_group_summary(failing)
                raise UserError(
                    segment.env._(
                        "Segment %(segment)s: %(what)s is missing for language "
                        "%(langs)s (template %(template)s). Add it to the template's "
                        "language row or attach it to the segment. Contacts: "
                        "%(contacts)s.",
                        segment=segment.display_name,
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
                segment.env._(
                    "Segment %(segment)s: the e-mails of template %(template)s in "
                    "language %(langs)s would have neither a body nor an "
                    "attachment. Write an e-mail body in the template's language "
                    "row or attach a document. Contacts: %(contacts)s.",
                    segment=segment.display_name,
                    template=template,
                    langs=langs,
                    contacts=self._log_group_contacts(failing),
                )
            )

    # -------------------------------------------------------------------------
    # CONSENT
    # -------------------------------------------------------------------------

    def _log_consent_excluded_lines(self, segment):
        """E-mail lines left out for consent, in line order.

        :return: {"blacklisted": lines, "opted_out": lines}; a line whose
            address is blacklisted counts there only
        """
        segment.ensure_one()
        segment.env.flush_all()
        rows = segment.env.execute_query(
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
                template=segment.interaction_template_id.id or None,
                segment=segment.id,
            )
        )
        Line = segment.env["crm.segment.line"]
        return {
            "blacklisted": Line.browse([i for i, black in rows if black]),
            "opted_out": Line.browse([i for i, black in rows if not black]),
        }

    def _log_consent_leave_out(self, segment):
        """Take the e-mail lines left out for consent out of the segment before
        its interactions are written, and say so in its chatter.

        :return: the number of lines left out
        """
        segment.ensure_one()
        excluded = self._log_consent_excluded_lines(segment)
        lines = excluded["blacklisted"] | excluded["opted_out"]
        if not lines:
            return 0
        parts = []
        for key, label in (
            ("blacklisted", segment.env._("address blacklisted")),
            ("opted_out", segment.env._("opted out of the topic")),
        ):
            if excluded[key]:
                parts.append(
                    segment.env._(
                        "%(reason)s: %(contacts)s",
                        reason=label,
                        contacts=self._log_list(excluded[key].partner_id),
                    )
                )
        segment.message_post(
            body=segment.env._(
                "Left out of the segment (no consent to e-mail): %(details)s",
                details="; ".join(parts),
            )
        )
        count = len(lines)
        lines.unlink()
        return count

    # -------------------------------------------------------------------------
    # WRITING THE HEADER
    # -------------------------------------------------------------------------

    def _log_apply_missing_email(self, segment, missing_lines, missing_email):
        """Apply the user's choice for e-mail lines without an address."""
        if not missing_lines:
            return
        contacts = self._log_list(missing_lines.partner_id)
        if missing_email == "hard_copy":
            missing_lines.write({"correspondence_type": "hard_copy"})
            body = segment.env._(
                "Switched to hard copy (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        else:
            missing_lines.unlink()
            body = segment.env._(
                "Left out of the segment (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        segment._message_log(body=body)

    def _log_create_header(self, segment, send, create_follow_up):
        """Create the logged segment and its campaign entries; mark as logged.

        The header's engine fields (segment, send, job state, trust) are
        protected against RPC writes: the engine creates it as superuser,
        for the logging user.
        """
        segment.ensure_one()
        Line = segment.env["crm.segment.line"]
        line_domain = [("segment_id", "=", segment.id)]
        logged = (
            segment.env["crm.logged.segment"]
            ._as_engine()
            .create(
                {
                    "segment_id": segment.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                    "user_id": segment.env.uid,
                    "send": bool(send),
                    "create_follow_up": bool(create_follow_up),
                    "line_total": Line.search_count(line_domain),
                    "job_state": "done",
                }
            )
            .with_env(segment.env)
        )
        if send:
            self._log_create_source(logged, line_domain)
        if segment.campaign_id:
            campaigns = segment.campaign_id
        else:
            templates = segment.interaction_template_id.union(
                *(
                    template
                    for [template] in Line._read_group(
                        line_domain, ["interaction_template_id"]
                    )
                )
            )
            campaigns = templates.campaign_id
        segment.env["crm.campaign.entry"]._as_engine().create(
            [
                {
                    "campaign_id": campaign.id,
                    "logged_segment_id": logged.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                    "date": logged.date,
                }
                for campaign in campaigns
            ]
        )
        # engine field: written as superuser, for the logging user
        segment.sudo().write({"state": "logged"})
        return logged

    def _log_create_source(self, logged, line_domain):
        """The UTM source of the tracked links of the e-mails of ``logged``
        (one per logged segment), when it has e-mail lines."""
        has_email = logged.env["crm.segment.line"].search_count(
            line_domain + [("correspondence_type", "=", "email")], limit=1
        )
        if not has_email:
            return
        source = logged.env["utm.source"].sudo().create({"name": logged.display_name})
        logged._as_engine().write({"source_id": source.id})

    # -------------------------------------------------------------------------
    # BATCHES (the one runner of logging now, the cron and queue_job)
    # -------------------------------------------------------------------------

    def _log_batch_size(self, logged):
        """Lines per batch: ``crm_campaign_segment.batch_size`` (1,000) for a
        job that delivers (renders, e-mails, prints); for a job that only
        writes interactions, ``crm_campaign_segment.batch_size_interactions``
        (ten times as many by default: a batch is then a few statements)."""
        params = logged.env["ir.config_parameter"].sudo()
        size = max(1, int(params.get_param("crm_campaign_segment.batch_size", 1000)))
        if len(logged) == 1 and not logged.send:
            size = max(
                1,
                int(
                    params.get_param(
                        "crm_campaign_segment.batch_size_interactions", size * 10
                    )
                ),
            )
        return size

    def _log_run(self, logged, batch_size=None):
        """Log all remaining lines now, batch by batch (in this transaction)."""
        logged.ensure_one()
        batch_size = batch_size or self._log_batch_size(logged)
        while self._log_batch(logged, batch_size):
            pass
        self._log_finalize(logged)

    def _log_lock_job(self, logged, shared=False):
        """Lock this job for this transaction, or raise a UserError: one
        worker at a time logs a batch of it, and nobody cancels it meanwhile.

        :param bool shared: a key-share lock, which batches running in
            parallel hold together (and update the job's counters under),
            and which a manager's cancel (an exclusive lock) waits for
        """
        logged.ensure_one()
        mode = SQL("FOR KEY SHARE NOWAIT") if shared else SQL("FOR UPDATE NOWAIT")
        self._log_lock_row(
            logged,
            mode,
            logged.env._(
                "Segment %(segment)s is being logged right now. Try again in a moment.",
                segment=logged.display_name,
            ),
        )

    def _log_batch(self, logged, limit):
        """Log the next ``limit`` lines after the cursor (one batch).

        :return: the number of lines logged (0: nothing left)
        """
        logged.ensure_one()
        return self._log_write_batch(logged, (logged.log_cursor, None, limit))

    def _log_write_batch(self, logged, span, move_cursor=True):
        """Log the lines of ``span`` = (after line id, up to line id or None,
        limit or None): interactions, subjects, deliveries and the job's
        cursor, in a fixed number of statements.

        :return: the number of segment lines the batch went through (0:
            nothing left in the span)
        """
        rows, last_line = self._log_read_batch(logged, span)
        if rows:
            subjects = self._log_render_subjects(logged, rows)
            interactions = (
                logged.env["crm.interaction"]
                ._as_engine()
                .with_context(**LOG_CREATE_CONTEXT)
                .create(self._log_interaction_values(logged, rows, subjects))
            ).with_env(logged.env)
            if logged.send:
                interactions.env["crm.interaction.delivery"]._deliver(interactions)
        if move_cursor and last_line:
            # the job's own counter, under the job's exclusive lock
            logged._as_engine().log_cursor = last_line
        return len(rows) if rows else (1 if last_line else 0)

    def _log_read_batch(self, logged, span):
        """The lines of ``span`` not logged yet, with their template (the
        line's, else the segment's) and the source text of their subject
        (the template's row for the contact's language, else the line's or
        the segment's subject, else the template's default row).

        Reads only the addon's own tables; the span's lines come from the
        index (segment, id) and each "already logged" probe from the unique
        index (logged segment, line): the plan is the same whatever the
        statistics of tables that grow while the job runs.

        :return: (list of dicts, id of the span's last line or None)
        """
        segment = logged.segment_id
        after, upto, limit = span
        logged.env.flush_all()
        logged.env.cr.execute(
            SQL(
                """
                WITH batch AS MATERIALIZED (
                    SELECT l.id, l.partner_id, l.company_partner_id, l.subject,
                           l.interaction_template_id, l.correspondence_type,
                           l.lang, l.evaluation, l.user_id
                      FROM crm_segment_line l
                     WHERE l.segment_id = %(segment)s AND l.id > %(after)s
                           %(upto)s
                     ORDER BY l.id
                     %(limit)s
                )
                SELECT b.id AS line_id, b.partner_id, b.company_partner_id,
                       t.id AS template_id, %(subject)s,
                       b.correspondence_type, b.lang, b.evaluation,
                       COALESCE(b.user_id, %(user)s) AS user_id,
                       done.id IS NOT NULL AS logged
                  FROM batch b
                  JOIN crm_interaction_template t
                    ON t.id = COALESCE(b.interaction_template_id, %(template)s)
                  LEFT JOIN crm_interaction_template_lang own
                    ON own.template_id = t.id AND own.lang = b.lang
                  LEFT JOIN crm_interaction_template_lang def
                    ON def.template_id = t.id AND def.lang = t.lang
                  LEFT JOIN LATERAL (
                      SELECT i.id
                        FROM crm_interaction i
                       WHERE i.logged_segment_id = %(logged)s
                         AND i.segment_line_id = b.id
                       LIMIT 1
                  ) done ON TRUE
                 ORDER BY b.id
                """,
                segment=segment.id,
                after=after,
                upto=SQL("AND l.id <= %s", upto) if upto else SQL(""),
                limit=SQL("LIMIT %s", limit) if limit else SQL(""),
                subject=self._log_subject_columns(logged),
                template=segment.interaction_template_id.id or None,
                user=segment.user_id.id or None,
                logged=logged.id,
            )
        )
        columns = [column.name for column in logged.env.cr.description]
        rows = [
            dict(zip(columns, row, strict=True)) for row in logged.env.cr.fetchall()
        ]
        last_line = rows[-1]["line_id"] if rows else None
        return [row for row in rows if not row["logged"]], last_line

    def _log_subject_columns(self, logged):
        """``subject`` (the source text of a line's subject) and
        ``subject_row`` (the template row it comes from, if any)."""
        header = logged.segment_id.subject or None
        return SQL(
            """
            CASE WHEN COALESCE(own.subject, '') != '' THEN own.subject
                 WHEN COALESCE(NULLIF(b.subject, ''), %(header)s) IS NOT NULL
                 THEN COALESCE(NULLIF(b.subject, ''), %(header)s)
                 ELSE NULLIF(def.subject, '') END AS subject,
            CASE WHEN COALESCE(own.subject, '') != '' THEN own.id
                 WHEN COALESCE(NULLIF(b.subject, ''), %(header)s) IS NOT NULL
                 THEN NULL
                 ELSE def.id END AS subject_row
            """,
            header=header,
        )

    def _log_template_values(self, logged, template_ids):
        """{template id: the values its interactions take}: the template's
        (``_get_interaction_values``), the segment's for its own template,
        the segment's campaign when it has one."""
        segment = logged.segment_id
        result = {}
        for template in logged.env["crm.interaction.template"].browse(template_ids):
            values = template._get_interaction_values()
            if template == segment.interaction_template_id:
                values.update(
                    cost=segment.unit_cost,
                    duration=segment.unit_duration,
                    information_flow=segment.information_flow
                    or values["information_flow"],
                    initiated_by=segment.initiated_by or values["initiated_by"],
                )
            if segment.campaign_id:
                values.update(
                    campaign_id=segment.campaign_id.id,
                    campaign_target=bool(segment.campaign_target),
                    campaign_response=bool(segment.campaign_response),
                )
            result[template.id] = values
        return result

    def _log_interaction_values(self, logged, rows, subjects):
        """The values of the interactions of the batch's lines: the
        template's, then the line's own (extension point)."""
        templates = self._log_template_values(
            logged, {row["template_id"] for row in rows}
        )
        entries = {
            entry.campaign_id.id: entry.id for entry in logged.sudo().campaign_entry_ids
        }
        vals_list = []
        for row in rows:
            values = dict(templates[row["template_id"]])
            values.update(
                logged_segment_id=logged.id,
                segment_line_id=row["line_id"],
                campaign_entry_id=entries.get(values.get("campaign_id")),
                partner_id=row["partner_id"],
                company_partner_id=row["company_partner_id"],
                date=logged.date,
                subject=subjects.get(row["line_id"], row["subject"]),
                correspondence_type=row["correspondence_type"],
                lang=row["lang"],
                evaluation=row["evaluation"],
                user_id=row["user_id"],
                company_id=logged.segment_id.company_id.id,
                delivery_status=(
                    "in_progress"
                    if logged.send
                    and row["correspondence_type"] in ("email", "hard_copy")
                    else "none"
                ),
            )
            vals_list.append(values)
        return vals_list

    def _log_render_subjects(self, logged, rows):
        """Render the subjects with placeholders of the batch's lines, per
        language group, before their interactions are written: the e-mail,
        the letter and the Subject merge field show them.

        :return: {line id: rendered subject}
        """
        segment = logged.segment_id
        todo = [row for row in rows if "{{" in (row["subject"] or "")]
        if not todo:
            return {}
        render = logged.env["crm.interaction.render"]
        Template = logged.env["crm.interaction.template"]
        sources = {}
        items = []
        for row in todo:
            key = (row["subject_row"], row["template_id"])
            if key not in sources:
                if row["subject_row"]:
                    # template rows are checked when saved
                    sources[key] = (
                        True,
                        Template.browse(row["template_id"]).display_name,
                    )
                else:
                    # typed on the segment or the line: simple fields only
                    sources[key] = (False, segment.display_name)
            trusted, where = sources[key]
            items.append(
                (
                    row["line_id"],
                    row["partner_id"],
                    row["user_id"],
                    row["lang"],
                    (row["subject"], trusted, where),
                )
            )
        return render._render_texts(segment, items, escape=False)

    def _log_finalize(self, logged):
        """Close the logging job: follow-up segment, message, status."""
        logged.ensure_one()
        segment = logged.segment_id
        if logged.create_follow_up and not logged.follow_up_segment_id and segment:
            logged._as_engine().follow_up_segment_id = self._log_create_follow_up(
                logged
            )
        logged._as_engine().job_state = "done"
        logged._message_log(
            body=logged.env._(
                "Segment %(segment)s logged: %(count)s interactions.",
                segment=segment.display_name,
                count=logged.interaction_count,
            )
        )

    def _log_create_follow_up(self, logged):
        """Create "Follow-up on segment ..." with the same campaign and contacts,
        built by reusing this logged segment (one undoable Add step)."""
        logged.ensure_one()
        segment = logged.segment_id
        follow_up = logged.env["crm.segment"].create(
            {
                "description": logged.env._(
                    "Follow-up on segment %(segment)s", segment=segment.name
                ),
                "campaign_id": segment.campaign_id.id,
                "company_id": segment.company_id.id,
                "lang": segment.lang,
            }
        )
        follow_up._reuse_logged_segment(logged, ignore_exclusion=True)
        return follow_up

    # -------------------------------------------------------------------------
    # BACKGROUND JOB (ir.cron, or queue_job when installed)
    # -------------------------------------------------------------------------

    def _log_enqueue(self, jobs):
        """Have the background job log these queued jobs: one queue job per
        batch of the lines not logged yet, when ``queue_job`` is installed;
        else the background cron."""
        if not self._log_use_queue_job():
            jobs.env.ref(LOG_CRON).sudo()._trigger()
            return None
        from odoo.addons.queue_job.delay import group

        channel = self._log_queue_channel()
        for logged in jobs:
            logged._as_engine().log_fanned_out = True
            job = logged.with_user(logged.user_id).with_company(logged.company_id)
            batches = [
                job.delayable(
                    channel=channel,
                    identity_key=f"crm_logged_segment:{logged.id}:{after}:{upto}",
                    description=jobs.env._(
                        "Log segment %(logged)s, lines %(first)s-%(last)s",
                        logged=logged.display_name,
                        first=after + 1,
                        last=upto,
                    ),
                )._log_queue_batch(after, upto)
                for after, upto in self._log_batch_ranges(logged)
            ] or [job.delayable(channel=channel)._log_queue_batch(0, 0)]
            # batches finishing at the same time in two workers may each see
            # the other's lines uncommitted: a last job closes the logging
            # once all batches are done
            group(*batches).on_done(
                job.delayable(
                    channel=channel,
                    description=jobs.env._(
                        "Close the logging of segment %(logged)s",
                        logged=logged.display_name,
                    ),
                )._log_queue_finalize()
            ).delay()
        return True

    @api.model
    def _cron_log_segments(self):
        """Log one batch of the oldest queued job; the cron loops on.

        Each run logs the next lines after the job's cursor in the cron's
        transaction, which Odoo commits after the run: after a crash the next
        run starts after the last committed batch.

        Each job runs in a savepoint: a job that fails (a template edited
        into an invalid expression after it was queued, ...) is rolled back,
        set to *Error* with the reason in its chatter, and the run goes on
        with the next queued job; a manager retries or cancels it.  Canceled
        jobs are not processed.
        """
        jobs = (
            self.env["crm.logged.segment"]
            .sudo()
            .search(
                [
                    ("job_state", "=", "queued"),
                    ("canceled", "=", False),
                    ("log_fanned_out", "=", False),
                ],
                order="id",
            )
        )
        done = 0
        for logged in jobs:
            processed = self._log_run_job(logged)
            if processed is not None:
                done = processed
                break
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=self._log_remaining_count()
        )

    def _log_run_job(self, job):
        """Log one batch of this queued job on the cron path, as the user who
        logged it, sized to the cron run's time budget.

        :return: the number of lines logged, or None when the job was not
            processed (locked by another transaction, canceled meanwhile,
            stopped on an error)
        """
        job.ensure_one()
        logged = job.with_user(job.user_id).with_company(job.company_id)
        start = time.monotonic()
        try:
            done = self._log_run_batch(logged, limit=self._log_call_batch_size(job))
        except UserError:
            _logger.info("%s is locked, logging it later", job.name)
            # a run that logs nothing counts as fully done: without a trigger
            # the cron would wait for its next interval
            job.env.ref(LOG_CRON).sudo()._trigger(
                fields.Datetime.now() + LOCKED_RETRY_DELAY
            )
            return None
        if done and logged.job_state == "queued":
            _SECONDS_PER_LINE[self._log_rate_key(job)] = (
                time.monotonic() - start
            ) / done
        else:
            _SECONDS_PER_LINE.pop(self._log_rate_key(job), None)
        return done

    def _log_run_batch(self, logged, span=None, limit=None, shared=False):
        """Run one batch of this queued job: the one runner of both paths
        (the cron, queue jobs).

        Locks the job (``shared``: a key-share lock, which batches running
        in parallel hold together and a manager's cancel waits for; else
        exclusive), checks that it is still queued, and logs the batch in a
        savepoint: a batch that fails is rolled back and stops the job in
        *Error* with the reason in its chatter, for a manager to retry or
        cancel.  Transient errors (lock, serialization) go up to the caller,
        which runs the batch again later.

        :param span: (after line id, up to line id, limit), or None: the next
            ``limit`` lines after the job's cursor, read once the job is locked
        :return: the number of lines the batch went through, or None when the
            job was not processed (not queued any more, stopped on an error)
        :raise UserError: the job is locked by another transaction
        """
        logged.ensure_one()
        if not logged.segment_id:
            # the segment was deleted meanwhile: nothing more can be logged
            logged._as_engine().job_state = "done"
            return 0
        self._log_lock_job(logged, shared=shared)
        # canceled (or set to error) while this batch waited for the lock
        logged.invalidate_recordset(["job_state", "canceled", "log_cursor"])
        if logged.job_state != "queued" or logged.canceled:
            return None
        try:
            with logged.env.cr.savepoint():
                done = self._log_write_batch(
                    logged,
                    span or (logged.log_cursor, None, limit),
                    move_cursor=not shared,
                )
                self._log_close_if_complete(logged, done, shared)
                return done
        except psycopg2.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - any error stops the job
            self._log_job_failed(logged, error)
            return None

    def _log_close_if_complete(self, logged, done, shared):
        """Close the job after a batch that found nothing left: after its
        cursor on the cron path; counted from the interactions for parallel
        batches, whose last one may not see the others' lines yet (the job
        that runs once all of them are done closes it then)."""
        if shared:
            self._log_queue_finalize(logged)
        elif not done or not self._log_has_pending(logged):
            self._log_finalize(logged)

    def _log_rate_key(self, logged):
        return (logged.env.cr.dbname, logged.id)

    def _log_call_batch_size(self, logged):
        """Lines of this job's next batch on the cron path: the batch size,
        fewer when the last batch showed that it would not fit in a tenth of
        the cron run's time budget (``crm_campaign_segment.cron_time_budget``,
        60 seconds), so that a run ends well before Odoo's real-time limit
        even on a busy machine."""
        size = self._log_batch_size(logged)
        rate = _SECONDS_PER_LINE.get(self._log_rate_key(logged))
        if not rate:
            return size
        budget = float(
            logged.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_campaign_segment.cron_time_budget", 60)
        )
        fits = int(budget / CRON_CALLS_PER_RUN / rate)
        return max(1, min(size, fits))

    def _log_has_pending(self, logged):
        """Whether lines are left after the cursor (one index probe)."""
        return bool(
            logged.env.execute_query(
                SQL(
                    "SELECT 1 FROM crm_segment_line WHERE segment_id = %s "
                    "AND id > %s LIMIT 1",
                    logged.segment_id.id,
                    logged.log_cursor,
                )
            )
        )

    def _log_job_failed(self, job, error):
        """Stop a job on an error: state *Error*, the reason in its chatter."""
        reason = error.args[0] if isinstance(error, UserError) else str(error)
        _logger.warning("Logging %s failed: %s", job.name, reason)
        logged = job._as_engine()
        logged.job_state = "error"
        logged._message_log(
            body=job.env._(
                "Logging stopped on an error: %(error)s A campaign manager can "
                "retry it once the cause is fixed, or cancel it.",
                error=reason,
            )
        )

    @api.model
    def _log_remaining_count(self):
        """Lines of queued logging jobs not logged yet (lines to log minus
        the interactions written, counted per job on the unique index)."""
        jobs = (
            self.env["crm.logged.segment"]
            .sudo()
            .search([("job_state", "=", "queued"), ("canceled", "=", False)])
        )
        return sum(max(job.line_total - job.line_done, 0) for job in jobs)

    # -------------------------------------------------------------------------
    # FAN-OUT (queue_job)
    # -------------------------------------------------------------------------

    def _log_use_queue_job(self):
        """Fan out when queue_job is installed, unless the system parameter
        ``crm_campaign_segment.use_queue_job`` is ``False``."""
        if "queue.job" not in self.env:
            return False
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_campaign_segment.use_queue_job", "True")
        )
        return param.strip().lower() not in ("false", "0", "")

    def _log_queue_channel(self):
        """The ``crm_campaign_segment`` channel, created when missing."""
        Channel = self.env["queue.job.channel"].sudo()
        if not Channel.search([("complete_name", "=", QUEUE_CHANNEL)], limit=1):
            Channel.create(
                {"name": QUEUE_CHANNEL.split(".")[-1], "parent_id": self._log_root()}
            )
        return QUEUE_CHANNEL

    def _log_root(self):
        return self.env.ref("queue_job.channel_root").id

    def _log_batch_ranges(self, logged):
        """(after line id, up to line id) of each batch of the lines without an
        interaction yet: computed once when the job is queued (or restored)."""
        logged.ensure_one()
        logged.env.flush_all()
        rows = logged.env.execute_query(
            SQL(
                """
                SELECT MIN(id) - 1, MAX(id)
                  FROM (SELECT l.id,
                               (ROW_NUMBER() OVER (ORDER BY l.id) - 1) / %(size)s
                                   AS batch
                          FROM crm_segment_line l
                         WHERE l.segment_id = %(segment)s
                           AND NOT EXISTS (
                                SELECT 1 FROM crm_interaction i
                                 WHERE i.logged_segment_id = %(logged)s
                                   AND i.segment_line_id = l.id)) lines
                 GROUP BY batch
                 ORDER BY batch
                """,
                size=self._log_batch_size(logged),
                segment=logged.segment_id.id or 0,
                logged=logged.id,
            )
        )
        return [(after, upto) for after, upto in rows]

    def _log_queue_batch(self, logged, after, upto):
        """One batch of a logging job, run by a queue job worker.

        Several batches of a job run at once, each through the runner with a
        key-share lock on the job, and an advisory lock on its range (a
        second worker on the same batch retries later and then finds it
        done).
        """
        logged.ensure_one()
        from odoo.addons.queue_job.exception import RetryableJobError

        locked = logged.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", logged.id, after)
        )[0][0]
        if not locked:
            raise RetryableJobError("Batch taken by another worker", seconds=10)
        done = 0
        if upto:
            try:
                done = self._log_run_batch(logged, (after, upto, None), shared=True)
            except UserError as error:
                raise RetryableJobError(str(error), seconds=10) from None
        else:
            self._log_queue_finalize(logged)
        if done is None:
            # canceled: restoring the job queues its remaining batches again
            return logged.env._("Not logged: the job is not queued any more.")
        return logged.env._("%(count)s lines logged.", count=done)

    def _log_queue_finalize(self, logged):
        """Close a fanned-out job whose lines are all logged (by the last
        batch, or by the job that runs once all batches are done)."""
        logged.ensure_one()
        logged.invalidate_recordset(["job_state", "canceled", "line_done"])
        if logged.job_state != "queued" or logged.canceled:
            return logged.env._("Not closed: the job is not queued any more.")
        if logged.line_done < logged.line_total:
            return logged.env._("Not closed: lines are left to log.")
        self._log_finalize(logged)
        return logged.env._("Logging closed.")
