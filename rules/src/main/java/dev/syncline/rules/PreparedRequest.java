package dev.syncline.rules;

import dev.syncline.rules.eval.RequestScope;

/**
 * A connection's request values (user id, JWT claims, client parameters) parsed once. A connection
 * re-evaluates its parameter queries at every checkpoint; parsing the claims JSON each time was
 * most of that cost with many connections. Immutable, so one instance serves every checkpoint.
 */
public final class PreparedRequest {
    private final RequestContext context;
    final RequestScope scope;

    PreparedRequest(RequestContext context) {
        this.context = context;
        this.scope = new RequestScope(context.userId(), context.jwtClaimsJson(), context.clientParametersJson());
    }

    public RequestContext context() { return context; }
}
