//! The events a webhook can listen for, and how audit entries become them.
//!
//! Every audited change passes through [`for_audit`] inside its write transaction, so it is a
//! pure string check: most actions (sign-ins, settings, tags...) map to nothing and cost no
//! database work at all.

use crate::audit::Event;

/// Every event name an administrator can subscribe a webhook to, in the order the form shows
/// them. Also the allow-list: an audit action maps only to a name listed here.
pub const EVENTS: &[&str] = &[
    "company.created",
    "company.updated",
    "company.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "lead.created",
    "lead.updated",
    "lead.deleted",
    "deal.created",
    "deal.updated",
    "deal.stage_changed",
    "deal.deleted",
    "product.created",
    "product.updated",
    "product.deleted",
    "quote.created",
    "quote.updated",
    "quote.deleted",
    "activity.created",
    "activity.updated",
    "activity.deleted",
    "task.created",
    "task.updated",
    "task.deleted",
    // Tickets are not built yet; the name is reserved so subscriptions can be made today.
    "ticket.closed",
];

/// The event of the "send test" button; nobody subscribes to it, it goes to one webhook.
pub const TEST_EVENT: &str = "webhook.test";

/// Whether `name` is an event a webhook may subscribe to.
pub fn known(name: &str) -> bool {
    EVENTS.contains(&name)
}

/// The listed event name for `kind` and a past-tense verb, if there is one.
fn listed(kind: &str, verb: &str) -> Option<&'static str> {
    EVENTS.iter().copied().find(|e| {
        e.split_once('.')
            .is_some_and(|(k, v)| k == kind && v == verb)
    })
}

/// The webhook events an audit entry reports: `contact.create` is `contact.created`, and so
/// on for every kind in [`EVENTS`]; a deal update that moved the stage is also
/// `deal.stage_changed`. Empty for everything else.
pub fn for_audit(event: &Event) -> Vec<&'static str> {
    let Some((kind, action)) = event.action.split_once('.') else {
        return Vec::new();
    };
    let verb = match action {
        "create" => "created",
        "update" => "updated",
        "delete" => "deleted",
        "close" => "closed",
        _ => return Vec::new(),
    };
    let mut out: Vec<&'static str> = listed(kind, verb).into_iter().collect();
    if kind == "deal" && action == "update" && event.changes.iter().any(|c| c.field == "stage_id") {
        out.extend(listed("deal", "stage_changed"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_update_and_delete_become_past_tense_events() {
        assert_eq!(
            for_audit(&Event::new("contact.create")),
            ["contact.created"]
        );
        assert_eq!(for_audit(&Event::new("quote.update")), ["quote.updated"]);
        assert_eq!(
            for_audit(&Event::new("company.delete")),
            ["company.deleted"]
        );
        assert_eq!(for_audit(&Event::new("ticket.close")), ["ticket.closed"]);
    }

    #[test]
    fn other_actions_and_kinds_map_to_nothing() {
        for action in [
            "login.success",
            "contact.restore",
            "contact.purge",
            "user.create",
            "webhook.create",
            "webhook.test",
            "settings.update",
            "nodot",
            "ticket.create",
        ] {
            assert!(for_audit(&Event::new(action)).is_empty(), "{action}");
        }
    }

    #[test]
    fn a_deal_update_that_moves_the_stage_is_also_a_stage_change() {
        let moved = Event::new("deal.update").change("stage_id", "A / 1", "A / 2");
        assert_eq!(for_audit(&moved), ["deal.updated", "deal.stage_changed"]);
        let renamed = Event::new("deal.update").change("name", "a", "b");
        assert_eq!(for_audit(&renamed), ["deal.updated"]);
        let created = Event::new("deal.create").change("stage_id", None::<String>, "A / 1");
        assert_eq!(for_audit(&created), ["deal.created"]);
    }

    #[test]
    fn every_listed_event_is_kind_dot_verb_and_unique() {
        for (i, e) in EVENTS.iter().enumerate() {
            assert!(e.split_once('.').is_some(), "{e}");
            assert!(!EVENTS[i + 1..].contains(e), "{e} twice");
        }
        assert!(known("deal.stage_changed") && !known(TEST_EVENT));
    }
}
