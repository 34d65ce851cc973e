//! Every function libmntns exports to C runs its body inside `guard(…)`, so no panic can
//! unwind into C (rustls-ffi#286 was one exported function that was missed), and every one
//! of them is declared in the committed header.
//!
//! The check reads the sources: each `#[unsafe(no_mangle)]` item must be an `extern "C"
//! fn` whose body starts with `guard(`, unless it is listed in `EXEMPT` with the reason it
//! cannot fail or panic.

use std::collections::BTreeSet;
use std::path::Path;

/// Exported functions without the guard, and why that is safe.
const EXEMPT: &[(&str, &str)] = &[
    (
        "mntns_version",
        "returns a pointer to a constant; no code that can panic",
    ),
    (
        "mntns_last_error",
        "reads a thread-local with try_with and falls back to a static string; cannot panic",
    ),
];

struct Export {
    file: String,
    name: String,
    body: String,
}

/// The index just past the `}` matching the `{` at `open`, skipping string literals.
fn matching_brace(src: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < src.len() {
        match src[i] {
            b'"' => {
                i += 1;
                while i < src.len() && src[i] != b'"' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced braces from byte {open}");
}

fn exports() -> Vec<Export> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !text.contains("#[no_mangle]") && !text.contains("export_name"),
            "{file}: export with #[unsafe(no_mangle)] only (cbindgen reads it, this test too)"
        );
        // Every extern "C" fn is an export this test sees (none hides without no_mangle).
        assert_eq!(
            text.matches("extern \"C\" fn").count(),
            text.matches("#[unsafe(no_mangle)]").count(),
            "{file}: an extern \"C\" fn without #[unsafe(no_mangle)], or the reverse"
        );
        for (at, _) in text.match_indices("#[unsafe(no_mangle)]") {
            let rest = &text[at..];
            let fn_at = rest
                .find("fn ")
                .unwrap_or_else(|| panic!("{file}: no_mangle without a function"));
            let signature = &rest[..fn_at];
            assert!(
                signature.contains("extern \"C\""),
                "{file}: an exported item is not an extern \"C\" fn: {signature}"
            );
            let name: String = rest[fn_at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body starts at the first `{` after the parameter list.
            let params_end = at + fn_at + rest[fn_at..].find(')').unwrap();
            let open = params_end + text[params_end..].find('{').unwrap();
            let close = matching_brace(text.as_bytes(), open);
            found.push(Export {
                file: file.clone(),
                name,
                body: text[open + 1..close - 1].to_owned(),
            });
        }
    }
    found
}

/// The first statement of a body, comments skipped.
fn first_code(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_export_is_guarded() {
    let exports = exports();
    assert!(exports.len() > 30, "found only {} exports", exports.len());
    let mut unguarded = Vec::new();
    for e in &exports {
        let exempt = EXEMPT.iter().any(|(n, _)| *n == e.name);
        let guarded = first_code(&e.body).starts_with("guard(");
        if guarded && exempt {
            panic!("{} is guarded: remove it from EXEMPT", e.name);
        }
        if !guarded && !exempt {
            unguarded.push(format!("{}: {}", e.file, e.name));
        }
        if guarded {
            let expected = format!("guard(\"{}\"", e.name);
            assert!(
                first_code(&e.body).starts_with(&expected),
                "{}: the guard of {} must carry its own name ({expected}…)",
                e.file,
                e.name
            );
        }
    }
    assert!(
        unguarded.is_empty(),
        "exported functions whose body does not start with guard(…): {unguarded:?}"
    );
    for (name, _) in EXEMPT {
        assert!(
            exports.iter().any(|e| e.name == *name),
            "EXEMPT lists {name}, which is not exported"
        );
    }
}

#[test]
fn every_export_is_in_the_header_and_nothing_else() {
    let names: BTreeSet<String> = exports().into_iter().map(|e| e.name).collect();
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/mntns.h"))
            .unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|l| !l.starts_with("//") && !l.starts_with(' ') && !l.starts_with('#'))
        .filter_map(|l| {
            let paren = l.find('(')?;
            let before = &l[..paren];
            let name = before.rsplit([' ', '*']).next()?;
            name.starts_with("mntns_").then(|| name.to_owned())
        })
        .collect();
    assert_eq!(
        names, declared,
        "exports and include/mntns.h differ: run scripts/gen-header"
    );
    for name in &names {
        assert!(name.starts_with("mntns_"), "{name} lacks the mntns_ prefix");
    }
}

#[test]
fn the_checker_sees_a_missing_guard() {
    // The parser itself: an unguarded body is reported, a guarded one is not.
    let guarded = "{\n    guard(\"mntns_x\", |call| {\n        Ok(0)\n    })\n}";
    let open = 0;
    let close = matching_brace(guarded.as_bytes(), open);
    assert!(first_code(&guarded[1..close - 1]).starts_with("guard(\"mntns_x\""));
    let bare =
        "{\n    // guard( in a comment does not count\n    let x = \"{\";\n    x.len() as c_int\n}";
    let close = matching_brace(bare.as_bytes(), 0);
    assert_eq!(close, bare.len());
    assert!(!first_code(&bare[1..close - 1]).starts_with("guard("));
}
