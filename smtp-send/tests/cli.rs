//! `smtp-send` as a user runs it: the binary, its output and its exit status.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

fn smtp_send(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(args)
        .output()
        .expect("run smtp-send");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn with_no_arguments_it_delivers_to_the_embedded_loopback_server() {
    let (code, out) = smtp_send(&[]);
    assert_eq!(code, 0, "{out}");
    for want in [
        "embedded loopback server at 127.0.0.1:",
        "C: EHLO localhost",
        "S: 250 CHUNKING",
        "C: MAIL FROM:<sender@example.org> SIZE=",
        "C: BDAT ",
        "=> recipient@example.net: accepted",
        "=> message accepted: 250 2.0.0 stored",
        "the loopback server stored",
    ] {
        assert!(out.contains(want), "{want:?} missing in\n{out}");
    }
}

#[test]
fn json_is_one_object_per_line_then_the_result() {
    let (code, out) = smtp_send(&[
        "--json",
        "--no-chunking",
        "--to",
        "x@example.net",
        "--to",
        "y@example.net",
    ]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines
        .iter()
        .any(|v| v["event"] == "client" && v["line"] == "DATA"));
    assert!(lines
        .iter()
        .any(|v| v["event"] == "server" && v["code"] == 354));
    let result = lines.last().unwrap();
    assert_eq!(result["ok"], true);
    assert_eq!(result["error"], serde_json::Value::Null);
    let rcpts = result["recipients"].as_array().unwrap();
    assert_eq!(rcpts.len(), 2);
    assert_eq!(rcpts[1]["to"], "y@example.net");
    assert_eq!(rcpts[1]["code"], 250);
    assert_eq!(rcpts[1]["enhanced"], "2.1.5");
}

#[test]
fn a_refused_recipient_exits_1_with_the_server_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut out = sock.try_clone().unwrap();
        let mut input = BufReader::new(sock);
        out.write_all(b"220 refuser ESMTP\r\n").unwrap();
        let mut line = String::new();
        while input.read_line(&mut line).unwrap_or(0) > 0 {
            let reply: &[u8] = match line.get(..4).unwrap_or("") {
                "EHLO" => b"250-refuser\r\n250 ENHANCEDSTATUSCODES\r\n",
                "MAIL" => b"250 2.1.0 ok\r\n",
                "RCPT" => b"550 5.1.1 no such user\r\n",
                "QUIT" => b"221 bye\r\n",
                _ => b"503 5.5.1 no\r\n",
            };
            out.write_all(reply).unwrap();
            if line.starts_with("QUIT") {
                break;
            }
            line.clear();
        }
    });
    let (code, out) = smtp_send(&[
        "--server",
        &addr,
        "--tls",
        "none",
        "--to",
        "gone@example.net",
        "--json",
    ]);
    server.join().unwrap();
    assert_eq!(code, 1, "{out}");
    let result: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(result["ok"], false);
    let r = &result["recipients"][0];
    assert_eq!(
        (r["ok"].clone(), r["code"].clone(), r["permanent"].clone()),
        (false.into(), 550.into(), true.into())
    );
    assert_eq!(result["error"]["kind"], "status");
    assert_eq!(result["error"]["command"], "RCPT");
}

#[test]
fn auth_without_tls_or_opt_in_never_sends_the_password() {
    let child = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--auth", "PLAIN", "--user", "u", "--json"])
        .env("SMTP_SEND_PASSWORD", "hunter2")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&child.stdout);
    assert_eq!(child.status.code(), Some(1), "{out}");
    assert!(
        !out.contains("hunter2") && !out.contains("AHUAaHVudGVyMg"),
        "{out}"
    );
    let result: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(result["error"]["kind"], "auth");
}
