//! SQL for what the API reads of follow-ups and tasks: every one the reader reaches through
//! the records it shows on (or, for a task, by being its assignee), narrowed and in keyset
//! pages.

use rusqlite::{Connection, Row};
use serde::Serialize;

/// Whose follow-ups and tasks a reader reaches: per kind of record, every record (`all`),
/// or those of `owners` and the `shared` ones (both JSON arrays of ids). A follow-up or task
/// is reached when one of the live records it shows on is; a task also when it is the
/// reader's own (`me`).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// The reader, whose own tasks are always reached.
    pub me: i64,
    /// Companies, contacts, deals, leads: (all, owners, shared).
    pub kinds: [(bool, String, String); 4],
}

/// The columns of activities and tasks that name each kind of record, in [`Reach::kinds`]
/// order, with their table and parameter prefix.
const PARENTS: [(&str, &str, &str); 4] = [
    ("company_id", "companies", "co"),
    ("contact_id", "contacts", "ct"),
    ("deal_id", "deals", "de"),
    ("lead_id", "leads", "le"),
];

/// `(… OR …)`: one of the live records a row of `alias` shows on is reached.
fn reached(alias: &str) -> String {
    let each: Vec<String> = PARENTS
        .iter()
        .map(|(col, table, p)| {
            format!(
                "({alias}.{col} IS NOT NULL AND EXISTS (SELECT 1 FROM {table} r
                   WHERE r.id = {alias}.{col} AND r.deleted_at IS NULL
                     AND (:{p}_all OR r.owner_id IN (SELECT value FROM json_each(:{p}_owners))
                          OR r.id IN (SELECT value FROM json_each(:{p}_shared)))))"
            )
        })
        .collect();
    format!("({})", each.join(" OR "))
}

/// Named parameters of one query, owned.
type Named = Vec<(String, Box<dyn rusqlite::ToSql>)>;

fn reach_params(r: &Reach, out: &mut Named) {
    for ((_, _, p), (all, owners, shared)) in PARENTS.iter().zip(&r.kinds) {
        out.push((format!(":{p}_all"), Box::new(*all)));
        out.push((format!(":{p}_owners"), Box::new(owners.clone())));
        out.push((format!(":{p}_shared"), Box::new(shared.clone())));
    }
}

fn run<T>(
    conn: &Connection,
    sql: &str,
    params: &Named,
    map: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let args: Vec<(&str, &dyn rusqlite::ToSql)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_ref() as &dyn rusqlite::ToSql))
        .collect();
    stmt.query_map(args.as_slice(), map)?.collect()
}

/// What a list of follow-ups or tasks is narrowed to and where the page starts.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    /// Of this company, contact, deal, lead (in [`PARENTS`] order).
    pub parents: [Option<i64>; 4],
    /// Follow-ups: of this kind; tasks: unused.
    pub kind: Option<String>,
    /// Follow-ups: with this outcome; tasks: done (`"1"`) or open (`"0"`).
    pub state: Option<String>,
    /// Follow-ups: logged by; tasks: assigned to.
    pub user: Option<i64>,
    /// Text the body (follow-ups) or title (tasks) contains.
    pub q: Option<String>,
    /// Sort key (allow-listed by the caller; see [`activity_page`] and [`task_page`]).
    pub sort: String,
    /// Descending.
    pub desc: bool,
    /// The (sort value, id) of the previous page's last row.
    pub after: Option<(String, i64)>,
}

/// The `WHERE` and `ORDER BY` shared by both lists: `alias`'s rows reached, narrowed, after
/// the cursor, by `sort_expr`.
fn narrowed(alias: &str, n: &Narrow, sort_expr: &str, limit: usize, params: &mut Named) -> String {
    let mut sql = String::new();
    for ((col, _, p), v) in PARENTS.iter().zip(n.parents) {
        sql.push_str(&format!(" AND (:{p} IS NULL OR {alias}.{col} = :{p})"));
        params.push((format!(":{p}"), Box::new(v)));
    }
    let (dir, cmp) = if n.desc { ("DESC", "<") } else { ("ASC", ">") };
    let (after_value, after_id) = n.after.clone().unzip();
    sql.push_str(&format!(
        " AND (:after IS NULL OR ({sort_expr}, {alias}.id) {cmp} (:after, :after_id))
         ORDER BY {sort_expr} {dir}, {alias}.id {dir} LIMIT :limit"
    ));
    params.push((":after".into(), Box::new(after_value)));
    params.push((":after_id".into(), Box::new(after_id)));
    params.push((":limit".into(), Box::new(limit as i64 + 1)));
    sql
}

fn paged<T>(mut rows: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// A follow-up with every record it belongs to, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityItem {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Text.
    pub body: String,
    /// When (UTC).
    pub occurred_at: String,
    /// Next follow-up date.
    pub next_follow_up: Option<String>,
    /// Who logged it.
    pub created_by: Option<i64>,
    /// Their name.
    pub author: Option<String>,
    /// Company, contact, deal, lead.
    pub parents: [Option<i64>; 4],
}

const ACTIVITY: &str = "SELECT a.id, a.kind, a.outcome, a.body, a.occurred_at, a.next_follow_up,
       a.created_by, (SELECT name FROM users WHERE id = a.created_by),
       a.company_id, a.contact_id, a.deal_id, a.lead_id
  FROM activities a";

fn activity_item(r: &Row<'_>) -> rusqlite::Result<ActivityItem> {
    Ok(ActivityItem {
        id: r.get(0)?,
        kind: r.get(1)?,
        outcome: r.get(2)?,
        body: r.get(3)?,
        occurred_at: r.get(4)?,
        next_follow_up: r.get(5)?,
        created_by: r.get(6)?,
        author: r.get(7)?,
        parents: [r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
    })
}

/// One follow-up, if the reader reaches it.
pub fn activity(
    conn: &Connection,
    reach: &Reach,
    id: i64,
) -> rusqlite::Result<Option<ActivityItem>> {
    let mut params: Named = vec![(":id".into(), Box::new(id))];
    reach_params(reach, &mut params);
    let sql = format!("{ACTIVITY} WHERE a.id = :id AND {}", reached("a"));
    Ok(run(conn, &sql, &params, activity_item)?.pop())
}

/// A page of the follow-ups the reader reaches, sorted by `occurred_at`, and whether more
/// follow.
pub fn activity_page(
    conn: &Connection,
    reach: &Reach,
    n: &Narrow,
    limit: usize,
) -> rusqlite::Result<(Vec<ActivityItem>, bool)> {
    let mut params: Named = vec![
        (":kind".into(), Box::new(n.kind.clone())),
        (":outcome".into(), Box::new(n.state.clone())),
        (":user".into(), Box::new(n.user)),
        (":q".into(), Box::new(n.q.clone())),
    ];
    reach_params(reach, &mut params);
    let tail = narrowed("a", n, "a.occurred_at", limit, &mut params);
    let sql = format!(
        "{ACTIVITY} WHERE {} AND (:kind IS NULL OR a.kind = :kind)
           AND (:outcome IS NULL OR a.outcome = :outcome)
           AND (:user IS NULL OR a.created_by = :user)
           AND (:q IS NULL OR instr(a.body, :q) > 0){tail}",
        reached("a")
    );
    Ok(paged(run(conn, &sql, &params, activity_item)?, limit))
}

/// A task with every record it belongs to, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskItem {
    /// Id.
    pub id: i64,
    /// What to do.
    pub title: String,
    /// Due date.
    pub due_date: Option<String>,
    /// Done since.
    pub done_at: Option<String>,
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Their name.
    pub assignee_name: Option<String>,
    /// Company, contact, deal, lead.
    pub parents: [Option<i64>; 4],
    /// Who made it.
    pub created_by: Option<i64>,
    /// UTC.
    pub created_at: String,
    /// UTC.
    pub updated_at: String,
    /// Version for optimistic concurrency.
    pub version: i64,
}

const TASK: &str = "SELECT t.id, t.title, t.due_date, t.done_at, t.assignee_id,
       (SELECT name FROM users WHERE id = t.assignee_id),
       t.company_id, t.contact_id, t.deal_id, t.lead_id, t.created_by, t.created_at,
       t.updated_at, t.version
  FROM tasks t";

fn task_item(r: &Row<'_>) -> rusqlite::Result<TaskItem> {
    Ok(TaskItem {
        id: r.get(0)?,
        title: r.get(1)?,
        due_date: r.get(2)?,
        done_at: r.get(3)?,
        assignee_id: r.get(4)?,
        assignee_name: r.get(5)?,
        parents: [r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
        created_by: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        version: r.get(13)?,
    })
}

/// One task, if the reader reaches it.
pub fn task_item_of(
    conn: &Connection,
    reach: &Reach,
    id: i64,
) -> rusqlite::Result<Option<TaskItem>> {
    let mut params: Named = vec![
        (":id".into(), Box::new(id)),
        (":me".into(), Box::new(reach.me)),
    ];
    reach_params(reach, &mut params);
    let sql = format!(
        "{TASK} WHERE t.id = :id AND (t.assignee_id = :me OR {})",
        reached("t")
    );
    Ok(run(conn, &sql, &params, task_item)?.pop())
}

/// A page of the tasks the reader reaches, sorted by `due_date` (undated last),
/// `created_at` or `updated_at`, and whether more follow.
pub fn task_page(
    conn: &Connection,
    reach: &Reach,
    n: &Narrow,
    limit: usize,
) -> rusqlite::Result<(Vec<TaskItem>, bool)> {
    let mut params: Named = vec![
        (":me".into(), Box::new(reach.me)),
        (":done".into(), Box::new(n.state.clone())),
        (":user".into(), Box::new(n.user)),
        (":q".into(), Box::new(n.q.clone())),
    ];
    reach_params(reach, &mut params);
    let sort = match n.sort.as_str() {
        "created_at" => "t.created_at",
        "updated_at" => "t.updated_at",
        _ => UNDATED_LAST,
    };
    let tail = narrowed("t", n, sort, limit, &mut params);
    let sql = format!(
        "{TASK} WHERE (t.assignee_id = :me OR {})
           AND (:done IS NULL OR (t.done_at IS NOT NULL) = (:done = '1'))
           AND (:user IS NULL OR t.assignee_id = :user)
           AND (:q IS NULL OR instr(t.title, :q) > 0){tail}",
        reached("t")
    );
    Ok(paged(run(conn, &sql, &params, task_item)?, limit))
}

/// A task's due date as it sorts: tasks without one after every dated one.
const UNDATED_LAST: &str = "coalesce(t.due_date, '9999-12-31')";

/// The sort value of a task's due date as [`task_page`] compares it.
pub fn due_sort_value(due: Option<&str>) -> String {
    due.unwrap_or("9999-12-31").to_string()
}
