//! Test harness: a real Kith server on port 0 with a fresh data folder per test.

use kith::config::Config;
use kith::server::{self, AppState};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A password that passes the policy.
pub const PASSWORD: &str = "plum blossoms in winter";
/// The administrator created by [`TestApp::complete_setup`].
pub const ADMIN: &str = "wang@huaxing.cn";

/// One running server and a browser-like client.
pub struct TestApp {
    pub address: String,
    pub state: actix_web::web::Data<AppState>,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.data.dir = dir.to_path_buf();
    config.server.workers = 1;
    config.data.read_connections = 2;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    adjust(&mut config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = actix_web::web::Data::new(AppState::new(config).unwrap());
    let server = server::build(state.clone(), listener).unwrap();
    tokio::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        client: client(),
        dir,
    }
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("no csrf field in page") + marker.len();
    html[start..start + 64].to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, c: &Client, path: &str) -> reqwest::Response {
        c.get(self.url(path)).send().await.unwrap()
    }

    /// Status and body of a page.
    pub async fn page(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let r = self.get(c, path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token this client's forms carry (from a page it can see).
    pub async fn csrf(&self, c: &Client) -> String {
        let (status, html) = self.page(c, "/account").await;
        if status == StatusCode::OK {
            return csrf_in(&html);
        }
        csrf_in(&self.page(c, "/login").await.1)
    }

    /// Posts a form with this client's CSRF token added.
    pub async fn post(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf(c).await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &token));
        c.post(self.url(path)).form(&form).send().await.unwrap()
    }

    pub fn setup_token(&self) -> String {
        self.state.setup.token().expect("setup is pending")
    }

    pub fn setup_form(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("name", "华星科技有限公司"),
            ("currency", "CNY"),
            ("time_zone", "Asia/Shanghai"),
            ("language", "zh-CN"),
            ("admin_name", "王芳"),
            ("admin_email", ADMIN),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]
    }

    /// Runs first-run setup; `self.client` is then signed in as the administrator.
    pub async fn complete_setup(&self) {
        let path = format!("/setup/{}", self.setup_token());
        let fields = self.setup_form();
        let r = self.post(&self.client, &path, &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "setup failed");
    }

    /// Creates a user as the signed-in administrator and returns the id.
    pub async fn create_user(&self, email: &str, name: &str, role: &str) -> i64 {
        let r = self
            .post(
                &self.client,
                "/admin/users/new",
                &[
                    ("email", email),
                    ("name", name),
                    ("role", role),
                    ("language", ""),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "user not created");
        self.query_i64(&format!("SELECT id FROM users WHERE email = '{email}'"))
    }

    /// Signs a client in; returns the response.
    pub async fn login(&self, c: &Client, email: &str, password: &str) -> reqwest::Response {
        self.post(
            c,
            "/login",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }

    /// A second browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let c = client();
        let r = self.login(&c, email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email} failed");
        c
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("kith.db")
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).unwrap()
    }

    pub fn query_i64(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
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
}

/// The `kith` binary with a data folder, without any KITH_* variables from outside.
pub fn kith(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KITH_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--data").arg(data);
    cmd
}

/// Runs a command with optional standard input.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
