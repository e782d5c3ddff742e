package io.ossfuse.fuse.raw;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ossfuse.fs.Errno;
import io.ossfuse.fs.FsException;

/** The one place a failure becomes the negative errno of a reply. */
final class Errors {
    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

    private Errors() {
    }

    /** FsException: its errno; anything else is a bug or an unexpected failure: EIO, logged. */
    static int toReplyError(Throwable t, int opcode, long nodeid) {
        if (t instanceof FsException fe) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("opcode {} node {}: {} {}", opcode, nodeid, fe.errno(), fe.getMessage());
            }
            return -fe.errno().code;
        }
        LOG.warn("opcode {} node {} failed unexpectedly, answering EIO", opcode, nodeid, t);
        return -Errno.EIO.code;
    }

    static int of(Errno e) {
        return -e.code;
    }
}
