//! The connection: TCP, a Unix socket (`-s`) or TLS (rustls, feature
//! `tls`), and the handshake redis-cli makes on every (re)connect: AUTH,
//! HELLO 3 with `-3`, SELECT with `-n`.

use crate::args::Config;
use crate::resp::{self, Reply};
use std::io::{self, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A read half and a write half of the same socket, for `--pipe`.
pub enum Split {
    Tcp(TcpStream, TcpStream),
    Unix(UnixStream, UnixStream),
}

pub struct Conn {
    reader: BufReader<Stream>,
}

/// "127.0.0.1:6379" or the socket path, as redis-cli names the server.
pub fn target(cfg: &Config) -> String {
    match &cfg.socket {
        Some(p) => p.clone(),
        None if cfg.host.contains(':') => format!("[{}]:{}", cfg.host, cfg.port),
        None => format!("{}:{}", cfg.host, cfg.port),
    }
}

/// An OS error without Rust's " (os error N)" suffix, as C's strerror.
pub fn os_error(e: &io::Error) -> String {
    let s = e.to_string();
    let s = match s.strip_prefix("failed to lookup address information: ") {
        Some(rest) => rest.to_string(),
        None => s,
    };
    match s.find(" (os error ") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

fn tcp(cfg: &Config) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "Name or service not known");
    for addr in (cfg.host.as_str(), cfg.port).to_socket_addrs()? {
        match TcpStream::connect(addr) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

impl Conn {
    /// Connects and makes the handshake. Err is the message to print
    /// (`Could not connect to Redis at 127.0.0.1:6379: Connection refused`).
    pub fn open(cfg: &Config) -> Result<Conn, String> {
        let fail = |e: String| format!("Could not connect to Redis at {}: {}", target(cfg), e);
        let stream = match &cfg.socket {
            Some(path) => Stream::Unix(UnixStream::connect(path).map_err(|e| fail(os_error(&e)))?),
            None => {
                let sock = tcp(cfg).map_err(|e| fail(os_error(&e)))?;
                if cfg.tls {
                    tls_stream(cfg, sock)?
                } else {
                    Stream::Tcp(sock)
                }
            }
        };
        let mut c = Conn {
            reader: BufReader::with_capacity(64 * 1024, stream),
        };
        c.handshake(cfg).map_err(|e| fail(os_error(&e)))?;
        Ok(c)
    }

    fn handshake(&mut self, cfg: &Config) -> io::Result<()> {
        if let Some(pass) = &cfg.pass {
            let mut args = vec![b"AUTH".to_vec()];
            if let Some(u) = &cfg.user {
                args.push(u.as_bytes().to_vec());
            }
            args.push(pass.as_bytes().to_vec());
            let r = self.call(&args)?;
            if r.is_error() {
                eprintln!("AUTH failed: {}", r.text());
            }
        }
        if cfg.db != 0 {
            let r = self.call(&[b"SELECT".to_vec(), cfg.db.to_string().into_bytes()])?;
            if r.is_error() {
                eprintln!("SELECT {} failed: {}", cfg.db, r.text());
            }
        }
        if cfg.resp3 {
            let r = self.call(&[b"HELLO".to_vec(), b"3".to_vec()])?;
            if r.is_error() {
                eprintln!("HELLO 3 failed: {}", r.text());
            }
        }
        Ok(())
    }

    /// Sends one command.
    pub fn send(&mut self, args: &[Vec<u8>]) -> io::Result<()> {
        self.write_all(&resp::encode(args))
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let s = self.reader.get_mut();
        s.write_all(bytes)?;
        s.flush()
    }

    pub fn read(&mut self) -> io::Result<Reply> {
        resp::read_reply(&mut self.reader)
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, args: &[Vec<u8>]) -> io::Result<Reply> {
        self.send(args)?;
        self.read()
    }

    /// `call` with string arguments.
    pub fn cmd(&mut self, args: &[&str]) -> io::Result<Reply> {
        let v: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.call(&v)
    }

    /// Two handles on the socket when it can be split (not TLS), so one
    /// thread writes while another reads.
    pub fn split(&self) -> Option<Split> {
        match self.reader.get_ref() {
            Stream::Tcp(s) => Some(Split::Tcp(s.try_clone().ok()?, s.try_clone().ok()?)),
            Stream::Unix(s) => Some(Split::Unix(s.try_clone().ok()?, s.try_clone().ok()?)),
            #[cfg(feature = "tls")]
            Stream::Tls(_) => None,
        }
    }

    /// Bytes already read from the socket but not yet parsed.
    pub fn buffered(&self) -> usize {
        self.reader.buffer().len()
    }
}

/// The error for `--tls` / `rediss://` in a build without TLS.
pub const NO_TLS: &str = "TLS is not available: this flashdb-cli was built without the `tls` \
                          feature (rebuild with default features)";

#[cfg(not(feature = "tls"))]
fn tls_stream(_cfg: &Config, _sock: TcpStream) -> Result<Stream, String> {
    Err(NO_TLS.into())
}

#[cfg(feature = "tls")]
fn tls_stream(cfg: &Config, sock: TcpStream) -> Result<Stream, String> {
    let config = tls::client_config(cfg)?;
    let name = cfg.sni.clone().unwrap_or_else(|| cfg.host.clone());
    let server_name = rustls::pki_types::ServerName::try_from(name.clone())
        .map_err(|e| format!("Invalid TLS server name {}: {}", name, e))?;
    let conn = rustls::ClientConnection::new(config, server_name)
        .map_err(|e| format!("Could not negotiate a TLS connection: {}", e))?;
    let mut s = rustls::StreamOwned::new(conn, sock);
    while s.conn.is_handshaking() {
        s.conn
            .complete_io(&mut s.sock)
            .map_err(|e| format!("Could not negotiate a TLS connection: {}", os_error(&e)))?;
    }
    Ok(Stream::Tls(Box::new(s)))
}

#[cfg(feature = "tls")]
mod tls {
    use crate::args::Config;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
    use std::sync::Arc;

    fn certs(path: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
        let fail = |e: String| format!("Failed to load {} {}: {}", what, path, e);
        let v: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
            .map_err(|e| fail(e.to_string()))?
            .collect();
        let v = v.map_err(|e| fail(e.to_string()))?;
        if v.is_empty() {
            return Err(fail("no PEM certificate in it".into()));
        }
        Ok(v)
    }

    /// Accepts any server certificate (`--insecure`); signatures are still
    /// checked so the handshake itself stays sound.
    #[derive(Debug)]
    struct Insecure(Arc<CryptoProvider>);

    impl ServerCertVerifier for Insecure {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    pub fn client_config(cfg: &Config) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {}", e))?;
        let builder = if cfg.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Insecure(provider)))
        } else {
            let mut roots = RootCertStore::empty();
            if let Some(f) = &cfg.cacert {
                for c in certs(f, "CA certificate")? {
                    roots
                        .add(c)
                        .map_err(|e| format!("Failed to load CA certificate {}: {}", f, e))?;
                }
            }
            if let Some(d) = &cfg.cacertdir {
                let dir = std::fs::read_dir(d)
                    .map_err(|e| format!("Failed to load CA certificate directory {}: {}", d, e))?;
                let mut files: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
                files.sort();
                for f in files.iter().filter(|p| p.is_file()) {
                    // Not every file in a CA directory is a certificate.
                    if let Ok(v) = certs(&f.to_string_lossy(), "CA certificate") {
                        for c in v {
                            let _ = roots.add(c);
                        }
                    }
                }
            }
            if roots.is_empty() {
                return Err(
                    "TLS needs trusted CA certificates: give --cacert <file> or --cacertdir <dir> \
                     (or --insecure to skip verification)"
                        .into(),
                );
            }
            builder.with_root_certificates(roots)
        };
        let config = match (&cfg.cert, &cfg.key) {
            (Some(cert), Some(key)) => {
                let chain = certs(cert, "certificate")?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("Failed to load private key {}: {}", key, e))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("Invalid client certificate/key: {}", e))?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}
