package io.ossfuse.fuse;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fuse.jnr.JnrOptionsAccess;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    @Test
    void parsesEscapedMountPointsAndFuseTypes() {
        List<MountInfo.Entry> es = MountInfo.parse(List.of(
                "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - fuse.ossfuse ossfuse:b/d ro,user_id=0",
                "37 35 98:0 / /mnt/\\303\\274 rw shared:2 - ext3 /dev/root rw",
                "garbage"));
        assertEquals(2, es.size());
        assertEquals("/mnt/with space", es.get(0).mountPoint());
        assertEquals("fuse.ossfuse", es.get(0).fsType());
        assertEquals("ossfuse:b/d", es.get(0).source());
        assertTrue(es.get(0).isFuse());
        assertEquals("/mnt/ü", es.get(1).mountPoint());
        assertFalse(es.get(1).isFuse());
    }

    @Test
    void jnrOptionsAreReadOnlyCappedAndEscaped() {
        String o = JnrOptionsAccess.options(new FuseMountConfig("ossfuse:b/a,b", true, 1 << 20, null, null, null));
        List<String> parts = List.of(o.split("(?<!\\\\),"));
        assertTrue(parts.contains("ro"));
        assertTrue(parts.contains("fsname=ossfuse:b/a\\,b"), o);
        assertTrue(parts.contains("subtype=ossfuse"));
        assertTrue(parts.contains("max_read=131072"), "capped at libfuse 2.9's 128 KiB");
        assertTrue(parts.contains("allow_other"));
    }
}
