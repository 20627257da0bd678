//! The distribution files parse and agree with the repository: the action's steps use only
//! inputs it declares, the release matrix covers the platforms the action installs for, and
//! the Dockerfile copies files that exist.

use std::path::Path;

use serde_json::Value;

fn root(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_action_uses_only_inputs_it_declares() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_object().unwrap();
    let text = std::fs::read_to_string(root("action.yml")).unwrap();
    for used in text.split("inputs.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            inputs.contains_key(&name),
            "action.yml uses undeclared input `{name}`"
        );
    }
    for step in action["runs"]["steps"].as_array().unwrap() {
        assert!(
            step.get("run").is_none() || step["shell"] == "bash",
            "{step}"
        );
    }
}

#[test]
fn the_release_builds_every_target_the_action_installs() {
    let release = yaml(".github/workflows/release.yml");
    let targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    let action = std::fs::read_to_string(root("action.yml")).unwrap();
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&target), "release.yml lacks {target}");
        assert!(action.contains(target), "action.yml lacks {target}");
    }
}

#[test]
fn the_dockerfile_copies_what_exists_and_runs_as_non_root() {
    let text = std::fs::read_to_string(root("Dockerfile")).unwrap();
    for line in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for source in &parts[1..parts.len() - 1] {
            assert!(root(source).exists(), "Dockerfile copies missing {source}");
        }
    }
    assert!(text.contains("FROM scratch") && text.contains("USER 65532"));
}

/// The files the Dockerfile's build stage copies, laid out as it lays them out.
fn docker_context(into: &Path) {
    let text = std::fs::read_to_string(root("Dockerfile")).unwrap();
    let build_stage = text.split("FROM scratch").next().unwrap();
    for line in build_stage.lines().filter(|l| l.starts_with("COPY ")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let dest = parts[parts.len() - 1];
        for source in &parts[1..parts.len() - 1] {
            let target = match dest {
                "./" | "." => into.join(source),
                d => into.join(d),
            };
            copy_tree(&root(source), &target);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

#[test]
fn cargo_accepts_the_manifest_with_only_the_files_the_dockerfile_copies() {
    // The image failed to build when Cargo.toml named a test target whose files the
    // Dockerfile does not copy: cargo reads every target of the manifest before building one.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docker-context");
    let _ = std::fs::remove_dir_all(&dir);
    docker_context(&dir);
    // Asking cargo for a binary that does not exist makes it read and check every target of
    // the manifest (as the image's `cargo build` does first), then stop before compiling
    // anything, listing the binaries it found.
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--locked",
            "--bin",
            "amlsec-probe-no-such-binary",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no bin target named") && stderr.lines().any(|l| l.trim() == "amlsec"),
        "cargo refuses the Dockerfile's build context:\n{stderr}"
    );
}
