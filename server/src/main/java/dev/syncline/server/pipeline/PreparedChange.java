package dev.syncline.server.pipeline;

import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.RowImage;
import dev.syncline.server.storage.SourceRowId;

import java.util.List;

/**
 * A row change with everything worked out that needs no stored state: the rules evaluated, the
 * row's key text and subkey, the op checksums. What is left — reading the row's stored buckets,
 * diffing, writing ops — is storage work, so preparing can run on another thread ahead of the
 * storage writer ({@link HandOffPipeline}). Immutable once built.
 */
sealed interface PreparedChange {

    /**
     * The row now has this image: a PUT into every bucket of {@code puts}, a REMOVE from every
     * bucket it was in and is not any more.
     *
     * @param removeChecksum the checksum of a REMOVE of this row (the same in every bucket)
     * @param image null unless the row is big enough to hold TOASTed values
     */
    record Upsert(SourceRowId id, List<Put> puts, List<ParameterEntry> parameters, RowImage image,
                  long removeChecksum) implements PreparedChange {
        public Upsert {
            puts = List.copyOf(puts);
            parameters = List.copyOf(parameters);
        }
    }

    /** One PUT of an upsert, with its checksum. */
    record Put(Placement placement, String dataJson, long checksum) {}

    /** The row is gone: a REMOVE from each of its stored buckets. */
    record Delete(SourceRowId id, long removeChecksum) implements PreparedChange {}

    /** Several steps in order: an update that changed the primary key is a delete then an upsert. */
    record Steps(List<PreparedChange> steps) implements PreparedChange {
        public Steps {
            steps = List.copyOf(steps);
        }
    }

    /** Every stored row of these tables leaves its buckets. */
    record Truncate(List<TableName> tables) implements PreparedChange {
        public Truncate {
            tables = List.copyOf(tables);
        }
    }
}
