package dev.syncline.server.storage;

/**
 * One entry a source row contributes to the parameter-lookup index.
 *
 * @param lookupKey opaque key built by the sync rules (for example the JSON of
 *                  {@code [definition, queryIndex, boundValues...]}); storage only compares it
 * @param valuesJson what a lookup under that key yields, opaque to storage
 */
public record ParameterEntry(String lookupKey, String valuesJson) {}
