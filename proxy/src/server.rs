//! Wiring: from a validated config to running shards, and back to exit 0.
//!
//! On the control thread: install signal handlers, bind every listener,
//! build the snapshot, start the health checker, the admin thread and one thread per shard
//! (pinned, each building its own runtime and reporting whether it could),
//! then wait for SIGTERM/SIGINT, raise the drain flag and join the shards.
//! A second signal exits at once. Reloads (SIGHUP, admin, file watch) run
//! on their own controller thread ([`crate::reload`]).

use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::metrics::ShardMetrics;
use crate::runtime::{self, pin};
use crate::shard::{self, Shard};
use crate::snapshot::Snapshot;
use ringgate_core::config::{self, Config};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use tracing::{error, info, warn};

/// Load `path` (from tuning profile `profile`, if given) and run until
/// signalled, reloading it on SIGHUP, `POST /admin/reload` and, with
/// `watch`, when it changes; with `upgrade`, take the listeners over from
/// the running process (see [`crate::upgrade`]).
pub fn run_file(
    path: &Path,
    profile: Option<&str>,
    upgrade: bool,
    watch: bool,
) -> anyhow::Result<ExitCode> {
    let stamp = crate::reload::watch::Stamp::of(path);
    let config = config::load_file_with_profile(path, profile).map_err(ProxyError::Config)?;
    let source = crate::reload::control::Source {
        path: path.to_path_buf(),
        profile: profile.map(str::to_owned),
        watch,
        stamp,
    };
    run_source(config, upgrade, Some(source), |_| {})
}

/// A running gateway, as seen by whoever started it.
#[derive(Debug, Clone)]
pub struct Started {
    /// The addresses the gateway listens on (port 0 resolved).
    pub listen: Vec<SocketAddr>,
    /// The admin listener, if any.
    pub admin: Option<SocketAddr>,
    /// The number of shards.
    pub shards: usize,
}

/// Run `config` until SIGTERM/SIGINT, then drain. `on_started` runs once
/// every shard is serving.
pub fn run(config: Config, on_started: impl FnOnce(&Started)) -> anyhow::Result<ExitCode> {
    run_with(config, false, on_started)
}

/// [`run`], with `upgrade`: take the listeners over from the running process.
pub fn run_with(
    config: Config,
    upgrade: bool,
    on_started: impl FnOnce(&Started),
) -> anyhow::Result<ExitCode> {
    run_source(config, upgrade, None, on_started)
}

/// [`run_with`], reloading from `source` when asked.
fn run_source(
    config: Config,
    upgrade: bool,
    source: Option<crate::reload::control::Source>,
    on_started: impl FnOnce(&Started),
) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(ProxyError::Signals)?;
    let cpus = pin::shard_cpus(config.server.cpus.as_deref(), &pin::allowed_cpus())?;
    let shards = pin::shard_count(&config.server.shards, &cpus);
    let shard_cpus: Vec<usize> = (0..shards)
        .map(|i| pin::cpu_for_shard(i, &cpus).map_or(i, |c| c.id))
        .collect();
    // JWKS URLs are fetched before the listeners exist: a gateway that
    // accepts connections has its keys.
    let flag = DrainFlag::default();
    // Stops this config's JWKS refresher and health checker (on reload or drain).
    let generation = DrainFlag::default();
    crate::auth::jwks::start(&config, generation.clone())?;
    let acceptors = crate::tls::listeners::build(&config.server, &flag)?;
    // Bound here, or taken over from the running process (`--upgrade`).
    let mut sockets = crate::upgrade::Sockets::take(&config.server, upgrade)?;
    let (listeners, listen) = sockets.listeners(&config.server, &shard_cpus, &acceptors)?;
    let driver = config.server.driver;
    let uring = config.server.uring.clone();
    let profile = config.server.profile.clone();
    let snapshot = Arc::new(Snapshot::with_tls(config)?);
    let metrics: Vec<Arc<ShardMetrics>> = (0..shards)
        .map(|i| Arc::new(ShardMetrics::new(i, &snapshot)))
        .collect();
    let health = crate::health::start(Arc::clone(&snapshot), generation.clone())?;
    let published = crate::reload::live::Published {
        snapshot: Arc::clone(&snapshot),
        shards: metrics.clone(),
        health,
    };
    let mut reload = crate::reload::Wiring::new(published, shards);

    let admin = match snapshot.config.server.admin {
        Some(addr) => Some(crate::admin::start(
            sockets.admin(addr)?,
            &reload,
            flag.clone(),
        )?),
        None => None,
    };

    let access_log = match &snapshot.config.server.access_log {
        Some(cfg) => {
            let writer = crate::access_log::writer::start(cfg)?;
            // SIGUSR1: reopen the log file (after logrotate moved it).
            signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&writer.reopen))
                .map_err(ProxyError::Signals)?;
            Some(writer)
        }
        None => None,
    };

    let tracing_cfg = snapshot.config.server.tracing.as_ref();
    let exporter = crate::trace::start(tracing_cfg)?;

    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Result<(), ProxyError>>(shards);
    let mut handles: Vec<JoinHandle<()>> = Vec::with_capacity(shards);
    for (index, (shard_listeners, metrics)) in listeners.into_iter().zip(metrics.iter()).enumerate()
    {
        let cpu = pin::cpu_for_shard(index, &cpus);
        let snapshot = Arc::clone(&snapshot);
        let metrics = Arc::clone(metrics);
        let flag = flag.clone();
        let ready_tx = ready_tx.clone();
        let uring = uring.clone();
        let reloads = reload.receiver(index);
        let log = snapshot
            .config
            .server
            .access_log
            .as_ref()
            .zip(access_log.as_ref())
            .map(|(cfg, w)| crate::access_log::ShardLog::new(cfg, w.tx.clone()));
        let tracer = crate::trace::for_shard(tracing_cfg, exporter.as_ref());
        let handle = std::thread::Builder::new()
            .name(format!("ringgate-shard-{index}"))
            .spawn(move || {
                let pinned = pin::pin_current(cpu);
                info!(shard = index, cpu = ?cpu.map(|c| c.id), pinned, "shard starting");
                runtime::block_on_shard(
                    index,
                    &driver,
                    &uring,
                    |result| {
                        let _ = ready_tx.send(result);
                    },
                    move || {
                        let mut shard = Shard::new(index, snapshot, metrics)
                            .with_access_log(log)
                            .with_tracer(tracer);
                        if let Some(rx) = reloads {
                            shard = shard.with_reloads(rx);
                        }
                        let shard = Rc::new(shard);
                        shard::run(shard, shard_listeners, flag)
                    },
                );
            })
            .map_err(|source| ProxyError::Spawn {
                what: format!("shard {index}"),
                source,
            })?;
        handles.push(handle);
    }
    drop(ready_tx);
    for _ in 0..shards {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                flag.raise();
                return Err(e.into());
            }
            Err(_) => {
                flag.raise();
                return Err(anyhow::anyhow!("a shard exited during startup"));
            }
        }
    }
    reload.start(source, generation, flag.clone())?;
    let started = Started {
        listen: listen.clone(),
        admin,
        shards,
    };
    info!(
        listen = ?listen,
        admin = ?admin,
        shards,
        cpus = ?shard_cpus,
        profile = profile.as_deref().unwrap_or("none"),
        driver = ?driver,
        uring = %runtime::uring::describe(&uring),
        "ringgate ready"
    );
    on_started(&started);
    // Now the old process (after an upgrade) may drain; serve the next
    // upgrade (the guard removes the socket file when this function ends).
    let _upgrade_socket = sockets.serve(&flag);

    if let Some(signal) = signals.forever().next() {
        info!(signal, "signal received, draining");
    }
    flag.raise();
    // A second signal means "stop now".
    let _ = std::thread::Builder::new()
        .name("ringgate-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                warn!(signal, "second signal, exiting without drain");
                std::process::exit(130);
            }
        });
    let mut failed = false;
    for (index, handle) in handles.into_iter().enumerate() {
        if handle.join().is_err() {
            error!(shard = index, "shard panicked");
            failed = true;
        }
    }
    info!("all shards stopped");
    if let Some(writer) = access_log {
        // Every shard flushed its buffer before it stopped.
        writer.stop();
    }
    if let Some(exporter) = exporter {
        exporter.stop();
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
