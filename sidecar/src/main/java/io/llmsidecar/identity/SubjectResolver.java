package io.llmsidecar.identity;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.llmsidecar.openai.SidecarException;

import java.util.Optional;

/**
 * Resolves the {@link Subject} of a request. The team is the pod's ({@code SIDECAR_TEAM}): the app shares the pod's
 * network and can send any header, so by default {@code x-llm-team} is ignored (and, like every {@code x-llm-*}
 * header, never forwarded). Only when {@code identity.trust-team-header} is on does a non-blank header replace the
 * pod's team, and the subject then says so ({@link TeamSource#HEADER}) for policies to restrict. The user comes from
 * {@code x-llm-user}, else the body's {@code user}: attribution the app attests, never an enforcement identity.
 * Values longer than {@value #MAX_LENGTH} characters are refused, because they become budget keys and policy input.
 */
public final class SubjectResolver {
    private static final System.Logger LOG = System.getLogger(SubjectResolver.class.getName());
    public static final HeaderName TEAM_HEADER = HeaderNames.create("x-llm-team");
    public static final HeaderName USER_HEADER = HeaderNames.create("x-llm-user");
    /** Claude Code names its session on every request; the Agent SDK does too, as it runs Claude Code. */
    public static final HeaderName SESSION_HEADER = HeaderNames.create("x-claude-code-session-id");
    /** The longest team or user header. */
    static final int MAX_LENGTH = 128;
    /**
     * The longest user in a body: Anthropic's {@code metadata.user_id}, which Claude Code fills with a JSON object of
     * its own ids (about 150 characters), must fit.
     */
    static final int MAX_BODY_USER_LENGTH = 256;

    private final PodIdentity pod;

    SubjectResolver(PodIdentity pod) {
        this.pod = pod;
    }

    /** A resolver for this pod; warns once at startup when the app may choose its own team. */
    public static SubjectResolver create(PodIdentity pod) {
        if (pod.trustTeamHeader()) {
            LOG.log(System.Logger.Level.WARNING,
                    "identity.trust-team-header (SIDECAR_TRUST_TEAM_HEADER) is on: any container of this pod can "
                    + "pick the team whose budgets and policies apply by sending x-llm-team. Use this only for "
                    + "single-tenant or development setups; turn it off to make the pod's team ("
                    + (pod.team().isEmpty() ? "not set; SIDECAR_TEAM" : pod.team()) + ") authoritative. Policies "
                    + "see input.subject.team_source = \"header\" for such teams (see policies/identity.rego).");
        }
        return new SubjectResolver(pod);
    }

    /** {@code bodyUser}: the request body's {@code user}, whatever its API. */
    public Subject resolve(Headers headers, Optional<String> bodyUser) {
        String user = headers.contains(USER_HEADER)
                ? checked(USER_HEADER, headers.get(USER_HEADER).get().strip())
                : bodyUser.map(u -> checked("user", u, MAX_BODY_USER_LENGTH)).orElse("");
        String session = session(headers);
        if (pod.trustTeamHeader() && headers.contains(TEAM_HEADER)) {
            String claimed = checked(TEAM_HEADER, headers.get(TEAM_HEADER).get().strip());
            if (!claimed.isEmpty()) {
                return new Subject(claimed, user, pod, TeamSource.HEADER, session);
            }
        }
        return new Subject(pod.team(), user, pod, TeamSource.POD, session);
    }

    /**
     * The session the app names, kept only when it is a short printable token (a UUID, as Claude Code sends): it is
     * attribution, so anything else is dropped rather than refused, and nothing long reaches logs through it.
     */
    private static String session(Headers headers) {
        String value = headers.first(SESSION_HEADER).map(String::strip).orElse("");
        if (value.length() > 128) {
            return "";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                return "";
            }
        }
        return value;
    }

    public PodIdentity pod() {
        return pod;
    }

    private static String checked(HeaderName header, String value) {
        return checked("header " + header.defaultCase(), value, MAX_LENGTH);
    }

    private static String checked(String what, String value, int max) {
        if (value.length() > max) {
            throw SidecarException.invalidRequest("invalid_value", what.startsWith("header") ? null : what,
                    "The " + what + " is longer than " + max + " characters.");
        }
        return value;
    }
}
