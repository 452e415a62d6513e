//! `ringgate demo`: the gateway in front of three small sample services
//! (users, orders, catalog) that this same binary serves on loopback ports.
//!
//! The services are plain threads with blocking sockets ([`services`]); the
//! gateway in front of them is the real one, started from the bundled
//! config template `demo.toml` with the services' ports filled in.

pub mod services;

use crate::cli::DemoOpts;
use std::process::ExitCode;

/// The bundled config; `{users}`, `{orders}`, `{catalog}`, `{listen}`,
/// `{admin}` and `{shards}` are filled in at start.
pub const TEMPLATE: &str = include_str!("demo.toml");

/// Render the demo config for the given addresses.
pub fn config_text(opts: &DemoOpts, ports: &services::Ports) -> String {
    TEMPLATE
        .replace("{listen}", &opts.listen.to_string())
        .replace("{admin}", &opts.admin.to_string())
        .replace("{shards}", &opts.shards.to_string())
        .replace("{users}", &ports.users.to_string())
        .replace("{orders}", &ports.orders.to_string())
        .replace("{catalog}", &ports.catalog.to_string())
}

/// Start the services and the gateway; run until SIGINT/SIGTERM.
pub fn run(opts: &DemoOpts) -> anyhow::Result<ExitCode> {
    let ports = services::start()?;
    let text = config_text(opts, &ports);
    let config = ringgate_core::config::load_str(&text)
        .map_err(|e| anyhow::anyhow!("bundled demo config is invalid (a bug):\n{e}"))?;
    crate::server::run(config, |started| {
        let gw = started
            .listen
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        println!(
            "ringgate demo: gateway on http://{gw} ({} shard(s))",
            started.shards
        );
        println!(
            "  sample services: users {} · orders {} · catalog {}",
            ports.users, ports.orders, ports.catalog
        );
        println!();
        println!("Try:");
        println!("  curl -s http://{gw}/users");
        println!("  curl -s http://{gw}/users/2");
        println!("  curl -s http://{gw}/orders?user=1");
        println!("  curl -s -X POST -d '{{\"item\":\"book\"}}' http://{gw}/orders");
        println!("  curl -s http://{gw}/catalog/items");
        println!("  curl -s -i http://{gw}/nowhere          # 404: no route");
        if let Some(admin) = started.admin {
            println!("  curl -s http://{admin}/metrics | grep ringgate_requests_total");
        }
        println!();
        println!("Config in use:\n{text}");
        println!("Ctrl-C to stop.");
    })
}
