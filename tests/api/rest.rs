//! The REST API: tokens, CRUD on records with versions, errors in one shape, permissions,
//! cursor pages, the rate limit and the OpenAPI document.

use crate::api_client::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_contact_goes_through_its_whole_life_by_api_and_every_step_is_audited() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;

    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "张伟", "mobile": "+86 138-0013-8000", "email": "ZW@Example.cn", "custom": {}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created = json_of(r).await["data"].clone();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/contacts/{id}"));
    assert_eq!(created["name"], "张伟");
    assert_eq!(created["email"], "zw@example.cn");
    assert_eq!(created["version"], 1);
    assert_eq!(created["owner_name"], ADMIN_NAME);

    let r = api.get(&location).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let got = json_of(r).await["data"].clone();
    assert_eq!(got["mobile"], created["mobile"]);

    let r = api
        .patch(&location, Some(1), json!({"title": "采购经理"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let changed = json_of(r).await["data"].clone();
    assert_eq!(changed["title"], "采购经理");
    assert_eq!(changed["name"], "张伟", "fields not sent stay");
    assert_eq!(changed["version"], 2);

    let r = api
        .patch(&location, Some(1), json!({"title": "总经理"}))
        .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(json_of(r).await["error"]["code"], "precondition_failed");
    let r = api.patch(&location, None, json!({"title": "总经理"})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .patch(&location, None, json!({"title": "总经理", "version": 2}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "a version in the body does too");

    assert_eq!(api.delete(&location).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(api.get(&location).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.delete(&location).await.status(), StatusCode::NOT_FOUND);
    let deleted: i64 = app.query_i64(&format!(
        "SELECT count(*) FROM contacts WHERE id = {id} AND deleted_at IS NOT NULL"
    ));
    assert_eq!(deleted, 1, "in the trash, not gone");
    let actions = app.audit_actions();
    for a in [
        "token.create",
        "contact.create",
        "contact.update",
        "contact.delete",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let actor = app.query_string("SELECT actor FROM audit_log WHERE action = 'contact.create'");
    assert_eq!(actor, ADMIN_EMAIL);
}

#[tokio::test]
async fn bad_input_answers_422_naming_each_field() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;

    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "", "email": "not-an-email"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e = json_of(r).await["error"].clone();
    assert_eq!(e["code"], "validation_failed");
    assert!(e["fields"]["name"].is_string(), "{e}");
    assert!(e["fields"]["email"].is_string(), "{e}");

    let r = api
        .post("/api/v1/contacts", json!({"name": "李娜", "nmae": "x"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["nmae"].is_string());

    let r = api
        .http
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(&api.token)
        .body("[1, 2]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = api
        .post(
            "/api/v1/deals",
            json!({"name": "年度框架", "company_id": 999, "amount": "12.345"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e = json_of(r).await["error"].clone();
    assert!(e["fields"]["company_id"].is_string(), "{e}");
    assert!(e["fields"]["amount"].is_string(), "{e}");
    assert_eq!(app.query_i64("SELECT count(*) FROM deals"), 0);
}

#[tokio::test]
async fn deals_name_their_company_by_id_and_keep_amounts_exact() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let company = json_of(
        api.post("/api/v1/companies", json!({"name": "华东重工"}))
            .await,
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();

    let r = api
        .post(
            "/api/v1/deals",
            json!({"name": "二期扩容", "company_id": company, "amount": 1234567.89}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let deal = json_of(r).await["data"].clone();
    assert_eq!(deal["company_id"], company);
    assert_eq!(deal["company_name"], "华东重工");
    assert_eq!(deal["amount"], "1234567.89");
    assert_eq!(deal["currency"], "CNY");
    assert!(deal["stage_id"].is_i64(), "{deal}");
    assert_eq!(
        app.query_i64("SELECT amount FROM deals"),
        123456789,
        "stored in whole cents"
    );

    let r = api
        .post(
            "/api/v1/deals",
            json!({"name": "三期", "company_id": "华东重工", "amount": "50"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "or by name");
}

#[tokio::test]
async fn tokens_are_refused_when_missing_wrong_revoked_read_only_or_of_a_disabled_user() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    app.create_user("rep@huaxing.cn", "李雷", "sales", PASSWORD)
        .await;
    let rep = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let read = Api::new(&app, &ui_token(&app, &rep, "BI", "read").await);
    let write = Api::new(&app, &ui_token(&app, &rep, "OA", "write").await);

    let r = bare_client()
        .get(app.url("/api/v1/contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(r).await["error"]["code"], "unauthorized");
    let r = Api::new(&app, "kith_wrong").get("/api/v1/contacts").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app.get("/api/v1/contacts").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a browser session is not an API credential"
    );

    assert_eq!(read.get("/api/v1/contacts").await.status(), StatusCode::OK);
    let r = read
        .post("/api/v1/contacts", json!({"name": "韩梅梅"}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        write
            .post("/api/v1/contacts", json!({"name": "韩梅梅"}))
            .await
            .status(),
        StatusCode::CREATED
    );

    let used = app.query_i64("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL");
    assert_eq!(used, 2, "last use is recorded");
    let (_, html) = app.get_html_as(&rep, "/account/tokens").await;
    assert!(html.contains("BI") && html.contains("OA"));
    assert!(!html.contains(&read.token), "a token is shown only once");

    let id = app.query_i64("SELECT id FROM api_tokens WHERE name = 'BI'");
    let r = app
        .post_form(&rep, &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        read.get("/api/v1/contacts").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let other = app.query_i64("SELECT id FROM api_tokens WHERE name = 'ERP sync'");
    let r = app
        .post_form(&rep, &format!("/account/tokens/{other}/revoke"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "not someone else's token"
    );
    assert_eq!(api.get("/api/v1/contacts").await.status(), StatusCode::OK);

    let rep_id = app.user_id("rep@huaxing.cn");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{rep_id}/status"),
            &[("action", "disable")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(
        write.get("/api/v1/contacts").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app.audit_actions().contains(&"token.revoke".to_string()));
}

#[tokio::test]
async fn a_token_sees_and_changes_only_what_its_user_may() {
    let app = spawn_app().await;
    let admin = admin_api(&app).await;
    app.create_user("rep@huaxing.cn", "李雷", "sales", PASSWORD)
        .await;
    app.create_user("viewer@huaxing.cn", "韩梅", "viewer", PASSWORD)
        .await;
    let rep_c = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let viewer_c = app.signed_in_client("viewer@huaxing.cn", PASSWORD).await;
    let rep = Api::new(&app, &ui_token(&app, &rep_c, "rep", "write").await);
    let viewer = Api::new(&app, &ui_token(&app, &viewer_c, "viewer", "write").await);

    let theirs = json_of(
        admin
            .post(
                "/api/v1/contacts",
                json!({"name": "王总", "mobile": "13800138000"}),
            )
            .await,
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();
    let mine =
        json_of(rep.post("/api/v1/contacts", json!({"name": "赵总"})).await).await["data"]["id"]
            .as_i64()
            .unwrap();

    let listed = json_of(rep.get("/api/v1/contacts").await).await;
    let ids: Vec<i64> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![mine]);
    let other = format!("/api/v1/contacts/{theirs}");
    assert_eq!(rep.get(&other).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        rep.patch(&other, Some(1), json!({"name": "x"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(rep.delete(&other).await.status(), StatusCode::NOT_FOUND);
    let admin_id = app.user_id(ADMIN_EMAIL);
    let r = rep
        .post(
            "/api/v1/contacts",
            json!({"name": "钱总", "owner_id": admin_id}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not outside the create scope"
    );

    let seen = json_of(viewer.get(&other).await).await["data"].clone();
    assert_eq!(seen["name"], "王总");
    assert!(
        seen.get("mobile").is_none(),
        "a viewer does not see phones: {seen}"
    );
    let listed = json_of(viewer.get("/api/v1/contacts?mobile=13800138000").await).await;
    assert!(listed["data"][0].get("mobile").is_none());
    assert_eq!(
        viewer
            .post("/api/v1/contacts", json!({"name": "孙总"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn cursor_pages_neither_skip_nor_repeat_while_records_are_added() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let mut expected = Vec::new();
    for i in 0..23 {
        let r = api
            .post("/api/v1/companies", json!({"name": format!("公司{i:02}")}))
            .await;
        expected.push(json_of(r).await["data"]["id"].as_i64().unwrap());
    }
    for sort in ["name", "-updated_at", "created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/companies?limit=5&sort={sort}&cursor={c}"),
                None => format!("/api/v1/companies?limit=5&sort={sort}"),
            };
            let page = json_of(api.get(&path).await).await;
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap()),
            );
            pages += 1;
            // Something new arrives between every two pages.
            let name = format!("新{sort}{pages}");
            api.post("/api/v1/companies", json!({"name": name})).await;
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no repeats sorting by {sort}");
        for id in &expected {
            assert!(seen.contains(id), "{id} not skipped sorting by {sort}");
        }
    }
    let r = api.get("/api/v1/companies?sort=name&cursor=abc").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        api.get("/api/v1/companies?limit=500").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let found = json_of(api.get("/api/v1/companies?q=公司0").await).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn a_token_over_its_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(|c| c.api.requests_per_minute = 5).await;
    let api = admin_api(&app).await;
    for _ in 0..5 {
        assert_eq!(api.get("/api/v1/companies").await.status(), StatusCode::OK);
    }
    let r = api.get("/api/v1/companies").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(json_of(r).await["error"]["code"], "too_many_requests");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_each_answers() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let doc = json_of(
        bare_client()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for c in COLLECTIONS {
        assert!(paths.contains_key(&format!("/api/v1/{c}")), "{c}");
        assert!(paths.contains_key(&format!("/api/v1/{c}/{{id}}")), "{c}");
    }
    assert_eq!(paths.len(), COLLECTIONS.len() * 2 + 1, "and nothing else");
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["responses"].is_object(), "{method} {path}");
            for r in op["responses"].as_object().unwrap().values() {
                if let Some(s) = r.pointer("/content/application~1json/schema/$ref") {
                    let name = s.as_str().unwrap().rsplit('/').next().unwrap();
                    assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
                }
            }
            if method == "get" {
                let url = path.replace("{id}", "999999");
                let status = api.get(&url).await.status();
                assert!(
                    status == StatusCode::OK
                        || (path.contains("{id}") && status == StatusCode::NOT_FOUND),
                    "GET {path} answered {status}"
                );
            }
        }
        // A collection that takes POST checks the body (an empty one is not enough); one
        // that does not says so with 405.
        if !path.contains("{id}") && !path.ends_with("openapi.json") {
            let status = api.post(path, json!({})).await.status();
            let expected = if ops.get("post").is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::METHOD_NOT_ALLOWED
            };
            assert_eq!(status, expected, "POST {path}");
        }
    }
}

/// Every collection the API serves.
const COLLECTIONS: [&str; 10] = [
    "companies",
    "contacts",
    "leads",
    "deals",
    "products",
    "users",
    "tags",
    "activities",
    "tasks",
    "quotes",
];

#[tokio::test]
async fn the_command_line_makes_a_token_that_works_once_printed() {
    let dir = tempfile::tempdir().unwrap();
    let add = kith(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "erp@huaxing.cn",
            "--name",
            "ERP",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(PASSWORD),
    )
    .await;
    assert!(add.status.success(), "{}", stderr(&add));
    let made = kith(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "erp@huaxing.cn",
            "--name",
            "ERP",
        ],
        None,
    )
    .await;
    assert!(made.status.success(), "{}", stderr(&made));
    let token = stdout(&made).trim().to_string();
    assert!(token.starts_with("kith_"));
    let none = kith(
        dir.path(),
        &["token", "create", "--user", "nobody@x.cn", "--name", "x"],
        None,
    )
    .await;
    assert!(!none.status.success());

    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |c| c.data.dir = path).await;
    let api = Api::new(&app, &token);
    let r = api
        .post("/api/v1/companies", json!({"name": "华北物流"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}
