package dev.syncline.rules.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;

/**
 * The request values of one connection. Token parameters come only from the verified JWT's
 * {@code parameters} claim; client parameters only from the client — the two never mix, which is
 * what stops a client from posing as a token claim.
 */
public final class RequestScope implements Scope {

    private final SqlValue userId;
    private final SqlValue jwt;
    private final SqlValue clientParameters;
    private final JsonNode tokenParameters;
    private final JsonNode clientParameterObject;
    private final SqlValue subscriptionParameters;

    public RequestScope(String userId, String jwtClaimsJson, String clientParametersJson) {
        JsonNode claims = jwtClaimsJson == null ? null : JsonSupport.parse(jwtClaimsJson);
        if (claims == null || !claims.isObject()) {
            throw new IllegalArgumentException("JWT claims must be a JSON object");
        }
        this.userId = SqlValue.of(userId);
        this.jwt = new SqlValue.Text(JsonSupport.write(claims));
        JsonNode params = claims.get("parameters");
        this.tokenParameters = params != null && params.isObject() ? params : null;
        JsonNode client = clientParametersJson == null ? null : JsonSupport.parse(clientParametersJson);
        // Anything but an object is ignored rather than rejected: clients are untrusted and old SDKs send junk.
        this.clientParameterObject = client != null && client.isObject() ? client : null;
        this.clientParameters = new SqlValue.Text(client != null && client.isObject() ? JsonSupport.write(client) : "{}");
        this.subscriptionParameters = new SqlValue.Text("{}");
    }

    private RequestScope(RequestScope base, SqlValue subscriptionParameters) {
        this.userId = base.userId;
        this.jwt = base.jwt;
        this.clientParameters = base.clientParameters;
        this.tokenParameters = base.tokenParameters;
        this.clientParameterObject = base.clientParameterObject;
        this.subscriptionParameters = subscriptionParameters;
    }

    /**
     * The same request seen by one stream subscription: {@code subscription.parameter(s)()} read
     * {@code parametersJson} (a JSON object, already checked by the caller).
     */
    public RequestScope withSubscriptionParameters(String parametersJson) {
        return new RequestScope(this, new SqlValue.Text(parametersJson == null ? "{}" : parametersJson));
    }

    @Override
    public SqlValue column(Expr.Column column) {
        throw new IllegalStateException("request expressions cannot read column " + column.name());
    }

    @Override
    public SqlValue param(Expr.Param param) {
        JsonNode source = switch (param.kind()) {
            case TOKEN -> tokenParameters;
            case USER -> clientParameterObject;
            case BUCKET -> throw new IllegalStateException("bucket parameters are not request values");
        };
        return source == null ? SqlValue.nullValue() : JsonSupport.toSqlValue(source.get(param.name()));
    }

    @Override
    public SqlValue request(String function) {
        return switch (function) {
            case "request.user_id" -> userId;
            case "request.jwt" -> jwt;
            case "request.parameters" -> clientParameters;
            case "request.subscription_parameters" -> subscriptionParameters;
            default -> throw new IllegalStateException("unknown request function " + function);
        };
    }
}
