//! The deal board in a real browser: headless Chromium signs in through the login form, drags a
//! deal card from 初步接洽 onto the 方案报价 column with input events (the browser itself fires
//! dragstart, dragover and drop, and the board's script posts the move), and after the page's
//! own reload and one more the card is still in its new column; the database holds the new
//! stage and a `deal.update` audit entry. Then, with JavaScript switched off, the card's
//! "移动" form (details, select, submit) moves it again, the plain form post path.
//!
//! Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
//! messages separated by NUL bytes on file descriptors 3 and 4), which needs no websocket or
//! browser-automation crate. Without Chromium (`/usr/bin/chromium` or `chromium` on `PATH`)
//! the test prints a note and passes, so the suite runs anywhere.
#![cfg(unix)]

use kith::config::Config;
use kith::server::{self, AppState};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const PASSWORD: &str = "plum blossoms in winter 2026";
const ADMIN_EMAIL: &str = "wang@huaxing.cn";
/// How long any one wait (an answer, a page load, a condition) may take.
const TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_deal_dragged_to_another_column_stays_there_after_reload() {
    let Some(exe) = chromium() else {
        eprintln!("note: chromium not found; the browser test of the deal board was skipped");
        return;
    };
    // Arrange: a set-up server with one deal in the first stage.
    let app = spawn_app().await;
    let (first, proposal, negotiation) = (
        app.stage("初步接洽"),
        app.stage("方案报价"),
        app.stage("商务谈判"),
    );
    let deal = app.create_deal(first).await;
    let mut browser = Browser::launch(&exe).await;
    browser.sign_in(&app).await;
    browser.open(&app.url("/deals/board")).await;
    let card = format!("li.deal-card[data-id=\"{deal}\"]");
    browser.assert_in_column(&card, first).await;
    assert!(app.updates_of(deal).is_empty());

    // Act: drag the card (by its amount line, not its link) onto the 方案报价 column's head;
    // the board's script posts the move and reloads the page on success.
    browser.mark_page().await;
    let target = format!("section.column[data-stage=\"{proposal}\"] .column-head");
    browser.drag(&format!("{card} .deal-meta"), &target).await;
    browser
        .wait_for_new_page("the board to reload after the drop")
        .await;
    browser.reload().await;

    // Assert: the move is shown after a reload and stored with its audit entry.
    browser.assert_in_column(&card, proposal).await;
    assert_eq!(app.deal_stage(deal), proposal);
    let updates = app.updates_of(deal);
    assert_eq!(updates.len(), 1, "one deal.update entry: {updates:?}");
    assert!(
        updates[0].contains("方案报价"),
        "audit changes: {updates:?}"
    );

    // The same move without JavaScript: the card's 移动 form is a plain form post.
    browser.set_scripts(false).await;
    browser.reload().await;
    let listeners = "getEventListeners(document.querySelector('[data-board]')).drop === undefined";
    assert_eq!(browser.eval(listeners).await, Ok(json!(true)), "app.js ran");
    browser
        .click(&format!("{card} details.card-move > summary"))
        .await;
    let open = format!("document.querySelector('{card} details.card-move').open");
    browser.wait_for(&open, "the move form to open").await;
    let pick =
        format!("document.querySelector('{card} select[name=stage_id]').value = '{negotiation}'");
    browser.eval(&pick).await.unwrap();
    browser.mark_page().await;
    browser
        .click(&format!("{card} form.move-form button"))
        .await;
    browser
        .wait_for_new_page("the board after the move form")
        .await;
    browser.assert_in_column(&card, negotiation).await;
    assert_eq!(app.deal_stage(deal), negotiation);
    let updates = app.updates_of(deal);
    assert_eq!(updates.len(), 2, "a second deal.update entry: {updates:?}");
    assert!(
        updates[1].contains("商务谈判"),
        "audit changes: {updates:?}"
    );
    browser.close().await;
}

/// The Chromium executable, if this machine has one.
fn chromium() -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
}

/// A running server with a fresh data folder, set up in Chinese, and a signed-in client.
struct TestApp {
    address: String,
    dir: tempfile::TempDir,
    client: Client,
}

async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.data.dir = dir.path().to_path_buf();
    config.server.workers = 1;
    config.data.read_connections = 2;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = actix_web::web::Data::new(AppState::new(config).unwrap());
    tokio::spawn(server::build(state.clone(), listener).unwrap());
    let client = Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        dir,
        client,
    };
    let token = state.setup.token().expect("setup is pending");
    let setup = [
        ("name", "华星科技有限公司"),
        ("currency", "CNY"),
        ("time_zone", "Asia/Shanghai"),
        ("language", "zh-CN"),
        ("admin_name", "王芳"),
        ("admin_email", ADMIN_EMAIL),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    app.post(&format!("/setup/{token}"), "/login", &setup).await;
    app
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Posts a form with the CSRF token of `form_page`; returns the redirect's location.
    async fn post(&self, path: &str, form_page: &str, fields: &[(&str, &str)]) -> String {
        let html = self.client.get(self.url(form_page)).send().await.unwrap();
        let html = html.text().await.unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).expect("a csrf field") + marker.len();
        let csrf = &html[start..start + html[start..].find('"').unwrap()];
        let mut form = fields.to_vec();
        form.push(("csrf", csrf));
        let r = self.client.post(self.url(path)).form(&form).send().await;
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST {path} failed");
        r.headers()["location"].to_str().unwrap().to_string()
    }

    /// Creates a company and a deal in `stage`; returns the deal's id.
    async fn create_deal(&self, stage: i64) -> i64 {
        let company = [("name", "华星科技"), ("status", "prospect")];
        self.post("/companies/new", "/account", &company).await;
        let stage = stage.to_string();
        let deal = [
            ("name", "华星 ERP 二期"),
            ("company_id", "华星科技"),
            ("stage_id", stage.as_str()),
            ("amount", "50000"),
            ("currency", "CNY"),
        ];
        let location = self.post("/deals/new", "/account", &deal).await;
        let id = location.split('/').nth(2).and_then(|s| s.split('?').next());
        id.and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no deal id in {location}"))
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("kith.db")).unwrap()
    }

    fn stage(&self, name: &str) -> i64 {
        let sql = "SELECT id FROM stages WHERE name = ?1";
        self.db().query_row(sql, [name], |r| r.get(0)).unwrap()
    }

    fn deal_stage(&self, deal: i64) -> i64 {
        let sql = "SELECT stage_id FROM deals WHERE id = ?1";
        self.db().query_row(sql, [deal], |r| r.get(0)).unwrap()
    }

    /// The changes recorded by the deal's `deal.update` audit entries, oldest first.
    fn updates_of(&self, deal: i64) -> Vec<String> {
        let db = self.db();
        let sql = "SELECT changes FROM audit_log WHERE action = 'deal.update' \
                   AND entity_id = ?1 ORDER BY id";
        let mut stmt = db.prepare(sql).unwrap();
        let rows = stmt.query_map([deal.to_string()], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }
}

/// Headless Chromium with one page, driven over the DevTools pipe. Dropping it kills the
/// browser (`kill_on_drop`), so a failing test leaves no process behind.
struct Browser {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn launch(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // The shell hands the pipes to Chromium as descriptors 3 (commands) and 4 (answers).
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(exe)
            .args([
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--lang=zh-CN",
                "--window-size=1600,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut browser = Browser {
            child,
            input,
            output,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser
            .send("Target.createTarget", json!({"url": "about:blank"}), false)
            .await
            .unwrap();
        let attach = json!({"targetId": target["targetId"], "flatten": true});
        let attached = browser.send("Target.attachToTarget", attach, false).await;
        browser.session = attached.unwrap()["sessionId"].as_str().unwrap().to_string();
        browser
    }

    /// Sends one command (to the page, or to the browser) and waits for its answer.
    async fn send(&mut self, method: &str, params: Value, to_page: bool) -> Result<Value, String> {
        let id = self.write(method, params, to_page).await;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let mut buf = Vec::new();
            let left = deadline.saturating_duration_since(Instant::now());
            let read = tokio::time::timeout(left, self.output.read_until(0, &mut buf)).await;
            let read = read.unwrap_or_else(|_| panic!("no answer to {method} in time"));
            assert!(
                read.unwrap() > 0,
                "chromium closed the pipe during {method}"
            );
            buf.pop();
            let message: Value = serde_json::from_slice(&buf).unwrap();
            if message["id"] != id {
                continue; // an event: nothing here subscribes to any
            }
            return match message.get("error") {
                Some(error) => Err(format!("{method}: {error}")),
                None => Ok(message["result"].clone()),
            };
        }
    }

    /// Writes one command; its answer carries the returned id.
    async fn write(&mut self, method: &str, params: Value, to_page: bool) -> u64 {
        self.next_id += 1;
        let mut message = json!({"id": self.next_id, "method": method, "params": params});
        if to_page {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).await.unwrap();
        self.input.flush().await.unwrap();
        self.next_id
    }

    async fn page(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true).await.unwrap()
    }

    /// The value of a JavaScript expression in the page.
    async fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let params = json!({"expression": expression, "returnByValue": true,
                            "includeCommandLineAPI": true});
        let result = self.send("Runtime.evaluate", params, true).await?;
        if let Some(e) = result.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Polls a JavaScript condition until it holds (errors while a page loads count as no).
    async fn wait_for(&mut self, condition: &str, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if self.eval(condition).await == Ok(json!(true)) {
                return;
            }
            if Instant::now() > deadline {
                let url = self.eval("location.href").await;
                panic!("timed out waiting for {what} ({condition}) at {url:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Marks the current document, so that `wait_for_new_page` can tell the next one from it.
    async fn mark_page(&mut self) {
        self.eval("window.__kithOld = true").await.unwrap();
    }

    async fn wait_for_new_page(&mut self, what: &str) {
        let condition = "!window.__kithOld && document.readyState === 'complete'";
        self.wait_for(condition, what).await;
    }

    async fn open(&mut self, url: &str) {
        self.mark_page().await;
        self.page("Page.navigate", json!({ "url": url })).await;
        self.wait_for_new_page(url).await;
    }

    async fn reload(&mut self) {
        self.mark_page().await;
        self.page("Page.reload", json!({})).await;
        self.wait_for_new_page("the reload").await;
    }

    /// Switches the page's own scripts on or off (DevTools' evaluation keeps working).
    async fn set_scripts(&mut self, enabled: bool) {
        let params = json!({ "value": !enabled });
        self.page("Emulation.setScriptExecutionDisabled", params)
            .await;
    }

    /// The centre of an element in the viewport, after scrolling it into view.
    async fn centre(&mut self, selector: &str) -> (f64, f64) {
        let js = format!(
            "(() => {{ const e = document.querySelector('{selector}'); if (!e) return null; \
             e.scrollIntoView({{block: 'nearest', inline: 'nearest'}}); \
             const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        );
        let point = self.eval(&js).await.unwrap();
        let point = point.as_array().unwrap_or_else(|| panic!("no {selector}"));
        (point[0].as_f64().unwrap(), point[1].as_f64().unwrap())
    }

    /// One mouse event at a point of the viewport; `buttons` 1 while the left button is down.
    async fn mouse(&mut self, kind: &str, (x, y): (f64, f64), buttons: u8) {
        let button = if kind == "mouseMoved" && buttons == 0 {
            "none"
        } else {
            "left"
        };
        let params = json!({"type": kind, "x": x, "y": y, "button": button,
                            "buttons": buttons, "clickCount": 1});
        self.page("Input.dispatchMouseEvent", params).await;
    }

    async fn click(&mut self, selector: &str) {
        let at = self.centre(selector).await;
        self.mouse("mouseMoved", at, 0).await;
        self.mouse("mousePressed", at, 1).await;
        self.mouse("mouseReleased", at, 0).await;
    }

    /// Drags one element onto another with the mouse, the way a person does: press, move in
    /// steps, release over the target. Chromium turns this into native HTML5 drag and drop.
    async fn drag(&mut self, from: &str, to: &str) {
        let start = self.centre(from).await;
        let end = self.centre(to).await;
        // Only watches: the last dragover's point and whether the page accepted it there.
        let record = "addEventListener('dragover', e => { window.__kithDragover = \
                      e.clientX + ',' + e.clientY + ',' + e.defaultPrevented; })";
        self.eval(record).await.unwrap();
        self.mouse("mouseMoved", start, 0).await;
        self.mouse("mousePressed", start, 1).await;
        for step in 1..=10 {
            let f = f64::from(step) / 10.0;
            let at = (
                start.0 + (end.0 - start.0) * f,
                start.1 + (end.1 - start.1) * f,
            );
            self.mouse("mouseMoved", (at.0.round(), at.1.round()), 1)
                .await;
        }
        // Chromium fires dragenter on the move that reaches a new element and dragover only on
        // the next one, and the drop goes through only after an accepted dragover: keep
        // moving by a pixel over the target until the page has accepted one there.
        let deadline = Instant::now() + TIMEOUT;
        let mut at = (end.0.round(), end.1.round());
        loop {
            let accepted = format!("window.__kithDragover === '{},{},true'", at.0, at.1);
            if self.eval(&accepted).await == Ok(json!(true)) {
                break;
            }
            assert!(Instant::now() < deadline, "{to} never accepted the drag");
            at.0 += if at.0 > end.0.round() { -1.0 } else { 1.0 };
            self.mouse("mouseMoved", at, 1).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.mouse("mouseReleased", at, 0).await;
    }

    /// Types the administrator's credentials into the login form and submits it.
    async fn sign_in(&mut self, app: &TestApp) {
        self.open(&app.url("/login")).await;
        for (field, value) in [("#f-email", ADMIN_EMAIL), ("#f-password", PASSWORD)] {
            self.eval(&format!("document.querySelector('{field}').focus()"))
                .await
                .unwrap();
            self.page("Input.insertText", json!({ "text": value }))
                .await;
        }
        self.mark_page().await;
        self.click("form[action=\"/login\"] button[type=submit]")
            .await;
        self.wait_for_new_page("the page after signing in").await;
        let path = self.eval("location.pathname").await.unwrap();
        assert_ne!(path, json!("/login"), "sign-in through the form failed");
    }

    /// Asserts the element is a card inside the column of `stage`.
    async fn assert_in_column(&mut self, card: &str, stage: i64) {
        let js =
            format!("document.querySelector('{card}')?.closest('section.column')?.dataset.stage");
        let found = self.eval(&js).await.unwrap();
        assert_eq!(found, json!(stage.to_string()), "the column of {card}");
    }

    /// Closes the browser and waits for it to exit (the drop kills it if it does not).
    async fn close(mut self) {
        self.write("Browser.close", json!({}), false).await;
        let exited = tokio::time::timeout(TIMEOUT, self.child.wait()).await;
        assert!(
            matches!(exited, Ok(Ok(_))),
            "chromium did not exit when closed"
        );
    }
}
