//! The demo's sample microservices: tiny JSON HTTP/1.1 servers on loopback
//! ports, one thread per connection, parsed with the gateway's own codec.
//! They exist so `ringgate demo` shows real proxying with nothing else
//! installed; they are not meant to be fast.

use crate::blocking::{self, Head};
use bytes::BytesMut;
use ringgate_core::http1::{BodyKind, Limits, RequestHead};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;
use tracing::debug;

/// Where the services listen.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub users: SocketAddr,
    pub orders: SocketAddr,
    pub catalog: SocketAddr,
}

const LIMITS: Limits = Limits {
    max_header_bytes: 16 * 1024,
    max_headers: 100,
    max_uri_bytes: 8 * 1024,
};

#[derive(Debug, Clone, Copy)]
enum Service {
    Users,
    Orders,
    Catalog,
}

/// Start the three services on free loopback ports.
pub fn start() -> std::io::Result<Ports> {
    Ok(Ports {
        users: spawn(Service::Users)?,
        orders: spawn(Service::Orders)?,
        catalog: spawn(Service::Catalog)?,
    })
}

fn spawn(service: Service) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::Builder::new()
        .name(format!("demo-{service:?}").to_lowercase())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = std::thread::Builder::new().spawn(move || {
                    if let Err(error) = serve(stream, service) {
                        debug!(%error, ?service, "demo service connection ended");
                    }
                });
            }
        })?;
    Ok(addr)
}

fn serve(mut stream: TcpStream, service: Service) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let head = match blocking::read_head(&mut stream, &mut buf, &LIMITS)? {
            Head::Request(head) => head,
            Head::Closed => return Ok(()),
            Head::Invalid(_) => {
                return reply(&mut stream, 400, "{\"error\":\"bad request\"}", false)
            }
        };
        let body = read_body(&mut stream, &mut buf, &head)?;
        let (status, json) = answer(service, &head, &body);
        let keep = head.keep_alive();
        reply(&mut stream, status, &json, keep)?;
        if !keep {
            return Ok(());
        }
    }
}

fn read_body(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    head: &RequestHead,
) -> std::io::Result<Vec<u8>> {
    let BodyKind::Length(n) = head.body() else {
        return Ok(Vec::new());
    };
    let n = usize::try_from(n.min(64 * 1024)).unwrap_or(0);
    let mut chunk = [0u8; 4096];
    while buf.len() < n {
        let got = stream.read(&mut chunk)?;
        if got == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..got).unwrap_or_default());
    }
    let take = n.min(buf.len());
    Ok(buf.split_to(take).to_vec())
}

fn answer(service: Service, head: &RequestHead, body: &[u8]) -> (u16, String) {
    let path = String::from_utf8_lossy(head.path()).into_owned();
    let method = String::from_utf8_lossy(head.method()).into_owned();
    match (service, method.as_str(), path.as_str()) {
        (Service::Users, "GET", "/users") => (
            200,
            r#"[{"id":1,"name":"Ada Lovelace"},{"id":2,"name":"Alan Turing"},{"id":3,"name":"Grace Hopper"}]"#.into(),
        ),
        (Service::Users, "GET", p) if p.starts_with("/users/") => {
            let id = p.trim_start_matches("/users/");
            match id {
                "1" => (200, r#"{"id":1,"name":"Ada Lovelace"}"#.into()),
                "2" => (200, r#"{"id":2,"name":"Alan Turing"}"#.into()),
                "3" => (200, r#"{"id":3,"name":"Grace Hopper"}"#.into()),
                _ => (404, format!(r#"{{"error":"no user {}"}}"#, id.escape_default())),
            }
        }
        (Service::Orders, "GET", p) if p.starts_with("/orders") => (
            200,
            r#"[{"id":101,"user":1,"item":"notebook"},{"id":102,"user":2,"item":"teleprinter"}]"#.into(),
        ),
        (Service::Orders, "POST", "/orders") => (
            201,
            format!(r#"{{"id":103,"received_bytes":{}}}"#, body.len()),
        ),
        (Service::Catalog, "GET", "/items") | (Service::Catalog, "GET", "/") => (
            200,
            r#"[{"sku":"nb-1","name":"notebook","price":4.5},{"sku":"tp-2","name":"teleprinter","price":1200}]"#.into(),
        ),
        _ => (404, format!(r#"{{"error":"no such resource","path":"{}"}}"#, path.escape_default())),
    }
}

fn reply(stream: &mut TcpStream, status: u16, json: &str, keep_alive: bool) -> std::io::Result<()> {
    let reason = ringgate_core::status::reason_phrase(status);
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {conn}\r\n\r\n",
        json.len() + 1
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(json.as_bytes())?;
    stream.write_all(b"\n")
}
