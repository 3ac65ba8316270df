//! What `smtp-send` prints: a readable transcript (server text escaped, AUTH
//! payloads redacted by the engine) or, with `--json`, one JSON object per line
//! written or read and then a result object.

use serde_json::{json, Value};
use smtp_io_std::{Delivery, DriverError};
use smtp_proto::{Error, Escaped, Reply, Trace};

/// Prints one traced exchange.
pub fn trace(t: &Trace, as_json: bool) {
    if as_json {
        let v = match t {
            Trace::Command(line) => json!({"event": "client", "line": line}),
            Trace::Reply(r) => json!({"event": "server", "code": r.code, "lines": lines(r)}),
            Trace::Data { bytes } => json!({"event": "data", "bytes": bytes}),
            _ => return,
        };
        println!("{v}");
        return;
    }
    match t {
        Trace::Command(line) => println!("C: {line}"),
        Trace::Reply(r) => {
            let last = r.line_count() - 1;
            for (i, l) in r.lines().enumerate() {
                let sep = if i < last { '-' } else { ' ' };
                println!("S: {}{sep}{}", r.code, Escaped(l));
            }
        }
        Trace::Data { bytes } => println!("   ({bytes} bytes of message data)"),
        _ => {}
    }
}

fn lines(r: &Reply) -> Vec<String> {
    r.lines()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

fn error_json(e: &Error) -> Value {
    json!({
        "kind": e.kind.as_str(),
        "permanent": e.permanent,
        "code": e.code(),
        "enhanced": e.enhanced().map(|c| c.to_string()),
        "command": e.command.map(|v| v.as_str()),
        "text": e.reply.as_ref().map_or_else(|| e.detail.clone(), Reply::text),
    })
}

fn driver_error_json(e: &DriverError) -> Value {
    match e {
        DriverError::Session(e) => error_json(e),
        other => {
            let kind = match other {
                DriverError::Io(_) => "io",
                DriverError::Usage(_) => "usage",
                DriverError::NoTlsUpgrade => "tls",
                _ => "closed",
            };
            json!({"kind": kind, "permanent": false, "code": null, "enhanced": null,
                   "command": null, "text": other.to_string()})
        }
    }
}

/// Prints how the send ended; returns true when every recipient was accepted.
pub fn result(to: &[String], outcome: &Result<Delivery, DriverError>, as_json: bool) -> bool {
    let ok = outcome.as_ref().is_ok_and(Delivery::all_accepted);
    if as_json {
        let (recipients, error) = match outcome {
            Ok(d) => (
                d.recipients
                    .iter()
                    .zip(to)
                    .map(|(r, to)| match r {
                        Ok(reply) => json!({"to": to, "ok": true, "code": reply.code,
                            "enhanced": reply.enhanced.map(|c| c.to_string()),
                            "permanent": false, "text": reply.text()}),
                        Err(e) => json!({"to": to, "ok": false, "code": e.code(),
                            "enhanced": e.enhanced().map(|c| c.to_string()),
                            "permanent": e.permanent, "text": error_json(e)["text"]}),
                    })
                    .collect::<Vec<_>>(),
                d.result.as_ref().err().map(error_json),
            ),
            Err(e) => (Vec::new(), Some(driver_error_json(e))),
        };
        println!(
            "{}",
            json!({"ok": ok, "recipients": recipients, "error": error})
        );
        return ok;
    }
    match outcome {
        Ok(d) => {
            for (r, to) in d.recipients.iter().zip(to) {
                match r {
                    Ok(reply) => println!("=> {to}: accepted ({reply})"),
                    Err(e) => println!("=> {to}: refused: {e}"),
                }
            }
            match &d.result {
                Ok(reply) => println!("=> message accepted: {reply}"),
                Err(e) => println!("=> message not delivered: {e}"),
            }
        }
        Err(e) => println!("=> failed: {e}"),
    }
    ok
}
