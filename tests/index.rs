//! `neardup index` end to end: the real binary on real files and a real SQLite database.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use neardup::synth::{generate, SynthConfig};

mod common;
use common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A generated corpus whose files are split into two days, every other file.
fn two_days(docs: usize, seed: u64) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &SynthConfig {
            docs,
            seed,
            sites: 8,
            ..SynthConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    let (d1, d2) = (dir.path().join("day1"), dir.path().join("day2"));
    let docs = dir.path().join("docs");
    for (i, f) in walk(&docs).iter().enumerate() {
        let rel = Path::new(f).strip_prefix(&docs).unwrap();
        let to = if i % 2 == 0 { &d1 } else { &d2 }.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(f, to).unwrap();
    }
    (dir, d1, d2)
}

/// The ids of the files below `dir`: their paths relative to it.
fn ids_under(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .iter()
        .map(|f| {
            let rel = Path::new(f).strip_prefix(dir).unwrap();
            rel.to_str().unwrap().to_owned()
        })
        .collect()
}

/// `(query id, indexed id)` pairs of a `query --format json` answer.
fn matches(v: &serde_json::Value) -> BTreeSet<(String, String)> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let q = r["id"].as_str().unwrap().to_owned();
            r["matches"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |m| (q.clone(), m["id"].as_str().unwrap().to_owned()))
        })
        .collect()
}

fn query(index: &Path, docs: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "index",
        "query",
        "--index",
        s(index),
        s(docs),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = neardup(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)
}

fn add(index: &Path, docs: &Path, extra: &[&str]) -> String {
    let mut args = vec!["index", "add", "--index", s(index), s(docs)];
    args.extend_from_slice(extra);
    let o = neardup(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

fn stats(index: &Path) -> serde_json::Value {
    let o = neardup(&["index", "stats", "--index", s(index), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)
}

#[test]
fn day_two_against_day_one_finds_the_scan_pairs() {
    let (dir, d1, d2) = two_days(3000, 41);
    let index = dir.path().join("news.ndx");
    add(&index, &d1, &[]);
    let found = matches(&query(&index, &d2, &[]));
    let scan = neardup(&["scan", s(&d1), s(&d2), "--format", "json"]);
    let day2: BTreeSet<String> = ids_under(&d2);
    let mut truth = BTreeSet::new();
    for c in json(&scan)["clusters"].as_array().unwrap() {
        let ids: Vec<String> = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        for q in ids.iter().filter(|i| day2.contains(*i)) {
            for x in ids.iter().filter(|i| !day2.contains(*i)) {
                truth.insert((q.clone(), x.clone()));
            }
        }
    }
    assert!(truth.len() > 100, "the corpus plants cross-day copies");
    let both = found.intersection(&truth).count();
    let precision = both as f64 / found.len() as f64;
    let recall = both as f64 / truth.len() as f64;
    assert!(precision >= 0.995, "precision {precision}");
    assert!(recall >= 0.985, "recall {recall}");
    // Every match was verified on the texts, still in place.
    let v = query(&index, &d2, &[]);
    for r in v["results"].as_array().unwrap() {
        for m in r["matches"].as_array().unwrap() {
            let basis = m["basis"].as_str().unwrap();
            assert!(basis == "text" || basis == "identical", "{m}");
            assert!(m["jaccard"].as_f64().unwrap() >= 0.45);
        }
    }
}

#[test]
fn re_adding_changes_nothing_and_new_content_replaces() {
    let (dir, d1, _) = two_days(400, 5);
    let index = dir.path().join("i.ndx");
    let first = add(&index, &d1, &[]);
    assert!(first.contains(" 0 replaced, 0 unchanged"), "{first}");
    let n = stats(&index)["documents"].as_u64().unwrap();
    let again = add(&index, &d1, &[]);
    assert!(
        again.contains(&format!("0 added, 0 replaced, {n} unchanged")),
        "{again}"
    );
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n);

    // One file gets new text: the same add replaces its entry and only its entry.
    let file = PathBuf::from(&walk(&d1)[0]);
    let id = file.strip_prefix(&d1).unwrap().to_str().unwrap().to_owned();
    let old_text = std::fs::read_to_string(&file).unwrap();
    let other = dir.path().join("old");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("old.txt"), &old_text).unwrap();
    std::fs::write(
        &file,
        "An entirely different story about the harbour authority and its new ferry timetable, \
         which starts next spring after two years of delays and a long public consultation.",
    )
    .unwrap();
    let third = add(&index, &d1, &[]);
    assert!(third.contains("0 added, 1 replaced"), "{third}");
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n);
    // The old text no longer finds that id.
    let v = query(&index, &other, &[]);
    assert!(
        !matches(&v).iter().any(|(_, m)| *m == id),
        "old entry still indexed"
    );
}

#[test]
fn mismatched_parameters_are_refused_with_the_reason() {
    let (dir, d1, d2) = two_days(200, 6);
    let index = dir.path().join("i.ndx");
    add(&index, &d1, &["--shingle", "word:5"]);
    let o = neardup(&[
        "index",
        "add",
        "--index",
        s(&index),
        s(&d2),
        "--num-perm",
        "64",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--num-perm 64") && e.contains("128"), "{e}");
    // Left out, the options are the index's own.
    add(&index, &d2, &[]);
    assert_eq!(
        stats(&index)["params"]["shingle"].as_str().unwrap(),
        "word:5"
    );
    // A query may raise the threshold but not lower it.
    let o = neardup(&[
        "index",
        "query",
        "--index",
        s(&index),
        s(&d2),
        "--threshold",
        "0.3",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v = query(&index, &d2, &["--threshold", "0.9"]);
    for r in v["results"].as_array().unwrap() {
        for m in r["matches"].as_array().unwrap() {
            assert!(m["jaccard"].as_f64().unwrap() >= 0.9);
        }
    }
    // Something that is not an index.
    let not = dir.path().join("notes.txt");
    std::fs::write(&not, "just some notes, not a database").unwrap();
    let o = neardup(&["index", "stats", "--index", s(&not)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    let o = neardup(&[
        "index",
        "stats",
        "--index",
        s(&dir.path().join("missing.ndx")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("missing.ndx").exists());
}

#[test]
fn remove_and_evict() {
    let (dir, d1, d2) = two_days(300, 8);
    let index = dir.path().join("i.ndx");
    // Day 1 was added long ago, day 2 now.
    add(&index, &d1, &["--added-at", "1000"]);
    add(&index, &d2, &[]);
    let n1 = walk(&d1).len() as u64;
    let n2 = walk(&d2).len() as u64;
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n1 + n2);
    let o = neardup(&[
        "index",
        "evict",
        "--index",
        s(&index),
        "--older-than",
        "30d",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{n1} documents evicted")),
        "{}",
        stderr(&o)
    );
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n2);
    // Day 1 now only finds day 2 documents.
    let day2_ids: BTreeSet<String> = ids_under(&d2);
    for (_, m) in matches(&query(&index, &d1, &[])) {
        assert!(day2_ids.contains(&m), "{m} was evicted");
    }
    // Each day-2 document finds itself; removed, it does not.
    let id = day2_ids.iter().next().unwrap().clone();
    assert!(matches(&query(&index, &d2, &[])).contains(&(id.clone(), id.clone())));
    let o = neardup(&[
        "index",
        "remove",
        "--index",
        s(&index),
        &id,
        "no/such/id.txt",
    ]);
    assert_eq!(o.status.code(), Some(1), "one id was missing");
    assert!(stderr(&o).contains("no/such/id.txt"));
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n2 - 1);
    assert!(!matches(&query(&index, &d2, &[])).contains(&(id.clone(), id)));
}

#[test]
fn verification_basis_follows_what_is_left_of_the_text() {
    let (dir, d1, _) = two_days(300, 9);
    let (plain, stored) = (dir.path().join("plain.ndx"), dir.path().join("stored.ndx"));
    add(&plain, &d1, &[]);
    add(&stored, &d1, &["--store-shingles"]);
    // Keep a copy of day 1 to query with, then delete the indexed texts.
    let copy = dir.path().join("copy");
    for f in walk(&d1) {
        let to = copy.join(Path::new(&f).strip_prefix(&d1).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap();
    }
    let edited = PathBuf::from(&walk(&copy)[3]);
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replacen(' ', " and ", 3)).unwrap();
    std::fs::remove_dir_all(&d1).unwrap();
    let bases = |v: &serde_json::Value| -> BTreeSet<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["matches"].as_array().unwrap().iter())
            .filter(|m| m["kind"] == "near")
            .map(|m| m["basis"].as_str().unwrap().to_owned())
            .collect()
    };
    let p = query(&plain, &copy, &[]);
    let s = query(&stored, &copy, &[]);
    assert_eq!(bases(&p), BTreeSet::from(["estimate".to_string()]));
    assert_eq!(bases(&s), BTreeSet::from(["stored-shingles".to_string()]));
    assert!(p["summary"]["estimated"].as_u64().unwrap() > 0);
    // Both find the edited copy.
    let id = edited
        .strip_prefix(&copy)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(matches(&p).contains(&(id.clone(), id.clone())));
    assert!(matches(&s).contains(&(id.clone(), id)));
}

#[test]
fn query_add_is_the_daily_loop() {
    let (dir, d1, d2) = two_days(600, 10);
    let index = dir.path().join("i.ndx");
    let first = query(&index, &d1, &["--add"]);
    let added = first["summary"]["added"].as_u64().unwrap();
    let dups = first["summary"]["duplicates"].as_u64().unwrap();
    // Documents that copy an earlier one of the same run are not added.
    assert_eq!(added + dups, walk(&d1).len() as u64);
    assert!(dups > 0, "day 1 has copies among itself");
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), added);
    // Day 2: documents that copy day 1 are not added; the rest are.
    let second = query(&index, &d2, &["--add"]);
    for r in second["results"].as_array().unwrap() {
        assert_eq!(
            r["added"].as_bool().unwrap(),
            r["matches"].as_array().unwrap().is_empty(),
            "{r}"
        );
    }
    let total = added + second["summary"]["added"].as_u64().unwrap();
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), total);
    // The same day again adds nothing.
    let again = query(&index, &d2, &["--add"]);
    assert_eq!(again["summary"]["added"].as_u64().unwrap(), 0);
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), total);
}

#[test]
fn killed_add_leaves_a_working_index_that_the_same_add_completes() {
    let (dir, d1, d2) = two_days(8000, 12);
    let (killed, whole) = (dir.path().join("killed.ndx"), dir.path().join("whole.ndx"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_neardup"))
        .args([
            "index",
            "add",
            "--index",
            s(&killed),
            s(&d1),
            "--commit-every",
            "300",
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Readers work while the writer adds: wait until some documents are visible, then kill.
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the add finished before it could be killed"
        );
        let o = neardup(&["index", "stats", "--index", s(&killed), "--format", "json"]);
        if o.status.success() && json(&o)["documents"].as_u64().unwrap() > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    kill9(&mut child);
    let partial = stats(&killed)["documents"].as_u64().unwrap();
    let all = walk(&d1).len() as u64;
    assert!(partial > 0 && partial < all, "{partial} of {all}");
    // It still answers.
    query(&killed, &d2, &[]);
    // The same add completes it; it then answers exactly like an index built in one go.
    add(&killed, &d1, &[]);
    add(&whole, &d1, &[]);
    assert_eq!(stats(&killed)["documents"].as_u64().unwrap(), all);
    assert_eq!(query(&killed, &d2, &[]), query(&whole, &d2, &[]));
}

#[test]
fn two_writers_wait_for_each_other() {
    let (dir, d1, d2) = two_days(3000, 13);
    let index = dir.path().join("i.ndx");
    let spawn = |d: &Path| {
        Command::new(env!("CARGO_BIN_EXE_neardup"))
            .args([
                "index",
                "add",
                "--index",
                s(&index),
                s(d),
                "--commit-every",
                "200",
                "-q",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&d1), spawn(&d2));
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let n = (walk(&d1).len() + walk(&d2).len()) as u64;
    assert_eq!(stats(&index)["documents"].as_u64().unwrap(), n);
    // Every document finds itself.
    let v = query(&index, &d1, &[]);
    for r in v["results"].as_array().unwrap() {
        assert!(
            r["matches"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == r["id"]),
            "{r}"
        );
    }
}

#[test]
fn jsonl_records_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let story = "The city council voted on Tuesday to close the old harbour bridge for repairs \
                 that will take most of next year, a decision that shopkeepers on both banks \
                 have opposed since the plan was first published in the spring.";
    let other = "Rain is expected across the north of the country for the rest of the week, with \
                 flood warnings issued for three river valleys and schools told to prepare.";
    let line = |id: &str, text: &str| serde_json::json!({ "id": id, "body": text }).to_string();
    let archive = dir.path().join("archive.jsonl");
    std::fs::write(
        &archive,
        format!("{}\n{}\n", line("a-1", other), line("a-2", story)),
    )
    .unwrap();
    let index = dir.path().join("i.ndx");
    let fields = ["--id-field", "id", "--text-field", "body"];
    add(&index, &archive, &fields);
    // A reworded copy of a-2: verified on the JSONL record read again at its offset.
    let today = dir.path().join("today.jsonl");
    let copy = story.replace("for repairs", "for urgent repairs");
    std::fs::write(&today, format!("{}\n", line("t-1", &copy))).unwrap();
    let v = query(&index, &today, &fields);
    let m = &v["results"][0]["matches"][0];
    assert_eq!(m["id"], "a-2");
    assert_eq!(m["basis"], "text");
    assert_eq!(m["kind"], "near");
    // Documents from standard input cannot be read again: their shingles are kept.
    let piped = dir.path().join("piped.ndx");
    let o = run_with(
        &[
            "index",
            "add",
            "--index",
            s(&piped),
            "-",
            "--id-field",
            "id",
            "--text-field",
            "body",
        ],
        &[],
        Some(&format!("{}\n", line("p-1", story))),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stats(&piped)["stored_shingles"].as_u64().unwrap(), 1);
    let v = query(&piped, &today, &fields);
    assert_eq!(v["results"][0]["matches"][0]["basis"], "stored-shingles");
}
