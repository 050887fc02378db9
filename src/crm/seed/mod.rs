//! Demo and benchmark data: `kith seed --demo` fills a fresh install with a believable
//! bilingual company; `kith seed --scale N` generates N contacts (and companies and users in
//! the proportions of the performance budgets) as fast as SQLite allows.
//!
//! Each run is one write through the audited write path with one summary audit entry.

mod store;

use crate::crm::records::SOURCES;

use crate::audit::Event;
use crate::crm::search::{index_text, store as search};
use crate::db::{Actor, Db};
use crate::error::AppError;
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
const CITIES: &[(&str, &str, &str)] = &[
    ("北京", "北京", "010"),
    ("上海", "上海", "021"),
    ("广东", "广州", "020"),
    ("广东", "深圳", "0755"),
    ("浙江", "杭州", "0571"),
    ("江苏", "南京", "025"),
    ("江苏", "苏州", "0512"),
    ("四川", "成都", "028"),
    ("湖北", "武汉", "027"),
    ("陕西", "西安", "029"),
    ("天津", "天津", "022"),
    ("重庆", "重庆", "023"),
    ("山东", "青岛", "0532"),
    ("福建", "厦门", "0592"),
    ("湖南", "长沙", "0731"),
];
const WORDS: &[&str] = &[
    "华星", "恒通", "瑞丰", "金石", "远航", "博雅", "鼎盛", "众诚", "天成", "新元", "海川", "智联",
    "云帆", "锦程", "宏达", "德信", "长青", "汇丰", "启明", "安和", "东方", "南山", "凯旋", "嘉禾",
];
const TRADES: &[&str] = &[
    "科技",
    "电子",
    "贸易",
    "物流",
    "医疗器械",
    "食品",
    "建材",
    "软件",
    "机械",
    "化工",
    "文化传媒",
    "教育咨询",
    "新能源",
    "餐饮管理",
    "生物科技",
];
const EN_WORDS: &[&str] = &[
    "Northwind",
    "Bluepeak",
    "Silverline",
    "Redwood",
    "Harbor",
    "Summit",
    "Brightway",
    "Oakridge",
];
const EN_TRADES: &[&str] = &[
    "Logistics",
    "Trading",
    "Systems",
    "Foods",
    "Medical",
    "Software",
    "Industries",
];
const TITLES: &[&str] = &[
    "总经理",
    "采购经理",
    "技术总监",
    "财务主管",
    "销售总监",
    "行政主管",
    "CEO",
    "Purchasing Manager",
    "CTO",
];
// Weighted: customers are the most common record in a working CRM.
const STATUSES: &[&str] = &["lead", "prospect", "customer", "customer", "churned"];

struct Gen {
    rng: StdRng,
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

    fn company(&mut self, n: usize) -> (String, usize) {
        let city = self.rng.random_range(0..CITIES.len());
        let name = if self.rng.random_bool(0.85) {
            format!(
                "{}{}{}有限公司",
                CITIES[city].1,
                self.pick(WORDS),
                self.pick(TRADES)
            )
        } else {
            format!("{} {} Ltd.", self.pick(EN_WORDS), self.pick(EN_TRADES))
        };
        // A number keeps generated names distinct at scale without looking odd in a demo.
        let name = if n > 0 { format!("{name} {n}") } else { name };
        (name, city)
    }

    fn mobile(&mut self) -> (String, String) {
        let prefix = self.pick(&[
            "138", "139", "137", "186", "188", "150", "151", "177", "199", "135",
        ]);
        let rest: u32 = self.rng.random_range(0..100_000_000);
        let digits = format!("{prefix}{rest:08}");
        (format!("+86{digits}"), digits)
    }

    fn time(&mut self, days_back: i64) -> String {
        let secs = self.rng.random_range(0..days_back * 86_400);
        (chrono::Utc::now() - chrono::Duration::seconds(secs))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
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
            numbered: false,
        }
    }

    /// `n` contacts with the budget's proportions: a company per five contacts, a user per
    /// two thousand contacts (at least 5, at most 500).
    pub fn scale(n: usize) -> Plan {
        Plan {
            users: (n / 2000).clamp(5, 500),
            companies: (n / 5).max(1),
            contacts: n,
            numbered: true,
        }
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

/// Generates the plan's records in one audited write and returns how many of each.
pub fn run(db: &Db, plan: Plan, actor: Actor) -> Result<(usize, usize, usize), AppError> {
    db.write_blocking(actor, move |tx| {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(20261124),
        };
        let conn = tx.conn();
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
        let mut company_ids = Vec::with_capacity(plan.companies);
        let mut company_names = Vec::with_capacity(plan.companies);
        {
            for i in 0..plan.companies {
                let (name, city) = g.company(if plan.numbered { i + 1 } else { 0 });
                let (province, city_name, area) = CITIES[city];
                let local: u32 = g.rng.random_range(10_000_000..99_999_999);
                let local = if area.len() == 4 {
                    local / 10 * 10
                } else {
                    local
                };
                let phone = format!("+86{}{local}", &area[1..]);
                let digits = format!("{area}{local}");
                let owner = user_ids[g.rng.random_range(0..user_ids.len())];
                let created = g.time(720);
                let updated = g.time(90).max(created.clone());
                let industry = (!industry_ids.is_empty())
                    .then(|| industry_ids[g.rng.random_range(0..industry_ids.len())]);
                let id = store::company(
                    conn,
                    &store::Company {
                        name: &name,
                        status: g.pick(STATUSES),
                        source: g.pick(SOURCES),
                        province,
                        city: city_name,
                        phone: &phone,
                        digits: &digits,
                        owner,
                        created: &created,
                        updated: &updated,
                        industry,
                    },
                )?;
                search::insert(conn, 0, id, &index_text(&[&name, city_name]), &digits)?;
                company_ids.push(id);
                company_names.push(name);
            }
        }
        {
            for i in 0..plan.contacts {
                let company = (!company_ids.is_empty() && g.rng.random_bool(0.9))
                    .then(|| g.rng.random_range(0..company_ids.len()));
                let (province, city, _) = CITIES[g.rng.random_range(0..CITIES.len())];
                let (mobile, digits) = g.mobile();
                let email = g
                    .rng
                    .random_bool(0.6)
                    .then(|| format!("c{i}@example{}.cn", i % 97));
                let owner = user_ids[g.rng.random_range(0..user_ids.len())];
                let created = g.time(720);
                let updated = g.time(90).max(created.clone());
                let (name, title) = (g.person(), g.pick(TITLES));
                let id = store::contact(
                    conn,
                    &store::Contact {
                        company: company.map(|c| company_ids[c]),
                        name: &name,
                        title,
                        status: g.pick(STATUSES),
                        source: g.pick(SOURCES),
                        province,
                        city,
                        mobile: &mobile,
                        digits: &digits,
                        email: email.as_deref(),
                        owner,
                        created: &created,
                        updated: &updated,
                    },
                )?;
                let company_name = company.map(|c| company_names[c].as_str()).unwrap_or("");
                let words = index_text(&[
                    &name,
                    company_name,
                    email.as_deref().unwrap_or(""),
                    title,
                    city,
                ]);
                search::insert(conn, 1, id, &words, &digits)?;
            }
        }
        tx.audit(
            Event::new("seed")
                .change("users", 0, plan.users as i64)
                .change("companies", 0, plan.companies as i64)
                .change("contacts", 0, plan.contacts as i64),
        )?;
        Ok((plan.users, plan.companies, plan.contacts))
    })
}
