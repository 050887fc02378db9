//! Matching file columns to fields.
//!
//! Users' files name columns the way their last tool did: 客户名称, "Account Name", "手机号码",
//! "Amount (USD)". Built-in synonyms in both languages propose a mapping the user then confirms;
//! a fingerprint of the headers lets a saved mapping be offered again for the same layout.

/// A field a column can be mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The record field (`name`, `company_id`, …) or `custom.<key>` for a custom field.
    pub key: String,
    /// What users call it, in both languages, best first: the field's own labels, then synonyms.
    pub labels: Vec<String>,
}

impl Target {
    /// A built-in field of an entity table: its own labels first, then [`synonyms`].
    pub fn field(entity: &str, key: &str, labels: Vec<String>) -> Target {
        let (key, mut labels) = (key.to_string(), labels);
        labels.extend(synonyms(entity, &key).iter().map(|s| s.to_string()));
        Target { key, labels }
    }

    /// A custom field, matched by its label only (its key is an opaque `f1`).
    pub fn custom(key: &str, label: &str) -> Target {
        let (key, labels) = (format!("custom.{key}"), vec![label.to_string()]);
        Target { key, labels }
    }
}

/// A header reduced to what identifies it: lower case, without spaces and punctuation
/// that differs between files (`_ - . * ( ) （ ） : ：`).
pub fn normalize_header(h: &str) -> String {
    const STRIP: &[char] = &[
        '_', '-', '.', '*', '(', ')', '（', '）', ':', '：', '\u{feff}',
    ];
    h.chars()
        .filter(|c| !c.is_whitespace() && !STRIP.contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Proposes a target key for each column, or `None`; each target is used at most once.
///
/// Matches are ranked: the whole header equal to a label, then the header without a bracketed
/// unit or trailing number (`金额(元)`, `Phone 2`), then a header ending in a long enough label
/// (`联系人手机`, `Primary Email`). Within a rank an earlier label wins, then an earlier column.
pub fn auto_map(headers: &[String], targets: &[Target]) -> Vec<Option<String>> {
    let labels: Vec<Vec<String>> = targets.iter().map(target_names).collect();
    let mut candidates = Vec::new();
    for (col, header) in headers.iter().enumerate() {
        let (whole, core) = (normalize_header(header), normalize_header(&core(header)));
        for (t, names) in labels.iter().enumerate() {
            if let Some(rank) = rank(&whole, &core, names) {
                candidates.push((rank, col, t));
            }
        }
    }
    candidates.sort_unstable();
    let mut out = vec![None; headers.len()];
    let mut used = vec![false; targets.len()];
    for (_, col, t) in candidates {
        let (Some(slot), Some(taken), Some(target)) =
            (out.get_mut(col), used.get_mut(t), targets.get(t))
        else {
            continue;
        };
        if slot.is_none() && !*taken {
            *slot = Some(target.key.clone());
            *taken = true;
        }
    }
    out
}

fn target_names(target: &Target) -> Vec<String> {
    let key = std::iter::once(&target.key);
    key.chain(&target.labels)
        .map(|s| normalize_header(s))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The header without bracketed parts and trailing digits: `金额(元)` → `金额`, `Phone 2` → `Phone`.
fn core(header: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in header.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_whitespace())
        .to_string()
}

/// The best rank of a header against a target's names; lower is better.
fn rank(whole: &str, core: &str, names: &[String]) -> Option<(u8, usize)> {
    let exact = |h: &str| names.iter().position(|n| n == h);
    if let Some(i) = exact(whole) {
        return Some((0, i));
    }
    if let Some(i) = exact(core).filter(|_| !core.is_empty()) {
        return Some((1, i));
    }
    let long = |n: &&String| n.chars().count() >= if has_cjk(n) { 2 } else { 5 };
    let suffix = names
        .iter()
        .filter(long)
        .filter(|n| whole.ends_with(n.as_str()));
    suffix.map(|n| (2, usize::MAX - n.len())).min()
}

/// The (first name, last name) columns when a file splits names and has no full-name column,
/// so the caller can join them with [`join_name`].
pub fn name_parts(headers: &[String]) -> Option<(usize, usize)> {
    const FIRST: &[&str] = &["firstname", "givenname", "forename", "名"];
    const LAST: &[&str] = &["lastname", "surname", "familyname", "姓", "姓氏"];
    const FULL: &[&str] = &["name", "fullname", "contactname", "姓名", "名字", "联系人"];
    let find = |set: &[&str]| {
        headers
            .iter()
            .position(|h| set.contains(&&*normalize_header(h)))
    };
    match (find(FIRST), find(LAST), find(FULL)) {
        (Some(first), Some(last), None) => Some((first, last)),
        _ => None,
    }
}

/// A full name from its parts: `John Miller`, but `张伟` (family name first, no space) when
/// either part is written in Chinese, Japanese or Korean script.
pub fn join_name(first: &str, last: &str) -> String {
    let (first, last) = (first.trim(), last.trim());
    let joined = first.is_empty() || last.is_empty() || has_cjk(first) || has_cjk(last);
    if joined {
        format!("{last}{first}")
    } else {
        format!("{first} {last}")
    }
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}'
            | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2fa1f}')
    })
}

/// A stable fingerprint of a file's column layout (order matters, spelling details do not),
/// to offer a saved mapping again: 64-bit FNV-1a of the normalized headers, in hex.
pub fn template_key(headers: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, header) in headers.iter().enumerate() {
        let sep = if i == 0 { None } else { Some(0x1f) };
        for byte in sep.into_iter().chain(normalize_header(header).bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Built-in names for a field of an entity table (`companies`, `contacts`, `leads`, `deals`,
/// `products`), best first; empty for a field without any.
pub fn synonyms(entity: &str, field: &str) -> &'static [&'static str] {
    use words::*;
    match (entity, field) {
        ("companies", "name") => COMPANY,
        ("companies", "phone") => COMPANY_PHONE,
        ("contacts" | "deals", "company_id") | ("leads", "company_name") => COMPANY_REF,
        ("deals", "name") => DEAL,
        ("deals", "contact_id") => CONTACT_REF,
        ("deals", "source") | ("leads", "source") => LEAD_SOURCE,
        ("products", "name") => PRODUCT,
        ("products", "active") => ACTIVE,
        (_, "name") => PERSON,
        (_, "mobile") => MOBILE,
        (_, "phone") => PHONE,
        (_, "email") => EMAIL,
        (_, "industry_id") => INDUSTRY,
        (_, "province") => PROVINCE,
        (_, "city") => CITY,
        (_, "source") => SOURCE,
        (_, "owner_id") => OWNER,
        (_, "notes") => NOTES,
        (_, "title") => TITLE,
        (_, "wechat") => WECHAT,
        (_, "website") => WEBSITE,
        (_, "address") => ADDRESS,
        (_, "status") => STATUS,
        (_, "amount") => AMOUNT,
        (_, "stage_id") => STAGE,
        (_, "expected_close") => EXPECTED_CLOSE,
        (_, "currency") => CURRENCY,
        (_, "lost_reason") => LOST_REASON,
        (_, "sku") => SKU,
        (_, "unit") => UNIT,
        (_, "price") => PRICE,
        (_, "tax_rate") => TAX_RATE,
        (_, "tags") => TAGS,
        _ => &[],
    }
}

/// The synonym lists, one per line so they read as a table.
#[rustfmt::skip]
mod words {
    pub(super) const COMPANY: &[&str] = &["客户名称", "公司名称", "企业名称", "单位名称", "公司", "客户", "企业", "Company", "Company Name", "Account Name", "Account", "Organization", "Organisation", "Organization Name", "名称", "Name"];
    pub(super) const COMPANY_REF: &[&str] = &["客户名称", "公司名称", "企业名称", "单位名称", "所属公司", "公司", "客户", "企业", "Company", "Company Name", "Account Name", "Account", "Organization", "Organisation", "Organization Name"];
    pub(super) const PERSON: &[&str] = &["姓名", "联系人", "联系人姓名", "客户姓名", "名字", "Name", "Full Name", "Contact", "Contact Name", "Lead Name"];
    pub(super) const CONTACT_REF: &[&str] = &["联系人", "联系人姓名", "Contact", "Contact Name", "Primary Contact"];
    pub(super) const MOBILE: &[&str] = &["手机", "手机号", "手机号码", "移动电话", "Mobile", "Mobile Phone", "Mobile Phone Number", "Mobile Number", "Cell", "Cell Phone", "Cellphone"];
    pub(super) const PHONE: &[&str] = &["座机", "电话", "固定电话", "办公电话", "联系电话", "电话号码", "Phone", "Phone Number", "Telephone", "Tel", "Business Phone", "Work Phone", "Office Phone"];
    pub(super) const COMPANY_PHONE: &[&str] = &["座机", "电话", "公司电话", "固定电话", "办公电话", "联系电话", "电话号码", "Phone", "Phone Number", "Telephone", "Tel", "Business Phone", "Work Phone", "Office Phone", "手机", "手机号", "手机号码", "移动电话", "Mobile", "Mobile Phone"];
    pub(super) const EMAIL: &[&str] = &["邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址", "电子邮件地址", "Email", "E-mail", "Email Address", "Mail"];
    pub(super) const INDUSTRY: &[&str] = &["行业", "所属行业", "行业类型", "Industry"];
    pub(super) const PROVINCE: &[&str] = &["省份", "省", "所在省份", "省/直辖市", "Province", "State", "State/Province", "Mailing State", "Mailing State/Province", "Billing State", "Billing State/Province", "State/Region"];
    pub(super) const CITY: &[&str] = &["城市", "市", "所在城市", "City", "Mailing City", "Billing City", "Town"];
    pub(super) const SOURCE: &[&str] = &["客户来源", "来源", "线索来源", "来源渠道", "渠道", "Source", "Lead Source", "Original Source"];
    pub(super) const LEAD_SOURCE: &[&str] = &["线索来源", "商机来源", "客户来源", "来源", "来源渠道", "渠道", "Source", "Lead Source", "Original Source"];
    pub(super) const OWNER: &[&str] = &["负责人", "所有者", "归属人", "跟进人", "销售负责人", "业务员", "Owner", "Contact Owner", "Lead Owner", "Account Owner", "Deal Owner", "Opportunity Owner", "Assigned To", "Sales Rep", "负责人邮箱", "Owner Email"];
    pub(super) const NOTES: &[&str] = &["备注", "说明", "描述", "Notes", "Note", "Description", "Comments", "Comment", "Remarks"];
    pub(super) const TITLE: &[&str] = &["职位", "职务", "头衔", "Title", "Job Title", "Position"];
    pub(super) const WECHAT: &[&str] = &["微信", "微信号", "WeChat", "WeChat ID", "Weixin"];
    pub(super) const WEBSITE: &[&str] = &["网址", "网站", "官网", "公司网址", "Website", "Web Site", "Website URL", "URL", "Homepage"];
    pub(super) const ADDRESS: &[&str] = &["地址", "详细地址", "公司地址", "通讯地址", "Address", "Street", "Street Address", "Mailing Street", "Billing Street"];
    pub(super) const STATUS: &[&str] = &["状态", "客户状态", "线索状态", "生命周期", "Lifecycle Stage", "Status", "Lead Status", "Contact Status", "Account Status"];
    pub(super) const DEAL: &[&str] = &["商机名称", "商机", "项目名称", "机会名称", "Deal Name", "Opportunity Name", "Opportunity", "Deal", "名称", "Name"];
    pub(super) const AMOUNT: &[&str] = &["金额", "商机金额", "预计金额", "合同金额", "Amount", "Deal Amount", "Opportunity Amount", "Value", "Deal Value"];
    pub(super) const STAGE: &[&str] = &["阶段", "销售阶段", "商机阶段", "Stage", "Deal Stage", "Sales Stage", "Pipeline Stage"];
    pub(super) const EXPECTED_CLOSE: &[&str] = &["预计成交日期", "预计签单日期", "预计成交时间", "成交日期", "Close Date", "Expected Close Date", "Expected Close"];
    pub(super) const CURRENCY: &[&str] = &["币种", "货币", "Currency"];
    pub(super) const LOST_REASON: &[&str] = &["输单原因", "丢单原因", "Lost Reason", "Closed Lost Reason", "Loss Reason"];
    pub(super) const SKU: &[&str] = &["产品编号", "产品编码", "编码", "编号", "货号", "SKU", "Product Code", "Item Code", "Code"];
    pub(super) const PRODUCT: &[&str] = &["产品名称", "名称", "品名", "产品", "Product Name", "Product", "Item Name", "Name"];
    pub(super) const UNIT: &[&str] = &["单位", "计量单位", "Unit", "UOM", "Unit of Measure"];
    pub(super) const PRICE: &[&str] = &["价格", "单价", "标准价格", "售价", "标价", "List Price", "Price", "Unit Price", "Sales Price"];
    pub(super) const TAX_RATE: &[&str] = &["税率", "Tax Rate", "Tax", "VAT", "VAT Rate"];
    pub(super) const ACTIVE: &[&str] = &["启用", "是否启用", "状态", "Active", "Enabled", "Status"];
    pub(super) const TAGS: &[&str] = &["标签", "Tags", "Tag"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::imports::read::{ReadOptions, read};
    use crate::crm::{companies::COMPANIES, contacts::CONTACTS, deals::DEALS, leads::LEADS};

    fn targets(entity: &crate::crm::records::Entity) -> Vec<Target> {
        let field = |f: &crate::crm::records::Field| Target::field(entity.table, f.name, vec![]);
        entity.fields.iter().map(field).collect()
    }

    /// Headers from a comma-separated list.
    fn headers(list: &str) -> Vec<String> {
        list.split(',').map(str::to_string).collect()
    }

    /// The mapped keys as a comma-separated list, empty for an unmapped column.
    fn mapped(headers: &[String], targets: &[Target]) -> String {
        let keys = auto_map(headers, targets).into_iter();
        keys.map(Option::unwrap_or_default)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn sample_headers(name: &str) -> Option<Vec<String>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
        let bytes = std::fs::read(format!("{dir}{name}")).expect("sample file in tests/data");
        let (table, _) = read(&bytes, name, &ReadOptions::default()).unwrap();
        Some(table.headers)
    }

    #[test]
    fn chinese_customer_headers_map_for_companies_contacts_and_leads() {
        let Some(file) = sample_headers("customers-zh-gbk.csv") else {
            return;
        };
        let mut companies = targets(&COMPANIES);
        companies.push(Target::custom("f1", "客户级别"));
        let place = "province,city,source";
        let company = format!("name,,,phone,email,industry_id,{place},custom.f1,notes");
        assert_eq!(mapped(&file, &companies), company);
        let contact = format!("company_id,name,mobile,phone,email,,{place},,notes");
        assert_eq!(mapped(&file, &targets(&CONTACTS)), contact);
        let lead = format!("company_name,name,mobile,phone,email,industry_id,{place},,notes");
        assert_eq!(mapped(&file, &targets(&LEADS)), lead);
    }

    #[test]
    fn english_contact_exports_map_their_columns() {
        let files = [
            ("contacts-en.csv", ",,email,phone,company_id,title,city,,"),
            (
                "export-salesforce-style-contacts.csv",
                ",,company_id,title,city,,email,phone,source",
            ),
            (
                "export-hubspot-style-contacts.csv",
                ",,email,phone,company_id,status,owner_id,",
            ),
        ];
        for (file, expected) in files {
            let Some(headers) = sample_headers(file) else {
                continue;
            };
            assert_eq!(mapped(&headers, &targets(&CONTACTS)), expected, "{file}");
            assert_eq!(name_parts(&headers), Some((0, 1)), "{file}");
        }
    }

    #[test]
    fn deal_workbook_headers_map_including_an_amount_with_its_unit() {
        let Some(file) = sample_headers("deals-zh.xlsx") else {
            return;
        };
        let expected = "name,company_id,amount,stage_id,expected_close,owner_id";
        assert_eq!(mapped(&file, &targets(&DEALS)), expected);
    }

    #[test]
    fn product_headers_map_in_both_languages() {
        let fields = ["sku", "name", "unit", "price", "tax_rate", "active"];
        let products = fields.map(|f| Target::field("products", f, vec![]));
        let zh = headers("产品编号,产品名称,单位,单价,税率,备注");
        assert_eq!(mapped(&zh, &products), "sku,name,unit,price,tax_rate,");
        let en = headers("Product Code,Product Name,UOM,List Price,Tax Rate (%)");
        assert_eq!(mapped(&en, &products), "sku,name,unit,price,tax_rate");
    }

    #[test]
    fn a_target_is_used_once_and_the_better_match_wins() {
        let file = headers("Phone 2,电话,Email,E-mail,联系人手机,客户级别,所属公司,Owner Email");
        let expected = ",phone,email,,mobile,,company_id,owner_id";
        assert_eq!(mapped(&file, &targets(&CONTACTS)), expected);
        let companies = targets(&COMPANIES);
        assert_eq!(
            mapped(&headers("手机,Company,座机"), &companies),
            ",name,phone"
        );
        assert_eq!(mapped(&headers("Mobile,客户"), &companies), "phone,name");
    }

    #[test]
    fn custom_fields_map_by_their_labels_and_own_labels_come_first() {
        let name = Target::field("contacts", "name", vec!["姓名".into(), "Name".into()]);
        assert_eq!(name.labels[..3], ["姓名", "Name", "姓名"]);
        let targets = [
            name,
            Target::custom("f2", "Birthday"),
            Target::custom("f3", "会员等级"),
        ];
        let file = headers("会员等级：,NAME,birthday*,Notes");
        assert_eq!(mapped(&file, &targets), "custom.f3,name,custom.f2,");
    }

    #[test]
    fn headers_normalize_across_spelling_and_punctuation() {
        assert_eq!(
            normalize_header(" Company_Name (必填)： "),
            "companyname必填"
        );
        assert_eq!(normalize_header("E-mail"), normalize_header("email"));
        assert_eq!(normalize_header("手机 号码*"), "手机号码");
    }

    #[test]
    fn split_names_are_found_and_joined_in_each_languages_order() {
        assert_eq!(
            name_parts(&headers("Email,Last Name,First Name")),
            Some((2, 1))
        );
        assert_eq!(name_parts(&headers("First Name,Last Name,Full Name")), None);
        assert_eq!(name_parts(&headers("名,姓")), Some((0, 1)));
        assert_eq!(join_name("伟", "张"), "张伟");
        assert_eq!(join_name("John", "Miller"), "John Miller");
        assert_eq!(join_name(" ", "Miller"), "Miller");
    }

    #[test]
    fn template_keys_match_the_same_columns_only() {
        let key = template_key(&headers("Company Name,手机"));
        assert_eq!(key, template_key(&headers("company_name, 手机 ")));
        assert_ne!(key, template_key(&headers("手机,Company Name")));
        assert_ne!(key, template_key(&headers("Company,Name手机")));
        assert_eq!(key.len(), 16);
    }
}
