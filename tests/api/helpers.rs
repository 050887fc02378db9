//! Test harness: a real Kith server on port 0 with a fresh data folder per test, browser-like
//! clients, and small readers for pages, cookies and the database.

use kith::config::Config;
use kith::server::{self, AppState};
use kith::web::i18n::Lang;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// A password that passes the policy.
pub const PASSWORD: &str = "plum blossoms in winter 2026";
/// The administrator created by [`TestApp::complete_setup`].
pub const ADMIN_EMAIL: &str = "wang@huaxing.cn";
/// The administrator's display name.
pub const ADMIN_NAME: &str = "王芳";
/// The company created by [`TestApp::complete_setup`].
pub const COMPANY: &str = "华星科技有限公司";

/// One running server, its data folder and a browser-like client.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The server's shared state (setup link, config, database).
    pub state: actix_web::web::Data<AppState>,
    /// The data folder; removed when the test ends.
    pub dir: tempfile::TempDir,
    /// The main browser: keeps cookies, does not follow redirects, prefers English.
    pub client: Client,
}

fn builder() -> reqwest::ClientBuilder {
    // English by default so messages can be compared with the English catalog; a request
    // that sends its own Accept-Language header overrides this.
    let mut headers = HeaderMap::new();
    headers.insert("accept-language", HeaderValue::from_static("en"));
    Client::builder()
        .redirect(Policy::none())
        .default_headers(headers)
}

/// A fresh browser with its own cookie jar.
pub fn new_client() -> Client {
    builder().cookie_store(true).build().unwrap()
}

/// A client without a cookie jar: cookies are sent by hand with a `cookie` header.
pub fn bare_client() -> Client {
    builder().build().unwrap()
}

/// Starts a server with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server after `adjust` changed the test configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.data.dir = dir.path().to_path_buf();
    config.server.listen = "127.0.0.1:0".into();
    config.server.workers = 1;
    config.data.read_connections = 2;
    adjust(&mut config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = actix_web::web::Data::new(AppState::new(config).unwrap());
    let server = server::build(state.clone(), listener).unwrap();
    tokio::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        dir,
        client: new_client(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A second (third, ...) browser.
    pub fn new_client(&self) -> Client {
        new_client()
    }

    /// `GET path` with the main client.
    pub async fn get(&self, path: &str) -> Response {
        self.get_as(&self.client, path).await
    }

    /// `GET path` with another client.
    pub async fn get_as(&self, c: &Client, path: &str) -> Response {
        c.get(self.url(path)).send().await.unwrap()
    }

    /// Status and body of a page, with the main client.
    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        self.get_html_as(&self.client, path).await
    }

    /// Status and body of a page, with another client.
    pub async fn get_html_as(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let r = self.get_as(c, path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token this client's forms carry: from `/account` when signed in, else
    /// from `/login`.
    pub async fn csrf(&self, c: &Client) -> String {
        let (status, html) = self.get_html_as(c, "/account").await;
        if status == StatusCode::OK {
            return csrf_from(&html);
        }
        let (status, html) = self.get_html_as(c, "/login").await;
        assert_eq!(status, StatusCode::OK, "no page with a form: {html}");
        csrf_from(&html)
    }

    /// Posts a form with this client's CSRF token added.
    pub async fn post_form(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf(c).await;
        self.post_form_with(c, path, fields, &token).await
    }

    /// Posts a form with the given CSRF token (for loops that reuse one token).
    pub async fn post_form_with(
        &self,
        c: &Client,
        path: &str,
        fields: &[(&str, &str)],
        token: &str,
    ) -> Response {
        let mut form = fields.to_vec();
        form.push(("csrf", token));
        c.post(self.url(path)).form(&form).send().await.unwrap()
    }

    pub fn setup_token(&self) -> String {
        self.state.setup.token().expect("setup is pending")
    }

    /// A valid setup form (without the CSRF token).
    pub fn setup_fields(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("name", COMPANY),
            ("currency", "CNY"),
            ("time_zone", "Asia/Shanghai"),
            ("language", "zh-CN"),
            ("admin_name", ADMIN_NAME),
            ("admin_email", ADMIN_EMAIL),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]
    }

    /// Runs first-run setup; the main client is then signed in as the administrator.
    pub async fn complete_setup(&self) -> Response {
        let path = format!("/setup/{}", self.setup_token());
        let r = self
            .post_form(&self.client, &path, &self.setup_fields())
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "setup failed");
        r
    }

    /// Creates a user as the signed-in administrator (main client); returns the id.
    pub async fn create_user(&self, email: &str, name: &str, role: &str, password: &str) -> i64 {
        let fields = [
            ("email", email),
            ("name", name),
            ("role", role),
            ("language", ""),
            ("password", password),
        ];
        let r = self
            .post_form(&self.client, "/admin/users/new", &fields)
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "user {email} not created"
        );
        self.user_id(email)
    }

    /// Submits the sign-in form with this client.
    pub async fn login(&self, c: &Client, email: &str, password: &str) -> Response {
        let fields = [("email", email), ("password", password), ("next", "/")];
        self.post_form(c, "/login", &fields).await
    }

    /// A new browser signed in as `email`.
    pub async fn signed_in_client(&self, email: &str, password: &str) -> Client {
        let c = new_client();
        let r = self.login(&c, email, password).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email} failed"
        );
        c
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("kith.db")
    }

    /// A direct connection to the server's database file.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).unwrap()
    }

    pub fn query_i64(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn query_string(&self, sql: &str) -> String {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn user_id(&self, email: &str) -> i64 {
        self.db()
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// Audit actions, oldest first.
    pub fn audit_actions(&self) -> Vec<String> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT action FROM audit_log ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Ids of the audit entries matching a SQL condition, newest first.
    pub fn audit_ids_where(&self, condition: &str) -> Vec<i64> {
        let db = self.db();
        let mut stmt = db
            .prepare(&format!(
                "SELECT id FROM audit_log WHERE {condition} ORDER BY id DESC"
            ))
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The `changes` JSON of the newest entry with this action.
    pub fn latest_changes(&self, action: &str) -> String {
        self.db()
            .query_row(
                "SELECT changes FROM audit_log WHERE action = ?1 ORDER BY id DESC LIMIT 1",
                [action],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("no csrf field in the page") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_string()
}

/// The value of a hidden or text input in a page.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("no such field") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_string()
}

/// The names of the form fields marked as wrong (`class="field has-error"`).
pub fn marked_fields(html: &str) -> Vec<String> {
    html.split("has-error\"")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find("for=\"f-")? + "for=\"f-".len();
            let len = rest[start..].find('"')?;
            Some(rest[start..start + len].to_string())
        })
        .collect()
}

/// The audit entry ids listed in an audit table, in page order.
pub fn audit_ids_on_page(html: &str) -> Vec<i64> {
    html.split("data-label=\"#\">")
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].trim().parse().unwrap())
        .collect()
}

/// Undoes the HTML escaping of an attribute value (e.g. a link).
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Escapes text the way the templates do, to find catalog text in a page.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// An English UI text as it appears in a page.
pub fn text(key: &str) -> String {
    escape(&Lang::En.tr(key))
}

/// A Chinese UI text as it appears in a page.
pub fn text_zh(key: &str) -> String {
    escape(&Lang::ZhCn.tr(key))
}

/// The `Location` header of a redirect.
pub fn location(r: &Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// The whole `Set-Cookie` header a response sends for `name`, if any.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_string)
}

/// The value of a cookie a response sets, if any.
pub fn cookie_value(r: &Response, name: &str) -> Option<String> {
    set_cookie(r, name).map(|c| c.split(';').next().unwrap()[name.len() + 1..].to_string())
}

/// The `kith` binary for a data folder, without any KITH_* variables from outside.
pub fn kith_cmd(data_dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kith"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KITH_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--data").arg(data_dir);
    cmd
}

/// Runs a command to the end, with optional standard input.
pub async fn run(cmd: std::process::Command, stdin: Option<&str>) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).await.unwrap();
    }
    drop(input);
    child.wait_with_output().await.unwrap()
}

/// Runs `kith --data DIR ARGS...`.
pub async fn kith(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = kith_cmd(data_dir);
    cmd.args(args);
    run(cmd, stdin).await
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a command failed with exactly one line on stderr starting with `kith:`, and
/// returns that line.
pub fn one_line_error(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "expected a failure, got success: {}",
        stdout(o)
    );
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stderr: {err:?}");
    assert!(lines[0].starts_with("kith: "), "{err}");
    lines[0].to_string()
}

/// The record id in a redirect such as `/contacts/12?notice=record_created`.
pub fn id_from(location: &str) -> i64 {
    location
        .split('/')
        .nth(2)
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no record id in {location}"))
}

/// Creates a company or contact through its form as the main client; returns the id.
pub async fn create_record(app: &TestApp, table: &str, fields: &[(&str, &str)]) -> i64 {
    let r = app
        .post_form(&app.client, &format!("/{table}/new"), fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{table} not created");
    id_from(r.headers()["location"].to_str().unwrap())
}

/// Creates a custom role from `from` with the given form fields; returns its key.
pub async fn make_role(app: &TestApp, from: &str, fields: &[(&str, &str)]) -> String {
    let mut all = vec![("based_on", from)];
    all.extend_from_slice(fields);
    let r = app.post_form(&app.client, "/admin/roles/new", &all).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "role not created");
    let loc = location(&r);
    loc.trim_start_matches("/admin/roles/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}
