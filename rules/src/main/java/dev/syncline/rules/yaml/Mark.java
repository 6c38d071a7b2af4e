package dev.syncline.rules.yaml;

/** A 1-based line and column in the YAML text. */
public record Mark(int line, int column) {}
