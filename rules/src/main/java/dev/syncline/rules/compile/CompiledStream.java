package dev.syncline.rules.compile;

import java.util.List;
import java.util.Set;

/**
 * A compiled Sync Stream: its buckets, each with how a subscription instantiates it and which rows
 * it holds.
 *
 * @param priority 0 (synced first) to 3 (default)
 * @param subscriptionParameters the keys read with {@code subscription.parameter('key')}, to report missing ones
 */
public record CompiledStream(String name, boolean autoSubscribe, int priority, List<Bucket> buckets,
        Set<String> subscriptionParameters) {

    public CompiledStream {
        buckets = List.copyOf(buckets);
        subscriptionParameters = Set.copyOf(subscriptionParameters);
    }

    /** The same stream with bucket ids starting with {@code prefix} (versioned bucket ids); lookups keep their keys. */
    public CompiledStream withBucketPrefix(String prefix) {
        return new CompiledStream(name, autoSubscribe, priority, buckets.stream().map(b -> new Bucket(prefix + b.prefix(),
                b.parameters(), b.filters(), b.dataQueries().stream().map(q -> q.withBucketPrefix(prefix)).toList())).toList(),
                subscriptionParameters);
    }

    /**
     * One bucket family of a stream ({@code name|0}, {@code name|1}, … as PowerSync names them; one per
     * OR branch, shared by queries of the stream that are parameterised the same way).
     *
     * @param prefix the bucket id before the parameter array, e.g. {@code lists|0}
     * @param parameters where each bucket parameter's values come from, in bucket-id order
     * @param filters request conditions that must all hold for the bucket to apply
     * @param dataQueries the rows: each query's filter binds bucket parameters named "0", "1", …
     */
    public record Bucket(String prefix, List<ValueSource> parameters, List<StreamFilter> filters,
            List<DataQuery> dataQueries) {
        public Bucket {
            parameters = List.copyOf(parameters);
            filters = List.copyOf(filters);
            dataQueries = List.copyOf(dataQueries);
        }

        /** Parameters and filters as text: two buckets with the same shape are instantiated the same way. */
        public String shape() {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < parameters.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(parameters.get(i).describe());
            }
            sb.append(']');
            for (StreamFilter f : filters) {
                sb.append(" IF ").append(f.describe());
            }
            return sb.toString();
        }

        /** Names of the bucket parameters as the data queries bind them. */
        static List<String> parameterNames(int count) {
            return java.util.stream.IntStream.range(0, count).mapToObj(Integer::toString).toList();
        }
    }
}
