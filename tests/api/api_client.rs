//! A client of the REST API for the tests: tokens made the way a user makes them, and
//! requests with a bearer token.

use crate::helpers::*;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

/// Makes a token on the account page of `c`'s user and returns it.
pub async fn ui_token(app: &TestApp, c: &Client, name: &str, access: &str) -> String {
    let r = app
        .post_form(c, "/account/tokens", &[("name", name), ("access", access)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let start = html.find("id=\"new-token\">").expect("token shown") + 15;
    let token = html[start..].split('<').next().unwrap().to_string();
    assert!(token.starts_with("kith_"), "{token}");
    token
}

pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub http: Client,
}

impl<'a> Api<'a> {
    pub fn new(app: &'a TestApp, token: &str) -> Api<'a> {
        Api {
            app,
            token: token.to_string(),
            http: bare_client(),
        }
    }
    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.app.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    pub async fn patch(&self, path: &str, version: Option<i64>, body: Value) -> Response {
        let mut req = self
            .http
            .patch(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body);
        if let Some(v) = version {
            req = req.header("if-match", format!("\"{v}\""));
        }
        req.send().await.unwrap()
    }
    pub async fn delete(&self, path: &str) -> Response {
        self.http
            .delete(self.app.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }
}

pub async fn json_of(r: Response) -> Value {
    r.json().await.unwrap()
}

pub async fn admin_api(app: &TestApp) -> Api<'_> {
    app.complete_setup().await;
    let token = ui_token(app, &app.client, "ERP sync", "write").await;
    Api::new(app, &token)
}

/// A user made by the admin with this role, and their write token.
pub async fn user_api<'a>(app: &'a TestApp, email: &str, name: &str, role: &str) -> Api<'a> {
    app.create_user(email, name, role, PASSWORD).await;
    let c = app.signed_in_client(email, PASSWORD).await;
    let token = ui_token(app, &c, name, "write").await;
    Api::new(app, &token)
}

/// The `data` of an answer, checking its status first.
pub async fn data_of(r: Response, status: StatusCode) -> Value {
    let got = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body["data"].clone()
}

/// The ids of a list page's items.
pub fn ids_of(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// Every id of a list read page by page (`limit` per page), with `between` run after each
/// page so rows can be added while the pages are read.
pub async fn all_pages<F, Fut>(api: &Api<'_>, path: &str, limit: usize, mut between: F) -> Vec<i64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for n in 0.. {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let r = api.get(&url).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let page = json_of(r).await;
        seen.extend(ids_of(&page));
        between(n).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen
}

/// Asserts a list read while rows were added neither repeated nor skipped any of `expected`.
pub fn assert_each_once(seen: &[i64], expected: &[i64]) {
    let mut unique = seen.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no repeats in {seen:?}");
    for id in expected {
        assert!(seen.contains(id), "{id} not skipped in {seen:?}");
    }
}
