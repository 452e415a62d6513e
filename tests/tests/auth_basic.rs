//! Basic authentication end to end: an htpasswd file of bcrypt hashes,
//! curl `-u`, the user forwarded as a header and the credentials not.

use ringgate_tests::auth::{htpasswd_line, Files};
use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::curl;

fn setup(files: &Files) -> (Origin, Gateway) {
    let users = files.write(
        "users.htpasswd",
        &format!(
            "{}{}",
            htpasswd_line("alice", "wonderland"),
            htpasswd_line("bob", "builder")
        ),
    );
    let o = Origin::echo("o");
    let gw = Gateway::start(&format!(
        r#"{}
[[routes]]
name = "staff"
upstream = "o"
auth = {{ basic = {{ htpasswd = "{users}", realm = "staff", forward_as = "x-user" }} }}
"#,
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

#[test]
fn basic_missing_wrong_and_right() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let status_and_head = |args: &[&str]| {
        let out = curl(&[&["-i"], args].concat());
        out.assert_success("curl");
        let text = out.stdout_text();
        let head = text.split("\r\n\r\n").next().unwrap_or("").to_owned();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head)
    };
    let (status, head) = status_and_head(&[&gw.url("/")]);
    assert_eq!(status, 401);
    assert!(
        head.contains("WWW-Authenticate: Basic realm=\"staff\", charset=\"UTF-8\""),
        "{head}"
    );
    let (status, _) = status_and_head(&["-u", "alice:guess", &gw.url("/")]);
    assert_eq!(status, 401);
    let (status, _) = status_and_head(&["-u", "nobody:wonderland", &gw.url("/")]);
    assert_eq!(status, 401);
    assert_eq!(o.request_count(), 0);

    for _ in 0..3 {
        let (status, head) = status_and_head(&[
            "-u",
            "alice:wonderland",
            "-H",
            "X-User: root",
            &gw.url("/x"),
        ]);
        assert_eq!(status, 200, "{head}");
    }
    let seen = o.last_request();
    assert_eq!(
        seen.header_all("x-user"),
        vec!["alice"],
        "{:?}",
        seen.headers
    );
    assert_eq!(
        seen.header("authorization"),
        None,
        "credentials are not forwarded"
    );
}

#[test]
fn basic_on_one_keep_alive_connection() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let mut conn = Conn::open(gw.addr());
    assert_eq!(conn.get("/").expect("no credentials").status, 401);
    // bob:builder
    let r = conn
        .request(
            "GET",
            "localhost",
            "/",
            &[("Authorization", "Basic Ym9iOmJ1aWxkZXI=")],
            b"",
        )
        .expect("with credentials");
    assert_eq!(r.status, 200);
    assert_eq!(o.last_request().header("x-user"), Some("bob"));
}
