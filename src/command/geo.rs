//! Geospatial indexes (GEO*), as Redis 7.0 builds them: a sorted set whose
//! scores are 52-bit interleaved geohashes of (longitude, latitude).
//!
//! ```text
//! GEOADD key [NX | XX] [CH] longitude latitude member [...]
//! GEOPOS key [member ...]          GEOHASH key [member ...]
//! GEODIST key member1 member2 [M | KM | FT | MI]
//! GEOSEARCH key <FROMMEMBER m | FROMLONLAT lon lat> <BYRADIUS r unit | BYBOX w h unit> [ASC | DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
//! GEOSEARCHSTORE dst src ... [STOREDIST]
//! GEORADIUS key lon lat radius unit [...] [STORE key] [STOREDIST key]   (and _RO)
//! GEORADIUSBYMEMBER key member radius unit [...]                      (and _RO)
//! ```
//!
//! The search follows Redis's geohash.c / geohash_helper.c / geo.c step by
//! step (the step estimate from the radius, the nine boxes with the useless
//! ones dropped, the same scan order), so unsorted results come back in
//! Redis's order and distances, hashes and coordinates print the same.

use super::args::is;
use super::zset::{limits, parse_score, read_z, store_result, zadd_generic, zset_of};
use super::*;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::now_ms;
use crate::store::value::parse_i64;
use crate::store::zset::{ScoreRange, ZSetValue};

const GEO: &[&str] = &["geo"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("geoadd", -5, WRITE | DENYOOM, KEY1, geoadd)
        .doc("geo", "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set")
        .acl(GEO)
        .syntax("key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]")
        .complexity("O(log(N)) for each item added, where N is the number of elements in the sorted set."),
    CommandSpec::new("geodist", -4, READONLY, KEY1, geodist)
        .doc("geo", "3.2.0", "Returns the distance between two members of a geospatial index")
        .acl(GEO)
        .syntax("key member1 member2 [M | KM | FT | MI]")
        .complexity("O(log(N))"),
    CommandSpec::new("geohash", -2, READONLY, KEY1, geohash)
        .doc("geo", "3.2.0", "Returns members of a geospatial index as standard geohash strings")
        .acl(GEO)
        .syntax("key [member [member ...]]")
        .complexity("O(log(N)) for each member requested, where N is the number of elements in the sorted set."),
    CommandSpec::new("geopos", -2, READONLY, KEY1, geopos)
        .doc("geo", "3.2.0", "Returns longitude and latitude of members of a geospatial index")
        .acl(GEO)
        .syntax("key [member [member ...]]")
        .complexity("O(N) where N is the number of members requested."),
    CommandSpec::new("georadius", -6, WRITE | DENYOOM | MOVABLEKEYS, KEY1, georadius)
        .doc("geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point")
        .acl(GEO)
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]")
        .complexity(RADIUS_COMPLEXITY),
    CommandSpec::new("georadius_ro", -6, READONLY, KEY1, georadius_ro)
        .doc("geo", "3.2.10", "A read-only variant for GEORADIUS")
        .acl(GEO)
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]")
        .complexity(RADIUS_COMPLEXITY),
    CommandSpec::new("georadiusbymember", -5, WRITE | DENYOOM | MOVABLEKEYS, KEY1, georadiusbymember)
        .doc("geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member")
        .acl(GEO)
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]")
        .complexity(RADIUS_COMPLEXITY),
    CommandSpec::new("georadiusbymember_ro", -5, READONLY, KEY1, georadiusbymember_ro)
        .doc("geo", "3.2.10", "A read-only variant for GEORADIUSBYMEMBER")
        .acl(GEO)
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]")
        .complexity(RADIUS_COMPLEXITY),
    CommandSpec::new("geosearch", -7, READONLY, KEY1, geosearch)
        .doc("geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.")
        .acl(GEO)
        .syntax("key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]")
        .complexity(SEARCH_COMPLEXITY),
    CommandSpec::new("geosearchstore", -8, WRITE | DENYOOM, KEY1_2, geosearchstore)
        .doc("geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.")
        .acl(GEO)
        .syntax("destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]")
        .complexity(SEARCH_COMPLEXITY),
];

const RADIUS_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

const KEY1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

// ------------------------------------------------------------- geohash

const STEP_MAX: u8 = 26;
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
struct Bits {
    bits: u64,
    step: u8,
}

impl Bits {
    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy)]
struct Range {
    min: f64,
    max: f64,
}

const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

#[derive(Clone, Copy)]
struct Area {
    lon: Range,
    lat: Range,
}

/// Spreads the 32 bits of `v` over the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// The even bits of `v`, packed.
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude in the even bits, longitude in the odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(Bits {
        bits: interleave(lat_off as u32, lon_off as u32),
        step,
    })
}

fn decode(lon_r: Range, lat_r: Range, h: Bits) -> Area {
    let ilat = squash(h.bits) as f64;
    let ilon = squash(h.bits >> 1) as f64;
    let scale = (1u64 << h.step) as f64;
    let (lat_s, lon_s) = (lat_r.max - lat_r.min, lon_r.max - lon_r.min);
    Area {
        lat: Range {
            min: lat_r.min + (ilat / scale) * lat_s,
            max: lat_r.min + ((ilat + 1.0) / scale) * lat_s,
        },
        lon: Range {
            min: lon_r.min + (ilon / scale) * lon_s,
            max: lon_r.min + ((ilon + 1.0) / scale) * lon_s,
        },
    }
}

/// The centre of a box, clamped to the valid range: [lon, lat].
fn area_center(a: &Area) -> [f64; 2] {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// A score back to [lon, lat].
fn decode_score(score: f64) -> [f64; 2] {
    let h = Bits {
        bits: score as u64,
        step: STEP_MAX,
    };
    area_center(&decode(WGS84_LONG, WGS84_LAT, h))
}

fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(WGS84_LONG, WGS84_LAT, lon, lat, STEP_MAX).map(align52)
}

fn align52(h: Bits) -> u64 {
    h.bits << (52 - h.step as u32 * 2)
}

fn move_x(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn move_y(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn moved(h: Bits, dx: i8, dy: i8) -> Bits {
    let mut n = h;
    move_x(&mut n, dx);
    move_y(&mut n, dy);
    n
}

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine distance in meters (Redis's geohashGetDistance).
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

fn steps_by_radius(range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return 26;
    }
    let mut range = range;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

#[derive(Clone, Copy)]
enum Shape {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

struct Search {
    /// [lon, lat] of the centre.
    xy: [f64; 2],
    shape: Shape,
    /// Meters per unit.
    conversion: f64,
}

impl Search {
    /// [min_lon, min_lat, max_lon, max_lat] around the shape.
    fn bounding_box(&self) -> [f64; 4] {
        let [lon, lat] = self.xy;
        let (h, w) = match self.shape {
            Shape::Circle { radius } => (radius, radius),
            Shape::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let (h, w) = (h * self.conversion, w * self.conversion);
        let lat_delta = rad_deg(h / EARTH_RADIUS_IN_METERS);
        let top = rad_deg(w / EARTH_RADIUS_IN_METERS / deg_rad(lat + lat_delta).cos());
        let bottom = rad_deg(w / EARTH_RADIUS_IN_METERS / deg_rad(lat - lat_delta).cos());
        let south = lat < 0.0;
        [
            if south { lon - bottom } else { lon - top },
            lat - lat_delta,
            if south { lon + bottom } else { lon + top },
            lat + lat_delta,
        ]
    }

    /// The boxes to scan, in Redis's order (centre, N, S, E, W, NE, NW,
    /// SE, SW), useless ones zeroed.
    fn boxes(&self) -> [Bits; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let [lon, lat] = self.xy;
        let radius = match self.shape {
            Shape::Circle { radius } => radius,
            Shape::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = steps_by_radius(radius, lat);
        let at = |steps: u8| {
            let h = encode(WGS84_LONG, WGS84_LAT, lon, lat, steps).unwrap_or_default();
            let n = [
                h,
                moved(h, 0, 1),
                moved(h, 0, -1),
                moved(h, 1, 0),
                moved(h, -1, 0),
                moved(h, 1, 1),
                moved(h, -1, 1),
                moved(h, 1, -1),
                moved(h, -1, -1),
            ];
            (n, decode(WGS84_LONG, WGS84_LAT, h))
        };
        let (mut n, mut area) = at(steps);
        let d = |b: Bits| decode(WGS84_LONG, WGS84_LAT, b);
        let decrease = d(n[1]).lat.max < max_lat
            || d(n[2]).lat.min > min_lat
            || d(n[3]).lon.max < max_lon
            || d(n[4]).lon.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (n, area) = at(steps);
        }
        if steps >= 2 {
            let zero =
                |n: &mut [Bits; 9], i: &[usize]| i.iter().for_each(|&i| n[i] = Bits::default());
            if area.lat.min < min_lat {
                zero(&mut n, &[2, 8, 7]);
            }
            if area.lat.max > max_lat {
                zero(&mut n, &[1, 5, 6]);
            }
            if area.lon.min < min_lon {
                zero(&mut n, &[4, 8, 6]);
            }
            if area.lon.max > max_lon {
                zero(&mut n, &[3, 7, 5]);
            }
        }
        n
    }

    /// The distance to (lon, lat) when it is inside the shape.
    fn within(&self, lon: f64, lat: f64) -> Option<f64> {
        let [x1, y1] = self.xy;
        match self.shape {
            Shape::Circle { radius } => {
                let d = distance(x1, y1, lon, lat);
                (d <= radius * self.conversion).then_some(d)
            }
            Shape::Box { width, height } => {
                if lat_distance(lat, y1) > height * self.conversion / 2.0 {
                    return None;
                }
                if distance(lon, lat, x1, lat) > width * self.conversion / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, lon, lat))
            }
        }
    }
}

struct Point {
    member: Vec<u8>,
    score: f64,
    dist: f64,
    xy: [f64; 2],
}

/// Every member inside the shape, in Redis's scan order; with `limit`,
/// stops once that many are found (ANY).
fn scan_boxes(z: &ZSetValue, s: &Search, limit: usize) -> Vec<Point> {
    let boxes = s.boxes();
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        if let Some(l) = last {
            if l != 0 && boxes[l] == *b {
                continue;
            }
        }
        if !out.is_empty() && limit > 0 && out.len() >= limit {
            break;
        }
        let min = align52(*b) as f64;
        let max = align52(Bits {
            bits: b.bits + 1,
            step: b.step,
        }) as f64;
        let range = ScoreRange {
            min,
            minex: false,
            max,
            maxex: true,
        };
        let (start, count) = z.score_span(&range);
        for (m, score) in z.walk(start, false).take(count) {
            let xy = decode_score(score);
            if let Some(dist) = s.within(xy[0], xy[1]) {
                out.push(Point {
                    member: m.to_vec(),
                    score,
                    dist,
                    xy,
                });
            }
            if !out.is_empty() && limit > 0 && out.len() >= limit {
                break;
            }
        }
        last = Some(i);
    }
    out
}

// ------------------------------------------------------------- replies

/// `%.17Lf` with the trailing zeros removed (Redis's LD_STR_HUMAN).
fn human(v: f64) -> String {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn coord(resp3: bool, v: f64) -> Reply {
    if resp3 {
        Reply::Raw(format!(",{}\r\n", human(v)).into_bytes())
    } else {
        Reply::Bulk(human(v).into_bytes())
    }
}

fn dist_reply(d: f64) -> Reply {
    Reply::Bulk(format!("{d:.4}").into_bytes())
}

/// Meters per unit (units in any case since Redis 7.0).
fn unit(a: &[u8]) -> Result<f64, Reply> {
    let u = a.to_ascii_lowercase();
    Ok(match u.as_slice() {
        b"m" => 1.0,
        b"km" => 1000.0,
        b"ft" => 0.3048,
        b"mi" => 1609.34,
        _ => {
            return Err(Reply::err(
                "ERR unsupported unit provided. please use M, KM, FT, MI",
            ))
        }
    })
}

/// Redis's getDoubleFromObject: strtod, whole argument, no NaN, no
/// overflow or underflow.
fn double(a: &[u8], msg: &'static str) -> Result<f64, Reply> {
    parse_score(a).ok_or_else(|| Reply::err(msg))
}

fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], Reply> {
    let x = double(lon, "ERR value is not a valid float")?;
    let y = double(lat, "ERR value is not a valid float")?;
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        return Err(Reply::error(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok([x, y])
}

fn radius_arg(r: &[u8], u: &[u8]) -> Result<(f64, f64), Reply> {
    let d = double(r, "ERR need numeric radius")?;
    if d < 0.0 {
        return Err(Reply::err("ERR radius cannot be negative"));
    }
    Ok((d, unit(u)?))
}

// ------------------------------------------------------------- commands

fn geoadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut nx, mut xx) = (false, false);
    let mut at = 2;
    while at < args.len() {
        let a = &args[at];
        if is(a, "nx") {
            nx = true;
        } else if is(a, "xx") {
            xx = true;
        } else if !is(a, "ch") {
            break;
        }
        at += 1;
    }
    if !(args.len() - at).is_multiple_of(3) || (nx && xx) {
        return err::syntax();
    }
    let mut zargs: Vec<Vec<u8>> = Vec::with_capacity(at + (args.len() - at) / 3 * 2);
    zargs.push(b"ZADD".to_vec());
    zargs.extend(args[1..at].iter().cloned());
    for t in args[at..].chunks(3) {
        let xy = match lon_lat(&t[0], &t[1]) {
            Ok(xy) => xy,
            Err(r) => return r,
        };
        let Some(score) = score_of(xy[0], xy[1]) else {
            return Reply::err("ERR invalid longitude,latitude pair");
        };
        zargs.push(score.to_string().into_bytes());
        zargs.push(t[2].clone());
    }
    // As Redis does: GEOADD is ZADD with encoded scores (logged and
    // notified as `zadd`).
    zadd_generic(ctx, &zargs, 0)
}

fn geopos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let members = &args[2..];
    let null = |r3: bool| if r3 { Reply::Null } else { Reply::NullArray };
    let missing = Reply::Array(members.iter().map(|_| null(ctx.resp3())).collect());
    read_z(ctx, &args[1], missing, |z, r3| {
        Reply::Array(
            members
                .iter()
                .map(|m| match z.score(m) {
                    None => null(r3),
                    Some(s) => {
                        let [lon, lat] = decode_score(s);
                        Reply::Array(vec![coord(r3, lon), coord(r3, lat)])
                    }
                })
                .collect(),
        )
    })
}

fn geohash(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let members = &args[2..];
    let missing = Reply::Array(members.iter().map(|_| Reply::Null).collect());
    read_z(ctx, &args[1], missing, |z, _| {
        Reply::Array(
            members
                .iter()
                .map(|m| match z.score(m) {
                    None => Reply::Null,
                    Some(s) => {
                        let [lon, lat] = decode_score(s);
                        let full = Range {
                            min: -90.0,
                            max: 90.0,
                        };
                        let h = encode(WGS84_LONG, full, lon, lat, 26).unwrap_or_default();
                        let text: Vec<u8> = (0..11)
                            .map(|i| {
                                let idx = if i == 10 {
                                    0
                                } else {
                                    (h.bits >> (52 - (i + 1) * 5)) & 0x1f
                                };
                                ALPHABET[idx as usize]
                            })
                            .collect();
                        Reply::Bulk(text)
                    }
                })
                .collect(),
        )
    })
}

fn geodist(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let to_meter = match args.len() {
        5 => match unit(&args[4]) {
            Ok(u) => u,
            Err(r) => return r,
        },
        4 => 1.0,
        _ => return err::syntax(),
    };
    read_z(ctx, &args[1], Reply::Null, |z, _| {
        match (z.score(&args[2]), z.score(&args[3])) {
            (Some(a), Some(b)) => {
                let [x1, y1] = decode_score(a);
                let [x2, y2] = decode_score(b);
                dist_reply(distance(x1, y1, x2, y2) / to_meter)
            }
            _ => Reply::Null,
        }
    })
}

const RADIUS_COORDS: u8 = 1;
const RADIUS_MEMBER: u8 = 2;
const NOSTORE: u8 = 4;
const SEARCH: u8 = 8;
const SEARCH_STORE: u8 = 16;

fn georadius(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 1, RADIUS_COORDS)
}

fn georadius_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 1, RADIUS_COORDS | NOSTORE)
}

fn georadiusbymember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 1, RADIUS_MEMBER)
}

fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 1, RADIUS_MEMBER | NOSTORE)
}

fn geosearch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 1, SEARCH)
}

fn geosearchstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, 2, SEARCH | SEARCH_STORE)
}

/// The key positions of GEORADIUS / GEORADIUSBYMEMBER as Redis 7.0's key
/// specs find them: the source, the argument after the first STORE, the
/// one after the first STOREDIST (searched from the options on). Any later
/// STORE / STOREDIST destination follows (the last one is where the result
/// goes, so the ACL checks and the locks cover it too).
pub fn radius_keys(cmd: &[Vec<u8>]) -> Vec<usize> {
    let from = if is(&cmd[0], "georadius") { 6 } else { 5 };
    let first = |word: &str| (from..cmd.len().saturating_sub(1)).find(|&i| is(&cmd[i], word));
    let mut keys = vec![1];
    keys.extend(first("store").map(|i| i + 1));
    keys.extend(first("storedist").map(|i| i + 1));
    let mut i = from;
    while i + 1 < cmd.len() {
        if is(&cmd[i], "store") || is(&cmd[i], "storedist") {
            if !keys.contains(&(i + 1)) {
                keys.push(i + 1);
            }
            i += 1;
        }
        i += 1;
    }
    keys
}

#[derive(PartialEq, Clone, Copy)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// What the source zset says about a member used as the centre.
fn member_xy(z: Option<&ZSetValue>, m: &[u8]) -> Result<Option<[f64; 2]>, Reply> {
    match z {
        None => Ok(None),
        Some(z) => match z.score(m) {
            Some(s) => Ok(Some(decode_score(s))),
            None => Err(Reply::err("ERR could not decode requested zset member")),
        },
    }
}

/// What a search decided: a reply, or a destination to store.
enum Outcome {
    Reply(Reply),
    Store {
        dst: Vec<u8>,
        items: Vec<(Vec<u8>, f64)>,
    },
}

/// Redis's georadiusGeneric: every GEORADIUS* and GEOSEARCH* command.
/// Reads take the source's stripe for reading; a store locks the source
/// and the destination together for writing.
fn generic(ctx: &mut Ctx, args: &[Vec<u8>], src: usize, flags: u8) -> Reply {
    let db = ctx.client.db;
    let now = now_ms();
    let resp3 = ctx.resp3();
    let src_key = args[src].as_slice();
    let dsts: Vec<usize> = if flags & SEARCH_STORE != 0 {
        vec![1]
    } else if flags & NOSTORE == 0 && flags & SEARCH == 0 {
        radius_keys(args).split_off(1)
    } else {
        Vec::new()
    };
    if dsts.is_empty() {
        let (s, h) = ctx.db().read(src_key);
        let entry = s.get(h, src_key, now);
        let found = entry.is_some();
        let r = match entry.map(zset_of).transpose() {
            Err(r) => return r,
            Ok(z) => run(args, flags, z, resp3),
        };
        drop(s);
        ctx.lookup(src_key, found);
        return match r {
            Ok(Outcome::Reply(r)) | Err(r) => r,
            Ok(Outcome::Store { .. }) => unreachable!("no destination to store to"),
        };
    }
    let store = ctx.store();
    let mut keys = vec![(db, src_key)];
    keys.extend(dsts.iter().map(|&i| (db, args[i].as_slice())));
    let mut l = store.lock(&keys, true);
    let (s, h) = l.stripe_mut(store, db, src_key);
    s.expire_if_needed(h, src_key, now);
    let entry = s.get(h, src_key, now);
    let found = entry.is_some();
    let r = match entry.map(zset_of).transpose() {
        Err(r) => return r,
        Ok(z) => run(args, flags, z, resp3),
    };
    ctx.lookup(src_key, found);
    match r {
        Err(r) | Ok(Outcome::Reply(r)) => r,
        Ok(Outcome::Store { dst, items }) => {
            let event = if flags & SEARCH != 0 {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            let lim = limits(ctx);
            store_result(&mut l, store, db, &dst, &items, lim, true, event)
        }
    }
}

/// The search itself, on the source zset (None = no such key).
fn run(args: &[Vec<u8>], flags: u8, z: Option<&ZSetValue>, resp3: bool) -> Result<Outcome, Reply> {
    let (opts, mut search) = parse(args, flags, z)?;
    let Some(z) = z else {
        // No source: an empty reply, or an emptied destination.
        return Ok(match opts.store {
            Some(dst) => Outcome::Store {
                dst,
                items: Vec::new(),
            },
            None => Outcome::Reply(Reply::Array(Vec::new())),
        });
    };
    let mut sort = opts.sort;
    if opts.count != 0 && sort == Sort::None && !opts.any {
        sort = Sort::Asc;
    }
    search.xy = opts.center.expect("parse found the centre");
    let limit = if opts.any { opts.count } else { 0 };
    let mut points = scan_boxes(z, &search, limit);
    if points.is_empty() && opts.store.is_none() {
        return Ok(Outcome::Reply(Reply::Array(Vec::new())));
    }
    match sort {
        Sort::Asc => points.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => points.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
        Sort::None => {}
    }
    if opts.count != 0 {
        points.truncate(opts.count);
    }
    for p in &mut points {
        p.dist /= search.conversion;
    }
    if let Some(dst) = opts.store {
        let items = points
            .into_iter()
            .map(|p| {
                let score = if opts.storedist { p.dist } else { p.score };
                (p.member, score)
            })
            .collect();
        return Ok(Outcome::Store { dst, items });
    }
    let extra = opts.withdist as usize + opts.withcoord as usize + opts.withhash as usize;
    Ok(Outcome::Reply(Reply::Array(
        points
            .into_iter()
            .map(|p| {
                if extra == 0 {
                    return Reply::Bulk(p.member);
                }
                let mut v = vec![Reply::Bulk(p.member)];
                if opts.withdist {
                    v.push(dist_reply(p.dist));
                }
                if opts.withhash {
                    v.push(Reply::Int(p.score as i64));
                }
                if opts.withcoord {
                    v.push(Reply::Array(vec![
                        coord(resp3, p.xy[0]),
                        coord(resp3, p.xy[1]),
                    ]));
                }
                Reply::Array(v)
            })
            .collect(),
    )))
}

struct Opts {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    count: usize,
    store: Option<Vec<u8>>,
    storedist: bool,
    center: Option<[f64; 2]>,
}

/// The options, the centre and the shape, with Redis's errors in Redis's
/// order (`z` = the source, None when missing).
fn parse(args: &[Vec<u8>], flags: u8, z: Option<&ZSetValue>) -> Result<(Opts, Search), Reply> {
    let mut o = Opts {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: None,
        storedist: false,
        center: None,
    };
    let mut s = Search {
        xy: [0.0, 0.0],
        shape: Shape::Circle { radius: 0.0 },
        conversion: 1.0,
    };
    let base;
    if flags & RADIUS_COORDS != 0 {
        base = 6;
        o.center = Some(lon_lat(&args[2], &args[3])?);
        let (r, c) = radius_arg(&args[4], &args[5])?;
        s.shape = Shape::Circle { radius: r };
        s.conversion = c;
    } else if flags & RADIUS_MEMBER != 0 {
        base = 5;
        if z.is_some() {
            o.center = member_xy(z, &args[2])?;
            let (r, c) = radius_arg(&args[3], &args[4])?;
            s.shape = Shape::Circle { radius: r };
            s.conversion = c;
        }
    } else if flags & SEARCH_STORE != 0 {
        base = 3;
        o.store = Some(args[1].clone());
    } else {
        base = 2;
    }
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let rest = &args[base..];
    let mut i = 0;
    while i < rest.len() {
        let a = &rest[i];
        let left = rest.len() - i - 1;
        if is(a, "withdist") {
            o.withdist = true;
        } else if is(a, "withhash") {
            o.withhash = true;
        } else if is(a, "withcoord") {
            o.withcoord = true;
        } else if is(a, "any") {
            o.any = true;
        } else if is(a, "asc") {
            o.sort = Sort::Asc;
        } else if is(a, "desc") {
            o.sort = Sort::Desc;
        } else if is(a, "count") && left >= 1 {
            let n = parse_i64(&rest[i + 1]).ok_or_else(err::not_int)?;
            if n <= 0 {
                return Err(Reply::err("ERR COUNT must be > 0"));
            }
            o.count = n as usize;
            i += 1;
        } else if (is(a, "store") || is(a, "storedist"))
            && left >= 1
            && flags & NOSTORE == 0
            && flags & SEARCH == 0
        {
            o.store = Some(rest[i + 1].clone());
            o.storedist = is(a, "storedist");
            i += 1;
        } else if is(a, "storedist") && flags & SEARCH_STORE != 0 {
            o.storedist = true;
        } else if is(a, "frommember") && left >= 1 && flags & SEARCH != 0 && !fromloc {
            if z.is_some() {
                o.center = member_xy(z, &rest[i + 1])?;
            }
            frommember = true;
            i += 1;
        } else if is(a, "fromlonlat") && left >= 2 && flags & SEARCH != 0 && !frommember {
            o.center = Some(lon_lat(&rest[i + 1], &rest[i + 2])?);
            fromloc = true;
            i += 2;
        } else if is(a, "byradius") && left >= 2 && flags & SEARCH != 0 && !bybox {
            let (r, c) = radius_arg(&rest[i + 1], &rest[i + 2])?;
            s.shape = Shape::Circle { radius: r };
            s.conversion = c;
            byradius = true;
            i += 2;
        } else if is(a, "bybox") && left >= 3 && flags & SEARCH != 0 && !byradius {
            let w = double(&rest[i + 1], "ERR need numeric width")?;
            let h = double(&rest[i + 2], "ERR need numeric height")?;
            if h < 0.0 || w < 0.0 {
                return Err(Reply::err("ERR height or width cannot be negative"));
            }
            s.conversion = unit(&rest[i + 3])?;
            s.shape = Shape::Box {
                width: w,
                height: h,
            };
            bybox = true;
            i += 3;
        } else {
            return Err(err::syntax());
        }
        i += 1;
    }
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        return Err(Reply::error(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & SEARCH_STORE != 0 {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    let name = String::from_utf8_lossy(&args[0]).into_owned();
    if flags & SEARCH != 0 && !(frommember || fromloc) {
        return Err(Reply::error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if flags & SEARCH != 0 && !(byradius || bybox) {
        return Err(Reply::error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if o.any && o.count == 0 {
        return Err(Reply::err("ERR the ANY argument requires COUNT argument"));
    }
    Ok((o, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (a, b) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (12345, 67890),
        ] {
            let v = interleave(a, b);
            assert_eq!((squash(v), squash(v >> 1)), (a, b));
        }
    }

    #[test]
    fn redis_reference_values() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669
        // "Catania" (the Redis docs' example): scores, GEODIST, GEOHASH.
        let p = score_of(13.361389, 38.115556).unwrap();
        let c = score_of(15.087269, 37.502669).unwrap();
        assert_eq!(p, 3479099956230698);
        assert_eq!(c, 3479447370796909);
        let [x1, y1] = decode_score(p as f64);
        let [x2, y2] = decode_score(c as f64);
        assert_eq!(format!("{:.4}", distance(x1, y1, x2, y2)), "166274.1516");
        assert_eq!(human(x1), "13.36138933897018433");
        assert_eq!(human(y1), "38.11555639549629859");
    }
}
