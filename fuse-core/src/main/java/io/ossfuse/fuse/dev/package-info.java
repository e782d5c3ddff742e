/**
 * Owning a kernel FUSE connection: open /dev/fuse, mount(2) it with {@code fd=N}, hand the fd to
 * serving child processes, probe, abort, unmount. Root only.
 *
 * <h2>Watchdog recipe (seamless mode)</h2>
 *
 * <pre>{@code
 * FuseDevice dev = FuseDevice.mount(mountpoint, FuseMountConfig.of("ossfuse:bucket/dir", true));
 * SessionState state = new SessionState(stateDir, dev.sessionId());   // io.ossfuse.fuse.raw
 * // for each child generation (first start and after every death):
 * ProcessBuilder pb = new ProcessBuilder(java, "-cp", cp, ChildMain.class.getName(), ...);
 * pb.environment().putAll(state.environment());
 * pb.redirectOutput(...).redirectErrorStream(true);
 * Process child = ChildFd.start(pb, dev.fd());       // the fd becomes the child's fd 0
 * boolean up = dev.probe(Duration.ofSeconds(10));     // positive readiness check
 * // child side: RawFuseTransport.serveStdin(fs, RawFuseConfig.defaults()); System.exit(0);
 * // exit code 0 = the connection ended (unmounted): stop respawning.
 * // a child that hangs: kill it; if requests stay stuck, dev.abort() and remount.
 * dev.close();                                         // umount2(MNT_DETACH) + close the fd
 * }</pre>
 *
 * The watchdog must keep no file open on its own mount and must not read {@code System.in}.
 */
package io.ossfuse.fuse.dev;
