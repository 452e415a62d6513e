//! Files a config names (key lists, htpasswd, JWT keys, admin tokens): read
//! and parsed while the config is validated, so a missing or bad file is a
//! config error that names both the key and the file. Relative names
//! resolve against the config file's folder.

use std::path::{Path, PathBuf};

use super::super::error::Errors;

/// The file `name` (relative to `base` when relative and `base` is known).
pub(super) fn resolve(base: Option<&Path>, name: &str) -> PathBuf {
    match base {
        Some(base) if Path::new(name).is_relative() => base.join(name),
        _ => PathBuf::from(name),
    }
}

/// Reads the file named at `path`; an error names the key and the file.
pub(super) fn read(
    base: Option<&Path>,
    errors: &mut Errors,
    path: &str,
    name: &str,
) -> Option<(PathBuf, Vec<u8>)> {
    let file = resolve(base, name);
    match std::fs::read(&file) {
        Ok(bytes) => Some((file, bytes)),
        Err(error) => {
            errors.push(path, format!("cannot read \"{}\": {error}", file.display()));
            None
        }
    }
}

/// Reads and parses the file named at `path`, naming the file in a parse error.
pub(super) fn load<T>(
    base: Option<&Path>,
    errors: &mut Errors,
    path: &str,
    name: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Option<T> {
    let (file, bytes) = read(base, errors, path, name)?;
    errors.check(
        path,
        parse(&bytes).map_err(|problem| format!("\"{}\" {problem}", file.display())),
    )
}

/// Like [`load`] for a UTF-8 text file.
pub(super) fn load_text<T>(
    base: Option<&Path>,
    errors: &mut Errors,
    path: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    load(base, errors, path, name, |bytes| {
        std::str::from_utf8(bytes)
            .map_err(|_| "is not UTF-8 text".to_owned())
            .and_then(parse)
    })
}
