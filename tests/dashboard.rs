//! The dashboard's static files against the real binary: served at `/`
//! from the binary with the right types and security headers, ETag
//! revalidation, 404 for anything else, the API untouched.

mod common;
use common::http::{parse, Resp};

use common::TestServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn start(extra: &[&str]) -> (TestServer, u16) {
    TestServer::start_with_http(extra)
}

/// One request on a fresh connection; reads to EOF. (The server answers
/// `Connection: close` and tiny_http then waits for the client to close,
/// which this client announces, as browsers and curl do on seeing it.)
fn req(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

fn get(port: u16, path: &str) -> Resp {
    req(port, "GET", path, &[])
}

#[test]
fn dashboard_files_types_and_security_headers() {
    let (_srv, http) = start(&[]);
    let r = get(http, "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let html = String::from_utf8(r.body.clone()).unwrap();
    assert!(html.contains("<main id=\"view\""), "{html}");
    assert!(html.contains("js/app.js"));
    // No inline script or style: everything comes from files.
    assert!(!html.contains("<style"));
    assert!(!html.contains("style="));
    assert!(!html.contains("<script>"));
    let csp = r.header("Content-Security-Policy").expect("CSP");
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"));
    assert_eq!(r.header("Connection"), Some("close"));
    assert_eq!(get(http, "/index.html").body, r.body);
    for (path, ctype) in [
        ("/js/app.js", "text/javascript; charset=utf-8"),
        ("/js/pages/dashboard.js", "text/javascript; charset=utf-8"),
        ("/css/app.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let r = get(http, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("Content-Type"), Some(ctype), "{path}");
        assert!(!r.body.is_empty(), "{path}");
        assert!(r.header("Content-Security-Policy").is_some(), "{path}");
        assert_eq!(
            r.header("Content-Length"),
            Some(r.body.len().to_string().as_str())
        );
    }
    // What the binary serves is what is in frontend/ now.
    let disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend/js/api.js")).unwrap();
    assert_eq!(get(http, "/js/api.js").body, disk);
    // HEAD: the headers without the body.
    let h = req(http, "HEAD", "/css/app.css", &[]);
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(h.header("Content-Type"), Some("text/css; charset=utf-8"));
}

#[test]
fn etag_revalidation_404_and_methods() {
    let (_srv, http) = start(&[]);
    let r = get(http, "/js/app.js");
    let etag = r.header("ETag").expect("ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(r.header("Cache-Control"), Some("no-cache"));
    let again = req(http, "GET", "/js/app.js", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("ETag"), Some(etag.as_str()));
    let list = format!("\"nope\", W/{etag}");
    assert_eq!(
        req(http, "GET", "/js/app.js", &[("If-None-Match", &list)]).status,
        304
    );
    let stale = req(http, "GET", "/js/app.js", &[("If-None-Match", "\"stale\"")]);
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, r.body);
    // Another file has another tag.
    assert_ne!(
        get(http, "/css/app.css").header("ETag"),
        Some(etag.as_str())
    );
    // Unknown files, escapes out of frontend/, and other methods.
    for path in [
        "/nope.js",
        "/js/nope.js",
        "/../Cargo.toml",
        "/js/../../Cargo.toml",
        "/frontend/index.html",
    ] {
        let r = get(http, path);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
    }
    let r = req(http, "POST", "/index.html", &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, HEAD"));
    // The API is still the API, with its envelope and its 404.
    let r = get(http, "/api/v1/healthz");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("\"success\":true"));
    let r = get(http, "/api/v1/nope");
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&r.body).contains("NOT_FOUND"));
}

#[test]
fn static_files_need_no_credentials_but_the_api_does() {
    let (_srv, http) = start(&["--requirepass", "pw"]);
    assert_eq!(get(http, "/").status, 200);
    assert_eq!(get(http, "/js/app.js").status, 200);
    let r = get(http, "/api/v1/stats");
    assert_eq!(r.status, 401);
    let ok = req(
        http,
        "GET",
        "/api/v1/stats",
        &[("Authorization", "Bearer pw")],
    );
    assert_eq!(ok.status, 200);
}
