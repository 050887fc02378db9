//! The OpenAPI 3 description of `/api/v1`, built from the same entity definitions the API
//! serves, so the document cannot drift from the fields.

use crate::crm::records::{Entity, Kind};
use crate::web::page::Page;
use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

/// What one collection offers.
pub struct Collection {
    /// Path segment, e.g. `companies`.
    pub name: &'static str,
    /// Properties of one item (JSON Schema).
    pub properties: Value,
    /// Properties a client must send on create.
    pub required: Vec<&'static str>,
    /// Query filters the list takes besides `limit`, `cursor`, `sort`, `q`.
    pub filters: Vec<&'static str>,
    /// Sort keys.
    pub sorts: Vec<&'static str>,
    /// What clients may do besides reading.
    pub writes: Writes,
}

/// The writes a collection takes. Reading (list and get) is always offered.
#[derive(Debug, Clone, Copy)]
pub struct Writes {
    /// `POST` creates an item.
    pub create: bool,
    /// `PATCH` changes an item at the version in `If-Match`; its `GET` carries an `ETag`.
    pub update: bool,
    /// `DELETE` is offered, doing what this says (e.g. "moved to the trash").
    pub delete: Option<&'static str>,
    /// `POST` refuses a new item that looks like existing ones (409 listing them) unless
    /// the query says `allow_duplicate=true`.
    pub duplicates: bool,
}

impl Writes {
    /// Read-only.
    pub const NONE: Writes = Writes {
        create: false,
        update: false,
        delete: None,
        duplicates: false,
    };
    /// Create only: a log, or things the pages never change.
    pub const CREATE: Writes = Writes {
        create: true,
        update: false,
        delete: None,
        duplicates: false,
    };
    /// Create and change, never delete.
    pub const CREATE_CHANGE: Writes = Writes {
        create: true,
        update: true,
        delete: None,
        duplicates: false,
    };
    /// Create, change and delete to the trash, like every kind of record.
    pub const ALL: Writes = Writes {
        create: true,
        update: true,
        delete: Some("moved to the trash"),
        duplicates: false,
    };
}

fn kind_schema(k: Kind) -> Value {
    match k {
        Kind::Text(max) => json!({"type": "string", "maxLength": max}),
        Kind::LongText => json!({"type": "string", "maxLength": 10000}),
        Kind::Email => json!({"type": "string", "format": "email"}),
        Kind::Phone => {
            json!({"type": "string", "description": "any common format; stored normalized (+86…)"})
        }
        Kind::Select(o) => json!({"type": "string", "enum": o}),
        Kind::User | Kind::Industry | Kind::Stage => json!({"type": "integer"}),
        Kind::Company | Kind::Contact => {
            json!({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "an id, or a name on input"})
        }
        Kind::Money => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$", "description": "exact decimal; a number is accepted on input"})
        }
        Kind::Date => json!({"type": "string", "format": "date"}),
    }
}

/// The collection of a kind of record.
pub fn record_collection(e: &'static Entity) -> Collection {
    let mut props = Map::new();
    props.insert("id".into(), json!({"type": "integer", "readOnly": true}));
    props.insert(
        "version".into(),
        json!({"type": "integer", "readOnly": true}),
    );
    for f in e.fields {
        props.insert(f.name.into(), kind_schema(f.kind));
        let name = match f.kind {
            Kind::User => Some("owner_name"),
            Kind::Company => Some("company_name"),
            Kind::Contact => Some("contact_name"),
            Kind::Stage => Some("stage_name"),
            Kind::Industry => Some("industry_name"),
            _ => None,
        };
        if let Some(n) = name {
            props.insert(
                n.into(),
                json!({"type": ["string", "null"], "readOnly": true}),
            );
        }
    }
    props.insert(
        "custom".into(),
        json!({"type": "object", "description": "custom fields by key", "additionalProperties": true}),
    );
    props.insert(
        "created_at".into(),
        json!({"type": "string", "format": "date-time", "readOnly": true}),
    );
    props.insert(
        "updated_at".into(),
        json!({"type": "string", "format": "date-time", "readOnly": true}),
    );
    let mut filters = vec!["owner_id", "tag_id"];
    for f in [
        "status",
        "company_id",
        "industry_id",
        "source",
        "province",
        "city",
        "title",
        "stage_id",
    ] {
        if e.field(f).is_some() {
            filters.push(f);
        }
    }
    Collection {
        name: e.table,
        properties: Value::Object(props),
        required: e
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect(),
        filters,
        sorts: e.sorts.to_vec(),
        writes: Writes {
            duplicates: crate::crm::records::store::checks_duplicates(e),
            ..Writes::ALL
        },
    }
}

/// Every collection the API serves.
pub fn collections() -> Vec<Collection> {
    let mut all: Vec<Collection> = super::record_entities()
        .into_iter()
        .map(record_collection)
        .collect();
    all.push(crate::crm::products::api::collection());
    all.push(crate::crm::users::api::collection());
    all.push(crate::crm::tags::api::collection());
    all.push(crate::crm::followups::api::activities::collection());
    all.push(crate::crm::followups::api::tasks::collection());
    all.push(crate::crm::quotes::api::collection());
    all
}

/// What a create's 409 means where it checks for duplicates.
const DUPLICATE: &str = "possible duplicate (code `duplicate`): `duplicates` lists the items it looks like, \
    each with what it shares (`matched`); one the user may not open shows only its owner and \
    `hidden: true`. Repeat with `allow_duplicate=true` to create it anyway";

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn item_response(name: &str, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["data"],
        "properties": {"data": {"$ref": format!("#/components/schemas/{name}")}}
    }}}})
}

fn paths_of(c: &Collection) -> (String, Value, String, Value) {
    let schema = c.name.to_string();
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let mut params = vec![
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "next_cursor of the previous page"}),
        json!({"name": "sort", "in": "query", "schema": {"type": "string", "enum": c.sorts.iter().flat_map(|s| [s.to_string(), format!("-{s}")]).collect::<Vec<_>>()}}),
        json!({"name": "q", "in": "query", "schema": {"type": "string"}, "description": "name contains"}),
    ];
    for f in &c.filters {
        params.push(json!({"name": f, "in": "query", "schema": {"type": "string"}}));
    }
    let errors = |codes: &[&str]| -> Map<String, Value> {
        codes
            .iter()
            .map(|c| {
                let d = match *c {
                    "401" => "no valid token",
                    "403" => "not allowed for this user or token",
                    "404" => "no such record (or not visible to this user)",
                    "409" => "not possible in the item's current state",
                    "412" => "the record changed since the version in If-Match",
                    "422" => "validation failed; `fields` names each problem",
                    "428" => "If-Match is required",
                    _ => "too many requests",
                };
                (c.to_string(), error_response(d))
            })
            .collect()
    };
    let mut list_responses = errors(&["401", "403", "422", "429"]);
    list_responses.insert("200".into(), json!({"description": "a page of items", "content": {"application/json": {"schema": {
        "type": "object", "required": ["data", "next_cursor"],
        "properties": {"data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}},
                       "next_cursor": {"type": ["string", "null"]}}
    }}}}));
    let mut collection = Map::new();
    collection.insert("get".into(), json!({"operationId": format!("list_{}", c.name), "tags": [c.name], "parameters": params, "responses": list_responses}));
    let mut item = Map::new();
    let mut get_responses = errors(&["401", "403", "404", "429"]);
    get_responses.insert("200".into(), item_response(&schema, "the item"));
    item.insert("get".into(), json!({"operationId": format!("get_{}", c.name), "tags": [c.name], "parameters": [id_param], "responses": get_responses}));
    let body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    if c.writes.create {
        let mut create_responses = errors(&["401", "403", "422", "429"]);
        create_responses.insert("201".into(), item_response(&schema, "created"));
        let mut create = json!({"operationId": format!("create_{}", c.name), "tags": [c.name], "requestBody": body});
        if c.writes.duplicates {
            create_responses.insert("409".into(), error_response(DUPLICATE));
            create["parameters"] = json!([{"name": "allow_duplicate", "in": "query", "schema": {"type": "boolean", "default": false},
                "description": "create the item even if it looks like existing ones (`true` or `1`)"}]);
        }
        create["responses"] = Value::Object(create_responses);
        collection.insert("post".into(), create);
    }
    if c.writes.update {
        let mut patch_responses = errors(&["401", "403", "404", "409", "412", "422", "428", "429"]);
        patch_responses.insert("200".into(), item_response(&schema, "changed"));
        let if_match = json!({"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"}, "description": "the version the change was made on, e.g. \"3\""});
        item.insert("patch".into(), json!({"operationId": format!("update_{}", c.name), "tags": [c.name], "parameters": [id_param, if_match], "requestBody": body, "responses": patch_responses}));
    }
    if let Some(what) = c.writes.delete {
        let mut delete_responses = errors(&["401", "403", "404", "429"]);
        delete_responses.insert("204".into(), json!({ "description": what }));
        item.insert("delete".into(), json!({"operationId": format!("delete_{}", c.name), "tags": [c.name], "parameters": [id_param], "responses": delete_responses}));
    }
    (
        format!("/api/v1/{}", c.name),
        Value::Object(collection),
        format!("/api/v1/{}/{{id}}", c.name),
        Value::Object(item),
    )
}

/// The whole document.
pub fn build() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for c in collections() {
        let (list, list_ops, one, one_ops) = paths_of(&c);
        paths.insert(list, list_ops);
        paths.insert(one, one_ops);
        schemas.insert(
            c.name.into(),
            json!({"type": "object", "required": c.required, "properties": c.properties}),
        );
    }
    paths.insert("/api/v1/openapi.json".into(), json!({"get": {
        "operationId": "openapi", "security": [],
        "responses": {"200": {"description": "this document", "content": {"application/json": {"schema": {"type": "object"}}}}}
    }}));
    schemas.insert("Error".into(), json!({
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "request_id": {"type": "string"},
            "duplicates": {"type": "array", "description": "with code `duplicate` only", "items": {
                "type": "object", "required": ["owner", "matched"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "owner": {"type": ["string", "null"], "description": "the owner's name"},
                    "matched": {"type": "string", "enum": ["name", "mobile", "phone", "email"]},
                    "hidden": {"type": "boolean", "description": "true for an item the user may not open: no id or name"}
                }}}
        }}}
    }));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Kith API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Send `Authorization: Bearer TOKEN` with every request. A token acts as its user, within the user's permissions."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    })
}

/// `GET /api/v1/openapi.json`: public, it describes the API and holds no data.
pub async fn document(_page: Page) -> HttpResponse {
    HttpResponse::Ok().json(build())
}
