//! `server.upgrade_socket`: off by default, a path resolved against the
//! config's folder, refused when it cannot be a Unix socket path.

use super::*;
use std::path::{Path, PathBuf};

fn with(socket: &str) -> String {
    format!("{MINIMAL}upgrade_socket = \"{socket}\"\n")
}

#[test]
fn upgrade_socket_is_off_by_default() {
    assert_eq!(load_str(MINIMAL).unwrap().server.upgrade_socket, None);
}

#[test]
fn upgrade_socket_resolves_against_the_config_folder() {
    let base = Path::new("/etc/ringgate");
    let relative = load_str_in(&with("run/up.sock"), Some(base)).unwrap();
    assert_eq!(
        relative.server.upgrade_socket,
        Some(PathBuf::from("/etc/ringgate/run/up.sock"))
    );
    let absolute = load_str_in(&with("/run/ringgate/upgrade.sock"), Some(base)).unwrap();
    assert_eq!(
        absolute.server.upgrade_socket,
        Some(PathBuf::from("/run/ringgate/upgrade.sock"))
    );
}

#[test]
fn upgrade_socket_must_fit_a_unix_socket_address() {
    let long = format!("/run/{}", "x".repeat(110));
    for text in [with(""), with(&long)] {
        let errors = errors(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("server.upgrade_socket: a Unix socket path of 1 to 107 bytes"),
            "{errors:?}"
        );
    }
}
