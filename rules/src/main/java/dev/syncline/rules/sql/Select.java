package dev.syncline.rules.sql;

import java.util.List;

/** A parsed {@code SELECT items [FROM source] [WHERE filter]}; {@code from} and {@code where} may be null. */
public record Select(List<SelectItem> items, From from, Expr where, int pos) {

    public Select {
        items = List.copyOf(items);
    }

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
