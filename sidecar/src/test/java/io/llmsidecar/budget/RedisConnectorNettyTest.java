package io.llmsidecar.budget;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Netty settings the budget store makes unless the operator set them. */
class RedisConnectorNettyTest {
    @Test
    void leakDetectionIsOffUnlessTheCommandLineTurnsItOn() {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        String property = System.getProperty("io.netty.leakDetection.level");
        try {
            System.clearProperty("io.netty.leakDetection.level");
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
            RedisConnector.configureNetty();
            assertEquals(ResourceLeakDetector.Level.DISABLED, ResourceLeakDetector.getLevel());
            assertEquals("true", System.getProperty("io.netty.noUnsafe"));

            System.setProperty("io.netty.leakDetection.level", "paranoid");
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
            RedisConnector.configureNetty();
            assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                         "an operator's -Dio.netty.leakDetection.level stands");
        } finally {
            if (property == null) {
                System.clearProperty("io.netty.leakDetection.level");
            } else {
                System.setProperty("io.netty.leakDetection.level", property);
            }
            ResourceLeakDetector.setLevel(before);
        }
    }
}
