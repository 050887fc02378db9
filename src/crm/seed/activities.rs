//! Generated follow-ups (跟进记录) with contacts and their companies: the timelines of the
//! 360° pages. Follow-ups on deals are written with the deals (see `deals.rs`).

use super::customers::ContactRef;
use super::{Gen, store};
use crate::error::AppError;
use rand::Rng;
use rusqlite::Connection;

/// What a follow-up was (a kind of `followups::KINDS`), how it went (one of
/// `followups::OUTCOMES`, if said) and what it says.
pub(super) type Said = (&'static str, Option<&'static str>, &'static str);

/// Follow-ups with a customer.
const NOTES: &[Said] = &[
    (
        "call",
        Some("reached"),
        "电话回访，客户对目前的服务比较满意。",
    ),
    (
        "email",
        None,
        "客户询问新版本的功能和价格，已发送产品资料。",
    ),
    (
        "visit",
        Some("interested"),
        "上门拜访，见了采购经理，了解了明年的采购计划。",
    ),
    ("note", None, "微信沟通，客户下周出差，约了月底再联系。"),
    ("note", None, "客户反馈发票抬头有误，已转财务重开。"),
    ("meeting", None, "参加客户年会，认识了新任技术总监。"),
    ("call", Some("no_answer"), "电话未接通，稍后再打。"),
    (
        "call",
        Some("reached"),
        "客户在比较其他几家供应商，对价格比较敏感。",
    ),
    ("email", None, "发送节日问候和新品介绍邮件。"),
    (
        "call",
        Some("reached"),
        "客户推荐了一家同行公司，已记录线索。",
    ),
    (
        "call",
        Some("reached"),
        "Called to confirm the shipping address for the next order.",
    ),
    (
        "email",
        None,
        "Sent the product catalogue and the updated price list.",
    ),
];

/// The share of follow-ups with a contact's company that name no contact.
const COMPANY_ONLY: f64 = 0.15;

impl Gen {
    /// One of `list`.
    pub(super) fn said(&mut self, list: &[Said]) -> Said {
        list[self.rng.random_range(0..list.len())]
    }
}

/// Writes `total` follow-ups over `contacts` in order, as evenly as whole numbers allow, each
/// at some moment after its contact was created (within the last year); a few name only the
/// company. Returns how many were written.
pub(super) fn generate(
    conn: &Connection,
    g: &mut Gen,
    total: usize,
    contacts: &[ContactRef],
) -> Result<usize, AppError> {
    let n = contacts.len();
    let mut written = 0;
    for (i, c) in contacts.iter().enumerate() {
        // Contact i gets its share of `total`: the running quota rounded down, minus what was
        // already written, so the sum is exactly `total`.
        let due = ((i + 1) as u128 * total as u128 / n as u128) as usize;
        for _ in written..due {
            let span = c.age.clamp(1, 365 * 86_400);
            let ago = g.rng.random_range(0..span);
            let at = g.ago(ago);
            let (kind, outcome, body) = g.said(NOTES);
            let company_only = c.company.is_some() && g.rng.random_bool(COMPANY_ONLY);
            store::activity(
                conn,
                &store::Activity {
                    company: c.company,
                    contact: (!company_only).then_some(c.id),
                    deal: None,
                    kind,
                    outcome,
                    body,
                    at: &at,
                    next_follow_up: None,
                    by: c.owner,
                },
            )?;
        }
        written = due;
    }
    Ok(written)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::crm::followups::{KINDS, OUTCOMES};

    /// Kinds and outcomes the follow-up form offers, so the timeline can name them.
    pub(in crate::crm::seed) fn known(list: &[Said]) -> bool {
        list.iter().all(|(kind, outcome, _)| {
            KINDS.contains(kind) && outcome.is_none_or(|o| OUTCOMES.contains(&o))
        })
    }

    #[test]
    fn customer_follow_ups_are_of_known_kinds_and_outcomes() {
        assert!(known(NOTES));
    }
}
