package dev.syncline.server.shape;

/**
 * A source column's PostgreSQL type as Electric's {@code electric-schema} header names it:
 * {@code type} is {@code pg_type.typname} (the element type for arrays, with {@code dims} &gt; 0).
 */
public record PgColumn(String name, String type, int dims, boolean notNull) {}
