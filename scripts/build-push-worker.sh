#!/usr/bin/env bash
# Build the worker image (gpu-worker/Dockerfile, context = repo root) and push it to ACR.
#
#   AZURE_CONTAINER_REGISTRY_NAME=crxxxx IMAGE_TAG=$(git rev-parse --short HEAD) ./scripts/build-push-worker.sh
#
# WORKER_BUILD_MODE=acr (default) builds inside Azure with ACR Tasks (no local Docker, and the
# multi-GB CUDA layers never cross the runner's network); WORKER_BUILD_MODE=docker builds
# locally with BuildKit and pushes. TORCH_BACKEND=cuda (default) or cpu.
# Prints the full image reference on the last line, and writes image=... to $GITHUB_OUTPUT.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
registry="${AZURE_CONTAINER_REGISTRY_NAME:?set AZURE_CONTAINER_REGISTRY_NAME}"
backend="${TORCH_BACKEND:-cuda}"
tag="${IMAGE_TAG:-$(git -C "${repo_root}" rev-parse --short HEAD)}"
mode="${WORKER_BUILD_MODE:-acr}"
repository="paddlex/worker"
if [[ "${backend}" == "cpu" ]]; then
    repository="paddlex/worker-cpu"
fi

login_server="$(az acr show --name "${registry}" --query loginServer --output tsv)"
image="${login_server}/${repository}:${tag}"

case "${mode}" in
    acr)
        az acr build \
            --registry "${registry}" \
            --image "${repository}:${tag}" \
            --file "${repo_root}/gpu-worker/Dockerfile" \
            --build-arg "TORCH_BACKEND=${backend}" \
            --platform linux/amd64 \
            "${repo_root}"
        ;;
    docker)
        az acr login --name "${registry}"
        DOCKER_BUILDKIT=1 docker build \
            --file "${repo_root}/gpu-worker/Dockerfile" \
            --build-arg "TORCH_BACKEND=${backend}" \
            --platform linux/amd64 \
            --tag "${image}" \
            "${repo_root}"
        docker push "${image}"
        ;;
    *)
        echo "build-push-worker: unknown WORKER_BUILD_MODE '${mode}' (acr|docker)" >&2
        exit 2
        ;;
esac

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "image=${image}" >> "${GITHUB_OUTPUT}"
fi
echo "${image}"
