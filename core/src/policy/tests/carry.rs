//! [`Policies::carry_over`]: what a reload keeps and what starts fresh,
//! with routes and upstreams moved to other indices.

use std::sync::Arc;

use crate::config::{load_str, Config};
use crate::policy::{limiter_id, Policies};

fn config(upstreams: &[(&str, &str, &str)], routes: &[(&str, &str, &str)]) -> Config {
    let mut text = String::from("[server]\nlisten = \"127.0.0.1:8080\"\n");
    for (name, target, extra) in upstreams {
        text += &format!("[upstreams.{name}]\ntargets = [\"{target}\"]\n{extra}\n");
    }
    for (name, upstream, extra) in routes {
        text += &format!("[[routes]]\nname = \"{name}\"\nupstream = \"{upstream}\"\n{extra}\n");
    }
    load_str(&text).unwrap()
}

const BREAKER: &str = "circuit_breaker = { consecutive_failures = 3 }";
const LIMIT: &str = "rate_limit = { rate = \"10/s\", key = \"client_ip\" }";

#[test]
fn unchanged_pieces_are_shared_across_new_indices_and_changed_ones_are_fresh() {
    let old = config(
        &[("a", "127.0.0.1:1", BREAKER), ("b", "127.0.0.1:2", BREAKER)],
        &[("ra", "a", LIMIT), ("rb", "b", LIMIT)],
    );
    let old_p = Policies::new(&old, 7);
    // b moved first and kept; a changed its target; ra moved and kept; rb
    // changed its limit; rc is new.
    let new = config(
        &[("b", "127.0.0.1:2", BREAKER), ("a", "127.0.0.1:3", BREAKER)],
        &[
            ("rc", "a", ""),
            ("ra", "a", LIMIT),
            (
                "rb",
                "b",
                "rate_limit = { rate = \"20/s\", key = \"client_ip\" }",
            ),
        ],
    );
    let p = Policies::carry_over(&new, &old, &old_p, 9);
    assert!(Arc::ptr_eq(&p.table, &old_p.table));
    assert!(Arc::ptr_eq(&p.upstreams[0], &old_p.upstreams[1]), "b kept");
    assert!(
        !Arc::ptr_eq(&p.upstreams[1], &old_p.upstreams[0]),
        "a fresh"
    );
    assert!(Arc::ptr_eq(&p.routes[1], &old_p.routes[0]), "ra kept");
    assert!(!Arc::ptr_eq(&p.routes[2], &old_p.routes[1]), "rb fresh");
    assert!(p.routes[0].rate_limit.is_none());
    // Limiter ids follow the name and the limit, not the index.
    let ra = new.routes[1].rate_limit.as_ref().unwrap();
    assert_eq!(
        limiter_id("ra", ra),
        limiter_id("ra", old.routes[0].rate_limit.as_ref().unwrap())
    );
    let rb_old = old.routes[1].rate_limit.as_ref().unwrap();
    let rb_new = new.routes[2].rate_limit.as_ref().unwrap();
    assert_ne!(limiter_id("rb", rb_old), limiter_id("rb", rb_new));
    assert_ne!(limiter_id("ra", ra), limiter_id("rb", rb_old));
}

#[test]
fn a_new_table_size_starts_a_new_table() {
    let old = config(&[("a", "127.0.0.1:1", "")], &[("r", "a", "")]);
    let old_p = Policies::new(&old, 1);
    let mut new = old.clone();
    new.server.rate_limit_table_size *= 2;
    let p = Policies::carry_over(&new, &old, &old_p, 1);
    assert!(!Arc::ptr_eq(&p.table, &old_p.table));
    assert!(Arc::ptr_eq(&p.upstreams[0], &old_p.upstreams[0]));
}
