//! SORT and SORT_RO against the real binary: typed results through the
//! redis crate, exact errors, STORE, key lookups through patterns, and a
//! differential run against redis-server 7.0.

mod common;
use common::*;

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["RPUSH", "l", "3", "1", "2", "10", "-1.5"]);
    let v: Vec<String> = q(&mut c, &["SORT", "l"]);
    assert_eq!(v, ["-1.5", "1", "2", "3", "10"]);
    let v: Vec<String> = q(&mut c, &["SORT", "l", "DESC"]);
    assert_eq!(v, ["10", "3", "2", "1", "-1.5"]);
    let v: Vec<String> = q(&mut c, &["SORT", "l", "ALPHA"]);
    assert_eq!(v, ["-1.5", "1", "10", "2", "3"]);
    let v: Vec<String> = q(&mut c, &["SORT", "l", "LIMIT", "1", "2"]);
    assert_eq!(v, ["1", "2"]);
    let v: Vec<String> = q(&mut c, &["SORT_RO", "l", "LIMIT", "-5", "2", "DESC"]);
    assert_eq!(v, ["10", "3"]);
    // BY nosort keeps the list order; LIMIT is a range of it.
    let v: Vec<String> = q(&mut c, &["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"]);
    assert_eq!(v, ["1", "2"]);
    let v: Vec<String> = q(&mut c, &["SORT", "l", "BY", "nosort", "DESC"]);
    assert_eq!(v, ["-1.5", "10", "2", "1", "3"]);

    // Sets and sorted sets.
    let _: i64 = q(&mut c, &["SADD", "s", "b", "a", "c"]);
    let v: Vec<String> = q(&mut c, &["SORT", "s", "ALPHA"]);
    assert_eq!(v, ["a", "b", "c"]);
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "9", "2", "7", "3", "8"]);
    let v: Vec<String> = q(&mut c, &["SORT", "z"]);
    assert_eq!(v, ["7", "8", "9"]);
    let v: Vec<String> = q(&mut c, &["SORT", "z", "BY", "nosort"]);
    assert_eq!(v, ["9", "7", "8"]);
    let v: Vec<String> = q(
        &mut c,
        &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"],
    );
    assert_eq!(v, ["8", "7"]);

    // BY string keys and hash fields; GET patterns.
    let _: i64 = q(&mut c, &["RPUSH", "ids", "1", "2", "3"]);
    for (id, w, name) in [("1", "30", "one"), ("2", "10", "two"), ("3", "20", "three")] {
        let _: () = q(&mut c, &["SET", &format!("w_{id}"), w]);
        let _: i64 = q(&mut c, &["HSET", &format!("h_{id}"), "name", name, "w", w]);
    }
    let v: Vec<String> = q(&mut c, &["SORT", "ids", "BY", "w_*"]);
    assert_eq!(v, ["2", "3", "1"]);
    let v: Vec<String> = q(&mut c, &["SORT", "ids", "BY", "h_*->w", "DESC"]);
    assert_eq!(v, ["1", "3", "2"]);
    let v: Vec<String> = q(&mut c, &["SORT", "ids", "BY", "h_*->name", "ALPHA"]);
    assert_eq!(v, ["1", "3", "2"]);
    let v: Vec<Option<String>> = q(
        &mut c,
        &[
            "SORT",
            "ids",
            "BY",
            "w_*",
            "GET",
            "#",
            "GET",
            "h_*->name",
            "GET",
            "nope_*",
        ],
    );
    let want = ["2", "two", "3", "three", "1", "one"];
    assert_eq!(v.len(), 9);
    for (i, w) in want.iter().enumerate() {
        assert_eq!(v[i / 2 * 3 + i % 2].as_deref(), Some(*w));
    }
    assert!(v[2].is_none() && v[5].is_none() && v[8].is_none());
    // A missing BY key sorts as 0.
    let _: i64 = q(&mut c, &["RPUSH", "ids", "4"]);
    let v: Vec<String> = q(&mut c, &["SORT", "ids", "BY", "w_*"]);
    assert_eq!(v, ["4", "2", "3", "1"]);

    // STORE writes a list and returns its length; empty results delete.
    let n: i64 = q(&mut c, &["SORT", "l", "STORE", "dst"]);
    assert_eq!(n, 5);
    let v: Vec<String> = q(&mut c, &["LRANGE", "dst", "0", "-1"]);
    assert_eq!(v, ["-1.5", "1", "2", "3", "10"]);
    let n: i64 = q(
        &mut c,
        &["SORT", "ids", "BY", "w_*", "GET", "nope_*", "STORE", "dst"],
    );
    assert_eq!(n, 4);
    let v: Vec<String> = q(&mut c, &["LRANGE", "dst", "0", "-1"]);
    assert_eq!(v, ["", "", "", ""]);
    let _: () = q(&mut c, &["EXPIRE", "dst", "100"]);
    let n: i64 = q(&mut c, &["SORT", "s", "STORE", "dst", "ALPHA"]);
    assert_eq!(n, 3);
    let ttl: i64 = q(&mut c, &["TTL", "dst"]);
    assert_eq!(ttl, -1, "STORE drops the destination's TTL");
    let n: i64 = q(&mut c, &["SORT", "nosuch", "STORE", "dst"]);
    assert_eq!(n, 0);
    let e: i64 = q(&mut c, &["EXISTS", "dst"]);
    assert_eq!(e, 0);
    // A set with BY nosort and STORE is sorted ALPHA, as Redis does.
    let n: i64 = q(&mut c, &["SORT", "s", "BY", "nosort", "STORE", "dst"]);
    assert_eq!(n, 3);
    let v: Vec<String> = q(&mut c, &["LRANGE", "dst", "0", "-1"]);
    assert_eq!(v, ["a", "b", "c"]);
}

#[test]
fn errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["RPUSH", "l", "1", "x"]);
    let _: () = q(&mut c, &["SET", "str", "v"]);
    let conv = "One or more scores can't be converted into double";
    assert!(qerr(&mut c, &["SORT", "l"]).contains(conv));
    assert!(qerr(&mut c, &["SORT", "l", "STORE", "d"]).contains(conv));
    assert!(qerr(&mut c, &["SORT", "str"]).starts_with("WRONGTYPE"));
    assert!(qerr(&mut c, &["SORT", "l", "foo"]).contains("syntax error"));
    assert!(qerr(&mut c, &["SORT", "l", "LIMIT", "1"]).contains("syntax error"));
    assert!(qerr(&mut c, &["SORT", "l", "LIMIT", "a", "1"]).contains("not an integer"));
    assert!(qerr(&mut c, &["SORT_RO", "l", "STORE", "d"]).contains("syntax error"));
    // Options are parsed before the key's type is checked.
    assert!(qerr(&mut c, &["SORT", "str", "bad"]).contains("syntax error"));
    // The error stored nothing.
    let e: i64 = q(&mut c, &["EXISTS", "d"]);
    assert_eq!(e, 0);
    // No conversion happens when nothing is sorted.
    let v: Vec<String> = q(&mut c, &["SORT", "l", "BY", "nosort"]);
    assert_eq!(v, ["1", "x"]);
}

#[test]
fn command_getkeys_and_info() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "sort", "k", "STORE", "dst"]),
        "*2\r\n$1\r\nk\r\n$3\r\ndst\r\n"
    );
    assert_eq!(
        calls(
            &mut s,
            &["COMMAND", "GETKEYS", "sort", "k", "by", "x", "store", "a", "store", "b"]
        ),
        "*2\r\n$1\r\nk\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        calls(
            &mut s,
            &["COMMAND", "GETKEYS", "sort", "k", "get", "store", "store"]
        ),
        "*1\r\n$1\r\nk\r\n"
    );
    assert_eq!(
        calls(
            &mut s,
            &["COMMAND", "GETKEYS", "sort_ro", "k", "store", "d"]
        ),
        "*1\r\n$1\r\nk\r\n"
    );
}

fn differential_cases() -> Vec<Vec<String>> {
    split_cases(&[
        "RPUSH l 3 1 2 10 -1.5 2.5 1e2 0x10 inf -inf",
        "SORT l",
        "SORT l DESC",
        // ALPHA cases use lower-case letters and digits only, which every
        // locale's strcoll orders like bytes.
        "RPUSH al b10 a 10 9 a1 z b2",
        "SORT al ALPHA",
        "SORT al ALPHA DESC",
        "SORT al ALPHA LIMIT 2 3",
        "SORT al ALPHA BY nosort DESC",
        "SORT l LIMIT 0 3",
        "SORT l LIMIT 2 3 DESC",
        "SORT l LIMIT -5 2",
        "SORT l LIMIT 1 -1",
        "SORT l LIMIT 5 9223372036854775807",
        "SORT l LIMIT 9223372036854775807 1",
        "SORT l LIMIT 9223372036854775807 9223372036854775807",
        "SORT l LIMIT -9223372036854775808 -9223372036854775808",
        "SORT l LIMIT 0 0",
        "SORT l LIMIT 100 1",
        "SORT l LIMIT 1 2 LIMIT 3 1",
        "SORT l BY nosort",
        "SORT l BY nosort DESC",
        "SORT l BY nosort LIMIT 2 3",
        "SORT l BY nosort DESC LIMIT 2 3",
        "SORT l BY nosort LIMIT 100 3",
        "SORT l BY nosort LIMIT 0 0",
        "SORT l BY nosort GET # GET w_*",
        "SORT l ASC DESC ASC",
        "SORT l desc asc",
        "SORT_RO l",
        "SORT_RO l DESC LIMIT 1 1",
        "SORT l STORE dst",
        "LRANGE dst 0 -1",
        "SORT l LIMIT 0 0 STORE dst",
        "EXISTS dst",
        "SORT al ALPHA STORE dst STORE dst2",
        "LRANGE dst2 0 -1",
        "EXISTS dst",
        "SORT nosuch",
        "SORT nosuch STORE dst2",
        "EXISTS dst2",
        "SORT nosuch BY nosort LIMIT 1 1",
        "SORT nosuch LIMIT 5 5 GET #",
        "SADD s 5 3 9 1 -2",
        "SORT s",
        "SORT s DESC",
        "SORT s ALPHA",
        "SORT s LIMIT 1 2",
        "SORT s STORE dst",
        "LRANGE dst 0 -1",
        "SORT s BY nosort STORE dst",
        "LRANGE dst 0 -1",
        "SORT s BY nosort DESC STORE dst",
        "LRANGE dst 0 -1",
        "SADD t banana apple cherry date",
        "SORT t ALPHA",
        "SORT t ALPHA DESC LIMIT 1 2",
        "SORT t",
        "ZADD z 1 c 2 a 3 b 4 e 5 d",
        "SORT z ALPHA",
        "SORT z ALPHA DESC",
        "SORT z",
        "SORT z BY nosort",
        "SORT z BY nosort DESC",
        "SORT z BY nosort LIMIT 1 2",
        "SORT z BY nosort DESC LIMIT 1 2",
        "SORT z BY nosort LIMIT 4 10",
        "SORT z BY nosort LIMIT 10 10",
        "SORT z BY nosort LIMIT -3 2",
        "SORT z BY nosort STORE dst",
        "LRANGE dst 0 -1",
        "ZADD zn 5 10 4 2 3 33 2 -1 1 7",
        "SORT zn",
        "SORT zn DESC LIMIT 1 3",
        "RPUSH ids 1 2 3 4 5",
        "MSET w_1 30 w_2 10 w_3 20 w_4 10 n_1 one n_2 two n_3 three n_4 four",
        "HSET h_1 name uno w 5",
        "HSET h_2 name dos w 3",
        "HSET h_3 name tres w 4",
        "HSET h_5 name cinco w 1",
        "SORT ids BY w_*",
        "SORT ids BY w_* DESC",
        "SORT ids BY w_* LIMIT 1 2",
        "SORT ids BY w_* LIMIT 1 2 DESC",
        "SORT ids BY n_* ALPHA",
        "SORT ids BY n_* ALPHA DESC",
        "SORT ids BY h_*->w",
        "SORT ids BY h_*->w DESC",
        "SORT ids BY h_*->name ALPHA",
        "SORT ids BY h_*->nope",
        "SORT ids BY h_*-> ",
        "SORT ids BY w_* GET #",
        "SORT ids BY w_* GET # GET n_* GET h_*->name GET h_*->nope GET nope_* GET nostar",
        "SORT ids GET n_* GET #",
        "SORT ids BY nosort GET h_*->w",
        "SORT ids BY w_* GET n_* STORE dst",
        "LRANGE dst 0 -1",
        "SORT ids BY w_* GET n_* GET # STORE dst",
        "LRANGE dst 0 -1",
        "SORT ids BY h_* ",
        "SORT ids BY n_*",
        "SORT ids BY l",
        "SORT ids BY l_*",
        "SORT ids GET l_*",
        "SORT ids GET h_*",
        "SORT ids GET w_*->x",
        "SORT ids BY *",
        "SORT ids BY w_*_x",
        "SORT ids BY #",
        "SORT ids GET *",
        "RPUSH bad 1 x 2",
        "SORT bad",
        "SORT bad ALPHA",
        "SORT bad BY nosort",
        "SORT bad STORE dst",
        "SORT bad LIMIT 0 1",
        "RPUSH nums \"\" 5 3",
        "SORT nums",
        "RPUSH ws 5 3 2",
        "SORT ws BY w_* GET #",
        "SET str v",
        "SORT str",
        "SORT str BY nosort",
        "SORT str foo",
        "SORT l foo",
        "SORT l LIMIT",
        "SORT l LIMIT 1",
        "SORT l LIMIT x 1",
        "SORT l LIMIT 1 x",
        "SORT l BY",
        "SORT l GET",
        "SORT l STORE",
        "SORT_RO l STORE dst",
        "SORT_RO l BY nosort",
        "SORT",
        "SORT_RO",
        "RPUSH ov 1e400 2",
        "SORT ov",
        "RPUSH nn nan 2",
        "SORT nn",
        "RPUSH dup 2 1 2 1 a",
        "SORT dup ALPHA",
        "SORT dup ALPHA DESC",
        "SORT dup",
        "SORT dup BY nosort STORE dup",
        "LRANGE dup 0 -1",
        "SORT ids BY w_* STORE ids",
        "LRANGE ids 0 -1",
        "TYPE ids",
        "HSET hh f 1",
        "SORT hh",
        "SORT hh STORE dst",
        "SORT_RO ids BY w_* GET n_* LIMIT 1 2 DESC",
    ])
}

/// Every case is deterministic (sets are sorted, never returned in table
/// order), so raw replies must match byte for byte.
#[test]
fn differential_against_redis_server() {
    differential_with_redis(&differential_cases(), raw_replies);
}

/// STORE's lists are accounted exactly: replacing and deleting them
/// returns used_memory to its baseline.
#[test]
fn store_memory_returns_to_baseline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let used = used_memory;
    let long: Vec<String> = (0..300).map(|i| format!("{:0>40}", 300 - i)).collect();
    let mut a = vec!["RPUSH", "src"];
    a.extend(long.iter().map(|x| x.as_str()));
    q::<i64>(&mut c, &a);
    let base = used(&mut c);
    assert_eq!(q::<i64>(&mut c, &["SORT", "src", "STORE", "d"]), 300);
    let mid = used(&mut c);
    assert!(mid > base + 300 * 40);
    // Replacing the destination frees the old list.
    assert_eq!(
        q::<i64>(&mut c, &["SORT", "src", "ALPHA", "STORE", "d"]),
        300
    );
    assert_eq!(used(&mut c), mid);
    assert_eq!(
        q::<i64>(&mut c, &["SORT", "src", "GET", "x_*", "STORE", "d"]),
        300
    );
    assert_eq!(
        q::<i64>(&mut c, &["SORT", "src", "LIMIT", "0", "0", "STORE", "d"]),
        0
    );
    assert_eq!(used(&mut c), base);
    assert_eq!(
        q::<i64>(&mut c, &["SORT", "src", "LIMIT", "0", "10", "STORE", "d"]),
        10
    );
    q::<i64>(&mut c, &["DEL", "d"]);
    assert_eq!(used(&mut c), base);
}
