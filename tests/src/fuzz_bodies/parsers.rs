//! The reply parser and the EHLO keyword parser (rules 4 and 20).

use smtp_proto::{Capabilities, Limits, Reply, ReplyLimits, ReplyParser};

/// Feeds `data` to a reply parser in chunks chosen by its first byte; every reply has
/// a valid code and the buffer stays within its bounds.
pub fn reply_parser(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let limits = ReplyLimits {
        max_line: 64,
        max_reply: 512,
    };
    let mut p = ReplyParser::new(limits);
    p.set_enhanced_codes(first & 1 == 1);
    let step = usize::from(first >> 1).max(1);
    for chunk in rest.chunks(step) {
        let mut input = chunk;
        while !input.is_empty() {
            match p.parse(&mut input) {
                Ok(Some(r)) => {
                    assert!((200..600).contains(&r.code));
                    assert!(r.line_count() >= 1);
                    assert!(r.raw_text().len() <= limits.max_reply);
                    if let Some(e) = r.enhanced {
                        assert_eq!(u16::from(e.class), r.code / 100);
                    }
                }
                Ok(None) => assert!(input.is_empty()),
                Err(_) => return,
            }
        }
        // Rule 4: what is held is bounded in bytes, whatever the encoding.
        assert!(p.buffered() <= limits.max_reply);
    }
}

/// Reads `data` as the lines of an EHLO reply.
pub fn capabilities(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let reply = Reply::new(250, &lines);
    let caps = Capabilities::parse(&reply).expect("250 always parses");
    let first = String::from_utf8_lossy(reply.first_line()).into_owned();
    assert_eq!(caps.domain(), first.split(' ').next().unwrap_or(""));
    assert!(caps.auth_mechanisms().count() <= smtp_proto::capabilities::MAX_AUTH_MECHANISMS);
    if let Some(l) = Limits::parse(lines[0]) {
        for n in [l.mailmax, l.rcptmax, l.rcptdomainmax]
            .into_iter()
            .flatten()
        {
            assert!((1..=999_999).contains(&n));
        }
    }
}
