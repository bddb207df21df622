# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logged segments: what logging a segment wrote, and the logging job, in
which the record logs its segment itself.

Each batch reads the next lines after the cursor (one query on the addon's own
tables), renders their subjects per language group, creates their
interactions through ``crm.interaction.create`` (one batched value list: the
defaults, stored computes, ``create`` overrides and automated actions of any
installed addon apply), queues their deliveries and moves the job's cursor
(the last segment line logged) in the same transaction.  A batch costs a
fixed number of statements, whatever the size of the segment, and every
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
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_segment import _label_pages

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "crm_campaign_segment.crm_campaign_segment_group_manager"
# Fields only the logging engine sets (crm.engine.mixin): what was logged,
# the job's status, and canceling (action_cancel / action_restore, cascading)
ENGINE_FIELDS = {
    "canceled",
    "create_follow_up",
    "follow_up_segment_id",
    "job_state",
    "line_total",
    "segment_id",
    "send",
    "texts_trusted",
    "user_id",
}
# What logging did about consent, also set by the engine only
CONSENT_ENGINE_FIELDS = {"one_email_per_address", "consent_excluded_count"}
# The job's own bookkeeping: a client that set them could stop or skip a job
JOB_ENGINE_FIELDS = {"log_cursor", "log_fanned_out"}
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


def field_labels(records, names):
    """The labels of fields ``names`` of ``records``' model, for messages."""
    return ", ".join(
        records._fields[name].get_description(records.env)["string"]
        for name in sorted(names)
    )


class CrmLoggedSegment(models.Model):
    _name = "crm.logged.segment"
    _description = "Logged Segment"
    _inherit = ["mail.thread", "crm.engine.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _engine_fields = frozenset(
        ENGINE_FIELDS | CONSENT_ENGINE_FIELDS | JOB_ENGINE_FIELDS
    )

    name = fields.Char(string="Entry No.", readonly=True, copy=False, index=True)
    segment_id = fields.Many2one(
        "crm.segment", readonly=True, index=True, ondelete="set null"
    )
    description = fields.Char()
    date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    user_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "logged_segment_id", string="Interactions"
    )
    campaign_entry_ids = fields.One2many(
        "crm.campaign.entry", "logged_segment_id", string="Campaign Entries"
    )
    interaction_count = fields.Integer(compute="_compute_counts")
    campaign_entry_count = fields.Integer(compute="_compute_counts")
    canceled = fields.Boolean(readonly=True, tracking=True)
    send = fields.Boolean(
        string="Sent", readonly=True, help="E-mails and letters were produced."
    )
    create_follow_up = fields.Boolean(string="Follow-up Requested", readonly=True)
    follow_up_segment_id = fields.Many2one(
        "crm.segment", string="Follow-up Segment", readonly=True, ondelete="set null"
    )
    job_state = fields.Selection(
        [("queued", "Logging in Progress"), ("error", "Error"), ("done", "Done")],
        string="Logging Status",
        default="done",
        required=True,
        readonly=True,
        copy=False,
        help="Large segments are logged in the background, batch by batch. A job "
        "that fails stops in Error, with the reason in the chatter: a campaign "
        "manager retries or cancels it.",
    )
    texts_trusted = fields.Boolean(
        string="Subjects by Template Editors",
        readonly=True,
        copy=False,
        help="When the segment was logged, its subject and its lines' subjects "
        "were last written by members of Mail Template Editor: their "
        "placeholders may use any expression, not only simple fields.",
    )
    line_total = fields.Integer(
        string="Lines to Log", readonly=True, help="Segment lines when it was logged."
    )
    log_progress = fields.Float(
        string="Logging Progress (%)", compute="_compute_counts"
    )
    # counted from the interactions: parallel batches of one job never
    # update a shared row
    line_done = fields.Integer(string="Lines Logged", compute="_compute_counts")
    log_cursor = fields.Integer(
        string="Last Line Logged",
        default=0,
        readonly=True,
        copy=False,
        help="Id of the last segment line logged: the next batch starts after it.",
    )
    log_fanned_out = fields.Boolean(
        string="Logged by Queue Jobs",
        readonly=True,
        copy=False,
        help="The batches of this job are queue jobs (OCA queue_job).",
    )
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

    _sql_constraints = [
        (
            "name_company_unique",
            "UNIQUE(name, company_id)",
            "A logged segment with this entry number already exists.",
        ),
    ]

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    def _compute_counts(self):
        interactions = dict(
            self.env["crm.interaction"]._read_group(
                [("logged_segment_id", "in", self.ids)],
                ["logged_segment_id"],
                ["__count"],
            )
        )
        entries = dict(
            self.env["crm.campaign.entry"]._read_group(
                [("logged_segment_id", "in", self.ids)],
                ["logged_segment_id"],
                ["__count"],
            )
        )
        for logged in self:
            logged.interaction_count = interactions.get(logged._origin, 0)
            logged.campaign_entry_count = entries.get(logged._origin, 0)
            logged.line_done = logged.interaction_count
            logged.log_progress = (
                min(100.0, 100.0 * logged.interaction_count / logged.line_total)
                if logged.line_total
                else 100.0
            )

    @api.depends("name", "description")
    def _compute_display_name(self):
        for logged in self:
            logged.display_name = " ".join(
                part for part in (logged.name, logged.description) if part
            )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    def _engine_fields_error(self, fnames):
        consent = set(fnames) & CONSENT_ENGINE_FIELDS
        if consent:
            return self.env._(
                "Logged segments: %(fields)s can only be set by logging the segment.",
                fields=self._engine_field_labels(consent),
            )
        return self.env._(
            "Logged segment %(logged)s: %(fields)s can only be set by "
            "logging the segment or with the actions Cancel, Restore and "
            "Retry Logging.",
            logged=self[:1].display_name or self._description,
            fields=self._engine_field_labels(fnames),
        )

    @api.model_create_multi
    def create(self, vals_list):
        # refused before an entry number is drawn
        self._check_engine_vals_list(vals_list)
        for vals in vals_list:
            if not vals.get("name"):
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "crm.logged.segment"
                )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_canceled(self):
        active = self.filtered(lambda logged: not logged.canceled)
        if active:
            raise UserError(
                self.env._(
                    "Only canceled logged segments can be deleted: cancel "
                    "logged segment %(logged)s first.",
                    logged=active[:1].display_name,
                )
            )
        # the interaction log is kept: canceled, it stays out of the
        # statistics, deleted it would be lost
        kept = self.filtered(
            lambda logged: logged.interaction_count or logged.campaign_entry_count
        )
        if kept:
            raise UserError(
                self.env._(
                    "Logged segment %(logged)s cannot be deleted: its "
                    "%(count)s interactions stay in the interaction log (canceled, "
                    "they count in no statistics).",
                    logged=kept[:1].display_name,
                    count=kept[:1].interaction_count,
                )
            )

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Logged segment %(logged)s: only campaign managers can cancel, "
                    "restore or retry logged segments.",
                    logged=self[:1].display_name,
                )
            )

    # -------------------------------------------------------------------------
    # CANCEL / RESTORE
    # -------------------------------------------------------------------------
    def action_cancel(self):
        """Cancel the logged segments, their campaign entries and interactions.

        A job still queued (or in error) can be canceled: the background job
        no longer processes it, and restoring it resumes it.  The e-mails of
        its interactions that are still waiting in the queue are canceled.
        """
        self._check_manager()
        canceled = self.filtered("canceled")
        if canceled:
            raise UserError(
                self.env._(
                    "Logged segment %(logged)s is canceled already.",
                    logged=canceled[:1].display_name,
                )
            )
        self.check_access("write")
        for logged in self:
            logged._set_canceled(True)
        return True

    def action_restore(self):
        """Restore canceled logged segments, their campaign entries and
        interactions; a queued logging job resumes."""
        self._check_manager()
        active = self.filtered(lambda logged: not logged.canceled)
        if active:
            raise UserError(
                self.env._(
                    "Logged segment %(logged)s is not canceled: there is nothing "
                    "to restore.",
                    logged=active[:1].display_name,
                )
            )
        self.check_access("write")
        for logged in self:
            logged._set_canceled(False)
            if logged.job_state == "queued":
                logged._log_enqueue()
        return True

    def _set_canceled(self, canceled):
        """Cancel or restore one logged segment and everything it logged, once
        the caller checked the user's rights."""
        self.ensure_one()
        if self.job_state in ("queued", "error"):
            # not while the background job is logging a batch of it
            self._log_lock()
        self._as_engine().write({"canceled": canceled})
        # one UPDATE per model, without a tracking message per record
        self.campaign_entry_ids._as_engine().write({"canceled": canceled})
        self.interaction_ids._set_canceled(canceled, cascade=True)

    def action_retry_logging(self):
        """Queue logging jobs that stopped on an error again (managers).

        The job resumes at the first line without an interaction: lines
        logged before the error are not logged (nor e-mailed) twice.
        """
        self._check_manager()
        failed = self.filtered(lambda logged: logged.job_state == "error")
        if failed != self or failed.filtered("canceled"):
            raise UserError(
                self.env._(
                    "Only logging jobs in error that are not canceled can be "
                    "retried: %(logged)s.",
                    logged=", ".join(
                        (self - failed | self.filtered("canceled")).mapped(
                            "display_name"
                        )
                    ),
                )
            )
        self.check_access("write")
        failed._as_engine().write({"job_state": "queued"})
        for logged in failed:
            logged._message_log(body=self.env._("Logging queued again."))
        failed._log_enqueue()
        return True

    def _get_letters(self):
        """The letters to print: those of the interactions given in the
        context (``crm_letter_interaction_ids``, one batch), else all hard-copy
        interactions of the logged segment that are not canceled."""
        self.ensure_one()
        ids = self.env.context.get("crm_letter_interaction_ids")
        if ids:
            # a caller's context selects among this logged segment's letters
            # only
            return (
                self.env["crm.interaction"]
                .browse(ids)
                .filtered(lambda i: i.logged_segment_id == self)
            )
        return self.interaction_ids.filtered(
            lambda i: i.correspondence_type == "hard_copy" and not i.canceled
        ).sorted("id")

    def action_view_follow_up_segment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.segment",
            "res_id": self.follow_up_segment_id.id,
            "view_mode": "form",
        }

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        action["domain"] = [("logged_segment_id", "=", self.id)]
        return action

    # -------------------------------------------------------------------------
    # JOB
    # -------------------------------------------------------------------------
    def _log_batch_size(self):
        """Lines per batch: ``crm_campaign_segment.batch_size`` (1,000) for a
        job that delivers (renders, e-mails, prints); for a job that only
        writes interactions, ``crm_campaign_segment.batch_size_interactions``
        (ten times as many by default: a batch is then a few statements)."""
        params = self.env["ir.config_parameter"].sudo()
        size = max(1, int(params.get_param("crm_campaign_segment.batch_size", 1000)))
        if len(self) == 1 and not self.send:
            size = max(
                1,
                int(
                    params.get_param(
                        "crm_campaign_segment.batch_size_interactions", size * 10
                    )
                ),
            )
        return size

    def _log_run(self, batch_size=None):
        """Log all remaining lines now, batch by batch (in this transaction)."""
        self.ensure_one()
        batch_size = batch_size or self._log_batch_size()
        while self._log_batch(batch_size):
            pass
        self._log_finalize()

    def _log_lock(self, shared=False):
        """Lock this job for this transaction, or raise a UserError: one
        worker at a time logs a batch of it, and nobody cancels it meanwhile.

        :param bool shared: a key-share lock, which batches running in
            parallel hold together (and update the job's counters under),
            and which a manager's cancel (an exclusive lock) waits for
        """
        self.ensure_one()
        mode = SQL("FOR KEY SHARE NOWAIT") if shared else SQL("FOR UPDATE NOWAIT")
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.execute_query(
                    SQL(
                        "SELECT id FROM crm_logged_segment WHERE id = %s %s",
                        self.id,
                        mode,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged right now. Try again in "
                    "a moment.",
                    segment=self.display_name,
                )
            ) from None

    def _log_batch(self, limit):
        """Log the next ``limit`` lines after the cursor (one batch).

        :return: the number of lines logged (0: nothing left)
        """
        self.ensure_one()
        return self._log_write_batch((self.log_cursor, None, limit))

    def _log_write_batch(self, span, move_cursor=True):
        """Log the lines of ``span`` = (after line id, up to line id or None,
        limit or None): interactions, subjects, deliveries and the job's
        cursor, in a fixed number of statements.

        :return: the number of segment lines the batch went through (0:
            nothing left in the span)
        """
        rows, last_line = self._log_read_batch(span)
        if rows:
            subjects = self._log_render_subjects(rows)
            interactions = (
                self.env["crm.interaction"]
                ._as_engine()
                .with_context(**LOG_CREATE_CONTEXT)
                .create(self._log_interaction_values(rows, subjects))
            ).with_env(self.env)
            if self.send:
                interactions._deliver()
        if move_cursor and last_line:
            # the job's own counter, under the job's exclusive lock
            self._as_engine().log_cursor = last_line
        return len(rows) if rows else (1 if last_line else 0)

    def _log_read_batch(self, span):
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
        segment = self.segment_id
        after, upto, limit = span
        self.env.flush_all()
        self.env.cr.execute(
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
                subject=self._log_subject_columns(),
                template=segment.interaction_template_id.id or None,
                user=segment.user_id.id or None,
                logged=self.id,
            )
        )
        columns = [column.name for column in self.env.cr.description]
        rows = [dict(zip(columns, row, strict=True)) for row in self.env.cr.fetchall()]
        last_line = rows[-1]["line_id"] if rows else None
        return [row for row in rows if not row["logged"]], last_line

    def _log_subject_columns(self):
        """``subject`` (the source text of a line's subject) and
        ``subject_row`` (the template row it comes from, if any)."""
        header = self.segment_id.subject or None
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

    def _log_template_values(self, template_ids):
        """{template id: the values its interactions take}: the template's
        (``_get_interaction_values``), the segment's for its own template,
        the segment's campaign when it has one."""
        segment = self.segment_id
        result = {}
        for template in self.env["crm.interaction.template"].browse(template_ids):
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

    def _log_interaction_values(self, rows, subjects):
        """The values of the interactions of the batch's lines: the
        template's, then the line's own (extension point)."""
        templates = self._log_template_values({row["template_id"] for row in rows})
        entries = {
            entry.campaign_id.id: entry.id for entry in self.sudo().campaign_entry_ids
        }
        vals_list = []
        for row in rows:
            values = dict(templates[row["template_id"]])
            values.update(
                logged_segment_id=self.id,
                segment_line_id=row["line_id"],
                campaign_entry_id=entries.get(values.get("campaign_id")),
                partner_id=row["partner_id"],
                company_partner_id=row["company_partner_id"],
                date=self.date,
                subject=subjects.get(row["line_id"], row["subject"]),
                correspondence_type=row["correspondence_type"],
                lang=row["lang"],
                evaluation=row["evaluation"],
                user_id=row["user_id"],
                company_id=self.segment_id.company_id.id,
                delivery_status=(
                    "in_progress"
                    if self.send
                    and row["correspondence_type"] in ("email", "hard_copy")
                    else "none"
                ),
            )
            vals_list.append(values)
        return vals_list

    def _log_render_subjects(self, rows):
        """Render the subjects with placeholders of the batch's lines, per
        language group, before their interactions are written: the e-mail,
        the letter and the Subject merge field show them.

        :return: {line id: rendered subject}
        """
        segment = self.segment_id
        todo = [row for row in rows if "{{" in (row["subject"] or "")]
        if not todo:
            return {}
        render = self.env["crm.interaction.render"]
        Template = self.env["crm.interaction.template"]
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

    def _log_finalize(self):
        """Close the logging job: follow-up segment, message, status."""
        self.ensure_one()
        segment = self.segment_id
        if self.create_follow_up and not self.follow_up_segment_id and segment:
            self._as_engine().follow_up_segment_id = self._log_create_follow_up()
        self._as_engine().job_state = "done"
        self._message_log(
            body=self.env._(
                "Segment %(segment)s logged: %(count)s interactions.",
                segment=segment.display_name,
                count=self.interaction_count,
            )
        )

    def _log_create_follow_up(self):
        """Create "Follow-up on segment ..." with the same campaign and contacts,
        built by reusing this logged segment (one undoable Add step)."""
        self.ensure_one()
        segment = self.segment_id
        follow_up = self.env["crm.segment"].create(
            {
                "description": self.env._(
                    "Follow-up on segment %(segment)s", segment=segment.name
                ),
                "campaign_id": segment.campaign_id.id,
                "company_id": segment.company_id.id,
                "lang": segment.lang,
            }
        )
        follow_up._reuse_logged_segment(self, ignore_exclusion=True)
        return follow_up

    # -------------------------------------------------------------------------
    # BACKGROUND JOB (ir.cron, or queue_job when installed)
    # -------------------------------------------------------------------------
    def _log_enqueue(self):
        """Have the background job log these queued jobs: one queue job per
        batch of the lines not logged yet, when ``queue_job`` is installed;
        else the background cron."""
        if not self._log_use_queue_job():
            self.env.ref(LOG_CRON).sudo()._trigger()
            return None
        from odoo.addons.queue_job.delay import group

        channel = self._log_queue_channel()
        for logged in self:
            logged._as_engine().log_fanned_out = True
            job = logged.with_user(logged.user_id).with_company(logged.company_id)
            batches = [
                job.delayable(
                    channel=channel,
                    identity_key=f"crm_logged_segment:{logged.id}:{after}:{upto}",
                    description=self.env._(
                        "Log segment %(logged)s, lines %(first)s-%(last)s",
                        logged=logged.display_name,
                        first=after + 1,
                        last=upto,
                    ),
                )._log_queue_batch(after, upto)
                for after, upto in logged._log_batch_ranges()
            ] or [job.delayable(channel=channel)._log_queue_batch(0, 0)]
            # batches finishing at the same time in two workers may each see
            # the other's lines uncommitted: a last job closes the logging
            # once all batches are done
            group(*batches).on_done(
                job.delayable(
                    channel=channel,
                    description=self.env._(
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
        jobs = self.sudo().search(
            [
                ("job_state", "=", "queued"),
                ("canceled", "=", False),
                ("log_fanned_out", "=", False),
            ],
            order="id",
        )
        done = 0
        for logged in jobs:
            processed = logged._log_run_job()
            if processed is not None:
                done = processed
                break
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=self._log_remaining_count()
        )

    def _log_run_job(self):
        """Log one batch of this queued job on the cron path, as the user who
        logged it, sized to the cron run's time budget.

        :return: the number of lines logged, or None when the job was not
            processed (locked by another transaction, canceled meanwhile,
            stopped on an error)
        """
        self.ensure_one()
        logged = self.with_user(self.user_id).with_company(self.company_id)
        start = time.monotonic()
        try:
            done = logged._log_run_batch(limit=self._log_call_batch_size())
        except UserError:
            _logger.info("%s is locked, logging it later", self.name)
            # a run that logs nothing counts as fully done: without a trigger
            # the cron would wait for its next interval
            self.env.ref(LOG_CRON).sudo()._trigger(
                fields.Datetime.now() + LOCKED_RETRY_DELAY
            )
            return None
        if done and logged.job_state == "queued":
            _SECONDS_PER_LINE[self._log_rate_key()] = (time.monotonic() - start) / done
        else:
            _SECONDS_PER_LINE.pop(self._log_rate_key(), None)
        return done

    def _log_run_batch(self, span=None, limit=None, shared=False):
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
        self.ensure_one()
        if not self.segment_id:
            # the segment was deleted meanwhile: nothing more can be logged
            self._as_engine().job_state = "done"
            return 0
        self._log_lock(shared=shared)
        # canceled (or set to error) while this batch waited for the lock
        self.invalidate_recordset(["job_state", "canceled", "log_cursor"])
        if self.job_state != "queued" or self.canceled:
            return None
        try:
            with self.env.cr.savepoint():
                done = self._log_write_batch(
                    span or (self.log_cursor, None, limit), move_cursor=not shared
                )
                self._log_close_if_complete(done, shared)
                return done
        except psycopg2.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - any error stops the job
            self._log_job_failed(error)
            return None

    def _log_close_if_complete(self, done, shared):
        """Close the job after a batch that found nothing left: after its
        cursor on the cron path; counted from the interactions for parallel
        batches, whose last one may not see the others' lines yet (the job
        that runs once all of them are done closes it then)."""
        if shared:
            self._log_queue_finalize()
        elif not done or not self._log_has_pending():
            self._log_finalize()

    def _log_rate_key(self):
        return (self.env.cr.dbname, self.id)

    def _log_call_batch_size(self):
        """Lines of this job's next batch on the cron path: the batch size,
        fewer when the last batch showed that it would not fit in a tenth of
        the cron run's time budget (``crm_campaign_segment.cron_time_budget``,
        60 seconds), so that a run ends well before Odoo's real-time limit
        even on a busy machine."""
        size = self._log_batch_size()
        rate = _SECONDS_PER_LINE.get(self._log_rate_key())
        if not rate:
            return size
        budget = float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_campaign_segment.cron_time_budget", 60)
        )
        fits = int(budget / CRON_CALLS_PER_RUN / rate)
        return max(1, min(size, fits))

    def _log_has_pending(self):
        """Whether lines are left after the cursor (one index probe)."""
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM crm_segment_line WHERE segment_id = %s "
                    "AND id > %s LIMIT 1",
                    self.segment_id.id,
                    self.log_cursor,
                )
            )
        )

    def _log_job_failed(self, error):
        """Stop a job on an error: state *Error*, the reason in its chatter."""
        reason = error.args[0] if isinstance(error, UserError) else str(error)
        _logger.warning("Logging %s failed: %s", self.name, reason)
        logged = self._as_engine()
        logged.job_state = "error"
        logged._message_log(
            body=self.env._(
                "Logging stopped on an error: %(error)s A campaign manager can "
                "retry it once the cause is fixed, or cancel it.",
                error=reason,
            )
        )

    @api.model
    def _log_remaining_count(self):
        """Lines of queued logging jobs not logged yet (lines to log minus
        the interactions written, counted per job on the unique index)."""
        jobs = self.sudo().search(
            [("job_state", "=", "queued"), ("canceled", "=", False)]
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

    def _log_batch_ranges(self):
        """(after line id, up to line id) of each batch of the lines without an
        interaction yet: computed once when the job is queued (or restored)."""
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
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
                size=self._log_batch_size(),
                segment=self.segment_id.id or 0,
                logged=self.id,
            )
        )
        return [(after, upto) for after, upto in rows]

    def _log_queue_batch(self, after, upto):
        """One batch of a logging job, run by a queue job worker.

        Several batches of a job run at once, each through the runner with a
        key-share lock on the job, and an advisory lock on its range (a
        second worker on the same batch retries later and then finds it
        done).
        """
        self.ensure_one()
        from odoo.addons.queue_job.exception import RetryableJobError

        locked = self.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", self.id, after)
        )[0][0]
        if not locked:
            raise RetryableJobError("Batch taken by another worker", seconds=10)
        done = 0
        if upto:
            try:
                done = self._log_run_batch((after, upto, None), shared=True)
            except UserError as error:
                raise RetryableJobError(str(error), seconds=10) from None
        else:
            self._log_queue_finalize()
        if done is None:
            # canceled: restoring the job queues its remaining batches again
            return self.env._("Not logged: the job is not queued any more.")
        return self.env._("%(count)s lines logged.", count=done)

    def _log_queue_finalize(self):
        """Close a fanned-out job whose lines are all logged (by the last
        batch, or by the job that runs once all batches are done)."""
        self.ensure_one()
        self.invalidate_recordset(["job_state", "canceled", "line_done"])
        if self.job_state != "queued" or self.canceled:
            return self.env._("Not closed: the job is not queued any more.")
        if self.line_done < self.line_total:
            return self.env._("Not closed: lines are left to log.")
        self._log_finalize()
        return self.env._("Logging closed.")

    # -------------------------------------------------------------------------
    # ADDRESS LABELS
    # -------------------------------------------------------------------------
    def _get_label_partners(self):
        """The contacts of the interactions, in the order of the segment lines."""
        self.ensure_one()
        interactions = self.interaction_ids.sorted(
            lambda interaction: (interaction.segment_line_id.id or 0, interaction.id)
        )
        return interactions.partner_id

    def _get_label_pages(self, columns, rows):
        return _label_pages(self, columns, rows)
