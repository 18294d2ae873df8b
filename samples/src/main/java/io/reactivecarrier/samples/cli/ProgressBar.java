package io.reactivecarrier.samples.cli;

import io.reactivecarrier.session.TransferProgress;
import java.io.PrintWriter;

/** A one-line text progress bar redrawn with {@code \r}; ends with a newline when done. */
final class ProgressBar {

    private static final int WIDTH = 30;
    private final PrintWriter out;
    private final String label;
    private int lastLength;

    ProgressBar(PrintWriter out, String label) {
        this.out = out;
        this.label = label;
    }

    void update(TransferProgress p) {
        long total = Math.max(p.total(), 0);
        double frac = total == 0 ? 1 : Math.min(1, (double) p.bytes() / total);
        int filled = (int) Math.round(frac * WIDTH);
        String line = String.format("%s [%s%s] %3d%% %s / %s %s/s%s", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
                (int) Math.floor(frac * 100), size(p.bytes()), size(total), size((long) p.bytesPerSecond()),
                p.eta() != null && !p.done() ? " eta " + p.eta().toSeconds() + "s" : "");
        String pad = line.length() < lastLength ? " ".repeat(lastLength - line.length()) : "";
        lastLength = line.length();
        synchronized (out) {
            out.print("\r" + line + pad);
            if (p.done()) {
                out.println();
                lastLength = 0;
            }
            out.flush();
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String units = "KMGTPE";
        int u = (int) (Math.log(bytes) / Math.log(1024));
        u = Math.min(u, units.length());
        return String.format("%.1f %siB", bytes / Math.pow(1024, u), units.charAt(u - 1));
    }
}
