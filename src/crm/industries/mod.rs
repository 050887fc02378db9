//! The two-level industry taxonomy (行业): top-level sectors with sub-industries, editable by
//! administrators, used on companies and as a list filter.

pub mod pages;
pub mod store;

pub use store::{delete, exists, insert, name, tree, usage};

use rusqlite::Connection;
use serde::Serialize;

/// A sector with its sub-industries.
#[derive(Debug, Clone, Serialize)]
pub struct Sector {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sub-industries: (id, name).
    pub children: Vec<(i64, String)>,
}

/// The industry tree, remembered between changes (see `db::memo`).
pub async fn cached_tree(
    db: &crate::db::Db,
) -> Result<std::sync::Arc<Vec<Sector>>, crate::error::AppError> {
    db.memo(("industries", ""), tree).await
}

/// The default taxonomy filled in at first-run setup, in the company's language.
pub fn defaults(lang: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    if lang == "en" {
        vec![
            (
                "Manufacturing",
                vec![
                    "Machinery",
                    "Electronics",
                    "Chemicals",
                    "Automotive parts",
                    "Textiles",
                ],
            ),
            (
                "IT & software",
                vec![
                    "Software",
                    "Internet services",
                    "Telecommunications",
                    "Hardware",
                ],
            ),
            (
                "Trade & retail",
                vec!["Wholesale", "Retail", "E-commerce", "Import & export"],
            ),
            (
                "Services",
                vec![
                    "Consulting",
                    "Logistics",
                    "Education",
                    "Advertising & media",
                ],
            ),
            (
                "Healthcare",
                vec!["Hospitals & clinics", "Medical devices", "Pharmaceuticals"],
            ),
            (
                "Construction & property",
                vec!["Construction", "Building materials", "Real estate"],
            ),
            (
                "Energy",
                vec!["New energy", "Power & utilities", "Oil & gas"],
            ),
            ("Finance", vec!["Banking", "Insurance", "Investment"]),
            (
                "Food & agriculture",
                vec!["Food processing", "Restaurants", "Agriculture"],
            ),
            ("Public sector", vec!["Government", "Non-profit"]),
        ]
    } else {
        vec![
            (
                "制造业",
                vec!["机械设备", "电子电器", "化工", "汽车零部件", "纺织服装"],
            ),
            ("信息技术", vec!["软件", "互联网服务", "通信", "计算机硬件"]),
            ("贸易零售", vec!["批发", "零售", "电子商务", "进出口"]),
            ("商务服务", vec!["咨询", "物流", "教育培训", "广告传媒"]),
            ("医疗健康", vec!["医院诊所", "医疗器械", "医药"]),
            ("建筑地产", vec!["建筑施工", "建材", "房地产"]),
            ("能源", vec!["新能源", "电力公用事业", "石油天然气"]),
            ("金融", vec!["银行", "保险", "投资"]),
            ("食品农业", vec!["食品加工", "餐饮", "农业"]),
            ("公共事业", vec!["政府机关", "非营利组织"]),
        ]
    }
}

/// Fills in the default taxonomy if there is none yet.
pub fn seed_defaults(conn: &Connection, lang: &str) -> rusqlite::Result<bool> {
    let any = store::count(conn)?;
    if any > 0 {
        return Ok(false);
    }
    for (i, (sector, children)) in defaults(lang).into_iter().enumerate() {
        let parent = insert(conn, None, sector, i as i64)?;
        for (j, child) in children.into_iter().enumerate() {
            insert(conn, Some(parent), child, j as i64)?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_taxonomy_has_two_levels_in_either_language() {
        let conn = crate::db::memory().unwrap();
        assert!(seed_defaults(&conn, "zh-CN").unwrap());
        assert!(!seed_defaults(&conn, "en").unwrap(), "seeded once");
        let tree = tree(&conn).unwrap();
        assert_eq!(tree[0].name, "制造业");
        assert!(tree.iter().all(|s| !s.children.is_empty()));
        assert_eq!(defaults("en").len(), defaults("zh-CN").len());
    }
}
