//! `bbh`: the bluebutton-harness command line.

fn main() {}
