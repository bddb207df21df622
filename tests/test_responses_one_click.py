# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Register Response: on an interaction, a selection, a contact; evaluations."""

from odoo import api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .response_common import ResponseCase


@tagged("post_install", "-at_install")
class TestRegisterResponse(ResponseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.letters = cls._log_segment(cls, ctype="hard_copy", send=False)
        cls.Interaction = cls.env["crm.interaction"]

    def _responses(self):
        return self.Interaction.search(
            [("campaign_id", "=", self.campaign.id), ("campaign_response", "=", True)]
        )

    def test_one_interaction_over_rpc(self):
        answered = self.letters[0]
        # as an RPC client calls it: ids first, the evaluation by keyword
        ids = api.call_kw(
            self.Interaction.with_user(self.user),
            "action_register_response",
            [answered.ids],
            {"evaluation": "neutral"},
        )
        self.assertIsInstance(ids, list)
        response = self.Interaction.browse(ids)
        self.assertEqual(response, self._responses())
        self.assertEqual(response.response_to_id, answered)
        self.assertEqual(response.partner_id, answered.partner_id)
        self.assertEqual(response.company_partner_id, self.company_partner)
        self.assertEqual(response.evaluation, "neutral")
        self.assertEqual(response.information_flow, "inbound")
        self.assertTrue(response.campaign_response)
        self.assertFalse(response.campaign_target)
        self.assertEqual(response.user_id, self.user)
        self.assertEqual(response.template_id.code, "RESP")
        self.assertEqual(answered.response_count, 1)

    def test_second_response_needs_another_evaluation(self):
        answered = self.letters[0]
        answered.action_register_response(evaluation="neutral")
        with self.assertRaisesRegex(UserError, "already responded"):
            answered.action_register_response(evaluation="neutral")
        # the same holds for a plain create, as an RPC client could do it
        values = answered._prepare_response_values("neutral")
        with self.assertRaises(ValidationError) as refused:
            self.Interaction.create(values)
        self.assertIn("already responded", str(refused.exception))
        # a different evaluation on purpose is a second response
        answered.action_register_response(evaluation="negative")
        self.assertEqual(
            sorted(self._responses().mapped("evaluation")), ["negative", "neutral"]
        )
        # the campaign still counts the contact once
        self.assertEqual(self.campaign.response_contact_count, 1)

    def test_selection_in_the_list(self):
        # a second campaign e-mail to the first contact: one response per contact
        emails = self._log_segment(partners=self.partners[0], send=False)
        selection = self.letters | emails
        action = selection.action_open_register_response()
        self.assertEqual(action["res_model"], "crm.interaction.response")
        wizard = (
            self.env["crm.interaction.response"]
            .with_context(**action["context"])
            .create({"evaluation": "positive"})
        )
        self.assertEqual(wizard.interaction_ids, selection)
        result = wizard.action_register()
        responses = self._responses()
        self.assertEqual(len(responses), 3)
        self.assertEqual(responses.partner_id, self.partners)
        self.assertEqual(result["domain"][0][:2], ("id", "in"))
        self.assertCountEqual(result["domain"][0][2], responses.ids)
        first = responses.filtered(lambda r: r.partner_id == self.partners[0])
        self.assertEqual(first.response_to_id, emails)
        self.assertEqual(set(responses.mapped("evaluation")), {"positive"})

    def test_contact_chooses_a_campaign(self):
        other = self.env["utm.campaign"].create({"title": "Autumn letter"})
        autumn = self._log_segment(
            partners=self.partners[1], ctype="hard_copy", send=False, campaign=other
        )
        with Form(
            self.env["crm.interaction.response"].with_context(
                default_partner_id=self.partners[1].id
            )
        ) as form:
            self.assertEqual(len(form.campaign_ids), 2)
            form.campaign_id = other
            form.evaluation = "very_positive"
            wizard = form.save()
        action = wizard.action_register()
        response = self.Interaction.browse(action["res_id"])
        self.assertEqual(response.campaign_id, other)
        self.assertEqual(response.response_to_id, autumn)
        self.assertEqual(response.evaluation, "very_positive")
        # the company contact answers for its persons
        ids = self.Interaction._register_partner_response(
            self.company_partner, self.campaign
        )
        self.assertEqual(
            self.Interaction.browse(ids).response_to_id.company_partner_id,
            self.company_partner,
        )

    def test_bad_input(self):
        without_campaign = self.Interaction.create(
            {"partner_id": self.partners[0].id, "information_flow": "outbound"}
        )
        with self.assertRaisesRegex(UserError, "no campaign"):
            without_campaign.action_register_response()
        canceled = self.letters[1]
        canceled.action_cancel()
        with self.assertRaisesRegex(UserError, "canceled"):
            (self.letters[0] | canceled).action_register_response()
        self.assertFalse(self._responses(), "nothing half-written")
        response = self.Interaction.browse(self.letters[0].action_register_response())
        with self.assertRaisesRegex(UserError, "itself a response"):
            response.action_register_response()
        with self.assertRaisesRegex(UserError, "Unknown evaluation"):
            self.letters[2].action_register_response(evaluation="great")
        lonely = self.env["res.partner"].create({"name": "Nobody Wrote"})
        with self.assertRaisesRegex(UserError, "no interaction on campaign"):
            self.Interaction._register_partner_response(lonely, self.campaign)
        with self.assertRaisesRegex(UserError, "Choose the campaign"):
            self.Interaction._register_partner_response(
                lonely, self.env["utm.campaign"]
            )


@tagged("post_install", "-at_install")
class TestEvaluation(ResponseCase):
    """The evaluation changes after logging, by the salesperson or a manager."""

    def setUp(self):
        super().setUp()
        self.letters = self._log_segment(ctype="hard_copy", send=False)
        # end the logging's transaction as a commit would: later writes track
        self.env.flush_all()
        self.env.cr.flush()

    def test_salesperson_evaluates_and_it_is_tracked(self):
        letter = self.letters[0].with_user(self.user)
        letter.evaluation = "positive"
        # tracking values are written when the transaction is about to commit
        self.env.flush_all()
        self.env.cr.flush()
        tracked = letter.message_ids.sudo().tracking_value_ids.filtered(
            lambda t: t.field_id.name == "evaluation"
        )
        self.assertEqual(len(tracked), 1)
        self.assertEqual(tracked.new_value_char, "Positive")

    def test_manager_evaluates_anyone(self):
        self.letters[0].with_user(self.manager).evaluation = "negative"
        self.assertEqual(self.letters[0].evaluation, "negative")

    def test_other_user_refused(self):
        with self.assertRaisesRegex(AccessError, "Only the salesperson"):
            self.letters[0].with_user(self.other_user).evaluation = "positive"
        self.assertFalse(self.letters[0].evaluation)

    def test_other_user_cannot_take_it_over_first(self):
        """Giving oneself the interaction first does not lift the rule."""
        letter = self.letters[0].with_user(self.other_user)
        with self.assertRaisesRegex(AccessError, "another salesperson"):
            letter.write({"user_id": self.other_user.id})
        with self.assertRaisesRegex(AccessError, "another salesperson"):
            letter.write({"user_id": self.other_user.id, "evaluation": "positive"})
        self.assertEqual(self.letters[0].user_id, self.user)
        self.assertFalse(self.letters[0].evaluation)
        # a manager may reassign it
        self.letters[0].with_user(self.manager).user_id = self.other_user
        self.assertEqual(self.letters[0].user_id, self.other_user)

    def test_canceled_refused(self):
        self.letters[0].action_cancel()
        with self.assertRaisesRegex(UserError, "is canceled"):
            self.letters[0].with_user(self.manager).evaluation = "positive"


@tagged("post_install", "-at_install")
class TestPositiveResponseOpportunity(ResponseCase):
    """The shipped rule: a positive response creates an opportunity."""

    def test_rule_calls_the_model_method(self):
        action = self.env.ref(
            "crm_campaign_segment.ir_actions_server_positive_response_opportunity"
        )
        self.assertEqual(
            action.code.strip(), "records._create_response_opportunities()"
        )

    def test_rule_filter_is_the_model_rule(self):
        # the shipped trigger filter is the rule the model method applies
        automation = self.env.ref(
            "crm_campaign_segment.base_automation_positive_response_opportunity"
        )
        self.assertEqual(
            safe_eval(automation.filter_domain),
            self.env["crm.interaction"]._positive_campaign_response_domain(),
        )

    def test_method_applies_the_rule_itself(self):
        # called directly (another automation, a script), the method keeps to
        # the rule: only positive, uncanceled responses without an opportunity
        letters = self._log_segment(ctype="hard_copy", send=False)
        Interaction = self.env["crm.interaction"]
        neutral = Interaction.browse(letters[0].action_register_response("neutral"))
        self.assertFalse(neutral._create_response_opportunities())
        self.assertFalse(letters._create_response_opportunities())
        self.assertFalse(neutral.lead_id)
        self.assertFalse(letters.lead_id)

    def test_campaign_user_without_sales_rights(self):
        campaigner = new_test_user(
            self.env,
            login="resp_campaigner",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
        )
        self.assertFalse(campaigner.has_group("sales_team.group_sale_salesman"))
        letters = self._log_segment(ctype="hard_copy", send=False)
        ids = letters[0].with_user(campaigner).action_register_response("positive")
        response = self.env["crm.interaction"].browse(ids)
        self.assertTrue(response.lead_id)
        self.assertEqual(response.lead_id.user_id, self.user)

    def test_positive_response_creates_one_opportunity(self):
        letters = self._log_segment(ctype="hard_copy", send=False)
        Interaction = self.env["crm.interaction"]
        neutral = Interaction.browse(letters[1].action_register_response("neutral"))
        self.assertFalse(neutral.lead_id)
        positive = Interaction.browse(letters[0].action_register_response("positive"))
        lead = positive.lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id, letters[0].partner_id)
        self.assertEqual(lead.campaign_id, self.campaign)
        self.assertEqual(lead.user_id, self.user)
        # a later positive evaluation of the neutral answer: its own opportunity
        neutral.evaluation = "very_positive"
        self.assertTrue(neutral.lead_id)
        self.assertNotEqual(neutral.lead_id, lead)
        # the same contact again: linked to the open opportunity, no second one
        again = Interaction.browse(letters[0].action_register_response("very_positive"))
        self.assertEqual(again.lead_id, lead)
        self.assertEqual(
            self.env["crm.lead"].search_count([("campaign_id", "=", self.campaign.id)]),
            2,
        )
