//! Generated deals (商机) in the first pipeline: believable names and amounts, stages spread
//! the way a working pipeline's are (most in the early stages, some won, some lost for a
//! reason), the stage history that led there, and follow-ups that give each deal its last
//! activity. A few open deals went quiet long ago, for the stalled-deal job to find.

use super::activities::Said;
use super::customers::CompanyRef;
use super::{Gen, Plan, store};
use crate::crm::deals::store::{self as deals, Stage};
use crate::crm::records::SOURCES;
use crate::error::AppError;
use rand::Rng;
use rusqlite::Connection;

const DAY: i64 = 86_400;

/// What is being sold; a deal is named after its customer and this.
const PRODUCTS: &[&str] = &[
    "ERP 二期",
    "年度维保合同",
    "云服务器采购",
    "CRM 系统实施",
    "数据中心扩容",
    "办公设备采购",
    "网络安全审计",
    "MES 项目",
    "员工培训服务",
    "软件许可续费",
    "网络改造工程",
    "视频会议系统",
    "仓储管理系统",
    "年度框架协议",
    "门店收银系统",
    "Annual support renewal",
    "Cloud migration",
];

/// Follow-ups on a deal while it is open.
const FOLLOW_UPS: &[Said] = &[
    (
        "call",
        Some("interested"),
        "电话沟通需求，客户希望下周看演示。",
    ),
    (
        "visit",
        Some("interested"),
        "上门拜访，给技术团队演示了系统。",
    ),
    (
        "email",
        Some("quoted"),
        "发送了方案和报价单，等待客户反馈。",
    ),
    (
        "call",
        Some("reached"),
        "客户要求再优惠 5%，需要申请折扣审批。",
    ),
    (
        "meeting",
        Some("reached"),
        "与采购经理确认了交付时间和付款方式。",
    ),
    (
        "call",
        Some("reached"),
        "客户内部走审批流程，预计下周回复。",
    ),
    ("call", Some("reached"), "约了客户总经理下周二见面。"),
    (
        "call",
        Some("no_answer"),
        "打了两次电话都没人接，明天再联系。",
    ),
    (
        "meeting",
        Some("interested"),
        "视频会议演示了报表模块，客户 IT 部门参加。",
    ),
    ("note", None, "合同条款已发法务审核。"),
    ("note", None, "客户预算有变，项目可能延期。"),
    ("note", None, "竞争对手报价更低，客户在比较。"),
    (
        "email",
        Some("quoted"),
        "Sent the revised proposal with the volume discount.",
    ),
];

/// The follow-up that closed a won deal.
const WON: &[Said] = &[
    ("meeting", Some("won"), "签订合同，客户已盖章回传。"),
    ("visit", Some("won"), "上门签约，首付款下周到账。"),
];

/// The follow-up that closed a lost deal.
const LOST: &[Said] = &[
    (
        "call",
        Some("not_interested"),
        "客户确认选择了其他方案，本项目结束。",
    ),
    (
        "email",
        Some("not_interested"),
        "客户来函说明今年暂不采购。",
    ),
];

/// Notes some deals carry.
const NOTES: &[&str] = &[
    "客户决策人为总经理，采购流程约两周。",
    "需要与 IT 部门一起评估。",
    "去年合作过一期，关系良好。",
];

/// The share of open deals (at stages that can stall) that went quiet long ago: a few in the
/// demo; at scale few enough that the stalled-deal job's first run (capped) finds them all.
fn stalled_share(plan: &Plan) -> f64 {
    if plan.lean() { 0.02 } else { 0.05 }
}

/// The pipeline deals are generated in.
struct Pipeline {
    id: i64,
    open: Vec<Stage>,
    won: Option<Stage>,
    lost: Option<Stage>,
    reasons: Vec<String>,
}

/// The first pipeline, if it has an open stage to start deals in.
fn pipeline(conn: &Connection) -> rusqlite::Result<Option<Pipeline>> {
    let Some(p) = deals::pipelines(conn)?.into_iter().next() else {
        return Ok(None);
    };
    let stages = deals::stages(conn, p.id)?;
    let find = |outcome: &str| stages.iter().find(|s| s.outcome == outcome).cloned();
    let open: Vec<Stage> = stages
        .iter()
        .filter(|s| s.outcome == "open")
        .cloned()
        .collect();
    Ok((!open.is_empty()).then(|| Pipeline {
        id: p.id,
        won: find("won"),
        lost: find("lost"),
        open,
        reasons: Vec::new(),
    }))
}

/// Where a deal ends up.
enum Fate {
    /// At the open stage with this index; stalled if it went quiet long ago.
    Open {
        at: usize,
        stalled: bool,
    },
    Won,
    /// Lost after reaching the open stage with this index.
    Lost {
        reached: usize,
    },
}

/// A deal's life in seconds before now: when it entered each stage of its path (oldest
/// first; the last is its current stage) and its follow-ups (latest first).
struct Timeline<'p> {
    path: Vec<&'p Stage>,
    entered: Vec<i64>,
    follow_ups: Vec<i64>,
}

impl Gen {
    /// Mostly open deals, more of them in early stages; some won, some lost.
    fn fate(&mut self, p: &Pipeline, stalled: f64) -> Fate {
        let roll = self.rng.random_range(0..100);
        if roll < 14 && p.won.is_some() {
            return Fate::Won;
        }
        if (14..24).contains(&roll) && p.lost.is_some() {
            let reached = self.rng.random_range(0..p.open.len());
            return Fate::Lost { reached };
        }
        // Open stage i of n is picked with weight n - i.
        let n = p.open.len();
        let mut r = self.rng.random_range(0..n * (n + 1) / 2);
        let mut at = 0;
        while r >= n - at {
            r -= n - at;
            at += 1;
        }
        let stalled = p.open[at].stall_days.is_some() && self.rng.random_bool(stalled);
        Fate::Open { at, stalled }
    }

    /// From a few thousand to a few million yuan, in 分: mostly round, sometimes exact.
    fn amount(&mut self) -> i64 {
        let yuan = self
            .rng
            .random_range(3_000f64.ln()..5_000_000f64.ln())
            .exp() as i64;
        match self.rng.random_range(0..10) {
            0..=5 => yuan / 1000 * 1000 * 100,
            6..=8 => yuan / 10 * 10 * 100,
            _ => yuan * 100 + self.rng.random_range(1..100),
        }
    }

    /// The deal's stage path and times for its fate; `follow_ups` is how many it gets.
    fn timeline<'p>(&mut self, p: &'p Pipeline, fate: &Fate, follow_ups: usize) -> Timeline<'p> {
        let (path, current, latest): (Vec<&Stage>, i64, i64) = match *fate {
            Fate::Open { at, stalled } => {
                let stage = &p.open[at];
                let path = p.open[..=at].iter().collect();
                let stall = stage.stall_days.unwrap_or(30);
                if stalled {
                    let entered = self.rng.random_range((stall + 3) * DAY..(stall + 60) * DAY);
                    (
                        path,
                        entered,
                        self.rng.random_range((stall + 1) * DAY..entered),
                    )
                } else {
                    let entered = self.rng.random_range(0..45 * DAY);
                    (
                        path,
                        entered,
                        self.rng.random_range(0..(stall - 1).max(1) * DAY),
                    )
                }
            }
            Fate::Won | Fate::Lost { .. } => {
                let (reached, last) = match fate {
                    Fate::Lost { reached } => (*reached, &p.lost),
                    _ => (p.open.len() - 1, &p.won),
                };
                let mut path: Vec<&Stage> = p.open[..=reached].iter().collect();
                path.extend(last.iter());
                let closed = self.rng.random_range(DAY..150 * DAY);
                (path, closed, closed + self.rng.random_range(0..3 * DAY))
            }
        };
        let mut entered = vec![current; path.len()];
        for i in (0..path.len().saturating_sub(1)).rev() {
            entered[i] = entered[i + 1] + self.rng.random_range(2 * DAY..25 * DAY);
        }
        let created = entered[0];
        let latest = latest.min(created);
        let mut follow_ups: Vec<i64> = (1..follow_ups)
            .map(|_| self.rng.random_range(latest..=created))
            .collect();
        follow_ups.push(latest);
        follow_ups.sort_unstable();
        Timeline {
            path,
            entered,
            follow_ups,
        }
    }
}

/// Inserts the plan's deals over `companies` (owned mostly by the company's owner, else by
/// one of `users`) with their history and follow-ups; returns how many deals and follow-ups.
pub(super) fn generate(
    conn: &Connection,
    g: &mut Gen,
    plan: &Plan,
    users: &[i64],
    companies: &[CompanyRef],
) -> Result<(usize, usize), AppError> {
    let Some(mut p) = pipeline(conn)? else {
        return Ok((0, 0));
    };
    if companies.is_empty() || users.is_empty() {
        return Ok((0, 0));
    }
    p.reasons = deals::lost_reasons(conn)?;
    let stalled = stalled_share(plan);
    let mut activities = 0;
    for _ in 0..plan.deals {
        let company = &companies[g.rng.random_range(0..companies.len())];
        let owner = if g.rng.random_bool(0.85) {
            company.owner
        } else {
            users[g.rng.random_range(0..users.len())]
        };
        let fate = g.fate(&p, stalled);
        let count = match (&fate, plan.lean()) {
            (_, true) => 1,
            (Fate::Open { stalled: true, .. }, _) => g.rng.random_range(1..=2),
            (Fate::Open { .. }, _) => g.rng.random_range(1..=4),
            _ => g.rng.random_range(1..=3),
        };
        let t = g.timeline(&p, &fate, count);
        let Some((&current, &entered)) = t.path.last().zip(t.entered.last()) else {
            continue;
        };
        let closed = (current.outcome != "open").then(|| g.ago(entered));
        let lost_reason = (current.outcome == "lost").then(|| match p.reasons.len() {
            0 => "其他",
            n => p.reasons[g.rng.random_range(0..n)].as_str(),
        });
        let expected_close: i64 = match fate {
            Fate::Open { .. } => g.rng.random_range(-60..=180),
            _ => g.rng.random_range(-20..=20) - entered / DAY,
        };
        let expected_close = g.date_in(expected_close);
        let mut amount = g.amount();
        let currency = match g.rng.random_range(0..50) {
            0..=1 => "USD",
            2 => "HKD",
            _ => "CNY",
        };
        if currency == "USD" {
            amount = (amount / 7 / 10_000).max(1) * 10_000;
        }
        let name = format!("{} {}", company.short, g.pick(PRODUCTS));
        let notes = (!plan.lean() && g.rng.random_bool(0.3)).then(|| g.pick(NOTES));
        let stamp = g.ago(entered);
        let last = t.follow_ups.first().map(|a| g.ago(*a));
        let created = g.ago(t.entered[0]);
        let contact = company.contact.filter(|_| g.rng.random_bool(0.8));
        let id = store::deal(
            conn,
            &store::Deal {
                name: &name,
                company: company.id,
                contact,
                pipeline: p.id,
                stage: current.id,
                amount,
                currency,
                expected_close: &expected_close,
                source: g.pick(SOURCES),
                lost_reason,
                notes,
                owner,
                stage_entered: &stamp,
                last_activity: last.as_deref(),
                closed: closed.as_deref(),
                created: &created,
                updated: &stamp,
            },
        )?;
        for (i, stage) in t.path.iter().enumerate() {
            let left = t.entered.get(i + 1).map(|a| g.ago(*a));
            let at = g.ago(t.entered[i]);
            store::deal_stage(conn, id, stage.id, &at, left.as_deref(), owner)?;
        }
        let open = matches!(fate, Fate::Open { stalled: false, .. });
        for (i, ago) in t.follow_ups.iter().enumerate() {
            // The latest follow-up of a closed deal is the one that closed it.
            let said = match (&fate, i) {
                (Fate::Won, 0) => WON,
                (Fate::Lost { .. }, 0) => LOST,
                _ => FOLLOW_UPS,
            };
            let (kind, outcome, body) = g.said(said);
            let at = g.ago(*ago);
            let next = (open && i == 0).then(|| g.rng.random_range(1..=14));
            let next = next.map(|days| g.date_in(days));
            store::activity(
                conn,
                &store::Activity {
                    company: Some(company.id),
                    contact,
                    deal: Some(id),
                    kind,
                    outcome,
                    body,
                    at: &at,
                    next_follow_up: next.as_deref(),
                    by: owner,
                },
            )?;
            activities += 1;
        }
    }
    Ok((plan.deals, activities))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::seed::activities::tests::known;

    #[test]
    fn deal_follow_ups_are_of_known_kinds_and_outcomes() {
        assert!(known(FOLLOW_UPS) && known(WON) && known(LOST));
    }
}
