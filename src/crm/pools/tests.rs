use super::*;

fn pool(id: i64, entity: PoolEntity, department_id: Option<i64>, active: bool) -> Pool {
    Pool {
        id,
        name: format!("p{id}"),
        entity,
        days: 30,
        claim_limit: 5,
        department_id,
        department_name: None,
        active,
        version: 1,
    }
}

#[test]
fn the_most_specific_active_pool_watches_each_owner() {
    // Arrange: 销售部 (1) with 华北 (2) below it, 华北 with 北京 (3) below; 客服部 (4).
    let departments = [(1, None), (2, Some(1)), (3, Some(2)), (4, None)];
    let users = [(10, Some(3)), (11, Some(1)), (12, Some(4)), (13, None)];
    let pools = [
        pool(1, PoolEntity::Leads, None, true),
        pool(2, PoolEntity::Leads, Some(2), true),
        pool(3, PoolEntity::Leads, Some(2), true),
        pool(4, PoolEntity::Leads, Some(4), false),
        pool(5, PoolEntity::Companies, Some(1), true),
    ];

    // Act
    let leads = watchers(&pools, PoolEntity::Leads, &departments, &users);
    let companies = watchers(&pools, PoolEntity::Companies, &departments, &users);

    // Assert: 北京 falls under 华北's first pool; the rest under the company-wide one
    // (an inactive pool watches nobody); only 销售部's people have a company pool.
    assert_eq!(leads.get(&2), Some(&vec![10]));
    assert_eq!(leads.get(&1), Some(&vec![11, 12, 13]));
    assert_eq!(leads.len(), 2);
    assert_eq!(companies.get(&5), Some(&vec![10, 11]));
    assert_eq!(companies.len(), 1);
}

#[test]
fn a_department_loop_does_not_hang_the_walk_up_the_tree() {
    let departments = [(1, Some(2)), (2, Some(1))];
    let pools = [pool(1, PoolEntity::Leads, None, true)];
    let w = watchers(&pools, PoolEntity::Leads, &departments, &[(7, Some(1))]);
    assert_eq!(w.get(&1), Some(&vec![7]));
}

#[test]
fn the_pool_form_names_each_bad_field() {
    let input = PoolInput {
        name: " ".into(),
        entity: "deals".into(),
        days: "0".into(),
        claim_limit: "x".into(),
        department_id: "abc".into(),
        ..PoolInput::default()
    };
    let errors = input.validate().unwrap_err();
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        ["claim_limit", "days", "department_id", "entity", "name"]
    );
}

#[test]
fn a_valid_pool_form_is_trimmed_and_parsed() {
    let input = PoolInput {
        name: " 华北公海 ".into(),
        entity: "companies".into(),
        days: "15".into(),
        claim_limit: "8".into(),
        department_id: "3".into(),
        active: "1".into(),
        version: 0,
    };
    assert_eq!(
        input.validate().unwrap(),
        ValidPool {
            name: "华北公海".into(),
            entity: PoolEntity::Companies,
            days: 15,
            claim_limit: 8,
            department_id: Some(3),
            active: true,
        }
    );
}

#[test]
fn notifications_name_three_records_at_most() {
    let names: Vec<String> = ["甲", "乙", "丙", "丁"].map(String::from).to_vec();
    assert_eq!(notify_names(&names[..2]), "甲, 乙");
    assert_eq!(notify_names(&names), "甲, 乙, 丙, …");
}
