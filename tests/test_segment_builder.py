# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import xmlrpc.client
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tests.common import new_test_user

from ..tools.markers import as_engine
from .segment_common import SegmentCase


@tagged("post_install", "-at_install")
class TestWalkthroughSegment(SegmentCase):
    """Walkthrough steps 3 to 6: add, save criteria, reduce, go back."""

    def test_walkthrough_steps_3_to_6(self):
        segment = self.segment
        # 3. Add contacts with job responsibility Purchase, from the wizard
        action = segment.action_add_contacts()
        with Form(
            self.env[action["res_model"]].with_context(**action["context"])
        ) as wizard_form:
            wizard_form.job_responsibility_ids.add(self.purchase)
        wizard_form.record.action_apply()
        # the excluded and the archived contact are left out
        self.assertEqual(self.partners(), self.a1 | self.b1 | self.c1)
        self.assertEqual(segment.line_count, 3)
        added = self.line_values()

        # 4. Save the criteria
        save = self.env["crm.segment.criteria.save"].create(
            {"segment_id": segment.id, "code": "FAIR", "name": "Fair buyers"}
        )
        save.action_save()
        criteria = self.env["crm.segment.criteria"].search([("code", "=", "FAIR")])
        self.assertEqual(len(criteria.step_ids), 1)
        self.assertEqual(criteria.step_ids.mode, "add")
        self.assertEqual(
            criteria.step_ids.filter_values["job_responsibility_ids"], self.purchase.ids
        )

        # 5. Reduce with business relation Customer: persons match via company
        wizard = self.env["crm.segment.filter"].create(
            {
                "segment_id": segment.id,
                "mode": "reduce",
                "business_relation_ids": [(6, 0, self.customer.ids)],
            }
        )
        wizard.action_apply()
        self.assertEqual(self.partners(), self.b1)
        self.assertEqual(segment.line_count, 1)
        step = segment.step_ids.sorted("sequence")[-1]
        self.assertEqual((step.inserted_count, step.removed_count), (0, 2))
        self.assertEqual(step.change_summary, "-2")
        self.assertIn("T-CUST - Customer", step.description)

        # 6. Go back: exactly the same lines come back
        segment.action_go_back()
        self.assertEqual(self.line_values(), added)
        self.assertTrue(step.undone)
        # go back again undoes the add
        segment.action_go_back()
        self.assertEqual(segment.line_count, 0)
        with self.assertRaisesRegex(UserError, "no step to undo"):
            segment.action_go_back()
        # go forward twice redoes both
        segment.action_go_forward()
        self.assertEqual(self.line_values(), added)
        segment.action_go_forward()
        self.assertEqual(self.partners(), self.b1)
        with self.assertRaisesRegex(UserError, "no undone step to redo"):
            segment.action_go_forward()
        # the manager goes back and reduces again: the undone step is discarded
        segment.action_go_back()
        self.apply("reduce", business_relation_ids=self.vendor.ids)
        self.assertEqual(self.partners(), self.a1 | self.c1)
        self.assertEqual(len(segment.step_ids), 2)
        self.assertFalse(any(segment.step_ids.mapped("undone")))


@tagged("post_install", "-at_install")
class TestAddContactsOptions(SegmentCase):
    def test_adding_twice_changes_nothing(self):
        self.apply("add", job_responsibility_ids=self.purchase.ids)
        step = self.apply("add", job_responsibility_ids=self.purchase.ids)
        self.assertEqual(step.inserted_count, 0)
        self.assertEqual(self.segment.line_count, 3)

    def test_expand_company(self):
        self.apply("add", job_responsibility_ids=self.sales.ids, expand_company=True)
        self.assertEqual(self.partners(), self.company_a | self.a1 | self.a2)

    def test_include_company(self):
        self.apply(
            "add", job_responsibility_ids=self.purchase.ids, include_company=True
        )
        self.assertEqual(
            self.partners(),
            self.a1
            | self.b1
            | self.c1
            | self.company_a
            | self.company_b
            | self.company_c,
        )

    def test_expand_company_leaves_out_excluded(self):
        self.apply("add", partner_ids=self.b1.ids, expand_company=True)
        self.assertEqual(self.partners(), self.company_b | self.b1)

    def test_ignore_exclusion_keeps_archived_out(self):
        self.apply(
            "add", job_responsibility_ids=self.purchase.ids, ignore_exclusion=True
        )
        self.assertEqual(self.partners(), self.a1 | self.b1 | self.b2 | self.c1)

    def test_line_defaults_from_header(self):
        self.segment.write({"subject": "Thank you", "correspondence_type": "email"})
        self.apply("add", partner_ids=self.a1.ids)
        line = self.segment.line_ids
        self.assertEqual(line.subject, "Thank you")
        self.assertEqual(line.company_partner_id, self.company_a)
        self.assertEqual(line.correspondence_type, "email")


@tagged("post_install", "-at_install")
class TestReduceAndRefineContacts(SegmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment._apply_step(
            "add",
            {
                "partner_ids": (cls.fair_partners - cls.d1).ids,
                "ignore_exclusion": True,
            },
        )

    def test_reduce(self):
        self.apply("reduce", job_responsibility_ids=self.purchase.ids)
        self.assertEqual(
            self.partners(),
            self.company_a | self.a2 | self.company_b | self.company_c,
        )

    def test_reduce_entire_companies(self):
        self.apply(
            "reduce", job_responsibility_ids=self.sales.ids, entire_companies=True
        )
        self.assertEqual(
            self.partners(),
            self.company_b | self.b1 | self.b2 | self.company_c | self.c1,
        )

    def test_refine(self):
        self.apply("refine", business_relation_ids=self.customer.ids)
        self.assertEqual(
            self.partners(),
            self.company_a | self.a1 | self.a2 | self.company_c | self.c1,
        )

    def test_refine_entire_companies(self):
        self.apply(
            "refine", job_responsibility_ids=self.sales.ids, entire_companies=True
        )
        self.assertEqual(self.partners(), self.company_a | self.a1 | self.a2)

    def test_refine_without_entire_companies(self):
        self.apply("refine", job_responsibility_ids=self.sales.ids)
        self.assertEqual(self.partners(), self.a2)

    def test_add_options_ignored_on_reduce(self):
        step = self.apply(
            "reduce", job_responsibility_ids=self.sales.ids, expand_company=True
        )
        self.assertNotIn("expand_company", step.filter_values)
        self.assertEqual(step.removed_count, 1)


@tagged("post_install", "-at_install")
class TestFilterFamilies(SegmentCase):
    def add(self, **filter_values):
        as_engine(self.segment.line_ids).unlink()
        self.apply("add", **filter_values)
        return self.partners()

    def test_partner_domain(self):
        self.assertEqual(
            self.add(
                partner_domain="[('city', '=', 'Fairtown'), ('is_company', '=', True)]"
            ),
            self.company_a | self.company_b | self.company_c,
        )

    def test_classification(self):
        self.assertEqual(self.add(mailing_group_ids=self.newsletter.ids), self.b1)
        self.assertEqual(self.add(category_ids=self.vip.ids), self.c1)
        self.assertEqual(
            self.add(industry_ids=self.furniture.ids),
            self.company_a | self.a1 | self.a2,
        )
        # filters combine with AND
        self.assertEqual(
            self.add(
                industry_ids=self.furniture.ids,
                job_responsibility_ids=self.purchase.ids,
            ),
            self.a1,
        )

    def test_interactions(self):
        group = self.env["crm.interaction.group"].create(
            {"code": "T-LET", "name": "Letters"}
        )
        template = self.env["crm.interaction.template"].create(
            {"code": "T-BUS", "name": "Business letter", "group_id": group.id}
        )
        campaign = self.env["utm.campaign"].create({"name": "Test fair campaign"})
        Interaction = self.env["crm.interaction"]
        today = fields.Datetime.now()
        as_engine(Interaction).create(
            [
                {
                    "partner_id": self.a1.id,
                    "template_id": template.id,
                    "campaign_id": campaign.id,
                    "campaign_response": True,
                    "evaluation": "positive",
                    "date": today,
                },
                {
                    "partner_id": self.b1.id,
                    "template_id": template.id,
                    "date": today - timedelta(days=30),
                },
                {
                    "partner_id": self.c1.id,
                    "template_id": template.id,
                    "canceled": True,
                    "date": today,
                },
            ]
        )
        self.assertEqual(
            self.add(interaction_template_ids=template.ids), self.a1 | self.b1
        )
        self.assertEqual(self.add(interaction_group_ids=group.ids), self.a1 | self.b1)
        self.assertEqual(self.add(interaction_campaign_ids=campaign.ids), self.a1)
        self.assertEqual(
            self.add(
                interaction_template_ids=template.ids,
                interaction_date_from=fields.Date.to_string(today - timedelta(days=7)),
                interaction_date_to=fields.Date.to_string(today),
            ),
            self.a1,
        )
        # on the test's template: the demo data has positive responses too
        self.assertEqual(
            self.add(
                interaction_template_ids=template.ids, interaction_evaluation="positive"
            ),
            self.a1,
        )
        self.assertEqual(
            self.add(
                interaction_template_ids=template.ids,
                interaction_campaign_response=True,
            ),
            self.a1,
        )

    def test_opportunities(self):
        stage = self.env["crm.stage"].create({"name": "Test Proposition"})
        self.env["crm.lead"].create(
            {
                "name": "Chairs for Bluebell",
                "type": "opportunity",
                "partner_id": self.company_b.id,
                "stage_id": stage.id,
            }
        )
        self.assertEqual(
            self.add(
                opportunity_filter="open",
                partner_ids=self.fair_partners.ids,
            ),
            self.company_b | self.b1,
        )
        self.assertEqual(
            self.add(
                opportunity_filter="stage",
                opportunity_stage_ids=stage.ids,
                partner_ids=self.fair_partners.ids,
            ),
            self.company_b | self.b1,
        )
        self.assertEqual(
            self.add(opportunity_filter="none", partner_ids=self.fair_partners.ids),
            self.company_a | self.a1 | self.a2 | self.company_c | self.c1,
        )

    def test_activities(self):
        call = self.env.ref("mail.mail_activity_data_call")
        today = fields.Date.context_today(self.env.user)
        self.c1.activity_schedule(
            activity_type_id=call.id, date_deadline=today - timedelta(days=2)
        )
        self.a1.activity_schedule(
            activity_type_id=call.id, date_deadline=today + timedelta(days=2)
        )
        self.assertEqual(self.add(activity_filter="overdue"), self.c1)
        self.assertEqual(self.add(activity_filter="planned"), self.a1)
        self.assertEqual(
            self.add(activity_type_ids=call.ids, partner_ids=self.fair_partners.ids),
            self.a1 | self.c1,
        )


@tagged("post_install", "-at_install")
class TestGoBackAndForward(SegmentCase):
    def test_go_back_restores_edited_line_values(self):
        self.apply("add", job_responsibility_ids=self.purchase.ids)
        line = self.segment.line_ids.filtered(lambda line: line.partner_id == self.a1)
        line.write({"subject": "Edited", "evaluation": "positive", "lang": "en_US"})
        before = self.line_values()
        self.apply("reduce", partner_ids=self.a1.ids)
        self.assertEqual(self.partners(), self.b1 | self.c1)
        self.segment.action_go_back()
        self.assertEqual(self.line_values(), before)
        # redo the reduce and undo it again: still the same values
        self.segment.action_go_forward()
        self.segment.action_go_back()
        self.assertEqual(self.line_values(), before)

    def test_go_forward_restores_lines_of_an_add(self):
        self.apply("add", job_responsibility_ids=self.purchase.ids)
        line = self.segment.line_ids.filtered(lambda line: line.partner_id == self.c1)
        line.write({"subject": "Kept on redo"})
        before = self.line_values()
        self.segment.action_go_back()
        self.assertFalse(self.segment.line_ids)
        # a data change in between does not change what the step redoes
        self.a2.job_responsibility_ids = [(4, self.purchase.id)]
        self.segment.action_go_forward()
        self.assertEqual(self.line_values(), before)

    def test_manual_lines_are_steps(self):
        self.apply("add", partner_ids=self.a1.ids)
        self.segment.write({"line_ids": [(0, 0, {"partner_id": self.b1.id})]})
        step = self.segment.step_ids.sorted("sequence")[-1]
        self.assertEqual(
            (step.origin, step.mode, step.inserted_count), ("manual", "add", 1)
        )
        self.segment.line_ids.filtered(lambda line: line.partner_id == self.a1).write(
            {"subject": "By hand"}
        )
        before = self.line_values()
        self.segment.line_ids.filtered(lambda line: line.partner_id == self.a1).unlink()
        step = self.segment.step_ids.sorted("sequence")[-1]
        self.assertEqual(
            (step.origin, step.mode, step.removed_count), ("manual", "reduce", 1)
        )
        self.assertEqual(self.partners(), self.b1)
        self.segment.action_go_back()
        self.assertEqual(self.line_values(), before)
        self.segment.action_go_back()
        self.assertEqual(self.partners(), self.a1)

    def test_new_step_discards_redo(self):
        self.apply("add", partner_ids=self.a1.ids)
        self.apply("add", partner_ids=self.b1.ids)
        self.segment.action_go_back()
        self.apply("add", partner_ids=self.c1.ids)
        self.assertFalse(self.segment.can_go_forward)
        self.assertEqual(self.segment.step_ids.mapped("sequence"), [1, 2])
        self.assertEqual(self.partners(), self.a1 | self.c1)


@tagged("post_install", "-at_install")
class TestBadInput(SegmentCase):
    def assert_refused(self, domain, message):
        self.apply("add", partner_ids=self.a1.ids)
        before = self.line_values()
        steps = self.segment.step_ids
        with self.assertRaisesRegex(UserError, message):
            self.apply("add", partner_domain=domain)
        self.assertEqual(self.line_values(), before)
        self.assertEqual(self.segment.step_ids, steps)

    def test_unknown_field(self):
        self.assert_refused("[('no_such_field', '=', 1)]", "not valid")

    def test_not_literal(self):
        self.assert_refused("[('user_id', '=', uid)]", "not a literal domain")

    def test_not_a_domain(self):
        self.assert_refused("{'name': 'x'}", "not a domain")

    def test_broken_domain(self):
        self.assert_refused("[('name', '=', 'x'),", "not a literal domain")

    def test_bad_operator(self):
        self.assert_refused("[('name', 'near', 'x')]", "not valid")

    def test_unknown_filter_key(self):
        with self.assertRaisesRegex(UserError, "Unknown segment filter"):
            self.apply("add", job_ids=[1])

    def test_no_step_on_logged_segment(self):
        self.apply("add", partner_ids=self.a1.ids)
        self.segment.state = "logged"
        with self.assertRaisesRegex(UserError, "logged"):
            self.apply("add", partner_ids=self.b1.ids)
        with self.assertRaisesRegex(UserError, "logged"):
            self.segment.action_go_back()
        self.assertEqual(len(self.segment.step_ids), 1)


@tagged("post_install", "-at_install")
class TestSaveAndReuseCriteria(SegmentCase):
    def test_reuse_replays_every_option(self):
        self.apply(
            "add", job_responsibility_ids=self.purchase.ids, include_company=True
        )
        self.apply(
            "refine", job_responsibility_ids=self.sales.ids, entire_companies=True
        )
        self.assertEqual(self.partners(), self.a1 | self.company_a)
        criteria = self.segment._save_criteria("T-REUSE", "Company A buyers")
        self.assertEqual(criteria.step_ids.mapped("mode"), ["add", "refine"])
        other = self.env["crm.segment"].create({"description": "Other"})
        # today's data: a new buyer at company A
        a3 = self.env["res.partner"].create(
            {
                "name": "Ada New",
                "parent_id": self.company_a.id,
                "job_responsibility_ids": [(6, 0, self.purchase.ids)],
            }
        )
        wizard = self.env["crm.segment.reuse"].create(
            {
                "segment_id": other.id,
                "reuse_type": "criteria",
                "criteria_id": criteria.id,
            }
        )
        wizard.action_apply()
        self.assertEqual(self.partners(other), self.a1 | a3 | self.company_a)
        self.assertEqual(other.step_ids.mapped("origin"), ["criteria", "criteria"])

    def test_save_only_active_steps_and_unique_code(self):
        with self.assertRaisesRegex(UserError, "no criteria steps"):
            self.segment._save_criteria("T-EMPTY", "Empty")
        self.apply("add", partner_ids=self.a1.ids)
        self.apply("add", partner_ids=self.b1.ids)
        self.segment.action_go_back()
        criteria = self.segment._save_criteria("T-ONE", "One step")
        self.assertEqual(len(criteria.step_ids), 1)
        with self.assertRaisesRegex(UserError, "already exist"):
            self.segment._save_criteria("T-ONE", "Again")

    def test_reuse_logged_segment_skips_excluded_and_archived(self):
        logged = self.env["crm.logged.segment"].create({"description": "Fair letters"})
        as_engine(self.env["crm.interaction"]).create(
            [
                {"partner_id": partner.id, "logged_segment_id": logged.id}
                for partner in (self.a1, self.b2, self.c1)
            ]
        )
        self.c1.active = False
        wizard = self.env["crm.segment.reuse"].create(
            {
                "segment_id": self.segment.id,
                "reuse_type": "logged_segment",
                "logged_segment_id": logged.id,
            }
        )
        wizard.action_apply()
        self.assertEqual(self.partners(), self.a1)
        step = self.segment.step_ids
        self.assertEqual((step.origin, step.mode), ("logged_segment", "add"))
        self.segment._reuse_logged_segment(logged, ignore_exclusion=True)
        self.assertEqual(self.partners(), self.a1 | self.b2)


@tagged("post_install", "-at_install")
class TestDynamicSegment(SegmentCase):
    def test_refresh_is_one_undoable_step(self):
        self.apply("add", job_responsibility_ids=self.purchase.ids)
        self.apply("reduce", business_relation_ids=self.vendor.ids)
        criteria = self.segment.with_user(self.user)._save_criteria(
            "T-DYN", "Dynamic buyers"
        )
        # the nightly refresh runs as the criteria's owner: a Campaign User
        dynamic = (
            self.env["crm.segment"]
            .with_user(self.user)
            .create(
                {
                    "description": "Dynamic",
                    "criteria_id": criteria.id,
                    "auto_refresh": True,
                }
            )
            .with_env(self.env)
        )
        dynamic.action_refresh()
        self.assertEqual(self.partners(dynamic), self.a1 | self.c1)
        # data changes: a new buyer at A, C1 stops buying, a manual line
        self.a2.job_responsibility_ids = [(4, self.purchase.id)]
        self.c1.job_responsibility_ids = [(5, 0, 0)]
        dynamic.write({"line_ids": [(0, 0, {"partner_id": self.b1.id})]})
        before = self.line_values(dynamic)
        self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertEqual(self.partners(dynamic), self.a1 | self.a2)
        step = dynamic.step_ids.sorted("sequence")[-1]
        self.assertEqual(
            (step.mode, step.origin, step.inserted_count, step.removed_count),
            ("refresh", "refresh", 1, 2),
        )
        self.assertEqual(step.create_uid, self.user)
        dynamic.action_go_back()
        self.assertEqual(self.line_values(dynamic), before)

    def test_refresh_needs_criteria(self):
        with self.assertRaisesRegex(UserError, "no saved criteria"):
            self.segment.action_refresh()


@tagged("post_install", "-at_install")
class TestAccessAndRpc(SegmentCase):
    def test_user_never_adds_a_contact_he_may_not_read(self):
        group = self.env["res.groups"].create({"name": "Test no Cronos"})
        self.env["ir.rule"].create(
            {
                "name": "Test: no Cronos contacts",
                "model_id": self.env.ref("base.model_res_partner").id,
                "groups": [(4, group.id)],
                "domain_force": "[('commercial_partner_id.name', '!=', 'Test Cronos')]",
            }
        )
        self.user.groups_id = [(4, group.id)]
        segment = self.segment.with_user(self.user)
        segment._apply_step(
            "add",
            {
                "job_responsibility_ids": self.purchase.ids,
                "include_company": True,
                "expand_company": True,
            },
        )
        self.assertEqual(
            self.partners(),
            self.company_a | self.a1 | self.a2 | self.company_b | self.b1,
        )
        segment._apply_step("add", {"partner_domain": "[('name', 'ilike', 'Cato')]"})
        self.assertNotIn(self.c1, self.partners())

    def test_user_of_another_company_cannot_change_segment(self):
        other_company = self.env["res.company"].create({"name": "Test Other Co"})
        outsider = new_test_user(
            self.env,
            login="segment_outsider",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        with self.assertRaises(AccessError):
            self.segment.with_user(outsider)._apply_step(
                "add", {"partner_ids": self.a1.ids}
            )

    def test_results_travel_over_xmlrpc_and_jsonrpc(self):
        wizard = self.env["crm.segment.filter"].create(
            {
                "segment_id": self.segment.id,
                "mode": "add",
                "job_responsibility_ids": [(6, 0, self.purchase.ids)],
            }
        )
        results = [
            wizard.action_apply(),
            self.segment.action_go_back(),
            self.segment.action_go_forward(),
            self.env["crm.segment.criteria.save"]
            .create({"segment_id": self.segment.id, "code": "T-RPC", "name": "Rpc"})
            .action_save(),
        ]
        for result in results:
            xmlrpc.client.dumps((result,), methodresponse=True)
            json.dumps(result)
        self.assertEqual(self.segment.line_count, 3)


@tagged("post_install", "-at_install")
class TestDynamicSegmentRefreshAsOwner(SegmentCase):
    """The nightly refresh runs as the user who last changed the saved
    criteria, in the segment's company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create(
            {"name": "Test Other Fair Company"}
        )
        # a buyer of another company: the owner may not read this contact
        cls.other_buyer = cls.env["res.partner"].create(
            {
                "name": "Olga Other Buyer",
                "company_id": cls.other_company.id,
                "job_responsibility_ids": [(6, 0, cls.purchase.ids)],
            }
        )
        cls.criteria = (
            cls.env["crm.segment.criteria"]
            .with_user(cls.user)
            .create(
                {
                    "code": "T-OWNER",
                    "name": "Buyers",
                    "step_ids": [
                        fields.Command.create(
                            {
                                "mode": "add",
                                "filter_values": {
                                    "job_responsibility_ids": cls.purchase.ids
                                },
                            }
                        )
                    ],
                }
            )
            .with_env(cls.env)
        )

    def dynamic_segment(self, user=None, criteria=None):
        Segment = self.env["crm.segment"]
        if user:
            Segment = Segment.with_user(user)
        segment = Segment.create(
            {
                "description": "Dynamic buyers",
                "criteria_id": (criteria or self.criteria).id,
                "auto_refresh": True,
                "user_id": False,
            }
        )
        return segment.with_env(self.env)

    def test_refresh_without_salesperson_respects_owner_rules(self):
        dynamic = self.dynamic_segment(self.user)
        self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertEqual(self.partners(dynamic), self.a1 | self.b1 | self.c1)
        self.assertNotIn(self.other_buyer, self.partners(dynamic))
        step = dynamic.step_ids
        self.assertEqual((step.mode, step.create_uid), ("refresh", self.user))

    def test_refresh_runs_in_segment_company(self):
        # an owner of both companies refreshes a segment of the first one
        self.user.write(
            {
                "company_ids": [(4, self.other_company.id)],
                "company_id": self.env.company.id,
            }
        )
        dynamic = self.dynamic_segment(self.user)
        self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertEqual(self.partners(dynamic), self.a1 | self.b1 | self.c1)

    def test_refresh_skips_segment_without_valid_owner(self):
        archived_owner = self.dynamic_segment(self.user)
        self.user.active = False
        outsider = new_test_user(
            self.env,
            login="segment_other_company_owner",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
            company_id=self.other_company.id,
            company_ids=[(6, 0, self.other_company.ids)],
        )
        outsiders = self.criteria.copy({"code": "T-OUTSIDER"})
        as_engine(outsiders).changed_by_id = outsider
        no_access = self.dynamic_segment(criteria=outsiders)
        superusers = self.criteria.copy({"code": "T-SUPERUSER"})
        self.assertEqual(superusers.changed_by_id.id, 1)
        superuser_owned = self.dynamic_segment(criteria=superusers)
        with self.assertLogs(
            "odoo.addons.crm_campaign_segment.models.crm_segment", "WARNING"
        ) as logs:
            self.env["crm.segment"]._cron_refresh_dynamic_segments()
        for segment in (archived_owner, no_access, superuser_owned):
            self.assertFalse(segment.line_ids)
            self.assertFalse(segment.step_ids)
            self.assertTrue(
                any(segment.name in message for message in logs.output),
                f"no warning about {segment.name}: {logs.output}",
            )

    def test_refresh_button_runs_as_clicking_user(self):
        dynamic = self.dynamic_segment()
        dynamic.with_user(self.user).action_refresh()
        self.assertEqual(self.partners(dynamic), self.a1 | self.b1 | self.c1)
        self.assertEqual(dynamic.step_ids.create_uid, self.user)


@tagged("post_install", "-at_install")
class TestStepDescriptionsHideUnreadable(SegmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        other_company = cls.env["res.company"].create({"name": "Test Hidden Company"})
        cls.hidden = cls.env["res.partner"].create(
            [
                {"name": "Secret Hidden One", "company_id": other_company.id},
                {"name": "Secret Hidden Two", "company_id": other_company.id},
            ]
        )

    def test_describe_counts_unreadable_records(self):
        Filter = self.env["crm.segment.filter.mixin"].with_user(self.user)
        description = Filter._filter_describe(
            "add", {"partner_ids": (self.a1 | self.hidden).ids}
        )
        self.assertIn("Anna Buyer", description)
        self.assertIn("2 hidden records", description)
        self.assertNotIn("Secret", description)
        description = Filter._filter_describe(
            "add", {"partner_ids": self.hidden[:1].ids}
        )
        self.assertIn("1 hidden record", description)
        self.assertNotIn("Secret", description)

    def test_filter_on_unreadable_records_is_refused(self):
        segment = self.segment.with_user(self.user)
        with self.assertRaisesRegex(UserError, "cannot read"):
            segment._apply_step("add", {"partner_ids": (self.a1 | self.hidden).ids})
        self.assertFalse(self.segment.step_ids)
        # records that no longer exist are no error: they match nothing
        segment._apply_step("add", {"partner_ids": [self.a1.id, 999999999]})
        self.assertEqual(self.partners(), self.a1)


@tagged("post_install", "-at_install")
class TestLineContactIsFixed(SegmentCase):
    def test_changed_contact_is_refused_and_go_back_is_exact(self):
        self.apply("add", partner_ids=(self.a1 | self.b1).ids)
        line = self.segment.line_ids.filtered(lambda line: line.partner_id == self.a1)
        with self.assertRaises(UserError):
            line.write({"partner_id": self.c1.id})
        other = self.env["crm.segment"].create({"description": "Other"})
        with self.assertRaises(UserError):
            line.write({"segment_id": other.id})
        self.assertEqual(self.partners(), self.a1 | self.b1)
        self.segment.action_go_back()
        self.assertEqual(self.segment.line_count, 0)
        self.assertFalse(self.partners())
        self.assertFalse(self.partners(other))


@tagged("post_install", "-at_install")
class TestCampaignUserBuildsSegment(SegmentCase):
    """The walkthrough steps as a Campaign User, with the history read-only
    and the steps not deletable for users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_group = cls.env.ref("crm_campaign_segment.crm_campaign_segment_group_user")
        Access = cls.env["ir.model.access"]
        Access.search(
            [
                ("model_id.model", "=", "crm.segment.history"),
                ("group_id", "=", user_group.id),
            ]
        ).write({"perm_write": False, "perm_create": False, "perm_unlink": False})
        Access.search(
            [
                ("model_id.model", "=", "crm.segment.step"),
                ("group_id", "=", user_group.id),
            ]
        ).write({"perm_unlink": False})
        cls.segment = (
            cls.env["crm.segment"]
            .with_user(cls.user)
            .create({"description": "Campaign user segment"})
        )

    def test_walkthrough_as_campaign_user(self):
        History = self.env["crm.segment.history"].with_user(self.user)
        self.assertFalse(History.has_access("create"))
        self.assertFalse(
            self.env["crm.segment.step"].with_user(self.user).has_access("unlink")
        )
        segment = self.segment.with_user(self.user)
        segment._apply_step("add", {"job_responsibility_ids": self.purchase.ids})
        self.assertEqual(self.partners(), self.a1 | self.b1 | self.c1)
        added = self.line_values()
        segment._apply_step("reduce", {"business_relation_ids": self.customer.ids})
        self.assertEqual(self.partners(), self.b1)
        segment.action_go_back()
        self.assertEqual(self.line_values(), added)
        segment.action_go_forward()
        self.assertEqual(self.partners(), self.b1)
        segment.action_go_back()
        # a new step after going back discards the undone reduce
        segment._apply_step("reduce", {"business_relation_ids": self.vendor.ids})
        self.assertEqual(self.partners(), self.a1 | self.c1)
        self.assertEqual(len(segment.step_ids), 2)
        self.assertFalse(segment.can_go_forward)
        # lines added and deleted by hand are steps too
        segment.write({"line_ids": [fields.Command.create({"partner_id": self.b1.id})]})
        self.assertEqual(self.partners(), self.a1 | self.b1 | self.c1)
        segment.line_ids.filtered(lambda line: line.partner_id == self.a1).unlink()
        self.assertEqual(self.partners(), self.b1 | self.c1)
        self.assertEqual(
            segment.step_ids.sorted("sequence").mapped("origin")[-2:],
            ["manual", "manual"],
        )
        self.assertTrue(History.search_count([("segment_id", "=", segment.id)]))
        segment.action_go_back()
        segment.action_go_back()
        self.assertEqual(self.partners(), self.a1 | self.c1)
        # and a new step after going back over manual steps
        segment._apply_step("add", {"partner_ids": self.b1.ids})
        self.assertEqual(self.partners(), self.a1 | self.b1 | self.c1)
        self.assertEqual(len(segment.step_ids), 3)
