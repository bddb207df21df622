# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logged segments: what logging a segment wrote, and the state of its
logging job (cursor, batches, status).

The job itself runs in ``crm.segment.logging``; the cron and the queue jobs
enter it through the methods of this model they reference
(``_cron_log_segments``, ``_log_queue_batch``, ``_log_queue_finalize``).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .crm_segment import _label_pages

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
    "source_id",
    "texts_trusted",
    "user_id",
}
# What logging did about consent, also set by the engine only
CONSENT_ENGINE_FIELDS = {"one_email_per_address", "consent_excluded_count"}
# The job's own bookkeeping: a client that set them could stop or skip a job
JOB_ENGINE_FIELDS = {"log_cursor", "log_fanned_out"}


def field_labels(records, names):
    """The labels of fields ``names`` of ``records``' model, for messages."""
    return ", ".join(
        records._fields[name].get_description(records.env)["string"]
        for name in sorted(names)
    )


class CrmLoggedSegment(models.Model):
    _name = "crm.logged.segment"
    _description = "Logged Segment"
    _inherit = ["mail.thread", "crm.cancel.mixin", "crm.tracking.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _engine_fields = frozenset(
        ENGINE_FIELDS | CONSENT_ENGINE_FIELDS | JOB_ENGINE_FIELDS
    )
    _tracking_interaction_field = "logged_segment_id"

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

    source_id = fields.Many2one(
        "utm.source",
        readonly=True,
        ondelete="set null",
        help="The UTM source of the tracked links of its e-mails.",
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
    def _check_cancel_access(self):
        self._check_manager()

    def _cancel_state_error(self, cancel):
        if cancel:
            return self.env._(
                "Logged segment %(logged)s is canceled already.",
                logged=self.display_name,
            )
        return self.env._(
            "Logged segment %(logged)s is not canceled: there is nothing to restore.",
            logged=self.display_name,
        )

    def _set_canceled(self, canceled):
        """Cancel or restore each logged segment and everything it logged.

        A job still queued (or in error) can be canceled: the background job
        no longer processes it, and restoring it resumes it.  The e-mails of
        its interactions that are still waiting in the queue are canceled.
        """
        engine = self.env["crm.segment.logging"]
        for logged in self:
            if logged.job_state in ("queued", "error"):
                # not while the background job is logging a batch of it
                engine._log_lock_job(logged)
            super(CrmLoggedSegment, logged)._set_canceled(canceled)
            if not canceled and logged.job_state == "queued":
                engine._log_enqueue(logged)
        return True

    def _cancel_cascade(self, canceled):
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
        self.env["crm.segment.logging"]._log_enqueue(failed)
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

    def action_view_link_clicks(self):
        """The clicks on the tracked links of this logged segment's e-mails,
        per link: the link tracker's own click report."""
        self.ensure_one()
        return self.env["crm.interaction"]._action_link_clicks(
            [("interaction_id.logged_segment_id", "=", self.id)]
        )

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_interaction_action"
        )
        action["domain"] = [("logged_segment_id", "=", self.id)]
        return action

    # -------------------------------------------------------------------------
    # LOGGING JOB: entry points of the cron and the queue jobs
    # -------------------------------------------------------------------------
    @api.model
    def _cron_log_segments(self):
        """The cron "Log segments in the background" (data XML) calls it."""
        return self.env["crm.segment.logging"]._cron_log_segments()

    def _log_queue_batch(self, after, upto):
        """One batch of this logging job, run by a queue job worker (queued
        jobs name this method)."""
        return self.env["crm.segment.logging"]._log_queue_batch(self, after, upto)

    def _log_queue_finalize(self):
        """Close this fanned-out job once its batches are done (queued jobs
        name this method)."""
        return self.env["crm.segment.logging"]._log_queue_finalize(self)

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
