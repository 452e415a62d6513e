//! Chunked bodies both ways, with curl and Python's http.client as clients.

use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::pattern;
use ringgate_tests::process::{curl, python};

/// Chunk sizes the origin sends: tiny, odd, and larger than a read buffer.
const SIZES: [usize; 8] = [1, 10, 1000, 65_536, 100_000, 7, 250_000, 3];

fn total() -> usize {
    SIZES.iter().sum()
}

fn setup() -> (Origin, Gateway) {
    let o = Origin::start("o", |req| {
        if req.path() == "/chunked-down" {
            let all = pattern::bytes(total());
            let mut chunks = Vec::new();
            let mut at = 0;
            for n in SIZES {
                chunks.push(all[at..at + n].to_vec());
                at += n;
            }
            Reply::Chunked {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                chunks,
            }
        } else {
            Reply::echo("o", req)
        }
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

#[test]
fn curl_chunked_upload() {
    let (o, gw) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("up.bin");
    std::fs::write(&file, pattern::bytes(300_000)).expect("write upload file");
    let out = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        "Expect:",
        "--data-binary",
        &format!("@{}", file.display()),
        &gw.url("/chunked-up"),
    ]);
    out.assert_success("curl chunked upload");
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).expect("echo JSON");
    assert_eq!(echo["body_len"], 300_000);
    assert_eq!(echo["body_pattern_ok"], true);
    let req = o.last_request();
    assert_eq!(req.body_len, 300_000);
    assert!(req.body_pattern_ok, "origin got corrupted bytes");
}

#[test]
fn python_chunked_upload() {
    let (o, gw) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("up.bin");
    std::fs::write(&file, pattern::bytes(200_001)).expect("write upload file");
    let script = r#"
import http.client, json, sys
port, path = int(sys.argv[1]), sys.argv[2]
def pieces():
    with open(path, "rb") as f:
        for size in [5, 4096, 70000, 1, 100000]:
            yield f.read(size)
        yield f.read()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
conn.request("POST", "/py-up", body=pieces(), encode_chunked=True,
             headers={"Transfer-Encoding": "chunked"})
r = conn.getresponse()
body = r.read()
assert r.status == 200, (r.status, body)
echo = json.loads(body)
print(echo["body_len"], echo["body_pattern_ok"])
"#;
    let out = python(
        script,
        &[&gw.addr().port().to_string(), &file.display().to_string()],
    );
    out.assert_success("python chunked upload");
    assert_eq!(out.stdout_text().trim(), "200001 True");
    assert!(o.last_request().body_pattern_ok);
}

#[test]
fn curl_chunked_download() {
    let (_o, gw) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("down.bin");
    let out = curl(&[
        "-o",
        &file.display().to_string(),
        "-w",
        "%{http_code}",
        &gw.url("/chunked-down"),
    ]);
    out.assert_success("curl chunked download");
    assert_eq!(out.stdout_text(), "200");
    let got = std::fs::read(&file).expect("read download");
    assert_eq!(got.len(), total(), "downloaded length");
    assert!(got == pattern::bytes(total()), "downloaded bytes differ");
}

#[test]
fn python_chunked_download() {
    let (_o, gw) = setup();
    let script = r#"
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(2):
    conn.request("GET", "/chunked-down")
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, r.status
sys.stdout.buffer.write(body)
"#;
    let out = python(script, &[&gw.addr().port().to_string()]);
    out.assert_success("python chunked download");
    assert_eq!(out.stdout.len(), total(), "downloaded length");
    assert!(
        out.stdout == pattern::bytes(total()),
        "downloaded bytes differ"
    );
}
