//! Demo and benchmark data: `kith seed --demo` fills a fresh install with a believable
//! bilingual company; `kith seed --scale N` generates N contacts (and companies and users in
//! the proportions of the performance budgets) as fast as SQLite allows.
//!
//! Both add deals in the default pipeline and follow-ups (activities), so the board, the
//! forecast and the 360° timelines have something to show and to measure.
//!
//! Each run is one write through the audited write path with one summary audit entry.

mod activities;
mod customers;
mod deals;
mod store;

use crate::audit::Event;
use crate::db::{Actor, Db};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁",
    "任", "沈", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓明", "海燕", "子轩", "梓涵", "一诺",
    "浩然", "欣怡", "宇航", "思远", "雨桐", "佳怡", "俊杰", "文博", "天宇", "嘉怡", "晨曦",
];
const FIRST: &[&str] = &[
    "James", "Mary", "John", "Linda", "David", "Sarah", "Michael", "Emma", "Daniel", "Olivia",
    "Kevin", "Grace", "Thomas", "Sophie", "Lucas", "Chloe", "Ethan", "Mia", "Ryan", "Hannah",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Lewis", "Walker",
    "Hall", "Young", "King", "Wright", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell",
];

/// The generator: a deterministic random stream and the moment "now" of the whole run.
struct Gen {
    rng: StdRng,
    now: DateTime<Utc>,
}

impl Gen {
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    fn person(&mut self) -> String {
        if self.rng.random_bool(0.8) {
            format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN))
        } else {
            format!("{} {}", self.pick(FIRST), self.pick(LAST))
        }
    }

    /// A random moment in the last `days_back` days, as stored.
    fn time(&mut self, days_back: i64) -> String {
        let secs = self.rng.random_range(0..days_back * 86_400);
        self.ago(secs)
    }

    /// The moment `secs` seconds before now, as stored (UTC).
    fn ago(&self, secs: i64) -> String {
        (self.now - chrono::Duration::seconds(secs))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }

    /// The date `days` days from today (negative: in the past), `YYYY-MM-DD`.
    fn date_in(&self, days: i64) -> String {
        (self.now + chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    }
}

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Users (owners of the records).
    pub users: usize,
    /// Companies.
    pub companies: usize,
    /// Contacts.
    pub contacts: usize,
    /// Deals, spread over the companies.
    pub deals: usize,
    /// Follow-ups in all: those on deals first, the rest with contacts and companies.
    pub activities: usize,
    /// Whether names get a distinguishing number (scale runs).
    pub numbered: bool,
}

impl Plan {
    /// A few hundred believable customers.
    pub fn demo() -> Plan {
        Plan {
            users: 8,
            companies: 120,
            contacts: 360,
            deals: 150,
            activities: 1080,
            numbered: false,
        }
    }

    /// `n` contacts with the budget's proportions: a company per five contacts, a user per
    /// two thousand contacts (at least 5, at most 500), 0.3 deals and 3 follow-ups per contact.
    pub fn scale(n: usize) -> Plan {
        Plan {
            users: (n / 2000).clamp(5, 500),
            companies: (n / 5).max(1),
            contacts: n,
            deals: n * 3 / 10,
            activities: n * 3,
            numbered: true,
        }
    }

    /// Whether this is a benchmark run: several follow-ups and notes per deal are for the
    /// demo; at scale a deal gets one follow-up (and its full stage history all the same).
    fn lean(&self) -> bool {
        self.numbered
    }
}

/// Puts the generated users into a sales department with three regions and a service
/// department: groups of ten under the group's manager (every tenth user), service staff
/// under the first manager.
fn place_in_departments(conn: &rusqlite::Connection, users: &[i64]) -> Result<(), AppError> {
    use crate::crm::departments::store as departments;
    let sales = departments::insert(conn, "销售部", None)?;
    let regions = [
        departments::insert(conn, "华北区", Some(sales))?,
        departments::insert(conn, "华东区", Some(sales))?,
        departments::insert(conn, "华南区", Some(sales))?,
    ];
    let service = departments::insert(conn, "客服部", None)?;
    for (i, id) in users.iter().enumerate() {
        let manager = users[i - i % 10];
        let (department, manager) = if i % 7 == 3 && i % 10 != 0 {
            (service, Some(users[0]))
        } else if i % 10 == 0 {
            (regions[(i / 10) % 3], (i > 0).then_some(users[0]))
        } else {
            (regions[(i / 10) % 3], Some(manager))
        };
        departments::set_place(conn, *id, Some(department), manager)?;
    }
    Ok(())
}

/// Generates the plan's records in one audited write and returns how many users,
/// companies and contacts (deals and follow-ups are counted in the audit entry).
pub fn run(db: &Db, plan: Plan, actor: Actor) -> Result<(usize, usize, usize), AppError> {
    db.write_blocking(actor, move |tx| {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(20261124),
            now: Utc::now(),
        };
        // One transaction writes the whole database: rows are appended with the bulk
        // tables' indexes set aside, and each index is then built in one sorted pass, in a
        // page cache large enough that SQLite does not spill pages into the log meanwhile.
        let conn = tx.conn();
        let cache = store::cache_size(conn)?;
        store::set_cache_size(conn, SEED_CACHE_KIB)?;
        let indexes = store::drop_indexes(conn, BULK_TABLES)?;
        let result = generate(conn, &mut g, &plan)
            .and_then(|made| Ok(store::create_indexes(conn, &indexes).map(|()| made)?));
        store::set_cache_size(conn, cache)?;
        let made = result?;
        tx.audit(
            Event::new("seed")
                .change("users", 0, plan.users as i64)
                .change("companies", 0, plan.companies as i64)
                .change("contacts", 0, plan.contacts as i64)
                .change("default_pipeline", false, made.pipeline)
                .change("deals", 0, made.deals as i64)
                .change("activities", 0, made.activities as i64),
        )?;
        Ok((plan.users, plan.companies, plan.contacts))
    })
}

/// Page cache while seeding (negative: KiB, as `PRAGMA cache_size` takes it).
const SEED_CACHE_KIB: i64 = -256 * 1024;

/// Tables that get many rows: their indexes are built after the rows are in.
const BULK_TABLES: &[&str] = &[
    "companies",
    "contacts",
    "deals",
    "deal_stages",
    "activities",
];

/// What a run made besides the plan's users, companies and contacts.
struct Made {
    /// Whether the default pipeline had to be created.
    pipeline: bool,
    deals: usize,
    activities: usize,
}

/// Everything a run writes.
fn generate(conn: &rusqlite::Connection, g: &mut Gen, plan: &Plan) -> Result<Made, AppError> {
    let hash = crate::auth::password::hash(&crate::auth::random_token(16))?;
    let mut user_ids = Vec::with_capacity(plan.users);
    for i in 0..plan.users {
        let role = if i % 10 == 0 {
            "manager"
        } else if i % 7 == 3 {
            "service"
        } else {
            "sales"
        };
        user_ids.push(store::user(
            conn,
            &format!("rep{i}@demo.kith"),
            &g.person(),
            role,
            &hash,
        )?);
    }
    place_in_departments(conn, &user_ids)?;
    crate::crm::industries::seed_defaults(conn, "zh-CN")?;
    let industry_ids: Vec<i64> = crate::crm::industries::tree(conn)?
        .into_iter()
        .flat_map(|s| s.children.into_iter().map(|c| c.0))
        .collect();
    let customers = customers::generate(conn, g, plan, &user_ids, &industry_ids)?;
    let pipeline = crate::crm::deals::seed_defaults(conn, "zh-CN")?;
    let (deals, on_deals) = deals::generate(conn, g, plan, &user_ids, &customers.companies)?;
    let rest = plan.activities.saturating_sub(on_deals);
    let others = activities::generate(conn, g, rest, &customers.contacts)?;
    Ok(Made {
        pipeline,
        deals,
        activities: on_deals + others,
    })
}

#[cfg(test)]
mod tests;
