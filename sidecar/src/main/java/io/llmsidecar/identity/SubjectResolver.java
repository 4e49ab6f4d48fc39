package io.llmsidecar.identity;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.SidecarException;

/**
 * Resolves the {@link Subject} of a request: team from {@code x-llm-team} (when trusted) else the pod's team; user
 * from {@code x-llm-user} else the body's {@code user}. Values longer than {@value #MAX_LENGTH} characters are
 * refused, because they become budget keys and policy input.
 */
public final class SubjectResolver {
    public static final HeaderName TEAM_HEADER = HeaderNames.create("x-llm-team");
    public static final HeaderName USER_HEADER = HeaderNames.create("x-llm-user");
    static final int MAX_LENGTH = 128;

    private final PodIdentity pod;

    public SubjectResolver(PodIdentity pod) {
        this.pod = pod;
    }

    public Subject resolve(Headers headers, ChatRequest request) {
        return resolve(headers, request.user());
    }

    /** {@code bodyUser}: the request body's {@code user}, whatever its API. */
    public Subject resolve(Headers headers, java.util.Optional<String> bodyUser) {
        String team = pod.team();
        if (pod.trustTeamHeader() && headers.contains(TEAM_HEADER)) {
            team = checked(TEAM_HEADER, headers.get(TEAM_HEADER).get().strip());
        }
        String user = headers.contains(USER_HEADER)
                ? checked(USER_HEADER, headers.get(USER_HEADER).get().strip())
                : bodyUser.map(u -> checked("user", u)).orElse("");
        return new Subject(team, user, pod);
    }

    public PodIdentity pod() {
        return pod;
    }

    private static String checked(HeaderName header, String value) {
        return checked("header " + header.defaultCase(), value);
    }

    private static String checked(String what, String value) {
        if (value.length() > MAX_LENGTH) {
            throw SidecarException.invalidRequest("invalid_value", what.startsWith("header") ? null : what,
                    "The " + what + " is longer than " + MAX_LENGTH + " characters.");
        }
        return value;
    }
}
