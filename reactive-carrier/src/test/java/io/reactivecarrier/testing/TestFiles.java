package io.reactivecarrier.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;

/**
 * Files for the file-transfer tests: seeded random content and its SHA-256.
 *
 * <pre>{@code
 * Path f = TestFiles.randomFile(dir.resolve("a.bin"), 1 << 20, 7);
 * byte[] hash = TestFiles.sha(f);
 * }</pre>
 */
public final class TestFiles {

    private TestFiles() {
    }

    /** Writes {@code size} bytes of {@code new Random(seed)} to {@code file}; returns it. */
    public static Path randomFile(Path file, long size, int seed) throws IOException {
        Random r = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; ) {
                r.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        return file;
    }

    /** The SHA-256 of the file's content. */
    public static byte[] sha(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 20];
            int n;
            while ((n = in.read(b)) > 0) {
                md.update(b, 0, n);
            }
        }
        return md.digest();
    }
}
