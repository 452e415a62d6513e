//! The route `auth` table: accepted configs load their files relative to
//! the config's folder; refused ones name the key path and the file problem.

use std::path::Path;

use super::{fixture_path, temp_dir};
use crate::auth::{sha256_hex, AuthKind};
use crate::config::{load_file, load_str_in, Config};

fn config(auth: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstreams.u]\ntargets = [\"127.0.0.1:9001\"]\n\
         [[routes]]\nupstream = \"u\"\nauth = {auth}\n"
    )
}

fn load_in(dir: &Path, auth: &str) -> Result<Config, Vec<String>> {
    load_str_in(&config(auth), Some(dir)).map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

fn refused(dir: &Path, auth: &str) -> Vec<String> {
    match load_in(dir, auth) {
        Ok(_) => panic!("accepted {auth}"),
        Err(errors) => errors,
    }
}

fn assert_refused(dir: &Path, auth: &str, want: &str) {
    let errors = refused(dir, auth);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(want) || e.contains(want)),
        "{auth}\nwant: {want}\ngot: {errors:#?}"
    );
}

fn setup() -> std::path::PathBuf {
    let dir = temp_dir("config");
    std::fs::write(
        dir.join("keys.txt"),
        format!("alice:{}\n", sha256_hex(b"k")),
    )
    .unwrap();
    let hash = bcrypt::hash("pw", 4).unwrap();
    std::fs::write(dir.join("users.htpasswd"), format!("alice:{hash}\n")).unwrap();
    std::fs::copy(fixture_path("rsa1.pub.pem"), dir.join("key.pem")).unwrap();
    std::fs::copy(fixture_path("rsa1.jwk.json"), dir.join("jwks.json")).unwrap();
    dir
}

#[test]
fn each_kind_is_accepted() {
    let dir = setup();
    let config = load_in(
        &dir,
        r#"{ api_key = { keys_file = "keys.txt", query = "api_key", forward_as = "X-Consumer" } }"#,
    )
    .unwrap();
    let auth = config.routes[0].auth.as_deref().unwrap();
    let AuthKind::ApiKey(api_key) = &auth.kind else {
        panic!("{auth:?}")
    };
    assert_eq!(api_key.header, None, "query only");
    assert_eq!(api_key.realm, "ringgate");
    assert_eq!(auth.strip, vec!["x-consumer".to_owned()]);
    assert_eq!(auth.strip_query.as_deref(), Some("api_key"));
    let config = load_in(&dir, r#"{ api_key = { keys_file = "keys.txt" } }"#).unwrap();
    let auth = config.routes[0].auth.as_deref().unwrap();
    assert_eq!(
        auth.strip,
        vec!["x-api-key".to_owned()],
        "the default header is a credential"
    );

    for file in ["key.pem", "jwks.json"] {
        let text = format!(
            r#"{{ jwt = {{ keys_file = "{file}", algorithms = ["RS256"], issuer = "i", audience = ["a", "b"], leeway = "0s", forward_claims = {{ sub = "x-user" }} }} }}"#
        );
        let config = load_in(&dir, &text).unwrap();
        let auth = config.routes[0].auth.as_deref().unwrap();
        let AuthKind::Jwt(jwt) = &auth.kind else {
            panic!("{auth:?}")
        };
        assert_eq!(jwt.rules.leeway, 0);
        assert_eq!(jwt.rules.audiences, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(jwt.rules.required, vec!["exp".to_owned()]);
        assert_eq!(jwt.keys.load().len(), 1);
        assert_eq!(
            auth.strip,
            vec!["x-user".to_owned(), "authorization".to_owned()]
        );
    }
    let config = load_in(&dir, r#"{ jwt = { jwks_url = "http://127.0.0.1:9/keys", refresh = "200ms", algorithms = ["ES256", "EdDSA"], forward_credentials = true } }"#).unwrap();
    let auth = config.routes[0].auth.as_deref().unwrap();
    let AuthKind::Jwt(jwt) = &auth.kind else {
        panic!("{auth:?}")
    };
    let source = jwt.jwks.as_ref().unwrap();
    assert_eq!(
        (source.authority.as_str(), source.path.as_str()),
        ("127.0.0.1:9", "/keys")
    );
    assert!(auth.strip.is_empty());

    let config = load_in(
        &dir,
        r#"{ basic = { htpasswd = "users.htpasswd", realm = "staff", forward_as = "x-user" } }"#,
    )
    .unwrap();
    assert_eq!(
        config.routes[0].auth.as_deref().unwrap().kind_name(),
        "basic"
    );

    let config = load_in(&dir, r#"{ forward = { url = "http://127.0.0.1:9000/check/", timeout = "250ms", response_headers = ["X-User"] } }"#).unwrap();
    let auth = config.routes[0].auth.as_deref().unwrap();
    let AuthKind::Forward(forward) = &auth.kind else {
        panic!("{auth:?}")
    };
    assert_eq!(forward.path, "/check");
    assert_eq!(forward.host, "127.0.0.1:9000");
    assert_eq!(
        forward.request_headers,
        vec!["authorization".to_owned(), "cookie".to_owned()]
    );
    assert_eq!(auth.strip, vec!["x-user".to_owned()]);
}

#[test]
fn files_resolve_against_the_config_folder() {
    let dir = setup();
    let file = dir.join("gateway.toml");
    std::fs::write(&file, config(r#"{ api_key = { keys_file = "keys.txt" } }"#)).unwrap();
    assert!(load_file(&file).is_ok());
    let absolute = dir.join("keys.txt").display().to_string();
    let elsewhere = temp_dir("elsewhere");
    assert!(load_in(
        &elsewhere,
        &format!(r#"{{ api_key = {{ keys_file = "{absolute}" }} }}"#)
    )
    .is_ok());
}

#[test]
fn refusals_name_the_key_and_the_file_problem() {
    let dir = setup();
    std::fs::write(dir.join("bad-keys.txt"), "alice:123\n").unwrap();
    std::fs::write(dir.join("md5.htpasswd"), "bob:$apr1$x$y\n").unwrap();
    let cases = [
        ("{ }", "routes[0].auth: set exactly one of api_key, jwt, basic, forward; found none"),
        (r#"{ api_key = { keys_file = "keys.txt" }, basic = { htpasswd = "users.htpasswd" } }"#, "routes[0].auth: set exactly one of api_key, jwt, basic, forward; found api_key and basic"),
        (r#"{ api_key = { keys_file = "keys.txt", heder = "x" } }"#, "routes[0].auth.api_key.heder: unknown field `heder`"),
        (r#"{ oauth = { } }"#, "routes[0].auth.oauth: unknown field `oauth`"),
        (r#"{ api_key = { } }"#, "routes[0].auth.api_key: missing field `keys_file`"),
        (r#"{ api_key = { keys_file = "nope.txt" } }"#, "routes[0].auth.api_key.keys_file: cannot read \""),
        (r#"{ api_key = { keys_file = "bad-keys.txt" } }"#, "bad-keys.txt\" line 1: \"123\" is not 64 hex digits"),
        (r#"{ api_key = { keys_file = "keys.txt", forward_as = "Host" } }"#, "routes[0].auth.api_key.forward_as: \"host\" cannot carry an identity"),
        (r#"{ api_key = { keys_file = "keys.txt", query = "a&b" } }"#, "routes[0].auth.api_key.query: \"a&b\" is not a valid query parameter name"),
        (r#"{ api_key = { keys_file = "keys.txt", realm = "a\"b" } }"#, "routes[0].auth.api_key.realm: must be printable ASCII"),
        (r#"{ basic = { htpasswd = "md5.htpasswd" } }"#, "md5.htpasswd\" line 1: user \"bob\": only bcrypt hashes"),
        (r#"{ jwt = { keys_file = "key.pem" } }"#, "routes[0].auth.jwt.algorithms: required"),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["none"] } }"#, "routes[0].auth.jwt.algorithms[0]: \"none\" (unsigned tokens) is never accepted"),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["RS256", "XS1"] } }"#, "routes[0].auth.jwt.algorithms[1]: unknown algorithm \"XS1\""),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["ES256"] } }"#, "routes[0].auth.jwt.keys_file: holds no key for the algorithms [ES256]"),
        (r#"{ jwt = { algorithms = ["RS256"] } }"#, "routes[0].auth.jwt: set keys_file, jwks_url or both"),
        (r#"{ jwt = { jwks_url = "http://idp/keys", jwks_tls = { ca = "ca.pem" }, algorithms = ["RS256"] } }"#, "routes[0].auth.jwt.jwks_tls: only used with an https:// jwks_url"),
        (r#"{ jwt = { jwks_url = "https://idp/keys", jwks_tls = { protocols = ["SSLv3"] }, algorithms = ["RS256"] } }"#, "routes[0].auth.jwt.jwks_tls.protocols[0]"),
        (r#"{ jwt = { jwks_url = "https://idp/keys", jwks_tls = { cafile = "x" }, algorithms = ["RS256"] } }"#, "unknown field `cafile`"),
        (r#"{ forward = { url = "https://x/" } }"#, "routes[0].auth.forward.url: https forward-auth URLs are not supported yet"),
        (r#"{ jwt = { keys_file = "key.pem", refresh = "1m", algorithms = ["RS256"] } }"#, "routes[0].auth.jwt.refresh: only used with jwks_url"),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["RS256"], leeway = "10" } }"#, "routes[0].auth.jwt.leeway: invalid duration"),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["RS256"], issuer = 5 } }"#, "routes[0].auth.jwt.issuer"),
        (r#"{ jwt = { keys_file = "key.pem", algorithms = ["RS256"], forward_claims = { sub = "x user" } } }"#, "routes[0].auth.jwt.forward_claims.sub: \"x user\" is not a valid header name"),
        (r#"{ forward = { timeout = "1s" } }"#, "routes[0].auth.forward: missing field `url`"),
        (r#"{ forward = { url = "ftp://x/" } }"#, "routes[0].auth.forward.url: \"ftp://x/\" is not an http:// URL"),
        (r#"{ forward = { url = "http://127.0.0.1:9000/", response_headers = ["content-length"] } }"#, "routes[0].auth.forward.response_headers[0]: \"content-length\" cannot carry an identity"),
    ];
    for (auth, want) in cases {
        assert_refused(&dir, auth, want);
    }
}
