//! GEO commands against redis-server 7.0, byte for byte: a fixed script of
//! every command, option and error, then randomized indexes and searches
//! (points over the whole globe, poles and the antimeridian included;
//! radii from meters to continents; circles and boxes; unsorted results
//! must come back in Redis's order). Plus the redis crate, STORE through
//! the WAL, and ACL key checks on STORE destinations.

mod common;
use common::*;

fn script() -> Vec<Vec<String>> {
    split_cases(&[
        "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "GEOADD Sicily 13.583333 37.316667 Agrigento 12.758489 38.788135 edge1 17.241510 38.788135 edge2",
        "GEOADD Sicily NX CH 13.361389 38.115556 Palermo 14.0 37.0 new1",
        "GEOADD Sicily XX CH 13.0 38.0 Palermo 14.0 37.0 nope",
        "GEOADD Sicily NX XX 13.0 38.0 x",
        "GEOADD Sicily 200 10 bad",
        "GEOADD Sicily 10 86 bad",
        "GEOADD Sicily abc 10 bad",
        "GEOADD Sicily 10 10",
        "GEOADD Sicily CH CH CH",
        "GEOADD Sicily 180 85.05112878 corner -180 -85.05112878 corner2",
        "GEODIST Sicily Palermo Catania",
        "GEODIST Sicily Palermo Catania km",
        "GEODIST Sicily Palermo Catania MI",
        "GEODIST Sicily Palermo Catania ft",
        "GEODIST Sicily Palermo Catania furlong",
        "GEODIST Sicily Palermo Catania km x",
        "GEODIST Sicily Palermo nobody",
        "GEODIST nokey a b",
        "GEODIST Sicily corner corner2",
        "GEOHASH Sicily Palermo Catania nobody corner corner2",
        "GEOHASH nokey a b",
        "GEOHASH Sicily",
        "GEOPOS Sicily Palermo Catania nobody corner corner2",
        "GEOPOS nokey a",
        "GEOPOS Sicily",
        "GEORADIUS Sicily 15 37 200 km",
        "GEORADIUS Sicily 15 37 200 km ASC",
        "GEORADIUS Sicily 15 37 200 km DESC WITHDIST WITHCOORD WITHHASH",
        "GEORADIUS Sicily 15 37 200 km WITHDIST",
        "GEORADIUS Sicily 15 37 100 km WITHCOORD",
        "GEORADIUS Sicily 15 37 200 km COUNT 1",
        "GEORADIUS Sicily 15 37 200 km COUNT 2 DESC",
        "GEORADIUS Sicily 15 37 200 km COUNT 1 ANY",
        "GEORADIUS Sicily 15 37 200 km ANY",
        "GEORADIUS Sicily 15 37 200 km COUNT 0",
        "GEORADIUS Sicily 15 37 200 km COUNT -1",
        "GEORADIUS Sicily 15 37 200 km COUNT x",
        "GEORADIUS Sicily 15 37 -1 km",
        "GEORADIUS Sicily 15 37 abc km",
        "GEORADIUS Sicily 15 37 200 parsec",
        "GEORADIUS Sicily 15 37 200 KM",
        "GEORADIUS Sicily 15 37 200 km BOGUS",
        "GEORADIUS Sicily 15 37 0 km",
        "GEORADIUS Sicily 15 37 inf km",
        "GEORADIUS Sicily 15 37 1e400 km",
        "GEORADIUS Sicily 15 37 1e-400 km",
        "GEORADIUS Sicily 15 37 nan km",
        "GEORADIUS Sicily 1e400 37 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX inf inf km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 20000 km COUNT 99999999999",
        "GEOSEARCH Sicily FROMLONLAT 180 85.05112878 BYRADIUS 5000 km WITHDIST",
        "GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST",
        "GEORADIUS Sicily 15 37 200 km STORE dst",
        "ZRANGE dst 0 -1 WITHSCORES",
        "GEORADIUS Sicily 15 37 200 km STOREDIST dst2",
        "ZRANGE dst2 0 -1 WITHSCORES",
        "GEORADIUS Sicily 15 37 1 km STORE dst",
        "GEORADIUS Sicily 15 37 200 km STORE a1 STORE b1",
        "EXISTS a1 b1",
        "GEORADIUS Sicily 15 37 200 km STOREDIST b2 STORE a2",
        "ZRANGE a2 0 -1 WITHSCORES",
        "EXISTS dst",
        "GEORADIUS nokey 15 37 200 km",
        "GEORADIUS nokey 15 37 200 km STORE dst2",
        "EXISTS dst2",
        "GEORADIUS_RO Sicily 15 37 200 km STORE dst",
        "GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC",
        "GEORADIUSBYMEMBER Sicily Agrigento 100 km",
        "GEORADIUSBYMEMBER Sicily Agrigento 100 km WITHDIST ASC",
        "GEORADIUSBYMEMBER Sicily nobody 100 km",
        "GEORADIUSBYMEMBER nokey nobody 100 km",
        "GEORADIUSBYMEMBER nokey nobody 100 km STORE x",
        "GEORADIUSBYMEMBER_RO Sicily Palermo 500 km WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHDIST",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 2",
        "GEOSEARCH Sicily FROMMEMBER nobody BYRADIUS 10 km",
        "GEOSEARCH Sicily BYRADIUS 10 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37",
        "GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 10 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km BYBOX 1 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 y km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STORE x",
        "GEOSEARCH nokey FROMMEMBER a BYRADIUS 10 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY",
        "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
        "ZRANGE dst 0 -1 WITHSCORES",
        "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST ASC COUNT 2",
        "ZRANGE dst 0 -1 WITHSCORES",
        "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST",
        "GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km",
        "EXISTS dst",
        "SET str x",
        "GEOADD str 1 1 a",
        "GEOPOS str a",
        "GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km",
        "GEORADIUS str 1 1 1 km",
        "GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km",
        "COMMAND GETKEYS GEORADIUS src 1 1 1 km STORE a STOREDIST b",
        "COMMAND GETKEYS GEORADIUSBYMEMBER src m 1 km STORE a",
        "COMMAND GETKEYS GEOSEARCHSTORE dst src FROMMEMBER m BYRADIUS 1 km",
        "COMMAND INFO geoadd geodist geohash geopos georadius_ro georadiusbymember_ro geosearch geosearchstore",
        "COMMAND INFO georadius georadiusbymember",
    ])
}

#[test]
fn geo_script_matches_redis() {
    differential_with_redis(&script(), raw_replies);
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn f(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() % 1_000_000_001) as f64 / 1e9 * (hi - lo)
    }
}

fn random_cases(seed: u64) -> Vec<Vec<String>> {
    let mut r = Rng(seed);
    let mut cases = Vec::new();
    // Clusters around a few centres (dense areas) plus points anywhere.
    let centres = [
        (0.0, 0.0),
        (179.9, 10.0),
        (-179.9, -10.0),
        (13.4, 52.5),
        (0.0, 84.9),
        (45.0, -84.9),
        (-74.0, 40.7),
    ];
    for i in 0..400 {
        let (lon, lat) = if i % 4 == 0 {
            (r.f(-180.0, 180.0), r.f(-85.0, 85.0))
        } else {
            let (clon, clat) = centres[i % centres.len()];
            let lon: f64 = clon + r.f(-2.0, 2.0);
            let lat: f64 = clat + r.f(-1.0, 1.0);
            (lon.clamp(-180.0, 180.0), lat.clamp(-85.05, 85.05))
        };
        cases.push(vec![
            "GEOADD".into(),
            "g".into(),
            format!("{lon:.6}"),
            format!("{lat:.6}"),
            format!("m{i}"),
        ]);
    }
    let units = ["m", "km", "mi", "ft"];
    for q in 0..150 {
        let (clon, clat) = centres[q % centres.len()];
        let lon = (clon + r.f(-1.5, 1.5)).clamp(-180.0, 180.0);
        let lat = (clat + r.f(-1.0, 1.0)).clamp(-85.05, 85.05);
        let unit = units[q % units.len()];
        let scale = match unit {
            "m" => 1000.0,
            "ft" => 3280.0,
            "mi" => 0.62,
            _ => 1.0,
        };
        // Radii from a few km to thousands (huge ones make boxes repeat).
        let radius = [5.0, 50.0, 300.0, 2500.0, 9000.0][q % 5] * r.f(0.5, 1.5) * scale;
        let opts = match q % 6 {
            0 => vec![],
            1 => vec!["WITHDIST", "WITHHASH"],
            2 => vec!["WITHCOORD", "ASC"],
            3 => vec!["COUNT", "5"],
            4 => vec!["COUNT", "3", "ANY", "WITHDIST"],
            _ => vec!["DESC", "WITHDIST"],
        };
        let mut c: Vec<String> = if q % 2 == 0 {
            vec![
                "GEORADIUS_RO".into(),
                "g".into(),
                format!("{lon:.6}"),
                format!("{lat:.6}"),
                format!("{radius:.3}"),
                unit.into(),
            ]
        } else {
            let w = radius * r.f(0.5, 2.0);
            vec![
                "GEOSEARCH".into(),
                "g".into(),
                "FROMLONLAT".into(),
                format!("{lon:.6}"),
                format!("{lat:.6}"),
                "BYBOX".into(),
                format!("{w:.3}"),
                format!("{radius:.3}"),
                unit.into(),
            ]
        };
        c.extend(opts.iter().map(|s| s.to_string()));
        cases.push(c);
        if q % 10 == 0 {
            let m = format!("m{}", r.next() % 400);
            cases.push(vec![
                "GEORADIUSBYMEMBER".into(),
                "g".into(),
                m.clone(),
                "200".into(),
                "km".into(),
                "WITHDIST".into(),
            ]);
            cases.push(vec!["GEOHASH".into(), "g".into(), m.clone()]);
            cases.push(vec!["GEOPOS".into(), "g".into(), m]);
        }
    }
    cases
}

#[test]
fn random_geo_indexes_and_searches_match_redis() {
    for seed in [0x9E3779B97F4A7C15u64, 42, 7] {
        differential_with_redis(&random_cases(seed), raw_replies);
    }
}

#[test]
fn geo_through_the_redis_crate_and_the_wal() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let added: i64 = q(
        &mut c,
        &[
            "GEOADD", "cities", "2.3522", "48.8566", "paris", "-0.1276", "51.5072", "london",
        ],
    );
    assert_eq!(added, 2);
    let d: f64 = q(&mut c, &["GEODIST", "cities", "paris", "london", "km"]);
    assert!((d - 343.5).abs() < 1.0, "{d}");
    let near: Vec<String> = q(
        &mut c,
        &[
            "GEOSEARCH",
            "cities",
            "FROMLONLAT",
            "2",
            "49",
            "BYRADIUS",
            "100",
            "km",
        ],
    );
    assert_eq!(near, vec!["paris".to_string()]);
    let n: i64 = q(
        &mut c,
        &[
            "GEOSEARCHSTORE",
            "near",
            "cities",
            "FROMMEMBER",
            "london",
            "BYRADIUS",
            "500",
            "km",
            "STOREDIST",
        ],
    );
    assert_eq!(n, 2);
    let before: Vec<(String, f64)> = q(&mut c, &["ZRANGE", "near", "0", "-1", "WITHSCORES"]);
    // Restarted, the WAL brings back the index and the stored result.
    let mut srv = srv;
    srv.terminate();
    let dir = srv.dir.clone();
    srv.dir = temp_dir("geo-moved");
    let srv2 = TestServer::start_in(dir, &[]);
    let mut c2 = srv2.client();
    let after: Vec<(String, f64)> = q(&mut c2, &["ZRANGE", "near", "0", "-1", "WITHSCORES"]);
    assert_eq!(before, after);
    let pos: Vec<Option<(f64, f64)>> = q(&mut c2, &["GEOPOS", "cities", "paris", "nobody"]);
    let (lon, lat) = pos[0].unwrap();
    assert!((lon - 2.3522).abs() < 1e-5 && (lat - 48.8566).abs() < 1e-5);
    assert!(pos[1].is_none());
}

#[test]
fn acl_checks_the_store_destination() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["GEOADD", "src", "1", "1", "a"]);
    let _: () = q(
        &mut c,
        &[
            "ACL", "SETUSER", "geo", "on", ">pw", "+@all", "%R~src", "~out",
        ],
    );
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["AUTH", "geo", "pw"]), "+OK\r\n");
    assert_eq!(
        calls(
            &mut s,
            &["GEORADIUS", "src", "1", "1", "10", "km", "STORE", "out"]
        ),
        ":1\r\n"
    );
    let r = calls(
        &mut s,
        &["GEORADIUS", "src", "1", "1", "10", "km", "STORE", "other"],
    );
    assert!(r.starts_with("-NOPERM"), "{r}");
    let r = calls(
        &mut s,
        &[
            "GEOSEARCHSTORE",
            "other",
            "src",
            "FROMMEMBER",
            "a",
            "BYRADIUS",
            "1",
            "km",
        ],
    );
    assert!(r.starts_with("-NOPERM"), "{r}");
    let r = calls(&mut s, &["GEOADD", "src", "1", "1", "b"]);
    assert!(r.starts_with("-NOPERM"), "{r}");
}
