//! Basic authentication end to end: an htpasswd file of bcrypt hashes
//! made by Apache's `htpasswd -nbB`,
//! curl `-u`, the user forwarded as a header and the credentials not.

use ringgate_tests::auth::{assert_identity, curl_i, htpasswd_line, start_behind, Files};
use ringgate_tests::client::Conn;
use ringgate_tests::gateway::Gateway;
use ringgate_tests::origin::Origin;

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
    let gw = start_behind(
        &o,
        &format!(
            r#"[[routes]]
name = "staff"
upstream = "o"
auth = {{ basic = {{ htpasswd = "{users}", realm = "staff", forward_as = "x-user" }} }}
"#
        ),
    );
    (o, gw)
}

#[test]
fn basic_missing_wrong_and_right() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let (status, head, _) = curl_i(&[&gw.url("/")]);
    assert_eq!(status, 401);
    assert!(
        head.contains("WWW-Authenticate: Basic realm=\"staff\", charset=\"UTF-8\""),
        "{head}"
    );
    let (status, _, _) = curl_i(&["-u", "alice:guess", &gw.url("/")]);
    assert_eq!(status, 401);
    let (status, _, _) = curl_i(&["-u", "nobody:wonderland", &gw.url("/")]);
    assert_eq!(status, 401);
    assert_eq!(o.request_count(), 0);

    for _ in 0..3 {
        let (status, head, _) = curl_i(&[
            "-u",
            "alice:wonderland",
            "-H",
            "X-User: root",
            &gw.url("/x"),
        ]);
        assert_eq!(status, 200, "{head}");
    }
    let seen = o.last_request();
    assert_identity(&seen, "x-user", "alice");
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
