package io.ossfuse.fuse.dev;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link FuseDevice#mount} mounts a /dev/fuse connection: always read-only, nosuid, nodev,
 * owned by root ({@code user_id=0,group_id=0}).
 *
 * @param mountpoint an existing directory (made absolute)
 * @param fsname the mount source shown in /proc/mounts, e.g. {@code ossfuse:bucket/dir}
 * @param subtype the filesystem type becomes {@code fuse.<subtype>}
 * @param allowOther let users other than root use the mount (pods run as other users)
 * @param defaultPermissions let the kernel check permissions from the attributes
 */
public record MountOptions(Path mountpoint, String fsname, String subtype, boolean allowOther,
                           boolean defaultPermissions) {

    public MountOptions {
        Objects.requireNonNull(mountpoint, "mountpoint");
        mountpoint = mountpoint.toAbsolutePath().normalize();
        fsname = fsname == null || fsname.isBlank() ? "ossfuse" : fsname;
        subtype = subtype == null || subtype.isBlank() ? "ossfuse" : subtype;
        if (fsname.contains(",") || fsname.contains(" ")) {
            throw new IllegalArgumentException("fsname '" + fsname
                + "' must not contain ',' or spaces: it becomes the mount source");
        }
        if (!subtype.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("subtype '" + subtype
                + "' must be letters, digits, '_' or '-': the filesystem type is fuse.<subtype>");
        }
    }

    /** Read-only mount for everybody ({@code allow_other,default_permissions}). */
    public static MountOptions of(Path mountpoint, String fsname) {
        return new MountOptions(mountpoint, fsname, "ossfuse", true, true);
    }

    /** The mount(2) data string for a connection on {@code fd}. */
    String data(int fd) {
        StringBuilder b = new StringBuilder("fd=").append(fd)
            .append(",rootmode=40000,user_id=0,group_id=0");
        if (allowOther) {
            b.append(",allow_other");
        }
        if (defaultPermissions) {
            b.append(",default_permissions");
        }
        return b.toString();
    }

    String fstype() {
        return "fuse." + subtype;
    }
}
