//! The delivery-case runner (`tests/DELIVERY-CASES.md`): a mock DNS zone answers the
//! engine's questions, the asked questions are recorded, and each function's result
//! is compared with the case's `expect` (only the fields given).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use smtp_delivery::dane::{gather_tlsa, tlsa_names, NameInputs};
use smtp_delivery::destinations::{gather_destinations, Host, NextHop};
use smtp_delivery::dns::{fqdn, Answer, QType, Query, Record, Resolver, Tlsa};
use smtp_delivery::ips::{gather_ips, Network};
use smtp_delivery::mtasts::Policy;

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name.
    pub id: String,
    /// What it shows.
    #[serde(default)]
    pub about: String,
    /// Which decision.
    pub function: String,
    /// The mock DNS.
    #[serde(default)]
    pub zone: Zone,
    /// Function inputs.
    pub input: BTreeMap<String, Value>,
    /// Expected results (only given fields are checked).
    pub expect: BTreeMap<String, Value>,
    /// The exact DNS questions, in order.
    pub queries: Option<Vec<QuerySpec>>,
}

/// `zone`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    #[serde(default)]
    cname: BTreeMap<String, String>,
    #[serde(default)]
    mx: BTreeMap<String, Vec<MxSpec>>,
    #[serde(default)]
    a: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    aaaa: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tlsa: BTreeMap<String, Vec<TlsaSpec>>,
    #[serde(default)]
    fail: Vec<String>,
    #[serde(default)]
    inauthentic: Vec<String>,
    #[serde(default = "yes")]
    all_authentic: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MxSpec {
    host: String,
    pref: u16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsaSpec {
    usage: u8,
    selector: u8,
    matching_type: u8,
    cert_assoc_hex: String,
}

/// One expected question.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// `CNAME`, `MX`, `A`, `AAAA`, `TLSA`.
    #[serde(rename = "type")]
    pub qtype: String,
    /// The name.
    pub name: String,
}

/// Answers from the zone and records every question.
struct ZoneResolver<'a> {
    zone: &'a Zone,
    asked: Vec<Query>,
}

impl ZoneResolver<'_> {
    fn listed(list: &[String], qtype: QType, name: &str) -> bool {
        list.iter().any(|e| {
            let Some((t, n)) = e.split_once(' ') else {
                return false;
            };
            let t = t.to_ascii_lowercase();
            let type_ok = match qtype {
                QType::A | QType::Aaaa => {
                    t == "ip" || t == "host" || t == qtype.as_str().to_ascii_lowercase()
                }
                _ => t == qtype.as_str().to_ascii_lowercase(),
            };
            type_ok && fqdn(n) == name
        })
    }

    fn find<'z, T>(map: &'z BTreeMap<String, T>, name: &str) -> Option<&'z T> {
        map.iter().find(|(k, _)| fqdn(k) == name).map(|(_, v)| v)
    }
}

impl Resolver for ZoneResolver<'_> {
    fn lookup(&mut self, q: &Query) -> Answer {
        self.asked.push(q.clone());
        let name = fqdn(&q.name);
        if Self::listed(&self.zone.fail, q.qtype, &name) {
            return Answer::ServFail;
        }
        let authentic =
            self.zone.all_authentic && !Self::listed(&self.zone.inauthentic, q.qtype, &name);
        let z = self.zone;
        let records: Vec<Record> = match q.qtype {
            QType::Cname => Self::find(&z.cname, &name)
                .map(|t| vec![Record::Cname(fqdn(t))])
                .unwrap_or_default(),
            QType::Mx => Self::find(&z.mx, &name)
                .map(|l| {
                    l.iter()
                        .map(|m| Record::Mx {
                            pref: m.pref,
                            host: m.host.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            QType::A => Self::find(&z.a, &name)
                .map(|l| {
                    l.iter()
                        .filter_map(|s| s.parse().ok())
                        .map(Record::A)
                        .collect()
                })
                .unwrap_or_default(),
            QType::Aaaa => Self::find(&z.aaaa, &name)
                .map(|l| {
                    l.iter()
                        .filter_map(|s| s.parse().ok())
                        .map(Record::Aaaa)
                        .collect()
                })
                .unwrap_or_default(),
            QType::Tlsa => Self::find(&z.tlsa, &name)
                .map(|l| {
                    l.iter()
                        .map(|t| {
                            Record::Tlsa(Tlsa {
                                usage: t.usage,
                                selector: t.selector,
                                matching_type: t.matching_type,
                                data: hex(&t.cert_assoc_hex),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        if records.is_empty() {
            Answer::NxDomain { authentic }
        } else {
            Answer::Records { records, authentic }
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn names(v: impl IntoIterator<Item = String>) -> Value {
    Value::Array(v.into_iter().map(Value::String).collect())
}

fn input_str<'a>(c: &'a Case, key: &str) -> Result<&'a str, String> {
    c.input
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("input.{key} missing"))
}

fn input_bool(c: &Case, key: &str) -> bool {
    c.input.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn error_value(e: &Option<smtp_delivery::DeliveryError>) -> Value {
    e.as_ref().map_or(Value::Null, |e| s(e.as_str()))
}

/// Runs the case's function, returning the result fields and the questions asked.
fn evaluate(c: &Case) -> Result<(BTreeMap<String, Value>, Vec<Query>), String> {
    let mut r = ZoneResolver {
        zone: &c.zone,
        asked: Vec::new(),
    };
    let mut out = BTreeMap::new();
    match c.function.as_str() {
        "destinations" => match NextHop::parse(input_str(c, "next_hop")?) {
            Err(e) => {
                out.insert("error".into(), s(e.as_str()));
            }
            Ok(hop) => {
                let d = gather_destinations(&mut r, &hop, None);
                out.insert("error".into(), error_value(&d.error));
                out.insert("have_mx".into(), d.have_mx.into());
                out.insert("hosts".into(), names(d.hosts.iter().map(Host::to_string)));
                out.insert("expanded_next_hop".into(), s(&d.expanded_next_hop));
                out.insert(
                    "orig_next_hop_authentic".into(),
                    d.orig_next_hop_authentic.into(),
                );
                out.insert(
                    "expanded_next_hop_authentic".into(),
                    d.expanded_next_hop_authentic.into(),
                );
                out.insert("permanent".into(), d.permanent.into());
            }
        },
        "ips" => {
            let host = match NextHop::parse(input_str(c, "host")?).map_err(|e| e.to_string())? {
                NextHop::Ip(ip) => Host::Ip(ip),
                NextHop::Domain(d) => Host::Name(d),
            };
            let network = match c
                .input
                .get("network")
                .and_then(Value::as_str)
                .unwrap_or("ip")
            {
                "ip" => Network::Ip,
                "ip4" => Network::Ip4,
                "ip6" => Network::Ip6,
                other => return Err(format!("input.network {other:?}")),
            };
            let dialed: Vec<IpAddr> = c
                .input
                .get("dialed_ips")
                .and_then(Value::as_object)
                .and_then(|m| {
                    m.iter()
                        .find(|(k, _)| fqdn(k) == fqdn(&host.to_string()))
                        .map(|(_, v)| v)
                })
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            let i = gather_ips(&mut r, &host, network, &dialed);
            out.insert("error".into(), error_value(&i.error));
            out.insert("authentic".into(), i.authentic.into());
            out.insert("expanded_authentic".into(), i.expanded_authentic.into());
            out.insert("expanded_host".into(), s(&i.expanded_host));
            out.insert("ips".into(), names(i.ips.iter().map(IpAddr::to_string)));
            out.insert("dualstack".into(), i.dualstack.into());
        }
        "tlsa" => {
            let t = gather_tlsa(
                &mut r,
                input_str(c, "host")?,
                input_bool(c, "expanded_authentic"),
                input_str(c, "expanded_host")?,
            );
            out.insert("error".into(), error_value(&t.error));
            out.insert("dane_required".into(), t.dane_required.into());
            let recs = t.records.iter().map(|x| {
                serde_json::json!({"usage": x.usage, "selector": x.selector, "matching_type": x.matching_type,
                    "cert_assoc_hex": x.data.iter().map(|b| format!("{b:02x}")).collect::<String>()})
            });
            out.insert("records".into(), Value::Array(recs.collect()));
            out.insert("tlsa_base_domain".into(), s(&t.tlsa_base_domain));
        }
        "tlsa_names" => {
            let i = NameInputs {
                have_mx: input_bool(c, "have_mx"),
                expanded_next_hop_authentic: input_bool(c, "expanded_next_hop_authentic"),
                expanded_tlsa_base_domain_authentic: input_bool(
                    c,
                    "expanded_tlsa_base_domain_authentic",
                ),
                orig_next_hop: input_str(c, "orig_next_hop")?.into(),
                expanded_next_hop: input_str(c, "expanded_next_hop")?.into(),
                orig_tlsa_base_domain: input_str(c, "orig_tlsa_base_domain")?.into(),
                expanded_tlsa_base_domain: input_str(c, "expanded_tlsa_base_domain")?.into(),
            };
            out.insert("names".into(), names(tlsa_names(&i)));
        }
        "mtasts_match" => match Policy::parse(input_str(c, "policy")?) {
            Err(e) => {
                out.insert("error".into(), s(e.as_str()));
            }
            Ok(p) => {
                out.insert("error".into(), Value::Null);
                out.insert("mode".into(), s(p.mode.as_str()));
                out.insert("matches".into(), p.matches(input_str(c, "host")?).into());
            }
        },
        "limits" => {
            let l = smtp_proto::Limits::parse(input_str(c, "ehlo_line")?);
            let map: serde_json::Map<String, Value> = l
                .iter()
                .flat_map(|l| l.params.iter().map(|(k, v)| (k.clone(), s(v))))
                .collect();
            out.insert(
                "limits".into(),
                if l.is_some() {
                    Value::Object(map)
                } else {
                    Value::Null
                },
            );
            let num = |f: fn(&smtp_proto::Limits) -> Option<u32>| {
                Value::from(l.as_ref().and_then(f).unwrap_or(0))
            };
            out.insert("mailmax".into(), num(|l| l.mailmax));
            out.insert("rcptmax".into(), num(|l| l.rcptmax));
            out.insert("rcptdomainmax".into(), num(|l| l.rcptdomainmax));
        }
        other => return Err(format!("unknown function {other:?}")),
    }
    Ok((out, r.asked))
}

/// Names compare case-insensitively with or without the trailing dot.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(a), Value::String(b)) => a
            .trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.')),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(k, v)| {
                    b.iter()
                        .any(|(k2, v2)| k.eq_ignore_ascii_case(k2) && same(v, v2))
                })
        }
        // A null `limits` expectation also accepts an empty map.
        (Value::Null, Value::Object(b)) => b.is_empty(),
        _ => want == got,
    }
}

/// Runs one case; `Err` names the first difference.
pub fn run_case(c: &Case) -> Result<(), String> {
    let (got, asked) = evaluate(c)?;
    for (key, want) in &c.expect {
        let Some(g) = got.get(key) else {
            return Err(format!("expect.{key} is not a result of {}", c.function));
        };
        if !same(want, g) {
            return Err(format!("{key}: expected {want}, got {g}"));
        }
    }
    if let Some(qs) = &c.queries {
        let got: Vec<String> = asked
            .iter()
            .map(|q| format!("{} {}", q.qtype.as_str(), q.name))
            .collect();
        let want: Vec<String> = qs
            .iter()
            .map(|q| format!("{} {}", q.qtype.to_ascii_uppercase(), fqdn(&q.name)))
            .collect();
        if got != want {
            return Err(format!("queries: expected {want:?}, got {got:?}"));
        }
    }
    Ok(())
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Passed cases.
    pub passed: usize,
    /// `(id, why)` per failure.
    pub failed: Vec<(String, String)>,
}

/// Runs every case under the paths (`.json` one case, `.jsonl` one per line).
pub fn run_paths(paths: &[PathBuf]) -> Summary {
    run_paths_where(paths, |_| true)
}

/// Runs the cases under the paths for which `keep` holds (a case that does not parse
/// is always reported). `cargo test` uses it to run the `limits` cases apart.
pub fn run_paths_where(paths: &[PathBuf], keep: impl Fn(&Case) -> bool) -> Summary {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files);
    }
    files.sort();
    let mut sum = Summary::default();
    for f in files {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                sum.failed.push((f.display().to_string(), e.to_string()));
                continue;
            }
        };
        let docs: Vec<(String, &str)> = if f.extension().is_some_and(|x| x == "jsonl") {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(n, l)| (format!("{}:{}", f.display(), n + 1), l))
                .collect()
        } else {
            vec![(f.display().to_string(), text.as_str())]
        };
        for (origin, doc) in docs {
            match serde_json::from_str::<Case>(doc) {
                Err(e) => sum.failed.push((origin, format!("bad case: {e}"))),
                Ok(c) if !keep(&c) => {}
                // A panic (e.g. a `todo!()`) fails this case, not the whole run.
                Ok(c) => match std::panic::catch_unwind(|| run_case(&c)) {
                    Ok(Ok(())) => sum.passed += 1,
                    Ok(Err(e)) => sum.failed.push((c.id.clone(), e)),
                    Err(_) => sum.failed.push((c.id.clone(), "panicked".into())),
                },
            }
        }
    }
    sum
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            collect(&e.path(), out);
        }
    } else if p.extension().is_some_and(|x| x == "json" || x == "jsonl") {
        out.push(p.to_path_buf());
    }
}
