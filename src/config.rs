//! TEMPORARY stub, replaced by the real config module.
use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub dir: PathBuf,
    pub databases: usize,
    pub stripes: usize,
    pub maxclients: usize,
    pub timeout: u64,
    pub loglevel: String,
    pub logfile: String,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub hz: u32,
    pub http_port: u16,
    pub requirepass: String,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub appendonly: bool,
    pub config_file: Option<PathBuf>,
    pub compat: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into()],
            port: 6379,
            dir: PathBuf::from("./data"),
            databases: 16,
            stripes: 256,
            maxclients: 10000,
            timeout: 0,
            loglevel: "notice".into(),
            logfile: String::new(),
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            hz: 10,
            http_port: 8080,
            requirepass: String::new(),
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            appendonly: false,
            config_file: None,
            compat: BTreeMap::new(),
        }
    }
}

pub fn load_from_args(args: &[String]) -> Result<Config, String> {
    let mut c = Config::default();
    let mut i = 0;
    while i + 1 < args.len() {
        match args[i].as_str() {
            "--port" => c.port = args[i + 1].parse().map_err(|_| "bad port".to_string())?,
            "--dir" => c.dir = PathBuf::from(&args[i + 1]),
            _ => {}
        }
        i += 2;
    }
    Ok(c)
}

/// Stub-only: the few parameters the server commands' tests touch.
const STUB_PARAMS: &[&str] = &[
    "appendonly",
    "dir",
    "hz",
    "maxclients",
    "maxmemory",
    "maxmemory-policy",
    "port",
    "timeout",
];

impl Config {
    fn stub_value(&self, name: &str) -> String {
        match name {
            "appendonly" => if self.appendonly { "yes" } else { "no" }.into(),
            "dir" => self.dir.display().to_string(),
            "hz" => self.hz.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.clone(),
            "port" => self.port.to_string(),
            "timeout" => self.timeout.to_string(),
            _ => String::new(),
        }
    }
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        STUB_PARAMS
            .iter()
            .filter(|n| crate::glob::glob_match(pattern, n.as_bytes(), true))
            .map(|n| (n.to_string(), self.stub_value(n)))
            .collect()
    }
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), String> {
        for (i, (k, v)) in pairs.iter().enumerate() {
            let name = k.to_ascii_lowercase();
            if !STUB_PARAMS.contains(&name.as_str()) {
                return Err(format!("Unknown option or number of arguments for CONFIG SET - '{}'", k));
            }
            let bad = |why: &str| Err(format!("CONFIG SET failed (possibly related to argument '{}') - {}", k, why));
            if pairs[..i].iter().any(|(p, _)| p.eq_ignore_ascii_case(k)) {
                return bad("duplicate parameter");
            }
            match name.as_str() {
                "hz" | "maxclients" | "maxmemory" | "port" | "timeout" if v.parse::<u64>().is_err() => {
                    return bad("argument couldn't be parsed into an integer")
                }
                "appendonly" if v != "yes" && v != "no" => return bad("argument must be 'yes' or 'no'"),
                _ => {}
            }
        }
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "appendonly" => self.appendonly = v == "yes",
                "dir" => self.dir = PathBuf::from(v),
                "hz" => self.hz = v.parse().unwrap_or(10),
                "maxclients" => self.maxclients = v.parse().unwrap_or(10000),
                "maxmemory" => self.maxmemory = v.parse().unwrap_or(0),
                "maxmemory-policy" => self.maxmemory_policy = v.clone(),
                "port" => self.port = v.parse().unwrap_or(0),
                "timeout" => self.timeout = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        Ok(())
    }
    pub fn rewrite(&self) -> Result<(), String> {
        Err("not yet".into())
    }
    pub fn compat_directives_in_use(&self) -> Vec<String> {
        Vec::new()
    }
}
