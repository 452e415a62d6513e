//! Load balancing: round robin alternates, weights give their ratio,
//! consistent hashing by a header keeps a key on one target.

use std::collections::{BTreeMap, BTreeSet};

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::Gateway;
use ringgate_tests::origin::Origin;

fn origins_served(gw: &Gateway, n: usize, extra: &[(&str, &str)]) -> Vec<String> {
    // One keep-alive connection: one shard, one balancer state.
    let mut conn = Conn::open(gw.addr());
    (0..n)
        .map(|i| {
            let r = conn
                .request("GET", "lb.test", &format!("/lb/{i}"), extra, b"")
                .unwrap_or_else(|e| panic!("request {i}: {e}"));
            assert_eq!(r.status, 200, "request {i}: {}", r.text());
            r.origin().expect("x-origin").to_string()
        })
        .collect()
}

#[test]
fn round_robin_alternates() {
    let (a, b) = (Origin::echo("a"), Origin::echo("b"));
    let gw = Gateway::start(&format!(
        r#"[upstreams.pair]
targets = ["{}", "{}"]
balance = "round_robin"

[[routes]]
path_prefix = "/lb"
upstream = "pair"
"#,
        a.addr(),
        b.addr()
    ));
    let seq = origins_served(&gw, 20, &[]);
    for w in seq.windows(2) {
        assert_ne!(w[0], w[1], "round robin must alternate: {seq:?}");
    }
    assert_eq!(a.request_count(), 10);
    assert_eq!(b.request_count(), 10);
}

#[test]
fn weights_three_to_one() {
    let (a, b) = (Origin::echo("heavy"), Origin::echo("light"));
    let gw = Gateway::start(&format!(
        r#"[upstreams.weighted]
targets = [{{ addr = "{}", weight = 3 }}, "{}"]

[[routes]]
path_prefix = "/lb"
upstream = "weighted"
"#,
        a.addr(),
        b.addr()
    ));
    let seq = origins_served(&gw, 400, &[]);
    let heavy = seq.iter().filter(|o| *o == "heavy").count();
    let light = seq.iter().filter(|o| *o == "light").count();
    assert_eq!(heavy + light, 400);
    // 3:1 of 400 is 300:100; allow a random balancer ~3.5 sigma.
    assert!(
        (270..=330).contains(&heavy),
        "weight 3:1 gave {heavy}:{light}"
    );
}

#[test]
fn consistent_hash_by_header_sticks() {
    let origins = [Origin::echo("h0"), Origin::echo("h1"), Origin::echo("h2")];
    let gw = Gateway::builder()
        .shards(2)
        .config(&format!(
            r#"[upstreams.sticky]
targets = ["{}", "{}", "{}"]
balance = "consistent_hash"
hash_key = "header:x-user"

[[routes]]
path_prefix = "/lb"
upstream = "sticky"
"#,
            origins[0].addr(),
            origins[1].addr(),
            origins[2].addr()
        ))
        .start();
    let mut placed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for round in 0..4 {
        for user in 0..24 {
            let key = format!("user-{user}");
            // A fresh connection each time: stickiness must not depend on
            // the connection or on the shard that accepted it.
            let mut conn = Conn::open(gw.addr());
            let r = conn
                .request(
                    "GET",
                    "lb.test",
                    &format!("/lb/{round}"),
                    &[("X-User", &key), ("Connection", "close")],
                    b"",
                )
                .expect("request");
            assert_eq!(r.status, 200);
            placed
                .entry(key)
                .or_default()
                .insert(r.origin().expect("x-origin").to_string());
        }
    }
    for (user, set) in &placed {
        assert_eq!(set.len(), 1, "{user} was served by {set:?}");
    }
    let used: BTreeSet<&String> = placed.values().flatten().collect();
    assert!(
        used.len() >= 2,
        "24 keys all hashed to {used:?}: the hash ignores the key"
    );
}
