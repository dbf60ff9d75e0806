#!/usr/bin/env bash
# Validates the Kubernetes manifests of deploy/k8s without a cluster:
#  1. every resource against the Kubernetes API schema of a pinned version, strictly (unknown
#     fields refused), with kubernetes-validate from PyPI (it bundles the schemas);
#  2. every pod template against the "restricted" Pod Security Standard and KeyCare's own
#     rules (deploy/check_pod_security.py).
# kubernetes-validate is installed into a venv under ${TMPDIR:-/tmp} on first use (PyPI only).
#   bash deploy/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${K8S_VERSION:-1.30.0}"
KV_VERSION="1.37.0"
venv="${TMPDIR:-/tmp}/keycare-kubernetes-validate-${KV_VERSION}"
kv="$venv/bin/kubernetes-validate"

if ! "$kv" --version 2>/dev/null | grep -qx "$KV_VERSION"; then
  echo "== installing kubernetes-validate $KV_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
fi

# kustomization.yaml is kustomize's, not the API server's: check_pod_security.py checks it.
mapfile -t manifests < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)

echo "== kubernetes-validate $KV_VERSION, Kubernetes $K8S_VERSION, strict: ${#manifests[@]} files"
"$kv" --kubernetes-version "$K8S_VERSION" --strict --quiet "${manifests[@]}"
echo "schemas: all resources of ${#manifests[@]} files valid"

echo "== pod security"
"$venv/bin/python" deploy/check_pod_security.py deploy/k8s
