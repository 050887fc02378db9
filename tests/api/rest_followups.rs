//! Follow-ups and tasks over the REST API: logged on a record the user may edit, visible only
//! with a record the user can see, tasks ticked off at their version, cursor pages.

use crate::api_client::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Makes an item by API and returns its id.
async fn made(api: &Api<'_>, path: &str, body: Value) -> i64 {
    data_of(api.post(path, body).await, StatusCode::CREATED).await["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_follow_up_is_logged_on_a_record_by_api_and_makes_its_task() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let company = made(&api, "/api/v1/companies", json!({"name": "华东重工"})).await;
    let contact = made(
        &api,
        "/api/v1/contacts",
        json!({"name": "张伟", "company_id": company}),
    )
    .await;

    let r = api
        .post(
            "/api/v1/activities",
            json!({"contact_id": contact, "kind": "call", "outcome": "interested",
                   "body": "聊了二期报价", "next_follow_up": "2030-01-02"}),
        )
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let logged = data_of(r, StatusCode::CREATED).await;
    assert_eq!(logged["kind"], "call");
    assert_eq!(logged["contact_id"], contact);
    assert_eq!(logged["company_id"], company, "the contact's company too");
    assert_eq!(logged["author"], ADMIN_NAME);
    assert_eq!(
        data_of(api.get(&location).await, StatusCode::OK).await,
        logged
    );
    let on_company = json_of(
        api.get(&format!("/api/v1/activities?company_id={company}"))
            .await,
    )
    .await;
    assert_eq!(ids_of(&on_company), [logged["id"].as_i64().unwrap()]);
    let tasks = json_of(
        api.get(&format!("/api/v1/tasks?contact_id={contact}"))
            .await,
    )
    .await;
    assert_eq!(tasks["data"][0]["due_date"], "2030-01-02");
    assert_eq!(tasks["data"][0]["assignee_id"], app.user_id(ADMIN_EMAIL));

    let r = api.patch(&location, Some(1), json!({"body": "改了"})).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "a log");
    assert_eq!(
        api.delete(&location).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"activity.create".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"task.create".to_string()), "{actions:?}");

    let bad = [
        (
            json!({"contact_id": contact, "kind": "fax", "body": ""}),
            vec!["kind", "body"],
        ),
        (json!({"kind": "call", "body": "x"}), vec!["company_id"]),
        (
            json!({"company_id": 99999, "kind": "call", "body": "x"}),
            vec!["company_id"],
        ),
        (
            json!({"company_id": company, "contact_id": contact, "kind": "call", "body": "x"}),
            vec!["contact_id"],
        ),
        (
            json!({"company_id": company, "kind": "call", "body": "x", "next": "2030-01-01"}),
            vec!["next"],
        ),
        (
            json!({"company_id": company, "kind": "call", "body": "x", "next_follow_up": "2030-02-30"}),
            vec!["next_follow_up"],
        ),
    ];
    for (body, fields) in bad {
        let r = api.post("/api/v1/activities", body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = json_of(r).await["error"].clone();
        for f in fields {
            assert!(e["fields"][f].is_string(), "{f} named for {body}: {e}");
        }
    }
    assert_eq!(app.query_i64("SELECT count(*) FROM activities"), 1);
    let r = api.get("/api/v1/activities?kind=fax").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_task_is_ticked_off_and_reopened_at_its_version() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let company = made(&api, "/api/v1/companies", json!({"name": "华北物流"})).await;
    let r = api
        .post(
            "/api/v1/tasks",
            json!({"company_id": company, "title": "寄样品", "due_date": "2030-03-01"}),
        )
        .await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let task = data_of(r, StatusCode::CREATED).await;
    assert_eq!(task["done"], false);
    assert_eq!(task["assignee_name"], ADMIN_NAME);

    let done = data_of(
        api.patch(&location, Some(1), json!({"done": true})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["done"], true);
    assert!(done["done_at"].is_string());
    assert_eq!(done["version"], 2);
    let r = api.patch(&location, Some(1), json!({"done": false})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = api.patch(&location, None, json!({"done": false})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .patch(
            &location,
            Some(2),
            json!({"title": "寄合同", "done": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["title"].is_string());
    let mut sent_back = done.clone();
    sent_back["done"] = json!(false);
    let open = data_of(
        api.patch(&location, Some(2), sent_back).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(open["done"], false, "unchanged fields may come back");
    assert_eq!(
        api.delete(&location).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let open_ones = json_of(api.get("/api/v1/tasks?done=false").await).await;
    assert_eq!(ids_of(&open_ones), [task["id"].as_i64().unwrap()]);
    let actions = app.audit_actions();
    for a in ["task.create", "task.done", "task.reopen"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let r = api
        .post(
            "/api/v1/tasks",
            json!({"company_id": company, "title": " ", "due_date": "3/1"}),
        )
        .await;
    let e = json_of(r).await["error"].clone();
    assert!(
        e["fields"]["title"].is_string() && e["fields"]["due_date"].is_string(),
        "{e}"
    );
}

#[tokio::test]
async fn another_reps_follow_ups_and_tasks_are_not_found() {
    let app = spawn_app().await;
    let admin = admin_api(&app).await;
    let rep = user_api(&app, "rep@huaxing.cn", "李雷", "sales").await;
    let viewer = user_api(&app, "viewer@huaxing.cn", "韩梅", "viewer").await;
    let rep_id = app.user_id("rep@huaxing.cn");
    let theirs = made(&admin, "/api/v1/contacts", json!({"name": "王总"})).await;
    let mine = made(&rep, "/api/v1/contacts", json!({"name": "赵总"})).await;

    let note = json!({"contact_id": theirs, "kind": "note", "body": "内部备注"});
    let hidden = made(&admin, "/api/v1/activities", note).await;
    let task = json!({"contact_id": theirs, "title": "回访"});
    let hidden_task = made(&admin, "/api/v1/tasks", task).await;
    let own = json!({"contact_id": mine, "kind": "visit", "body": "拜访"});
    let own = made(&rep, "/api/v1/activities", own).await;

    let path = format!("/api/v1/activities/{hidden}");
    assert_eq!(rep.get(&path).await.status(), StatusCode::NOT_FOUND);
    let task_path = format!("/api/v1/tasks/{hidden_task}");
    assert_eq!(rep.get(&task_path).await.status(), StatusCode::NOT_FOUND);
    let r = rep.patch(&task_path, Some(1), json!({"done": true})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        ids_of(&json_of(rep.get("/api/v1/activities").await).await),
        [own]
    );
    let r = rep
        .get(&format!("/api/v1/activities?contact_id={theirs}"))
        .await;
    assert!(ids_of(&json_of(r).await).is_empty());
    assert!(ids_of(&json_of(rep.get("/api/v1/tasks").await).await).is_empty());
    let r = rep
        .post(
            "/api/v1/activities",
            json!({"contact_id": theirs, "kind": "call", "body": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["contact_id"].is_string());

    // A task given to the rep is theirs to see and tick off, whoever's record it is on.
    let given = json!({"contact_id": theirs, "title": "送资料", "assignee_id": rep_id});
    let given = made(&admin, "/api/v1/tasks", given).await;
    let given_path = format!("/api/v1/tasks/{given}");
    let r = rep.patch(&given_path, Some(1), json!({"done": true})).await;
    assert_eq!(data_of(r, StatusCode::OK).await["done"], true);
    let r = rep
        .post(
            "/api/v1/tasks",
            json!({"contact_id": mine, "title": "x", "assignee_id": app.user_id(ADMIN_EMAIL)}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not outside the rep's scope"
    );

    // A viewer sees the follow-up but may not log one: the right is missing.
    assert_eq!(viewer.get(&path).await.status(), StatusCode::OK);
    let r = viewer
        .post(
            "/api/v1/activities",
            json!({"contact_id": theirs, "kind": "call", "body": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer
        .patch(&task_path, Some(1), json!({"done": true}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn follow_up_and_task_pages_neither_skip_nor_repeat_while_more_are_logged() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let company = made(&api, "/api/v1/companies", json!({"name": "华南电子"})).await;
    let (mut activities, mut tasks) = (Vec::new(), Vec::new());
    for i in 0..11 {
        let note = json!({"company_id": company, "kind": "note", "body": format!("记录{i}")});
        activities.push(made(&api, "/api/v1/activities", note).await);
        let due = (i % 3 != 0).then(|| format!("2030-01-{:02}", 10 - i % 5));
        let task = json!({"company_id": company, "title": format!("任务{i}"), "due_date": due});
        tasks.push(made(&api, "/api/v1/tasks", task).await);
    }
    let seen = all_pages(&api, "/api/v1/activities", 4, |_| {
        let api = &api;
        async move {
            let note = json!({"company_id": company, "kind": "call", "body": "新"});
            api.post("/api/v1/activities", note).await;
        }
    })
    .await;
    assert_each_once(&seen, &activities);
    for sort in ["due_date", "-due_date", "created_at"] {
        let seen = all_pages(&api, &format!("/api/v1/tasks?sort={sort}"), 4, |n| {
            let api = &api;
            async move {
                let due = (n % 2 == 0).then_some("2030-01-07");
                let task = json!({"company_id": company, "title": "新", "due_date": due});
                api.post("/api/v1/tasks", task).await;
            }
        })
        .await;
        assert_each_once(&seen, &tasks);
    }
}
