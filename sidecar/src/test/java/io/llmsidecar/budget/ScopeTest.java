package io.llmsidecar.budget;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ScopeTest {
    private final PodIdentity pod = new PodIdentity("ns", "pod", "sa", "web", "", true);

    @Test
    void keysCannotBeForgedByValuesThatLookLikeSeparators() {
        String forged = Scope.key(List.of(Scope.TEAM, Scope.USER), new Subject("a,user=b", "", pod), "m");
        String real = Scope.key(List.of(Scope.TEAM, Scope.USER), new Subject("a", "b", pod), "m");

        assertEquals("team=a%2Cuser%3Db,user=", forged);
        assertEquals("team=a,user=b", real);
    }

    @Test
    void anEmptyScopeSharesOneCounterAndSlashesAreEscaped() {
        Subject subject = new Subject("", "", pod);

        assertEquals("*", Scope.key(List.of(), subject, "m"));
        assertEquals("app=web,model=openai%2Fgpt-4o", Scope.key(List.of(Scope.APP, Scope.MODEL), subject,
                                                                "openai/gpt-4o"));
    }
}
