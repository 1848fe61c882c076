//! `bbh`: the bluebutton-harness command line.

fn main() -> std::process::ExitCode {
    bluebutton_harness::cli::main()
}
