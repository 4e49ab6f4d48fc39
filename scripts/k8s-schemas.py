#!/usr/bin/env python3
"""Regenerates k8s/schemas: strict JSON schemas, one per kind the bundle and the injector produce, for kubeconform.

The sources come through the Go module proxy, so this works where only package registries are reachable:
  - the Kubernetes OpenAPI v2 spec from k8s.io/kubernetes (api/openapi-spec/swagger.json)
  - the cert-manager and prometheus-operator CustomResourceDefinitions from their Go modules.
"Strict" means every object that lists its properties rejects others, so a misspelt field fails validation
(kubeconform's -strict only adds duplicate-key checks; the schemas do the rest). Descriptions are dropped to keep
the files small. Needs go and python3 with PyYAML (Debian: python3-yaml).

  scripts/k8s-schemas.py        # after changing a version or KINDS below; commit the result
"""
import copy
import json
import pathlib
import subprocess
import sys

import yaml

KUBERNETES = "k8s.io/kubernetes@v1.34.4"
CERT_MANAGER = "github.com/cert-manager/cert-manager@v1.19.2"
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator@v0.85.0"

# (group, version, kind) of every object in k8s/ and of the Pod the injector writes.
KINDS = [
    ("", "v1", "Pod"), ("", "v1", "Namespace"), ("", "v1", "ServiceAccount"), ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"), ("", "v1", "Service"), ("apps", "v1", "Deployment"),
    ("policy", "v1", "PodDisruptionBudget"), ("networking.k8s.io", "v1", "NetworkPolicy"),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"),
]
CRDS = [
    (CERT_MANAGER, "deploy/crds/cert-manager.io_certificates.yaml", "v1"),
    (CERT_MANAGER, "deploy/crds/cert-manager.io_issuers.yaml", "v1"),
    (PROMETHEUS_OPERATOR, "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml", "v1"),
    (PROMETHEUS_OPERATOR, "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml", "v1"),
]
OUT = pathlib.Path(__file__).resolve().parent.parent / "k8s" / "schemas"
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def module_dir(module):
    out = subprocess.run(["go", "mod", "download", "-json", module], check=True, capture_output=True, text=True)
    return pathlib.Path(json.loads(out.stdout)["Dir"])


def file_name(group, version, kind):
    # kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}: the group's first DNS label, then the version.
    suffix = "-" + group.split(".")[0] + "-" + version if group else "-" + version
    return kind.lower() + suffix + ".json"


def strict(node):
    """Returns a copy: descriptions and x- extensions dropped, closed objects, nulls allowed where the API allows."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string"):
        return copy.deepcopy(INT_OR_STRING)
    out = {k: strict(v) for k, v in node.items()
           if k not in ("description", "example") and not k.startswith("x-kubernetes")}
    for key in ("properties", "patternProperties", "definitions"):
        if key in node:
            out[key] = {name: strict(value) for name, value in node[key].items()}
    if "properties" in node and "additionalProperties" not in node \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if node.get("nullable") or "type" in out and isinstance(out["type"], str) and "properties" not in node:
        # The API server treats an explicit null like an absent field; kubectl and kustomize emit some.
        out["type"] = [out["type"], "null"] if isinstance(out.get("type"), str) else out.get("type")
        if out["type"] is None:
            del out["type"]
    out.pop("nullable", None)
    return out


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref[len("#/definitions/"):])
        for v in node.values():
            refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)


def closure(definitions, roots):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = set()
        refs(definitions[name], found)
        todo.extend(found - seen)
    return {name: definitions[name] for name in sorted(seen)}


def kubernetes_definitions():
    spec = json.loads((module_dir(KUBERNETES) / "api/openapi-spec/swagger.json").read_text())
    definitions = {name: strict(d) for name, d in spec["definitions"].items()}
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = INT_OR_STRING
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = QUANTITY
    by_kind = {}
    for name, d in spec["definitions"].items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            by_kind[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return definitions, by_kind


def pin_kind(schema, group, version, kind):
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"enum": [group + "/" + version if group else version]}
    props["kind"] = {"enum": [kind]}
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind"})


def write(group, version, kind, root, definitions):
    schema = dict(root)
    pin_kind(schema, group, version, kind)
    used = closure(definitions, [r for r in _refs_of(schema)])
    if used:
        schema["definitions"] = used
    text = json.dumps(schema, indent=1, sort_keys=True) + "\n"
    (OUT / file_name(group, version, kind)).write_text(text)
    return len(text)


def _refs_of(schema):
    found = set()
    refs(schema, found)
    return found


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    definitions, by_kind = kubernetes_definitions()
    total = 0
    for group, version, kind in KINDS:
        total += write(group, version, kind, definitions[by_kind[(group, version, kind)]], definitions)
    object_meta = {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    for module, path, version in CRDS:
        crd = yaml.safe_load((module_dir(module) / path).read_text())
        served = next(v for v in crd["spec"]["versions"] if v["name"] == version)
        root = strict(served["schema"]["openAPIV3Schema"])
        root["properties"]["metadata"] = object_meta
        total += write(crd["spec"]["group"], version, crd["spec"]["names"]["kind"], root, definitions)
    print(f"wrote {len(KINDS) + len(CRDS)} schemas, {total // 1024} KiB, to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
