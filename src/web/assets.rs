//! Static files from `assets/static/`, served with a content-hash ETag and, when the URL
//! carries the hash, a year-long immutable cache lifetime.

use super::Assets;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hash_of(path: &str) -> Option<String> {
    Assets::get(&format!("static/{path}")).map(|f| hex::encode(f.metadata.sha256_hash()))
}

/// The URL of a static file with its content hash, for templates: `asset("app.css")`.
pub fn url(path: &str) -> String {
    match hash_of(path) {
        Some(h) => format!("/static/{path}?v={}", &h[..12]),
        None => format!("/static/{path}"),
    }
}

/// `GET /static/{path}`.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let Some(file) = Assets::get(&format!("static/{path}")) else {
        return HttpResponse::NotFound().finish();
    };
    let hash = hex::encode(file.metadata.sha256_hash());
    let etag = format!("\"{}\"", &hash[..32]);
    let versioned = req.query_string().starts_with("v=");
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type(&path)))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.data.into_owned())
}
