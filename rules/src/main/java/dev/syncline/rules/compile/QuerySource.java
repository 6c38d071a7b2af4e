package dev.syncline.rules.compile;

import dev.syncline.rules.yaml.Mark;
import dev.syncline.rules.yaml.SourceText;
import dev.syncline.rules.yaml.YNode;

/** A SQL string from the YAML file, able to place an offset of it in the file. */
record QuerySource(YNode.Scalar scalar, SourceText source) {

    String sql() {
        return scalar.text();
    }

    Mark at(int sqlOffset) {
        return source.locate(scalar, sqlOffset);
    }

    Mark start() {
        return at(0);
    }
}
