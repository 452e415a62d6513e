//! `ktls = "auto" | "on" | "off"` against what the kernel can do, decided
//! once per listener at startup.
//!
//! - `off`: userspace rustls, the kernel is not asked;
//! - `auto`: kTLS when the probe finds the "tls" ULP, per connection only
//!   for ciphers the kernel takes (others stay on rustls); rustls without;
//! - `on`: like `auto`, but a kernel without kTLS stops startup with a
//!   message that says how to get it.

use super::Support;
use ringgate_core::config::tls::KtlsMode;

/// What the kernel offers, for the listener's startup log line.
pub fn describe(mode: KtlsMode) -> String {
    match mode {
        KtlsMode::Off => "not asked".to_owned(),
        _ => super::support().describe(),
    }
}

/// The kernel support a listener uses (`None`: rustls only), or why `on`
/// cannot be honoured.
pub fn decide(mode: KtlsMode) -> Result<Option<&'static Support>, String> {
    if mode == KtlsMode::Off {
        return Ok(None);
    }
    let support = super::support();
    match (mode, support.available()) {
        (_, true) => Ok(Some(support)),
        (KtlsMode::On, false) => Err(format!(
            "\"on\" but this kernel has no kTLS: {}; load it with `modprobe tls` \
             (CONFIG_TLS), or set ktls = \"auto\" to fall back to userspace rustls",
            support.describe()
        )),
        _ => Ok(None),
    }
}
