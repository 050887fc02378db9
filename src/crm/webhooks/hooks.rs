//! Registering webhooks: the administrator's input checked, and every change made through
//! the audited write path. The signing secret is never written to the audit log.

use super::{events, outbox, store};
use crate::audit::Event;
use crate::crm::records::FieldErrors;
use crate::db::Tx;
use crate::error::AppError;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Longest receiver address accepted.
pub const URL_MAX: usize = 500;

/// A webhook as the administrator submits it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WebhookInput {
    /// The receiver's `http://` address.
    pub url: String,
    /// Event names it listens for, in [`events::EVENTS`] order.
    pub events: Vec<String>,
    /// Whether changes are queued for it.
    pub active: bool,
}

/// The form name of an event's checkbox.
pub fn event_input(name: &str) -> String {
    format!("ev_{name}")
}

/// Checks a receiver address (`http://` or `https://`); `Err` carries the i18n key of the
/// problem.
pub fn check_url(url: &str) -> Result<(), &'static str> {
    if url.is_empty() {
        return Err("webhook.error.url_required");
    }
    if url.chars().count() > URL_MAX {
        return Err("webhook.error.url_too_long");
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("http://");
    let Some(rest) = rest.or_else(|| lower.strip_prefix("https://")) else {
        return Err("webhook.error.url_invalid");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("webhook.error.url_invalid");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((ip, after)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => (ip, after),
            _ => return Err("webhook.error.url_invalid"),
        },
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c));
    let port_ok = match port {
        "" => true,
        p => p
            .strip_prefix(':')
            .and_then(|p| p.parse::<u16>().ok())
            .is_some_and(|p| p != 0),
    };
    match host_ok && port_ok && !authority.contains('@') {
        true => Ok(()),
        false => Err("webhook.error.url_invalid"),
    }
}

/// Parses the webhook form: `url`, one `ev_<event>` box per event, `active`.
pub fn parse(input: &HashMap<String, String>) -> (WebhookInput, FieldErrors) {
    let ticked = |k: &str| input.get(k).is_some_and(|v| !v.is_empty() && v != "0");
    let url = input
        .get("url")
        .map(|u| u.trim().to_string())
        .unwrap_or_default();
    let events: Vec<String> = events::EVENTS
        .iter()
        .filter(|e| ticked(&event_input(e)))
        .map(|e| e.to_string())
        .collect();
    let mut errors = FieldErrors::new();
    if let Err(key) = check_url(&url) {
        errors.insert("url".into(), key.into());
    }
    if events.is_empty() {
        errors.insert("events".into(), "webhook.error.events".into());
    }
    let active = ticked("active");
    (
        WebhookInput {
            url,
            events,
            active,
        },
        errors,
    )
}

/// The input a stored webhook would be submitted as.
pub fn input_of(w: &store::Webhook) -> WebhookInput {
    WebhookInput {
        url: w.url.clone(),
        events: w.events.clone(),
        active: w.active,
    }
}

fn snapshot(w: &WebhookInput) -> [(&'static str, Value); 3] {
    [
        ("url", Value::from(w.url.clone())),
        ("events", Value::from(w.events.join(", "))),
        ("active", Value::from(w.active)),
    ]
}

fn audited(action: &str, id: i64, before: Option<&WebhookInput>, after: &WebhookInput) -> Event {
    let old = before.map(snapshot);
    let mut event = Event::new(action).entity("webhook", id);
    for (i, (field, new)) in snapshot(after).into_iter().enumerate() {
        let was = old
            .as_ref()
            .and_then(|o| o.get(i))
            .map_or(Value::Null, |(_, v)| v.clone());
        event = event.change(field, was, new);
    }
    event
}

/// Adds a webhook with a fresh signing secret; returns its id and the secret (shown once).
pub fn create(tx: &mut Tx<'_>, w: &WebhookInput) -> Result<(i64, String), AppError> {
    let secret = super::sign::new_secret();
    let by = tx.actor().user_id;
    let id = store::insert(tx.conn(), &w.url, &w.events, &secret, w.active, by)?;
    tx.audit(audited("webhook.create", id, None, w).secret_changed("secret"))?;
    Ok((id, secret))
}

/// Saves new settings; the secret stays.
pub fn update(tx: &mut Tx<'_>, id: i64, w: &WebhookInput) -> Result<(), AppError> {
    let before = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    store::update(tx.conn(), id, &w.url, &w.events, w.active)?;
    tx.audit(audited("webhook.update", id, Some(&input_of(&before)), w))?;
    Ok(())
}

/// Removes a webhook and its delivery log.
pub fn delete(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    let before = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    store::delete(tx.conn(), id)?;
    let mut event = Event::new("webhook.delete").entity("webhook", id);
    for (field, was) in snapshot(&input_of(&before)) {
        event = event.change(field, was, Value::Null);
    }
    tx.audit(event)?;
    Ok(())
}

/// Gives a webhook a new signing secret and returns it (shown once); deliveries signed from
/// now on use it, so receivers must be given it too.
pub fn rotate_secret(tx: &mut Tx<'_>, id: i64) -> Result<String, AppError> {
    let secret = super::sign::new_secret();
    if store::set_secret(tx.conn(), id, &secret)? == 0 {
        return Err(AppError::NotFound);
    }
    tx.audit(
        Event::new("webhook.secret")
            .entity("webhook", id)
            .secret_changed("secret"),
    )?;
    Ok(secret)
}

/// Queues a `webhook.test` delivery to one webhook (active or not), due now.
pub fn queue_test(tx: &mut Tx<'_>, id: i64) -> Result<i64, AppError> {
    store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let body = outbox::test_payload(tx.actor(), id);
    let delivery =
        store::insert_delivery(tx.conn(), id, events::TEST_EVENT, &body, &crate::db::now())?;
    tx.audit(Event::new("webhook.test").entity("webhook", id).change(
        "delivery",
        Value::Null,
        delivery,
    ))?;
    Ok(delivery)
}

/// Puts a failed delivery back in the queue, due now. It gets one more attempt; if that
/// fails too it is marked failed again.
pub fn retry(tx: &mut Tx<'_>, id: i64, delivery: i64) -> Result<(), AppError> {
    if store::requeue(tx.conn(), id, delivery, &crate::db::now())? == 0 {
        return Err(AppError::NotFound);
    }
    tx.audit(Event::new("webhook.retry").entity("webhook", id).change(
        "delivery",
        Value::Null,
        delivery,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_http_addresses_on_the_lan_are_accepted() {
        for url in [
            "http://192.168.1.20:8080/kith",
            "http://hooks.lan",
            "HTTP://Relay.local:9000/in?x=1",
            "http://[::1]:7000/",
            "https://hooks.example.com/kith",
            "HTTPS://10.0.0.5:8443/in",
        ] {
            assert_eq!(check_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused_with_their_reason() {
        assert_eq!(check_url(""), Err("webhook.error.url_required"));
        let long = format!("http://h/{}", "a".repeat(URL_MAX));
        assert_eq!(check_url(&long), Err("webhook.error.url_too_long"));
        for url in [
            "hooks.lan/in",
            "ftp://h/",
            "http://",
            "https://",
            "https://user:pw@h/",
            "http://h:0/",
            "http://h:99999/",
            "http://h:x/",
            "http://[zz]/",
            "http://a b/",
            "http://h/\n",
        ] {
            assert_eq!(check_url(url), Err("webhook.error.url_invalid"), "{url:?}");
        }
    }

    #[test]
    fn the_form_keeps_known_ticked_events_in_list_order() {
        let (w, errors) = parse(&form(&[
            ("url", " http://hooks.lan/in "),
            ("ev_deal.stage_changed", "1"),
            ("ev_contact.created", "1"),
            ("ev_nonsense.happened", "1"),
            ("active", "1"),
        ]));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(w.url, "http://hooks.lan/in");
        assert_eq!(w.events, ["contact.created", "deal.stage_changed"]);
        assert!(w.active);
    }

    #[test]
    fn a_webhook_needs_an_address_and_an_event() {
        let (w, errors) = parse(&form(&[("url", "ftp://x.example/")]));
        assert_eq!(errors["url"], "webhook.error.url_invalid");
        assert_eq!(errors["events"], "webhook.error.events");
        assert_eq!(w.url, "ftp://x.example/", "input kept");
        assert!(!w.active);
    }
}
