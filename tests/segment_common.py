# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Trade fair contacts of the walkthrough, independent of the demo data."""

from odoo.tests.common import TransactionCase, new_test_user


class SegmentCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.user = new_test_user(
            cls.env,
            login="segment_builder_user",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
        )
        Partner = cls.env["res.partner"]
        cls.purchase = cls.env["crm.job.responsibility"].create(
            {"code": "T-PURCH", "name": "Purchase"}
        )
        cls.sales = cls.env["crm.job.responsibility"].create(
            {"code": "T-SALE", "name": "Sales"}
        )
        cls.customer = cls.env["crm.business.relation"].create(
            {"code": "T-CUST", "name": "Customer"}
        )
        cls.vendor = cls.env["crm.business.relation"].create(
            {"code": "T-VEND", "name": "Vendor"}
        )
        cls.furniture = cls.env["res.partner.industry"].create(
            {"name": "Test Furniture"}
        )
        cls.newsletter = cls.env["crm.mailing.group"].create(
            {"code": "T-NEWS", "name": "Newsletter"}
        )
        cls.vip = cls.env["res.partner.category"].create({"name": "Test VIP"})

        def company(name, **vals):
            return Partner.create(
                dict({"name": name, "is_company": True, "city": "Fairtown"}, **vals)
            )

        def person(name, parent, jobs=(), **vals):
            return Partner.create(
                dict(
                    {
                        "name": name,
                        "parent_id": parent.id,
                        "email": f"{name.lower().replace(' ', '.')}@example.com",
                        "job_responsibility_ids": [(6, 0, [j.id for j in jobs])],
                    },
                    **vals,
                )
            )

        # company A: a customer, furniture industry
        cls.company_a = company(
            "Test Adatum",
            business_relation_ids=[(6, 0, cls.customer.ids)],
            industry_id=cls.furniture.id,
        )
        cls.a1 = person("Anna Buyer", cls.company_a, [cls.purchase], lang="en_US")
        cls.a2 = person("Arne Seller", cls.company_a, [cls.sales])
        # company B: a vendor
        cls.company_b = company(
            "Test Bluebell", business_relation_ids=[(6, 0, cls.vendor.ids)]
        )
        cls.b1 = person(
            "Berit Buyer",
            cls.company_b,
            [cls.purchase],
            mailing_group_ids=[(6, 0, cls.newsletter.ids)],
        )
        cls.b2 = person(
            "Bjorn Excluded", cls.company_b, [cls.purchase], exclude_from_segment=True
        )
        # company C: a customer
        cls.company_c = company(
            "Test Cronos", business_relation_ids=[(6, 0, cls.customer.ids)]
        )
        cls.c1 = person(
            "Cato Buyer",
            cls.company_c,
            [cls.purchase],
            category_id=[(6, 0, cls.vip.ids)],
        )
        cls.d1 = person("Dina Archived", cls.company_c, [cls.purchase])
        cls.d1.active = False
        cls.fair_partners = (
            cls.company_a
            | cls.a1
            | cls.a2
            | cls.company_b
            | cls.b1
            | cls.b2
            | cls.company_c
            | cls.c1
            | cls.d1
        )
        cls.segment = cls.env["crm.segment"].create(
            {"description": "Office Futurus trade fair visitors"}
        )

    # helpers -----------------------------------------------------------------
    def partners(self, segment=None):
        segment = segment or self.segment
        self.env.invalidate_all()
        return segment.line_ids.partner_id

    def line_values(self, segment=None):
        """{partner id: line values} of the segment, to compare exactly."""
        segment = segment or self.segment
        self.env.invalidate_all()
        columns = (
            "company_partner_id",
            "correspondence_type",
            "lang",
            "subject",
            "interaction_template_id",
            "user_id",
            "evaluation",
            "contact_via",
        )
        rows = segment.line_ids.read(["partner_id", *columns])
        return {
            row["partner_id"][0]: tuple(
                row[c][0] if isinstance(row[c], tuple) else row[c] for c in columns
            )
            for row in rows
        }

    def apply(self, mode, segment=None, **filter_values):
        return (segment or self.segment)._apply_step(mode, filter_values)
