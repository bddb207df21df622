/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/*
 * Every screen of the Campaigns app, as one role sees it: open the app from
 * the home screen, then each menu of the addon; on each screen open the
 * first record of its list (or kanban), every tab of its form and every
 * smart button, coming back each time. Any error dialog fails the tour.
 * The steps use menu xmlids and view classes only, so the tours run in any
 * language (tests/test_tour_roles.py runs them in Norwegian).
 *
 * crm_campaign_segment_screens_user: a Campaign User (the menus of all).
 * crm_campaign_segment_screens_manager: a Campaign Manager (also Configuration).
 */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const MODULE = "crm_campaign_segment";
const ERROR_DIALOG = ".o_error_dialog";

// [section of the navbar or null, menu, first view]
const USER_MENUS = [
    [null, "utm_campaign_menu", "kanban"],
    ["crm_segment_menu_root", "crm_segment_menu", "list"],
    ["crm_segment_menu_root", "crm_logged_segment_menu", "list"],
    ["crm_segment_menu_root", "crm_segment_criteria_menu", "list"],
    ["crm_interaction_menu_root", "crm_interaction_menu", "list"],
    ["crm_interaction_menu_root", "crm_interaction_response_menu", "list"],
    ["crm_interaction_menu_root", "crm_campaign_entry_menu", "list"],
    ["crm_interaction_menu_root", "crm_interaction_template_menu", "list"],
    ["crm_interaction_menu_root", "crm_consent_log_menu", "list"],
    ["crm_campaign_reporting_menu", "crm_interaction_analysis_menu", "graph"],
];
const MANAGER_MENUS = [
    ...USER_MENUS,
    ["crm_campaign_config_menu", "crm_interaction_group_menu", "list"],
    ["crm_campaign_config_menu", "crm_job_responsibility_menu", "list"],
    ["crm_campaign_config_menu", "crm_business_relation_menu", "list"],
    ["crm_campaign_config_menu", "crm_mailing_group_menu", "list"],
    ["crm_campaign_config_menu", "utm_stage_menu", "list"],
];

function checkNoErrorDialog() {
    const dialog = document.querySelector(ERROR_DIALOG);
    if (dialog) {
        throw new Error(`Error dialog: ${dialog.innerText.slice(0, 500)}`);
    }
}

/** Wait until `selector` matches (or `test()` is true); fail on an error dialog. */
async function waitFor(selector, test = null, timeout = 20000) {
    const end = Date.now() + timeout;
    while (Date.now() < end) {
        checkNoErrorDialog();
        const element = selector && document.querySelector(selector);
        if ((selector && element) || (test && test())) {
            return element;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Timeout waiting for ${selector || test}`);
}

const breadcrumbCount = () =>
    document.querySelectorAll(".o_control_panel .breadcrumb-item, .o_control_panel .o_last_breadcrumb_item").length;

/** Mark the screen shown now, so that the next step waits for a new one. */
function markScreen() {
    for (const element of document.querySelectorAll(".o_action_manager .o_view_controller")) {
        element.classList.add("o_ccs_seen");
    }
}

const BUTTON_BOX = ".o_form_view .o-form-buttonbox";

/** The names of the smart buttons of the form, those under "More" too. */
async function statButtonNames() {
    const names = [...document.querySelectorAll(`${BUTTON_BOX} > .oe_stat_button[name]`)].map(
        (button) => button.getAttribute("name")
    );
    const more = document.querySelector(`${BUTTON_BOX} .o_button_more`);
    if (more) {
        more.click();
        await waitFor(".o_dropdown_more");
        for (const button of document.querySelectorAll(".o_dropdown_more .oe_stat_button[name]")) {
            names.push(button.getAttribute("name"));
        }
        more.click();
        await waitFor(null, () => !document.querySelector(".o_dropdown_more"));
    }
    return names;
}

/** The smart button `name`, opening "More" when it is there. */
async function statButton(name) {
    const direct = document.querySelector(`${BUTTON_BOX} > .oe_stat_button[name='${name}']`);
    const more = document.querySelector(`${BUTTON_BOX} .o_button_more`);
    if (direct || !more) {
        return direct;
    }
    more.click();
    return waitFor(`.o_dropdown_more .oe_stat_button[name='${name}']`);
}

/** Click every tab of the form, then every smart button, coming back each time. */
async function visitForm() {
    await waitFor(".o_form_view .o_form_sheet");
    const title = document.querySelector(".o_control_panel .o_last_breadcrumb_item")?.innerText;
    console.log(`screens: form "${title}"`);
    for (const tab of document.querySelectorAll(".o_form_view .o_notebook .nav-link")) {
        tab.click();
        await waitFor(null, () => tab.classList.contains("active"));
        console.log(`screens: tab "${tab.innerText}"`);
    }
    const names = await statButtonNames();
    for (const name of names) {
        const depth = breadcrumbCount();
        const button = await statButton(name);
        if (!button) {
            continue;
        }
        markScreen();
        button.click();
        // a new screen (one more breadcrumb) or a dialog
        await waitFor(".modal:not(.o_inactive_modal) .modal-content", () => breadcrumbCount() > depth);
        checkNoErrorDialog();
        console.log(`screens: smart button ${name}`);
        const dialogClose = document.querySelector(".modal:not(.o_inactive_modal) .btn-close");
        if (dialogClose) {
            dialogClose.click();
            await waitFor(null, () => !document.querySelector(".modal .modal-content"));
        } else {
            await waitFor(".o_action_manager .o_view_controller:not(.o_ccs_seen) .o_content");
            const back = document.querySelectorAll(".o_control_panel .breadcrumb-item a");
            back[back.length - 1].click();
            await waitFor(null, () => breadcrumbCount() === depth && document.querySelector(".o_form_view .o_form_sheet"));
        }
    }
    checkNoErrorDialog();
}

/** Open the first record of the list or kanban shown, if any, and visit its form. */
async function openFirstRecord() {
    const cell = document.querySelector(
        ".o_action_manager .o_list_view .o_data_row td.o_data_cell"
    );
    const card = document.querySelector(
        ".o_action_manager .o_kanban_view .o_kanban_record:not(.o_kanban_ghost)"
    );
    const target = cell || card;
    if (!target) {
        console.log("screens: empty list");
        return;
    }
    target.click();
    const opened = ".o_action_manager .o_form_view .o_form_sheet, .o_action_manager .o_list_view .o_selected_row";
    try {
        await waitFor(opened, null, 4000);
    } catch {
        // a list whose action has no form: its rows show the records
        checkNoErrorDialog();
        console.log("screens: list without form");
        return;
    }
    if (document.querySelector(".o_action_manager .o_list_view .o_selected_row")) {
        // an editable list opens its row in place: leave it unchanged
        console.log("screens: row edited in place");
        document.querySelector(".o_list_button_discard")?.click();
        return;
    }
    await visitForm();
}

function menuSteps([section, menu, viewType]) {
    const steps = [];
    if (section) {
        steps.push({
            content: `open the menu section ${section}`,
            trigger: `.o_main_navbar button[data-menu-xmlid='${MODULE}.${section}']`,
            run: "click",
        });
    }
    steps.push(
        {
            content: `open the menu ${menu}`,
            trigger: `.o_main_navbar a[data-menu-xmlid='${MODULE}.${menu}'], .dropdown-menu a[data-menu-xmlid='${MODULE}.${menu}']`,
            run: async (helpers) => {
                markScreen();
                await helpers.click();
            },
        },
        {
            content: `the ${viewType} of ${menu} opens`,
            trigger: `.o_action_manager .o_view_controller.o_${viewType}_view:not(.o_ccs_seen)`,
            run: checkNoErrorDialog,
        }
    );
    if (viewType === "graph") {
        steps.push(
            {
                content: "switch to the pivot",
                trigger: ".o_control_panel .o_switch_view.o_pivot",
                run: "click",
            },
            {
                content: "the pivot opens",
                trigger: ".o_action_manager .o_pivot_view .o_pivot",
                run: checkNoErrorDialog,
            },
            {
                content: "switch to the list",
                trigger: ".o_control_panel .o_switch_view.o_list",
                run: "click",
            },
            {
                content: "the list opens",
                trigger: ".o_action_manager .o_list_view .o_list_renderer",
                run: checkNoErrorDialog,
            }
        );
    } else if (viewType === "kanban") {
        steps.push({
            content: "the kanban shows its cards",
            trigger: ".o_action_manager .o_kanban_view .o_kanban_renderer",
            run: checkNoErrorDialog,
        });
    }
    steps.push(
        {
            content: `open the first record of ${menu}, its tabs and smart buttons`,
            trigger: ".o_action_manager .o_view_controller:not(.o_ccs_seen) .o_content",
            run: openFirstRecord,
            timeout: 60000,
        },
        {
            content: "no error dialog",
            trigger: `body:not(:has(${ERROR_DIALOG}))`,
        }
    );
    return steps;
}

function screensTour(menus) {
    return {
        url: "/odoo",
        steps: () => [
            stepUtils.showAppsMenuItem(),
            {
                content: "open the Campaigns app",
                trigger: `.o_app[data-menu-xmlid='${MODULE}.crm_campaign_menu_root']`,
                run: "click",
            },
            ...menus.flatMap(menuSteps),
        ],
    };
}

registry.category("web_tour.tours").add("crm_campaign_segment_screens_user", screensTour(USER_MENUS));
registry
    .category("web_tour.tours")
    .add("crm_campaign_segment_screens_manager", screensTour(MANAGER_MENUS));
