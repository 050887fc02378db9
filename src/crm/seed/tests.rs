use super::*;

fn seeded(plans: &[Plan]) -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("kith.db"), 2).unwrap();
    for plan in plans {
        run(&db, *plan, Actor::cli()).unwrap();
    }
    (dir, db)
}

fn count(db: &Db, sql: &'static str) -> i64 {
    db.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn demo_deals_have_a_history_that_matches_their_stage() {
    let (_dir, db) = seeded(&[Plan::demo()]);

    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 150);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deals d WHERE 1 != (SELECT count(*) FROM deal_stages h
             WHERE h.deal_id = d.id AND h.left_at IS NULL AND h.stage_id = d.stage_id)"
        ),
        0,
        "one open history row, for the current stage"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deal_stages h JOIN deals d ON d.id = h.deal_id
             WHERE h.entered_at < d.created_at OR h.left_at < h.entered_at
                OR (h.left_at IS NULL AND h.entered_at != d.stage_entered_at)"
        ),
        0,
        "stages entered in order, the last one when the deal says"
    );
    assert!(
        count(&db, "SELECT count(*) FROM deal_stages") > 150,
        "earlier stages too"
    );
}

#[test]
fn demo_deals_are_closed_and_lost_for_a_reason_only_at_won_and_lost_stages() {
    let (_dir, db) = seeded(&[Plan::demo()]);

    let wrong = count(
        &db,
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE (s.outcome = 'open') != (d.closed_at IS NULL)
            OR (s.outcome = 'lost') != (d.lost_reason IS NOT NULL)
            OR (d.lost_reason IS NOT NULL AND d.lost_reason NOT IN (SELECT name FROM lost_reasons))
            OR (d.closed_at IS NOT NULL AND d.closed_at != d.stage_entered_at)",
    );

    assert_eq!(wrong, 0);
    let won =
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.outcome = 'won'";
    let lost =
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.outcome = 'lost'";
    assert!(count(&db, won) > 5 && count(&db, lost) > 5);
    let first =
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.position = 0";
    let fourth =
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.position = 3";
    assert!(
        count(&db, first) > count(&db, fourth),
        "more in early stages"
    );
}

#[test]
fn demo_deals_last_activity_is_their_latest_follow_up_on_their_company() {
    let (_dir, db) = seeded(&[Plan::demo()]);

    let wrong = count(
        &db,
        "SELECT count(*) FROM deals d
         WHERE d.last_activity_at IS NOT (SELECT max(occurred_at) FROM activities WHERE deal_id = d.id)",
    );
    let elsewhere = count(
        &db,
        "SELECT count(*) FROM activities a JOIN deals d ON d.id = a.deal_id
         WHERE a.company_id != d.company_id OR a.contact_id IS NOT d.contact_id
            OR a.occurred_at < d.created_at",
    );

    assert_eq!((wrong, elsewhere), (0, 0));
    assert_eq!(count(&db, "SELECT count(*) FROM activities"), 1080);
}

#[test]
fn a_few_demo_deals_are_quiet_for_the_stalled_deal_job_to_find() {
    let (_dir, db) = seeded(&[Plan::demo()]);

    let quiet = count(
        &db,
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE s.outcome = 'open' AND d.stalled_at IS NULL
           AND coalesce(d.last_activity_at, d.stage_entered_at)
               < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || s.stall_days || ' days')",
    );

    assert!((1..=10).contains(&quiet), "{quiet}");
}

#[test]
fn a_scale_run_has_the_budget_proportions_and_every_index() {
    let (_dir, db) = seeded(&[Plan::scale(2000)]);

    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 600);
    assert_eq!(count(&db, "SELECT count(*) FROM activities"), 6000);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM activities WHERE deal_id IS NOT NULL"
        ),
        600
    );
    assert_eq!(
        count(
            &db,
            "SELECT sum(deals) FROM stage_totals WHERE owner_id >= 0"
        ),
        600
    );
    assert_eq!(
        count(
            &db,
            "SELECT sum(deals) FROM stage_totals WHERE owner_id = -1"
        ),
        600
    );
    let fresh = crate::db::memory().unwrap();
    let indexes = "SELECT count(*) FROM sqlite_schema WHERE type = 'index'";
    let want: i64 = fresh.query_row(indexes, [], |r| r.get(0)).unwrap();
    assert_eq!(count(&db, indexes), want, "indexes set aside are back");
    assert!(
        count(
            &db,
            "SELECT count(*) FROM contacts WHERE owner_department_id IS NOT NULL"
        ) > 0
    );
    for sql in [
        "SELECT count(*) FROM contacts r JOIN users u ON u.id = r.owner_id
          WHERE r.owner_department_id IS NOT u.department_id",
        "SELECT count(*) FROM companies r JOIN users u ON u.id = r.owner_id
          WHERE r.owner_department_id IS NOT u.department_id",
        "SELECT count(*) FROM deals r JOIN users u ON u.id = r.owner_id
          WHERE r.owner_department_id IS NOT u.department_id",
    ] {
        assert_eq!(
            count(&db, sql),
            0,
            "records carry their owner's department: {sql}"
        );
    }
}

#[test]
fn deals_go_into_the_pipeline_an_install_already_has_and_are_audited() {
    let (_dir, db) = seeded(&[]);
    db.write_blocking(Actor::cli(), |tx| {
        crate::crm::deals::seed_defaults(tx.conn(), "en")?;
        tx.audit(Event::new("test.setup"))
    })
    .unwrap();

    run(&db, Plan::demo(), Actor::cli()).unwrap();

    assert_eq!(count(&db, "SELECT count(*) FROM pipelines"), 1);
    let elsewhere = "SELECT count(*) FROM deals WHERE pipeline_id != (SELECT id FROM pipelines)";
    assert_eq!(count(&db, elsewhere), 0);
    let lost = "SELECT count(*) FROM deals WHERE lost_reason IN ('Price', 'Competitor', 'No budget', 'Needs changed', 'No response')";
    assert!(count(&db, lost) > 0, "the install's own lost reasons");
    let audited = count(
        &db,
        "SELECT count(*) FROM audit_log WHERE action = 'seed' AND changes LIKE '%\"deals\"%'
           AND changes LIKE '%\"activities\"%' AND changes NOT LIKE '%default_pipeline%'",
    );
    assert_eq!(audited, 1);
}
