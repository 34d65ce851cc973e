//! The `mntns` command. It only parses arguments and prints; all behaviour lives in the
//! `mntns` core crate.

mod run;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Linux mount-namespace isolation from the command line.
#[derive(Parser)]
#[command(name = "mntns", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(run::RunArgs),
}

fn main() {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let code = match cli.command {
        Command::Run(args) => {
            let sub = matches.subcommand_matches("run").expect("run was matched");
            run::main(args, sub)
        }
    };
    std::process::exit(code);
}
