package dev.syncline.rules.yaml;

/** The YAML itself does not parse (or repeats a key). */
public final class YamlSyntaxException extends Exception {

    private final Mark mark;
    private final boolean duplicateKey;

    public YamlSyntaxException(Mark mark, String message, boolean duplicateKey) {
        super(message);
        this.mark = mark;
        this.duplicateKey = duplicateKey;
    }

    public Mark mark() {
        return mark;
    }

    public boolean duplicateKey() {
        return duplicateKey;
    }
}
