//! `mntns ls`: the lsns view of namespaces.

use mntns::columns::NsColumn;
use mntns::ns::{ListOptions, namespaces_with};
use mntns::{Error, NsKind, Pid};

use crate::output::{Column, Table};

pub const EXAMPLES: &str = "Examples:\n  \
    mntns ls                      # every namespace: NS TYPE NPROCS PID USER COMMAND\n  \
    mntns ls -t mnt -J            # mount namespaces as JSON, with lsns -J's keys\n  \
    mntns ls -p 1234              # the namespaces process 1234 is in\n  \
    mntns ls -t net --pinned      # also net namespaces only a bind mount keeps (ip netns)\n  \
    mntns ls -o NS,TYPE,ONS,PINNED-BY";

/// The `--help` text after the options: the columns, and how this differs from lsns.
pub fn long_help() -> String {
    let mut s = String::from(EXAMPLES);
    s.push_str(
        "\n\nColumns (-o; a leading + adds to the default NS,TYPE,NPROCS,PID,USER,COMMAND):\n",
    );
    for c in NsColumn::ALL {
        s.push_str(&format!("  {:>10}  {}\n", c.name(), c.help()));
    }
    s.push_str(
        "\nUnlike lsns, the output is always a list (lsns -l): lsns's default tree view is not \
         offered. By default the namespaces that processes are in are listed, as lsns 2.38 \
         lists them; --pinned (or the NSFS and PINNED-BY columns) also reads every \
         process's open descriptors and every mount table, to list namespaces kept alive \
         only by an open fd or an nsfs bind mount.",
    );
    s
}

#[derive(clap::Args)]
pub struct Args {
    /// Only namespaces of this kind: mnt, uts, ipc, pid, net, user, cgroup, time.
    #[arg(short = 't', long = "type", value_parser = crate::id::parse_kind)]
    kind: Option<NsKind>,
    /// Only the namespaces process PID is in (each still with all its processes).
    #[arg(short = 'p', long = "task", value_name = "PID", value_parser = crate::id::parse_pid)]
    pid: Option<Pid>,
    /// JSON output, with lsns -J's keys.
    #[arg(short = 'J', long)]
    json: bool,
    /// The columns to show, comma-separated (see below).
    #[arg(short = 'o', long = "output", value_name = "COLUMNS", value_parser = parse_columns)]
    columns: Option<Columns>,
    /// Do not print the heading line.
    #[arg(short = 'n', long = "noheadings")]
    no_headings: bool,
    /// Also list namespaces no process is in, kept alive by an open fd or an nsfs bind
    /// mount (reads every process's fds and every mount table: slower).
    #[arg(long)]
    pinned: bool,
    /// Accepted for lsns compatibility: the output is always a list.
    #[arg(short = 'l', long = "list")]
    _list: bool,
}

#[derive(Clone)]
pub struct Columns(Vec<NsColumn>);

fn parse_columns(s: &str) -> Result<Columns, String> {
    NsColumn::parse_list(s)
        .map(Columns)
        .map_err(|e| e.hint().unwrap_or("bad column list").to_owned())
}

pub fn run(args: Args) -> Result<u8, Error> {
    let columns = args
        .columns
        .map_or_else(|| NsColumn::DEFAULT.to_vec(), |c| c.0);
    // Only the passes the columns need; the walk uses every CPU (the CLI does not unshare
    // or enter afterwards, so the threads it joined cannot get in the way).
    let base = ListOptions::new()
        .kind(args.kind)
        .pid(args.pid)
        .parallel(true);
    let mut options = NsColumn::list_options(&columns, base);
    if args.pinned {
        options = options.fds(true).bind_mounts(true);
    }
    let list = namespaces_with(&options)?;

    let mut table = Table::new(
        columns
            .iter()
            .map(|c| Column {
                name: c.name(),
                key: c.json_key(),
                number: c.is_number(),
            })
            .collect(),
    );
    for ns in &list {
        table.push(columns.iter().map(|c| c.value(ns)));
    }
    let mut out = Vec::with_capacity(list.len() * 64);
    if args.json {
        table.render_json("namespaces", &mut out);
    } else {
        table.render_text(!args.no_headings, &mut out);
    }
    crate::output::write_stdout(&out)?;
    Ok(0)
}
