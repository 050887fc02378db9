//! Outbound webhooks: administrators register receivers; audited changes are queued in the
//! same transaction; the worker posts them signed to a real local receiver, retries on the
//! backoff schedule, gives up after the last attempt, and never waits long on a dead receiver.

use crate::helpers::*;
use chrono::{DateTime, Duration as Span, Utc};
use kith::crm::webhooks::deliver::Client;
use kith::crm::webhooks::deliver::{MAX_ATTEMPTS, backoff};
use kith::crm::webhooks::sign;
use kith::crm::webhooks::store::stamp;
use kith::crm::webhooks::tls::Trust;
use kith::crm::webhooks::worker::{RunReport, run_due};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// One request a receiver got: lower-cased header names, and the body.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A local HTTP receiver on its own thread that records requests and answers `status`.
pub(crate) struct Receiver {
    pub(crate) url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        Self::serve("http", status, |tcp| Box::new(tcp))
    }

    /// Like [`Receiver::start`] at `scheme://127.0.0.1:PORT/kith/in`, each connection first
    /// going through `wrap` (a TLS server, say).
    pub(crate) fn serve(
        scheme: &str,
        status: u16,
        wrap: impl Fn(TcpStream) -> Box<dyn ReadWrite> + Send + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("{scheme}://127.0.0.1:{port}/kith/in");
        let status = Arc::new(AtomicU16::new(status));
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let (answer, log) = (Arc::clone(&status), Arc::clone(&got));
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
                let mut conn = wrap(tcp);
                let Some(request) = read_request(&mut conn) else {
                    continue;
                };
                log.lock().unwrap().push(request);
                let code = answer.load(Ordering::SeqCst);
                let reply = format!("HTTP/1.1 {code} X\r\nContent-Length: 4\r\n\r\nnope");
                let _ = conn.write_all(reply.as_bytes()).and_then(|()| conn.flush());
            }
        });
        Receiver { url, status, got }
    }

    pub(crate) fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A connection a receiver reads a request from and answers on.
pub(crate) trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// The request on `conn`, or `None` when the client gave up before sending one (a refused
/// TLS handshake, say).
fn read_request(conn: &mut dyn ReadWrite) -> Option<Received> {
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = conn.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    while buf.len() < end + 4 + length {
        let n = conn.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before the body ended");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8(buf[end + 4..end + 4 + length].to_vec()).unwrap();
    Some(Received { headers, body })
}

/// Adds a webhook through the form as the administrator; returns its id.
pub(crate) async fn add_webhook(app: &TestApp, url: &str, events: &[&str]) -> i64 {
    let names: Vec<String> = events.iter().map(|e| format!("ev_{e}")).collect();
    let mut fields = vec![("url", url), ("active", "1")];
    fields.extend(names.iter().map(|n| (n.as_str(), "1")));
    let r = app.post_form(&app.client, "/admin/webhooks", &fields).await;
    assert_eq!(r.status(), StatusCode::OK, "webhook {url} not added");
    app.query_i64("SELECT max(id) FROM webhooks")
}

pub(crate) async fn add_contact(app: &TestApp, name: &str) -> i64 {
    let fields = [
        ("name", name),
        ("status", "customer"),
        ("confirm_duplicate", "1"),
    ];
    create_record(app, "contacts", &fields).await
}

fn deliveries(app: &TestApp, condition: &str) -> i64 {
    app.query_i64(&format!(
        "SELECT count(*) FROM webhook_deliveries WHERE {condition}"
    ))
}

fn delivery_text(app: &TestApp, id: i64, column: &str) -> String {
    app.query_string(&format!(
        "SELECT ifnull(CAST({column} AS TEXT), '') FROM webhook_deliveries WHERE id = {id}"
    ))
}

fn run(app: &TestApp, now: DateTime<Utc>) -> RunReport {
    run_due(&app.state.db, now, &client(TIMEOUT)).unwrap()
}

/// Sends with `timeout`, trusting the usual authorities.
fn client(timeout: Duration) -> Client {
    let trust = Trust::load(&Default::default()).unwrap();
    Client { timeout, trust }
}

fn all_audit_changes(app: &TestApp) -> String {
    let db = app.db();
    let mut stmt = db.prepare("SELECT changes FROM audit_log").unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn only_admins_add_webhooks_and_the_secret_is_shown_once_but_never_audited() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;
    let sales = app.signed_in_client("zhou@huaxing.cn", PASSWORD).await;

    let r = app.get_as(&sales, "/admin/webhooks").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let fields = [
        ("url", "http://127.0.0.1:9/in"),
        ("ev_contact.created", "1"),
    ];
    let r = app.post_form(&sales, "/admin/webhooks", &fields).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM webhooks"), 0);

    let r = app
        .post_form(
            &app.client,
            "/admin/webhooks",
            &[fields[0], fields[1], ("active", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let secret = app.query_string("SELECT secret FROM webhooks");
    assert!(secret.starts_with("whsec_"));
    assert!(html.contains(&secret), "the secret is shown after adding");
    assert_eq!(
        app.query_string("SELECT events FROM webhooks"),
        r#"["contact.created"]"#
    );
    let id = app.query_i64("SELECT id FROM webhooks");
    let (status, list) = app.get_html("/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("/admin/webhooks/{id}")));
    assert!(!list.contains(&secret), "shown only once");
    let (status, page) = app.get_html(&format!("/admin/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&secret));
    let r = app.get_as(&sales, &format!("/admin/webhooks/{id}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A new secret replaces the old one and is shown once too.
    let r = app
        .post_form(&app.client, &format!("/admin/webhooks/{id}/secret"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rotated = app.query_string("SELECT secret FROM webhooks");
    assert_ne!(rotated, secret);
    assert!(r.text().await.unwrap().contains(&rotated));

    let actions = app.audit_actions();
    assert!(
        actions.contains(&"webhook.create".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"webhook.secret".to_string()),
        "{actions:?}"
    );
    let changes = all_audit_changes(&app);
    assert!(
        changes.contains("http://127.0.0.1:9/in"),
        "the address is audited"
    );
    assert!(!changes.contains(&secret) && !changes.contains(&rotated));
    assert!(!changes.contains("whsec_"), "no secret in the audit log");
}

#[tokio::test]
async fn bad_addresses_come_back_marked_with_the_input_kept() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let url = "ftp://hooks.example.com/kith";
    let fields = [
        ("url", url),
        ("ev_deal.stage_changed", "1"),
        ("active", "1"),
    ];

    let r = app.post_form(&app.client, "/admin/webhooks", &fields).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html), vec!["url"]);
    assert_eq!(unescape(&input_value(&html, "url")), url);
    assert!(html.contains(r#"name="ev_deal.stage_changed" value="1" checked"#));
    let no_events = [("url", "http://10.0.0.5:8080/in")];
    let r = app
        .post_form(&app.client, "/admin/webhooks", &no_events)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = format!("http://10.0.0.5/{}", "a".repeat(500));
    let too_long = [("url", long.as_str()), ("ev_contact.created", "1")];
    let r = app
        .post_form(&app.client, "/admin/webhooks", &too_long)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.query_i64("SELECT count(*) FROM webhooks"), 0);
}

#[tokio::test]
async fn a_new_contact_is_queued_with_the_change_and_delivered_signed() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let receiver = Receiver::start(200);
    let hook = add_webhook(&app, &receiver.url, &["contact.created"]).await;

    let contact = add_contact(&app, "周敏").await;

    // Queued by the same write as the contact, not yet sent.
    assert_eq!(deliveries(&app, "state = 'pending'"), 1);
    let id = app.query_i64("SELECT id FROM webhook_deliveries");
    assert_eq!(delivery_text(&app, id, "event"), "contact.created");
    assert_eq!(delivery_text(&app, id, "webhook_id"), hook.to_string());
    assert!(receiver.requests().is_empty());

    let report = run(&app, Utc::now());

    assert_eq!(report.delivered, 1, "{report:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.header("x-kith-event"), "contact.created");
    assert_eq!(request.header("x-kith-delivery"), id.to_string());
    let secret = app.query_string("SELECT secret FROM webhooks");
    let signature = request.header("x-kith-signature");
    let now = Utc::now().timestamp();
    assert!(sign::verify(
        &secret,
        signature,
        request.body.as_bytes(),
        now,
        300
    ));
    assert!(!sign::verify(
        "whsec_wrong",
        signature,
        request.body.as_bytes(),
        now,
        300
    ));
    assert_eq!(
        request.body,
        delivery_text(&app, id, "payload"),
        "sent as stored"
    );
    let body = request.json();
    assert_eq!(body["event"], "contact.created");
    assert_eq!(body["actor"], ADMIN_EMAIL);
    assert!(body["id"].as_str().unwrap().starts_with("evt_"));
    DateTime::parse_from_rfc3339(body["occurred_at"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["type"], "contact");
    assert_eq!(body["data"]["id"], contact);
    assert_eq!(body["data"]["record"]["id"], contact);
    assert_eq!(body["data"]["record"]["name"], "周敏");
    assert_eq!(body["data"]["record"]["status"], "customer");
    let changes = body["data"]["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "name" && c["after"] == "周敏")
    );
    assert_eq!(delivery_text(&app, id, "state"), "delivered");
    assert_eq!(delivery_text(&app, id, "last_status"), "200");
    assert_eq!(delivery_text(&app, id, "attempts"), "1");
    assert!(!delivery_text(&app, id, "delivered_at").is_empty());

    // Nothing is sent twice, and the log shows the delivery.
    assert_eq!(run(&app, Utc::now()).total(), 0);
    assert_eq!(receiver.requests().len(), 1);
    let (status, html) = app.get_html(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"delivery-{id}\"")));
    assert!(html.contains("HTTP 200"));
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_backoff_schedule_then_marked_failed() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let receiver = Receiver::start(500);
    let hook = add_webhook(&app, &receiver.url, &["contact.created"]).await;
    add_contact(&app, "李雷").await;
    let id = app.query_i64("SELECT id FROM webhook_deliveries");

    let mut now = Utc::now();
    for attempt in 1..=MAX_ATTEMPTS {
        let report = run(&app, now);
        assert_eq!(report.total(), 1, "attempt {attempt}: {report:?}");
        assert_eq!(delivery_text(&app, id, "attempts"), attempt.to_string());
        assert_eq!(delivery_text(&app, id, "last_status"), "500");
        assert_eq!(delivery_text(&app, id, "last_error"), "nope");
        if attempt == MAX_ATTEMPTS {
            break;
        }
        assert_eq!(delivery_text(&app, id, "state"), "pending");
        let next = now + backoff(attempt);
        assert_eq!(delivery_text(&app, id, "next_attempt_at"), stamp(next));
        // Not due a second early...
        assert_eq!(run(&app, next - Span::seconds(1)).total(), 0);
        assert_eq!(delivery_text(&app, id, "attempts"), attempt.to_string());
        // ...and due when the pause is over.
        now = next;
    }
    assert_eq!(delivery_text(&app, id, "state"), "failed");
    assert_eq!(delivery_text(&app, id, "next_attempt_at"), "");
    assert_eq!(run(&app, now + Span::days(30)).total(), 0, "given up");
    let got = receiver.requests();
    assert_eq!(got.len(), MAX_ATTEMPTS as usize);
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same body every time"
    );
    assert!(
        got.iter()
            .all(|r| r.header("x-kith-delivery") == id.to_string())
    );
    let retry = format!("/admin/webhooks/{hook}/deliveries/{id}/retry");
    let (_, html) = app.get_html(&format!("/admin/webhooks/{hook}")).await;
    assert!(html.contains(&retry), "a failed delivery offers a retry");

    // Retry, with the receiver fixed: queued again now, and delivered.
    receiver.status.store(200, Ordering::SeqCst);
    let r = app.post_form(&app.client, &retry, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(delivery_text(&app, id, "state"), "pending");
    assert!(delivery_text(&app, id, "next_attempt_at") <= stamp(Utc::now()));
    assert_eq!(run(&app, Utc::now()).delivered, 1);
    assert_eq!(delivery_text(&app, id, "state"), "delivered");
    assert!(app.audit_actions().contains(&"webhook.retry".to_string()));
    let (_, html) = app.get_html(&format!("/admin/webhooks/{hook}")).await;
    assert!(!html.contains(&retry));
    // Only failed deliveries can be retried.
    let r = app.post_form(&app.client, &retry, &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_up_nobody() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/in", silent.local_addr().unwrap());
    let healthy = Receiver::start(204);
    let stuck = add_webhook(&app, &silent_url, &["contact.created"]).await;
    add_webhook(&app, &healthy.url, &["contact.created"]).await;
    add_contact(&app, "韩梅梅").await;
    assert_eq!(deliveries(&app, "state = 'pending'"), 2);

    let started = Instant::now();
    let client = client(Duration::from_millis(300));
    let report = run_due(&app.state.db, Utc::now(), &client).unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((report.delivered, report.retrying), (1, 1), "{report:?}");
    assert_eq!(healthy.requests().len(), 1);
    let id = app.query_i64(&format!(
        "SELECT id FROM webhook_deliveries WHERE webhook_id = {stuck}"
    ));
    assert!(delivery_text(&app, id, "last_error").contains("timed out"));
    assert_eq!(delivery_text(&app, id, "last_status"), "");
    assert_eq!(delivery_text(&app, id, "state"), "pending");
    drop(silent);
}

#[tokio::test]
async fn moving_a_deal_to_another_stage_sends_deal_stage_changed() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let receiver = Receiver::start(200);
    add_webhook(&app, &receiver.url, &["deal.stage_changed"]).await;
    let stage = |name: &str| app.query_i64(&format!("SELECT id FROM stages WHERE name = '{name}'"));
    let (first, proposal) = (stage("初步接洽"), stage("方案报价"));
    create_record(
        &app,
        "companies",
        &[("name", "华星科技"), ("status", "prospect")],
    )
    .await;
    let deal = create_record(
        &app,
        "deals",
        &[
            ("name", "年度维保"),
            ("company_id", "华星科技"),
            ("stage_id", &first.to_string()),
            ("amount", "50000"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(deliveries(&app, "1"), 0, "creating is not a stage change");

    let version = app.query_i64(&format!("SELECT version FROM deals WHERE id = {deal}"));
    let r = app
        .post_form(
            &app.client,
            &format!("/deals/{deal}/stage"),
            &[
                ("stage_id", &proposal.to_string()),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    assert_eq!(deliveries(&app, "event = 'deal.stage_changed'"), 1);
    assert_eq!(deliveries(&app, "1"), 1, "deal.updated is not subscribed");
    assert_eq!(run(&app, Utc::now()).delivered, 1);
    let body = receiver.requests()[0].json();
    assert_eq!(body["event"], "deal.stage_changed");
    assert_eq!(body["data"]["id"], deal);
    assert_eq!(body["data"]["record"]["stage_id"], proposal);
    assert_eq!(body["data"]["record"]["amount"], "50000.00");
    let changes = body["data"]["changes"].as_array().unwrap();
    let moved = changes.iter().find(|c| c["field"] == "stage_id").unwrap();
    assert!(
        moved["after"].as_str().unwrap().contains("方案报价"),
        "{moved}"
    );
}

#[tokio::test]
async fn paused_webhooks_and_unsubscribed_events_get_nothing_but_a_test_still_goes() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let receiver = Receiver::start(200);
    let companies = add_webhook(&app, &receiver.url, &["company.created"]).await;
    let contacts = add_webhook(&app, &receiver.url, &["contact.created"]).await;
    add_contact(&app, "王磊").await;
    assert_eq!(deliveries(&app, &format!("webhook_id = {contacts}")), 1);
    assert_eq!(deliveries(&app, &format!("webhook_id = {companies}")), 0);

    // Paused before its delivery went out: the delivery is given up, nothing new is queued.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/webhooks/{contacts}"),
            &[("url", &receiver.url), ("ev_contact.created", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64(&format!(
            "SELECT active FROM webhooks WHERE id = {contacts}"
        )),
        0
    );
    assert!(app.latest_changes("webhook.update").contains("active"));
    let report = run(&app, Utc::now());
    assert_eq!(report.skipped, 1, "{report:?}");
    assert!(receiver.requests().is_empty());
    assert_eq!(deliveries(&app, "state = 'failed'"), 1);
    add_contact(&app, "赵强").await;
    assert_eq!(deliveries(&app, "1"), 1);

    create_record(
        &app,
        "companies",
        &[("name", "远航物流"), ("status", "prospect")],
    )
    .await;
    assert_eq!(deliveries(&app, &format!("webhook_id = {companies}")), 1);

    // The test button sends to a paused webhook too.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/webhooks/{contacts}/test"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(deliveries(&app, "event = 'webhook.test'"), 1);
    assert_eq!(run(&app, Utc::now()).delivered, 2);
    let events: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.header("x-kith-event").to_string())
        .collect();
    assert_eq!(events.len(), 2);
    assert!(events.contains(&"company.created".into()) && events.contains(&"webhook.test".into()));

    // Deleting a webhook removes its log with it.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/webhooks/{contacts}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM webhooks"), 1);
    assert_eq!(deliveries(&app, &format!("webhook_id = {contacts}")), 0);
    assert!(app.audit_actions().contains(&"webhook.delete".to_string()));
    let r = app.get(&format!("/admin/webhooks/{contacts}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
