//! `ringgate hash-key NAME`: turn a key on standard input into an API keys
//! file line, `NAME:sha256-hex`, so the key itself never lands in a file or
//! in shell history (`printf %s "$KEY" | sha256sum` gives the same hex).

use std::io::Read;
use std::process::ExitCode;

/// Read the key from stdin and print the line.
pub fn run(name: &str) -> anyhow::Result<ExitCode> {
    if name.is_empty()
        || name.contains(':')
        || !ringgate_core::auth::is_field_value(name.as_bytes())
    {
        anyhow::bail!("the name must be printable text without ':'");
    }
    let mut key = Vec::new();
    std::io::stdin().read_to_end(&mut key)?;
    if key.ends_with(b"\n") {
        key.pop();
        if key.ends_with(b"\r") {
            key.pop();
        }
    }
    if key.is_empty() {
        anyhow::bail!("no key on standard input: `printf %s \"$KEY\" | ringgate hash-key NAME`");
    }
    println!("{name}:{}", ringgate_core::auth::sha256_hex(&key));
    Ok(ExitCode::SUCCESS)
}
