//! Fuzzes the tmpfs size, inode-count and option parsers: they never panic, every
//! refusal is EINVAL, and everything accepted is in bounds, prints in a form that parses
//! back to the same value, and turns into a kernel option string of plain numbers — so a
//! value the parser accepts can never become an unlimited tmpfs by accident.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mntns::Errno;
use mntns::mount::{Inodes, Size, TmpfsOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_size(text);
    check_inodes(text);
    check_options(text);
});

fn check_size(text: &str) {
    match Size::parse(text) {
        Ok(size) => {
            size.validate().expect("an accepted size is valid");
            match size {
                Size::Bytes(n) => assert!(n > 0 && n <= Size::MAX_BYTES, "{text:?} -> {n}"),
                Size::Percent(p) => assert!((1..=100).contains(&p), "{text:?} -> {p}%"),
                Size::Unlimited => assert_eq!(text, "unlimited"),
            }
            assert_eq!(Size::parse(&size.to_string()).unwrap(), size, "{text:?}");
        }
        Err(e) => {
            assert_eq!(e.errno(), Errno::EINVAL, "{e}");
            assert!(e.to_string().contains(&format!("{text:?}")), "{e} does not quote it");
        }
    }
}

fn check_inodes(text: &str) {
    match Inodes::parse(text) {
        Ok(inodes) => {
            if let Inodes::Count(n) = inodes {
                assert!(n > 0 && n <= Inodes::MAX, "{text:?} -> {n}");
            } else {
                assert_eq!(text, "unlimited");
            }
            assert_eq!(Inodes::parse(&inodes.to_string()).unwrap(), inodes);
        }
        Err(e) => {
            assert_eq!(e.errno(), Errno::EINVAL, "{e}");
            assert!(e.to_string().contains(&format!("{text:?}")), "{e} does not quote it");
        }
    }
}

fn check_options(text: &str) {
    let opts = match TmpfsOptions::parse(text) {
        Ok(opts) => opts,
        Err(e) => {
            assert_eq!(e.errno(), Errno::EINVAL, "{e}");
            return;
        }
    };
    assert_eq!(TmpfsOptions::parse(&opts.to_string()).unwrap(), opts, "{text:?}");
    let data = opts.data().expect("accepted options give kernel data");
    for item in data.split(',').filter(|i| !i.is_empty()) {
        match item.split_once('=') {
            // Plain numbers only: the kernel never parses a suffix or a percentage.
            Some((key, value)) => {
                assert!(
                    ["size", "nr_inodes", "mode", "uid", "gid"].contains(&key),
                    "{data}"
                );
                assert!(value.bytes().all(|b| b.is_ascii_digit()), "{data}");
                if value == "0" && (key == "size" || key == "nr_inodes") {
                    // Unlimited only when spelled out.
                    assert!(text.contains(&format!("{key}=unlimited")), "{text:?} -> {data}");
                }
            }
            None => assert_eq!(item, "noswap", "{data}"),
        }
    }
}
