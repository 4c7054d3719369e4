//! The list family against the real binary: typed results through the
//! redis crate, exact bytes and errors, RESP3 shapes, emptied keys,
//! memory accounting, and a differential run against redis-server 7.0.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(q::<i64>(&mut c, &["LPUSH", "l", "z", "y"]), 5);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]),
        vec!["y", "z", "a", "b", "c"]
    );
    assert_eq!(q::<i64>(&mut c, &["LPUSHX", "l", "x"]), 6);
    assert_eq!(q::<i64>(&mut c, &["RPUSHX", "l", "d"]), 7);
    assert_eq!(q::<i64>(&mut c, &["LPUSHX", "nosuch", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["RPUSHX", "nosuch", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nosuch"]), 0);
    assert_eq!(q::<i64>(&mut c, &["LLEN", "l"]), 7);
    assert_eq!(q::<String>(&mut c, &["LINDEX", "l", "-1"]), "d");
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "l", "99"]), None);
    assert_eq!(q::<String>(&mut c, &["LSET", "l", "0", "X"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "l", "BEFORE", "a", "m"]), 8);
    assert_eq!(
        q::<i64>(&mut c, &["LINSERT", "l", "AFTER", "nope", "m"]),
        -1
    );
    assert_eq!(
        q::<i64>(&mut c, &["LINSERT", "nosuch", "AFTER", "a", "m"]),
        0
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]),
        vec!["X", "y", "z", "m", "a", "b", "c", "d"]
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["LPOP", "l"]),
        Some("X".into())
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["RPOP", "l"]),
        Some("d".into())
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LPOP", "l", "2"]),
        vec!["y", "z"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["RPOP", "l", "2"]),
        vec!["c", "b"]
    );
    assert_eq!(q::<Option<String>>(&mut c, &["LPOP", "nosuch"]), None);
    assert_eq!(
        q::<Option<Vec<String>>>(&mut c, &["LPOP", "nosuch", "3"]),
        None
    );
    assert_eq!(q::<String>(&mut c, &["TYPE", "l"]), "list");
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "l"]),
        "quicklist"
    );
    // LREM / LTRIM / LPOS
    q::<i64>(&mut c, &["RPUSH", "r", "a", "b", "a", "c", "a"]);
    assert_eq!(q::<i64>(&mut c, &["LREM", "r", "-1", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["LREM", "r", "0", "a"]), 2);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "r", "0", "-1"]),
        vec!["b", "c"]
    );
    assert_eq!(q::<String>(&mut c, &["LTRIM", "r", "1", "-1"]), "OK");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "r", "0", "-1"]),
        vec!["c"]
    );
    q::<i64>(&mut c, &["RPUSH", "p", "a", "b", "c", "b", "b"]);
    assert_eq!(q::<i64>(&mut c, &["LPOS", "p", "b"]), 1);
    assert_eq!(q::<i64>(&mut c, &["LPOS", "p", "b", "RANK", "-1"]), 4);
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["LPOS", "p", "b", "COUNT", "0"]),
        vec![1, 3, 4]
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["LPOS", "p", "b", "RANK", "2", "COUNT", "1"]),
        vec![3]
    );
    assert_eq!(
        q::<Option<i64>>(&mut c, &["LPOS", "p", "b", "MAXLEN", "1"]),
        None
    );
    // LMOVE / RPOPLPUSH / LMPOP
    q::<i64>(&mut c, &["RPUSH", "s", "1", "2", "3"]);
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "s", "d", "LEFT", "RIGHT"]),
        "1"
    );
    assert_eq!(q::<String>(&mut c, &["RPOPLPUSH", "s", "d"]), "3");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "d", "0", "-1"]),
        vec!["3", "1"]
    );
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "d", "d", "LEFT", "RIGHT"]),
        "3"
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "d", "0", "-1"]),
        vec!["1", "3"]
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["LMOVE", "nosuch", "d", "LEFT", "LEFT"]),
        None
    );
    let (k, v): (String, Vec<String>) = q(
        &mut c,
        &["LMPOP", "2", "nosuch", "d", "RIGHT", "COUNT", "5"],
    );
    assert_eq!(
        (k.as_str(), v),
        ("d", vec!["3".to_string(), "1".to_string()])
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(
        q::<redis::Value>(&mut c, &["LMPOP", "1", "d", "LEFT"]),
        redis::Value::Nil
    );
    // Errors through the crate.
    assert!(qerr(&mut c, &["LSET", "nosuch", "0", "x"]).contains("no such key"));
    assert!(qerr(&mut c, &["LSET", "p", "99", "x"]).contains("index out of range"));
    q::<String>(&mut c, &["SET", "str", "x"]);
    assert!(qerr(&mut c, &["LPUSH", "str", "a"]).contains("WRONGTYPE"));
}

#[test]
fn exact_replies_and_errors() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let mut t = |args: &[&str], want: &str| assert_eq!(calls(&mut s, args), want, "{args:?}");
    t(&["RPUSH", "l", "a", "b", "c"], ":3\r\n");
    t(&["LPOP", "l", "0"], "*0\r\n");
    t(&["LPOP", "nosuch"], "$-1\r\n");
    t(&["LPOP", "nosuch", "1"], "*-1\r\n");
    t(&["LPOP", "nosuch", "0"], "*-1\r\n");
    t(
        &["LPOP", "l", "-1"],
        "-ERR value is out of range, must be positive\r\n",
    );
    t(
        &["RPOP", "l", "x"],
        "-ERR value is out of range, must be positive\r\n",
    );
    t(
        &["LPOP", "l", "1", "2"],
        "-ERR wrong number of arguments for 'lpop' command\r\n",
    );
    t(&["RPOP", "l", "2"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    t(
        &["LRANGE", "l", "0", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    t(
        &["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
        "*1\r\n$1\r\na\r\n",
    );
    t(&["LINDEX", "nosuch", "x"], "$-1\r\n");
    t(
        &["LINDEX", "l", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    t(&["LSET", "nosuch", "0", "x"], "-ERR no such key\r\n");
    t(&["LSET", "l", "1", "x"], "-ERR index out of range\r\n");
    t(
        &["LINSERT", "l", "middle", "a", "x"],
        "-ERR syntax error\r\n",
    );
    t(&["LINSERT", "l", "before", "zz", "x"], ":-1\r\n");
    t(&["LPOS", "l", "a", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n");
    t(
        &["LPOS", "l", "a", "COUNT", "-1"],
        "-ERR COUNT can't be negative\r\n",
    );
    t(
        &["LPOS", "l", "a", "MAXLEN", "-1"],
        "-ERR MAXLEN can't be negative\r\n",
    );
    t(&["LPOS", "l", "a", "RANK"], "-ERR syntax error\r\n");
    t(&["LPOS", "nosuch", "a"], "$-1\r\n");
    t(&["LPOS", "nosuch", "a", "COUNT", "1"], "*0\r\n");
    t(&["LMOVE", "l", "l", "UP", "LEFT"], "-ERR syntax error\r\n");
    t(
        &["LMPOP", "0", "l", "LEFT"],
        "-ERR numkeys should be greater than 0\r\n",
    );
    t(&["LMPOP", "2", "l", "LEFT"], "-ERR syntax error\r\n");
    t(
        &["LMPOP", "9223372036854775807", "l", "LEFT"],
        "-ERR syntax error\r\n",
    );
    t(
        &["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
        "-ERR count should be greater than 0\r\n",
    );
    t(
        &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"],
        "-ERR syntax error\r\n",
    );
    t(&["LMPOP", "1", "nosuch", "LEFT"], "*-1\r\n");
    t(
        &["LMPOP", "1", "l", "LEFT", "COUNT", "9223372036854775807"],
        "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n",
    );
    t(&["EXISTS", "l"], ":0\r\n");
    t(&["SET", "str", "x"], "+OK\r\n");
    let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for args in [
        &["LPUSH", "str", "a"][..],
        &["RPUSHX", "str", "a"],
        &["LPOP", "str"],
        &["RPOP", "str", "0"],
        &["LLEN", "str"],
        &["LRANGE", "str", "0", "1"],
        &["LINDEX", "str", "x"],
        &["LSET", "str", "x", "y"],
        &["LINSERT", "str", "BEFORE", "a", "b"],
        &["LREM", "str", "0", "a"],
        &["LTRIM", "str", "0", "1"],
        &["LPOS", "str", "a"],
        &["LMOVE", "str", "x", "LEFT", "LEFT"],
        &["RPOPLPUSH", "str", "x"],
        &["LMPOP", "2", "nosuch", "str", "LEFT"],
    ] {
        t(args, wt);
    }
    // The destination is type-checked before the source is popped.
    t(&["RPUSH", "src", "v"], ":1\r\n");
    t(&["LMOVE", "src", "str", "LEFT", "LEFT"], wt);
    t(&["LLEN", "src"], ":1\r\n");
    t(&["RPOPLPUSH", "src", "src"], "$1\r\nv\r\n");
    t(&["LLEN", "src"], ":1\r\n");
}

#[test]
fn resp3_shapes() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert!(calls(&mut s, &["HELLO", "3"]).starts_with('%'));
    let mut t = |args: &[&str], want: &str| assert_eq!(calls(&mut s, args), want, "{args:?}");
    t(&["LPOP", "nosuch"], "_\r\n");
    t(&["LPOP", "nosuch", "2"], "_\r\n");
    t(&["LINDEX", "nosuch", "0"], "_\r\n");
    t(&["LPOS", "nosuch", "a"], "_\r\n");
    t(&["LMOVE", "nosuch", "x", "LEFT", "LEFT"], "_\r\n");
    t(&["LMPOP", "1", "nosuch", "LEFT"], "_\r\n");
    t(&["RPUSH", "l", "a", "b"], ":2\r\n");
    t(&["LRANGE", "l", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    t(&["LPOS", "l", "b", "COUNT", "0"], "*1\r\n:1\r\n");
    t(
        &["LMPOP", "1", "l", "RIGHT"],
        "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n",
    );
    t(&["LPOP", "l", "5"], "*1\r\n$1\r\na\r\n");
}

#[test]
fn emptied_lists_lose_their_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let gone = |c: &mut redis::Connection, k: &str| q::<i64>(c, &["EXISTS", k]) == 0;
    q::<i64>(&mut c, &["RPUSH", "a", "x"]);
    q::<Option<String>>(&mut c, &["LPOP", "a"]);
    assert!(gone(&mut c, "a"));
    q::<i64>(&mut c, &["RPUSH", "a", "x", "y"]);
    q::<Vec<String>>(&mut c, &["RPOP", "a", "9"]);
    assert!(gone(&mut c, "a"));
    q::<i64>(&mut c, &["RPUSH", "a", "x", "x"]);
    q::<i64>(&mut c, &["LREM", "a", "0", "x"]);
    assert!(gone(&mut c, "a"));
    q::<i64>(&mut c, &["RPUSH", "a", "x", "y"]);
    q::<String>(&mut c, &["LTRIM", "a", "5", "9"]);
    assert!(gone(&mut c, "a"));
    q::<i64>(&mut c, &["RPUSH", "a", "x"]);
    q::<String>(&mut c, &["LMOVE", "a", "b", "LEFT", "LEFT"]);
    assert!(gone(&mut c, "a"));
    q::<String>(&mut c, &["RPOPLPUSH", "b", "a"]);
    assert!(gone(&mut c, "b"));
    q::<redis::Value>(&mut c, &["LMPOP", "1", "a", "LEFT"]);
    assert!(gone(&mut c, "a"));
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    // An expired list is gone for reads and writes alike.
    q::<i64>(&mut c, &["RPUSH", "e", "x"]);
    q::<i64>(&mut c, &["PEXPIRE", "e", "1"]);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(q::<i64>(&mut c, &["LLEN", "e"]), 0);
    assert_eq!(q::<i64>(&mut c, &["RPUSHX", "e", "y"]), 0);
    assert_eq!(q::<i64>(&mut c, &["LPUSH", "e", "y"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "e"]), -1);
}

#[test]
fn memory_accounting_returns_to_baseline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let used = used_memory;
    let base = used(&mut c);
    let long: Vec<String> = (0..300).map(|i| format!("{:0>40}", i)).collect();
    let mut a = vec!["RPUSH", "l"];
    a.extend(long.iter().map(|x| x.as_str()));
    q::<i64>(&mut c, &a);
    let mid = used(&mut c);
    assert!(mid > base + 300 * 40);
    q::<String>(&mut c, &["LSET", "l", "0", &"y".repeat(100)]);
    q::<i64>(
        &mut c,
        &["LINSERT", "l", "AFTER", long[5].as_str(), &"z".repeat(60)],
    );
    q::<i64>(&mut c, &["LREM", "l", "3", long[7].as_str()]);
    q::<String>(&mut c, &["LTRIM", "l", "2", "-3"]);
    q::<Vec<String>>(&mut c, &["LPOP", "l", "50"]);
    q::<String>(&mut c, &["LMOVE", "l", "m", "LEFT", "RIGHT"]);
    q::<String>(&mut c, &["RPOPLPUSH", "l", "m"]);
    q::<redis::Value>(&mut c, &["LMPOP", "2", "l", "m", "RIGHT", "COUNT", "100"]);
    assert!(used(&mut c) > base);
    q::<i64>(&mut c, &["DEL", "l", "m"]);
    assert_eq!(used(&mut c), base);
    // Popping everything one by one also returns every byte.
    q::<i64>(&mut c, &a);
    for _ in 0..300 {
        q::<Option<String>>(&mut c, &["RPOP", "l"]);
    }
    assert_eq!(used(&mut c), base);
}

/// Huge client numbers are clamped to the list, never used to size an
/// allocation.
#[test]
fn huge_numbers_are_clamped() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let max = "9223372036854775807";
    assert_eq!(calls(&mut s, &["RPUSH", "l", "a", "b"]), ":2\r\n");
    assert_eq!(
        calls(&mut s, &["LRANGE", "l", "-9223372036854775808", max]).len(),
        18
    );
    assert_eq!(
        calls(&mut s, &["LPOS", "l", "b", "COUNT", max, "MAXLEN", max]),
        "*1\r\n:1\r\n"
    );
    assert_eq!(calls(&mut s, &["LPOS", "l", "a", "RANK", max]), "$-1\r\n");
    assert_eq!(
        calls(&mut s, &["LREM", "l", "-9223372036854775808", "zz"]),
        ":0\r\n"
    );
    assert_eq!(
        calls(&mut s, &["LPOP", "l", max]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
}

// ---------------------------------------------------------------- differential

fn differential_cases() -> Vec<Vec<String>> {
    split_cases(&[
        "LPUSH l a b c",
        "RPUSH l d e f",
        "LPUSHX l z",
        "RPUSHX l y",
        "LPUSHX nosuch a",
        "RPUSHX nosuch a",
        "EXISTS nosuch",
        "LLEN l",
        "LLEN nosuch",
        "LRANGE l 0 -1",
        "LRANGE l 1 3",
        "LRANGE l -3 -1",
        "LRANGE l -100 100",
        "LRANGE l 5 2",
        "LRANGE l 100 200",
        "LRANGE l -1 -100",
        "LRANGE l 0 0",
        "LRANGE l -9223372036854775808 9223372036854775807",
        "LRANGE nosuch 0 -1",
        "LRANGE l a 1",
        "LRANGE l 0 b",
        "LRANGE nosuch x 1",
        "LINDEX l 0",
        "LINDEX l -1",
        "LINDEX l 100",
        "LINDEX l -100",
        "LINDEX l x",
        "LINDEX nosuch x",
        "LINDEX nosuch 0",
        "LSET l 0 first",
        "LSET l -1 last",
        "LSET l 100 x",
        "LSET l -100 x",
        "LSET l x y",
        "LSET nosuch 0 x",
        "LSET nosuch x x",
        "LRANGE l 0 -1",
        "LINSERT l BEFORE first pre",
        "LINSERT l after last post",
        "LINSERT l AFTER nopivot x",
        "LINSERT l middle first x",
        "LINSERT nosuch BEFORE a b",
        "LINSERT nosuch bad a b",
        "LRANGE l 0 -1",
        "RPUSH r a b a c a d a",
        "LREM r 2 a",
        "LRANGE r 0 -1",
        "RPUSH r2 a b a c a d a",
        "LREM r2 -2 a",
        "LRANGE r2 0 -1",
        "RPUSH r3 a b a c a d a",
        "LREM r3 0 a",
        "LRANGE r3 0 -1",
        "LREM r3 -9223372036854775808 b",
        "LREM r3 5 zz",
        "LREM nosuch 1 a",
        "LREM r3 x a",
        "LREM r3 0 c",
        "LREM r3 0 d",
        "EXISTS r3",
        "RPUSH t 1 2 3 4 5 6 7 8 9",
        "LTRIM t 1 -2",
        "LRANGE t 0 -1",
        "LTRIM t -3 100",
        "LRANGE t 0 -1",
        "LTRIM t 5 1",
        "EXISTS t",
        "LTRIM nosuch 0 1",
        "LTRIM t x 1",
        "LTRIM t 0 y",
        "RPUSH t 1 2 3",
        "LTRIM t -100 -50",
        "EXISTS t",
        "RPUSH p a b c 1 2 3 c c",
        "LPOS p c",
        "LPOS p c RANK 2",
        "LPOS p c RANK -1",
        "LPOS p c RANK -2",
        "LPOS p c COUNT 0",
        "LPOS p c COUNT 2",
        "LPOS p c RANK -1 COUNT 0",
        "LPOS p c RANK 2 COUNT 1",
        "LPOS p c MAXLEN 1",
        "LPOS p c MAXLEN 3",
        "LPOS p c COUNT 0 MAXLEN 7",
        "LPOS p c RANK -1 MAXLEN 1",
        "LPOS p c RANK -1 MAXLEN 2 COUNT 0",
        "LPOS p zz",
        "LPOS p zz COUNT 0",
        "LPOS nosuch a",
        "LPOS nosuch a COUNT 1",
        "LPOS p c RANK 0",
        "LPOS p c RANK x",
        "LPOS p c RANK -9223372036854775808",
        "LPOS p c RANK 9223372036854775807",
        "LPOS p c RANK -9223372036854775807",
        "LPOS p c COUNT -1",
        "LPOS p c COUNT x",
        "LPOS p c MAXLEN -1",
        "LPOS p c MAXLEN x",
        "LPOS p c MAXLEN 9223372036854775807 COUNT 9223372036854775807",
        "LPOS p c RANK",
        "LPOS p c FOO 1",
        "LPOS p c COUNT 1 RANK 100",
        "LPOS nosuch a RANK 0",
        "RPUSH q a b c d e",
        "LPOP q",
        "RPOP q",
        "LPOP q 0",
        "LPOP q 2",
        "RPOP q 1",
        "RPOP q 0",
        "LPOP q 10",
        "EXISTS q",
        "LPOP q",
        "LPOP q 1",
        "RPOP q 0",
        "LPOP q -1",
        "LPOP q x",
        "LPOP q 1 2",
        "RPOP q 1 2",
        "RPUSH q a b c d e",
        "RPOP q 3",
        "RPOP q 10",
        "EXISTS q",
        "RPUSH m1 a b c",
        "RPUSH m2 x y",
        "LMOVE m1 m2 LEFT RIGHT",
        "LRANGE m1 0 -1",
        "LRANGE m2 0 -1",
        "LMOVE m1 m2 RIGHT LEFT",
        "LMOVE m1 m2 left left",
        "LMOVE m1 m2 right right",
        "EXISTS m1",
        "LRANGE m2 0 -1",
        "LMOVE m2 m2 LEFT RIGHT",
        "LRANGE m2 0 -1",
        "LMOVE m2 m2 RIGHT LEFT",
        "LRANGE m2 0 -1",
        "LMOVE m2 m2 LEFT LEFT",
        "LMOVE m2 newlist RIGHT RIGHT",
        "LRANGE newlist 0 -1",
        "LMOVE nosuch m2 LEFT RIGHT",
        "LMOVE m2 m2 UP LEFT",
        "LMOVE m2 m2 LEFT DOWN",
        "LMOVE nosuch nosuch2 UP DOWN",
        "RPOPLPUSH m2 m3",
        "RPOPLPUSH m2 m3",
        "LRANGE m3 0 -1",
        "RPOPLPUSH nosuch m3",
        "RPUSH one only",
        "RPOPLPUSH one one",
        "LRANGE one 0 -1",
        "RPOPLPUSH one other",
        "EXISTS one",
        "RPUSH k1 a b c",
        "RPUSH k2 d e f g",
        "LMPOP 2 nosuch k1 LEFT",
        "LMPOP 2 nosuch k1 RIGHT COUNT 10",
        "LMPOP 2 k1 k2 RIGHT COUNT 2",
        "LMPOP 1 k2 left count 1",
        "LMPOP 3 a b c LEFT",
        "LMPOP 0 k1 LEFT",
        "LMPOP -1 k1 LEFT",
        "LMPOP x k1 LEFT",
        "LMPOP 2 k1 LEFT",
        "LMPOP 5 k1 LEFT",
        "LMPOP 1 k2 UP",
        "LMPOP 1 k2 LEFT COUNT 0",
        "LMPOP 1 k2 LEFT COUNT -1",
        "LMPOP 1 k2 LEFT COUNT x",
        "LMPOP 1 k2 LEFT COUNT 1 COUNT 1",
        "LMPOP 1 k2 LEFT COUNT",
        "LMPOP 1 k2 LEFT FOO",
        "LMPOP 9223372036854775807 k2 LEFT",
        "LMPOP 1 k2 LEFT COUNT 9223372036854775807",
        "EXISTS k2",
        "SET str x",
        "LPUSH str a",
        "RPUSH str a",
        "LPUSHX str a",
        "RPUSHX str a",
        "LPOP str",
        "RPOP str 1",
        "RPOP str 0",
        "LLEN str",
        "LRANGE str 0 -1",
        "LRANGE str x 1",
        "LINDEX str 0",
        "LINDEX str x",
        "LSET str 0 x",
        "LSET str x x",
        "LINSERT str BEFORE a b",
        "LINSERT str bad a b",
        "LREM str 1 a",
        "LREM str x a",
        "LTRIM str 0 1",
        "LPOS str a",
        "LPOS str a RANK 0",
        "LMOVE str m9 LEFT LEFT",
        "RPUSH m9 x",
        "LMOVE m9 str LEFT LEFT",
        "LRANGE m9 0 -1",
        "LMOVE nosuch str LEFT LEFT",
        "RPOPLPUSH str m9",
        "LMPOP 2 nosuch str LEFT",
        "LMPOP 2 m9 str LEFT",
        "LMPOP 2 str m9 LEFT",
        "TYPE l",
        "OBJECT ENCODING l",
        "LPUSH",
        "LPUSH l",
        "LPOP",
        "LLEN a b",
        "LRANGE l 0",
        "LMPOP 1 k1",
        "LMPOP 1",
        "RPUSH e \"\"",
        "LRANGE e 0 -1",
        "LPOP e",
        "EXISTS e",
        "LPOS p c RANK -9223372036854775808 COUNT 1",
        "LPOS p c RANK -9223372036854775808 COUNT 1 MAXLEN 2",
        "LPOS p c RANK -9223372036854775808 COUNT 0",
    ])
}

/// Lists are ordered, so raw replies must match byte for byte.
#[test]
fn differential_against_redis_server() {
    differential_with_redis(&differential_cases(), raw_replies);
}
