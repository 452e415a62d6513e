//! `/metrics` read by Prometheus's own parser and linter: `promtool check
//! metrics` (Debian's `prometheus` package) on a scrape taken after traffic
//! that moves every family — two shards, routes with rate limits, retries,
//! concurrency limits, access rules and CORS, upstreams with breakers,
//! health checks and outlier ejection, a dead target, 2xx/4xx/5xx answers,
//! span export to a dead receiver.

use std::process::Command;
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::{curl, run};

const PROMTOOL: &str = "promtool";

#[test]
fn every_family_passes_promtool_check_metrics() {
    let o = Origin::echo("o");
    let dead = free_addr();
    let live = upstream(
        "live",
        &[o.addr()],
        "balance = \"p2c_ewma\"\n\
         circuit_breaker = { consecutive_failures = 5, open_for = \"1s\" }\n\
         health_check = { path = \"/healthz\", interval = \"100ms\", timeout = \"100ms\" }\n\
         outlier = { consecutive_failures = 3, base_ejection = \"1s\" }\n",
    );
    let gone = upstream("gone", &[dead], "");
    let gw = Gateway::builder()
        .shards(2)
        .admin()
        .server(&format!(
            "tracing = {{ otlp_endpoint = \"http://{dead}/v1/traces\", flush_interval = \"100ms\" }}"
        ))
        .config(&format!(
            "{live}\n{gone}\n\
             [[routes]]\nname = \"limited\"\npath_prefix = \"/limited\"\nupstream = \"live\"\n\
             rate_limit = {{ rate = \"1/m\", burst = 1 }}\n\
             concurrency = {{ max_in_flight = 4 }}\n\n\
             [[routes]]\nname = \"denied\"\npath_prefix = \"/denied\"\nupstream = \"live\"\n\
             access = {{ deny = [\"127.0.0.0/8\"] }}\n\n\
             [[routes]]\nname = \"retried\"\npath_prefix = \"/gone\"\nupstream = \"gone\"\n\
             retry = {{ attempts = 2 }}\n\n\
             [[routes]]\nname = \"browser\"\npath_prefix = \"/\"\nupstream = \"live\"\n\
             cors = {{ allow_origins = [\"https://app.test\"] }}\n"
        ))
        .start();
    for path in [
        "/",
        "/x",
        "/limited/a",
        "/limited/b",
        "/denied",
        "/gone",
        "/%",
    ] {
        for _ in 0..3 {
            let _ = curl(&["-o", "/dev/null", &gw.url(path)]);
        }
    }
    let _ = curl(&[
        "-o",
        "/dev/null",
        "-X",
        "OPTIONS",
        "-H",
        "Origin: https://app.test",
        "-H",
        "Access-Control-Request-Method: GET",
        &gw.url("/"),
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    out.assert_success("scrape");
    let scrape = out.stdout_text();
    for family in [
        "ringgate_requests_total",
        "ringgate_rate_limited_total",
        "ringgate_retries_total",
        "ringgate_access_denied_total",
        "ringgate_health_checks_total",
        "ringgate_target_response_seconds_bucket",
    ] {
        assert!(scrape.contains(family), "{family} missing:\n{scrape}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("scrape.txt");
    std::fs::write(&file, &scrape).expect("write scrape");
    assert!(
        Command::new(PROMTOOL).arg("--version").output().is_ok(),
        "{PROMTOOL} not found (apt-get install -y --no-install-recommends prometheus)"
    );
    let checked = run(
        Command::new("sh").args([
            "-c",
            "exec promtool check metrics < \"$1\"",
            "sh",
            &file.display().to_string(),
        ]),
        Duration::from_secs(30),
    );
    let said = format!("{}{}", checked.stdout_text(), checked.stderr_text());
    assert!(
        checked.status.success() && said.trim().is_empty(),
        "promtool check metrics: {:?}\n{said}\n--- scrape ---\n{scrape}",
        checked.status
    );
}
