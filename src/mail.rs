//! E-mail messages (RFC 5322, with MIME) as documents: part of the corpus stage.
//!
//! A message's duplicate is another message with the same body; its header lines (ids, routes,
//! folder names) differ from copy to copy and say nothing about the content, so they are left
//! out. What stays is the subject, as the headline and first line, then the text of the body
//! parts: `text/plain` as it is, `text/html` through [`crate::html::html_text`], transfer
//! encodings and charsets decoded by the `mail-parser` crate, then the same of every message
//! attached (a forward, a digest). Other attachments are left out, unless the message has no
//! body text: then its text attachments stand for it. A message of one plain UTF-8 part,
//! unencoded or quoted-printable (most of them), only has its header parsed by the crate: its
//! body is decoded here, faster, to the text the crate gives when the encoding is well formed.
//!
//! Files named `.eml` are read as mail; so is any plain-text file whose first lines are a header
//! block that only mail has (see [`looks_like_mail`]): Enron-style folders name messages `1.`,
//! `2.`, Maildir ones `TIME.ID.HOST:2,FLAGS`, and news spools use bare numbers. A message's date
//! is its `Date:` header rather than the file's time. Files named `.mbox` or `.mbx` are split
//! into their messages by [`crate::corpus`]; a mailbox under another name is not split, and is
//! read as plain text (see [`is_mailbox`]).

use mail_parser::{HeaderName, Message, MessageParser, PartType};

/// A message, ready to become a [`crate::corpus::Document`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The subject's [`topic`], whitespace collapsed; `None` when absent or blank.
    pub subject: Option<String>,
    /// The subject (if any) on the first line, then the body text.
    pub text: String,
    /// The `Date:` header in seconds since 1970, when present, valid and not before 1970.
    pub date: Option<u64>,
}

/// Header fields read to decide whether a file is mail, and which of them only mail has.
const FIELDS: [(&str, bool); 18] = [
    ("from", true),
    ("message-id", true),
    ("received", true),
    ("return-path", true),
    ("delivered-to", true),
    ("mime-version", true),
    ("x-mailer", true),
    ("in-reply-to", true),
    ("newsgroups", true),
    ("to", false),
    ("cc", false),
    ("subject", false),
    ("date", false),
    ("reply-to", false),
    ("sender", false),
    ("references", false),
    ("content-type", false),
    ("user-agent", false),
];

/// Lines of header a file may open with before it is judged not to be mail.
const MAX_HEADER_LINES: usize = 400;

/// Whether `bytes` open with a mail header block: an optional mbox `From ` line, then only
/// header fields (`Name: value`, continued on lines that start with a space or tab) up to a
/// blank line or the end, among them at least three distinct well-known fields, one of which
/// only mail has (`From`, `Message-ID`, `Received`, ...). A text that merely starts with
/// `Title:` and `Date:` lines is not mail.
pub fn looks_like_mail(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    if lines.peek().is_some_and(|l| l.starts_with(b"From ")) {
        lines.next();
    }
    let mut seen = [false; FIELDS.len()];
    let mut fields = 0;
    for (n, line) in lines.enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || n == MAX_HEADER_LINES {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if fields == 0 {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
            return false;
        }
        fields += 1;
        if let Some(at) = FIELDS
            .iter()
            .position(|(f, _)| f.as_bytes().eq_ignore_ascii_case(name))
        {
            seen[at] = true;
        }
    }
    let known = seen.iter().filter(|&&s| s).count();
    let mail_only = seen.iter().zip(&FIELDS).any(|(&s, &(_, only))| s && only);
    known >= 3 && mail_only
}

/// Whether `bytes` hold several messages in mbox form: `From ` separator lines after blank
/// lines. Such a file is not one message; it is read as plain text.
pub fn is_mailbox(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ")
        && bytes
            .windows(7)
            .any(|w| w == b"\n\nFrom " || w == b"\n\r\nFrom")
}

/// The parser for every message: it reads the headers the text depends on (the MIME ones,
/// `Subject:` and `Date:`) and skips the others unparsed. Parsing `Received:` routes and address
/// lists took about a tenth of the time of reading a folder of messages.
fn parser() -> &'static MessageParser {
    static PARSER: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(|| {
        MessageParser::new()
            .with_mime_headers()
            .header_text(HeaderName::Subject)
            .header_date(HeaderName::Date)
            .default_header_ignore()
    })
}

/// The subject, body text and date of the message in `bytes`, or `None` when no header can be
/// parsed from them.
pub fn mail_text(bytes: &[u8]) -> Option<Mail> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // An mbox `From ` line is not a header; the parser would take it for the body.
    let bytes = match bytes.starts_with(b"From ") {
        true => bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |at| &bytes[at + 1..]),
        false => bytes,
    };
    let headers = parser().parse_headers(bytes)?;
    match plain_body(&headers, &bytes[bytes.len() - body_len(bytes)..]) {
        Some(body) => Some(mail_of(&headers, |text| append(&body, text))),
        None => parsed_text(bytes),
    }
}

/// [`mail_text`] of a message (past any `From ` line) read whole by the parser.
fn parsed_text(bytes: &[u8]) -> Option<Mail> {
    let message = parser().parse(bytes)?;
    Some(mail_of(&message, |text| {
        let headline = text.len();
        body_text(&message, text);
        if text.len() == headline {
            // No body part: a multipart whose boundary never occurs, say, is parsed as one
            // text attachment, and a text sent as an attachment is what the sender wrote.
            for part in message.attachments() {
                append_part(&part.body, text);
            }
        }
    }))
}

/// The [`Mail`] of `message`, its body text added by `body` after the subject line.
fn mail_of(message: &Message, body: impl FnOnce(&mut String)) -> Mail {
    let subject = subject_of(message);
    let mut text = String::new();
    if let Some(s) = &subject {
        text.push_str(s);
        text.push('\n');
    }
    body(&mut text);
    let date = message
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| u64::try_from(d.to_timestamp()).ok());
    Mail {
        subject: subject.map(|s| topic(&s).to_owned()),
        text,
        date,
    }
}

/// The text of `body` when `headers` make it one plain UTF-8 (or ASCII) text, unencoded or
/// quoted-printable: most messages. Those are decoded here, without the parser's byte-by-byte
/// decoder, which took a fifth of reading a folder of quoted-printable messages. `None` for
/// any other message (several parts, HTML, base64, another charset), which the parser reads
/// whole.
fn plain_body(headers: &Message, body: &[u8]) -> Option<String> {
    use mail_parser::MimeHeaders;
    if let Some(ct) = headers.content_type() {
        let plain = ct.ctype().eq_ignore_ascii_case("text")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("plain"));
        let utf8 = ct.attribute("charset").is_none_or(|c| {
            ["utf-8", "utf8", "us-ascii", "ascii"]
                .iter()
                .any(|name| c.eq_ignore_ascii_case(name))
        });
        if !plain || !utf8 {
            return None;
        }
    }
    let bytes = match headers.content_transfer_encoding() {
        None => body.to_vec(),
        Some(e)
            if ["7bit", "8bit", "binary"]
                .iter()
                .any(|n| e.eq_ignore_ascii_case(n)) =>
        {
            body.to_vec()
        }
        Some(e) if e.eq_ignore_ascii_case("quoted-printable") => quoted_printable(body),
        Some(_) => return None,
    };
    Some(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Quoted-printable `body` decoded (RFC 2045, 6.7): `=` and two hex digits stand for a byte, `=`
/// at the end of a line (trailing spaces allowed) joins it to the next, and any other `=` is
/// kept as it is.
fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16)).map(|d| d as u8);
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = memchr::memchr(b'=', rest) {
        out.extend_from_slice(&rest[..at]);
        let after = &rest[at + 1..];
        let pad = after
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        rest = match after[pad..] {
            [] => &[],
            [b'\n', ..] => &after[pad + 1..],
            [b'\r', b'\n', ..] => &after[pad + 2..],
            _ => match (hex(after.first()), hex(after.get(1))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    &after[2..]
                }
                _ => {
                    out.push(b'=');
                    after
                }
            },
        };
    }
    out.extend_from_slice(rest);
    out
}

/// The length in bytes of the body of the message in `bytes`: what follows the first empty
/// line (the end of the header), or nothing when there is none.
pub(crate) fn body_len(bytes: &[u8]) -> usize {
    // Line by line, so that the search ends with the header.
    memchr::memchr_iter(b'\n', bytes)
        .find_map(|at| match bytes[at + 1..] {
            [b'\n', ..] => Some(at + 2),
            [b'\r', b'\n', ..] => Some(at + 3),
            _ => None,
        })
        .map_or(0, |start| bytes.len() - start)
}

/// Reply and forward markers, as mail programs in several languages write them before a
/// colon: Re, Fw, Fwd; German AW, WG; Nordic SV, VS, VL; French TR; Spanish RV; Portuguese
/// RES, ENC; Dutch Antw; Polish Odp.
const MARKERS: [&str; 14] = [
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "vl", "tr", "rv", "res", "enc", "antw", "odp",
];

/// What a subject is about: `subject` without the reply and forward markers (`Re:`, `Fwd:`,
/// `AW:`, `Re[2]:`, `Re^3:`, ...) and mailing-list tags (`[dev]`) that open it, so that a
/// thread's messages share one headline. A subject of nothing else stays as it is.
///
/// ```
/// assert_eq!(neardup::mail::topic("Re: Fwd: [dev] AW: Harbour budget"), "Harbour budget");
/// assert_eq!(neardup::mail::topic("Re[2]: Harbour"), "Harbour");
/// assert_eq!(neardup::mail::topic("Regarding the harbour"), "Regarding the harbour");
/// assert_eq!(neardup::mail::topic("Re:"), "Re:");
/// ```
pub fn topic(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let before = s.len();
        if let Some(rest) = s.strip_prefix('[') {
            if let Some(end) = rest.find(']').filter(|&e| e <= 40) {
                s = rest[end + 1..].trim_start();
            }
        }
        let word_end = s.find(|c: char| !c.is_alphabetic()).unwrap_or(s.len());
        if MARKERS
            .iter()
            .any(|m| s[..word_end].eq_ignore_ascii_case(m))
        {
            let mut rest = &s[word_end..];
            // A count of replies: `Re[2]:`, `Re(2):`, `Re^2:`.
            if let Some(r) = rest.strip_prefix(['[', '(']) {
                if let Some(e) = r.find([']', ')']) {
                    if r[..e].bytes().all(|b| b.is_ascii_digit()) {
                        rest = &r[e + 1..];
                    }
                }
            } else if let Some(r) = rest.strip_prefix('^') {
                rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
            }
            if let Some(r) = rest.trim_start().strip_prefix([':', '\u{ff1a}']) {
                s = r.trim_start();
            }
        }
        if s.len() == before {
            break;
        }
    }
    if s.is_empty() {
        subject.trim()
    } else {
        s
    }
}

fn subject_of(message: &Message) -> Option<String> {
    message
        .subject()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

/// Appends the text of `message`'s body parts to `text`, then that of the messages attached to
/// it (forwarded messages, digests), each after its subject.
fn body_text(message: &Message, text: &mut String) {
    for part in message.text_bodies() {
        append_part(&part.body, text);
    }
    for part in message.attachments() {
        if let PartType::Message(inner) = &part.body {
            if let Some(s) = subject_of(inner) {
                append(&s, text);
            }
            body_text(inner, text);
        }
    }
}

/// Appends the text of a text or HTML part, on a line of its own.
fn append_part(body: &PartType, text: &mut String) {
    match body {
        PartType::Text(t) => append(t, text),
        PartType::Html(h) => append(&crate::html::html_text(h).1, text),
        _ => {}
    }
}

fn append(piece: &str, text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(piece);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENRON: &str = "Message-ID: <18782981.1075855378110.JavaMail.evans@thyme>\r\n\
        Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\r\n\
        From: phillip.allen@enron.com\r\n\
        To: tim.belden@enron.com\r\n\
        Subject: Re:  forecast\r\n\
        \t for next week\r\n\
        Mime-Version: 1.0\r\n\
        X-Folder: \\Phillip_Allen_Jan2002_1\\Allen, Phillip K.\\'Sent Mail\r\n\
        \r\n\
        Here is our forecast.\r\n\
        From the desk, Phillip\r\n";

    /// Quoted-printable as a mail program writes it (see [`crate::synth`]).
    fn encode_qp(text: &str) -> String {
        let mut out = String::new();
        crate::synth::quoted_printable(text, &mut out);
        out
    }

    fn plain_message(headers: &str, body: &str) -> Vec<u8> {
        format!("From: a@example.com\r\nSubject: A  story\r\n{headers}\r\n{body}").into_bytes()
    }

    /// The plain-text path gives what the parser gives for the same message.
    fn same_both_ways(message: &[u8]) {
        let headers = parser().parse_headers(message).unwrap();
        assert!(
            plain_body(&headers, &message[message.len() - body_len(message)..]).is_some(),
            "plain: {}",
            String::from_utf8_lossy(message)
        );
        assert_eq!(mail_text(message), parsed_text(message));
    }

    #[test]
    fn plain_messages_read_as_the_parser_reads_them() {
        let text = "Caf\u{e9} = 3 \u{2014} na\u{ef}ve r\u{e9}sum\u{e9}, tabs\tand \u{201c}quotes\u{201d}\n\
                    A line long enough to be wrapped by the encoder, since it goes on past the \
                    seventy-six bytes a quoted-printable line may hold.\n\ntrailing space \n=41 stays";
        for headers in [
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            "Content-Type: TEXT/Plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: Quoted-Printable\r\n",
        ] {
            same_both_ways(&plain_message(headers, &encode_qp(text)));
            let decoded = mail_text(&plain_message(headers, &encode_qp(text))).unwrap().text;
            assert!(decoded.contains("Caf\u{e9} = 3 \u{2014}"), "{decoded}");
            assert!(decoded.contains("past the seventy-six"), "soft breaks joined: {decoded}");
            assert!(decoded.contains("=41 stays"), "{decoded}");
        }
        for headers in [
            "",
            "Content-Type: text/plain\r\n",
            "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n",
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        ] {
            same_both_ways(&plain_message(
                headers,
                "Plain words.\r\nA second line = fine.\r\n",
            ));
        }
        // A soft break with padding after it, a lone `=`, bad escapes, LF line ends: decoded
        // as far as they can be (the parser takes such a body as it is, undecoded).
        let odd = b"Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nab=  \ncd = e=ZZ f=4\n=C3=A9=\n";
        assert_eq!(mail_text(odd).unwrap().text, "x\nabcd = e=ZZ f=4\n\u{e9}");
        // A header block broken by a line that is no header, and a message without a body.
        same_both_ways(b"Subject: x\nnot a header line\nDate: soon\n\nbody words\n");
        same_both_ways(b"Subject: x\nFrom: a@example.com\n");
        // Other messages are left to the parser.
        for other in [
            &plain_message("Content-Type: text/html\r\n", "<p>x</p>")[..],
            &plain_message(
                "Content-Type: text/plain; charset=iso-8859-1\r\n",
                "caf\u{e9}",
            ),
            &plain_message("Content-Transfer-Encoding: base64\r\n", "aGVsbG8="),
            &plain_message(
                "Content-Type: multipart/mixed; boundary=b\r\n",
                "--b\r\n\r\nx\r\n--b--",
            ),
        ] {
            assert!(plain_body(&parser().parse_headers(other).unwrap(), b"").is_none());
        }
    }

    #[test]
    fn quoted_printable_cases() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc=\nd"), b"a=bcd");
        assert_eq!(
            quoted_printable(b"x=c3=a9 = y=4"),
            "x\u{e9} = y=4".as_bytes()
        );
        assert_eq!(quoted_printable(b"end= \t"), b"end");
    }

    #[test]
    fn body_starts_after_the_first_empty_line() {
        assert_eq!(body_len(b"A: b\r\nC: d\r\n\r\nbody\r\n\r\nmore"), 12);
        assert_eq!(body_len(b"A: b\n\nxy"), 2);
        assert_eq!(body_len(b"A: b\n\r\nx\n\ny"), 4);
        assert_eq!(body_len(b"A: b\r\nC: d\r\n"), 0);
    }

    #[test]
    fn mail_header_blocks_are_told_from_text() {
        let cases: [(&str, bool); 9] = [
            (ENRON, true),
            (
                "From: a@b.org\nNewsgroups: sci.space\nSubject: orbits\n\nbody",
                true,
            ),
            // An mbox message with its `From ` separator line.
            (
                "From a@b.org Mon Jan  1 00:00:00 2001\nFrom: a@b.org\nTo: c@d.org\nSubject: x\n\nhi",
                true,
            ),
            // Prose that happens to start with a colon-bearing line.
            ("Note: this is prose.\nIt goes on.\n", false),
            // Pseudo-headers of an article: well-known names, none only mail has.
            ("Title: Budget\nDate: 2020-01-01\nSubject: money\n\nText", false),
            // Too few fields to be sure.
            ("From: Ann\nTo: Bob\n\nDear Bob,", false),
            // A header block broken by a line that is not a field.
            (
                "From: a@b.org\nTo: c@d.org\nthis is not a header\nSubject: x\n\n",
                false,
            ),
            ("", false),
            ("\n\nFrom: a@b.org\nTo: c\nSubject: s\n", false),
        ];
        for (text, want) in cases {
            assert_eq!(looks_like_mail(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn a_mailbox_is_not_one_message() {
        let one = "From a@b.org Mon Jan  1 00:00:00 2001\nFrom: a@b.org\nTo: c@d.org\n\
            Subject: x\n\nhi\n>From here on\n";
        let two = format!("{one}\nFrom e@f.org Tue Jan  2 00:00:00 2001\nFrom: e@f.org\n\nyo\n");
        assert!(!is_mailbox(one.as_bytes()));
        assert!(is_mailbox(two.as_bytes()));
        assert!(is_mailbox(two.replace('\n', "\r\n").as_bytes()));
        assert!(!is_mailbox(ENRON.as_bytes()));
    }

    #[test]
    fn topics_lose_their_markers_and_tags() {
        let cases = [
            ("Harbour budget", "Harbour budget"),
            ("RE: FW: Harbour budget", "Harbour budget"),
            ("Re(2): Re^3: AW: WG: SV: Harbour", "Harbour"),
            ("[city-council] Re: [PATCH v2] Harbour", "Harbour"),
            ("Re\u{ff1a}港の予算", "港の予算"),
            ("  Fwd :  spaced colon", "spaced colon"),
            // Words that only begin like markers, markers without a colon, long brackets.
            ("Reply needed: harbour", "Reply needed: harbour"),
            ("Fwd harbour budget", "Fwd harbour budget"),
            ("Re[two]: harbour", "Re[two]: harbour"),
            (
                "[a bracket far longer than any list tag would ever be] harbour",
                "[a bracket far longer than any list tag would ever be] harbour",
            ),
            // Nothing else: kept.
            ("[dev]", "[dev]"),
            ("Re: ", "Re:"),
        ];
        for (subject, want) in cases {
            assert_eq!(topic(subject), want, "{subject:?}");
        }
    }

    #[test]
    fn headers_are_left_out_and_the_subject_leads() {
        let m = mail_text(ENRON.as_bytes()).unwrap();
        // The headline is the topic; the text keeps the subject as written.
        assert_eq!(m.subject.as_deref(), Some("forecast for next week"));
        assert_eq!(
            m.text,
            "Re: forecast for next week\nHere is our forecast.\r\nFrom the desk, Phillip\r\n"
        );
        // Mon, 14 May 2001 16:39:00 -0700 is 23:39:00 UTC.
        assert_eq!(m.date, Some(989_883_540));
    }

    #[test]
    fn mime_parts_are_decoded_and_attachments_left_out() {
        let raw = "From: a@b.org\r\nTo: c@d.org\r\nSubject: =?utf-8?q?Caf=C3=A9_news?=\r\n\
            Date: not a date\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
            --XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            Le caf=E9 est ouvert.\r\n\
            --XX\r\nContent-Type: application/octet-stream\r\n\
            Content-Transfer-Encoding: base64\r\n\r\naGlkZGVuIGF0dGFjaG1lbnQ=\r\n\
            --XX--\r\n";
        assert!(looks_like_mail(raw.as_bytes()));
        let m = mail_text(raw.as_bytes()).unwrap();
        assert_eq!(m.subject.as_deref(), Some("Café news"));
        assert!(m.text.contains("Le café est ouvert."), "{:?}", m.text);
        assert!(!m.text.contains("hidden"), "{:?}", m.text);
        assert_eq!(m.date, None);
    }

    #[test]
    fn attached_messages_are_read_too() {
        let raw = "From: list@b.org\nTo: c@d.org\nSubject: Digest 12\nMIME-Version: 1.0\n\
            Content-Type: multipart/digest; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n\
            From: a@b.org\nSubject: first\n\nmessage one\n--B\n\
            Content-Type: message/rfc822\n\nFrom: e@f.org\nSubject: second\n\nmessage two\n--B--\n";
        let m = mail_text(raw.as_bytes()).unwrap();
        assert_eq!(m.text, "Digest 12\nfirst\nmessage one\nsecond\nmessage two");
    }

    #[test]
    fn a_body_the_parser_cannot_split_is_kept_raw() {
        // The boundary declared is not the one used: no part is found.
        let raw = "From: a@b.org\nTo: c@d.org\nSubject: s\nMIME-Version: 1.0\n\
            Content-Type: multipart/mixed; boundary=B_\n\n--B\n\nmessage one\n--B--\n";
        let m = mail_text(raw.as_bytes()).unwrap();
        assert!(m.text.starts_with("s\n"), "{:?}", m.text);
        assert!(m.text.contains("message one"), "{:?}", m.text);
    }

    #[test]
    fn an_html_only_message_gives_its_visible_text() {
        let raw = "From: a@b.org\nTo: c@d.org\nSubject: Sale\nMIME-Version: 1.0\n\
            Content-Type: text/html; charset=utf-8\n\n\
            <html><head><style>p{color:red}</style></head>\
            <body><p>Everything must go</p><p>today</p></body></html>\n";
        let m = mail_text(raw.as_bytes()).unwrap();
        assert_eq!(m.text, "Sale\nEverything must go\ntoday");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Bytes that matter to a mail parser, drawn at random.
        const ALPHABET: &[u8] = b"From: a\r\nSubject: =?q?\n\t-- boundary=\"<>&;:\xff\x80";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..400usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ALPHABET[state as usize % ALPHABET.len()]
                })
                .collect();
            looks_like_mail(&bytes);
            mail_text(&bytes);
        }
    }
}
