//! The handover protocol over a real socket pair, and the spreading of a
//! received SO_REUSEPORT group over another shard count, on real sockets.

use super::adopt::{self, Received};
use super::unix;
use super::wire::{self, Described, Hello, Reply};
use crate::listener;
use ringgate_core::config::Tcp;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, RawFd};

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn sockets_cross_in_several_messages_each_with_its_description() {
    let (old, new) = unix::pair().expect("socketpair");
    // More than one message's worth of descriptors.
    let count = unix::FDS_PER_MESSAGE + 3;
    let sockets: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind(loopback()).expect("bind"))
        .collect();
    let described: Vec<Described> = sockets
        .iter()
        .enumerate()
        .map(|(i, s)| Described::Listen {
            entry: i,
            configured: loopback(),
            addr: s.local_addr().expect("addr"),
            group: 0,
        })
        .collect();
    let fds: Vec<RawFd> = sockets.iter().map(AsRawFd::as_raw_fd).collect();
    let hello = Hello {
        version: wire::VERSION,
        pid: 42,
        sockets: described,
    };
    let sender = std::thread::spawn(move || wire::send_sockets(&old, &hello, &fds).map(|()| old));
    let (got, pairs) = wire::recv_sockets(&new).expect("receive");
    let old = sender.join().expect("sender").expect("send");
    assert_eq!(got.pid, 42);
    assert_eq!(pairs.len(), count);
    for (described, fd) in pairs {
        let Described::Listen { addr, .. } = described else {
            panic!("not a listener: {described:?}");
        };
        // The same socket: a second descriptor of the one bound above.
        assert_eq!(TcpListener::from(fd).local_addr().expect("addr"), addr);
    }
    wire::send_json(&new, &Reply::Ready { pid: 7, path: None }).expect("send");
    match wire::recv_json::<Reply>(&old).expect("recv") {
        Some(Reply::Ready { pid: 7, path: None }) => {}
        other => panic!("{other:?}"),
    }
    drop(new);
    assert!(wire::recv_json::<Reply>(&old).expect("eof").is_none());
}

/// A group of `n` sockets on one port, as the old process would pass it.
fn group(n: usize) -> Received {
    let (sockets, addr) =
        listener::bind_group(loopback(), &vec![0; n], &Tcp::default()).expect("bind group");
    Received {
        configured: loopback(),
        addr,
        sockets: sockets.into_iter().enumerate().collect(),
    }
}

fn counts(per_shard: &[Vec<crate::shard::Listener>]) -> Vec<usize> {
    per_shard.iter().map(Vec::len).collect()
}

#[test]
fn fewer_shards_accept_on_every_received_socket() {
    let received = group(3);
    let addr = received.addr;
    let (per_shard, listen, kept) = adopt::listeners(
        &[loopback()],
        &Tcp::default(),
        &[0, 1],
        &[None],
        vec![Some(received)],
    )
    .expect("adopt");
    assert_eq!(listen, vec![addr]);
    assert_eq!(counts(&per_shard), vec![2, 1]);
    assert_eq!(kept.first().map(|k| k.sockets.len()), Some(3));
}

#[test]
fn more_shards_add_sockets_to_the_same_group() {
    let received = group(1);
    let addr = received.addr;
    let (per_shard, listen, _) = adopt::listeners(
        &[addr],
        &Tcp::default(),
        &[0, 1, 0],
        &[None],
        vec![Some(received)],
    )
    .expect("adopt");
    assert_eq!(listen, vec![addr]);
    assert_eq!(counts(&per_shard), vec![1, 1, 1]);
    for list in &per_shard {
        for (socket, _) in list {
            assert_eq!(socket.local_addr().expect("addr"), addr);
        }
    }
}

#[test]
fn an_unlisted_address_is_bound_fresh_and_an_unused_group_left_alone() {
    let received = group(2);
    let old_addr = received.addr;
    let (per_shard, listen, _) = adopt::listeners(
        &[SocketAddr::from(([127, 0, 0, 2], 0))],
        &Tcp::default(),
        &[0],
        &[None],
        vec![Some(received)],
    )
    .expect("adopt");
    assert_eq!(counts(&per_shard), vec![1]);
    assert_ne!(listen.first(), Some(&old_addr));
}
