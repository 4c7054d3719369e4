//! `POST /api/v1/execute` with `"typed": true` against the real binary:
//! replies come back as trees of typed nodes (what the dashboard's console
//! formats the way redis-cli does), error replies in-band with status 200.

mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

struct Web {
    _srv: TestServer,
    http: u16,
}

fn start() -> Web {
    let (srv, http) = TestServer::start_with_http(&[]);
    Web { _srv: srv, http }
}

impl Web {
    /// POSTs `body` to /api/v1/execute; returns the status and the JSON.
    fn post(&self, body: &Value) -> (u16, Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = body.to_string();
        write!(
            s,
            "POST /api/v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..end]);
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let v = serde_json::from_slice(&raw[end + 4..]).unwrap();
        (status, v)
    }

    /// The typed reply tree of one command (asserting status 200).
    fn typed(&self, cmd: Value, extra: Value) -> Value {
        let mut body = json!({ "command": cmd, "typed": true });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, v) = self.post(&body);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["success"], true, "{v}");
        assert_eq!(v["data"]["type"], v["data"]["reply"]["type"], "{v}");
        v["data"]["reply"].clone()
    }
}

fn bulk(s: &str) -> Value {
    json!({"type": "bulk", "value": s})
}

#[test]
fn typed_replies() {
    let w = start();
    let none = json!({});
    let resp3 = json!({"resp": 3});
    assert_eq!(
        w.typed(json!(["SET", "k", "v"]), none.clone()),
        json!({"type": "status", "value": "OK"})
    );
    assert_eq!(w.typed(json!(["GET", "k"]), none.clone()), bulk("v"));
    assert_eq!(
        w.typed(json!(["GET", "nosuch"]), none.clone()),
        json!({"type": "null"})
    );
    assert_eq!(
        w.typed(json!(["INCRBY", "n", "9007199254740993"]), none.clone()),
        json!({"type": "integer", "value": "9007199254740993"})
    );
    assert_eq!(
        w.typed(json!(["INCR", "m"]), none.clone()),
        json!({"type": "integer", "value": 1})
    );
    assert_eq!(
        w.typed(json!(["LRANGE", "nolist", "0", "-1"]), none.clone()),
        json!({"type": "array", "value": []})
    );

    // Binary values: base64 instead of value.
    w.typed(json!(["SET", "bin", {"base64": "AP8="}]), none.clone());
    assert_eq!(
        w.typed(json!(["GET", "bin"]), none.clone()),
        json!({"type": "bulk", "base64": "AP8="})
    );

    // A hash: a flat array in RESP2, a map of pairs in RESP3.
    w.typed(json!(["HSET", "h", "f", "1"]), none.clone());
    assert_eq!(
        w.typed(json!(["HGETALL", "h"]), none.clone()),
        json!({"type": "array", "value": [bulk("f"), bulk("1")]})
    );
    assert_eq!(
        w.typed(json!(["HGETALL", "h"]), resp3.clone()),
        json!({"type": "map", "value": [[bulk("f"), bulk("1")]]})
    );
    assert_eq!(
        w.typed(json!(["HGETALL", "nohash"]), resp3.clone()),
        json!({"type": "map", "value": []})
    );

    // Doubles: a bulk string in RESP2, the double's text in RESP3.
    w.typed(json!(["ZADD", "z", "1.5", "a", "2", "b"]), none.clone());
    assert_eq!(
        w.typed(json!(["ZSCORE", "z", "a"]), none.clone()),
        bulk("1.5")
    );
    assert_eq!(
        w.typed(json!(["ZSCORE", "z", "a"]), resp3.clone()),
        json!({"type": "double", "value": "1.5"})
    );
    assert_eq!(
        w.typed(
            json!(["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            resp3.clone()
        ),
        json!({"type": "array", "value": [
            {"type": "array", "value": [bulk("a"), {"type": "double", "value": "1.5"}]},
            {"type": "array", "value": [bulk("b"), {"type": "double", "value": "2"}]},
        ]})
    );
    w.typed(json!(["SADD", "s", "x"]), none.clone());
    assert_eq!(
        w.typed(json!(["SMEMBERS", "s"]), resp3.clone()),
        json!({"type": "set", "value": [bulk("x")]})
    );
    assert_eq!(
        w.typed(json!(["SMEMBERS", "s"]), none.clone()),
        json!({"type": "array", "value": [bulk("x")]})
    );

    // HELLO 3's own reply is already RESP3 (as redis-cli receives it).
    let r = w.typed(json!(["HELLO", "3"]), none.clone());
    assert_eq!(r["type"], "map", "{r}");
    assert_eq!(r["value"][0][0], bulk("server"));

    // The db field: the command runs there.
    w.typed(json!(["SET", "in3", "yes"]), json!({"db": 3}));
    assert_eq!(
        w.typed(json!(["GET", "in3"]), json!({"db": 3})),
        bulk("yes")
    );
    assert_eq!(
        w.typed(json!(["GET", "in3"]), none.clone()),
        json!({"type": "null"})
    );
}

#[test]
fn typed_errors_are_in_band() {
    let w = start();
    // Error replies: status 200, an error node with Redis's text.
    let r = w.typed(json!(["NOSUCHCMD", "a"]), json!({}));
    assert_eq!(r["type"], "error");
    assert!(
        r["value"]
            .as_str()
            .unwrap()
            .starts_with("ERR unknown command 'NOSUCHCMD'"),
        "{r}"
    );
    w.typed(json!(["SET", "str", "x"]), json!({}));
    let r = w.typed(json!(["LPUSH", "str", "y"]), json!({}));
    assert_eq!(r["type"], "error");
    assert!(r["value"].as_str().unwrap().starts_with("WRONGTYPE"), "{r}");

    // Without "typed" the same error is the error envelope, as before.
    let (status, v) = w.post(&json!({"command": ["LPUSH", "str", "y"]}));
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "WRONG_TYPE");

    // A batch: errors nested in EXEC's array and per command.
    let (status, v) = w.post(&json!({
        "typed": true,
        "commands": [["MULTI"], ["INCR", "c"], ["LPUSH", "str", "y"], ["EXEC"], ["NOPE"]],
    }));
    assert_eq!(status, 200, "{v}");
    let replies = v["data"]["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 5);
    assert_eq!(
        replies[0]["reply"],
        json!({"type": "status", "value": "OK"})
    );
    assert_eq!(
        replies[1]["reply"],
        json!({"type": "status", "value": "QUEUED"})
    );
    let exec = &replies[3]["reply"];
    assert_eq!(exec["type"], "array", "{exec}");
    assert_eq!(exec["value"][0], json!({"type": "integer", "value": 1}));
    assert_eq!(exec["value"][1]["type"], "error");
    assert_eq!(replies[4]["type"], "error");
    assert_eq!(replies[4]["reply"]["type"], "error");

    // Request problems stay envelopes: a bad "typed", a streaming command.
    let (status, v) = w.post(&json!({"command": ["PING"], "typed": "yes"}));
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "BAD_REQUEST");
    let (status, v) = w.post(&json!({"command": ["SUBSCRIBE", "ch"], "typed": true}));
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "NOT_SUPPORTED");
    // "typed": false is the plain mapping.
    let (status, v) = w.post(&json!({"command": ["PING"], "typed": false}));
    assert_eq!(status, 200);
    assert_eq!(v["data"], json!({"reply": "PONG", "type": "status"}));
}
