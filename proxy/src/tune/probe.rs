//! Probes that ask the kernel instead of guessing from its version: each
//! io_uring setup flag is tried by creating a small ring with it, the
//! supported opcodes come from IORING_REGISTER_PROBE, and CPU accept
//! steering is tried by attaching the steering program to a throwaway
//! SO_REUSEPORT group on 127.0.0.1.

use io_uring::{opcode, IoUring, Probe};

/// One setup-flag combination and whether the kernel accepted it.
#[derive(Debug, Clone)]
pub struct FlagProbe {
    /// Name as in `[server.uring]` terms, e.g. `defer_taskrun`.
    pub name: &'static str,
    /// The kernel's error when it refused.
    pub error: Option<String>,
}

impl FlagProbe {
    /// Whether the ring was created.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Try each setup flag the gateway can use.
pub fn setup_flags() -> Vec<FlagProbe> {
    type Setup = fn(&mut io_uring::Builder);
    let cases: [(&'static str, Setup); 7] = [
        ("plain", |_| {}),
        ("coop_taskrun", |b| {
            b.setup_coop_taskrun();
        }),
        ("taskrun_flag", |b| {
            b.setup_coop_taskrun().setup_taskrun_flag();
        }),
        ("single_issuer", |b| {
            b.setup_single_issuer();
        }),
        ("defer_taskrun", |b| {
            b.setup_single_issuer().setup_defer_taskrun();
        }),
        ("sqpoll", |b| {
            b.setup_sqpoll(100);
        }),
        ("sqpoll_cpu", |b| {
            b.setup_sqpoll(100).setup_sqpoll_cpu(first_allowed_cpu());
        }),
    ];
    cases
        .iter()
        .map(|(name, setup)| {
            let mut builder = IoUring::builder();
            setup(&mut builder);
            FlagProbe {
                name,
                error: builder.build(8).err().map(|e| e.to_string()),
            }
        })
        .collect()
}

fn first_allowed_cpu() -> u32 {
    crate::runtime::pin::allowed_cpus()
        .first()
        .and_then(|c| u32::try_from(c.id).ok())
        .unwrap_or(0)
}

/// The opcodes a gateway cares about, by name.
const OPCODES: &[(&str, u8)] = &[
    ("accept", opcode::Accept::CODE),
    ("connect", opcode::Connect::CODE),
    ("recv", opcode::Recv::CODE),
    ("send", opcode::Send::CODE),
    ("read", opcode::Read::CODE),
    ("write", opcode::Write::CODE),
    ("readv", opcode::Readv::CODE),
    ("writev", opcode::Writev::CODE),
    ("recvmsg", opcode::RecvMsg::CODE),
    ("sendmsg", opcode::SendMsg::CODE),
    ("send_zc", opcode::SendZc::CODE),
    ("sendmsg_zc", opcode::SendMsgZc::CODE),
    ("poll_add", opcode::PollAdd::CODE),
    ("async_cancel", opcode::AsyncCancel::CODE),
    ("timeout", opcode::Timeout::CODE),
    ("link_timeout", opcode::LinkTimeout::CODE),
    ("close", opcode::Close::CODE),
    ("shutdown", opcode::Shutdown::CODE),
    ("splice", opcode::Splice::CODE),
    ("socket", opcode::Socket::CODE),
    ("provide_buffers", opcode::ProvideBuffers::CODE),
    ("msg_ring", opcode::MsgRingData::CODE),
];

/// The supported opcodes, or why they could not be probed.
pub fn opcodes() -> Result<Vec<(&'static str, bool)>, String> {
    let ring = IoUring::new(8).map_err(|e| format!("cannot create a ring: {e}"))?;
    let mut probe = Probe::new();
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(|e| format!("IORING_REGISTER_PROBE failed: {e}"))?;
    Ok(OPCODES
        .iter()
        .map(|&(name, code)| (name, probe.is_supported(code)))
        .collect())
}

/// Whether the CPU steering program attaches to a SO_REUSEPORT group.
pub fn cpu_steering() -> Result<(), String> {
    let tcp = ringgate_core::config::Tcp::default();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let first = crate::listener::bind_tuned(any, &tcp).map_err(|e| e.to_string())?;
    let addr = first.local_addr().map_err(|e| e.to_string())?;
    let _second = crate::listener::bind_tuned(addr, &tcp).map_err(|e| e.to_string())?;
    let prog = crate::sockopt::cpu_steering_program(&[0, 1]);
    crate::sockopt::attach_reuseport_cbpf(&first, &prog).map_err(|e| e.to_string())
}
