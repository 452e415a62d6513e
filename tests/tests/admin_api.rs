//! The JSON admin API: config version and load time, routes, upstreams with
//! each target's live state, and the bearer token that guards `/admin/`.

use std::time::Duration;

use ringgate_tests::auth::{curl_i, sha256sum, Files};
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::{curl, Blackhole};
use ringgate_tests::wait_until;
use serde_json::Value;

/// GET `path` on the admin listener: (status, headers, body).
fn get(gw: &Gateway, path: &str, token: Option<&str>) -> (u16, String, String) {
    let url = format!("http://{}{path}", gw.admin());
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let mut args = vec!["-s", url.as_str()];
    if let Some(h) = &auth {
        args.extend(["-H", h.as_str()]);
    }
    curl_i(&args)
}

fn json(gw: &Gateway, path: &str, token: Option<&str>) -> Value {
    let (status, head, body) = get(gw, path, token);
    assert_eq!(status, 200, "{path}: {head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{path}: {head}"
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}\n{body}"))
}

#[test]
fn views_show_routes_upstreams_and_target_state() {
    let good = Origin::echo("good");
    let dead = Blackhole::start();
    let gw = Gateway::builder()
        .admin()
        .config(&format!(
            "{}\n[upstreams.api.circuit_breaker]\nconsecutive_failures = 1\nopen_for = \"30s\"\n\
             [[routes]]\nname = \"api\"\npath_prefix = \"/api\"\nmethods = [\"GET\"]\nupstream = \"api\"\n\
             [[routes]]\nname = \"exact\"\npath = \"/ping\"\nhost = \"*.example.com\"\nupstream = \"api\"\n",
            upstream(
                "api",
                &[good.addr(), dead.addr()],
                "balance = \"round_robin\"\nconnect_timeout = \"300ms\"\nresponse_timeout = \"300ms\""
            )
        ))
        .start();

    let config = json(&gw, "/admin/config", None);
    assert_eq!(config["version"], 1, "{config}");
    assert_eq!(config["routes"], 2, "{config}");
    assert_eq!(config["upstreams"], 1, "{config}");
    let loaded = config["loaded_at"].as_str().expect("loaded_at");
    assert!(
        loaded.len() >= 20 && loaded.ends_with('Z') && loaded.contains('T'),
        "loaded_at is not RFC 3339: {loaded}"
    );

    let routes = json(&gw, "/admin/routes", None);
    let routes = routes.as_array().expect("routes array");
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0]["name"], "api");
    assert_eq!(routes[0]["path"]["prefix"], "/api");
    assert_eq!(routes[0]["methods"][0], "GET");
    assert_eq!(routes[0]["upstream"], "api");
    assert_eq!(routes[1]["path"]["exact"], "/ping");
    assert_eq!(routes[1]["host"], "*.example.com");

    let ups = json(&gw, "/admin/upstreams", None);
    let targets = ups[0]["targets"].as_array().expect("targets");
    assert_eq!(ups[0]["name"], "api");
    assert_eq!(ups[0]["balance"], "round_robin");
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[1]["addr"], dead.addr().to_string());
    for t in targets {
        assert_eq!(t["breaker"], "closed", "{t}");
        assert_eq!(t["health"], "unchecked", "{t}");
        assert_eq!(t["in_flight"], 0, "{t}");
    }

    // Traffic opens the dead target's breaker; the view shows it.
    let opened = wait_until(Duration::from_secs(10), || {
        let _ = curl(&["-s", "-o", "/dev/null", &gw.url("/api/x")]);
        let ups = json(&gw, "/admin/upstreams", None);
        ups[0]["targets"][1]["breaker"] == "open"
    });
    let ups = json(&gw, "/admin/upstreams", None);
    assert!(opened, "the dead target's breaker never showed open: {ups}");
    assert_eq!(ups[0]["targets"][1]["usable"], false, "{ups}");
    assert_eq!(ups[0]["targets"][0]["breaker"], "closed", "{ups}");
    assert_eq!(ups[0]["targets"][0]["usable"], true, "{ups}");
}

#[test]
fn bearer_token_guards_the_admin_api_only() {
    let o = Origin::echo("o");
    let files = Files::new();
    let token = "s3cret-admin-token";
    // The digest comes from coreutils' sha256sum, not from ringgate.
    let tokens = files.write(
        "admin-tokens",
        &format!("# operators\nalice:{}\n", sha256sum(token)),
    );
    let gw = Gateway::builder()
        .admin()
        .server(&format!("admin_token_file = \"{tokens}\""))
        .config(&format!(
            "{}\n[[routes]]\nupstream = \"u\"\n",
            upstream("u", &[o.addr()], "")
        ))
        .start();

    for path in ["/admin/config", "/admin/routes", "/admin/upstreams"] {
        let (status, head, body) = get(&gw, path, None);
        assert_eq!(status, 401, "{path} without a token: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("www-authenticate: bearer realm=\"ringgate-admin\""),
            "{path}: {head}"
        );
        assert_eq!(body, "unauthorized\n");
        let (status, _, _) = get(&gw, path, Some("wrong-token"));
        assert_eq!(status, 401, "{path} with a wrong token");
        json(&gw, path, Some(token));
    }
    // Probes and scrapes stay open.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, head, _) = get(&gw, path, None);
        assert_eq!(status, 200, "{path}: {head}");
    }
    let (status, _, _) = get(&gw, "/admin/nothing-here", Some(token));
    assert_eq!(status, 404);
}

#[test]
fn token_file_errors_name_the_key() {
    let files = Files::new();
    let bad = files.write("tokens", "alice:not-a-digest\n");
    let config = files.write(
        "gw.toml",
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nadmin_token_file = \"{bad}\"\n\
             [upstreams.u]\ntargets = [\"127.0.0.1:1\"]\n[[routes]]\nupstream = \"u\"\n"
        ),
    );
    let out = ringgate_tests::process::run(
        std::process::Command::new(ringgate_tests::gateway::binary())
            .args(["check", "-c", &config]),
        Duration::from_secs(10),
    );
    assert!(!out.status.success(), "check accepted a bad token file");
    let err = out.stderr_text();
    assert!(
        err.contains("server.admin_token_file") && err.contains("line 1"),
        "error does not name the key and line: {err}"
    );
}
