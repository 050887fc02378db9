//! Generated companies and contacts, with their search index rows. What later steps need of
//! them (owners, a contact per company, short names for deal names) is kept in memory.

use super::{Gen, Plan, store};
use crate::crm::records::SOURCES;
use crate::crm::search::{index_text, store as search};
use crate::error::AppError;
use rand::Rng;
use rusqlite::Connection;

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

/// A generated company as later steps see it.
pub(super) struct CompanyRef {
    pub id: i64,
    pub owner: i64,
    /// The name as people say it (华星科技, Northwind Logistics), for deal names.
    pub short: String,
    /// Its first contact, if it got one.
    pub contact: Option<i64>,
}

/// A generated contact as later steps see it.
pub(super) struct ContactRef {
    pub id: i64,
    pub company: Option<i64>,
    pub owner: i64,
    /// How long ago it was created, in seconds (nothing happened with it before).
    pub age: i64,
}

/// Everything generated here.
pub(super) struct Customers {
    pub companies: Vec<CompanyRef>,
    pub contacts: Vec<ContactRef>,
}

impl Gen {
    /// A company's full name, its short name and its city.
    fn company(&mut self, n: usize) -> (String, String, usize) {
        let city = self.rng.random_range(0..CITIES.len());
        let (name, short) = if self.rng.random_bool(0.85) {
            let short = format!("{}{}", self.pick(WORDS), self.pick(TRADES));
            (format!("{}{short}有限公司", CITIES[city].1), short)
        } else {
            let short = format!("{} {}", self.pick(EN_WORDS), self.pick(EN_TRADES));
            (format!("{short} Ltd."), short)
        };
        // A number keeps generated names distinct at scale without looking odd in a demo.
        let name = if n > 0 { format!("{name} {n}") } else { name };
        (name, short, city)
    }

    fn mobile(&mut self) -> (String, String) {
        let prefix = self.pick(&[
            "138", "139", "137", "186", "188", "150", "151", "177", "199", "135",
        ]);
        let rest: u32 = self.rng.random_range(0..100_000_000);
        let digits = format!("{prefix}{rest:08}");
        (format!("+86{digits}"), digits)
    }
}

/// Inserts the plan's companies and contacts, owned by `users`, in `industries`.
pub(super) fn generate(
    conn: &Connection,
    g: &mut Gen,
    plan: &Plan,
    users: &[i64],
    industries: &[i64],
) -> Result<Customers, AppError> {
    let mut companies = Vec::with_capacity(plan.companies);
    let mut names = Vec::with_capacity(plan.companies);
    for i in 0..plan.companies {
        let (name, short, city) = g.company(if plan.numbered { i + 1 } else { 0 });
        let (province, city_name, area) = CITIES[city];
        let local: u32 = g.rng.random_range(10_000_000..99_999_999);
        let local = if area.len() == 4 {
            local / 10 * 10
        } else {
            local
        };
        let phone = format!("+86{}{local}", &area[1..]);
        let digits = format!("{area}{local}");
        let owner = users[g.rng.random_range(0..users.len())];
        let created = g.time(720);
        let updated = g.time(90).max(created.clone());
        let industry =
            (!industries.is_empty()).then(|| industries[g.rng.random_range(0..industries.len())]);
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
        search::insert(
            conn,
            0,
            id,
            Some(owner),
            &index_text(&[&name, city_name]),
            &digits,
        )?;
        companies.push(CompanyRef {
            id,
            owner,
            short,
            contact: None,
        });
        names.push(name);
    }
    let mut contacts = Vec::with_capacity(plan.contacts);
    for i in 0..plan.contacts {
        let company = (!companies.is_empty() && g.rng.random_bool(0.9))
            .then(|| g.rng.random_range(0..companies.len()));
        let (province, city, _) = CITIES[g.rng.random_range(0..CITIES.len())];
        let (mobile, digits) = g.mobile();
        let email = g
            .rng
            .random_bool(0.6)
            .then(|| format!("c{i}@example{}.cn", i % 97));
        let owner = users[g.rng.random_range(0..users.len())];
        let age = g.rng.random_range(0..720 * 86_400);
        let created = g.ago(age);
        let updated = g.time(90).max(created.clone());
        let (name, title) = (g.person(), g.pick(TITLES));
        let id = store::contact(
            conn,
            &store::Contact {
                company: company.map(|c| companies[c].id),
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
        let company_name = company.map(|c| names[c].as_str()).unwrap_or("");
        let words = index_text(&[
            &name,
            company_name,
            email.as_deref().unwrap_or(""),
            title,
            city,
        ]);
        search::insert(conn, 1, id, Some(owner), &words, &digits)?;
        if let Some(c) = company {
            companies[c].contact.get_or_insert(id);
        }
        contacts.push(ContactRef {
            id,
            company: company.map(|c| companies[c].id),
            owner,
            age,
        });
    }
    Ok(Customers {
        companies,
        contacts,
    })
}
