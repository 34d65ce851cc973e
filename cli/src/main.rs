//! The `mntns` command. It only parses arguments and prints; all behaviour lives in the
//! `mntns` core crate.

use clap::Parser;

/// Linux mount-namespace isolation from the command line.
#[derive(Parser)]
#[command(name = "mntns", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
