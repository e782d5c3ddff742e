package io.ossfuse.fuse.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

class MountInfoTest {
    static final List<String> LINES = List.of(
        "22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
        "40 22 0:38 / /sys/fs/fuse/connections rw,relatime shared:20 - fusectl none rw",
        "51 22 0:45 / /mnt/data rw,nosuid shared:30 - fuse.ossfuse ossfuse:b/d ro,user_id=0,group_id=0",
        "52 22 0:46 / /mnt/with\\040space ro master:4 - fuse.ossfuse x ro",
        "53 51 0:47 / /mnt/data ro - fuse.ossfuse ossfuse:b/d ro");

    @Test
    void findsTheTopmostFuseMountAndItsConnection() {
        assertEquals(OptionalInt.of(47), MountInfo.fuseMinor(LINES, "/mnt/data"));
        assertEquals(OptionalInt.of(46), MountInfo.fuseMinor(LINES, "/mnt/with space"));
        assertEquals(OptionalInt.empty(), MountInfo.fuseMinor(LINES, "/"));
    }

    @Test
    void mountDataForTheKernel() {
        assertEquals("fd=5,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", FuseDevice.data(5, true));
        assertEquals("fd=3,rootmode=40000,user_id=0,group_id=0,default_permissions", FuseDevice.data(3, false));
    }
}
