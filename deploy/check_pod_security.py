#!/usr/bin/env python3
"""Checks KeyCare's Kubernetes manifests against the "restricted" Pod Security Standard and
the project's own deployment rules, without a cluster.

    python3 deploy/check_pod_security.py [deploy/k8s]

Every pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) is held
to the Pod Security Standards' "baseline" and "restricted" controls as the Kubernetes
documentation lists them (v1.30), then to KeyCare's rules: user 10001, read-only root
filesystem with /tmp mounted, requests and limits, a versioned image, no service account
token, probes, spreading and a shutdown budget for the gateway, bounded retries and clean-up
for Jobs, the owner's database Secret kept out of the gateway. Exits 1 naming each violation.
Needs PyYAML only (kubernetes-validate brings it).
"""

import sys
from pathlib import Path

import yaml

NAMESPACE_LABEL = "pod-security.kubernetes.io/enforce"
RUN_AS_USER = 10001
OWNER_SECRET = "keycare-owner-database"
APP_SECRET = "keycare-app-database"
DEFAULT_SHUTDOWN_GRACE_MS = 20000

BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}
REQUIRED_KINDS = {
    "Namespace", "ServiceAccount", "Deployment", "Service", "PodDisruptionBudget",
    "HorizontalPodAutoscaler", "NetworkPolicy", "Job",
}


class Report:
    def __init__(self):
        self.violations = []

    def fail(self, where, message):
        self.violations.append(f"{where}: {message}")


def load(directory):
    """Every document of every *.yaml/*.yml under the directory, with its file."""
    docs = []
    for path in sorted(list(directory.rglob("*.yaml")) + list(directory.rglob("*.yml"))):
        with path.open() as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.append((path, doc))
    return docs


def pod_template(doc):
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return spec.get("template") or {}
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    if kind == "Pod":
        return doc
    return None


def containers_of(pod_spec):
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod_spec.get(field) or []:
            yield field, c


def check_pod(where, kind, template, report, shutdown_grace_ms):
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    psc = spec.get("securityContext") or {}
    containers = list(containers_of(spec))
    if not spec.get("containers"):
        report.fail(where, "pod template has no containers")

    # ---- baseline ----
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            report.fail(where, f"spec.{field} must not be true (baseline: host namespaces)")
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        report.fail(where, "securityContext.windowsOptions.hostProcess must not be true")
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            report.fail(where, f"sysctl {s.get('name')} is not in the safe set (baseline: sysctls)")
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            report.fail(where, f"annotation {key}={value} (baseline: AppArmor)")

    def selinux(ctx, at):
        opts = ctx.get("seLinuxOptions") or {}
        if opts.get("type", "") not in SELINUX_TYPES:
            report.fail(where, f"{at} seLinuxOptions.type {opts.get('type')} (baseline: SELinux)")
        for f in ("user", "role"):
            if opts.get(f):
                report.fail(where, f"{at} seLinuxOptions.{f} must be unset (baseline: SELinux)")

    def apparmor(ctx, at):
        t = (ctx.get("appArmorProfile") or {}).get("type")
        if t is not None and t not in SECCOMP_OK:
            report.fail(where, f"{at} appArmorProfile.type {t} (baseline: AppArmor)")

    selinux(psc, "pod securityContext")
    apparmor(psc, "pod securityContext")

    # ---- restricted: volumes ----
    for v in spec.get("volumes") or []:
        types = [k for k in v if k != "name"]
        if "hostPath" in types:
            report.fail(where, f"volume {v.get('name')}: hostPath (baseline: HostPath volumes)")
        bad = [t for t in types if t not in RESTRICTED_VOLUME_TYPES]
        if bad:
            report.fail(where, f"volume {v.get('name')}: type {bad[0]} is not allowed (restricted: volume types)")

    pod_non_root = psc.get("runAsNonRoot") is True
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp == "Unconfined":
        report.fail(where, "pod seccompProfile.type Unconfined (baseline: seccomp)")
    if psc.get("runAsUser") == 0:
        report.fail(where, "pod runAsUser 0 (restricted: running as non-root user)")

    for field, c in containers:
        at = f"{where} {field[:-1]} {c.get('name')}"
        sc = c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}

        if sc.get("privileged"):
            report.fail(at, "securityContext.privileged must not be true (baseline: privileged)")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            report.fail(at, "securityContext.windowsOptions.hostProcess must not be true")
        if sc.get("procMount") not in (None, "Default"):
            report.fail(at, f"securityContext.procMount {sc.get('procMount')} (baseline: /proc mount type)")
        for p in c.get("ports") or []:
            if p.get("hostPort") not in (None, 0):
                report.fail(at, f"hostPort {p.get('hostPort')} (baseline: host ports)")
        selinux(sc, "securityContext")
        apparmor(sc, "securityContext")

        # restricted
        if sc.get("allowPrivilegeEscalation") is not False:
            report.fail(at, "securityContext.allowPrivilegeEscalation must be false (restricted: privilege escalation)")
        if sc.get("runAsNonRoot") is False or not (pod_non_root or sc.get("runAsNonRoot") is True):
            report.fail(at, "runAsNonRoot must be true on the pod or the container (restricted: running as non-root)")
        if sc.get("runAsUser") == 0:
            report.fail(at, "runAsUser 0 (restricted: running as non-root user)")
        c_seccomp = (sc.get("seccompProfile") or {}).get("type")
        if c_seccomp == "Unconfined":
            report.fail(at, "seccompProfile.type Unconfined (baseline: seccomp)")
        if (c_seccomp or pod_seccomp) not in SECCOMP_OK:
            report.fail(at, "seccompProfile.type must be RuntimeDefault or Localhost on the pod or the container (restricted: seccomp)")
        drop = caps.get("drop") or []
        if "ALL" not in drop:
            report.fail(at, "securityContext.capabilities.drop must include ALL (restricted: capabilities)")
        for cap in caps.get("add") or []:
            if cap != "NET_BIND_SERVICE":
                report.fail(at, f"capabilities.add {cap}: only NET_BIND_SERVICE may be added (restricted: capabilities)"
                            + ("" if cap in BASELINE_CAPABILITIES else "; not even baseline allows it"))

        # ---- KeyCare's rules ----
        user = sc.get("runAsUser", psc.get("runAsUser"))
        if user != RUN_AS_USER:
            report.fail(at, f"runAsUser must be {RUN_AS_USER} (the image's user), found {user}")
        if sc.get("readOnlyRootFilesystem") is not True:
            report.fail(at, "securityContext.readOnlyRootFilesystem must be true")
        mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
        if "/tmp" not in mounts:
            report.fail(at, "no volume mounted at /tmp (the root filesystem is read-only)")
        if field != "ephemeralContainers":
            res = c.get("resources") or {}
            for section in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(section) or {}):
                        report.fail(at, f"resources.{section}.{r} is missing")
        image = c.get("image") or ""
        name_part = image.split("@")[0]
        tag = name_part.rsplit(":", 1)[1] if ":" in name_part.rsplit("/", 1)[-1] else None
        if not image:
            report.fail(at, "no image")
        elif tag is None and "@" not in image:
            report.fail(at, f"image {image} has no tag: name a released version")
        elif tag == "latest":
            report.fail(at, f"image {image}: :latest is not a version")
        secrets = {
            ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
            for e in c.get("env") or []
        } | {(e.get("secretRef") or {}).get("name") for e in c.get("envFrom") or []}
        args = c.get("args") or c.get("command") or []
        if args[:1] == ["serve"]:
            if OWNER_SECRET in secrets:
                report.fail(at, f"the gateway must not get the owner's Secret {OWNER_SECRET}")
            if APP_SECRET not in secrets:
                report.fail(at, f"the gateway's database URL must come from Secret {APP_SECRET}")

    if spec.get("automountServiceAccountToken") is not False:
        report.fail(where, "spec.automountServiceAccountToken must be false")
    if spec.get("serviceAccountName") in (None, "", "default"):
        report.fail(where, "spec.serviceAccountName must name the application's own ServiceAccount")

    if kind == "Deployment":
        for c in spec.get("containers") or []:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if not c.get(probe):
                    report.fail(f"{where} container {c.get('name')}", f"{probe} is missing")
        spread = [
            t for t in spec.get("topologySpreadConstraints") or []
            if t.get("topologyKey") == "kubernetes.io/hostname"
        ]
        anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
        anti_terms = list(anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []) + [
            t.get("podAffinityTerm") or {}
            for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ]
        anti_host = [t for t in anti_terms if t.get("topologyKey") == "kubernetes.io/hostname"]
        if not spread and not anti_host:
            report.fail(where, "replicas are not spread across nodes (topologySpreadConstraints or podAntiAffinity on kubernetes.io/hostname)")
        grace = spec.get("terminationGracePeriodSeconds", 30)
        sleep = 0
        for c in spec.get("containers") or []:
            cmd = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
            if len(cmd) >= 2 and cmd[0].endswith("sleep"):
                sleep = max(sleep, float(cmd[1]))
            s = (((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds")
            if s:
                sleep = max(sleep, float(s))
        if sleep == 0:
            report.fail(where, "no preStop sleep: endpoints are not given time to drain before SIGTERM")
        if grace * 1000 <= shutdown_grace_ms + sleep * 1000:
            report.fail(where, f"terminationGracePeriodSeconds {grace} must exceed the preStop sleep ({sleep:g} s) plus KEYCARE_SHUTDOWN_GRACE_MS ({shutdown_grace_ms} ms)")

    if kind == "Job":
        if spec.get("restartPolicy") not in ("Never", "OnFailure"):
            report.fail(where, "restartPolicy must be Never or OnFailure")


def main():
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "k8s")
    report = Report()
    docs = load(directory)
    resources = [(p, d) for p, d in docs if d.get("kind") != "Kustomization"]

    restricted_ns = {
        (d.get("metadata") or {}).get("name")
        for _, d in resources
        if d.get("kind") == "Namespace"
        and ((d.get("metadata") or {}).get("labels") or {}).get(NAMESPACE_LABEL) == "restricted"
    }
    if not restricted_ns:
        report.fail(str(directory), f"no Namespace labelled {NAMESPACE_LABEL}: restricted")

    shutdown_grace_ms = DEFAULT_SHUTDOWN_GRACE_MS
    for _, d in resources:
        if d.get("kind") == "ConfigMap" and "KEYCARE_SHUTDOWN_GRACE_MS" in (d.get("data") or {}):
            shutdown_grace_ms = int(d["data"]["KEYCARE_SHUTDOWN_GRACE_MS"])

    kinds = {d.get("kind") for _, d in resources}
    for missing in sorted(REQUIRED_KINDS - kinds):
        report.fail(str(directory), f"no {missing} among the manifests")

    checked = []
    for path, d in resources:
        kind = d.get("kind")
        meta = d.get("metadata") or {}
        where = f"{path.name}: {kind}/{meta.get('name')}"
        if kind != "Namespace" and meta.get("namespace") not in restricted_ns:
            report.fail(where, f"metadata.namespace {meta.get('namespace')} is not a namespace enforcing restricted")
        template = pod_template(d)
        if template is None:
            continue
        checked.append(f"{kind}/{meta.get('name')}")
        # Per-container env may override the ConfigMap's shutdown grace.
        grace = shutdown_grace_ms
        for c in ((template.get("spec") or {}).get("containers") or []):
            for e in c.get("env") or []:
                if e.get("name") == "KEYCARE_SHUTDOWN_GRACE_MS" and "value" in e:
                    grace = int(e["value"])
        check_pod(where, kind, template, report, grace)
        if kind == "Job":
            spec = d.get("spec") or {}
            if spec.get("backoffLimit") is None:
                report.fail(where, "spec.backoffLimit is missing")
            if spec.get("ttlSecondsAfterFinished") is None:
                report.fail(where, "spec.ttlSecondsAfterFinished is missing")

    # The rollout (kustomization) must not carry the Jobs or the example Secrets.
    for path, d in docs:
        if d.get("kind") != "Kustomization":
            continue
        for r in d.get("resources") or []:
            target = path.parent / r
            if not target.exists():
                report.fail(path.name, f"resource {r} does not exist")
                continue
            if target.is_file():
                with target.open() as f:
                    for doc in yaml.safe_load_all(f):
                        if doc and doc.get("kind") in {"Job", "Secret"}:
                            report.fail(path.name, f"resource {r} holds a {doc['kind']}: it must not be part of the rollout")

    if report.violations:
        for v in report.violations:
            print(f"VIOLATION {v}", file=sys.stderr)
        print(f"pod security: {len(report.violations)} violation(s)", file=sys.stderr)
        return 1
    print(f"pod security: restricted + KeyCare rules pass for {len(checked)} pod templates ({', '.join(checked)}) in {len(resources)} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
