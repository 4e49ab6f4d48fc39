package io.llmsidecar.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The policy sources in a directory at one moment: every {@code .rego} file except {@code *_test.rego}, and
 * {@code data.json} / {@code data.yaml} files, by relative path.
 *
 * <p>Entries whose name starts with a dot are skipped and symlinks are followed, which is what a Kubernetes
 * ConfigMap volume needs: its files are links into {@code ..data}, itself a link that the kubelet swaps in one
 * step. Changes are detected by comparing {@link #hash()}es rather than by file events, which a symlink swap does
 * not reliably produce.
 */
record PolicyDirectory(Path root, Map<String, byte[]> files, String hash) {
    static PolicyDirectory snapshot(Path root) throws PolicyLoadException {
        if (!Files.isDirectory(root)) {
            throw new PolicyLoadException("the policy directory " + root + " does not exist or is not a directory");
        }
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root, 16, FileVisitOption.FOLLOW_LINKS)) {
            paths.filter(PolicyDirectory::isSource)
                    .filter(p -> !hidden(root.relativize(p)))
                    .forEach(p -> files.put(root.relativize(p).toString().replace('\\', '/'), read(p)));
        } catch (IOException | UncheckedIOException e) {
            throw new PolicyLoadException("cannot read the policy directory " + root + ": " + e.getMessage());
        }
        if (files.keySet().stream().noneMatch(name -> name.endsWith(".rego"))) {
            throw new PolicyLoadException("the policy directory " + root + " contains no .rego file");
        }
        return new PolicyDirectory(root, files, hash(files));
    }

    /** Writes the snapshot to {@code target}, so that the compiler sees exactly what was hashed. */
    void writeTo(Path target) throws IOException {
        for (var file : files.entrySet()) {
            Path path = target.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.write(path, file.getValue());
        }
    }

    private static boolean isSource(Path path) {
        String name = path.getFileName().toString();
        return Files.isRegularFile(path)
               && ((name.endsWith(".rego") && !name.endsWith("_test.rego"))
                   || name.equals("data.json") || name.equals("data.yaml") || name.equals("data.yml"));
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (var file : files.entrySet()) {
                digest.update(file.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(file.getValue());
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
