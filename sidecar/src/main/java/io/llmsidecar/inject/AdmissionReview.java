package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The {@code admission.k8s.io/v1} wire format: reads the request the API server sends and writes the answer. Reading
 * never throws: anything unusable becomes {@link Ignored}, which the injector answers with "allowed, no patch",
 * because a webhook that fails closed on its own parsing bug would block every pod in the cluster.
 */
final class AdmissionReview {
    static final String API_VERSION = "admission.k8s.io/v1";

    private AdmissionReview() {
    }

    /** What a review body turned out to be. */
    sealed interface Parsed permits Request, Ignored {
    }

    /**
     * A review of a pod being created.
     *
     * @param namespace the pod's namespace as the API server resolved it; {@code metadata.namespace} may be empty
     * @param pod       the pod as submitted, after defaulting and any earlier mutating webhooks
     */
    record Request(String uid, String namespace, boolean dryRun, JsonNode pod) implements Parsed {
    }

    /**
     * A body that is not a review of a pod being created, or not a review at all.
     *
     * @param uid    the request uid when one could be read, to be echoed back; empty otherwise
     * @param reason why, for the log
     */
    record Ignored(String uid, String reason) implements Parsed {
    }

    static Parsed parse(ObjectMapper json, byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException e) {
            return new Ignored("", "the body is not JSON");
        }
        if (root == null || !root.isObject()) {
            return new Ignored("", "the body is not a JSON object");
        }
        JsonNode request = root.path("request");
        String uid = request.path("uid").asText("");
        if (!API_VERSION.equals(root.path("apiVersion").asText())
            || !"AdmissionReview".equals(root.path("kind").asText())) {
            return new Ignored(uid, "not an " + API_VERSION + " AdmissionReview (apiVersion '"
                                      + root.path("apiVersion").asText() + "', kind '" + root.path("kind").asText()
                                      + "')");
        }
        if (uid.isEmpty()) {
            return new Ignored("", "the review has no request.uid");
        }
        JsonNode kind = request.path("kind");
        if (!kind.path("group").asText("").isEmpty() || !"v1".equals(kind.path("version").asText())
            || !"Pod".equals(kind.path("kind").asText())) {
            return new Ignored(uid, "the object is a " + kind.path("group").asText("") + "/"
                                      + kind.path("version").asText("") + " " + kind.path("kind").asText("?")
                                      + ", not a v1 Pod; the webhook configuration should only send pods");
        }
        if (!request.path("subResource").asText("").isEmpty()) {
            return new Ignored(uid, "the review is for the subresource " + request.path("subResource").asText());
        }
        if (!"CREATE".equals(request.path("operation").asText())) {
            return new Ignored(uid, "the operation is " + request.path("operation").asText("missing")
                                      + ", only CREATE is handled");
        }
        JsonNode pod = request.path("object");
        if (!pod.isObject()) {
            return new Ignored(uid, "the review carries no pod in request.object");
        }
        String namespace = request.path("namespace").asText(pod.path("metadata").path("namespace").asText(""));
        return new Request(uid, namespace, request.path("dryRun").asBoolean(false), pod);
    }

    /** The answer: always allowed; the patch when there is one; warnings the API server shows to the client. */
    static byte[] response(ObjectMapper json, String uid, Optional<byte[]> patch, List<String> warnings) {
        ObjectNode root = json.createObjectNode();
        root.put("apiVersion", API_VERSION);
        root.put("kind", "AdmissionReview");
        ObjectNode response = root.putObject("response");
        response.put("uid", uid);
        response.put("allowed", true);
        patch.ifPresent(p -> {
            response.put("patchType", "JSONPatch");
            response.put("patch", Base64.getEncoder().encodeToString(p));
        });
        if (!warnings.isEmpty()) {
            warnings.forEach(response.putArray("warnings")::add);
        }
        try {
            return json.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot serialise an admission response", e);
        }
    }
}
