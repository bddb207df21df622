# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Segment builder: add, reduce and refine contacts step by step, go back and
go forward, save and reuse criteria, dynamic segments.

The steps themselves run in :mod:`.crm_segment_step` (set-based SQL).
"""

import logging

from psycopg2 import DataError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

from ..tools.markers import is_engine
from .crm_segment_step import LINE_VALUE_COLUMNS

_logger = logging.getLogger(__name__)


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    step_ids = fields.One2many(
        "crm.segment.step", "segment_id", string="Criteria Steps", copy=False
    )
    can_go_back = fields.Boolean(compute="_compute_step_state")
    can_go_forward = fields.Boolean(compute="_compute_step_state")
    criteria_id = fields.Many2one(
        "crm.segment.criteria",
        string="Dynamic Criteria",
        check_company=True,
        help="Saved criteria the segment is rebuilt from by Refresh.",
    )
    auto_refresh = fields.Boolean(
        string="Refresh Automatically",
        help="Rebuild the segment from its saved criteria every night, as the "
        "user who created it (with that user's access rights), in the segment's "
        "company.",
    )

    def unlink(self):
        # the history has no foreign key to cascade with
        ids = tuple(self.ids)
        result = super().unlink()
        if ids:
            self.env.execute_query(
                SQL("DELETE FROM crm_segment_history WHERE segment_id IN %s", ids)
            )
            self.env["crm.segment.history"].invalidate_model()
        return result

    def _compute_step_state(self):
        rows = self.env["crm.segment.step"]._read_group(
            [("segment_id", "in", self.ids)], ["segment_id", "undone"], ["__count"]
        )
        states = {(segment.id, undone) for segment, undone, __ in rows}
        for segment in self:
            segment.can_go_back = (segment._origin.id, False) in states
            segment.can_go_forward = (segment._origin.id, True) in states

    # -------------------------------------------------------------------------
    # STEPS
    # -------------------------------------------------------------------------
    def _check_can_change_lines(self):
        self.ensure_one()
        self._check_draft()
        self.check_access("write")

    def _new_step(self, mode, filter_values, origin):
        """Create the next step, discarding what could have been redone.

        The undone steps (and their history) are deleted in SQL, after the
        check that the user may change the segment: users cannot delete steps
        nor write the history through the ORM."""
        self.ensure_one()
        self.check_access("write")
        self.env.flush_all()
        # a new step after going back discards the undone steps (and history)
        self.env.execute_query(
            SQL(
                """
                WITH gone AS (
                    DELETE FROM crm_segment_step
                     WHERE segment_id = %s AND undone
                    RETURNING id
                )
                DELETE FROM crm_segment_history
                 WHERE step_id IN (SELECT id FROM gone)
                """,
                self.id,
            )
        )
        self.env["crm.segment.step"].invalidate_model()
        self.env["crm.segment.history"].invalidate_model()
        sequence = self.env.execute_query(
            SQL(
                "SELECT COALESCE(MAX(sequence), 0) + 1 FROM crm_segment_step "
                "WHERE segment_id = %s",
                self.id,
            )
        )[0][0]
        Step = self.env["crm.segment.step"]
        # users read steps, only the engine writes them
        return (
            Step.sudo()
            .create(
                {
                    "segment_id": self.id,
                    "sequence": sequence,
                    "mode": mode,
                    "origin": origin,
                    "filter_values": filter_values,
                    "partner_domain": filter_values.get("partner_domain") or False,
                    "description": self.env[
                        "crm.segment.filter.mixin"
                    ]._filter_describe(mode, filter_values),
                }
            )
            .sudo(False)
        )

    def _apply_step(self, mode, filter_values, origin="filter"):
        """Apply one step to the segment and record it.

        :param mode: ``add``, ``reduce``, ``refine`` or ``refresh``
        :param filter_values: JSON-able dict of filters and options, keys named
            like the fields of ``crm.segment.filter`` (lists of ids, strings,
            booleans, dates as ISO strings); ``partner_ids`` and
            ``logged_segment_ids`` select contacts directly, ``criteria_id``
            names the saved criteria of a ``refresh`` step
        :return: the new ``crm.segment.step``
        """
        self.ensure_one()
        self._check_can_change_lines()
        Step = self.env["crm.segment.step"]
        if mode not in dict(Step._fields["mode"].selection):
            raise UserError(
                self.env._("Unknown segment step mode %(mode)s.", mode=mode)
            )
        values = self.env["crm.segment.filter.mixin"]._filter_normalize(
            filter_values, mode
        )
        if mode == "refresh" and not values.get("criteria_id"):
            raise UserError(
                self.env._(
                    "Segment %(segment)s: a refresh needs saved criteria.",
                    segment=self.display_name,
                )
            )
        try:
            with self.env.cr.savepoint():
                step = self._new_step(mode, values, origin)
                step._apply(values)
        except DataError as error:
            raise UserError(
                self.env._(
                    "Segment %(segment)s: the filter could not be applied, the "
                    "segment is unchanged: %(error)s",
                    segment=self.display_name,
                    error=error,
                )
            ) from error
        self._invalidate_lines()
        return step

    def _invalidate_lines(self):
        self.env["crm.segment.line"].invalidate_model()
        self.env["crm.segment.step"].invalidate_model()
        self.env["crm.segment.history"].invalidate_model()
        self.invalidate_recordset(
            [
                "line_ids",
                "line_count",
                "line_preview_ids",
                "step_ids",
                "can_go_back",
                "can_go_forward",
            ]
        )

    def _last_step(self, undone):
        self.ensure_one()
        return self.env["crm.segment.step"].search(
            [("segment_id", "=", self.id), ("undone", "=", undone)],
            order="sequence desc, id desc" if not undone else "sequence, id",
            limit=1,
        )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------
    def action_go_back(self):
        """Undo the last active step exactly."""
        for segment in self:
            segment._check_can_change_lines()
            step = segment._last_step(undone=False)
            if not step:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no step to undo.",
                        segment=segment.display_name,
                    )
                )
            self.env.flush_all()
            step._undo()
            segment._invalidate_lines()
        return True

    def action_go_forward(self):
        """Redo the first undone step exactly as it was applied."""
        for segment in self:
            segment._check_can_change_lines()
            step = segment._last_step(undone=True)
            if not step:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no undone step to redo.",
                        segment=segment.display_name,
                    )
                )
            self.env.flush_all()
            step._redo()
            segment._invalidate_lines()
        return True

    def action_refresh(self):
        """Rebuild the segment from its saved criteria, as one undoable step."""
        for segment in self:
            if not segment.criteria_id:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no saved criteria to refresh from.",
                        segment=segment.display_name,
                    )
                )
            segment._apply_step(
                "refresh", {"criteria_id": segment.criteria_id.id}, origin="refresh"
            )
        return True

    def _save_criteria(self, code, name):
        """Store the active steps as saved criteria under ``code``."""
        self.ensure_one()
        steps = self.step_ids.filtered(lambda s: not s.undone).sorted(
            lambda s: (s.sequence, s.id)
        )
        if not steps:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no criteria steps to save.",
                    segment=self.display_name,
                )
            )
        code = (code or "").strip()
        if not code or not (name or "").strip():
            raise UserError(self.env._("Saved criteria need a code and a description."))
        Criteria = self.env["crm.segment.criteria"]
        if Criteria.with_context(active_test=False).search_count(
            [("code", "=", code), ("company_id", "=", self.company_id.id)]
        ):
            raise UserError(
                self.env._(
                    "Saved criteria with code %(code)s already exist in company "
                    "%(company)s.",
                    code=code,
                    company=self.company_id.display_name,
                )
            )
        return Criteria.create(
            {
                "code": code,
                "name": name.strip(),
                "company_id": self.company_id.id,
                "step_ids": [
                    fields.Command.create(
                        {
                            "sequence": index,
                            "mode": step.mode,
                            "filter_values": step.filter_values or {},
                            "description": step.description,
                        }
                    )
                    for index, step in enumerate(steps, start=1)
                ],
            }
        )

    def _reuse_criteria(self, criteria):
        """Replay every step of saved ``criteria`` on today's data, one step
        each (each undoable), on top of the segment's current lines."""
        self.ensure_one()
        criteria.ensure_one()
        if not criteria.step_ids:
            raise UserError(
                self.env._(
                    "Saved criteria %(criteria)s have no steps.",
                    criteria=criteria.display_name,
                )
            )
        steps = self.env["crm.segment.step"]
        for saved in criteria.step_ids.sorted(lambda s: (s.sequence, s.id)):
            steps |= self._apply_step(
                saved.mode, saved.filter_values or {}, origin="criteria"
            )
        return steps

    def _reuse_logged_segment(self, logged_segment, ignore_exclusion=False):
        """Add the contacts of a logged segment as one step."""
        self.ensure_one()
        logged_segment.ensure_one()
        return self._apply_step(
            "add",
            {
                "logged_segment_ids": [logged_segment.id],
                "ignore_exclusion": ignore_exclusion,
            },
            origin="logged_segment",
        )

    @api.model
    def _cron_refresh_dynamic_segments(self):
        """Rebuild the dynamic segments one by one, each as its owner (the user
        who created it) in the segment's company, never as the superuser: the
        owner's access rights and record rules decide which contacts come in.
        A segment whose owner is missing, archived or without access to it is
        skipped and logged."""
        segments = self.sudo().search(
            [
                ("state", "=", "draft"),
                ("auto_refresh", "=", True),
                ("criteria_id", "!=", False),
            ]
        )
        for segment in segments:
            owner_segment = segment._as_refresh_owner()
            if not owner_segment:
                continue
            try:
                with self.env.cr.savepoint():
                    owner_segment.action_refresh()
            except Exception:
                _logger.exception(
                    "Dynamic segment %s could not be refreshed as its owner %s",
                    segment.display_name,
                    owner_segment.env.user.login,
                )

    def _as_refresh_owner(self):
        """The segment in the environment of its owner and company, for the
        scheduled refresh; an empty recordset (and a warning) when the owner
        cannot refresh it."""
        self.ensure_one()
        owner = self.sudo().create_uid
        reason = None
        if not owner or owner._is_superuser():
            reason = "it has no owner other than the superuser"
        elif not owner.active:
            reason = f"its owner {owner.login} is archived"
        elif self.company_id not in owner.company_ids:
            reason = f"its owner {owner.login} has no access to its company"
        else:
            segment = (
                self.with_user(owner)
                .with_context(allowed_company_ids=self.company_id.ids)
                .with_company(self.company_id)
            )
            if not (
                segment.has_access("write") and segment.criteria_id.has_access("read")
            ):
                reason = f"its owner {owner.login} has no access to it"
            else:
                return segment
        _logger.warning(
            "Dynamic segment %s (id %s) is not refreshed: %s.",
            self.display_name,
            self.id,
            reason,
        )
        return self.browse()


class CrmSegmentLine(models.Model):
    """Adding or deleting lines by hand records a step (origin Manual Edit)."""

    _inherit = "crm.segment.line"

    def init(self):
        # the form shows the first lines of a segment in their order, the
        # logging job reads the next lines after its cursor: read from this
        # index, not sorted out of a million lines (it also serves searches by
        # segment: segment_id has no index of its own)
        create_index(
            self.env.cr,
            "crm_segment_line_segment_id_id_index",
            self._table,
            ["segment_id", "id"],
        )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not is_engine(self.env):
            for segment, segment_lines in lines._grouped_by_draft_segment():
                segment_lines._record_manual_step(segment, "add", "insert")
        return lines

    def unlink(self):
        if not is_engine(self.env):
            for segment, segment_lines in self._grouped_by_draft_segment():
                segment_lines._record_manual_step(segment, "reduce", "delete")
        return super().unlink()

    def _grouped_by_draft_segment(self):
        return [
            (segment, lines)
            for segment, lines in self.grouped("segment_id").items()
            if segment.state == "draft"
        ]

    def _record_manual_step(self, segment, mode, operation):
        step = segment._new_step(
            mode, {"partner_ids": sorted(self.partner_id.ids)}, "manual"
        )
        count_field = "inserted_count" if operation == "insert" else "removed_count"
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                WITH hist AS (
                    INSERT INTO crm_segment_history
                           (step_id, segment_id, partner_id, operation, %(columns)s)
                    SELECT %(step)s, l.segment_id, l.partner_id, %(operation)s,
                           %(l_columns)s
                      FROM crm_segment_line l
                     WHERE l.id IN %(ids)s
                    RETURNING 1
                )
                UPDATE crm_segment_step
                   SET %(count_field)s = (SELECT COUNT(*) FROM hist)
                 WHERE id = %(step)s
                """,
                columns=SQL(", ").join(SQL.identifier(c) for c in LINE_VALUE_COLUMNS),
                l_columns=SQL(", ").join(
                    SQL.identifier("l", c) for c in LINE_VALUE_COLUMNS
                ),
                step=step.id,
                operation=operation,
                ids=tuple(self.ids),
                count_field=SQL.identifier(count_field),
            )
        )
        segment._invalidate_lines()
