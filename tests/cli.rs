//! Runs the real `neardup` binary on real files: samples/, generated corpora, bad inputs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use neardup::synth::{generate, SynthConfig, SynthFormat};

mod common;
use common::*;

#[test]
fn samples_give_the_expected_clusters() {
    let out = neardup(&["scan", samples().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(samples().join("expected.json")).unwrap())
            .unwrap();
    let want: BTreeSet<Vec<String>> = expected["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(clusters(&json(&out)), want);
}

#[test]
fn pages_read_back_from_the_temporary_store_score_as_pages_extracted_again() {
    // With TMPDIR missing, no store can be made and every read extracts the page again.
    let dir = tempfile::tempdir().unwrap();
    let story = std::fs::read_to_string(samples().join("story-01-original.txt")).unwrap();
    let (headline, body) = story.split_once('\n').unwrap();
    let paras: String = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{l}</p>\n"))
        .collect();
    for (i, nav) in ["Home | World", "Sport | Weather | Money", "Local news"]
        .iter()
        .enumerate()
    {
        let page = format!(
            "<html><head><title>{headline}</title><style>p {{ margin: {i}px }}</style></head>\
             <body><nav>{nav}</nav><h1>{headline}</h1>{paras}</body></html>"
        );
        std::fs::write(dir.path().join(format!("page-{i}.html")), page).unwrap();
    }
    std::fs::copy(
        samples().join("story-02-original.txt"),
        dir.path().join("other.txt"),
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    let args = ["scan", folder, "--format", "json"];
    let stored = neardup(&args);
    let missing = dir.path().join("no-such-folder");
    let again = run_with(&args, &[("TMPDIR", missing.to_str().unwrap())], None);
    assert_eq!(stored.status.code(), Some(0), "{}", stderr(&stored));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stored.stdout, again.stdout);
    let want: BTreeSet<Vec<String>> = [vec![
        "page-0.html".into(),
        "page-1.html".into(),
        "page-2.html".into(),
    ]]
    .into();
    assert_eq!(clusters(&json(&stored)), want);
}

#[test]
fn json_contract_and_order() {
    let out = neardup(&["scan", samples().to_str().unwrap(), "--format", "json"]);
    let v = json(&out);
    let cs = v["clusters"].as_array().unwrap();
    assert!(!cs.is_empty());
    let mut previous = String::new();
    for c in cs {
        let ids: Vec<&str> = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "members sorted by id: {ids:?}"
        );
        assert!(ids[0] > previous.as_str(), "clusters sorted by smallest id");
        previous = ids[0].to_owned();
        let rep = c["representative"].as_str().unwrap();
        assert!(ids.contains(&rep));
        for m in c["members"].as_array().unwrap() {
            let j = m["jaccard"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&j));
            assert!(["representative", "exact", "near"].contains(&m["kind"].as_str().unwrap()));
        }
    }
}

#[test]
fn output_is_identical_across_thread_counts_and_input_order() {
    let dir = corpus(600, 3);
    let docs = dir.path().join("docs");
    let docs = docs.to_str().unwrap();
    let one = run_with(
        &["scan", docs, "--format", "json"],
        &[("RAYON_NUM_THREADS", "1")],
        None,
    );
    let two = run_with(
        &["scan", docs, "--format", "json"],
        &[("RAYON_NUM_THREADS", "2")],
        None,
    );
    let four = neardup(&["scan", docs, "--format", "json", "--threads", "4"]);
    assert_eq!(one.status.code(), Some(0));
    assert!(!clusters(&json(&one)).is_empty());
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stdout, four.stdout);

    // The same files named one by one, in reverse order.
    let mut files: Vec<String> = walk(Path::new(docs));
    let forward = neardup(
        &[
            &["scan", "--format", "json"][..],
            &files.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    files.reverse();
    let backward = neardup(
        &[
            &["scan", "--format", "json"][..],
            &files.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    assert_eq!(forward.stdout, backward.stdout);
    assert_eq!(clusters(&json(&forward)).len(), clusters(&json(&one)).len());
}

#[test]
fn quality_on_a_generated_corpus() {
    let dir = corpus(1500, 9);
    let out = neardup(&[
        "scan",
        dir.path().join("docs").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = dir.path().join("result.json");
    std::fs::write(&result, &out.stdout).unwrap();
    let truth = neardup::eval::read_truth(&dir.path().join("truth.jsonl")).unwrap();
    let predicted = neardup::eval::read_clusters(&result).unwrap();
    let s = neardup::eval::score(&truth, &predicted, &[]).unwrap();
    assert!(
        s.true_pairs > 300,
        "the corpus has planted copies: {}",
        s.true_pairs
    );
    assert!(s.precision >= 0.995, "precision {}", s.precision);
    assert!(s.recall >= 0.99, "recall {}", s.recall);

    // The eval command reads the same files and agrees.
    let e = neardup(&[
        "eval",
        "--truth",
        dir.path().join("truth.jsonl").to_str().unwrap(),
        result.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(e.status.code(), Some(0), "{}", stderr(&e));
    assert_eq!(json(&e)["correct_pairs"].as_u64(), Some(s.correct_pairs));
}

#[test]
fn generated_pages_and_messages_cluster_as_their_text_does() {
    // The same articles as text files, as web pages and as messages (a third of them
    // quoted-printable): extraction must leave the same duplicates, with the same members.
    let config = SynthConfig {
        docs: 900,
        seed: 4,
        sites: 8,
        ..SynthConfig::default()
    };
    let clusters_of = |format: SynthFormat, ext: &str| -> BTreeSet<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        generate(
            &SynthConfig {
                format,
                ..config.clone()
            },
            dir.path(),
        )
        .unwrap();
        let files = walk(&dir.path().join("docs"));
        assert_eq!(files.len(), 900);
        assert!(files.iter().all(|f| f.ends_with(ext)), "{:?}", &files[..3]);
        let docs = dir.path().join("docs");
        let out = neardup(&["scan", docs.to_str().unwrap(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        clusters(&json(&out))
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|id| id.strip_suffix(ext).unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let text = clusters_of(SynthFormat::Text, ".txt");
    assert!(text.len() > 60, "{} clusters", text.len());
    assert_eq!(clusters_of(SynthFormat::Html, ".html"), text);
    assert_eq!(clusters_of(SynthFormat::Mail, ".eml"), text);
}

#[test]
fn bad_inputs_are_named_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let story = std::fs::read_to_string(samples().join("story-04-original.txt")).unwrap();
    std::fs::write(p.join("a.txt"), &story).unwrap();
    std::fs::write(p.join("b.txt"), &story).unwrap();
    std::fs::write(p.join("binary.txt"), b"\x00\x01\x02 not text").unwrap();
    std::fs::write(p.join("empty.txt"), b"").unwrap();
    std::fs::write(p.join("punctuation.md"), b"--- ... !!!").unwrap();
    let mut latin1 = story.clone().into_bytes();
    latin1.extend_from_slice(b"\ncaf\xe9\n");
    std::fs::write(p.join("latin1.txt"), &latin1).unwrap();
    std::fs::write(p.join("mostly-invalid.txt"), [0xffu8; 64]).unwrap();
    std::fs::write(p.join("records.jsonl"), "{\"text\": \"fine record here\"}\nnot json\n[1, 2]\n{\"body\": \"no text field\"}\n{\"text\": 42}\n\n").unwrap();
    std::fs::write(p.join("picture.png"), b"\x89PNG").unwrap();
    let before: Vec<(String, Vec<u8>)> = walk(p)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
        .collect();

    let out = neardup(&["scan", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1 when inputs were skipped"
    );
    let err = stderr(&out);
    for (name, cause) in [
        ("binary.txt", "NUL"),
        ("empty.txt", "empty document"),
        ("punctuation.md", "empty document"),
        ("mostly-invalid.txt", "not UTF-8"),
        ("records.jsonl:2", "malformed JSON"),
        ("records.jsonl:3", "not a JSON object"),
        ("records.jsonl:4", "no field \"text\""),
        ("records.jsonl:5", "not a string"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(name) && l.contains(cause) && l.contains("skipped")),
            "{name}: {cause} not in:\n{err}"
        );
    }
    assert!(
        err.lines().any(|l| l.contains("latin1.txt")
            && l.contains("warning")
            && l.contains("invalid UTF-8")),
        "{err}"
    );
    let v = json(&out);
    assert_eq!(v["summary"]["skipped"], 8);
    assert_eq!(
        v["summary"]["ignored"], 1,
        "the .png is left out, not skipped"
    );
    // a, b and the lossy latin1 copy still cluster; the one good JSONL record is read.
    let cs = clusters(&v);
    assert_eq!(cs.len(), 1);
    assert_eq!(
        cs.iter().next().unwrap(),
        &vec!["a.txt".to_string(), "b.txt".into(), "latin1.txt".into()]
    );
    assert_eq!(v["summary"]["documents"], 4);

    let after: Vec<(String, Vec<u8>)> = walk(p)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
        .collect();
    assert_eq!(before, after, "inputs are never modified");
}

#[test]
fn usage_errors_exit_2() {
    let missing = neardup(&["scan", "/definitely/not/here"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/definitely/not/here: no such file or folder"));
    let bad = neardup(&["scan", samples().to_str().unwrap(), "--threshold", "1.5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--threshold 1.5"));
    let shingle = neardup(&["scan", samples().to_str().unwrap(), "--shingle", "line:3"]);
    assert_eq!(shingle.status.code(), Some(2));
    assert!(stderr(&shingle).contains("line"));
    assert_eq!(neardup(&["scan"]).status.code(), Some(2));
}

#[test]
fn fail_on_duplicates_exits_3() {
    let out = neardup(&[
        "scan",
        samples().to_str().unwrap(),
        "--fail-on-duplicates",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).is_empty(), "--quiet prints no summary");
}

#[test]
fn jsonl_on_stdin_with_ids() {
    let story = std::fs::read_to_string(samples().join("story-09-original.txt")).unwrap();
    let other = std::fs::read_to_string(samples().join("story-02-original.txt")).unwrap();
    let record = |id: &str, t: &str| serde_json::json!({"id": id, "text": t}).to_string();
    let input = [
        record("x", &story),
        record("y", &other),
        record("z", &story.replace("\n", "\r\n")),
    ]
    .join("\n");
    let out = run_with(&["scan", "-", "--format", "json"], &[], Some(&input));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cs: Vec<Vec<String>> = clusters(&json(&out)).into_iter().collect();
    assert_eq!(cs, vec![vec!["-:1".to_string(), "-:3".into()]]);
    let out = run_with(
        &["scan", "-", "--format", "json", "--id-field", "id"],
        &[],
        Some(&input),
    );
    let v = json(&out);
    assert_eq!(
        clusters(&v).into_iter().collect::<Vec<_>>(),
        vec![vec!["x".to_string(), "z".into()]]
    );
    assert_eq!(v["clusters"][0]["kind"], "exact");
}

#[test]
fn every_format_renders() {
    let s = samples();
    let s = s.to_str().unwrap();
    let json_out = json(&neardup(&["scan", s, "--format", "json"]));
    let members: usize = json_out["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["members"].as_array().unwrap().len())
        .sum();

    let csv = stdout(&neardup(&["scan", s, "--format", "csv"]));
    assert!(csv.starts_with("cluster,id,representative,jaccard,containment,kind,linked_by\n"));
    assert_eq!(csv.lines().count(), members + 1);

    let jsonl = stdout(&neardup(&["scan", s, "--format", "jsonl"]));
    assert_eq!(
        jsonl.lines().count(),
        json_out["clusters"].as_array().unwrap().len()
    );
    for line in jsonl.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(c["members"].is_array());
    }

    let text = stdout(&neardup(&["scan", s]));
    assert!(text.contains("cluster 1 ("));
    assert!(text.contains("(representative)"));
    assert!(text.trim_end().ends_with("duplicate documents"));
}

#[test]
fn html_pages_are_read_as_visible_text() {
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(samples().join("story-11-original.txt")).unwrap();
    let paras: String = body
        .split("\n\n")
        .map(|p| format!("<p>{p}</p>\n"))
        .collect();
    let page = |nav: &str| {
        format!("<html><head><title>T</title><script>var {nav} = 1;</script><style>.{nav} {{}}</style></head><body><nav>{nav}</nav>{paras}</body></html>")
    };
    std::fs::write(dir.path().join("a.html"), page("alpha")).unwrap();
    std::fs::write(dir.path().join("b.htm"), page("beta")).unwrap();
    std::fs::write(dir.path().join("c.txt"), &body).unwrap();
    let out = neardup(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let cs: Vec<Vec<String>> = clusters(&json(&out)).into_iter().collect();
    assert_eq!(
        cs,
        vec![vec!["a.html".to_string(), "b.htm".into(), "c.txt".into()]]
    );
}

/// A message with Enron-style headers around `body`.
const MAIL_BODY: &str = "Bo, the capacity numbers for the north leg came back lower than we \
    planned. Can you move the Tuesday review to Thursday so that gas control \
    can join us with the revised nominations? Thanks, Ann\r\n";
const MAIL_OTHER: &str = "Bo, lunch on Friday is moved to the cafe across the street because \
    the kitchen upstairs is closed for repairs all of next week. See you, Ann\r\n";
const PLAIN: &str = "Content-Type: text/plain; charset=us-ascii\r\n";
const BASE64: &str =
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n";
const FIRST_DATE: &str = "Mon, 14 May 2001 09:00:00 -0700 (PDT)";
const LATER_DATE: &str = "Tue, 15 May 2001 09:00:00 -0700 (PDT)";

fn mail(id: &str, date: &str, folder: &str, extra: &str, body: &str) -> String {
    format!(
        "Message-ID: <{id}.JavaMail.evans@thyme>\r\nDate: {date}\r\n\
         From: ann.lee@example.com\r\nTo: bo.chan@example.com\r\n\
         Subject: Re: pipeline capacity\r\nMime-Version: 1.0\r\n{extra}\
         X-Folder: \\{folder}\r\nX-FileName: alee.nsf\r\n\r\n{body}"
    )
}

#[test]
fn mail_copies_match_on_their_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (body, other) = (MAIL_BODY, MAIL_OTHER);
    for sub in ["inbox", "Maildir/cur"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    // A Maildir message's name has what looks like an extension.
    let maildir = "Maildir/cur/989856000.M12P34.mx:2,S";
    let (plain, first, later) = (PLAIN, FIRST_DATE, LATER_DATE);
    // The same message in the recipient's folder (Enron names files "1.") and the sender's.
    std::fs::write(d.join("inbox/1."), mail("101", first, "inbox", plain, body)).unwrap();
    std::fs::write(d.join(maildir), mail("202", first, "sent", plain, body)).unwrap();
    // Sent again a day later, base64-encoded: no word of its raw text is in the others.
    let b64 = BASE64;
    std::fs::write(
        d.join("resent.eml"),
        mail("303", later, "sent", b64, &base64(body.as_bytes())),
    )
    .unwrap();
    // Another message with the same headers and a different body.
    std::fs::write(
        d.join("inbox/2."),
        mail("404", first, "inbox", plain, other),
    )
    .unwrap();
    // Set the file times against the mail dates: the Date header decides which is newest.
    for (name, secs) in [
        ("inbox/1.", 3_000_000_000u64),
        ("resent.eml", 1_000_000_000),
    ] {
        let f = std::fs::File::options()
            .write(true)
            .open(d.join(name))
            .unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    }
    let out = neardup(&["scan", d.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want: BTreeSet<Vec<String>> = [vec![
        maildir.to_string(),
        "inbox/1.".into(),
        "resent.eml".into(),
    ]]
    .into();
    assert_eq!(clusters(&json(&out)), want);

    let plan = neardup(&[
        "dedup",
        d.to_str().unwrap(),
        "--dry-run",
        "--keep",
        "newest",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let plan = stdout(&plan);
    assert!(plan.contains("drop inbox/1."), "{plan}");
    assert!(!plan.contains("drop resent.eml"), "{plan}");
}

#[test]
fn mbox_messages_are_documents_and_dedup_drops_them_from_the_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (body, other, plain, b64) = (MAIL_BODY, MAIL_OTHER, PLAIN, BASE64);
    let (first, later) = (FIRST_DATE, LATER_DATE);
    let separator = "From ann.lee@example.com Mon May 14 16:00:00 2001\r\n";
    let messages = [
        format!("{separator}{}\r\n", mail("1", first, "inbox", plain, body)),
        format!("{separator}{}\r\n", mail("2", first, "inbox", plain, other)),
        // The same body a day later, base64-encoded, as the last message.
        format!(
            "{separator}{}",
            mail("3", later, "sent", b64, &base64(body.as_bytes()))
        ),
    ];
    std::fs::create_dir_all(d.join("in")).unwrap();
    std::fs::write(d.join("in/list.mbox"), messages.concat()).unwrap();
    std::fs::write(d.join("in/copy.eml"), mail("4", first, "sent", plain, body)).unwrap();
    let input = d.join("in");
    let out = neardup(&["scan", input.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want: BTreeSet<Vec<String>> = [vec![
        "copy.eml".to_string(),
        "list.mbox:1".into(),
        "list.mbox:3".into(),
    ]]
    .into();
    assert_eq!(clusters(&json(&out)), want);

    let target = d.join("out");
    let run = neardup(&[
        "dedup",
        input.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
        "--keep",
        "newest",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(!target.join("copy.eml").exists());
    // The kept messages, byte for byte.
    assert_eq!(
        std::fs::read_to_string(target.join("list.mbox")).unwrap(),
        [messages[1].as_str(), messages[2].as_str()].concat()
    );
}

/// Standard base64, lines of 76 characters.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
        if out.len() % 78 == 76 {
            out.push_str("\r\n");
        }
    }
    out + "\r\n"
}

#[test]
fn lines_within_finds_a_repeated_and_reworded_headline() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Metro Daily\nCity\n\nCouncil Approves New Budget for Schools and Parks After Long Debate\n\n\
        Council Approves New Budget for Schools and Parks After Long Debate\n\nThe council voted on Tuesday.\n\n\
        Council Approves Budget for Schools After Debate\n\nMore text follows here about the vote.\n";
    std::fs::write(dir.path().join("story.txt"), text).unwrap();
    let out = neardup(&[
        "lines",
        dir.path().to_str().unwrap(),
        "--within",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let within = v["within"].as_array().unwrap();
    assert_eq!(within.len(), 1, "{v}");
    assert_eq!(within[0]["id"], "story.txt");
    assert_eq!(within[0]["lines"], serde_json::json!([4, 6, 10]));
    assert_eq!(within[0]["near"][0]["line"], 10);
    assert!(v.get("across").is_none());
}

#[test]
fn lines_across_counts_footer_lines_exactly() {
    let dir = corpus(1200, 4);
    let docs = dir.path().join("docs");
    // Count independently: documents with a line equal to it after normalization (retyped
    // copies put non-breaking spaces in some lines).
    let files = walk(&docs);
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let count = |line: &str| {
        let want = neardup::normalize::normalize(line);
        texts
            .iter()
            .filter(|t| t.lines().any(|l| neardup::normalize::normalize(l) == want))
            .count()
    };
    let out = neardup(&[
        "lines",
        docs.to_str().unwrap(),
        "--across",
        "--min-documents",
        "20",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["documents"], 1200);
    let across = v["across"].as_array().unwrap();
    let reported = |text: &str| {
        across
            .iter()
            .find(|l| l["text"] == text)
            .map(|l| l["documents"].as_u64().unwrap() as usize)
    };
    for line in ["Help us improve.", "Related Articles"] {
        assert_eq!(reported(line), Some(count(line)), "{line}");
    }
    // Every site's copyright line, counted exactly.
    let copyrights: Vec<&serde_json::Value> = across
        .iter()
        .filter(|l| l["text"].as_str().unwrap().starts_with("© 2026"))
        .collect();
    assert!(copyrights.len() >= 4);
    for l in copyrights {
        assert_eq!(
            l["documents"].as_u64().unwrap() as usize,
            count(l["text"].as_str().unwrap())
        );
    }
    let counts: Vec<u64> = across
        .iter()
        .map(|l| l["documents"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most frequent first"
    );
}

#[test]
fn compare_shows_containment_and_passages() {
    let full = std::fs::read_to_string(samples().join("story-12-original.txt")).unwrap();
    let body: Vec<&str> = full.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    // The first half of the article under another header, ending in a teaser.
    let truncated = format!(
        "Other Site News\n\n{}\n\nContinue reading on our partner site.\n",
        body[..body.len() / 2].join("\n")
    );
    std::fs::write(dir.path().join("full.txt"), &full).unwrap();
    std::fs::write(dir.path().join("part.txt"), &truncated).unwrap();
    let out = neardup(&[
        "compare",
        dir.path().join("part.txt").to_str().unwrap(),
        dir.path().join("full.txt").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    for key in [
        "jaccard",
        "estimate",
        "a_in_b",
        "b_in_a",
        "shared_shingles",
        "passages",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert!(v["a_in_b"].as_f64().unwrap() >= 0.9, "{v}");
    assert!(v["jaccard"].as_f64().unwrap() < 0.7, "{v}");
    let passages = v["passages"].as_array().unwrap();
    assert!(!passages.is_empty());
    assert_eq!(
        passages[0]["a_lines"][0], 3,
        "the shared text starts after the new header"
    );
    let missing = neardup(&[
        "compare",
        "/no/such/a.txt",
        dir.path().join("full.txt").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn containment_finds_truncated_copies() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig {
        docs: 1500,
        seed: 12,
        sites: 8,
        truncated: true,
        ..SynthConfig::default()
    };
    generate(&config, dir.path()).unwrap();
    let docs = dir.path().join("docs");
    let truth = neardup::eval::read_truth(&dir.path().join("truth.jsonl")).unwrap();
    let score = |args: &[&str]| {
        let out = neardup(
            &[
                &["scan", docs.to_str().unwrap(), "--format", "json"][..],
                args,
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let result = dir.path().join("result.json");
        std::fs::write(&result, &out.stdout).unwrap();
        (
            neardup::eval::score(&truth, &neardup::eval::read_clusters(&result).unwrap(), &[])
                .unwrap(),
            json(&out),
        )
    };
    let (plain, _) = score(&[]);
    let (with, v) = score(&["--containment"]);
    let truncated = |s: &neardup::eval::Scores| {
        let k = &s.by_kind["truncated"];
        k.found as f64 / k.documents as f64
    };
    assert!(with.by_kind["truncated"].documents > 50);
    assert!(truncated(&with) >= 0.97, "{:?}", with.by_kind["truncated"]);
    assert!(truncated(&plain) < truncated(&with));
    assert!(with.precision >= 0.995, "{}", with.precision);
    assert_eq!(v["params"]["containment"], 0.9);
    let contained: Vec<&serde_json::Value> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["members"].as_array().unwrap())
        .filter(|m| m["kind"] == "contained")
        .collect();
    assert!(!contained.is_empty());
    for m in contained {
        assert!(m["containment"].as_f64().unwrap() >= 0.9);
        assert!(m["jaccard"].as_f64().unwrap() < 0.45);
    }
}

#[test]
fn headlines_group_same_and_reworded_headlines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let page = |title: &str, body: &str| {
        format!("<html><head><title>{title} | The Daily Site</title></head><body><p>{body}</p></body></html>")
    };
    std::fs::write(
        p.join("a.html"),
        page(
            "Council Approves New Budget for Schools and Parks",
            "First version of the story.",
        ),
    )
    .unwrap();
    std::fs::write(
        p.join("b.html"),
        page(
            "Council approves new budget for schools and parks",
            "An updated story with new facts.",
        ),
    )
    .unwrap();
    std::fs::write(p.join("c.txt"), "Council Approves Budget for Schools and Parks After Debate\n\nA rewrite of the same story.\n").unwrap();
    std::fs::write(
        p.join("d.txt"),
        "Storm Closes Harbor for Second Day\n\nUnrelated story.\n",
    )
    .unwrap();
    let out = neardup(&["headlines", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["documents"], 4);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{v}");
    let ids: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a.html", "b.html", "c.txt"]);
    assert_eq!(
        groups[0]["headline"], "Council Approves New Budget for Schools and Parks",
        "site name dropped from the title"
    );
    let sims: Vec<f64> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["similarity"].as_f64().unwrap())
        .collect();
    assert_eq!(sims[..2], [1.0, 1.0]);
    assert!(sims[2] >= 0.6 && sims[2] < 1.0);
}

fn dedup_check(dir: &Path, kept: &BTreeSet<String>, report: &Path) -> (usize, usize, usize) {
    // (families lost, copies, copies dropped); every dropped document is in the report with a
    // kept document that is in the output.
    let truth = neardup::eval::read_truth(&dir.join("truth.jsonl")).unwrap();
    let mut families: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for t in &truth {
        families
            .entry(t.family.as_str())
            .or_default()
            .push(t.id.as_str());
    }
    let lost = families
        .values()
        .filter(|ids| !ids.iter().any(|i| kept.contains(*i)))
        .count();
    let copies: usize = families.values().map(|ids| ids.len() - 1).sum();
    let extra: usize = families
        .values()
        .map(|ids| {
            ids.iter()
                .filter(|i| kept.contains(**i))
                .count()
                .saturating_sub(1)
        })
        .sum();
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reported: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let dropped: BTreeSet<String> = truth
        .iter()
        .map(|t| t.id.clone())
        .filter(|i| !kept.contains(i))
        .collect();
    assert_eq!(
        reported, dropped,
        "the report lists exactly the dropped documents"
    );
    for r in &rows {
        assert!(kept.contains(r["kept"].as_str().unwrap()), "{r}");
        assert!(["exact", "near", "contained"].contains(&r["kind"].as_str().unwrap()));
    }
    (lost, copies, copies - extra)
}

#[test]
fn dedup_keeps_one_of_every_story_as_folder_and_as_jsonl() {
    let folder = tempfile::tempdir().unwrap();
    let jsonl = tempfile::tempdir().unwrap();
    let config = SynthConfig {
        docs: 1500,
        seed: 14,
        sites: 8,
        truncated: true,
        ..SynthConfig::default()
    };
    generate(&config, folder.path()).unwrap();
    generate(
        &SynthConfig {
            jsonl: true,
            ..config
        },
        jsonl.path(),
    )
    .unwrap();
    let before = walk(&folder.path().join("docs"))
        .into_iter()
        .map(|f| std::fs::read(&f).unwrap())
        .collect::<Vec<_>>();

    let out = folder.path().join("out");
    let report = folder.path().join("report.jsonl");
    let o = neardup(&[
        "dedup",
        folder.path().join("docs").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--containment",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kept: BTreeSet<String> = walk(&out)
        .iter()
        .map(|f| {
            Path::new(f)
                .strip_prefix(&out)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (lost, copies, dropped) = dedup_check(folder.path(), &kept, &report);
    assert_eq!(lost, 0, "no story lost");
    assert!(
        dropped as f64 >= 0.98 * copies as f64,
        "{dropped} of {copies} copies dropped"
    );
    for id in &kept {
        assert_eq!(
            std::fs::read(out.join(id)).unwrap(),
            std::fs::read(folder.path().join("docs").join(id)).unwrap(),
            "copied byte for byte"
        );
    }
    let after = walk(&folder.path().join("docs"))
        .into_iter()
        .map(|f| std::fs::read(&f).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(before, after, "inputs are never modified");

    let out_j = jsonl.path().join("out.jsonl");
    let report_j = jsonl.path().join("report.jsonl");
    let input = jsonl.path().join("corpus.jsonl");
    let o = neardup(&[
        "dedup",
        input.to_str().unwrap(),
        "--id-field",
        "id",
        "--out",
        out_j.to_str().unwrap(),
        "--containment",
        "--report",
        report_j.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = std::fs::read_to_string(&out_j).unwrap();
    let input_text = std::fs::read_to_string(&input).unwrap();
    let originals: BTreeSet<&str> = input_text.lines().collect();
    let kept_j: BTreeSet<String> = lines
        .lines()
        .map(|l| {
            assert!(
                originals.contains(l),
                "records are kept exactly as they were"
            );
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kept_j, kept, "folder and JSONL keep the same documents");
    dedup_check(jsonl.path(), &kept_j, &report_j);
}

#[test]
fn dedup_refuses_to_overwrite_and_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep-me.txt"), "x").unwrap();
    let s = samples();
    let o = neardup(&["dedup", s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert!(out.join("keep-me.txt").exists());
    let o = neardup(&["dedup", s.to_str().unwrap(), "--dry-run"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("drop story-"));
    let o = neardup(&[
        "dedup",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !out.join("keep-me.txt").exists(),
        "--force replaces the folder"
    );
    assert!(out.join("story-02-original.txt").exists());
    assert!(
        !out.join("story-09-exact.txt").exists() || !out.join("story-09-original.txt").exists()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("out")],
        "no staging folder left behind"
    );
}

#[test]
fn dedup_chaining_guard_and_keep_policies() {
    let dir = tempfile::tempdir().unwrap();
    let seg = |k: usize| {
        (0..40)
            .map(|i| format!("w{k}x{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // a~b and b~c share two of three segments; a and c share one: a chain.
    let docs = [
        ("a.txt", [1, 2, 3]),
        ("b.txt", [2, 3, 4]),
        ("c.txt", [3, 4, 5]),
    ];
    for (name, segs) in docs {
        let text: Vec<String> = segs.iter().map(|&k| seg(k)).collect();
        std::fs::write(dir.path().join(name), text.join("\n")).unwrap();
    }
    let o = neardup(&[
        "dedup",
        dir.path().to_str().unwrap(),
        "--dry-run",
        "--keep",
        "first",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = stdout(&o);
    assert!(plan.contains("drop b.txt"), "{plan}");
    assert!(
        !plan.contains("drop c.txt"),
        "c matches a only through b: {plan}"
    );
    assert!(
        stderr(&o).contains("1 clusters were split"),
        "{}",
        stderr(&o)
    );

    // Keep policies on one exact pair of different lengths after normalization-equal text.
    let p = tempfile::tempdir().unwrap();
    let story = std::fs::read_to_string(samples().join("story-02-original.txt")).unwrap();
    std::fs::write(p.path().join("long.txt"), story.replace('\n', "\n\n")).unwrap();
    std::fs::write(p.path().join("short.txt"), &story).unwrap();
    let kept = |policy: &str| {
        let o = neardup(&[
            "dedup",
            p.path().to_str().unwrap(),
            "--dry-run",
            "--keep",
            policy,
        ]);
        let plan = stdout(&o);
        let dropped = plan
            .lines()
            .find(|l| l.starts_with("drop "))
            .unwrap()
            .to_owned();
        if dropped.starts_with("drop long.txt") {
            "short.txt"
        } else {
            "long.txt"
        }
    };
    assert_eq!(kept("longest"), "long.txt");
    assert_eq!(kept("shortest"), "short.txt");
    assert_eq!(kept("first"), "long.txt");

    let j = tempfile::tempdir().unwrap();
    let rec = |id: &str, date: &str| {
        serde_json::json!({"id": id, "date": date, "text": story}).to_string()
    };
    std::fs::write(
        j.path().join("in.jsonl"),
        [
            rec("old", "2026-01-02"),
            rec("new", "2026-03-01"),
            rec("mid", "2026-02-01"),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = j.path().join("out.jsonl");
    let o = neardup(&[
        "dedup",
        j.path().join("in.jsonl").to_str().unwrap(),
        "--id-field",
        "id",
        "--date-field",
        "date",
        "--keep",
        "newest",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kept: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kept, ["new"]);
}

#[test]
fn dedup_killed_midway_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &SynthConfig {
            docs: 6000,
            seed: 3,
            ..SynthConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    let docs = dir.path().join("docs");
    let before: Vec<(String, Vec<u8>)> = walk(&docs)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
        .collect();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_neardup"))
        .args([
            "dedup",
            docs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the staging folder beside OUT holds something, then kill.
    let staging = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".neardup-dedup-")
            })
            .map(|e| e.path())
    };
    loop {
        if let Some(s) = staging() {
            if std::fs::read_dir(&s)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
            {
                break;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "dedup finished before it could be interrupted"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    kill9(&mut child);
    assert!(!out.exists(), "no partial output");
    let after: Vec<(String, Vec<u8>)> = walk(&docs)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
        .collect();
    assert_eq!(before, after, "input unchanged");
}

#[test]
fn odd_inputs_do_not_stop_scan_or_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in");
    std::fs::create_dir_all(p.join("sub")).unwrap();
    std::fs::write(
        p.join("bom.jsonl"),
        b"\xef\xbb\xbf{\"text\": \"first record with a byte order mark\"}\n",
    )
    .unwrap();
    std::fs::write(p.join("a.txt"), "plain text file").unwrap();
    std::os::unix::fs::symlink(&p, p.join("sub").join("loop")).unwrap();
    std::os::unix::fs::symlink("/definitely/not/here", p.join("broken.txt")).unwrap();
    let out = neardup(&["scan", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["summary"]["documents"],
        2,
        "the BOM record is read"
    );
    let dest = dir.path().join("out");
    let d = neardup(&[
        "dedup",
        p.to_str().unwrap(),
        "--out",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(d.status.code(), Some(0), "{}", stderr(&d));
    assert!(dest.join("bom.jsonl").exists() && dest.join("a.txt").exists());
    assert!(!dest.join("sub").join("loop").exists());
}

#[test]
fn stats_json_on_stderr() {
    let out = neardup(&[
        "scan",
        samples().to_str().unwrap(),
        "--stats",
        "json",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    assert_eq!(v["documents"], 37);
    assert!(v["stage_seconds"]["fingerprint"].as_f64().is_some());
    assert!(v["mb_per_second"].as_f64().unwrap() > 0.0);
    assert!(
        stdout(&out).starts_with("cluster,"),
        "stdout keeps the report only"
    );
}

#[test]
fn a_memory_budget_spills_to_disk_with_the_same_result() {
    let dir = corpus(3000, 17);
    let docs = dir.path().join("docs");
    let docs = docs.to_str().unwrap();
    let plain = neardup(&["scan", docs, "--format", "json", "--containment"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    // 3,000 documents need about 2 MiB of signatures and band tables: 1M is too little.
    let spilled = neardup(&[
        "scan",
        docs,
        "--format",
        "json",
        "--containment",
        "--memory",
        "1M",
        "--stats",
        "json",
    ]);
    assert!(spilled.status.success(), "{}", stderr(&spilled));
    let stats: serde_json::Value = serde_json::from_str(stderr(&spilled).trim()).unwrap();
    assert!(
        stats["spill_runs_per_band"].as_u64().unwrap() >= 1,
        "{stats}"
    );
    assert_eq!(stdout(&plain), stdout(&spilled));
    assert!(!clusters(&json(&plain)).is_empty());
    // A roomy budget changes nothing and spills nothing.
    let roomy = neardup(&["scan", docs, "--memory", "1G", "--stats", "json", "-q"]);
    let stats: serde_json::Value = serde_json::from_str(stderr(&roomy).trim()).unwrap();
    assert!(stats["spill_runs_per_band"].is_null());
    let bad = neardup(&["scan", docs, "--memory", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
}
