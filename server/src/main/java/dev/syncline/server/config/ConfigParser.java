package dev.syncline.server.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * YAML text → {@link SynclineConfig}. Pure apart from reading the sync rules through the given
 * {@link SyncRulesConfig.TextFiles}; the environment is passed in, never read from the process.
 */
public final class ConfigParser {
    private ConfigParser() {}

    /**
     * @param source  what to call the file in messages
     * @param baseDir directory that relative paths (sync rules, storage) are resolved against
     */
    public static SynclineConfig parse(String source, String yaml, Path baseDir, Map<String, String> env,
                                       SyncRulesConfig.TextFiles files) throws ConfigException {
        Problems problems = new Problems(source);
        YamlNode root = YamlReader.read(yaml, problems);
        if (root == null && problems.isEmpty()) {
            problems.add("", YamlNode.Position.UNKNOWN, "the file is empty — start from config/syncline.example.yaml");
        }
        problems.throwIfAny();
        root = EnvSubstitution.apply(root, "", env, problems);
        if (!(root instanceof YamlNode.Mapping)) {
            problems.add("", root.position(), "must be a map of keys (port, replication, storage, sync_config,"
                    + " client_auth, capture, upload, api, admin), found " + YamlNode.describe(root));
            problems.throwIfAny();
        }
        Section top = Section.of(root, "", problems);

        int port = top.integer("port", SynclineConfig.DEFAULT_PORT, 1, 65535);
        Optional<ReplicationConfig> replication = ReplicationConfig.read(top.section("replication"));
        Section storageSection = top.section("storage");
        StorageConfig storage = StorageConfig.read(storageSection, baseDir);
        storageSection.finish();
        Optional<SyncRulesConfig> rules = SyncRulesConfig.read(top, baseDir, files);
        Section authSection = top.section("client_auth");
        ClientAuthConfig auth = ClientAuthConfig.read(authSection);
        authSection.finish();
        Section captureSection = top.section("capture");
        CaptureConfig capture = CaptureConfig.read(captureSection);
        captureSection.finish();
        Section uploadSection = top.section("upload");
        UploadConfig upload = UploadConfig.read(uploadSection);
        uploadSection.finish();
        Section apiSection = top.section("api");
        ApiConfig api = ApiConfig.read(apiSection);
        apiSection.finish();
        Section adminSection = top.section("admin");
        AdminConfig admin = AdminConfig.read(adminSection);
        adminSection.finish();
        top.finish();

        rules.ifPresent(r -> SyncRulesShapeCheck.check(r.content(), r.source(source)).forEach(problems::add));
        problems.throwIfAny();
        return new SynclineConfig(source, port, replication.orElseThrow(), storage, rules.orElseThrow(), auth, capture,
                upload, api, admin);
    }
}
