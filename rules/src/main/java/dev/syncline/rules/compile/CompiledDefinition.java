package dev.syncline.rules.compile;

import java.util.List;

/**
 * A compiled bucket definition.
 *
 * @param parameters bucket parameter names, in bucket-id order (the first parameter query's output order)
 * @param priority 0 (synced first) to 3 (default)
 * @param bucketPrefix what bucket ids start with: the name, or {@code version#name} with versioned bucket ids
 */
public record CompiledDefinition(String name, int priority, List<String> parameters,
        List<ParameterQuery> parameterQueries, List<DataQuery> dataQueries, String bucketPrefix) {

    public CompiledDefinition {
        parameters = List.copyOf(parameters);
        parameterQueries = List.copyOf(parameterQueries);
        dataQueries = List.copyOf(dataQueries);
    }

    public CompiledDefinition(String name, int priority, List<String> parameters, List<ParameterQuery> parameterQueries,
            List<DataQuery> dataQueries) {
        this(name, priority, parameters, parameterQueries, dataQueries, name);
    }

    /** The same definition with bucket ids starting with {@code prefix} + name; lookups keep their keys. */
    public CompiledDefinition withBucketPrefix(String prefix) {
        return new CompiledDefinition(name, priority, parameters, parameterQueries,
                dataQueries.stream().map(q -> q.withBucketPrefix(prefix)).toList(), prefix + name);
    }
}
