//! The three servers of a comparison: the origin and the two proxies in
//! front of it, all pinned to the proxy CPU, each checked with a real
//! request before any load is sent. Dropping [`Servers`] stops the proxies
//! first, then the origin (field order), each with its whole process group.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Serialize;

use super::layout::{Launch, Layout};
use super::process::{Child, Interrupt};
use super::tools::Tools;
use crate::BenchError;

/// The proxy under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proxy {
    /// nginx, one worker: the reference.
    Nginx,
    /// ringgate, one shard.
    Ringgate,
}

impl Proxy {
    /// Both, in the order every round runs them.
    pub const BOTH: [Proxy; 2] = [Proxy::Nginx, Proxy::Ringgate];

    /// `nginx` / `ringgate`.
    pub fn name(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx",
            Proxy::Ringgate => "ringgate",
        }
    }
}

/// Where a running server is, for `summary.json` (and the test that checks
/// nothing is left running afterwards).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ServerInfo {
    /// Its listening address.
    pub addr: SocketAddr,
    /// Its pid, also its process group id.
    pub pid: u32,
}

/// The running servers; stopped on drop, proxies first.
#[derive(Debug)]
pub struct Servers {
    ringgate: Child,
    nginx: Child,
    origin: Child,
    layout: Layout,
}

impl Servers {
    /// Writes the configs, starts the origin, then both proxies, and waits
    /// until each answers `GET /` with 200.
    pub fn start(
        tools: &Tools,
        layout: &Layout,
        cpu: usize,
        stop: &Interrupt,
    ) -> Result<Servers, BenchError> {
        let launch = |name: &str, program, l: Launch| {
            Child::spawn(name, &tools.taskset, cpu, program, &l.args, &l.log)
        };
        let mut origin = launch("origin", &tools.nginx, layout.origin()?)?;
        origin.wait_ready(layout.origin, stop)?;
        let mut nginx = launch("nginx", &tools.nginx, layout.nginx()?)?;
        let mut ringgate = launch("ringgate", &tools.ringgate, layout.ringgate()?)?;
        match &layout.tls {
            None => {
                nginx.wait_ready(layout.nginx, stop)?;
                ringgate.wait_ready(layout.ringgate, stop)?;
            }
            Some(tls) => {
                nginx.wait_ready_with(layout.nginx, stop, |a| tls.probe(a))?;
                ringgate.wait_ready_with(layout.ringgate, stop, |a| tls.probe(a))?;
            }
        }
        Ok(Servers {
            ringgate,
            nginx,
            origin,
            layout: layout.clone(),
        })
    }

    fn child(&self, p: Proxy) -> &Child {
        match p {
            Proxy::Nginx => &self.nginx,
            Proxy::Ringgate => &self.ringgate,
        }
    }

    /// A proxy's address.
    pub fn addr(&self, p: Proxy) -> SocketAddr {
        match p {
            Proxy::Nginx => self.layout.nginx,
            Proxy::Ringgate => self.layout.ringgate,
        }
    }

    /// A proxy's process group (whose CPU time is the proxy's).
    pub fn group(&self, p: Proxy) -> u32 {
        self.child(p).pid()
    }

    /// `Err(Exited)` when any server has died.
    pub fn check_running(&mut self) -> Result<(), BenchError> {
        self.origin.check_running()?;
        self.nginx.check_running()?;
        self.ringgate.check_running()
    }

    /// Address and pid of each server, by role.
    pub fn info(&self) -> BTreeMap<String, ServerInfo> {
        [
            (&self.origin, self.layout.origin),
            (&self.nginx, self.layout.nginx),
            (&self.ringgate, self.layout.ringgate),
        ]
        .into_iter()
        .map(|(c, addr)| (c.name().to_string(), ServerInfo { addr, pid: c.pid() }))
        .collect()
    }
}
