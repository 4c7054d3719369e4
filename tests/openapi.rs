//! docs/openapi.json against the real server: every route the server has
//! is in the document and the other way round, and every answer of a
//! real request (successes and errors, every route) validates against the
//! schema of its (path, method, status). The validator is a compact one
//! for the JSON Schema subset the document uses; a keyword it does not
//! know is an error, so the document cannot drift into what nothing
//! checks. HTTP is spoken by a small HTTP/1.1 client over TcpStream.

mod common;
use common::http::{parse, Resp};

use common::{free_port, TestServer};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ------------------------------------------------------------ the validator

fn doc() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
        let text = std::fs::read_to_string(path).expect("docs/openapi.json");
        serde_json::from_str(&text).expect("docs/openapi.json is JSON")
    })
}

/// `#/components/...` → the value it points at.
fn resolve<'a>(doc: &'a Value, r: &str) -> Result<&'a Value, String> {
    let ptr = r
        .strip_prefix('#')
        .ok_or_else(|| format!("only local $ref: {r}"))?;
    doc.pointer(ptr).ok_or_else(|| format!("dangling $ref {r}"))
}

fn type_ok(t: &str, v: &Value) -> Result<bool, String> {
    Ok(match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => return Err(format!("unknown type {other}")),
    })
}

/// Validates `v` against `schema` (JSON Schema 2020-12 subset: $ref,
/// type, const, enum, properties, required, additionalProperties, items,
/// minItems, maxItems, minProperties, minimum, maximum, exclusiveMinimum,
/// minLength, pattern, allOf, anyOf, oneOf). `at` is the JSON path for
/// messages.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        return match schema {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("{at}: bad schema {schema}")),
        };
    };
    let fail = |what: String| Err(format!("{at}: {what} (value {v})"));
    for (k, kw) in s {
        match k.as_str() {
            "description" | "title" | "summary" | "example" | "examples" | "format"
            | "deprecated" => {}
            "$ref" => validate(doc, resolve(doc, kw.as_str().unwrap_or(""))?, v, at)?,
            "type" => {
                let ok = match kw {
                    Value::String(t) => type_ok(t, v)?,
                    Value::Array(ts) => {
                        let mut any = false;
                        for t in ts {
                            any |= type_ok(t.as_str().unwrap_or("?"), v)?;
                        }
                        any
                    }
                    _ => return Err(format!("{at}: bad type {kw}")),
                };
                if !ok {
                    return fail(format!("not of type {kw}"));
                }
            }
            "const" => {
                if kw != v {
                    return fail(format!("not {kw}"));
                }
            }
            "enum" => {
                if !kw.as_array().is_some_and(|a| a.contains(v)) {
                    return fail(format!("not one of {kw}"));
                }
            }
            "properties" => {
                if let (Some(props), Some(o)) = (kw.as_object(), v.as_object()) {
                    for (name, sub) in props {
                        if let Some(x) = o.get(name) {
                            validate(doc, sub, x, &format!("{at}.{name}"))?;
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in kw.as_array().into_iter().flatten() {
                        let name = name.as_str().unwrap_or("");
                        if !o.contains_key(name) {
                            return fail(format!("missing required '{name}'"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = s.get("properties").and_then(|p| p.as_object());
                    for (name, x) in o {
                        if known.is_some_and(|p| p.contains_key(name)) {
                            continue;
                        }
                        match kw {
                            Value::Bool(false) => {
                                return fail(format!("unexpected property '{name}'"))
                            }
                            Value::Bool(true) => {}
                            sub => validate(doc, sub, x, &format!("{at}.{name}"))?,
                        }
                    }
                }
            }
            "items" => {
                for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                    validate(doc, kw, x, &format!("{at}[{i}]"))?;
                }
            }
            "minItems" | "maxItems" | "minProperties" | "minLength" => {
                let n = kw.as_u64().ok_or(format!("{at}: bad {k}"))? as usize;
                let len = match v {
                    Value::Array(a) => Some(a.len()),
                    Value::Object(o) => Some(o.len()),
                    Value::String(t) => Some(t.chars().count()),
                    _ => None,
                };
                if let Some(len) = len {
                    let ok = if k == "maxItems" { len <= n } else { len >= n };
                    if !ok {
                        return fail(format!("{k} {n}"));
                    }
                }
            }
            "minimum" | "maximum" | "exclusiveMinimum" => {
                let b = kw.as_f64().ok_or(format!("{at}: bad {k}"))?;
                if let Some(x) = v.as_f64() {
                    let ok = match k.as_str() {
                        "minimum" => x >= b,
                        "maximum" => x <= b,
                        _ => x > b,
                    };
                    if !ok {
                        return fail(format!("{k} {b}"));
                    }
                }
            }
            "pattern" => {
                let re = regex::Regex::new(kw.as_str().unwrap_or(""))
                    .map_err(|e| format!("{at}: bad pattern: {e}"))?;
                if let Some(t) = v.as_str() {
                    if !re.is_match(t) {
                        return fail(format!("does not match {kw}"));
                    }
                }
            }
            "allOf" => {
                for sub in kw.as_array().into_iter().flatten() {
                    validate(doc, sub, v, at)?;
                }
            }
            "anyOf" | "oneOf" => {
                let subs = kw.as_array().ok_or(format!("{at}: bad {k}"))?;
                let mut errors = Vec::new();
                let mut matched = 0;
                for sub in subs {
                    match validate(doc, sub, v, at) {
                        Ok(()) => matched += 1,
                        Err(e) => errors.push(e),
                    }
                }
                if matched == 0 {
                    return fail(format!("matches none of {k}: {}", errors.join(" | ")));
                }
                if k == "oneOf" && matched > 1 {
                    return fail(format!("matches {matched} of oneOf"));
                }
            }
            other => return Err(format!("{at}: keyword '{other}' is not supported")),
        }
    }
    Ok(())
}

/// The path item of a route label (`/api/v1/key/:key` → `{key}`).
fn path_item(template: &str) -> &'static Value {
    let p = template.replace(":key", "{key}");
    let item = &doc()["paths"][&p];
    assert!(item.is_object(), "{p} is not in docs/openapi.json");
    item
}

/// The response object documented for (template, method, status): the
/// operation's, a 405 from any operation of the path for a method the
/// path does not have, NoRoute for an unknown path.
fn response_doc(
    template: Option<&str>,
    method: &str,
    status: u16,
) -> Result<&'static Value, String> {
    let d = doc();
    let Some(template) = template else {
        if status != 404 {
            return Err(format!("an unknown path answered {status}"));
        }
        return Ok(&d["components"]["responses"]["NoRoute"]);
    };
    let item = path_item(template);
    let m = if method == "HEAD" {
        "get".to_string()
    } else {
        method.to_lowercase()
    };
    let op = match item.get(&m) {
        Some(op) => op,
        None => {
            if status != 405 {
                return Err(format!("{method} {template} answered {status}, not 405"));
            }
            ["get", "put", "post", "delete"]
                .iter()
                .find_map(|m| item.get(*m))
                .ok_or("no operation")?
        }
    };
    let r = op["responses"]
        .get(status.to_string())
        .ok_or_else(|| format!("{method} {template}: status {status} is not documented"))?;
    match r.get("$ref").and_then(|x| x.as_str()) {
        Some(x) => resolve(d, x),
        None => Ok(r),
    }
}

// ------------------------------------------------------------ a client

/// A server with the web plane, and what its answers covered.
struct Api {
    srv: TestServer,
    http: u16,
    auth: Vec<(String, String)>,
}

/// (path template, method, status) answered and validated, over all tests.
static COVERED: Mutex<BTreeSet<(String, String, u16)>> = Mutex::new(BTreeSet::new());

fn start(extra: &[&str]) -> Api {
    let (srv, http) = TestServer::start_with_http(extra);
    Api {
        srv,
        http,
        auth: Vec::new(),
    }
}

/// The route label of a request path, as the server's table has it.
fn template_of(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap();
    if path.starts_with("/api/v1/key/") {
        return Some("/api/v1/key/:key");
    }
    let path = if path == "/ws" { "/api/v1/ws" } else { path };
    flashdb::http::ROUTES
        .iter()
        .map(|(r, _)| *r)
        .find(|r| *r == path)
}

impl Api {
    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("Connection"))
        {
            head.push_str("Connection: close\r\n");
        }
        let own: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (k, v) in own.iter().chain(headers) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        if let Some(b) = body {
            s.write_all(b).unwrap();
        }
        // Until the end of the body (Content-Length) or of the stream.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16384];
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let len = head
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if method == "HEAD" || len.is_some_and(|n| raw.len() >= end + 4 + n) {
                    break;
                }
            }
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        parse(&raw)
    }

    /// Sends a request, then validates the answer against the document
    /// (and a JSON body against the operation's request schema) and
    /// records (template, method, status) as covered. Returns the answer.
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Resp {
        self.call_as(method, path, headers, body, true)
    }
    /// `call`, for a deliberately wrong body: the request is not checked.
    fn send_wrong(&self, method: &str, path: &str, body: Value) -> Resp {
        self.call_as(method, path, &[], Some(&body), false)
    }
    fn call_as(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        check_request: bool,
    ) -> Resp {
        let template = template_of(path);
        if let (Some(t), Some(b), true) = (template, body, check_request) {
            let m = method.to_lowercase();
            if let Some(rs) = path_item(t).get(&m).and_then(|op| op.get("requestBody")) {
                let s = &rs["content"]["application/json"]["schema"];
                validate(doc(), s, b, "request").unwrap_or_else(|e| {
                    panic!(
                        "{method} {path}: the request we send is not what the document says: {e}"
                    )
                });
            }
        }
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = self.raw(method, path, headers, bytes.as_deref());
        check(template, method, path, &r);
        r
    }
    fn get(&self, path: &str) -> Resp {
        self.call("GET", path, &[], None)
    }
    fn send(&self, method: &str, path: &str, body: Value) -> Resp {
        self.call(method, path, &[], Some(&body))
    }
    fn exec(&self, cmd: Value) -> Resp {
        self.send("POST", "/api/v1/execute", json!({ "command": cmd }))
    }
}

/// Validates one real answer; panics with the reason when it does not fit.
fn check(template: Option<&str>, method: &str, path: &str, r: &Resp) {
    let what = format!("{method} {path} → {}", r.status);
    let rdoc = response_doc(template, method, r.status).unwrap_or_else(|e| panic!("{what}: {e}"));
    let rid = r
        .header("X-Request-Id")
        .unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
    if let Some(h) = rdoc["headers"].as_object() {
        for (name, _) in h {
            if matches!(
                name.as_str(),
                "X-Request-Id" | "WWW-Authenticate" | "Allow" | "Retry-After"
            ) && r.status != 101
            {
                assert!(r.header(name).is_some(), "{what}: no {name} header");
            }
        }
    }
    let content = rdoc.get("content").and_then(|c| c.as_object());
    match content {
        None => assert!(
            r.body.is_empty() || method == "HEAD",
            "{what}: a body where none is documented"
        ),
        Some(c) => {
            let ctype = r.header("Content-Type").unwrap_or("");
            let (_, media) = c
                .iter()
                .find(|(k, _)| k.as_str() == ctype)
                .unwrap_or_else(|| panic!("{what}: content type {ctype:?} not documented"));
            if method == "HEAD" {
                assert!(r.body.is_empty(), "{what}: HEAD with a body");
            } else if ctype == "application/json" {
                let v: Value = serde_json::from_slice(&r.body)
                    .unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
                validate(doc(), &media["schema"], &v, "body").unwrap_or_else(|e| {
                    panic!("{what}: does not match docs/openapi.json: {e}\n{v}")
                });
                assert_eq!(v["request_id"], json!(rid), "{what}");
            } else {
                let s = Value::String(String::from_utf8(r.body.clone()).expect("UTF-8 text"));
                validate(doc(), &media["schema"], &s, "body")
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
    }
    COVERED.lock().unwrap().insert((
        template.unwrap_or("(unknown)").to_string(),
        method.to_string(),
        r.status,
    ));
}

// ------------------------------------------------------------ the tests

/// The document's routes and methods are exactly the server's table, and
/// the real server's `Allow` for each path says the same.
#[test]
fn document_lists_exactly_the_server_routes() {
    let d = doc();
    assert_eq!(d["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let documented: BTreeSet<(String, String)> = d["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| {
                    !["parameters", "summary", "description", "options"].contains(&m.as_str())
                })
                .map(|m| (p.replace("{key}", ":key"), m.to_uppercase()))
                .collect::<Vec<_>>()
        })
        .collect();
    let served: BTreeSet<(String, String)> = flashdb::http::ROUTES
        .iter()
        .flat_map(|(r, ms)| ms.iter().map(|m| (r.to_string(), m.to_string())))
        .collect();
    assert_eq!(
        documented, served,
        "docs/openapi.json and http::ROUTES differ"
    );
    // Every path also documents OPTIONS (CORS preflight).
    for (p, item) in d["paths"].as_object().unwrap() {
        assert!(item.get("options").is_some(), "{p}: no options");
    }
    // The running server agrees: OPTIONS on each path lists its methods.
    let api = start(&[]);
    for (route, methods) in flashdb::http::ROUTES {
        let path = route.replace(":key", "somekey");
        let r = api.call("OPTIONS", &path, &[], None);
        assert_eq!(r.status, 204, "{path}");
        let allow: BTreeSet<&str> = r.header("Allow").unwrap().split(", ").collect();
        let mut want: BTreeSet<&str> = methods.iter().copied().collect();
        want.insert("OPTIONS");
        if methods.contains(&"GET") {
            want.insert("HEAD");
        }
        assert_eq!(allow, want, "{path}");
    }
    // A path that is not a route: 404 for any method.
    for m in ["GET", "POST", "DELETE"] {
        let r = api.call(m, "/api/v1/nope", &[], None);
        assert_eq!(r.status, 404);
    }
    let r = api.call("GET", "/api/v2/stats", &[], None);
    assert_eq!(r.status, 404);
}

/// Every route, its successes and the errors an open server gives.
#[test]
fn every_route_matches_the_document() {
    let api = start(&[]);
    // healthz, readyz (and HEAD).
    assert_eq!(api.get("/api/v1/healthz").status, 200);
    assert_eq!(api.call("HEAD", "/api/v1/healthz", &[], None).status, 200);
    assert_eq!(api.get("/api/v1/readyz").status, 200);
    // Data of every type, binary included.
    assert_eq!(api.exec(json!(["SET", "s", "text"])).status, 200);
    assert_eq!(
        api.exec(json!(["SET", {"base64": "/wA="}, {"base64": "/wA="}]))
            .status,
        200
    );
    assert_eq!(api.exec(json!(["RPUSH", "l", "a", "b", "c"])).status, 200);
    assert_eq!(api.exec(json!(["SADD", "st", "x", "y"])).status, 200);
    assert_eq!(api.exec(json!(["HSET", "h", "f", "v", "g", 1])).status, 200);
    assert_eq!(
        api.exec(json!(["ZADD", "z", "1.5", "m", "inf", "top"]))
            .status,
        200
    );
    assert_eq!(
        api.exec(json!(["XADD", "x", "1-1", "f", "v", "g", 2]))
            .status,
        200
    );
    assert_eq!(api.exec(json!(["EXPIRE", "s", 100])).status, 200);
    // stats, keys (paged, filtered, bad cursor, bad count).
    assert_eq!(api.get("/api/v1/stats").status, 200);
    assert_eq!(api.get("/api/v1/stats?db=1").status, 200);
    assert_eq!(api.get("/api/v1/stats?db=99999").status, 400);
    let mut cursor = "0".to_string();
    loop {
        let r = api.get(&format!("/api/v1/keys?count=2&cursor={cursor}"));
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        cursor = v["data"]["cursor"].as_str().unwrap().to_string();
        if v["data"]["done"] == json!(true) {
            break;
        }
    }
    assert_eq!(api.get("/api/v1/keys?match=l*&type=list").status, 200);
    assert_eq!(api.get("/api/v1/keys?cursor=x").status, 400);
    assert_eq!(api.get("/api/v1/keys?count=0").status, 400);
    // key GET for each type, paged, missing, binary.
    for k in ["s", "l", "st", "h", "z", "x", "%FF%00"] {
        assert_eq!(api.get(&format!("/api/v1/key/{k}")).status, 200, "{k}");
    }
    assert_eq!(api.get("/api/v1/key/l?offset=1&limit=1").status, 200);
    assert_eq!(api.get("/api/v1/key/l?limit=0").status, 400);
    assert_eq!(api.get("/api/v1/key/missing").status, 404);
    assert_eq!(api.get("/api/v1/key/%ZZ").status, 400);
    // key PUT: created, replaced, each type, errors.
    let puts = [
        json!({"value": "v1"}),
        json!({"type": "string", "value": {"base64": "/w=="}, "ttl": 10}),
        json!({"type": "list", "value": ["a", "b"], "pttl": 5000}),
        json!({"type": "set", "value": ["a"]}),
        json!({"type": "hash", "value": {"f": "v"}}),
        json!({"type": "zset", "value": [{"member": "a", "score": 2}]}),
        json!({"type": "stream", "value": [{"id": "5-1", "fields": {"f": "v"}}]}),
        json!({"type": "stream", "value": [{"fields": [["f", "v"]]}]}),
    ];
    for (i, body) in puts.iter().enumerate() {
        let r = api.send("PUT", "/api/v1/key/new", body.clone());
        assert_eq!(r.status, if i == 0 { 201 } else { 200 }, "{body}");
    }
    assert_eq!(
        api.send(
            "PUT",
            "/api/v1/key/new",
            json!({"type": "list", "value": []})
        )
        .status,
        400
    );
    assert_eq!(
        api.send_wrong("PUT", "/api/v1/key/new", json!({"value": "v", "ttl": -1}))
            .status,
        400
    );
    let r = api.call("PUT", "/api/v1/key/new", &[], None);
    assert_eq!(r.status, 400);
    let r = api.raw("PUT", "/api/v1/key/new", &[], Some(b"{not json"));
    check(Some("/api/v1/key/:key"), "PUT", "/api/v1/key/new", &r);
    assert_eq!(r.status, 400);
    // key DELETE.
    assert_eq!(api.call("DELETE", "/api/v1/key/new", &[], None).status, 200);
    assert_eq!(api.call("DELETE", "/api/v1/key/new", &[], None).status, 404);
    // execute: every reply type, RESP3, a batch, errors.
    for cmd in [
        json!(["PING"]),
        json!(["GET", "nope"]),
        json!(["INCR", "n"]),
        json!(["LRANGE", "l", 0, -1]),
        json!(["HGETALL", "h"]),
        json!(["ZSCORE", "z", "m"]),
        json!(["CONFIG", "GET", "maxmemory"]),
    ] {
        assert_eq!(api.exec(cmd.clone()).status, 200, "{cmd}");
        let b = json!({"command": cmd, "resp": 3, "db": 0});
        assert_eq!(api.send("POST", "/api/v1/execute", b).status, 200);
    }
    let batch =
        json!({"commands": [["MULTI"], ["INCR", "c"], ["LPUSH", "s", "x"], ["EXEC"], ["NOPE"]]});
    assert_eq!(api.send("POST", "/api/v1/execute", batch).status, 200);
    assert_eq!(api.exec(json!(["LPUSH", "s", "x"])).status, 409);
    assert_eq!(api.exec(json!(["NOPE"])).status, 400);
    assert_eq!(api.exec(json!(["SUBSCRIBE", "ch"])).status, 400);
    assert_eq!(
        api.send_wrong(
            "POST",
            "/api/v1/execute",
            json!({"command": ["GET", "x"], "resp": 4})
        )
        .status,
        400
    );
    let r = api.raw("POST", "/api/v1/execute", &[], None);
    check(Some("/api/v1/execute"), "POST", "/api/v1/execute", &r);
    assert_eq!(r.status, 400);
    // clients (with a RESP client connected), slowlog.
    let _c = api.srv.raw();
    assert_eq!(
        api.exec(json!(["CONFIG", "SET", "slowlog-log-slower-than", "0"]))
            .status,
        200
    );
    assert_eq!(api.exec(json!(["SET", "slow", "1"])).status, 200);
    assert_eq!(api.get("/api/v1/clients").status, 200);
    assert_eq!(api.get("/api/v1/slowlog").status, 200);
    assert_eq!(api.get("/api/v1/slowlog?count=1").status, 200);
    assert_eq!(api.get("/api/v1/slowlog?count=x").status, 400);
    // metrics (text), and HEAD.
    let r = api.get("/api/v1/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(api.call("HEAD", "/api/v1/metrics", &[], None).status, 200);
    // config GET / PUT, with a failure.
    assert_eq!(api.get("/api/v1/config").status, 200);
    assert_eq!(api.get("/api/v1/config?match=maxmemory*").status, 200);
    assert_eq!(
        api.send(
            "PUT",
            "/api/v1/config",
            json!({"hz": 20, "appendfsync": "everysec"})
        )
        .status,
        200
    );
    let r = api.send("PUT", "/api/v1/config", json!({"hz": 10, "nosuch": true}));
    assert_eq!(r.status, 400);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "CONFIG_ERROR");
    // snapshot, snapshots (until the first is done).
    let r = api.call("POST", "/api/v1/snapshot", &[], None);
    assert!(r.status == 202 || r.status == 409, "{}", r.status);
    let t = Instant::now();
    loop {
        let r = api.get("/api/v1/snapshots");
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        if v["data"]["in_progress"] == json!(false)
            && !v["data"]["snapshots"].as_array().unwrap().is_empty()
        {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no snapshot");
        std::thread::sleep(Duration::from_millis(50));
    }
    // ws: not an upgrade, a wrong version, and a real one (101).
    assert_eq!(api.get("/api/v1/ws").status, 400);
    let up = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let mut v12 = up.to_vec();
    v12.push(("Sec-WebSocket-Version", "12"));
    assert_eq!(api.call("GET", "/ws", &v12, None).status, 426);
    let mut v13 = up.to_vec();
    v13.push(("Sec-WebSocket-Version", "13"));
    let r = ws_handshake(&api, &v13);
    assert_eq!(r.status, 101);
    // 405 on every path, for a method it does not take.
    for (route, methods) in flashdb::http::ROUTES {
        let path = route.replace(":key", "k");
        let m = ["POST", "PATCH", "GET"]
            .into_iter()
            .find(|m| !methods.contains(m))
            .unwrap();
        let r = api.call(m, &path, &[], None);
        assert_eq!(r.status, 405, "{m} {path}");
    }
    // 413: a body over http-max-body.
    assert_eq!(
        api.send("PUT", "/api/v1/config", json!({"http-max-body": 1024}))
            .status,
        200
    );
    let big = json!({"command": ["SET", "big", "x".repeat(2000)]});
    let r = api.raw(
        "POST",
        "/api/v1/execute",
        &[],
        Some(big.to_string().as_bytes()),
    );
    check(Some("/api/v1/execute"), "POST", "/api/v1/execute", &r);
    assert_eq!(r.status, 413);
    // 507: OOM under maxmemory with noeviction.
    assert_eq!(
        api.send(
            "PUT",
            "/api/v1/config",
            json!({"maxmemory": 1, "maxmemory-policy": "noeviction"})
        )
        .status,
        200
    );
    assert_eq!(api.exec(json!(["SET", "more", "x"])).status, 507);
    let r = api.send("PUT", "/api/v1/key/more", json!({"value": "x"}));
    assert_eq!(r.status, 507);
    // Every operation's success answers were seen and validated.
    let covered = COVERED.lock().unwrap().clone();
    for (route, methods) in flashdb::http::ROUTES {
        let item = path_item(route);
        for m in methods.iter() {
            let op = &item[m.to_lowercase()];
            for status in op["responses"].as_object().unwrap().keys() {
                let st: u16 = status.parse().unwrap();
                if st < 300 {
                    let k = (route.to_string(), m.to_string(), st);
                    assert!(covered.contains(&k), "never exercised: {k:?}");
                }
            }
        }
    }
}

/// The opening handshake of a WebSocket, validated; the stream's first
/// message (welcome) checked against WsServerMessage.
fn ws_handshake(api: &Api, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", api.http)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = String::from("GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // Read the head, then the first frame (a small unmasked text frame).
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let frame = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let f = &raw[end + 4..];
            if f.len() >= 4 {
                let len = match f[1] & 0x7f {
                    126 => u16::from_be_bytes([f[2], f[3]]) as usize,
                    n => n as usize,
                };
                let off = if f[1] & 0x7f == 126 { 4 } else { 2 };
                if f.len() >= off + len {
                    assert_eq!(f[0], 0x81, "a final text frame");
                    break f[off..off + len].to_vec();
                }
            }
        }
    };
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let r = parse(&raw[..end + 4]);
    check(Some("/api/v1/ws"), "GET", "/api/v1/ws", &r);
    let msg: Value = serde_json::from_slice(&frame).unwrap();
    let schema = json!({"$ref": "#/components/schemas/WsServerMessage"});
    validate(doc(), &schema, &msg, "ws").unwrap();
    assert_eq!(msg["type"], "welcome");
    r
}

/// The server-side failures: 500 (the snapshot directory cannot be
/// listed), 503 PERSISTENCE_ERROR (the WAL cannot be written) and 503
/// NOT_READY / LOADING (recovery still loading), each validated.
#[test]
fn server_failures_match_the_document() {
    // 500: `snapshots` is a file, so listing it fails.
    let api = start(&["--save", ""]);
    let snaps = api.srv.dir.join("snapshots");
    let _ = std::fs::remove_dir_all(&snaps);
    std::fs::write(&snaps, b"not a directory").unwrap();
    let r = api.get("/api/v1/snapshots");
    assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "INTERNAL");
    drop(api);

    // 503 PERSISTENCE_ERROR: writes past 1 MiB of WAL fail (RLIMIT_FSIZE,
    // like a full disk). The write that hits the limit is held unanswered;
    // the ones after it are refused with MISCONF, over RESP and HTTP alike.
    let api = start(&["--save", "", "--appendfsync", "always"]);
    let st = std::process::Command::new("prlimit")
        .args(["--pid", &api.srv.pid().to_string(), "--fsize=1048576:"])
        .status()
        .expect("prlimit (util-linux)");
    assert!(st.success());
    let big = "x".repeat(64 * 1024);
    let mut refused = false;
    for i in 0..100 {
        let mut w = api.srv.raw();
        w.set_read_timeout(Some(Duration::from_millis(1500)))
            .unwrap();
        w.write_all(&common::cmd(&[
            b"SET",
            format!("k{i}").as_bytes(),
            big.as_bytes(),
        ]))
        .unwrap();
        let mut buf = [0u8; 64];
        match w.read(&mut buf) {
            Ok(n) if buf[..n].starts_with(b"+OK") => continue,
            Ok(n) => assert!(buf[..n].starts_with(b"-MISCONF"), "{:?}", &buf[..n]),
            Err(_) => {} // the held write
        }
        refused = true;
        break;
    }
    assert!(refused, "the WAL never failed");
    let t = Instant::now();
    loop {
        let r = api.send("PUT", "/api/v1/key/after", json!({"value": "v"}));
        if r.status == 503 {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["error"]["code"], "PERSISTENCE_ERROR", "{v}");
            break;
        }
        // Only the held write's own reply can still be pending.
        assert!(t.elapsed() < Duration::from_secs(10), "status {}", r.status);
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = api.exec(json!(["SET", "after", "v"]));
    assert_eq!(r.status, 503);
    drop(api);

    // 503 NOT_READY and LOADING: a restart that loads 200,000 keys.
    let mut api = start(&["--save", ""]);
    {
        let mut c = api.srv.client();
        for batch in 0..200 {
            let mut m = redis::cmd("MSET");
            for i in 0..1000 {
                m.arg(format!("key:{batch}:{i}")).arg(i);
            }
            let _: () = m.query(&mut c).unwrap();
        }
        let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    }
    assert!(api.srv.terminate().success());
    let dir = api.srv.dir.clone();
    // The old server's Drop must not delete the data directory.
    api.srv.dir = common::temp_dir("openapi-moved");
    let (port, http) = (free_port(), free_port());
    let child = std::process::Command::new(common::binary())
        .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
        .args(["--http-port", &http.to_string(), "--save", ""])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let api = Api {
        srv: TestServer { child, port, dir },
        http,
        auth: Vec::new(),
    };
    let t = Instant::now();
    let (mut not_ready, mut loading) = (0, 0);
    loop {
        assert!(t.elapsed() < Duration::from_secs(60), "never ready");
        if TcpStream::connect(("127.0.0.1", http)).is_err() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let r = api.get("/api/v1/key/key:0:7");
        if r.status == 503 {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["error"]["code"], "LOADING", "{v}");
            loading += 1;
        } else {
            assert_eq!(r.status, 200);
        }
        let r = api.get("/api/v1/readyz");
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 503);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "NOT_READY", "{v}");
        not_ready += 1;
    }
    // A debug build takes over a second to load 200,000 keys, ~60 rounds.
    assert!(not_ready > 0, "readyz never answered 503 while loading");
    assert!(loading > 0, "GET /key never answered LOADING");
    eprintln!("loading seen over HTTP: {not_ready} readyz 503, {loading} GET /key 503");
    let r = api.get("/api/v1/key/key:199:999");
    assert_eq!(r.status, 200);
}

/// Authentication, ACL refusals and the rate limit.
#[test]
fn auth_acl_and_rate_limit_errors_match_the_document() {
    let mut api = start(&["--requirepass", "pw"]);
    for (m, p) in [
        ("GET", "/api/v1/stats"),
        ("GET", "/api/v1/keys"),
        ("GET", "/api/v1/key/k"),
        ("PUT", "/api/v1/key/k"),
        ("DELETE", "/api/v1/key/k"),
        ("POST", "/api/v1/execute"),
        ("GET", "/api/v1/clients"),
        ("GET", "/api/v1/slowlog"),
        ("GET", "/api/v1/metrics"),
        ("GET", "/api/v1/config"),
        ("PUT", "/api/v1/config"),
        ("POST", "/api/v1/snapshot"),
        ("GET", "/api/v1/snapshots"),
    ] {
        assert_eq!(api.call(m, p, &[], None).status, 401, "{m} {p}");
        let bad = [("Authorization", "Bearer nope")];
        assert_eq!(api.call(m, p, &bad, None).status, 401, "{m} {p}");
    }
    assert_eq!(api.get("/api/v1/healthz").status, 200);
    let ws_bad = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Authorization", "Bearer nope"),
    ];
    assert_eq!(api.call("GET", "/api/v1/ws", &ws_bad, None).status, 401);
    api.auth = vec![("Authorization".into(), "Bearer pw".into())];
    let setuser = json!(["ACL", "SETUSER", "reader", "on", ">r-pw", "~pub:*", "+get", "+ping"]);
    assert_eq!(api.exec(setuser).status, 200);
    // reader:r-pw over Basic: 403 for what its ACL refuses.
    api.auth = vec![("Authorization".into(), "Basic cmVhZGVyOnItcHc=".into())];
    assert_eq!(api.exec(json!(["GET", "pub:1"])).status, 200);
    assert_eq!(api.exec(json!(["SET", "pub:1", "x"])).status, 403);
    assert_eq!(api.get("/api/v1/stats").status, 403);
    assert_eq!(api.get("/api/v1/config").status, 403);
    // The rate limit: 429 with Retry-After.
    api.auth = vec![("Authorization".into(), "Bearer pw".into())];
    assert_eq!(
        api.send("PUT", "/api/v1/config", json!({"rate-limit": "2 2"}))
            .status,
        200
    );
    let mut saw = HashSet::new();
    for _ in 0..10 {
        saw.insert(api.exec(json!(["PING"])).status);
        saw.insert(api.get("/api/v1/key/k").status);
    }
    assert!(saw.contains(&429), "{saw:?}");
}

/// Deliberately wrong answers must fail validation (the validator is not
/// a rubber stamp), and the document's schemas resolve.
#[test]
fn validator_refuses_drift() {
    let d = doc();
    let health = response_doc(Some("/api/v1/healthz"), "GET", 200).unwrap();
    let schema = &health["content"]["application/json"]["schema"];
    let good = json!({"success": true, "data": {"status": "ok", "uptime_seconds": 3}, "request_id": "req_0123456789abcdef"});
    validate(d, schema, &good, "").unwrap();
    let mut bad = Vec::new();
    let mut v = good.clone();
    v["data"]["extra"] = json!(1);
    bad.push(v);
    let mut v = good.clone();
    v["data"]["uptime_seconds"] = json!("3");
    bad.push(v);
    let mut v = good.clone();
    v["data"]["uptime_seconds"] = json!(-1);
    bad.push(v);
    let mut v = good.clone();
    v["success"] = json!(false);
    bad.push(v);
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("request_id");
    bad.push(v);
    let mut v = good.clone();
    v["request_id"] = json!("has space");
    bad.push(v);
    for b in &bad {
        assert!(validate(d, schema, b, "").is_err(), "accepted {b}");
    }
    // An error code the status does not document.
    let nf = response_doc(Some("/api/v1/key/:key"), "GET", 404).unwrap();
    let s = &nf["content"]["application/json"]["schema"];
    let e = json!({"success": false, "error": {"code": "KEY_NOT_FOUND", "message": "m", "details": {}}, "request_id": "r"});
    validate(d, s, &e, "").unwrap();
    let mut e2 = e.clone();
    e2["error"]["code"] = json!("NOT_FOUND");
    assert!(validate(d, s, &e2, "").is_err());
    let mut e3 = e.clone();
    e3["error"].as_object_mut().unwrap().remove("details");
    assert!(validate(d, s, &e3, "").is_err());
    // A key of a type the document does not know; a non-base64 binary.
    let k = response_doc(Some("/api/v1/key/:key"), "GET", 200).unwrap();
    let s = &k["content"]["application/json"]["schema"];
    let key = json!({"success": true, "request_id": "r", "data": {"key": "k", "db": 0, "type": "vector",
        "ttl": -1, "pttl": -1, "encoding": "x", "memory": 1, "length": 1, "offset": null,
        "limit": null, "truncated": false, "value": "v"}});
    assert!(validate(d, s, &key, "").is_err());
    let mut ok = key.clone();
    ok["data"]["type"] = json!("string");
    validate(d, s, &ok, "").unwrap();
    ok["data"]["key"] = json!({"base64": "not base64!"});
    assert!(validate(d, s, &ok, "").is_err());
    // Undocumented statuses and methods are refused.
    assert!(response_doc(Some("/api/v1/healthz"), "GET", 418).is_err());
    assert!(response_doc(Some("/api/v1/healthz"), "POST", 200).is_err());
    assert!(response_doc(None, "GET", 200).is_err());
    // An unsupported keyword is an error, not a pass.
    assert!(validate(d, &json!({"patternProperties": {}}), &json!({}), "").is_err());
    // Every $ref in the document resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_string());
                    }
                    refs(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(d, &mut all);
    assert!(all.len() > 50);
    for r in all {
        resolve(d, &r).unwrap();
    }
}
