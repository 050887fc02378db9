//! The user directory and tags over the REST API: users are read-only and only for those who
//! may manage users, never with a password hash; tags are listed and made, not changed.

use crate::api_client::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_user_directory_is_read_only_and_shows_no_secrets() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let rep = user_api(&app, "rep@huaxing.cn", "李雷", "sales").await;
    let rep_id = app.user_id("rep@huaxing.cn");

    let page = json_of(api.get("/api/v1/users").await).await;
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["李雷", ADMIN_NAME], "by name");
    let text = page.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
    let sales = json_of(api.get("/api/v1/users?role=sales").await).await;
    assert_eq!(ids_of(&sales), [rep_id]);

    let r = api.get(&format!("/api/v1/users/{rep_id}")).await;
    assert!(r.headers().contains_key("etag"));
    let one = data_of(r, StatusCode::OK).await;
    assert_eq!(one["email"], "rep@huaxing.cn");
    assert_eq!(one["role"], "sales");
    assert_eq!(one["active"], true);

    for r in [
        api.post(
            "/api/v1/users",
            json!({"name": "x", "email": "x@huaxing.cn"}),
        )
        .await,
        api.patch(
            &format!("/api/v1/users/{rep_id}"),
            Some(1),
            json!({"role": "admin"}),
        )
        .await,
        api.delete(&format!("/api/v1/users/{rep_id}")).await,
    ] {
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        let e = json_of(r).await["error"].clone();
        assert_eq!(e["code"], "method_not_allowed");
        assert!(e["request_id"].is_string(), "{e}");
    }
    assert_eq!(
        app.query_string(&format!("SELECT role FROM users WHERE id = {rep_id}")),
        "sales"
    );
    let r = rep.get("/api/v1/users").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "as /admin/users");
    let r = rep.get(&format!("/api/v1/users/{rep_id}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{rep_id}/status"),
            &[("action", "disable")],
        )
        .await;
    assert!(r.status().is_redirection());
    let disabled = json_of(api.get("/api/v1/users?active=false").await).await;
    assert_eq!(ids_of(&disabled), [rep_id]);
    assert!(disabled["data"][0]["disabled_at"].is_string());
}

#[tokio::test]
async fn directory_pages_neither_skip_nor_repeat_while_users_are_added() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let mut expected = vec![app.user_id(ADMIN_EMAIL)];
    for i in 0..6 {
        let email = format!("u{i}@huaxing.cn");
        expected.push(
            app.create_user(&email, &format!("销售{i}"), "sales", PASSWORD)
                .await,
        );
    }
    for sort in ["name", "-created_at"] {
        let seen = all_pages(&api, &format!("/api/v1/users?sort={sort}"), 2, |n| {
            let app = &app;
            async move {
                let email = format!("new{sort}{n}@huaxing.cn");
                app.create_user(&email, &format!("A{n}"), "sales", PASSWORD)
                    .await;
            }
        })
        .await;
        assert_each_once(&seen, &expected);
    }
}

#[tokio::test]
async fn tags_are_listed_to_those_who_see_records_and_made_by_those_who_edit_them() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let viewer = user_api(&app, "viewer@huaxing.cn", "韩梅", "viewer").await;

    let r = api
        .post(
            "/api/v1/tags",
            json!({"name": " 高活跃度 ", "color": "red"}),
        )
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let tag = data_of(r, StatusCode::CREATED).await;
    assert_eq!(tag["name"], "高活跃度");
    assert_eq!(tag["color"], "red");
    let auto = data_of(
        api.post("/api/v1/tags", json!({"name": "价格敏感型"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(auto["color"].is_string(), "a colour is chosen: {auto}");
    assert!(app.audit_actions().contains(&"tag.create".to_string()));

    let r = api.post("/api/v1/tags", json!({"name": "高活跃度"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = api
        .post("/api/v1/tags", json!({"name": "a,b", "colour": "red"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["colour"].is_string());
    let r = api
        .post("/api/v1/tags", json!({"name": "a,b", "color": "red"}))
        .await;
    assert!(json_of(r).await["error"]["fields"]["name"].is_string());
    let r = api
        .post("/api/v1/tags", json!({"name": "新", "color": "navy"}))
        .await;
    assert!(json_of(r).await["error"]["fields"]["color"].is_string());

    let listed = json_of(viewer.get("/api/v1/tags?q=价格").await).await;
    assert_eq!(ids_of(&listed), [auto["id"].as_i64().unwrap()]);
    assert_eq!(viewer.get(&location).await.status(), StatusCode::OK);
    let r = viewer.post("/api/v1/tags", json!({"name": "新客户"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a viewer edits nothing");
    let r = api.patch(&location, Some(1), json!({"name": "x"})).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        api.delete(&location).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    let mut expected = vec![tag["id"].as_i64().unwrap(), auto["id"].as_i64().unwrap()];
    for i in 0..5 {
        let r = api
            .post("/api/v1/tags", json!({"name": format!("标签{i}")}))
            .await;
        expected.push(
            data_of(r, StatusCode::CREATED).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let seen = all_pages(&api, "/api/v1/tags?sort=-name", 3, |n| {
        let api = &api;
        async move {
            api.post("/api/v1/tags", json!({"name": format!("标签{n}b")}))
                .await;
        }
    })
    .await;
    assert_each_once(&seen, &expected);
}
