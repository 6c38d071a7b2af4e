package dev.syncline.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.admin.AdminApi;
import dev.syncline.server.admin.DiagnosticsText;
import dev.syncline.server.config.SynclineConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Ask the running server for its diagnostics (GET /api/admin/v1/diagnostics with admin.token"
                + " from the config) and print them: rules, storage, slot, lag, WAL retained, snapshot, clients,"
                + " largest buckets. Exits 1 when the server cannot be asked.")
final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;
    @Option(names = "--url", paramLabel = "URL",
            description = "The server's base URL. Default: http://127.0.0.1:<port from the config>.")
    String url;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        Optional<SynclineConfig> loaded = config.load(cli.env, err);
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        if (loaded.get().admin().token().isEmpty()) {
            err.println(dev.syncline.server.errors.ServerError.SYNC_A1003.code() + ": the admin API is disabled in " + config.file + ": set `admin.token`"
                    + " (e.g. `admin: { token: ${SYNCLINE_ADMIN_TOKEN} }`) and restart the server");
            return SynclineCli.INVALID;
        }
        String base = url != null ? url.replaceAll("/+$", "") : "http://127.0.0.1:" + loaded.get().port();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + AdminApi.DIAGNOSTICS_PATH))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + loaded.get().admin().token().get().reveal()).GET().build();
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            err.println("no Syncline server is running at " + base + " (connection refused) — start it with"
                    + " `syncline serve --config " + config.file + "`, or pass --url");
            return SynclineCli.INVALID;
        } catch (IOException e) {
            err.println("cannot reach " + base + ": " + e);
            return SynclineCli.INVALID;
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            err.println(base + " answered " + response.statusCode() + " with a body that is not JSON — is it Syncline?");
            return SynclineCli.INVALID;
        }
        if (response.statusCode() != 200) {
            JsonNode error = body.path("error");
            err.println(base + " refused: " + response.statusCode() + " " + error.path("code").asText("?") + ": "
                    + error.path("description").asText(response.body()));
            return SynclineCli.INVALID;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Syncline at " + base);
        out.print(DiagnosticsText.format(body));
        out.flush();
        return SynclineCli.OK;
    }
}
