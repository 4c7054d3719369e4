//! The web plane against the real binary: every REST route, the envelope
//! and status codes, auth, CORS, limits, binary-safe keys and values,
//! pagination, Prometheus text, and the WebSocket stream (tungstenite as
//! the client). HTTP is spoken by a small HTTP/1.1 client below.

mod common;
use common::http::{parse, Resp};

use common::{calls, TestServer};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A server with the web plane on a free port.
struct Web {
    srv: TestServer,
    http: u16,
}

fn start(extra: &[&str]) -> Web {
    let (srv, http) = TestServer::start_with_http(extra);
    Web { srv, http }
}

impl Resp {
    fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// The envelope's `data` (asserting success).
    fn data(&self) -> Value {
        let v = self.json();
        assert_eq!(v["success"], json!(true), "{v}");
        assert!(v["request_id"].is_string());
        v["data"].clone()
    }
    /// The envelope's error code (asserting failure).
    fn code(&self) -> String {
        let v = self.json();
        assert_eq!(v["success"], json!(false), "{v}");
        assert!(v["error"]["message"].is_string(), "{v}");
        assert!(v["error"]["details"].is_object(), "{v}");
        v["error"]["code"].as_str().unwrap().to_string()
    }
}

impl Web {
    fn req(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (k, v) in headers {
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
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        parse(&raw)
    }
    fn get(&self, path: &str) -> Resp {
        self.req("GET", path, &[], None)
    }
    fn send(&self, method: &str, path: &str, body: &Value) -> Resp {
        self.req(method, path, &[], Some(body.to_string().as_bytes()))
    }
    /// POST /api/v1/execute with a command; returns the response.
    fn exec(&self, cmd: Value) -> Resp {
        self.send("POST", "/api/v1/execute", &json!({ "command": cmd }))
    }
}

fn enc(key: &str) -> String {
    key.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn health_envelope_and_request_ids() {
    let w = start(&[]);
    let r = w.get("/api/v1/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["status"], "ok");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let rid = r.header("X-Request-Id").unwrap().to_string();
    assert_eq!(r.json()["request_id"], json!(rid));
    // The body starts with "success", as the seed's envelope does.
    assert!(r.body.starts_with(b"{\"success\":true,\"data\":"));
    let r = w.get("/api/v1/readyz");
    assert_eq!((r.status, r.data()["ready"].clone()), (200, json!(true)));
    // A sane client id is echoed, a weird one replaced.
    let r = w.req(
        "GET",
        "/api/v1/healthz",
        &[("X-Request-Id", "trace-42.a:b")],
        None,
    );
    assert_eq!(r.header("X-Request-Id"), Some("trace-42.a:b"));
    assert_eq!(r.json()["request_id"], "trace-42.a:b");
    let r = w.req("GET", "/api/v1/healthz", &[("X-Request-Id", "a b{}")], None);
    assert!(r.header("X-Request-Id").unwrap().starts_with("req_"));
    // HEAD is GET without a body.
    let r = w.req("HEAD", "/api/v1/healthz", &[], None);
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[test]
fn routing_errors() {
    let w = start(&["--http-max-body", "1kb"]);
    let r = w.get("/api/v1/nope");
    assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"));
    // Outside /api/ only the dashboard's files exist (tests/dashboard.rs).
    let r = w.get("/nope.html");
    assert_eq!(r.status, 404);
    let r = w.req("DELETE", "/api/v1/stats", &[], None);
    assert_eq!((r.status, r.code().as_str()), (405, "METHOD_NOT_ALLOWED"));
    assert_eq!(r.header("Allow"), Some("GET, HEAD, OPTIONS"));
    let r = w.get("/api/v1/execute");
    assert_eq!((r.status, r.header("Allow")), (405, Some("POST, OPTIONS")));
    let r = w.req("PATCH", "/api/v1/key/k", &[], None);
    assert_eq!(r.header("Allow"), Some("GET, PUT, DELETE, HEAD, OPTIONS"));
    // Bad JSON and bad arguments.
    let r = w.req("POST", "/api/v1/execute", &[], Some(b"{nope"));
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_JSON"));
    let r = w.req("POST", "/api/v1/execute", &[], None);
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_JSON"));
    let r = w.send("POST", "/api/v1/execute", &json!({"command": "GET k"}));
    assert_eq!((r.status, r.code().as_str()), (400, "BAD_REQUEST"));
    let r = w.send("POST", "/api/v1/execute", &json!({"command": []}));
    assert_eq!(r.status, 400);
    let r = w.send(
        "POST",
        "/api/v1/execute",
        &json!({"command": ["GET", true]}),
    );
    assert_eq!(r.status, 400);
    let r = w.get("/api/v1/keys?count=0");
    assert_eq!((r.status, r.code().as_str()), (400, "BAD_REQUEST"));
    let r = w.get("/api/v1/keys?cursor=abc");
    assert_eq!(r.status, 400);
    let r = w.get("/api/v1/keys?db=99");
    assert_eq!(r.status, 400);
    let r = w.get("/api/v1/key/%zz");
    assert_eq!(r.status, 400);
    // Body limits: over http-max-body (read, then refused), and an absurd
    // announced length (refused before reading, connection cut).
    let big = json!({"command": ["SET", "k", "x".repeat(2000)]}).to_string();
    let r = w.req("POST", "/api/v1/execute", &[], Some(big.as_bytes()));
    assert_eq!((r.status, r.code().as_str()), (413, "PAYLOAD_TOO_LARGE"));
    let mut s = TcpStream::connect(("127.0.0.1", w.http)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(
        b"POST /api/v1/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n{",
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let r = parse(&raw);
    assert_eq!((r.status, r.code().as_str()), (413, "PAYLOAD_TOO_LARGE"));
    // Commands that would stream forever are refused.
    let r = w.exec(json!(["SUBSCRIBE", "ch"]));
    assert_eq!((r.status, r.code().as_str()), (400, "NOT_SUPPORTED"));
    // Still serving.
    assert_eq!(w.get("/api/v1/healthz").status, 200);
}

#[test]
fn key_round_trips_per_type_with_ttl() {
    let w = start(&[]);
    let cases = [
        ("string", json!("hello"), json!("hello")),
        (
            "hash",
            json!({"f1": "v1", "f2": "v2"}),
            json!({"f1": "v1", "f2": "v2"}),
        ),
        ("list", json!(["a", "b", "a"]), json!(["a", "b", "a"])),
        ("set", json!(["x"]), json!(["x"])),
        (
            "zset",
            json!([{"member": "m1", "score": 1.5}, {"member": "m2", "score": -2}]),
            json!([{"member": "m2", "score": -2}, {"member": "m1", "score": 1.5}]),
        ),
    ];
    for (kind, value, expect) in cases {
        let path = format!("/api/v1/key/{kind}-key");
        let r = w.send(
            "PUT",
            &path,
            &json!({"type": kind, "value": value, "ttl": 100}),
        );
        assert_eq!(
            r.status,
            201,
            "{kind}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.data()["created"], json!(true));
        let d = w.get(&path).data();
        assert_eq!(d["type"], kind);
        assert_eq!(d["value"], expect, "{kind}");
        assert!(d["ttl"].as_i64().unwrap() > 90 && d["ttl"].as_i64().unwrap() <= 100);
        assert!(d["memory"].as_u64().unwrap() > 0);
        assert!(d["encoding"].is_string());
        // Replacing is atomic and keeps the key's new shape only.
        let r = w.send(
            "PUT",
            &path,
            &json!({"type": "string", "value": "now a string"}),
        );
        assert_eq!((r.status, r.data()["created"].clone()), (200, json!(false)));
        let d = w.get(&path).data();
        assert_eq!(
            (d["type"].clone(), d["value"].clone()),
            (json!("string"), json!("now a string"))
        );
        assert_eq!(d["ttl"], json!(-1));
    }
    // zset also as an object; hash also as pairs; types inferred.
    let r = w.send(
        "PUT",
        "/api/v1/key/z2",
        &json!({"type": "zset", "value": {"a": 1, "b": "2"}}),
    );
    assert_eq!(r.status, 201);
    let d = w.get("/api/v1/key/z2").data();
    assert_eq!(
        d["value"],
        json!([{"member": "a", "score": 1}, {"member": "b", "score": 2}])
    );
    let r = w.send(
        "PUT",
        "/api/v1/key/h2",
        &json!({"value": {"f": 1}, "pttl": 5000}),
    );
    assert_eq!(
        w.get("/api/v1/key/h2").data()["type"],
        "hash",
        "{:?}",
        r.json()
    );
    let pttl = w.get("/api/v1/key/h2").data()["pttl"].as_i64().unwrap();
    assert!(pttl > 4000 && pttl <= 5000);
    // Bad shapes.
    for body in [
        json!({"type": "list", "value": "x"}),
        json!({"type": "set", "value": []}),
        json!({"type": "stream", "value": []}),
        json!({"type": "zset", "value": [{"member": "a"}]}),
        json!({"value": "x", "ttl": -1}),
        json!({"value": "x", "ttl": 1, "pttl": 1}),
        json!({"type": "string"}),
    ] {
        let r = w.send("PUT", "/api/v1/key/bad", &body);
        assert_eq!(r.status, 400, "{body}");
    }
    assert_eq!(w.get("/api/v1/key/bad").status, 404);
    // What the RESP side sees.
    let mut c = w.srv.raw();
    assert_eq!(calls(&mut c, &["HGET", "h2", "f"]), "$1\r\n1\r\n");
    assert_eq!(calls(&mut c, &["ZSCORE", "z2", "b"]), "$1\r\n2\r\n");
}

#[test]
fn stream_keys_read_paged_and_written_whole() {
    let w = start(&[]);
    // Written with given IDs (object or pair fields), read back oldest
    // first; a TTL applies as for any key.
    let r = w.send(
        "PUT",
        "/api/v1/key/s",
        &json!({"type": "stream", "ttl": 100, "value": [
            {"id": "1-1", "fields": {"a": "1"}},
            {"id": "2", "fields": [["b", "2"], ["c", {"base64": "/w=="}]]},
        ]}),
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
    let d = w.get("/api/v1/key/s").data();
    assert_eq!(
        (d["type"].clone(), d["length"].clone()),
        (json!("stream"), json!(2))
    );
    assert_eq!(
        d["value"],
        json!([
            {"id": "1-1", "fields": {"a": "1"}},
            {"id": "2-0", "fields": {"b": "2", "c": {"base64": "/w=="}}},
        ])
    );
    assert!(d["ttl"].as_i64().unwrap() > 90);
    // Server-generated IDs when no entry gives one.
    let r = w.send(
        "PUT",
        "/api/v1/key/auto",
        &json!({"type": "stream", "value": [{"fields": {"x": "1"}}, {"fields": {"x": "2"}}]}),
    );
    assert_eq!(r.status, 201);
    let v = w.get("/api/v1/key/auto").data()["value"].clone();
    let ids: Vec<(u64, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let (ms, seq) = e["id"].as_str().unwrap().split_once('-').unwrap();
            (ms.parse().unwrap(), seq.parse().unwrap())
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[0].0 > 1_700_000_000_000 && ids[0] < ids[1], "{ids:?}");
    // Paging walks past more than one XRANGE chunk (1000 entries).
    let mut c = w.srv.raw();
    for i in 1..=2500 {
        calls(
            &mut c,
            &["XADD", "big", &format!("{i}-0"), "n", &i.to_string()],
        );
    }
    let d = w.get("/api/v1/key/big?offset=2300&limit=150").data();
    let v = d["value"].as_array().unwrap();
    assert_eq!(
        (v.len(), d["length"].clone(), d["truncated"].clone()),
        (150, json!(2500), json!(true))
    );
    assert_eq!(v[0], json!({"id": "2301-0", "fields": {"n": "2301"}}));
    assert_eq!(v[149]["id"], "2450-0");
    let d = w.get("/api/v1/key/big?offset=2450").data();
    assert_eq!(
        (d["value"].as_array().unwrap().len(), d["truncated"].clone()),
        (50, json!(false))
    );
    assert_eq!(
        w.get("/api/v1/key/big?offset=2500").data()["value"],
        json!([])
    );
    assert_eq!(
        w.get("/api/v1/key/big?offset=9999999").data()["value"],
        json!([])
    );
    // Bad stream values are refused before anything runs: the key keeps
    // its old value.
    for body in [
        json!({"type": "stream", "value": [{"id": "3-1", "fields": {"a": 1}}, {"id": "3-0", "fields": {"a": 1}}]}),
        json!({"type": "stream", "value": [{"id": "0-0", "fields": {"a": 1}}]}),
        json!({"type": "stream", "value": [{"id": "1-x", "fields": {"a": 1}}]}),
        json!({"type": "stream", "value": [{"id": "1-1", "fields": {}}]}),
        json!({"type": "stream", "value": [{"id": "1-1"}]}),
        json!({"type": "stream", "value": [{"id": "1-1", "fields": {"a": 1}, "x": 1}]}),
        json!({"type": "stream", "value": [{"id": "1-1", "fields": {"a": 1}}, {"fields": {"a": 1}}]}),
        json!({"type": "stream", "value": {"a": 1}}),
        json!({"type": "zset", "value": {"a": "abc"}}),
        json!({"type": "zset", "value": [{"member": "a", "score": "nan"}]}),
    ] {
        let r = w.send("PUT", "/api/v1/key/s", &body);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(w.get("/api/v1/key/s").data()["length"], json!(2), "{body}");
    }
}

#[test]
fn awkward_and_binary_keys() {
    let w = start(&[]);
    for key in [
        "a/b/c",
        "with space",
        "ünïcødé/ключ",
        "100%",
        "q?x=1&y",
        "#frag",
    ] {
        let path = format!("/api/v1/key/{}", enc(key));
        let r = w.send("PUT", &path, &json!({"value": key}));
        assert_eq!(r.status, 201, "{key}");
        let d = w.get(&path).data();
        assert_eq!(
            (d["key"].clone(), d["value"].clone()),
            (json!(key), json!(key))
        );
        let mut c = w.srv.raw();
        let got = calls(&mut c, &["GET", key]);
        assert!(got.ends_with(&format!("{key}\r\n")), "{key}: {got}");
    }
    // A raw slash in the path is part of the key too.
    assert_eq!(w.get("/api/v1/key/a/b/c").data()["value"], "a/b/c");
    // Binary values and keys: base64 both ways.
    let r = w.send(
        "PUT",
        "/api/v1/key/%FF%00bin",
        &json!({"value": {"base64": "AAEC/w=="}}),
    );
    assert_eq!(r.status, 201);
    let d = w.get("/api/v1/key/%FF%00bin").data();
    assert_eq!(d["key"], json!({"base64": "/wBiaW4="}));
    assert_eq!(d["value"], json!({"base64": "AAEC/w=="}));
    let r = w.exec(json!(["GET", {"base64": "/wBiaW4="}]));
    assert_eq!(r.data()["reply"], json!({"base64": "AAEC/w=="}));
    let r = w.exec(json!(["SADD", "bs", {"base64": "gA=="}, "ok"]));
    assert_eq!(r.data()["reply"], 2);
    let mut members = w.get("/api/v1/key/bs").data()["value"]
        .as_array()
        .unwrap()
        .clone();
    members.sort_by_key(|v| v.to_string());
    assert_eq!(members, vec![json!("ok"), json!({"base64": "gA=="})]);
    // Missing keys and DELETE.
    let r = w.get("/api/v1/key/missing");
    assert_eq!((r.status, r.code().as_str()), (404, "KEY_NOT_FOUND"));
    assert_eq!(r.json()["error"]["details"]["key"], "missing");
    let r = w.req("DELETE", "/api/v1/key/with%20space", &[], None);
    assert_eq!((r.status, r.data()["deleted"].clone()), (200, json!(true)));
    let r = w.req("DELETE", "/api/v1/key/with%20space", &[], None);
    assert_eq!((r.status, r.code().as_str()), (404, "KEY_NOT_FOUND"));
    // Another DB.
    let r = w.send("PUT", "/api/v1/key/k?db=3", &json!({"value": "in3"}));
    assert_eq!((r.status, r.data()["db"].clone()), (201, json!(3)));
    assert_eq!(w.get("/api/v1/key/k").status, 404);
    assert_eq!(w.get("/api/v1/key/k?db=3").data()["value"], "in3");
}

#[test]
fn keys_pagination_visits_every_key_once() {
    let w = start(&[]);
    let mut c = w.srv.raw();
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(common::cmd(&[b"SET", format!("user:{i}").as_bytes(), b"v"]));
    }
    batch.extend(common::cmd(&[b"RPUSH", b"alist", b"x"]));
    c.write_all(&batch).unwrap();
    for _ in 0..1001 {
        common::read_reply(&mut c);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut pages = 0;
    loop {
        let d = w
            .get(&format!(
                "/api/v1/keys?cursor={cursor}&count=37&match=user:*"
            ))
            .data();
        for k in d["keys"].as_array().unwrap() {
            assert!(seen.insert(k.as_str().unwrap().to_string()), "twice: {k}");
        }
        pages += 1;
        cursor = d["cursor"].as_str().unwrap().to_string();
        assert_eq!(d["done"], json!(cursor == "0"));
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(pages > 5);
    // TYPE filter.
    let mut lists = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let d = w
            .get(&format!("/api/v1/keys?cursor={cursor}&count=500&type=list"))
            .data();
        lists.extend(d["keys"].as_array().unwrap().clone());
        cursor = d["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(lists, vec![json!("alist")]);
}

#[test]
fn big_collections_are_paged() {
    let w = start(&[]);
    let mut c = w.srv.raw();
    let mut cmds = vec![common::cmd(&[b"DEL", b"l"])];
    for i in 0..250 {
        let v = i.to_string();
        cmds.push(common::cmd(&[b"RPUSH", b"l", v.as_bytes()]));
        cmds.push(common::cmd(&[
            b"HSET",
            b"h",
            format!("f{i}").as_bytes(),
            v.as_bytes(),
        ]));
        cmds.push(common::cmd(&[b"SADD", b"s", v.as_bytes()]));
        cmds.push(common::cmd(&[
            b"ZADD",
            b"z",
            v.as_bytes(),
            format!("m{i}").as_bytes(),
        ]));
    }
    c.write_all(&cmds.concat()).unwrap();
    for _ in 0..cmds.len() {
        common::read_reply(&mut c);
    }
    let d = w.get("/api/v1/key/l?offset=100&limit=50").data();
    assert_eq!(
        (d["length"].clone(), d["truncated"].clone()),
        (json!(250), json!(true))
    );
    let vals: Vec<Value> = (100..150).map(|i| json!(i.to_string())).collect();
    assert_eq!(d["value"], json!(vals));
    let d = w.get("/api/v1/key/z?offset=240&limit=50").data();
    assert_eq!(d["value"].as_array().unwrap().len(), 10);
    assert_eq!(d["value"][0], json!({"member": "m240", "score": 240}));
    assert_eq!(d["truncated"], json!(false));
    // Hash and set pages cover every member exactly once.
    for (key, len) in [("h", 250), ("s", 250)] {
        let mut seen = HashSet::new();
        for offset in (0..len).step_by(60) {
            let d = w
                .get(&format!("/api/v1/key/{key}?offset={offset}&limit=60"))
                .data();
            assert_eq!(d["length"], json!(len));
            let items: Vec<String> = match &d["value"] {
                Value::Object(m) => m.keys().cloned().collect(),
                Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
                other => panic!("{other}"),
            };
            for i in items {
                assert!(seen.insert(i.clone()), "{key}: {i} twice");
            }
        }
        assert_eq!(seen.len(), len, "{key}");
    }
    let d = w.get("/api/v1/key/l").data();
    assert_eq!(
        (d["limit"].clone(), d["value"].as_array().unwrap().len()),
        (json!(100), 100)
    );
    assert_eq!(w.get("/api/v1/key/l?limit=0").status, 400);
}

#[test]
fn execute_maps_every_reply_type() {
    let w = start(&[]);
    let one = |cmd: Value| {
        let d = w.exec(cmd.clone()).data();
        (d["reply"].clone(), d["type"].as_str().unwrap().to_string())
    };
    assert_eq!(
        one(json!(["SET", "k", "v"])),
        (json!("OK"), "status".into())
    );
    assert_eq!(one(json!(["GET", "k"])), (json!("v"), "bulk".into()));
    assert_eq!(one(json!(["GET", "nokey"])), (Value::Null, "null".into()));
    assert_eq!(one(json!(["INCRBY", "n", 5])), (json!(5), "integer".into()));
    assert_eq!(
        one(json!(["RPUSH", "l", "a", "b"])),
        (json!(2), "integer".into())
    );
    assert_eq!(
        one(json!(["LRANGE", "l", 0, -1])),
        (json!(["a", "b"]), "array".into())
    );
    one(json!(["HSET", "h", "f", "1"]));
    // RESP2 (the default): what redis-cli shows.
    assert_eq!(
        one(json!(["HGETALL", "h"])),
        (json!(["f", "1"]), "array".into())
    );
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"command": ["HGETALL", "h"], "resp": 3}),
        )
        .data();
    assert_eq!(
        (d["reply"].clone(), d["type"].clone()),
        (json!({"f": "1"}), json!("map"))
    );
    one(json!(["ZADD", "z", "2.5", "m"]));
    // RESP3: doubles are numbers, maps objects.
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"command": ["ZSCORE", "z", "m"], "resp": 3}),
        )
        .data();
    assert_eq!(
        (d["reply"].clone(), d["type"].clone()),
        (json!(2.5), json!("double"))
    );
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"command": ["ZSCORE", "z", "m"]}),
        )
        .data();
    assert_eq!(d["reply"], json!("2.5"));
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"command": ["HELLO", "3"], "resp": 3}),
        )
        .data();
    assert_eq!(
        (d["type"].clone(), d["reply"]["proto"].clone()),
        (json!("map"), json!(3))
    );
    // Errors: 400 with the Redis text; WRONGTYPE is 409.
    let r = w.exec(json!(["NOSUCHCMD"]));
    assert_eq!((r.status, r.code().as_str()), (400, "COMMAND_ERROR"));
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("ERR unknown command"));
    let r = w.exec(json!(["LPUSH", "k", "x"]));
    assert_eq!((r.status, r.code().as_str()), (409, "WRONG_TYPE"));
    assert_eq!(r.json()["error"]["details"]["reply"], "WRONGTYPE");
    let r = w.exec(json!(["GET"]));
    assert_eq!(r.status, 400);
    // Numbers are arguments too; another DB.
    let r = w.send(
        "POST",
        "/api/v1/execute",
        &json!({"command": ["SET", "x", 1.5], "db": 2}),
    );
    assert_eq!(r.status, 200);
    let r = w.send(
        "POST",
        "/api/v1/execute",
        &json!({"command": ["GET", "x"], "db": 2}),
    );
    assert_eq!(r.data()["reply"], "1.5");
    // A batch runs on one connection: MULTI/EXEC works.
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"commands": [["MULTI"], ["INCR", "c"], ["INCR", "c"], ["EXEC"], ["GET", "k", "extra"]]}),
        )
        .data();
    let replies = d["replies"].as_array().unwrap();
    assert_eq!(replies[0]["reply"], "OK");
    assert_eq!(replies[1]["reply"], "QUEUED");
    assert_eq!(replies[3]["reply"], json!([1, 2]));
    assert!(replies[4]["error"]
        .as_str()
        .unwrap()
        .starts_with("ERR wrong number"));
    // A lone MULTI or WATCH does not leak into the next request.
    w.exec(json!(["MULTI"]));
    assert_eq!(w.exec(json!(["GET", "k"])).data()["reply"], "v");
    w.exec(json!(["WATCH", "k"]));
    let d = w
        .send(
            "POST",
            "/api/v1/execute",
            &json!({"commands": [["WATCH", "k"], ["MULTI"], ["SET", "k", "v2"], ["EXEC"]]}),
        )
        .data();
    assert_eq!(d["replies"][3]["reply"], json!(["OK"]));
}

#[test]
fn monitoring_and_management_routes() {
    let w = start(&[]);
    let mut c = w.srv.raw();
    calls(&mut c, &["CLIENT", "SETNAME", "watcher"]);
    calls(&mut c, &["SET", "a", "1"]);
    let d = w.get("/api/v1/stats").data();
    assert_eq!(d["summary"]["keys"], json!(1));
    assert_eq!(d["summary"]["keys_per_db"]["0"], json!(1));
    assert!(d["summary"]["connected_clients"].as_i64().unwrap() >= 1);
    assert!(d["info"]["server"]["redis_version"].is_string());
    assert!(
        d["info"]["commandstats"]["cmdstat_set"]["calls"]
            .as_i64()
            .unwrap()
            >= 1
    );
    let d = w.get("/api/v1/clients").data();
    let list = d["clients"].as_array().unwrap();
    assert!(
        list.iter()
            .any(|c| c["name"] == "watcher" && c["id"].is_i64()),
        "{d}"
    );
    // Slow log: the route works if the command exists, 501 if not.
    let r = w.get("/api/v1/slowlog");
    match r.status {
        200 => assert!(r.data()["entries"].is_array()),
        501 => assert_eq!(r.code(), "NOT_IMPLEMENTED"),
        s => panic!("slowlog: {s}"),
    }
    // Config.
    let d = w.get("/api/v1/config").data();
    assert_eq!(d["maxmemory"], "0");
    assert_eq!(d["http-max-body"], "16777216");
    let d = w.get("/api/v1/config?match=maxmemory-p*").data();
    assert_eq!(d.as_object().unwrap().len(), 1);
    let r = w.send(
        "PUT",
        "/api/v1/config",
        &json!({"maxmemory": "1mb", "hz": 20}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        w.get("/api/v1/config?match=maxmemory").data()["maxmemory"],
        "1048576"
    );
    let r = w.send(
        "PUT",
        "/api/v1/config",
        &json!({"hz": 11, "nosuch": "1", "port": 1}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "CONFIG_ERROR"));
    let det = &r.json()["error"]["details"];
    assert!(det["errors"]["nosuch"].is_string() && det["errors"]["port"].is_string());
    assert_eq!(det["applied"]["hz"], "11");
    assert_eq!(w.send("PUT", "/api/v1/config", &json!([])).status, 400);
    // Snapshots.
    let r = w.req("POST", "/api/v1/snapshot", &[], None);
    assert_eq!(
        (r.status, r.data()["status"].clone()),
        (202, json!("started"))
    );
    let t = Instant::now();
    let list = loop {
        let d = w.get("/api/v1/snapshots").data();
        if d["in_progress"] == json!(false) && !d["snapshots"].as_array().unwrap().is_empty() {
            break d["snapshots"].as_array().unwrap().clone();
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no snapshot");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(list[0]["file"].as_str().unwrap().starts_with("snapshot-"));
    assert!(list[0]["size"].as_u64().unwrap() > 0);
    assert!(list[0]["lsn"].is_u64() && list[0]["modified"].is_u64());
}

/// The labels of a sample, `{a="x",b="y\"z"}` → [(a, x), (b, y"z)],
/// strictly: names well formed, values quoted, only `\\`, `\"` and `\n`
/// escaped, no raw newline, no trailing comma garbage, no name twice.
fn prom_labels(line: &str, inner: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (k, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label without =\": {line}"));
        assert!(
            prom_name_ok(k) && !k.contains(':'),
            "label name {k:?}: {line}"
        );
        let mut v = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars
                .next()
                .unwrap_or_else(|| panic!("unterminated label: {line}"));
            match c {
                '"' => break i,
                '\\' => match chars.next() {
                    Some((_, '\\')) => v.push('\\'),
                    Some((_, '"')) => v.push('"'),
                    Some((_, 'n')) => v.push('\n'),
                    other => panic!("bad escape {other:?}: {line}"),
                },
                '\n' => panic!("raw newline in a label: {line}"),
                c => v.push(c),
            }
        };
        assert!(!out.iter().any(|(n, _)| n == k), "label {k} twice: {line}");
        out.push((k.to_string(), v));
        rest = &after[end + 1..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
            assert!(!rest.is_empty(), "trailing comma: {line}");
        } else {
            assert!(rest.is_empty(), "junk after a label: {line}");
        }
    }
    out
}

fn prom_name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        })
}

fn prom_value(line: &str, v: &str) -> f64 {
    match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => {
            assert!(
                !v.is_empty()
                    && v.bytes()
                        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)),
                "value {v:?}: {line}"
            );
            v.parse().unwrap_or_else(|_| panic!("value {v:?}: {line}"))
        }
    }
}

/// A strict reader of the Prometheus text format 0.0.4 (prometheus-parse
/// is lenient): every family has one HELP and one TYPE before its
/// samples, and its samples are contiguous; names and labels are well
/// formed and escaped; values parse; no series twice; counters end in
/// `_total` and are ≥ 0; a histogram has only `_bucket` (with `le`),
/// `_sum` and `_count` samples, per label set its `le` bounds increase
/// and end at `+Inf`, its bucket counts never decrease, and `_count`
/// equals the `+Inf` bucket. Returns (name+labels → value).
fn check_prometheus(text: &str) -> std::collections::HashMap<String, f64> {
    use std::collections::HashMap;
    assert!(
        text.ends_with('\n'),
        "the exposition must end with a newline"
    );
    let mut typed: HashMap<String, String> = HashMap::new();
    let mut helped = HashSet::new();
    let mut series = HashMap::new();
    let mut done_families = HashSet::new();
    let mut current: Option<String> = None;
    // Histogram series: (family, labels without le) → (buckets, sum, count).
    type Hist = (Vec<(f64, f64)>, Option<f64>, Option<f64>);
    let mut hists: HashMap<(String, String), Hist> = HashMap::new();
    let mut enter = |family: &str, current: &mut Option<String>| {
        if current.as_deref() != Some(family) {
            if let Some(c) = current.take() {
                done_families.insert(c);
            }
            assert!(
                !done_families.contains(family),
                "family {family} is not contiguous"
            );
            *current = Some(family.to_string());
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(!help.is_empty(), "empty HELP: {line}");
            assert!(
                prom_name_ok(name) && helped.insert(name.to_string()),
                "{line}"
            );
            enter(name, &mut current);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(
                typed.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            enter(name, &mut current);
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
            let (series_id, value) = line.rsplit_once(' ').unwrap();
            let v = prom_value(line, value);
            let name = series_id.split('{').next().unwrap();
            assert!(prom_name_ok(name), "{line}");
            let labels = match series_id.strip_prefix(name).filter(|l| !l.is_empty()) {
                Some(l) => {
                    let inner = l
                        .strip_prefix('{')
                        .and_then(|l| l.strip_suffix('}'))
                        .unwrap_or_else(|| panic!("{line}"));
                    prom_labels(line, inner)
                }
                None => Vec::new(),
            };
            // The family: the name itself, or a histogram's name + suffix.
            let (family, suffix) = if typed.contains_key(name) {
                (name.to_string(), "")
            } else {
                let (f, suf) = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suf| name.strip_suffix(suf).map(|f| (f, *suf)))
                    .unwrap_or_else(|| panic!("sample without TYPE: {line}"));
                (f.to_string(), suf)
            };
            assert!(helped.contains(&family), "sample without HELP: {line}");
            enter(&family, &mut current);
            let kind = typed
                .get(&family)
                .unwrap_or_else(|| panic!("sample without TYPE: {line}"));
            match kind.as_str() {
                "counter" => {
                    assert!(
                        suffix.is_empty() && name.ends_with("_total") && v >= 0.0,
                        "{line}"
                    )
                }
                "histogram" => {
                    assert!(!suffix.is_empty(), "a bare histogram sample: {line}");
                    let le = labels
                        .iter()
                        .find(|(k, _)| k == "le")
                        .map(|(_, v)| v.clone());
                    let rest: Vec<String> = labels
                        .iter()
                        .filter(|(k, _)| k != "le")
                        .map(|(k, v)| format!("{k}={v:?}"))
                        .collect();
                    let h = hists.entry((family.clone(), rest.join(","))).or_default();
                    assert!(v >= 0.0, "{line}");
                    match suffix {
                        "_bucket" => {
                            let le = le.unwrap_or_else(|| panic!("bucket without le: {line}"));
                            h.0.push((prom_value(line, &le), v));
                        }
                        "_sum" => {
                            assert!(le.is_none() && h.1.replace(v).is_none(), "{line}")
                        }
                        _ => {
                            assert!(le.is_none() && h.2.replace(v).is_none(), "{line}")
                        }
                    }
                }
                _ => assert!(suffix.is_empty(), "{line}"),
            }
            assert!(
                series.insert(series_id.to_string(), v).is_none(),
                "twice: {line}"
            );
        }
    }
    for ((family, labels), (buckets, sum, count)) in &hists {
        let what = format!("{family}{{{labels}}}");
        assert!(!buckets.is_empty(), "{what}: no buckets");
        for w in buckets.windows(2) {
            assert!(w[0].0 < w[1].0, "{what}: le not increasing");
            assert!(w[0].1 <= w[1].1, "{what}: bucket counts decrease");
        }
        let last = buckets.last().unwrap();
        assert!(
            last.0.is_infinite() && last.0 > 0.0,
            "{what}: no le=\"+Inf\""
        );
        assert_eq!(
            Some(last.1),
            *count,
            "{what}: _count is not the +Inf bucket"
        );
        assert!(sum.is_some(), "{what}: no _sum");
    }
    series
}

/// The same text through prometheus-parse: (family → HELP) for every
/// sample, and the histograms as (family, cmd label) → buckets.
fn parse_prometheus(text: &str) -> prometheus_parse::Scrape {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("prometheus-parse reads the exposition");
    let plain_lines = text.lines().filter(|l| !l.starts_with('#')).count();
    assert!(!scrape.samples.is_empty());
    for s in &scrape.samples {
        // It reads a histogram's `_sum` and `_count` as samples of their own.
        let family = ["_sum", "_count"]
            .iter()
            .find_map(|suf| s.metric.strip_suffix(suf))
            .filter(|f| scrape.docs.contains_key(*f))
            .unwrap_or(&s.metric);
        assert!(scrape.docs.contains_key(family), "no HELP for {}", s.metric);
    }
    // Every sample line was understood (the buckets fold into one).
    let folded: usize = scrape
        .samples
        .iter()
        .map(|s| match &s.value {
            prometheus_parse::Value::Histogram(b) => b.len(),
            _ => 1,
        })
        .sum();
    assert_eq!(folded, plain_lines, "prometheus-parse skipped samples");
    scrape
}

#[test]
fn prometheus_checker_refuses_bad_text() {
    let good = "# HELP h_seconds H.\n# TYPE h_seconds histogram\n\
                h_seconds_bucket{cmd=\"a\\\"b\",le=\"0.1\"} 1\n\
                h_seconds_bucket{cmd=\"a\\\"b\",le=\"+Inf\"} 2\n\
                h_seconds_sum{cmd=\"a\\\"b\"} 0.3\nh_seconds_count{cmd=\"a\\\"b\"} 2\n\
                # HELP c_total C.\n# TYPE c_total counter\nc_total 1\n";
    let m = check_prometheus(good);
    assert_eq!(m["h_seconds_count{cmd=\"a\\\"b\"}"], 2.0);
    parse_prometheus(good);
    let bad = [
        // A bucket count decreasing.
        good.replace("le=\"+Inf\"} 2", "le=\"+Inf\"} 0"),
        // _count different from the +Inf bucket.
        good.replace("_count{cmd=\"a\\\"b\"} 2", "_count{cmd=\"a\\\"b\"} 3"),
        // No +Inf bucket.
        good.replace("le=\"+Inf\"", "le=\"5\""),
        // A bad escape in a label value.
        good.replace("a\\\"b", "a\\qb"),
        // A counter without _total, a sample without HELP/TYPE.
        good.replace("c_total", "c"),
        format!("{good}orphan 1\n"),
        // A family split in two.
        format!("{good}h_seconds_sum{{cmd=\"z\"}} 1\n"),
        // Not a number.
        good.replace("c_total 1", "c_total one"),
    ];
    for b in bad {
        let r = std::panic::catch_unwind(|| check_prometheus(&b));
        assert!(r.is_err(), "accepted:\n{b}");
    }
}

#[test]
fn metrics_are_valid_prometheus_text() {
    let w = start(&[]);
    let mut c = w.srv.raw();
    calls(&mut c, &["SET", "a", "1"]);
    calls(&mut c, &["GET", "a"]);
    calls(&mut c, &["GET", "zz"]);
    calls(&mut c, &["NOPE"]);
    w.get("/api/v1/nope");
    let r = w.get("/api/v1/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = String::from_utf8(r.body.clone()).unwrap();
    let m = check_prometheus(&text);
    assert_eq!(m["flashdb_db_keys{db=\"0\"}"], 1.0);
    assert_eq!(m["flashdb_keyspace_hits_total"], 1.0);
    assert_eq!(m["flashdb_keyspace_misses_total"], 1.0);
    assert!(m["flashdb_command_calls_total{cmd=\"get\"}"] >= 2.0);
    assert!(m.contains_key("flashdb_command_time_seconds_total{cmd=\"set\"}"));
    assert!(m["flashdb_errors_total{code=\"ERR\"}"] >= 1.0);
    assert!(m["flashdb_connected_clients"] >= 1.0);
    assert!(m["flashdb_memory_used_bytes"] > 0.0);
    assert!(m["flashdb_wal_written_bytes_total"] > 0.0);
    for k in [
        "flashdb_uptime_seconds",
        "flashdb_rejected_connections_total",
        "flashdb_rate_limited_commands_total",
        "flashdb_expired_keys_total",
        "flashdb_evicted_keys_total",
        "flashdb_wal_fsyncs_total",
        "flashdb_websocket_clients",
    ] {
        assert!(m.contains_key(k), "{k}");
    }
    assert_eq!(
        m["flashdb_http_requests_total{route=\"unknown\",status=\"404\"}"],
        1.0
    );
}

/// The latency histograms after real traffic: per command, and the WAL's
/// fsyncs under `appendfsync always` (every write waits for one).
#[test]
fn metrics_histograms_after_real_traffic() {
    let w = start(&["--appendfsync", "always"]);
    let mut c = w.srv.raw();
    for i in 0..50 {
        calls(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    for i in 0..20 {
        calls(&mut c, &["GET", &format!("k{i}")]);
    }
    w.get("/api/v1/healthz");
    w.get("/api/v1/stats");
    let text = String::from_utf8(w.get("/api/v1/metrics").body).unwrap();
    let m = check_prometheus(&text);
    let scrape = parse_prometheus(&text);
    assert!(text.contains("# TYPE flashdb_command_duration_seconds histogram\n"));
    assert!(text.contains("# TYPE flashdb_wal_fsync_duration_seconds histogram\n"));
    // Per command: every call counted, in cumulative buckets.
    let set_count = m["flashdb_command_duration_seconds_count{cmd=\"set\"}"];
    assert_eq!(set_count, 50.0);
    assert_eq!(
        m["flashdb_command_duration_seconds_bucket{cmd=\"set\",le=\"+Inf\"}"],
        50.0
    );
    assert_eq!(
        m["flashdb_command_duration_seconds_count{cmd=\"get\"}"],
        20.0
    );
    assert!(m["flashdb_command_duration_seconds_sum{cmd=\"set\"}"] > 0.0);
    // The bounds: 4^k µs from 1 µs to 1.048576 s.
    assert!(m.contains_key("flashdb_command_duration_seconds_bucket{cmd=\"set\",le=\"0.000001\"}"));
    assert!(m.contains_key("flashdb_command_duration_seconds_bucket{cmd=\"set\",le=\"1.048576\"}"));
    // A command never called has no histogram (as in INFO latencystats).
    assert!(!m.contains_key("flashdb_command_duration_seconds_count{cmd=\"lpush\"}"));
    // The WAL: each SET waited for an fsync, each timed.
    let fsyncs = m["flashdb_wal_fsyncs_total"];
    let timed = m["flashdb_wal_fsync_duration_seconds_count"];
    assert!(fsyncs >= 1.0, "{fsyncs}");
    assert!(timed >= fsyncs, "{timed} < {fsyncs}");
    assert!(m["flashdb_wal_fsync_duration_seconds_sum"] > 0.0);
    assert!(m.contains_key("flashdb_wal_fsync_duration_seconds_bucket{le=\"16.777216\"}"));
    // prometheus-parse sees the same histograms.
    let hist = |metric: &str, cmd: Option<&str>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && s.labels.get("cmd") == cmd)
            .map(|s| match &s.value {
                prometheus_parse::Value::Histogram(b) => b.clone(),
                v => panic!("{metric} is {v:?}"),
            })
            .unwrap_or_else(|| panic!("no {metric} {cmd:?}"))
    };
    let set = hist("flashdb_command_duration_seconds", Some("set"));
    assert_eq!(set.len(), 12);
    assert_eq!(set.last().unwrap().count, 50.0);
    assert!(set.last().unwrap().less_than.is_infinite());
    let wal = hist("flashdb_wal_fsync_duration_seconds", None);
    assert_eq!(wal.len(), 14);
    assert_eq!(wal.last().unwrap().count, timed);
    // Snapshot figures and the HTTP request counters.
    assert_eq!(m["flashdb_last_snapshot_success"], 1.0);
    assert!(m.contains_key("flashdb_last_snapshot_duration_seconds"));
    assert_eq!(
        m["flashdb_http_requests_total{route=\"/api/v1/stats\",status=\"200\"}"],
        1.0
    );
    assert_eq!(
        m["flashdb_http_requests_total{route=\"/api/v1/healthz\",status=\"200\"}"],
        1.0
    );
}

#[test]
fn auth_with_password_and_token() {
    let w = start(&["--requirepass", "s3cret"]);
    let r = w.get("/api/v1/stats");
    assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"));
    let challenges = r.headers_named("WWW-Authenticate");
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer")),
        "{challenges:?}"
    );
    assert!(challenges.iter().any(|c| c.starts_with("Basic")));
    // Health checks stay open.
    assert_eq!(w.get("/api/v1/healthz").status, 200);
    assert_eq!(w.get("/api/v1/readyz").status, 200);
    let ok = [
        "Bearer s3cret".to_string(),
        "bearer s3cret".to_string(),
        "Basic ZGVmYXVsdDpzM2NyZXQ=".to_string(), // default:s3cret
    ];
    for a in &ok {
        let r = w.req("GET", "/api/v1/stats", &[("Authorization", a)], None);
        assert_eq!(r.status, 200, "{a}");
    }
    for a in [
        "Bearer nope",
        "Basic b3RoZXI6czNjcmV0",
        "Digest x",
        "Bearer",
    ] {
        let r = w.req("GET", "/api/v1/stats", &[("Authorization", a)], None);
        assert_eq!(r.status, 401, "{a}");
    }
    // Authenticated HTTP runs commands without AUTH.
    let r = w.req(
        "POST",
        "/api/v1/execute",
        &[("Authorization", "Bearer s3cret")],
        Some(br#"{"command": ["SET", "k", "v"]}"#),
    );
    assert_eq!(r.status, 200);
    // An http-token, set at run time, is accepted as well.
    let r = w.req(
        "PUT",
        "/api/v1/config",
        &[("Authorization", "Bearer s3cret")],
        Some(br#"{"http-token": "tok-123"}"#),
    );
    assert_eq!(r.status, 200);
    let r = w.req(
        "GET",
        "/api/v1/key/k",
        &[("Authorization", "Bearer tok-123")],
        None,
    );
    assert_eq!(r.data()["value"], "v");
}

/// Basic auth with an ACL user: its commands pass that user's ACL.
#[test]
fn acl_users_over_http() {
    let w = start(&["--requirepass", "admin-pw"]);
    let admin = [("Authorization", "Bearer admin-pw")];
    let setuser =
        br#"{"command": ["ACL", "SETUSER", "reader", "on", ">r-pw", "~pub:*", "+get", "+ping"]}"#;
    let r = w.req("POST", "/api/v1/execute", &admin, Some(setuser));
    assert_eq!(r.status, 200);
    let r = w.req(
        "POST",
        "/api/v1/execute",
        &admin,
        Some(br#"{"command": ["SET", "pub:1", "hello"]}"#),
    );
    assert_eq!(r.status, 200);
    // reader:r-pw
    let reader = [("Authorization", "Basic cmVhZGVyOnItcHc=")];
    let r = w.req(
        "POST",
        "/api/v1/execute",
        &reader,
        Some(br#"{"command": ["GET", "pub:1"]}"#),
    );
    assert_eq!(
        r.data()["reply"],
        "hello",
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    for denied in [
        br#"{"command": ["SET", "pub:1", "x"]}"#.as_slice(),
        br#"{"command": ["GET", "secret"]}"#.as_slice(),
    ] {
        let r = w.req("POST", "/api/v1/execute", &reader, Some(denied));
        assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    }
    // Wrong password for the user (reader:nope): 401.
    let r = w.req(
        "GET",
        "/api/v1/stats",
        &[("Authorization", "Basic cmVhZGVyOm5vcGU=")],
        None,
    );
    assert_eq!(r.status, 401);
}

#[test]
fn token_only_and_cors() {
    let w = start(&[
        "--http-token",
        "tok",
        "--http-cors-origins",
        "https://ops.example http://localhost:3000",
    ]);
    assert_eq!(w.get("/api/v1/keys").status, 401);
    // RESP needs no password: the token guards HTTP only.
    let mut c = w.srv.raw();
    assert_eq!(calls(&mut c, &["PING"]), "+PONG\r\n");
    let auth = ("Authorization", "Bearer tok");
    // A preflight needs no credentials and names what is allowed.
    let r = w.req(
        "OPTIONS",
        "/api/v1/key/x",
        &[
            ("Origin", "https://ops.example"),
            ("Access-Control-Request-Method", "PUT"),
        ],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("Access-Control-Allow-Origin"),
        Some("https://ops.example")
    );
    assert_eq!(r.header("Access-Control-Allow-Credentials"), Some("true"));
    assert!(r
        .header("Access-Control-Allow-Methods")
        .unwrap()
        .contains("PUT"));
    assert!(r
        .header("Access-Control-Allow-Headers")
        .unwrap()
        .contains("Authorization"));
    assert_eq!(r.header("Vary"), Some("Origin"));
    // Actual requests carry the origin back; others get nothing.
    let r = w.req(
        "GET",
        "/api/v1/keys",
        &[auth, ("Origin", "http://localhost:3000")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Access-Control-Allow-Origin"),
        Some("http://localhost:3000")
    );
    let r = w.req(
        "GET",
        "/api/v1/keys",
        &[auth, ("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(
        (r.status, r.header("Access-Control-Allow-Origin")),
        (200, None)
    );
    let r = w.req(
        "OPTIONS",
        "/api/v1/keys",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(
        (r.status, r.header("Access-Control-Allow-Origin")),
        (204, None)
    );
    // "*" allows any origin, never with credentials.
    let r = w.req(
        "PUT",
        "/api/v1/config",
        &[auth],
        Some(br#"{"http-cors-origins": "*"}"#),
    );
    assert_eq!(r.status, 200);
    let r = w.req(
        "GET",
        "/api/v1/keys",
        &[auth, ("Origin", "https://any.example")],
        None,
    );
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(r.header("Access-Control-Allow-Credentials"), None);
    // No list, no CORS headers.
    let r = w.req(
        "PUT",
        "/api/v1/config",
        &[auth],
        Some(br#"{"http-cors-origins": ""}"#),
    );
    assert_eq!(r.status, 200);
    let r = w.req(
        "GET",
        "/api/v1/keys",
        &[auth, ("Origin", "https://ops.example")],
        None,
    );
    assert_eq!(r.header("Access-Control-Allow-Origin"), None);
}

#[test]
fn rate_limit_is_429() {
    let w = start(&["--rate-limit", "3 3"]);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = w.exec(json!(["PING"]));
        if r.status == 429 {
            assert_eq!(r.code(), "RATE_LIMITED");
            assert_eq!(r.header("Retry-After"), Some("1"));
            assert!(r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("ERR rate limit exceeded"));
        }
        statuses.push(r.status);
    }
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
    let r = w.get("/api/v1/key/x");
    assert!(r.status == 429 || r.status == 404);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(w.exec(json!(["PING"])).status, 200);
    let mut c = w.srv.raw();
    assert!(calls(&mut c, &["INFO", "stats"]).contains("rate_limited_commands:"));
}

// ---------------------------------------------------------------- WebSocket

type Ws = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>;

fn ws_connect(w: &Web, path: &str, headers: &[(&str, &str)]) -> Result<Ws, tungstenite::Error> {
    use tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://127.0.0.1:{}{}", w.http, path)
        .into_client_request()
        .unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let (ws, _) = tungstenite::connect(req)?;
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    Ok(ws)
}

/// The next JSON message within `limit`, or None.
fn next_msg(ws: &mut Ws, limit: Duration) -> Option<Value> {
    let t = Instant::now();
    while t.elapsed() < limit {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                return Some(serde_json::from_str(t.as_str()).unwrap())
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Messages until one of type `kind` arrives (within `limit`).
fn wait_for(ws: &mut Ws, kind: &str, limit: Duration) -> Option<Value> {
    let t = Instant::now();
    while t.elapsed() < limit {
        let m = next_msg(ws, limit.saturating_sub(t.elapsed()))?;
        if m["type"] == kind {
            return Some(m);
        }
    }
    None
}

fn ws_send(ws: &mut Ws, v: Value) {
    ws.send(tungstenite::Message::text(v.to_string())).unwrap();
}

#[test]
fn websocket_stats_keyspace_and_subscriptions() {
    let w = start(&[]);
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    let hello = next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    assert_eq!(hello["type"], "welcome");
    assert_eq!(hello["data"]["authenticated"], json!(true));
    let mut c = w.srv.raw();
    calls(&mut c, &["SET", "a", "1"]);
    let stats = wait_for(&mut ws, "stats", Duration::from_secs(3)).expect("stats within 3 s");
    let d = &stats["data"];
    for k in [
        "ops_per_sec",
        "connected_clients",
        "used_memory",
        "keys_per_db",
        "hit_rate",
        "commands",
        "wal",
    ] {
        assert!(!d[k].is_null(), "{k} in {d}");
    }
    // Keyspace events: what the notification channels carry (published
    // here directly, so the feed is tested whatever emits notifications).
    calls(&mut c, &["PUBLISH", "__keyevent@0__:set", "the key"]);
    let ev = wait_for(&mut ws, "keyspace", Duration::from_secs(3)).expect("keyspace event");
    assert_eq!(
        ev["data"],
        json!({"db": 0, "key": "the key", "event": "set"})
    );
    calls(&mut c, &["PUBLISH", "__keyspace@5__:k\u{ff}", "expired"]);
    let ev = wait_for(&mut ws, "keyspace", Duration::from_secs(3)).unwrap();
    assert_eq!(
        ev["data"],
        json!({"db": 5, "key": "k\u{ff}", "event": "expired"})
    );
    // Subscribe to keyspace only: no more stats.
    ws_send(&mut ws, json!({"subscribe": ["keyspace"]}));
    let ack = wait_for(&mut ws, "subscribed", Duration::from_secs(3)).unwrap();
    assert_eq!(ack["data"]["streams"], json!(["keyspace"]));
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(1500) {
        if let Some(m) = next_msg(&mut ws, Duration::from_millis(200)) {
            assert_ne!(m["type"], "stats", "unsubscribed stream delivered");
        }
    }
    calls(&mut c, &["PUBLISH", "__keyevent@0__:del", "x"]);
    assert!(wait_for(&mut ws, "keyspace", Duration::from_secs(3)).is_some());
    ws_send(&mut ws, json!({"subscribe": ["nope"]}));
    let e = wait_for(&mut ws, "error", Duration::from_secs(3)).unwrap();
    assert_eq!(e["data"]["code"], "UNKNOWN_STREAM");
    ws_send(&mut ws, json!({"type": "ping"}));
    assert!(wait_for(&mut ws, "pong", Duration::from_secs(3)).is_some());
    // The short path works too; a plain GET there is refused.
    let mut ws2 = ws_connect(&w, "/ws", &[]).unwrap();
    assert_eq!(
        next_msg(&mut ws2, Duration::from_secs(3)).unwrap()["type"],
        "welcome"
    );
    assert_eq!(w.get("/api/v1/ws").status, 400);
    let r = w.get("/api/v1/stats").data();
    assert!(r["summary"]["keys"].is_u64());
}

#[test]
fn websocket_real_keyspace_notifications() {
    let w = start(&["--notify-keyspace-events", "KEA"]);
    // A RESP subscriber sees the notification; the WebSocket must too.
    let mut sub = w.srv.raw();
    calls(&mut sub, &["PSUBSCRIBE", "__keyevent@*__:*"]);
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    ws_send(&mut ws, json!({"subscribe": ["keyspace"]}));
    wait_for(&mut ws, "subscribed", Duration::from_secs(3)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut c = w.srv.raw();
    calls(&mut c, &["SET", "nk", "v"]);
    sub.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut b = [0u8; 256];
    let emitted = matches!(sub.read(&mut b), Ok(n) if n > 0);
    assert!(emitted, "SET sent no keyspace notification");
    let ev = wait_for(&mut ws, "keyspace", Duration::from_secs(3)).expect("notification");
    assert_eq!(ev["data"], json!({"db": 0, "key": "nk", "event": "set"}));
}

#[test]
fn websocket_auth() {
    let w = start(&["--http-token", "tok"]);
    // Wrong credentials in the handshake: refused with 401.
    match ws_connect(&w, "/api/v1/ws", &[("Authorization", "Bearer bad")]) {
        Err(tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 401),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Token as a subprotocol (what browsers can send); "flashdb" is selected.
    let mut ws = ws_connect(
        &w,
        "/api/v1/ws",
        &[("Sec-WebSocket-Protocol", "flashdb, bearer.tok")],
    )
    .unwrap();
    assert_eq!(
        next_msg(&mut ws, Duration::from_secs(3)).unwrap()["data"]["authenticated"],
        json!(true)
    );
    assert!(wait_for(&mut ws, "stats", Duration::from_secs(3)).is_some());
    // Header auth.
    let mut ws = ws_connect(&w, "/api/v1/ws", &[("Authorization", "Bearer tok")]).unwrap();
    assert!(wait_for(&mut ws, "stats", Duration::from_secs(3)).is_some());
    // No credentials: nothing until a first auth message.
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    let hello = next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    assert_eq!(hello["data"]["authenticated"], json!(false));
    assert!(
        next_msg(&mut ws, Duration::from_millis(1500)).is_none(),
        "events before auth"
    );
    ws_send(&mut ws, json!({"subscribe": ["stats"]}));
    assert_eq!(
        wait_for(&mut ws, "error", Duration::from_secs(3)).unwrap()["data"]["code"],
        "UNAUTHORIZED"
    );
    ws_send(&mut ws, json!({"auth": "tok"}));
    assert_eq!(
        wait_for(&mut ws, "auth", Duration::from_secs(3)).unwrap()["data"]["ok"],
        json!(true)
    );
    assert!(wait_for(&mut ws, "stats", Duration::from_secs(3)).is_some());
    // A wrong auth message closes the stream.
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    ws_send(&mut ws, json!({"auth": "bad"}));
    assert_eq!(
        wait_for(&mut ws, "error", Duration::from_secs(3)).unwrap()["data"]["code"],
        "UNAUTHORIZED"
    );
    let t = Instant::now();
    let closed = loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => {
                break true
            }
            Err(tungstenite::Error::Io(e))
                if e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut =>
            {
                break true
            }
            Err(tungstenite::Error::AlreadyClosed) | Err(tungstenite::Error::Protocol(_)) => {
                break true
            }
            _ if t.elapsed() > Duration::from_secs(3) => break false,
            _ => {}
        }
    };
    assert!(closed);
}

#[test]
fn slow_websocket_client_drops_not_blocks() {
    // No Pub/Sub output limit: the feed never loses its subscription here,
    // so what is dropped is dropped from this client's own queue.
    let w = start(&["--client-output-buffer-limit", "pubsub", "0", "0", "0"]);
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    ws_send(&mut ws, json!({"subscribe": ["keyspace"]}));
    wait_for(&mut ws, "subscribed", Duration::from_secs(3)).unwrap();
    // Flood while not reading: ~40 MB of events.
    let mut c = w.srv.raw();
    let key = "k".repeat(20_000);
    let t = Instant::now();
    let mut batch = Vec::new();
    for _ in 0..2000 {
        batch.extend(common::cmd(&[
            b"PUBLISH",
            b"__keyevent@0__:set",
            key.as_bytes(),
        ]));
    }
    c.write_all(&batch).unwrap();
    for _ in 0..2000 {
        common::read_reply(&mut c);
    }
    // The server kept its pace: the publisher was never held up.
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let t = Instant::now();
    assert_eq!(calls(&mut c, &["PING"]), "+PONG\r\n");
    assert!(t.elapsed() < Duration::from_millis(500));
    // Once the feed has offered more than the queue holds, the server
    // counts drops (the socket buffers absorb a few MB first).
    let t = Instant::now();
    loop {
        let m = check_prometheus(&String::from_utf8(w.get("/api/v1/metrics").body).unwrap());
        if m["flashdb_websocket_dropped_messages_total"] > 0.0 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "nothing dropped");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The client hears how much it missed, before the next message it gets.
    let d = wait_for(&mut ws, "dropped", Duration::from_secs(20)).expect("a dropped report");
    assert!(d["data"]["count"].as_u64().unwrap() > 0, "{d}");
    assert_eq!(d["data"]["overflow"], json!(false));
}

#[test]
fn websocket_command_stream_shows_what_monitor_sees() {
    let w = start(&[]);
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    ws_send(&mut ws, json!({"subscribe": ["command"]}));
    let ack = wait_for(&mut ws, "subscribed", Duration::from_secs(3)).unwrap();
    assert_eq!(ack["data"]["streams"], json!(["command"]));
    let mut c = w.srv.raw();
    // The feed attaches its monitor within one feed tick: retry until a
    // command shows up.
    let t = Instant::now();
    let ev = loop {
        calls(&mut c, &["SET", "wskey", "a b"]);
        if let Some(ev) = wait_for(&mut ws, "command", Duration::from_millis(300)) {
            break ev;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no command event");
    };
    let d = &ev["data"];
    assert_eq!(d["command"], r#""SET" "wskey" "a b""#, "{d}");
    assert_eq!(d["db"], 0);
    assert!(d["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(d["time"].as_f64().unwrap() > 1.6e9);
    // Secrets stay redacted, as in MONITOR.
    calls(&mut c, &["AUTH", "nobody", "s3cret-pw"]);
    calls(&mut c, &["ECHO", "after"]);
    let mut texts = Vec::new();
    while let Some(ev) = wait_for(&mut ws, "command", Duration::from_millis(500)) {
        texts.push(ev["data"]["command"].as_str().unwrap().to_string());
        if texts.last().unwrap().contains("after") {
            break;
        }
    }
    assert!(texts.iter().any(|t| t.contains("after")), "{texts:?}");
    assert!(texts.iter().all(|t| !t.contains("s3cret-pw")), "{texts:?}");
}

#[test]
fn websocket_stats_carry_latency_percentiles() {
    let w = start(&[]);
    let mut ws = ws_connect(&w, "/api/v1/ws", &[]).unwrap();
    next_msg(&mut ws, Duration::from_secs(3)).unwrap();
    let mut c = w.srv.raw();
    let t = Instant::now();
    loop {
        for i in 0..50 {
            calls(&mut c, &["SET", &format!("k{i}"), "v"]);
        }
        let st = wait_for(&mut ws, "stats", Duration::from_secs(3)).expect("stats");
        let l = &st["data"]["latency_usec"];
        if let (Some(p50), Some(p99)) = (l["p50"].as_f64(), l["p99"].as_f64()) {
            assert!(p50 > 0.0 && p50 <= p99, "{l}");
            assert!(l["p99.9"].as_f64().unwrap() >= p99, "{l}");
            break;
        }
        // The first message has no earlier one to diff against.
        assert!(t.elapsed() < Duration::from_secs(10), "no percentiles: {l}");
    }
}
