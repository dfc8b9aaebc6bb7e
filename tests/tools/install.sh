#!/usr/bin/env bash
# Installs, idempotently, every tool tests/PaddleX.Cloud.Infra.Tests runs:
#   - npm (tests/tools/package-lock.json): dockerfile-utils 0.16.3, @action-validator/cli 0.6.0,
#     playwright-core 1.65.1 (drives Debian's chromium; never downloads a browser) and
#     @seriousme/openapi-schema-validator 2.11.0 (the console and OpenAPI tests of PaddleX.Cloud.Api.Tests)
#   - Debian: shellcheck, chromium, python3-onnx (export tests)
#   - NuGet: Azure.Bicep.CommandLine.linux-x64 (PackageDownload of the test project)
# Safe to run on every test run: each step is skipped when its tool is already in place.
set -euo pipefail

tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${tools_dir}/../.." && pwd)"
test_project="${repo_root}/tests/PaddleX.Cloud.Infra.Tests/PaddleX.Cloud.Infra.Tests.csproj"

log() { printf 'install.sh: %s\n' "$*"; }

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo > /dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# 1. npm tools, exactly as locked. Re-run npm ci only when the lock file changed.
stamp="${tools_dir}/node_modules/.install-stamp"
if [[ ! -x "${tools_dir}/node_modules/.bin/dockerfile-utils" \
      || ! -x "${tools_dir}/node_modules/.bin/action-validator" \
      || ! -f "${tools_dir}/node_modules/playwright-core/package.json" \
      || ! -f "${stamp}" \
      || "${tools_dir}/package-lock.json" -nt "${stamp}" ]]; then
    log "npm ci in tests/tools"
    (cd "${tools_dir}" && npm ci --no-audit --no-fund --loglevel=error)
    touch "${stamp}"
else
    log "npm tools already installed"
fi

# 2. shellcheck from Debian/Ubuntu packages.
if ! command -v shellcheck > /dev/null 2>&1; then
    log "apt-get install shellcheck"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck
else
    log "shellcheck already installed ($(shellcheck --version | sed -n 's/^version: //p'))"
fi

# 3. Chromium (Debian's package) for the headless checks of the training dashboard and the web console.
if ! command -v chromium > /dev/null 2>&1; then
    log "apt-get install chromium"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
else
    log "chromium already installed"
fi

# 4. Debian's python3-onnx: the export tests run onnx.checker on every exported model.
if ! /usr/bin/python3 -c "import onnx" > /dev/null 2>&1; then
    log "apt-get install python3-onnx"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-onnx
else
    log "python3-onnx already installed"
fi

# 5. Bicep CLI: restoring the test project downloads the pinned package into the NuGet cache.
log "dotnet restore (Bicep CLI package)"
dotnet restore "${test_project}" --verbosity quiet

bicep_version="$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "${test_project}")"
packages="${NUGET_PACKAGES:-${HOME}/.nuget/packages}"
bicep="${packages}/azure.bicep.commandline.linux-x64/${bicep_version}/tools/bicep"
if [[ ! -f "${bicep}" ]]; then
    log "Bicep CLI not found at ${bicep} after restore" >&2
    exit 1
fi
if [[ ! -x "${bicep}" ]]; then
    chmod +x "${bicep}"
fi
log "bicep: $("${bicep}" --version)"
