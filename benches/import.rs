//! Import benchmark: writes a CSV of N contacts (100,000 by default) shaped like a real
//! customer list (Chinese and Latin names, mobiles in several spellings, emails, company
//! names, 5% duplicates written differently), then imports it into a fresh data folder
//! through the same engine as `kith import`, timing the read, the dry run and the run
//! (validation, duplicate checks against the database and the file, search index, audit).
//! Then it undoes the import, timing the undo and its longest batch (about the longest the
//! write lock is held). Meanwhile another thread saves a little every 20 ms, as other users
//! would: how long such a save waits at most is printed for the run and for the undo.
//!
//!     cargo bench --bench import -- [--rows 100000] [--data DIR]

use kith::crm::imports::undo::{Batch, undo_with};
use kith::crm::imports::{self, Options, store};
use kith::db::{Actor, Db};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
    // The importer is a sales rep in a department, who owns what the file creates.
    let rep = db.bookkeeping_blocking(|c| {
        use kith::crm::{departments::store as departments, users::store as users};
        let team = departments::insert(c, "华东区", None)?;
        let rep = users::insert(c, "importer@bench.kith", "导入员", "sales", "-", None)?;
        departments::set_place(c, rep, Some(team), None)?;
        Ok(rep)
    })?;
    let actor = Actor {
        user_id: Some(rep),
        label: "importer@bench.kith".into(),
        ..Actor::system("bench")
    };
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
    let saver = Saver::start(&db);
    let started = Instant::now();
    let done = imports::execute(&db, &actor, id, "CNY", true, &|_, _| {})?;
    let run = started.elapsed();
    let meanwhile = saver.stop()?;
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
    println!("{meanwhile}");
    undo(&db, &actor, id)
}

/// Another user saving a little every 20 ms while the import or the undo runs: how many
/// saves went in and the longest one waited for the write lock.
struct Saver {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<(usize, Duration)>>,
}

impl Saver {
    fn start(db: &Db) -> Saver {
        let stop = Arc::new(AtomicBool::new(false));
        let (db, flag) = (db.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let (mut saves, mut longest) = (0, Duration::ZERO);
            while !flag.load(Ordering::Relaxed) {
                let started = Instant::now();
                db.write_blocking(Actor::system("bench-other"), |tx| {
                    tx.audit(kith::audit::Event::new("settings.update"))
                })?;
                longest = longest.max(started.elapsed());
                saves += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok((saves, longest))
        });
        Saver { stop, thread }
    }

    fn stop(self) -> anyhow::Result<String> {
        self.stop.store(true, Ordering::Relaxed);
        let (saves, longest) =
            (self.thread.join()).map_err(|_| anyhow::anyhow!("the saving thread panicked"))??;
        Ok(format!(
            "meanwhile {saves} other saves, the longest waited {:.0} ms",
            longest.as_secs_f64() * 1e3
        ))
    }
}

/// Undoes the import while another thread saves, and prints the undo's time, its longest
/// batch (from one batch's end to the next's, the first including the undo's start) and
/// the longest a save waited.
fn undo(db: &Db, actor: &Actor, id: i64) -> anyhow::Result<()> {
    let saver = Saver::start(db);
    let started = Instant::now();
    let (mut last, mut longest, mut batches) = (Instant::now(), Duration::ZERO, 0);
    let undone = undo_with(db, actor, id, Batch::default(), &mut |_, _| {
        longest = longest.max(last.elapsed());
        last = Instant::now();
        batches += 1;
        ControlFlow::Continue(())
    });
    let took = started.elapsed();
    let meanwhile = saver.stop()?;
    let (restored, removed) = undone?.unwrap_or_default();
    println!("undo: {removed} records removed, {restored} restored");
    println!(
        "undo {:>8.2} s  in {batches} batches, the longest {:.0} ms",
        took.as_secs_f64(),
        longest.as_secs_f64() * 1e3
    );
    println!("{meanwhile}");
    Ok(())
}
