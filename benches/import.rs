//! Import benchmark: writes a CSV of N contacts (100,000 by default) shaped like a real
//! customer list (Chinese and Latin names, mobiles in several spellings, emails, company
//! names, 5% duplicates written differently), then imports it into a fresh data folder
//! through the same engine as `kith import`, timing the read, the dry run and the run
//! (validation, duplicate checks against the database and the file, search index, audit).
//!
//!     cargo bench --bench import -- [--rows 100000] [--data DIR]

use kith::crm::imports::{self, Options, store};
use kith::db::{Actor, Db};
use std::fmt::Write as _;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
];
const LATIN: &[&str] = &[
    "John Miller",
    "Linda Chen",
    "Richard O'Brien",
    "Anna Schmidt",
    "Wei Zhang",
];
const CITIES: &[&str] = &[
    "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安",
];
const TRADES: &[&str] = &["科技", "贸易", "医疗器械", "新材料", "教育科技", "精密机械"];

fn csv(rows: usize) -> String {
    let mut out = String::from("客户名称,联系人,手机,邮箱,城市,客户来源,备注\n");
    for i in 0..rows {
        // Every twentieth row repeats an earlier person with the mobile spelled differently.
        let n = if i % 20 == 19 { i - 7 } else { i };
        let name = if n % 9 == 0 {
            format!("{} {n}", LATIN[n % LATIN.len()])
        } else {
            format!(
                "{}{}{}",
                SURNAMES[n % SURNAMES.len()],
                GIVEN[n % GIVEN.len()],
                GIVEN[(n / 7) % GIVEN.len()]
            )
        };
        let mobile = 13_000_000_000u64 + n as u64 * 7_919 % 999_999_999;
        let mobile = match i % 3 {
            0 => mobile.to_string(),
            1 => format!(
                "+86 {}-{}-{}",
                mobile / 100_000_000,
                mobile / 10_000 % 10_000,
                mobile % 10_000
            ),
            _ => format!("86{mobile}"),
        };
        let company = format!(
            "{}{}{}有限公司",
            CITIES[n % CITIES.len()],
            TRADES[(n / 3) % TRADES.len()],
            n / 5
        );
        let _ = writeln!(
            out,
            "{company},{name},{mobile},c{n}@example.cn,{},{},\"老客户, 第{n}号\"",
            CITIES[n % CITIES.len()],
            ["官网表单", "展会", "电话营销", "转介绍"][n % 4]
        );
    }
    out
}

fn main() -> anyhow::Result<()> {
    let rows: usize = arg("--rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let dir = arg("--data").map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let file = csv(rows);
    println!("{rows} rows, {:.1} MB of CSV", file.len() as f64 / 1e6);

    let db = Db::open(&dir.join("kith.db"), 2)?;
    let actor = Actor::system("bench");
    let started = Instant::now();
    let (table, _) = imports::read_table(file.as_bytes(), "customers.csv", &Options::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let read = started.elapsed();
    let e = imports::entity("contacts").ok_or_else(|| anyhow::anyhow!("no contacts"))?;
    let mapping = db.read_blocking({
        let headers = table.headers.clone();
        move |c| Ok(imports::propose(c, e, &headers, &[])?)
    })?;
    let t = table.clone();
    let m = mapping.clone();
    let started = Instant::now();
    let plan = db.read_blocking(move |c| {
        let run = imports::Run {
            policy: imports::plan::Policy::Skip,
            currency: "CNY",
            new_companies: true,
        };
        Ok(imports::dry_run(c, e, &t, &m, run)?)
    })?;
    let dry = started.elapsed();
    let counts = imports::plan::counts(&plan);
    println!(
        "dry run: {} to create, {} duplicates, {} rejected",
        counts.created, counts.skipped, counts.rejected
    );
    let (opts, map) = (
        serde_json::to_string(&Options::default())?,
        serde_json::to_string(&mapping)?,
    );
    let bytes = file.into_bytes();
    let id = db.bookkeeping_blocking(|c| {
        let id = store::insert(
            c,
            "contacts",
            "customers.csv",
            &bytes,
            &opts,
            None,
            &kith::db::now(),
        )?;
        store::set_choices(c, id, &opts, &map)?;
        Ok(id)
    })?;
    let started = Instant::now();
    let done = imports::execute(&db, &actor, id, "CNY", true, &|_, _| {})?;
    let run = started.elapsed();
    println!(
        "import: {} created, {} skipped, {} rejected",
        done.created, done.skipped, done.rejected
    );
    println!("read {:>8.2} s", read.as_secs_f64());
    println!("dry run {:>5.2} s", dry.as_secs_f64());
    println!(
        "run {:>9.2} s  (plans and writes each batch: validation, duplicates, search index, audit)",
        run.as_secs_f64()
    );
    println!(
        "total {:>7.2} s  for read + run",
        (read + run).as_secs_f64()
    );
    Ok(())
}
