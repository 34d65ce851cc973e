//! `mntns mounts`: the findmnt view of a mount table — this process's, another process's,
//! or any mount namespace's, read without entering it.

use std::ffi::OsString;
use std::path::PathBuf;

use mntns::columns::{MountColumn, MountFilter};
use mntns::table::{mounts_of_namespace_with, mounts_with};
use mntns::{Error, NsFd, NsId, Pid, TableSource};

use crate::output::{Column, Table};

pub const EXAMPLES: &str = "Examples:\n  \
    mntns mounts                  # this process's table: TARGET SOURCE FSTYPE OPTIONS\n  \
    mntns mounts -J               # JSON with findmnt -J's keys, plus id, parent, propagation\n  \
    mntns mounts -p 1234 -t tmpfs # process 1234's tmpfs mounts\n  \
    mntns mounts --ns 'mnt:[4026532211]'   # a namespace by id, even with no process in it\n  \
    mntns mounts /tmp -o TARGET,PROPAGATION";

/// The `--help` text after the options: the columns and the backends.
pub fn long_help() -> String {
    let mut s = String::from(EXAMPLES);
    s.push_str("\n\nColumns (-o; a leading + adds to the default TARGET,SOURCE,FSTYPE,OPTIONS):\n");
    for c in MountColumn::ALL {
        s.push_str(&format!("  {:>12}  {}\n", c.name(), c.help()));
    }
    s.push_str(
        "\nThe output is a list (findmnt -l); -J adds id, parent and propagation to findmnt's \
         four keys unless -o says otherwise. Exit status 1 when no mount matches, as findmnt.\n\
         \n--source: statmount reads the table with listmount(2)/statmount(2) by the \
         namespace's 64-bit id (Linux 6.8; the only way to see UNIQ-ID); mountinfo reads \
         /proc/PID/mountinfo (for a namespace no process is in, a short-lived child joins \
         it); auto uses statmount when the kernel gives complete records, else mountinfo.",
    );
    s
}

#[derive(clap::Args)]
pub struct Args {
    /// Show only the mounts on this mount point.
    target: Option<PathBuf>,
    /// The mount table of process PID (default: this process's).
    #[arg(short = 'p', long = "task", short_alias = 'N', value_name = "PID", value_parser = crate::id::parse_pid, conflicts_with = "ns")]
    pid: Option<Pid>,
    #[arg(
        long,
        value_name = "ID|PATH",
        help = "The mount table of a mount namespace: its id (mnt:[4026532211], or the number \
                alone) or a namespace file (/proc/PID/ns/mnt, or a bind mount of one)"
    )]
    ns: Option<OsString>,
    /// Only these filesystem types, comma-separated; a leading "no" excludes them instead.
    #[arg(short = 't', long = "types", value_name = "FSTYPES")]
    fstypes: Option<String>,
    /// JSON output, with findmnt -J's keys.
    #[arg(short = 'J', long)]
    json: bool,
    /// The columns to show, comma-separated (see --help).
    #[arg(short = 'o', long = "output", value_name = "COLUMNS", value_parser = parse_columns)]
    columns: Option<Columns>,
    /// Do not print the heading line.
    #[arg(short = 'n', long = "noheadings")]
    no_headings: bool,
    /// How to read the table: auto, statmount or mountinfo.
    #[arg(long, value_name = "BACKEND", default_value = "auto", value_parser = parse_source)]
    source: TableSource,
    /// Accepted for findmnt compatibility: the output is always a list.
    #[arg(short = 'l', long = "list")]
    _list: bool,
}

#[derive(Clone)]
pub struct Columns(Vec<MountColumn>);

fn parse_columns(s: &str) -> Result<Columns, String> {
    MountColumn::parse_list(s)
        .map(Columns)
        .map_err(|e| e.hint().unwrap_or("bad column list").to_owned())
}

fn parse_source(s: &str) -> Result<TableSource, String> {
    s.parse()
        .map_err(|e: Error| e.hint().unwrap_or("bad source").to_owned())
}

/// The namespace `--ns` names: an id (`mnt:[N]` or `N`), found wherever it is held, or a
/// namespace file.
fn open_namespace(arg: &OsString) -> Result<NsFd, Error> {
    if let Some(text) = arg.to_str() {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return NsFd::find(format!("mnt:[{text}]").parse::<NsId>()?);
        }
        if text.contains(":[") {
            return NsFd::find(text.parse::<NsId>()?);
        }
    }
    NsFd::open(std::path::Path::new(arg))
}

pub fn run(args: Args) -> Result<u8, Error> {
    let columns = match args.columns {
        Some(c) => c.0,
        None if args.json => MountColumn::DEFAULT_JSON.to_vec(),
        None => MountColumn::DEFAULT.to_vec(),
    };
    let mut filter = MountFilter::new();
    if let Some(types) = &args.fstypes {
        filter = filter.fstypes(types)?;
    }
    if let Some(target) = &args.target {
        filter = filter.target(target);
    }
    let table = match (&args.ns, args.pid) {
        (Some(ns), _) => mounts_of_namespace_with(&open_namespace(ns)?, args.source)?,
        (None, pid) => mounts_with(pid, args.source)?,
    };

    let mut out_table = Table::new(
        columns
            .iter()
            .map(|c| Column {
                name: c.name(),
                key: c.json_key(),
                number: c.is_number(),
            })
            .collect(),
    );
    for m in table.iter().filter(|m| filter.matches(m)) {
        out_table.push(columns.iter().map(|c| c.value(m)));
    }
    // findmnt: nothing printed and exit status 1 when no mount matches.
    if out_table.is_empty() {
        return Ok(1);
    }
    let mut out = Vec::with_capacity(table.len() * 96);
    if args.json {
        out_table.render_json("filesystems", &mut out);
    } else {
        out_table.render_text(!args.no_headings, &mut out);
    }
    crate::output::write_stdout(&out)?;
    // The process exits next: its memory goes back with it. Freeing the tables first, one
    // allocation per cell and per mount, would cost about 5 % of the command for 5,000
    // mounts.
    std::mem::forget(out_table);
    std::mem::forget(table);
    Ok(0)
}
