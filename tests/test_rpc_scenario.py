# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sales-campaign walkthrough (steps 1 to 10) played over XML-RPC and JSON-RPC.

An external client drives everything through the public model methods, as the
marketing manager, on trade-fair contacts created here (independent of the demo
data):

- Add Purchase gives 7 lines (the excluded buyer is left out),
- Reduce with business relation Customer removes 3 (4 left), Go Back restores
  the 7 exact lines, Go Forward removes them again;
- the 4 letters are logged (4 interactions, follow-up segment of 4 lines),
- the follow-up segment is e-mailed; one contact has no e-mail address: logging
  is refused naming her until the user chooses, then 3 e-mails are queued;
- 2 answers are registered as campaign responses without sending anything,
  one positive (an automated action makes it an opportunity).
"""

import json
import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged

MODULE = "crm_campaign_segment"
PASSWORD = "Rpc-Manager-Pw-2026"


@tagged("post_install", "-at_install")
class TestWalkthroughOverRpc(HttpCase):
    def setUp(self):
        super().setUp()
        self.db = self.env.cr.dbname
        self.manager = new_test_user(
            self.env,
            login="ccs_rpc_manager",
            name="RPC Marketing Manager",
            password=PASSWORD,
            email="rpc.manager@example.com",
            groups="base.group_user,sales_team.group_sale_manager,"
            f"{MODULE}.crm_campaign_segment_group_manager",
        )
        self.purchase = self.env["crm.job.responsibility"].create(
            {"code": "RPC-PURCH", "name": "Purchase (RPC)"}
        )
        self.sales = self.env["crm.job.responsibility"].create(
            {"code": "RPC-SALES", "name": "Sales (RPC)"}
        )
        self.customer = self.env["crm.business.relation"].create(
            {"code": "RPC-CUST", "name": "Customer (RPC)"}
        )
        Partner = self.env["res.partner"]
        self.customer_company = Partner.create(
            {
                "name": "RPC Nordlys Furniture",
                "is_company": True,
                "city": "Oslo",
                "business_relation_ids": [(6, 0, self.customer.ids)],
            }
        )
        self.prospect_company = Partner.create(
            {"name": "RPC Rome Interiors", "is_company": True, "city": "Rome"}
        )

        def person(name, company, job, **vals):
            return Partner.create(
                dict(
                    {
                        "name": name,
                        "parent_id": company.id,
                        "email": f"{name.lower().replace(' ', '.')}@example.com",
                        "lang": "en_US",
                        "job_responsibility_ids": [(6, 0, job.ids)],
                    },
                    **vals,
                )
            )

        self.customer_buyers = (
            person("Kari Kunde", self.customer_company, self.purchase)
            | person("Ola Kunde", self.customer_company, self.purchase)
            | person("Siri Kunde", self.customer_company, self.purchase)
        )
        self.customer_seller = person("Per Selger", self.customer_company, self.sales)
        self.nomail = person(
            "Paola Senzamail",
            self.prospect_company,
            self.purchase,
            email=False,
            correspondence_type="email",
        )
        self.prospect_buyers = (
            person("Marco Prospetto", self.prospect_company, self.purchase)
            | person("Giulia Prospetto", self.prospect_company, self.purchase)
            | person("Luca Prospetto", self.prospect_company, self.purchase)
            | self.nomail
        )
        self.excluded = person(
            "Enzo Escluso",
            self.prospect_company,
            self.purchase,
            exclude_from_segment=True,
        )
        self.rpc_uid = self.xmlrpc_common.authenticate(
            self.db, self.manager.login, PASSWORD, {}
        )
        self.assertEqual(self.rpc_uid, self.manager.id)

    # -------------------------------------------------------------------------
    # helpers
    # -------------------------------------------------------------------------
    def xmlrpc(self, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.db, self.rpc_uid, PASSWORD, model, method, list(args), kwargs
        )

    def jsonrpc(self, model, method, *args, **kwargs):
        """Call a model method over JSON-RPC; return the result or the error."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.db,
                    self.rpc_uid,
                    PASSWORD,
                    model,
                    method,
                    list(args),
                    kwargs,
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def jsonrpc_ok(self, model, method, *args, **kwargs):
        reply = self.jsonrpc(model, method, *args, **kwargs)
        self.assertNotIn("error", reply, reply.get("error"))
        return reply["result"]

    def read_one(self, model, record_id, fields):
        return self.xmlrpc(model, "read", [record_id], fields)[0]

    def line_partner_ids(self, segment_id):
        lines = self.xmlrpc(
            "crm.segment.line",
            "search_read",
            [("segment_id", "=", segment_id)],
            ["partner_id"],
        )
        return {line["partner_id"][0] for line in lines}

    def line_count(self, segment_id):
        return self.read_one("crm.segment", segment_id, ["line_count"])["line_count"]

    def filter_step(self, segment_id, mode, **filters):
        """Add, reduce or refine contacts through the filter wizard."""
        values = {"segment_id": segment_id, "mode": mode}
        for field, ids in filters.items():
            values[field] = [(6, 0, ids)]
        wizard_id = self.xmlrpc("crm.segment.filter", "create", values)
        return self.xmlrpc("crm.segment.filter", "action_apply", [wizard_id])

    # -------------------------------------------------------------------------
    # tests
    # -------------------------------------------------------------------------
    def test_end_before_start_is_refused(self):
        """Step 1: the refusal comes back to the client, in its words."""
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc(
                "utm.campaign",
                "create",
                {
                    "title": "Backwards campaign",
                    "date_start": "2026-03-30",
                    "date_end": "2026-03-02",
                },
            )
        message = caught.exception.faultString
        self.assertIn("Backwards campaign", message)
        self.assertIn("end date (2026-03-02)", message)
        self.assertIn("start date (2026-03-30)", message)
        campaign_id = self.xmlrpc(
            "utm.campaign",
            "create",
            {
                "title": "Forwards campaign",
                "date_start": "2026-03-02",
                "date_end": "2026-03-30",
            },
        )
        reply = self.jsonrpc(
            "utm.campaign", "write", [campaign_id], {"date_end": "2026-03-01"}
        )
        self.assertEqual(
            reply["error"]["data"]["name"], "odoo.exceptions.ValidationError"
        )
        self.assertIn("end date (2026-03-01)", reply["error"]["data"]["message"])
        self.assertEqual(
            self.read_one("utm.campaign", campaign_id, ["date_end"])["date_end"],
            "2026-03-30",
        )
        self.assertFalse(
            self.xmlrpc(
                "utm.campaign", "search", [("title", "=", "Backwards campaign")]
            )
        )

    def test_walkthrough(self):
        purchase_ids = self.customer_buyers.ids + self.prospect_buyers.ids

        # Step 1: the campaign, numbered by the sequence, planned
        campaign_id = self.xmlrpc(
            "utm.campaign",
            "create",
            {
                "title": "Office Futurus trade fair (RPC)",
                "date_start": "2026-03-02",
                "date_end": "2026-03-30",
            },
        )
        campaign = self.read_one(
            "utm.campaign", campaign_id, ["code", "stage_code", "display_name"]
        )
        self.assertRegex(campaign["code"], r"^KM\d+$")
        self.assertEqual(campaign["stage_code"], "1-PLAN")
        self.assertEqual(
            campaign["display_name"],
            f"{campaign['code']} Office Futurus trade fair (RPC)",
        )

        # Step 2: the segment, numbered by the sequence
        segment_id = self.xmlrpc(
            "crm.segment",
            "create",
            {"description": "Office Futurus trade fair visitors (RPC)"},
        )
        segment = self.read_one("crm.segment", segment_id, ["name", "state"])
        self.assertRegex(segment["name"], r"^SM\d+$")
        self.assertEqual(segment["state"], "draft")
        self.assertEqual(self.line_count(segment_id), 0)

        # Step 3: add the contacts with job responsibility Purchase
        self.filter_step(segment_id, "add", job_responsibility_ids=self.purchase.ids)
        self.assertEqual(self.line_count(segment_id), 7)
        self.assertEqual(self.line_partner_ids(segment_id), set(purchase_ids))

        # Step 4: save the criteria for later
        save_id = self.xmlrpc(
            "crm.segment.criteria.save",
            "create",
            {
                "segment_id": segment_id,
                "code": "RPC-FAIR",
                "name": "Purchasers met at the trade fair",
            },
        )
        action = self.xmlrpc("crm.segment.criteria.save", "action_save", [save_id])
        self.assertEqual(action["res_model"], "crm.segment.criteria")
        criteria = self.read_one(
            "crm.segment.criteria", action["res_id"], ["code", "name", "step_ids"]
        )
        self.assertEqual(criteria["code"], "RPC-FAIR")
        self.assertEqual(len(criteria["step_ids"]), 1)

        # Step 5 (over JSON-RPC): reduce the contacts of customers
        wizard_id = self.jsonrpc_ok(
            "crm.segment.filter",
            "create",
            {
                "segment_id": segment_id,
                "mode": "reduce",
                "business_relation_ids": [(6, 0, self.customer.ids)],
            },
        )
        self.jsonrpc_ok("crm.segment.filter", "action_apply", [wizard_id])
        self.assertEqual(self.line_count(segment_id), 4)
        self.assertEqual(
            self.line_partner_ids(segment_id), set(self.prospect_buyers.ids)
        )

        # Step 6 (over JSON-RPC): go back gives the same lines, go forward redoes
        self.assertTrue(self.jsonrpc_ok("crm.segment", "action_go_back", [segment_id]))
        self.assertEqual(self.line_count(segment_id), 7)
        self.assertEqual(self.line_partner_ids(segment_id), set(purchase_ids))
        state = self.jsonrpc_ok(
            "crm.segment", "read", [segment_id], ["can_go_back", "can_go_forward"]
        )[0]
        self.assertTrue(state["can_go_back"])
        self.assertTrue(state["can_go_forward"])
        self.assertTrue(
            self.jsonrpc_ok("crm.segment", "action_go_forward", [segment_id])
        )
        self.assertEqual(self.line_count(segment_id), 4)
        self.assertEqual(
            self.line_partner_ids(segment_id), set(self.prospect_buyers.ids)
        )
        # nothing left to redo: the refusal names the segment
        reply = self.jsonrpc("crm.segment", "action_go_forward", [segment_id])
        self.assertEqual(reply["error"]["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn(segment["name"], reply["error"]["data"]["message"])

        # Step 7: link the segment to the campaign, as its target
        self.xmlrpc(
            "crm.segment",
            "write",
            [segment_id],
            {"campaign_id": campaign_id, "campaign_target": True},
        )

        # Step 8: business letters, logged with a follow-up segment
        bus_id = self.xmlrpc(
            "crm.interaction.template",
            "create",
            {
                "code": "RPC-BUS",
                "name": "Business letter (RPC)",
                "unit_cost": 1.5,
                "unit_duration": 0.1,
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [
                    (
                        0,
                        0,
                        {
                            "lang": "en_US",
                            "subject": "Thank you for visiting the trade fair",
                            "letter_body": "<p>Dear {{ object.name }},</p>"
                            "<p>Meet the Rome Guest Chair.</p>",
                            "body_html": "<p>Dear {{ object.name }},</p>"
                            "<p>Ask us about the campaign price.</p>",
                        },
                    )
                ],
            },
        )
        self.xmlrpc(
            "crm.segment",
            "write",
            [segment_id],
            {
                "interaction_template_id": bus_id,
                "correspondence_type": "hard_copy",
                "ignore_partner_correspondence_type": True,
                "unit_cost": 1.5,
                "unit_duration": 0.1,
            },
        )
        lines = self.xmlrpc(
            "crm.segment.line",
            "search_read",
            [("segment_id", "=", segment_id)],
            ["correspondence_type", "interaction_template_id"],
        )
        self.assertEqual({line["correspondence_type"] for line in lines}, {"hard_copy"})
        self.assertEqual(
            {line["interaction_template_id"][0] for line in lines}, {bus_id}
        )
        log_id = self.xmlrpc(
            "crm.segment.log",
            "create",
            {"segment_id": segment_id, "send": True, "create_follow_up": True},
        )
        action = self.xmlrpc("crm.segment.log", "action_log", [log_id])
        self.assertEqual(action["res_model"], "crm.logged.segment")
        letters_logged_id = action["res_id"]
        segment = self.read_one(
            "crm.segment", segment_id, ["state", "logged_segment_id", "name"]
        )
        self.assertEqual(segment["state"], "logged")
        self.assertEqual(segment["logged_segment_id"][0], letters_logged_id)
        logged = self.read_one(
            "crm.logged.segment",
            letters_logged_id,
            ["interaction_count", "follow_up_segment_id", "send", "job_state"],
        )
        self.assertEqual(logged["interaction_count"], 4)
        self.assertTrue(logged["send"])
        self.assertEqual(logged["job_state"], "done")
        interactions = self.xmlrpc(
            "crm.interaction",
            "search_read",
            [("logged_segment_id", "=", letters_logged_id)],
            [
                "partner_id",
                "correspondence_type",
                "campaign_id",
                "campaign_target",
                "delivery_status",
                "attachment_id",
                "cost",
            ],
        )
        self.assertEqual(len(interactions), 4)
        self.assertEqual(
            {i["partner_id"][0] for i in interactions}, set(self.prospect_buyers.ids)
        )
        for interaction in interactions:
            self.assertEqual(interaction["correspondence_type"], "hard_copy")
            self.assertEqual(interaction["campaign_id"][0], campaign_id)
            self.assertTrue(interaction["campaign_target"])
            self.assertEqual(interaction["delivery_status"], "delivered")
            self.assertTrue(interaction["attachment_id"])
            self.assertEqual(interaction["cost"], 1.5)
        # the segment left the segment list: it is under Logged Segments
        self.assertFalse(
            self.xmlrpc(
                "crm.segment",
                "search",
                [("state", "=", "draft"), ("id", "=", segment_id)],
            )
        )
        follow_up_id = logged["follow_up_segment_id"][0]
        follow_up = self.read_one(
            "crm.segment", follow_up_id, ["state", "campaign_id", "line_count"]
        )
        self.assertEqual(follow_up["state"], "draft")
        self.assertEqual(follow_up["campaign_id"][0], campaign_id)
        self.assertEqual(follow_up["line_count"], 4)
        self.assertEqual(
            self.line_partner_ids(follow_up_id), set(self.prospect_buyers.ids)
        )

        # Step 9: e-mails on the follow-up segment; one contact has no address
        self.xmlrpc(
            "crm.segment",
            "write",
            [follow_up_id],
            {
                "interaction_template_id": bus_id,
                "correspondence_type": "email",
                "ignore_partner_correspondence_type": True,
                "subject": "The Rome Guest Chair at the campaign price",
                "unit_cost": 0.1,
            },
        )
        mails_before = self.env["mail.mail"].search_count([])
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc("crm.segment", "log_segment", [follow_up_id], send=True)
        self.assertIn("Paola Senzamail", caught.exception.faultString)
        # nothing is half-done
        follow_up = self.read_one(
            "crm.segment", follow_up_id, ["state", "line_count", "logged_segment_id"]
        )
        self.assertEqual(follow_up["state"], "draft")
        self.assertEqual(follow_up["line_count"], 4)
        self.assertFalse(follow_up["logged_segment_id"])
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        # the log wizard names her before logging
        log_id = self.xmlrpc(
            "crm.segment.log", "create", {"segment_id": follow_up_id, "send": True}
        )
        wizard = self.read_one("crm.segment.log", log_id, ["missing_email_partner_ids"])
        self.assertEqual(wizard["missing_email_partner_ids"], self.nomail.ids)
        emails_logged_id = self.xmlrpc(
            "crm.segment",
            "log_segment",
            [follow_up_id],
            send=True,
            missing_email="hard_copy",
        )
        interactions = self.xmlrpc(
            "crm.interaction",
            "search_read",
            [("logged_segment_id", "=", emails_logged_id)],
            ["partner_id", "correspondence_type", "mail_id", "delivery_status"],
        )
        self.assertEqual(len(interactions), 4)
        emails = [i for i in interactions if i["correspondence_type"] == "email"]
        letters = [i for i in interactions if i["correspondence_type"] == "hard_copy"]
        self.assertEqual(len(emails), 3)
        self.assertEqual([i["partner_id"][0] for i in letters], self.nomail.ids)
        self.assertTrue(all(i["mail_id"] for i in emails))
        self.assertEqual({i["delivery_status"] for i in emails}, {"in_progress"})
        self.assertEqual(letters[0]["delivery_status"], "delivered")
        self.env.invalidate_all()
        mails = self.env["mail.mail"].browse([i["mail_id"][0] for i in emails])
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before + 3)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertEqual(mails.recipient_ids, (self.prospect_buyers - self.nomail))
        # the subject of the template's row in the contact's language wins
        # over the segment's default subject
        self.assertEqual(
            set(mails.mapped("subject")), {"Thank you for visiting the trade fair"}
        )

        # Step 10: two prospects answer; RESP is created on the fly and the
        # responses are logged without sending anything
        responders = self.prospect_buyers[:2]
        resp_id = self.xmlrpc(
            "crm.interaction.template",
            "create",
            {
                "code": "RPC-RESP",
                "name": "Campaign response (RPC)",
                "information_flow": "inbound",
                "initiated_by": "them",
                "unit_duration": 0.25,
                "campaign_id": campaign_id,
                "campaign_response": True,
            },
        )
        response_id = self.xmlrpc(
            "crm.segment",
            "create",
            {
                "description": "Answers to the trade fair letter (RPC)",
                "interaction_template_id": resp_id,
            },
        )
        response = self.read_one(
            "crm.segment",
            response_id,
            ["campaign_id", "campaign_response", "campaign_target"],
        )
        self.assertEqual(response["campaign_id"][0], campaign_id)
        self.assertTrue(response["campaign_response"])
        self.assertFalse(response["campaign_target"])
        wizard_id = self.xmlrpc(
            "crm.segment.filter",
            "create",
            {
                "segment_id": response_id,
                "mode": "add",
                "partner_domain": repr([("id", "in", responders.ids)]),
            },
        )
        self.xmlrpc("crm.segment.filter", "action_apply", [wizard_id])
        self.assertEqual(self.line_count(response_id), 2)
        positive = self.xmlrpc(
            "crm.segment.line",
            "search",
            [("segment_id", "=", response_id), ("partner_id", "=", responders[0].id)],
        )
        self.xmlrpc("crm.segment.line", "write", positive, {"evaluation": "positive"})
        responses_logged_id = self.xmlrpc("crm.segment", "log_segment", [response_id])
        responses = self.xmlrpc(
            "crm.interaction",
            "search_read",
            [("logged_segment_id", "=", responses_logged_id)],
            [
                "partner_id",
                "campaign_id",
                "campaign_response",
                "delivery_status",
                "mail_id",
                "lead_id",
                "information_flow",
            ],
        )
        self.assertEqual(len(responses), 2)
        self.assertEqual({r["partner_id"][0] for r in responses}, set(responders.ids))
        for answer in responses:
            self.assertEqual(answer["campaign_id"][0], campaign_id)
            self.assertTrue(answer["campaign_response"])
            self.assertEqual(answer["information_flow"], "inbound")
            self.assertEqual(answer["delivery_status"], "none")
            self.assertFalse(answer["mail_id"])
        # the positive answer became an opportunity of the campaign
        leads = {r["partner_id"][0]: r["lead_id"] for r in responses}
        self.assertTrue(leads[responders[0].id])
        self.assertFalse(leads[responders[1].id])
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before + 3)

        # The campaign's statistics (over JSON-RPC)
        stats = self.jsonrpc_ok(
            "utm.campaign",
            "read",
            [campaign_id],
            [
                "segment_count",
                "logged_segment_count",
                "interaction_count",
                "target_contact_count",
                "response_contact_count",
                "response_rate",
                "cost_total",
                "opportunity_count",
            ],
        )[0]
        self.assertEqual(stats["segment_count"], 3)
        self.assertEqual(stats["logged_segment_count"], 3)
        self.assertEqual(stats["interaction_count"], 10)
        self.assertEqual(stats["target_contact_count"], 4)
        self.assertEqual(stats["response_contact_count"], 2)
        self.assertEqual(stats["response_rate"], 50.0)
        # 4 letters at 1.5, 4 e-mails at 0.1, the responses cost nothing
        self.assertAlmostEqual(stats["cost_total"], 4 * 1.5 + 4 * 0.1)
        self.assertEqual(stats["opportunity_count"], 1)
