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
    let install = std::fs::read_to_string(root("scripts/install-action.sh")).unwrap();
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&target), "release.yml lacks {target}");
        assert!(
            install.contains(target),
            "the action's install script lacks {target}"
        );
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

/// A release as the workflow publishes it, served by a stand-in `gh` on PATH: each target's
/// archive holding an `amlsec`, and SHA256SUMS.
struct FakeRelease {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
}

impl FakeRelease {
    fn new(name: &str, tag: &str, tag_sha: &str) -> FakeRelease {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let assets = dir.join("assets");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&assets).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let stage = dir.join("stage");
        std::fs::create_dir_all(&stage).unwrap();
        std::fs::write(
            stage.join("amlsec"),
            "#!/bin/sh\necho amlsec-from-the-release\n",
        )
        .unwrap();
        let mut sums = String::new();
        for target in ["x86_64-unknown-linux-musl", "aarch64-apple-darwin"] {
            let archive = format!("amlsec-{tag}-{target}.tar.gz");
            let ok = std::process::Command::new("tar")
                .arg("-czf")
                .arg(assets.join(&archive))
                .arg("-C")
                .arg(&stage)
                .arg("amlsec")
                .status()
                .unwrap();
            assert!(ok.success());
            let bytes = std::fs::read(assets.join(&archive)).unwrap();
            let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            sums.push_str(&format!("{hex}  {archive}\n"));
        }
        std::fs::write(assets.join("SHA256SUMS"), sums).unwrap();
        // `gh release download TAG ... --dir D ...` copies the assets; `gh api .../tags` lists
        // the one tag and the commit it points at.
        let gh = format!(
            "#!/bin/bash\nset -e\nif [ \"$1\" = api ]; then\n  case \"$*\" in *{tag_sha}*) echo {tag} ;; esac\n  exit 0\nfi\nif [ \"$1 $2\" = \"release download\" ] && [ \"$3\" = \"{tag}\" ]; then\n  while [ $# -gt 0 ]; do [ \"$1\" = --dir ] && d=\"$2\"; shift; done\n  cp {assets}/* \"$d\"/\n  exit 0\nfi\necho \"release not found\" >&2\nexit 1\n",
            assets = assets.display()
        );
        std::fs::write(bin.join("gh"), gh).unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(bin.join("gh"))
            .status()
            .unwrap();
        FakeRelease { dir, bin }
    }

    /// Runs the action's install script; the PATH holds `gh` and only the tools named.
    fn install(&self, os: &str, arch: &str, version: &str, tools: &[&str]) -> std::process::Output {
        for tool in tools {
            let path = std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap();
            let found = String::from_utf8(path.stdout).unwrap();
            let _ = std::os::unix::fs::symlink(found.trim(), self.bin.join(tool));
        }
        let runner_temp = self.dir.join("runner");
        std::fs::create_dir_all(&runner_temp).unwrap();
        std::process::Command::new("/bin/bash")
            .arg(root("scripts/install-action.sh"))
            .env_clear()
            .env("PATH", &self.bin)
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_PATH", self.dir.join("github_path"))
            .env("VERSION", version)
            .env("REPO", "owner/amlsec")
            .output()
            .unwrap()
    }
}

#[test]
fn the_action_installs_a_release_on_linux_and_macos_and_when_pinned_by_sha() {
    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    let common = ["head", "mkdir", "grep", "tar", "gzip", "cp", "sed"];
    let release = FakeRelease::new("action-linux", "v0.3.0", SHA);
    let mut linux = common.to_vec();
    linux.push("sha256sum");
    let out = release.install("Linux", "X64", "v0.3.0", &linux);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = release.dir.join("runner/amlsec/amlsec");
    assert!(installed.exists(), "the binary is unpacked");
    let path = std::fs::read_to_string(release.dir.join("github_path")).unwrap();
    assert!(path.trim().ends_with("runner/amlsec"), "{path}");

    // macOS has shasum, not sha256sum.
    let release = FakeRelease::new("action-macos", "v0.3.0", SHA);
    let mut macos = common.to_vec();
    macos.push("shasum");
    let out = release.install("macOS", "ARM64", "v0.3.0", &macos);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Pinned by commit SHA: the release tag pointing at it is installed.
    let release = FakeRelease::new("action-sha", "v0.3.0", SHA);
    let out = release.install("Linux", "X64", SHA, &linux);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = release.install("Linux", "X64", &"f".repeat(40), &linux);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no release tag points at"));

    // A tampered archive fails its checksum.
    let release = FakeRelease::new("action-tampered", "v0.3.0", SHA);
    std::fs::write(
        release
            .dir
            .join("assets/amlsec-v0.3.0-x86_64-unknown-linux-musl.tar.gz"),
        b"not the release",
    )
    .unwrap();
    let out = release.install("Linux", "X64", "v0.3.0", &linux);
    assert!(
        !out.status.success(),
        "a checksum mismatch stops the install"
    );
}

#[test]
fn the_action_leaves_level_and_fail_on_to_the_config_file_unless_given() {
    let action = yaml("action.yml");
    for input in ["level", "fail-on"] {
        assert_eq!(action["inputs"][input]["default"], "", "{input}");
    }
    let text = std::fs::read_to_string(root("action.yml")).unwrap();
    assert!(text.contains("[ -n \"$LEVEL\" ] && flags+=(--level \"$LEVEL\")"));
    assert!(!text.contains("upload-sarif@v3"), "v3 is deprecated");
    for input in ["exceptions", "baseline", "soft-fail"] {
        assert!(action["inputs"][input].is_object(), "{input}");
    }
}
