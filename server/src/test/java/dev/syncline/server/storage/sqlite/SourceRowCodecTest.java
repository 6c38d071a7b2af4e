package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SourceRowCodecTest {
    @Test
    void placementsAndParametersRoundTrip() {
        List<Placement> placements = List.of(new Placement("b[\"1\"]", "todos", "1"), new Placement("g[]", "t", "ü ✓"),
                new Placement("u[\"0f8fad5b-d9cb-469f-a165-70867728950e\"]", "t", "0f8fad5b-d9cb-469f-a165-70867728950e"));
        List<ParameterEntry> parameters = List.of(new ParameterEntry("[\"k\",1]", "[\"v\"]"), new ParameterEntry("", "[]"));
        assertThat(SourceRowCodec.decode(SourceRowCodec.encode(placements, parameters)))
                .isEqualTo(new SourceRowCodec.State(placements, parameters));
        assertThat(SourceRowCodec.decode(SourceRowCodec.encode(List.of(), List.of())))
                .isEqualTo(new SourceRowCodec.State(List.of(), List.of()));
    }
}
