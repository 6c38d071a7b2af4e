package dev.syncline.server.cli;

import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.auth.TokenVerifier;
import dev.syncline.server.config.SynclineConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Print a development JWT for a user, signed with an HS secret (kty: oct) from the config.")
final class TokenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;
    @Option(names = "--sub", required = true, paramLabel = "USER", description = "The token's subject (user id).")
    String subject;
    @Option(names = "--expires-in", paramLabel = "DURATION", defaultValue = "1h",
            description = "Lifetime, e.g. 30m or 1h (default: ${DEFAULT-VALUE}).")
    String expiresIn;

    @ParentCommand
    SynclineCli cli;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        Optional<SynclineConfig> loaded = config.load(cli.env, err);
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        Duration lifetime;
        try {
            lifetime = Duration.parse("PT" + expiresIn.toUpperCase(java.util.Locale.ROOT));
        } catch (java.time.format.DateTimeParseException e) {
            err.println("syncline token: --expires-in `" + expiresIn + "` is not a duration — write e.g. 30m, 1h or 12h");
            return SynclineCli.INVALID;
        }
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(TokenVerifier.DEFAULT_MAX_LIFETIME) > 0) {
            err.println("syncline token: --expires-in must be between 1s and 24h (the server refuses longer tokens)");
            return SynclineCli.INVALID;
        }
        Optional<DevTokens> tokens = DevTokens.from(loaded.get().clientAuth(), Clock.systemUTC());
        if (tokens.isEmpty()) {
            err.println("syncline token: the config has no HS secret to sign with — add a key with `kty: oct` to"
                    + " client_auth.jwks.keys and an `audience`");
            return SynclineCli.INVALID;
        }
        spec.commandLine().getOut().println(tokens.get().mint(subject, lifetime));
        return SynclineCli.OK;
    }
}
