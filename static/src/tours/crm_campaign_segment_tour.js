/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/*
 * The sales-campaign walkthrough in the web client, played by a Campaign User
 * without Sales rights (the marketing employee) on the demo data (the Office Futurus trade
 * fair): create a campaign, create a segment, add the PURCHASE contacts (19),
 * reduce the CUSTOMER ones (12), go back (19), go forward (12), refine to the
 * PURCHASE contacts (12), save the criteria, link the segment to the campaign
 * as its target, choose the business letter BUS, log the segment with a
 * follow-up segment, reuse the saved criteria on a new segment (12), read
 * the campaign's statistics, register Daan Bakker's positive response to his
 * letter and read it in the statistics (1 responding contact, 1 opportunity).
 * tests/test_tour.py
 * starts it and checks the database, the letters and the e-mails.
 */

import { registry } from "@web/core/registry";
import { formatDate } from "@web/core/l10n/dates";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const { DateTime } = luxon;

const CAMPAIGN = "Office Futurus trade fair (tour)";
const SEGMENT = "Office Futurus trade fair visitors (tour)";
const CRITERIA_CODE = "TOUR-PURCH";
const REUSED = "Office Futurus trade fair, criteria reused (tour)";
// the campaign period; the test checks it in the database
const START = "2026-03-02";
const END = "2026-03-30";
// the contact who answers the letter, and how
const RESPONDENT = "Daan Bakker";
const EVALUATION = "positive";

/**
 * Type `text` into the step's input. A function, not "edit ...": the string
 * form drops a closing parenthesis at the end of the text.
 */
function edit(text) {
    return async (helpers) => helpers.edit(text);
}

/** The "No. of Lines" field of the segment form shows exactly `count`. */
function lineCountIs(count) {
    return {
        content: `No. of Lines shows ${count}`,
        trigger: `.o_form_view .o_inner_group .o_field_widget[name=line_count]:contains(/^\\s*${count}\\s*$/)`,
    };
}

/** The statistics tab of the campaign form shows `count` for `field`. */
function statisticIs(field, count) {
    return {
        content: `${field} shows ${count}`,
        trigger: `.o_form_view .o_notebook .o_field_widget[name=${field}]:contains(/^\\s*${count}\\s*$/)`,
    };
}

/** Open the list of campaigns from the Campaigns menu. */
function openCampaignList() {
    return [
        {
            content: "open Campaigns",
            trigger: "a[data-menu-xmlid='crm_campaign_segment.utm_campaign_menu']",
            run: "click",
        },
        {
            content: "switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
    ];
}

/** Open the tour's campaign from the Campaigns menu, on its statistics tab. */
function openCampaignStatistics() {
    return [
        ...openCampaignList(),
        {
            content: "open the campaign",
            trigger: `.o_list_view .o_data_row td:contains(${CAMPAIGN})`,
            run: "click",
        },
        {
            content: "open its statistics",
            trigger: ".o_form_view .o_notebook .nav-link[name=statistics]",
            run: "click",
        },
    ];
}

/** Pick `label` in the autocomplete of the many2one/many2many `field`. */
function pickInAutocomplete(field, search, label, scope = ".o_form_view") {
    return [
        {
            content: `search ${search} in ${field}`,
            trigger: `${scope} .o_field_widget[name=${field}] input`,
            run: edit(search),
        },
        {
            content: `choose ${label}`,
            trigger: `${scope} .o_field_widget[name=${field}] .o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) > a:contains(${label})`,
            run: "click",
        },
    ];
}

/** Open the Add, Reduce contacts wizard, filter, apply. */
function filterContacts(button, page, field, search, label) {
    return [
        {
            content: `open the wizard of ${button}`,
            trigger: `.o_form_view .o_form_statusbar button[name=${button}]`,
            run: "click",
        },
        {
            content: `open the ${page} page`,
            trigger: `.modal .o_notebook .nav-link[name=${page}]`,
            run: "click",
        },
        ...pickInAutocomplete(field, search, label, ".modal"),
        {
            content: `${label} is chosen`,
            trigger: `.modal .o_field_widget[name=${field}] .o_tag:contains(${label})`,
        },
        {
            content: "apply the filter",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "the wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

registry.category("web_tour.tours").add("crm_campaign_segment_walkthrough", {
    url: "/odoo",
    steps: () => [
        // Step 1: create a campaign
        stepUtils.showAppsMenuItem(),
        {
            content: "open the Campaigns app",
            trigger: ".o_app[data-menu-xmlid='crm_campaign_segment.crm_campaign_menu_root']",
            run: "click",
        },
        ...openCampaignList(),
        {
            content: "new campaign",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "campaign description",
            trigger: ".o_form_view .o_field_widget[name=title] input",
            run: edit(CAMPAIGN),
        },
        {
            content: "start date",
            trigger: ".o_form_view .o_field_widget[name=date_start] input",
            run: `edit ${formatDate(DateTime.fromISO(START))} && press Enter`,
        },
        {
            content: "end date",
            trigger: ".o_form_view .o_field_widget[name=date_end] input",
            run: `edit ${formatDate(DateTime.fromISO(END))} && press Enter`,
        },
        {
            content: "save the campaign",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "the campaign is saved with its number",
            trigger: ".o_form_view .o_form_saved .oe_title .o_field_widget[name=code]:contains(/^\\s*KM\\d+\\s*$/)",
        },
        {
            content: "its status is Planned (1-PLAN)",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked=true]:contains(Planned)",
        },

        // Step 2: create a segment
        {
            content: "open the Segments menu",
            trigger: "button[data-menu-xmlid='crm_campaign_segment.crm_segment_menu_root']",
            run: "click",
        },
        {
            content: "open Segments",
            trigger: "a[data-menu-xmlid='crm_campaign_segment.crm_segment_menu']",
            run: "click",
        },
        {
            content: "new segment",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "segment description",
            trigger: ".o_form_view .o_field_widget[name=description] input",
            run: edit(SEGMENT),
        },

        // Step 3: add the contacts with job responsibility Purchase (saves the segment)
        ...filterContacts(
            "action_add_contacts",
            "classification",
            "job_responsibility_ids",
            "Purchase",
            "Purchase"
        ),
        {
            content: "the segment is saved with its number",
            trigger: ".o_form_view .oe_title .o_field_widget[name=name]:contains(/^\\s*SM\\d+\\s*$/)",
        },
        lineCountIs(19),

        // Step 5: reduce the contacts of customers
        ...filterContacts(
            "action_reduce_contacts",
            "classification",
            "business_relation_ids",
            "Customer",
            "Customer"
        ),
        lineCountIs(12),

        // Step 6: go back (confirmation), then reduce again
        {
            content: "go back",
            trigger: ".o_form_view .o_form_statusbar button[name=action_go_back]",
            run: "click",
        },
        {
            content: "confirm going back",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        lineCountIs(19),
        {
            content: "go forward",
            trigger: ".o_form_view .o_form_statusbar button[name=action_go_forward]",
            run: "click",
        },
        lineCountIs(12),
        // refine: keep the contacts with job responsibility Purchase (all of them)
        ...filterContacts(
            "action_refine_contacts",
            "classification",
            "job_responsibility_ids",
            "Purchase",
            "Purchase"
        ),
        lineCountIs(12),
        // save the criteria to reuse them
        {
            content: "save the criteria",
            trigger: ".o_form_view .o_form_statusbar button[name=action_save_criteria]",
            run: "click",
        },
        {
            content: "criteria code",
            trigger: ".modal .o_field_widget[name=code] input",
            run: edit(CRITERIA_CODE),
        },
        {
            content: "criteria name",
            trigger: ".modal .o_field_widget[name=name] input",
            run: edit("Purchasers of our customers (tour)"),
        },
        {
            content: "save them",
            trigger: ".modal button[name=action_save]",
            run: "click",
        },
        {
            content: "the saved criteria open",
            trigger: `.o_last_breadcrumb_item:contains(${CRITERIA_CODE})`,
        },
        {
            content: "with their last step, the refine",
            trigger: ".o_form_view .o_data_row:contains(Refine Contacts)",
        },
        {
            content: "back to the segment",
            trigger: `.breadcrumb-item a:contains(${SEGMENT})`,
            run: "click",
        },
        lineCountIs(12),

        // Step 7: link the segment to the campaign as its target
        ...pickInAutocomplete("campaign_id", "(tour)", CAMPAIGN),
        {
            content: "campaign target",
            trigger: ".o_form_view .o_field_widget[name=campaign_target] input:enabled",
            run: "check",
        },

        // Step 8: the business letter BUS, logged with a follow-up segment
        ...pickInAutocomplete("interaction_template_id", "BUS", "BUS - "),
        {
            content: "the template is set",
            trigger: ".o_form_view .o_field_widget[name=interaction_template_id] input:value(/^BUS - /)",
        },
        {
            content: "attach the merged Word letter to the e-mails",
            trigger: ".o_form_view .o_field_widget[name=send_word_as_attachment] input:enabled",
            run: "check",
        },
        {
            content: "log the segment (saves it)",
            trigger: ".o_form_view .o_form_statusbar button[name=action_log]",
            run: "click",
        },
        {
            content: "send the letters and e-mails",
            trigger: ".modal .o_field_widget[name=send] input",
            run: "check",
        },
        {
            content: "the contact without e-mail address is named",
            trigger: ".modal .o_field_widget[name=missing_email_partner_ids] .o_tag:contains(Daan Bakker)",
        },
        {
            content: "switch the contacts without e-mail to hard copy",
            trigger: ".modal .o_field_widget[name=missing_email] input[data-value=hard_copy]",
            run: "click",
        },
        {
            content: "create a follow-up segment",
            trigger: ".modal .o_field_widget[name=create_follow_up] input",
            run: "check",
        },
        {
            content: "log",
            trigger: ".modal button[name=action_log]",
            run: "click",
        },
        {
            content: "the logged segment opens with one interaction per line",
            trigger: ".o_form_view .o-form-buttonbox .o_field_widget[name=interaction_count] .o_stat_value:contains(/^\\s*12\\s*$/)",
        },
        {
            content: "it is the logged segment of our segment",
            trigger: `.o_form_view .o_field_widget[name=segment_id]:contains(${SEGMENT})`,
        },
        {
            content: "with a follow-up segment",
            trigger: ".o_form_view .o_field_widget[name=follow_up_segment_id]:contains(Follow-up on segment)",
        },

        // The segment left the segment list and appears under Logged Segments
        {
            content: "open the Segments menu",
            trigger: "button[data-menu-xmlid='crm_campaign_segment.crm_segment_menu_root']",
            run: "click",
        },
        {
            content: "open Logged Segments",
            trigger: "a[data-menu-xmlid='crm_campaign_segment.crm_logged_segment_menu']",
            run: "click",
        },
        {
            content: "the logged segment is listed",
            trigger: `.o_list_view .o_data_row:contains(${SEGMENT})`,
        },
        {
            content: "open the Segments menu",
            trigger: "button[data-menu-xmlid='crm_campaign_segment.crm_segment_menu_root']",
            run: "click",
        },
        {
            content: "open Segments",
            trigger: "a[data-menu-xmlid='crm_campaign_segment.crm_segment_menu']",
            run: "click",
        },
        {
            content: "the follow-up segment is listed, the logged one is not",
            trigger: `.o_list_view:has(.o_data_row:contains(Follow-up on segment)):not(:has(.o_data_row:contains(${SEGMENT})))`,
        },

        // Reuse the saved criteria on a new segment: the same 12 contacts
        {
            content: "new segment",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "segment description",
            trigger: ".o_form_view .o_field_widget[name=description] input",
            run: edit(REUSED),
        },
        {
            content: "reuse criteria (saves the segment)",
            trigger: ".o_form_view .o_form_statusbar button[name=action_reuse_criteria]",
            run: "click",
        },
        ...pickInAutocomplete("criteria_id", CRITERIA_CODE, CRITERIA_CODE, ".modal"),
        {
            content: "apply the saved criteria",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "the wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        lineCountIs(12),

        // Read the campaign's statistics
        ...openCampaignStatistics(),
        statisticIs("target_contact_count", 12),
        statisticIs("response_contact_count", 0),

        // Register a response: Daan Bakker answers his letter positively
        {
            content: "open the Segments menu",
            trigger: "button[data-menu-xmlid='crm_campaign_segment.crm_segment_menu_root']",
            run: "click",
        },
        {
            content: "open Logged Segments",
            trigger: "a[data-menu-xmlid='crm_campaign_segment.crm_logged_segment_menu']",
            run: "click",
        },
        {
            content: "open the logged segment",
            trigger: `.o_list_view .o_data_row td.o_data_cell:contains(${SEGMENT})`,
            run: "click",
        },
        {
            content: "open its interactions",
            trigger: ".o_form_view .o-form-buttonbox button[name=action_view_interactions]",
            run: "click",
        },
        {
            content: `open the letter to ${RESPONDENT}`,
            trigger: `.o_list_view .o_data_row td.o_data_cell[name=partner_id]:contains(${RESPONDENT})`,
            run: "click",
        },
        {
            content: "it is the letter of the logged segment",
            trigger: `.o_form_view .oe_title .o_field_widget[name=partner_id] input:value(${RESPONDENT})`,
        },
        {
            content: "register a response",
            trigger: ".o_form_view .o_form_statusbar button[name=action_open_register_response]",
            run: "click",
        },
        {
            content: "evaluation Positive",
            trigger: ".modal .o_field_widget[name=evaluation] select",
            run: async (helpers) => helpers.select(JSON.stringify(EVALUATION)),
        },
        {
            content: "Positive is chosen",
            trigger: `.modal .o_field_widget[name=evaluation] select:value(/^"${EVALUATION}"$/)`,
        },
        {
            content: "register it",
            trigger: ".modal .modal-footer button[name=action_register]",
            run: "click",
        },
        {
            content: "the wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "the response opens: an inbound campaign response",
            trigger: ".o_form_view .o_field_widget[name=campaign_response] input:checked",
        },
        {
            content: `from ${RESPONDENT}`,
            trigger: `.o_form_view .oe_title .o_field_widget[name=partner_id] input:value(${RESPONDENT})`,
        },
        {
            content: "answering the letter",
            trigger: ".o_form_view .o_field_widget[name=response_to_id] a",
        },
        {
            content: "with the evaluation chosen",
            trigger: `.o_form_view .o_field_widget[name=evaluation] select:value(/^"${EVALUATION}"$/)`,
        },

        // Read the response in the campaign's statistics
        ...openCampaignStatistics(),
        statisticIs("target_contact_count", 12),
        statisticIs("response_contact_count", 1),
        // the positive response opened an opportunity on the campaign (the
        // test checks it): a figure for Sales users, not shown to this user
        {
            content: "no opportunity figures without Sales rights",
            trigger: ".o_form_view .o_notebook:not(:has(.o_field_widget[name=opportunity_count]))",
        },
    ],
});
