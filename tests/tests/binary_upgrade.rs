//! Zero-downtime binary upgrade: `ringgate -c FILE --upgrade` takes the
//! listening sockets over from the running process through
//! `server.upgrade_socket`; the old process drains and exits 0, and a load
//! generator running all along sees no error of any kind.
//!
//! (`upgrade.rs` is the HTTP `Upgrade:` tunnel; this is the process upgrade.)

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{self, one_route, Gateway, GatewayBuilder};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process;
use ringgate_tests::ringload::Ringload;
use ringgate_tests::wait_until;

/// The load tests measure rates: one at a time. (A `Mutex` in test code is
/// outside the gateway's no-locks rule.)
#[allow(clippy::disallowed_types)]
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

const DRAIN: Duration = Duration::from_secs(5);
/// The old process's log line once the new one took over.
const HANDED_OVER: &str = "upgrade: the new process serves; stopping accepting and draining";

/// A gateway with an upgrade socket, in front of `origin`.
struct Setup {
    sockdir: tempfile::TempDir,
    origin: Origin,
    old: Gateway,
}

impl Setup {
    fn start(shards: usize, origin: Origin) -> Setup {
        let sockdir = tempfile::tempdir().expect("tempdir");
        let old = builder(sockdir.path(), shards, &origin).start();
        Setup {
            sockdir,
            origin,
            old,
        }
    }

    fn socket(&self) -> PathBuf {
        self.sockdir.path().join("upgrade.sock")
    }

    /// The config of a process with `shards` on the old one's addresses.
    fn config(&self, shards: usize) -> String {
        builder(self.sockdir.path(), shards, &self.origin)
            .render(self.old.addr(), Some(self.old.admin()))
    }

    /// Start `ringgate --config TEXT --upgrade` and wait until its pid
    /// answers on the admin listener.
    fn upgrade(&self, config: &str) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ringgate.toml");
        std::fs::write(&file, config).expect("write config");
        let args = vec![
            "--config".to_string(),
            file.display().to_string(),
            "--upgrade".to_string(),
        ];
        let mut new = Gateway::spawn(dir, &args, self.old.addr(), Some(self.old.admin()));
        let pid = new.pid();
        // The new admin thread answers before the handover; the old
        // process stops accepting on it once told the new one is ready.
        let answered = wait_until(Duration::from_secs(10), || {
            self.old.stderr().contains(HANDED_OVER) && admin_pid(self.old.admin()) == Some(pid)
        });
        new.assert_alive();
        assert!(
            answered,
            "the new process (pid {pid}) never answered /admin/config\nnew stderr:\n{}",
            new.stderr()
        );
        new
    }
}

fn builder(sockdir: &Path, shards: usize, origin: &Origin) -> GatewayBuilder {
    Gateway::builder()
        .shards(shards)
        .admin()
        .server(&format!("drain_timeout = \"{}s\"", DRAIN.as_secs()))
        .server(&format!(
            "upgrade_socket = \"{}\"",
            sockdir.join("upgrade.sock").display()
        ))
        .config(&one_route(&[origin.addr()], "", ""))
}

/// The pid `/admin/config` reports on a fresh connection.
fn admin_pid(admin: SocketAddr) -> Option<u32> {
    let mut conn = Conn::connect(admin).ok()?;
    let resp = conn.get("/admin/config").ok()?;
    resp.json()["pid"]
        .as_u64()
        .and_then(|p| u32::try_from(p).ok())
}

fn curl_status(url: &str) -> String {
    let out = process::curl(&["-o", "/dev/null", "-w", "%{http_code}", url]);
    out.stdout_text()
}

/// Asserts the old process exits 0 within its drain time.
fn assert_exits_zero(old: &mut Gateway) {
    let status = old.wait_exit(DRAIN + Duration::from_secs(3));
    assert!(
        status.is_some_and(|s| s.success()),
        "old process: {status:?}\nstderr:\n{}",
        old.stderr()
    );
}

/// Zero errors of every class and only 200s, about `expected` of them.
fn assert_clean(r: &Ringload, expected: u64) {
    let j = &r.json;
    for class in ["connect", "read", "write", "timeout", "protocol"] {
        assert_eq!(j["errors"][class], 0, "{class} errors: {}", j["errors"]);
    }
    let requests = r.u64("/requests");
    let status = j["status"].as_object().expect("status object");
    assert_eq!(status.len(), 1, "statuses other than 200: {status:?}");
    assert_eq!(j["status"]["200"], requests, "{status:?}");
    // The rate is not the point (a debug build on a busy 2-core box may
    // fall behind it): the load must have run through the upgrade.
    assert!(
        requests >= expected / 3,
        "{requests} requests, expected about {expected}\n{}",
        r.out.stdout_text()
    );
}

/// ringload at a steady open-loop rate for 6 s; two upgrades mid-run, to
/// `new_shards` and back, each new process taking over from the last.
fn upgrade_under_load(old_shards: usize, new_shards: usize, extra: &[&str]) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    let mut s = Setup::start(old_shards, origin);
    let url = s.old.url("/");
    let mut args = vec!["-c", "8", "-d", "6s", "--rate", "1000", "--timeout", "5s"];
    args.extend_from_slice(extra);
    args.push(&url);
    let load = Ringload::spawn(&args);
    for shards in [new_shards, old_shards] {
        std::thread::sleep(Duration::from_millis(1500));
        let new = s.upgrade(&s.config(shards));
        let new_pid = new.pid();
        let mut old = std::mem::replace(&mut s.old, new);
        assert_exits_zero(&mut old);
        let old_log = old.stderr();
        assert!(
            old_log.contains(HANDED_OVER) && old_log.contains(&format!("new_pid={new_pid}")),
            "{old_log}"
        );
        let new_log = s.old.stderr();
        assert!(
            new_log.contains("upgrade done: the old process stopped accepting and drains")
                && new_log.contains(&format!("old_pid={}", old.pid())),
            "{new_log}"
        );
    }
    let r = load.finish(Duration::from_secs(30));
    assert_clean(&r, 6000);
    // Only the last process is left, and it serves.
    assert_eq!(curl_status(&s.old.url("/")), "200");
    assert_eq!(admin_pid(s.old.admin()), Some(s.old.pid()));
    // Each old process left the socket file to its successor; the last
    // one removes it when it stops.
    assert!(s.socket().exists());
    s.old.signal("TERM");
    assert!(
        s.old.wait_exit(DRAIN).is_some_and(|st| st.success()),
        "{}",
        s.old.stderr()
    );
    assert!(!s.socket().exists());
}

#[test]
fn upgrade_under_keepalive_load_loses_no_request() {
    upgrade_under_load(2, 1, &[]);
}

#[test]
fn upgrade_under_connection_per_request_load_loses_no_request() {
    upgrade_under_load(1, 2, &["--no-keepalive"]);
}

#[test]
fn request_in_flight_on_the_old_process_completes_after_the_handover() {
    let origin = Origin::start("slow", |req| {
        if req.path() == "/slow" {
            Reply::Delay(Duration::from_secs(2), Box::new(Reply::text(200, "slow")))
        } else {
            Reply::text(200, "ok")
        }
    });
    let mut s = Setup::start(1, origin);
    // A readiness probe connection to the old process, kept open.
    let mut probe = Conn::open(s.old.admin());
    assert_eq!(probe.get("/readyz").expect("readyz").status, 200);
    let mut slow = Conn::open(s.old.addr());
    slow.send(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let new = s.upgrade(&s.config(1));
    // The old process drains: not ready, while the slow request runs on.
    let ready = probe.get("/readyz").expect("readyz on the old process");
    assert_eq!(
        (ready.status, ready.text()),
        (503, "draining\n".to_string())
    );
    assert!(
        s.old.is_alive(),
        "the old process left before its request ended"
    );
    assert_eq!(curl_status(&s.old.url("/fast")), "200");
    let resp = slow.read_response("GET").expect("the slow response");
    assert_eq!((resp.status, resp.text()), (200, "slow".to_string()));
    assert!(resp.has_token("connection", "close"), "{:?}", resp.headers);
    assert_exits_zero(&mut s.old);
    assert!(started.elapsed() < DRAIN, "{:?}", started.elapsed());
    assert_eq!(admin_pid(s.old.admin()), Some(new.pid()));
}

#[test]
fn failed_new_process_leaves_the_old_one_serving() {
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    let mut s = Setup::start(1, origin);
    let dir = tempfile::tempdir().expect("tempdir");
    let run_upgrade = |config: &str| {
        let file = dir.path().join("new.toml");
        std::fs::write(&file, config).expect("write config");
        process::run(
            Command::new(gateway::binary())
                .arg("--config")
                .arg(&file)
                .arg("--upgrade"),
            Duration::from_secs(20),
        )
    };
    // A config that does not load: refused before the old process is asked.
    let bad = run_upgrade(&format!("{}\n[server.tcp]\nnodelayy = true\n", s.config(1)));
    assert!(!bad.status.success());
    assert!(
        bad.stderr_text().contains("nodelayy"),
        "{}",
        bad.stderr_text()
    );
    // A config that loads but cannot start: its second listener is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = taken.local_addr().expect("addr");
    let config = s.config(1).replacen(
        &format!("listen = \"{}\"", s.old.addr()),
        &format!("listen = [\"{}\", \"{busy}\"]", s.old.addr()),
        1,
    );
    let failed = run_upgrade(&config);
    assert!(!failed.status.success());
    assert!(
        failed
            .stderr_text()
            .contains(&format!("cannot listen on {busy}")),
        "{}",
        failed.stderr_text()
    );
    assert!(
        wait_until(Duration::from_secs(5), || s.old.stderr().contains(
            "upgrade aborted: the new process exited before it was ready"
        )),
        "{}",
        s.old.stderr()
    );
    // The old process serves on, and still takes a good upgrade after that.
    s.old.assert_alive();
    assert_eq!(curl_status(&s.old.url("/")), "200");
    assert_eq!(admin_pid(s.old.admin()), Some(s.old.pid()));
    let new = s.upgrade(&s.config(1));
    assert_exits_zero(&mut s.old);
    assert_eq!(curl_status(&s.old.url("/")), "200");
    assert_eq!(admin_pid(s.old.admin()), Some(new.pid()));
}

#[test]
fn upgrade_socket_is_owner_only_and_refuses_another_user() {
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    let s = Setup::start(1, origin);
    let path = s.socket();
    let mode = std::fs::metadata(&path)
        .expect("socket file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    // A fresh start on the same socket is refused: the gateway is live.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("second.toml");
    let second_listen = ringgate_tests::free_addr();
    let second_admin = ringgate_tests::free_addr();
    std::fs::write(
        &file,
        builder(s.sockdir.path(), 1, &s.origin).render(second_listen, Some(second_admin)),
    )
    .expect("write");
    let out = process::run(
        Command::new(gateway::binary()).arg("--config").arg(&file),
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    assert!(
        out.stderr_text()
            .contains("belongs to a running process; start with --upgrade"),
        "{}",
        out.stderr_text()
    );
    // SO_PEERCRED: a peer of another uid gets nothing. Only root can run one.
    if !process::run(Command::new("id").arg("-u"), Duration::from_secs(5))
        .stdout_text()
        .trim()
        .eq("0")
    {
        eprintln!("not root: the other-uid peer check is not exercised");
        return;
    }
    // Open the folder and the file to everyone, so only SO_PEERCRED is left.
    std::fs::set_permissions(s.sockdir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let script = r#"
import os, socket, sys, json
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.send(json.dumps({"msg": "take", "pid": os.getpid()}).encode())
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(4 * 64))
    print(len(data), len(anc))
except (ConnectionResetError, BrokenPipeError) as e:
    print("reset")
"#;
    let out = process::python(script, &[path.to_str().expect("utf-8 path")]);
    out.assert_success("python other-uid peer");
    // Closed (EOF) or reset with our message unread: no byte, no descriptor.
    let got = out.stdout_text();
    assert!(
        matches!(got.trim(), "0 0" | "reset"),
        "the peer got {got:?}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || {
            let log = s.old.stderr();
            log.contains("upgrade refused: the peer runs as another user")
                && log.contains("peer_uid=65534")
        }),
        "{}",
        s.old.stderr()
    );
    assert_eq!(curl_status(&s.old.url("/")), "200");
}

#[test]
fn upgrade_without_a_socket_in_the_config_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("g.toml");
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    std::fs::write(
        &file,
        Gateway::builder()
            .config(&one_route(&[origin.addr()], "", ""))
            .render(ringgate_tests::free_addr(), None),
    )
    .expect("write");
    let out = process::run(
        Command::new(gateway::binary())
            .arg("--config")
            .arg(&file)
            .arg("--upgrade"),
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    assert!(
        out.stderr_text()
            .contains("--upgrade needs server.upgrade_socket"),
        "{}",
        out.stderr_text()
    );
}

#[test]
fn a_stale_upgrade_socket_is_replaced_on_a_fresh_start() {
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    let s = Setup::start(1, origin);
    let Setup {
        sockdir,
        origin,
        old,
    } = s;
    // SIGKILL: the socket file stays behind, with nobody listening.
    drop(old);
    let path = sockdir.path().join("upgrade.sock");
    assert!(path.exists());
    let mut fresh = builder(sockdir.path(), 1, &origin).start();
    fresh.assert_alive();
    assert!(
        wait_until(Duration::from_secs(5), || fresh
            .stderr()
            .contains("upgrade socket listening")),
        "{}",
        fresh.stderr()
    );
    assert_eq!(curl_status(&fresh.url("/")), "200");
}

#[test]
fn tls_listener_new_certificate_new_address_and_cpu_steering_after_an_upgrade() {
    let pki = ringgate_tests::tls::Pki::generate("DNS:site.test,IP:127.0.0.1");
    let (new_cert, new_key) = pki.issue("renewed", "renewed.test", "DNS:site.test");
    let origin = Origin::start("o", |_| Reply::text(200, "ok"));
    let sockdir = tempfile::tempdir().expect("tempdir");
    let socket = sockdir.path().join("upgrade.sock");
    let (plain, tls, added, admin) = (
        ringgate_tests::free_addr(),
        ringgate_tests::free_addr(),
        ringgate_tests::free_addr(),
        ringgate_tests::free_addr(),
    );
    let d = pki.dir().display();
    let config = |shards: usize, cert: &str, key: &str, more: &str, tcp: &str| {
        format!(
            "[server]\nshards = {shards}\nadmin = \"{admin}\"\ndrain_timeout = \"5s\"\n\
             upgrade_socket = \"{}\"\n\
             listen = [\"{plain}\", {{ addr = \"{tls}\", tls = {{ cert = \"{cert}\", key = \"{key}\" }} }}{more}]\n\
             {tcp}\n{}",
            socket.display(),
            one_route(&[origin.addr()], "", "")
        )
    };
    let mut old = ringgate_tests::tls::gateway(
        &config(
            1,
            &format!("{d}/server.pem"),
            &format!("{d}/server.key"),
            "",
            "",
        ),
        plain,
        Some(admin),
    );
    let cn = |addr: SocketAddr| {
        let out = ringgate_tests::tls::s_client(addr, &["-servername", "site.test"]);
        ringgate_tests::tls::served_cn(&out.stdout_text())
    };
    assert_eq!(cn(tls).as_deref(), Some("localhost"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("new.toml");
    std::fs::write(
        &file,
        config(
            2,
            &new_cert.display().to_string(),
            &new_key.display().to_string(),
            &format!(", \"{added}\""),
            "[server.tcp]\nsteering = \"cpu\"",
        ),
    )
    .expect("write");
    let args = vec![
        "--config".to_string(),
        file.display().to_string(),
        "--upgrade".to_string(),
    ];
    let new = Gateway::spawn(dir, &args, added, Some(admin));
    assert_exits_zero(&mut old);
    let log = new.stderr();
    for line in [
        format!("took over the listening sockets listener={plain} adopted=1 bound=1 shards=2 steering=Cpu"),
        format!("took over the listening sockets listener={tls} adopted=1 bound=1 shards=2 steering=Cpu"),
        format!("took over the admin listener admin={admin}"),
    ] {
        assert!(log.contains(&line), "no {line:?} in\n{log}");
    }
    // The same TLS port, now with the new process's certificate.
    assert_eq!(cn(tls).as_deref(), Some("renewed.test"));
    for addr in [plain, added] {
        assert_eq!(curl_status(&format!("http://{addr}/")), "200", "{addr}");
    }
    assert_eq!(admin_pid(admin), Some(new.pid()));
}
