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

impl Config {
    pub fn get(&self, _pattern: &[u8]) -> Vec<(String, String)> {
        Vec::new()
    }
    pub fn set_many(&mut self, _pairs: &[(String, String)]) -> Result<(), String> {
        Err("not yet".into())
    }
    pub fn rewrite(&self) -> Result<(), String> {
        Err("not yet".into())
    }
    pub fn compat_directives_in_use(&self) -> Vec<String> {
        Vec::new()
    }
}
