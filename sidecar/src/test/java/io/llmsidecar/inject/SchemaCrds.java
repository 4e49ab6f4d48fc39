package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CustomResourceDefinitions for the cert-manager and Prometheus Operator kinds the bundle uses, made from the strict
 * JSON schemas vendored in {@code k8s/schemas} (which {@code scripts/k8s-schemas.py} made from those projects' CRDs).
 * The API server then validates the bundle's custom objects as a cluster with those operators would, field by field,
 * without any controller running.
 *
 * <p>A JSON schema is not a structural OpenAPI schema, so this undoes what the vendoring added: {@code $ref}s are
 * inlined, {@code ["string", "null"]} becomes {@code nullable}, {@code additionalProperties: false} is dropped (the
 * API server prunes unknown fields and, with strict field validation, rejects them), int-or-string {@code oneOf}s
 * become {@code x-kubernetes-int-or-string}, and {@code metadata} is left to the API server.
 */
final class SchemaCrds {
    /** kind, group, plural, schema file. */
    private record Kind(String kind, String group, String plural, String schema) {
    }

    private static final List<Kind> KINDS = List.of(
            new Kind("Certificate", "cert-manager.io", "certificates", "certificate-cert-manager-v1.json"),
            new Kind("Issuer", "cert-manager.io", "issuers", "issuer-cert-manager-v1.json"),
            new Kind("PodMonitor", "monitoring.coreos.com", "podmonitors", "podmonitor-monitoring-v1.json"),
            new Kind("PrometheusRule", "monitoring.coreos.com", "prometheusrules", "prometheusrule-monitoring-v1.json"));
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SchemaCrds() {
    }

    /** The names of the CRDs, {@code <plural>.<group>}. */
    static List<String> names() {
        return KINDS.stream().map(k -> k.plural() + "." + k.group()).toList();
    }

    /** All CRDs as one JSON list object that kubectl applies. */
    static String list(Path schemas) {
        ObjectNode list = NODES.objectNode().put("apiVersion", "v1").put("kind", "List");
        ArrayNode items = list.putArray("items");
        for (Kind kind : KINDS) {
            items.add(crd(kind, read(schemas.resolve(kind.schema()))));
        }
        return list.toString();
    }

    private static ObjectNode crd(Kind kind, JsonNode schema) {
        ObjectNode crd = NODES.objectNode().put("apiVersion", "apiextensions.k8s.io/v1")
                .put("kind", "CustomResourceDefinition");
        crd.putObject("metadata").put("name", kind.plural() + "." + kind.group());
        ObjectNode spec = crd.putObject("spec").put("group", kind.group()).put("scope", "Namespaced");
        spec.putObject("names").put("kind", kind.kind()).put("listKind", kind.kind() + "List")
                .put("plural", kind.plural()).put("singular", kind.kind().toLowerCase(Locale.ROOT));
        ObjectNode version = spec.putArray("versions").addObject().put("name", "v1").put("served", true)
                .put("storage", true);
        ObjectNode root = (ObjectNode) structural(schema, schema.path("definitions"), 0, false);
        ObjectNode properties = (ObjectNode) root.path("properties");
        properties.set("metadata", NODES.objectNode().put("type", "object"));
        properties.set("apiVersion", NODES.objectNode().put("type", "string"));
        properties.set("kind", NODES.objectNode().put("type", "string"));
        version.putObject("schema").set("openAPIV3Schema", root);
        return crd;
    }

    /** @param validation inside a oneOf/anyOf/allOf, where only value validations may appear, no types */
    private static JsonNode structural(JsonNode node, JsonNode definitions, int depth, boolean validation) {
        if (depth > 64) {
            throw new IllegalStateException("schema nests deeper than 64 levels: a recursive $ref?");
        }
        if (!node.isObject()) {
            return node;
        }
        if (node.has("$ref")) {
            String name = node.path("$ref").asText().replace("#/definitions/", "");
            return structural(definitions.path(name), definitions, depth + 1, validation);
        }
        if (!validation && node.has("oneOf") && allHaveType(node.path("oneOf"))) {
            // int-or-string (or a quantity: string or number); CRD value validations may not carry types.
            return NODES.objectNode().put("x-kubernetes-int-or-string", true);
        }
        ObjectNode out = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            switch (key) {
                case "definitions", "$schema" -> {
                }
                case "type" -> {
                    if (!validation) {
                        type(out, value);
                    }
                }
                case "default" -> {
                    if (!validation) {
                        out.set(key, value);
                    }
                }
                case "additionalProperties" -> {
                    if (value.isObject()) {
                        out.set(key, structural(value, definitions, depth + 1, validation));
                    }
                }
                case "properties", "patternProperties" -> {
                    ObjectNode properties = out.putObject(key);
                    value.fields().forEachRemaining(p -> properties.set(p.getKey(),
                                                                        structural(p.getValue(), definitions,
                                                                                   depth + 1, validation)));
                }
                case "items" -> out.set(key, structural(value, definitions, depth + 1, validation));
                case "oneOf", "anyOf", "allOf" -> {
                    ArrayNode options = out.putArray(key);
                    value.forEach(option -> options.add(structural(option, definitions, depth + 1, true)));
                }
                default -> out.set(key, value);
            }
        }
        if (validation) {
            return out;
        }
        if (!out.has("type") && !out.has("x-kubernetes-int-or-string")) {
            out.put("x-kubernetes-preserve-unknown-fields", true);
        } else if (out.path("type").asText().equals("object") && !out.has("properties")
                   && !out.has("additionalProperties")) {
            out.put("x-kubernetes-preserve-unknown-fields", true);
        }
        return out;
    }

    private static void type(ObjectNode out, JsonNode type) {
        if (!type.isArray()) {
            out.set("type", type);
            return;
        }
        for (JsonNode t : type) {
            if (t.asText().equals("null")) {
                out.put("nullable", true);
            } else {
                out.put("type", t.asText());
            }
        }
    }

    private static boolean allHaveType(JsonNode options) {
        for (JsonNode option : options) {
            if (!option.has("type")) {
                return false;
            }
        }
        return !options.isEmpty();
    }

    private static JsonNode read(Path file) {
        try {
            return Reviews.read(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
