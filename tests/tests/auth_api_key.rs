//! API key authentication end to end: the real gateway with a keys file of
//! SHA-256 digests (made with `sha256sum`), curl and Python clients, and an
//! echo origin that shows what was forwarded.

use ringgate_tests::auth::{assert_identity, curl_i, sha256sum, Files};
use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::Origin;
use ringgate_tests::process::{curl, python};

fn setup(files: &Files) -> (Origin, Gateway) {
    let keys = files.write(
        "keys.txt",
        &format!(
            "# test consumers\nalice:{}\nbob:{}\n",
            sha256sum("alice-secret-key"),
            sha256sum("bob-secret-key")
        ),
    );
    let o = Origin::echo("o");
    let gw = Gateway::builder()
        .admin()
        .config(&format!(
            r#"{}
[[routes]]
name = "keys"
path_prefix = "/api"
upstream = "o"
auth = {{ api_key = {{ header = "x-api-key", query = "api_key", keys_file = "{keys}", forward_as = "x-consumer", realm = "api" }} }}

[[routes]]
name = "open"
path_prefix = "/open"
upstream = "o"
"#,
            upstream("o", &[o.addr()], "")
        ))
        .start();
    (o, gw)
}

#[test]
fn api_key_missing_wrong_and_right() {
    let files = Files::new();
    let (o, gw) = setup(&files);

    let (status, head, body) = curl_i(&[&gw.url("/api/users")]);
    assert_eq!(status, 401, "{head}");
    assert!(
        head.contains("WWW-Authenticate: Key realm=\"api\""),
        "{head}"
    );
    assert_eq!(body, "authentication required\n");

    let (status, head, body) = curl_i(&["-H", "X-API-Key: guessed", &gw.url("/api/users")]);
    assert_eq!(status, 401, "{head}");
    assert_eq!(body, "invalid credentials\n");
    assert_eq!(
        o.request_count(),
        0,
        "refused requests never reach the origin"
    );

    let (status, head, _) = curl_i(&[
        "-H",
        "X-API-Key: alice-secret-key",
        "-H",
        "X-Consumer: mallory",
        &gw.url("/api/users?page=2"),
    ]);
    assert_eq!(status, 200, "{head}");
    let seen = o.last_request();
    assert_identity(&seen, "x-consumer", "alice");
    assert_eq!(seen.header("x-api-key"), None, "the key is not forwarded");
    assert_eq!(seen.target, "/api/users?page=2");

    // Routes without auth are untouched, spoofable headers and all.
    let (status, _, _) = curl_i(&["-H", "X-Consumer: anyone", &gw.url("/open")]);
    assert_eq!(status, 200);
    assert_eq!(o.last_request().header("x-consumer"), Some("anyone"));

    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    let metrics = Metrics::parse(&out.stdout_text()).expect("metrics");
    let rejected = metrics.sum(
        "ringgate_auth_rejections_total",
        &[("route", "keys"), ("auth", "api_key")],
    );
    assert_eq!(rejected, 2.0);
}

#[test]
fn api_key_in_the_query_is_removed_before_forwarding() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let script = r#"
import http.client, sys, json
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/api/orders?api_key=bob-secret-key&x=1", headers={"X-Consumer": "spoof"})
r = c.getresponse()
print(r.status, json.loads(r.read())["target"])
c.request("GET", "/api/orders?api_key=nope")
r = c.getresponse()
print(r.status, r.getheader("WWW-Authenticate"))
r.read()
"#;
    let out = python(script, &[&gw.addr().port().to_string()]);
    out.assert_success("python");
    let lines: Vec<String> = out.stdout_text().lines().map(str::to_owned).collect();
    assert_eq!(lines, vec!["200 /api/orders?x=1", "401 Key realm=\"api\""]);
    let seen = &o.requests()[0];
    assert_eq!(seen.header_all("x-consumer"), vec!["bob"]);
}

#[test]
fn a_401_keeps_the_connection_alive() {
    let files = Files::new();
    let (_o, gw) = setup(&files);
    let mut conn = Conn::open(gw.addr());
    let first = conn.get("/api/a").expect("first");
    assert_eq!(first.status, 401);
    assert_eq!(first.header("connection"), None);
    let second = conn
        .request(
            "GET",
            "localhost",
            "/api/a",
            &[("x-api-key", "alice-secret-key")],
            b"",
        )
        .expect("second on the same connection");
    assert_eq!(second.status, 200);
}

#[test]
fn hash_key_prints_a_keys_file_line() {
    let binary = ringgate_tests::gateway::binary().display().to_string();
    let out = ringgate_tests::process::run(
        std::process::Command::new("sh").args([
            "-c",
            "printf '%s\\n' alice-secret-key | \"$1\" hash-key alice",
            "sh",
            &binary,
        ]),
        std::time::Duration::from_secs(10),
    );
    out.assert_success("ringgate hash-key");
    assert_eq!(
        out.stdout_text(),
        format!("alice:{}\n", sha256sum("alice-secret-key"))
    );
}
