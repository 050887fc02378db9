//! Unit tests of the quote SQL on an in-memory database.

use super::*;
use crate::crm::quotes::calc::{self, Percent, Quantity};
use crate::crm::quotes::{Draft, LineDraft};

fn deal_row(conn: &Connection) -> i64 {
    conn.execute_batch(
        "INSERT INTO companies (name, name_norm, created_at, updated_at) VALUES ('华东电力', '华东电力', 't', 't');
         INSERT INTO pipelines (name, created_at, updated_at) VALUES ('p', 't', 't');
         INSERT INTO stages (pipeline_id, name, position, probability) VALUES (1, 's', 0, 10);
         INSERT INTO deals (name, company_id, pipeline_id, stage_id, currency, created_at, updated_at)
           VALUES ('机房改造', 1, 1, 1, 'CNY', 't', 't');",
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn draft(price: &str) -> Draft {
    Draft {
        discount: Percent::ZERO,
        valid_until: None,
        notes: String::new(),
        lines: vec![LineDraft {
            product_id: None,
            sku: String::new(),
            name: "咨询".into(),
            unit: String::new(),
            quantity: Quantity::parse("1").unwrap(),
            price: Money::parse(price).unwrap(),
            discount: Percent::ZERO,
            tax_rate: Percent::parse("6").unwrap(),
        }],
    }
}

#[test]
fn numbers_run_per_year_and_a_deal_lists_its_quotes_newest_first() {
    let conn = crate::db::memory().unwrap();
    let deal_id = deal_row(&conn);
    for (year, price) in [(2025, "100"), (2026, "200"), (2026, "300")] {
        let seq = next_seq(&conn, year).unwrap();
        let number = format!("Q-{year}-{seq:04}");
        let d = draft(price);
        let prices: Vec<calc::LinePrice> = d.lines.iter().map(LineDraft::price).collect();
        let t = calc::compute(&prices, d.discount).unwrap();
        let new = NewQuote {
            number: &number,
            year,
            seq,
            deal_id,
            owner_id: None,
            currency: "CNY",
            created_by: None,
        };
        let id = insert(&conn, &new, &d, &t).unwrap();
        replace_lines(&conn, id, &d, &t).unwrap();
    }
    let listed = for_deal(&conn, deal_id).unwrap();
    let numbers: Vec<&str> = listed.iter().map(|q| q.number.as_str()).collect();
    assert_eq!(numbers, ["Q-2026-0002", "Q-2026-0001", "Q-2025-0001"]);
    assert_eq!(listed[0].total.minor(), 31_800);
    let json = serde_json::to_string(&listed[0]).unwrap();
    assert!(json.contains("\"total\":\"318.00\""), "{json}");
    assert_eq!(lines(&conn, listed[0].id).unwrap()[0].tax, 1_800);
}
