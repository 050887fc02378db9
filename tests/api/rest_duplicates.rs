//! The REST API warns about duplicates as the create form does: a new company, contact or
//! lead that shares a phone, email or company name with one on file is refused with 409
//! listing the matches (a match the caller may not open only by its owner) until the client
//! says `allow_duplicate=true`.

use crate::api_client::*;
use crate::helpers::*;
use kith::web::i18n::Lang;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `error` of a refused create, checking it is the duplicate warning.
async fn duplicate_error(r: reqwest::Response) -> Value {
    let status = r.status();
    let body = json_of(r).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "duplicate", "{body}");
    body["error"].clone()
}

async fn id_of(r: reqwest::Response) -> i64 {
    data_of(r, StatusCode::CREATED).await["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_contact_with_the_mobile_of_another_in_another_format_answers_409_naming_it() {
    // Arrange
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let existing = id_of(
        api.post(
            "/api/v1/contacts",
            json!({"name": "王总", "mobile": "13800138000"}),
        )
        .await,
    )
    .await;

    // Act
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "王先生", "mobile": "+86 138-0013-8000"}),
        )
        .await;

    // Assert
    let e = duplicate_error(r).await;
    assert_eq!(e["message"], Lang::En.tr("api.duplicate"), "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("allow_duplicate=true")
    );
    assert_eq!(
        e["duplicates"],
        json!([{"id": existing, "name": "王总", "owner": ADMIN_NAME, "matched": "mobile"}])
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), 1);
}

#[tokio::test]
async fn a_duplicate_is_created_when_the_client_allows_it() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let body = json!({"name": "王总", "mobile": "13800138000", "email": "wang@example.cn"});
    id_of(api.post("/api/v1/contacts", body.clone()).await).await;

    let r = api
        .post("/api/v1/contacts?allow_duplicate=true", body.clone())
        .await;
    let created = data_of(r, StatusCode::CREATED).await;
    assert_eq!(created["name"], "王总");
    let r = api.post("/api/v1/contacts?allow_duplicate=1", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), 3);
}

#[tokio::test]
async fn a_duplicate_the_caller_may_not_open_is_named_by_its_owner_only() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let lilei = user_api(&app, "lilei@huaxing.cn", "李雷", "sales").await;
    let hanmei = user_api(&app, "hanmei@huaxing.cn", "韩梅", "sales").await;
    let theirs = id_of(
        lilei
            .post(
                "/api/v1/contacts",
                json!({"name": "乙的客户", "mobile": "13800138000"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        hanmei
            .get(&format!("/api/v1/contacts/{theirs}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "the other rep's contact is out of reach"
    );

    let r = hanmei
        .post(
            "/api/v1/contacts",
            json!({"name": "新客户", "mobile": "+86 138-0013-8000"}),
        )
        .await;

    let mut e = duplicate_error(r).await;
    assert_eq!(
        e["duplicates"],
        json!([{"hidden": true, "owner": "李雷", "matched": "mobile"}])
    );
    // Everything the answer says, but the random request id.
    e.as_object_mut().unwrap().remove("request_id");
    let text = e.to_string();
    for secret in ["乙的客户", "13800138000", "0013"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let r = hanmei
        .post(
            "/api/v1/contacts?allow_duplicate=true",
            json!({"name": "新客户", "mobile": "+86 138-0013-8000"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_company_with_the_same_name_answers_409() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let existing = id_of(
        api.post("/api/v1/companies", json!({"name": COMPANY}))
            .await,
    )
    .await;

    for name in [COMPANY, "华星科技"] {
        let r = api.post("/api/v1/companies", json!({"name": name})).await;
        let e = duplicate_error(r).await;
        assert_eq!(
            e["duplicates"],
            json!([{"id": existing, "name": COMPANY, "owner": ADMIN_NAME, "matched": "name"}]),
            "{name}"
        );
    }
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), 1);
}

#[tokio::test]
async fn a_record_like_no_other_is_created_at_once() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    id_of(
        api.post(
            "/api/v1/contacts",
            json!({"name": "王总", "mobile": "13800138000", "email": "wang@example.cn"}),
        )
        .await,
    )
    .await;

    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "王总", "mobile": "13900139000", "email": "li@example.cn"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "a shared name alone is no duplicate of a contact"
    );
    let r = api
        .post(
            "/api/v1/leads",
            json!({"name": "李娜", "mobile": "13700137000"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_openapi_document_shows_which_creates_warn_about_duplicates() {
    let app = spawn_app().await;
    let doc = json_of(
        bare_client()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;

    for (collection, warns) in [
        ("companies", true),
        ("contacts", true),
        ("leads", true),
        ("deals", false),
        ("products", false),
    ] {
        let post = &doc["paths"][format!("/api/v1/{collection}")]["post"];
        assert_eq!(
            post["responses"].get("409").is_some(),
            warns,
            "{collection}"
        );
        let allow = post["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "allow_duplicate"));
        assert_eq!(allow, warns, "{collection}");
    }
    let error = &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"];
    assert!(error["duplicates"].is_object(), "{error}");
}
