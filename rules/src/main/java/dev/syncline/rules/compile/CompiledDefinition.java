package dev.syncline.rules.compile;

import java.util.List;

/**
 * A compiled bucket definition.
 *
 * @param parameters bucket parameter names, in bucket-id order (the first parameter query's output order)
 * @param priority 0 (synced first) to 3 (default)
 */
public record CompiledDefinition(String name, int priority, List<String> parameters,
        List<ParameterQuery> parameterQueries, List<DataQuery> dataQueries) {

    public CompiledDefinition {
        parameters = List.copyOf(parameters);
        parameterQueries = List.copyOf(parameterQueries);
        dataQueries = List.copyOf(dataQueries);
    }
}
