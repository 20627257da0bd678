#!/usr/bin/env bash
# Installs a released amlsec binary for the GitHub Action (action.yml), on Linux, macOS and
# Windows runners. Reads VERSION (a release tag, or the commit SHA the action is pinned to),
# REPO (owner/name), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP and GITHUB_PATH; uses `gh`.
set -euo pipefail

case "${RUNNER_OS}-${RUNNER_ARCH}" in
  Linux-X64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64) target=aarch64-unknown-linux-musl ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *) echo "amlsec: no release for ${RUNNER_OS}-${RUNNER_ARCH}" >&2; exit 1 ;;
esac

# An action pinned by commit SHA (the safe way to pin) names no release: use the release tag
# that points at that commit.
if [[ "$VERSION" =~ ^[0-9a-f]{40}$ ]]; then
  tag=$(gh api "repos/${REPO}/tags" --paginate --jq ".[] | select(.commit.sha == \"${VERSION}\") | .name" | head -n 1)
  if [ -z "$tag" ]; then
    echo "amlsec: no release tag points at ${VERSION}; pin the action to a release's commit or set the version input" >&2
    exit 1
  fi
  VERSION="$tag"
fi

dir="${RUNNER_TEMP}/amlsec"
mkdir -p "$dir"
gh release download "$VERSION" --repo "$REPO" --dir "$dir" --clobber \
  --pattern "amlsec-${VERSION}-${target}.*" --pattern "SHA256SUMS"

# sha256sum on Linux and Windows (Git Bash); macOS has shasum.
if command -v sha256sum >/dev/null 2>&1; then
  check=(sha256sum -c -)
else
  check=(shasum -a 256 -c -)
fi
sums=$(grep "amlsec-${VERSION}-${target}\." "$dir/SHA256SUMS" || true)
if [ -z "$sums" ]; then
  echo "amlsec: SHA256SUMS of ${VERSION} lists no file for ${target}" >&2
  exit 1
fi
(cd "$dir" && printf '%s\n' "$sums" | "${check[@]}")

case "$target" in
  *windows*) (cd "$dir" && unzip -qo "amlsec-${VERSION}-${target}.zip") ;;
  *) tar -xzf "$dir/amlsec-${VERSION}-${target}.tar.gz" -C "$dir" ;;
esac
echo "$dir" >> "$GITHUB_PATH"
