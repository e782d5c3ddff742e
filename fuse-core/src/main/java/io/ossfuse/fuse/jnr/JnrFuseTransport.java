package io.ossfuse.fuse.jnr;

import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.FuseTransport;
import io.ossfuse.fuse.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jnr-fuse (libfuse 2.9) transport. Runs {@code fuse_main} on its own thread and decides
 * readiness itself: jnr-fuse's non-blocking mount reports success after a 2 s timeout even when the
 * mount failed, and its {@code umount()} does not wait. Requests are capped at 128 KiB by libfuse
 * 2.9 (protocol 7.19).
 */
public final class JnrFuseTransport implements FuseTransport {
  private static final Logger LOG = LoggerFactory.getLogger(JnrFuseTransport.class);
  static final int MAX_READ = 128 * 1024;
  private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration UNMOUNT_TIMEOUT = Duration.ofSeconds(15);

  private JnrAdapter adapter;
  private Path mountpoint;
  private Thread loop;
  private final CountDownLatch loopEnded = new CountDownLatch(1);
  private final AtomicReference<Throwable> loopError = new AtomicReference<>();

  @Override
  public String name() {
    return "jnr";
  }

  @Override
  public synchronized void mount(Path mountpoint, ReadOnlyFileSystem fs, FuseMountConfig config)
      throws IOException {
    if (adapter != null) throw new IllegalStateException("already mounted at " + this.mountpoint);
    Path mp = mountpoint.toAbsolutePath().normalize();
    this.mountpoint = mp;
    this.adapter = new JnrAdapter(fs);
    String[] args = options(config);
    LOG.debug("fuse_main options {}", String.join(" ", args));
    JnrAdapter a = adapter;
    loop =
        new Thread(
            () -> {
              try {
                a.mount(mp, true, false, args);
              } catch (Throwable t) {
                loopError.set(t);
              } finally {
                loopEnded.countDown();
              }
            },
            "ossfuse-jnr-fuse-main");
    loop.setDaemon(true);
    loop.start();
    long deadline = System.nanoTime() + MOUNT_TIMEOUT.toNanos();
    try {
      while (true) {
        if (loopEnded.getCount() == 0) {
          Throwable t = loopError.get();
          throw new IOException(
              "FUSE mount at "
                  + mp
                  + " failed"
                  + (t == null ? "" : ": " + t.getMessage())
                  + " (is /dev/fuse available and fusermount installed?)");
        }
        var e = MountInfo.find(mp);
        if (e.isPresent() && e.get().isFuse() && answers(mp)) {
          LOG.info("mounted {} at {} (jnr-fuse)", config.fsName(), mp);
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "FUSE mount at "
                  + mp
                  + " did not come up within "
                  + MOUNT_TIMEOUT.toSeconds()
                  + " s");
        }
        Thread.sleep(20);
      }
    } catch (IOException | RuntimeException e) {
      cleanupAfterFailedMount();
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cleanupAfterFailedMount();
      throw new IOException("interrupted while mounting " + mp);
    }
  }

  /**
   * A stat of the mount point through the kernel, bounded in time: a hung filesystem is not
   * "ready".
   */
  static boolean answers(Path mp) {
    var f =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return Files.readAttributes(mp, java.nio.file.attribute.BasicFileAttributes.class)
                    .isDirectory();
              } catch (IOException e) {
                return false;
              }
            },
            r -> {
              Thread t = new Thread(r, "ossfuse-mount-probe");
              t.setDaemon(true);
              t.start();
            });
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void cleanupAfterFailedMount() {
    try {
      unmount();
    } catch (IOException e) {
      LOG.warn("cleanup after a failed mount: {}", e.getMessage());
    }
  }

  static String[] options(FuseMountConfig c) {
    List<String> o = new ArrayList<>();
    o.add("ro");
    o.add("fsname=" + escape(c.fsName()));
    o.add("subtype=" + FuseMountConfig.SUBTYPE);
    o.add("max_read=" + Math.min(c.maxRead(), MAX_READ));
    o.add("use_ino");
    o.add("default_permissions");
    // No auto_cache/kernel_cache: JnrAdapter.open decides keep_cache (and direct_io) per open from
    // the
    // object version (auto_cache would keep pages of another version of the same size and mtime).
    o.add("attr_timeout=" + seconds(c.attrTimeout()));
    o.add("entry_timeout=" + seconds(c.attrTimeout()));
    o.add("negative_timeout=" + seconds(c.negativeTimeout()));
    if (c.allowOther()) o.add("allow_other");
    o.addAll(c.extraOptions());
    return new String[] {"-o", String.join(",", o)};
  }

  private static String seconds(Duration d) {
    return String.valueOf(d.toMillis() / 1000.0);
  }

  /** libfuse splits -o on commas; a backslash escapes one. */
  static String escape(String s) {
    return s.replace("\\", "\\\\").replace(",", "\\,");
  }

  @Override
  public synchronized void unmount() throws IOException {
    if (adapter == null) return;
    Path mp = mountpoint;
    try {
      if (MountInfo.isMounted(mp)) {
        adapter.umount(); // fusermount -u -z, does not wait
      }
      long deadline = System.nanoTime() + UNMOUNT_TIMEOUT.toNanos();
      while (isOurs(mp)) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "FUSE mount at "
                  + mp
                  + " is still present after "
                  + UNMOUNT_TIMEOUT.toSeconds()
                  + " s; run: fusermount -u -z "
                  + mp);
        }
        Thread.sleep(20);
      }
      if (!loopEnded.await(5, TimeUnit.SECONDS)) {
        LOG.warn("fuse_main for {} did not return 5 s after the unmount", mp);
      }
      LOG.info("unmounted {}", mp);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while unmounting " + mp);
    } finally {
      adapter = null;
    }
  }

  private static boolean isOurs(Path mp) throws IOException {
    var e = MountInfo.find(mp);
    return e.isPresent() && e.get().fsType().equals("fuse." + FuseMountConfig.SUBTYPE);
  }

  @Override
  public boolean isMounted() {
    Path mp = mountpoint;
    try {
      return mp != null && loopEnded.getCount() > 0 && isOurs(mp);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public boolean awaitUnmounted(Duration timeout) throws InterruptedException {
    return loopEnded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
