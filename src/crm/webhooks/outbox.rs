//! Queuing deliveries for the changes webhooks listen to, inside the change's transaction.
//!
//! The outbox row commits or rolls back with the change it reports, so a receiver never hears
//! of a change that did not happen and never misses one that did; the worker sends it later.

use super::{events, store};
use crate::audit::Event;
use crate::db::Actor;
use crate::error::AppError;
use rusqlite::Connection;
use serde_json::{Value, json};

/// Queues a delivery to every active webhook that listens for what `event` reports.
pub fn enqueue(conn: &Connection, actor: &Actor, event: &Event) -> Result<(), AppError> {
    // A pure string check first: most audit entries report nothing a webhook hears.
    let names = events::for_audit(event);
    if names.is_empty() {
        return Ok(());
    }
    let hooks = store::active(conn)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let mut record = None;
    for name in names {
        let listeners: Vec<i64> = hooks
            .iter()
            .filter(|(_, subscribed)| subscribed.iter().any(|s| s == name))
            .map(|(id, _)| *id)
            .collect();
        if listeners.is_empty() {
            continue;
        }
        // Read once, and only when somebody listens.
        let record = record.get_or_insert_with(|| record_json(conn, event));
        let body = payload(name, &now, actor, event, record.clone());
        for hook in listeners {
            store::insert_delivery(conn, hook, name, &body, &now)?;
        }
    }
    Ok(())
}

/// The record as the API shows it (as it is now, inside the transaction), when the event is
/// about a customer record that can still be read.
fn record_json(conn: &Connection, event: &Event) -> Option<Value> {
    let kind = event.entity_type.as_deref()?;
    let e = crate::crm::records::entity_by_kind(kind)?;
    let id: i64 = event.entity_id.as_deref()?.parse().ok()?;
    let rec = crate::crm::records::store::get(conn, e, id).ok()?;
    Some(crate::crm::records::api::to_json(
        e,
        &rec,
        &Default::default(),
    ))
}

/// A random id for one event, so receivers can tell a redelivery from a new event.
pub fn event_id() -> String {
    format!("evt_{}", crate::auth::random_token(12))
}

/// The JSON body sent for event `name`.
fn payload(
    name: &str,
    occurred_at: &str,
    actor: &Actor,
    event: &Event,
    record: Option<Value>,
) -> String {
    let id = event.entity_id.as_deref().map(|id| {
        id.parse::<i64>()
            .map_or_else(|_| Value::from(id), Value::from)
    });
    let mut data = json!({
        "type": event.entity_type,
        "id": id,
        "changes": event.changes,
    });
    if let (Some(record), Some(map)) = (record, data.as_object_mut()) {
        map.insert("record".into(), record);
    }
    json!({
        "id": event_id(),
        "event": name,
        "occurred_at": occurred_at,
        "actor": actor.label,
        "data": data,
    })
    .to_string()
}

/// The body of a test delivery: the usual envelope around a note saying what it is.
pub fn test_payload(actor: &Actor, webhook: i64) -> String {
    json!({
        "id": event_id(),
        "event": events::TEST_EVENT,
        "occurred_at": crate::db::now(),
        "actor": actor.label,
        "data": { "type": "webhook", "id": webhook, "test": true },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(conn: &Connection, events: &[&str], active: bool) -> i64 {
        let events: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        store::insert(
            conn,
            "http://127.0.0.1:9/",
            &events,
            "whsec_x",
            active,
            None,
        )
        .unwrap()
    }

    fn queued(conn: &Connection) -> Vec<(i64, String, String)> {
        let mut stmt = conn
            .prepare("SELECT webhook_id, event, payload FROM webhook_deliveries ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn only_active_subscribers_of_the_event_get_a_delivery() {
        let conn = crate::db::memory().unwrap();
        let wants = hook(&conn, &["quote.created", "product.updated"], true);
        hook(&conn, &["contact.created"], true);
        hook(&conn, &["quote.created"], false);
        let actor = Actor::system("tester");
        let event =
            Event::new("quote.create")
                .entity("quote", 7)
                .change("total", None::<String>, "10.00");

        enqueue(&conn, &actor, &event).unwrap();
        enqueue(&conn, &actor, &Event::new("login.success")).unwrap();

        let rows = queued(&conn);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].0, rows[0].1.as_str()), (wants, "quote.created"));
        let body: Value = serde_json::from_str(&rows[0].2).unwrap();
        assert_eq!(body["event"], "quote.created");
        assert_eq!(body["actor"], "tester");
        assert_eq!(body["data"]["type"], "quote");
        assert_eq!(body["data"]["id"], 7);
        assert_eq!(body["data"]["changes"][0]["field"], "total");
        assert_eq!(body["data"]["changes"][0]["after"], "10.00");
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert!(
            body["data"].get("record").is_none(),
            "quotes carry no record"
        );
    }

    #[test]
    fn a_record_event_for_a_missing_record_is_sent_without_the_record() {
        let conn = crate::db::memory().unwrap();
        hook(&conn, &["contact.deleted"], true);
        let event = Event::new("contact.delete").entity("contact", 999);
        enqueue(&conn, &Actor::cli(), &event).unwrap();
        let rows = queued(&conn);
        let body: Value = serde_json::from_str(&rows[0].2).unwrap();
        assert_eq!(body["data"]["id"], 999);
        assert!(body["data"].get("record").is_none());
    }

    #[test]
    fn with_no_webhooks_nothing_is_queued() {
        let conn = crate::db::memory().unwrap();
        let event = Event::new("contact.create").entity("contact", 1);
        enqueue(&conn, &Actor::cli(), &event).unwrap();
        assert!(queued(&conn).is_empty());
    }
}
