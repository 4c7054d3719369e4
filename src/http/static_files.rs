//! The dashboard's static files (`frontend/`), compiled into the binary
//! by build.rs and served at `/` on the HTTP port, so an air-gapped
//! operator needs nothing but the binary.
//!
//! Every answer carries a strict Content-Security-Policy: scripts, styles
//! and connections only from this origin (the WebSocket included), no
//! inline code, no framing. Files are revalidated with their ETag
//! (`Cache-Control: no-cache` + `If-None-Match` → 304), so a new binary
//! is picked up on the next load. Static files need no credentials: the
//! API calls the page makes carry the token.

use super::{Http, Out, SERVER};
use std::sync::Arc;
use tiny_http::{Method, Request};

include!(concat!(env!("OUT_DIR"), "/frontend_files.rs"));

/// The CSP of every static answer. `'self'` in connect-src covers the
/// same-origin `ws:`/`wss:` WebSocket (CSP Level 3).
pub const CSP: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
    style-src 'self'; script-src 'self'; font-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Whether `path` belongs to the dashboard rather than the API.
pub fn is_static(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/") || path == "/ws")
}

/// The embedded file for a request path (`/` is `index.html`).
pub fn lookup(path: &str) -> Option<(&'static str, &'static [u8], &'static str)> {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    FILES.iter().find(|(p, _, _)| *p == rel).copied()
}

/// The Content-Type for a file name.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |x| x.1);
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn matches_etag(inm: &str, etag: &str) -> bool {
    inm.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == etag
    })
}

/// Answers a GET/HEAD for a dashboard path: 200 with the file, 304 when
/// the ETag matches, 404 for anything not embedded, 405 for other methods.
pub fn serve(http: &Arc<Http>, rq: Request, out: Out) {
    let method = rq.method().clone();
    let path = rq.url().split(['?', '#']).next().unwrap_or("").to_string();
    let (status, body, ctype, etag): (u16, &[u8], &str, Option<&str>) =
        if !matches!(method, Method::Get | Method::Head) {
            (
                405,
                b"405 method not allowed\n",
                "text/plain; charset=utf-8",
                None,
            )
        } else {
            match lookup(&path) {
                Some((p, bytes, etag)) => {
                    let inm = super::header_value(rq.headers(), "If-None-Match");
                    if inm.is_some_and(|v| matches_etag(v, etag)) {
                        (304, b"", content_type(p), Some(etag))
                    } else {
                        (200, bytes, content_type(p), Some(etag))
                    }
                }
                None => (404, b"404 not found\n", "text/plain; charset=utf-8", None),
            }
        };
    let mut headers: Vec<(&str, &str)> = vec![
        ("Server", SERVER),
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("X-Request-Id", &out.rid),
    ];
    if status != 304 {
        headers.push(("Content-Type", ctype));
    }
    match etag {
        Some(e) => {
            headers.push(("ETag", e));
            headers.push(("Cache-Control", "no-cache"));
        }
        None => headers.push(("Cache-Control", "no-store")),
    }
    if status == 405 {
        headers.push(("Allow", "GET, HEAD"));
    }
    http.count(out.route, status);
    let head_only = method == Method::Head || status == 304;
    respond_close(rq, status, &headers, body, head_only);
}

/// Writes a complete response with `Connection: close`.
///
/// tiny_http (0.12) gives each connection a thread of its task pool for
/// the connection's whole life, and a burst of new connections (a browser
/// opens six at once to load a page) can leave an accepted connection
/// queued behind idle keep-alive connections until one of them closes: the
/// page then waits minutes for its last file. Closing after each static
/// file returns the thread to the pool at once, so a queued connection is
/// served right away. (tiny_http refuses a `Connection` header through
/// its API, hence the raw write.)
pub fn respond_close(
    rq: Request,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    head_only: bool,
) {
    use std::io::Write;
    let reason = reason(status);
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        // Header values here are ours; refuse a stray line break anyway.
        if !v.contains(['\r', '\n']) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    if !matches!(status, 204 | 304) {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut w = rq.into_writer();
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    let _ = w.write_all(&bytes);
    let _ = w.flush();
}

/// The reason phrase of the statuses the web plane answers with.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_types() {
        assert!(is_static("/"));
        assert!(is_static("/js/app.js"));
        assert!(is_static("/apix"));
        assert!(!is_static("/api/v1/stats"));
        assert!(!is_static("/api"));
        assert!(!is_static("/ws"));
        assert_eq!(lookup("/").map(|f| f.0), Some("index.html"));
        assert_eq!(lookup("/index.html").map(|f| f.0), Some("index.html"));
        assert!(lookup("/nope.js").is_none());
        assert!(lookup("/../Cargo.toml").is_none());
        assert_eq!(content_type("a/b.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn etag_matching() {
        assert!(matches_etag("\"ab\"", "\"ab\""));
        assert!(matches_etag("\"x\", W/\"ab\"", "\"ab\""));
        assert!(matches_etag("*", "\"ab\""));
        assert!(!matches_etag("\"abc\"", "\"ab\""));
    }

    #[test]
    fn every_embedded_file_has_a_known_type() {
        assert!(!FILES.is_empty());
        for (p, _, etag) in FILES {
            assert_ne!(content_type(p), "application/octet-stream", "{p}");
            assert!(etag.starts_with('"') && etag.ends_with('"'));
        }
    }
}
