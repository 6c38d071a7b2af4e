package dev.syncline.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DiagnosticsTextTest {
    @Test
    void statusShowsTheServingGenerationAndTheBuildsProgress() throws Exception {
        String json = """
                {"rules_fingerprint":"abc","edition":1,"storage":{"type":"sqlite","bytes":2048},
                 "checkpoint_op_id":7,"capture_problem":null,
                 "replication":{"slot_name":"syncline","error":"down"},
                 "snapshot":{"state":"complete","tables_copied":3,"tables_total":3,"rows_copied":10},
                 "generations":{"active":{"id":0,"slot_name":"syncline"},
                   "building":{"id":1,"state":"copying","slot_name":"syncline_g1","stored_lsn":"0/0",
                     "snapshot":{"state":"copying","tables_copied":1,"tables_total":3,"rows_copied":500},
                     "capture_problem":null},
                   "last_switch":null},
                 "connected_clients":2,"largest_buckets":[]}
                """;
        String text = DiagnosticsText.format(new ObjectMapper().readTree(json));
        assertThat(text).contains("generation   0 serving (slot syncline)")
                .contains("1 building, copying (slot syncline_g1): snapshot copying, 1 of 3 tables, 500 rows");
    }
}
