//! Unit tests of authentication.
