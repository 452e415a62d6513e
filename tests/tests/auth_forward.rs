//! Forward authentication end to end: a test auth service decides, 2xx
//! answers let requests through with chosen headers, other answers reach
//! the client as sent, and a dead or slow service gets 502 or 504.

use std::time::Duration;

use ringgate_tests::auth::{assert_identity, start_behind};
use ringgate_tests::client::{one_shot, Conn};
use ringgate_tests::free_addr;
use ringgate_tests::gateway::Gateway;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process::curl;

fn auth_service() -> Origin {
    Origin::start("auth", |req| {
        if req
            .header("x-forwarded-uri")
            .is_some_and(|u| u.starts_with("/login-first"))
        {
            return Reply::Full {
                status: 302,
                headers: vec![
                    ("Location".into(), "https://login.test/?next=/".into()),
                    ("Set-Cookie".into(), "state=abc; HttpOnly".into()),
                    ("X-Internal".into(), "secret".into()),
                ],
                body: b"redirecting".to_vec(),
            };
        }
        match req.header("authorization") {
            Some("Bearer good") => Reply::Full {
                status: 200,
                headers: vec![
                    ("X-User".into(), "alice".into()),
                    ("X-Auth-Debug".into(), "no".into()),
                ],
                body: Vec::new(),
            },
            _ => Reply::Full {
                status: 401,
                headers: vec![
                    ("WWW-Authenticate".into(), "Bearer realm=\"svc\"".into()),
                    ("Content-Type".into(), "text/plain".into()),
                ],
                body: b"go away".to_vec(),
            },
        }
    })
}

fn gateway(o: &Origin, url: &str, timeout: &str) -> Gateway {
    start_behind(
        o,
        &format!(
            r#"[[routes]]
upstream = "o"
auth = {{ forward = {{ url = "{url}", timeout = "{timeout}", request_headers = ["authorization", "cookie"], response_headers = ["x-user"] }} }}
"#
        ),
    )
}

#[test]
fn forward_auth_allows_refuses_and_redirects() {
    let svc = auth_service();
    let o = Origin::echo("o");
    let gw = gateway(&o, &format!("http://{}/check", svc.addr()), "2s");

    let mut conn = Conn::open(gw.addr());
    for _ in 0..3 {
        let ok = conn
            .request(
                "GET",
                "front.test",
                "/api/x?y=1",
                &[
                    ("Authorization", "Bearer good"),
                    ("Cookie", "s=1"),
                    ("X-User", "mallory"),
                    ("X-Other", "o"),
                ],
                b"",
            )
            .expect("allowed request");
        assert_eq!(ok.status, 200, "{}", ok.text());
    }
    let seen = o.last_request();
    assert_identity(&seen, "x-user", "alice");
    assert_eq!(
        seen.header("x-auth-debug"),
        None,
        "only chosen response headers are copied"
    );
    assert_eq!(seen.header("authorization"), Some("Bearer good"));
    let asked = svc.last_request();
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.target, "/check/api/x?y=1");
    assert_eq!(asked.header("x-forwarded-method"), Some("GET"));
    assert_eq!(asked.header("x-forwarded-uri"), Some("/api/x?y=1"));
    assert_eq!(asked.header("x-forwarded-host"), Some("front.test"));
    assert_eq!(asked.header("cookie"), Some("s=1"));
    assert_eq!(
        asked.header("x-other"),
        None,
        "only chosen client headers are sent"
    );
    assert_eq!(
        svc.accepted(),
        1,
        "the auth service connection is kept alive"
    );

    let out = curl(&["-i", "-H", "Authorization: Bearer bad", &gw.url("/api/x")]);
    let text = out.stdout_text();
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.contains("WWW-Authenticate: Bearer realm=\"svc\""),
        "{text}"
    );
    assert!(text.ends_with("go away"), "{text}");

    let r = one_shot(gw.addr(), "GET", "localhost", "/login-first", &[], b"");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("https://login.test/?next=/"));
    assert_eq!(r.header("set-cookie"), Some("state=abc; HttpOnly"));
    assert_eq!(r.header("x-internal"), None);
    assert_eq!(r.text(), "redirecting");
    assert_eq!(
        o.request_count(),
        3,
        "refused requests never reach the origin"
    );
}

#[test]
fn forward_auth_service_down_or_slow() {
    let o = Origin::echo("o");
    let down = gateway(&o, &format!("http://{}/check", free_addr()), "2s");
    let r = one_shot(
        down.addr(),
        "GET",
        "localhost",
        "/",
        &[("Authorization", "Bearer good")],
        b"",
    );
    assert_eq!(r.status, 502);
    assert_eq!(r.text(), "auth service unreachable\n");
    assert!(down.stderr().contains("forward-auth service failed"));

    let slow_svc = Origin::start("slow", |_| {
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::empty(200)))
    });
    let slow = gateway(&o, &format!("http://{}/", slow_svc.addr()), "300ms");
    let r = one_shot(slow.addr(), "GET", "localhost", "/", &[], b"");
    assert_eq!(r.status, 504);
    assert_eq!(r.text(), "auth service timed out\n");
    assert_eq!(o.request_count(), 0);
}
