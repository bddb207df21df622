# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import mute_logger

from .common import CampaignSegmentCase


@tagged("post_install", "-at_install")
class TestCampaignRights(CampaignSegmentCase):
    def test_user_works_with_segments_and_interactions(self):
        env = self.env(user=self.user)
        segment = env["crm.segment"].create({"description": "Mine"})
        env["crm.segment.line"].create(
            {"segment_id": segment.id, "partner_id": self.buyer.id}
        )
        self.assertEqual(segment.line_count, 1)
        interaction = env["crm.interaction"].create(
            {"partner_id": self.buyer.id, "template_id": self.template.id}
        )
        interaction.evaluation = "positive"
        campaign = env["utm.campaign"].create({"title": "User campaign"})
        self.assertTrue(campaign.code)
        with self.assertRaises(AccessError):
            interaction.unlink()

    def test_only_managers_configure(self):
        env = self.env(user=self.user)
        self.assertTrue(env["crm.interaction.template"].search([]))
        for model, values in (
            ("crm.interaction.template", {"code": "X", "name": "X"}),
            ("crm.job.responsibility", {"code": "X", "name": "X"}),
            ("crm.business.relation", {"code": "X", "name": "X"}),
            ("crm.mailing.group", {"code": "X", "name": "X"}),
            ("crm.interaction.group", {"code": "X", "name": "X"}),
            ("utm.stage", {"name": "X", "code": "X-X"}),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                env[model].create(values)
            self.env(user=self.manager)[model].create(values)

    def test_only_managers_cancel_logged_segments(self):
        logged = self.env["crm.logged.segment"].create({"description": "Sent"})
        with self.assertRaises(AccessError):
            logged.with_user(self.user).action_cancel()
        with self.assertRaises(AccessError):
            logged.with_user(self.user).unlink()
        logged.with_user(self.manager).action_cancel()
        self.assertTrue(logged.canceled)
        logged.with_user(self.manager).unlink()
        self.assertFalse(logged.exists())

    def test_uncanceled_logged_segment_cannot_be_deleted(self):
        logged = self.env["crm.logged.segment"].create({"description": "Sent"})
        with self.assertRaisesRegex(UserError, "Only canceled"):
            logged.with_user(self.manager).unlink()

    def test_sales_groups_imply_campaign_groups(self):
        salesman = new_test_user(
            self.env, login="ccs_salesman", groups="sales_team.group_sale_salesman"
        )
        sales_manager = new_test_user(
            self.env, login="ccs_sales_manager", groups="sales_team.group_sale_manager"
        )
        self.assertTrue(
            salesman.has_group("crm_campaign_segment.crm_campaign_segment_group_user")
        )
        self.assertFalse(
            salesman.has_group(
                "crm_campaign_segment.crm_campaign_segment_group_manager"
            )
        )
        self.assertTrue(
            sales_manager.has_group(
                "crm_campaign_segment.crm_campaign_segment_group_manager"
            )
        )

    def test_codes_unique_per_company(self):
        Group = self.env["crm.mailing.group"]
        Group.create({"code": "FAIR", "name": "Fair"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                Group.create({"code": "FAIR", "name": "Fair again"})
        other = self.env["res.company"].create({"name": "Other Co"})
        Group.create({"code": "FAIR", "name": "Fair", "company_id": other.id})


@tagged("post_install", "-at_install")
class TestMultiCompany(CampaignSegmentCase):
    def test_segments_isolated_per_company(self):
        other = self.env["res.company"].create({"name": "CRONUS Norge"})
        user_other = new_test_user(
            self.env,
            login="ccs_other",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        mine = self.env["crm.segment"].create({"description": "Main company"})
        interaction = self.env["crm.interaction"].create({"partner_id": self.buyer.id})
        env_other = self.env(user=user_other)
        self.assertFalse(env_other["crm.segment"].search([("id", "=", mine.id)]))
        self.assertFalse(
            env_other["crm.interaction"].search([("id", "=", interaction.id)])
        )
        with self.assertRaises(AccessError):
            env_other["crm.segment"].browse(mine.id).description  # noqa: B018
        theirs = env_other["crm.segment"].create({"description": "Norway"})
        self.assertEqual(theirs.company_id, other)


@tagged("post_install", "-at_install")
class TestHistoryIsTheEnginesOwn(CampaignSegmentCase):
    def test_users_cannot_write_history(self):
        env = self.env(user=self.user)
        segment = env["crm.segment"].create({"description": "Mine"})
        # steps are the engine's too: users read them only
        with self.assertRaises(AccessError):
            env["crm.segment.step"].create(
                {"segment_id": segment.id, "mode": "add", "sequence": 1}
            )
        step = (
            self.env["crm.segment.step"]
            .create({"segment_id": segment.id, "mode": "add", "sequence": 1})
            .with_env(env)
        )
        with self.assertRaises(AccessError):
            step.write({"inserted_count": 10})
        hidden = self.env["res.partner"].create({"name": "Not for you"})
        with self.assertRaises(AccessError):
            env["crm.segment.history"].create(
                {
                    "step_id": step.id,
                    "segment_id": segment.id,
                    "partner_id": hidden.id,
                    "operation": "delete",
                }
            )
        with self.assertRaises(AccessError):
            step.unlink()

    def test_history_of_other_companies_is_hidden(self):
        other = self.env["res.company"].create({"name": "Other history Co"})
        segment = self.env["crm.segment"].create(
            {"description": "Elsewhere", "company_id": other.id}
        )
        step = self.env["crm.segment.step"].create(
            {"segment_id": segment.id, "mode": "add", "sequence": 1}
        )
        self.env["crm.segment.history"].sudo().create(
            {
                "step_id": step.id,
                "segment_id": segment.id,
                "partner_id": self.buyer.id,
                "operation": "insert",
            }
        )
        found = self.env(user=self.user)["crm.segment.history"].search(
            [("segment_id", "=", segment.id)]
        )
        self.assertFalse(found)


@tagged("post_install", "-at_install")
class TestLoggedSegmentsStay(CampaignSegmentCase):
    def test_logged_segment_cannot_be_deleted(self):
        segment = self.env["crm.segment"].create({"description": "Sent"})
        segment.state = "logged"
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            segment.with_user(self.user).unlink()
        draft = self.env["crm.segment"].create({"description": "Draft"})
        draft.with_user(self.user).unlink()
        self.assertFalse(draft.exists())

    def test_line_contact_cannot_be_swapped(self):
        segment = self.env["crm.segment"].create({"description": "Swap"})
        line = self.env["crm.segment.line"].create(
            {"segment_id": segment.id, "partner_id": self.buyer.id}
        )
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            line.partner_id = self.prospect_buyer
        other = self.env["crm.segment"].create({"description": "Other"})
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            line.segment_id = other
        line.write({"partner_id": self.buyer.id, "subject": "Same contact"})
        self.assertEqual(line.subject, "Same contact")


@tagged("post_install", "-at_install")
class TestExistingCampaignsStayShared(CampaignSegmentCase):
    def test_company_set_on_new_campaigns_only(self):
        campaign = self.env["utm.campaign"].create({"title": "New one"})
        self.assertEqual(campaign.company_id, self.env.company)
        shared = self.env["utm.campaign"].create(
            {"title": "Shared", "company_id": False}
        )
        self.assertFalse(shared.company_id)
        self.assertFalse(
            self.env["utm.campaign"]._fields["company_id"].default,
            "no default: campaigns existing at install time stay shared",
        )
