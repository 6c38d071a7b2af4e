package dev.syncline.server.http;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A request header that lists values with quality weights ({@code Accept}, {@code Accept-Encoding};
 * RFC 9110 §12.4.2), as the server's negotiations read it ({@link StreamFormat}, {@link ContentCoding}).
 */
final class QualityValues {
    private QualityValues() {}

    /**
     * Each listed value, lowercased and without its parameters, with its highest weight: 1 without a
     * {@code q} parameter, 0 for one that is not a number in [0, 1]. Empty for a null header.
     */
    static Map<String, Double> parse(String header) {
        Map<String, Double> weights = new HashMap<>();
        if (header == null) {
            return weights;
        }
        for (String part : header.split(",")) {
            String[] pieces = part.trim().split(";");
            String value = pieces[0].trim().toLowerCase(Locale.ROOT);
            weights.merge(value, quality(pieces), Math::max);
        }
        return weights;
    }

    private static double quality(String[] pieces) {
        for (int i = 1; i < pieces.length; i++) {
            String p = pieces[i].trim().toLowerCase(Locale.ROOT);
            if (p.startsWith("q=")) {
                try {
                    double q = Double.parseDouble(p.substring(2).trim());
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
