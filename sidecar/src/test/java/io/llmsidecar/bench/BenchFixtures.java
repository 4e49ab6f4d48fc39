package io.llmsidecar.bench;

/** Request bodies of a chosen size for the benchmarks, shaped like real chat traffic. */
public final class BenchFixtures {
    private BenchFixtures() {
    }

    /** A chat request with a system prompt, a short exchange and a user message, padded to about {@code bytes}. */
    public static String chatRequest(int bytes) {
        String head = "{\"model\":\"gpt-4o-mini\",\"temperature\":0.7,\"max_tokens\":256,\"user\":\"u-42\","
                      + "\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for a "
                      + "logistics company. Answer in English.\"},{\"role\":\"user\",\"content\":\"Where is "
                      + "parcel 1Z999?\"},{\"role\":\"assistant\",\"content\":\"It left the Leipzig hub this "
                      + "morning.\"},{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        StringBuilder text = new StringBuilder();
        String sentence = "Please summarise the delivery options for next week and list the cut-off times. ";
        while (head.length() + text.length() + tail.length() < bytes) {
            text.append(sentence);
        }
        return head + text + tail;
    }
}
