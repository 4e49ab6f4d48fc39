package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every string value of a request body that is not one of its prompt texts, with its JSON path: tool definitions,
 * {@code prediction}, {@code response_format} schemas, {@code metadata}, and fields the sidecar does not know at all
 * (a gateway or provider may pass them to the model). Detectors scan these as well as the prompt texts, so a secret
 * does not reach the gateway by sitting in a field the prompt extractors do not read.
 *
 * <p>Prompt texts are recognised by identity (the extractors keep the parsed node's own {@code String}), so nothing
 * is scanned twice. Media payloads are skipped: a base64 {@code data:} URL (images, files) and
 * {@code input_audio.data}. No text detector can read inside them, and random base64 is full of key-like runs: in
 * 160 MiB of random URL-safe and standard base64 the detectors found an OpenAI-key shape in one "image" in ten.
 * Keys are not scanned; a path names a key only when it looks like an identifier, else {@code [*]}.
 */
final class BodyStrings {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");

    private BodyStrings() {
    }

    /** Skips the prompt texts and the {@code opaque} strings (media and signatures the dialect recognised). */
    static List<PromptText> outside(JsonNode body, List<PromptText> promptTexts, List<String> opaque) {
        int skipped = promptTexts.size() + opaque.size();
        Set<String> prompts = Collections.newSetFromMap(new IdentityHashMap<>(skipped * 2));
        for (PromptText text : promptTexts) {
            prompts.add(text.text());
        }
        prompts.addAll(opaque);
        List<PromptText> found = new ArrayList<>();
        walk(body, "", prompts, found);
        return found;
    }

    private static void walk(JsonNode node, String path, Set<String> prompts, List<PromptText> found) {
        if (node.isTextual()) {
            String text = node.textValue();
            if (!prompts.contains(text) && !isMedia(text, path)) {
                found.add(new PromptText(text, path));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", prompts, found);
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> member : node.properties()) {
                String key = member.getKey();
                String name = IDENTIFIER.matcher(key).matches() ? (path.isEmpty() ? key : path + "." + key)
                        : path + "[*]";
                walk(member.getValue(), name, prompts, found);
            }
        }
    }

    /**
     * A base64 {@code data:} URL, or the base64 audio of an {@code input_audio} part (a path can end so only through
     * a member named {@code data}: other names are written {@code [*]}).
     */
    private static boolean isMedia(String text, String path) {
        if (text.startsWith("data:")) {
            int comma = text.indexOf(',');
            return comma > 0 && text.regionMatches(true, comma - 7, ";base64", 0, 7);
        }
        return path.endsWith("input_audio.data");
    }
}
