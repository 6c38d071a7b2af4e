package dev.syncline.rules.sql;

import java.util.List;

/**
 * A parsed {@code SELECT items [FROM source [JOIN …]] [WHERE filter]}; {@code from} and {@code where}
 * may be null. {@code joins} is empty except in Sync Streams queries (edition 3), which may join
 * tables with {@code [INNER] JOIN t ON cond} or list them as {@code FROM a, b}.
 */
public record Select(List<SelectItem> items, From from, List<Join> joins, Expr where, int pos) {

    public Select {
        items = List.copyOf(items);
        joins = List.copyOf(joins);
    }

    public Select(List<SelectItem> items, From from, Expr where, int pos) {
        this(items, from, List.of(), where, pos);
    }

    /** One more table of the FROM clause; {@code on} is null for a comma-separated table. */
    public record Join(Table table, Expr on, int pos) {}

    /** One output of the select list. */
    public sealed interface SelectItem {
        int pos();
    }

    /** {@code *} or {@code t.*}. */
    public record Star(String qualifier, int pos) implements SelectItem {}

    /** {@code expr [AS alias]}; alias is null when absent. */
    public record Output(Expr expr, String alias, int pos) implements SelectItem {}

    /** The FROM clause. */
    public sealed interface From {
        int pos();

        /** The name rows are referred to by in the query: the alias, or else the table or function name. */
        String referenceName();
    }

    /** {@code [schema.]table [AS alias]}; schema and alias may be null. */
    public record Table(String schema, String name, String alias, int pos) implements From {
        @Override
        public String referenceName() {
            return alias != null ? alias : name;
        }
    }

    /** A table-valued function, {@code json_each(expr) [AS alias]}. */
    public record TableFunction(String name, Expr argument, String alias, int pos) implements From {
        @Override
        public String referenceName() {
            return alias != null ? alias : name;
        }
    }
}
