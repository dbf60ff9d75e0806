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

status=0
echo "== kubernetes-validate $KV_VERSION, Kubernetes $K8S_VERSION, strict: ${#manifests[@]} files"
# A resource whose kind has no schema (a typo in apiVersion, a CRD) is only a warning to
# kubernetes-validate: here it fails, like an invalid one.
if ! out="$("$kv" --kubernetes-version "$K8S_VERSION" --strict "${manifests[@]}" 2>&1)"; then
  status=1
fi
if grep -Ev '^INFO ' <<<"$out" | grep -q .; then
  grep -Ev '^INFO ' <<<"$out" >&2
  status=1
else
  echo "schemas: $(grep -c '^INFO .* passed' <<<"$out") resources in ${#manifests[@]} files valid"
fi

echo "== pod security"
"$venv/bin/python" deploy/check_pod_security.py deploy/k8s || status=1

if [ "$status" -ne 0 ]; then
  echo "deploy/check.sh: FAILED" >&2
  exit 1
fi
echo "deploy/check.sh: manifests valid and restricted"
