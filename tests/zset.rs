//! The sorted set family against the real binary: typed results through
//! the redis crate, exact bytes and errors, RESP3 shapes, encodings, rank
//! on a large set, memory accounting, ZSCAN's guarantee, and a
//! differential run against redis-server 7.0 compared byte for byte.

mod common;
use common::*;
use std::collections::HashSet;
use std::net::TcpStream;

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
        3
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "CH", "5", "a", "2", "b"]),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "z"]), 3);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "-1"]),
        vec!["b", "c", "a"]
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "a"]), 5.0);
    assert_eq!(q::<f64>(&mut c, &["ZINCRBY", "z", "0.5", "a"]), 5.5);
    assert_eq!(q::<Option<i64>>(&mut c, &["ZRANK", "z", "a"]), Some(2));
    assert_eq!(q::<Option<i64>>(&mut c, &["ZREVRANK", "z", "a"]), Some(0));
    assert_eq!(q::<Option<i64>>(&mut c, &["ZRANK", "z", "nope"]), None);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "(2", "+inf"]), 2);
    assert_eq!(q::<i64>(&mut c, &["ZREM", "z", "a", "nope"]), 1);
    assert_eq!(
        q::<Vec<(String, f64)>>(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        vec![("b".to_string(), 2.0), ("c".to_string(), 3.0)]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZPOPMIN", "z"]),
        vec!["b".to_string(), "2".to_string()]
    );
    assert_eq!(q::<i64>(&mut c, &["ZREM", "z", "c"]), 1);
    // The emptied key is gone.
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]), 0);
    q::<i64>(&mut c, &["ZADD", "y", "1", "a", "2", "b"]);
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "y", "-inf", "+inf"]),
        2
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "y"]), 0);
    q::<i64>(&mut c, &["ZADD", "y", "1", "a"]);
    q::<redis::Value>(&mut c, &["ZMPOP", "1", "y", "MAX"]);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "y"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "y"]), "none");
    q::<i64>(&mut c, &["ZADD", "y", "1", "a"]);
    assert_eq!(q::<String>(&mut c, &["TYPE", "y"]), "zset");
}

#[test]
fn exact_errors() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["ZADD", "z", "NX", "XX", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "LT", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "NX", "GT", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "INCR", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
        (&["ZADD", "z", "1", "a", "2"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "x", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZCOUNT", "z", "x", "1"], "-ERR min or max is not a float\r\n"),
        (&["ZLEXCOUNT", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZINTER", "0", "a"], "-ERR at least 1 input key is needed for 'zinter' command\r\n"),
        (&["ZUNIONSTORE", "d", "0", "a"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        (&["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"], "-ERR weight value is not a float\r\n"),
        (&["ZINTERCARD", "1", "a", "LIMIT", "-1"], "-ERR LIMIT can't be negative\r\n"),
        (&["ZMPOP", "0", "a", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "1", "a", "MIN", "COUNT", "0"], "-ERR count should be greater than 0\r\n"),
        (&["ZPOPMIN", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZADD", "z", "1", "a"], ":1\r\n"),
        (&["ZINCRBY", "z", "+inf", "a"], "$3\r\ninf\r\n"),
        (&["ZINCRBY", "z", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["SET", "str", "v"], "+OK\r\n"),
        (&["ZADD", "str", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "z", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANDMEMBER", "z", "-9000000000000000000"], "-ERR value is out of range\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(calls(&mut s, args), *want, "{args:?}");
    }
}

#[test]
fn resp3_shapes() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let _ = call(&mut s, &["HELLO", "3"]);
    assert_eq!(
        calls(&mut s, &["ZADD", "z", "1", "a", "0.1", "b"]),
        ":2\r\n"
    );
    assert_eq!(
        calls(&mut s, &["ZSCORE", "z", "b"]),
        ",0.10000000000000001\r\n"
    );
    assert_eq!(calls(&mut s, &["ZSCORE", "z", "x"]), "_\r\n");
    assert_eq!(
        calls(&mut s, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*2\r\n*2\r\n$1\r\nb\r\n,0.10000000000000001\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(
        calls(&mut s, &["ZPOPMIN", "z"]),
        "*2\r\n$1\r\nb\r\n,0.10000000000000001\r\n"
    );
    assert_eq!(
        calls(&mut s, &["ZPOPMAX", "z", "1"]),
        "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(calls(&mut s, &["ZMPOP", "1", "z", "MIN"]), "_\r\n");
    let _ = call(&mut s, &["HELLO", "2"]);
    assert_eq!(calls(&mut s, &["ZADD", "z", "1.5", "a"]), ":1\r\n");
    assert_eq!(
        calls(&mut s, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*2\r\n$1\r\na\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(calls(&mut s, &["ZMPOP", "1", "nokey", "MIN"]), "*-1\r\n");
}

#[test]
fn encodings_follow_the_listpack_limits() {
    let srv = TestServer::start();
    let mut c = srv.client();
    q::<i64>(&mut c, &["ZADD", "z", "1", "a"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]),
        "listpack"
    );
    let long = "x".repeat(65);
    q::<i64>(&mut c, &["ZADD", "z", "2", &long]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]),
        "skiplist"
    );
    q::<i64>(&mut c, &["ZREM", "z", &long]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]),
        "skiplist"
    );
    // A small *STORE result is a listpack again.
    q::<i64>(&mut c, &["ZUNIONSTORE", "u", "1", "z"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "u"]),
        "listpack"
    );
    let mut a = vec!["ZADD".to_string(), "m".to_string()];
    for i in 0..128 {
        a.push(i.to_string());
        a.push(format!("m{i}"));
    }
    let a: Vec<&str> = a.iter().map(|x| x.as_str()).collect();
    q::<i64>(&mut c, &a);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "m"]),
        "listpack"
    );
    q::<i64>(&mut c, &["ZADD", "m", "1000", "one-more"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "m"]),
        "skiplist"
    );
    q::<String>(&mut c, &["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    q::<i64>(&mut c, &["ZADD", "n", "1", "a"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "n"]),
        "skiplist"
    );
}

/// ZRANK, ZRANGE by index and ZREMRANGEBYRANK on 100k members.
#[test]
fn rank_on_a_large_set() {
    let srv = TestServer::start();
    let mut c = srv.client();
    const N: usize = 100_000;
    for chunk in 0..10 {
        let mut cmd = redis::cmd("ZADD");
        cmd.arg("big");
        for i in chunk * (N / 10)..(chunk + 1) * (N / 10) {
            cmd.arg(i as f64 / 2.0).arg(format!("m{i:06}"));
        }
        let _: i64 = cmd.query(&mut c).unwrap();
    }
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "big"]), N as i64);
    for i in [0usize, 1, 4_999, 50_000, 99_999] {
        let m = format!("m{i:06}");
        assert_eq!(q::<i64>(&mut c, &["ZRANK", "big", &m]), i as i64);
        assert_eq!(
            q::<i64>(&mut c, &["ZREVRANK", "big", &m]),
            (N - 1 - i) as i64
        );
        assert_eq!(
            q::<Vec<String>>(&mut c, &["ZRANGE", "big", &i.to_string(), &i.to_string()]),
            vec![m]
        );
    }
    assert_eq!(
        q::<Vec<String>>(
            &mut c,
            &["ZRANGE", "big", "(100", "+inf", "BYSCORE", "LIMIT", "0", "2"]
        ),
        vec!["m000201", "m000202"]
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYRANK", "big", "10", "19"]),
        10
    );
    assert_eq!(q::<i64>(&mut c, &["ZRANK", "big", "m000020"]), 10);
    assert_eq!(
        q::<i64>(&mut c, &["ZCOUNT", "big", "-inf", "+inf"]),
        (N - 10) as i64
    );
}

/// INFO memory's used_memory returns to where it was after zsets go.
#[test]
fn memory_accounting_returns_to_baseline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let used = used_memory;
    let base = used(&mut c);
    let long: Vec<String> = (0..300).map(|i| format!("{:0>40}", i)).collect();
    let mut a = vec!["ZADD".to_string(), "z".to_string()];
    for (i, m) in long.iter().enumerate() {
        a.push(i.to_string());
        a.push(m.clone());
    }
    let a: Vec<&str> = a.iter().map(|x| x.as_str()).collect();
    q::<i64>(&mut c, &a);
    q::<i64>(&mut c, &["ZUNIONSTORE", "u", "1", "z"]);
    q::<i64>(&mut c, &["ZRANGESTORE", "r", "z", "0", "99"]);
    q::<f64>(&mut c, &["ZINCRBY", "z", "1000", long[0].as_str()]);
    q::<Vec<String>>(&mut c, &["ZPOPMIN", "z", "50"]);
    q::<i64>(&mut c, &["ZREMRANGEBYRANK", "u", "0", "9"]);
    assert!(used(&mut c) > base);
    q::<i64>(&mut c, &["ZREMRANGEBYRANK", "u", "0", "-1"]);
    q::<i64>(&mut c, &["DEL", "z", "r"]);
    assert_eq!(used(&mut c), base);
}

#[test]
fn zscan_sees_every_member_of_a_skiplist() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut cmd = redis::cmd("ZADD");
    cmd.arg("z");
    for i in 0..1000 {
        cmd.arg(i).arg(format!("m{i}"));
    }
    let _: i64 = cmd.query(&mut c).unwrap();
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["ZSCAN", "z", &cursor, "COUNT", "50"]);
        for p in items.chunks(2) {
            assert_eq!(p[0], format!("m{}", p[1]));
            seen.insert(p[0].clone());
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn random_members() {
    let srv = TestServer::start();
    let mut c = srv.client();
    q::<i64>(
        &mut c,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    let all: HashSet<String> = ["a", "b", "c", "d"].iter().map(|x| x.to_string()).collect();
    for _ in 0..20 {
        let v: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "3"]);
        let set: HashSet<String> = v.iter().cloned().collect();
        assert_eq!(set.len(), 3);
        assert!(set.is_subset(&all));
        let v: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "-10"]);
        assert_eq!(v.len(), 10);
        assert!(v.iter().all(|m| all.contains(m)));
        let m: String = q(&mut c, &["ZRANDMEMBER", "z"]);
        assert!(all.contains(&m));
    }
    let v: Vec<(String, f64)> = q(&mut c, &["ZRANDMEMBER", "z", "-5", "WITHSCORES"]);
    assert!(v
        .iter()
        .all(|(m, s)| (*s as u8 + b'a' - 1) as char == m.chars().next().unwrap()));
    let r = {
        let mut s = srv.raw();
        calls(&mut s, &["ZRANDMEMBER", "z", "-1000"])
    };
    assert!(r.starts_with("*1000\r\n"), "{r}");
}

// ---------------------------------------------------------------- differential

fn differential_cases() -> Vec<Vec<String>> {
    let lines = r#"
ZADD z 1 a 2 b 3 c 1.5 d 0.1 e -inf f +inf g 2 bb 2 ba
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 0 -1
ZRANGE z 2 4 REV WITHSCORES
ZRANGE z -3 -1
ZRANGE z 5 2
ZRANGE z (1 2 BYSCORE WITHSCORES
ZRANGE z 2 (1 BYSCORE REV WITHSCORES
ZRANGE z -inf +inf BYSCORE LIMIT 1 3
ZRANGE z -inf +inf BYSCORE LIMIT -1 3
ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
ZRANGE z -inf +inf BYSCORE LIMIT 100 1
ZRANGE z 0 -1 LIMIT 0 1
ZRANGE z 0 -1 LIMIT 0 -1
ZRANGE z [a [c BYLEX
ZRANGE z [a [c BYLEX WITHSCORES
ZRANGE z + - BYLEX REV LIMIT 1 2
ZRANGE z a c BYLEX
ZRANGE z x 1 BYSCORE
ZRANGE z 0 1 FOO
ZRANGE z 0 1 REV REV
ZREVRANGE z 0 2 WITHSCORES
ZREVRANGE z 0 2 REV
ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 2 2
ZREVRANGEBYSCORE z +inf -inf WITHSCORES
ZREVRANGEBYSCORE z 2 1
ZRANGEBYSCORE z ( (2
ZRANGEBYLEX z - +
ZREVRANGEBYLEX z + - LIMIT 0 3
ZRANGEBYLEX z [b (c
ZRANGEBYLEX z - + WITHSCORES
ZLEXCOUNT z - +
ZLEXCOUNT z [b (c
ZLEXCOUNT z b c
ZCOUNT z -inf +inf
ZCOUNT z (1 (2
ZCOUNT z 3 1
ZCOUNT z a 1
ZSCORE z e
ZSCORE z nope
ZMSCORE z a e nope f g
ZRANK z a
ZREVRANK z a
ZRANK z nope
ZRANK nokey a
ZCARD z
ZCARD nokey
ZADD z NX XX 1 a
ZADD z GT LT 1 a
ZADD z NX GT 1 a
ZADD z INCR 1 a 2 b
ZADD z 1
ZADD z
ZADD z x a
ZADD z nan a
ZADD z 1e400 a
ZADD z CH 5 a 2 b 9 new
ZADD z GT CH 1 a 10 b
ZADD z LT CH 1 a 10 b 3 c
ZADD z XX 1 zz
ZADD z XX INCR 1 zz
ZADD z NX INCR 1 a
ZADD z INCR 0.1 a
ZADD z INCR -inf g
ZINCRBY z 2.5 a
ZINCRBY z x a
ZINCRBY z 1 newm
ZINCRBY z +inf f
ZRANGE z 0 -1 WITHSCORES
ZREM z a b nope
ZREM nokey a
SET str x
ZADD str 1 a
ZRANGE str 0 1
ZSCORE str a
ZCARD str
ZPOPMIN str 0
ZPOPMIN str
ZUNION 1 str
ZRANGESTORE d str 0 1
ZPOPMIN z
ZPOPMAX z
ZPOPMIN z 2
ZPOPMAX z 2
ZPOPMIN z -1
ZPOPMIN z x
ZPOPMIN z 1 2
ZPOPMIN nokey
ZRANGE z 0 -1 WITHSCORES
ZADD a 1 x 2 y 3 z
ZADD b 10 y 20 z 30 w
SADD s y w q
ZUNION 2 a b WITHSCORES
ZUNION 2 a b
ZUNION 3 a b s WITHSCORES
ZINTER 2 a b WITHSCORES
ZINTER 3 a b s WITHSCORES
ZDIFF 2 a b WITHSCORES
ZDIFF 2 b s WITHSCORES
ZDIFF 2 s a
ZUNION 2 a b WEIGHTS 2 0.5 AGGREGATE MAX WITHSCORES
ZUNION 2 a b WEIGHTS 2 AGGREGATE MAX WITHSCORES
ZUNION 2 a b AGGREGATE MIN WITHSCORES
ZUNION 2 a b AGGREGATE FOO
ZUNION 2 a b WEIGHTS 1 x
ZDIFF 2 a b WEIGHTS 1 2
ZINTER 0 a
ZINTER -1 a
ZINTER 3 a b
ZINTER x a b
ZUNION 2 a nokey WITHSCORES
ZINTER 2 a nokey WITHSCORES
ZUNIONSTORE d 2 a b
ZRANGE d 0 -1 WITHSCORES
ZINTERSTORE d 2 a b WEIGHTS 1 1 AGGREGATE SUM
ZRANGE d 0 -1 WITHSCORES
ZINTERSTORE d 2 a nokey
EXISTS d
ZDIFFSTORE d 2 a b
ZRANGE d 0 -1 WITHSCORES
ZDIFFSTORE d 2 a b WITHSCORES
ZUNIONSTORE d 2 a b WITHSCORES
ZUNIONSTORE d 0 a
ZUNIONSTORE d 3 a b
ZINTERCARD 2 a b
ZINTERCARD 2 a b LIMIT 1
ZINTERCARD 2 a b LIMIT -1
ZINTERCARD 2 a b LIMIT x
ZINTERCARD 0 a b
ZINTERCARD 3 a b
ZINTERCARD 2 a b WITHSCORES
ZINTERCARD x a
SET str v
ZUNION 2 a str
ZUNION 2 a str FOO
ZUNIONSTORE d 2 a str
ZINTERCARD 1 str
ZMPOP 1 a MIN
ZMPOP 2 nokey b MAX COUNT 2
ZMPOP 2 nokey nokey2 MAX
ZMPOP 0 a MIN
ZMPOP x a MIN
ZMPOP 1 a
ZMPOP 1 a FOO
ZMPOP 1 a MIN COUNT 0
ZMPOP 1 a MIN COUNT x
ZMPOP 1 a MIN COUNT 1 COUNT 2
ZMPOP 5 a MIN
ZMPOP 1 str MIN
ZMPOP 2 nokey str MIN
ZMPOP 1 a MIN COUNT 10
EXISTS a
ZADD w 1 a 2 b 3 c 4 d 5 e
ZRANDMEMBER w 10 WITHSCORES
ZRANDMEMBER w 5
ZRANDMEMBER w 0
ZRANDMEMBER w 1 foo
ZRANDMEMBER w 1 withscores x
ZRANDMEMBER w x
ZRANDMEMBER w -9223372036854775808
ZRANDMEMBER w 9223372036854775807 WITHSCORES
ZRANDMEMBER str 1
ZRANDMEMBER nokey 3
ZRANDMEMBER nokey
ZSCAN w 0
ZSCAN w 0 MATCH [ab]
ZSCAN w 0 COUNT 0
ZSCAN w x
ZSCAN nokey 0
ZREMRANGEBYRANK w 1 2
ZRANGE w 0 -1
ZREMRANGEBYRANK w x 1
ZREMRANGEBYSCORE w (1 4
ZREMRANGEBYSCORE w x 4
ZREMRANGEBYLEX w - (e
ZREMRANGEBYLEX w x y
EXISTS w
ZREMRANGEBYRANK str 0 1
ZREMRANGEBYRANK nokey 0 1
ZADD w 1 a 2 b 3 c 4 d 5 e
ZREMRANGEBYRANK w -2 -1
ZREMRANGEBYRANK w 5 10
ZREMRANGEBYLEX w [b [c
ZRANGESTORE dst w 0 -1
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst w 0 -1 WITHSCORES
ZRANGESTORE dst w 1 2 BYSCORE REV LIMIT 0 1
ZRANGESTORE dst w (9 +inf BYSCORE
EXISTS dst
ZRANGESTORE dst nokey 0 -1
OBJECT ENCODING w
ZADD z 1 a 2 b 0.1 c -inf d +inf e 1e20 f 1.5e-7 g 3.14159 h
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 0 -1
ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 2
ZREVRANGE z 0 -1 WITHSCORES
ZSCORE z c
ZSCORE z nope
ZMSCORE z c nope
ZINCRBY z 1 a
ZADD z INCR 1 b
ZADD z NX INCR 1 b
ZPOPMIN z
ZPOPMIN z 2
ZPOPMAX z 1
ZPOPMIN z 0
ZMPOP 1 z MIN COUNT 2
ZMPOP 1 nokey MIN
ZRANDMEMBER z 10 WITHSCORES
ZRANDMEMBER z 10
ZRANDMEMBER nokey
ZSCAN z 0
ZUNION 1 z WITHSCORES
ZINTER 1 z
ZDIFF 1 z WITHSCORES
ZRANGE nokey 0 -1
ZADD big 1 m1 2 m2
ZRANK z f
ZREVRANK z f
ZRANGE z + - BYLEX REV
ZADD q 0.30000000000000004 x 123456789012345678 y -0.0 z 1e-5 w
ZRANGE q 0 -1 WITHSCORES
ZSCAN q 0
ZADD q 0 zero -0 negzero
ZRANGE q 0 -1 WITHSCORES
ZADD sk -0.0 a 123456789012345678 b 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 5e18 c 0.5 d
OBJECT ENCODING sk
ZRANGE sk 0 -1 WITHSCORES
ZSCORE sk a
ZADD lp 5e18 c 4e18 e -5e18 f 0.5 d 1e15 g -0.0 z
ZSCAN lp 0
ZINCRBY lp 0 d
ZADD lp2 -0.0 a
ZINCRBY lp2 -0.0 a
ZSCAN lp2 0
OBJECT ENCODING lp
ZUNIONSTORE u 2 lp sk WEIGHTS -0.0 1
ZRANGE u 0 -1 WITHSCORES
OBJECT ENCODING u
ZRANGESTORE u2 sk 0 2
OBJECT ENCODING u2
ZRANGESTORE u2 sk 0 -1
OBJECT ENCODING u2
ZADD inf +inf a -inf b
ZINCRBY inf -inf a
ZADD inf INCR +inf b
ZUNIONSTORE u3 2 inf inf WEIGHTS 1 -1
ZRANGE u3 0 -1 WITHSCORES
ZINTER 2 inf inf WEIGHTS 0 1 WITHSCORES
ZINTER 2 inf inf AGGREGATE MIN WEIGHTS 0 1 WITHSCORES
ZUNION 2 inf inf AGGREGATE MAX WEIGHTS 1 0 WITHSCORES
ZADD ties 1 c 1 a 1 b 1 aa 1 ab 0 z
ZRANGE ties 0 -1 WITHSCORES
ZRANGEBYLEX ties [a (b
ZRANGEBYLEX ties (a [b
ZREVRANGEBYLEX ties [b [a
ZRANGE ties [aa [b BYLEX LIMIT 1 1
#ZRANDMEMBER ties 3
#ZRANDMEMBER ties -3 WITHSCORES
ZCOUNT ties 1 1
ZCOUNT ties (1 1
ZUNIONSTORE t2 2 ties ties AGGREGATE MAX
ZRANGE t2 0 -1 WITHSCORES
ZADD frac 0.25 a 0.5 b 0.75 c 1e-10 d -1.5 e 2.5e15 f
ZRANGE frac 0 -1 WITHSCORES
ZSCAN frac 0
ZINCRBY frac 0.1 a
ZINCRBY frac 0.2 a
ZUNION 2 frac frac WEIGHTS 0.1 0.2 WITHSCORES
ZADD n 0x10 a
ZADD n 1e5 b .5 c 5. d +5 e Infinity f -INF g
ZADD n 1_000 h
ZADD n 5e i
ZADD n 0x1p3 j
ZRANGE n 0 -1 WITHSCORES
ZRANGEBYSCORE n 0x10 +inf
ZRANGEBYSCORE n (0x10 +inf
ZRANGEBYSCORE n -Infinity infinity
ZRANGEBYSCORE n nan 1
ZRANGEBYSCORE n (nan 1
ZRANGEBYSCORE n 1e400 +inf
ZRANGEBYSCORE n [1 2
ZADD n 1.7976931348623157e308 k 4.9e-324 l 2.2250738585072014e-308 m
ZRANGE n 0 -1 WITHSCORES
ZUNIONSTORE n 2 n n
ZRANGE n 0 -1 WITHSCORES
ZADD d 1 a 2 b
ZUNIONSTORE d 2 d d WEIGHTS 1 2
ZRANGE d 0 -1 WITHSCORES
ZINTERSTORE d 1 d WEIGHTS inf
ZRANGE d 0 -1 WITHSCORES
ZADD e 0 a
ZINTER 1 e WEIGHTS inf WITHSCORES
ZUNION 1 e WEIGHTS -inf WITHSCORES
ZADD z NX 1 a NX
ZADD z nx ch gt 1 a
ZADD z xx
ZADD z INCR nx 1 a
ZADD z incr 1
ZINCRBY z 1
ZRANGE z 0
ZRANGE z 0 1 LIMIT 1
ZRANGE z 0 1 BYSCORE BYLEX
ZRANGE z 0 1 BYSCORE BYSCORE
ZRANGEBYSCORE z 0 1 BYSCORE
ZRANGEBYSCORE z 0 1 REV
ZRANGEBYSCORE z 0 1 LIMIT 0 x
ZRANGEBYSCORE z 0 1 LIMIT x 0
ZRANGEBYSCORE z 0 1 WITHSCORES WITHSCORES
ZREVRANGEBYLEX z - +
ZRANGEBYLEX z [ (
ZRANGEBYLEX z + -
ZRANGEBYLEX z - +x
ZRANGEBYLEX z [ +
ZLEXCOUNT z ( +
ZUNION 1
ZUNION x
ZINTERCARD 1
ZMPOP 1
ZMPOP 1 a MIN COUNT
ZMPOP -1 a MIN
ZMPOP 9223372036854775807 a MIN
ZINTER 9223372036854775807 a
ZUNIONSTORE d 1 a WITHSCORES
ZUNION 1 a WEIGHTS
ZUNION 1 a AGGREGATE
ZUNION 1 a AGGREGATE sum AGGREGATE max WEIGHTS 2 WEIGHTS 3 WITHSCORES WITHSCORES
ZDIFF 1 a AGGREGATE SUM
ZDIFFSTORE d 1 a WITHSCORES
ZADD big 1 a
ZRANGESTORE big big 0 -1 BYSCORE
ZRANGESTORE big big 1 0 BYSCORE
EXISTS big
ZREMRANGEBYSCORE nokey 1 2
ZREMRANGEBYLEX nokey - +
ZREMRANGEBYLEX nokey x +
ZRANK nokey
ZSCORE z
ZMSCORE nokey a b
ZSCAN z 0 MATCH
ZSCAN z 0 COUNT
ZSCAN z 0 NOVALUES
ZSCAN z 18446744073709551615
ZSCAN z 18446744073709551616
ZSCAN z -1
ZADD hx 1e-400 a
ZADD hx -1e-400 a
ZADD hx 0e5 a
ZADD hx 0x b
ZADD hx 0x.8 c
ZADD hx 0x1.8p1 d
ZADD hx -0x10 e
ZADD hx 0X1P-2 f
ZADD hx 0x1g g
ZADD hx 0xp1 h
ZADD hx 0x1p i
ZADD hx 1e j
ZADD hx 0.0e-400 k
ZADD hx 0x1p-99999 l
ZADD hx 0x0p-99999 m
ZADD hx 0x1p99999 n
ZADD hx 0xABCDEFp-4 o
ZADD hx 0x0e p
ZRANGE hx 0 -1 WITHSCORES
ZCOUNT hx 1e-400 +inf
ZCOUNT hx 0x1p-99999 0x1p99999
ZUNION 1 hx WEIGHTS 1e-400
"#;
    lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(' ').map(String::from).collect())
        .collect()
}

/// Raw replies; a leading '#' marks a random reply: its first line only.
fn run(s: &mut TcpStream, cases: &[Vec<String>]) -> Vec<String> {
    cases
        .iter()
        .map(|c| {
            let shape_only = c[0].starts_with('#');
            let mut a: Vec<&str> = c.iter().map(|x| x.as_str()).collect();
            a[0] = a[0].trim_start_matches('#');
            let raw = calls(s, &a);
            if shape_only {
                raw.lines().next().unwrap_or("").to_string()
            } else {
                raw
            }
        })
        .collect()
}

#[test]
fn differential_against_redis_server() {
    differential_with_redis(&differential_cases(), run);
}
