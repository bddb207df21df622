# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The filter language of the segment builder, defined once.

A filter is a field of this mixin plus an entry of :data:`FILTERS` naming the
method that turns its value into conditions on ``res.partner``. From those
two, the mixin derives everything else: the normalisation of the values a
step records (``filter_values``), the domain, the flat SQL conditions the
step engine adds to it, and the filter in words. The Add/Reduce/Refine
wizard inherits the fields; steps, saved criteria and dynamic segments call
the methods on ``self.env["crm.segment.filter.mixin"]``.
"""

import ast
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .crm_segment_line import EVALUATIONS

ONE_DAY = timedelta(days=1)

# filter field -> method of the mixin building its conditions; the filters of
# one method are combined into one condition (an interaction matching every
# interaction filter, not one interaction per filter)
FILTERS = {
    "partner_domain": "_filter_partner_domain",
    "partner_ids": "_filter_contacts",
    "job_responsibility_ids": "_filter_classification",
    "mailing_group_ids": "_filter_classification",
    "category_ids": "_filter_classification",
    "business_relation_ids": "_filter_company_classification",
    "industry_ids": "_filter_company_classification",
    "interaction_template_ids": "_filter_interactions",
    "interaction_group_ids": "_filter_interactions",
    "interaction_campaign_ids": "_filter_interactions",
    "interaction_date_from": "_filter_interactions",
    "interaction_date_to": "_filter_interactions",
    "interaction_evaluation": "_filter_interactions",
    "interaction_campaign_response": "_filter_interactions",
    "segment_ids": "_filter_segments",
    "logged_segment_ids": "_filter_logged_segments",
    "target_campaign_ids": "_filter_campaign_targets",
    "response_campaign_ids": "_filter_campaign_responses",
    "opportunity_filter": "_filter_opportunities",
    "opportunity_stage_ids": "_filter_opportunities",
    "activity_filter": "_filter_activities",
    "activity_type_ids": "_filter_activities",
}
# options: how the contacts found are used, per mode
OPTIONS = {
    "expand_company": ("add",),
    "include_company": ("add",),
    "ignore_exclusion": ("add",),
    "entire_companies": ("reduce", "refine"),
}
# the saved criteria a refresh step rebuilds the segment from
CRITERIA_KEY = "criteria_id"
# columns of the contact's own classifications (Many2many on res.partner)
CLASSIFICATION_FIELDS = {
    "job_responsibility_ids": "job_responsibility_ids",
    "mailing_group_ids": "mailing_group_ids",
    "category_ids": "category_id",
}


class CrmSegmentFilterMixin(models.AbstractModel):
    """The fields of the segment filter language and what they mean."""

    _name = "crm.segment.filter.mixin"
    _description = "Segment Filter Language"

    partner_domain = fields.Char(string="Contact Filter", default="[]")
    partner_ids = fields.Many2many("res.partner", string="Contacts")
    job_responsibility_ids = fields.Many2many(
        "crm.job.responsibility", string="Job Responsibilities"
    )
    business_relation_ids = fields.Many2many(
        "crm.business.relation",
        string="Business Relations",
        help="Business relations of companies: a person matches through its company.",
    )
    mailing_group_ids = fields.Many2many("crm.mailing.group", string="Mailing Groups")
    industry_ids = fields.Many2many(
        "res.partner.industry",
        string="Industries",
        help="Industries of companies: a person matches through its company.",
    )
    category_ids = fields.Many2many("res.partner.category", string="Tags")
    interaction_template_ids = fields.Many2many(
        "crm.interaction.template", string="Interaction Templates"
    )
    interaction_group_ids = fields.Many2many(
        "crm.interaction.group", string="Interaction Groups"
    )
    interaction_campaign_ids = fields.Many2many(
        "utm.campaign", string="Interaction Campaigns"
    )
    interaction_date_from = fields.Date(string="Interactions From")
    interaction_date_to = fields.Date(string="Interactions To")
    interaction_evaluation = fields.Selection(EVALUATIONS, string="Evaluation")
    interaction_campaign_response = fields.Boolean(string="Campaign Responses Only")
    segment_ids = fields.Many2many(
        "crm.segment",
        string="In Segments",
        help="Contacts that are lines of these segments.",
    )
    logged_segment_ids = fields.Many2many(
        "crm.logged.segment",
        string="In Logged Segments",
        help="Contacts logged (not canceled) in these logged segments.",
    )
    target_campaign_ids = fields.Many2many(
        "utm.campaign",
        "crm_segment_filter_target_campaign_rel",
        "filter_id",
        "campaign_id",
        string="Targeted by Campaigns",
        help="Contacts with a campaign target interaction (not canceled) of these "
        "campaigns.",
    )
    response_campaign_ids = fields.Many2many(
        "utm.campaign",
        "crm_segment_filter_response_campaign_rel",
        "filter_id",
        "campaign_id",
        string="Responded to Campaigns",
        help="Contacts with a campaign response (not canceled) to these campaigns.",
    )
    opportunity_filter = fields.Selection(
        [
            ("open", "Has an Open Opportunity"),
            ("stage", "Has an Opportunity in Stage"),
            ("none", "Has No Open Opportunity"),
        ],
        string="Opportunities",
        help="Opportunities of the contact or of its company.",
    )
    opportunity_stage_ids = fields.Many2many("crm.stage", string="Opportunity Stages")
    activity_filter = fields.Selection(
        [("overdue", "Has an Overdue Activity"), ("planned", "Has a Planned Activity")],
        string="Activities",
    )
    activity_type_ids = fields.Many2many("mail.activity.type", string="Activity Types")
    expand_company = fields.Boolean(
        string="Expand Companies",
        help="Each contact found brings every contact of its company.",
    )
    include_company = fields.Boolean(
        string="Include Company Contacts",
        help="Each person found also brings its company contact.",
    )
    ignore_exclusion = fields.Boolean(
        help="Also add contacts marked 'Exclude from Segments'. Archived contacts "
        "are always left out.",
    )
    entire_companies = fields.Boolean(
        help="A match on any contact of a company removes (reduce) or keeps "
        "(refine) every contact of that company.",
    )

    # -------------------------------------------------------------------------
    # RECORD -> VALUES
    # -------------------------------------------------------------------------
    def _filter_values(self):
        """The record's filters and options as a JSON-able dict."""
        self.ensure_one()
        values = {}
        for key in (*FILTERS, *OPTIONS):
            field = self._fields[key]
            value = self[key]
            if field.type == "many2many":
                value = value.ids
            elif field.type == "date":
                value = fields.Date.to_string(value) if value else False
            values[key] = value or False
        values["partner_domain"] = self.partner_domain or "[]"
        return values

    # -------------------------------------------------------------------------
    # NORMALISATION
    # -------------------------------------------------------------------------
    @api.model
    def _filter_normalize(self, filter_values, mode=None):
        """Check ``filter_values`` and return them without the empty ones
        (and without the options that do not apply to ``mode``).

        :raise UserError: on an unknown key or a value of the wrong type
        """
        values = {}
        for key, value in (filter_values or {}).items():
            if key == CRITERIA_KEY:
                if value:
                    values[key] = self._filter_normalize_ids(key, value)[0]
                    self._filter_check_readable(
                        key, [values[key]], "crm.segment.criteria"
                    )
                continue
            if key not in FILTERS and key not in OPTIONS:
                raise UserError(
                    self.env._(
                        "Unknown segment filter %(filter)s. Known filters: %(known)s.",
                        filter=key,
                        known=", ".join(sorted([*FILTERS, *OPTIONS, CRITERIA_KEY])),
                    )
                )
            if not value:
                continue
            field = self._fields[key]
            if key == "partner_domain":
                if value.strip() not in ("[]", "()"):
                    self._filter_parse_domain(value)
                    values[key] = value
            elif field.type == "many2many":
                values[key] = self._filter_normalize_ids(key, value)
                self._filter_check_readable(key, values[key], field.comodel_name)
            elif field.type == "selection":
                allowed = [k for k, __ in field._description_selection(self.env)]
                if value not in allowed:
                    raise UserError(
                        self.env._(
                            "Segment filter %(filter)s: %(value)r is not one of "
                            "%(allowed)s.",
                            filter=key,
                            value=value,
                            allowed=", ".join(sorted(allowed)),
                        )
                    )
                values[key] = value
            elif field.type == "date":
                try:
                    values[key] = fields.Date.to_string(fields.Date.to_date(value))
                except (TypeError, ValueError) as error:
                    raise UserError(
                        self.env._(
                            "Segment filter %(filter)s: %(value)r is not a date.",
                            filter=key,
                            value=value,
                        )
                    ) from error
            else:
                values[key] = True
        if mode:
            for key, modes in OPTIONS.items():
                if mode not in modes:
                    values.pop(key, None)
        return values

    @api.model
    def _filter_normalize_ids(self, key, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise UserError(
                self.env._(
                    "Segment filter %(filter)s expects a list of record ids, not "
                    "%(value)r.",
                    filter=key,
                    value=value,
                )
            )
        return sorted(set(value))

    @api.model
    def _filter_check_readable(self, key, ids, model):
        """Refuse ids of records the user may not read (ids that no longer
        exist are kept: they match nothing)."""
        records = self.env[model].browse(ids).exists()
        hidden = records - records._filtered_access("read")
        if hidden:
            raise UserError(
                self.env._(
                    "Segment filter %(filter)s: you cannot read %(count)s of the "
                    "selected records (ids %(ids)s).",
                    filter=key,
                    count=len(hidden),
                    ids=", ".join(str(record_id) for record_id in hidden.ids[:10]),
                )
            )

    @api.model
    def _filter_parse_domain(self, text):
        """Turn the text of a contact domain into a checked domain.

        Only literal domains are accepted (no ``uid``, no ``context_today()``),
        and every field must exist: the domain is compiled once to check it.
        """
        if not text or not text.strip():
            return []
        try:
            domain = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
            raise UserError(
                self.env._(
                    "The contact filter %(domain)s is not a literal domain: %(error)s",
                    domain=text,
                    error=e,
                )
            ) from e
        if not isinstance(domain, list | tuple):
            raise UserError(
                self.env._(
                    "The contact filter %(domain)s is not a domain: it must be a "
                    "list of conditions such as [('city', '=', 'Oslo')].",
                    domain=text,
                )
            )
        try:
            domain = expression.normalize_domain(list(domain))
            self.env["res.partner"]._search(domain)
        except (ValueError, TypeError, KeyError, AssertionError, IndexError) as e:
            raise UserError(
                self.env._(
                    "The contact filter %(domain)s is not valid: %(error)s",
                    domain=text,
                    error=e,
                )
            ) from e
        return domain

    # -------------------------------------------------------------------------
    # CONDITIONS
    # -------------------------------------------------------------------------
    @api.model
    def _filter_conditions(self, filter_values):
        """The conditions of the (normalised) filters on ``res.partner``.

        :return: ``(domain, sql)``: a domain, and a list of SQL conditions on
            the alias ``res_partner`` to add to the query of that domain (flat
            SQL where the domain would nest subqueries); both are combined
            with AND
        """
        domains, conditions = [], []
        for method in dict.fromkeys(FILTERS.values()):
            domain, sql = getattr(self, method)(filter_values)
            if domain:
                domains.append(domain)
            conditions.extend(sql)
        return (expression.AND(domains) if domains else []), conditions

    @api.model
    def _filter_domain(self, filter_values):
        """The filters as one ``res.partner`` domain, SQL conditions included
        (as ``id in`` subqueries)."""
        domain, conditions = self._filter_conditions(filter_values)
        for condition in conditions:
            query = self.env["res.partner"].with_context(active_test=False)._search([])
            query.add_where(condition)
            domain = expression.AND([domain, [("id", "in", query)]])
        return domain

    @api.model
    def _filter_partner_domain(self, fv):
        text = fv.get("partner_domain")
        return (self._filter_parse_domain(text) if text else []), []

    @api.model
    def _filter_contacts(self, fv):
        return ([("id", "in", fv["partner_ids"])] if fv.get("partner_ids") else []), []

    @api.model
    def _filter_classification(self, fv):
        domains = [
            [(fname, "in", fv[key])]
            for key, fname in CLASSIFICATION_FIELDS.items()
            if fv.get(key)
        ]
        return expression.AND(domains) if domains else [], []

    @api.model
    def _filter_company_classification(self, fv):
        """A person matches through its company; a company is its own
        commercial partner, so one condition covers both. Flat SQL on the
        commercial partner: one semi-join, not a nested contact query."""
        conditions = []
        if fv.get("business_relation_ids"):
            conditions.append(
                SQL(
                    "EXISTS (SELECT 1 FROM crm_business_relation_partner_rel br "
                    "WHERE br.partner_id = res_partner.commercial_partner_id "
                    "AND br.business_relation_id IN %s)",
                    tuple(fv["business_relation_ids"]),
                )
            )
        if fv.get("industry_ids"):
            conditions.append(
                SQL(
                    "EXISTS (SELECT 1 FROM res_partner ind "
                    "WHERE ind.id = res_partner.commercial_partner_id "
                    "AND ind.industry_id IN %s)",
                    tuple(fv["industry_ids"]),
                )
            )
        return [], conditions

    @api.model
    def _filter_interactions(self, fv):
        keys = [key for key, name in FILTERS.items() if name == "_filter_interactions"]
        if not any(fv.get(key) for key in keys):
            return [], []
        domain = [("canceled", "=", False)]
        if fv.get("interaction_template_ids"):
            domain.append(("template_id", "in", fv["interaction_template_ids"]))
        if fv.get("interaction_group_ids"):
            domain.append(("group_id", "in", fv["interaction_group_ids"]))
        if fv.get("interaction_campaign_ids"):
            domain.append(("campaign_id", "in", fv["interaction_campaign_ids"]))
        if fv.get("interaction_date_from"):
            domain.append(("date", ">=", fv["interaction_date_from"]))
        if fv.get("interaction_date_to"):
            # the whole last day is included
            date_to = fields.Date.to_date(fv["interaction_date_to"])
            domain.append(("date", "<", fields.Date.to_string(date_to + ONE_DAY)))
        if fv.get("interaction_evaluation"):
            domain.append(("evaluation", "=", fv["interaction_evaluation"]))
        if fv.get("interaction_campaign_response"):
            domain.append(("campaign_response", "=", True))
        return [("interaction_ids", "any", domain)], []

    @api.model
    def _filter_segments(self, fv):
        if not fv.get("segment_ids"):
            return [], []
        lines = self.env["crm.segment.line"]._search(
            [("segment_id", "in", fv["segment_ids"])]
        )
        return [("id", "in", lines.subselect("crm_segment_line.partner_id"))], []

    @api.model
    def _filter_logged_segments(self, fv):
        if not fv.get("logged_segment_ids"):
            return [], []
        domain = [
            ("logged_segment_id", "in", fv["logged_segment_ids"]),
            ("canceled", "=", False),
        ]
        return [("interaction_ids", "any", domain)], []

    @api.model
    def _filter_campaign_targets(self, fv):
        if not fv.get("target_campaign_ids"):
            return [], []
        domain = [
            ("campaign_id", "in", fv["target_campaign_ids"]),
            ("campaign_target", "=", True),
            ("canceled", "=", False),
        ]
        return [("interaction_ids", "any", domain)], []

    @api.model
    def _filter_campaign_responses(self, fv):
        if not fv.get("response_campaign_ids"):
            return [], []
        domain = [
            ("campaign_id", "in", fv["response_campaign_ids"]),
            ("campaign_response", "=", True),
            ("canceled", "=", False),
        ]
        return [("interaction_ids", "any", domain)], []

    @api.model
    def _filter_opportunities(self, fv):
        """Opportunities of the contact or of its company; won opportunities
        are not open."""
        kind = fv.get("opportunity_filter") or (
            "stage" if fv.get("opportunity_stage_ids") else False
        )
        if not kind:
            return [], []
        lead_domain = [("type", "=", "opportunity")]
        if kind in ("open", "none"):
            lead_domain.append(("stage_id.is_won", "=", False))
        if fv.get("opportunity_stage_ids") and kind != "none":
            lead_domain.append(("stage_id", "in", fv["opportunity_stage_ids"]))
        operator = "not any" if kind == "none" else "any"
        own = ("opportunity_ids", operator, lead_domain)
        company = ("commercial_partner_id.opportunity_ids", operator, lead_domain)
        if kind == "none":
            return [own, company], []
        return ["|", own, company], []

    @api.model
    def _filter_activities(self, fv):
        if not (fv.get("activity_filter") or fv.get("activity_type_ids")):
            return [], []
        domain = [("active", "=", True)]
        today = fields.Date.context_today(self)
        if fv.get("activity_filter") == "overdue":
            domain.append(("date_deadline", "<", today))
        elif fv.get("activity_filter") == "planned":
            domain.append(("date_deadline", ">=", today))
        if fv.get("activity_type_ids"):
            domain.append(("activity_type_id", "in", fv["activity_type_ids"]))
        return [("activity_ids", "any", domain)], []

    # -------------------------------------------------------------------------
    # IN WORDS
    # -------------------------------------------------------------------------
    @api.model
    def _filter_describe(self, mode, filter_values):
        """The filter of a step in words, for the Criteria tab. Only records
        the user may read are named (the ids may come over RPC)."""
        fv = filter_values
        parts = []
        if mode == "refresh":
            criteria = (
                self.env["crm.segment.criteria"]
                .browse(fv.get(CRITERIA_KEY))
                .exists()
                ._filtered_access("read")
            )
            parts.append(
                self.env._(
                    "Refresh from saved criteria %(criteria)s",
                    criteria=criteria.display_name or fv.get(CRITERIA_KEY),
                )
            )
        options = []
        for key in (*FILTERS, *OPTIONS):
            value = fv.get(key)
            if not value:
                continue
            field = self._fields[key]
            label = field._description_string(self.env)
            if field.type == "boolean":
                options.append(label)
            elif field.type == "many2many":
                parts.append(f"{label}: {self._filter_describe_ids(field, value)}")
            elif field.type == "selection":
                names = dict(field._description_selection(self.env))
                parts.append(f"{label}: {names.get(value, value)}")
            else:
                parts.append(f"{label}: {value}")
        if options:
            parts.append(self.env._("Options: %(options)s", options=", ".join(options)))
        return "; ".join(parts) or self.env._("All contacts")

    @api.model
    def _filter_describe_ids(self, field, ids):
        records = self.env[field.comodel_name].browse(ids).exists()
        readable = records._filtered_access("read")
        names = ", ".join(readable[:10].mapped("display_name"))
        if len(readable) > 10:
            names = self.env._(
                "%(names)s and %(count)s more", names=names, count=len(readable) - 10
            )
        hidden = len(records) - len(readable)
        if hidden:
            hidden_text = (
                self.env._("1 hidden record")
                if hidden == 1
                else self.env._("%(count)s hidden records", count=hidden)
            )
            names = f"{names}, {hidden_text}" if names else hidden_text
        return names
