package io.ossfuse.fuse;

import io.ossfuse.fuse.jnr.JnrFuseTransport;
import java.util.List;

/** Creates a transport by name; the place to register a new one. */
public final class FuseTransports {
    public static final String JNR = "jnr";

    private FuseTransports() {
    }

    /** The transport names this build knows. */
    public static List<String> names() {
        return List.of(JNR);
    }

    public static FuseTransport create(String name) {
        return switch (name) {
            case JNR -> new JnrFuseTransport();
            default -> throw new IllegalArgumentException("unknown transport '" + name + "': use one of " + names());
        };
    }
}
