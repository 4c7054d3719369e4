//! RESP over TLS against the real binary: certificates made by the
//! `openssl` CLI in a temp dir, clients `redis-cli --tls` and rustls
//! (pipelining, 1 MB values both ways, Pub/Sub, BLPOP, CLIENT PAUSE and
//! KILL, `appendfsync always`), client-certificate policies, a TLS-only
//! server, start-up errors, and protected mode over TLS. `make test` runs
//! it under both I/O drivers.
#![cfg(feature = "tls")]

mod common;
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// Test certificates: a CA with a server certificate (localhost,
/// 127.0.0.1) and a client certificate, and another CA with a client
/// certificate of its own (the "wrong CA").
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = temp_dir("pki");
        common::pki::make_pki(&dir);
        Pki { dir }
    })
}

/// The flags for a TLS listener on `tls_port` with the test certificates.
fn tls_flags(tls_port: &str) -> Vec<String> {
    let p = pki();
    [
        "--tls-port",
        tls_port,
        "--tls-cert-file",
        &p.path("server.crt"),
        "--tls-key-file",
        &p.path("server.key"),
        "--tls-ca-cert-file",
        &p.path("ca.crt"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A server with the plaintext port (the harness's) and a TLS port.
fn start_tls(extra: &[&str]) -> (TestServer, u16) {
    let (srv, ports) = TestServer::start_with_ports(1, |p| {
        let mut args = tls_flags(&p[0].to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    });
    (srv, ports[0])
}

/// A rustls client trusting `ca`, presenting `cert` (`<name>.crt/.key`).
fn client_config(ca: &str, cert: Option<&str>) -> Arc<ClientConfig> {
    let p = pki();
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(p.path(&format!("{ca}.crt"))).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match cert {
        Some(name) => {
            let chain: Vec<_> = CertificateDer::pem_file_iter(p.path(&format!("{name}.crt")))
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
            let key = PrivateKeyDer::from_pem_file(p.path(&format!("{name}.key"))).unwrap();
            b.with_client_auth_cert(chain, key).unwrap()
        }
        None => b.with_no_client_auth(),
    })
}

/// Starts TLS on `sock`, completing the client's side of the handshake.
fn tls_over(sock: TcpStream, cfg: Arc<ClientConfig>) -> std::io::Result<Tls> {
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let conn = ClientConnection::new(cfg, "localhost".try_into().unwrap()).unwrap();
    let mut s = StreamOwned::new(conn, sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(s)
}

/// A TLS client with the good client certificate.
fn tls(port: u16) -> Tls {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tls_over(sock, client_config("ca", Some("client"))).unwrap()
}

/// Whether a TLS client with `cert` gets PONG (false: the handshake or the
/// first exchange failed, as when the server refuses the certificate: with
/// TLS 1.3 the client only learns it when it reads).
fn pong_with(port: u16, cert: Option<&str>) -> bool {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let Ok(mut s) = tls_over(sock, client_config("ca", cert)) else {
        return false;
    };
    if s.write_all(&cmd(&[b"PING"])).is_err() {
        return false;
    }
    let mut b = [0u8; 7];
    s.read_exact(&mut b).is_ok() && &b == b"+PONG\r\n"
}

fn redis_cli_tls(port: u16, cert: bool, args: &[&str]) -> String {
    let p = pki();
    let mut cmd = Command::new("redis-cli");
    cmd.args(["--tls", "--cacert", &p.path("ca.crt")]);
    if cert {
        cmd.args([
            "--cert",
            &p.path("client.crt"),
            "--key",
            &p.path("client.key"),
        ]);
    }
    let out = cmd
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn redis_cli_over_tls_beside_the_plaintext_port() {
    let (srv, tls_port) = start_tls(&[]);
    assert_eq!(redis_cli_tls(tls_port, true, &["PING"]), "PONG\n");
    assert_eq!(
        redis_cli_tls(tls_port, true, &["SET", "greeting", "hello"]),
        "OK\n"
    );
    // The plaintext port serves the same data.
    let mut plain = srv.raw();
    assert_eq!(calls(&mut plain, &["GET", "greeting"]), "$5\r\nhello\r\n");
    // Without a client certificate (tls-auth-clients yes): refused.
    assert_ne!(redis_cli_tls(tls_port, false, &["PING"]), "PONG\n");
    // A plaintext client on the TLS port is a failed handshake.
    let mut raw = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw.write_all(b"PING\r\n").unwrap();
    let got = read_to_eof(&mut raw, Duration::from_secs(5));
    assert!(!got.starts_with(b"+PONG"), "{got:?}");
    let stats = calls(&mut plain, &["INFO", "stats"]);
    assert!(stats.contains("tls_handshake_failures:2\r\n"), "{stats}");
}

#[test]
fn pipelining_big_values_pubsub_blocking_pause_and_kill_over_tls() {
    // `appendfsync always`: every reply waits for its fsync.
    let (srv, port) = start_tls(&["--appendfsync", "always"]);
    let mut c = tls(port);

    // 500 SETs and 500 GETs in one write.
    let mut bytes = Vec::new();
    for i in 0..500 {
        let (k, v) = (format!("k{i}"), format!("v{i}"));
        bytes.extend(cmd(&[b"SET", k.as_bytes(), v.as_bytes()]));
    }
    for i in 0..500 {
        bytes.extend(cmd(&[b"GET", format!("k{i}").as_bytes()]));
    }
    c.write_all(&bytes).unwrap();
    for _ in 0..500 {
        assert_eq!(read_reply(&mut c), b"+OK\r\n");
    }
    for i in 0..500 {
        let v = format!("v{i}");
        assert_eq!(
            read_reply(&mut c),
            format!("${}\r\n{v}\r\n", v.len()).into_bytes()
        );
    }

    // 1 MB both ways (a pseudo-random value: no pattern to hide a bug).
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let big: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    c.write_all(&cmd(&[b"SET", b"big", &big])).unwrap();
    assert_eq!(read_reply(&mut c), b"+OK\r\n");
    c.write_all(&cmd(&[b"GET", b"big"])).unwrap();
    let got = read_reply(&mut c);
    assert_eq!(&got[..10], b"$1048576\r\n");
    assert_eq!(&got[10..got.len() - 2], big.as_slice());
    let mut plain = srv.raw();
    assert_eq!(calls(&mut plain, &["STRLEN", "big"]), ":1048576\r\n");

    // Pub/Sub: a TLS subscriber, messages published on the plaintext port.
    let mut sub = tls(port);
    sub.write_all(&cmd(&[b"SUBSCRIBE", b"news"])).unwrap();
    assert_eq!(
        read_reply(&mut sub),
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    );
    for i in 0..100 {
        let m = format!("m{i}");
        assert_eq!(calls(&mut plain, &["PUBLISH", "news", &m]), ":1\r\n");
    }
    for i in 0..100 {
        let m = format!("m{i}");
        assert_eq!(
            read_reply(&mut sub),
            format!(
                "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{m}\r\n",
                m.len()
            )
            .into_bytes()
        );
    }

    // BLPOP over TLS, woken by a push from another client.
    let mut b = tls(port);
    b.write_all(&cmd(&[b"BLPOP", b"queue", b"5"])).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(calls(&mut plain, &["LPUSH", "queue", "job"]), ":1\r\n");
    assert_eq!(read_reply(&mut b), b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n");

    // CLIENT PAUSE holds a TLS client's write until it ends.
    assert_eq!(
        calls(&mut plain, &["CLIENT", "PAUSE", "400", "WRITE"]),
        "+OK\r\n"
    );
    let t = Instant::now();
    c.write_all(&cmd(&[b"SET", b"after", b"pause"])).unwrap();
    assert_eq!(read_reply(&mut c), b"+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );

    // CLIENT KILL closes a TLS connection.
    c.write_all(&cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = String::from_utf8(read_reply(&mut c)).unwrap();
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(calls(&mut plain, &["CLIENT", "KILL", "ID", id]), ":1\r\n");
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn client_certificate_policies() {
    // yes (the default): a certificate from our CA is required.
    let (srv, port) = start_tls(&[]);
    assert!(pong_with(port, Some("client")));
    assert!(!pong_with(port, None));
    assert!(!pong_with(port, Some("stranger")));
    drop(srv);
    // optional: none is fine, a bad one is not.
    let (srv, port) = start_tls(&["--tls-auth-clients", "optional"]);
    assert!(pong_with(port, None));
    assert!(pong_with(port, Some("client")));
    assert!(!pong_with(port, Some("stranger")));
    drop(srv);
    // no: not asked for.
    let (_srv, port) = start_tls(&["--tls-auth-clients", "no"]);
    assert!(pong_with(port, None));
    // A client that does not trust the server's CA gives up by itself.
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(tls_over(sock, client_config("other-ca", None)).is_err());
}

#[test]
fn protocol_and_suite_choices_apply() {
    let (_srv, port) = start_tls(&[
        "--tls-protocols",
        "TLSv1.2",
        "--tls-ciphers",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ]);
    let c = tls(port);
    assert_eq!(
        c.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(
        c.conn.negotiated_cipher_suite().map(|s| s.suite()),
        Some(rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    let (_srv, port) = start_tls(&["--tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]);
    let c = tls(port);
    assert_eq!(
        c.conn.negotiated_cipher_suite().map(|s| s.suite()),
        Some(rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn protected_mode_over_tls() {
    let (_srv, port) = start_tls(&[]);
    let sock = connect_from([127, 0, 0, 2], port);
    let mut s = tls_over(sock, client_config("ca", Some("client"))).unwrap();
    let got = read_to_eof(&mut s, Duration::from_secs(5));
    assert!(
        got.starts_with(b"-DENIED FlashDB is running in protected mode"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

/// Runs the binary with `args` until it exits (or is ready); returns
/// (exit code if it exited, its output).
fn run_server(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let log = dir.join("out.log");
    let mut child = Command::new(binary())
        .args(["--dir", dir.to_str().unwrap(), "--http-port", "0"])
        .args(
            std::env::var("FLASHDB_TEST_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("err.log")).unwrap())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let code = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st.code();
        }
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        if out.contains("Ready to accept connections") || t.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::fs::read_to_string(&log).unwrap_or_default()
        + &std::fs::read_to_string(dir.join("err.log")).unwrap_or_default();
    (code, out)
}

#[test]
fn tls_only_server() {
    let dir = temp_dir("tls-only");
    let tls_port = free_port();
    let mut args = tls_flags(&tls_port.to_string());
    args.extend(["--port".into(), "0".into()]);
    let mut child = Command::new(binary())
        .args(["--dir", dir.to_str().unwrap(), "--http-port", "0"])
        .args(
            std::env::var("FLASHDB_TEST_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .args(&args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("out.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !std::fs::read_to_string(dir.join("out.log"))
        .unwrap_or_default()
        .contains("Ready to accept connections tls")
    {
        assert!(t.elapsed() < Duration::from_secs(10), "not ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pong = redis_cli_tls(tls_port, true, &["PING"]);
    let log = std::fs::read_to_string(dir.join("out.log")).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(pong, "PONG\n");
    assert!(!log.contains("connections tcp"), "{log}");
}

#[test]
fn bad_tls_settings_stop_the_start() {
    let p = pki();
    let port = free_port().to_string();
    let garbage = temp_dir("garbage").join("garbage.key");
    std::fs::write(&garbage, "not a key\n").unwrap();
    let garbage = garbage.to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--tls-cert-file".into(), "/nonexistent/server.crt".into()],
            "/nonexistent/server.crt",
        ),
        (
            vec!["--tls-key-file".into(), garbage.clone()],
            "Failed to load private key",
        ),
        (
            vec!["--tls-key-file-pass".into(), "secret".into()],
            "tls-key-file-pass is not supported",
        ),
        (
            vec!["--tls-ca-cert-file".into(), "".into()],
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified",
        ),
        (
            vec!["--tls-protocols".into(), "TLSv1.1".into()],
            "TLSv1.1 is not supported",
        ),
        (
            vec!["--tls-key-file".into(), p.path("client.key")],
            "Failed to configure TLS",
        ),
    ];
    for (extra, want) in cases {
        let dir = temp_dir("tls-bad");
        let mut args = tls_flags(&port);
        args.extend(extra);
        args.extend(["--port".into(), "0".into()]);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let (code, out) = run_server(&args, &dir);
        assert_eq!(code, Some(1), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: wanted {want:?} in {out}");
    }
    // A CA directory works in place of the CA file.
    let dir = temp_dir("tls-cadir");
    let ca_dir = dir.join("cas");
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(p.path("ca.crt"), ca_dir.join("ca.pem")).unwrap();
    let mut args = tls_flags(&port);
    args.extend([
        "--tls-ca-cert-file".into(),
        "".into(),
        "--tls-ca-cert-dir".into(),
        ca_dir.to_string_lossy().into_owned(),
        "--port".into(),
        "0".into(),
    ]);
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let (code, out) = run_server(&args, &dir);
    assert_eq!(code, None, "{out}");
}
