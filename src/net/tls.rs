//! The TLS server configuration (`tls` feature): the `tls-*` directives
//! turned into one rustls `ServerConfig` (crypto from *ring*), built once
//! at start-up; any problem is a start-up error naming the file or value,
//! as Redis refuses to start with a bad certificate. The per-connection
//! side (handshake, records) is in transport.rs.
//!
//! Mapping from Redis's OpenSSL-based directives:
//! * `tls-cert-file` / `tls-key-file`: PEM, parsed with rustls-pki-types'
//!   `PemObject`; an encrypted key (`tls-key-file-pass`) is refused.
//! * `tls-ca-cert-file` / `tls-ca-cert-dir`: the trust anchors for client
//!   certificates (every PEM certificate in the file, and in each regular
//!   file of the directory; OpenSSL's hash-named links are just files).
//! * `tls-auth-clients yes|optional|no`: rustls's WebPKI client verifier,
//!   with or without `allow_unauthenticated`, or no client auth at all.
//! * `tls-protocols`: TLSv1.2 and/or TLSv1.3 (rustls has nothing older).
//! * `tls-ciphersuites` (1.3) / `tls-ciphers` (1.2): OpenSSL or IANA suite
//!   names, colon-separated, filtering rustls's suites. OpenSSL's cipher
//!   *expressions* (`HIGH:!aNULL`, `DEFAULT@SECLEVEL=2`) are not
//!   interpreted: such a list is logged and the default suites are kept.
//! * `tls-prefer-server-ciphers`: `ignore_client_order`.
//! * `tls-session-caching` / `tls-session-cache-size`: the server's session
//!   cache (and TLS 1.3 tickets only while caching is on).

use crate::config::Config;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};
use std::sync::Arc;

/// rustls's suites with their OpenSSL names (IANA names are accepted too).
fn suite_names(s: &SupportedCipherSuite) -> (&'static str, &'static str) {
    use rustls::CipherSuite as C;
    match s.suite() {
        C::TLS13_AES_256_GCM_SHA384 => ("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
        C::TLS13_AES_128_GCM_SHA256 => ("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
        C::TLS13_CHACHA20_POLY1305_SHA256 => (
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
        ),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => (
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => (
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => (
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => (
            "ECDHE-RSA-AES256-GCM-SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ),
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => (
            "ECDHE-RSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => (
            "ECDHE-RSA-CHACHA20-POLY1305",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        _ => ("", ""),
    }
}

/// Whether `s` is a TLS 1.3 suite.
fn is_tls13(s: &SupportedCipherSuite) -> bool {
    matches!(s, SupportedCipherSuite::Tls13(_))
}

/// Keeps, of the suites of one TLS version (`tls13`), those `list` names.
/// An empty list keeps all. Err if the list names none rustls has.
fn filter_suites(
    suites: &mut Vec<SupportedCipherSuite>,
    tls13: bool,
    list: &str,
    directive: &str,
) -> Result<(), String> {
    let list = list.trim();
    if list.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = list
        .split([':', ',', ' '])
        .filter(|n| !n.is_empty())
        .collect();
    let expression = names
        .iter()
        .any(|n| n.contains(['!', '+', '@', '=']) || n.starts_with('-') || is_keyword(n));
    if expression {
        crate::warning!(
            "{} '{}' is an OpenSSL cipher expression FlashDB does not interpret; using the default suites",
            directive,
            list
        );
        return Ok(());
    }
    let wanted = |s: &SupportedCipherSuite| {
        let (openssl, iana) = suite_names(s);
        names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(openssl) || n.eq_ignore_ascii_case(iana))
    };
    if !suites.iter().any(|s| is_tls13(s) == tls13 && wanted(s)) {
        return Err(format!(
            "Failed to configure ciphers: no supported suite in {} '{}'",
            directive, list
        ));
    }
    suites.retain(|s| is_tls13(s) != tls13 || wanted(s));
    Ok(())
}

/// OpenSSL cipher-list keywords (a list using them is an expression).
fn is_keyword(n: &str) -> bool {
    [
        "DEFAULT",
        "ALL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "COMPLEMENTOFALL",
        "COMPLEMENTOFDEFAULT",
        "SECURE128",
        "SECURE192",
        "SUITEB128",
        "SUITEB192",
        "ECDHE",
        "EECDH",
        "AESGCM",
        "CHACHA20",
        "kECDHE",
        "aRSA",
        "aECDSA",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(n))
}

/// The protocol versions `tls-protocols` allows (empty = 1.2 and 1.3).
fn versions(list: &str) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let mut out: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    for word in list.split_whitespace() {
        let v: &'static rustls::SupportedProtocolVersion = match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            "tlsv1" | "tlsv1.1" => {
                return Err(format!(
                    "tls-protocols: {} is not supported by FlashDB (rustls offers TLSv1.2 and TLSv1.3)",
                    word
                ))
            }
            _ => {
                return Err(
                    "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
                        .to_string(),
                )
            }
        };
        if !out.iter().any(|o| o.version == v.version) {
            out.push(v);
        }
    }
    if out.is_empty() {
        out = vec![&rustls::version::TLS12, &rustls::version::TLS13];
    }
    Ok(out)
}

/// Every certificate in the PEM file `path`.
fn load_certs(path: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("Failed to load {} {}: {}", what, path, e))?
        .collect();
    let certs = certs.map_err(|e| format!("Failed to load {} {}: {}", what, path, e))?;
    if certs.is_empty() {
        return Err(format!(
            "Failed to load {} {}: no PEM certificate in it",
            what, path
        ));
    }
    Ok(certs)
}

/// The trust anchors for client certificates (`tls-ca-cert-file`, `-dir`).
fn load_roots(c: &Config) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut add = |path: &str| -> Result<(), String> {
        for cert in load_certs(path, "CA certificate")? {
            roots
                .add(cert)
                .map_err(|e| format!("Failed to load CA certificate {}: {}", path, e))?;
        }
        Ok(())
    };
    if !c.tls_ca_cert_file.is_empty() {
        add(&c.tls_ca_cert_file)?;
    }
    if !c.tls_ca_cert_dir.is_empty() {
        let dir = std::fs::read_dir(&c.tls_ca_cert_dir).map_err(|e| {
            format!(
                "Failed to load CA certificate directory {}: {}",
                c.tls_ca_cert_dir, e
            )
        })?;
        let mut files: Vec<_> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            // Not every file in a CA directory need be a certificate.
            if let Err(e) = add(&f.to_string_lossy()) {
                crate::verbose!("Skipping {}", e);
            }
        }
    }
    Ok(roots)
}

/// Builds the TLS server configuration from the `tls-*` directives. Err
/// is the line to log before refusing to start.
pub fn server_config(c: &Config) -> Result<Arc<ServerConfig>, String> {
    if c.tls_cert_file.is_empty() || c.tls_key_file.is_empty() {
        return Err(
            "Failed to configure TLS: tls-port needs tls-cert-file and tls-key-file".into(),
        );
    }
    if !c.tls_key_file_pass.is_empty() {
        return Err(
            "tls-key-file-pass is not supported by FlashDB: store the key unencrypted (openssl pkey -in encrypted.key -out server.key) and protect the file instead"
                .into(),
        );
    }
    let certs = load_certs(&c.tls_cert_file, "certificate")?;
    let key = PrivateKeyDer::from_pem_file(&c.tls_key_file)
        .map_err(|e| format!("Failed to load private key {}: {}", c.tls_key_file, e))?;

    let mut provider = rustls::crypto::ring::default_provider();
    filter_suites(
        &mut provider.cipher_suites,
        true,
        &c.tls_ciphersuites,
        "tls-ciphersuites",
    )?;
    filter_suites(
        &mut provider.cipher_suites,
        false,
        &c.tls_ciphers,
        "tls-ciphers",
    )?;
    let provider: Arc<CryptoProvider> = Arc::new(provider);

    let verifier = match c.tls_auth_clients.as_str() {
        "no" => WebPkiClientVerifier::no_client_auth(),
        mode => {
            if c.tls_ca_cert_file.is_empty() && c.tls_ca_cert_dir.is_empty() {
                return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!".into());
            }
            let roots = load_roots(c)?;
            if roots.is_empty() {
                return Err("Failed to load CA certificates: no usable certificate in tls-ca-cert-file / tls-ca-cert-dir".into());
            }
            let b = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            let b = if mode == "optional" {
                b.allow_unauthenticated()
            } else {
                b
            };
            b.build()
                .map_err(|e| format!("Failed to configure client verification: {}", e))?
        }
    };

    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions(&c.tls_protocols)?)
        .map_err(|e| format!("Failed to configure TLS: {}", e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "Failed to configure TLS with {} and {}: {}",
                c.tls_cert_file, c.tls_key_file, e
            )
        })?;
    cfg.ignore_client_order = c.tls_prefer_server_ciphers;
    if c.tls_session_caching && c.tls_session_cache_size > 0 {
        cfg.session_storage = ServerSessionMemoryCache::new(c.tls_session_cache_size);
    } else {
        cfg.session_storage = Arc::new(NoServerSessionStorage {});
        cfg.send_tls13_tickets = 0;
    }
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suites() -> Vec<SupportedCipherSuite> {
        rustls::crypto::ring::default_provider().cipher_suites
    }

    #[test]
    fn protocols() {
        assert_eq!(versions("").unwrap().len(), 2);
        assert_eq!(versions("TLSv1.3").unwrap(), vec![&rustls::version::TLS13]);
        assert_eq!(versions("tlsv1.2 TLSv1.2").unwrap().len(), 1);
        assert!(versions("TLSv1.1").unwrap_err().contains("not supported"));
        assert!(versions("SSLv3")
            .unwrap_err()
            .starts_with("Invalid tls-protocols"));
    }

    #[test]
    fn suite_lists_filter_one_version() {
        let mut s = suites();
        filter_suites(&mut s, true, "TLS_AES_256_GCM_SHA384", "tls-ciphersuites").unwrap();
        assert_eq!(s.iter().filter(|s| is_tls13(s)).count(), 1);
        assert_eq!(s.iter().filter(|s| !is_tls13(s)).count(), 6);
        filter_suites(
            &mut s,
            false,
            "ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "tls-ciphers",
        )
        .unwrap();
        assert_eq!(s.len(), 3);
        // Expressions are left alone; unknown names alone are an error.
        let mut s = suites();
        filter_suites(&mut s, false, "HIGH:!aNULL", "tls-ciphers").unwrap();
        assert_eq!(s.len(), 9);
        assert!(filter_suites(&mut s, false, "RC4-MD5", "tls-ciphers").is_err());
    }

    #[test]
    fn missing_files_are_named() {
        let mut c = Config {
            tls_cert_file: "/nonexistent/server.crt".into(),
            tls_key_file: "/nonexistent/server.key".into(),
            ..Config::default()
        };
        let e = server_config(&c).unwrap_err();
        assert!(e.contains("/nonexistent/server.crt"), "{e}");
        c.tls_key_file_pass = "secret".into();
        assert!(server_config(&c).unwrap_err().contains("tls-key-file-pass"));
    }
}
