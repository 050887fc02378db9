//! Undoing an import in batches: each batch its own audited transaction, an undo cut off
//! half-way finished later without touching a record twice, other writes between batches.

use crate::helpers::*;
use crate::imports::{add_importer, data, import};
use crate::imports_web::wait_until;
use kith::crm::imports::undo::{Batch, undo, undo_with};
use kith::db::Actor;
use kith::error::AppError;
use reqwest::StatusCode;
use std::ops::ControlFlow;
use std::time::Duration;

/// Batches bounded by `rows` only.
fn rows(rows: usize) -> Batch {
    Batch {
        rows,
        time: Duration::from_secs(3600),
    }
}

fn audit_is_intact(app: &TestApp) {
    let verdict = kith::audit::verify(&app.db()).unwrap();
    assert!(
        matches!(verdict, kith::audit::Verdict::Intact { .. }),
        "{verdict:?}"
    );
}

/// Audit entries with this action after entry `after`.
fn entries_since(app: &TestApp, after: i64, action: &str) -> i64 {
    app.query_i64(&format!(
        "SELECT count(*) FROM audit_log WHERE id > {after} AND action = '{action}'"
    ))
}

fn marked(app: &TestApp, id: i64) -> i64 {
    app.query_i64(&format!(
        "SELECT count(undone) FROM import_records WHERE import_id = {id}"
    ))
}

/// A set-up server whose importer brought in the Salesforce-style contacts file.
async fn salesforce_contacts_imported() -> TestApp {
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path();
    add_importer(dir).await;
    import(
        dir,
        &data("export-salesforce-style-contacts.csv"),
        "contacts",
        &[],
    )
    .await;
    app
}

#[tokio::test]
async fn an_import_larger_than_a_batch_is_undone_batch_by_batch_with_one_audit_entry_per_record() {
    // Arrange: 300 contacts and the companies they name, created by one import.
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path();
    add_importer(dir).await;
    import(dir, &data("customers-zh-gbk.csv"), "contacts", &[]).await;
    let id = app.query_i64("SELECT max(id) FROM imports");
    let written = app.query_i64(&format!(
        "SELECT count(*) FROM import_records WHERE import_id = {id}"
    ));
    let companies = app.query_i64("SELECT count(*) FROM companies");
    assert!(companies > 100 && written == 300 + companies, "{written}");
    let before = app.query_i64("SELECT max(id) FROM audit_log");
    let trashed = || {
        app.query_i64(
            "SELECT (SELECT count(*) FROM contacts WHERE deleted_at IS NOT NULL)
                  + (SELECT count(*) FROM companies WHERE deleted_at IS NOT NULL)",
        )
    };

    // Act
    let mut seen = Vec::new();
    let actor = Actor::system("test");
    let undone = undo_with(&app.state.db, &actor, id, rows(64), &mut |done, total| {
        // Between batches, another connection sees each batch committed.
        seen.push((done, total, marked(&app, id), trashed()));
        ControlFlow::Continue(())
    })
    .unwrap();

    // Assert
    assert_eq!(undone, Some((0, written as usize)));
    assert!(seen.len() >= (written as usize).div_ceil(64), "{seen:?}");
    let mut last = 0;
    for &(done, total, marks, in_trash) in &seen {
        assert!(done - last <= 64, "a batch of at most 64 records: {seen:?}");
        assert_eq!(total as i64, written);
        assert_eq!((marks, in_trash), (done as i64, done as i64), "{seen:?}");
        last = done;
    }
    assert_eq!(last as i64, written);
    assert_eq!(
        app.query_string(&format!("SELECT state FROM imports WHERE id = {id}")),
        "undone"
    );
    assert_eq!(trashed(), written);
    assert_eq!(entries_since(&app, before, "contact.delete"), 300);
    assert_eq!(entries_since(&app, before, "company.delete"), companies);
    assert_eq!(entries_since(&app, before, "import.undo"), 1);
    let all = app.query_i64(&format!(
        "SELECT count(*) FROM audit_log WHERE id > {before}"
    ));
    assert_eq!(
        all,
        written + 1,
        "one entry per record and one for the undo"
    );
    audit_is_intact(&app);
}

#[tokio::test]
async fn an_undo_cut_off_half_way_is_finished_from_the_page_without_restoring_a_record_twice() {
    // Arrange: 150 contacts, then an import that updated all of them.
    let app = salesforce_contacts_imported().await;
    let status = "SELECT status FROM contacts WHERE email = 'william.lopez29@example.com'";
    let earlier = app.query_string(status);
    let hubspot = data("export-hubspot-style-contacts.csv");
    let start = app.query_i64("SELECT max(id) FROM audit_log");
    import(
        app.dir.path(),
        &hubspot,
        "contacts",
        &["--on-duplicate", "update"],
    )
    .await;
    assert_eq!(app.query_string(status), "prospect");
    // Rows that gave a contact the values it had already changed nothing: no entry.
    let changed = entries_since(&app, start, "contact.update");
    assert!(changed > 40, "{changed}");
    let id = app.query_i64("SELECT max(id) FROM imports");
    let before = app.query_i64("SELECT max(id) FROM audit_log");
    let actor = Actor::system("test");

    // Act: the undo stops after its first batch, as when the server stops.
    let stopped = undo_with(&app.state.db, &actor, id, rows(40), &mut |_, _| {
        ControlFlow::Break(())
    })
    .unwrap();

    // Assert: the import says it is being undone, and how far it got is kept.
    assert_eq!(stopped, None);
    let state = || app.query_string(&format!("SELECT state FROM imports WHERE id = {id}"));
    assert_eq!(state(), "undoing");
    assert_eq!(marked(&app, id), 40);
    let first = entries_since(&app, before, "contact.update");
    assert!(first > 0 && first <= 40, "{first}");
    let (code, html) = app.get_html(&format!("/imports/{id}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        html.contains(&format!("/imports/{id}/undo")),
        "offers to finish"
    );
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "nothing is running"
    );

    // Act: undo again from the page.
    let r = app
        .post_form(&app.client, &format!("/imports/{id}/undo"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_until(&app, id, "undone").await;

    // Assert: every contact restored once, the summary counts both runs.
    assert_eq!(app.query_string(status), earlier);
    assert_eq!(entries_since(&app, before, "contact.update"), changed);
    let distinct = app.query_i64(&format!(
        "SELECT count(DISTINCT entity_id) FROM audit_log WHERE id > {before} AND action = 'contact.update'"
    ));
    assert_eq!(distinct, changed, "no record restored twice");
    assert_eq!(entries_since(&app, before, "import.undo"), 1);
    let restored = app.query_i64(&format!(
        "SELECT count(*) FROM import_records WHERE import_id = {id} AND undone = 'restored'"
    ));
    assert_eq!(restored, 150);
    let summary = app.latest_changes("import.undo");
    assert!(summary.contains("150"), "{summary}");
    audit_is_intact(&app);

    // A second undo is refused, saying why.
    match undo(&app.state.db, &actor, id) {
        Err(AppError::Validation { fields, .. }) => {
            assert_eq!(fields["import"], "import.error.not_undoable")
        }
        other => panic!("{other:?}"),
    }
    let r = app
        .post_form(&app.client, &format!("/imports/{id}/undo"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(entries_since(&app, before, "contact.update"), changed);
}

#[tokio::test]
async fn another_write_commits_between_two_batches_of_an_undo() {
    // Arrange
    let app = salesforce_contacts_imported().await;
    let id = app.query_i64("SELECT max(id) FROM imports");
    let written = app.query_i64(&format!(
        "SELECT count(*) FROM import_records WHERE import_id = {id}"
    ));
    let actor = Actor::system("test");
    let mut other = None;

    // Act: after the first batch, someone else saves (on another thread, as a request
    // would); the undo goes on only once that save has committed.
    let undone = undo_with(&app.state.db, &actor, id, rows(50), &mut |_, _| {
        if other.is_none() {
            let db = app.state.db.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let saved = db.write_blocking(Actor::system("someone else"), |tx| {
                    tx.audit(kith::audit::Event::new("settings.update"))
                });
                let _ = tx.send(saved.map_err(|e| format!("{e:?}")));
            });
            // Only a guard against a hang: the save needs the write lock the undo released.
            other = Some(rx.recv_timeout(Duration::from_secs(60)).unwrap().unwrap());
        }
        ControlFlow::Continue(())
    })
    .unwrap();

    // Assert: the other save's audit entry sits between entries of the undo's batches
    // (contacts go first, then the companies the import created for them).
    assert_eq!(undone, Some((0, written as usize)));
    let other = other.unwrap();
    let deletes = app.audit_ids_where("action = 'contact.delete'");
    assert_eq!(deletes.len(), 150);
    assert_eq!(deletes.iter().filter(|d| **d < other).count(), 50);
    assert_eq!(deletes.iter().filter(|d| **d > other).count(), 100);
    audit_is_intact(&app);
}

#[tokio::test]
async fn records_in_the_trash_or_purged_since_are_left_alone_and_still_counted_as_dealt_with() {
    // Arrange: someone trashed three of the imported contacts since, and purged one.
    let app = salesforce_contacts_imported().await;
    let id = app.query_i64("SELECT max(id) FROM imports");
    let written = app.query_i64(&format!(
        "SELECT count(*) FROM import_records WHERE import_id = {id}"
    ));
    let contacts = &kith::crm::contacts::CONTACTS;
    app.state
        .db
        .write_blocking(Actor::system("someone else"), |tx| {
            for c in [1, 2, 3] {
                kith::crm::records::soft_delete(tx, contacts, c)?;
            }
            kith::crm::records::purge(tx, contacts, 2)
        })
        .unwrap();
    let before = app.query_i64("SELECT max(id) FROM audit_log");
    let actor = Actor::system("test");

    // Act: batches of one record, so the first three change nothing on their own.
    let mut seen = Vec::new();
    let undone = undo_with(&app.state.db, &actor, id, rows(1), &mut |done, _| {
        seen.push(done);
        ControlFlow::Continue(())
    })
    .unwrap();

    // Assert
    assert_eq!(undone, Some((0, written as usize - 3)));
    assert_eq!(seen.first(), Some(&1), "progress counts them");
    let outcome = |o: &str| {
        app.query_i64(&format!(
            "SELECT count(*) FROM import_records WHERE import_id = {id} AND undone = '{o}'"
        ))
    };
    assert_eq!((outcome("skipped"), outcome("removed")), (3, written - 3));
    assert_eq!(entries_since(&app, before, "contact.delete"), 147);
    audit_is_intact(&app);
}
