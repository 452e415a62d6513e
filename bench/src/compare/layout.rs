//! The results folder, the ports and the servers' configs.
//!
//! The setup is the one `../shared/bench/proxy-vs-nginx.sh` measures with
//! wrk, so the numbers of both can be set side by side: the origin is nginx
//! with one worker answering `return 200 "hello"`; nginx (one worker,
//! upstream keep-alive) and ringgate (one shard) proxy every request to it.
//! Every port is a free one (bind port 0, read it, let go). The configs,
//! nginx's prefix folders (pid file, error log, temp folders) and each
//! server's output live under `setup/` in the results folder; the run
//! reports sit at its top.
//!
//! ```text
//! compare-20250101-120000/
//!   table.txt  summary.json  latency.svg  README
//!   closed-nginx-1.{json,hgrm,txt}  closed-ringgate-1.{json,hgrm,txt}  ...
//!   open-nginx-1.{json,hgrm,txt}    open-ringgate-1.{json,hgrm,txt}    ...
//!   setup/origin.conf  setup/nginx.conf  setup/ringgate.toml
//!   setup/origin/  setup/nginx/  (nginx prefixes)  setup/*.log
//! ```

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::BenchError;

/// Where a comparison's files and servers are.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The results folder.
    pub dir: PathBuf,
    /// The origin's address.
    pub origin: SocketAddr,
    /// nginx-as-proxy's address.
    pub nginx: SocketAddr,
    /// ringgate's address.
    pub ringgate: SocketAddr,
    /// `--tls`: both proxies terminate TLS with these files.
    pub tls: Option<super::tls::Tls>,
}

/// How a server is started: its arguments and its output file.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Arguments after the program.
    pub args: Vec<String>,
    /// stdout and stderr go here.
    pub log: PathBuf,
}

impl Layout {
    /// Creates the results folder (`out`, or a new
    /// `target/ringbench/compare-<timestamp>`), made absolute, and picks
    /// the ports.
    pub fn create(out: Option<&Path>) -> Result<Layout, BenchError> {
        let dir = match out {
            Some(dir) => {
                make_dir(dir)?;
                dir.to_path_buf()
            }
            None => fresh_dir(Path::new("target/ringbench"))?,
        };
        make_dir(&dir.join("setup"))?;
        // nginx takes relative paths from its prefix, not from here.
        let dir = dir.canonicalize().map_err(|source| BenchError::File {
            path: dir.clone(),
            source,
        })?;
        Ok(Layout {
            dir,
            origin: free_addr()?,
            nginx: free_addr()?,
            ringgate: free_addr()?,
            tls: None,
        })
    }

    /// `--tls`: makes the certificates under `setup/tls/` (see [`super::tls`]).
    pub fn with_tls(mut self, ktls: &str) -> Result<Layout, BenchError> {
        self.tls = Some(super::tls::Tls::make(&self.setup("tls"), ktls)?);
        Ok(self)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// A file in the results folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn setup(&self, name: &str) -> PathBuf {
        self.dir.join("setup").join(name)
    }

    /// Writes the origin's nginx config; how to start it.
    pub fn origin(&self) -> Result<Launch, BenchError> {
        let body = format!(
            "  server {{ listen {}; location / {{ return 200 \"hello\"; }} }}\n",
            self.origin
        );
        self.nginx_launch("origin", &body)
    }

    /// Writes nginx-as-proxy's config; how to start it.
    pub fn nginx(&self) -> Result<Launch, BenchError> {
        let (origin, listen) = (self.origin, self.nginx);
        // TLS 1.3 only, OpenSSL's suites pinned to the one cipher (see `tls`).
        let ssl = match &self.tls {
            None => String::new(),
            Some(t) => format!(
                " ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    \
                 ssl_protocols TLSv1.3;\n    ssl_conf_command Ciphersuites {}",
                t.cert.display(),
                t.key.display(),
                super::tls::OPENSSL_SUITE
            ),
        };
        let body = format!(
            r#"  upstream origin {{ server {origin}; keepalive 128; keepalive_requests 1000000; }}
  server {{
    listen {listen}{ssl};
    location / {{ proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
"#
        );
        self.nginx_launch("nginx", &body)
    }

    /// Writes ringgate's config; how to start it.
    pub fn ringgate(&self) -> Result<Launch, BenchError> {
        let (origin, listen) = (self.origin, self.ringgate);
        let tls = match &self.tls {
            None => String::new(),
            Some(t) => format!(
                "tls = {{ cert = \"{}\", key = \"{}\", ktls = \"{}\", protocols = [\"TLSv1.3\"] }}\n",
                t.cert.display(),
                t.key.display(),
                t.ktls
            ),
        };
        let toml = format!(
            r#"[server]
listen = "{listen}"
shards = 1
drain_timeout = "1s"
{tls}
[upstreams.origin]
targets = ["{origin}"]

[[routes]]
path_prefix = "/"
upstream = "origin"
"#
        );
        let conf = self.setup("ringgate.toml");
        write(&conf, &toml)?;
        Ok(Launch {
            args: vec!["--config".into(), conf.display().to_string()],
            log: self.setup("ringgate.log"),
        })
    }

    /// One nginx, one worker, in the foreground, its prefix under `setup/NAME/`
    /// with every path it writes (nginx's built-in temp paths may be absent
    /// or not writable), `http` holding `body`.
    fn nginx_launch(&self, name: &str, body: &str) -> Result<Launch, BenchError> {
        let prefix = self.setup(name);
        make_dir(&prefix.join("logs"))?;
        let p = prefix.display();
        let conf = format!(
            r#"worker_processes 1;
daemon off;
pid {p}/nginx.pid;
error_log {p}/logs/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {p}/client_body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
{body}}}
"#
        );
        let conf_path = self.setup(&format!("{name}.conf"));
        write(&conf_path, &conf)?;
        Ok(Launch {
            args: vec![
                "-p".into(),
                format!("{p}/"),
                "-c".into(),
                conf_path.display().to_string(),
            ],
            log: self.setup(&format!("{name}.log")),
        })
    }
}

fn make_dir(dir: &Path) -> Result<(), BenchError> {
    std::fs::create_dir_all(dir).map_err(|source| BenchError::File {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a whole file.
pub fn write(path: &Path, text: &str) -> Result<(), BenchError> {
    std::fs::write(path, text).map_err(|source| BenchError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// A new `PARENT/compare-YYYYMMDD-HHMMSS[-N]` folder.
fn fresh_dir(parent: &Path) -> Result<PathBuf, BenchError> {
    make_dir(parent)?;
    let base = format!("compare-{}", stamp(SystemTime::now()));
    for n in 1..=100u32 {
        let dir = if n == 1 {
            parent.join(&base)
        } else {
            parent.join(format!("{base}-{n}"))
        };
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            r => {
                return r.map(|()| dir).map_err(|source| BenchError::File {
                    path: parent.to_path_buf(),
                    source,
                })
            }
        }
    }
    Err(BenchError::File {
        path: parent.join(base),
        source: std::io::ErrorKind::AlreadyExists.into(),
    })
}

/// `20250101-120000` (UTC) for a time.
pub fn stamp(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    // 2025-01-01T12:00:00Z
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .map(|c| if c == 'T' { '-' } else { c })
        .collect()
}

/// A free 127.0.0.1 port: bind port 0, read it, let go. Another process
/// could take it in between; that race is tiny and accepted.
fn free_addr() -> Result<SocketAddr, BenchError> {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    TcpListener::bind(any)
        .and_then(|l| l.local_addr())
        .map_err(|source| BenchError::Listen { addr: any, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_compact() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_735_732_800);
        assert_eq!(stamp(t), "20250101-120000");
    }

    #[test]
    fn configs_name_every_port_and_path() {
        let dir = std::env::temp_dir().join(format!("ringbench-layout-{}", std::process::id()));
        let l = Layout::create(Some(&dir)).unwrap();
        let n = l.nginx().unwrap();
        let conf = std::fs::read_to_string(dir.join("setup/nginx.conf")).unwrap();
        assert!(conf.contains(&format!("listen {};", l.nginx)), "{conf}");
        assert!(conf.contains(&format!("server {};", l.origin)), "{conf}");
        assert!(conf.contains("worker_processes 1;") && conf.contains("daemon off;"));
        assert_eq!(n.args[0], "-p");
        let o = l.origin().unwrap();
        assert!(o.log.ends_with("setup/origin.log"));
        let origin = std::fs::read_to_string(dir.join("setup/origin.conf")).unwrap();
        assert!(origin.contains("return 200 \"hello\""), "{origin}");
        l.ringgate().unwrap();
        let toml = std::fs::read_to_string(dir.join("setup/ringgate.toml")).unwrap();
        assert!(toml.contains("shards = 1") && toml.contains(&l.origin.to_string()));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_relative_folder_is_made_absolute() {
        // Relative to the package folder: the workspace's ignored target/.
        let rel = PathBuf::from(format!("../target/ringbench-layout-{}", std::process::id()));
        let l = Layout::create(Some(&rel)).unwrap();
        assert!(l.dir.is_absolute(), "{}", l.dir.display());
        let o = l.origin().unwrap();
        assert!(Path::new(&o.args[3]).is_absolute(), "{:?}", o.args);
        let _ = std::fs::remove_dir_all(&l.dir);
    }
}
