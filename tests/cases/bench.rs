//! The benchmark is not run by the tests (it is slow and noisy), but its scripts must parse.

use std::path::Path;
use std::process::Command;

#[test]
fn the_benchmark_scripts_parse() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench");
    for script in ["run.sh", "pipeline.sh", "emulator.sh"] {
        let status = Command::new("bash").arg("-n").arg(bench.join(script)).status().unwrap();
        assert!(status.success(), "bash -n bench/{script}");
    }
}
