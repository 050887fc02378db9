//! Exporting list views: CSV with a byte-order mark and XLSX, the list's filters, formula
//! injection neutralized, within the export scope and field rules, audited.

use crate::helpers::*;
use reqwest::StatusCode;

async fn export(app: &TestApp, c: &reqwest::Client, path: &str) -> (StatusCode, Vec<u8>) {
    let r = app.get_as(c, path).await;
    let status = r.status();
    (status, r.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte-order mark"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn a_filtered_list_exports_to_csv_and_xlsx_with_formulas_neutralized() {
    let app = spawn_app().await;
    app.complete_setup().await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "张伟"),
            ("mobile", "13800138000"),
            ("status", "customer"),
            ("notes", "老客户, 复购两次"),
        ],
    )
    .await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "=HYPERLINK(\"http://evil\",\"x\")"),
            ("status", "customer"),
        ],
    )
    .await;
    create_record(&app, "contacts", &[("name", "李娜"), ("status", "lead")]).await;

    let (status, bytes) = export(
        &app,
        &app.client,
        "/contacts/export?format=csv&status=customer&sort=name",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 3, "header and the two customers: {rows:?}");
    assert_eq!(rows[0][0], "ID");
    assert!(rows[0].contains(&"Name".to_string()), "{:?}", rows[0]);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert!(names.contains(&"张伟"));
    assert!(
        names.contains(&"'=HYPERLINK(\"http://evil\",\"x\")"),
        "{names:?}"
    );
    let zhang = rows.iter().find(|r| r[1] == "张伟").unwrap();
    assert!(zhang.contains(&"老客户, 复购两次".to_string()));
    assert!(
        zhang.contains(&"Customer".to_string()),
        "labels, not codes: {zhang:?}"
    );

    let r = app.get("/contacts/export?format=xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<String> = sheet
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert_eq!(sheet.height(), 4);
    assert!(cells.contains(&"李娜".to_string()));
    assert!(cells.iter().any(|c| c.starts_with("'=HYPERLINK")));

    let (status, _) = export(&app, &app.client, "/contacts/export?format=pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let audit = app.query_string(
        "SELECT changes FROM audit_log WHERE action = 'contact.export' ORDER BY id LIMIT 1",
    );
    assert!(audit.contains("status=customer"), "{audit}");
    assert_eq!(
        app.query_i64("SELECT count(*) FROM audit_log WHERE action = 'contact.export'"),
        2
    );
}

#[tokio::test]
async fn exports_stay_within_the_export_scope_and_leave_hidden_fields_out() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.post_form(
        &app.client,
        "/admin/departments",
        &[("name", "华东区"), ("parent_id", "")],
    )
    .await;
    let dept = app.query_i64("SELECT id FROM departments").to_string();
    let key = make_role(
        &app,
        "manager",
        &[
            ("name", "区域经理（不看手机）"),
            ("f.contacts.mobile", "hidden"),
        ],
    )
    .await;
    let manager = app
        .create_user("mgr@huaxing.cn", "经理", &key, PASSWORD)
        .await;
    let rep = app
        .create_user("rep@huaxing.cn", "销售", "sales", PASSWORD)
        .await;
    for user in [manager, rep] {
        app.post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &user.to_string()),
                ("department_id", &dept),
                ("manager_id", ""),
            ],
        )
        .await;
    }
    let rep_c = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "总部客户"),
            ("mobile", "13900139000"),
            ("status", "lead"),
        ],
    )
    .await;
    let r = app
        .post_form(
            &rep_c,
            "/contacts/new",
            &[
                ("name", "区域客户"),
                ("mobile", "13700137000"),
                ("status", "lead"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (status, _) = export(&app, &rep_c, "/contacts/export?format=csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a sales rep may not export");

    let mgr_c = app.signed_in_client("mgr@huaxing.cn", PASSWORD).await;
    let (status, bytes) = export(&app, &mgr_c, "/contacts/export?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 2, "only the department's contact: {rows:?}");
    assert_eq!(rows[1][1], "区域客户");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("13700137000") && !text.contains("137 0013 7000"),
        "{text}"
    );
    assert!(!rows[0].contains(&"Mobile".to_string()));
}

#[tokio::test]
async fn the_command_line_exports_every_live_record() {
    let app = spawn_app().await;
    app.complete_setup().await;
    create_record(
        &app,
        "companies",
        &[("name", "华北物流"), ("status", "lead")],
    )
    .await;
    let gone = create_record(
        &app,
        "companies",
        &[("name", "已删除公司"), ("status", "lead")],
    )
    .await;
    app.post_form(&app.client, &format!("/companies/{gone}/delete"), &[])
        .await;
    let out = app.dir.path().join("companies.csv");
    let o = kith(
        app.dir.path(),
        &[
            "export",
            "companies",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&std::fs::read(&out).unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], "华北物流");
    let bad = kith(
        app.dir.path(),
        &["export", "widgets", "--out", out.to_str().unwrap()],
        None,
    )
    .await;
    assert!(!bad.status.success());
}
